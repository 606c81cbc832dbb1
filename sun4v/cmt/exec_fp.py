"""Execute functions for FP operate, FP loads/stores and VIS (SPARC V9 A.12-A.20, A.25,
A.26, A.33, A.35, A.54; UltraSPARC Architecture 2007 ch. 5 FSR/GSR, ch. 7 VIS; T1/T2
supplements: no quad hardware, FSR.ver = 0).

FSR (V9 §5.1.7): rd 31:30, TEM 27:23, NS 22, ver 19:17, ftt 16:14, fcc0 11:10, aexc 9:5,
cexc 4:0, fcc1-3 33:32, 35:34, 37:36. Every FPop writes cexc and clears ftt; an IEEE
exception enabled in TEM traps (fp_exception_ieee_754, ftt = 1) leaving the destination
and aexc unchanged. T1/T2 implement no quad FPop (add/sub/mul/div/sqrt, fdmulq,
conversions to and from quad, fcmpq/fcmpeq, fmovq/fnegq/fabsq, fmovqcc, fmovrq), and T1 no
fsqrts/fsqrtd: on T1 they trap fp_exception_other with ftt = 3 (unimplemented_FPop), on T2
and later
illegal_instruction with FSR unchanged (see unimplemented_fpop); quad loads/stores
(ldqf/stqf and the alternate forms) take illegal_instruction on both. In
syscall-emulation mode the Python side completes them as Linux does (se/mathemu.py); in
full-system mode the trap goes to the guest.

NS is kept as written but has no effect (results are always IEEE 754). When GSR.IM = 1
(set by siam) GSR.IRND replaces FSR.rd as the rounding mode.
"""
import numpy as np
from numba import njit

from . import fpu
from . import isa as I
from . import memory as MEM
from . import state as S
from .alu import M32, U0, fcc_get, fcond, icond, operand2, rcond_true, rget
from .asi import A_BLK, A_LE, A_MEM, A_NF, A_PST, A_SHORT, ASI_FLAGS, ASI_P
from .exec_int import fp_enabled
from .exec_mem import access_asi, bswap, check_asi, data_pa, fault_status, mmio_exit
from .traptypes import (T_DATA_ACCESS, T_FP_DISABLED, T_FP_IEEE, T_FP_OTHER,  # noqa: F401
                        T_ILLEGAL, T_LDDF_UNALIGNED, T_STDF_UNALIGNED, T_UNALIGNED)
from .vis import exec_vis

FTT_IEEE = 1
FTT_UNIMPL = 3
HVER_IMPL_T1 = 0x23
_FTT_MASK = np.uint64(7 << 14)
_CEXC_MASK = np.uint64(0x1F)
_KEEP_AFTER_FPOP = np.uint64(0xFFFFFFFFFFFFFFFF) ^ _FTT_MASK ^ _CEXC_MASK
_LDFSR_MASK = np.uint64(0xCFC00FFF)              # rd, TEM, NS, fcc0, aexc, cexc
_LDXFSR_MASK = np.uint64(0x3FCFC00FFF)           # ... and fcc1-3
_U32 = np.uint64(32)
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


# ---- register file access (%f<n> single at F[n ^ 1]; double %f<r> = F[r+1]:F[r]) ------
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def dreg(field):
    """Double/quad register number encoded in a 5-bit field (bit 0 is bit 5)."""
    return (field & 0x1E) | ((field & 1) << 5)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def sget(F, n):
    return np.uint64(F[n ^ 1])


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def sset(C, F, n, v):
    F[n ^ 1] = np.uint32(v & M32)
    C[S.FPRS] |= np.uint64(S.FPRS_DL if n < 32 else S.FPRS_DU)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def dget(F, r):
    return (np.uint64(F[r + 1]) << _U32) | np.uint64(F[r])


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def dset(C, F, r, v):
    F[r + 1] = np.uint32(v >> _U32)
    F[r] = np.uint32(v & M32)
    C[S.FPRS] |= np.uint64(S.FPRS_DL if r < 32 else S.FPRS_DU)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def round_mode(C):
    gsr = C[S.GSR]
    if gsr & np.uint64(1 << 27):
        return np.int64((gsr >> np.uint64(25)) & np.uint64(3))
    return np.int64((C[S.FSR] >> np.uint64(30)) & np.uint64(3))


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def is_t1(C):
    """The strand is an UltraSPARC T1 (HVER.impl)."""
    return (C[S.HVER] >> _U32) & np.uint64(0xFFFF) == np.uint64(HVER_IMPL_T1)


@njit(cache=True, nogil=True, _nrt=False)
def unimplemented_fpop(C):
    """An FPop the chip does not implement (every quad FPop, unassigned opf values; on T1
    also fsqrts/fsqrtd). UltraSPARC T1 takes fp_exception_other with FSR.ftt =
    unimplemented_FPop; T2 and later take illegal_instruction and leave FSR alone (Linux
    arch/sparc/kernel/traps_64.c, do_illegal_instruction: "Starting with UltraSPARC-T2
    ..."). The chip is HVER.impl."""
    if is_t1(C):
        C[S.FSR] = (C[S.FSR] & (_M64 ^ _FTT_MASK)) | np.uint64(FTT_UNIMPL << 14)
        return T_FP_OTHER
    return T_ILLEGAL


@njit(cache=True, nogil=True, _nrt=False)
def ieee_trap(C, flags, tiny):
    """0 when no enabled exception occurred, else the cexc value to trap with."""
    tem = np.int64((C[S.FSR] >> np.uint64(23)) & np.uint64(0x1F))
    if flags & fpu.NV and tem & fpu.NV:
        return fpu.NV
    if flags & fpu.DZ and tem & fpu.DZ:
        return fpu.DZ
    if flags & fpu.OF and tem & fpu.OF:
        return fpu.OF
    if tiny and tem & fpu.UF:
        return fpu.UF
    if flags & fpu.NX and tem & fpu.NX:
        return flags
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def fpop_done(C, flags, tiny):
    """Account an FPop's exceptions in FSR. Returns 0 (write the result) or the trap type."""
    t = ieee_trap(C, flags, tiny)
    fsr = C[S.FSR] & _KEEP_AFTER_FPOP
    if t:
        C[S.FSR] = fsr | np.uint64(FTT_IEEE << 14) | np.uint64(t)
        return T_FP_IEEE
    C[S.FSR] = fsr | np.uint64(flags) | np.uint64(flags << 5)
    return 0


# ---- FPop1 ----------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def fpop1(C, F, inst, iid):
    rd = (inst >> 25) & 31
    rs1 = (inst >> 14) & 31
    rs2 = inst & 31
    rm = round_mode(C)
    # moves: bit operations, no exceptions
    if iid >= I.FMOVS and iid <= I.FABSQ:
        kind = (inst >> 5) & 3
        if kind == 3:
            return unimplemented_fpop(C)
        fpop_done(C, 0, False)
        if kind == 1:
            v = sget(F, rs2)
            sign = np.uint64(0x80000000)
        else:
            v = dget(F, dreg(rs2))
            sign = np.uint64(0x8000000000000000)
        if iid == I.FNEGS or iid == I.FNEGD:
            v ^= sign
        elif iid == I.FABSS or iid == I.FABSD:
            v &= sign ^ _M64
        if kind == 1:
            sset(C, F, rd, v)
        else:
            dset(C, F, dreg(rd), v)
        return S.ADVANCE
    if (iid == I.FSQRTS or iid == I.FSQRTD) and is_t1(C):
        # the T1 FPU has no square root ("Niagara always gives unimplemented fpop for
        # fsqrt{s,d}", Linux math_64.c; the OpenSPARC T1 FPU has add, mul and div only)
        return unimplemented_fpop(C)
    # operands and kind of operation, then one call per kind (keeps the code small)
    a = U0
    b = U0
    kind = 0                          # 0 arith, 1 int->float, 2 float->int, 3 float->float
    op = 0
    dbl_in = True
    dbl_out = True
    if iid == I.FADDS or iid == I.FSUBS or iid == I.FMULS or iid == I.FDIVS or \
            iid == I.FSQRTS or iid == I.FSMULD:
        dbl_in = False
        dbl_out = iid == I.FSMULD
        a = sget(F, rs1)
        b = sget(F, rs2)
        op = (iid == I.FSUBS) * fpu.OP_SUB + (iid == I.FMULS or iid == I.FSMULD) * fpu.OP_MUL + \
            (iid == I.FDIVS) * fpu.OP_DIV + (iid == I.FSQRTS) * fpu.OP_SQRT
    elif iid == I.FADDD or iid == I.FSUBD or iid == I.FMULD or iid == I.FDIVD or \
            iid == I.FSQRTD:
        a = dget(F, dreg(rs1))
        b = dget(F, dreg(rs2))
        op = (iid == I.FSUBD) * fpu.OP_SUB + (iid == I.FMULD) * fpu.OP_MUL + \
            (iid == I.FDIVD) * fpu.OP_DIV + (iid == I.FSQRTD) * fpu.OP_SQRT
    elif iid == I.FITOS or iid == I.FITOD or iid == I.FXTOS or iid == I.FXTOD:
        kind = 1
        dbl_in = iid == I.FXTOS or iid == I.FXTOD
        dbl_out = iid == I.FITOD or iid == I.FXTOD
        b = dget(F, dreg(rs2)) if dbl_in else sget(F, rs2)
    elif iid == I.FSTOI or iid == I.FSTOX or iid == I.FDTOI or iid == I.FDTOX:
        kind = 2
        dbl_in = iid == I.FDTOI or iid == I.FDTOX
        dbl_out = iid == I.FSTOX or iid == I.FDTOX
        b = dget(F, dreg(rs2)) if dbl_in else sget(F, rs2)
    elif iid == I.FSTOD or iid == I.FDTOS:
        kind = 3
        dbl_in = iid == I.FDTOS
        dbl_out = not dbl_in
        b = dget(F, dreg(rs2)) if dbl_in else sget(F, rs2)
    else:
        return unimplemented_fpop(C)     # quad operations and unassigned opf values
    tiny = False
    if kind == 0:
        r, fl, tiny = fpu.arith(op, a, b, dbl_in, dbl_out, rm)
    elif kind == 1:
        r, fl, tiny = fpu.int_to_float(b, dbl_in, dbl_out, rm)
    elif kind == 2:
        r, fl = fpu.float_to_int(b, dbl_in, dbl_out)
    else:
        r, fl, tiny = fpu.convert_float(b, dbl_in, rm)
    t = fpop_done(C, fl, tiny)
    if t:
        return t
    if dbl_out:
        dset(C, F, dreg(rd), r)
    else:
        sset(C, F, rd, r)
    return S.ADVANCE


# ---- FPop2: compares and conditional moves --------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def fpop2(R, RM, C, F, inst, iid):
    rd = (inst >> 25) & 31
    rs1 = (inst >> 14) & 31
    rs2 = inst & 31
    if iid >= I.FCMPS and iid <= I.FCMPEQ:
        low = (inst >> 5) & 3
        if low == 3:
            return unimplemented_fpop(C)
        signal = iid == I.FCMPES or iid == I.FCMPED
        if low == 1:
            fcc, fl = fpu.compare(sget(F, rs1), sget(F, rs2), False, signal)
        else:
            fcc, fl = fpu.compare(dget(F, dreg(rs1)), dget(F, dreg(rs2)), True, signal)
        t = fpop_done(C, fl, False)
        if t:
            return t
        n = rd & 3
        sh = np.uint64(10 if n == 0 else 30 + 2 * n)
        C[S.FSR] = (C[S.FSR] & (_M64 ^ (np.uint64(3) << sh))) | (np.uint64(fcc) << sh)
        return S.ADVANCE
    if iid == I.FPOP2:
        return unimplemented_fpop(C)
    # FMOVcc (opf_low 1..3) and FMOVr (opf low five bits 5..7)
    kind = (inst >> 5) & 3
    if (inst >> 5) & 4:                   # FMOVr: opf low bits 5, 6, 7
        t = rcond_true((inst >> 10) & 7, rget(R, RM, rs1))
    else:
        cond = (inst >> 14) & 15
        if inst & 0x2000:
            sel = (inst >> 11) & 3
            if sel == 0:
                t = icond(cond, np.int64(C[S.CCR]) & 15)
            elif sel == 2:
                t = icond(cond, (np.int64(C[S.CCR]) >> 4) & 15)
            else:
                return T_ILLEGAL
        else:
            t = fcond(cond, fcc_get(C[S.FSR], (inst >> 11) & 3))
    if kind == 3:
        return unimplemented_fpop(C)
    fpop_done(C, 0, False)
    if t:
        if kind == 1:
            sset(C, F, rd, sget(F, rs2))
        else:
            dset(C, F, dreg(rd), dget(F, dreg(rs2)))
    return S.ADVANCE


# ---- FP loads and stores --------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def misaligned(C, va, code):
    C[S.EXIT_ARG1] = va
    return code


@njit(cache=True, nogil=True, _nrt=False)
def block_transfer(C, F, M, MMU, va, asi, le, rd, store):
    """64-byte block load/store of the 8 doubles rd, rd+2, ..., rd+14 (UA2007 LDBLOCKF)."""
    if va & np.uint64(63):
        return misaligned(C, va, T_UNALIGNED)
    kind = MEM.KIND_WRITE if store else MEM.KIND_READ
    pa, st = data_pa(C, MMU, M, va, kind, asi)
    if st != 0:
        return fault_status(C, st, va, kind)
    if store:
        for j in range(8):
            v = dget(F, rd + 2 * j)
            st = MEM.store(M, pa + np.uint64(8 * j), 8, bswap(v, 8) if le else v)
            if st != 0:
                return fault_status(C, st, va, kind)
        return S.ADVANCE
    # the aligned block lies in one page: if its first word loads, all of them do, so
    # no register changes before a fault
    v, st = MEM.load(M, pa, 8, MEM.KIND_READ)
    if st != 0:
        return fault_status(C, st, va, kind)
    for j in range(8):
        v, st = MEM.load(M, pa + np.uint64(8 * j), 8, MEM.KIND_READ)
        dset(C, F, rd + 2 * j, bswap(v, 8) if le else v)
    return S.ADVANCE


@njit(cache=True, nogil=True, _nrt=False)
def partial_store(R, RM, C, F, M, MMU, inst, va, asi, le, rd):
    """stda with ASI_PST{8,16,32}: store the elements of %d<rd> whose bit is set in the
    mask r[rs2]; mask bit 0 is the least significant element (highest address)."""
    if inst & 0x2000:
        return T_ILLEGAL
    if va & np.uint64(7):
        return misaligned(C, va, T_STDF_UNALIGNED if va & np.uint64(3) == U0 else T_UNALIGNED)
    mask = np.int64(rget(R, RM, inst & 31) & np.uint64(0xFF))
    esize = 1 << ((asi >> 1) & 3)         # 0xC0/C1: 1, 0xC2/C3: 2, 0xC4/C5: 4 bytes
    pa, st = data_pa(C, MMU, M, va, MEM.KIND_WRITE, asi)
    if st != 0:
        return fault_status(C, st, va, MEM.KIND_WRITE)
    v = dget(F, rd)
    n = 8 // esize
    for j in range(n):
        if mask >> j & 1:
            off = 8 - esize * (j + 1)
            e = (v >> np.uint64(8 * esize * j)) & ((np.uint64(1) << np.uint64(8 * esize)) -
                                                  np.uint64(1))
            if le:
                e = bswap(e, esize)
            st = MEM.store(M, pa + np.uint64(off), esize, e)
            if st != 0:
                return fault_status(C, st, va, MEM.KIND_WRITE)
    return S.ADVANCE


@njit(cache=True, nogil=True, _nrt=False)
def fp_mem(R, RM, C, F, M, MMU, inst, iid):
    rdf = (inst >> 25) & 31
    va = rget(R, RM, (inst >> 14) & 31) + operand2(R, RM, inst)
    op3 = (inst >> 19) & 0x3F
    if op3 == 0x22 or op3 == 0x26 or op3 == 0x32 or op3 == 0x36:
        return T_ILLEGAL                  # ldqf/stqf/ldqfa/stqfa: not on T1/T2
    asi = ASI_P
    aflags = np.int64(0)
    if op3 & 0x10:
        asi = access_asi(C, inst)
        t = check_asi(C, asi)
        if t:
            return t
        aflags = ASI_FLAGS[asi]
        if aflags & A_MEM == 0:
            C[S.EXIT_ARG1] = va
            return T_DATA_ACCESS
    le = (aflags & A_LE) != 0
    store = (op3 & 4) != 0
    if iid == I.LDFSR or iid == I.LDXFSR or iid == I.STFSR or iid == I.STXFSR:
        size = 8 if (iid == I.LDXFSR or iid == I.STXFSR) else 4
    elif op3 & 3 == 0:                    # ldf(a)/stf(a)
        size = 4
        if aflags & (A_BLK | A_PST | A_SHORT):
            C[S.EXIT_ARG1] = va
            return T_DATA_ACCESS
    else:                                 # lddf(a)/stdf(a)
        size = 8
        if aflags & A_BLK:
            if dreg(rdf) & 15:            # rd must name %f0, %f16, %f32 or %f48
                return T_ILLEGAL
            return block_transfer(C, F, M, MMU, va, asi, le, dreg(rdf), store)
        if aflags & A_PST:
            if not store:
                C[S.EXIT_ARG1] = va
                return T_DATA_ACCESS
            # the address is r[rs1] alone: rs2 holds the mask
            va = rget(R, RM, (inst >> 14) & 31)
            return partial_store(R, RM, C, F, M, MMU, inst, va, asi, le, dreg(rdf))
        if aflags & A_SHORT:
            size = 2 if asi & 2 else 1    # 0xD0/D1/D8/D9: FL8, 0xD2/D3/DA/DB: FL16
    if va & np.uint64(size - 1):
        code = T_UNALIGNED
        if size == 8 and va & np.uint64(3) == U0 and aflags & A_SHORT == 0 and \
                iid != I.LDXFSR and iid != I.STXFSR:
            code = T_STDF_UNALIGNED if store else T_LDDF_UNALIGNED
        return misaligned(C, va, code)
    if store:
        if aflags & A_NF:
            C[S.EXIT_ARG1] = va
            return T_DATA_ACCESS
        if iid == I.STFSR:
            v = C[S.FSR] & M32
        elif iid == I.STXFSR:
            v = C[S.FSR]
        elif size == 4:
            v = sget(F, rdf)
        else:
            v = dget(F, dreg(rdf))
            if size < 8:
                v &= (np.uint64(1) << np.uint64(8 * size)) - np.uint64(1)
        if le:
            v = bswap(v, size)
        pa, st = data_pa(C, MMU, M, va, MEM.KIND_WRITE, asi)
        if st == 0:
            st = MEM.store(M, pa, size, v)
        if st == MEM.MMIO and (size == 4 or size == 8) and iid != I.STFSR and \
                iid != I.STXFSR:
            # a device: Python stores the register (unswapped; IOF_LE says swap)
            return mmio_exit(C, pa, va, size, S.IOF_STORE | (S.IOF_LE if le else 0),
                             bswap(v, size) if le else v, 0)
        if st != 0:
            return fault_status(C, st, va, MEM.KIND_WRITE)
        return S.ADVANCE
    v = U0
    pa, st = data_pa(C, MMU, M, va, MEM.KIND_READ, asi)
    if st == 0:
        v, st = MEM.load(M, pa, size, MEM.KIND_READ)
    if st != 0:
        if aflags & A_NF and st == MEM.FAULT:
            v = U0
        elif st == MEM.MMIO and (size == 4 or size == 8) and aflags & A_NF == 0 and \
                iid != I.LDFSR and iid != I.LDXFSR:
            # a device: Python loads %f<rd> (single) or the double of rd
            return mmio_exit(C, pa, va, size, S.IOF_FP | (S.IOF_LE if le else 0), U0,
                             rdf if size == 4 else dreg(rdf))
        else:
            return fault_status(C, st, va, MEM.KIND_READ)
    if le:
        v = bswap(v, size)
    if iid == I.LDFSR:
        C[S.FSR] = (C[S.FSR] & (_M64 ^ _LDFSR_MASK)) | (v & _LDFSR_MASK)
    elif iid == I.LDXFSR:
        C[S.FSR] = (C[S.FSR] & (_M64 ^ _LDXFSR_MASK)) | (v & _LDXFSR_MASK)
    elif size == 4:
        sset(C, F, rdf, v)
    else:
        dset(C, F, dreg(rdf), v)
    return S.ADVANCE


@njit(cache=True, nogil=True, _nrt=False)
def exec_fp(R, RM, C, F, M, MMU, inst, iid):
    if not fp_enabled(C):
        return T_FP_DISABLED
    if inst >> 30 == 3:
        return fp_mem(R, RM, C, F, M, MMU, inst, iid)
    op3 = (inst >> 19) & 0x3F
    if op3 == 0x34:
        return fpop1(C, F, inst, iid)
    if op3 == 0x35:
        return fpop2(R, RM, C, F, inst, iid)
    return exec_vis(R, RM, C, F, inst, iid)
