"""Register-window spill, fill and clean-window handling done the way the Linux sparc64
kernel's trap handlers do them, for syscall-emulation mode (no kernel code runs there).

The window to spill is CWP+CANSAVE+2; it is saved at its own %sp (+2047 stack bias for a
64-bit frame, 8-byte slots: locals then ins; an even %sp is a 32-bit frame with 4-byte
slots). The window to fill is CWP-1, restored from the current %fp. Counters are updated
as by the kernel's `saved` / `restored`. (SPARC V9 §6.4, Linux arch/sparc/kernel/etrap.)"""
import numpy as np
from numba import njit

from . import memory as MEM
from . import state as S

NW = S.NWINDOWS
BIAS = np.uint64(2047)


@njit(cache=True, nogil=True, _nrt=False)
def _frame_access(R, M, base_slot, sp, store):
    """Save (store=True) or restore the 16 locals+ins at physical slot base_slot.
    Returns 0, or the faulting address + 1."""
    if sp & np.uint64(1):
        addr = sp + BIAS
        for k in range(16):
            a = addr + np.uint64(8 * k)
            if a & np.uint64(7):
                return a + np.uint64(1)
            if store:
                st = MEM.store(M, a, 8, R[base_slot + k])
            else:
                v, st = MEM.load(M, a, 8, MEM.KIND_READ)
                if st == 0:
                    R[base_slot + k] = v
            if st != 0:
                return a + np.uint64(1)
    else:
        addr = sp & np.uint64(0xFFFFFFFF)
        for k in range(16):
            a = addr + np.uint64(4 * k)
            if a & np.uint64(3):
                return a + np.uint64(1)
            if store:
                st = MEM.store(M, a, 4, R[base_slot + k] & np.uint64(0xFFFFFFFF))
            else:
                v, st = MEM.load(M, a, 4, MEM.KIND_READ)
                if st == 0:
                    R[base_slot + k] = v
            if st != 0:
                return a + np.uint64(1)
    return np.uint64(0)


@njit(cache=True, nogil=True, _nrt=False)
def se_spill(R, C, M):
    """Spill one window; 0, or the faulting address + 1."""
    w = (np.int64(C[S.CWP]) + np.int64(C[S.CANSAVE]) + 2) % NW
    sp = R[S.WIN_BASE + ((w + 1) % NW) * 16 + 8 + 6]
    bad = _frame_access(R, M, S.WIN_BASE + w * 16, sp, True)
    if bad:
        return bad
    C[S.CANSAVE] += np.uint64(1)
    if C[S.OTHERWIN] != np.uint64(0):
        C[S.OTHERWIN] -= np.uint64(1)
    else:
        C[S.CANRESTORE] -= np.uint64(1)
    return np.uint64(0)


@njit(cache=True, nogil=True, _nrt=False)
def se_fill(R, C, M):
    cwp = np.int64(C[S.CWP])
    w = (cwp + NW - 1) % NW
    sp = R[S.WIN_BASE + cwp * 16 + 8 + 6]
    bad = _frame_access(R, M, S.WIN_BASE + w * 16, sp, False)
    if bad:
        return bad
    C[S.CANRESTORE] += np.uint64(1)
    if C[S.OTHERWIN] != np.uint64(0):
        C[S.OTHERWIN] -= np.uint64(1)
    else:
        C[S.CANSAVE] -= np.uint64(1)
    return np.uint64(0)


@njit(cache=True, nogil=True, _nrt=False)
def se_clean(R, C):
    w = (np.int64(C[S.CWP]) + 1) % NW
    for k in range(8):
        R[S.WIN_BASE + w * 16 + k] = 0                       # locals
        R[S.WIN_BASE + ((w + 1) % NW) * 16 + 8 + k] = 0      # outs
    C[S.CLEANWIN] += np.uint64(1)


def flush_windows(strands, s, mem):
    """Python-side flush of every user window to the stack (signal delivery, fork)."""
    from .memory import MemFault
    C = strands.C[s]
    while int(C[S.CANSAVE]) < NW - 2:
        bad = se_spill(strands.R[s], C, mem.M)
        if bad:
            raise MemFault(int(bad) - 1)
