"""Quad-precision FP on UltraSPARC T1/T2, which implement none of it: the engine traps
(T1 fp_exception_other / unimplemented_FPop, T2 illegal_instruction) and the syscall-
emulation kernel completes the instruction as Linux's math emulation does
(sun4v/se/mathemu.py over sun4v/se/softfloat.py).

* differential: thousands of quad FPops (every one the kernel emulates) over edge and
  random operands, NaNs, infinities, subnormals, all four rounding modes, under
  `sun4v run --chip t1/t2` and qemu-sparc64 (whose softfloat implements binary128): the
  results and the whole FSR (fcc, aexc, cexc) must be identical;
* against exact rational arithmetic (no qemu): softfloat's binary128 rounding;
* against the Linux sources where qemu cannot be the oracle: V9 NaN selection, the
  kernel's trap path (T1 SIGFPE with si_code, T2 SIGILL), invalid quad registers,
  ldqf/stqf ASIs and faults, FPRS dirty halves, the shared case quad_fpops.c.
"""
import os
import random
import struct
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fp"))
sys.path.insert(0, os.path.dirname(__file__))
import harness as H  # noqa: E402
from qemu_oracle import run_sun4v  # noqa: E402

from sun4v.se import softfloat as F  # noqa: E402

import setup_tools  # noqa: E402


def _require_tools():
    """`make setup` installs the cross tools and qemu: without them the tests fail."""
    setup_tools.require_tools(H.GCC, H.QEMU)


needs_tools = pytest.mark.usefixtures("tools")


@pytest.fixture
def tools():
    _require_tools()


ROOT = Path(__file__).resolve().parents[1]
Q = F.QUAD
SENT = 0x5A5A5A5A5A5A5A5A


# ---- operands ---------------------------------------------------------------------------------
def q(sign, biased_exp, frac):
    return (sign << 127) | (biased_exp << 112) | frac


QNAN = q(0, 0x7FFF, 1 << 111)
Q_EDGE = [
    0, q(1, 0, 0), q(0, 0x3FFF, 0), q(1, 0x3FFF, 0), q(0, 0x4000, 0), q(0, 0x4000, 1 << 111),
    0x3FFD5555555555555555555555555555, q(0, 0x7FFE, Q.fmask), q(1, 0x7FFE, Q.fmask),
    q(0, 1, 0), q(0, 0, 1), q(1, 0, 1), q(0, 0, Q.fmask), q(0, 1, 1), q(0, 0x7FFF, 0),
    q(1, 0x7FFF, 0), QNAN, q(1, 0x7FFF, (1 << 111) | 0x1234), q(0, 0x7FFF, 1),
    q(1, 0x7FFF, 0xABCDEF), q(0, 0x3FFF + 31, 0), q(1, 0x3FFF + 31, 0),
    q(1, 0x3FFF + 31, 1 << 80), q(0, 0x3FFF + 30, Q.fmask), q(1, 0x3FFF + 63, 0),
    q(0, 0x3FFF + 63, 0), q(0, 0x3FFF + 62, Q.fmask), q(0, 0x3FFE, Q.fmask),
    q(0, 0x3FFF - 113, 0), q(0, 0x3FFF + 112, 1), q(0, 0x3C01, 0), q(0, 0x43FE, Q.fmask),
    q(0, 0x3F81, 0), q(0, 0x407E, Q.fmask),     # single/double range limits
]


def rand_quad(rng):
    c = rng.random()
    if c < 0.35:
        e = rng.randrange(0x7FFF)
    elif c < 0.55:
        e = rng.choice([0, 1, 2, 0x7FFE, 0x7FFD, 0x7FFF])
    elif c < 0.85:
        e = 0x3FFF + rng.randrange(-70, 70)
    else:
        e = rng.choice([0x3C00, 0x4400, 0x3F80, 0x4080, 0x3FFF - 112, 0x3FFF - 16382])
        e = max(0, min(0x7FFE, e + rng.randrange(-3, 4)))
    f = rng.getrandbits(112)
    if rng.random() < 0.3:
        f &= ~((1 << rng.randrange(112)) - 1)
    if e == 0x7FFF and rng.random() < 0.5:
        f = 0
    return q(rng.getrandbits(1), e, f)


def _is_nan(v):
    return F.is_nan(Q, v)


def _neg_nan(v):
    return _is_nan(v) and v >> 127


def _d_is_snan(v):
    return F.classify(F.DOUBLE, v)[0] == F.SNAN


def _s_is_snan(v):
    return F.classify(F.SINGLE, v)[0] == F.SNAN


# ---- the program -----------------------------------------------------------------------------
# op: (mnemonic, operand text, kind) kinds: "qqq" quad binary, "qq" quad unary, "ddq" fdmulq,
# "q>x" fqtox, "q>i" fqtoi, "q>s", "q>d", "x>q", "i>q", "s>q", "d>q", "cmp"
OPS = [("faddq", "%f4, %f8, %f12", "qqq"), ("fsubq", "%f4, %f8, %f12", "qqq"),
       ("fmulq", "%f4, %f8, %f12", "qqq"), ("fdivq", "%f4, %f8, %f12", "qqq"),
       ("fsqrtq", "%f8, %f12", "qq"), ("fmovq", "%f8, %f12", "qq"),
       ("fnegq", "%f8, %f12", "qq"), ("fabsq", "%f8, %f12", "qq"),
       ("fdmulq", "%f4, %f8, %f12", "ddq"), ("fqtox", "%f8, %f12", "q>x"),
       ("fqtoi", "%f8, %f13", "q>i"), ("fqtos", "%f8, %f13", "q>s"),
       ("fqtod", "%f8, %f12", "q>d"), ("fxtoq", "%f4, %f12", "x>q"),
       ("fitoq", "%f5, %f12", "i>q"), ("fstoq", "%f5, %f12", "s>q"),
       ("fdtoq", "%f4, %f12", "d>q"), ("fcmpq", "%fcc1, %f4, %f8", "cmp"),
       ("fcmpeq", "%fcc3, %f4, %f8", "cmp"),
       # the upper bank (register numbers with bit 5 in the field's bit 0)
       ("faddq", "%f36, %f40, %f44", "qqq-hi"), ("fdivq", "%f48, %f40, %f56", "qqq-hi")]
CASE_BYTES = 24


def _fsr(rm, i):
    """rd = rm, TEM = 0, a varying aexc, fcc0-3 set."""
    return (rm << 30) | (((i * 7) % 32) << 5) | ((i % 4) << 10) | ((i % 3) << 32) | \
        ((i % 4) << 34) | ((3 - i % 4) << 36)


def quad_program(cases):
    """cases: (mnemonic, operands, kind, a, b, fsr) with a, b 128-bit patterns (the
    operands of other kinds sit in the high double/word). Each case stores %d12, %d14
    and %fsr (24 bytes)."""
    body, data = [], []
    for m, ops, kind, a, b, fsr in cases:
        hi = kind.endswith("-hi")
        ra, rb, rd = ("%f36", "%f40", "%f44") if hi else ("%f4", "%f8", "%f12")
        if m == "fdivq" and hi:
            ra, rd = "%f48", "%f56"
        rn = [int(r[2:]) for r in (ra, rb, rd)]
        body += ["    ldx [%l0], %fsr",
                 f"    ldd [%l0+8], %f{rn[0]}", f"    ldd [%l0+16], %f{rn[0] + 2}",
                 f"    ldd [%l0+24], %f{rn[1]}", f"    ldd [%l0+32], %f{rn[1] + 2}",
                 f"    ldd [%l0+40], %f{rn[2]}", f"    ldd [%l0+40], %f{rn[2] + 2}",
                 f"    {m} {ops}",
                 f"    std %f{rn[2]}, [%l1]", f"    std %f{rn[2] + 2}, [%l1+8]",
                 "    stx %fsr, [%l1+16]", "    add %l0, 48, %l0", "    add %l1, 24, %l1"]
        data += [fsr, a >> 64, a & (2**64 - 1), b >> 64, b & (2**64 - 1), SENT]
    return "\n".join(body) + "\n", data


def _operands(kind, rng, n):
    """(a, b) pairs for an op kind, as 128-bit patterns (narrow operands in the top)."""
    pairs = []
    if kind in ("qqq", "cmp", "qqq-hi"):
        e = Q_EDGE
        pairs = [(x, y) for x in e for y in e]
        pairs += [(rand_quad(rng), rand_quad(rng)) for _ in range(n)]
        # near-equal magnitudes: cancellation, ties
        for _ in range(n // 4):
            x = rand_quad(rng)
            pairs.append((x, x ^ (rng.getrandbits(3) << rng.randrange(0, 112))))
    elif kind in ("qq", "q>x", "q>i", "q>s", "q>d"):
        vals = Q_EDGE + [rand_quad(rng) for _ in range(n)]
        pairs = [(0, v) for v in vals]
    elif kind == "ddq":
        dv = [0, 1 << 63, 0x3FF0000000000000, 0x7FEFFFFFFFFFFFFF, 0x0000000000000001,
              0x000FFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000,
              0x7FF8000000000000, 0x7FF4000000000001, 0x3FB999999999999A]
        dv += [rng.getrandbits(64) for _ in range(n // 4)]
        pairs = [(x << 64, y << 64) for x in dv for y in dv[:12]]
        pairs += [(rng.choice(dv) << 64, rng.choice(dv) << 64) for _ in range(n // 2)]
    elif kind in ("x>q", "d>q"):
        vals = [0, 1, 2**64 - 1, 1 << 63, (1 << 63) - 1, 0x7FF0000000000000,
                0xFFF8000000000000, 0x7FF4000000000000, 0x0000000000000001]
        vals += [rng.getrandbits(64) >> rng.randrange(64) for _ in range(n)]
        pairs = [(v << 64, 0) for v in vals]
    elif kind in ("i>q", "s>q"):
        vals = [0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x7F800000, 0xFF800000,
                0x7FC00000, 0x7FA00001, 0x00000001, 0x807FFFFF]
        vals += [rng.getrandbits(32) >> rng.randrange(32) for _ in range(n)]
        pairs = [(v << 64, 0) for v in vals]      # %f5: bits 95:64 of the pattern
    return pairs


def qemu_deviates(m, kind, a, b):
    """Cases where qemu 7.2 differs from SPARC V9 (checked against V9 in
    test_quad_where_qemu_deviates)."""
    if kind in ("qqq", "qqq-hi", "cmp") and _is_nan(a) and _is_nan(b):
        return True                       # two NaNs: qemu does not prefer rs2 as V9 does
    if kind in ("q>x", "q>i") and _neg_nan(b):
        return True                       # V9: a negative NaN gives the negative limit
    if (kind == "s>q" and _s_is_snan(a >> 64)) or (kind == "d>q" and _d_is_snan(a >> 64)):
        return True                       # qemu widens an SNaN without raising nv
    return False


def _exact(v):
    """(class, value): value a Fraction for finite operands, +-1 for infinities."""
    c, sign, m, e = F.classify(Q, v)
    if c in (F.QNAN, F.SNAN):
        return c, None
    if c == F.INF:
        return c, -1 if sign else 1
    return c, (-1 if sign else 1) * Fraction(m) * Fraction(2) ** e


def ref_fcmp_fsr(a, b, fsr, n, signalling):
    """FSR after fcmp{e}q %fccN, a, b per SPARC V9 (FCMP, table B-?): fcc 0 =, 1 <, 2 >,
    3 unordered; nv for an SNaN operand, or for any NaN with fcmpeq; ftt cleared."""
    (ca, va), (cb, vb) = _exact(a), _exact(b)
    if va is None or vb is None:
        fcc = 3
        nv = signalling or F.SNAN in (ca, cb)
    else:
        if ca == F.INF or cb == F.INF:       # order infinities beyond every finite value
            va = va * Fraction(2) ** 20000 if ca == F.INF else va
            vb = vb * Fraction(2) ** 20000 if cb == F.INF else vb
        fcc = 0 if va == vb else 1 if va < vb else 2
        nv = False
    sh = 10 if n == 0 else 30 + 2 * n
    fsr = (fsr & ~(3 << sh) & ~(7 << 14) & ~0x1F) | (fcc << sh)
    if nv:
        fsr |= 0x10 | (0x10 << 5)
    return fsr


def differential_cases(seed, n):
    rng = random.Random(seed)
    cases = []
    for i, (m, ops, kind) in enumerate(OPS):
        for j, (a, b) in enumerate(_operands(kind, rng, n)):
            if qemu_deviates(m, kind, a, b):
                continue
            cases.append((m, ops, kind, a, b, _fsr((i + j) % 4, i * 131 + j)))
    return cases


def run_sun4v_exe(exe, chip):
    out, err, rc = run_sun4v(exe, extra_opts=("--chip", chip))
    assert rc == 0 and err == b"", (rc, err[-2000:])
    return out


def compare(cases, qout, sout, label):
    """sun4v's bytes must equal qemu's; for fcmpq/fcmpeq, whose FSR qemu 7.2 garbles
    (it rewrites fcc0, aexc and cexc), the FSR must equal V9's (ref_fcmp_fsr) and agree
    with qemu's on the fcc field written."""
    assert len(qout) == len(sout) == CASE_BYTES * len(cases), (len(qout), len(sout))
    bad = []
    for i, (m, ops, kind, a, b, fsr) in enumerate(cases):
        x, y = qout[i * CASE_BYTES:(i + 1) * CASE_BYTES], sout[i * CASE_BYTES:(i + 1) * CASE_BYTES]
        if kind == "cmp":
            n = int(ops[4])
            want = ref_fcmp_fsr(a, b, fsr, n, m == "fcmpeq")
            got_s, got_q = struct.unpack(">Q", y[16:])[0], struct.unpack(">Q", x[16:])[0]
            sh = 30 + 2 * n
            ok = (y[:16] == x[:16] == struct.pack(">QQ", SENT, SENT) and got_s == want
                  and (got_q >> sh) & 3 == (want >> sh) & 3)
        else:
            ok = x == y
        if not ok:
            bad.append(f"{m} {ops} a={a:032x} b={b:032x} fsr={fsr:#x}: "
                       f"qemu {x.hex()} sun4v {y.hex()}")
    assert not bad, f"{label}: {len(bad)} of {len(cases)} cases differ:\n" + "\n".join(bad[:25])


@needs_tools
@pytest.mark.parametrize("chip", ["t1", "t2"])
def test_quad_fpops_match_qemu(chip):
    """Every emulated quad FPop, about 9000 cases, results and FSR against qemu."""
    cases = differential_cases(128, 160)
    exe = H.build(H.program(*quad_program(cases), CASE_BYTES * len(cases)))
    compare(cases, H.run_qemu(exe), run_sun4v_exe(exe, chip), f"chip {chip}")


# ---- where qemu 7.2 is not the oracle: SPARC V9 ------------------------------------------------
@needs_tools
@pytest.mark.parametrize("chip", ["t1", "t2"])
def test_quad_where_qemu_deviates(chip):
    """V9 appendix B, written out: two NaN operands give rs2's NaN unless rs1 is an SNaN
    and rs2 a QNaN; an SNaN raises nv and comes out quiet (also when widened by
    fstoq/fdtoq); fqtoi/fqtox of a NaN give the limit of its sign with nv."""
    qn1, qn2 = QNAN | 0x1111, q(1, 0x7FFF, (1 << 111) | 0x2222)
    sn1, sn2 = q(0, 0x7FFF, 0x3333), q(1, 0x7FFF, 0x4444)
    fsr = 0
    nv = 0x10 | (0x10 << 5)
    rows = [  # (mnemonic, operands, kind, a, b, expected result pattern, flags)
        ("faddq", "%f4, %f8, %f12", "qqq", qn1, qn2, qn2, 0),
        ("fmulq", "%f4, %f8, %f12", "qqq", sn1, qn2, sn1 | 1 << 111, nv),
        ("fdivq", "%f4, %f8, %f12", "qqq", qn1, sn2, sn2 | 1 << 111, nv),
        ("fsubq", "%f4, %f8, %f12", "qqq", sn1, sn2, sn2 | 1 << 111, nv),
        # fqtoi writes %f13 only: %d12 = sentinel word : 0x80000000, %d14 = sentinel
        ("fqtoi", "%f8, %f13", "q>i", 0, qn2,
         (0x5A5A5A5A80000000 << 64) | (SENT & (2**64 - 1)), nv),
        ("fqtox", "%f8, %f12", "q>x", 0, sn2, (1 << 127) | (SENT & (2**64 - 1)), nv),
        ("fstoq", "%f5, %f12", "s>q", 0x7FA00001 << 64, 0,
         q(0, 0x7FFF, (1 << 111) | (0x200001 << 89)), nv),
        ("fdtoq", "%f4, %f12", "d>q", 0xFFF4000000000001 << 64, 0,
         q(1, 0x7FFF, (1 << 111) | (0x4000000000001 << 60)), nv),
    ]
    cases = [(m, ops, kind, a, b, fsr) for m, ops, kind, a, b, _, _ in rows]
    exe = H.build(H.program(*quad_program(cases), CASE_BYTES * len(cases)))
    out = run_sun4v_exe(exe, chip)
    for i, (m, ops, kind, a, b, want, flags) in enumerate(rows):
        hi, lo, got_fsr = struct.unpack(">QQQ", out[i * CASE_BYTES:(i + 1) * CASE_BYTES])
        assert (hi << 64 | lo, got_fsr & 0x3FF) == (want, flags), \
            (m, hex(hi << 64 | lo), hex(want), hex(got_fsr))


# ---- binary128 rounding against exact rational arithmetic (no tools needed) ---------------
def _ref_round_quad(x, rm):
    """The binary128 pattern nearest x (a nonzero Fraction) in mode rm, from the
    definition: the representable values are k * 2**(e - 112), |k| < 2**113."""
    sign = 1 if x < 0 else 0
    ax = abs(x)
    e = ax.numerator.bit_length() - ax.denominator.bit_length()
    while Fraction(2) ** e > ax:
        e -= 1
    while Fraction(2) ** (e + 1) <= ax:
        e += 1
    quantum = Fraction(2) ** (max(e, -16382) - 112)
    k, rest = divmod(ax, quantum)
    half = quantum / 2
    up = {0: rest > half or (rest == half and k % 2 == 1), 1: False,
          2: rest > 0 and not sign, 3: rest > 0 and bool(sign)}[rm]
    k += up
    v = k * quantum
    if v >= Fraction(2) ** 16384:
        to_inf = rm == 0 or (rm == 2 and not sign) or (rm == 3 and sign)
        return (sign << 127) | (Q.inf if to_inf else Q.max_finite)
    if v < Fraction(2) ** -16382:                     # subnormal (or zero) grid
        return (sign << 127) | int(v / Fraction(2) ** (-16382 - 112))
    ev = e if k < 2 ** 113 else e + 1
    if v >= Fraction(2) ** (ev + 1):
        ev += 1
    frac = int(v / Fraction(2) ** (ev - 112)) - (1 << 112)
    return (sign << 127) | ((ev + 16383) << 112) | frac


def test_softfloat_quad_against_exact_arithmetic():
    """add/sub/mul/div of finite binary128 operands in all four modes: the pattern and
    the inexact flag from exact rational arithmetic; sqrt: the result brackets the root
    as its rounding mode requires."""
    rng = random.Random(16383)
    bad = []
    vals = [v for v in Q_EDGE if F.classify(Q, v)[0] in (F.FINITE, F.ZERO)]
    pairs = [(rng.choice(vals), rng.choice(vals)) for _ in range(100)]
    pairs += [(rand_quad(rng) & ~(0x7FFF << 112) | (rng.randrange(0x7FFF) << 112),
               rand_quad(rng) & ~(0x7FFF << 112) | (rng.randrange(0x7FFF) << 112))
              for _ in range(300)]
    for a, b in pairs:
        xa, xb = _exact(a)[1], _exact(b)[1]
        for rm in range(4):
            for name, fn, exact in (
                    ("add", lambda: F.add(Q, a, b, rm), xa + xb),
                    ("sub", lambda: F.add(Q, a, b, rm, subtract=True), xa - xb),
                    ("mul", lambda: F.mul(Q, a, b, rm), xa * xb),
                    ("div", lambda: F.div(Q, a, b, rm), xa / xb if xb else None)):
                if exact is None or exact == 0:
                    continue
                r, fl = fn()
                want = _ref_round_quad(exact, rm)
                if r != want or bool(fl & F.NX) != (_exact(want)[1] != exact
                                                    if want & ~(1 << 127) < Q.inf else True):
                    bad.append((name, rm, hex(a), hex(b), hex(r), hex(want), fl))
            if xb > 0:
                r, fl = F.sqrt(Q, b, rm)
                lo = _exact(r)[1]
                step = _exact(r + 1)[1] - lo          # the next representable value up
                prev = lo - _exact(r - 1)[1] if r & ~(1 << 127) else step
                ok = {0: (lo - prev / 2) ** 2 <= xb <= (lo + step / 2) ** 2,
                      1: lo ** 2 <= xb < (lo + step) ** 2, 3: lo ** 2 <= xb < (lo + step) ** 2,
                      2: (lo - prev) ** 2 < xb <= lo ** 2}[rm]
                if not ok or bool(fl & F.NX) != (lo ** 2 != xb):
                    bad.append(("sqrt", rm, hex(b), hex(r), fl))
    assert not bad, bad[:10]


# ---- the kernel path itself (Linux math_64.c / traps_64.c / unaligned_64.c), no tools ------------
from sun4v.cmt import state as S  # noqa: E402
from sun4v.cmt.memory import PERM_R, PERM_RWX, Memory  # noqa: E402
from sun4v.se import mathemu as ME  # noqa: E402
from sun4v.se import signals as SG  # noqa: E402

PC = 0x100000
DATA = 0x200000


def _qfield(n):
    """The 5-bit register field of double/quad register n."""
    return (n & 0x1E) | (n >> 5)


def fpop(op3, opf, rd, rs1, rs2):
    return (2 << 30) | (rd << 25) | (op3 << 19) | (rs1 << 14) | (opf << 5) | rs2


class Strand:
    """One strand's arrays and memory, with an instruction at PC."""

    def __init__(self, insn, fsr=0, chip="t2"):
        self.St = S.StrandArrays(1)
        self.mem = Memory()
        self.mem.map(PC, 0x2000, PERM_RWX)
        self.mem.map(DATA, 0x4000, PERM_RWX)
        self.mem.write_u32(PC, insn)
        C = self.St.C[0]
        C[S.PC], C[S.NPC] = PC, PC + 4
        C[S.FSR] = fsr
        C[S.FPRS] = S.FPRS_FEF | S.FPRS_DL | S.FPRS_DU
        self.chip = chip
        self.tt = ME.T_FP_OTHER if chip == "t1" else ME.T_ILLEGAL
        if chip == "t1":                      # what the T1 FPU leaves in FSR
            C[S.FSR] = (fsr & ~(7 << 14)) | (3 << 14)

    def setq(self, n, v):
        for i in range(4):
            self.St.F[0][(n + i) ^ 1] = (v >> (96 - 32 * i)) & 0xFFFFFFFF

    def getq(self, n):
        v = 0
        for i in range(4):
            v = (v << 32) | int(self.St.F[0][(n + i) ^ 1])
        return v

    def trap(self):
        return ME.handle_trap(self.St, 0, self.mem, self.tt)

    @property
    def fsr(self):
        return int(self.St.C[0][S.FSR])

    @property
    def pc(self):
        return int(self.St.C[0][S.PC])


@pytest.mark.parametrize("chip", ["t1", "t2"])
def test_kernel_completes_and_accounts_flags(chip):
    """1/3: no trap enabled -> result written, cexc = nx, aexc |= nx, ftt 0, PC advanced."""
    st = Strand(fpop(0x34, ME.FDIVQ, _qfield(12), _qfield(4), _qfield(40)),
                fsr=(2 << 30) | (0x08 << 5), chip=chip)      # rd = +inf, aexc = of
    st.setq(4, q(0, 0x3FFF, 0))
    st.setq(40, q(0, 0x4000, 1 << 111))
    assert st.trap() == []
    assert st.getq(12) == 0x3FFD5555555555555555555555555556          # rounded up (rd=2)
    assert st.fsr == (2 << 30) | (0x09 << 5) | 0x01
    assert st.pc == PC + 4 and int(st.St.C[0][S.INSNS]) == 1


@pytest.mark.parametrize("chip,signal", [("t1", (SG.SIGFPE, SG.FPE_FLTRES, PC)),
                                         ("t2", (SG.SIGILL, SG.ILL_ILLOPC, PC))])
def test_enabled_trap_signals_as_linux(chip, signal):
    """TEM.nxm: no result, cexc = nx alone, ftt = IEEE_754_exception, aexc kept, PC
    kept; T1 (do_fpother) SIGFPE FPE_FLTRES, T2 (do_illegal_instruction) SIGILL."""
    st = Strand(fpop(0x34, ME.FDIVQ, _qfield(12), _qfield(4), _qfield(8)),
                fsr=(1 << 23) | (0x02 << 5), chip=chip)
    st.setq(4, q(0, 0x3FFF, 0))
    st.setq(8, q(0, 0x4000, 1 << 111))
    st.setq(12, 0x12345)
    assert st.trap() == [signal]
    assert st.getq(12) == 0x12345 and st.pc == PC
    assert st.fsr == (1 << 23) | (0x02 << 5) | (1 << 14) | 0x01


def test_trap_priority_picks_one_flag():
    """Overflow raises of and nx: with ofm and nxm enabled cexc = of; with nxm alone nx
    (math_64.c record_exception: nv > of > uf > dz > nx among the enabled ones)."""
    for tem, cexc, code in ((0x09, 0x08, SG.FPE_FLTOVF), (0x01, 0x01, SG.FPE_FLTRES)):
        st = Strand(fpop(0x34, ME.FMULQ, _qfield(12), _qfield(4), _qfield(4)),
                    fsr=tem << 23, chip="t1")
        st.setq(4, Q.max_finite)
        assert st.trap() == [(SG.SIGFPE, code, PC)]
        assert st.fsr & 0x1F == cexc


@pytest.mark.parametrize("chip", ["t1", "t2"])
def test_invalid_quad_register(chip):
    """A quad register field with bit 1 set: ftt = invalid_fp_register, and the kernel
    gives up: T1 SIGFPE FPE_FLTUNK (do_fpe_common), T2 SIGILL."""
    st = Strand(fpop(0x34, ME.FADDQ, _qfield(12), 2, _qfield(8)), chip=chip)
    sig = (SG.SIGFPE, SG.FPE_FLTUNK, PC) if chip == "t1" else (SG.SIGILL, SG.ILL_ILLOPC, PC)
    assert st.trap() == [sig]
    assert (st.fsr >> 14) & 7 == 6 and st.pc == PC


@pytest.mark.parametrize("chip", ["t1", "t2"])
def test_fmovq_conditional(chip):
    """fmovq{cc,r}: a true condition moves, a false one only clears cexc (and leaves ftt
    as the trap left it: unimplemented_FPop on T1)."""
    ftt = (3 << 14) if chip == "t1" else 0
    # fmovqg %fcc1 (cond 6, opf_cc 001 -> opf 0x043), fcc1 = 2 (greater): moves
    insn = fpop(0x35, 0x043, _qfield(12), 6, _qfield(8))
    st = Strand(insn, fsr=(2 << 32) | 0x1F, chip=chip)
    st.setq(8, 0xABCDEF)
    assert st.trap() == [] and st.getq(12) == 0xABCDEF and st.fsr == 2 << 32
    st = Strand(insn, fsr=(1 << 32) | 0x1F, chip=chip)       # fcc1 = 1: does not move
    st.setq(12, 7)
    assert st.trap() == [] and st.getq(12) == 7 and st.fsr == (1 << 32) | ftt
    # fmovrqlz %o1 (rcond 3: opf 0x067): %o1 = -5 moves, 5 does not
    for val, moves in ((-5, True), (5, False)):
        st = Strand(fpop(0x35, 0x067, _qfield(12), 9, _qfield(8)), chip=chip)
        st.St.set_reg(0, 9, val & (2**64 - 1))
        st.setq(8, 0x99)
        assert st.trap() == [] and (st.getq(12) == 0x99) == moves
    # fmovqneg %xcc (cond 6, opf_cc 110 -> opf 0x183), xcc.N set
    st = Strand(fpop(0x35, 0x183, _qfield(12), 6, _qfield(8)), chip=chip)
    st.St.C[0][S.CCR] = 0x80
    st.setq(8, 0x42)
    assert st.trap() == [] and st.getq(12) == 0x42


def test_fprs_dirty_halves():
    """A half whose FPRS.dl/du bit is clear reads as zero, and writing into it zeroes
    the half first (math_64.c, fpsaved)."""
    st = Strand(fpop(0x34, ME.FADDQ, _qfield(12), _qfield(4), _qfield(40)))
    st.St.C[0][S.FPRS] = S.FPRS_FEF | S.FPRS_DU
    st.setq(4, q(0, 0x3FFF, 0))                              # stale: dl clear, reads 0
    st.setq(40, q(0, 0x3FFF, 0))
    st.St.F[0][20 ^ 1] = 0x777                               # %f20: zeroed by the write
    assert st.trap() == []
    assert st.getq(12) == q(0, 0x3FFF, 0) and st.getq(4) == 0 and int(st.St.F[0][21]) == 0
    assert int(st.St.C[0][S.FPRS]) == S.FPRS_FEF | S.FPRS_DL | S.FPRS_DU


def _ldst(store, rd, asi=None, imm=0, alt_imm=False):
    """ldqf/stqf [%g1 + imm] (or the alternate forms with an immediate or %asi ASI)."""
    op3 = (0x26 if store else 0x22) | (0x10 if asi is not None or alt_imm else 0)
    w = (3 << 30) | (_qfield(rd) << 25) | (op3 << 19) | (1 << 14)
    if alt_imm:
        return w | (1 << 13) | (imm & 0x1FFF)
    if asi is not None:
        return w | (asi << 5) | 0                             # [%g1 + %g0] asi
    return w | (1 << 13) | (imm & 0x1FFF)


def test_ldqf_stqf():
    """handle_ldf_stq: 16 bytes big-endian to and from a quad register; ASI_PL reverses
    all 16; a no-fault ASI loads zeros from unmapped memory; no alignment check."""
    v = 0x00112233445566778899AABBCCDDEEFF
    st = Strand(_ldst(False, 8, imm=4))
    st.St.set_reg(0, 1, DATA)
    st.mem.write(DATA + 4, v.to_bytes(16, "big"))
    assert st.trap() == [] and st.getq(8) == v and st.pc == PC + 4
    st = Strand(_ldst(True, 40, asi=ME.ASI_PL))
    st.St.set_reg(0, 1, DATA + 0x100)
    st.setq(40, v)
    assert st.trap() == []
    assert st.mem.read(DATA + 0x100, 16) == v.to_bytes(16, "little")
    st = Strand(_ldst(False, 8, asi=0x82))                    # ASI_PNF from nowhere
    st.St.set_reg(0, 1, 0x900000)
    st.setq(8, v)
    assert st.trap() == [] and st.getq(8) == 0


def test_ldqf_stqf_faults():
    """Bad ASIs and faults as Linux signals them."""
    st = Strand(_ldst(False, 8, asi=0x04))                    # ASI below 0x80
    assert st.trap() == [(SG.SIGILL, SG.ILL_PRVOPC, PC)]
    st = Strand(_ldst(True, 8, asi=0x82))                     # store through a no-fault ASI
    st.St.set_reg(0, 1, DATA)
    assert st.trap() == [(SG.SIGSEGV, SG.SEGV_MAPERR, DATA)]
    st = Strand(_ldst(False, 8))                              # unmapped
    st.St.set_reg(0, 1, 0x900000)
    assert st.trap() == [(SG.SIGSEGV, SG.SEGV_MAPERR, 0x900000)] and st.pc == PC
    st = Strand(_ldst(True, 8))                               # read-only page
    st.mem.map(0x900000, 0x2000, PERM_R)
    st.St.set_reg(0, 1, 0x900000)
    assert st.trap() == [(SG.SIGSEGV, SG.SEGV_MAPERR, 0x900000)]
    st = Strand(_ldst(False, 10))                             # odd quad register: %f10
    st.St.set_reg(0, 1, DATA)
    assert st.trap() == [(SG.SIGFPE, SG.FPE_FLTUNK, PC), (SG.SIGILL, SG.ILL_ILLOPC, PC)]
    assert (st.fsr >> 14) & 7 == 6


def test_other_illegal_instructions_still_sigill():
    """An illegal instruction the kernel does not emulate (an unassigned VIS opf, an
    unassigned FPop) is SIGILL; on T1 an unassigned FPop is fp_exception_other that
    do_mathemu rejects: SIGFPE FPE_FLTUNK."""
    assert Strand(fpop(0x36, 0x1FF, 1, 2, 3)).trap() == [(SG.SIGILL, SG.ILL_ILLOPC, PC)]
    assert Strand(fpop(0x34, 0x1FF, 1, 2, 3)).trap() == [(SG.SIGILL, SG.ILL_ILLOPC, PC)]
    assert Strand(fpop(0x34, 0x1FF, 1, 2, 3), chip="t1").trap() == \
        [(SG.SIGFPE, SG.FPE_FLTUNK, PC)]


# ---- end to end: signals from the kernel path, under `sun4v run` ------------------------------
TRAP_PROG = r"""
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static const uint64_t one[2] = {0x3fff000000000000ULL, 0}, three[2] = {0x4000800000000000ULL, 0};
static void h(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("signal %d code %d addr %s\n", sig, si->si_code,
           si->si_addr == (void *)0x10 ? "0x10" : "text");
    fflush(stdout);
    _exit(0);
}
int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, 0);
    sigaction(SIGILL, &sa, 0);
    sigaction(SIGSEGV, &sa, 0);
    if (argc > 1 && argv[1][0] == 'l') {             /* ldqf from an unmapped address */
        asm volatile("mov 0x10, %%g1\n\tldq [%%g1], %%f8" : : : "g1", "f8", "f9", "f10", "f11");
        return 1;
    }
    unsigned long fsr = (unsigned long)strtol(argv[1], 0, 0) << 23;   /* TEM */
    asm volatile("ldx [%0], %%fsr\n\tldd [%1], %%f4\n\tldd [%1+8], %%f6\n\t"
                 "ldd [%2], %%f8\n\tldd [%2+8], %%f10\n\tfdivq %%f4, %%f8, %%f12"
                 : : "r"(&fsr), "r"(one), "r"(three)
                 : "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15");
    puts("no signal");
    return 0;
}
"""


@pytest.fixture(scope="module")
def trap_prog(tmp_path_factory):
    _require_tools()
    d = tmp_path_factory.mktemp("quadtrap")
    (d / "t.c").write_text(TRAP_PROG)
    subprocess.run([H.GCC, "-static", "-O2", "-o", str(d / "t"), str(d / "t.c")], check=True,
                   capture_output=True)
    return d / "t"


@needs_tools
@pytest.mark.parametrize("arg", ["1", "0x10", "l"])
def test_kernel_signals_end_to_end(trap_prog, arg):
    """TEM.nxm set, 1/3: on T1 the kernel's do_fpother sends SIGFPE FPE_FLTRES (6); on
    T2 do_mathemu's failure falls into do_illegal_instruction: SIGILL ILL_ILLOPC (1)
    (Linux sources; qemu 7.2 aborts on the trap, "Unhandled trap: 0x21"). With only nvm
    enabled (nx raised, not enabled) no signal, and ldqf from an unmapped address is
    SIGSEGV SEGV_MAPERR at that address, on both chips as under qemu."""
    from qemu_oracle import run_qemu
    t1 = run_sun4v(trap_prog, [arg], extra_opts=("--chip", "t1"))
    t2 = run_sun4v(trap_prog, [arg], extra_opts=("--chip", "t2"))
    if arg == "1":
        assert t1 == (b"signal 8 code 6 addr text\n", b"", 0), t1
        assert t2 == (b"signal 4 code 1 addr text\n", b"", 0), t2
        return
    q_out = run_qemu(trap_prog, [arg])
    assert t1 == q_out and t2 == q_out, (t1, t2, q_out)


def test_softfloat_single_double_equal_the_engine_fpu():
    """softfloat's rounding core also serves binary32/64: on those it must give exactly
    what the engine's hardware FPU model gives (cmt/fpu.py, itself checked against qemu in
    test_fp.py), every operation, every mode, flags included."""
    import numpy as np

    from sun4v.cmt import fpu
    from test_fp import D_EDGE, S_EDGE, rand_float_bits
    rng = random.Random(754)
    bad = []
    for dbl, fmt, other, edge in ((False, F.SINGLE, F.DOUBLE, S_EDGE),
                                  (True, F.DOUBLE, F.SINGLE, D_EDGE)):
        vals = rand_float_bits(rng, dbl, 400)
        pairs = [(a, b) for a in edge for b in edge[::2]]
        pairs += [(rng.choice(vals), rng.choice(vals)) for _ in range(300)]
        for a, b in pairs:
            for rm in range(4):
                for op, mine in ((0, F.add(fmt, a, b, rm)),
                                 (1, F.add(fmt, a, b, rm, subtract=True)),
                                 (2, F.mul(fmt, a, b, rm)), (3, F.div(fmt, a, b, rm)),
                                 (4, F.sqrt(fmt, b, rm))):
                    r, fl, _ = fpu.arith(op, np.uint64(a), np.uint64(b), dbl, dbl, rm)
                    if (int(r), int(fl)) != mine:
                        bad.append((dbl, op, rm, hex(a), hex(b), hex(int(r)), int(fl), mine))
                r, fl, _ = fpu.convert_float(np.uint64(b), dbl, rm)
                if (int(r), int(fl)) != F.convert(fmt, other, b, rm):
                    bad.append(("convert", dbl, rm, hex(b)))
            for signal in (False, True):
                fcc, fl = fpu.compare(np.uint64(a), np.uint64(b), dbl, signal)
                if (int(fcc), int(fl)) != F.compare(fmt, a, b, signal):
                    bad.append(("compare", dbl, signal, hex(a), hex(b)))
            for wide in (False, True):
                r, fl = fpu.float_to_int(np.uint64(b), dbl, wide)
                n = 64 if wide else 32
                if (int(r) & ((1 << n) - 1), int(fl)) != F.to_int(fmt, b, n):
                    bad.append(("to_int", dbl, wide, hex(b)))
    assert not bad, bad[:10]


@needs_tools
def test_t1_square_root_completed_by_the_kernel():
    """fsqrts/fsqrtd trap on T1 and the kernel completes them: the same results and FSR
    as qemu's (and the T2 hardware path's), every mode."""
    from test_fp import D_EDGE, S_EDGE, fpop_program, fsr_for, rand_float_bits
    rng = random.Random(29)
    cases = []
    for m, k, edge in (("fsqrts", "s", S_EDGE), ("fsqrtd", "d", D_EDGE)):
        for i, b in enumerate(edge + rand_float_bits(rng, k == "d", 60)):
            for rm in range(4):
                cases.append((m, 1, k, k, 0, b, fsr_for(rm, i)))
    body, data = fpop_program(cases)
    exe = H.build(H.program(body, data, 16 * len(cases)))
    want = H.run_qemu(exe)
    assert run_sun4v_exe(exe, "t1") == want
    assert run_sun4v_exe(exe, "t2") == want
