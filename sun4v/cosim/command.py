"""`sun4v cosim`: run a model with an RTL unit in the loop and say whether the run is
cycle-for-cycle identical to the pure-model run.

  sun4v cosim --unit thread_select [--chip t1|t2|t2plus] [--strands N] [--max-cycles N]
              [--sim icarus|verilator] [--waves] [--rtl FILE] PROG [ARGS...]
  sun4v cosim --unit xbar_domain [--platform MODEL] [--cycles N] [--seed N]
              [--script FILE] [--sim icarus|verilator] [--waves] [--rtl FILE]

Exit status 0 when the two runs are identical (decisions, program output or session
output, cycle counts, statistics), 1 when they differ or the simulation failed, 2 for bad
input.  How it works: sun4v/cosim/tb.py.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..cli import UsageError, check_chip_strands, register

UNITS = ("thread_select", "xbar_domain")
TS_OPTIONS = ("chip", "strands", "max_cycles")
XB_OPTIONS = ("platform", "cycles", "seed", "script")
MAX_XBAR_CYCLES = 2_000_000


def add_arguments(p):
    p.add_argument("--unit", required=True, choices=UNITS,
                   help="the RTL unit in the loop: thread_select (rtl/thread_select.v, one "
                        "per thread group, in the cycle-level CMT model running PROG) or "
                        "xbar_domain (rtl/xbar_domain.v as the M-series crossbar's domain "
                        "filter and arbiter, in an XSCF session with traffic and DR)")
    p.add_argument("--sim", choices=("icarus", "verilator"), default=None,
                   help="RTL simulator (default: $SUN4V_SIM, else icarus)")
    p.add_argument("--rtl", metavar="FILE", default=None,
                   help="the unit's Verilog source to put in the loop instead of "
                        "rtl/<unit>.v (a changed or mutant copy; it must define the same "
                        "module with the same ports and registers)")
    p.add_argument("--waves", action="store_true",
                   help="record waveforms (also SUN4V_WAVES=1); the file is kept under "
                        "build/cosim/ and its path printed")
    g = p.add_argument_group("thread_select")
    g.add_argument("--chip", metavar="CHIP", default=None,
                   help="t1 (default), t2 or t2plus")
    g.add_argument("--strands", type=int, metavar="N",
                   help="strands the program's threads may use (default: all of the chip's)")
    g.add_argument("--max-cycles", type=int, metavar="N",
                   help="stop both runs at cycle N")
    g = p.add_argument_group("xbar_domain")
    g.add_argument("--platform", metavar="MODEL", default=None,
                   help="M4000, M5000, M8000 (default), M9000-32, M9000-64 or E10000")
    g.add_argument("--cycles", type=int, metavar="N", default=None,
                   help="crossbar cycles of traffic in the default session (default 2000; "
                        "DR adds its own)")
    g.add_argument("--seed", type=int, metavar="N", default=None,
                   help="traffic generator seed (default 1)")
    g.add_argument("--script", metavar="FILE", default=None,
                   help="XSCF commands to run instead of the default session")
    p.add_argument("--perturb", type=int, metavar="K", default=None,
                   help="testing aid: make the RTL decide differently once, so that the "
                        "runs must differ: at the K-th decision (thread_select) or the "
                        "first grant/block from the K-th requesting crossbar cycle on "
                        "(xbar_domain), the model's choice is hidden from the RTL's inputs")
    p.add_argument("prog", nargs="?", metavar="PROG",
                   help="thread_select: static sparc64 Linux program")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="arguments passed to the program untouched")


# ---- input checks (one line each, status 2) ------------------------------------------------
def _check_common(a):
    from ..rtl.cocotb_run import available, simulator
    import importlib.util
    if importlib.util.find_spec("cocotb_tools") is None:
        raise UsageError("cosim needs cocotb (pip install 'cocotb>=2.0')")
    try:
        sim = a.sim or simulator()
    except ValueError as e:
        raise UsageError(str(e)) from None
    why = available(sim)
    if why:
        raise UsageError(f"--sim {sim}: {why}")
    if a.perturb is not None and a.perturb < 1:
        raise UsageError("--perturb must be a positive number")
    if a.rtl is not None:
        try:
            with open(a.rtl, "rb") as f:
                f.read(1)
        except OSError as e:
            raise UsageError(f"--rtl {a.rtl}: {e.strerror or e}") from None
    from ..rtl.cocotb_run import waves_requested
    return sim, bool(a.waves or waves_requested())


def _foreign(a, names, unit):
    for n in names:
        if getattr(a, n) is not None:
            raise UsageError(f"--{n.replace('_', '-')} does not apply to --unit {unit}")


def rtl_source(a, unit: str) -> str:
    """The Verilog file of the unit in the loop: --rtl FILE, else rtl/<unit>.v."""
    from ..rtl.cocotb_run import RTL_DIR
    return os.path.abspath(a.rtl) if a.rtl is not None else str(RTL_DIR / f"{unit}.v")


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def thread_select_config(a) -> dict:
    from ..cmt import chips
    from ..se import loader
    _foreign(a, XB_OPTIONS, "thread_select")
    if a.prog is None:
        raise UsageError("--unit thread_select needs PROG (a static sparc64 Linux program)")
    chip = a.chip or "t1"
    total = check_chip_strands(chip, a.strands)
    if a.max_cycles is not None and a.max_cycles <= 0:
        raise UsageError("--max-cycles must be a positive number")
    loader.ElfImage(a.prog)                     # LoadError: one line, status 2
    c = chips.chip(chip)
    per_group = c["strands_per_core"] // c["groups_per_core"]
    return {
        "unit": "thread_select", "chip": chip, "chip_name": c["name"],
        "ngroups": total // per_group, "per_group": per_group,
        "path": os.path.abspath(a.prog), "argv0": a.prog, "args": list(a.args),
        "strands": a.strands, "max_cycles": a.max_cycles, "perturb": a.perturb,
        "rtl": rtl_source(a, "thread_select"),
        "envp": [e.decode("latin-1") for e in loader.host_environment()],
    }


def xbar_domain_config(a) -> dict:
    from ..crossbar.catalogue import platform
    from . import xbar_domain as XD
    _foreign(a, TS_OPTIONS, "xbar_domain")
    if a.prog is not None:
        raise UsageError(f"--unit xbar_domain runs an XSCF session, not a program "
                         f"(unexpected {a.prog!r})")
    try:
        model = platform(a.platform or "M8000")
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    cycles = XD.DEFAULT_CYCLES if a.cycles is None else a.cycles
    if not 1 <= cycles <= MAX_XBAR_CYCLES:
        raise UsageError(f"--cycles must be 1..{MAX_XBAR_CYCLES}")
    if a.script is not None and a.cycles is not None:
        raise UsageError("--cycles sets the default session's length; a --script runs its own "
                         "runtraffic commands")
    try:
        params = XD.rtl_parameters(model)
        if a.script is not None:
            try:
                script = Path(a.script).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise UsageError(f"cannot read script {a.script}: "
                                 f"{getattr(e, 'strerror', None) or e}") from None
            layout = f"script {a.script}"
            try:       # the pure model first, here: a failing command is refused at once
                XD.run_session({"platform": model.name, "script": script,
                                "seed": 1 if a.seed is None else a.seed}, XD.TracedUnit)
            except XD.SessionError as e:
                raise UsageError(str(e)) from None
        else:
            script = XD.default_script(model, cycles)
            layout = f"default session, {cycles} cycles of traffic"
    except XD.Unsupported as e:
        raise UsageError(str(e)) from None
    return {"unit": "xbar_domain", "platform": model.name,
            "platform_name": model.marketing_name, "parameters": params,
            "seed": 1 if a.seed is None else a.seed, "script": script, "layout": layout,
            "perturb": a.perturb, "rtl": rtl_source(a, "xbar_domain")}


# ---- the report ------------------------------------------------------------------------------
def _n(x) -> str:
    return f"{x:,}"


def _secs(x) -> str:
    return f"{x:.2f} s"


def _strands(mask: int, base: int) -> str:
    s = [str(base + j) for j in range(mask.bit_length()) if (mask >> j) & 1]
    return ",".join(s) if s else "none"


def _status(st) -> str:
    if st is None:
        return "?"
    if isinstance(st, str):
        return "stopped at --max-cycles" if st == "cycle limit" else st
    return f"killed by signal {-st}" if st < 0 else f"exit status {st}"


def thread_select_report(cfg: dict, r: dict) -> list[str]:
    per, ng = cfg["per_group"], cfg["ngroups"]
    rate = r["cycles_rtl"] / r["rtl_seconds"] if r["rtl_seconds"] else 0.0
    drate = r["decisions_rtl"] / r["rtl_seconds"] if r["rtl_seconds"] else 0.0
    prog = " ".join([cfg["argv0"]] + cfg["args"])
    rtl_st = "stopped, see below" if r.get("rtl_stopped") else _status(r["status_rtl"])
    st = (f"{_status(r['status_model'])} in both runs" if r["status_model"] == r["status_rtl"]
          else f"{_status(r['status_model'])} (model), {rtl_st} (RTL)")
    out = [
        f"unit:       thread_select x {ng} (one per thread group of {per} strands), "
        f"{cfg['chip_name']} cycle model",
        f"rtl:        {_shown(cfg['rtl'])}",
        f"simulator:  {r['sim_name']} {r['sim_version']}",
        f"program:    {prog}: {st}",
        f"model run:  {_n(r['cycles_model'])} cycles, {_n(r['decisions_model'])} decisions "
        f"({_n(r['multi_candidate_decisions'])} with two or more candidates"
        + (f", in thread groups {','.join(map(str, r['multi_candidate_groups']))}"
           if r['multi_candidate_groups'] else "")
        + f") in {_secs(r['model_seconds'])}",
        f"RTL run:    {_n(r['cycles_rtl'])} cycles, {_n(r['decisions_rtl'])} decisions, "
        f"{_n(r['rtl_edges'])} clock edges in {_secs(r['rtl_seconds'])}: "
        f"{rate:,.0f} model cycles/s, {drate:,.0f} decisions/s (RTL build {_secs(r['build_seconds'])})",
    ]
    if r.get("perturbed"):
        now, g, ready, spec, mine = r["perturbed"]
        out.append(f"perturbed:  --perturb {cfg['perturb']}: strand {g * per + mine} hidden from "
                   f"the RTL at cycle {_n(now)}, thread group {g}")
    elif cfg.get("perturb"):
        out.append(f"perturbed:  --perturb {cfg['perturb']}: the run had fewer decisions; "
                   "nothing was perturbed")
    if r.get("rtl_stopped"):
        out.append(f"stopped:    the RTL run went on past cycle {_n(r['rtl_stopped'])} (twice "
                   "the model run's length and more) and was stopped there")
    fd = r["first_divergence"]
    if fd is None:
        out.append(f"compared:   {_n(r['decisions_compared'])} decisions: identical")
    else:
        out.append(f"compared:   {_n(r['decisions_compared'])} decisions identical, then:")
        m, t = fd["model"], fd["rtl"]
        if m and t and m[:4] == t[:4]:
            now, g, ready, spec, pm = m
            pr = t[4]
            base = g * per
            who = lambda p: "no strand" if p < 0 else f"strand {base + p}"
            out.append(f"divergence: decision {_n(fd['index'] + 1)} at cycle {_n(now)}, thread "
                       f"group {g} (strands {base}-{base + per - 1}): ready {_strands(ready, base)}, "
                       f"spec-ready {_strands(spec, base)}: model picks {who(pm)}, RTL picks {who(pr)}")
        else:
            def ent(e):
                if e is None:
                    return "no more decisions"
                now, g, ready, spec, p = e
                return (f"cycle {_n(now)} group {g} ready {_strands(ready, g * per)} spec-ready "
                        f"{_strands(spec, g * per)} pick {p}")
            out.append(f"divergence: decision {_n(fd['index'] + 1)}: model {ent(m)}; RTL {ent(t)}")
    diffs = []
    if r["cycles_model"] != r["cycles_rtl"]:
        diffs.append(f"cycles ({_n(r['cycles_model'])} vs {_n(r['cycles_rtl'])})")
    if r["status_model"] != r["status_rtl"]:
        diffs.append("exit status")
    if not r["stdout_identical"]:
        diffs.append("stdout ({} vs {} bytes)".format(*r["stdout_bytes"]))
    if not r["stderr_identical"]:
        diffs.append("stderr")
    if not r["stats_identical"]:
        diffs.append("statistics (" + ", ".join(r["stats_differ"][:6]) + ")")
    if diffs:
        out.append("differs:    " + "; ".join(diffs))
    else:
        out.append(f"outputs:    cycles, exit status, stdout ({_n(r['stdout_bytes'][0])} bytes), "
                   "stderr and --stats data identical")
    return out


def xbar_domain_report(cfg: dict, r: dict) -> list[str]:
    p = r["parameters"]
    c = r["counts"]
    rate = r["cycles_rtl"] / r["rtl_seconds"] if r["rtl_seconds"] else 0.0
    k = r["compared_by_kind"]
    mode = "domain IDs" if p["MODE"] == 0 else "domain masks"
    out = [
        f"unit:       xbar_domain N={p['N']} DW={p['DW']} LW={p['LW']} MODE={p['MODE']} "
        f"({mode}), {cfg['platform_name']} crossbar model",
        f"rtl:        {_shown(cfg['rtl'])}",
        f"simulator:  {r['sim_name']} {r['sim_version']}",
        f"session:    {cfg['layout']}, seed {cfg['seed']}",
        f"exercised:  {_n(c['grants'])} grants, {_n(c['blocked'])} requests blocked by the "
        f"domain filter, {_n(c['contended_outputs'])} contended and {_n(c['backpressure_outputs'])} "
        f"busy-output arbitrations, {_n(c['rx_accepted'] + c['rx_rejected'])} arrivals checked, "
        f"{_n(c['sp_writes'])} port writes",
        f"model run:  {_n(r['cycles_model'])} crossbar cycles, {_n(r['events_model'])} decisions "
        f"in {_secs(r['model_seconds'])}",
        f"RTL run:    {_n(r['cycles_rtl'])} crossbar cycles, {_n(r['events_rtl'])} decisions in "
        f"{_secs(r['rtl_seconds'])}: {rate:,.0f} crossbar cycles/s (RTL build "
        f"{_secs(r['build_seconds'])})",
    ]
    if r.get("perturbed"):
        cyc, s = r["perturbed"]
        out.append(f"perturbed:  --perturb {cfg['perturb']}: input {s}'s request hidden from the "
                   f"RTL at crossbar cycle {_n(cyc)} (it would have been granted or blocked)")
    elif cfg.get("perturb"):
        out.append(f"perturbed:  --perturb {cfg['perturb']}: fewer requesting cycles; nothing "
                   "was perturbed")
    if r.get("rtl_stopped") is not None:
        out.append(f"stopped:    the RTL run went on past crossbar cycle {_n(r['rtl_stopped'])} "
                   "(twice the model run's length and more) and was abandoned there")
    what = (f"{_n(k['arb'])} arbitrations, {_n(k['rx'])} arrival checks, "
            f"{_n(k['sp'])} port writes")
    fd = r["first_divergence"]
    if fd is None:
        out.append(f"compared:   {_n(r['events_compared'])} decisions ({what}): identical")
    else:
        out.append(f"compared:   {_n(r['events_compared'])} decisions ({what}) identical, then:")
        out.append(f"divergence: model {fd['model']}")
        out.append(f"            RTL   {fd['rtl']}")
    diffs = []
    if r["cycles_model"] != r["cycles_rtl"]:
        diffs.append(f"crossbar cycles ({_n(r['cycles_model'])} vs {_n(r['cycles_rtl'])})")
    if not r["transcript_identical"]:
        diffs.append("session output")
    if not r["final_identical"]:
        diffs.append("final crossbar state")
    if diffs:
        out.append("differs:    " + "; ".join(diffs))
    else:
        out.append("outputs:    crossbar cycles, session output and final crossbar state "
                   "(registers, per-domain counters) identical")
    return out


def report(cfg: dict, r: dict) -> str:
    lines = (thread_select_report if cfg["unit"] == "thread_select" else xbar_domain_report)(cfg, r)
    if r.get("waves"):
        w = r["waves"]
        rel = os.path.relpath(w)
        lines.append(f"waves:      {w if rel.startswith('..') else rel}")
    lines.append(f"identical:  {'yes' if r['identical'] else 'no'}")
    return "\n".join(lines) + "\n"


# ---- running ---------------------------------------------------------------------------------
def cosim(cfg: dict, *, sim: str = "icarus", waves: bool = False, work_dir=None) -> dict:
    """Run one co-simulation (cfg from thread_select_config / xbar_domain_config) and
    return the testbench's result.  Raises runner.CosimFailed or UsageError (refused)."""
    from .runner import run
    if work_dir is not None:
        res = run(cfg, sim=sim, waves=waves, work_dir=Path(work_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="sun4v-cosim-") as d:
            res = run(cfg, sim=sim, waves=waves, work_dir=Path(d))
    if "refused" in res:
        raise UsageError(res["refused"])
    return res


def main(a) -> int:
    from .runner import CosimFailed
    cfg = thread_select_config(a) if a.unit == "thread_select" else xbar_domain_config(a)
    sim, waves = _check_common(a)
    try:
        res = cosim(cfg, sim=sim, waves=waves)
    except CosimFailed as e:
        sys.stderr.write(f"sun4v: cosim: {e}\n")
        return 1
    sys.stdout.write(report(cfg, res))
    sys.stdout.flush()
    return 0 if res["identical"] else 1


register("cosim", "run a model with an RTL unit in the loop (cocotb + Icarus/Verilator) and "
         "check it is cycle-for-cycle identical to the pure model", add_arguments, main)
