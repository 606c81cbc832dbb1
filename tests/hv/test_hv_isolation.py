"""Isolation (issue 11 §5): a hostile guest (tests/guests/hostile.c) on a core it shares
with a victim domain tries 95 ways out of its domain: real loads and stores outside its
memory, foreign real addresses in TTEs, TSBs, queues, the fault area, the MD buffer,
the console and LDC calls, other domains' vCPUs, hyperprivileged instructions, registers
and ASIs (partition ID, TLB data-in, demap, LSU control, interrupt dispatch, strand
control, T2 real ranges), a forged done, TLB demaps, and finally a guest watchdog.
Each attempt must get its architected error or trap (the guest checks and prints each),
the canary the test put in the victim's memory must be intact, the victim's strands
must keep their partition ID, and the victim and the control domain must finish with
exactly the results they give without the hostile guest."""
import pytest

from hvkit import HV_ELF, config, fail_lines, ok_lines, result_of

from sun4v.boot.system import System
from sun4v.cmt import state as S

CANARY = 0x0123_4567_89AB_CDEF
# T2000: primary fills cores 0-5, the victim core 6 and half of core 7, so the hostile
# guest's two vCPUs share core 7 (and its TLB) with the victim
LAYOUT = [("primary", {"vcpus": 24, "memory": "1G", "image": "basic", "iterations": 2000}),
          ("victim", {"vcpus": 6, "memory": "256M", "image": "basic", "iterations": 8000})]


def _run(third):
    return System(config("T2000", LAYOUT + [third]), hv_elf=str(HV_ELF))


@pytest.fixture(scope="module")
def reference():
    """The same machine with a well-behaved third domain."""
    s = _run(("hostile", {"vcpus": 2, "memory": "256M", "image": "basic",
                          "iterations": 100}))
    r = s.run(max_insns=200_000_000)
    assert r.reason == "stopped"
    return {n: result_of(s.console(n)) for n in ("primary", "victim")}


def test_hostile_guest_gets_architected_errors_and_victims_are_untouched(reference):
    probe = _run(("hostile", {"vcpus": 2, "memory": "256M", "image": "basic"}))
    victim = probe.bindings.get("victim")
    target = victim.mblocks[0].pa + victim.mblocks[0].size - 0x10000   # 64 KB aligned
    s = _run(("hostile", {"vcpus": 2, "memory": "256M", "image": "hostile",
                          "target": target}))
    assert s.bindings.get("victim").mblocks == victim.mblocks
    split = s.bindings.split_cores()
    assert split == {7: ("hostile", "victim")}, split
    for off in range(0, 0x10000, 8):
        s.m.mem.write_u64(target + off, CANARY ^ off)
    hostile_gid = s.bindings.get("hostile").gid
    r = s.run(max_insns=200_000_000)
    text = s.console("hostile")
    assert r.reason == "stopped" and not s.hv.panicked, s.hv_console()
    assert fail_lines(text) == [], text
    assert "hostile: 95 attacks, 0 got through" in text
    assert len(ok_lines(text)) == 95
    # the guest watchdog: RTBA + 0x40 with the MMU off, its handler exits with 0x57
    st = {d["name"]: d for d in s.domain_stats()}
    assert st["hostile"]["exit_code"] == 0x57
    # the victim's memory, partition and results
    assert all(s.m.mem.read_u64(target + off) == CANARY ^ off for off in range(0, 0x10000, 8))
    vpart = s.bindings.get("victim").partid
    for p in s.bindings.get("victim").pids():
        assert int(s.m.S.C[p, S.PARTID]) == vpart
    assert s.bindings.get("hostile").partid != vpart
    for n in ("primary", "victim"):
        assert result_of(s.console(n)) == reference[n]
        assert st[n]["exit_code"] == 0
    assert hostile_gid == 2
