"""The functional run loop over all strands of a machine (jitted, GIL released).

Time: machine time counts steps. Strands run round-robin in rounds of Q steps (Q =
LOOP[L_QUANTUM]): in the round starting at time T, strand 0 runs its instructions of
[T, T+Q), then strand 1 its own, and so on; each retired instruction is one step of the
strand's time (C[INSNS] + C[IDLE], cmt/timebase.py). A strand that is halted, parked or
not started is credited its idle steps in O(1) (C[IDLE]), so all strands agree on the
time at every round boundary, and %tick/%stick read the same on all of them there.
Effects of one strand on another (stores, interrupts, parking) are seen by strands later
in the same round or in the next one: at quantum granularity, always the same way.

A halted strand wakes when an interrupt is pending for it (traps.wake_pending) at its
turn, or at its next timer match inside the round (its deadline): it is credited the idle
steps up to the match, the match is raised, and it runs the rest of its quantum. Another
strand that posts it an interrupt sets its poke (MMU.sreg SR_POKE): the loop then runs its
interrupt check before it runs again.

Determinism under slicing: the loop can stop at any instruction boundary (a budget, an
exit to Python); its state is the round start LOOP[L_ROUND] and the strand in turn
LOOP[L_CUR] (plus every strand's own time), so a run split into calls of any size gives
the same states and counts as one call.

Safe points, at round boundaries: the attention flag ATT[0] (another thread wants the
machine: EXIT_ATTENTION), device events due (LOOP[L_NEXT_EVENT] <= round start:
EXIT_EVENT), the caller's machine time `until` (EXIT_UNTIL). When no strand can run in
a round, time jumps to the round of the earliest wake-up (a halted strand's timer, a
device event, `until`); with none, the machine is idle (EXIT_HALT).

The cycle model (cmt/cycle.py run_cycles, Machine(mode="cycle")) runs the machine
through the same per-strand state: RUN_STATE, the deadline (in cycles:
timebase.set_deadline), the pokes, EXIT_MMIO and the attention flag."""
import numpy as np
from numba import njit

from ..cmt import state as S
from ..cmt import timebase as TB
from ..cmt import traps
from ..cmt.engine import run_strand_fs
from ..cmt.mmu import SR_POKE

L_ROUND, L_CUR, L_QUANTUM, L_NEXT_EVENT, L_STRAND = range(5)
N_LOOP = 8
NEVER = np.int64(np.iinfo(np.int64).max)
_UNEVER = np.uint64(S.DEADLINE_NEVER)


def new_loop(quantum):
    L = np.zeros(N_LOOP, dtype=np.int64)
    L[L_QUANTUM] = quantum
    L[L_NEXT_EVENT] = NEVER
    return L


@njit(cache=True, nogil=True, _nrt=False)
def _time(C, s):
    return np.int64(C[s, S.INSNS] + C[s, S.IDLE])


@njit(cache=True, nogil=True, _nrt=False)
def credit_idle(C, s, k):
    """Strand s spends k steps idle: its time and its deadline's time stay put while
    INSNS does not move."""
    if k <= 0:
        return
    ku = np.uint64(k)
    C[s, S.IDLE] += ku
    d = C[s, S.DEADLINE]
    if d != _UNEVER:
        C[s, S.DEADLINE] = d - ku if d > ku else np.uint64(0)


@njit(cache=True, nogil=True, _nrt=False)
def _refresh(C, s):
    """A strand not running: raise its timer matches up to its time, set its deadline."""
    Cs = C[s]
    now = TB.strand_time(Cs)
    TB.timers_update(Cs, now)
    TB.set_deadline(Cs, TB.next_match(Cs, now))


@njit(cache=True, nogil=True, _nrt=False)
def _can_run(C, SREG, s, end_t):
    """Strand s runs (or wakes) before time end_t: running, or halted with an interrupt
    pending or a timer match before end_t. Clears its poke."""
    if SREG[s, SR_POKE] != 0:
        SREG[s, SR_POKE] = 0
        C[s, S.DEADLINE] = 0
    st = C[s, S.RUN_STATE]
    if st == S.RS_RUN:
        return True
    if st != S.RS_HALT:
        return False
    if C[s, S.INSNS] >= C[s, S.DEADLINE]:
        _refresh(C, s)
    if traps.wake_pending(C[s], SREG):
        return True
    d = TB.deadline_time(C[s])
    return d != _UNEVER and np.int64(d) < end_t


@njit(cache=True, nogil=True, _nrt=False)
def run_machine(ST, M, MMU, DC, LOOP, ATT, max_insns, until):
    """Run the machine's strands (ST: the Strands arrays of all strands) until an exit
    only Python handles (EXIT_MMIO, EXIT_MEMGROW, EXIT_POWEROFF, EXIT_ERROR_STATE, ...;
    LOOP[L_STRAND] is the strand), `max_insns` retired instructions (EXIT_BUDGET), a safe
    point (EXIT_ATTENTION, EXIT_EVENT, EXIT_UNTIL) or an idle machine (EXIT_HALT)."""
    R, RM, C, F = ST
    SREG = MMU.sreg
    ns = C.shape[0]
    Q = LOOP[L_QUANTUM]
    done = np.int64(0)
    while True:
        rs = LOOP[L_ROUND]
        cur = LOOP[L_CUR]
        if cur >= ns:
            rs += Q
            LOOP[L_ROUND] = rs
            LOOP[L_CUR] = 0
            cur = 0
        end_t = rs + Q
        if cur == 0 and _time(C, 0) == rs:
            # ---- a round boundary: safe point -------------------------------------------
            if ATT[0] != 0:
                return S.EXIT_ATTENTION
            if rs >= until:
                return S.EXIT_UNTIL
            if rs >= LOOP[L_NEXT_EVENT]:
                return S.EXIT_EVENT
            runnable = False
            wake = NEVER
            for s in range(ns):
                if _can_run(C, SREG, s, end_t):
                    runnable = True
                    break
                if C[s, S.RUN_STATE] == S.RS_HALT:
                    d = TB.deadline_time(C[s])
                    if d != _UNEVER and np.int64(d) < wake:
                        wake = np.int64(d)
            if not runnable:
                # nobody runs this round: jump to the round of the next wake-up
                target = min(wake, LOOP[L_NEXT_EVENT], until)
                if target == NEVER:
                    return S.EXIT_HALT
                nrs = (target // Q) * Q
                if nrs <= rs:
                    nrs = rs + Q
                for s in range(ns):
                    credit_idle(C, s, nrs - rs)
                LOOP[L_ROUND] = nrs
                continue
        # ---- strand `cur`'s turn --------------------------------------------------------
        s = cur
        t = _time(C, s)
        if t >= end_t:
            LOOP[L_CUR] = cur + 1
            continue
        if not _can_run(C, SREG, s, end_t):
            credit_idle(C, s, end_t - t)
            LOOP[L_CUR] = cur + 1
            continue
        if C[s, S.RUN_STATE] == S.RS_HALT:
            if not traps.wake_pending(C[s], SREG):
                # sleep to the timer match inside this round, raise it
                credit_idle(C, s, np.int64(TB.deadline_time(C[s])) - t)
                _refresh(C, s)
            C[s, S.RUN_STATE] = S.RS_RUN
            C[s, S.DEADLINE] = 0
            t = _time(C, s)
            if t >= end_t:
                continue
        n = end_t - t
        if max_insns - done < n:
            n = max_insns - done
        if n <= 0:
            LOOP[L_STRAND] = s
            return S.EXIT_BUDGET
        before = C[s, S.INSNS]
        code = run_strand_fs(S.Strands(R[s], RM[s], C[s], F[s]), M, MMU, DC, n)
        done += np.int64(C[s, S.INSNS] - before)
        if code == S.EXIT_BUDGET or code == S.EXIT_HALT:
            continue
        LOOP[L_STRAND] = s
        return code
