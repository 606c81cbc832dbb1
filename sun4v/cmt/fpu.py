"""IEEE 754 single/double arithmetic as the SPARC V9 FPU does it (V9 §5.1.7, appendix B):
exact results in all four FSR.rd rounding modes, the five IEEE flags with tininess
detected before rounding, SPARC NaN propagation and default NaN, integer overflow results.

Method: the host computes in round-to-nearest only, so every operation first builds an
exact description of its real result, magnitude = (m + rs*tiny) * 2**k, with m a host double
(m = the result rounded to 53 bits) and rs the sign of what is left over; error-free
transformations give rs exactly (TwoSum for add, Dekker's TwoProduct on operands scaled to
[0.5, 1) for mul, div and sqrt). `round_pack` then rounds that description to the target
format in the requested mode: 53 bits plus a sticky sign are enough to round correctly to
any narrower precision (single, or the subnormal grid). Functions return
(result bits, flags, tiny) with flags in FSR.cexc order (nv of uf dz nx = 16 8 4 2 1).
"""
import math

import numpy as np
from numba import njit

NV = 16
OF = 8
UF = 4
DZ = 2
NX = 1

RN, RZ, RP, RM = 0, 1, 2, 3          # FSR.rd

OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT = 0, 1, 2, 3, 4

DNAN_S = np.uint64(0x7FFFFFFF)
DNAN_D = np.uint64(0x7FFFFFFFFFFFFFFF)
_SIGN_S = np.uint64(0x80000000)
_SIGN_D = np.uint64(0x8000000000000000)
_EXP_S = np.uint64(0x7F800000)
_EXP_D = np.uint64(0x7FF0000000000000)
_QBIT_S = np.uint64(0x00400000)
_QBIT_D = np.uint64(0x0008000000000000)
_MAN_S = np.uint64(0x007FFFFF)
_MAN_D = np.uint64(0x000FFFFFFFFFFFFF)
_U29 = np.uint64(29)
_U0 = np.uint64(0)
_SPLIT = 134217729.0                  # 2**27 + 1
_MAX_S = 3.4028234663852886e38        # largest single
_MAX_D = 1.7976931348623157e308
_TWO128 = 3.402823669209385e38        # 2**128


# ---- bit patterns -------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def to_host(bits, dbl):
    """Host double holding the value of a single (dbl=False) or double pattern."""
    if dbl:
        return np.uint64(bits).view(np.float64)
    return np.float64(np.uint32(bits & np.uint64(0xFFFFFFFF)).view(np.float32))


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def from_host(x, dbl):
    """Pattern of a host double that is exactly representable in the target format."""
    if dbl:
        return np.float64(x).view(np.uint64)
    return np.uint64(np.float32(x).view(np.uint32))


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def is_nan(bits, dbl):
    if dbl:
        return (bits & (_SIGN_D ^ np.uint64(0xFFFFFFFFFFFFFFFF))) > _EXP_D
    return (bits & np.uint64(0x7FFFFFFF)) > _EXP_S


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def is_snan(bits, dbl):
    if dbl:
        return is_nan(bits, True) and (bits & _QBIT_D) == _U0
    return is_nan(bits, False) and (bits & _QBIT_S) == _U0


@njit(cache=True, nogil=True, _nrt=False)
def nan_convert(bits, dbl_in, dbl_out):
    """Quieted NaN in the output format (payload kept, widened or truncated as fstod/fdtos)."""
    if dbl_in and dbl_out:
        return bits | _QBIT_D
    if not dbl_in and not dbl_out:
        return bits | _QBIT_S
    if dbl_out:        # single -> double
        sign = (bits & _SIGN_S) << np.uint64(32)
        return sign | _EXP_D | _QBIT_D | ((bits & _MAN_S) << _U29)
    sign = (bits & _SIGN_D) >> np.uint64(32)
    return sign | _EXP_S | _QBIT_S | ((bits & _MAN_D) >> _U29)


@njit(cache=True, nogil=True, _nrt=False)
def nan_result(a, b, two, dbl_in, dbl_out):
    """V9 appendix B: SNaN in rs2, else SNaN in rs1, else QNaN in rs2, else rs1 (quieted).
    a is rs1, b is rs2; two=False for one-operand ops (b only). Returns (bits, flags)."""
    an = two and is_nan(a, dbl_in)
    bn = is_nan(b, dbl_in)
    asn = an and is_snan(a, dbl_in)
    bsn = bn and is_snan(b, dbl_in)
    flags = NV if (asn or bsn) else 0
    if bsn:
        pick = b
    elif asn:
        pick = a
    elif bn:
        pick = b
    else:
        pick = a
    return nan_convert(pick, dbl_in, dbl_out), flags


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def sgn(x):
    if x > 0.0:
        return 1
    if x < 0.0:
        return -1
    return 0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def two_prod(x, y):
    """p, e with p = fl(x*y) and p + e == x*y exactly (no overflow/underflow in range)."""
    p = x * y
    c = _SPLIT * x
    xh = c - (c - x)
    xl = x - xh
    c = _SPLIT * y
    yh = c - (c - y)
    yl = y - yh
    e = ((xh * yh - p) + xh * yl + xl * yh) + xl * yl
    return p, e


# ---- rounding ------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def round_pack(neg, m, rs, k, dbl, rm):
    """Round |exact| = m * 2**k (+ a remainder of sign rs, smaller than half an ulp of m)
    to the target format in rounding mode rm; m > 0. Returns (bits, flags, tiny)."""
    fm, fe = math.frexp(m)
    e = fe + k - 1                      # exact is in [2**e, 2**(e+1)) ...
    if fm == 0.5 and rs < 0:            # ... or just below a power of two
        e -= 1
    if dbl:
        p = 53
        emin = -1022
        ovf = math.inf
        maxf = _MAX_D
    else:
        p = 24
        emin = -126
        ovf = _TWO128
        maxf = _MAX_S
    tiny = e < emin
    qexp = (e if e >= emin else emin) - p + 1
    sh = fe + k - qexp
    if sh < -60:
        n = 0.0
        frac = 0.25                      # far below half a quantum, not zero
    else:
        scaled = math.ldexp(fm, sh)
        n = math.floor(scaled)
        frac = scaled - n
    inexact = frac != 0.0 or rs != 0
    if rm == RN:
        away = 0
    elif rm == RZ:
        away = -1
    elif rm == RP:
        away = -1 if neg else 1
    else:
        away = 1 if neg else -1
    if away == 0:
        if frac > 0.5 or (frac == 0.5 and (rs > 0 or (rs == 0 and n - 2.0 * math.floor(0.5 * n) == 1.0))):
            n += 1.0
    elif away < 0:
        if frac == 0.0 and rs < 0:
            n -= 1.0
    else:
        if frac > 0.0 or (frac == 0.0 and rs > 0):
            n += 1.0
    val = math.ldexp(n, qexp)
    flags = 0
    if val >= ovf:
        flags = OF | NX
        val = math.inf if away >= 0 else maxf
    elif inexact:
        flags = NX
        if tiny:
            flags |= UF
    bits = from_host(val, dbl)
    if neg:
        bits |= _SIGN_D if dbl else _SIGN_S
    return bits, flags, tiny


@njit(cache=True, nogil=True, _nrt=False)
def zero_bits(neg, dbl):
    if neg:
        return _SIGN_D if dbl else _SIGN_S
    return _U0


@njit(cache=True, nogil=True, _nrt=False)
def inf_bits(neg, dbl):
    b = _EXP_D if dbl else _EXP_S
    if neg:
        b |= _SIGN_D if dbl else _SIGN_S
    return b


# ---- arithmetic ----------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def arith(op, a, b, dbl_in, dbl_out, rm):
    """fadd/fsub/fmul/fdiv/fsqrt (sqrt uses b only) and fsmuld (dbl_in False, dbl_out True).
    Returns (bits, flags, tiny)."""
    two = op != OP_SQRT
    if is_nan(b, dbl_in) or (two and is_nan(a, dbl_in)):
        r, fl = nan_result(a, b, two, dbl_in, dbl_out)
        return r, fl, False
    dnan = DNAN_D if dbl_out else DNAN_S
    x = to_host(a, dbl_in)
    y = to_host(b, dbl_in)
    if op == OP_SUB:
        y = -y
    if op == OP_ADD or op == OP_SUB:
        if math.isinf(x) or math.isinf(y):
            if math.isinf(x) and math.isinf(y) and (x > 0.0) != (y > 0.0):
                return dnan, NV, False
            return inf_bits((x if math.isinf(x) else y) < 0.0, dbl_out), 0, False
        s = x + y
        if s == 0.0:
            # exact zero: +0, or -0 when both addends are -0 or when rounding down
            xn = math.copysign(1.0, x) < 0.0
            yn = math.copysign(1.0, y) < 0.0
            return zero_bits((xn and yn) or (xn != yn and rm == RM), dbl_out), 0, False
        if math.isinf(s):
            x *= 0.25
            y *= 0.25
            s = x + y
            k = 2
        else:
            k = 0
        bb = s - x
        err = (x - (s - bb)) + (y - bb)
        neg = s < 0.0
        rs = sgn(err) * (-1 if neg else 1)
        return round_pack(neg, abs(s), rs, k, dbl_out, rm)
    if op == OP_MUL:
        neg = (math.copysign(1.0, x) < 0.0) != (math.copysign(1.0, y) < 0.0)
        if math.isinf(x) or math.isinf(y):
            if x == 0.0 or y == 0.0:
                return dnan, NV, False
            return inf_bits(neg, dbl_out), 0, False
        if x == 0.0 or y == 0.0:
            return zero_bits(neg, dbl_out), 0, False
        fx, ex = math.frexp(abs(x))
        fy, ey = math.frexp(abs(y))
        p, e = two_prod(fx, fy)
        return round_pack(neg, p, sgn(e), ex + ey, dbl_out, rm)
    if op == OP_DIV:
        neg = (math.copysign(1.0, x) < 0.0) != (math.copysign(1.0, y) < 0.0)
        if math.isinf(x):
            if math.isinf(y):
                return dnan, NV, False
            return inf_bits(neg, dbl_out), 0, False
        if math.isinf(y):
            return zero_bits(neg, dbl_out), 0, False
        if y == 0.0:
            if x == 0.0:
                return dnan, NV, False
            return inf_bits(neg, dbl_out), DZ, False
        if x == 0.0:
            return zero_bits(neg, dbl_out), 0, False
        fx, ex = math.frexp(abs(x))
        fy, ey = math.frexp(abs(y))
        q = fx / fy
        p, e = two_prod(q, fy)
        return round_pack(neg, q, sgn((fx - p) - e), ex - ey, dbl_out, rm)
    # square root of rs2
    if y == 0.0:
        return b if dbl_in == dbl_out else zero_bits(y < 0.0 or math.copysign(1.0, y) < 0.0,
                                                      dbl_out), 0, False
    if y < 0.0:
        return dnan, NV, False
    if math.isinf(y):
        return inf_bits(False, dbl_out), 0, False
    fy, ey = math.frexp(y)
    if ey & 1:
        fy *= 2.0
        ey -= 1
    t = math.sqrt(fy)
    p, e = two_prod(t, t)
    return round_pack(False, t, sgn((fy - p) - e), ey // 2, dbl_out, rm)


@njit(cache=True, nogil=True, _nrt=False)
def compare(a, b, dbl, signal_qnan):
    """fcmp/fcmpe: (fcc, flags); fcc 0 equal, 1 less, 2 greater, 3 unordered."""
    if is_nan(a, dbl) or is_nan(b, dbl):
        if signal_qnan or is_snan(a, dbl) or is_snan(b, dbl):
            return 3, NV
        return 3, 0
    x = to_host(a, dbl)
    y = to_host(b, dbl)
    if x == y:
        return 0, 0
    if x < y:
        return 1, 0
    return 2, 0


# ---- conversions ----------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def int_to_float(v, bits64, dbl, rm):
    """fitos/fitod (bits64 False: v's low 32 bits) and fxtos/fxtod. (bits, flags, tiny)."""
    if bits64:
        s = np.int64(v)
    else:
        s = np.int64(np.int32(np.uint32(v & np.uint64(0xFFFFFFFF))))
    if s == 0:
        return _U0, 0, False
    neg = s < 0
    u = np.uint64(s)
    if neg:
        u = (u ^ np.uint64(0xFFFFFFFFFFFFFFFF)) + np.uint64(1)
    m = np.float64(u)
    mu = np.uint64(m)
    rs = 0
    if u > mu:
        rs = 1
    elif u < mu:
        rs = -1
    return round_pack(neg, m, rs, 0, dbl, rm)


@njit(cache=True, nogil=True, _nrt=False)
def float_to_int(a, dbl, bits64):
    """fstoi/fdtoi/fstox/fdtox, rounding toward zero. Out of range, infinity or NaN: nv
    and 2**31-1 / 2**63-1 when the sign bit is 0, -2**31 / -2**63 when it is 1 (V9 B.5).
    Returns (value as uint64 pattern of the destination width, flags)."""
    if bits64:
        hi = np.uint64(0x7FFFFFFFFFFFFFFF)
        lo = np.uint64(0x8000000000000000)
        lim = 9.223372036854775808e18       # 2**63
    else:
        hi = np.uint64(0x7FFFFFFF)
        lo = np.uint64(0x80000000)
        lim = 2147483648.0
    signbit = (a >> np.uint64(63 if dbl else 31)) & np.uint64(1)
    if is_nan(a, dbl):
        return (lo if signbit else hi), NV
    x = to_host(a, dbl)
    t = np.trunc(x)
    if t >= lim or t < -lim:
        return (lo if signbit else hi), NV
    r = np.int64(t)
    fl = NX if t != x else 0
    if bits64:
        return np.uint64(r), fl
    return np.uint64(r) & np.uint64(0xFFFFFFFF), fl


@njit(cache=True, nogil=True, _nrt=False)
def convert_float(a, dbl_in, rm):
    """fstod (dbl_in False) / fdtos (dbl_in True): (bits, flags, tiny)."""
    dbl_out = not dbl_in
    if is_nan(a, dbl_in):
        return nan_convert(a, dbl_in, dbl_out), (NV if is_snan(a, dbl_in) else 0), False
    x = to_host(a, dbl_in)
    if math.isinf(x):
        return inf_bits(x < 0.0, dbl_out), 0, False
    if x == 0.0:
        return zero_bits(math.copysign(1.0, x) < 0.0, dbl_out), 0, False
    return round_pack(x < 0.0, abs(x), 0, 0, dbl_out, rm)
