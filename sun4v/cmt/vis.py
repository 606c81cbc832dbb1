"""VIS 1 / VIS 2 instructions (UltraSPARC Architecture 2007 ch. 7; UltraSPARC I/II User's
Manual ch. 13 for the pixel formats): partitioned arithmetic and compares, pixel
packing/expansion/merging, 8x16 multiplies, alignment (alignaddr/faligndata), byte
shuffle (bmask/bshuffle), edge masks, blocked-byte addressing (array), logical ops, siam.
Checked instruction by instruction against a transcription of the manuals' definitions
(tests/fp/vis_manual.py, tests/test_fp.py::test_vis_every_instruction_against_manual).

FMUL8ULx16 returns bits 31:16 of the sign-extended 24-bit product without rounding (the
reading of UA2007 this project follows, shared case vis_fmul8ulx16.c; the UltraSPARC I
User's Manual 13.5.4.5 words it as rounded, and qemu 7.2 rounds at bit 8 like fmul8sux16).

GSR (C[S.GSR]): align 2:0, scale 7:3, IRND 26:25, IM 27, mask 63:32. Elements are
numbered from the least significant end: element 0 of a 64-bit register is bits 15:0
(16-bit lanes) and a partitioned compare's result bit j belongs to element j.
"""
import numpy as np
from numba import njit

from . import isa as I
from . import state as S
from .alu import M32, U0, cc_sub, rget, rset
from .traptypes import T_ILLEGAL

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_U32 = np.uint64(32)
_GSR_IM_IRND = np.uint64(7 << 25)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _sget(F, n):
    return np.uint64(F[n ^ 1])


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _dreg(field):
    return (field & 0x1E) | ((field & 1) << 5)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _dget(F, r):
    return (np.uint64(F[r + 1]) << _U32) | np.uint64(F[r])


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _sset(C, F, n, v):
    F[n ^ 1] = np.uint32(v & M32)
    C[S.FPRS] |= np.uint64(S.FPRS_DL if n < 32 else S.FPRS_DU)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _dset(C, F, r, v):
    F[r + 1] = np.uint32(v >> _U32)
    F[r] = np.uint32(v & M32)
    C[S.FPRS] |= np.uint64(S.FPRS_DL if r < 32 else S.FPRS_DU)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def lane(v, j, bits):
    """Unsigned element j (from the least significant end) of width `bits`."""
    return np.int64((v >> np.uint64(j * bits)) & ((np.uint64(1) << np.uint64(bits)) - np.uint64(1)))


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def slane(v, j, bits):
    """Signed element j of width `bits`."""
    x = lane(v, j, bits)
    if x >> (bits - 1):
        x -= np.int64(1) << bits
    return x


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def put(r, j, bits, x):
    m = (np.uint64(1) << np.uint64(bits)) - np.uint64(1)
    return r | ((np.uint64(x & ((np.int64(1) << bits) - 1)) & m) << np.uint64(j * bits))


@njit(cache=True, nogil=True, _nrt=False)
def padd(a, b, bits, n, sub):
    r = U0
    for j in range(n):
        x = lane(a, j, bits)
        y = lane(b, j, bits)
        r = put(r, j, bits, x - y if sub else x + y)
    return r


@njit(cache=True, nogil=True, _nrt=False)
def pcmp(a, b, bits, how):
    """fcmp{gt,le,ne,eq}{16,32} on signed elements: how 0 gt, 1 le, 2 ne, 3 eq."""
    r = 0
    for j in range(64 // bits):
        x = slane(a, j, bits)
        y = slane(b, j, bits)
        if how == 0:
            t = x > y
        elif how == 1:
            t = x <= y
        elif how == 2:
            t = x != y
        else:
            t = x == y
        if t:
            r |= 1 << j
    return np.uint64(r)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def mul8_round(p):
    """Upper 16 bits of a 24-bit product, rounded to nearest with halfway cases toward
    +infinity (add 0x80, arithmetic shift right 8): fmul8x16, fmul8x16au/al, fmul8sux16."""
    return (p + 128) >> 8


@njit(cache=True, nogil=True, _nrt=False)
def edge(a, b, iid, C, am):
    """edge8/16/32 (l: little-endian, n: no condition codes): the store mask for the
    first block of a span [a, b]; the whole-block mask when a and b share no block."""
    k = iid - I.EDGE8
    width = 1 << (k >> 2)            # element size 1, 2, 4 bytes
    little = (k & 2) != 0
    n = 8 // width                    # mask bits
    full = (1 << n) - 1
    ia = np.int64(a & np.uint64(7)) // width
    ib = np.int64(b & np.uint64(7)) // width
    if little:
        left = (full << ia) & full
        right = full >> (n - 1 - ib)
    else:
        left = full >> ia
        right = (full << (n - 1 - ib)) & full
    if am:
        same = (a & M32 & np.uint64(0xFFFFFFF8)) == (b & M32 & np.uint64(0xFFFFFFF8))
    else:
        same = (a & np.uint64(0xFFFFFFFFFFFFFFF8)) == (b & np.uint64(0xFFFFFFFFFFFFFFF8))
    if (k & 1) == 0:
        C[S.CCR] = cc_sub(a, b, a - b)
    return np.uint64(left & right if same else left)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def bits_of(x, hi, lo):
    """x[hi:lo] as int (empty when hi < lo)."""
    if hi < lo:
        return np.uint64(0)
    return (x >> np.uint64(lo)) & ((np.uint64(1) << np.uint64(hi - lo + 1)) - np.uint64(1))


@njit(cache=True, nogil=True, _nrt=False)
def array8(x, n):
    """Blocked-byte address of the 3-D pixel coordinate in x; n = cube size (rs2 & 7)."""
    r = (bits_of(x, 63, 60) << np.uint64(17 + 2 * n)) | \
        (bits_of(x, 39 + n - 1, 39) << np.uint64(17 + n)) | \
        (bits_of(x, 17 + n - 1, 17) << np.uint64(17)) | \
        (bits_of(x, 59, 56) << np.uint64(13)) | (bits_of(x, 38, 35) << np.uint64(9)) | \
        (bits_of(x, 16, 13) << np.uint64(5)) | (bits_of(x, 55, 55) << np.uint64(4)) | \
        (bits_of(x, 34, 33) << np.uint64(2)) | bits_of(x, 12, 11)
    return r


@njit(cache=True, nogil=True, _nrt=False)
def vis_int(R, RM, C, inst, iid):
    """VIS instructions on integer registers: edge, array, alignaddr, bmask."""
    rd = (inst >> 25) & 31
    a = rget(R, RM, (inst >> 14) & 31)
    b = rget(R, RM, inst & 31)
    if iid >= I.EDGE8 and iid <= I.EDGE32LN:
        am = (C[S.PSTATE] & np.uint64(S.PSTATE_AM)) != U0
        r = edge(a, b, iid, C, am)
    elif iid == I.ARRAY8 or iid == I.ARRAY16 or iid == I.ARRAY32:
        n = np.int64(b & np.uint64(7))
        if n > 5:
            n = 5
        # array16 / array32: the blocked-byte address scaled by the element size
        r = array8(a, n) << np.uint64(iid - I.ARRAY8)
    elif iid == I.ALIGNADDR or iid == I.ALIGNADDRL:
        s = a + b
        off = s & np.uint64(7)
        if iid == I.ALIGNADDRL:
            off = (np.uint64(0) - off) & np.uint64(7)
        C[S.GSR] = (C[S.GSR] & (_M64 ^ np.uint64(7))) | off
        r = s & (_M64 ^ np.uint64(7))
    else:                               # bmask
        r = a + b
        C[S.GSR] = (C[S.GSR] & M32) | ((r & M32) << _U32)
    rset(R, RM, rd, r)
    return S.ADVANCE


@njit(cache=True, nogil=True, _nrt=False)
def vis_pixel(C, F, inst, iid):
    """Partitioned multiplies and the pixel formatting instructions."""
    rd = (inst >> 25) & 31
    rs1 = (inst >> 14) & 31
    rs2 = inst & 31
    gsr = C[S.GSR]
    r = U0
    single = False
    if iid == I.FMUL8X16:
        a = _sget(F, rs1)
        b = _dget(F, _dreg(rs2))
        for j in range(4):
            r = put(r, j, 16, mul8_round(lane(a, j, 8) * slane(b, j, 16)))
    elif iid == I.FMUL8X16AU or iid == I.FMUL8X16AL:
        a = _sget(F, rs1)
        b = _sget(F, rs2)
        s = slane(b, 1 if iid == I.FMUL8X16AU else 0, 16)
        for j in range(4):
            r = put(r, j, 16, mul8_round(lane(a, j, 8) * s))
    elif iid == I.FMUL8SUX16:
        a = _dget(F, _dreg(rs1))
        b = _dget(F, _dreg(rs2))
        for j in range(4):
            r = put(r, j, 16, mul8_round(slane(a, 2 * j + 1, 8) * slane(b, j, 16)))
    elif iid == I.FMUL8ULX16:
        # unsigned low byte x signed element: the 24-bit product sign-extended to 32
        # bits, bits 31:16 kept (no rounding)
        a = _dget(F, _dreg(rs1))
        b = _dget(F, _dreg(rs2))
        for j in range(4):
            r = put(r, j, 16, (lane(a, 2 * j, 8) * slane(b, j, 16)) >> 16)
    elif iid == I.FMULD8SUX16 or iid == I.FMULD8ULX16:
        a = _sget(F, rs1)
        b = _sget(F, rs2)
        for j in range(2):
            if iid == I.FMULD8SUX16:
                p = (slane(a, 2 * j + 1, 8) * slane(b, j, 16)) << 8
            else:
                p = lane(a, 2 * j, 8) * slane(b, j, 16)
            r = put(r, j, 32, p)
    elif iid == I.FPACK16:
        b = _dget(F, _dreg(rs2))
        scale = np.int64((gsr >> np.uint64(3)) & np.uint64(0xF))
        for j in range(4):
            v = (slane(b, j, 16) << scale) >> 7
            r = put(r, j, 8, min(max(v, 0), 255))
        single = True
    elif iid == I.FPACK32:
        a = _dget(F, _dreg(rs1))
        b = _dget(F, _dreg(rs2))
        scale = np.int64((gsr >> np.uint64(3)) & np.uint64(0x1F))
        r = (a << np.uint64(8)) & np.uint64(0xFFFFFF00FFFFFF00)
        for j in range(2):
            v = (slane(b, j, 32) << scale) >> 23
            r = put(r, 4 * j, 8, min(max(v, 0), 255))
    elif iid == I.FPACKFIX:
        b = _dget(F, _dreg(rs2))
        scale = np.int64((gsr >> np.uint64(3)) & np.uint64(0x1F))
        for j in range(2):
            v = (slane(b, j, 32) << scale) >> 16
            r = put(r, j, 16, min(max(v, -32768), 32767))
        single = True
    elif iid == I.PDIST:
        a = _dget(F, _dreg(rs1))
        b = _dget(F, _dreg(rs2))
        r = _dget(F, _dreg(rd))
        for j in range(8):
            r += np.uint64(abs(lane(a, j, 8) - lane(b, j, 8)))
    elif iid == I.FALIGNDATA:
        a = _dget(F, _dreg(rs1))
        b = _dget(F, _dreg(rs2))
        off = np.uint64(8) * (gsr & np.uint64(7))
        r = a if off == U0 else (a << off) | (b >> (np.uint64(64) - off))
    elif iid == I.FPMERGE:
        a = _sget(F, rs1)
        b = _sget(F, rs2)
        for j in range(4):
            r = put(r, 2 * j + 1, 8, lane(a, j, 8))
            r = put(r, 2 * j, 8, lane(b, j, 8))
    elif iid == I.BSHUFFLE:
        a = _dget(F, _dreg(rs1))
        b = _dget(F, _dreg(rs2))
        mask = gsr >> _U32
        for i in range(8):                  # byte i of the result, most significant first
            e = np.int64((mask >> np.uint64(28 - 4 * i)) & np.uint64(0xF))
            src = a if e < 8 else b
            r = put(r, 7 - i, 8, lane(src, 7 - (e & 7), 8))
    elif iid == I.FEXPAND:
        b = _sget(F, rs2)
        for j in range(4):
            r = put(r, j, 16, lane(b, j, 8) << 4)
    else:
        return T_ILLEGAL
    if single:
        _sset(C, F, rd, r)
    else:
        _dset(C, F, _dreg(rd), r)
    return S.ADVANCE


@njit(cache=True, nogil=True, _nrt=False)
def logical(op, a, b):
    """The 16 logical functions of VIS, indexed by opf bits 4:1 (0x60..0x7E)."""
    if op == 0:
        return U0
    if op == 1:
        return (a | b) ^ _M64
    if op == 2:
        return a & (b ^ _M64)           # fandnot2: rs1 & ~rs2
    if op == 3:
        return b ^ _M64                 # fnot2
    if op == 4:
        return (a ^ _M64) & b           # fandnot1: ~rs1 & rs2
    if op == 5:
        return a ^ _M64                 # fnot1
    if op == 6:
        return a ^ b
    if op == 7:
        return (a & b) ^ _M64
    if op == 8:
        return a & b
    if op == 9:
        return (a ^ b) ^ _M64
    if op == 10:
        return a                        # fsrc1
    if op == 11:
        return a | (b ^ _M64)           # fornot2
    if op == 12:
        return b                        # fsrc2
    if op == 13:
        return (a ^ _M64) | b           # fornot1
    if op == 14:
        return a | b
    return _M64


@njit(cache=True, nogil=True, _nrt=False)
def exec_vis(R, RM, C, F, inst, iid):
    opf = (inst >> 5) & 0x1FF
    rd = (inst >> 25) & 31
    rs1 = (inst >> 14) & 31
    rs2 = inst & 31
    if opf >= 0x60 and opf <= 0x7F:
        op = (opf >> 1) & 15
        if opf & 1:
            r = logical(op, _sget(F, rs1), _sget(F, rs2))
            _sset(C, F, rd, r)
        else:
            r = logical(op, _dget(F, _dreg(rs1)), _dget(F, _dreg(rs2)))
            _dset(C, F, _dreg(rd), r)
        return S.ADVANCE
    if opf >= 0x50 and opf <= 0x57:
        bits = 32 if opf & 2 else 16
        sub = (opf & 4) != 0
        if opf & 1:
            r = padd(_sget(F, rs1), _sget(F, rs2), bits, 32 // bits, sub)
            _sset(C, F, rd, r)
        else:
            r = padd(_dget(F, _dreg(rs1)), _dget(F, _dreg(rs2)), bits, 64 // bits, sub)
            _dset(C, F, _dreg(rd), r)
        return S.ADVANCE
    if opf >= 0x20 and opf <= 0x2E:
        bits = 32 if opf & 4 else 16
        how = ((opf >> 3) & 1) * 2 + ((opf >> 1) & 1)   # le 0x20: 0b00 ... (remapped)
        # opf: 0x20 le, 0x22 ne, 0x28 gt, 0x2a eq (16); +4 for 32-bit
        if how == 0:
            h = 1
        elif how == 1:
            h = 2
        elif how == 2:
            h = 0
        else:
            h = 3
        r = pcmp(_dget(F, _dreg(rs1)), _dget(F, _dreg(rs2)), bits, h)
        rset(R, RM, rd, r)
        return S.ADVANCE
    if iid == I.SIAM:
        C[S.GSR] = (C[S.GSR] & (_M64 ^ _GSR_IM_IRND)) | (np.uint64(inst & 7) << np.uint64(25))
        return S.ADVANCE
    if opf < 0x20:
        return vis_int(R, RM, C, inst, iid)
    return vis_pixel(C, F, inst, iid)
