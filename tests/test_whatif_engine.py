"""The what-if engines under failures (issue 13 §4): on a Dask LocalCluster, a point whose
worker process dies is run again on a live worker and the study completes with the same
row as an undisturbed run; a point that raises is reported with its error and the other
points complete."""
import functools
import os

from sun4v.whatif.engine import compute, run_points
from sun4v.whatif.scenario import expand, parse, point_label
from sun4v.whatif.store import point_key, project_version

import whatif_faults

# functional points: the engine is under test here, not the machine model
STUDY = {
    "study": {"name": "engine", "mode": "functional", "warmup": "3ms", "time": "0.5ms",
              "samples": 2},
    "workload": [{"name": "svc", "kind": "mix", "threads": 4, "duty": 50, "work": 3000}],
    "platform": [{"name": "T5120"}],
    "layout": [{"name": "one", "place": 1}],
    "sweep": {"vcpus": [2, 4]},
}


def _todo():
    version = project_version()
    pts = expand(parse(STUDY, "<engine>"))
    return [(point_key(p, version), p, point_label(p)) for p in pts], version


def _run(todo, fn):
    rows = {}

    def on_row(row):
        assert row["key"] not in rows          # one row per point
        rows[row["key"]] = row
    run_points(todo, on_row, engine="dask", jobs=2, fn=fn)
    return rows


def test_dask_lost_worker_point_is_retried(tmp_path):
    todo, version = _todo()
    fn = functools.partial(whatif_faults.die_first_time, str(tmp_path))
    rows = _run(todo, fn)
    assert sorted(rows) == sorted(k for k, _, _ in todo)
    for key, pt, label in todo:
        # the first attempt killed its worker (its flag names that process) ...
        pid = int((tmp_path / key).read_text())
        assert pid != os.getpid()
        # ... and the point was run again and completed, as an undisturbed run does
        r = rows[key]
        assert r["error"] is None and r["label"] == label
        assert r["result"] == compute(pt, key, version)["result"]


def test_dask_point_that_raises_is_reported_and_the_study_goes_on():
    todo, _ = _todo()
    bad = todo[0][0]
    rows = _run(todo, functools.partial(whatif_faults.raise_for, bad))
    assert rows[bad]["result"] is None
    assert rows[bad]["error"] == f"RuntimeError: injected failure in point {bad[:8]}"
    good = rows[todo[1][0]]
    assert good["error"] is None and good["result"]["domains"][1]["throughput"] > 0
