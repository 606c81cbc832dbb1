"""Build an RTL unit's co-simulation toplevel and run sun4v.cosim.tb against it with
cocotb's Python runner (Icarus Verilog, or Verilator), then read what the testbench
found.

Everything goes into one work directory: the build (unless waves are recorded: then it
is build/cosim/<sim>/<name>/ in the repository, kept, and the waves file is there), the
configuration and result files, the build and simulation logs, and the two runs' captured
program output.  The simulator's own log never reaches the terminal; on a failure its
last lines are shown.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ..rtl.cocotb_run import (RTL_DIR, ROOT, _verilator_on_path, available,
                              waves_path)
from .wrapper import WRAPPER_TOP, write_thread_select_wrapper


class CosimFailed(Exception):
    """The simulation did not produce a result (message: what happened, log tail)."""


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def design(unit: str, build_dir: Path, cfg: dict) -> tuple[list[Path], str, dict]:
    """(sources, toplevel, parameters) of `unit`'s co-simulation; the unit's source is
    cfg["rtl"] (`--rtl FILE`), else rtl/<unit>.v."""
    source = Path(cfg.get("rtl") or RTL_DIR / f"{unit}.v")
    if unit == "thread_select":
        wrapper = write_thread_select_wrapper(build_dir, cfg["ngroups"], cfg["per_group"])
        return [source, wrapper], WRAPPER_TOP, {}
    return [source], "xbar_domain", dict(cfg["parameters"])


def run(cfg: dict, *, sim: str, waves: bool, work_dir: Path) -> dict:
    """Build, simulate, and return the testbench's result (plus build/run seconds, the
    waves path if recorded).  Raises CosimFailed when the simulation did not finish."""
    from cocotb_tools.runner import get_runner

    why = available(sim)
    if why:
        raise CosimFailed(f"{sim}: {why}")
    if sim == "verilator":
        _verilator_on_path()
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    unit = cfg["unit"]
    name = unit + ("_" + cfg["chip"] if unit == "thread_select" else "_" + cfg["platform"])
    build_dir = (ROOT / "build" / "cosim" / sim / name) if waves else (work_dir / f"build_{sim}")
    build_dir.mkdir(parents=True, exist_ok=True)
    out_dir = work_dir / "runs"
    out_dir.mkdir(exist_ok=True)
    cfg = dict(cfg, out_dir=str(out_dir), cwd=os.getcwd())
    cfg_path = work_dir / "cosim_config.json"
    cfg_path.write_text(json.dumps(cfg))
    result_path = work_dir / "cosim_result.json"
    if result_path.exists():
        result_path.unlink()
    sources, toplevel, params = design(unit, build_dir, cfg)

    runner = get_runner(sim)
    build_args = ["-Wno-fatal", "-Wno-WIDTH"] if sim == "verilator" else []
    build_log, sim_log = work_dir / "build.log", work_dir / "sim.log"
    t0 = time.perf_counter()
    try:
        runner.build(sources=sources, hdl_toplevel=toplevel, build_dir=build_dir,
                     parameters=params, build_args=build_args, waves=waves, always=True,
                     timescale=("1ns", "1ps"), log_file=build_log)
    except (RuntimeError, SystemExit) as e:
        raise CosimFailed(f"building the RTL with {sim} failed ({e}):\n"
                          f"{_log_tail(build_log)}") from None
    t1 = time.perf_counter()
    env = {"SUN4V_COSIM_CONFIG": str(cfg_path), "SUN4V_COSIM_RESULT": str(result_path),
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        runner.test(test_module="sun4v.cosim.tb", hdl_toplevel=toplevel,
                    build_dir=build_dir, test_dir=build_dir if waves else work_dir,
                    results_xml=str(work_dir / "results.xml"), waves=waves,
                    extra_env=env, parameters=params, timescale=("1ns", "1ps"),
                    log_file=sim_log)
    except (RuntimeError, SystemExit):
        pass                          # judged by the result file below
    t2 = time.perf_counter()
    if not result_path.exists():
        raise CosimFailed(f"the {sim} simulation ended without a result:\n{_log_tail(sim_log)}")
    res = json.loads(result_path.read_text())
    if "error" in res:
        raise CosimFailed(f"the co-simulation stopped: {res['error']}\n"
                          f"{res.get('traceback', '')}".rstrip())
    res.update(sim=sim, build_seconds=t1 - t0, run_seconds=t2 - t1,
               toplevel=toplevel, parameters=params, build_dir=str(build_dir))
    if waves:
        res["waves"] = str(waves_path(sim, toplevel, build_dir))
    return res
