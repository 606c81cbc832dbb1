"""`sun4v platforms` and `sun4v baremetal` (DESIGN.md "Commands").

`sun4v platforms [-p] [NAME]`: the platform catalogue as a table, or one platform's
address map; -p gives the parseable form, one line per record as ldm's -p output:
`PLATFORM|name=t2000|model=Sun Fire T2000|chip=t1|...` and, for one platform,
`REGION|name=boot_rom|base=0xfff0000000|size=0x800000|kind=rom|...`.

`sun4v baremetal --platform NAME [--mode functional|cycle] [--load FILE@PA ...]
[--max-insns N] [--memory SIZE] [--quantum Q] [--stats FILE|-] [--trace] [ELF]`: builds
the machine, loads the ELF at its physical addresses and each FILE at its PA, runs from
power-on reset with the hypervisor UART's output on stdout. `--mode cycle` runs the
cycle-level model of the platform's chips over every strand (cmt/cycle.py); `--stats`
then gives cycles, per strand running/ready/waiting by reason, per core IPC and the
caches, TLBs and memory. Exit status: the power-off value (`ta 0x71` with %o0, modulo
256), else
  124  the --max-insns budget was reached
  125  the machine halted: every strand halted, parked or not started, nothing to wake one
  126  a strand entered error state (a trap at TL = MAXTL)
  127  an instruction the engine does not implement
    2  bad input (an unknown platform, a bad FILE@PA, an image that does not fit the
       platform's memory or overlaps a device, an unreadable file), one line on stderr
The reason for 124-127 is one line on stderr."""
import json
import os
import sys

from ..cli import UsageError, check_output_path, register
from . import platforms

STATUS = {"budget": 124, "halted": 125, "error_state": 126, "unimplemented": 127}


# ---- sun4v platforms ------------------------------------------------------------------
def _size(n):
    for unit, k in (("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << k and n % (1 << k) == 0:
            return f"{n >> k}{unit}"
    return f"{n:#x}"


def _platforms_args(p):
    p.add_argument("-p", dest="parseable", action="store_true",
                   help="parseable output (KEY|k=v|... lines)")
    p.add_argument("name", nargs="?", metavar="NAME",
                   help="show this platform's physical address map")


def _platforms(a):
    out = sys.stdout
    if a.name:
        try:
            p = platforms.platform(a.name)
        except KeyError as e:
            raise UsageError(e.args[0]) from None
        rows = [p]
    else:
        rows = list(platforms.PLATFORMS.values())
    if a.parseable:
        for p in rows:
            c = p.chip
            out.write(f"PLATFORM|name={p.key}|model={p.name}|chip={c.key}|sockets={c.sockets}"
                      f"|cores={p.cores}|strands={p.strands}|clock_mhz={c.clock_mhz}"
                      f"|max_memory={p.max_memory}|memory={p.memory}|stick_hz={p.stick_hz}"
                      f"|interrupt_unit={'iob' if p.family == 't1' else 'ncu'}\n")
            if a.name:
                for r in p.address_map():
                    out.write(f"REGION|name={r.name}|base={r.base:#x}|size={r.size:#x}"
                              f"|kind={r.kind}|note={r.note}\n")
        return 0
    out.write(f"{'NAME':<7} {'MODEL':<24} {'CHIP':<7} {'SOCKETS':>7} {'CORES':>5} "
              f"{'STRANDS':>7} {'CLOCK':>6} {'MAX MEM':>8} {'STICK':>7}\n")
    for p in rows:
        c = p.chip
        out.write(f"{p.key:<7} {p.name:<24} {c.key:<7} {c.sockets:>7} {p.cores:>5} "
                  f"{p.strands:>7} {c.clock_mhz:>4}MHz {_size(p.max_memory):>8} "
                  f"{p.stick_hz // 1_000_000:>4}MHz\n")
    if a.name:
        p = rows[0]
        out.write(f"\nphysical address map ({_size(p.memory)} installed):\n")
        out.write(f"{'BASE':>14} {'SIZE':>10}  {'KIND':<7} {'NAME':<14} NOTE\n")
        for r in p.address_map():
            out.write(f"{r.base:#14x} {_size(r.size):>10}  {r.kind:<7} {r.name:<14} {r.note}\n")
    return 0


register("platforms", "the platform catalogue (Sun CMT servers)", _platforms_args,
         _platforms)


# ---- sun4v baremetal --------------------------------------------------------------------
def _parse_size(text):
    t = text.strip().upper()
    mult = 1
    for unit, k in (("K", 10), ("M", 20), ("G", 30), ("T", 40)):
        if t.endswith(unit) or t.endswith(unit + "B"):
            mult = 1 << k
            t = t[:t.index(unit)]
            break
    try:
        return int(t, 0) * mult
    except ValueError:
        raise UsageError(f"--memory {text}: not a size (e.g. 512M, 8G)") from None


def _parse_load(text):
    path, sep, pa = text.rpartition("@")
    if not sep or not path or not pa:
        raise UsageError(f"--load {text}: expected FILE@PA (e.g. hv-md.bin@0x1f12080000)")
    try:
        addr = int(pa, 0)
    except ValueError:
        raise UsageError(f"--load {text}: {pa!r} is not an address") from None
    if addr < 0:
        raise UsageError(f"--load {text}: negative address")
    return path, addr


def _baremetal_args(p):
    p.add_argument("--platform", required=True, metavar="NAME",
                   help="platform (sun4v platforms lists them)")
    p.add_argument("--mode", choices=["functional", "cycle"], default="functional",
                   help="functional (default) or cycle (the cycle-level model of the "
                        "platform's chips)")
    p.add_argument("--load", action="append", default=[], metavar="FILE@PA",
                   help="load a raw image at a physical address (repeatable)")
    p.add_argument("--max-insns", type=int, metavar="N",
                   help="stop after N instructions, all strands (exit status 124)")
    p.add_argument("--memory", metavar="SIZE",
                   help="installed memory (default: the platform's maximum)")
    p.add_argument("--quantum", type=int, metavar="Q", default=None,
                   help="functional mode: steps each strand runs per round of the run "
                        "loop (default 1000)")
    p.add_argument("--stats", metavar="FILE",
                   help="write run statistics as JSON to FILE, or a summary to stderr for -")
    p.add_argument("--trace", action="store_true",
                   help="print every executed instruction on stderr ([strand] pc: "
                        "instruction)")
    p.add_argument("elf", nargs="?", metavar="ELF", help="bare-metal ELF to load")


def _stdout_sink(data):
    os.write(1, data)


def _baremetal(a):
    from .loader import LoadError
    from .machine import QUANTUM, Machine
    try:
        plat = platforms.platform(a.platform)
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    if a.mode == "cycle" and a.quantum is not None:
        raise UsageError("--quantum applies to functional mode (the cycle model has no "
                         "rounds)")
    if a.max_insns is not None and a.max_insns <= 0:
        raise UsageError("--max-insns must be a positive number")
    if a.quantum is not None and a.quantum <= 0:
        raise UsageError("--quantum must be a positive number")
    if a.stats and a.stats != "-":
        check_output_path(a.stats)
    loads = [_parse_load(x) for x in a.load]
    if a.elf is None and not loads:
        raise UsageError("nothing to run: give an ELF or --load FILE@PA")
    try:
        m = Machine(plat, memory=_parse_size(a.memory) if a.memory else None,
                    mode=a.mode, quantum=a.quantum or QUANTUM, hv_uart_sink=_stdout_sink)
    except ValueError as e:
        raise UsageError(str(e)) from None
    try:
        if a.elf is not None:
            m.load_elf(a.elf)
        for path, pa in loads:
            m.load_image(path, pa)
    except LoadError as e:
        raise UsageError(str(e)) from None
    r = _trace(m, a.max_insns) if a.trace else m.run(max_insns=a.max_insns)
    if a.stats:
        _write_stats(m, r, a.stats)
    if r.reason == "poweroff":
        return r.value & 0xFF
    n = m.insns_run
    msg = {
        "budget": f"instruction limit {a.max_insns} reached",
        "halted": f"machine halted: every strand is halted, parked or not started "
                  f"({n} instructions)",
        "error_state": f"strand {r.strand} entered error state (trap {r.value:#x} at "
                       f"TL = MAXTL)" if r.value is not None else "",
        "unimplemented": f"strand {r.strand}: unimplemented instruction "
                         f"{(r.value or 0):#010x}",
    }.get(r.reason, r.reason)
    os.write(2, f"sun4v: {msg}\n".encode())
    return STATUS.get(r.reason, 1)


def _trace(m, max_insns):
    """Run one instruction at a time, printing each on stderr."""
    from ..cmt import isa
    from ..cmt import state as S
    C = m.S.C
    left = max_insns
    while True:
        if left is not None and left <= 0:
            return m.run(max_insns=0)
        pcs = C[:, S.PC].copy()
        counts = C[:, S.INSNS].copy()
        words = {}
        r = m.run(max_insns=1)
        ran = [s for s in range(m.nstrands) if C[s, S.INSNS] != counts[s]]
        for s in ran:
            pc = int(pcs[s])
            try:
                w = words.setdefault(pc, m.mem.read_u32(_fetch_pa(m, s, pc)))
                text = isa.disasm(w, pc)
            except Exception:               # noqa: BLE001 - an unreadable pc
                w, text = 0, "?"
            os.write(2, f"[{s}] {pc:#x}: {w:08x}  {text}\n".encode())
        if left is not None:
            left -= len(ran)
        if r.reason != "budget":
            return r


def _fetch_pa(m, s, pc):
    """The physical address an instruction fetch of strand s at pc reads."""
    import numpy as np
    from ..cmt import mmu
    pa, st = mmu.translate_fetch(m.S.C[s].copy(), m.mmu, m.mem.M, np.uint64(pc))
    return int(pa)


def _write_stats(m, r, dest):
    st = m.stats()
    st["exit"] = {"reason": r.reason, "value": r.value, "strand": r.strand}
    if dest == "-" and st["mode"] == "cycle":
        os.write(2, _cycle_summary(st, r).encode())
        return
    if dest == "-":
        lines = [f"platform {st['platform']} ({st['chip']}), {st['mode']}, "
                 f"quantum {st['quantum']}",
                 f"instructions {st['instructions']:,}, time {st['time_steps']:,} steps "
                 f"({st['simulated_seconds']:.6f} s simulated)",
                 f"exit {r.reason}" + (f" {r.value:#x}" if isinstance(r.value, int) else "")]
        for s in st["strands"]:
            lines.append(f"  strand {s['id']:3d}: {s['instructions']:>12,} instructions, "
                         f"{s['idle_steps']:>12,} idle steps, {s['traps']:>6} traps, "
                         f"{s['state']}")
        os.write(2, ("\n".join(lines) + "\n").encode())
        return
    from ..atomicfile import write_atomic
    try:
        write_atomic(dest, json.dumps(st, indent=1) + "\n")
    except OSError as e:
        os.write(2, f"sun4v: cannot write stats to {dest}: {e.strerror}\n".encode())


def _cycle_summary(st, r):
    from ..cmt.cycle import REASON_NAMES
    cyc = st["cycles"]
    lines = [f"platform {st['platform']} ({st['chip']}), cycle, {st['clock_mhz']} MHz",
             f"instructions {st['instructions']:,}, cycles {cyc:,} "
             f"({st['simulated_seconds']:.6f} s simulated), IPC {st['ipc']:.3f} (machine)",
             f"exit {r.reason}" + (f" {r.value:#x}" if isinstance(r.value, int) else "")]
    waits = ["wait_" + n for n in REASON_NAMES[1:]]
    used = [w for w in waits if any(w in s["cycles"] for s in st["strands"])]
    lines.append("  strand core  instructions    running      ready"
                 + "".join(f" {w[5:]:>12s}" for w in used) + "  traps  state")
    for s in st["strands"]:
        c = s["cycles"]
        lines.append(f"  {s['id']:6d} {s['core']:4d} {s['instructions']:13,} "
                     f"{c['running']:10,} {c['ready']:10,}"
                     + "".join(f" {c.get(w, 0):12,}" for w in used)
                     + f" {s['traps']:6}  {s['state']}")
    lines.append("  core  instructions     IPC  pipe utilisation")
    for c in st["cores"]:
        pu = "/".join(f"{u:.3f}" for u in c["pipe_utilisation"])
        lines.append(f"  {c['id']:4d} {c['instructions']:13,} {c['ipc']:7.3f}  {pu:>16s}")
    for name in ("l1i", "l1d", "l2", "itlb", "dtlb"):
        c = st.get(name)
        if c:
            rate = f"{100 * c['misses'] / c['accesses']:.2f}%" if c["accesses"] else "-"
            lines.append(f"  {name:5s} {c['accesses']:12,} accesses {c['misses']:10,} "
                         f"misses ({rate})")
    m = st.get("memory", {})
    if m:
        lines.append(f"  memory {m['reads']:,} reads, {m['writes']:,} writes, "
                     f"{m.get('bandwidth_GBps', 0.0):.3f} GB/s")
    return "\n".join(lines) + "\n"


register("baremetal", "run a bare-metal image on a whole machine from power-on reset",
         _baremetal_args, _baremetal)
