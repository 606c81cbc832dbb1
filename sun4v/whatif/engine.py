"""Running a study's points: here (`local`, --jobs worker processes) or on a
dask.distributed cluster (`dask`: the scheduler at --scheduler ADDR, or a LocalCluster
of --jobs worker processes), with a progress bar (issue 13 §2, §4).

Every engine calls the same `compute(pt)` on each point, so the same scenario gives
the same rows on every engine.  Rows stream to the store as points finish; a point
that fails becomes a row with its error (the study goes on); on Dask a point whose
worker is lost is run again on another worker (the scheduler's allowed-failures: 3 by
default, then the point's row says "worker lost"), one whose function raises is retried
RETRIES times."""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import sys
import time
import traceback

from .point import PointError, run_point
from .store import point_key, project_version

RETRIES = 2


def compute(pt: dict, key: str, version: str) -> dict:
    """One simulated point's row: key, version, the point's parameters, its result or
    its error (one line)."""
    row = {"key": key, "version": version, "point": pt, "source": "simulated",
           "result": None, "error": None}
    try:
        row["result"] = run_point(pt)
    except PointError as e:
        row["error"] = str(e)
    except Exception as e:                      # a defect: report it, go on
        tb = traceback.extract_tb(e.__traceback__)[-1]
        row["error"] = f"{type(e).__name__}: {e} ({tb.filename}:{tb.lineno})"
    return row


class Progress:
    """points done / total, reused, failed, ETA: one self-rewriting line on a terminal,
    else one line per finished point."""

    def __init__(self, total, reused=0, stream=None, label="whatif"):
        self.total, self.done, self.reused, self.failed = total, reused, reused, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.monotonic()
        self.label = label
        self.ran = 0
        self.show()

    def step(self, row):
        self.done += 1
        self.ran += 1
        if row.get("error"):
            self.failed += 1
        self.show(row)

    def show(self, row=None):
        el = time.monotonic() - self.t0
        left = self.total - self.done
        eta = "--" if not self.ran else _dur(el / self.ran * left)
        w = 24
        fill = int(w * self.done / self.total) if self.total else w
        bar = "#" * fill + "." * (w - fill)
        text = (f"{self.label} [{bar}] {self.done}/{self.total} points"
                f" ({self.reused} reused, {self.failed} failed), ETA {eta}")
        if self.tty:
            self.stream.write("\r" + text + ("\n" if left == 0 else ""))
        elif row is not None or self.done == 0 or left == 0:
            extra = ""
            if row is not None:
                extra = f": {row.get('label', '')}" + (f" FAILED: {row['error']}"
                                                       if row.get("error") else "")
            self.stream.write(text + extra + "\n")
        self.stream.flush()


def _dur(s):
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def run_points(todo, on_row, engine="local", jobs=1, scheduler=None, fn=None):
    """Compute the points `todo` ([(key, pt, label)]), calling on_row(row) as each one
    finishes (in completion order).  fn(pt, key, version) computes a row (default
    `compute`; a picklable replacement, e.g. one that loses its worker, for tests)."""
    version = project_version()
    fn = fn or compute
    if not todo:
        return
    if engine == "dask":
        return _run_dask(todo, on_row, jobs, scheduler, version, fn)
    if jobs <= 1:
        for key, pt, label in todo:
            row = fn(pt, key, version)
            row["label"] = label
            on_row(row)
        return
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as ex:
        futs = {ex.submit(fn, pt, key, version): (key, pt, label)
                for key, pt, label in todo}
        for f in cf.as_completed(futs):
            key, pt, label = futs[f]
            try:
                row = f.result()
            except Exception as e:              # the worker process died
                row = {"key": key, "version": version, "point": pt, "source": "simulated",
                       "result": None, "error": f"worker lost: {e}"}
            row["label"] = label
            on_row(row)


def _run_dask(todo, on_row, jobs, scheduler, version, fn):
    import logging

    from distributed import Client, LocalCluster, as_completed
    from distributed.scheduler import KilledWorker
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise EngineError(f"--scheduler {scheduler}: cannot connect ({e})") from None
    else:
        cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        futs = {}
        for key, pt, label in todo:
            f = client.submit(fn, pt, key, version, key=f"whatif-{key}", pure=False,
                              retries=RETRIES)
            futs[f] = (key, pt, label)
        for f in as_completed(list(futs)):
            key, pt, label = futs[f]
            try:
                row = f.result()
            except KilledWorker as e:           # its workers died too often
                row = {"key": key, "version": version, "point": pt, "source": "simulated",
                       "result": None, "error": f"worker lost: {e}"}
            except Exception as e:              # raised RETRIES + 1 times
                row = {"key": key, "version": version, "point": pt, "source": "simulated",
                       "result": None, "error": f"{type(e).__name__}: {e}"}
            row["label"] = label
            on_row(row)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class EngineError(Exception):
    """The engine cannot start (one line)."""


def keyed(points, label_fn):
    version = project_version()
    return [(point_key(pt, version), pt, label_fn(pt)) for pt in points]
