"""The full-system machine in cycle mode (Machine(mode="cycle"): the cycle-level T1/T2
model of cmt/cycle.py over every strand of every core): the bare-metal programs of
test_machine.py on a T2000 (UltraSPARC T1) and a T5220 (UltraSPARC T2) — every strand
started and reporting in, park and resume, cross-strand interrupt ping-pong, timer
interrupts at the right cycle however the run is sliced, the UART's device interrupt,
bus errors — with the same architectural results as functional mode where they do not
depend on timing, the architectural TLB's misses counted once, full-system statistics,
determinism under slicing, and the machine in a worker thread.

Expected values come from the architecture (a compare register matches when its counter
reaches the compare value; %tick counts cycles in cycle mode, %stick = cycles *
stick_hz / clock_hz; reference/sun4v.md §1.1) and from the model's documented rules
(cmt/cycle.py): an interrupt is taken at the strand's first pick at or after the cycle it
becomes pending, and a halted strand wakes at that cycle; a trap occupies its slot and
the handler's first instruction issues `trap_cycles` later; a device access retires in
Python and the strand waits `io_latency`."""
import threading
import time

import numpy as np
import pytest

import bmbuild
from sun4v.cmt import cycle as CYM
from sun4v.cmt import state as S
from sun4v.machine import Machine, platform
from test_machine import RES, asm_log, res, same_state

M63 = (1 << 63) - 1
INT_DIS = 1 << 63
BOTH = ["t2000", "t5220"]


def cyc(plat, prog, **kw):
    """A cycle-mode machine with prog loaded."""
    m = Machine(plat, mode="cycle", **kw)
    m.load_elf(prog)
    return m


def run_cycle(plat, prog, max_insns=5_000_000, **kw):
    m = cyc(plat, prog, **kw)
    return m, m.run(max_insns=max_insns)


def total(row):
    return sum(row["cycles"].values())


# ---- strands ---------------------------------------------------------------------------
@pytest.mark.parametrize("plat,n", [("t2000", 32), ("t5220", 64)])
def test_every_strand_started_by_strand_0_reports_in(plat, n):
    m, r = run_cycle(plat, bmbuild.c("smp"))
    assert r.reason == "poweroff" and r.value == n
    assert m.hv_uart.text() == f"strands: {n}\n"
    assert res(m, n)[1:] == [0x5A00 | s for s in range(1, n)]
    assert [m.run_state(s) for s in range(1, n)] == ["halted"] * (n - 1)
    st = m.stats()
    assert st["mode"] == "cycle" and st["cycles"] == m.time > 0
    assert st["instructions"] == int(m.S.C[:, S.INSNS].sum()) == m.insns_run
    rows = {x["id"]: x for x in st["strands"]}
    assert sorted(rows) == list(range(n))
    for s in range(1, n):
        c = rows[s]["cycles"]
        # asleep until strand 0 started it, running, then halted to the end: every cycle
        # of the run is accounted for
        assert c["wait_not_started"] > 0 and c["wait_halted"] > 0 and c["running"] > 0
        assert total(rows[s]) == st["cycles"]
        assert rows[s]["state"] == "halted"
    assert total(rows[0]) == st["cycles"] + 1     # it issued the power-off in the last cycle
    # each core's issue count is its strands' instructions
    spc = m.chip.strands_per_core
    for core in st["cores"]:
        ids = range(core["id"] * spc, (core["id"] + 1) * spc)
        assert core["instructions"] == sum(rows[s]["instructions"] for s in ids if s in rows)
        assert core["ipc"] == round(core["instructions"] / st["cycles"], 4)
    assert st["l1i"]["accesses"] > 0 and st["l2"]["accesses"] > 0


@pytest.mark.parametrize("plat", BOTH)
def test_strand_parked_and_resumed(plat):
    m, r = run_cycle(plat, bmbuild.c("park"))
    assert r.reason == "poweroff" and r.value == 0x0D
    c1, c2, c3, run_parked, run_resumed = res(m, 5)
    assert c1 >= 100 and c1 == c2 < c3          # stood still while parked, then counted
    if plat == "t5220":
        assert run_parked == 0b01 and run_resumed == 0b11
    s1 = {x["id"]: x for x in m.stats()["strands"]}[1]["cycles"]
    assert s1["wait_parked"] > 20000 and s1["wait_not_started"] > 0


@pytest.mark.parametrize("plat", BOTH)
def test_cross_strand_interrupt_ping_pong(plat):
    m, r = run_cycle(plat, bmbuild.c("pingpong"))
    assert r.reason == "poweroff" and r.value == 10 + 100 * 10
    n = m.mem.read_u64(RES)
    log = [m.mem.read_u64(RES + 8 + 8 * i) for i in range(n)]
    assert log == [x for i in range(10) for x in ((1 << 8) | (40 + i), (0 << 8) | (20 + i))]
    rows = {x["id"]: x for x in m.stats()["strands"]}
    # both waited halted for the other's vector, took interrupt_vector ten times
    assert rows[0]["cycles"]["wait_halted"] > 0 and rows[1]["cycles"]["wait_halted"] > 0
    assert rows[0]["traps"] == rows[1]["traps"] == 10


# ---- time --------------------------------------------------------------------------------
def counter_at(m, s, t, stick):
    """%tick or %stick (bits 62:0) of strand s at cycle t, from the definitions: TICK +
    t, STICK + floor(t * stick_hz / clock_hz) (the offsets C[TICK], C[STICK])."""
    C = m.S.C[s]
    if not stick:
        return (int(C[S.TICK]) + t) & M63
    num, den = m.platform.stick_ratio
    return (int(C[S.STICK]) + t * num // den) & M63


def match_cycle(m, s, cmpr, stick):
    """The first cycle at which the counter has reached cmpr (bisection)."""
    lo, hi = m.time, m.time + (1 << 40)
    assert counter_at(m, s, lo, stick) < cmpr <= counter_at(m, s, hi, stick)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if counter_at(m, s, mid, stick) >= cmpr:
            hi = mid
        else:
            lo = mid
    return hi


def run_until_written(m, reg, step=50):
    """Run in slices of `step` cycles until strand 0 has enabled compare register reg."""
    for _ in range(10_000):
        if not int(m.S.C[0, reg]) & INT_DIS:
            return int(m.S.C[0, reg]) & M63
        assert m.run(until=m.time + step).reason == "until"
    raise AssertionError("compare register never written")


def first_trap_from(m, t_match, limit=400):
    """Run to cycle t_match, then one cycle at a time until strand 0 takes a trap: (the
    cycle it was taken in, its trap type, instructions strand 0 retired from t_match)."""
    C = m.S.C[0]
    k = int(C[S.TRAP_COUNT])
    assert m.run(until=t_match).reason == "until"
    assert int(C[S.TRAP_COUNT]) == k, "a trap before the match"
    n = int(C[S.INSNS])
    for t in range(t_match, t_match + limit):
        assert m.run(until=t + 1).reason == "until"
        if int(C[S.TRAP_COUNT]) != k:
            return t, int(C[S.TT_BASE + int(C[S.TL])]), int(C[S.INSNS]) - n
    raise AssertionError(f"no trap within {limit} cycles of the match")


@pytest.mark.parametrize("plat", BOTH)
@pytest.mark.parametrize("prog", ["timer", "timer_halt"])
def test_hstick_match_at_the_right_cycle_however_sliced(plat, prog):
    """hstick_match (0x5E) is taken at the strand's first pick at or after the cycle
    %stick reaches HSTICK_CMPR (no instruction issues in between); a halted strand wakes
    and takes it at that very cycle. The handler's first instruction (rd %stick) issues
    trap_cycles later at the earliest. Stepped cycle by cycle around the match, sliced by
    cycles and by instructions: the same end state as one straight run."""
    path = bmbuild.c(prog)
    straight, r0 = run_cycle(plat, path)
    assert r0.reason == "poweroff" and r0.value == 0x0D

    m = cyc(plat, path)
    cmpr = run_until_written(m, S.HSTICK_CMPR)
    tm = match_cycle(m, 0, cmpr, stick=True)
    t_trap, tt, issued = first_trap_from(m, tm)
    assert tt == 0x5E and issued == 0
    if prog == "timer_halt":
        assert m.run_state(0) == "running" and t_trap == tm
    else:
        assert t_trap - tm < 200
    assert m.run(max_insns=5_000_000) == r0
    same_state(m.snapshot(), straight.snapshot())
    s0, c, trap_stick = res(m, 3)
    assert c == cmpr == s0 + (5000 if prog == "timer" else 20000)
    trap_cycles = m.chip.trap_cycles
    assert trap_stick & M63 >= counter_at(m, 0, t_trap + trap_cycles, stick=True)

    for step in (7, 1000):                  # sliced by instruction budgets
        mk = cyc(plat, path)
        while (r := mk.run(max_insns=step)).reason == "budget":
            pass
        assert r == r0
        same_state(mk.snapshot(), straight.snapshot())
    mk = cyc(plat, path)                    # and by cycles
    while (r := mk.run(until=mk.time + 997)).reason == "until":
        pass
    assert r == r0
    same_state(mk.snapshot(), straight.snapshot())


@pytest.mark.parametrize("plat", ["t5220", "t2000",
                                  platform("t5220").replace(stick_hz=1_400_000_000 // 3)])
def test_tick_and_stick_compare_interrupts(plat):
    """Privileged mode (bm_stick): TICK_CMPR then STICK_CMPR raise SOFTINT.TM / SM,
    taken as interrupt_level_14 at the strand's first pick at or after the match cycle;
    %tick counts cycles, %stick scales exactly with the stick frequency."""
    m = cyc(plat, bmbuild.asm("bm_stick"))
    tcmp = run_until_written(m, S.TICK_CMPR)
    t1, tt1, n1 = first_trap_from(m, match_cycle(m, 0, tcmp, stick=False))
    scmp = run_until_written(m, S.STICK_CMPR, step=5)
    t2, tt2, n2 = first_trap_from(m, match_cycle(m, 0, scmp, stick=True))
    assert (tt1, tt2, n1, n2) == (0x4E, 0x4E, 0, 0)
    r = m.run()
    assert r.reason == "poweroff" and r.value == 0x5A
    log = [v & M63 for v in asm_log(m)]
    tcmp_, tick1, stick1, soft1, scmp_, tick_w, tick2, stick2, soft2, tt, tl = log
    assert (tcmp_, scmp_) == (tcmp, scmp)
    assert soft1 == 1 and soft2 == 1 << 16 and (tt, tl) == (0x185, 2)
    # the handler's first instruction reads %stick, the next %tick: the trap's refill
    # first, then at least a cycle each
    tc = m.chip.trap_cycles
    assert stick1 >= counter_at(m, 0, t1 + tc, stick=True)
    assert tick1 > t1 + tc and tick2 > t2 + tc
    assert stick2 >= counter_at(m, 0, t2 + tc, stick=True)


# ---- devices -------------------------------------------------------------------------------
@pytest.mark.parametrize("plat", BOTH)
def test_uart_device_interrupt_wakes_the_strand_at_the_input_cycle(plat):
    """Bytes arriving at cycle 30000 on the hypervisor UART (received-data interrupt
    enabled, routed by the IOB/NCU to strand 0, vector 9): the halted strand is asleep up
    to that cycle and issues in it; its handler reads and echoes them."""
    m = cyc(plat, bmbuild.c("uart_irq"))
    m.feed(m.hv_uart, b"ping", at=30_000)
    assert m.run(until=30_000).reason == "until"
    n = int(m.S.C[0, S.INSNS])
    assert m.run_state(0) == "halted" and int(m.mmu.sreg[0, 0]) == 0
    assert m.run(until=30_001).reason == "until"
    assert m.run_state(0) == "running" and int(m.S.C[0, S.INSNS]) == n + 1
    assert int(m.mmu.sreg[0, 0]) == 1 << 9            # vector 9 in its receive register
    r = m.run(max_insns=5_000_000)
    assert r.reason == "poweroff" and r.value == 9 * 256 + 4
    assert m.hv_uart.text() == "ping" and res(m, 4) == list(b"ping")
    c = m.stats()["strands"][0]["cycles"]
    assert 25_000 < c["wait_halted"] < 30_000 and c["wait_device"] > 0


@pytest.mark.parametrize("plat", BOTH)
def test_bus_errors_and_device_access_forms(plat):
    m, r = run_cycle(plat, bmbuild.asm("bm_buserr"))
    assert r.reason == "poweroff" and r.value == 0x5A
    assert asm_log(m) == [0x32, 0x32, 0x32, 0x30, (0x04 << 7) | 4 | 1, 0x0A,
                          0x40_0000_0000, 0x185, 1]


@pytest.mark.parametrize("plat", BOTH)
def test_a_device_access_stalls_only_its_own_strand(plat):
    """neighbour.c: strand 4 times a fixed loop (L1 hits) while strand 0 either reads the
    TOD at every iteration or computes in registers. A device access retires in Python
    and only its strand waits `io_latency` (T1: strand 4 is on another core; T2: on
    strand 0's core, in the other thread group): strand 4's loop takes the same cycles
    and computes the same either way, and strand 0 gets through at most one TOD read per
    io_latency cycles of strand 4's loop."""
    out = {}
    for tod in (0, 1):
        m = cyc(plat, bmbuild.c("neighbour"))
        m.mem.write_u64(RES + 0x100, tod)
        r = m.run(max_insns=5_000_000)
        assert r.reason == "poweroff" and r.value == 0x0D
        out[tod] = res(m, 3)
        if tod:
            dev = {x["id"]: x for x in m.stats()["strands"]}[0]["cycles"]["wait_device"]
            assert dev >= out[tod][2] * (m.chip.io_latency - 1)   # and the issue cycle
    (loop0, x0, n0), (loop1, x1, n1) = out[0], out[1]
    assert (loop1, x1) == (loop0, x0) and loop0 > 2000
    assert n1 <= loop1 // m.chip.io_latency + 2 < n0


# ---- the same architecture as functional mode ---------------------------------------------------
TIMING_FREE = ["bm_hello", "bm_buserr", "bm_mmio", "bm_queue", "bm_tlb2", "bm_windows",
               "bm_gltl", "bm_red", "bm_halt"]
_TIMING_SLOTS = {S.CYCLE, S.TIMING, S.IDLE, S.DEADLINE, S.TIMER_LAST, S.LAST_EA}


def architectural(m):
    """The architectural state of a machine: registers (without the time bookkeeping),
    the TLBs, the receive registers, memory, the UART."""
    keep = [i for i in range(S.NCTL) if i not in _TIMING_SLOTS]
    snap = m.snapshot()
    return {"R": m.S.R.copy(), "F": m.S.F.copy(), "RM": m.S.RM.copy(),
            "C": m.S.C[:, keep].copy(), "tlb": m.mmu.tlb.copy(),
            "sreg": m.mmu.sreg.copy(), "pages": snap["pages"], "uarts": snap["uarts"]}


@pytest.mark.parametrize("plat", BOTH)
@pytest.mark.parametrize("prog", TIMING_FREE)
def test_architectural_results_are_those_of_functional_mode(plat, prog):
    """One strand, results independent of timing: the same instructions retire with the
    same registers, TLBs, memory and output in both modes (tod_seconds: the TOD reads the
    same second)."""
    path = bmbuild.asm(prog)
    runs = []
    for mode in ("functional", "cycle"):
        m = Machine(plat, mode=mode, tod_seconds=1_000_000_000)
        m.load_elf(path)
        runs.append((m, m.run(max_insns=1_000_000)))
    (mf, rf), (mc, rc) = runs
    assert rc == rf and rf.reason in ("poweroff", "error_state", "halted")
    same_state(architectural(mc), architectural(mf))


@pytest.mark.parametrize("prog,n", [("smp", None), ("pingpong", 2)])
def test_multi_strand_results_are_those_of_functional_mode(prog, n):
    """Several strands, results independent of the interleaving: every register of every
    strand and the results in memory are those of functional mode (strand 0's spin
    count is not: it waits a different number of times)."""
    runs = []
    for mode in ("functional", "cycle"):
        m = Machine("t5220", mode=mode)
        m.load_elf(bmbuild.c(prog))
        runs.append((m, m.run(max_insns=5_000_000)))
    (mf, rf), (mc, rc) = runs
    assert rc == rf
    assert np.array_equal(mc.S.R, mf.S.R) and np.array_equal(mc.S.F, mf.S.F)
    k = 64 if n is None else 1 + 2 * 10
    assert res(mc, k) == res(mf, k)


# ---- the architectural TLB in the cycle model ------------------------------------------------
@pytest.mark.parametrize("plat", BOTH)
def test_tlb_misses_are_the_miss_trap_counted_once(plat):
    """bm_tlb2 (privileged, MMU on, entries installed by the program, every page size,
    demaps and a context switch): each miss is the fast_*_MMU_miss trap to the
    hypervisor, whose handler runs as timed code. The statistics count exactly the miss
    traps the program logged; no synthetic miss cost is added (no cycles wait for "tlb");
    every trap costs trap_cycles (the strand runs alone: all its waits after a trap are
    the refill)."""
    m, r = run_cycle(plat, bmbuild.asm("bm_tlb2"))
    assert r.reason == "poweroff" and r.value == 0x5A
    log = asm_log(m)
    st = m.stats()
    assert st["itlb"]["misses"] == log.count(0x64) == 4
    assert st["dtlb"]["misses"] == log.count(0x68) == 5
    assert st["itlb"]["accesses"] > 4 and st["dtlb"]["accesses"] > 5
    c = st["strands"][0]["cycles"]
    assert "wait_tlb" not in c
    traps = int(m.S.C[0, S.TRAP_COUNT])
    assert traps >= 9 and c["wait_trap"] == traps * (m.chip.trap_cycles - 1)
    assert c["ready"] == 0


# ---- determinism, slicing, threads ----------------------------------------------------------
def test_whole_machine_runs_are_deterministic_however_sliced():
    prog = bmbuild.c("pingpong")
    m0, r0 = run_cycle("t5220", prog)
    for step in (1, 7, 1000):
        m = cyc("t5220", prog)
        while (r := m.run(max_insns=step)).reason == "budget":
            pass
        assert r == r0
        same_state(m.snapshot(), m0.snapshot())
    for step in (1, 13, 1000):
        m = cyc("t5220", prog)
        while (r := m.run(until=m.time + step)).reason == "until":
            pass
        assert r == r0
        same_state(m.snapshot(), m0.snapshot())
    m, r = run_cycle("t5220", prog)                 # and run to run
    same_state(m.snapshot(), m0.snapshot())


def test_run_until_a_cycle():
    m = cyc("t5220", bmbuild.c("spin"))
    r = m.run(until=123_457)
    assert r.reason == "until" and r.value == 123_457 == m.time
    assert all(m.strand_time(s) == 123_457 for s in range(m.nstrands))


def test_machine_in_a_worker_thread():
    """pause() stops the machine at a cycle boundary (nothing moves while paused),
    resume() goes on; the end state is that of a straight run with the same budget."""
    prog = bmbuild.c("spin")
    budget = 1_500_000
    straight, r0 = run_cycle("t5220", prog, max_insns=budget)
    assert r0.reason == "budget"

    m = cyc("t5220", prog)
    m.start(max_insns=budget)
    t_end = time.time() + 30
    while m.cm.CY[CYM.CY_INSNS] < 10_000 and time.time() < t_end:   # inside the loop
        time.sleep(0.001)
    assert m.pause(timeout=60)
    a = m.snapshot()
    time.sleep(0.05)
    same_state(a, m.snapshot())
    assert 0 <= m.insns_run < budget
    m.resume()
    r = m.wait(timeout=300)
    assert r == r0
    same_state(m.snapshot(), straight.snapshot())


def test_gil_is_released_inside_the_cycle_loop():
    m = cyc("t5220", bmbuild.c("spin"))
    m.run(max_insns=1000)
    cm = m.cm
    inside = threading.Event()
    result = {}

    def worker():
        inside.set()
        result["code"] = CYM.run_cycles(m.S.bundle, m.mem.M, m.mmu, m.dc, cm.timing, cm.CY,
                                        2_000_000, 1 << 62)
        result["end"] = time.perf_counter()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait()
    time.sleep(0.02)
    marks = [time.perf_counter() for _ in range(100)]
    t.join(timeout=300)
    assert result["code"] == S.EXIT_BUDGET
    assert marks[-1] < result["end"]


def test_mode_names():
    with pytest.raises(ValueError, match="unknown mode"):
        Machine("t2000", mode="cycles")
