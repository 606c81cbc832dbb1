"""`sun4v validate` (issue 3 §4): the cycle-level model measured by the tests/bench
microbenchmarks, quick variant on the T1: pointer-chase latencies equal the configured
L1/L2/memory latencies within 10%, latency hiding on one core, the compute-bound IPC
ceiling, STREAM scaling as on a T2000, and determinism.

Most of these compare the model with its own configuration ("config") or with figures
its parameters were fitted to ("calibrated": the T2000 STREAM runs); they show the model
is consistent, not that it predicts.  The held-out checks (RWTH's T2 bandwidth curve,
fitted by nothing) are the predictions; the ones the model gets wrong are known
failures, xfail(strict=True) with the numbers, so that a change that fixes one (or
breaks the one that passes) shows."""
import subprocess
import sys

import pytest

from sun4v import validate as V

import setup_tools



@pytest.fixture(scope="module")
def t1():
    """The quick validation of the T1, run once: key -> Figure."""
    figs, _ = V.collect("t1", quick=True, jobs=2)
    table = {f.key: f for f in figs}
    V.print_table("t1", figs)          # shown with -s, and in the report of a failure
    return table


def _why(f):
    return (f"{f.name}: model {f.model}, reference {f.reference} ({f.source})"
            + (f"; {f.note}" if f.note else ""))




@pytest.mark.parametrize("key", ["l1_latency", "l2_latency", "mem_latency"])
def test_pointer_chase_latency_is_the_configured_one(t1, key):
    f = t1[key]
    assert f.model is not None, _why(f)
    assert abs(f.model / f.reference - 1) <= 0.10, _why(f)


def test_memory_bound_kernel_scales_near_linearly_on_one_core(t1):
    f = t1["latency_hiding"]
    assert f.model is not None, _why(f)
    assert f.model >= 3.0, _why(f)            # 1 -> 4 strands of one T1 core
    assert f.model <= 4.4, _why(f)            # more than linear: the chase hit a cache


def test_compute_bound_core_ipc_saturates_at_one(t1):
    f = t1["core_ipc"]
    assert f.model is not None, _why(f)
    assert 0.8 <= f.model <= 1.0, _why(f)


@pytest.mark.parametrize("kernel", ["copy", "triad"])
def test_stream_scaling_as_on_a_t2000(t1, kernel):
    # Tolerance +-30% of the T2000's 1->32 thread speed-up (copy 8.1x, triad 5.3x); the
    # reasons are at V.STREAM_TOLERANCE: one published run of unknown array size and
    # thread placement against our single pass over 2 MB arrays.
    f = t1[f"stream_{kernel}"]
    assert f.model is not None, _why(f)
    one, many = V.T2000_STREAM[kernel]
    assert abs(f.model / (many / one) - 1) <= 0.30, _why(f)


def test_every_quick_check_passes(t1):
    assert [f.key for f in t1.values() if not f.passed] == []


def test_t1_figures_are_config_or_calibrated(t1):
    """The T1 has no held-out figure in reference/cmt_microarch.md: its STREAM rows are
    the T2000 figures the FPU and DRAM parameters were fitted to."""
    assert {f.basis for f in t1.values()} == {"config", "calibrated"}
    assert all(t1[k].basis == "calibrated" for k in t1 if k.startswith("stream_"))


# ---- held out: the T2's bandwidth curve (RWTH, reference/cmt_microarch.md §2) ----------
@pytest.fixture(scope="module")
def t2_held_out():
    """Only the T2 runs the held-out figures need (tests/bench/rmw.c at 1, 16 and 64
    threads): key -> Figure."""
    figs, _ = V.collect("t2", quick=True, jobs=2, only=V.HELD_OUT_RUNS["t2"])
    V.print_table("t2", figs)
    return {f.key: f for f in figs}


# What the model gives (measured when these checks were added, tolerances fixed before):
HELD_OUT = [
    pytest.param("rmw_bw_1", marks=pytest.mark.xfail(strict=True, reason=(
        "known failure: one strand streams 0.53 GB/s on the model, RWTH measured 1.24 "
        "(0.42x): the model's strand waits out each L2 miss (~340 cycles per 64 B line "
        "with the write-back) where the T2 overlapped them"))),
    pytest.param("rmw_bw_16", marks=pytest.mark.xfail(strict=True, reason=(
        "known failure: 16 threads get 7.7 GB/s on the model, RWTH measured 15.6 (0.49x)"))),
    "rmw_speedup",                     # 1->16 threads: model 14.7x, RWTH 12.6x (1.16)
    pytest.param("rmw_64_over_16", marks=pytest.mark.xfail(strict=True, reason=(
        "known failure: the model's bandwidth keeps rising to 30 GB/s at 64 threads "
        "(3.9x the 16-thread figure; no FB-DIMM/MCU limit below the channel rate), the "
        "T2's falls slightly after its peak at 16"))),
]


@pytest.mark.parametrize("key", HELD_OUT)
def test_held_out_t2_bandwidth(t2_held_out, key):
    f = t2_held_out[key]
    assert f.basis == "held out" and f.checked
    assert f.model is not None, _why(f)
    assert f.passed, _why(f)


def test_held_out_keys_are_the_table_rows(t2_held_out):
    keys = [p if isinstance(p, str) else p.values[0] for p in HELD_OUT]
    assert sorted(keys) == sorted(k for k, f in t2_held_out.items() if f.basis == "held out")


HOST_TIME_KEYS = {"wall_seconds", "mips", "host_seconds", "seconds", "engine_startup_seconds"}


def _simulated(stats):
    """The stats without what depends on the host's speed."""
    if isinstance(stats, dict):
        return {k: _simulated(v) for k, v in stats.items()
                if k not in HOST_TIME_KEYS and "wall" not in k}
    if isinstance(stats, list):
        return [_simulated(v) for v in stats]
    return stats


def test_same_run_twice_gives_identical_stats(tmp_path):
    V.ensure_built(["mem_bound"])
    run = V.Run("mem_bound", ("2", "1000", str(1 << 20)), 2)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = V.run_bench(run, "t1", tmp_path / "a")
    second = V.run_bench(run, "t1", tmp_path / "b")
    assert first.error is None, first.error
    assert second.error is None, second.error
    assert first.stdout == second.stdout
    assert first.stats["cycles"] > 0
    assert _simulated(first.stats) == _simulated(second.stats)


# ---- without the model: the command's bad input and the benchmarks themselves ----------
def test_unknown_chip_is_one_line_and_status_2():
    p = subprocess.run([sys.executable, "-m", "sun4v", "validate", "--chip", "t9"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1
    assert "t9" in p.stderr and "Traceback" not in p.stderr


QEMU_RUNS = [
    ("lat_chase", ["4096", "16", "1000", "1"], "lat_chase", "size=4096"),
    ("lat_chase", ["8388608", "64", "200", "0"], "lat_chase", "loads=200"),
    ("mem_bound", ["4", "200"], "mem_bound", "threads=4"),
    ("stream", ["4", str(1 << 14)], "stream", "check=ok"),
    ("int_loop", ["4", "1000"], "int_loop", "threads=4"),
    ("branchy", ["2", "2"], "branchy", "elements=8192"),
    ("muldiv", ["2", "100"], "muldiv", "divs=10"),
    ("fp_heavy", ["2", "100"], "fp_heavy", "op=fdiv"),
    ("rmw", ["4", "65536"], "rmw", "check=ok"),
]


@pytest.mark.parametrize("prog,args,name,expect", QEMU_RUNS,
                         ids=[f"{p}-{a[0]}" for p, a, _, _ in QEMU_RUNS])
def test_benchmark_runs_under_qemu(prog, args, name, expect):
    """The programs are right before they are timed: built by the same rule, they run
    under qemu-sparc64 and print the lines validate parses (twice the same output apart
    from the host's tick counts)."""
    setup_tools.require_tools(setup_tools.QEMU, V.CC)
    V.ensure_built([prog])
    outs = []
    for _ in range(2):
        p = subprocess.run(["qemu-sparc64", str(V.bench_path(prog)), *args],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        assert expect in p.stdout
        recs = V.parse_records(p.stdout)
        assert recs and all(r["_name"] == name for r in recs)
        outs.append([{k: v for k, v in r.items() if "cycle" not in k.lower()
                      and k not in ("MBps", "GBps", "loads_per_kcycle")} for r in recs])
    assert outs[0] == outs[1]


def test_bad_benchmark_arguments_are_refused():
    setup_tools.require_tools(setup_tools.QEMU, V.CC)
    V.ensure_built(["lat_chase"])
    p = subprocess.run(["qemu-sparc64", str(V.bench_path("lat_chase")), "1000", "16"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "powers of two" in p.stderr


def test_stats_of_a_run_are_read_into_the_table(tmp_path):
    """figures() from results shaped as the model writes them (no model needed)."""
    res = {
        "lat_l1": "lat_chase cycles_per_load=3.05",
        "lat_l2": "lat_chase cycles_per_load=24.1",
        "lat_mem": "lat_chase cycles_per_load=140.0",
        "mem_1": "mem_bound loads_per_kcycle=7.0",
        "mem_4": "mem_bound loads_per_kcycle=26.0",
        "int_4": "int_loop cycles=1",
        "stream_1": "\n".join(f"stream kernel={k} MBps={a}"
                              for k, (a, b) in V.T2000_STREAM.items()),
        "stream_32": "\n".join(f"stream kernel={k} MBps={b}"
                               for k, (a, b) in V.T2000_STREAM.items()),
    }
    stats = {"strands": [{"id": i, "core": 0, "instructions": 10} for i in range(4)],
             "cores": [{"id": 0, "instructions": 40, "ipc": 0.95}]}
    results = {k: V.Result(records=V.parse_records(v), stats=stats, stdout=v)
               for k, v in res.items()}
    figs = {f.key: f for f in V.figures("t1", results, quick=True)}
    assert all(f.passed for f in figs.values()), [f.key for f in figs.values()
                                                  if not f.passed]
    assert figs["l2_latency"].ratio == pytest.approx(24.1 / 23)
    assert figs["stream_copy"].ratio == pytest.approx(1.0)
    results["lat_l2"] = V.Result(error="lat_chase ...: model crashed")
    stats_spread = dict(stats, strands=[{"id": i, "core": i, "instructions": 10}
                                        for i in range(4)])
    results["int_4"] = V.Result(records=[], stats=stats_spread)
    figs = {f.key: f for f in V.figures("t1", results, quick=True)}
    assert not figs["l2_latency"].passed and "crashed" in figs["l2_latency"].note
    assert not figs["core_ipc"].passed and "cores" in figs["core_ipc"].note


def test_t2_held_out_figures_from_results():
    """figures() on rmw results shaped as the benchmark prints them: each figure, its
    basis, and the checks at and just outside their tolerances."""
    def result(gbps):
        return V.Result(records=V.parse_records(f"rmw threads=1 GBps={gbps}\nrmw check=ok"))

    def table(b1, b16, b64):
        return {f.key: f for f in V.figures("t2", {"rmw_1": result(b1), "rmw_16": result(b16),
                                                   "rmw_64": result(b64)}, quick=True)}
    figs = table(1.237, 15.584, 14.0)
    assert set(figs) == {"rmw_bw_1", "rmw_bw_16", "rmw_speedup", "rmw_64_over_16"}
    assert all(f.basis == "held out" and f.passed for f in figs.values())
    assert figs["rmw_speedup"].model == pytest.approx(15.584 / 1.237)
    assert figs["rmw_64_over_16"].model == pytest.approx(14.0 / 15.584)
    figs = table(1.237 * 0.69, 15.584 * 1.31, 15.584 * 1.31 * 1.03)
    assert [k for k, f in figs.items() if not f.passed] == ["rmw_bw_1", "rmw_bw_16",
                                                            "rmw_speedup", "rmw_64_over_16"]
    figs = table(1.237 * 0.72, 15.584 * 0.72 * 1.29, 15.584 * 0.72 * 1.29 * 0.76)
    assert all(f.passed for f in figs.values()), {k: f.model for k, f in figs.items()}


def test_every_basis_is_marked():
    """Latencies against the configuration, STREAM and McNiagara as calibrated."""
    lat = "lat_chase cycles_per_load=3"
    results = {"lat_l1": lat, "lat_l2": lat, "lat_mem": lat}
    results = {k: V.Result(records=V.parse_records(v)) for k, v in results.items()}
    t2 = {f.key: f.basis for f in V.figures("t2", results, quick=True)}
    assert t2 == {"l1_latency": "config", "l2_latency": "config", "mem_latency": "config",
                  "mem_latency_published": "calibrated"}
    with pytest.raises(ValueError, match="basis 'tuned'"):
        V.Figure("x", "x", basis="tuned")
