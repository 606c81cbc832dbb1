"""Execute functions for the integer instruction classes (SPARC V9 manual appendix A):
ALU and shifts, multiply/divide, branches and call, jmpl/return/save/restore/Tcc,
state-register access. Each returns ADVANCE, PC_SET, a trap type, or an EXIT_* code."""
import numpy as np
from numba import njit

from . import isa as I
from . import state as S
from . import timebase as TB
from .alu import (M32, M64, SIGN64, U0, U1, U4, U32, cc_add, cc_nz, cc_sub, fcc_get, fcond,
                  icond, operand2, rcond_true, rget, rset, sext, sext32)
from .traptypes import (T_CLEAN_WINDOW, T_DIV_ZERO, T_FP_DISABLED, T_ILLEGAL,
                        T_PRIV_OPCODE, T_SIR, T_TAG_OVERFLOW, T_UNALIGNED)

NW = S.NWINDOWS
HVER_IMPL_T1 = 0x23
_MAPS = S.MAPS
_NWU = np.uint64(S.NWINDOWS)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def is_priv(C):
    return (C[S.PSTATE] & np.uint64(S.PSTATE_PRIV)) != U0 or \
        (C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV)) != U0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def is_hpriv(C):
    return (C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV)) != U0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def is_t1(C):
    """The strand is an UltraSPARC T1's (HVER.impl 0x23)."""
    return ((C[S.HVER] >> np.uint64(32)) & np.uint64(0xFFFF)) == np.uint64(HVER_IMPL_T1)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def fp_enabled(C):
    return (C[S.FPRS] & np.uint64(S.FPRS_FEF)) != U0 and \
        (C[S.PSTATE] & np.uint64(S.PSTATE_PEF)) != U0


@njit(cache=True, nogil=True, _nrt=False)
def set_cwp(RM, C, cwp):
    C[S.CWP] = np.uint64(cwp)
    S_remap(RM, cwp, np.int64(C[S.GL]))


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def S_remap(RM, cwp, gl):
    """Point the register map at window cwp and global set gl (a row of state.MAPS)."""
    k = gl * NW + cwp
    for n in range(64):
        RM[n] = _MAPS[k, n]


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def spill_tt(C):
    ws = np.int64(C[S.WSTATE])
    if C[S.OTHERWIN] != U0:
        return 0x0A0 + ((ws >> 3) & 7) * 4
    return 0x080 + (ws & 7) * 4


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def fill_tt(C):
    ws = np.int64(C[S.WSTATE])
    if C[S.OTHERWIN] != U0:
        return 0x0E0 + ((ws >> 3) & 7) * 4
    return 0x0C0 + (ws & 7) * 4


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def branch_to(C, taken, annul, always, target):
    npc = C[S.NPC]
    if taken:
        if annul and always:
            C[S.PC] = target
            C[S.NPC] = target + U4
        else:
            C[S.PC] = npc
            C[S.NPC] = target
    elif annul:
        C[S.PC] = npc + U4
        C[S.NPC] = npc + np.uint64(8)
    else:
        C[S.PC] = npc
        C[S.NPC] = npc + U4
    return S.PC_SET


# ---------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def exec_alu(R, RM, C, inst, iid):
    rd = (inst >> 25) & 31
    if iid == I.SETHI:
        rset(R, RM, rd, np.uint64((inst & 0x3FFFFF) << 10))
        return S.ADVANCE
    a = rget(R, RM, (inst >> 14) & 31)
    b = operand2(R, RM, inst)
    if iid == I.ADD:
        r = a + b
    elif iid == I.OR:
        r = a | b
    elif iid == I.ADDCC:
        r = a + b
        C[S.CCR] = cc_add(a, b, r)
    elif iid == I.SUBCC:
        r = a - b
        C[S.CCR] = cc_sub(a, b, r)
    elif iid == I.SUB:
        r = a - b
    elif iid == I.AND:
        r = a & b
    elif iid == I.XOR:
        r = a ^ b
    elif iid == I.SLLX:
        r = a << (b & np.uint64(63))
    elif iid == I.SRLX:
        r = a >> (b & np.uint64(63))
    elif iid == I.SRAX:
        r = np.uint64(np.int64(a) >> np.int64(b & np.uint64(63)))
    elif iid == I.SLL:
        r = a << (b & np.uint64(31))
    elif iid == I.SRL:
        r = (a & M32) >> (b & np.uint64(31))
    elif iid == I.SRA:
        r = np.uint64(np.int64(sext32(a)) >> np.int64(b & np.uint64(31)))
    elif iid == I.ANDCC:
        r = a & b
        C[S.CCR] = cc_nz(r)
    elif iid == I.ORCC:
        r = a | b
        C[S.CCR] = cc_nz(r)
    elif iid == I.XORCC:
        r = a ^ b
        C[S.CCR] = cc_nz(r)
    elif iid == I.ANDN:
        r = a & (b ^ M64)
    elif iid == I.ORN:
        r = a | (b ^ M64)
    elif iid == I.XNOR:
        r = (a ^ b) ^ M64
    elif iid == I.ANDNCC:
        r = a & (b ^ M64)
        C[S.CCR] = cc_nz(r)
    elif iid == I.ORNCC:
        r = a | (b ^ M64)
        C[S.CCR] = cc_nz(r)
    elif iid == I.XNORCC:
        r = (a ^ b) ^ M64
        C[S.CCR] = cc_nz(r)
    elif iid == I.ADDC:
        r = a + b + (C[S.CCR] & U1)
    elif iid == I.ADDCCC:
        r = a + b + (C[S.CCR] & U1)
        C[S.CCR] = cc_add(a, b, r)
    elif iid == I.SUBC:
        r = a - b - (C[S.CCR] & U1)
    elif iid == I.SUBCCC:
        r = a - b - (C[S.CCR] & U1)
        C[S.CCR] = cc_sub(a, b, r)
    elif iid == I.TADDCC or iid == I.TADDCCTV:
        r = a + b
        ccr = cc_add(a, b, r)
        if (a | b) & np.uint64(3):
            ccr |= np.uint64(2)
        if iid == I.TADDCCTV and ccr & np.uint64(2):
            return T_TAG_OVERFLOW
        C[S.CCR] = ccr
    elif iid == I.TSUBCC or iid == I.TSUBCCTV:
        r = a - b
        ccr = cc_sub(a, b, r)
        if (a | b) & np.uint64(3):
            ccr |= np.uint64(2)
        if iid == I.TSUBCCTV and ccr & np.uint64(2):
            return T_TAG_OVERFLOW
        C[S.CCR] = ccr
    elif iid == I.POPC:
        r = U0
        x = b
        while x != U0:
            x &= x - U1
            r += U1
    elif iid == I.MOV_MCOND:
        cc2 = (inst >> 18) & 1
        sel = (inst >> 11) & 3
        cond = (inst >> 14) & 15
        if cc2:
            if sel == 0:
                t = icond(cond, np.int64(C[S.CCR]) & 15)
            elif sel == 2:
                t = icond(cond, (np.int64(C[S.CCR]) >> 4) & 15)
            else:
                return T_ILLEGAL
        else:
            if not fp_enabled(C):
                return T_FP_DISABLED
            t = fcond(cond, fcc_get(C[S.FSR], sel))
        if not t:
            return S.ADVANCE
        if inst & 0x2000:
            r = sext(inst & 0x7FF, 11)
        else:
            r = rget(R, RM, inst & 31)
    elif iid == I.MOVR_RCOND:
        rc = (inst >> 10) & 7
        if rc == 0 or rc == 4:
            return T_ILLEGAL
        if not rcond_true(rc, a):
            return S.ADVANCE
        if inst & 0x2000:
            r = sext(inst & 0x3FF, 10)
        else:
            r = rget(R, RM, inst & 31)
    else:
        return T_ILLEGAL
    rset(R, RM, rd, r)
    return S.ADVANCE


# ---------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def _udiv64(a, b):
    return a // b


@njit(cache=True, nogil=True, _nrt=False)
def _sdiv64(a, b):
    """Signed 64-bit division truncating toward zero, on uint64 bit patterns."""
    neg = ((a ^ b) & SIGN64) != U0
    ua = (U0 - a) if a & SIGN64 else a
    ub = (U0 - b) if b & SIGN64 else b
    q = ua // ub
    return (U0 - q) if neg else q


@njit(cache=True, nogil=True, _nrt=False)
def exec_muldiv(R, RM, C, inst, iid):
    rd = (inst >> 25) & 31
    a = rget(R, RM, (inst >> 14) & 31)
    b = operand2(R, RM, inst)
    if iid == I.MULX:
        r = a * b
    elif iid == I.SDIVX:
        if b == U0:
            return T_DIV_ZERO
        r = _sdiv64(a, b)
    elif iid == I.UDIVX:
        if b == U0:
            return T_DIV_ZERO
        r = _udiv64(a, b)
    elif iid == I.UMUL or iid == I.UMULCC:
        r = (a & M32) * (b & M32)
        C[S.Y] = r >> U32
        if iid == I.UMULCC:
            C[S.CCR] = cc_nz(r)
    elif iid == I.SMUL or iid == I.SMULCC:
        r = sext32(a) * sext32(b)
        C[S.Y] = r >> U32
        if iid == I.SMULCC:
            C[S.CCR] = cc_nz(r)
    elif iid == I.UDIV or iid == I.UDIVCC:
        d = b & M32
        if d == U0:
            return T_DIV_ZERO
        q = (((C[S.Y] & M32) << U32) | (a & M32)) // d
        v = q > M32
        if v:
            q = M32
        r = q
        if iid == I.UDIVCC:
            ccr = cc_nz(r)
            if v:
                ccr |= np.uint64(2)
            C[S.CCR] = ccr
    elif iid == I.SDIV or iid == I.SDIVCC:
        d = sext32(b)
        if d == U0:
            return T_DIV_ZERO
        q = _sdiv64(((C[S.Y] & M32) << U32) | (a & M32), d)
        sq = np.int64(q)
        v = False
        if ((C[S.Y] & M32) << U32) | (a & M32) == SIGN64 and d == M64:
            sq = np.int64(0x7FFFFFFF)
            v = True
        elif sq > 0x7FFFFFFF:
            sq = np.int64(0x7FFFFFFF)
            v = True
        elif sq < -0x80000000:
            sq = np.int64(-0x80000000)
            v = True
        r = np.uint64(sq)
        if iid == I.SDIVCC:
            ccr = cc_nz(r)
            if v:
                ccr |= np.uint64(2)
            C[S.CCR] = ccr
    elif iid == I.MULSCC:
        icc = np.int64(C[S.CCR]) & 15
        nv = ((icc >> 3) ^ (icc >> 1)) & 1
        op1 = (np.uint64(nv) << np.uint64(31)) | ((a & M32) >> U1)
        y = C[S.Y] & M32
        op2 = (b & M32) if (y & U1) else U0
        r = op1 + op2
        C[S.CCR] = cc_add(op1, op2, r)
        C[S.Y] = (y >> U1) | ((a & U1) << np.uint64(31))
    else:
        return T_ILLEGAL
    rset(R, RM, rd, r)
    return S.ADVANCE


# ---------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def exec_branch(R, RM, C, inst, iid):
    pc = C[S.PC]
    annul = (inst >> 29) & 1
    if iid == I.CALL:
        rset(R, RM, 15, pc)
        C[S.PC] = C[S.NPC]
        C[S.NPC] = pc + sext(inst & 0x3FFFFFFF, 30) * U4
        return S.PC_SET
    cond = (inst >> 25) & 15
    if iid == I.B_COND_A_P:
        sel = (inst >> 20) & 3
        if sel == 0:
            t = icond(cond, np.int64(C[S.CCR]) & 15)
        elif sel == 2:
            t = icond(cond, (np.int64(C[S.CCR]) >> 4) & 15)
        else:
            return T_ILLEGAL
        return branch_to(C, t, annul, cond == 8, pc + sext(inst & 0x7FFFF, 19) * U4)
    if iid == I.B_COND_A:
        t = icond(cond, np.int64(C[S.CCR]) & 15)
        return branch_to(C, t, annul, cond == 8, pc + sext(inst & 0x3FFFFF, 22) * U4)
    if iid == I.BR_RCOND_A_P:
        rc = (inst >> 25) & 7
        if rc == 0 or rc == 4:
            return T_ILLEGAL
        t = rcond_true(rc, rget(R, RM, (inst >> 14) & 31))
        d = (((inst >> 20) & 3) << 14) | (inst & 0x3FFF)
        return branch_to(C, t, annul, False, pc + sext(d, 16) * U4)
    if iid == I.FB_FCOND_A_P or iid == I.FB_FCOND_A:
        if not fp_enabled(C):
            return T_FP_DISABLED
        if iid == I.FB_FCOND_A_P:
            t = fcond(cond, fcc_get(C[S.FSR], (inst >> 20) & 3))
            target = pc + sext(inst & 0x7FFFF, 19) * U4
        else:
            t = fcond(cond, fcc_get(C[S.FSR], 0))
            target = pc + sext(inst & 0x3FFFFF, 22) * U4
        return branch_to(C, t, annul, cond == 8, target)
    return T_ILLEGAL     # illtrap


# ---------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def exec_ctrl(R, RM, C, inst, iid):
    rd = (inst >> 25) & 31
    if iid == I.SAVE or iid == I.RESTORE or iid == I.JMPL or iid == I.RETURN:
        a = rget(R, RM, (inst >> 14) & 31)
        b = operand2(R, RM, inst)
        v = a + b
        cwp = np.int64(C[S.CWP])
        if iid == I.JMPL:
            if v & np.uint64(3):
                C[S.EXIT_ARG1] = v
                return T_UNALIGNED
            rset(R, RM, rd, C[S.PC])
            C[S.PC] = C[S.NPC]
            C[S.NPC] = v
            return S.PC_SET
        if iid == I.SAVE:
            if C[S.CANSAVE] == U0:
                return spill_tt(C)
            if C[S.CLEANWIN] - C[S.CANRESTORE] == U0:
                return T_CLEAN_WINDOW
            set_cwp(RM, C, (cwp + 1) % NW)
            C[S.CANSAVE] -= U1
            C[S.CANRESTORE] += U1
            rset(R, RM, rd, v)
            return S.ADVANCE
        if C[S.CANRESTORE] == U0:
            return fill_tt(C)
        if iid == I.RETURN and v & np.uint64(3):
            C[S.EXIT_ARG1] = v
            return T_UNALIGNED
        set_cwp(RM, C, (cwp + NW - 1) % NW)
        C[S.CANSAVE] += U1
        C[S.CANRESTORE] -= U1
        if iid == I.RESTORE:
            rset(R, RM, rd, v)
            return S.ADVANCE
        C[S.PC] = C[S.NPC]
        C[S.NPC] = v
        return S.PC_SET
    if iid == I.T_COND:
        sel = (inst >> 11) & 3
        cond = (inst >> 25) & 15
        if sel == 0:
            t = icond(cond, np.int64(C[S.CCR]) & 15)
        elif sel == 2:
            t = icond(cond, (np.int64(C[S.CCR]) >> 4) & 15)
        else:
            return T_ILLEGAL
        if not t:
            return S.ADVANCE
        a = rget(R, RM, (inst >> 14) & 31)
        if inst & 0x2000:
            n = a + np.uint64(inst & 0xFF)
        else:
            n = a + rget(R, RM, inst & 31)
        mask = np.uint64(0xFF) if is_priv(C) else np.uint64(0x7F)
        return 0x100 + np.int64(n & mask)
    if iid == I.FLUSHW:
        if C[S.CANSAVE] != np.uint64(NW - 2):
            return spill_tt(C)
        return S.ADVANCE
    return T_ILLEGAL


# ---------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def exec_state(R, RM, C, inst, iid):
    rd = (inst >> 25) & 31
    if iid == I.MEMBAR or iid == I.STBAR or iid == I.FLUSH:
        return S.ADVANCE
    if iid == I.RD:
        n = (inst >> 14) & 31
        if n == 0:
            r = C[S.Y] & M32
        elif n == 2:
            r = C[S.CCR]
        elif n == 3:
            r = C[S.ASI]
        elif n == 4:
            r = C[S.TICK] + TB.strand_time(C)
        elif n == 24:
            r = C[S.STICK] + TB.stick_count(C, TB.strand_time(C))
        elif n == 5:
            r = C[S.PC]
        elif n == 6:
            r = C[S.FPRS]
        elif n == 19:
            if not fp_enabled(C):
                return T_FP_DISABLED
            r = C[S.GSR]
        elif n == 22 or n == 23 or n == 25:
            if not is_priv(C):
                return T_PRIV_OPCODE
            r = C[S.SOFTINT] if n == 22 else (C[S.TICK_CMPR] if n == 23 else C[S.STICK_CMPR])
        elif n == 26:          # T1 STRAND_STS: strand id 12:8, ACTIVE bit 0
            if not is_t1(C):
                return T_ILLEGAL
            if not is_hpriv(C):
                return T_PRIV_OPCODE if not is_priv(C) else T_ILLEGAL
            r = ((C[S.STRAND_ID] & np.uint64(0x1F)) << np.uint64(8)) | U1
        else:
            return T_ILLEGAL
        rset(R, RM, rd, r)
        return S.ADVANCE
    if iid == I.WR:
        v = rget(R, RM, (inst >> 14) & 31) ^ operand2(R, RM, inst)
        if rd == 0:
            C[S.Y] = v & M32
        elif rd == 2:
            C[S.CCR] = v & np.uint64(0xFF)
        elif rd == 3:
            C[S.ASI] = v & np.uint64(0xFF)
        elif rd == 6:
            C[S.FPRS] = v & np.uint64(7)
        elif rd == 19:
            if not fp_enabled(C):
                return T_FP_DISABLED
            C[S.GSR] = v
        elif rd >= 20 and rd <= 25:
            if not is_priv(C):
                return T_PRIV_OPCODE
            now = TB.strand_time(C)
            TB.timers_update(C, now)      # matches before the write still count
            if rd == 20:
                C[S.SOFTINT] |= v
            elif rd == 21:
                C[S.SOFTINT] &= v ^ M64
            elif rd == 22:
                C[S.SOFTINT] = v
            elif rd == 23:
                C[S.TICK_CMPR] = v
            elif rd == 24:
                C[S.STICK] = v - TB.stick_count(C, now)
            else:
                C[S.STICK_CMPR] = v
            C[S.DEADLINE] = 0             # check interrupts at the next boundary
        elif rd == 26:          # T1 STRAND_STS: writing ACTIVE = 0 halts the strand
            if not is_t1(C):
                return T_ILLEGAL
            if not is_hpriv(C):
                return T_PRIV_OPCODE if not is_priv(C) else T_ILLEGAL
            if v & U1 == U0:
                C[S.RUN_STATE] = S.RS_HALT
                C[S.DEADLINE] = 0
        else:
            return T_ILLEGAL
        return S.ADVANCE
    if iid == I.SIR:
        if not is_hpriv(C):
            return T_ILLEGAL
        return T_SIR     # software-initiated reset
    return T_ILLEGAL
