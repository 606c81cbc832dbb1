"""`--fast`'s analytic model against the cycle model (issue 13 §3).

tests/data/whatif_fast_cycle.json holds real cycle-model rows of `sun4v whatif --fast`
studies (made by those studies, heatmaps dropped): per study the calibration runs the
study made (one domain of T threads at T - 1, T and 2T vCPUs) and the sampled points.
  int: 8 threads of integer compute on a T2000 (T1: one pipe per core shared by its 4
       strands), 1 to 24 vCPUs: from 1 strand per pipe to 4, and 8 busy threads over
       24 vCPUs; no L2 misses;
  mem: 8 streams over 64 KB each on a T2000 with its L2 cut to 64 KB (4 channels busy
       56 cycles per line): memory-bound, near the channels' saturation at 8 strands.
  fp:  8 threads of the pi sum (an fdivd, fmuls and faddds per interval) on a T2000
       (T1: one FPU for the chip, reached over the crossbar) and a T5120 (T2: one FGU
       per core), 1 to 24 vCPUs;
  l2share: two domains of 4 streams over 8 KB each on a T2000 with a 64 KB L2: each
       fits it alone, both do not; 1 to 4 vCPUs each.
Calibration: 1, T - 1, T and 2T vCPUs (T: 8 threads; 4 for l2share, which adds T
vCPUs on half the L2); sample: four points spread over the sweep.  The rows are those
`sun4v whatif SCENARIO --fast` wrote to DIR/points/ for tests/data/whatif_fast_*.toml
(heatmaps and version dropped); a change to the machine model calls for running them
again.
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
        if pt["layout"].startswith("calibration"):
            chip = PlatformSpec(pt["platform"]["name"], pt["platform"]["base"],
                                dict(pt["platform"]["changes"])).build().chip
            cal[model.calibration_key(pt, chip.key)] = r
        else:
            sample.append(r)
    return model.calibrate(cal), sample


def _errors(name, terms=model.TERMS):
    cal, sample = _study(name)
    rep = model.error_report(sample, cal, None, "", terms)
    return rep


@pytest.mark.parametrize("name", ["int", "mem", "fp", "l2share"])
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


def _without(term):
    return tuple(t for t in model.TERMS if t != term)


def test_fast_model_needs_its_fpu_term():
    """Without the FPU queue, 8 pi-summing strands of a T1 would each get the chip's
    one FPU to itself (and on a T2 the strands of a core their FGU)."""
    rep = _errors("fp", _without("fpu"))
    assert rep["max_error"] > model.BOUND, rep["sample"]
    # the error is the T1's: its single FPU
    worst = max(rep["sample"], key=lambda s: s["error"])
    assert worst["label"].startswith("T2000/"), worst


def test_fast_model_needs_its_l2_share_term():
    """Without the L2 shared across domains, two domains that each fit the L2 alone
    would keep their lone miss rates when together they do not fit."""
    rep = _errors("l2share", _without("l2share"))
    assert rep["max_error"] > model.BOUND, rep["sample"]


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
    # the FPU: strands on 4 cores (S = 1, away only at the FPU: Z0 = F = 9) share T1's
    # one FPU: saturated, the chip gets 1 FP instruction per F cycles (MVA: X_4 =
    # 4 / (R_4 + 1), R_k = 9 (1 + Q_{k-1}), within 1 %); on a T2 each core its own
    fp = dict(st, S=1.0, Z0=9.0, F=9.0)
    r = contention.solve([dict(fp, id=s) for s in (0, 4, 8, 12)], t1)
    assert sum(r[s][0] for s in (0, 4, 8, 12)) == pytest.approx(1 / 9, rel=0.01)
    r = contention.solve([dict(fp, id=s) for s in (0, 8, 16, 24)], t2)
    for s in (0, 8, 16, 24):
        assert r[s][0] == pytest.approx(0.1, rel=1e-3)
    # two thread groups of one T2 core: their own pipes, one FGU (n = 2: R_1 = 9, Q_1 =
    # 0.9, R_2 = 17.1, X_2 = 2 / 18.1)
    r = contention.solve([dict(fp, id=s) for s in (0, 4)], t2)
    assert r[0][0] + r[4][0] == pytest.approx(2 / 18.1, rel=1e-3)
    lam = 0.5 * t1.dram_channels / t1.dram_line_cycles            # rho = 0.5
    assert contention.memory_wait(lam, t1) == pytest.approx(t1.dram_line_cycles / 2)


def test_calibration_on_half_the_l2_only_for_shared_l2():
    """A study whose points have two guest domains also calibrates each class at T
    vCPUs on half the L2 (half its ways, the same sets); one with a single guest domain
    does not; calibration_key names the runs as calibration_points does."""
    from sun4v.whatif import scenario
    root = os.path.dirname(DATA)
    for name, shared in (("whatif_fast_l2share.toml", True), ("whatif_fast_mem.toml", False)):
        pts = scenario.expand(scenario.load(os.path.join(root, name)))
        cps = model.calibration_points(pts)
        halves = {k: p for k, p in cps.items() if k[-1] == model.L2_HALF}
        assert bool(halves) == shared, name
        for k, p in cps.items():
            chip = PlatformSpec(p["platform"]["name"], p["platform"]["base"],
                                dict(p["platform"]["changes"])).build().chip
            assert model.calibration_key(p, "t1") == k
            if k[-1] == model.L2_HALF:
                T = p["domains"][1]["params"]["threads"]
                full = cps[k[:-1] + (T,)]
                assert p["domains"] == full["domains"] and p["vcpus"] == T == 2
                assert (chip.l2_size, chip.l2_ways) == (32768, 2)
            else:
                assert (chip.l2_size, chip.l2_ways) == (65536, 4)
