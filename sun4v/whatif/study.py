"""A study from scenario to files: expand the points, reuse the stored ones, compute the
rest on the chosen engine (or, with fast, model them from calibration runs and check
the model on a sample), then write the report (issue 13)."""
from __future__ import annotations

import os
import sys

from . import model, report
from .engine import Progress, keyed, run_points
from .scenario import Scenario, expand, point_label
from .store import Store, point_key, project_version


def run_study(sc: Scenario, out_dir: str, engine="local", jobs=1, scheduler=None,
              fast=False, stream=None) -> dict:
    """Run the study; returns {"rows", "reused", "computed", "failed", "fast"}."""
    stream = stream or sys.stderr
    os.makedirs(out_dir, exist_ok=True)
    store = Store(out_dir)
    version = project_version()
    points = expand(sc)
    allk = keyed(points, point_label)
    fast_info = None
    if fast:
        cal_pts = model.calibration_points(points)
        cal_list = [(point_key(p, version), p,
                     f"calibration {k[0]} on {k[2]}, "
                     + (f"{p['vcpus']} vCPUs on half the L2" if k[-1] == model.L2_HALF
                        else f"{k[-1]} vCPUs"))
                    for k, p in cal_pts.items()]
        sample = [allk[i] for i in model.sample_indices(len(allk))]
        need = cal_list + [x for x in sample if x[0] not in {c[0] for c in cal_list}]
    else:
        need = allk
    rows, todo = {}, []
    for key, pt, label in need:
        r = store.get(key)
        if r is not None:
            r["label"] = label
            rows[key] = r
        else:
            todo.append((key, pt, label))
    reused = len(need) - len(todo)
    prog = Progress(len(need), reused, stream)

    def on_row(row):
        rows[row["key"]] = row
        store.put(row)
        prog.step(row)

    from .warm import ENV
    had = os.environ.get(ENV)
    os.environ[ENV] = os.path.abspath(os.path.join(out_dir, "warm"))   # warm.py
    try:
        run_points(todo, on_row, engine=engine, jobs=jobs, scheduler=scheduler)
    finally:
        if had is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = had
    if fast:
        cal = model.calibrate({k: rows[point_key(p, version)] for k, p in cal_pts.items()})
        sims = [rows[k] for k, _, _ in sample]
        fast_info = model.error_report(sims, cal, None, version)
        fast_info["calibration_runs"] = [lab for _, _, lab in cal_list]
        out_rows = []
        sample_keys = {k for k, _, _ in sample}
        for key, pt, label in allk:
            if key in sample_keys:
                out_rows.append(rows[key])
            else:
                out_rows.append(model.predict(pt, cal, key, version, label))
    else:
        out_rows = [rows[k] for k, _, _ in allk]
    study = {"name": sc.name, "title": sc.title, "path": sc.path, "hash": sc.hash,
             "version": version, "mode": sc.mode, "warmup": sc.warmup, "time": sc.time,
             "samples": sc.samples, "seed": sc.seed, "target": list(sc.target),
             "quick": sc.quick_on, "fast": fast}
    report.write(out_dir, study, out_rows, fast_info)
    failed = sum(1 for r in out_rows if r.get("error"))
    return {"rows": out_rows, "reused": reused, "computed": len(todo), "failed": failed,
            "fast": fast_info, "points": len(allk)}
