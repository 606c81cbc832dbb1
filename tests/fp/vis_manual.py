"""VIS 1 / VIS 2 instructions transcribed from the manuals, for tests: the reference the
engine (sun4v/cmt/vis.py) and qemu are checked against. Written from the definitions, not
from the engine's code.

Sources: UltraSPARC Architecture 2007 ch. 7 (VIS instruction pages), UltraSPARC User's
Manual (UltraSPARC I/II) ch. 13 for the pixel formats and figures. Conventions used here:

* 64-bit values are Python ints; "element j" counts from the least significant end
  (element 0 of a 16-bit partitioned double is bits 15:0).
* Single-precision operands are the low 32 bits of the value passed (the test programs
  hold them in the odd half %f5/%f7 of %d4/%d6).
* Each function returns the new destination value; instructions with an integer result
  return it; GSR/CCR side effects are returned where the instruction has them.

FMUL8ULx16 follows the case vis_fmul8ulx16.c: the unsigned low byte times the signed
16-bit element, the 24-bit product sign-extended to 32 bits, bits 31:16 (p >> 16, not
rounded). The UltraSPARC I User's Manual (13.5.4.5) words it "rounded to nearest"; the
case file encodes the UA2007 reading this project follows.
"""
M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def el(v, j, bits):
    """Unsigned element j of width bits."""
    return (v >> (j * bits)) & ((1 << bits) - 1)


def sel(v, j, bits):
    """Signed element j of width bits."""
    x = el(v, j, bits)
    return x - (1 << bits) if x >> (bits - 1) else x


def pack(elems, bits):
    """Elements (least significant first, any integers) -> value, each wrapped to bits."""
    r = 0
    for j, x in enumerate(elems):
        r |= (x & ((1 << bits) - 1)) << (j * bits)
    return r


# ---- partitioned add / subtract (UA2007 FPADD, FPSUB): modular, rs1 op rs2 ------------------
def fpadd(a, b, bits, n):
    return pack([el(a, j, bits) + el(b, j, bits) for j in range(n)], bits)


def fpsub(a, b, bits, n):
    return pack([el(a, j, bits) - el(b, j, bits) for j in range(n)], bits)


# ---- partitioned compares (FCMP{GT,LE,NE,EQ}{16,32}): signed elements; result bit j is
# element j's outcome, written to an integer register --------------------------------------
def fcmp(a, b, bits, rel):
    f = {"gt": lambda x, y: x > y, "le": lambda x, y: x <= y,
         "ne": lambda x, y: x != y, "eq": lambda x, y: x == y}[rel]
    return sum(1 << j for j in range(64 // bits) if f(sel(a, j, bits), sel(b, j, bits)))


# ---- 8x16 multiplies -----------------------------------------------------------------------
def _round8(p):
    """Upper 16 bits of a 24-bit product rounded to nearest, halfway toward +infinity."""
    return (p + 0x80) >> 8


def fmul8x16(s1, b):
    """Unsigned byte j of the single rs1 times signed element j of the double rs2."""
    return pack([_round8(el(s1, j, 8) * sel(b, j, 16)) for j in range(4)], 16)


def fmul8x16a(s1, s2, upper):
    """fmul8x16au (upper=True: rs2 bits 31:16) / fmul8x16al (bits 15:0): one signed
    16-bit value for all four bytes of rs1."""
    k = sel(s2, 1 if upper else 0, 16)
    return pack([_round8(el(s1, j, 8) * k) for j in range(4)], 16)


def fmul8sux16(a, b):
    """Signed upper byte of each 16-bit element of rs1 times the signed element of rs2."""
    return pack([_round8(sel(el(a, j, 16), 1, 8) * sel(b, j, 16)) for j in range(4)], 16)


def fmul8ulx16(a, b):
    """Unsigned lower byte of each element of rs1 times the signed element of rs2; the
    24-bit product sign-extended to 32 bits, its upper 16 bits."""
    return pack([(el(a, j, 16) & 0xFF) * sel(b, j, 16) >> 16 for j in range(4)], 16)


def fmuld8sux16(s1, s2):
    """Two 32-bit results: signed upper byte of each 16-bit element of rs1 times the signed
    element of rs2, the 24-bit product shifted left 8."""
    return pack([(sel(el(s1, j, 16), 1, 8) * sel(s2, j, 16)) << 8 for j in range(2)], 32)


def fmuld8ulx16(s1, s2):
    """Two 32-bit results: unsigned lower byte times the signed element, sign-extended."""
    return pack([(el(s1, j, 16) & 0xFF) * sel(s2, j, 16) for j in range(2)], 32)


# ---- pixel formatting ---------------------------------------------------------------------
def _clip(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


def fpack16(b, gsr):
    """Each signed 16-bit element shifted left by GSR.scale (bits 6:3), the bits left of
    the binary point between bits 7 and 6 taken (truncation), clipped to 0..255."""
    scale = (gsr >> 3) & 0xF
    return pack([_clip((sel(b, j, 16) << scale) >> 7, 0, 255) for j in range(4)], 8)


def fpack32(a, b, gsr):
    """rs1 shifted left 8 bits per 32-bit word; each signed 32-bit element of rs2 shifted
    left by GSR.scale (bits 7:3), bits 30:23 clipped to 0..255 into the freed low byte."""
    scale = (gsr >> 3) & 0x1F
    r = (a << 8) & 0xFFFFFF00FFFFFF00
    for j in range(2):
        r |= _clip((sel(b, j, 32) << scale) >> 23, 0, 255) << (32 * j)
    return r


def fpackfix(b, gsr):
    """Each signed 32-bit element shifted left by GSR.scale, bits 31:16 of the scaled
    value clipped to a signed 16-bit number."""
    scale = (gsr >> 3) & 0x1F
    return pack([_clip((sel(b, j, 32) << scale) >> 16, -32768, 32767) for j in range(2)], 16)


def fexpand(s2):
    """Each unsigned byte of the single rs2 shifted left 4 into a 16-bit element."""
    return pack([el(s2, j, 8) << 4 for j in range(4)], 16)


def fpmerge(s1, s2):
    """Bytes interleaved, rs1's byte above rs2's: rs1[31:24] rs2[31:24] ... rs2[7:0]."""
    r = 0
    for j in range(4):
        r |= el(s1, j, 8) << (16 * j + 8) | el(s2, j, 8) << (16 * j)
    return r


def pdist(a, b, acc):
    """acc + sum over the 8 bytes of |rs1 byte - rs2 byte| (unsigned bytes), 64-bit."""
    return (acc + sum(abs(el(a, j, 8) - el(b, j, 8)) for j in range(8))) & M64


# ---- alignment and byte shuffle --------------------------------------------------------------
def faligndata(a, b, gsr):
    """Bytes GSR.align .. GSR.align+7 of the 16-byte big-endian concatenation rs1:rs2."""
    off = gsr & 7
    cat = (a << 64) | b
    return (cat >> (64 - 8 * off)) & M64


def alignaddr(a, b, gsr, little=False):
    """(rd, new GSR): rd = (rs1 + rs2) with the low 3 bits cleared; GSR.align = the low 3
    bits of the sum (alignaddrl: their two's complement)."""
    s = (a + b) & M64
    off = (-s) & 7 if little else s & 7
    return s & ~7 & M64, (gsr & ~7) | off


def bmask(a, b, gsr):
    """(rd, new GSR): rd = rs1 + rs2, GSR.mask (bits 63:32) = its low 32 bits."""
    s = (a + b) & M64
    return s, (gsr & M32) | ((s & M32) << 32)


def bshuffle(a, b, gsr):
    """Byte i of rd (i = 0 most significant) is byte GSR.mask nibble i (nibble 0 = bits
    63:60) of the 16-byte big-endian concatenation rs1:rs2."""
    cat = ((a << 64) | b).to_bytes(16, "big")
    mask = gsr >> 32
    out = bytes(cat[(mask >> (28 - 4 * i)) & 0xF] for i in range(8))
    return int.from_bytes(out, "big")


# ---- edge handling (EDGE8/16/32[L][N]) -------------------------------------------------------
def edge(a, b, size, little):
    """Store mask of the first block of the span [rs1, rs2] (size: element bytes 1/2/4).
    Big-endian: bit 7 (edge8) is the byte at the lowest address; little-endian reverses.
    Left edge from rs1 bits 2:0, right edge from rs2 bits 2:0; ANDed when rs1 and rs2
    lie in the same 8-byte block (address bits 63:3 equal)."""
    n = 8 // size
    full = (1 << n) - 1
    ia = (a & 7) // size
    ib = (b & 7) // size
    if little:
        left = (full << ia) & full
        right = full >> (n - 1 - ib)
    else:
        left = full >> ia
        right = (full << (n - 1 - ib)) & full
    return left & right if (a >> 3) == (b >> 3) else left


def subcc_ccr(a, b):
    """CCR (xcc << 4 | icc) of subcc rs1, rs2: the EDGE instructions without N set it."""
    r = (a - b) & M64

    def cc(x, y, res, w):
        m = (1 << w) - 1
        x, y, res = x & m, y & m, res & m
        sgn = 1 << (w - 1)
        nbit = 8 if res & sgn else 0
        z = 4 if res == 0 else 0
        v = 2 if ((x ^ y) & (x ^ res)) & sgn else 0
        c = 1 if x < y else 0
        return nbit | z | v | c
    return cc(a, b, r, 64) << 4 | cc(a, b, r, 32)


# ---- blocked-byte addressing (ARRAY8/16/32) --------------------------------------------------
def array(x, n, elem):
    """Blocked-byte address of the fixed-point (x, y, z) in rs1 (x integer bits 21:11,
    y 42:33, z 63:55), n = rs2 (the x and y dimensions are 2**n blocks; values above 5
    act as 5), then scaled by the element size (elem = 1, 2, 4 bytes)."""
    n = min(n, 5)

    def bits(hi, lo):
        return (x >> lo) & ((1 << (hi - lo + 1)) - 1) if hi >= lo else 0
    r = (bits(12, 11)                      # x low 2
         | bits(34, 33) << 2               # y low 2
         | bits(55, 55) << 4               # z low 1
         | bits(16, 13) << 5               # x middle 4
         | bits(38, 35) << 9               # y middle 4
         | bits(59, 56) << 13              # z middle 4
         | bits(17 + n - 1, 17) << 17      # x upper n
         | bits(39 + n - 1, 39) << (17 + n)  # y upper n
         | bits(63, 60) << (17 + 2 * n))   # z upper 4
    return (r * elem) & M64


# ---- logical operations (opf 0x60..0x7f) -----------------------------------------------------
LOGICAL = {
    "fzero": lambda a, b, m: 0, "fone": lambda a, b, m: m,
    "fnor": lambda a, b, m: ~(a | b) & m, "for": lambda a, b, m: a | b,
    "fandnot2": lambda a, b, m: a & ~b & m, "fandnot1": lambda a, b, m: ~a & b & m,
    "fnot2": lambda a, b, m: ~b & m, "fnot1": lambda a, b, m: ~a & m,
    "fxor": lambda a, b, m: a ^ b, "fxnor": lambda a, b, m: ~(a ^ b) & m,
    "fnand": lambda a, b, m: ~(a & b) & m, "fand": lambda a, b, m: a & b,
    "fsrc1": lambda a, b, m: a, "fsrc2": lambda a, b, m: b,
    "fornot2": lambda a, b, m: (a | ~b) & m, "fornot1": lambda a, b, m: (~a | b) & m,
}
