"""Thread select in the loop: a SPARC program on the cycle-level CMT model with every
pick of every thread group decided by something outside the model.

The model (sun4v.cmt.cycle.CycleModel) asks its ``select_hook`` for the pick each time a
thread group has a Ready or SpecReady strand.  A *decider* answers:

- :class:`ModelDecider` returns the model's own LRU pick (the pure-model run; its trace
  is the reference), and
- the RTL decider of sun4v.cosim.tb drives rtl/thread_select.v under the simulator.

:func:`run_program` runs the program once with a decider and records the decision trace
(cycle, group, ready, spec, pick), the program's stdout/stderr and exit status, the
cycle count and the ``--stats`` data; :func:`compare` says whether two runs are identical
and where they first part.  Both runs of one co-simulation happen in the same process
(the simulator's), with the same environment, argv and empty stdin, so the only thing
that can differ is the decisions.
"""
from __future__ import annotations

import os
import time
from array import array

import numpy as np

from ..cmt import chips
from ..cmt import state as S
from ..se import loader
from ..se.process import WALL_FIELDS, Process

LIMIT_STATUS = "cycle limit"
RUNAWAY_SLACK = 100_000      # a diverged RTL run is stopped at 2 x model cycles + this


class CycleLimit(Exception):
    """The run reached --max-cycles."""


def groups_of(chip: str) -> tuple[int, int]:
    """(thread groups on the chip, strands per group)."""
    c = chips.chip(chip)
    per_group = c["strands_per_core"] // c["groups_per_core"]
    return chips.total_strands(chip) // per_group, per_group


class ModelDecider:
    """The pure model: every pick is the model's own."""
    name = "model"

    def decide(self, now, g, ready, spec, model_pick):
        return model_pick

    def finish(self):
        pass


def _limit_cycles(cm, limit):
    """Make CycleModel.run stop at cycle `limit` and raise CycleLimit there (the process
    loop would otherwise take the stop for an instruction budget and go on)."""
    run = cm.run

    def limited(max_insns=1 << 62, max_cycles=1 << 62):
        code = run(max_insns=max_insns, max_cycles=min(max_cycles, limit))
        if code == S.EXIT_BUDGET and cm.now >= limit:
            raise CycleLimit()
        return code
    cm.run = limited


def run_program(cfg: dict, decider, out_dir: str) -> dict:
    """Run cfg's program in cycle mode with `decider` making every thread-select pick
    (None: no select_hook at all, the plain model, whose trace stays empty).

    cfg: path, argv0, args, chip, strands, envp (list of str, latin-1), max_cycles.
    Returns the run's record (trace as a flat int64 array of 5-tuples)."""
    hwcap = loader.CHIP_HWCAP.get(cfg["chip"], loader.CHIP_HWCAP["t2"])
    envp = [e.encode("latin-1") for e in cfg["envp"]]
    proc = Process(cfg["path"], cfg["args"], chip=cfg["chip"], mode="cycle",
                   strands=cfg.get("strands"), hwcap=hwcap, envp=envp, argv0=cfg["argv0"])
    tag = decider.name if decider is not None else "plain"
    out_path = os.path.join(out_dir, f"{tag}.stdout")
    err_path = os.path.join(out_dir, f"{tag}.stderr")
    fd_in = os.open(os.devnull, os.O_RDONLY)
    fd_out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    fd_err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    proc.sys.fds.host.update({0: fd_in, 1: fd_out, 2: fd_err})
    trace = array("q")
    if decider is not None:
        push = trace.extend
        decide = decider.decide

        def hook(now, g, ready, spec, model_pick):
            pick = decide(now, g, ready, spec, model_pick)
            push((now, g, ready, spec, pick))
            return pick
        proc.cm.select_hook = hook
    if cfg.get("max_cycles"):
        _limit_cycles(proc.cm, int(cfg["max_cycles"]))
    limited = False
    t0 = time.perf_counter()
    try:
        status = proc.run()
    except CycleLimit:
        limited = True
        status = None
    finally:
        if decider is not None:
            decider.finish()
        for fd in (fd_in, fd_out, fd_err):
            os.close(fd)
    wall = time.perf_counter() - t0
    stats = proc.stats()
    for k in WALL_FIELDS:
        stats.pop(k, None)
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, "rb") as f:
        stderr = f.read()
    return {
        "tag": tag,
        "trace": trace,
        "status": LIMIT_STATUS if limited else status,
        "cycles": proc.cm.now,
        "instructions": proc.insns,
        "stdout": stdout,
        "stderr": stderr,
        "stats": stats,
        "wall": wall,
        "loop_seconds": proc.wall,
        "mismatches": proc.cm.select_mismatches,
        "first_mismatch": list(proc.cm.first_mismatch) if proc.cm.first_mismatch else None,
    }


def contended(trace: np.ndarray) -> np.ndarray:
    """Which decisions of a trace (n x 5) had two or more candidate strands (where the
    LRU order and the Ready-over-SpecReady priority matter): a bool array."""
    m = trace[:, 2] | trace[:, 3]
    return (m & (m - 1)) != 0


def as_trace(run: dict) -> np.ndarray:
    """A run's decision trace as an n x 5 int64 array (cycle, group, ready, spec, pick)."""
    return np.frombuffer(run["trace"], dtype=np.int64).reshape(-1, 5)


def _entry(trace: np.ndarray, i: int):
    return [int(x) for x in trace[i]] if i < len(trace) else None


def compare(model: dict, rtl: dict) -> dict:
    """Are the two runs cycle-for-cycle identical?  The decision traces, the exit status,
    the program's output, the cycle counts and the statistics must all be equal."""
    a, b = as_trace(model), as_trace(rtl)
    multi = contended(a)
    n = min(len(a), len(b))
    diff = np.nonzero((a[:n] != b[:n]).any(axis=1))[0]
    first = int(diff[0]) if len(diff) else (n if len(a) != len(b) else None)
    stats_diff = sorted(k for k in set(model["stats"]) | set(rtl["stats"])
                        if model["stats"].get(k) != rtl["stats"].get(k))
    out = {
        "decisions_model": len(a),
        "decisions_rtl": len(b),
        "decisions_compared": n if first is None else first,
        "trace_identical": first is None,
        "first_divergence": None,
        "cycles_model": model["cycles"],
        "cycles_rtl": rtl["cycles"],
        "status_model": model["status"],
        "status_rtl": rtl["status"],
        "stdout_identical": model["stdout"] == rtl["stdout"],
        "stderr_identical": model["stderr"] == rtl["stderr"],
        "stdout_bytes": [len(model["stdout"]), len(rtl["stdout"])],
        "stats_identical": not stats_diff,
        "stats_differ": stats_diff,
        "instructions": [model["instructions"], rtl["instructions"]],
        "multi_candidate_decisions": int(np.count_nonzero(multi)),
        "multi_candidate_groups": sorted(int(g) for g in np.unique(a[multi, 1])),
        "model_seconds": model["loop_seconds"],
        "rtl_seconds": rtl["loop_seconds"],
        "rtl_mismatches": rtl["mismatches"],
    }
    if first is not None:
        out["first_divergence"] = {"index": first, "model": _entry(a, first),
                                   "rtl": _entry(b, first),
                                   "model_hook": rtl["first_mismatch"]}
    out["identical"] = bool(
        out["trace_identical"] and out["cycles_model"] == out["cycles_rtl"]
        and out["status_model"] == out["status_rtl"] and out["stdout_identical"]
        and out["stderr_identical"] and out["stats_identical"])
    return out
