"""Execute function for the privileged and hyperprivileged instructions (UltraSPARC
Architecture 2007 §7 rdpr/wrpr/rdhpr/wrhpr/done/retry/saved/restored/allclean/otherw/
normalw/invalw; register layout and done/retry rules from reference/sun4v.md §1.1-1.2).

Privilege: user mode -> privileged_opcode (0x11); hyperprivileged-only operations
(rdhpr/wrhpr) in privileged mode -> illegal_instruction (0x10), as UA2007 specifies."""
import numpy as np
from numba import njit

from . import isa as I
from . import state as S
from . import timebase as TB
from .alu import U0, U1, operand2, rget, rset
from .exec_int import S_remap, is_hpriv, is_priv
from .traptypes import T_ILLEGAL, T_PRIV_OPCODE

_U7 = np.uint64(7)
_NW = S.NWINDOWS
_WINMASK = np.uint64(S.NWINDOWS - 1)      # NWINDOWS is a power of two
TSTATE_MASK = np.uint64((7 << 40) | (0xFF << 32) | (0xFF << 24) | (0x1FFF << 8) | 0x1F)
PSTATE_MASK = np.uint64(S.PSTATE_IE | S.PSTATE_PRIV | S.PSTATE_AM | S.PSTATE_PEF |
                        (3 << S.PSTATE_MM_SHIFT) | S.PSTATE_TLE | S.PSTATE_CLE |
                        S.PSTATE_TCT)
HPSTATE_MASK = np.uint64(S.HPSTATE_TLZ | S.HPSTATE_HPRIV | S.HPSTATE_RED |
                         S.HPSTATE_IBE | (1 << 11))
HVER_IMPL_T2 = 0x24

# privileged register numbers (rdpr rs1 / wrpr rd)
PR_TPC, PR_TNPC, PR_TSTATE, PR_TT, PR_TICK, PR_TBA, PR_PSTATE, PR_TL = range(8)
PR_PIL, PR_CWP, PR_CANSAVE, PR_CANRESTORE, PR_CLEANWIN, PR_OTHERWIN, PR_WSTATE = range(8, 15)
PR_GL = 16
# hyperprivileged register numbers (rdhpr rs1 / wrhpr rd)
HPR_HPSTATE, HPR_HTSTATE, HPR_HINTP, HPR_HTBA, HPR_HVER = 0, 1, 3, 5, 6
HPR_HALT, HPR_HSTICK_CMPR = 30, 31


@njit(cache=True, nogil=True, _nrt=False)
def set_cwp_gl(RM, C, cwp, gl):
    C[S.CWP] = np.uint64(cwp)
    C[S.GL] = np.uint64(gl)
    S_remap(RM, cwp, gl)


@njit(cache=True, nogil=True, _nrt=False)
def _rdpr(C, n):
    """(value, trap) for rdpr of privileged register n."""
    tl = np.int64(C[S.TL])
    if n <= PR_TT:
        if tl == 0:
            return U0, T_ILLEGAL
        if n == PR_TPC:
            return C[S.TPC_BASE + tl], 0
        if n == PR_TNPC:
            return C[S.TNPC_BASE + tl], 0
        if n == PR_TSTATE:
            return C[S.TSTATE_BASE + tl], 0
        return C[S.TT_BASE + tl], 0
    if n == PR_TICK:
        return C[S.TICK] + TB.strand_time(C), 0
    if n == PR_TBA:
        return C[S.TBA], 0
    if n == PR_PSTATE:
        return C[S.PSTATE], 0
    if n == PR_TL:
        return C[S.TL], 0
    if n == PR_PIL:
        return C[S.PIL], 0
    if n == PR_CWP:
        return C[S.CWP], 0
    if n == PR_CANSAVE:
        return C[S.CANSAVE], 0
    if n == PR_CANRESTORE:
        return C[S.CANRESTORE], 0
    if n == PR_CLEANWIN:
        return C[S.CLEANWIN], 0
    if n == PR_OTHERWIN:
        return C[S.OTHERWIN], 0
    if n == PR_WSTATE:
        return C[S.WSTATE], 0
    if n == PR_GL:
        return C[S.GL], 0
    return U0, T_ILLEGAL


@njit(cache=True, nogil=True, _nrt=False)
def _wrpr(RM, C, n, v, hpriv):
    """wrpr of privileged register n; returns 0 or a trap type."""
    tl = np.int64(C[S.TL])
    if n <= PR_TT:
        if tl == 0:
            return T_ILLEGAL
        if n == PR_TPC:
            C[S.TPC_BASE + tl] = v & ~np.uint64(3)
        elif n == PR_TNPC:
            C[S.TNPC_BASE + tl] = v & ~np.uint64(3)
        elif n == PR_TSTATE:
            C[S.TSTATE_BASE + tl] = v & TSTATE_MASK
        else:
            C[S.TT_BASE + tl] = v & np.uint64(0x1FF)
    elif n == PR_TICK:
        now = TB.strand_time(C)
        TB.timers_update(C, now)
        C[S.TICK] = v - now
        C[S.DEADLINE] = 0
    elif n == PR_TBA:
        C[S.TBA] = v & ~np.uint64(0x7FFF)
    elif n == PR_PSTATE:
        C[S.PSTATE] = v & PSTATE_MASK
        C[S.DEADLINE] = 0                  # PSTATE.ie may enable an interrupt
    elif n == PR_TL:
        cap = S.MAXTL if hpriv else S.MAXPTL
        t = np.int64(v & _U7)
        C[S.TL] = np.uint64(min(t, cap))
        C[S.DEADLINE] = 0                  # trap_level_zero
    elif n == PR_PIL:
        C[S.PIL] = v & np.uint64(0xF)
        C[S.DEADLINE] = 0
    elif n == PR_CWP:
        set_cwp_gl(RM, C, np.int64(v & _WINMASK), np.int64(C[S.GL]))
    elif n == PR_CANSAVE:
        C[S.CANSAVE] = v & _WINMASK
    elif n == PR_CANRESTORE:
        C[S.CANRESTORE] = v & _WINMASK
    elif n == PR_CLEANWIN:
        C[S.CLEANWIN] = v & _WINMASK
    elif n == PR_OTHERWIN:
        C[S.OTHERWIN] = v & _WINMASK
    elif n == PR_WSTATE:
        C[S.WSTATE] = v & np.uint64(0x3F)
    elif n == PR_GL:
        cap = S.MAXGL if hpriv else S.MAXPGL
        g = np.int64(v & _U7)
        set_cwp_gl(RM, C, np.int64(C[S.CWP]), min(g, cap))
    else:
        return T_ILLEGAL
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def _rdhpr(C, n):
    tl = np.int64(C[S.TL])
    if n == HPR_HPSTATE:
        return C[S.HPSTATE], 0
    if n == HPR_HTSTATE:
        if tl == 0:
            return U0, T_ILLEGAL
        return C[S.HTSTATE_BASE + tl], 0
    if n == HPR_HINTP:
        return C[S.HINTP], 0
    if n == HPR_HTBA:
        return C[S.HTBA], 0
    if n == HPR_HVER:
        return C[S.HVER], 0
    if n == HPR_HSTICK_CMPR:
        return C[S.HSTICK_CMPR], 0
    return U0, T_ILLEGAL


@njit(cache=True, nogil=True, _nrt=False)
def _wrhpr(C, n, v):
    """wrhpr; returns 0 or a trap type. `wrhpr %hpr30` (T2) halts the strand after it
    retires: the run loop sees RUN_STATE at the next boundary."""
    tl = np.int64(C[S.TL])
    if n == HPR_HPSTATE:
        C[S.HPSTATE] = v & HPSTATE_MASK
        C[S.DEADLINE] = 0
    elif n == HPR_HTSTATE:
        if tl == 0:
            return T_ILLEGAL
        C[S.HTSTATE_BASE + tl] = v & HPSTATE_MASK
    elif n == HPR_HINTP:
        TB.timers_update(C, TB.strand_time(C))
        C[S.HINTP] = v & U1
        C[S.DEADLINE] = 0
    elif n == HPR_HTBA:
        C[S.HTBA] = v & ~np.uint64(0x3FFF)
    elif n == HPR_HSTICK_CMPR:
        TB.timers_update(C, TB.strand_time(C))
        C[S.HSTICK_CMPR] = v
        C[S.DEADLINE] = 0
    elif n == HPR_HALT and ((C[S.HVER] >> np.uint64(32)) & np.uint64(0xFFFF)) == HVER_IMPL_T2:
        C[S.RUN_STATE] = S.RS_HALT
        C[S.DEADLINE] = 0
    else:
        return T_ILLEGAL       # includes HVER (read-only)
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def done_retry(RM, C, retry):
    """done / retry (reference/sun4v.md §1.2): restore CCR, ASI, PSTATE, CWP and GL from
    TSTATE[TL], HPSTATE from HTSTATE[TL] (hyperprivileged only), then TL--."""
    tl = np.int64(C[S.TL])
    if tl == 0:
        return T_ILLEGAL
    hpriv = is_hpriv(C)
    ts = C[S.TSTATE_BASE + tl]
    if retry:
        C[S.PC] = C[S.TPC_BASE + tl]
        C[S.NPC] = C[S.TNPC_BASE + tl]
    else:
        C[S.PC] = C[S.TNPC_BASE + tl]
        C[S.NPC] = C[S.TNPC_BASE + tl] + np.uint64(4)
    C[S.CCR] = (ts >> np.uint64(32)) & np.uint64(0xFF)
    C[S.ASI] = (ts >> np.uint64(24)) & np.uint64(0xFF)
    C[S.PSTATE] = (ts >> np.uint64(8)) & PSTATE_MASK
    gl = np.int64((ts >> np.uint64(40)) & _U7)
    if hpriv:
        C[S.HPSTATE] = C[S.HTSTATE_BASE + tl]
        gl = min(gl, S.MAXGL)
    else:
        gl = min(gl, S.MAXPGL)
    C[S.TL] = np.uint64(tl - 1)
    set_cwp_gl(RM, C, np.int64(ts & _WINMASK), gl)
    C[S.DEADLINE] = 0                      # PSTATE/HPSTATE/TL restored: check interrupts
    return S.PC_SET


@njit(cache=True, nogil=True, _nrt=False)
def _window_op(C, fcn):
    """saved / restored / allclean / otherw / normalw / invalw (SPARC V9 A.47, A.48)."""
    if fcn == 0:            # saved
        C[S.CANSAVE] = (C[S.CANSAVE] + U1) & _WINMASK
        if C[S.OTHERWIN] == U0:
            C[S.CANRESTORE] = (C[S.CANRESTORE] - U1) & _WINMASK
        else:
            C[S.OTHERWIN] -= U1
    elif fcn == 1:          # restored
        C[S.CANRESTORE] = (C[S.CANRESTORE] + U1) & _WINMASK
        if C[S.OTHERWIN] == U0:
            C[S.CANSAVE] = (C[S.CANSAVE] - U1) & _WINMASK
        else:
            C[S.OTHERWIN] -= U1
        if C[S.CLEANWIN] < np.uint64(_NW - 1):
            C[S.CLEANWIN] += U1
    elif fcn == 2:          # allclean
        C[S.CLEANWIN] = np.uint64(_NW - 1)
    elif fcn == 3:          # otherw
        C[S.OTHERWIN] = C[S.CANRESTORE]
        C[S.CANRESTORE] = U0
    elif fcn == 4:          # normalw
        C[S.CANRESTORE] = C[S.OTHERWIN]
        C[S.OTHERWIN] = U0
    elif fcn == 5:          # invalw
        C[S.CANSAVE] = np.uint64(_NW - 2)
        C[S.CANRESTORE] = U0
        C[S.OTHERWIN] = U0
    else:
        return T_ILLEGAL
    return S.ADVANCE


@njit(cache=True, nogil=True, _nrt=False)
def exec_priv(R, RM, C, inst, iid):
    if not is_priv(C):
        return T_PRIV_OPCODE
    hpriv = is_hpriv(C)
    if iid == I.RDPR:
        v, t = _rdpr(C, (inst >> 14) & 31)
        if t:
            return t
        rset(R, RM, (inst >> 25) & 31, v)
        return S.ADVANCE
    if iid == I.WRPR:
        v = rget(R, RM, (inst >> 14) & 31) ^ operand2(R, RM, inst)
        t = _wrpr(RM, C, (inst >> 25) & 31, v, hpriv)
        return t if t else S.ADVANCE
    if iid == I.DONE or iid == I.RETRY:
        return done_retry(RM, C, iid == I.RETRY)
    if iid == I.RDHPR:
        if not hpriv:
            return T_ILLEGAL
        v, t = _rdhpr(C, (inst >> 14) & 31)
        if t:
            return t
        rset(R, RM, (inst >> 25) & 31, v)
        return S.ADVANCE
    if iid == I.WRHPR:
        if not hpriv:
            return T_ILLEGAL
        v = rget(R, RM, (inst >> 14) & 31) ^ operand2(R, RM, inst)
        t = _wrhpr(C, (inst >> 25) & 31, v)
        return t if t else S.ADVANCE
    return _window_op(C, (inst >> 25) & 31)
