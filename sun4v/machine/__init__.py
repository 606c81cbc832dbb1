"""The server: platforms (platforms.py), devices (devices/), strand control
(strandctl.py), power-on reset (reset.py), the run loop over all strands (runloop.py)
and the Machine (machine.py) that puts them together; `sun4v platforms` and
`sun4v baremetal` (command.py)."""
from .machine import Machine, RunResult
from .platforms import PLATFORMS, Platform, platform

__all__ = ["Machine", "RunResult", "PLATFORMS", "Platform", "platform"]
