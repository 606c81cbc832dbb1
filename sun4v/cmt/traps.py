"""Trap entry and interrupt delivery for full-system mode (reference/sun4v.md §1.2-1.3, §5;
UA2007 ch. 12; gem5 src/arch/sparc/faults.cc doNormalFault/doREDFault): routing of each
trap type to the privileged or hyperprivileged level from the trap table (traptypes.py),
trap-level state save, GL/TL/PSTATE/HPSTATE updates, RED state, guest watchdog and error
state; pending interrupts (interrupt_level_n, mondo queues, hstick_match,
interrupt_vector, trap_level_zero) and the per-strand interrupt deadline (`service`, run
when the strand's counter reaches C[DEADLINE]; timebase.py)."""
import numpy as np
from numba import njit

from . import state as S
from . import timebase as TB
from .exec_int import S_remap
from .traptypes import (T_CPU_MONDO, T_DEV_MONDO, T_HSTICK_MATCH, T_INTERRUPT_LEVEL,
                        T_INTERRUPT_VECTOR, T_RED_STATE, T_RESUMABLE_ERROR,
                        T_TRAP_LEVEL_ZERO, T_WATCHDOG, routing)

RSTVADDR = np.uint64(0xFFF0000000)
SR_IVEC = 0                  # mmu.SR_IVEC (the receive register in MMU.sreg)

# TRAP_TO_HV[tt] = 1 when a trap raised in user/privileged mode is handled by the
# hypervisor, 0 when by the privileged (guest) trap table (traptypes.py levels)
TRAP_TO_HV = routing()

# PSTATE bits cleared on every trap entry (MM and TLE are unchanged; UA2007 table 12-?)
_PS_CLEAR = np.uint64(S.PSTATE_IE | S.PSTATE_AM | S.PSTATE_TCT)


@njit(cache=True, nogil=True, _nrt=False)
def red_vector(tt):
    """RED_state vector: RSTV + 0x20/0x40/0x60/0x80 for POR/WDR/XIR/SIR, + 0xA0 for every
    other trap taken in RED state (UA2007 §12.6.2)."""
    if tt >= 1 and tt <= 4:
        return RSTVADDR | np.uint64(tt << 5)
    return RSTVADDR | np.uint64(T_RED_STATE << 5)


@njit(cache=True, nogil=True, _nrt=False)
def take_trap(R, RM, C, tt):
    """Enter the trap handler for trap type tt. Returns 0, or EXIT_ERROR_STATE."""
    tl = np.int64(C[S.TL])
    hp = C[S.HPSTATE]
    hpriv = (hp & np.uint64(S.HPSTATE_HPRIV)) != 0
    red = (hp & np.uint64(S.HPSTATE_RED)) != 0
    if tl >= S.MAXTL:
        C[S.RUN_STATE] = S.RS_ERROR
        C[S.EXIT_ARG0] = tt
        return S.EXIT_ERROR_STATE
    reset = tt >= 1 and tt <= 4          # POR, WDR, XIR, SIR: always RED-state traps
    to_hv = hpriv or TRAP_TO_HV[tt] != 0
    if not to_hv and tl >= S.MAXPTL:
        tt = T_WATCHDOG
        to_hv = True
    # window traps run their handler in the window concerned
    cwp = np.int64(C[S.CWP])
    if tt >= 0x80 and tt < 0xC0:
        cwp = (cwp + np.int64(C[S.CANSAVE]) + 2) % S.NWINDOWS
    elif tt >= 0xC0 and tt < 0x100:
        cwp = (cwp + S.NWINDOWS - 1) % S.NWINDOWS
    elif tt == 0x24:
        cwp = (cwp + 1) % S.NWINDOWS
    t = tl + 1
    C[S.TL] = t
    C[S.TPC_BASE + t] = C[S.PC]
    C[S.TNPC_BASE + t] = C[S.NPC]
    C[S.TSTATE_BASE + t] = ((C[S.GL] & np.uint64(7)) << np.uint64(40)) | \
        ((C[S.CCR] & np.uint64(0xFF)) << np.uint64(32)) | \
        ((C[S.ASI] & np.uint64(0xFF)) << np.uint64(24)) | \
        ((C[S.PSTATE] & np.uint64(0x1FFF)) << np.uint64(8)) | (C[S.CWP] & np.uint64(0x1F))
    C[S.TT_BASE + t] = tt
    C[S.HTSTATE_BASE + t] = hp
    C[S.CWP] = cwp
    ps = (C[S.PSTATE] & ~_PS_CLEAR) | np.uint64(S.PSTATE_PEF)
    gl = np.int64(C[S.GL])
    if red or reset or t == S.MAXTL:
        # RED state: hpriv, RED, TLZ and IBE cleared; PSTATE.priv and cle cleared
        C[S.HPSTATE] = (hp & ~np.uint64(S.HPSTATE_TLZ | S.HPSTATE_IBE)) | \
            np.uint64(S.HPSTATE_RED | S.HPSTATE_HPRIV)
        C[S.PSTATE] = ps & ~np.uint64(S.PSTATE_PRIV | S.PSTATE_CLE)
        C[S.GL] = min(gl + 1, S.MAXGL)
        vec = red_vector(tt)
    elif to_hv:
        C[S.HPSTATE] = (hp & ~np.uint64(S.HPSTATE_RED | S.HPSTATE_IBE)) | \
            np.uint64(S.HPSTATE_HPRIV)
        C[S.PSTATE] = ps & ~np.uint64(S.PSTATE_PRIV | S.PSTATE_CLE)
        C[S.GL] = min(gl + 1, S.MAXGL)
        vec = (C[S.HTBA] & ~np.uint64(0x3FFF)) | np.uint64(tt << 5)
    else:
        if ps & np.uint64(S.PSTATE_TLE):
            ps |= np.uint64(S.PSTATE_CLE)
        else:
            ps &= ~np.uint64(S.PSTATE_CLE)
        C[S.PSTATE] = ps | np.uint64(S.PSTATE_PRIV)
        C[S.GL] = min(gl + 1, S.MAXPGL)
        vec = (C[S.TBA] & ~np.uint64(0x7FFF)) | np.uint64(tt << 5)
        if tl > 0:
            vec |= np.uint64(1 << 14)
    C[S.PC] = vec
    C[S.NPC] = vec + np.uint64(4)
    C[S.TRAP_COUNT] += np.uint64(1)
    S_remap(RM, np.int64(C[S.CWP]), np.int64(C[S.GL]))
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def pending_interrupt(C, SREG):
    """Trap type of the highest-priority interrupt deliverable now on this strand, or 0.

    Hyperprivileged-level interrupts (interrupt_vector 0x60, hstick_match 0x5E) are taken
    when not hyperprivileged or when PSTATE.ie = 1; trap_level_zero (0x5F) when
    HPSTATE.tlz = 1, TL = 0 and not hyperprivileged; the privileged-level ones (cpu/dev
    mondo, resumable error 0x7C-0x7E when a queue's head != tail, interrupt_level_n
    0x41-0x4F for SOFTINT levels above PIL; TICK/STICK match (SOFTINT bits 0, 16) is
    level 14) only when not hyperprivileged and PSTATE.ie = 1 (sun4v.md §5). The
    non-resumable error queue raises none."""
    s = np.int64(C[S.STRAND_ID])
    hpriv = (C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV)) != 0
    ie = (C[S.PSTATE] & np.uint64(S.PSTATE_IE)) != 0
    if not hpriv and C[S.TL] == np.uint64(0) and C[S.HPSTATE] & np.uint64(S.HPSTATE_TLZ):
        return T_TRAP_LEVEL_ZERO
    if not hpriv or ie:
        if SREG[s, SR_IVEC] != np.uint64(0):
            return T_INTERRUPT_VECTOR
        if C[S.HINTP] & np.uint64(1):
            return T_HSTICK_MATCH
    if hpriv or not ie:
        return 0
    q = S.QUEUE_BASE
    if C[q] != C[q + 1]:
        return T_CPU_MONDO
    if C[q + 2] != C[q + 3]:
        return T_DEV_MONDO
    if C[q + 4] != C[q + 5]:
        return T_RESUMABLE_ERROR
    si = C[S.SOFTINT]
    if si == np.uint64(0):
        return 0
    level = 0
    if si & np.uint64(1 | (1 << 16)):
        level = 14
    for b in range(15, 0, -1):
        if b > level and si & (np.uint64(1) << np.uint64(b)):
            level = b
            break
    if level > np.int64(C[S.PIL]):
        return T_INTERRUPT_LEVEL + level
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def wake_pending(C, SREG):
    """An interrupt is pending for this strand, deliverable or not: what wakes a halted
    strand (an interrupt vector, a timer match, a non-empty cpu/dev mondo or resumable
    error queue; chosen: any SOFTINT bit). A halted strand wakes regardless of PSTATE.ie,
    as the hypervisor's cpu_yield relies on (sun4v.md §2 cpu_yield)."""
    s = np.int64(C[S.STRAND_ID])
    if SREG[s, SR_IVEC] != np.uint64(0) or C[S.HINTP] & np.uint64(1):
        return True
    if C[S.SOFTINT] != np.uint64(0):
        return True
    q = S.QUEUE_BASE
    return C[q] != C[q + 1] or C[q + 2] != C[q + 3] or C[q + 4] != C[q + 5]


@njit(cache=True, nogil=True, _nrt=False)
def service(R, RM, C, SREG):
    """The full interrupt check, run when the strand's counter reaches C[DEADLINE]: raise
    the timer matches up to now, take the highest deliverable interrupt, and set the next
    deadline. Returns 0, EXIT_HALT when the strand is not running (its deadline is still
    set, so the machine knows when a timer wakes it), or EXIT_ERROR_STATE."""
    now = TB.strand_time(C)
    TB.timers_update(C, now)
    nxt = TB.next_match(C, now)
    if C[S.RUN_STATE] != np.uint64(S.RS_RUN):
        TB.set_deadline(C, nxt)
        return S.EXIT_HALT
    it = pending_interrupt(C, SREG)
    if it != 0:
        x = take_trap(R, RM, C, it)
        if x != 0:
            return x
    TB.set_deadline(C, nxt)
    return 0
