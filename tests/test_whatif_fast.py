"""`--fast`'s analytic model against the cycle model (issue 13 §3).

tests/data/whatif_fast_cycle.json holds real cycle-model rows of `sun4v whatif --fast`
studies (made by those studies, heatmaps dropped): per study the calibration runs the
study made (one domain of T threads at T - 1, T and 2T vCPUs) and the sampled points.
  int: 8 threads of integer compute on a T2000 (T1: one pipe per core shared by its 4
       strands), 1 to 24 vCPUs: from 1 strand per pipe to 4, and 8 busy threads over
       24 vCPUs; no L2 misses;
  mem: 8 streams over 64 KB each on a T2000 with its L2 cut to 64 KB (4 channels busy
       56 cycles per line): memory-bound, near the channels' saturation at 8 strands.
Calibration: 1, 7, 8 and 16 vCPUs; sample: 1, 4, 8 and 24 vCPUs.  The rows are those
`sun4v whatif SCENARIO --fast` wrote to DIR/points/ for tests/data/whatif_fast_int.toml
and whatif_fast_mem.toml (heatmaps and version dropped); a change to the machine model
calls for running them again.
The model calibrated on the calibration rows must predict the sampled rows within the
bound it states, and it must not without each contention term the data exercises."""
import json
import os

import pytest

from sun4v.whatif import contention, model
from sun4v.whatif.scenario import PlatformSpec

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                    "whatif_fast_cycle.json")


def _study(name):
    with open(DATA) as f:
        rows = json.load(f)[name]
    cal, sample = {}, []
    for r in rows:
        pt = r["point"]
        if pt["layout"] == "calibration":
            d = pt["domains"][1]
            chip = PlatformSpec(pt["platform"]["name"], pt["platform"]["base"],
                                dict(pt["platform"]["changes"])).build().chip
            cal[model.class_key(d, chip.key) + (d["vcpus"],)] = r
        else:
            sample.append(r)
    return model.calibrate(cal), sample


def _errors(name, terms=contention.TERMS):
    cal, sample = _study(name)
    rep = model.error_report(sample, cal, None, "", terms)
    return rep


@pytest.mark.parametrize("name", ["int", "mem"])
def test_fast_model_within_its_bound_on_the_cycle_model(name):
    rep = _errors(name)
    assert len(rep["sample"]) >= 3
    assert rep["max_error"] <= model.BOUND, rep["sample"]
    assert rep["within_bound"]


def test_fast_model_needs_its_pipe_term():
    """Without the pipe queueing, 4 busy strands on one T2 pipe would each run as fast
    as one alone."""
    assert _errors("int", ("l2", "memory"))["max_error"] > model.BOUND


def test_fast_model_needs_its_memory_term():
    """Without the DRAM channel queueing, 8 streams on a T1's 4 channels would each
    see the memory latency of one (the L2 bank term is too small to matter on these
    workloads: dropping it changes the error by less than 0.5 %)."""
    assert _errors("mem", ("pipe", "l2"))["max_error"] > model.BOUND


def test_contention_terms_against_their_definitions():
    """The terms on hand-made strands: n identical strands on one pipe (S = 1, Z = 0)
    share it (each 1/n instructions per cycle); two pipes (T2) do not share; the memory
    term is M/D/1 (D rho / (2 (1 - rho)))."""
    from sun4v.cmt.chips import CHIPS
    t1 = CHIPS["t1"]
    t2 = CHIPS["t2"]
    st = dict(w=1.0, S=1.0, Z0=0.0, a=0.0, m=0.0, l=0.0, L0=0.0, dl0=0)
    r = contention.solve([dict(st, id=s) for s in range(4)], t1)
    for s in range(4):
        assert r[s][0] == pytest.approx(0.25, rel=1e-3)
    r = contention.solve([dict(st, id=s) for s in (0, 4)], t2)      # two thread groups
    assert r[0][0] == pytest.approx(1.0) and r[4][0] == pytest.approx(1.0)
    r = contention.solve([dict(st, id=s) for s in (0, 1)], t2)      # one thread group
    assert r[0][0] == pytest.approx(0.5, rel=1e-3)
    lam = 0.5 * t1.dram_channels / t1.dram_line_cycles            # rho = 0.5
    assert contention.memory_wait(lam, t1) == pytest.approx(t1.dram_line_cycles / 2)
