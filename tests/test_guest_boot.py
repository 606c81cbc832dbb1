"""The guest kernel booted by `sun4v boot` on the three chip families, three domains or
more each: every console shows its banner and its workload's result, the results are
the values the workloads' definitions give (computed again in Python, guestkit.py),
a `mix` domain at duty 10 % shows about 10 % utilisation in the hypervisor's
yielded-cycle counters, threads outnumbering vCPUs are preempted and still compute
the right thing, the same configuration gives the same consoles and counters, and the
cycle model runs the same three families (shorter runs), the same however sliced."""
import re
import time

import numpy as np
import pytest

import guestkit as K

DOMAINS = ("ldg1", "ldg2", "ldg3")

CONFIGS = {
    # T1: the hypervisor's software MMU-miss path
    "T2000": [
        dict(name="primary", vcpus=4, memory="1G"),
        dict(name="ldg1", vcpus=4, memory="1G", workload="int", iterations=2000),
        dict(name="ldg2", vcpus=4, memory="1G", workload="mix", requests=10, work=20000,
             duty=0.1),
        dict(name="ldg3", vcpus=2, memory="1G", workload="mem", passes=2, size=96 * 1024),
    ],
    # T2: the chip's hardware table walk
    "T5220": [
        dict(name="primary", vcpus=8, memory="1G"),
        dict(name="ldg1", vcpus=8, memory="2G", workload="fp", iterations=40000),
        dict(name="ldg2", vcpus=4, memory="1G", workload="int", iterations=1000, bind=1),
        dict(name="ldg3", vcpus=4, memory="1G", workload="mix", requests=8, work=20000,
             duty=0.25),
    ],
    # T2+, two sockets: ldg1 takes the rest of socket 0, ldg2 and ldg3 run on socket 1
    "T5240": [
        dict(name="primary", vcpus=8, memory="1G"),
        dict(name="ldg1", cores=7, memory="1G"),
        dict(name="ldg2", vcpus=4, memory="1G", workload="int", iterations=1000),
        dict(name="ldg3", vcpus=2, memory="1G", workload="fp", iterations=20000),
    ],
}


def expected(d):
    threads = d.get("threads", d.get("vcpus") or 8 * d["cores"])
    w = d.get("workload", "idle")
    if w == "int":
        return K.int_result(threads, d["iterations"])
    if w == "fp":
        return K.fp_result(threads, d["iterations"])
    if w == "mem":
        return K.mem_result(threads, d["passes"], d["size"])
    if w == "mix":
        return K.mix_result(threads, d["requests"], d["work"])
    return None


def done(s, names):
    def check():
        for n in names:
            c = K.Counters(K.memory(s, n))
            if not c.ready() or c.read()["state"] != "done":
                return False
        return True
    return check


@pytest.mark.parametrize("platform", sorted(CONFIGS))
def test_domains_boot_and_compute(platform):
    cfg = CONFIGS[platform]
    s = K.system(platform, cfg)
    busy = [d["name"] for d in cfg if d.get("workload", "idle") != "idle"]
    assert K.run_until(s, done(s, busy), step="2ms", limit="300ms"), \
        {n: s.console(n)[-300:] for n in busy}
    banner = s.platform.name
    for d in cfg:
        con = s.console(d["name"])
        n = d.get("vcpus") or 8 * d["cores"]
        assert f"sun4v guest kernel on {banner}\n" in con
        m = re.search(rf"domain {d['name']}: (\d+) vCPUs \(0-{n - 1}\), (\d+) MB memory", con)
        assert m and int(m.group(1)) == n, con[:400]
        assert f"{n} vCPUs online" in con
        c = K.counters(s, d["name"])
        assert c["cpus_online"] == n
        assert sorted(v for v, x in c["cpus"].items() if x["state"] == "online") == \
            list(range(n))
        want = expected(d)
        if want is None:
            assert c["state"] == "idle" and "workload idle" in con
            continue
        assert c["state"] == "done"
        assert c["result"] == want, (d["name"], hex(c["result"]), hex(want))
        assert f"workload {d['workload']}: done: result 0x{want:016x}" in con
        assert sum(x["progress"] for x in c["cpus"].values()) == c["units_total"] > 0
        # progress lines: each a new share of the work, rising, short of the total
        seen = [(int(p), int(d_), int(t)) for p, d_, t in re.findall(
            rf"workload {d['workload']}: (\d+)% \((\d+) of (\d+) ", con)]
        assert [d_ for _, d_, _ in seen] == sorted({d_ for _, d_, _ in seen}), seen
        assert all(p == d_ * 100 // t and 25 <= p < 100 for p, d_, t in seen), seen
    if platform == "T5240":
        sockets = {n: {p // 64 for p in s.bindings.get(n).pids()} for n in DOMAINS}
        assert sockets["ldg2"] == sockets["ldg3"] == {1}
    assert "relay: " in s.console("primary")


@pytest.mark.parametrize("platform", ["T2000", "T5220"])
def test_mmu_misses_beyond_the_tsb(platform):
    """A 4 GB domain: its 1024 pages of 4 MB do not all fit the 512-entry TSB. The mem
    workload's buffer is at the top of memory, in a page whose TSB entry holds a lower
    page: the hypervisor's TSB probe (T1) or the chip's walk (T2) misses, the kernel's
    kmiss handler loads the translation, and the workload computes the right thing."""
    s = K.system(platform, [dict(name="primary", vcpus=1, memory="1G"),
                            dict(name="ldg1", vcpus=2, memory="4G", workload="mem",
                                 passes=3, size=64 * 1024, threads=2)])
    assert K.run_until(s, done(s, ("ldg1",)), step="2ms", limit="100ms")
    c = K.counters(s, "ldg1")
    assert c["result"] == K.mem_result(2, 3, 64 * 1024)
    assert c["kmisses"] >= 1
    assert "4096 MB mapped" in s.console("ldg1")
    # and the buffers are where the linear map says: worker w's at the top of the
    # domain's memory, 64 KB each, going down
    dm = K.memory(s, "ldg1")
    top = max(ra + size for ra, _, size in dm.blocks)
    for w in range(2):
        want = np.concatenate(K.mem_arrays(w, 3, 64 * 1024)).astype(">u8").tobytes()
        assert dm.read(top - (w + 1) * 64 * 1024, len(want)) == want


def test_duty_shows_in_the_hypervisors_utilisation():
    """UTIL = time not yielded to the hypervisor (cpu_yield): a mix domain at duty
    10 % shows about 10 %, an int domain about 100 %, an idle one about 0 %."""
    s = K.system("T2000", [
        dict(name="primary", vcpus=2, memory="1G"),
        dict(name="ldg1", vcpus=2, memory="1G", workload="int", iterations=0),
        dict(name="ldg2", vcpus=2, memory="1G", workload="mix", requests=0, work=20000,
             duty=0.1),
        dict(name="ldg3", vcpus=2, memory="1G"),
    ])
    K.run_until(s, lambda: False, limit="5ms")          # boot, settle
    before = {n: K.vcpu_ticks(s, n) for n in ("ldg1", "ldg2", "ldg3")}
    K.run_until(s, lambda: False, limit="30ms")
    util = {n: K.window_util(before[n], K.vcpu_ticks(s, n)) for n in before}
    assert util["ldg1"] > 0.97, util
    assert 0.07 < util["ldg2"] < 0.14, util
    assert util["ldg3"] < 0.02, util
    c = K.counters(s, "ldg2")
    assert c["state"] == "running" and c["units_total"] == 0
    assert all(x["yields"] > 10 for x in c["cpus"].values())


def test_threads_outnumbering_vcpus_are_preempted():
    """6 int workers (register-window code) and 3 fp workers on 2 vCPUs each, each
    worker several 1 ms slices long: the clock takes the vCPUs from them (preemptions)
    and the switches save their windows and FP registers, so the results stay right."""
    s = K.system("T2000", [
        dict(name="primary", vcpus=1, memory="1G"),
        dict(name="ldg1", vcpus=2, memory="1G", workload="int", iterations=6000, threads=6),
        dict(name="ldg2", vcpus=2, memory="1G", workload="fp", iterations=600000, threads=3),
    ])
    assert K.run_until(s, done(s, ("ldg1", "ldg2")), step="2ms", limit="400ms")
    c1, c2 = K.counters(s, "ldg1"), K.counters(s, "ldg2")
    assert c1["result"] == K.int_result(6, 6000)
    assert c2["result"] == K.fp_result(3, 600000)
    for c in (c1, c2):
        assert all(x["progress"] > 0 and x["preemptions"] >= 1 for x in c["cpus"].values()), \
            c["cpus"]


def test_counters_read_live():
    """The host reads a domain's counters page while the machine runs in its worker
    thread: the progress grows from one read to the next, nothing stops."""
    s = K.system("T2000", [dict(name="primary", vcpus=1, memory="1G"),
                           dict(name="ldg1", vcpus=2, memory="1G", workload="int",
                                iterations=0)])
    assert K.run_until(s, lambda: K.Counters(K.memory(s, "ldg1")).ready(), limit="10ms")
    c = K.Counters(K.memory(s, "ldg1"))
    s.m.start(until=s.m.time + s.steps("1s"))
    try:
        seen = []
        deadline = time.monotonic() + 60
        while len(set(seen)) < 4 and time.monotonic() < deadline:
            assert s.m.running
            seen.append(sum(x["progress"] for x in c.read()["cpus"].values()))
            time.sleep(0.2)
    finally:
        s.m.stop()
    assert seen == sorted(seen) and len(set(seen)) >= 4, seen
    assert c.read()["state"] == "running" and c.read()["units_total"] == 0


def test_same_configuration_same_run():
    cfg = [dict(name="primary", vcpus=2, memory="1G"),
           dict(name="ldg1", vcpus=2, memory="1G", workload="int", iterations=400),
           dict(name="ldg2", vcpus=2, memory="1G", workload="mix", requests=4, work=5000)]
    runs = []
    for _ in range(2):
        s = K.system("T2000", cfg)
        s.run(until=s.steps("12ms"))
        runs.append(({n: s.console(n) for n in ("primary", "ldg1", "ldg2")},
                     {n: K.counters(s, n) for n in ("primary", "ldg1", "ldg2")},
                     s.m.insns_run, s.hv_console()))
    assert runs[0] == runs[1]
    assert runs[0][1]["ldg1"]["state"] == "done"


# cycle mode: the same three chip families, four domains each, small workloads (a cycle
# costs far more host time than a functional step): the T2+ machine's ldg2 and ldg3 land
# on socket 1 behind ldg1's seven cores
CYCLE_CONFIGS = {
    "T2000": [
        dict(name="primary", vcpus=1, memory="1G"),
        dict(name="ldg1", vcpus=2, memory="1G", workload="int", iterations=100),
        dict(name="ldg2", vcpus=1, memory="1G", workload="fp", iterations=2000),
        dict(name="ldg3", vcpus=2, memory="1G", workload="mem", passes=1, size=16 * 1024),
    ],
    "T5220": [
        dict(name="primary", vcpus=1, memory="1G"),
        dict(name="ldg1", vcpus=4, memory="1G", workload="int", iterations=100),
        dict(name="ldg2", vcpus=2, memory="1G", workload="mem", passes=1, size=16 * 1024),
        dict(name="ldg3", vcpus=1, memory="1G", workload="fp", iterations=2000),
    ],
    "T5240": [
        dict(name="primary", vcpus=1, memory="1G"),
        dict(name="ldg1", vcpus=63, memory="1G"),
        dict(name="ldg2", vcpus=2, memory="1G", workload="int", iterations=100),
        dict(name="ldg3", vcpus=1, memory="1G", workload="fp", iterations=2000),
    ],
}
CYCLE_UNTIL = "20ms"


def cycle_boot(platform, step=None):
    """The platform's cycle-mode configuration run to CYCLE_UNTIL, straight (step None)
    or in slices of `step`: (System, what a run is compared on)."""
    cfg = CYCLE_CONFIGS[platform]
    s = K.system(platform, cfg, mode="cycle")
    end = s.steps(CYCLE_UNTIL)
    while s.m.time < end:
        t = end if step is None else min(end, s.m.time + s.steps(step))
        r = s.run(until=t)
        assert r.reason == "until", (r, {d["name"]: s.console(d["name"])[-300:] for d in cfg})
    st = s.stats()
    names = [d["name"] for d in cfg]
    seen = ({n: s.console(n) for n in names}, {n: K.counters(s, n) for n in names},
            s.hv_console(), s.m.time, s.m.insns_run,
            [(x["id"], x["instructions"], x["cycles"]) for x in st["strands"]],
            st["l2"], st["cores"])
    return s, seen


@pytest.mark.parametrize("platform", sorted(CYCLE_CONFIGS))
def test_cycle_mode_boot(platform):
    """The cycle model runs the firmware hypervisor and four domains from power-on: every
    console shows its banner and its workload's right result; the statistics are the
    cycle model's (per strand cycles by reason, per core IPC, the caches), and each
    domain's CPI is its strands' awake cycles per instruction. The same run again,
    sliced differently, gives the same consoles, counters, cycles and statistics."""
    cfg = CYCLE_CONFIGS[platform]
    s, seen = cycle_boot(platform)
    banner = s.platform.name
    for d in cfg:
        con = s.console(d["name"])
        n = d["vcpus"]
        assert f"sun4v guest kernel on {banner}\n" in con, con[:400]
        vids = "0" if n == 1 else f"0-{n - 1}"
        assert f"domain {d['name']}: {n} vCPUs ({vids})" in con, con[:400]
        assert f"{n} vCPUs online" in con
        c = K.counters(s, d["name"])
        assert c["cpus_online"] == n
        want = expected(d)
        if want is None:
            assert c["state"] == "idle" and "workload idle" in con
            continue
        assert c["state"] == "done", (d["name"], con[-300:])
        assert c["result"] == want, (d["name"], hex(c["result"]), hex(want))
        assert f"workload {d['workload']}: done: result 0x{want:016x}" in con
    if platform == "T5240":
        sockets = {n: {p // 64 for p in s.bindings.get(n).pids()} for n in DOMAINS}
        assert sockets["ldg2"] == sockets["ldg3"] == {1}
    st = s.stats()
    assert st["mode"] == "cycle" and st["cycles"] == s.m.time == s.steps(CYCLE_UNTIL)
    assert st["instructions"] == s.m.insns_run
    assert st["l2"]["accesses"] > st["l2"]["misses"] > 0 and st["itlb"]["accesses"] > 0
    rows = {x["id"]: x for x in st["strands"]}
    # TLB misses: on the T1 each is the hypervisor's miss trap (timed as its code runs);
    # on the T2/T2+ the chip's table walk loads most translations, costing tlb_miss
    walked = sum(r["cycles"].get("wait_tlb", 0) for r in rows.values())
    assert st["itlb"]["misses"] > 0 and st["dtlb"]["misses"] > 0
    if s.platform.family == "t1":
        assert walked == 0
    else:
        assert walked >= s.m.chip.tlb_miss
    for dom in st["domains"]:
        cy = dom["cycle"]
        mine = [rows[p] for p in dom["strands"] if p in rows]
        assert cy["instructions"] == sum(r["instructions"] for r in mine) > 0
        asleep = sum(r["cycles"].get(k, 0) for r in mine
                     for k in ("wait_halted", "wait_parked", "wait_not_started"))
        assert cy["awake_cycles"] == sum(sum(r["cycles"].values()) for r in mine) - asleep
        assert cy["cpi"] == round(cy["awake_cycles"] / cy["instructions"], 4) >= 1
        for r in mine:
            if r["instructions"]:
                assert r["cpi"] == round((sum(r["cycles"].values()) - sum(
                    r["cycles"].get(k, 0) for k in ("wait_halted", "wait_parked",
                                                    "wait_not_started"))) /
                    r["instructions"], 4) >= 1
    for core in st["cores"]:
        assert core["cpi"] == round(st["cycles"] / core["instructions"], 4)
    _, again = cycle_boot(platform, step="0.37ms")
    assert again == seen


