"""`make demo`: the T5220 of ldm/tui/demo.toml (primary and two guest domains running
workloads) with its domain manager.  On a terminal it is the TUI (`ldm tui`); without
one (CI, a pipe) the same scenario runs as a script and prints what a user would see:

    ldm list
    ldm add-vcpu 8 ldg1          and the guest's console lines about it (md-update,
                                 dr-cpu configure per vCPU)
    ldm list
    ldg1's throughput before and after (its workload's units per simulated second)
    ldm remove-vcpu 8 ldg1       and the guest's console lines about it

    python -m ldm.tui.demo [--script] [--measure TIME]

Every change goes the real way (ldm/live.py): the manager's MDs into the hypervisor's
MD area, hvctl reconfigure, md-update and dr-cpu to the guest.  Exit status 0; 1 when a
step fails (its error on stderr).  Deterministic: the same lines on every run (simulated
time only; throughput is per simulated second).
"""
from __future__ import annotations

import argparse
import sys

from .cli import DEMO_CONFIG


class DemoError(Exception):
    """A step of the scripted demo failed (one line)."""


def _throughput(lm, name: str, window: str) -> tuple[float, int]:
    """(work units per simulated second of domain `name` over the next `window` of
    simulated time, its vCPUs)."""
    def work():
        for d in lm.snapshot()["domains"]:
            if d["name"] == name:
                wl = d.get("workload") or {}
                return wl.get("progress"), d["ncpu"]
        raise DemoError(f"no domain {name}")
    w0, n = work()
    t0 = lm.time
    lm.advance(window)
    w1, _ = work()
    if w0 is None or w1 is None or lm.time <= t0:
        raise DemoError(f"{name}: its workload counters cannot be read")
    return (w1 - w0) / (lm.time - t0), n


def _run(lm, line: str, out) -> None:
    print(f"$ ldm {line}", file=out)
    r = lm.execute(line.split())
    for x in r.out:
        print(x, file=out)
    for x in r.err:
        print(x, file=out)
    if r.status:
        raise DemoError(f"ldm {line}: exit status {r.status}")


def _console(lm, name: str, cursor: int, out) -> int:
    text, cursor = lm.console(name, cursor)
    for line in text.splitlines():
        if line.strip():
            print(f"  {name} console | {line}", file=out)
    return cursor


def script(out=sys.stdout, config: str = DEMO_CONFIG, measure: str = "1ms",
           guest: str = "ldg1", count: int = 8) -> int:
    """The scripted demo (see the module docstring); returns the exit status."""
    from sun4v.boot.config import BootError
    from ..errors import LdmError
    from ..live import LiveManager
    try:
        lm = LiveManager(config, sample="0.25ms")
    except (BootError, LdmError) as e:
        print(f"make demo: {e}", file=sys.stderr)
        return 1
    try:
        print(f"# {lm.platform.key.upper()}: booting primary, ldg1 and ldg2 (sun4v boot "
              f"{config.rsplit('/', 1)[-1]}) with the domain manager", file=out)
        if not lm.wait_ready("60ms"):
            raise DemoError("the domains' services did not come up")
        lm.advance("0.5ms")
        print(f"# simulated time {lm.time * 1e3:.3f} ms: every domain's services are "
              f"registered", file=out)
        _run(lm, "list", out)
        before, n0 = _throughput(lm, guest, measure)
        cursor = lm.console(guest, 0)[1]
        _run(lm, f"add-vcpu {count} {guest}", out)
        lm.advance("0.25ms")
        cursor = _console(lm, guest, cursor, out)
        after, n1 = _throughput(lm, guest, measure)
        _run(lm, "list", out)
        print(f"# {guest} throughput (workload units per simulated second): "
              f"{before:,.0f} on {n0} vCPUs before, {after:,.0f} on {n1} vCPUs after "
              f"(x{after / before:.2f})" if before else
              f"# {guest} throughput: 0 before, {after:,.0f} after", file=out)
        cursor = lm.console(guest, 0)[1]
        _run(lm, f"remove-vcpu {count} {guest}", out)
        lm.advance("0.25ms")
        _console(lm, guest, cursor, out)
        _run(lm, "list", out)
        if lm.ended is not None:
            raise DemoError(f"the machine stopped: {lm.ended.reason}")
    except DemoError as e:
        out.flush()
        print(f"make demo: {e}", file=sys.stderr)
        return 1
    finally:
        lm.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ldm.tui.demo",
                                description="The ldm demo: the TUI on a terminal, the "
                                            "scripted scenario without one.")
    p.add_argument("--script", action="store_true", help="the script even on a terminal")
    p.add_argument("--measure", default="1ms", metavar="TIME",
                   help="simulated time over which throughput is measured (default 1ms)")
    a = p.parse_args(sys.argv[1:] if argv is None else argv)
    if not a.script and sys.stdin.isatty() and sys.stdout.isatty():
        from .cli import main as tui
        return tui([])
    return script(measure=a.measure)


if __name__ == "__main__":
    sys.exit(main())
