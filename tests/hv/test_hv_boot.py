"""Booting logical domains on the firmware hypervisor (issue 11 §5): three domains of the
basic test guest (tests/guests/basic.c) on a T2000 (T1: the hypervisor's software TLB
miss path), a T5220 (T2: the chip's hardware table walk) and a two-socket T5240 (T2+,
a domain on the second socket).  Every console shows its banner and its result; every
vCPU of every domain ran (the checksum covers each vCPU's counter), every domain
stopped with status 0, the hypervisor reports each vCPU on the strand the binder gave
it, and the run is deterministic."""
import pytest

from hvkit import boot, result_of

from ldm.bindings import Bindings

# (platform, [(domain, vcpus/cores, memory, iterations)], the strands domain 2 must use)
LAYOUTS = {
    "T2000": [("primary", {"vcpus": 4}, "1G", 3000), ("ldg1", {"vcpus": 4}, "512M", 2000),
              ("ldg2", {"cores": 1}, "256M", 1000)],
    "T5220": [("primary", {"vcpus": 8}, "1G", 3000), ("ldg1", {"vcpus": 4}, "512M", 2000),
              ("ldg2", {"cores": 1}, "256M", 1000)],
    "T5240": [("primary", {"cores": 8}, "1G", 300), ("ldg1", {"vcpus": 4}, "512M", 2000),
              ("ldg2", {"vcpus": 2}, "256M", 1000)],
}


def _checksum(iterations, nvcpu):
    """What basic.c prints: counters[v] = iterations * (v + 1) for v < nvcpu (16 slots),
    folded s = s * 31 + c over all 16."""
    s = 0
    for v in range(16):
        c = iterations * (v + 1) if v < nvcpu else 0
        s = (s * 31 + c) & (2**64 - 1)
    return f"{s:016x}"


def _domains(plat):
    return [(n, {**cpu, "memory": mem, "image": "basic", "iterations": it, "yield": 500})
            for n, cpu, mem, it in LAYOUTS[plat]]


@pytest.mark.parametrize("plat", sorted(LAYOUTS))
def test_three_domains_boot_run_and_stop(plat):
    s, r = boot(plat, _domains(plat))
    assert r.reason == "stopped", (r, s.hv_console())
    assert not s.hv.panicked
    stats = {d["name"]: d for d in s.domain_stats()}
    b: Bindings = s.bindings
    for name, cpu, mem, it in LAYOUTS[plat]:
        text = s.console(name)
        d = b.get(name)
        n = len(d.vcpus)
        assert f"{name}: sun4v test guest, {n} vCPUs, {d.memory() >> 20} MB" in text
        started = min(n, 16)
        assert result_of(text) == (str(it), str(started), _checksum(it, started)), text
        st = stats[name]
        assert st["state"] == "stopped" and st["exit_code"] == 0
        # the hypervisor ran each vCPU on the strand the binder chose
        assert {(v["vid"], v["strand"]) for v in st["vcpus"]} == \
            {(v.vid, v.pid) for v in d.vcpus}
        assert 0.0 < st["util"] < 1.0           # they computed and they yielded
        assert st["hcalls"] > 0
    hv = s.hv_console()
    assert "sun4v hypervisor" in hv and "3 guests configured" in hv
    if plat == "T5240":
        assert min(b.get("ldg1").pids()) >= 64      # the second socket
        assert "UltraSPARC T2" in hv and "128 strands" in hv


def test_boot_is_deterministic():
    runs = []
    for _ in range(2):
        s, r = boot("T5220", _domains("T5220"))
        runs.append((r, [s.console(n) for n, *_ in LAYOUTS["T5220"]], s.hv_console(),
                     s.m.stats()["instructions"], s.domain_stats()))
    assert runs[0] == runs[1]


def test_watchdog_resets_a_guest_that_does_not_pat_it():
    """mach_set_watchdog(2 ms), then nothing: the hypervisor resets the guest (its image
    copied again, its boot vCPU started again), which then runs to its result."""
    s, r = boot("T2000", [("primary", {"vcpus": 2, "memory": "512M", "image": "basic",
                                       "iterations": 500, "watchdog": 2})])
    text = s.console("primary")
    assert r.reason == "stopped", (r, s.hv_console())
    assert "arming the watchdog, 2 ms" in text and "restarted by the watchdog" in text
    assert result_of(text)[:2] == ("500", "2")
    hv = s.hv_console()
    assert "watchdog expired" in hv and "primary (gid 0): reset" in hv
    assert s.domain_stats()[0]["exit_code"] == 0
