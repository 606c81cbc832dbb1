"""Live vCPU dynamic reconfiguration through the running manager (ldm/live.py): `ldm
add/remove/set-vcpu` and the core variants on an active domain go the real way
(hypervisor reconfigure through the control domain's relay, DS md-update, dr-cpu), and
the tests check the machine itself, read without the manager (livekit.check: the
hypervisor's vCPU table, the MDs in the hypervisor's MD area, the guest kernel's online
vCPUs), the per-vCPU dr-cpu results (reference ldoms_protocols.md §1.3: illumos's
results and reason strings) and the guest's console, and that the workload keeps
running on the new vCPUs and leaves the removed ones."""
import livekit as L

LOADED = dict(name="ldg1", vcpus=4, memory="1G", workload="int", threads=8,
              iterations=100_000_000)


def primary(vcpus=4):
    return dict(name="primary", vcpus=vcpus, memory="1G")


def dr_events(lm, name, since=0):
    return [e for e in lm.events(since) if e.kind == "dr" and e.domain == name]


def per_vcpu(lm, name):
    """{vid: progress} of the guest's counters page."""
    return {v: c["progress"] for v, c in L.counters(lm, name)["cpus"].items()}


def test_add_and_remove_vcpus_of_a_loaded_domain():
    lm = L.boot([primary(), LOADED])
    L.check(lm)
    seq = lm.events()[-1].seq
    out, err = L.ldm(lm, "add-vcpu 4 ldg1")
    assert (out, err) == ([], [])                      # the real tool says nothing
    L.check(lm)
    assert L.online_vids(lm, "ldg1") == set(range(8))
    hv = L.hv_vcpus(lm)["ldg1"]
    assert sorted(s for s, _ in hv.values()) == list(range(8, 16))   # core 1, whole
    assert {st for _, st in hv.values()} == {"running"}
    ev = dr_events(lm, "ldg1", seq)
    assert [e.data["records"] for e in ev] == \
        [[(v, "ok", "configured", "") for v in range(4, 8)]]
    assert ev[0].data["strands"] == {v: hv[v][0] for v in range(4, 8)}   # 12..15
    assert ev[0].text == "dr-cpu configure 4,5,6,7: " + "; ".join(
        f"vCPU {v} (strand {8 + v}) ok" for v in range(4, 8))
    out, _ = L.ldm(lm, "list")
    assert any(ln.startswith("ldg1") and ln.split()[4] == "8" for ln in out), out
    out, _ = L.ldm(lm, "list-bindings ldg1")
    vrows = out[out.index("VCPU") + 2:out.index("VCPU") + 10]
    assert [ln.split()[:3] for ln in vrows] == [[str(v), str(8 + v), "1"] for v in range(8)]
    # the workload moves onto the new vCPUs
    before = per_vcpu(lm, "ldg1")
    lm.advance("2ms")
    after = per_vcpu(lm, "ldg1")
    assert all(after[v] > before[v] for v in range(8)), (before, after)
    assert "dr-cpu: configure cpu 7: ok" in lm.console("ldg1")[0]

    seq = lm.events()[-1].seq
    L.ldm(lm, "remove-vcpu 3 ldg1")
    L.check(lm)
    assert L.online_vids(lm, "ldg1") == set(range(5))
    assert set(L.hv_vcpus(lm)["ldg1"]) == set(range(5))
    assert [e.data["records"] for e in dr_events(lm, "ldg1", seq)] == \
        [[(v, "ok", "unconfigured", "") for v in (5, 6, 7)]]
    # the removed vCPUs do no more work, the others all of it
    before = per_vcpu(lm, "ldg1")
    lm.advance("2ms")
    after = per_vcpu(lm, "ldg1")
    assert all(after[v] == before[v] for v in (5, 6, 7)), (before, after)
    assert all(after[v] > before[v] for v in range(5)), (before, after)
    assert L.counters(lm, "ldg1")["cpus"][7]["state"] == "offline"
    # list-events shows the per-vCPU results
    out, _ = L.ldm(lm, "list-events -k dr ldg1")
    assert out[-1].endswith("dr-cpu unconfigure 5,6,7: vCPU 5 (strand 13) ok; vCPU 6 "
                            "(strand 14) ok; vCPU 7 (strand 15) ok")


def test_set_vcpu_and_the_core_variants():
    lm = L.boot([primary(), LOADED, dict(name="ldg2", cores=1, memory="1G",
                                         workload="int", threads=4,
                                         iterations=100_000_000)])
    L.ldm(lm, "set-vcpu 6 ldg1")
    L.check(lm)
    assert L.online_vids(lm, "ldg1") == set(range(6))
    L.ldm(lm, "set-vcpu 2 ldg1")
    L.check(lm)
    assert L.online_vids(lm, "ldg1") == {0, 1}
    # whole cores: ldg2 owns core 2; add-core takes a free whole core
    L.ldm(lm, "add-core 1 ldg2")
    L.check(lm)
    strands = sorted(s for s, _ in L.hv_vcpus(lm)["ldg2"].values())
    assert len(strands) == 16 and {s // 8 for s in strands} == {2, 3}
    assert L.online_vids(lm, "ldg2") == set(range(16))
    # vCPU-level changes of a whole-core domain are refused, nothing changes
    _, err = L.ldm(lm, "remove-vcpu 1 ldg2", status=1)
    assert err and "whole cores" in err[0]
    L.ldm(lm, "remove-core 1 ldg2")
    L.check(lm)
    strands = sorted(s for s, _ in L.hv_vcpus(lm)["ldg2"].values())
    assert len(strands) == 8 and len({s // 8 for s in strands}) == 1
    L.ldm(lm, "set-core 2 ldg2")
    L.check(lm)
    assert len(L.hv_vcpus(lm)["ldg2"]) == 16
    # add-vcpu -c: whole cores for a vCPU domain is refused (it is not a whole-core
    # domain), and the refusal changes nothing
    _, err = L.ldm(lm, "add-core 1 ldg1", status=1)
    assert "not configured with whole cores" in err[0]
    L.check(lm)
    # never a strand of another domain: the cores are not split
    owners = {}
    for n, vs in L.hv_vcpus(lm).items():
        for s, _ in vs.values():
            owners.setdefault(s // 8, set()).add(n)
    assert all(len(v) == 1 for c, v in owners.items() if "ldg2" in v), owners


def test_bound_thread_blocks_removal_until_forced():
    lm = L.boot([primary(), dict(LOADED, threads=4, bind=1)])
    seq = lm.events()[-1].seq
    _, err = L.ldm(lm, "remove-vcpu 1 ldg1", status=1)
    assert err == ["Removal of vCPUs 3 from LDom ldg1 failed:",
                   "    vCPU 3 (strand 11): blocked: cpu has bound thread (use -f to force)",
                   "LDom ldg1 keeps its 4 vCPUs"]
    L.check(lm)                                     # nothing changed anywhere
    assert L.online_vids(lm, "ldg1") == set(range(4))
    assert [e.data["reason"] for e in lm.events(seq) if e.kind == "blocked"] == \
        ["cpu has bound thread"]
    assert [e.data["records"] for e in dr_events(lm, "ldg1", seq)] == \
        [[(3, "blocked", "configured", "cpu has bound thread")]]
    # the last vCPU is the manager's refusal before anything is asked
    _, err = L.ldm(lm, "remove-vcpu 4 ldg1", status=1)
    assert err == ["LDom ldg1 must keep at least one vCPU: it has 4"]
    # forced: the guest unbinds the thread and lets the vCPU go; its work goes on
    work = L.progress(lm, "ldg1")
    L.ldm(lm, "remove-vcpu -f 1 ldg1")
    L.check(lm)
    assert L.online_vids(lm, "ldg1") == {0, 1, 2}
    assert "dr-cpu: force unconfigure cpu 3: ok" in lm.console("ldg1")[0]
    before = per_vcpu(lm, "ldg1")
    lm.advance("2ms")
    after = per_vcpu(lm, "ldg1")
    assert L.progress(lm, "ldg1") > work
    assert after[3] == before[3] and all(after[v] > before[v] for v in range(3))


def test_a_guest_that_does_not_answer_in_time():
    """The manager gives a guest dr_timeout to answer; 10 us is less than any guest
    can take (the request crosses the relay and the guest's LDC), so every request
    times out: the command reports the domain as not responding, and once the late
    answers have come in the hypervisor's bindings, the MDs and the guest's vCPUs all
    agree with the manager again (nothing half-done stays behind)."""
    lm = L.boot([primary(), LOADED], dr_timeout="10us")
    _, err = L.ldm(lm, "add-vcpu 2 ldg1", status=1)
    assert err[0] == ("LDom ldg1 is not responding: no answer to md-update and dr-cpu "
                      "configure of vCPUs 4,5 in 0.01 ms")
    lm.advance("2ms")
    L.check(lm)
    n = len(lm.config().bindings.get("ldg1").vcpus)
    assert n in (4, 6)
    assert any(f"LDom ldg1 now has {n} vCPUs" in ln for ln in err) or n == 4, err
    _, err = L.ldm(lm, "remove-vcpu 1 ldg1", status=1)
    assert err[0].startswith("LDom ldg1 is not responding: no answer to dr-cpu "
                             "unconfigure of vCPUs")
    lm.advance("2ms")
    L.check(lm)                                     # the vCPU was configured again
    assert len(lm.config().bindings.get("ldg1").vcpus) == n
    assert any("configured again" in e.text for e in lm.events() if e.kind == "dr")
