"""Trap entry for full-system mode (reference/sun4v.md §1.2-1.3; UA2007 ch. 12): routing of
each trap type to the privileged or hyperprivileged level as a table, trap-level state
save, GL/TL/PSTATE/HPSTATE updates, RED state, guest watchdog and error state."""
import numpy as np
from numba import njit

from . import state as S
from .exec_int import S_remap

RSTVADDR = np.uint64(0xFFF0000000)
T_WATCHDOG = 0x02


def _routing():
    """TRAP_TO_HV[tt] = 1 when a trap raised in user/privileged mode is handled by the
    hypervisor, 0 when by the privileged (guest) trap table."""
    t = np.ones(0x200, dtype=np.int8)
    priv = [0x11] + list(range(0x20, 0x29)) + list(range(0x40, 0x50)) + [0x7C, 0x7D, 0x7E]
    priv += list(range(0x80, 0x100)) + list(range(0x100, 0x180))
    for tt in priv:
        t[tt] = 0
    return t


TRAP_TO_HV = _routing()


@njit(cache=True, nogil=True)
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
    ps = C[S.PSTATE]
    ps &= ~np.uint64(S.PSTATE_IE | S.PSTATE_AM | (3 << S.PSTATE_MM_SHIFT))
    ps |= np.uint64(S.PSTATE_PEF)
    gl = np.int64(C[S.GL])
    if red or t == S.MAXTL:
        C[S.HPSTATE] = (hp & np.uint64(S.HPSTATE_TLZ)) | np.uint64(S.HPSTATE_RED | S.HPSTATE_HPRIV)
        C[S.PSTATE] = ps & ~np.uint64(S.PSTATE_PRIV | S.PSTATE_CLE | S.PSTATE_TLE)
        C[S.GL] = min(gl + 1, S.MAXGL)
        vec = RSTVADDR | np.uint64(tt << 5)
    elif to_hv:
        C[S.HPSTATE] = (hp & ~np.uint64(S.HPSTATE_RED | S.HPSTATE_IBE)) | np.uint64(S.HPSTATE_HPRIV)
        C[S.PSTATE] = ps & ~np.uint64(S.PSTATE_PRIV)
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
