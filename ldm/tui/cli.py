"""`ldm tui [CONFIG | --attach SOCKET]`: the TUI over a machine it boots (the `sun4v
boot` configuration CONFIG, or without one the T5220 of `make demo`: ldm/tui/demo.toml)
or over a running machine's ldmd.

    ldm tui [CONFIG.toml] [--ldmd SOCKET] [--sample TIME] [--pause-at TIME]
            [--speed NAME]
    ldm tui --attach SOCKET

--ldmd SOCKET  also serve `ldm --socket SOCKET` commands from other terminals
--sample TIME  simulated time between two updates of the screen (default 0.25ms)
--pause-at TIME  pause the machine at that simulated time
--speed NAME   0.1ms/s, 0.25ms/s, 0.5ms/s, 1ms/s or max (default): simulated time per
               host second at most

Each guest's console is also served on its TCP port of 127.0.0.1 (`telnet 127.0.0.1
5000`; ldm/vntsd.py) while the TUI runs (SUN4V_VNTSD=0: not).

Exit status 0; 2 for bad input (one line on stderr): a missing or invalid
configuration, a bad time, no terminal (the TUI needs one on stdin and stdout), an
attach socket nobody listens on.
"""
from __future__ import annotations

import argparse
import os
import sys

from .app import SPEEDS, LdmApp

DEMO_CONFIG = os.path.join(os.path.dirname(__file__), "demo.toml")
DEFAULT_SAMPLE = 0.25e-3


class TuiError(Exception):
    """Bad input to `ldm tui` (one line)."""


def _time(text: str, what: str) -> float:
    from sun4v.boot.system import parse_time
    try:
        return parse_time(text)
    except ValueError as e:
        raise TuiError(f"{what} {text}: {e}") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ldm tui", description="The Logical Domains "
                                "Manager as a terminal UI over a running machine.")
    p.add_argument("config", nargs="?", metavar="CONFIG.toml",
                   help="the sun4v boot configuration to boot (default: the T5220 demo "
                        "machine)")
    p.add_argument("--attach", metavar="SOCKET", help="a running machine's ldmd socket")
    p.add_argument("--ldmd", metavar="SOCKET", help="also serve ldm commands on SOCKET")
    p.add_argument("--sample", metavar="TIME", default="0.25ms",
                   help="simulated time between screen updates (default 0.25ms)")
    p.add_argument("--pause-at", metavar="TIME", help="pause at this simulated time")
    p.add_argument("--speed", choices=[n for n, _ in SPEEDS], default="max",
                   help="simulated time per host second at most (default max)")
    return p


class _ArgError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _ArgError(message)


def build(argv: list[str]):
    """(controller, app) for the command line; TuiError for bad input."""
    p = parser()
    p.__class__ = _Parser
    try:
        a = p.parse_args(argv)
    except _ArgError as e:
        raise TuiError(str(e)) from None
    if a.attach and (a.config or a.ldmd or a.pause_at):
        raise TuiError("--attach SOCKET takes no configuration, --ldmd or --pause-at: "
                       "the attached machine is another process's")
    sample = _time(a.sample, "--sample")
    pause_at = _time(a.pause_at, "--pause-at") if a.pause_at else None
    speed = [n for n, _ in SPEEDS].index(a.speed)
    if a.attach:
        from .controller import AttachedController
        from ..protocol import ClientError, call
        try:
            call(a.attach, ["list", "-o", "json"], timeout=10)
        except ClientError as e:
            raise TuiError(str(e)) from None
        ctl = AttachedController(a.attach)
    else:
        from .live import LiveController, LiveError
        try:
            from ..vntsd import enabled
            ctl = LiveController.boot(a.config or DEMO_CONFIG, ldmd=a.ldmd,
                                      vntsd=enabled())
        except LiveError as e:
            raise TuiError(str(e)) from None
    return ctl, LdmApp(ctl, sample=sample, pause_at=pause_at, speed=speed)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(x in ("-h", "--help") for x in argv):
        parser().print_help()
        return 0
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("ldm tui: needs a terminal on stdin and stdout (make demo runs the scripted "
              "demo without one: python -m ldm.tui.demo)", file=sys.stderr)
        return 2
    try:
        ctl, app = build(argv)
    except TuiError as e:
        print(f"ldm tui: {e}", file=sys.stderr)
        return 2
    try:
        app.run()
    finally:
        app.wait_machine()
        ctl.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
