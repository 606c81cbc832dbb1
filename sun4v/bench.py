"""`sun4v bench`: speed of the engine on a fixed set of the project's test programs, in
simulated MIPS, beside qemu-sparc64's time on the same binaries where it is installed;
the full-system machine's on bare-metal programs (tests/baremetal/spin.c: two strands
counting, hyperprivileged; tests/baremetal/mmu_loop.c: the kernel of
tests/bench/xlate_kernel.h in privileged mode with both MMUs on, beside the same kernel
under `sun4v run`, tests/bench/xlate_loop.c: issue 10's floor is 70%); the example
T5220 with three logical domains under `sun4v boot` (host seconds from power-on until
every domain runs its workload, then the aggregate MIPS of all strands while they run,
functional and cycle: issue 11 section 6); whole machines in cycle mode on a T5220
(tests/baremetal/smp.c: all 64 strands started and reporting in; spin.c); then the
cycle-level model's speed on the tests/bench kernels (MIPS and cycles/s).

Figures are printed, never asserted: the machines this runs on are shared and noisy."""
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .cli import register

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ["demo.O2", "recursion.O2", "sort_search.O2", "strings.O2", "bigint.O2",
            "malloc_heavy.O2", "mathlib.O2", "printf_fmt.O2"]


def _silenced(fn):
    """Run fn() with the guest's stdout/stderr (host fds 1 and 2) sent to /dev/null."""
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        return fn()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(null)
        os.close(saved[0])
        os.close(saved[1])


def run_functional(path, args=()):
    """(instructions, seconds) of one run in functional mode, JIT already warm."""
    from .se.process import Process
    proc = Process(str(path), args=list(args))
    _silenced(proc.run)
    return proc.insns, proc.wall


def run_qemu(path, repeat=3):
    qemu = shutil.which("qemu-sparc64")
    if not qemu:
        return None
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([qemu, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best


def startup_seconds(path):
    """Wall time of a whole `sun4v run` of a small program (numba cache warm)."""
    cmd = [sys.executable, "-m", "sun4v", "run", str(path)]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)   # warm
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


# cycle mode: (chip, benchmark in build/bench, arguments): integer kernels on every
# strand of a chip (the floor: >= 5 MIPS with 32 busy T1 strands), one strand
# alone, and a memory-bound kernel that keeps the crossbar, L2 and DRAM busy
CYCLE_RUNS = [
    ("t1", "int_loop", ("32", "20000")),
    ("t1", "int_loop", ("1", "400000")),
    ("t1", "mem_bound", ("32", "2000")),
    ("t2", "int_loop", ("64", "10000")),
]


def run_cycle(path, args, chip):
    """(instructions, cycles, seconds) of one cycle-mode run."""
    from .se.process import Process
    proc = Process(str(path), args=list(args), chip=chip, mode="cycle")
    _silenced(proc.run)
    return proc.insns, proc.cm.now, proc.wall


def cycle_bench(bench_dir):
    paths = {prog: bench_dir / prog for _, prog, _ in CYCLE_RUNS}
    missing = sorted(str(p) for p in paths.values() if not p.exists())
    if missing:
        print(f"cycle mode: skipped, benchmarks not built: {', '.join(missing)}")
        return
    print("\ncycle mode (simulated instructions and cycles per host second):")
    print(f"{'chip':<6}{'program':<28}{'instructions':>14}{'cycles':>12}{'s':>8}"
          f"{'MIPS':>8}{'Mcycles/s':>11}")
    run_cycle(paths[CYCLE_RUNS[0][1]], ("1", "10"), CYCLE_RUNS[0][0])   # load the model
    for chip, prog, args in CYCLE_RUNS:
        n, cyc, s = run_cycle(paths[prog], args, chip)
        name = f"{prog} {' '.join(args)}"
        print(f"{chip:<6}{name:<28}{n:>14,}{cyc:>12,}{s:>8.2f}{n / s / 1e6:>8.1f}"
              f"{cyc / s / 1e6:>11.2f}")


# full system: (platform, program in build/baremetal)
FULL_RUNS = [("t2000", "spin"), ("t5220", "spin")]


def full_system_bench(bm_dir):
    paths = {prog: bm_dir / prog for _, prog in FULL_RUNS}
    missing = sorted(str(p) for p in paths.values() if not p.exists())
    if missing:
        print(f"full system: skipped, programs not built: {', '.join(missing)}")
        return
    print("\nfull system (sun4v baremetal, functional; simulated instructions per host "
          "second):")
    print(f"{'platform':<10}{'program':<12}{'instructions':>14}{'s':>8}{'MIPS':>8}")
    for plat, prog in FULL_RUNS:
        n, s = run_machine(plat, paths[prog])
        print(f"{plat:<10}{prog:<12}{n:>14,}{s:>8.2f}{n / s / 1e6:>8.1f}")


# full system in cycle mode: (platform, program in build/baremetal, instruction budget)
FULL_CYCLE_RUNS = [("t5220", "smp", None), ("t5220", "spin", 3_000_000)]


def run_full_cycle(path, plat, budget):
    """(instructions, cycles, seconds) of a cycle-mode machine run, the model loaded."""
    from .machine import Machine
    m = Machine(plat, mode="cycle")
    m.load_elf(str(path))
    t = time.perf_counter()
    m.run(max_insns=budget)
    return m.insns_run, m.time, time.perf_counter() - t


def full_system_cycle_bench(bm_dir):
    paths = {prog: bm_dir / prog for _, prog, _ in FULL_CYCLE_RUNS}
    missing = sorted(str(p) for p in paths.values() if not p.exists())
    if missing:
        print(f"full system, cycle mode: skipped, programs not built: {', '.join(missing)}")
        return
    print("\nfull system, cycle mode (sun4v baremetal --mode cycle; simulated instructions "
          "and cycles per host second):")
    print(f"{'platform':<10}{'program':<12}{'instructions':>14}{'cycles':>12}{'s':>8}"
          f"{'MIPS':>8}{'Mcycles/s':>11}")
    run_full_cycle(paths["smp"], "t5220", 1000)      # loads (or compiles) the model
    for plat, prog, budget in FULL_CYCLE_RUNS:
        # smp is short (about 16,000 cycles): the best of 5 runs
        runs = [run_full_cycle(paths[prog], plat, budget)
                for _ in range(5 if budget is None else 1)]
        n, cyc, s = min(runs, key=lambda x: x[2])
        print(f"{plat:<10}{prog:<12}{n:>14,}{cyc:>12,}{s:>8.3f}{n / s / 1e6:>8.1f}"
              f"{cyc / s / 1e6:>11.2f}")


# logical domains: the shipped T5220 example (three domains: primary idle, ldg1 int on
# two cores, ldg2 mix at duty 0.1), simulated time run after all are up, per mode
BOOT_EXAMPLE = ROOT / "sun4v" / "boot" / "examples" / "t5220.toml"
BOOT_WINDOW = {"functional": "20ms", "cycle": "2ms"}
BOOT_POLL = {"functional": "1ms", "cycle": "0.25ms"}
BOOT_LIMIT = {"functional": "400ms", "cycle": "100ms"}


def _domains_up(sysm):
    """Every domain's guest kernel has all its vCPUs online and its workload running
    (an idle workload: idle), as its counters page says (sun4v/guest/hostif.py)."""
    from .guest.hostif import Counters, DomainMemory
    for d in sysm.cfg.domains:
        b = sysm.bindings.get(d.name)
        c = Counters(DomainMemory(sysm.m, [(x.ra, x.pa, x.size) for x in b.mblocks]))
        if not c.ready():
            return False
        r = c.read()
        if r["cpus_online"] != len(b.pids()) or \
                r["state"] != ("idle" if d.workload == "idle" else "running"):
            return False
    return True


def boot_run(mode):
    """(host seconds from power-on to every domain running its workload, simulated
    seconds then, instructions and host seconds of the window after) of the T5220
    example in `mode`; None when the domains do not come up within the limit."""
    from .boot import System
    from .boot.config import load_config
    cfg = load_config(str(BOOT_EXAMPLE))
    warm = System(cfg, mode=mode)                   # loads (or compiles) the models
    warm.run(until=warm.steps("0.05ms"))
    sysm = System(cfg, mode=mode)
    poll, end = sysm.steps(BOOT_POLL[mode]), sysm.steps(BOOT_LIMIT[mode])
    t = time.perf_counter()
    while not _domains_up(sysm):
        if sysm.m.time >= end or sysm.run(until=sysm.m.time + poll).reason != "until":
            return None
    up_s, up_sim = time.perf_counter() - t, sysm.seconds
    n0, t = sysm.m.insns_run, time.perf_counter()
    sysm.run(until=sysm.m.time + sysm.steps(BOOT_WINDOW[mode]))
    return up_s, up_sim, sysm.m.insns_run - n0, time.perf_counter() - t


def boot_bench(modes):
    from .boot.system import GUEST_KERNEL, HV_ELF
    missing = [p for p in (HV_ELF, GUEST_KERNEL) if not os.path.exists(p)]
    if missing:
        print(f"logical domains: skipped, firmware not built: {', '.join(missing)}")
        return
    print(f"\nlogical domains (sun4v boot {BOOT_EXAMPLE.relative_to(ROOT)}: T5220, three "
          "domains): host seconds from power-on until every domain runs its workload "
          "(polled every " + ", ".join(f"{BOOT_POLL[m]} {m}" for m in modes) +
          " simulated), then simulated MIPS of the whole machine over a window")
    print(f"{'mode':<12}{'boot s':>8}{'sim ms':>8}{'window':>8}{'instructions':>14}{'s':>8}"
          f"{'MIPS':>8}")
    for mode in modes:
        r = boot_run(mode)
        if r is None:
            print(f"{mode:<12}the domains did not come up within {BOOT_LIMIT[mode]}")
            continue
        up_s, up_sim, n, s = r
        print(f"{mode:<12}{up_s:>8.2f}{up_sim * 1e3:>8.2f}{BOOT_WINDOW[mode]:>8}{n:>14,}"
              f"{s:>8.2f}{n / s / 1e6:>8.1f}")


# the translation floor (issue 10 section 4): the same kernel under `sun4v run` and in
# privileged mode with the MMU on, on whole machines
MMU_KERNEL = ("xlate_loop", ("1", "50"))           # in build/bench
MMU_RUNS = [("t2000", "mmu_loop"), ("t5220", "mmu_loop")]
MMU_FLOOR = 0.70
REPEAT = 3                                          # best of: the machine is shared


def run_machine(plat, path):
    """(instructions, seconds) of a whole-machine run of a bare-metal program to its end,
    the run loop already loaded."""
    from .machine import Machine
    m = Machine(plat)
    m.load_elf(str(path))
    m.run(max_insns=1000)                        # loads (or compiles) the run loop
    before = m.insns_run
    t = time.perf_counter()
    m.run()
    return m.insns_run - before, time.perf_counter() - t


def mmu_bench(bench_dir, bm_dir):
    prog, args = MMU_KERNEL
    se_path = bench_dir / prog
    paths = [se_path] + [bm_dir / p for _, p in MMU_RUNS]
    missing = sorted(str(p) for p in paths if not p.exists())
    if missing:
        print(f"MMU on: skipped, programs not built: {', '.join(missing)}")
        return
    print(f"\nthe same kernel (tests/bench/xlate_kernel.h) under `sun4v run` and in "
          f"privileged mode with the MMU on (best of {REPEAT}):")
    print(f"{'machine':<26}{'instructions':>14}{'s':>8}{'MIPS':>8}{'of sun4v run':>14}")
    n, s = min((run_functional(se_path, args) for _ in range(REPEAT)), key=lambda r: r[1])
    se_mips = n / s / 1e6
    print(f"{'sun4v run ' + prog + ' ' + ' '.join(args):<26}{n:>14,}{s:>8.3f}{se_mips:>8.1f}")
    for plat, p in MMU_RUNS:
        n, s = min((run_machine(plat, bm_dir / p) for _ in range(REPEAT)), key=lambda r: r[1])
        mips = n / s / 1e6
        print(f"{plat + ' ' + p:<26}{n:>14,}{s:>8.3f}{mips:>8.1f}{mips / se_mips:>13.0%}"
              + ("" if mips >= MMU_FLOOR * se_mips else f"  (below the {MMU_FLOOR:.0%} floor)"))


def ldm_dr_bench():
    """Host time of one live `ldm add-vcpu 4 ldg1` and one `ldm remove-vcpu 4 ldg1`
    round trip on a T5220 (primary 4 vCPUs, ldg1 4 vCPUs running the int workload on 8
    threads): from the command to the guest's dr-cpu acknowledgement and the manager's
    checks (ldm/live.py; hypervisor reconfigure through primary's relay, md-update,
    dr-cpu). Each figure is the best of three round trips (the machine is shared):
    host (wall) seconds, the process's CPU seconds, simulated milliseconds."""
    from .boot.config import parse_config
    from .boot.system import GUEST_KERNEL, HV_ELF
    missing = [p for p in (GUEST_KERNEL, HV_ELF) if not Path(p).exists()]
    if missing:
        print(f"\nlive DR: skipped, not built: {', '.join(map(str, missing))}")
        return
    from ldm.live import LiveManager
    cfg = parse_config({"platform": "T5220", "domain": [
        {"name": "primary", "vcpus": 4, "memory": "1G"},
        {"name": "ldg1", "vcpus": 4, "memory": "1G", "workload": "int", "threads": 8,
         "iterations": 100_000_000}]})
    lm = LiveManager(cfg)
    if not lm.wait_ready("40ms"):
        print("\nlive DR: the manager's channels did not come up")
        return
    print("\nlive vCPU DR (T5220, ldg1 loaded; command to guest acknowledgement, best "
          "of 3):")
    print(f"{'command':<24}{'host s':>8}{'cpu s':>8}{'simulated ms':>14}")
    for line in ("add-vcpu 4 ldg1", "remove-vcpu 4 ldg1"):
        best = None
        for _ in range(3):
            if line.startswith("remove"):
                lm.execute("add-vcpu 4 ldg1".split())
            t, c, s0 = time.perf_counter(), time.process_time(), lm.time
            r = lm.execute(line.split())
            host, cpu = time.perf_counter() - t, time.process_time() - c
            sim = (lm.time - s0) * 1e3
            if r.status:
                print(f"{line:<24}failed: {' '.join(r.err)}")
                return
            if line.startswith("add"):
                lm.execute("remove-vcpu 4 ldg1".split())
            if best is None or host < best[0]:
                best = (host, cpu, sim)
        print(f"{line:<24}{best[0]:>8.3f}{best[1]:>8.3f}{best[2]:>14.3f}")


def add_arguments(ap):
    ap.add_argument("--progs", default=str(ROOT / "build" / "progs"),
                    help="directory of built test programs (default: build/progs)")
    ap.add_argument("--bench-dir", default=str(ROOT / "build" / "bench"),
                    help="directory of the built tests/bench programs for the cycle-mode "
                    "figures and the MMU-on comparison (default: build/bench)")
    ap.add_argument("--bm-dir", default=str(ROOT / "build" / "baremetal"),
                    help="directory of the built tests/baremetal programs for the "
                    "full-system figures (default: build/baremetal)")
    ap.add_argument("--no-cycle", action="store_true", help="functional mode only")
    ap.add_argument("programs", nargs="*", help="program names (default: the fixed set)")


def bench(args):
    d = Path(args.progs)
    names = args.programs or PROGRAMS
    paths = [d / n for n in names]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"sun4v: bench programs not built: {', '.join(missing)} (run make progs)",
              file=sys.stderr)
        return 2
    t = time.perf_counter()
    run_functional(paths[0])            # loads (or compiles) the engine
    warm = time.perf_counter() - t
    print(f"engine load (first run, includes numba cache load or compile): {warm:.2f} s")
    print(f"{'program':<18}{'instructions':>14}{'sun4v s':>10}{'MIPS':>9}"
          f"{'qemu s':>9}{'qemu MIPS':>11}{'slowdown':>10}")
    mips = []
    for p in paths:
        n, s = run_functional(p)
        q = run_qemu(p)
        m = n / s / 1e6
        mips.append(m)
        qs = f"{q:9.3f}{n / q / 1e6:11.1f}{s / q:9.1f}x" if q else f"{'-':>9}{'-':>11}{'-':>10}"
        print(f"{p.name:<18}{n:>14,}{s:>10.3f}{m:>9.1f}{qs}")
    print(f"median functional-mode speed: {statistics.median(mips):.1f} MIPS")
    print(f"startup of `sun4v run {paths[0].name}` (cache warm): "
          f"{startup_seconds(d / 'args.O2' if (d / 'args.O2').exists() else paths[0]):.2f} s")
    full_system_bench(Path(args.bm_dir))
    mmu_bench(Path(args.bench_dir), Path(args.bm_dir))
    boot_bench(["functional"] if args.no_cycle else ["functional", "cycle"])
    ldm_dr_bench()
    if not args.no_cycle:
        full_system_cycle_bench(Path(args.bm_dir))
        cycle_bench(Path(args.bench_dir))
    return 0


register("bench", "engine speed report (simulated MIPS; qemu-sparc64 alongside)",
         add_arguments, bench)
