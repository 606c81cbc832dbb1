"""The figures the TUI derives from snapshots: utilisation over an interval from the
hypervisor's cumulative not-yielded / elapsed %stick ticks, throughput from the
workload's cumulative units, split cores, and which blocked vCPUs a force may take
(the guest refuses the last online vCPU even forced: sun4v/guest/README.md)."""
import pytest

from ldm.tui.model import DomainView, DrResult, Event, History, Rates, Snapshot, \
    StrandView, interval_rates, strand_rates


def snap(t, busy, ticks, work, owners=None, sbusy=0, sticks=0):
    owners = owners or ["primary"] * 4 + ["ldg1"] * 4
    strands = tuple(StrandView(p, o, p % 4 if o else None, 10.0 if o else None,
                               sbusy, sticks) for p, o in enumerate(owners))
    return Snapshot("T5220", 2, 4, t,
                    (DomainView("primary", "active", "-n-c--", util=1.0, busy=1, ticks=10),
                     DomainView("ldg1", "active", "-n----", util=50.0, busy=busy,
                                ticks=ticks, work=work),
                     DomainView("ldg2", "bound", "------")),
                    strands)


def test_interval_rates_are_differences_over_the_interval():
    a = snap(0.010, busy=1000, ticks=4000, work=500)
    b = snap(0.012, busy=1000 + 3000, ticks=4000 + 4000, work=500 + 800)
    r = interval_rates(a, b)
    assert r["ldg1"].util == pytest.approx(75.0)            # 3000 of 4000 ticks busy
    assert r["ldg1"].throughput == pytest.approx(800 / 0.002)
    assert r["primary"] == Rates(1.0, None)                 # no new ticks: since start
    assert r["ldg2"] == Rates(None, None)                   # not running
    # no previous snapshot: since-start utilisation, no throughput
    assert interval_rates(None, b)["ldg1"] == Rates(50.0, None)


def test_strand_rates_follow_the_strand_and_reset_on_rebind():
    a = snap(0.01, 0, 0, 0, sbusy=100, sticks=1000)
    b = snap(0.02, 0, 0, 0, sbusy=700, sticks=2000)
    assert strand_rates(a, b) == [pytest.approx(60.0)] * 8
    # a strand that changed owner shows its since-start figure, a free one None
    moved = ["primary"] * 4 + ["ldg2"] + ["ldg1"] * 2 + [None]
    c = snap(0.02, 0, 0, 0, owners=moved, sbusy=700, sticks=2000)
    r = strand_rates(a, c)
    assert r[4] == 10.0 and r[5] == pytest.approx(60.0) and r[7] is None


def test_split_cores():
    s = snap(0, 0, 0, 0, owners=["primary", "primary", "ldg1", None,
                                 "ldg1", "ldg1", "ldg1", "ldg1"])
    assert s.split_cores() == {0: ("primary", "ldg1")}
    assert snap(0, 0, 0, 0).split_cores() == {}


def test_forceable_blocked_vcpus():
    bound = DrResult(3, "blocked", "configured", "cpu has bound threads")
    last = DrResult(0, "blocked", "configured", "last online cpu in processor set 0")
    ok = DrResult(4, "ok", "unconfigured")
    e = Event(1, 0.0, "dr", "unconfigure", "ldg1", "unconfigure", (bound, last, ok))
    assert e.blocked() == (bound, last)
    assert e.forceable() == (bound,)
    forced = Event(2, 0.0, "dr", "force", "ldg1", "force unconfigure", (bound,))
    assert forced.forceable() == ()
    assert Event(3, 0.0, "policy", "x", "ldg1", results=(bound,)).forceable() == ()


def test_history_keeps_the_last_samples_per_domain():
    h = History(size=3)
    for i in range(5):
        h.add({"a": Rates(float(i), i * 10.0), "b": Rates(None, None)})
    assert h.util["a"] == [2.0, 3.0, 4.0] and h.throughput["a"] == [20.0, 30.0, 40.0]
    assert h.util["b"] == [0.0, 0.0, 0.0]
    h.add({"a": Rates(5.0, 50.0)})                          # b was removed
    assert "b" not in h.util and h.util["a"] == [3.0, 4.0, 5.0]
