"""`sun4v whatif SCENARIO.toml [--out DIR] [--jobs N] [--engine local|dask]
[--scheduler ADDR] [--fast] [--quick]`, `sun4v whatif --example [NAME]` (issue 13).

Runs the study (study.py) and writes its files to DIR (default: ./whatif-NAME); prints
where the report is and the bottom line.  --example alone lists the shipped scenarios,
--example NAME prints one.

Exit status: 0 when every point ran; 1 when some points failed (their rows carry the
error, the report is written); 2 for bad input (a bad scenario: one line naming the
field; bad options)."""
import os
import sys

from ..cli import UsageError, register

EXAMPLES = os.path.join(os.path.dirname(__file__), "examples")


def examples():
    return sorted(f[:-5] for f in os.listdir(EXAMPLES) if f.endswith(".toml"))


def _args(p):
    p.add_argument("scenario", nargs="?", metavar="SCENARIO.toml", help="the study")
    p.add_argument("--example", nargs="?", const="", metavar="NAME",
                   help="list the shipped scenarios, or print scenario NAME")
    p.add_argument("--out", metavar="DIR", help="output directory (default ./whatif-NAME)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="points run at once (worker processes; default 1)")
    p.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="local processes (default) or a dask.distributed cluster")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="dask scheduler address (default: a LocalCluster of --jobs workers)")
    p.add_argument("--fast", action="store_true",
                   help="analytic model calibrated from a few real runs; error reported "
                        "on a sample run for real")
    p.add_argument("--quick", action="store_true",
                   help="the same study at reduced size (shorter time, sweep end points)")


def _example(name):
    names = examples()
    if not name:
        for n in names:
            with open(os.path.join(EXAMPLES, n + ".toml")) as f:
                first = f.readline().lstrip("# ").strip()
            sys.stdout.write(f"{n:<16} {first}\n")
        return 0
    if name not in names:
        raise UsageError(f"--example {name}: no such example (known: {', '.join(names)})")
    with open(os.path.join(EXAMPLES, name + ".toml")) as f:
        sys.stdout.write(f.read())
    return 0


def _run(a):
    from .engine import EngineError
    from .scenario import ScenarioError, load
    if a.example is not None:
        return _example(a.example)
    if not a.scenario:
        raise UsageError("whatif: give a scenario (SCENARIO.toml), or --example [NAME]")
    if a.jobs < 1:
        raise UsageError("--jobs must be a positive number")
    if a.scheduler and a.engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    try:
        sc = load(a.scenario)
        if a.quick:
            sc = sc.with_quick()
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    out = a.out or f"whatif-{sc.name}"
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out}: not a directory")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(parent):
        raise UsageError(f"--out {out}: directory {parent} does not exist")
    from .study import run_study
    try:
        r = run_study(sc, out, engine=a.engine, jobs=a.jobs, scheduler=a.scheduler,
                      fast=a.fast)
    except EngineError as e:
        raise UsageError(str(e)) from None
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    sys.stdout.write(f"whatif {sc.name}: {r['points']} points ({r['computed']} run, "
                     f"{r['reused']} reused, {r['failed']} failed); report "
                     f"{os.path.join(out, 'report.html')}\n")
    if r["fast"]:
        f = r["fast"]
        sys.stdout.write(f"fast model: throughput error on {len(f['sample'])} sampled "
                         f"domains: mean {100 * (f['mean_error'] or 0):.1f}%, max "
                         f"{100 * (f['max_error'] or 0):.1f}% (bound "
                         f"{100 * f['bound']:.0f}%: "
                         f"{'within' if f['within_bound'] else 'NOT within'})\n")
    from . import analysis
    rank = analysis.ranking(r["rows"], sc.target)
    for c in rank[:5]:
        sys.stdout.write(f"  {c['rank']}. {c['platform']:<14} {c['layout']:<14} "
                         f"{'fits' if c['fits'] else 'does not fit':<13} {c['label']}\n")
    return 1 if r["failed"] else 0


register("whatif", "capacity-planning what-if study: sweeps, reports, plots; local or Dask",
         _args, _run)
