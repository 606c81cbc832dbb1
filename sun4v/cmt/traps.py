"""Trap entry and interrupt delivery for full-system mode (reference/sun4v.md §1.2-1.3, §5;
UA2007 ch. 12; gem5 src/arch/sparc/faults.cc doNormalFault/doREDFault): routing of each
trap type to the privileged or hyperprivileged level as a table, trap-level state save,
GL/TL/PSTATE/HPSTATE updates, RED state, guest watchdog and error state; pending
interrupts (interrupt_level_n, mondo queues, hstick_match, interrupt_vector,
trap_level_zero) checked between instructions."""
import numpy as np
from numba import njit

from . import state as S
from .exec_int import S_remap

RSTVADDR = np.uint64(0xFFF0000000)
T_WATCHDOG = 0x02            # guest_watchdog: a privileged trap at TL >= MAXPTL
T_RED_STATE = 0x05           # RED_state_exception: vector offset for other RED traps
T_HSTICK_MATCH = 0x5E
T_TRAP_LEVEL_ZERO = 0x5F
T_INTERRUPT_VECTOR = 0x60
T_CPU_MONDO = 0x7C
T_DEV_MONDO = 0x7D
T_RESUMABLE_ERROR = 0x7E
T_INTERRUPT_LEVEL = 0x40


def _routing():
    """TRAP_TO_HV[tt] = 1 when a trap raised in user/privileged mode is handled by the
    hypervisor, 0 when by the privileged (guest) trap table (sun4v.md §1.3)."""
    t = np.ones(0x200, dtype=np.int8)
    priv = [0x11] + list(range(0x20, 0x29)) + list(range(0x40, 0x50)) + [0x7C, 0x7D, 0x7E]
    priv += list(range(0x80, 0x100)) + list(range(0x100, 0x180))
    for tt in priv:
        t[tt] = 0
    return t


TRAP_TO_HV = _routing()

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
        C[S.HALTED] = 1
        C[S.EXIT_ARG0] = tt
        return S.EXIT_ERROR_STATE
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
    if red or t == S.MAXTL:
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
def _crossed(cmpr, last, now):
    """A TICK/STICK/HSTICK compare register (bit 63 = interrupt disable) matched in
    (last, now]."""
    if cmpr & np.uint64(1 << 63):
        return False
    v = cmpr & np.uint64(0x7FFFFFFFFFFFFFFF)
    return last < v and v <= now


@njit(cache=True, nogil=True, _nrt=False)
def check_interrupts(C, MMU, n):
    """Trap type of the highest-priority interrupt pending on this strand, or 0.
    n = instructions retired so far in the current engine run (the time base here is
    TICK = STICK = C[TICK] + retired instructions, as rd %tick reads it).

    Hyperprivileged-level interrupts (hstick_match 0x5E, interrupt_vector 0x60) are taken
    when not hyperprivileged or when PSTATE.ie = 1; trap_level_zero (0x5F) when
    HPSTATE.tlz = 1, TL = 0 and not hyperprivileged; the privileged-level ones (cpu/dev
    mondo, resumable error 0x7C-0x7E, interrupt_level_n 0x41-0x4F for SOFTINT levels
    above PIL) only when not hyperprivileged and PSTATE.ie = 1 (sun4v.md §5)."""
    SREG = MMU[5]
    s = np.int64(C[S.STRAND_ID])
    now = C[S.TICK] + C[S.INSNS] + np.uint64(n)
    last = SREG[s, 6]
    if now != last:
        if _crossed(C[S.TICK_CMPR], last, now):
            C[S.SOFTINT] |= np.uint64(1)
        if _crossed(C[S.STICK_CMPR], last, now):
            C[S.SOFTINT] |= np.uint64(1 << 16)
        if _crossed(C[S.HSTICK_CMPR], last, now):
            C[S.HINTP] |= np.uint64(1)
        SREG[s, 6] = now
    hpriv = (C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV)) != 0
    ie = (C[S.PSTATE] & np.uint64(S.PSTATE_IE)) != 0
    if not hpriv and C[S.TL] == np.uint64(0) and C[S.HPSTATE] & np.uint64(S.HPSTATE_TLZ):
        return T_TRAP_LEVEL_ZERO
    if not hpriv or ie:
        if SREG[s, 5] != np.uint64(0):
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
