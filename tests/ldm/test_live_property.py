"""Random `ldm` command sequences (hypothesis) against a running machine: live vCPU and
core DR of guests running a workload and of the control domain, `ldm list`, and time
passing. After every step, read from the machine without the manager (livekit.check):
no strand in two domains, the hypervisor's bindings are the manager's, every guest's
MD has the manager's vCPUs and the guest kernel has exactly those online; and no work
is lost: the workload's counters never go back, a vCPU the domain no longer has does
no more work, and at the end the workload's result is the one its definition gives
(guestkit.int_result, computed in Python)."""
import functools

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

import livekit as L

THREADS, ITERATIONS = 6, 3000
DOMAINS = [
    dict(name="primary", vcpus=4, memory="1G"),
    dict(name="ldg1", vcpus=4, memory="1G", workload="int", threads=THREADS,
         iterations=ITERATIONS),
    dict(name="ldg2", cores=1, memory="1G", workload="int", threads=2,
         iterations=100_000_000),
]


@functools.cache
def ldg1_result():
    return L.int_result(THREADS, ITERATIONS)


step = st.one_of(
    st.builds(lambda k: f"add-vcpu {k} ldg1", st.integers(1, 6)),
    st.builds(lambda k: f"remove-vcpu {k} ldg1", st.integers(1, 6)),
    st.builds(lambda k: f"set-vcpu {k} ldg1", st.integers(1, 10)),
    st.builds(lambda k: f"set-vcpu {k} primary", st.integers(1, 6)),
    st.builds(lambda v: f"{v} ldg2", st.sampled_from(
        ["add-core 1", "remove-core 1", "set-core 1", "set-core 2"])),
    st.builds(lambda k: f"add-vcpu -c {k} ldg1", st.integers(1, 2)),
    st.just("list"),
    st.builds(lambda us: ("advance", us), st.sampled_from([100, 300, 1000])),
)


def run_sequence(steps):
    lm = L.boot(DOMAINS)
    L.check(lm)
    work = {n: L.progress(lm, n) for n in ("ldg1", "ldg2")}
    for s in steps:
        if isinstance(s, tuple):
            bound = {n: {v.vid for v in lm.config().bindings.get(n).vcpus}
                     for n in ("ldg1", "ldg2")}
            before = {n: L.counters(lm, n)["cpus"] for n in bound}
            lm.advance(f"{s[1]}us")
            for n in bound:
                after = L.counters(lm, n)["cpus"]
                idle = [v for v in after if v not in bound[n] and
                        after[v]["progress"] != before[n].get(v, {}).get("progress", 0)]
                assert not idle, f"{n}: vCPUs {idle} not in the domain did work"
        else:
            r = lm.execute(s.split())
            assert r.status in (0, 1), (s, r)
            if r.status:
                assert r.err, s                    # a refusal says why
            if s == "list":
                rows = {ln.split()[0]: ln.split() for ln in r.out[1:]}
                for d in lm.config().bindings.domains:
                    assert rows[d.name][4] == str(len(d.vcpus)), (rows, d)
        L.check(lm)
        for n in work:
            now = L.progress(lm, n)
            assert now >= work[n], f"{n}: work went back after {s!r}"
            work[n] = now
    # the workload finishes with its one right result whatever happened meanwhile
    assert lm.run_until(lambda: L.counters(lm, "ldg1")["state"] == "done",
                        limit="60ms")
    c = L.counters(lm, "ldg1")
    assert c["result"] == ldg1_result()
    assert sum(x["progress"] for x in c["cpus"].values()) == ITERATIONS
    L.check(lm)


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(step, min_size=1, max_size=4))
@example(["add-vcpu 4 ldg1", ("advance", 300), "remove-vcpu 6 ldg1", "set-core 2 ldg2",
          "remove-core 1 ldg2", "set-vcpu 2 primary", "list"])
def test_random_live_sequences(steps):
    run_sequence(steps)


@pytest.mark.slow
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(step, min_size=1, max_size=12))
def test_random_live_sequences_long(steps):
    run_sequence(steps)
