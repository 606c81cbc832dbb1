"""IEEE 754 binary32 / binary64 / binary128 arithmetic on bit patterns, with Python
integers, as the SPARC V9 FPU defines it: what the Linux kernel's math emulation
(arch/sparc/math-emu/math_64.c over include/math-emu soft-fp) computes for the FPops an
UltraSPARC T1/T2 leaves to software (every quad-precision FPop).

Every operation forms its exact real result as an integer significand and a power of two
(plus a sticky bit below it when the result is not a dyadic rational: division, square
root) and rounds it once (`round_pack`). Conventions, from SPARC V9 §5.1.7 and appendix B
(the same as the engine's hardware FPU, cmt/fpu.py):

* rounding modes FSR.rd: 0 nearest-even, 1 toward zero, 2 toward +inf, 3 toward -inf;
* flags in FSR.cexc order: nv 16, of 8, uf 4, dz 2, nx 1; tininess is detected before
  rounding; uf is raised for a tiny result that is inexact, or for any tiny result when
  the underflow trap is enabled (ufm); overflow raises of and nx;
* NaNs: an operand SNaN raises nv; the result is rs2's NaN unless rs1 is an SNaN and rs2
  a QNaN (then rs1's), made quiet; an invalid operation gives the default NaN (sign 0,
  exponent and fraction all ones);
* float to integer truncates; NaN, infinity and out-of-range values give the integer
  limit of the operand's sign with nv;
* compares give fcc 0 (=), 1 (<), 2 (>), 3 (unordered); nv for an SNaN operand, or for
  any NaN with the signalling compares (fcmpe*).

Values are ints: a quad is one 128-bit int (the register pair's high double in bits
127:64). Each function returns (result, flags).
"""
import math

NV, OF, UF, DZ, NX = 16, 8, 4, 2, 1
RN, RZ, RP, RM = 0, 1, 2, 3


class Format:
    """An IEEE binary interchange format: exponent and fraction field widths."""

    def __init__(self, name, ebits, fbits):
        self.name = name
        self.ebits = ebits
        self.fbits = fbits
        self.p = fbits + 1                        # precision, hidden bit included
        self.width = 1 + ebits + fbits
        self.bias = (1 << (ebits - 1)) - 1
        self.emax = self.bias                     # largest unbiased exponent
        self.emin = 1 - self.bias                 # smallest normal exponent
        self.expmask = (1 << ebits) - 1
        self.fmask = (1 << fbits) - 1
        self.qbit = 1 << (fbits - 1)
        self.sign = 1 << (self.width - 1)
        self.inf = self.expmask << fbits
        self.dnan = self.inf | self.fmask         # default NaN, sign 0
        self.max_finite = ((self.expmask - 1) << fbits) | self.fmask


SINGLE = Format("single", 8, 23)
DOUBLE = Format("double", 11, 52)
QUAD = Format("quad", 15, 112)

# operand classes
ZERO, FINITE, INF, QNAN, SNAN = range(5)


def classify(fmt, bits):
    """(class, sign, sig, exp): a finite value is (-1)**sign * sig * 2**exp."""
    sign = bits >> (fmt.width - 1) & 1
    e = bits >> fmt.fbits & fmt.expmask
    f = bits & fmt.fmask
    if e == fmt.expmask:
        if f == 0:
            return INF, sign, 0, 0
        return (QNAN if f & fmt.qbit else SNAN), sign, f, 0
    if e == 0:
        if f == 0:
            return ZERO, sign, 0, 0
        return FINITE, sign, f, fmt.emin - fmt.fbits
    return FINITE, sign, f | (1 << fmt.fbits), e - fmt.bias - fmt.fbits


def is_nan(fmt, bits):
    return (bits & ~fmt.sign) > fmt.inf


def quiet(fmt, bits):
    return bits | fmt.qbit


def pick_nan(fmt, a, b):
    """(result, flags) of a two-operand FPop with a NaN operand: rs1 = a, rs2 = b."""
    ca, cb = classify(fmt, a)[0], classify(fmt, b)[0]
    flags = NV if SNAN in (ca, cb) else 0
    if cb in (QNAN, SNAN) and not (ca == SNAN and cb == QNAN):
        return quiet(fmt, b), flags
    return quiet(fmt, a), flags


def convert_nan(fin, fout, bits):
    """A NaN in format fin as a quiet NaN of fout: sign kept, fraction widened with zeros
    or truncated to its upper bits."""
    sign = bits >> (fin.width - 1) & 1
    f = bits & fin.fmask
    if fout.fbits >= fin.fbits:
        f <<= fout.fbits - fin.fbits
    else:
        f >>= fin.fbits - fout.fbits
    return (sign << (fout.width - 1)) | fout.inf | f | fout.qbit


def round_pack(fmt, sign, sig, exp, rm, ufm=False, sticky=False):
    """Round (-1)**sign * (sig + s) * 2**exp to fmt in mode rm, where s = 0 when sticky is
    false and 0 < s < 1 otherwise (then sig must carry at least p + 2 bits). sig > 0, or
    sig = 0 with sticky. ufm: the underflow trap is enabled (uf on every tiny result).
    Returns (bits, flags)."""
    n = sig.bit_length()
    top = exp + n - 1                              # exponent of the leading bit
    tiny = top < fmt.emin
    if tiny:
        shift = (fmt.emin - fmt.fbits) - exp       # keep the subnormal grid
    else:
        shift = n - fmt.p
    if shift > 0:
        q = sig >> shift
        rem = sig & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        inexact = rem != 0 or sticky
        above = rem > half or (rem == half and sticky)
        tie = rem == half and not sticky
        lsb_exp = exp + shift
    else:
        assert not sticky, "round_pack: a sticky bit needs p + 2 bits above it"
        q = sig << -shift
        inexact = sticky
        above = False
        tie = False
        lsb_exp = exp + shift
    if rm == RN:
        up = above or (tie and q & 1)
    elif rm == RZ:
        up = False
    elif rm == RP:
        up = inexact and not sign
    else:
        up = inexact and sign
    q += up
    flags = NX if inexact else 0
    if tiny and (inexact or ufm):
        flags |= UF
    s = sign << (fmt.width - 1)
    if q >> fmt.p:                                 # carried out of the top: renormalise
        q >>= 1
        lsb_exp += 1
    if q >> fmt.fbits:                             # normal
        biased = lsb_exp + fmt.fbits + fmt.bias
        if biased >= fmt.expmask:                  # overflow
            flags |= OF | NX
            to_inf = rm == RN or (rm == RP and not sign) or (rm == RM and sign)
            return s | (fmt.inf if to_inf else fmt.max_finite), flags
        return s | (biased << fmt.fbits) | (q & fmt.fmask), flags
    return s | q, flags                            # subnormal or zero


def _zero(fmt, sign):
    return sign << (fmt.width - 1)


# ---- arithmetic ----------------------------------------------------------------------------
def add(fmt, a, b, rm, ufm=False, subtract=False):
    """a + b (a - b when subtract), a = rs1, b = rs2."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return pick_nan(fmt, a, b)
    if subtract:
        b ^= fmt.sign
    ca, sa, ma, ea = classify(fmt, a)
    cb, sb, mb, eb = classify(fmt, b)
    if ca == INF or cb == INF:
        if ca == INF and cb == INF and sa != sb:
            return fmt.dnan, NV
        return (a if ca == INF else b), 0
    if ca == ZERO and cb == ZERO:
        sign = (sa | sb) if rm == RM else (sa & sb)
        return _zero(fmt, sign), 0
    e = min(ea, eb) if ca != ZERO and cb != ZERO else (ea if cb == ZERO else eb)
    total = 0
    if ca != ZERO:
        total += (-ma if sa else ma) << (ea - e)
    if cb != ZERO:
        total += (-mb if sb else mb) << (eb - e)
    if total == 0:                                 # exact cancellation
        return _zero(fmt, 1 if rm == RM else 0), 0
    return round_pack(fmt, 1 if total < 0 else 0, abs(total), e, rm, ufm)


def mul(fmt, a, b, rm, ufm=False, fin=None):
    """a * b; fin: the operands' format when it differs from the result's (fdmulq:
    double operands, quad result, an exact product)."""
    fin = fin or fmt
    if is_nan(fin, a) or is_nan(fin, b):
        r, flags = pick_nan(fin, a, b)
        return (convert_nan(fin, fmt, r) if fin is not fmt else r), flags
    ca, sa, ma, ea = classify(fin, a)
    cb, sb, mb, eb = classify(fin, b)
    sign = sa ^ sb
    if ca == INF or cb == INF:
        if ca == ZERO or cb == ZERO:
            return fmt.dnan, NV
        return (sign << (fmt.width - 1)) | fmt.inf, 0
    if ca == ZERO or cb == ZERO:
        return _zero(fmt, sign), 0
    return round_pack(fmt, sign, ma * mb, ea + eb, rm, ufm)


def div(fmt, a, b, rm, ufm=False):
    """a / b, a = rs1 (dividend), b = rs2 (divisor)."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return pick_nan(fmt, a, b)
    ca, sa, ma, ea = classify(fmt, a)
    cb, sb, mb, eb = classify(fmt, b)
    sign = sa ^ sb
    if ca == INF:
        if cb == INF:
            return fmt.dnan, NV
        return (sign << (fmt.width - 1)) | fmt.inf, 0
    if cb == INF:
        return _zero(fmt, sign), 0
    if cb == ZERO:
        if ca == ZERO:
            return fmt.dnan, NV
        return (sign << (fmt.width - 1)) | fmt.inf, DZ
    if ca == ZERO:
        return _zero(fmt, sign), 0
    k = max(0, fmt.p + 3 + mb.bit_length() - ma.bit_length())
    q, r = divmod(ma << k, mb)
    return round_pack(fmt, sign, q, ea - eb - k, rm, ufm, sticky=r != 0)


def sqrt(fmt, b, rm, ufm=False):
    """Square root of b (rs2)."""
    cb, sb, mb, eb = classify(fmt, b)
    if cb in (QNAN, SNAN):
        return quiet(fmt, b), NV if cb == SNAN else 0
    if cb == ZERO:
        return b, 0                                # sqrt(+-0) = +-0
    if sb:
        return fmt.dnan, NV
    if cb == INF:
        return b, 0
    if eb & 1:
        mb <<= 1
        eb -= 1
    k = max(0, fmt.p + 3 - mb.bit_length() // 2)
    m = mb << (2 * k)
    r = math.isqrt(m)
    return round_pack(fmt, 0, r, (eb - 2 * k) // 2, rm, ufm, sticky=r * r != m)


# ---- conversions ---------------------------------------------------------------------------
def convert(fin, fout, b, rm, ufm=False):
    """Float to float (fstoq, fdtoq exact; fqtos, fqtod rounded)."""
    cb, sb, mb, eb = classify(fin, b)
    if cb in (QNAN, SNAN):
        return convert_nan(fin, fout, b), NV if cb == SNAN else 0
    if cb == INF:
        return (sb << (fout.width - 1)) | fout.inf, 0
    if cb == ZERO:
        return _zero(fout, sb), 0
    return round_pack(fout, sb, mb, eb, rm, ufm)


def from_int(fmt, v, nbits, rm):
    """fitoq (nbits 32) / fxtoq (64): the two's-complement integer in v's low nbits."""
    v &= (1 << nbits) - 1
    if v >> (nbits - 1):
        v -= 1 << nbits
    if v == 0:
        return 0, 0
    return round_pack(fmt, 1 if v < 0 else 0, abs(v), 0, rm)


def to_int(fmt, b, nbits):
    """fqtoi (nbits 32) / fqtox (64): truncated toward zero, as an unsigned nbits pattern."""
    cb, sb, mb, eb = classify(fmt, b)
    lo, hi = -(1 << (nbits - 1)), (1 << (nbits - 1)) - 1
    mask = (1 << nbits) - 1
    if cb in (QNAN, SNAN, INF):
        return (lo if sb else hi) & mask, NV
    if cb == ZERO:
        return 0, 0
    if eb >= 0:
        v, inexact = mb << eb, False
    else:
        v, inexact = mb >> -eb, mb & ((1 << -eb) - 1) != 0
    if sb:
        v = -v
    if v < lo or v > hi:
        return (lo if sb else hi) & mask, NV
    return v & mask, NX if inexact else 0


def compare(fmt, a, b, signalling):
    """fcc of rs1 = a against rs2 = b: 0 =, 1 <, 2 >, 3 unordered."""
    ca, sa, ma, ea = classify(fmt, a)
    cb, sb, mb, eb = classify(fmt, b)
    if ca in (QNAN, SNAN) or cb in (QNAN, SNAN):
        nv = signalling or SNAN in (ca, cb)
        return 3, NV if nv else 0

    def key(c, s, m, e):                           # an exact rational's order
        if c == ZERO:
            return (0, 0, 0)
        if c == INF:
            return (-1 if s else 1, 1 << 20, 0)
        return (-1 if s else 1, e + m.bit_length(), m << (fmt.p + 1 - m.bit_length()))
    ka, kb = key(ca, sa, ma, ea), key(cb, sb, mb, eb)
    if ka == kb:
        return 0, 0
    if ka[0] != kb[0]:
        less = ka[0] < kb[0]
    else:
        less = (ka[1:] < kb[1:]) if ka[0] > 0 else (ka[1:] > kb[1:])
    return (1 if less else 2), 0
