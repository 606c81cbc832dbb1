"""Puts tests/ldm (livekit: the live manager's test helpers) on sys.path for the TUI's
tests over the real machine."""
import sys
from pathlib import Path

_LDM = str(Path(__file__).resolve().parent.parent / "ldm")
if _LDM not in sys.path:
    sys.path.insert(0, _LDM)
