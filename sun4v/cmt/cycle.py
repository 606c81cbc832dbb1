"""Cycle-level CMT timing model of UltraSPARC T1/T2: thread select per core (per thread
group on T2), strands waiting on L2 and memory through the core-to-L2 crossbar, store
buffers, shared MUL/DIV/FPU units (reference/cmt_microarch.md §1; OpenSPARC T1
Microarchitecture Spec ch. 2-4).

Instructions execute functionally when they issue (the same execute functions as
functional mode, so architectural results are identical); the model decides when each
strand may issue again. Every cycle: the CCX arbiters grant requests to the L2 banks,
store buffers drain, then each core's thread select picks one Ready strand (or a
SpecReady one) and issues its next instruction. Cycles in which nothing can happen are
skipped to the next event. All state is in flat arrays; the loop exits to Python for
what only Python can do (syscalls, signals, devices), with the strand and cycle saved.

Two modes, from the strands' C[MODE]:
- Syscall emulation (`sun4v run --mode cycle`): program threads on strands; Python
  activates, blocks and finishes them (CycleModel.activate/block/finish/delay). Addresses
  are virtual and stand for physical ones; the caches' own TLB model times translation:
  a miss costs the chip's `tlb_miss` cycles (no miss handler runs in this mode: on the
  T1 it stands for the kernel's software TSB walk, on the T2 for the hardware tablewalk).
- Full system (sun4v/machine, `Machine(mode="cycle")`): every strand of every core and
  socket is in the thread select. A strand is selectable only while its RUN_STATE is
  RS_RUN; a halted, parked, not-started or error-state strand sleeps (ST_SLEEP) and its
  cycles are counted as waiting for that reason. Sleepers cost nothing per cycle: they
  are looked at in a sweep, at CY[CY_SWEEP] (the earliest timer match of a sleeper, or
  the cycle after an internal register store that may have posted an interrupt, or when
  Python posted one: CycleModel.poked), and a thread group whose strands all sleep is
  skipped (G_AWAKE). At each pick the strand's interrupt deadline C[DEADLINE] (a cycle:
  timebase.set_deadline) and its poke (MMU.sreg SR_POKE, set when another strand or a
  device posts it an interrupt) are checked; when due, traps.service raises the timer
  matches and takes the interrupt architecturally. A halted strand wakes at the cycle an
  interrupt is posted to it or at its timer match (TS_WAKE, included in the skip to the
  next event). Every trap (an exception of the issuing instruction or an interrupt) is
  taken by traps.take_trap and costs the chip's `trap_cycles` before the handler's
  first instruction may issue; the handler is fetched through the L1I like any code.
  Caches are indexed by physical address (C[LAST_EA] is the PA; fetches translate
  first). A device or Python-modelled register access (EXIT_MMIO) leaves the loop
  mid-cycle; Python performs and retires it, CycleModel.io_done charges `io_latency`
  (or the trap), and the loop resumes in the same cycle at the next thread group, as
  for system calls in syscall emulation. Python's strand control (park, resume, reset)
  takes effect when the loop is re-entered (_fs_sync), at the cycle of the access.
  The loop stops at cycle boundaries for the attention flag CY[CY_ATT], a device event
  due (CY[CY_NEXT_EVENT]) and `max_cycles`; a run sliced anywhere resumes exactly.
  TLB misses: the architectural TLB (mmu.py) is the only TLB; a miss is the
  fast_*_MMU_miss / real_translation_miss / invalid_TSB_entry trap to the hypervisor,
  whose handler is real code timed by the model: the miss costs the trap plus that code,
  counted once. On the T2 a miss the chip's hardware table walk (mmu.hw_walk) resolves
  loads the TLB without a trap: it is seen as the core's TLB generation (MMU.gen) moving
  during a fetch, or during a load/store/atomic to memory, is counted as a miss and costs
  the chip's `tlb_miss` cycles (the walk's TSB read; chosen, as in syscall emulation); a
  walk that finds nothing costs only the trap that follows. The itlb/dtlb statistics
  count those misses, and as accesses the lookups while translating (not
  hyperprivileged): an I-side one when the fetch enters a new page, a D-side one per
  load, store or atomic."""
from collections import namedtuple

import numpy as np
from numba import njit

from . import caches
from . import ccx
from . import chips
from . import isa as I
from . import memory as MEM
from . import state as S
from . import thread_select as TSEL
from . import timebase as TB
from . import traps
from .chips import (P_BRANCH_WAIT, P_DIV_LATENCY, P_FADD_LATENCY,
                    P_FDIVD_LATENCY, P_FDIVS_LATENCY, P_FMUL_ISSUE_INTERVAL, P_FMUL_LATENCY,
                    P_FPU_ISSUE_INTERVAL, P_FPU_PER_CHIP, P_FPU_XBAR_LATENCY, P_GROUPS_PER_CORE,
                    P_L1I_LINE, P_L2_BANKS, P_L2_LATENCY, P_LOAD_USE, P_MUL_ISSUE_INTERVAL,
                    P_MUL_LATENCY, P_STORE_BUFFER, P_STRANDS_PER_CORE,
                    P_SWITCH_WAIT, P_TAKEN_BRANCH_PENALTY, P_TLB_MISS, P_TRAP_CYCLES)
from .engine import complete, decode, dispatch, fetch
from .mmu import SR_POKE
from .traptypes import (T_DATA_INVALID_TSB, T_DATA_REAL_MISS, T_FAST_DATA_MISS,
                        T_FAST_INSTR_MISS, T_INSTR_INVALID_TSB, T_INSTR_REAL_MISS)

# the timing state as the jitted loop takes it: chip parameters (chips.P_*), per-strand
# timing state TS, store-buffer addresses SBPA, statistics SC, per-thread-group counters G,
# per-core unit reservations U, thread-select LRU order ORDER, caches and TLBs MS
# (caches.MemSys), crossbar arbiters A (ccx.Arbiters)
Timing = namedtuple("Timing", "P TS SBPA SC G U ORDER MS A")

INF = np.int64(1) << 62

# ---- timing classes of instructions --------------------------------------------------
TC_ALU, TC_BRANCH, TC_LOAD, TC_STORE, TC_ATOMIC, TC_MEMBAR, TC_MUL, TC_DIV, TC_FADD, \
    TC_FMUL, TC_FDIVS, TC_FDIVD, TC_SWITCH = range(13)


def _timing_classes():
    t = np.full(I.N_INSNS, TC_SWITCH, dtype=np.int64)
    for ins in I.INSNS[1:]:
        n, c = ins.name, ins.cls
        if c == "alu":
            tc = TC_SWITCH if n == "popc" else TC_ALU
        elif c == "branch":
            tc = TC_BRANCH
        elif c == "ctrl":
            tc = TC_BRANCH if n in ("jmpl", "return") else TC_SWITCH
        elif c == "muldiv":
            tc = TC_DIV if "div" in n else TC_MUL
        elif c in ("mem", "fpmem"):
            if n.startswith("prefetch"):
                tc = TC_ALU
            elif n.startswith(("ldstub", "swap", "cas")):
                tc = TC_ATOMIC
            elif n.startswith("ld"):
                tc = TC_LOAD
            else:
                tc = TC_STORE
        elif c == "state":
            tc = TC_MEMBAR if n in ("membar", "stbar") else TC_SWITCH
        elif c in ("fp", "vis"):
            if n in ("fdivd", "fsqrtd"):
                tc = TC_FDIVD
            elif n in ("fdivs", "fsqrts"):
                tc = TC_FDIVS
            elif n.startswith(("fmul", "fsmul", "fdmul")):
                tc = TC_FMUL
            else:
                tc = TC_FADD
        else:
            tc = TC_SWITCH
        t[ins.id] = tc
    return t


TCLASS = _timing_classes()

# ---- register operands, for the load-use interlock ------------------------------------
# DEPS[iid] = (rs1, rs2, rd-read, load destination) codes: how each field names a register
D_NONE, D_INT, D_INT_RS2, D_FS, D_DS, D_QS, D_INT_PAIR = range(7)
_RS1_TOKENS = {"rs1": D_INT, "[a]": D_INT, "[a]asi": D_INT, "[r]asi": D_INT, "tn": D_INT,
               "fs1": D_FS, "ds1": D_DS, "qs1": D_QS}
_RS2_TOKENS = {"ri": D_INT_RS2, "sh": D_INT_RS2, "ri11": D_INT_RS2, "ri10": D_INT_RS2,
               "[a]": D_INT_RS2, "[a]asi": D_INT_RS2, "tn": D_INT_RS2, "rs2": D_INT,
               "fs2": D_FS, "ds2": D_DS, "qs2": D_QS}
_RD_TOKENS = {"rd": D_INT, "fd": D_FS, "dd": D_DS, "qd": D_QS}


def _dependencies():
    """Which fields of each instruction read registers, and which register a load writes
    (from the operand strings of the ISA table: one source of truth)."""
    t = np.zeros((I.N_INSNS, 4), dtype=np.int64)
    for ins in I.INSNS[1:]:
        toks = [x.strip() for x in ins.operands.split(",")] if ins.operands else []
        for tok in toks:
            if tok in _RS1_TOKENS:
                t[ins.id, 0] = _RS1_TOKENS[tok]
            if tok in _RS2_TOKENS:
                t[ins.id, 1] = _RS2_TOKENS[tok]
        if ins.cls not in ("mem", "fpmem") or not toks:
            continue
        pair = ins.name in ("ldd", "ldda", "std", "stda")
        rd = _RD_TOKENS.get(toks[-1] if toks[0].startswith("[") else toks[0], D_NONE)
        if rd == D_INT and pair:
            rd = D_INT_PAIR
        tc = TCLASS[ins.id]
        if tc == TC_LOAD:
            t[ins.id, 3] = rd
        elif tc in (TC_STORE, TC_ATOMIC):
            t[ins.id, 2] = rd
    return t


DEPS = _dependencies()


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _reg_range(code, f):
    """First register and count named by field value f under code (0..31 integer, 32..95
    the FP file as singles); count 0 for none (and for %g0)."""
    if code == D_INT or code == D_INT_RS2:
        return f, 1 if f != 0 else 0
    if code == D_INT_PAIR:
        return f & 0x1E, 2
    if code == D_FS:
        return 32 + f, 1
    if code == D_DS:
        return 32 + ((f & 0x1E) | ((f & 1) << 5)), 2
    if code == D_QS:
        return 32 + ((f & 0x1C) | ((f & 1) << 5)), 4
    return 0, 0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _reads(iid, word, lo, hi):
    """Does instruction `word` (id iid) read a register in lo..hi?"""
    for k in range(3):
        code = DEPS[iid, k]
        if code == D_NONE:
            continue
        if code == D_INT_RS2 and (word >> 13) & 1:
            continue
        if k == 0:
            f = (word >> 14) & 31
        elif k == 1:
            f = word & 31
        else:
            f = (word >> 25) & 31
        r0, n = _reg_range(code, f)
        if n and r0 <= hi and lo <= r0 + n - 1:
            return True
    return False

# ---- per-strand timing state TS[s, :] ---------------------------------------------------
# (full system: TS_WAKE the cycle a sleeping strand's timer match wakes it, TS_SLEEP_AT
# the cycle its sleep began, TS_SLEEP_REASON what it sleeps for, an R_* below)
(TS_STATE, TS_READY, TS_SPEC, TS_SPEC_END, TS_MISS, TS_LAST, TS_REASON, TS_PEND_KIND,
 TS_PEND_PA, TS_PEND_AT, TS_SB_N, TS_SB_HEAD, TS_SB_INFLIGHT, TS_SB_ACK, TS_CORE,
 TS_GROUP, TS_LOCAL, TS_ILINE, TS_IPAGE, TS_DPAGE, TS_LDREADY, TS_LDLO, TS_LDHI,
 TS_CODE_VPN, TS_CODE_BASE, TS_WAKE, TS_SLEEP_AT, TS_SLEEP_REASON) = range(28)
NTS = 28
# ST_SLEEP: full system, a strand that is not RS_RUN (halted, parked, not started, error)
ST_IDLE, ST_ACTIVE, ST_BLOCKED, ST_SLEEP = 0, 1, 2, 3

# request kinds (payload = strand * 4 + kind)
K_LOAD, K_IFETCH, K_STORE, K_ATOMIC = 0, 1, 2, 3

# wait reasons; statistics columns SC[s, :] are RUNNING, READY, then one per reason
# (the last five are full system's: a device access, and the sleeps by RUN_STATE)
(R_NONE, R_L2, R_MEMORY, R_STORE_BUFFER, R_UNIT, R_BRANCH, R_ICACHE, R_TLB, R_SWITCH,
 R_LOAD_USE, R_TRAP, R_SYSCALL, R_ROLLBACK, R_DEVICE, R_HALTED, R_PARKED, R_NOT_STARTED,
 R_ERROR_STATE) = range(18)
REASON_NAMES = ["none", "l2", "memory", "store_buffer", "unit_busy", "branch", "icache",
                "tlb", "switch", "load_use", "trap", "syscall", "rollback", "device",
                "halted", "parked", "not_started", "error_state"]
SC_RUNNING, SC_READY = 0, 1
SC_WAIT = 2
NSC = SC_WAIT + len(REASON_NAMES)

# per-core unit reservations U[core, :]
U_MUL, U_DIV, U_FPU = 0, 1, 2
# per-group counters G[g, :]
# (full system: G_AWAKE the number of the group's strands not asleep; a group with none
# is skipped at no cost except in a sweep, below)
G_ISSUED, G_BUBBLES, G_AWAKE = 0, 1, 2
# machine scalars CY[:]
CY_NOW, CY_INSNS, CY_PENDING, CY_SBUSY, CY_STRAND = 0, 1, 2, 3, 4
# the loop left mid-cycle (a syscall, a pick asked of Python): CY_RESUME = 1 + the thread
# group to go on with at cycle CY_NOW (0: start a new cycle)
CY_RESUME = 5
# external thread select (co-simulation): CY_XSEL != 0 asks Python for every pick
# (EXIT_SELECT with the group's masks and the model's own pick); Python answers in CY_XPICK
# and sets CY_XPEND to XP_ANSWERED
CY_XSEL, CY_XPEND, CY_XPICK, CY_XREADY, CY_XSPEC, CY_XMODEL = 6, 7, 8, 9, 10, 11
# full system: the attention flag (another thread sets it: EXIT_ATTENTION at the next
# cycle boundary) and the cycle of the next device event (EXIT_EVENT when reached)
CY_ATT, CY_NEXT_EVENT = 12, 13
# full system: the cycle of the next sweep over the sleeping strands (their pokes and
# timer matches): the earliest TS_WAKE, or the cycle after one that may have posted an
# interrupt (an internal register store, the run loop entered from Python)
CY_SWEEP = 14
NCY = 16
XP_NONE, XP_ASKED, XP_ANSWERED = 0, 1, 2

WINDOW_TRAP_CYCLES = 30     # chosen: a spill/fill handler runs ~25 instructions (SE)
_NO_EA = np.uint64(0xFFFFFFFFFFFFFFFF)      # C[LAST_EA] of an access that is not memory
_HPRIV_RED = np.uint64(S.HPSTATE_HPRIV | S.HPSTATE_RED)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _account_pick(TS, SC, s, t):
    """Charge the cycles since strand s last issued: waiting (by reason) until it became
    eligible, ready-but-not-picked after that, and one running cycle now."""
    start = TS[s, TS_LAST] + 1
    e = min(TS[s, TS_READY], TS[s, TS_SPEC])
    if e < start:
        e = start
    if e > t:
        e = t
    SC[s, SC_WAIT + TS[s, TS_REASON]] += e - start
    SC[s, SC_READY] += t - e
    SC[s, SC_RUNNING] += 1
    TS[s, TS_LAST] = t


# ---- full system: strands that sleep and wake -------------------------------------------
_UNEVER = np.uint64(S.DEADLINE_NEVER)


@njit(cache=True, nogil=True, _nrt=False)
def _flush(TS, SC, s, at):
    """Charge strand s's cycles up to (not including) `at` as _account_pick would:
    waiting by reason until it was eligible, ready after."""
    start = TS[s, TS_LAST] + 1
    if at <= start:
        return
    e = min(TS[s, TS_READY], TS[s, TS_SPEC])
    if e < start:
        e = start
    if e > at:
        e = at
    SC[s, SC_WAIT + TS[s, TS_REASON]] += e - start
    SC[s, SC_READY] += at - e
    TS[s, TS_LAST] = at - 1


@njit(cache=True, nogil=True, _nrt=False)
def _sleep_reason(rs):
    if rs == S.RS_HALT:
        return R_HALTED
    if rs == S.RS_PARK:
        return R_PARKED
    if rs == S.RS_WAIT:
        return R_NOT_STARTED
    return R_ERROR_STATE


@njit(cache=True, nogil=True, _nrt=False)
def _wake_cycle(Cs):
    """The cycle a sleeping strand's timer match wakes it (a halted strand's deadline),
    or INF."""
    if Cs[S.RUN_STATE] != np.uint64(S.RS_HALT):
        return INF
    d = Cs[S.DEADLINE]
    if d == _UNEVER or d >= np.uint64(INF):
        return INF
    return np.int64(d)


@njit(cache=True, nogil=True, _nrt=False)
def _sleep(TS, SC, G, C, s, at):
    """Strand s stops being selectable from cycle `at` (its RUN_STATE is not RS_RUN)."""
    if TS[s, TS_STATE] == ST_ACTIVE:
        G[TS[s, TS_GROUP], G_AWAKE] -= 1
    if at <= TS[s, TS_LAST]:
        at = TS[s, TS_LAST] + 1          # it issued in this cycle: asleep from the next
    _flush(TS, SC, s, at)
    TS[s, TS_STATE] = ST_SLEEP
    TS[s, TS_SLEEP_AT] = at
    TS[s, TS_SLEEP_REASON] = _sleep_reason(C[s, S.RUN_STATE])
    TS[s, TS_SPEC] = INF
    TS[s, TS_WAKE] = _wake_cycle(C[s])


@njit(cache=True, nogil=True, _nrt=False)
def _slept(TS, SC, s, at):
    """Charge a sleeping strand's cycles up to `at` to its sleep reason."""
    if at > TS[s, TS_SLEEP_AT]:
        SC[s, SC_WAIT + TS[s, TS_SLEEP_REASON]] += at - TS[s, TS_SLEEP_AT]
        TS[s, TS_SLEEP_AT] = at


@njit(cache=True, nogil=True, _nrt=False)
def _wake(TS, SC, G, s, at):
    """A sleeping strand is selectable again from cycle `at` (once anything it waited on
    before it slept is done: TS_READY)."""
    G[TS[s, TS_GROUP], G_AWAKE] += 1
    _slept(TS, SC, s, at)
    TS[s, TS_LAST] = at - 1
    TS[s, TS_STATE] = ST_ACTIVE
    TS[s, TS_SPEC] = INF


@njit(cache=True, nogil=True, _nrt=False)
def _fs_sync(C, TS, SC, G, CY, now):
    """Full system, on entry: make each strand's timing state follow its RUN_STATE, which
    Python may have changed (strand control: park, resume, reset; a Python-side trap).
    The first time (ST_IDLE), a running strand starts at `now`, the others sleep. (An
    interrupt Python posted is seen by a sweep: Python sets CY_SWEEP.) Nothing changes
    when Python changed nothing, so a run sliced into calls is the same run."""
    ns = TS.shape[0]
    for s in range(ns):
        run = C[s, S.RUN_STATE] == np.uint64(S.RS_RUN)
        st = TS[s, TS_STATE]
        if st == ST_IDLE:
            TS[s, TS_LAST] = now - 1
            TS[s, TS_READY] = now
            TS[s, TS_SPEC] = INF
            TS[s, TS_REASON] = R_NONE
            if run:
                TS[s, TS_STATE] = ST_ACTIVE
                G[TS[s, TS_GROUP], G_AWAKE] += 1
            else:
                _sleep(TS, SC, G, C, s, now)
        elif st == ST_ACTIVE:
            if not run:
                _sleep(TS, SC, G, C, s, now)
        elif st == ST_SLEEP:
            if run:
                _wake(TS, SC, G, s, now)
            else:
                r = _sleep_reason(C[s, S.RUN_STATE])
                if r != TS[s, TS_SLEEP_REASON]:
                    _slept(TS, SC, s, now)
                    TS[s, TS_SLEEP_REASON] = r
                TS[s, TS_WAKE] = _wake_cycle(C[s])
        if TS[s, TS_STATE] == ST_SLEEP and TS[s, TS_WAKE] < CY[CY_SWEEP]:
            CY[CY_SWEEP] = TS[s, TS_WAKE]


@njit(cache=True, nogil=True, _nrt=False)
def _fs_wake_check(C, SREG, TS, SC, G, s, now):
    """A sleeping strand poked (an interrupt posted to it) or at its timer match at cycle
    `now`: raise the matches; a halted strand with an interrupt pending runs again (and
    takes the interrupt at its next pick: deadline now). True when it woke."""
    Cs = C[s]
    if SREG[s, SR_POKE] != 0:
        SREG[s, SR_POKE] = 0
        Cs[S.DEADLINE] = 0
    if Cs[S.RUN_STATE] != np.uint64(S.RS_HALT):
        TS[s, TS_WAKE] = INF
        return False
    Cs[S.CYCLE] = np.uint64(now)
    t = np.uint64(now)
    if t >= Cs[S.DEADLINE]:
        TB.timers_update(Cs, t)
        TB.set_deadline(Cs, TB.next_match(Cs, t))
    if traps.wake_pending(Cs, SREG):
        Cs[S.RUN_STATE] = S.RS_RUN
        Cs[S.DEADLINE] = 0
        _wake(TS, SC, G, s, now)
        return True
    TS[s, TS_WAKE] = _wake_cycle(Cs)
    return False


@njit(cache=True, nogil=True, _nrt=False)
def run_cycles(ST, M, MMU, DC, TM, CY, max_insns, max_cycles):
    """Run the chip until an exit, `max_insns` more instructions or cycle `max_cycles`.
    ST: the Strands arrays, TM: the Timing bundle, CY: the machine scalars (CY_*).
    Returns the EXIT_* code; CY[CY_STRAND] is the strand it concerns. Full system (the
    strands' C[MODE]): also EXIT_ATTENTION, EXIT_EVENT (at a cycle boundary), EXIT_HALT
    when nothing can happen any more (every strand asleep with no timer to wake it)."""
    R, RM, C, F = ST
    P, TS, SBPA, SC, G, U, ORDER, MS, A = TM
    SREG = MMU.sreg
    fs = C[0, S.MODE] == np.uint64(S.MODE_FULL)
    ns = TS.shape[0]
    spc = P[P_STRANDS_PER_CORE]
    gpc = P[P_GROUPS_PER_CORE]
    per_group = spc // gpc
    ngroups = ns // per_group
    nbanks = P[P_L2_BANKS]
    sb_max = P[P_STORE_BUFFER]
    fpu_chip = P[P_FPU_PER_CHIP] != 0
    iline_shift = 0
    while (np.int64(1) << iline_shift) < P[P_L1I_LINE]:
        iline_shift += 1
    trap_cycles = P[P_TRAP_CYCLES]
    now = CY[CY_NOW]
    n0 = CY[CY_INSNS]
    for s in range(ns):
        TS[s, TS_CODE_VPN] = -1         # Python may have remapped memory since the last call
    if fs:
        _fs_sync(C, TS, SC, G, CY, now)
    while True:
        if CY[CY_INSNS] - n0 >= max_insns:
            CY[CY_NOW] = now
            return S.EXIT_BUDGET
        if now >= max_cycles:
            CY[CY_NOW] = now
            return S.EXIT_BUDGET
        if fs and CY[CY_RESUME] == 0:
            # a cycle boundary: safe point
            if CY[CY_ATT] != 0:
                CY[CY_NOW] = now
                return S.EXIT_ATTENTION
            if now >= CY[CY_NEXT_EVENT]:
                CY[CY_NOW] = now
                return S.EXIT_EVENT
        g0 = 0
        busy = False
        if CY[CY_RESUME] > 0:
            # back mid-cycle: steps 1 and 2 are done, and so is every group before g0
            g0 = CY[CY_RESUME] - 1
            CY[CY_RESUME] = 0
            busy = True
        else:
            # ---- 1. crossbar grants to the L2 banks -------------------------------------
            for d in range(nbanks):
                if A[3][d] != 0:
                    if _grant(TS, SBPA, MS, P, A, d, now):
                        busy = True
            # ---- 2. queue pending requests; drain store buffers -----------------------
            if CY[CY_PENDING] > 0 or CY[CY_SBUSY] > 0:
                for s in range(ns):
                    k = TS[s, TS_PEND_KIND]
                    if k >= 0 and TS[s, TS_PEND_AT] <= now:
                        bank = caches.l2_bank(MS, TS[s, TS_PEND_PA])
                        if ccx.enqueue(A, bank, TS[s, TS_CORE], s * 4 + k, now):
                            TS[s, TS_PEND_KIND] = -1
                            CY[CY_PENDING] -= 1
                            busy = True
                    if TS[s, TS_SB_N] > 0:
                        if TS[s, TS_SB_INFLIGHT] == 0:
                            pa = SBPA[s, TS[s, TS_SB_HEAD]]
                            if ccx.enqueue(A, caches.l2_bank(MS, pa), TS[s, TS_CORE], s * 4 + K_STORE, now):
                                TS[s, TS_SB_INFLIGHT] = 1
                                TS[s, TS_SB_ACK] = INF
                                busy = True
                        elif TS[s, TS_SB_ACK] <= now:
                            TS[s, TS_SB_HEAD] = (TS[s, TS_SB_HEAD] + 1) % sb_max
                            TS[s, TS_SB_N] -= 1
                            TS[s, TS_SB_INFLIGHT] = 0
                            if TS[s, TS_SB_N] == 0:
                                CY[CY_SBUSY] -= 1
                            busy = True
        # ---- 3. thread select and issue, per thread group -------------------------------
        # full system: a sweep checks the sleeping strands (pokes, timer matches); between
        # sweeps a group whose strands all sleep costs one compare
        sweep = fs and now >= CY[CY_SWEEP]
        wake_min = INF
        if sweep:
            CY[CY_SWEEP] = INF          # lowered again by what happens in this cycle
        for g in range(g0, ngroups):
            if fs and not sweep and G[g, G_AWAKE] == 0:
                continue
            ready = np.int64(0)
            spec = np.int64(0)
            base = g * per_group
            for j in range(per_group):
                s = base + j
                st = TS[s, TS_STATE]
                if st == ST_SLEEP:
                    if not sweep:
                        continue
                    if SREG[s, SR_POKE] == 0 and TS[s, TS_WAKE] > now:
                        wake_min = min(wake_min, TS[s, TS_WAKE])
                        continue
                    if not _fs_wake_check(C, SREG, TS, SC, G, s, now):
                        wake_min = min(wake_min, TS[s, TS_WAKE])
                        continue
                    busy = True
                    st = ST_ACTIVE
                if st == ST_ACTIVE:
                    if TS[s, TS_READY] <= now:
                        ready |= np.int64(1) << j
                    elif TS[s, TS_SPEC] <= now and now < TS[s, TS_SPEC_END]:
                        spec |= np.int64(1) << j
            if ready == 0 and spec == 0:
                continue
            j = TSEL.select(ORDER[g], ready, spec)
            busy = True
            if CY[CY_XSEL] != 0:
                if CY[CY_XPEND] != XP_ANSWERED:
                    CY[CY_XREADY] = ready
                    CY[CY_XSPEC] = spec
                    CY[CY_XMODEL] = j
                    CY[CY_XPEND] = XP_ASKED
                    CY[CY_RESUME] = 1 + g
                    CY[CY_NOW] = now
                    CY[CY_STRAND] = base
                    return S.EXIT_SELECT
                CY[CY_XPEND] = XP_NONE
                j = CY[CY_XPICK]
                if j < 0 or j >= per_group or ((ready | spec) >> j) & 1 == 0:
                    continue                # no pick (or none that could issue)
            TSEL.update(ORDER[g], j)
            s = base + j
            C[s, S.CYCLE] = now
            _account_pick(TS, SC, s, now)
            if TS[s, TS_MISS] != 0 and TS[s, TS_READY] > now:
                # picked speculatively past a load that misses: the slot is rolled back
                TS[s, TS_SPEC] = INF
                TS[s, TS_REASON] = R_ROLLBACK
                G[g, G_BUBBLES] += 1
                continue
            if fs:
                # ---- interrupts: a poke, or the strand's deadline reached ---------------
                if SREG[s, SR_POKE] != 0:
                    SREG[s, SR_POKE] = 0
                    C[s, S.DEADLINE] = 0
                if np.uint64(now) >= C[s, S.DEADLINE]:
                    ntraps = C[s, S.TRAP_COUNT]
                    x = traps.service(R[s], RM[s], C[s], SREG)
                    if x == S.EXIT_HALT:
                        _sleep(TS, SC, G, C, s, now + 1)
                        wake_min = min(wake_min, TS[s, TS_WAKE])
                        CY[CY_SWEEP] = min(CY[CY_SWEEP], TS[s, TS_WAKE])
                        continue
                    if x != 0:
                        CY[CY_NOW] = now
                        CY[CY_STRAND] = s
                        CY[CY_RESUME] = 2 + g
                        if sweep:
                            CY[CY_SWEEP] = now + 1      # the sweep is not finished
                        return x
                    if C[s, S.TRAP_COUNT] != ntraps:
                        # the interrupt took this slot; the handler issues after the refill
                        _wait(TS, s, now + trap_cycles, R_TRAP)
                        G[g, G_BUBBLES] += 1
                        continue
            x = _issue(R[s], RM[s], C[s], F[s], M, MMU, DC, P, TS, SBPA, G, U,
                       MS, CY, s, g, now, sb_max, fpu_chip, iline_shift)
            if x != 0:
                CY[CY_NOW] = now
                CY[CY_STRAND] = s
                CY[CY_RESUME] = 2 + g        # back in this cycle, at the next group
                if sweep:
                    CY[CY_SWEEP] = now + 1   # the sweep is not finished
                return x
            if fs and C[s, S.RUN_STATE] != np.uint64(S.RS_RUN):
                _sleep(TS, SC, G, C, s, now + 1)     # it halted itself
                wake_min = min(wake_min, TS[s, TS_WAKE])
                CY[CY_SWEEP] = min(CY[CY_SWEEP], TS[s, TS_WAKE])
        if sweep:
            # resumed mid-cycle (g0 > 0): the groups before g0 are swept next cycle
            CY[CY_SWEEP] = min(wake_min, CY[CY_SWEEP]) if g0 == 0 else now + 1
        if busy:
            now += 1
            continue
        # ---- 4. nothing could happen this cycle: skip to the next event -----------------
        nxt = INF
        for s in range(ns):
            if TS[s, TS_STATE] == ST_ACTIVE:
                e = min(TS[s, TS_READY], TS[s, TS_SPEC])
                if e < nxt:
                    nxt = e
            if TS[s, TS_PEND_KIND] >= 0 and TS[s, TS_PEND_AT] < nxt:
                nxt = TS[s, TS_PEND_AT]
            if TS[s, TS_SB_N] > 0 and TS[s, TS_SB_INFLIGHT] != 0 and TS[s, TS_SB_ACK] < nxt:
                nxt = TS[s, TS_SB_ACK]
        for d in range(nbanks):
            e = ccx.next_eligible(A, d)
            if e >= 0 and e < nxt:
                nxt = e
        if fs:
            if CY[CY_SWEEP] < nxt:
                nxt = CY[CY_SWEEP]
            # stop at the cycle asked for or a device event, never past them
            stop = min(max_cycles, CY[CY_NEXT_EVENT])
            if nxt > stop:
                nxt = stop
        if nxt >= INF:
            CY[CY_NOW] = now
            return S.EXIT_HALT           # every strand idle or blocked
        now = max(now + 1, nxt)


@njit(cache=True, nogil=True, _nrt=False)
def _grant(TS, SBPA, MS, P, A, d, now):
    src, payload = ccx.arbitrate(A, d, now)
    if src < 0:
        return False
    s = payload >> 2
    kind = payload & 3
    if kind == K_STORE:
        TS[s, TS_SB_ACK] = caches.l2_access(MS, P, d, SBPA[s, TS[s, TS_SB_HEAD]], now, kind)
        return True
    done = caches.l2_access(MS, P, d, TS[s, TS_PEND_PA], now, kind)
    TS[s, TS_READY] = done
    TS[s, TS_SPEC] = INF
    TS[s, TS_MISS] = 0
    if kind == K_IFETCH:
        TS[s, TS_REASON] = R_ICACHE
    elif done - now > P[P_L2_LATENCY]:
        TS[s, TS_REASON] = R_MEMORY
    else:
        TS[s, TS_REASON] = R_L2
    return True


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _wait(TS, s, until, reason):
    TS[s, TS_READY] = until
    TS[s, TS_SPEC] = INF
    TS[s, TS_REASON] = reason


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _request(TS, CY, s, kind, pa, at):
    TS[s, TS_PEND_KIND] = kind
    TS[s, TS_PEND_PA] = pa
    TS[s, TS_PEND_AT] = at
    CY[CY_PENDING] += 1


@njit(cache=True, nogil=True, _nrt=False)
def _dtlb(MS, P, TS, Cs, s, core, ea):
    """Extra cycles of a D-TLB miss for an access at ea (0 on a hit)."""
    page = ea >> 13
    if page == TS[s, TS_DPAGE]:
        return 0
    TS[s, TS_DPAGE] = page
    if caches.tlb_access(MS, core, 1, np.int64(ea), np.int64(Cs[S.PRIMARY_CTX])):
        return 0
    return P[P_TLB_MISS]


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _issue(Rs, RMs, Cs, Fs, M, MMU, DC, P, TS, SBPA, G, U, MS, CY, s, g, now,
           sb_max, fpu_chip, iline_shift):
    """Issue strand s's next instruction at cycle `now`. Returns 0 or an EXIT_* code."""
    core = TS[s, TS_CORE]
    pc = Cs[S.PC]
    se = Cs[S.MODE] == S.MODE_SE
    translating = False
    if se:
        # ---- instruction fetch: I-TLB and L1I on entering a new line ------------------
        line = np.int64(pc >> np.uint64(iline_shift))
        if line != TS[s, TS_ILINE]:
            page = np.int64(pc >> np.uint64(13))
            extra = 0
            if page != TS[s, TS_IPAGE]:
                TS[s, TS_IPAGE] = page
                if not caches.tlb_access(MS, core, 0, np.int64(pc),
                                         np.int64(Cs[S.PRIMARY_CTX])):
                    extra = P[P_TLB_MISS]
            TS[s, TS_ILINE] = line
            if not caches.l1i_fetch(MS, core, np.int64(pc)):
                _request(TS, CY, s, K_IFETCH, np.int64(pc), now + extra)
                _wait(TS, s, INF, R_ICACHE)
                G[g, G_BUBBLES] += 1
                return 0
            if extra:
                _wait(TS, s, now + extra, R_TLB)
                G[g, G_BUBBLES] += 1
                return 0
        vpn = np.int64(pc >> np.uint64(MEM.PAGE_SHIFT))
        if vpn == TS[s, TS_CODE_VPN] and pc & np.uint64(3) == np.uint64(0):
            # the strand's code page, as run_strand keeps it
            wv = M.words[TS[s, TS_CODE_BASE] + np.int64((pc >> np.uint64(3)) & np.uint64(1023))]
            word = np.uint32(wv & np.uint64(0xFFFFFFFF)) if pc & np.uint64(4) \
                else np.uint32(wv >> np.uint64(32))
            st = 0
        else:
            word, st, _ = fetch(Cs, M, MMU, pc, se)
            if st == 0:
                TS[s, TS_CODE_VPN] = vpn
                TS[s, TS_CODE_BASE] = MEM.page_slot(M, pc, MEM.KIND_FETCH) * MEM.WORDS_PER_PAGE
    else:
        # ---- full system: translate (a miss traps), then the L1I by physical line -------
        gen0 = MMU.gen[core]
        word, st, pa = fetch(Cs, M, MMU, pc, se)
        translating = (Cs[S.HPSTATE] & _HPRIV_RED) == np.uint64(0)
        if translating:
            page = np.int64(pc >> np.uint64(13))
            if page != TS[s, TS_IPAGE]:
                TS[s, TS_IPAGE] = page
                MS.CC[core, caches.C_ITLB_ACCESSES] += 1
        if MMU.gen[core] != gen0 and st == 0:
            # the T2's hardware table walk loaded the I-TLB (a fetch changes the TLB in
            # no other way): a miss, costing the walk; the pick is cancelled and the
            # fetch hits when the strand is picked again
            MS.CC[core, caches.C_ITLB_MISSES] += 1
            _wait(TS, s, now + P[P_TLB_MISS], R_TLB)
            G[g, G_BUBBLES] += 1
            return 0
        if st == 0:
            line = np.int64(pa >> np.uint64(iline_shift))
            if line != TS[s, TS_ILINE]:
                TS[s, TS_ILINE] = line
                if not caches.l1i_fetch(MS, core, np.int64(pa)):
                    _request(TS, CY, s, K_IFETCH, np.int64(pa), now)
                    _wait(TS, s, INF, R_ICACHE)
                    G[g, G_BUBBLES] += 1
                    return 0
    iid = 0
    if st == 0:
        iid = decode(DC, word)
    tc = TCLASS[iid]
    wi = np.int64(word)
    # ---- load-use interlock: a reader of a load's result waits for it -----------------
    if TS[s, TS_LDREADY] > now and st == 0:
        if _reads(iid, wi, TS[s, TS_LDLO], TS[s, TS_LDHI]):
            _wait(TS, s, TS[s, TS_LDREADY], R_LOAD_USE)
            G[g, G_BUBBLES] += 1
            return 0
    # ---- structural hazards: the pick is cancelled and the strand waits ----------------
    if tc == TC_STORE and TS[s, TS_SB_N] >= sb_max:
        _wait(TS, s, now + 1, R_STORE_BUFFER)
        G[g, G_BUBBLES] += 1
        return 0
    if (tc == TC_ATOMIC or tc == TC_MEMBAR) and TS[s, TS_SB_N] > 0:
        _wait(TS, s, now + 1, R_STORE_BUFFER)
        G[g, G_BUBBLES] += 1
        return 0
    ucore = 0 if fpu_chip else core
    if tc == TC_MUL and U[core, U_MUL] > now:
        _wait(TS, s, U[core, U_MUL], R_UNIT)
        G[g, G_BUBBLES] += 1
        return 0
    if tc == TC_DIV and U[core, U_DIV] > now:
        _wait(TS, s, U[core, U_DIV], R_UNIT)
        G[g, G_BUBBLES] += 1
        return 0
    if tc >= TC_FADD and tc <= TC_FDIVD and U[ucore, U_FPU] > now:
        _wait(TS, s, U[ucore, U_FPU], R_UNIT)
        G[g, G_BUBBLES] += 1
        return 0
    # ---- execute -----------------------------------------------------------------------
    npc0 = Cs[S.NPC]
    if not se and tc >= TC_LOAD and tc <= TC_ATOMIC:
        Cs[S.LAST_EA] = _NO_EA          # stays so for an internal register ASI access
        if translating:
            MS.CC[core, caches.C_DTLB_ACCESSES] += 1
    gen0 = MMU.gen[core]
    if st == 0:
        r = dispatch(Rs, RMs, Cs, Fs, M, MMU, np.int64(word), iid)
    else:
        r = st
    retired, x = complete(Rs, RMs, Cs, M, r, se)
    if x != 0:
        if retired:                         # the magic power-off trap retires
            CY[CY_INSNS] += 1
            Cs[S.INSNS] += np.uint64(1)
            G[g, G_ISSUED] += 1
        return x
    if not retired:
        if se:
            _wait(TS, s, now + WINDOW_TRAP_CYCLES, R_TRAP)
            return 0
        # full system: the trap was taken; a TLB miss is counted here, once
        tt = Cs[S.TT_BASE + np.int64(Cs[S.TL])]
        if tt == T_FAST_INSTR_MISS or tt == T_INSTR_REAL_MISS or tt == T_INSTR_INVALID_TSB:
            MS.CC[core, caches.C_ITLB_MISSES] += 1
        elif tt == T_FAST_DATA_MISS or tt == T_DATA_REAL_MISS or tt == T_DATA_INVALID_TSB:
            MS.CC[core, caches.C_DTLB_MISSES] += 1
        _wait(TS, s, now + P[P_TRAP_CYCLES], R_TRAP)
        return 0
    CY[CY_INSNS] += 1
    Cs[S.INSNS] += np.uint64(1)
    G[g, G_ISSUED] += 1
    walk = 0
    if not se and MMU.gen[core] != gen0 and Cs[S.LAST_EA] != _NO_EA and \
            tc >= TC_LOAD and tc <= TC_ATOMIC:
        # a memory access (not an ASI register store: those change the TLB themselves)
        # that the T2's hardware table walk translated: a D-TLB miss, costing the walk
        MS.CC[core, caches.C_DTLB_MISSES] += 1
        walk = P[P_TLB_MISS]
    # ---- when may the strand issue again ------------------------------------------------
    if not se and tc >= TC_LOAD and tc <= TC_ATOMIC and Cs[S.LAST_EA] == _NO_EA:
        # an internal register (ASI) access, not memory: the strand switches out; a
        # store may have posted an interrupt (ASI 0x73): sweep the sleepers next cycle
        _wait(TS, s, now + 1 + P[P_SWITCH_WAIT], R_SWITCH)
        if tc != TC_LOAD and CY[CY_SWEEP] > now + 1:
            CY[CY_SWEEP] = now + 1
        return 0
    if tc == TC_ALU:
        TS[s, TS_READY] = now + 1
        TS[s, TS_REASON] = R_NONE
    elif tc == TC_BRANCH:
        w = P[P_BRANCH_WAIT]
        if Cs[S.NPC] != npc0 + np.uint64(4) and Cs[S.PC] != npc0 + np.uint64(4):
            w += P[P_TAKEN_BRANCH_PENALTY]
        _wait(TS, s, now + 1 + w, R_BRANCH)
    elif tc == TC_LOAD:
        ea = np.int64(Cs[S.LAST_EA])
        extra = _dtlb(MS, P, TS, Cs, s, core, ea) if se else walk
        lu = P[P_LOAD_USE]
        if caches.l1d_load(MS, core, ea) and extra == 0:
            TS[s, TS_SPEC] = now + 1
            TS[s, TS_SPEC_END] = now + lu
            TS[s, TS_READY] = now + lu
            TS[s, TS_REASON] = R_LOAD_USE
            TS[s, TS_MISS] = 0
            r0, n = _reg_range(DEPS[iid, 3], (wi >> 25) & 31)
            TS[s, TS_LDREADY] = now + lu if n else 0
            TS[s, TS_LDLO] = r0
            TS[s, TS_LDHI] = r0 + n - 1
        else:
            TS[s, TS_LDREADY] = 0           # the strand waits for the data anyway
            _request(TS, CY, s, K_LOAD, ea, now + extra)
            TS[s, TS_READY] = INF
            TS[s, TS_SPEC] = now + 1 if extra == 0 else INF
            TS[s, TS_SPEC_END] = now + lu
            TS[s, TS_MISS] = 1
            TS[s, TS_REASON] = R_TLB if extra else R_L2
    elif tc == TC_STORE:
        ea = np.int64(Cs[S.LAST_EA])
        extra = _dtlb(MS, P, TS, Cs, s, core, ea) if se else walk
        caches.l1d_store(MS, core, ea)
        if TS[s, TS_SB_N] == 0:
            CY[CY_SBUSY] += 1
        SBPA[s, (TS[s, TS_SB_HEAD] + TS[s, TS_SB_N]) % sb_max] = ea
        TS[s, TS_SB_N] += 1
        if extra:
            _wait(TS, s, now + 1 + extra, R_TLB)
        else:
            TS[s, TS_READY] = now + 1
            TS[s, TS_REASON] = R_NONE
    elif tc == TC_ATOMIC:
        ea = np.int64(Cs[S.LAST_EA])
        extra = _dtlb(MS, P, TS, Cs, s, core, ea) if se else walk
        caches.l1d_store(MS, core, ea)
        _request(TS, CY, s, K_ATOMIC, ea, now + extra)
        _wait(TS, s, INF, R_L2)
    elif tc == TC_MUL:
        U[core, U_MUL] = now + P[P_MUL_ISSUE_INTERVAL]
        _wait(TS, s, now + P[P_MUL_LATENCY], R_UNIT)
    elif tc == TC_DIV:
        U[core, U_DIV] = now + P[P_DIV_LATENCY]
        _wait(TS, s, now + P[P_DIV_LATENCY], R_UNIT)
    elif tc >= TC_FADD and tc <= TC_FDIVD:
        xl = P[P_FPU_XBAR_LATENCY]
        if tc == TC_FADD:
            lat = P[P_FADD_LATENCY]
            occ = 1
        elif tc == TC_FMUL:
            lat = P[P_FMUL_LATENCY]
            occ = P[P_FMUL_ISSUE_INTERVAL]
        elif tc == TC_FDIVS:
            lat = P[P_FDIVS_LATENCY]
            occ = lat
        else:
            lat = P[P_FDIVD_LATENCY]
            occ = lat
        U[ucore, U_FPU] = now + max(occ, P[P_FPU_ISSUE_INTERVAL])
        _wait(TS, s, now + lat + xl, R_UNIT)
    else:                                   # switch instructions, membar
        _wait(TS, s, now + 1 + P[P_SWITCH_WAIT], R_SWITCH)
    return 0


class CycleModel:
    """The timing state of a chip around an Engine's strands (syscall emulation), or
    around a full-system Machine's (sun4v/machine: every strand of every socket; the
    machine's strands are in MODE_FULL): run(), then stats(). `engine` is anything with
    the strand arrays S, memory mem, MMU mmu and decode cache dc."""

    def __init__(self, engine, chip):
        self.eng = engine
        self.chip = chips.chip(chip)
        self.chip_name = self.chip.key
        self.P = chips.timing_params(self.chip)
        ns = engine.S.nstrands
        spc = self.chip["strands_per_core"]
        per_group = spc // self.chip["groups_per_core"]
        if ns % per_group:
            raise ValueError(f"{ns} strands is not a whole number of thread groups")
        self.ncores = max(1, -(-ns // spc))
        self.per_group = per_group
        self.ngroups = ns // per_group
        self.TS = np.zeros((ns, NTS), dtype=np.int64)
        self.TS[:, TS_PEND_KIND] = -1
        self.TS[:, TS_ILINE] = -1
        self.TS[:, TS_IPAGE] = -1
        self.TS[:, TS_DPAGE] = -1
        self.TS[:, TS_CODE_VPN] = -1
        self.TS[:, TS_SPEC] = INF
        self.TS[:, TS_LAST] = -1
        for s in range(ns):
            self.TS[s, TS_CORE] = s // spc
            self.TS[s, TS_GROUP] = s // per_group
            self.TS[s, TS_LOCAL] = s % per_group
        self.SBPA = np.zeros((ns, int(self.chip["store_buffer"])), dtype=np.int64)
        self.SC = np.zeros((ns, NSC), dtype=np.int64)
        self.G = np.zeros((ns // per_group, 3), dtype=np.int64)
        self.U = np.zeros((self.ncores, 3), dtype=np.int64)
        self.ORDER = TSEL.new_order(ns // per_group, per_group)
        self.MS = caches.new_memsys(self.chip, self.ncores)
        self.A = ccx.new_arbiters(int(self.chip["l2_banks"]), self.ncores,
                                  int(self.chip["ccx_min_grant"]), int(self.chip["ccx_queue"]))
        self.CY = np.zeros(NCY, dtype=np.int64)
        self.CY[CY_NEXT_EVENT] = INF
        self.timing = Timing(self.P, self.TS, self.SBPA, self.SC, self.G, self.U, self.ORDER,
                             self.MS, self.A)
        # co-simulation: hook(now, g, ready, spec, model_pick) -> pick decides each pick
        self.select_hook = None
        self.select_mismatches = 0
        self.first_mismatch = None
        engine.S.C[:, S.TIMING] = S.TIMING_CYCLE

    # ---- strands ----------------------------------------------------------------------
    def activate(self, s, at=None):
        """Strand s starts running (a new thread, or the first one) at cycle `at`."""
        now = int(self.CY[CY_NOW]) if at is None else at
        self.TS[s, TS_STATE] = ST_ACTIVE
        self.TS[s, TS_READY] = now
        self.TS[s, TS_SPEC] = INF
        self.TS[s, TS_LAST] = now - 1
        self.TS[s, TS_REASON] = R_NONE

    def block(self, s):
        self.TS[s, TS_STATE] = ST_BLOCKED

    def finish(self, s):
        self._flush_account(s)
        self.TS[s, TS_STATE] = ST_IDLE

    def delay(self, s, cycles, reason=R_SYSCALL):
        """Strand s may issue again only `cycles` from now (after a syscall, say)."""
        now = int(self.CY[CY_NOW])
        self.TS[s, TS_READY] = now + cycles
        self.TS[s, TS_SPEC] = INF
        self.TS[s, TS_REASON] = reason

    def poked(self):
        """Full system: Python may have posted an interrupt to a sleeping strand (a device,
        strand control): the sleepers are swept from the current cycle on."""
        self.CY[CY_SWEEP] = min(int(self.CY[CY_SWEEP]), self.now)

    def io_done(self, s, retired):
        """Full system: Python has performed strand s's access to a device or to a
        register it models (EXIT_MMIO) in the current cycle. Retired: the instruction
        counts as issued and the strand waits the chip's `io_latency` (R_DEVICE); else it
        took a trap there (a bus error: `trap_cycles`, R_TRAP)."""
        if retired:
            self.CY[CY_INSNS] += 1
            self.G[int(self.TS[s, TS_GROUP]), G_ISSUED] += 1
            self.delay(s, int(self.chip["io_latency"]), R_DEVICE)
        else:
            self.delay(s, int(self.chip["trap_cycles"]), R_TRAP)

    def _flush_account(self, s):
        now = int(self.CY[CY_NOW])
        if self.TS[s, TS_STATE] == ST_SLEEP:
            _slept(self.TS, self.SC, s, now)
            return
        start = int(self.TS[s, TS_LAST]) + 1
        if self.TS[s, TS_STATE] == ST_IDLE or now < start:
            return
        e = min(int(self.TS[s, TS_READY]), int(self.TS[s, TS_SPEC]), now)
        e = max(e, start)
        self.SC[s, SC_WAIT + int(self.TS[s, TS_REASON])] += e - start
        self.SC[s, SC_READY] += now - e
        self.TS[s, TS_LAST] = now - 1

    @property
    def now(self):
        return int(self.CY[CY_NOW])

    @property
    def strand(self):
        return int(self.CY[CY_STRAND])

    def run(self, max_insns=1 << 62, max_cycles=1 << 62):
        """Run until an exit Python must handle (EXIT_SYSCALL, ...), `max_insns` more
        instructions or cycle `max_cycles`. With a select_hook every pick is the hook's."""
        e, St, CY = self.eng, self.eng.S, self.CY
        hook = self.select_hook
        CY[CY_XSEL] = 1 if hook is not None else 0
        start = int(CY[CY_INSNS])
        while True:
            left = max(0, max_insns - (int(CY[CY_INSNS]) - start))
            code = run_cycles(St.bundle, e.mem.M, e.mmu, e.dc, self.timing, CY, left,
                              max_cycles)
            if code == S.EXIT_MEMGROW:
                e.mem.grow()
            elif code == S.EXIT_SELECT and hook is not None:
                now, per_group = int(CY[CY_NOW]), self.per_group
                g = int(CY[CY_RESUME]) - 1
                ready, spec, mine = int(CY[CY_XREADY]), int(CY[CY_XSPEC]), int(CY[CY_XMODEL])
                pick = int(hook(now, g, ready, spec, mine))
                if pick != mine:
                    self.select_mismatches += 1
                    if self.first_mismatch is None:
                        self.first_mismatch = (now, g, ready, spec, mine, pick)
                CY[CY_XPICK] = pick if -1 <= pick < per_group else -1
                CY[CY_XPEND] = XP_ANSWERED
            else:
                return code

    # ---- statistics -----------------------------------------------------------------------
    def stats(self):
        """Per strand, per core, caches, crossbar and memory, as plain Python data."""
        for s in range(self.TS.shape[0]):
            if self.TS[s, TS_STATE] != ST_IDLE:
                self._flush_account(s)
        cycles = self.now
        St = self.eng.S
        spc = self.chip["strands_per_core"]
        per_group = spc // self.chip["groups_per_core"]
        strands = []
        for s in range(self.TS.shape[0]):
            n = int(St.C[s, S.INSNS])
            row = self.SC[s]
            if n == 0 and row.sum() == 0:
                continue
            cyc = {"running": int(row[SC_RUNNING]), "ready": int(row[SC_READY])}
            for k, name in enumerate(REASON_NAMES):
                if k and row[SC_WAIT + k]:
                    cyc["wait_" + name] = int(row[SC_WAIT + k])
            strands.append({"id": s, "core": s // spc, "instructions": n, "cycles": cyc})
        cores = []
        for c in range(self.ncores):
            groups = range(c * (spc // per_group), (c + 1) * (spc // per_group))
            issued = int(sum(self.G[g, G_ISSUED] for g in groups))
            if issued == 0:
                continue
            cores.append({
                "id": c, "instructions": issued,
                "ipc": round(issued / cycles, 4) if cycles else 0.0,
                "pipe_utilisation": [round(int(self.G[g, G_ISSUED]) / cycles, 4)
                                     if cycles else 0.0 for g in groups],
                "rolled_back_slots": int(sum(self.G[g, G_BUBBLES] for g in groups)),
            })
        mem = caches.memsys_stats(self.MS)
        out = {
            "mode": "cycle", "chip": self.chip_name, "clock_mhz": self.chip["clock_mhz"],
            "cycles": cycles, "instructions": int(self.CY[CY_INSNS]),
            "strands": strands, "cores": cores,
            "ccx": {"requests": int(self.A[7][ccx.M_REQS]),
                    "queue_full_stalls": int(self.A[7][ccx.M_FULL])},
        }
        out.update(mem)
        if cycles and "memory" in out and "bytes" in out["memory"]:
            secs = cycles / (self.chip["clock_mhz"] * 1e6)
            out["memory"]["bandwidth_GBps"] = round(out["memory"]["bytes"] / secs / 1e9, 4)
        return out
