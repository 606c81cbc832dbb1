"""Synchronous traps of a user program and what Linux sun4v makes of each: a signal with
its si_code and si_addr, or work the kernel completes (window flush, misaligned LDDF/STDF
emulation). One table, FAULTS; `classify` applies it to one trap.

Facts from Linux (current mainline): arch/sparc/kernel/ttable_64.S (which handler each
trap type reaches), traps_64.c (do_illegal_instruction, do_privop/do_privact, do_fpe_common,
do_tof, do_div0, sun4v_data_access_exception: an invalid ASI is SIGILL ILL_ILLADR,
sun4v_do_mna, bad_trap: ILL_ILLTRP with si_trapno = tt - 0x100), mm/fault_64.c
(do_sparc64_fault: SEGV_MAPERR where no mapping covers the address, SEGV_ACCERR where the
mapping forbids the access; do_fault_siginfo: si_addr is the effective address computed
from the faulting instruction, or the PC for instruction faults), unaligned_64.c
(compute_effective_address, handle_lddfmna/handle_stdfmna), winfixup.S (a window spill or
fill that faults is a data fault of the `save`/`restore` at TPC), sys_sparc_64.c
(sparc_breakpoint: SIGTRAP TRAP_BRKPT). si_code values from include/uapi/asm-generic/
siginfo.h. The hypervisor's fault type that Linux reads for a data access exception is
derived here from the instruction (the engine's exit says only "data access").

illegal_instruction and fp_exception_other are MATHEMU rows: the kernel first tries to
complete the instruction in software -- the quad-precision FPops and ldqf/stqf that
T1/T2 trap (do_illegal_instruction -> handle_ldf_stq / do_mathemu, do_fpother ->
do_mathemu) -- and sends a signal only for what it cannot complete or for an IEEE trap
enabled in FSR.TEM (mathemu.handle_trap decides; the row's signal is the one for an
instruction it does not emulate). Every VIS instruction runs in the engine, so vis_emul
and handle_popc have nothing to do.

Not modelled (they end as the last row, SIGILL ILL_ILLTRP): `ta 0x10`, the 32-bit
system call trap (Linux runs the compat table; qemu treats it as a 64-bit call), the
getcc/setcc/getpsr traps 0x120-0x122 and utrap_install'ed handlers for 0x112-0x11f.
"""
from dataclasses import dataclass

from ..cmt import state as S
from ..cmt.asi import A_BLK, A_MEM, A_NF, A_PST, A_SHORT, ASI_FLAGS, ASI_P
from ..cmt.memory import PERM_R, PERM_W, PERM_X, MemFault

MASK64 = (1 << 64) - 1

SIGILL, SIGTRAP, SIGEMT, SIGFPE, SIGBUS, SIGSEGV = 4, 5, 7, 8, 10, 11
ILL_ILLOPC, ILL_ILLADR, ILL_ILLTRP, ILL_PRVOPC = 1, 3, 4, 5
FPE_INTDIV, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV = 1, 3, 4, 5, 6, 7
FPE_FLTUNK = 14
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRALN = 1
TRAP_BRKPT = 1
EMT_TAGOVF = 1
SI_KERNEL = 0x80

# what the kernel does with the trap
SIGNAL = "signal"          # sends (sig, code) with si_addr from ADDR_*
COMPLETE = "complete"      # completes the instruction (the program goes on)
EMULATE = "emulate"        # emulates the instruction; a failure is a data access fault
MATHEMU = "mathemu"        # completes the FP instruction in software when it can
                           # (mathemu.handle_trap), else sends the row's signal
SYSCALL = "syscall"        # a system call trap

# where si_addr comes from
ADDR_PC = "pc"             # the trapping instruction (regs->tpc)
ADDR_FAULT = "fault"       # the fault address the hardware reports (SFAR / HV fault addr)
ADDR_EA = "ea"             # compute_effective_address() of the instruction at TPC
ADDR_NONE = "none"


@dataclass(frozen=True)
class Fault:
    lo: int                # first trap type of the row
    hi: int                # last trap type of the row
    name: str
    action: str
    sig: int = 0
    code: int = 0
    addr: str = ADDR_NONE
    source: str = ""       # the Linux function that decides


FAULTS = (
    Fault(0x08, 0x08, "instruction_access_exception", SIGNAL, SIGSEGV, SEGV_MAPERR, ADDR_PC,
          "do_sparc64_fault (ITLB): MAPERR without a mapping, ACCERR on a page without "
          "execute permission; si_addr = TPC"),
    Fault(0x10, 0x10, "illegal_instruction", MATHEMU, SIGILL, ILL_ILLOPC, ADDR_PC,
          "do_illegal_instruction: ldqf/stqf(a) -> handle_ldf_stq, quad FPops (T2) -> "
          "do_mathemu; what they do not complete, or an enabled IEEE trap, is SIGILL"),
    Fault(0x11, 0x11, "privileged_opcode", SIGNAL, SIGILL, ILL_PRVOPC, ADDR_PC, "do_privop"),
    Fault(0x21, 0x21, "fp_exception_ieee_754", SIGNAL, SIGFPE, FPE_FLTUNK, ADDR_PC,
          "do_fpieee -> do_fpe_common: si_code from FSR.cexc when FSR.ftt = 1"),
    Fault(0x22, 0x22, "fp_exception_other", MATHEMU, SIGFPE, FPE_FLTUNK, ADDR_PC,
          "do_fpother: do_mathemu for unfinished/unimplemented FPops (quad FPops on T1), "
          "else do_fpe_common: si_code from FSR.cexc when FSR.ftt = 1, else FPE_FLTUNK"),
    Fault(0x23, 0x23, "tag_overflow", SIGNAL, SIGEMT, EMT_TAGOVF, ADDR_PC, "do_tof"),
    Fault(0x28, 0x28, "division_by_zero", SIGNAL, SIGFPE, FPE_INTDIV, ADDR_PC, "do_div0"),
    Fault(0x30, 0x30, "data_access_exception", SIGNAL, SIGSEGV, SEGV_MAPERR, ADDR_EA,
          "do_sparc64_fault: MAPERR/ACCERR, si_addr = effective address of the "
          "instruction at TPC (the `save`/`restore` for a window spill/fill); "
          "sun4v_data_access_exception: invalid ASI -> SIGILL ILL_ILLADR at the address"),
    Fault(0x34, 0x34, "mem_address_not_aligned", SIGNAL, SIGBUS, BUS_ADRALN, ADDR_FAULT,
          "sun4v_do_mna"),
    Fault(0x35, 0x36, "LDDF/STDF_mem_address_not_aligned", EMULATE, SIGSEGV, SEGV_MAPERR,
          ADDR_FAULT, "handle_lddfmna / handle_stdfmna: a word-aligned LDDF/STDF is done "
          "as two word accesses; a fault or an ASI outside 0x80-0x8b is a data access "
          "exception (SIGSEGV SEGV_MAPERR at the address)"),
    Fault(0x37, 0x37, "privileged_action", SIGNAL, SIGILL, ILL_PRVOPC, ADDR_PC, "do_privact"),
    Fault(0x101, 0x101, "ta 1 (breakpoint)", SIGNAL, SIGTRAP, TRAP_BRKPT, ADDR_PC,
          "sparc_breakpoint"),
    Fault(0x102, 0x102, "ta 2 (division by zero)", SIGNAL, SIGFPE, FPE_INTDIV, ADDR_PC,
          "do_div0"),
    Fault(0x103, 0x103, "ta 3 (flush windows)", COMPLETE, addr=ADDR_NONE,
          source="FLUSH_WINDOW_TRAP: every user window is written to its stack"),
    Fault(0x111, 0x111, "ta 0x11 (old 64-bit system call)", SYSCALL,
          source="LINUX_64BIT_SYSCALL_TRAP"),
    Fault(0x16D, 0x16D, "ta 0x6d (64-bit system call)", SYSCALL,
          source="LINUX_64BIT_SYSCALL_TRAP"),
    Fault(0x16E, 0x16F, "ta 0x6e/0x6f (getcontext/setcontext)", COMPLETE,
          source="sparc64_get_context / sparc64_set_context"),
    # every other software trap reaches bad_trap()
    Fault(0x100, 0x1FF, "ta N (unused software trap)", SIGNAL, SIGILL, ILL_ILLTRP, ADDR_PC,
          "bad_trap: si_trapno = tt - 0x100"),
)


def row(tt):
    """The FAULTS row for trap type tt (the first that covers it), or None."""
    for f in FAULTS:
        if f.lo <= tt <= f.hi:
            return f
    return None


# ---- what classify() needs to know about the trap -----------------------------------------
def fetch_reg(St, s, mem, n):
    """Register n as Linux's fetch_reg reads it: globals and outs from the trap registers,
    locals and ins from the register window the kernel flushed to %sp (the window's own
    values; 0 when that memory is not there, as a failed get_user leaves it)."""
    from .signals import check_access
    if n < 16:
        return St.get_reg(s, n) if n else 0
    sp = St.get_reg(s, 14)
    base, size = ((sp + 2047) & MASK64, 128) if sp & 1 else (sp & 0xFFFFFFFF, 64)
    try:
        check_access(mem, base, size, PERM_W)
    except MemFault:
        return 0
    v = St.get_reg(s, n)
    return v if sp & 1 else v & 0xFFFFFFFF


def effective_address(St, s, mem, insn):
    """compute_effective_address(): r[rs1] + simm13, or r[rs1] + r[rs2]."""
    rs1 = (insn >> 14) & 31
    if insn & 0x2000:
        imm = insn & 0x1FFF
        if imm & 0x1000:
            imm -= 0x2000
        return (fetch_reg(St, s, mem, rs1) + imm) & MASK64
    return (fetch_reg(St, s, mem, rs1) + fetch_reg(St, s, mem, insn & 31)) & MASK64


def insn_asi(C, s, insn):
    """ASI of an alternate-space load/store: the immediate field or %asi (i = 1)."""
    return int(C[s, S.ASI]) & 0xFF if insn & 0x2000 else (insn >> 5) & 0xFF


def invalid_asi(C, s, insn):
    """True when a load/store faulted because of its ASI: an ASI that names no memory, a
    store or atomic through a no-fault ASI, a block/partial/short ASI on an access that
    cannot use it -- what the hypervisor reports as HV_FAULT_TYPE_INV_ASI."""
    if insn >> 30 != 3 or not (insn >> 19) & 0x10:
        return False
    op3 = (insn >> 19) & 0x3F
    if op3 in (0x3D, 0x2D):                    # prefetch(a) never faults on its ASI
        return False
    f = int(ASI_FLAGS[insn_asi(C, s, insn)])
    if not f & A_MEM:
        return True
    store = op3 & 0x04 or op3 in (0x3C, 0x3E, 0x1D, 0x1F)     # stores, casa/casxa,
    if f & A_NF and store:                                      # ldstuba, swapa
        return True
    fp = op3 & 0x20
    if f & (A_BLK | A_PST | A_SHORT):
        if not fp:
            return False                       # the engine treats these as plain memory
        if op3 & 3 == 0:                       # ldfa/stfa
            return True
        if f & A_PST and not store:            # a partial store ASI on lddfa
            return True
    return False


def fpe_code(fsr):
    """do_fpe_common: the IEEE exception in FSR.cexc when FSR.ftt is IEEE_754_exception,
    else FPE_FLTUNK."""
    if (fsr >> 14) & 7 != 1:
        return FPE_FLTUNK
    cexc = fsr & 0x1F
    if cexc & 0x10:
        return FPE_FLTINV
    if cexc & 0x08:
        return FPE_FLTOVF
    if cexc & 0x04:
        return FPE_FLTUND
    if cexc & 0x02:
        return FPE_FLTDIV
    if cexc & 0x01:
        return FPE_FLTRES
    return FPE_FLTUNK


def segv_code(mem, addr, kind):
    """MAPERR when no mapping covers addr, ACCERR when the mapping forbids `kind`
    (PERM_R/W/X) -- do_sparc64_fault's vma test."""
    perm = mem.page_perm(addr)
    if perm < 0:
        return SEGV_MAPERR
    if kind == PERM_R:
        ok = perm & (PERM_R | PERM_X)           # reads are allowed on exec-only pages
    else:
        ok = perm & kind
    return SEGV_MAPERR if ok else SEGV_ACCERR


def classify(tt, St, s, mem):
    """What Linux does with trap tt of strand s (PC at the trapping instruction; the
    engine's fault address in C[EXIT_ARG1], for a data fault C[EXIT_ARG2] = 1 for a
    write). Returns (row, sig, code, si_addr, trapno); sig is 0 when the row's action is
    not a signal. For a MATHEMU row this is the signal for an instruction the kernel does
    not emulate (the caller runs mathemu.handle_trap first)."""
    C = St.C
    f = row(tt)
    pc = int(C[s, S.PC])
    fault = int(C[s, S.EXIT_ARG1])
    if f is None:                      # a hardware trap Linux has no user handler for
        return None, SIGILL, ILL_ILLOPC, pc, 0
    if f.action not in (SIGNAL, MATHEMU):
        return f, 0, 0, 0, 0
    sig, code, trapno = f.sig, f.code, 0
    if f.addr == ADDR_PC:
        addr = pc
    elif f.addr == ADDR_FAULT:
        addr = fault
    else:
        addr = fault
    if tt == 0x08:
        code = segv_code(mem, pc, PERM_X)
    elif tt in (0x21, 0x22):
        code = fpe_code(int(C[s, S.FSR]))
    elif tt == 0x30:
        try:
            insn = mem.read_u32(pc)
        except MemFault:
            insn = 0
        if insn and invalid_asi(C, s, insn):
            return f, SIGILL, ILL_ILLADR, fault, 0
        kind = PERM_W if int(C[s, S.EXIT_ARG2]) & 1 else PERM_R
        code = segv_code(mem, fault, kind)
        addr = effective_address(St, s, mem, insn) if insn else fault
    elif tt >= 0x100 and f.code == ILL_ILLTRP:
        trapno = tt - 0x100
    return f, sig, code, addr, trapno


def emulate_fp_mna(St, s, mem):
    """handle_lddfmna / handle_stdfmna: an LDDF/STDF (or its ASI form) at a word-aligned
    but not doubleword-aligned address, done as two word accesses. Returns None when done
    (the instruction retires), else (sig, code, si_addr) of the data access exception."""
    from .signals import check_access
    C = St.C
    pc = int(C[s, S.PC])
    addr = int(C[s, S.EXIT_ARG1])
    try:
        insn = mem.read_u32(pc)
    except MemFault:
        return SIGSEGV, SEGV_MAPERR, addr
    asi = insn_asi(C, s, insn) if insn & 0x800000 else ASI_P
    if not 0x80 <= asi <= 0x8B:
        return SIGSEGV, SEGV_MAPERR, addr
    freg = ((insn >> 25) & 0x1E) | ((insn >> 20) & 0x20)
    store = bool(insn & 0x200000)
    little = bool(asi & 0x08)
    if store:
        if asi & 0x02:                          # no-fault ASIs take no stores
            return SIGSEGV, SEGV_MAPERR, addr
        value = (St.get_freg(s, freg) << 32) | St.get_freg(s, freg + 1)
        if little:
            value = int.from_bytes(value.to_bytes(8, "big"), "little")
        try:
            check_access(mem, addr, 8, PERM_W)
            mem.write(addr, value.to_bytes(8, "big"))
        except MemFault:
            return SIGSEGV, SEGV_MAPERR, addr
    else:
        try:
            check_access(mem, addr, 8, PERM_R)
            value = int.from_bytes(mem.read(addr, 8), "big")
        except MemFault:
            if not asi & 0x02:
                return SIGSEGV, SEGV_MAPERR, addr
            value = 0                           # a no-fault load of nothing reads 0
        if little:
            value = int.from_bytes(value.to_bytes(8, "big"), "little")
        St.set_freg(s, freg, value >> 32)
        St.set_freg(s, freg + 1, value & 0xFFFFFFFF)
        C[s, S.FPRS] = int(C[s, S.FPRS]) | (S.FPRS_DL if freg < 32 else S.FPRS_DU)
    npc = int(C[s, S.NPC])
    C[s, S.PC] = npc
    C[s, S.NPC] = (npc + 4) & MASK64
    C[s, S.INSNS] += 1
    return None
