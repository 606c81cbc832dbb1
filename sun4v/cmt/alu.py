"""Shared integer helpers for the execute functions: register access, operand fields,
condition codes (SPARC V9 §5.1.4.1 CCR) and the Bicc/BPcc/BPr/Tcc condition tests."""
import numpy as np
from numba import njit

U0 = np.uint64(0)
U1 = np.uint64(1)
U4 = np.uint64(4)
U8 = np.uint64(8)
U31 = np.uint64(31)
U32 = np.uint64(32)
U63 = np.uint64(63)
M32 = np.uint64(0xFFFFFFFF)
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
SIGN32 = np.uint64(0x80000000)
SIGN64 = np.uint64(0x8000000000000000)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def rget(R, RM, n):
    return R[RM[n]]


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def rset(R, RM, n, v):
    R[RM[32 + n]] = v


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def sext(v, bits):
    """Sign-extend the low `bits` of an int64 field value to uint64."""
    m = np.int64(1) << (bits - 1)
    return np.uint64(((v & ((m << 1) - 1)) ^ m) - m)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def sext32(v):
    return np.uint64(np.int64(np.int32(np.uint32(v & M32))))


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def operand2(R, RM, inst):
    """rs2 or sign-extended simm13, per the i bit."""
    if inst & 0x2000:
        return sext(inst & 0x1FFF, 13)
    return R[RM[inst & 31]]


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def cc_nz(r):
    """N and Z bits for icc and xcc of a result (V and C clear): the CCR value."""
    icc = ((r >> U31) & U1) << np.uint64(3)
    if r & M32 == U0:
        icc |= U4
    xcc = ((r >> U63) & U1) << np.uint64(3)
    if r == U0:
        xcc |= U4
    return (xcc << U4) | icc


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def cc_add(a, b, r):
    v = (a ^ r) & (b ^ r)
    c = (a & b) | ((a | b) & (r ^ M64))
    ccr = cc_nz(r)
    ccr |= ((v >> U31) & U1) << U1 | ((c >> U31) & U1)
    ccr |= (((v >> U63) & U1) << U1 | ((c >> U63) & U1)) << U4
    return ccr


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def cc_sub(a, b, r):
    v = (a ^ b) & (a ^ r)
    c = ((a ^ M64) & b) | (((a ^ M64) | b) & r)
    ccr = cc_nz(r)
    ccr |= ((v >> U31) & U1) << U1 | ((c >> U31) & U1)
    ccr |= (((v >> U63) & U1) << U1 | ((c >> U63) & U1)) << U4
    return ccr


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def icond(cond, cc):
    """Evaluate a 4-bit integer condition against one 4-bit NZVC group."""
    n = (cc >> 3) & 1
    z = (cc >> 2) & 1
    v = (cc >> 1) & 1
    c = cc & 1
    base = cond & 7
    if base == 0:
        t = 0
    elif base == 1:
        t = z
    elif base == 2:
        t = z | (n ^ v)
    elif base == 3:
        t = n ^ v
    elif base == 4:
        t = c | z
    elif base == 5:
        t = c
    elif base == 6:
        t = n
    else:
        t = v
    if cond & 8:
        t ^= 1
    return t


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def fcond(cond, fcc):
    """Evaluate a 4-bit FBfcc condition against a 2-bit fcc (0 =, 1 <, 2 >, 3 unordered)."""
    # bit k of the mask: condition true when fcc == k
    masks = (0x0, 0xE, 0x6, 0xA, 0x2, 0xC, 0x4, 0x8, 0xF, 0x1, 0x9, 0x5, 0xD, 0x3, 0xB, 0x7)
    return (masks[cond] >> fcc) & 1


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def rcond_true(rcond, v):
    s = np.int64(v)
    if rcond == 1:
        return s == 0
    if rcond == 2:
        return s <= 0
    if rcond == 3:
        return s < 0
    if rcond == 5:
        return s != 0
    if rcond == 6:
        return s > 0
    if rcond == 7:
        return s >= 0
    return False


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def fcc_get(fsr, n):
    """fcc0 is FSR[11:10]; fcc1..3 are FSR[33:32], [35:34], [37:36]."""
    if n == 0:
        return np.int64((fsr >> np.uint64(10)) & np.uint64(3))
    return np.int64((fsr >> np.uint64(30 + 2 * n)) & np.uint64(3))
