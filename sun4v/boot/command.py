"""`sun4v boot CONFIG.toml [--mode functional|cycle] [--until TIME | --insns N]
[--console DIR] [--stats FILE|-] [--quantum Q]` and `sun4v boot --example PLATFORM`
(issue 11 §4).

Builds the machine of the configuration (config.py, system.py), runs it from power-on
reset until every domain has stopped, the simulated time TIME ("20ms") or N
instructions, then prints a summary: per domain its state, vCPUs and their strands,
memory, utilisation (time not yielded to the hypervisor, from the hypervisor's yielded
%stick ticks), hypercalls, traps and exit code.  Consoles: each domain's console (its
guest UART) goes to stdout as "[name] line", or with --console DIR to DIR/NAME.log
(the hypervisor's own console to DIR/hypervisor.log).  --stats FILE writes the machine's
statistics with the per-domain, per-strand and per-core figures as JSON (`-`: stdout,
after the summary).

--mode cycle runs the machine on the cycle-level model (Machine(mode="cycle"): every
strand of every core in the thread select, caches, crossbar, DRAM; TIME is then exact
in cycles). The summary adds the cycles, the machine's IPC and each domain's CPI; the
JSON is the cycle model's: per strand its cycles running, ready and waiting by reason,
per core IPC and pipe utilisation, l1i/l1d/l2/itlb/dtlb/memory/ccx counters (L2 misses,
miss rates, per core and per bank rows), and per domain "cycle": instructions, awake
cycles, CPI and its strands' cycles by reason. --quantum applies to functional mode.

Exit status: 0 when the run ends (every domain stopped, the time or the instruction
limit reached); 1 when the hypervisor panics or a strand enters error state; 2 for bad
input (a missing or invalid configuration, more vCPUs or memory than the platform has,
an unknown workload or platform), one line on stderr."""
import json
import os
import sys
import time

from ..cli import UsageError, check_output_path, register
from .config import BootError, load_config

EXAMPLES = os.path.join(os.path.dirname(__file__), "examples")


def _args(p):
    p.add_argument("config", nargs="?", metavar="CONFIG.toml", help="the domains to boot")
    p.add_argument("--example", metavar="PLATFORM",
                   help="print an example configuration for PLATFORM's family and exit")
    p.add_argument("--mode", choices=["functional", "cycle"], default="functional",
                   help="functional (default) or cycle")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--until", metavar="TIME", help="stop at simulated time TIME (e.g. 20ms)")
    g.add_argument("--insns", type=int, metavar="N", help="stop after N instructions")
    p.add_argument("--console", metavar="DIR", help="write consoles to DIR/NAME.log")
    p.add_argument("--stats", metavar="FILE", help="statistics as JSON to FILE (- stdout)")
    p.add_argument("--quantum", type=int, metavar="Q",
                   help="steps each strand runs per round (default 1000)")


def _example(name):
    from ..machine import platforms
    try:
        p = platforms.platform(name)
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    fam = {"t1": "t2000", "t2": "t5220", "t2plus": "t5240"}[p.family]
    with open(os.path.join(EXAMPLES, fam + ".toml")) as f:
        text = f.read()
    sys.stdout.write(text.replace(f'platform = "{fam.upper()}"', f'platform = "{p.key.upper()}"'))
    return 0


def _ranges(pids):
    out, start, prev = [], None, None
    for p in pids + [None]:
        if start is None:
            start = prev = p
        elif p is not None and p == prev + 1:
            prev = p
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = p
    return ",".join(out)


def _size(n):
    for unit, k in (("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << k and n % (1 << k) == 0:
            return f"{n >> k}{unit}"
    return str(n)


class _Consoles:
    """Console bytes of each domain -> stdout lines "[name] text" or DIR/NAME.log."""

    def __init__(self, names, directory):
        self.dir = directory
        self.partial = {n: b"" for n in names}
        self.files = {}
        if directory:
            for n in names:
                self.files[n] = open(os.path.join(directory, n + ".log"), "wb")

    def __call__(self, name, data):
        data = data.replace(b"\r\n", b"\n")
        if self.dir:
            self.files[name].write(data)
            self.files[name].flush()
            return
        buf = self.partial[name] + data
        *lines, rest = buf.split(b"\n")
        self.partial[name] = rest
        for ln in lines:
            sys.stdout.write(f"[{name}] {ln.decode('latin-1')}\n")
        sys.stdout.flush()

    def close(self, hv_text):
        for name, rest in self.partial.items():
            if rest:
                sys.stdout.write(f"[{name}] {rest.decode('latin-1')}\n")
        for f in self.files.values():
            f.close()
        if self.dir:
            with open(os.path.join(self.dir, "hypervisor.log"), "w") as f:
                f.write(hv_text)


def summary(sysm, result, host_s):
    """The run's summary lines; cycle mode adds the cycles and the machine's IPC, and
    each domain's CPI (cycles its strands were awake per instruction they retired)."""
    p = sysm.platform
    cyc = sysm.m.mode == "cycle"
    lines = [f"sun4v boot: {p.key.upper()} ({p.name}), {len(sysm.cfg.domains)} domains, "
             f"{sysm.m.mode}; {result.reason}"
             + (f": {result.detail}" if result.detail else ""),
             f"simulated {sysm.seconds * 1e3:.3f} ms, {sysm.m.insns_run:,} instructions, "
             + (f"{sysm.m.time:,} cycles (IPC {sysm.m.insns_run / max(1, sysm.m.time):.3f}), "
                if cyc else "")
             + f"{host_s:.1f} s host"]
    hdr = f"{'DOMAIN':<10} {'STATE':<12} {'VCPUS':>5}  {'STRANDS':<14} {'MEMORY':>6} " \
          f"{'UTIL':>6} {'HCALLS':>8} {'TRAPS':>8} {'EXIT':>5}" + (f" {'CPI':>6}" if cyc else "")
    lines.append(hdr)
    for d in sysm.domain_stats():
        ex = "" if d["state"] != "stopped" else str(d["exit_code"])
        cpi = ""
        if cyc:
            c = d["cycle"]["cpi"]
            cpi = f" {c:>6.2f}" if c else f" {'-':>6}"
        lines.append(f"{d['name']:<10} {d['state']:<12} {len(d['vcpus']):>5}  "
                     f"{_ranges(d['strands']):<14} {_size(d['memory']):>6} "
                     f"{100 * d['util']:>5.1f}% {d['hcalls']:>8,} {d['traps']:>8,} {ex:>5}"
                     + cpi)
    return "\n".join(lines) + "\n"


def _stats(sysm, result, host_s):
    st = sysm.stats()
    st["reason"] = result.reason
    st["host_seconds"] = round(host_s, 3)
    if sysm.m.mode == "cycle":
        return st                       # the cycle model's per-strand and per-core rows
    spc = sysm.platform.chip.strands_per_core
    cores = {}
    for s in st["strands"]:
        c = cores.setdefault(s["id"] // spc, {"core": s["id"] // spc, "instructions": 0,
                                              "idle_steps": 0, "traps": 0})
        c["instructions"] += s["instructions"]
        c["idle_steps"] += s["idle_steps"]
        c["traps"] += s["traps"]
    st["cores"] = [cores[k] for k in sorted(cores)]
    return st


def _run(a):
    from .system import System
    if a.example:
        return _example(a.example)
    if not a.config:
        raise UsageError("boot: give a configuration (CONFIG.toml), or --example PLATFORM")
    if a.insns is not None and a.insns <= 0:
        raise UsageError("--insns must be a positive number")
    if a.quantum is not None and a.quantum <= 0:
        raise UsageError("--quantum must be a positive number")
    if a.mode == "cycle" and a.quantum is not None:
        raise UsageError("--quantum applies to functional mode (the cycle model has no "
                         "rounds: every strand is in the thread select every cycle)")
    if a.stats and a.stats != "-":
        check_output_path(a.stats)
    if a.console:
        parent = os.path.dirname(os.path.abspath(a.console))
        if os.path.exists(a.console) and not os.path.isdir(a.console):
            raise UsageError(f"--console {a.console}: not a directory")
        if not os.path.isdir(parent):
            raise UsageError(f"--console {a.console}: directory {parent} does not exist")
    try:
        cfg = load_config(a.config)
        sysm = System(cfg, mode=a.mode, quantum=a.quantum)
        until = sysm.steps(a.until) if a.until else None
    except BootError as e:
        raise UsageError(str(e)) from None
    except ValueError as e:
        raise UsageError(f"--until {a.until}: {e}") from None
    if a.console:
        os.makedirs(a.console, exist_ok=True)
    cons = _Consoles([d.name for d in cfg.domains], a.console)
    t0 = time.time()
    try:
        r = sysm.run(until=until, max_insns=a.insns, on_output=cons)
    except KeyboardInterrupt:
        cons.close(sysm.hv_console())
        return 130
    host = time.time() - t0
    cons.close(sysm.hv_console())
    sys.stdout.write(summary(sysm, r, host))
    if a.stats:
        data = json.dumps(_stats(sysm, r, host), indent=1)
        if a.stats == "-":
            sys.stdout.write(data + "\n")
        else:
            tmp = a.stats + ".tmp"
            with open(tmp, "w") as f:
                f.write(data + "\n")
            os.replace(tmp, a.stats)
    if r.reason in ("panic", "error", "poweroff"):
        sys.stderr.write(f"sun4v: {r.reason}: {r.detail}\n")
        return 1
    return 0


register("boot", "boot logical domains on a platform (firmware hypervisor + guests)", _args,
         _run)
