"""`sun4v validate`: the cycle-level model measured by its own microbenchmarks (tests/bench,
built into build/bench) against the configured chip parameters (sun4v/cmt/chips.py) and the
published figures of reference/cmt_microarch.md §2 (Spec §1.3.4, McNiagara, T2000 STREAM,
RWTH's T5x20 bandwidth curve).

Every figure is measured by software on the model, as on the real machine: pointer-chase
latencies and kernel times come from `rd %tick` inside the program, per-core IPC from
`--stats`.  A figure with a tolerance is a check; one without is shown for information.

Each figure says what its reference is (BASIS column):
  config      the model's own configured parameter (latencies, pipes, strands per core):
              the check shows the model does what it is configured to do, nothing more;
  calibrated  a published measurement the model's parameters were fitted to (the T2000
              STREAM figures: T1 FPU and DRAM occupancy; McNiagara's 176-cycle T2 memory
              latency: T2 dram_latency): agreement is by construction;
  held out    a published measurement no parameter was fitted to (RWTH's T2 bandwidth
              curve): the only kind of check that tests the model's predictions.
Held-out figures are not to be used for tuning: a held-out check that fails is reported
as a failure."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .cli import register
from .cmt import chips

ROOT = Path(__file__).resolve().parent.parent
BENCH_SRC = ROOT / "tests" / "bench"
BENCH_DIR = ROOT / "build" / "bench"
BENCHMARKS = ("lat_chase", "mem_bound", "stream", "int_loop", "branchy", "muldiv",
              "fp_heavy", "rmw")
CC = "sparc64-linux-gnu-gcc"
CFLAGS = ("-static", "-O2", "-pthread")

# ---- acceptance: published figures and tolerances -----------------------------------
LATENCY_TOLERANCE = 0.10        # issue 3 §4: software-measured latency within 10%
# Latency hiding: a memory-bound kernel on one core speeds up near-linearly from 1 strand
# to all strands of the core; "near" = at least 3 of 4 (T1), 6 of 8 (T2).
HIDING_MIN_FRACTION = 0.75
HIDING_MAX_FRACTION = 1.10      # more than linear would mean the chase hit a cache
# Compute-bound: core IPC saturates at one instruction per cycle per integer pipe (T1: 1
# pipe, T2: 2, one per thread group), and all strands busy should come close to it.
IPC_MIN_FRACTION = 0.80
# T2000 STREAM (MB/s, 1 thread -> 32 threads, 1.2 GHz T1; rsaxvc.net 2014, reference §2).
T2000_STREAM = {"copy": (430, 3493), "scale": (261, 1559), "add": (283, 2133),
                "triad": (221, 1177)}
# The model's 1->32 thread speed-up of each kernel must lie within +-30% of the T2000's.
# Why 30%: the T2000 figures are one run of one STREAM build (array size, compiler and
# Solaris thread placement unknown), STREAM speed-ups on one machine move by 10-20% with
# the array size and placement alone, and ours are one pass over 2 MB arrays (the
# instruction budget of a cycle-level run) rather than STREAM's best of 10 over arrays
# of 4x the cache.  30% still separates the kernels the T2000 separates: copy (8.1x:
# 5.7-10.5) from triad (5.3x: 3.7-6.9, capped by the single shared FPU).
STREAM_TOLERANCE = 0.30
# T2 memory latency measured by McNiagara's microbenchmark: the whole load-to-use time.
# Calibrated: chips.py sets the T2's dram_latency to this figure minus the L2 latency.
T2_PUBLISHED_MEMORY = 176

# ---- held out: RWTH Aachen, "Taking a look at the memory performance" (reference §2) ----
# A pre-production T5x20 (UltraSPARC T2, 1.4 GHz), the kernel `*x ^= mask` over private
# arrays larger than the caches (tests/bench/rmw.c), GB/s by thread count: 1 thread 1.237,
# best 15.584 at 16 threads, "falls off slightly when running up to 64 threads".  No
# parameter of the model was fitted to these: the T2's DRAM channel occupancy comes from
# the FB-DIMM channel rate (10.6 GB/s per MCU), its latency from McNiagara.
RWTH_T5X20_GBPS = {1: 1.237, 16: 15.584}
# Tolerance, fixed before the model was run on this kernel: +-30% of each published figure
# and of the 1->16 thread speed-up (12.6x).  Why 30%: one measurement of one beta machine
# (DIMM population, Solaris thread binding and the OS unknown), and the page does not say
# how bytes are counted (rmw.c counts 16 per word, the read and the write-back; counting 8
# would halve the published figures in rmw.c's units).  The speed-up does not depend on
# the counting.
RWTH_TOLERANCE = 0.30
# "Falls off slightly" from 16 to 64 threads: the 64-thread bandwidth within 0.75-1.02 of
# the 16-thread one (flat within 2% allowed, a fall of more than a quarter is not slight).
RWTH_64_OVER_16 = (0.75, 1.02)
RMW_ELEMENTS = 1 << 20       # 8 MB in all: twice the T2's L2, as the footprint must exceed it

KERNELS = ("copy", "scale", "add", "triad")


class ValidateError(Exception):
    """A benchmark could not be built or run."""


@dataclass(frozen=True)
class Run:
    """One `sun4v run --mode cycle` of a microbenchmark."""
    prog: str
    args: tuple
    strands: int

    @property
    def label(self):
        return " ".join((self.prog,) + self.args) + f" [--strands {self.strands}]"


@dataclass
class Result:
    records: list = field(default_factory=list)     # parsed `NAME key=value ...` lines
    stats: dict = field(default_factory=dict)
    stdout: str = ""
    error: str = None

    def record(self, name, **match):
        for r in self.records:
            if r["_name"] == name and all(r.get(k) == str(v) for k, v in match.items()):
                return r
        raise ValidateError(f"no `{name}` line with {match} in the output")


BASES = ("config", "calibrated", "held out")


@dataclass
class Figure:
    key: str
    name: str
    model: float = None
    reference: float = None
    source: str = ""
    tolerance: str = "info"        # how the check reads, or "info"
    check: object = None           # fn(model, reference) -> bool; None for information
    note: str = ""
    basis: str = "config"          # what the reference is: one of BASES

    def __post_init__(self):
        if self.basis not in BASES:
            raise ValueError(f"figure {self.key}: basis {self.basis!r} is not one of {BASES}")

    @property
    def ratio(self):
        if self.model is None or not self.reference:
            return None
        return self.model / self.reference

    @property
    def checked(self):
        return self.check is not None

    @property
    def passed(self):
        if not self.checked:
            return True
        return self.model is not None and bool(self.check(self.model, self.reference))

    @property
    def result(self):
        if not self.checked:
            return "info"
        return "ok" if self.passed else "FAIL"


# ---- running the benchmarks -----------------------------------------------------------
def cycle_mode_available():
    """(True, "") when `sun4v run` accepts `--mode cycle` and `--strands`, else
    (False, why)."""
    from . import cli
    cli._load_plugins()
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    run = sub.choices.get("run")
    if run is None:
        return False, "`sun4v run` is not registered"
    opts = {o: a for a in run._actions for o in a.option_strings}
    mode = opts.get("--mode")
    if mode is None or (mode.choices is not None and "cycle" not in mode.choices):
        return False, "`sun4v run --mode cycle` is not accepted by the CLI yet"
    if "--strands" not in opts:
        return False, "`sun4v run --strands` is not accepted by the CLI yet"
    return True, ""


def bench_path(name):
    return BENCH_DIR / name


def ensure_built(names=BENCHMARKS):
    """Build missing or stale benchmarks with the cross compiler (the Makefile rule does
    the same: `sparc64-linux-gnu-gcc -static -O2 -pthread -o build/bench/X
    tests/bench/X.c`)."""
    cc = shutil.which(CC)
    header = BENCH_SRC / "bench.h"
    for name in names:
        src, out = BENCH_SRC / f"{name}.c", bench_path(name)
        if not src.exists():
            if out.exists():
                continue
            raise ValidateError(f"{out} is missing and so is its source {src}")
        newest = max(src.stat().st_mtime, header.stat().st_mtime if header.exists() else 0)
        if out.exists() and out.stat().st_mtime >= newest:
            continue
        if cc is None:
            if out.exists():
                continue
            raise ValidateError(f"{out} is not built and {CC} is not installed")
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=out.parent)
        os.close(fd)
        p = subprocess.run([cc, *CFLAGS, "-o", tmp, str(src)], capture_output=True,
                           text=True)
        if p.returncode:
            os.unlink(tmp)
            line = (p.stderr.strip().splitlines() or ["?"])[0]
            raise ValidateError(f"building {name} failed: {line}")
        os.replace(tmp, out)


def parse_records(text):
    """`NAME key=value key=value` lines of the benchmarks' output."""
    records = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 2 or "=" in words[0]:
            continue
        r = {"_name": words[0]}
        for w in words[1:]:
            k, sep, v = w.partition("=")
            if sep:
                r[k] = v
        records.append(r)
    return records


def run_command(run, chip, stats_path):
    return [sys.executable, "-m", "sun4v", "run", "--mode", "cycle", "--chip", chip,
            "--strands", str(run.strands), "--stats", str(stats_path),
            str(bench_path(run.prog)), *run.args]


def run_bench(run, chip, workdir, timeout=1800):
    """Run one benchmark on the model; errors are kept in the Result, never raised."""
    stats_path = Path(workdir) / (f"{chip}-{run.prog}-" + "-".join(run.args) +
                                  f"-s{run.strands}.json")
    res = Result()
    try:
        p = subprocess.run(run_command(run, chip, stats_path), capture_output=True,
                           text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        res.error = f"{run.label}: no result after {timeout} s"
        return res
    res.stdout = p.stdout
    res.records = parse_records(p.stdout)
    if p.returncode:
        last = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
        res.error = f"{run.label}: {last}"
        return res
    try:
        res.stats = json.loads(stats_path.read_text())
    except (OSError, ValueError) as e:
        res.error = f"{run.label}: no stats ({e})"
    return res


# ---- what to run and what to compute ------------------------------------------------
def _spc(chip):
    return chips.chip(chip)["strands_per_core"]


def plan(chip, quick):
    """name -> Run for every benchmark run a validation of `chip` needs."""
    c = chips.chip(chip)
    spc = _spc(chip)
    lat_loads = "5000" if quick else "20000"
    mem_loads = "2000" if quick else "4000"
    runs = {
        # L1D: 4 KB (half the 8 KB L1D), one element per 16 B line, one warm-up pass
        "lat_l1": Run("lat_chase", ("4096", "16", lat_loads, "1"), 1),
        # L2: 256 KB, 32 x the L1D, 32 pages (within every D-TLB), one per 64 B L2 line
        "lat_l2": Run("lat_chase", ("262144", "64", lat_loads, "1"), 1),
        # memory: 8 MB (2-2.7 x the L2), chase from the least recently written line
        "lat_mem": Run("lat_chase", ("8388608", "64", mem_loads, "0"), 1),
        "mem_1": Run("mem_bound", ("1", mem_loads), 1),
        f"mem_{spc}": Run("mem_bound", (str(spc), mem_loads), spc),
        f"int_{spc}": Run("int_loop", (str(spc), "50000"), spc),
    }
    if chip == "t1":
        elems = str(1 << 18) if quick else str(1 << 19)
        mhz = str(c["clock_mhz"])
        total = chips.total_strands(chip)
        runs["stream_1"] = Run("stream", ("1", elems, mhz), 1)
        runs[f"stream_{total}"] = Run("stream", (str(total), elems, mhz), total)
    if chip == "t2":
        mhz = str(c["clock_mhz"])
        for t in (1, 16, 64):
            runs[f"rmw_{t}"] = Run("rmw", (str(t), str(RMW_ELEMENTS), mhz), t)
    if not quick:
        runs["int_1"] = Run("int_loop", ("1", "50000"), 1)
        runs["muldiv_1"] = Run("muldiv", ("1", "10000"), 1)
        runs["fp_1"] = Run("fp_heavy", ("1", "2000"), 1)
        runs["branchy_1"] = Run("branchy", ("1", "20"), 1)
    return runs


HELD_OUT_RUNS = {"t1": (), "t2": ("rmw_1", "rmw_16", "rmw_64")}


def execute(runs, chip, jobs=None, workdir=None):
    """Run every benchmark (in parallel, `jobs` at a time): name -> Result."""
    ensure_built(sorted({r.prog for r in runs.values()}))
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="sun4v-validate-") as tmp:
        wd = workdir or tmp
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futs = {name: pool.submit(run_bench, r, chip, wd) for name, r in runs.items()}
            return {name: f.result() for name, f in futs.items()}


def _within(tol):
    return lambda m, r: abs(m / r - 1) <= tol


def _core_ipc(stats):
    """IPC of the core that ran the program's threads, and the set of cores used."""
    used = sorted({s["core"] for s in stats.get("strands", []) if s.get("instructions")})
    cores = {c["id"]: c for c in stats.get("cores", [])}
    if len(used) != 1 or used[0] not in cores:
        return None, used
    return float(cores[used[0]]["ipc"]), used


def figures(chip, results, quick):
    """The validation table of `chip` from the benchmark results."""
    c = chips.chip(chip)
    spc, groups = _spc(chip), c["groups_per_core"]
    lat = _within(LATENCY_TOLERANCE)
    tol = f"±{LATENCY_TOLERANCE:.0%}"
    out = []

    def add(fig, compute, needs=()):
        """Compute fig.model; a figure whose runs are not in `results` is left out."""
        if any(r not in results for r in needs):
            return
        name = compute.__name__
        try:
            fig.model = compute()
        except ValidateError as e:
            fig.note = str(e)
        except (KeyError, ValueError, ZeroDivisionError, TypeError) as e:
            fig.note = f"{name}: unexpected output ({e!r})"
        out.append(fig)

    def rec(run, name, **match):
        res = results[run]
        if res.error:
            raise ValidateError(res.error)
        return res.record(name, **match)

    def chase(run):
        def cycles_per_load():
            return float(rec(run, "lat_chase")["cycles_per_load"])
        return cycles_per_load

    add(Figure("l1_latency", "L1D hit latency, pointer chase (cycles)", None,
               c["load_use"], "load_use", tol, lat), chase("lat_l1"), ["lat_l1"])
    add(Figure("l2_latency", "L2 hit latency, pointer chase (cycles)", None,
               c["l2_latency"], "l2_latency", tol, lat), chase("lat_l2"), ["lat_l2"])
    add(Figure("mem_latency", "memory latency, pointer chase (cycles)", None,
               c["l2_latency"] + c["dram_latency"], "l2_latency+dram_latency", tol, lat),
        chase("lat_mem"), ["lat_mem"])
    if chip == "t2" and "lat_mem" in results:
        out.append(Figure("mem_latency_published", "memory latency vs McNiagara",
                          out[-1].model, T2_PUBLISHED_MEMORY, "published (McNiagara)",
                          note=out[-1].note, basis="calibrated"))

    def speedup():
        one = float(rec("mem_1", "mem_bound")["loads_per_kcycle"])
        res = results[f"mem_{spc}"]
        r = rec(f"mem_{spc}", "mem_bound")
        _, used = _core_ipc(res.stats)
        if len(used) != 1:
            raise ValidateError(f"the {spc} threads ran on cores {used}, not one core")
        return float(r["loads_per_kcycle"]) / one
    add(Figure("latency_hiding", f"memory-bound speed-up, 1->{spc} strands on one core",
               None, spc, "strands per core", f"{HIDING_MIN_FRACTION:.2f}-"
               f"{HIDING_MAX_FRACTION:.2f}x ref",
               lambda m, r: HIDING_MIN_FRACTION * r <= m <= HIDING_MAX_FRACTION * r),
        speedup, ["mem_1", f"mem_{spc}"])

    def core_ipc(run):
        def ipc():
            res = results[run]
            if res.error:
                raise ValidateError(res.error)
            v, used = _core_ipc(res.stats)
            if v is None:
                raise ValidateError(f"threads ran on cores {used}, not one core")
            return v
        return ipc
    add(Figure("core_ipc", f"compute-bound core IPC, {spc} strands", None, groups,
               "integer pipes per core", f"{IPC_MIN_FRACTION:.1f}-1.0x ref",
               lambda m, r: IPC_MIN_FRACTION * r <= m <= r + 1e-9), core_ipc(f"int_{spc}"),
        [f"int_{spc}"])
    if not quick:
        add(Figure("core_ipc_1", "compute-bound core IPC, 1 strand", None, groups,
                   "integer pipes per core"), core_ipc("int_1"), ["int_1"])

    if chip == "t1":
        total = chips.total_strands(chip)

        def mbps(threads, kernel):
            return float(rec(f"stream_{threads}", "stream", kernel=kernel)["MBps"])

        for k in KERNELS:
            one, many = T2000_STREAM[k]

            def scaling(k=k):
                return mbps(total, k) / mbps(1, k)
            add(Figure(f"stream_{k}", f"STREAM {k} speed-up, 1->{total} threads", None,
                       many / one, "T2000", f"±{STREAM_TOLERANCE:.0%}",
                       _within(STREAM_TOLERANCE), basis="calibrated"), scaling,
                ["stream_1", f"stream_{total}"])
        for k in KERNELS:
            for threads, ref in zip((1, total), T2000_STREAM[k]):
                add(Figure(f"stream_{k}_{threads}", f"STREAM {k}, {threads} thread"
                           f"{'s' if threads > 1 else ''} (MB/s)", None, ref, "T2000",
                           basis="calibrated"),
                    lambda k=k, threads=threads: mbps(threads, k), [f"stream_{threads}"])

    if chip == "t2":
        def gbps(threads):
            return float(rec(f"rmw_{threads}", "rmw")["GBps"])

        rwth = "RWTH T5x20 (1.4 GHz)"
        for t, ref in RWTH_T5X20_GBPS.items():
            add(Figure(f"rmw_bw_{t}", f"RMW bandwidth *x^=mask, {t} thread"
                       f"{'s' if t > 1 else ''} (GB/s)", None, ref, rwth,
                       f"±{RWTH_TOLERANCE:.0%}", _within(RWTH_TOLERANCE), basis="held out"),
                lambda t=t: gbps(t), [f"rmw_{t}"])
        add(Figure("rmw_speedup", "RMW bandwidth speed-up, 1->16 threads", None,
                   RWTH_T5X20_GBPS[16] / RWTH_T5X20_GBPS[1], rwth, f"±{RWTH_TOLERANCE:.0%}",
                   _within(RWTH_TOLERANCE), basis="held out"),
            lambda: gbps(16) / gbps(1), ["rmw_1", "rmw_16"])
        lo, hi = RWTH_64_OVER_16
        add(Figure("rmw_64_over_16", "RMW bandwidth 64 / 16 threads (falls slightly)",
                   None, 1.0, rwth, f"{lo:.2f}-{hi:.2f}x ref",
                   lambda m, r: lo * r <= m <= hi * r, basis="held out"),
            lambda: gbps(64) / gbps(16), ["rmw_16", "rmw_64"])

    if not quick:
        fpu = c["fpu_xbar_latency"] if c["fpu_per_chip"] else 0
        xbar = "+fpu_xbar_latency" if fpu else ""
        md = lambda key: lambda: float(rec("muldiv_1", "muldiv")[key])   # noqa: E731
        add(Figure("mul_latency", "dependent mulx (cycles)", None, c["mul_latency"],
                   "mul_latency"), md("cycles_per_mul"), ["muldiv_1"])
        add(Figure("div_latency", "dependent udivx + 3 ALU ops (cycles)", None,
                   c["div_latency"], "div_latency"), md("cycles_per_div"), ["muldiv_1"])
        for op, key in (("fadd", "fadd_latency"), ("fmul", "fmul_latency"),
                        ("fdiv", "fdivd_latency")):
            add(Figure(f"{op}_latency", f"dependent {op}d (cycles)", None, c[key] + fpu,
                       key + xbar, basis="calibrated" if fpu else "config"),
                lambda op=op: float(rec("fp_1", "fp_heavy", op=op)["cycles_per_op"]),
                ["fp_1"])
        add(Figure("branchy", "data-dependent branches (cycles per element)", None,
                   None, "-"),
            lambda: float(rec("branchy_1", "branchy")["cycles_per_element"]), ["branchy_1"])
    return out


def collect(chip="t1", quick=True, jobs=None, only=None):
    """Run the validation of `chip`: (figures, results).  only: the names of the runs of
    plan() to make (default all); figures whose runs were not made are left out."""
    chips.chip(chip)
    runs = plan(chip, quick)
    if only is not None:
        unknown = sorted(set(only) - set(runs))
        if unknown:
            raise ValidateError(f"no run {', '.join(unknown)} in the {chip} plan")
        runs = {k: v for k, v in runs.items() if k in only}
    results = execute(runs, chip, jobs)
    return figures(chip, results, quick), results


# ---- the command --------------------------------------------------------------------
def _fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.2f}" if v != int(v) or abs(v) < 10 else f"{v:.0f}"


def print_table(chip, figs, file=sys.stdout):
    c = chips.chip(chip)
    print(f"{c['name']} ({chip}), {c['clock_mhz']} MHz: the model measured by "
          f"tests/bench on `sun4v run --mode cycle`", file=file)
    print(f"{'FIGURE':<48}{'MODEL':>10}{'REFERENCE':>11}  {'SOURCE':<31}{'BASIS':<12}"
          f"{'RATIO':>6}  {'TOLERANCE':<16}RESULT", file=file)
    for f in figs:
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else "-"
        print(f"{f.name:<48}{_fmt(f.model):>10}{_fmt(f.reference):>11}  {f.source:<31}"
              f"{f.basis:<12}{ratio:>6}  {f.tolerance:<16}{f.result}", file=file)
    for f in figs:
        if f.note:
            print(f"  {f.key}: {f.note}", file=file)


def add_arguments(ap):
    ap.add_argument("--chip", choices=["t1", "t2"], default="t1",
                    help="chip to validate (default t1: the T2000 figures are the T1's)")
    ap.add_argument("--quick", action="store_true",
                    help="the checks only, with shorter runs (what the tests run)")
    ap.add_argument("--jobs", type=int, default=None, metavar="N",
                    help="benchmark runs at a time (default: the host's CPUs)")


def validate(args):
    from .cli import UsageError
    if args.jobs is not None and args.jobs <= 0:
        raise UsageError("--jobs must be a positive number")
    ok, why = cycle_mode_available()
    if not ok:
        print(f"sun4v: cannot validate: {why}", file=sys.stderr)
        return 1
    try:
        figs, _ = collect(args.chip, args.quick, args.jobs)
    except ValidateError as e:
        print(f"sun4v: {e}", file=sys.stderr)
        return 1
    print_table(args.chip, figs)
    checks = [f for f in figs if f.checked]
    failed = [f.key for f in checks if not f.passed]
    held = [f for f in checks if f.basis == "held out"]
    held_ok = sum(1 for f in held if f.passed)
    print(f"{len(checks) - len(failed)} of {len(checks)} checks passed"
          + (f" ({held_ok} of {len(held)} held out)" if held else " (none held out)")
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


register("validate", "the cycle-level model against published and configured figures "
         "(runs tests/bench microbenchmarks)", add_arguments, validate)
