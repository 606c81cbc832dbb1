"""`python -m sun4v.whatif.bench` (run by `make bench`): what-if points per second of
host time in each mode: simulated points (full-system runs) in every machine mode the
Machine offers, and modelled points (--fast's analytic model, once calibrated).

A fixed study: one `mix` domain (4 threads, duty 50 %) on a T5120 at 2, 4 and 8 vCPUs,
2 ms measured after the mode's default warm-up (3 ms functional, 15 ms cycle: the
guests' boot).  The analytic model is calibrated on the last mode's runs (cycle: its
contention terms).  Figures are printed, never asserted: the machines are shared and
noisy."""
import sys
import time

from . import model
from .engine import compute
from .scenario import expand, parse
from .store import point_key, project_version

STUDY = {
    "study": {"name": "bench", "time": "2ms", "samples": 4},
    "workload": [{"name": "svc", "kind": "mix", "threads": 4, "duty": 50, "work": 3000}],
    "platform": [{"name": "T5120"}],
    "layout": [{"name": "one", "place": 1}],
    "sweep": {"vcpus": [2, 4, 8]},
}


def modes():
    from ..machine.machine import MODES
    from ..machine import Machine, platforms
    out = []
    for m in MODES:
        try:
            Machine(platforms.platform("t1000"), mode=m)
        except ValueError:
            continue
        out.append(m)
    return out


def main():
    version = project_version()
    last = None
    for mode in modes():
        data = {**STUDY, "study": {**STUDY["study"], "mode": mode}}
        pts = expand(parse(data, "<bench>"))
        compute(pts[0], point_key(pts[0], version), version)     # JIT and caches warm
        t0 = time.perf_counter()
        rows = [compute(p, point_key(p, version), version) for p in pts]
        dt = time.perf_counter() - t0
        bad = [r["error"] for r in rows if r["error"]]
        if bad:
            print(f"whatif {mode}: a point failed: {bad[0]}")
            continue
        print(f"whatif simulated, {mode:<10}: {len(pts) / dt:8.3f} points/s "
              f"({dt / len(pts):.2f} s per point of {pts[0]['warmup'] * 1e3:g} ms warm-up "
              f"and {STUDY['study']['time']} measured)", flush=True)
        last = (mode, pts)
    if last is not None:
        mode, pts = last
        cps = model.calibration_points(pts)
        crow = {k: compute(p, point_key(p, version), version) for k, p in cps.items()}
        cal = model.calibrate(crow)
        many = [dict(pts[i % len(pts)]) for i in range(2000)]
        t0 = time.perf_counter()
        for p in many:
            model.predict(p, cal, "", version, "")
        dt = time.perf_counter() - t0
        print(f"whatif modelled (--fast, calibrated on {mode}): {len(many) / dt:8.1f} "
              f"points/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
