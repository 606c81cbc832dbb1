"""The full-system machine (sun4v/machine) running bare-metal programs of its own from
power-on reset on a T2000 (UltraSPARC T1) and a T5220 (UltraSPARC T2): every strand
started and reporting in, parking and resuming, cross-strand interrupts, timer
interrupts at the right count however the run is sliced, a device interrupt from the
UART, bus errors and device access forms, the TLBs with every page size, a demap and a
context switch, determinism of whole-machine runs, and the machine in a worker thread.

Expected values come from the architecture: the compare register's match is the counter
reaching its value (UA2007 TICK_CMPR/STICK_CMPR; reference/sun4v.md §1.1 HSTICK_CMPR),
%stick = time * stick_hz / clock_hz, trap numbers from reference/sun4v.md §1.3."""
import threading
import time

import numpy as np
import pytest

import bmbuild
from sun4v.cmt import state as S
from sun4v.cmt import timebase as TB
from sun4v.machine import Machine, platform

LOG_COUNT = 0x100000 + 0x3F8        # tests/asm/bm.h LOG
LOG_BASE = 0x100000 + 0x400
RES = 0x200000                      # results of the C programs
M63 = (1 << 63) - 1
BOTH = ["t2000", "t5220"]


def asm_log(m):
    n = m.mem.read_u64(LOG_COUNT) // 8
    return [m.mem.read_u64(LOG_BASE + 8 * i) for i in range(n)]


def res(m, n):
    return [m.mem.read_u64(RES + 8 * i) for i in range(n)]


def run(prog, plat, max_insns=5_000_000, **kw):
    m = Machine(plat, **kw)
    m.load_elf(prog)
    return m, m.run(max_insns=max_insns)


def same_state(a, b):
    """Two snapshots (Machine.snapshot) are identical."""
    assert a.keys() == b.keys()
    for k in a:
        if k == "pages":
            assert a[k].keys() == b[k].keys()
            for vpn in a[k]:
                assert np.array_equal(a[k][vpn], b[k][vpn]), f"page {vpn:#x}"
        elif isinstance(a[k], np.ndarray):
            assert np.array_equal(a[k], b[k]), k
        else:
            assert a[k] == b[k], k


def sliced(prog, plat, step, limit=5_000_000, **kw):
    """Run prog to its end in calls of `step` instructions (None: one call)."""
    m = Machine(plat, **kw)
    m.load_elf(prog)
    if step is None:
        return m, m.run(max_insns=limit)
    done = 0
    while done < limit:
        before = m.insns_run
        r = m.run(max_insns=step)
        done += m.insns_run - before
        if r.reason != "budget":
            return m, r
    raise AssertionError("no end")


# ---- strands ---------------------------------------------------------------------------
@pytest.mark.parametrize("plat,n", [("t2000", 32), ("t5220", 64)])
def test_every_strand_started_by_strand_0_reports_in(plat, n):
    m, r = run(bmbuild.c("smp"), plat)
    assert r.reason == "poweroff" and r.value == n
    assert m.hv_uart.text() == f"strands: {n}\n"
    assert res(m, n)[1:] == [0x5A00 | s for s in range(1, n)]
    assert [m.run_state(s) for s in range(1, n)] == ["halted"] * (n - 1)
    # all of them ran from the reset vector: the same start-up code, their own stacks
    assert all(int(m.S.C[s, S.INSNS]) > 20 for s in range(n))


def test_only_the_boot_strand_runs_after_power_on_reset():
    m = Machine("t5220")
    assert [m.run_state(s) for s in range(3)] == ["running", "waiting for reset",
                                                  "waiting for reset"]
    C = m.S.C
    assert int(C[0, S.PC]) == 0xFF_F000_0020 and int(C[0, S.TL]) == S.MAXTL
    assert int(C[0, S.HPSTATE]) == S.HPSTATE_RED | S.HPSTATE_HPRIV


@pytest.mark.parametrize("plat", BOTH)
def test_strand_parked_and_resumed(plat):
    m, r = run(bmbuild.c("park"), plat)
    assert r.reason == "poweroff" and r.value == 0x0D
    c1, c2, c3, run_parked, run_resumed = res(m, 5)
    assert c1 >= 100 and c1 == c2 < c3          # stood still while parked, then counted
    if plat == "t5220":                          # CORE_RUNNING_STATUS (ASI 0x41 VA 0x58)
        assert run_parked == 0b01 and run_resumed == 0b11


@pytest.mark.parametrize("plat", BOTH)
def test_cross_strand_interrupt_ping_pong(plat):
    m, r = run(bmbuild.c("pingpong"), plat)
    assert r.reason == "poweroff" and r.value == 10 + 100 * 10
    n = m.mem.read_u64(RES)
    log = [m.mem.read_u64(RES + 8 + 8 * i) for i in range(n)]
    # strictly alternating: strand 1 gets 40+i, then strand 0 gets 20+i
    assert log == [x for i in range(10) for x in ((1 << 8) | (40 + i), (0 << 8) | (20 + i))]
    # both waited halted for the other's vector: woken by it
    assert int(m.S.C[0, S.IDLE]) > 0 and int(m.S.C[1, S.IDLE]) > 0


# ---- time --------------------------------------------------------------------------------
@pytest.mark.parametrize("plat", BOTH)
def test_hstick_match_at_the_right_count_however_sliced(plat):
    prog = bmbuild.c("timer")
    runs = [sliced(prog, plat, step) for step in (None, 1, 7, 1000)]
    m, r = runs[0]
    assert r.reason == "poweroff" and r.value == 0x0D
    s0, cmpr, trap_stick, trap_tick, t0, count = res(m, 6)
    assert cmpr == s0 + 5000
    assert trap_stick & M63 == cmpr                 # taken when %stick reached it
    assert trap_tick & M63 == cmpr + 2              # (%tick read 2 steps later)
    assert count > 0
    for mk, rk in runs[1:]:
        assert rk == r
        same_state(mk.snapshot(), m.snapshot())


def stick_at(m, s, t):
    C = m.S.C[s]
    return (int(C[S.STICK]) + int(TB.stick_count(C, np.uint64(t)))) & M63


@pytest.mark.parametrize("plat", ["t5220", "t2000",
                                  platform("t5220").replace(stick_hz=1_400_000_000 // 3)])
def test_tick_and_stick_compare_interrupts(plat):
    """Privileged mode: TICK_CMPR then STICK_CMPR raise SOFTINT.TM / SM, taken as
    interrupt_level_14 at the first instruction boundary where the counter has reached
    the compare value; %stick scales exactly with the platform's stick frequency."""
    m, r = run(bmbuild.asm("bm_stick"), plat)
    assert r.reason == "poweroff" and r.value == 0x5A
    log = [v & M63 for v in asm_log(m)]
    tcmp, tick1, stick1, soft1, scmp, tick_w, tick2, stick2, soft2, tt, tl = log
    assert soft1 == 1 and soft2 == 1 << 16 and (tt, tl) == (0x185, 2)
    assert tick1 == tcmp + 1              # %tick read one step after the trap
    assert stick2 == scmp                 # %stick read at the trap
    # the stick trap came at the first time %stick >= compare: time t = tick2 - 1
    # (%tick = NPT | time after power-on reset)
    t = tick2 - 1
    assert stick_at(m, 0, t) == scmp and stick_at(m, 0, t - 1) < scmp
    if isinstance(plat, str):
        assert stick2 == tick2 - 1        # stick frequency = clock: %stick = %tick


def test_tick_compare_sliced_the_same():
    prog = bmbuild.asm("bm_stick")
    base = sliced(prog, "t5220", None)
    for step in (1, 7, 1000):
        m, r = sliced(prog, "t5220", step)
        assert r == base[1]
        same_state(m.snapshot(), base[0].snapshot())


# ---- devices -------------------------------------------------------------------------------
@pytest.mark.parametrize("plat", BOTH)
def test_uart_device_interrupt(plat):
    """Bytes arriving on the hypervisor UART (received-data interrupt enabled) raise the
    IOB/NCU device interrupt routed to strand 0, vector 9: the halted strand wakes and
    takes interrupt_vector; its handler reads and echoes them."""
    m = Machine(plat)
    m.load_elf(bmbuild.c("uart_irq"))
    m.feed(m.hv_uart, b"ping", at=30_000)
    r = m.run(max_insns=5_000_000)
    assert r.reason == "poweroff" and r.value == 9 * 256 + 4
    assert m.hv_uart.text() == "ping"
    assert res(m, 4) == list(b"ping")
    assert int(m.S.C[0, S.IDLE]) > 25_000           # halted until the input came


@pytest.mark.parametrize("plat", BOTH)
def test_bus_errors_and_device_access_forms(plat):
    m, r = run(bmbuild.asm("bm_buserr"), plat)
    assert r.reason == "poweroff" and r.value == 0x5A
    assert asm_log(m) == [
        0x32, 0x32, 0x32,               # no memory; a store to the ROM; ldx of a UART byte
        0x30,                           # casx on a device: data_access_exception
        (0x04 << 7) | 4 | 1,            # D-SFSR: FT uncacheable atomic, W, FV
        0x0A, 0x40_0000_0000,           # fetch from no memory: instruction_access_error
        0x185, 1]


@pytest.mark.parametrize("plat", BOTH)
def test_device_loads_and_stores(plat):
    m, r = run(bmbuild.asm("bm_mmio"), plat, tod_seconds=1_000_000_000)
    assert r.reason == "poweroff" and r.value == 0x5A
    tod = 1_000_000_000                 # a few hundred steps: still the same second
    assert asm_log(m) == [
        tod, int.from_bytes(tod.to_bytes(8, "big"), "little"), tod,
        0xFFFF_FFFF_FFFF_FFB0,          # ldsb of MSR 0xb0: sign-extended
        0x60,                           # LSR: THR empty, idle
        tod,                            # ldf of the TOD's low word
        0x1122334455667788,             # stdf set the TOD
        0x30,                           # ldd: not a form a device takes
    ] + ([0xFFFF_FFFF_FFFF_FFFF] if plat == "t5220" else [0x30, 0]) + [0x185, 1]


def test_tod_follows_simulated_time():
    m = Machine("t2000", tod_seconds=100)
    m.S.C[0, S.IDLE] = 3 * m.platform.clock_hz + 5       # 3 s of simulated time
    assert m.tod.read(0, 8, 0) == 103


def test_unmapped_physical_memory_is_not_made():
    m, r = run(bmbuild.asm("bm_buserr"), "t2000")
    assert not any(vpn << 13 >= 0x40_0000_0000 and vpn << 13 < 0xFF_0000_0000
                   for vpn in m.snapshot()["pages"])


# ---- MMU ---------------------------------------------------------------------------------
@pytest.mark.parametrize("plat", BOTH)
def test_tlb_page_sizes_demap_and_context_switch(plat):
    m, r = run(bmbuild.asm("bm_tlb2"), plat)
    assert r.reason == "poweroff" and r.value == 0x5A
    expect = []
    for n in range(4):                  # 8K, 64K, 4M, 256M
        va = 0x1000_0000 * (n + 1)
        expect += [0x0123456789ABCDEF,  # fetched and loaded through the size-n entries
                   0x64, va | 5,        # after the demap: instruction fetch misses
                   0x68, va | 5]        # and so does the load
    expect += [0x111, 0x222,            # secondary context 5, then 6: no stale entry
               0x68, 0x8000_0000 | 6,   # context 6 demapped
               0x185, 1]
    assert asm_log(m) == expect


# ---- whole-machine determinism and threads -----------------------------------------------
def test_whole_machine_runs_are_deterministic_however_sliced():
    prog = bmbuild.c("pingpong")
    m0, r0 = sliced(prog, "t5220", None)
    for step in (1, 7, 1000):
        m, r = sliced(prog, "t5220", step)
        assert r == r0
        same_state(m.snapshot(), m0.snapshot())
    m, r = sliced(prog, "t5220", None)              # and run to run
    same_state(m.snapshot(), m0.snapshot())


def test_run_until_a_machine_time():
    m = Machine("t5220")
    m.load_elf(bmbuild.c("spin"))
    r = m.run(until=123_456)
    q = m.quantum
    assert r.reason == "until" and r.value == -(-123_456 // q) * q    # next round boundary
    assert all(m.strand_time(s) == r.value for s in range(m.nstrands))


def test_machine_in_a_worker_thread():
    """The jitted loop runs with the GIL released: the main thread runs Python while the
    worker is inside one jitted call. pause() stops the machine (nothing moves while
    paused), resume() goes on, and the end state is the state of a straight run."""
    prog = bmbuild.c("spin")
    straight, r0 = run(prog, "t5220", max_insns=None)
    assert r0.reason == "poweroff"

    m = Machine("t5220")
    m.load_elf(prog)
    m.start()
    # main-thread work while the worker runs the jitted loop
    t_end = time.time() + 5
    work = 0
    while not m.running and time.time() < t_end:
        time.sleep(0.001)
    while time.time() < t_end and work < 200_000 and m.running:
        work += 1
    assert work > 0
    assert m.pause(timeout=30)
    a = m.snapshot()
    time.sleep(0.05)
    same_state(a, m.snapshot())         # paused: nothing moves
    assert 0 < m.insns_run < straight.insns_run
    m.resume()
    r = m.wait(timeout=120)
    assert r == r0
    same_state(m.snapshot(), straight.snapshot())


def test_gil_is_released_inside_the_jitted_loop():
    """One long jitted call (no exits to Python): the main thread runs Python code
    meanwhile, so the call does not hold the GIL."""
    m = Machine("t5220")
    m.load_elf(bmbuild.c("spin"))
    m.run(max_insns=1000)               # past the start-up's device accesses
    inside = threading.Event()
    result = {}

    def worker():
        from sun4v.machine import runloop
        inside.set()
        result["code"] = runloop.run_machine(m.S.bundle, m.mem.M, m.mmu, m.dc, m.loop,
                                             m.att, 1 << 40, runloop.NEVER)
        result["end"] = time.perf_counter()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait()
    time.sleep(0.02)                    # the worker is in the jitted call now
    marks = []
    for i in range(100):                # Python work on the main thread
        marks.append(time.perf_counter())
    t.join(timeout=120)
    assert result["code"] == S.EXIT_POWEROFF
    assert marks[-1] < result["end"]    # done while the jitted call was still running


@pytest.mark.parametrize("plat", BOTH)
def test_mondo_and_error_queues(plat):
    """A queue tail written by the hypervisor: the guest takes cpu_mondo, dev_mondo,
    resumable_error at the first boundary after it enters with PSTATE.ie = 1; the
    non-resumable error queue raises nothing (reference/sun4v.md §5)."""
    m, r = run(bmbuild.asm("bm_queue"), plat)
    assert r.reason == "poweroff" and r.value == 0x5A
    assert asm_log(m) == [0x7C, 1, 0x40, 0x7D, 1, 0x80, 0x7E, 1, 0xC0, 3, 0x185, 1]
