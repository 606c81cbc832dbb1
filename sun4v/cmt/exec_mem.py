"""Execute function for integer loads, stores, atomics and prefetch, with alternate address
spaces (SPARC V9 A.27-A.31, A.9 casa, A.42 prefetch; UA2007 ldtxa). Addresses are checked
for alignment before any access; an access that faults leaves no state changed.

Full system: an address with no memory is a bus error (data_access_error 0x32); a load or
store of 1, 2, 4 or 8 bytes (ld*/st*, their alternate-space forms, ldf/lddf/stf/stdf) to a
device exits to Python (EXIT_MMIO with the IO_* slots: mmio_exit), which performs it and
retires the instruction; the other forms (casa/casxa, ldstub, swap, ldd/std, ldda/ldtxa,
block and partial stores, no-fault loads) get data_access_exception with the D-SFSR fault
type of an uncacheable atomic or side-effect page (fault_status)."""
import numpy as np
from numba import njit

from . import isa as I
from . import memory as MEM
from . import mmu
from . import state as S
from .alu import M32, U0, operand2, rget, rset
from .asi import A_HPRIV, A_LE, A_MEM, A_NF, A_PRIV, A_TWIN, ASI_FLAGS, ASI_P
from .exec_int import is_hpriv, is_priv
from .traptypes import (T_DATA_ACCESS, T_DATA_ACCESS_ERROR, T_ILLEGAL,  # noqa: F401
                        T_PRIV_ACTION, T_UNALIGNED)

# D-SFSR (T1/T2 MMU fault status, ASI 0x58 VA 0x18): fault type bits 13:7 (OpenSPARC T1
# tlu_mmu_ctl.v dsfsr_ftype: 0 privilege, 1 side-effect page (speculative/no-fault
# access), 2 uncacheable atomic, 3 illegal ASI, 4 NFO page), W bit 2, FV bit 0
FT_SIDE_EFFECT = 0x02
FT_NC_ATOMIC = 0x04


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def bswap(v, size):
    r = U0
    for _ in range(size):
        r = (r << np.uint64(8)) | (v & np.uint64(0xFF))
        v >>= np.uint64(8)
    return r


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def sign_extend_size(v, size):
    if size == 1:
        return np.uint64(np.int64(np.int8(np.uint8(v & np.uint64(0xFF)))))
    if size == 2:
        return np.uint64(np.int64(np.int16(np.uint16(v & np.uint64(0xFFFF)))))
    if size == 4:
        return np.uint64(np.int64(np.int32(np.uint32(v & M32))))
    return v


@njit(cache=True, nogil=True, _nrt=False)
def access_asi(C, inst):
    """ASI of an alternate-space instruction: the asi field, or %asi when i=1."""
    if inst & 0x2000:
        return np.int64(C[S.ASI])
    return (inst >> 5) & 0xFF


@njit(cache=True, nogil=True, _nrt=False)
def check_asi(C, asi):
    """0 if the current privilege may use this ASI, else the trap type."""
    f = ASI_FLAGS[asi]
    if f & A_PRIV and not is_priv(C):
        return T_PRIV_ACTION
    if f & A_HPRIV and not is_hpriv(C):
        return T_PRIV_ACTION
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def data_pa(C, MMU, M, va, kind, asi):
    """(pa, status) for a data access: identity in syscall-emulation mode, else the MMU
    (mmu.xc_pa: through the strand's translation cache); status 0 or an MMU trap type
    (the memory's status is found by the access itself). The address is also left in
    C[LAST_EA] for the timing model."""
    if C[S.MODE] == S.MODE_SE:
        C[S.LAST_EA] = va
        return va, 0
    return mmu.xc_pa(C, MMU, M, va, kind, asi)


@njit(cache=True, nogil=True, _nrt=False)
def fault_status(C, st, va, kind):
    """Map a memory status (FAULT/GROW/MMIO or an MMU trap type) to a return code: MMIO
    here is an access form that cannot reach a device (data_access_exception, D-SFSR
    fault type "uncacheable atomic"); FAULT is a bus error in full system, a fault the
    kernel handles (data_access_exception) in syscall emulation."""
    if st == MEM.GROW:
        return S.EXIT_MEMGROW
    C[S.EXIT_ARG1] = va
    C[S.EXIT_ARG2] = np.uint64(1 if kind == MEM.KIND_WRITE else 0)
    if st == MEM.MMIO:
        return device_fault(C, va, kind, FT_NC_ATOMIC)
    if st == MEM.FAULT:
        if C[S.MODE] == S.MODE_SE:
            return T_DATA_ACCESS
        return T_DATA_ACCESS_ERROR
    return st


@njit(cache=True, nogil=True, _nrt=False)
def device_fault(C, va, kind, ft):
    """data_access_exception for an access form a device cannot take: D-SFSR and SFAR."""
    C[S.D_SFSR] = np.uint64((ft << 7) | (4 if kind == MEM.KIND_WRITE else 0) | 1)
    C[S.D_SFAR] = va
    return T_DATA_ACCESS


@njit(cache=True, nogil=True, _nrt=False)
def load_fault(C, RM, st, pa, va, size, signed, aflags, rd):
    """A plain load (ld*, ld*a) that did not reach memory: a device (EXIT_MMIO; a no-fault
    load takes data_access_exception) or a fault."""
    if st == MEM.MMIO:
        if aflags & A_NF:
            return device_fault(C, va, MEM.KIND_READ, FT_SIDE_EFFECT)
        f = (S.IOF_SIGNED if signed else 0) | (S.IOF_LE if aflags & A_LE else 0)
        return mmio_exit(C, pa, va, size, f, U0, np.int64(RM[32 + rd]))
    return fault_status(C, st, va, MEM.KIND_READ)


@njit(cache=True, nogil=True, _nrt=False)
def store_fault(C, R, RM, st, pa, va, size, aflags, rd):
    """A plain store (st*, st*a) that did not reach memory: a device or a fault."""
    if st == MEM.MMIO:
        f = S.IOF_STORE | (S.IOF_LE if aflags & A_LE else 0)
        return mmio_exit(C, pa, va, size, f, rget(R, RM, rd), 0)
    return fault_status(C, st, va, MEM.KIND_WRITE)


@njit(cache=True, nogil=True, _nrt=False)
def mmio_exit(C, pa, va, size, flags, data, reg):
    """Hand a device access to Python (EXIT_MMIO): physical address, size, IOF_* flags,
    store data (the register's low `size` bytes, before any byte swap), the register a
    load writes (physical slot of R, or FP register number with IOF_FP)."""
    C[S.IO_ASI] = 0
    C[S.IO_PA] = pa
    C[S.IO_VA] = va
    C[S.IO_SIZE] = size
    C[S.IO_FLAGS] = flags
    if size < 8:
        data &= (np.uint64(1) << np.uint64(8 * size)) - np.uint64(1)
    C[S.IO_DATA] = data
    C[S.IO_REG] = reg
    return S.EXIT_MMIO


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def exec_mem(R, RM, C, M, MMU, inst, iid, se):
    """Execute a load, store, atomic or prefetch; `se`: syscall-emulation mode (the
    caller's constant, so each mode's engine compiles only its own memory path)."""
    rd = (inst >> 25) & 31
    rs1v = rget(R, RM, (inst >> 14) & 31)
    if iid == I.CASA or iid == I.CASXA:
        va = rs1v
    else:
        va = rs1v + operand2(R, RM, inst)
    op3 = (inst >> 19) & 0x3F
    alt = (op3 & 0x10) != 0 and iid != I.PREFETCH
    asi = ASI_P
    aflags = np.int64(0)
    if alt or iid == I.PREFETCHA:
        asi = access_asi(C, inst)
        t = check_asi(C, asi)
        if t:
            return t
        aflags = ASI_FLAGS[asi]
        if aflags & A_MEM == 0:
            if iid == I.PREFETCHA:
                return S.ADVANCE
            if se:
                C[S.EXIT_ARG1] = va
                return T_DATA_ACCESS
            return mmu.asi_access(R, RM, C, MMU, M, inst, iid, asi, va)
    if iid == I.PREFETCH or iid == I.PREFETCHA:
        return S.ADVANCE
    le = (aflags & A_LE) != 0

    # ---- loads -------------------------------------------------------------------
    size = 0
    signed = False
    if iid == I.LDUW or iid == I.LDUWA:
        size = 4
    elif iid == I.LDX or iid == I.LDXA:
        size = 8
    elif iid == I.LDUB or iid == I.LDUBA:
        size = 1
    elif iid == I.LDSW or iid == I.LDSWA:
        size = 4
        signed = True
    elif iid == I.LDUH or iid == I.LDUHA:
        size = 2
    elif iid == I.LDSB or iid == I.LDSBA:
        size = 1
        signed = True
    elif iid == I.LDSH or iid == I.LDSHA:
        size = 2
        signed = True
    if size:
        if va & np.uint64(size - 1):
            C[S.EXIT_ARG1] = va
            return T_UNALIGNED
        v = U0
        if se:
            C[S.LAST_EA] = va
            pa = va
            v, st = MEM.load(M, va, size, MEM.KIND_READ)
        else:
            # full system: the strand's translation cache gives the page of memory
            slot, pa, st = mmu.xc_data(C, MMU, M, va, MEM.KIND_READ, asi)
            C[S.LAST_EA] = pa
            if st == 0:
                v = MEM.extract(M.words[MEM.word_index(slot, pa)], pa, size)
        if st != 0:
            if aflags & A_NF and st == MEM.FAULT:
                v = U0
            else:
                return load_fault(C, RM, st, pa, va, size, signed, aflags, rd)
        if le:
            v = bswap(v, size)
        if signed:
            v = sign_extend_size(v, size)
        rset(R, RM, rd, v)
        return S.ADVANCE

    # ---- stores ------------------------------------------------------------------
    if iid == I.STX or iid == I.STXA:
        size = 8
    elif iid == I.STW or iid == I.STWA:
        size = 4
    elif iid == I.STB or iid == I.STBA:
        size = 1
    elif iid == I.STH or iid == I.STHA:
        size = 2
    if size:
        if va & np.uint64(size - 1):
            C[S.EXIT_ARG1] = va
            return T_UNALIGNED
        if aflags & A_NF:
            C[S.EXIT_ARG1] = va
            return T_DATA_ACCESS
        v = rget(R, RM, rd)
        if le:
            v = bswap(v, size)
        if se:
            C[S.LAST_EA] = va
            pa = va
            st = MEM.store(M, va, size, v)
        else:
            slot, pa, st = mmu.xc_data(C, MMU, M, va, MEM.KIND_WRITE, asi)
            C[S.LAST_EA] = pa
            if st > 0:
                return fault_status(C, st, va, MEM.KIND_WRITE)
            if st == 0:
                words = M.words
                w = MEM.word_index(slot, pa)
                words[w] = MEM.insert(words[w], pa, size, v)
        if st != 0:
            return store_fault(C, R, RM, st, pa, va, size, aflags, rd)
        return S.ADVANCE

    # ---- doubleword pairs and twin loads -----------------------------------------
    if iid == I.LDD or iid == I.LDDA:
        if rd & 1:
            return T_ILLEGAL
        twin = iid == I.LDDA and (aflags & A_TWIN) != 0
        align = 16 if twin else 8
        if va & np.uint64(align - 1):
            C[S.EXIT_ARG1] = va
            return T_UNALIGNED
        w0 = U0
        w1 = U0
        pa, st = data_pa(C, MMU, M, va, MEM.KIND_READ, asi)
        if st == 0:
            w0, st = MEM.load(M, pa, 8, MEM.KIND_READ)
        if st == 0 and twin:
            w1, st = MEM.load(M, pa + np.uint64(8), 8, MEM.KIND_READ)
        if st != 0:
            if aflags & A_NF and st == MEM.FAULT:
                w0 = U0
                w1 = U0
            else:
                return fault_status(C, st, va, MEM.KIND_READ)
        if twin:
            if le:
                w0 = bswap(w0, 8)
                w1 = bswap(w1, 8)
            rset(R, RM, rd, w0)
            rset(R, RM, rd + 1, w1)
        else:
            hi = w0 >> np.uint64(32)
            lo = w0 & M32
            if le:
                hi = bswap(hi, 4)
                lo = bswap(lo, 4)
            rset(R, RM, rd, hi)
            rset(R, RM, rd + 1, lo)
        return S.ADVANCE
    if iid == I.STD or iid == I.STDA:
        if rd & 1:
            return T_ILLEGAL
        if va & np.uint64(7):
            C[S.EXIT_ARG1] = va
            return T_UNALIGNED
        pa, st = data_pa(C, MMU, M, va, MEM.KIND_WRITE, asi)
        if st != 0:
            return fault_status(C, st, va, MEM.KIND_WRITE)
        hi = rget(R, RM, rd) & M32
        lo = rget(R, RM, rd + 1) & M32
        if le:
            hi = bswap(hi, 4)
            lo = bswap(lo, 4)
        st = MEM.store(M, pa, 8, (hi << np.uint64(32)) | lo)
        if st != 0:
            return fault_status(C, st, va, MEM.KIND_WRITE)
        return S.ADVANCE

    # ---- atomics -------------------------------------------------------------------
    if iid == I.LDSTUB or iid == I.LDSTUBA:
        size = 1
    elif iid == I.SWAP or iid == I.SWAPA or iid == I.CASA:
        size = 4
    elif iid == I.CASXA:
        size = 8
    else:
        return T_ILLEGAL
    if va & np.uint64(size - 1):
        C[S.EXIT_ARG1] = va
        return T_UNALIGNED
    if aflags & A_NF:
        C[S.EXIT_ARG1] = va
        return T_DATA_ACCESS
    old = U0
    pa, st = data_pa(C, MMU, M, va, MEM.KIND_WRITE, asi)
    if st == 0:
        old, st = MEM.load(M, pa, size, MEM.KIND_READ)
    if st == 0:
        # the page must also be writable before anything changes
        st = MEM.store(M, pa, size, old)
    if st != 0:
        return fault_status(C, st, va, MEM.KIND_WRITE)
    if le:
        old = bswap(old, size)
    if iid == I.LDSTUB or iid == I.LDSTUBA:
        new = np.uint64(0xFF)
        do_store = True
    elif iid == I.SWAP or iid == I.SWAPA:
        new = rget(R, RM, rd) & M32
        do_store = True
    else:
        cmp = rget(R, RM, inst & 31)
        if size == 4:
            cmp &= M32
        new = rget(R, RM, rd)
        if size == 4:
            new &= M32
        do_store = cmp == old
    if do_store:
        MEM.store(M, pa, size, bswap(new, size) if le else new)
    rset(R, RM, rd, old)
    return S.ADVANCE
