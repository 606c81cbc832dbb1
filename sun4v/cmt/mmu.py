"""MMU of the sun4v strands: address translation by privilege level and the internal
register ASIs (reference/sun4v.md §3). Hyperprivileged and RED-state accesses use
physical addresses; privileged and user accesses translate through the TLBs (tagged by
partition ID, context, real bit and page size), which the hypervisor loads."""
import numpy as np
from numba import njit

from . import state as S

PA_BITS = 40
PA_MASK = np.uint64((1 << PA_BITS) - 1)
T_DATA_ACCESS = 0x30
T_INSTR_REAL_MISS = 0x3E
T_DATA_REAL_MISS = 0x3F
T_FAST_INSTR_MISS = 0x64
T_FAST_DATA_MISS = 0x68


def new_mmu(nstrands, ncores=1):
    """The MMU arrays of a chip (a tuple passed through the jitted engine)."""
    return (np.zeros((ncores, 1), dtype=np.uint64),)


@njit(cache=True, nogil=True)
def translate_data(C, MMU, M, va, kind, asi):
    """(pa, status) for a data access in full-system mode."""
    if C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV | S.HPSTATE_RED):
        return va & PA_MASK, 0
    if C[S.LSU_CTL] & np.uint64(8) == np.uint64(0):
        return va, T_DATA_REAL_MISS
    return va, T_FAST_DATA_MISS


@njit(cache=True, nogil=True)
def translate_fetch(C, MMU, M, va):
    if C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV | S.HPSTATE_RED):
        return va & PA_MASK, 0
    if C[S.LSU_CTL] & np.uint64(4) == np.uint64(0):
        return va, T_INSTR_REAL_MISS
    return va, T_FAST_INSTR_MISS


@njit(cache=True, nogil=True)
def asi_access(R, RM, C, MMU, M, inst, iid, asi, va):
    """Load or store of an internal (non-memory) ASI register."""
    C[S.EXIT_ARG1] = va
    return T_DATA_ACCESS
