"""What the Linux kernel does for an FP instruction the chip traps instead of executing,
in syscall-emulation mode: the quad-precision FPops and the quad loads/stores that
UltraSPARC T1/T2 leave to software, and T1's fsqrts/fsqrtd.

Facts from Linux arch/sparc/kernel/traps_64.c (do_illegal_instruction, do_fpother,
do_fpe_common), arch/sparc/math-emu/math_64.c (do_mathemu, record_exception) and
arch/sparc/kernel/unaligned_64.c (handle_ldf_stq):

* T1 traps a quad FPop with fp_exception_other, FSR.ftt = unimplemented_FPop; T2 and
  later with illegal_instruction (FSR.ftt untouched). ldqf/stqf/ldqfa/stqfa are
  illegal_instruction on both (cmt/exec_fp.py).
* do_mathemu decodes the instruction, rejects a quad register number with bit 1 set
  (FSR.ftt = invalid_fp_register), computes the result in software (here softfloat.py,
  rounding mode FSR.rd; GSR.IM is not consulted), then:
  - no exception raised: cexc cleared, result written, PC advanced;
  - exceptions, none enabled in TEM: result written, cexc = the flags, aexc |= them, PC
    advanced;
  - an enabled one: no result, cexc = that one flag (nv > of > uf > dz > nx), ftt =
    IEEE_754_exception, aexc unchanged, PC not advanced; then on T1 (do_fpother ->
    do_fpe_common) SIGFPE with si_code from cexc, on T2 (do_illegal_instruction) SIGILL
    ILL_ILLOPC, as do_mathemu's failure falls through to the illegal-instruction signal.
  A failure before computing (invalid register, an FPop it does not emulate) gives
  SIGFPE si_code FPE_FLTUNK (T1) or SIGILL ILL_ILLOPC (T2).
  fmovq{cc,r} with a false condition only clears cexc (ftt is left as it was).
* FP registers of a half whose FPRS.dl/du dirty bit is clear read as zero; writing one
  zeroes that half first and sets the bit (the kernel's fpsaved rules).
* handle_ldf_stq: %asi below 0x80 -> SIGILL ILL_PRVOPC; stores accept ASI_P, ASI_S and
  their little-endian forms, loads ASI 0x80-0x8b (no-fault ASIs load zeros for
  unreadable words), any other ASI or an access fault -> SIGSEGV SEGV_MAPERR at the
  address. The kernel moves the 16 bytes as four 32-bit user accesses without checking
  alignment. An odd register pair gives both SIGFPE (FPE_FLTUNK) and SIGILL.

The IEEE results are softfloat's (exact IEEE 754 binary128, SPARC NaN rules), checked
against qemu-sparc64's softfloat (tests/test_quad.py). Where the kernel's old soft-fp
copy differs from IEEE (it raises nv when fqtoi/fqtox truncate a value in (-2**31-1,
-2**31] / (-2**63-1, -2**63]), this follows IEEE and qemu.
"""
from ..cmt import state as S
from ..cmt.memory import PERM_R, PERM_W
from . import softfloat as F
from .faults import fpe_code
from .signals import FPE_FLTUNK, ILL_ILLOPC, ILL_PRVOPC, SEGV_MAPERR, SIGFPE, SIGILL, SIGSEGV

T_ILLEGAL = 0x10
T_FP_OTHER = 0x22           # both are faults.MATHEMU rows: process.py calls handle_trap

FTT_SHIFT = 14
FTT_MASK = 7 << FTT_SHIFT
FTT_IEEE, FTT_UNFINISHED, FTT_UNIMPL, FTT_INVALID_REG = 1, 2, 3, 6
TEM_SHIFT = 23
CEXC_MASK = 0x1F
ASI_P, ASI_S, ASI_PL, ASI_SL, ASI_SNFL = 0x80, 0x81, 0x88, 0x89, 0x8B

# opf values (math_64.c)
FMOVQ, FNEGQ, FABSQ, FSQRTQ = 0x003, 0x007, 0x00B, 0x02B
FADDQ, FSUBQ, FMULQ, FDIVQ, FDMULQ = 0x043, 0x047, 0x04B, 0x04F, 0x06E
FQTOX, FXTOQ, FQTOS, FQTOD, FITOQ, FSTOQ, FDTOQ, FQTOI = (
    0x083, 0x08C, 0x0C7, 0x0CB, 0x0CC, 0x0CD, 0x0CE, 0x0D3)
FCMPQ, FCMPEQ = 0x053, 0x057
FMOVQ_FCC = {0x003: 0, 0x043: 1, 0x083: 2, 0x0C3: 3}          # fmovq %fccN
FMOVQ_ICC, FMOVQ_XCC = 0x103, 0x183
FMOVRQ = {0x027, 0x047, 0x067, 0x0A7, 0x0C7, 0x0E7}

# operand kinds: 0 none, 1 single, 2 double, 3 quad
FSQRTS, FSQRTD = 0x029, 0x02A           # T1 only: its FPU has no square root
# opf -> (rd kind, rs2 kind, rs1 kind); the quad ops come with ftt = unimplemented_FPop,
# fsqrt{s,d} with whatever ftt the chip set (math_64.c takes the current one)
FPOP1_TYPES = {
    FSQRTS: (1, 1, 0), FSQRTD: (2, 2, 0),
    FMOVQ: (3, 3, 0), FNEGQ: (3, 3, 0), FABSQ: (3, 3, 0), FSQRTQ: (3, 3, 0),
    FADDQ: (3, 3, 3), FSUBQ: (3, 3, 3), FMULQ: (3, 3, 3), FDIVQ: (3, 3, 3),
    FDMULQ: (3, 2, 2), FQTOX: (2, 3, 0), FXTOQ: (3, 2, 0), FQTOS: (1, 3, 0),
    FQTOD: (2, 3, 0), FITOQ: (3, 1, 0), FSTOQ: (3, 1, 0), FDTOQ: (3, 2, 0),
    FQTOI: (1, 3, 0),
}
FCMP_TYPE = (0, 3, 3)                     # rd: an fcc field
_PRIORITY = (F.NV, F.OF, F.UF, F.DZ, F.NX)
M64 = (1 << 64) - 1


class Strand:
    """The state do_mathemu and handle_ldf_stq read and write, on one strand's arrays."""

    def __init__(self, St, s, mem):
        self.St, self.s, self.mem = St, s, mem
        self.C = St.C[s]
        self.F = St.F[s]

    @property
    def fsr(self):
        return int(self.C[S.FSR])

    @fsr.setter
    def fsr(self, v):
        self.C[S.FSR] = v & M64

    def advance(self):
        npc = int(self.C[S.NPC])
        self.C[S.PC] = npc
        self.C[S.NPC] = (npc + 4) & M64
        self.C[S.INSNS] += 1

    # FP registers: %f<n> is F[n ^ 1]; a double/quad is named by its double number
    def _dirty_bit(self, n):
        return S.FPRS_DL if n < 32 else S.FPRS_DU

    def _word(self, n):
        return int(self.F[n ^ 1])

    def read(self, n, kind):
        """Register n (single number, or double number for kinds 2 and 3) as the kernel
        sees it: a half whose dirty bit is clear reads as zeros."""
        if not int(self.C[S.FPRS]) & self._dirty_bit(n):
            return 0
        words = {1: 1, 2: 2, 3: 4}[kind]
        v = 0
        for i in range(words):
            v = (v << 32) | self._word(n + i)
        return v

    def write(self, n, kind, value):
        fprs = int(self.C[S.FPRS])
        if not fprs & S.FPRS_FEF:
            fprs = S.FPRS_FEF
            self.C[S.GSR] = 0
        bit = self._dirty_bit(n)
        if not fprs & bit:
            if n < 32:
                self.F[0:32] = 0
            else:
                self.F[32:64] = 0
        self.C[S.FPRS] = fprs | bit
        words = {1: 1, 2: 2, 3: 4}[kind]
        for i in range(words):
            self.F[(n + i) ^ 1] = (value >> (32 * (words - 1 - i))) & 0xFFFFFFFF


def _dreg(field):
    return ((field & 1) << 5) | (field & 0x1E)


# ---- do_mathemu ------------------------------------------------------------------------------
def _fcond(cond, fcc):
    """fmovq %fccN condition (the kernel's table, SPARC V9 FBfcc)."""
    t = {0: False, 1: fcc != 0, 2: fcc in (1, 2), 3: fcc in (1, 3), 4: fcc == 1,
         5: fcc in (2, 3), 6: fcc == 2, 7: fcc == 3}[cond & 7]
    return t != bool(cond & 8)


def _icond(cond, cc):
    """fmovq %icc/%xcc condition on the four bits N Z V C (SPARC V9 Bicc)."""
    n, z, v, c = cc >> 3 & 1, cc >> 2 & 1, cc >> 1 & 1, cc & 1
    t = {0: False, 1: z, 2: z or (n ^ v), 3: n ^ v, 4: c or z, 5: c, 6: n, 7: v}[cond & 7]
    return bool(t) != bool(cond & 8)


def _rcond(rcond, x):
    if x >> 63:
        x -= 1 << 64
    t = {1: x == 0, 2: x <= 0, 3: x < 0}.get(rcond & 3, False)
    return t != bool(rcond & 4)


def _record_exception(st, eflag):
    """math_64.c record_exception: True when the instruction completes (no enabled
    exception), False when the process gets a signal."""
    fsr = st.fsr
    tem = (fsr >> TEM_SHIFT) & 0x1F
    would_trap = bool(eflag & tem)
    if would_trap:
        eflag &= tem
        if eflag & (eflag - 1):
            eflag = next(f for f in _PRIORITY if eflag & f)
    fsr = (fsr & ~CEXC_MASK) | eflag
    if would_trap:
        fsr |= FTT_IEEE << FTT_SHIFT
    else:
        fsr |= eflag << 5
    st.fsr = fsr
    if not would_trap:
        st.advance()
    return not would_trap


def do_mathemu(st, insn, illegal_insn_trap):
    """Emulate the FPop `insn`; True when it completed (PC advanced), False when the
    kernel goes on to signal the process (FSR already updated)."""
    opf = (insn >> 5) & 0x1FF
    typ = None
    if insn & 0xC1F80000 == 0x81A00000:                       # FPop1
        typ = FPOP1_TYPES.get(opf)
    elif insn & 0xC1F80000 == 0x81A80000:                     # FPop2
        cond = None
        if opf in (FCMPQ, FCMPEQ):
            typ = FCMP_TYPE
        elif opf in FMOVQ_FCC:
            n = (insn >> 11) & 3
            fcc = (st.fsr >> (10 if n == 0 else 30 + 2 * n)) & 3
            cond = _fcond((insn >> 14) & 0xF, fcc)
        elif opf in (FMOVQ_ICC, FMOVQ_XCC):
            ccr = int(st.C[S.CCR])
            cc = (ccr >> 4 if opf == FMOVQ_XCC else ccr) & 0xF
            cond = _icond((insn >> 14) & 0xF, cc)
        elif opf in FMOVRQ:
            rs1 = (insn >> 14) & 31
            x = st.St.get_reg(st.s, rs1) if rs1 else 0
            cond = _rcond((insn >> 10) & 7, x)
        if cond is not None:
            if not cond:                                      # a no-op: only cexc cleared
                st.fsr = st.fsr & ~CEXC_MASK
                st.advance()
                return True
            insn = (insn & 0x3E00001F) | 0x81A00060           # now a plain fmovq
            opf = FMOVQ
            typ = FPOP1_TYPES[FMOVQ]
    if typ is None:
        return False
    want_ftt = (st.fsr >> FTT_SHIFT) & 7 if opf in (FSQRTS, FSQRTD) else FTT_UNIMPL
    if not illegal_insn_trap and (st.fsr >> FTT_SHIFT) & 7 != want_ftt:
        return False
    st.fsr = st.fsr & ~FTT_MASK
    rd_kind, rs2_kind, rs1_kind = typ
    regs = []
    for kind, field in ((rs1_kind, (insn >> 14) & 31), (rs2_kind, insn & 31),
                        (rd_kind, (insn >> 25) & 31)):
        if kind == 3 and field & 2:
            st.fsr = st.fsr | (FTT_INVALID_REG << FTT_SHIFT)
            return False
        regs.append(_dreg(field) if kind >= 2 else field)
    rs1, rs2, rd = regs
    a = st.read(rs1, rs1_kind) if rs1_kind else 0
    b = st.read(rs2, rs2_kind) if rs2_kind else 0
    fsr = st.fsr
    rm = (fsr >> 30) & 3
    ufm = bool((fsr >> TEM_SHIFT) & F.UF)
    Q, D, SG = F.QUAD, F.DOUBLE, F.SINGLE
    fcc = None
    if opf == FMOVQ:
        r, fl = b, 0
    elif opf == FNEGQ:
        r, fl = b ^ Q.sign, 0
    elif opf == FABSQ:
        r, fl = b & ~Q.sign, 0
    elif opf == FSQRTQ:
        r, fl = F.sqrt(Q, b, rm, ufm)
    elif opf == FSQRTS:
        r, fl = F.sqrt(SG, b, rm, ufm)
    elif opf == FSQRTD:
        r, fl = F.sqrt(D, b, rm, ufm)
    elif opf in (FADDQ, FSUBQ):
        r, fl = F.add(Q, a, b, rm, ufm, subtract=opf == FSUBQ)
    elif opf == FMULQ:
        r, fl = F.mul(Q, a, b, rm, ufm)
    elif opf == FDIVQ:
        r, fl = F.div(Q, a, b, rm, ufm)
    elif opf == FDMULQ:
        r, fl = F.mul(Q, a, b, rm, ufm, fin=D)
    elif opf == FQTOX:
        r, fl = F.to_int(Q, b, 64)
    elif opf == FQTOI:
        r, fl = F.to_int(Q, b, 32)
    elif opf == FXTOQ:
        r, fl = F.from_int(Q, b, 64, rm)
    elif opf == FITOQ:
        r, fl = F.from_int(Q, b, 32, rm)
    elif opf == FQTOS:
        r, fl = F.convert(Q, SG, b, rm, ufm)
    elif opf == FQTOD:
        r, fl = F.convert(Q, D, b, rm, ufm)
    elif opf == FSTOQ:
        r, fl = F.convert(SG, Q, b, rm, ufm)
    elif opf == FDTOQ:
        r, fl = F.convert(D, Q, b, rm, ufm)
    else:                                                     # fcmpq, fcmpeq
        fcc, fl = F.compare(Q, a, b, signalling=opf == FCMPEQ)
        r = None
    inhibit = (fsr >> TEM_SHIFT) & fl
    if not inhibit:
        if fcc is not None:
            n = (insn >> 25) & 3
            sh = 10 if n == 0 else 30 + 2 * n
            st.fsr = (st.fsr & ~(3 << sh)) | (fcc << sh)
        else:
            st.write(rd, rd_kind, r)
    if fl:
        return _record_exception(st, fl)
    st.fsr = st.fsr & ~CEXC_MASK
    st.advance()
    return True


# ---- handle_ldf_stq --------------------------------------------------------------------------
def _user_word(mem, addr, write=None):
    """A 32-bit user access the way the kernel's get_user/put_user see it: True/value on
    success, None on a fault (unmapped, or the protection forbids it). The kernel fixes
    up misaligned accesses, so there is no alignment check."""
    for a in {addr & ~8191, (addr + 3) & ~8191}:
        perm = mem.page_perm(a)
        if perm < 0 or not perm & (PERM_W if write is not None else PERM_R):
            return None
    if write is not None:
        mem.write(addr, (write & 0xFFFFFFFF).to_bytes(4, "big"))
        return True
    return int.from_bytes(mem.read(addr, 4), "big")


def _swab64(v):
    return int.from_bytes(v.to_bytes(8, "big"), "little")


def handle_ldf_stq(st, insn, pc):
    """unaligned_64.c handle_ldf_stq. Returns the signals to send, in the order the kernel
    raises them ([] when the instruction completed)."""
    St, s = st.St, st.s
    rs1 = (insn >> 14) & 31
    base = St.get_reg(s, rs1) if rs1 else 0
    if insn & 0x2000:
        off = insn & 0x1FFF
        off = off - 0x2000 if off & 0x1000 else off
    else:
        rs2 = insn & 31
        off = St.get_reg(s, rs2) if rs2 else 0
    addr = (base + off) & M64
    freg = ((insn >> 25) & 0x1E) | ((insn >> 20) & 0x20)
    if insn & 0x800000:
        asi = int(st.C[S.ASI]) & 0xFF if insn & 0x2000 else (insn >> 5) & 0xFF
    else:
        asi = ASI_P
    st.fsr = st.fsr & ~FTT_MASK
    if freg & 3:
        st.fsr = st.fsr | (FTT_INVALID_REG << FTT_SHIFT)
        return [(SIGFPE, FPE_FLTUNK, pc), (SIGILL, ILL_ILLOPC, pc)]
    if asi < 0x80:
        return [(SIGILL, ILL_PRVOPC, pc)]
    if insn & 0x200000:                                   # stqf
        v = st.read(freg, 3)
        if asi in (ASI_PL, ASI_SL):
            v = int.from_bytes(v.to_bytes(16, "big"), "little")
        elif asi not in (ASI_P, ASI_S):
            return [(SIGSEGV, SEGV_MAPERR, addr)]
        for i in range(4):
            if _user_word(st.mem, addr + 4 * i, (v >> (96 - 32 * i)) & 0xFFFFFFFF) is None:
                return [(SIGSEGV, SEGV_MAPERR, addr)]
    else:                                                 # ldqf
        if asi > ASI_SNFL:
            return [(SIGSEGV, SEGV_MAPERR, addr)]
        words = [0, 0, 0, 0]
        first = _user_word(st.mem, addr)
        err = first is None
        if not err:
            words[0] = first
            for i in range(1, 4):
                w = _user_word(st.mem, addr + 4 * i)
                err |= w is None
                words[i] = w or 0
        if err and not asi & 2:
            return [(SIGSEGV, SEGV_MAPERR, addr)]
        v = (words[0] << 96) | (words[1] << 64) | (words[2] << 32) | words[3]
        if asi & 8:
            v = int.from_bytes(v.to_bytes(16, "big"), "little")
        st.write(freg, 3, v)
    st.advance()
    return []


# ---- the two traps ---------------------------------------------------------------------------
def handle_trap(St, s, mem, tt):
    """Linux's handling of illegal_instruction (tt 0x10) and fp_exception_other (0x22)
    taken in user mode on strand s. Returns [] when the kernel completed the instruction
    (PC advanced), else the signals (signal, si_code, si_addr) it sends, in order."""
    st = Strand(St, s, mem)
    pc = int(st.C[S.PC])
    try:
        insn = mem.read_u32(pc)
    except Exception:
        insn = None
    if tt == T_FP_OTHER:
        if insn is not None and (st.fsr >> FTT_SHIFT) & 7 in (FTT_UNFINISHED, FTT_UNIMPL):
            if do_mathemu(st, insn, False):
                return []
        return [(SIGFPE, fpe_code(st.fsr), pc)]
    if insn is None:
        return [(SIGILL, ILL_ILLOPC, pc)]
    if insn & 0xC1580000 == 0xC1100000:                   # ldqf/stqf/ldqfa/stqfa
        return handle_ldf_stq(st, insn, pc)
    if insn & 0xC1F80000 == 0x81B00000:                   # IMPDEP1 (VIS): vis_emul
        return [(SIGILL, ILL_ILLOPC, pc)]                 # the engine has every VIS op
    if do_mathemu(st, insn, True):
        return []
    return [(SIGILL, ILL_ILLOPC, pc)]
