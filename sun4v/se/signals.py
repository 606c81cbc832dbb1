"""Signals of a syscall-emulation process: dispositions, masks, the sparc64 rt signal frame,
rt_sigreturn, and the mapping of synchronous traps to signals.

Facts from Linux arch/sparc/kernel/signal_64.c (struct rt_signal_frame, setup_rt_frame,
do_rt_sigreturn), traps_64.c (trap → signal and si_code), ttable_64.S (software traps),
and the sparc64 uapi headers (asm/signal.h: SunOS signal numbers and SA_* values,
asm/siginfo.h). A signal whose default action is to terminate ends the simulator with
the same host signal (core dumps disabled, as qemu-user does), so the exit status a
parent sees equals qemu-sparc64's.
"""
import os
import resource
import signal as host_signal

from ..cmt import state as S
from ..cmt.memory import MemFault
from .loader import STACK_BIAS

MASK64 = (1 << 64) - 1
NSIG = 64

# sparc signal numbers (asm/signal.h)
SIGNAMES = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
            7: "SIGEMT", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGBUS", 11: "SIGSEGV", 12: "SIGSYS",
            13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGURG", 17: "SIGSTOP",
            18: "SIGTSTP", 19: "SIGCONT", 20: "SIGCHLD", 21: "SIGTTIN", 22: "SIGTTOU",
            23: "SIGIO", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF",
            28: "SIGWINCH", 29: "SIGPWR", 30: "SIGUSR1", 31: "SIGUSR2"}
SIGNUM = {name: n for n, name in SIGNAMES.items()}
SIGILL, SIGTRAP, SIGABRT, SIGEMT, SIGFPE, SIGKILL, SIGBUS, SIGSEGV = 4, 5, 6, 7, 8, 9, 10, 11
SIGSTOP = 17
CORE = {3, 4, 5, 6, 7, 8, 10, 11, 12, 24, 25}
IGNORE = {16, 19, 20, 28}
STOP = {17, 18, 21, 22}

SIG_DFL, SIG_IGN = 0, 1
SA_ONSTACK, SA_RESTART, SA_RESETHAND, SA_NODEFER, SA_SIGINFO = 0x1, 0x2, 0x4, 0x20, 0x200
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 1, 2, 4
SS_ONSTACK, SS_DISABLE = 1, 2
MINSIGSTKSZ = 4096

# si_code values
SI_USER, SI_TKILL = 0, -6
ILL_ILLOPC, ILL_ILLTRP, ILL_PRVOPC, ILL_PRVREG = 1, 4, 5, 6
FPE_INTDIV, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV = 1, 3, 4, 5, 6, 7
FPE_FLTUNK = 14         # undiagnosed FP exception (sparc do_fpe_common since Linux 4.17)
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRALN = 1
TRAP_BRKPT = 1
EMT_TAGOVF = 1

# struct rt_signal_frame (64-bit) offsets
SF_SS = 0               # struct sparc_stackf: 192 bytes, the window save area
SF_INFO = 192           # siginfo_t, 128 bytes
SF_REGS = 320           # struct pt_regs: u_regs[16], tstate, tpc, tnpc, y(u32), magic(u32)
SF_FPU_SAVE = 480       # __siginfo_fpu_t *
SF_STACK = 488          # stack_t: ss_sp, ss_flags(int), ss_size
SF_MASK = 512           # sigset_t (64 bits)
SF_RWIN_SAVE = 520      # __siginfo_rwin_t *
SF_SIZE = 528
FPU_SIZE = 280          # __siginfo_fpu_t: 64 float words, fsr, gsr, fprs
PT_REGS_MAGIC = 0x57ac6c00
# struct ucontext (asm/uctx.h, sparc64): offsets of the fields getcontext/setcontext use
UC_SIGMASK, UC_GREGS, UC_FP, UC_I7, UC_SIZE = 16, 32, 184, 192, 512

EINVAL, EFAULT, EPERM, ENOMEM = 22, 14, 1, 12


class ProcessKilled(Exception):
    """The program is terminated by a signal (guest number `sig`)."""

    def __init__(self, sig, core):
        super().__init__(sig)
        self.sig = sig
        self.core = core


def trap_signal(tt, addr, pc, fsr, mapped):
    """(signal, si_code, si_addr) Linux gives for a synchronous trap of type tt taken in
    user mode, or None for a software trap Linux completes silently (flushw, ta 3)."""
    if tt in (0x10, 0x11):
        return SIGILL, ILL_ILLOPC if tt == 0x10 else ILL_PRVOPC, pc
    if tt == 0x37:
        return SIGILL, ILL_PRVOPC, pc
    if tt in (0x21, 0x22):
        # do_fpe_common: the si_code comes from cexc when FSR.ftt is IEEE_754_exception,
        # otherwise FPE_FLTUNK (fp_exception_other the kernel could not complete)
        cexc = fsr & 0x1F
        code = FPE_FLTUNK
        if (fsr >> 14) & 7 == 1 and cexc:
            code = (FPE_FLTINV if cexc & 0x10 else FPE_FLTOVF if cexc & 0x08 else
                    FPE_FLTUND if cexc & 0x04 else FPE_FLTDIV if cexc & 0x02 else
                    FPE_FLTRES)
        return SIGFPE, code, pc
    if tt == 0x23:
        return SIGEMT, EMT_TAGOVF, pc
    if tt == 0x28:
        return SIGFPE, FPE_INTDIV, pc
    if tt in (0x30, 0x08, 0x09, 0x0A, 0x31, 0x32):
        return SIGSEGV, SEGV_ACCERR if mapped else SEGV_MAPERR, addr
    if tt in (0x34, 0x35, 0x36, 0x38, 0x39):
        return SIGBUS, BUS_ADRALN, addr
    if tt >= 0x100:
        n = tt - 0x100
        if n == 0x01:
            return SIGTRAP, TRAP_BRKPT, pc
        if n == 0x02:
            return SIGFPE, FPE_INTDIV, pc
        if n == 0x03:
            return None           # flush windows: nothing to do, the engine holds them
        return SIGILL, ILL_ILLTRP, pc
    return SIGILL, ILL_ILLOPC, pc


class Action:
    __slots__ = ("handler", "flags", "restorer", "mask")

    def __init__(self, handler=SIG_DFL, flags=0, restorer=0, mask=0):
        self.handler, self.flags, self.restorer, self.mask = handler, flags, restorer, mask


def _bit(sig):
    return 1 << (sig - 1)


class Signals:
    """Per-process signal state and delivery onto one strand."""

    def __init__(self, mem, St, strand=0):
        self.mem = mem
        self.St = St
        self.s = strand
        self.actions = [Action() for _ in range(NSIG + 1)]
        self.blocked = 0
        # Linux's saved_sigmask: a call that waits under a mask of its own (ppoll,
        # pselect6) leaves the caller's mask here when a signal interrupts it; the
        # handler's frame then saves this mask (restored by rt_sigreturn), and when no
        # handler runs it becomes the mask again (deliver_pending)
        self.saved_mask = None
        self.pending = []           # (sig, code, addr, trapno) in arrival order
        self.altstack = (0, SS_DISABLE, 0)
        self.delivered = 0

    # ---- system calls -------------------------------------------------------------------
    def sigaction(self, sig, act, oact, restorer, sigsetsize):
        if sigsetsize != 8 or not 1 <= sig <= NSIG:
            return -EINVAL
        if act and sig in (SIGKILL, SIGSTOP):
            return -EINVAL
        old = self.actions[sig]
        if act:
            raw = self.mem.read(act, 32)
            new = Action(int.from_bytes(raw[0:8], "big"), int.from_bytes(raw[8:16], "big"),
                         restorer, int.from_bytes(raw[24:32], "big")
                         & ~(_bit(SIGKILL) | _bit(SIGSTOP)))
        if oact:
            self.mem.write(oact, old.handler.to_bytes(8, "big") + old.flags.to_bytes(8, "big")
                           + old.restorer.to_bytes(8, "big") + old.mask.to_bytes(8, "big"))
        if act:
            self.actions[sig] = new
            if new.handler == SIG_IGN or (new.handler == SIG_DFL and sig in IGNORE):
                self.pending = [p for p in self.pending if p[0] != sig]
        return 0

    def sigprocmask(self, how, nset, oset, sigsetsize):
        if sigsetsize != 8:
            return -EINVAL
        old = self.blocked
        if nset:
            m = self.mem.read_u64(nset) & ~(_bit(SIGKILL) | _bit(SIGSTOP))
            if how == SIG_BLOCK:
                self.blocked |= m
            elif how == SIG_UNBLOCK:
                self.blocked &= ~m
            elif how == SIG_SETMASK:
                self.blocked = m
            else:
                return -EINVAL
        if oset:
            self.mem.write_u64(oset, old)
        return 0

    def on_altstack(self, sp):
        base, flags, size = self.altstack
        return not flags & SS_DISABLE and base < sp + STACK_BIAS <= base + size

    def sigaltstack(self, ss, oss, sp):
        if oss:
            base, flags, size = self.altstack
            if self.on_altstack(sp):
                flags = SS_ONSTACK
            self.mem.write(oss, base.to_bytes(8, "big") + flags.to_bytes(4, "big") + bytes(4)
                           + size.to_bytes(8, "big"))
        if ss:
            if self.on_altstack(sp):
                return -EPERM
            raw = self.mem.read(ss, 24)
            base = int.from_bytes(raw[0:8], "big")
            flags = int.from_bytes(raw[8:12], "big")
            size = int.from_bytes(raw[16:24], "big")
            if flags & ~SS_DISABLE:
                return -EINVAL
            if flags & SS_DISABLE:
                self.altstack = (0, SS_DISABLE, 0)
            else:
                if size < MINSIGSTKSZ:
                    return -ENOMEM
                self.altstack = (base, 0, size)
        return 0

    def send(self, sig, code=SI_USER, addr=0, trapno=0):
        if sig == 0:
            return 0
        if not 1 <= sig <= NSIG:
            return -EINVAL
        act = self.actions[sig]
        if act.handler == SIG_IGN or (act.handler == SIG_DFL and sig in IGNORE | STOP):
            return 0
        if sig < 32 and any(p[0] == sig for p in self.pending):
            return 0              # standard signals do not queue
        self.pending.append((sig, code, addr, trapno))
        return 0

    def pending_mask(self):
        m = 0
        for p in self.pending:
            m |= _bit(p[0])
        return m

    # ---- delivery ------------------------------------------------------------------------
    def deliver_pending(self):
        """Deliver every pending, unblocked signal (lowest number first, as Linux picks
        synchronous and then standard signals). May raise ProcessKilled."""
        while True:
            ready = [p for p in self.pending if not self.blocked & _bit(p[0])]
            if not ready:
                if self.saved_mask is not None:
                    self.blocked, self.saved_mask = self.saved_mask, None
                return
            p = min(ready, key=lambda q: q[0])
            self.pending.remove(p)
            self.deliver(*p)

    def force_fault(self, sig, code, addr, trapno):
        """A synchronous fault: if the signal is blocked or ignored, Linux resets it to the
        default action (force_sig_fault), then delivers it at once."""
        act = self.actions[sig]
        if self.blocked & _bit(sig) or act.handler == SIG_IGN:
            self.actions[sig] = Action()
            self.blocked &= ~_bit(sig)
        self.deliver(sig, code, addr, trapno)

    def deliver(self, sig, code, addr, trapno):
        act = self.actions[sig]
        if act.handler == SIG_IGN:
            return
        if act.handler == SIG_DFL:
            if sig in IGNORE or sig in STOP:
                return
            raise ProcessKilled(sig, sig in CORE)
        self.setup_frame(sig, code, addr, trapno, act)
        self.saved_mask = None                 # the frame holds it now
        if act.flags & SA_RESETHAND:
            self.actions[sig] = Action()
        self.blocked |= act.mask
        if not act.flags & SA_NODEFER:
            self.blocked |= _bit(sig)
        self.blocked &= ~(_bit(SIGKILL) | _bit(SIGSTOP))
        self.delivered += 1

    def setup_frame(self, sig, code, addr, trapno, act):
        St, s, mem = self.St, self.s, self.mem
        C = St.C
        sp = St.get_reg(s, 14)
        fef = int(C[s, S.FPRS]) & S.FPRS_FEF
        size = SF_SIZE + (FPU_SIZE if fef else 0)
        frame_sp = (sp + STACK_BIAS) & MASK64
        if act.flags & SA_ONSTACK and not self.altstack[1] & SS_DISABLE \
                and not self.on_altstack(sp):
            frame_sp = self.altstack[0] + self.altstack[2]
        sf = (frame_sp - size) & ~15
        try:
            # window save area: the interrupted window's locals and ins, as the stack
            # would hold them after Linux flushed the windows
            ss = b"".join(St.get_reg(s, n).to_bytes(8, "big") for n in range(16, 32))
            info = bytearray(128)
            info[0:4] = sig.to_bytes(4, "big")
            info[8:12] = (code & 0xFFFFFFFF).to_bytes(4, "big")
            if code in (SI_USER, SI_TKILL):
                info[16:20] = os.getpid().to_bytes(4, "big")
                info[20:24] = os.getuid().to_bytes(4, "big")
            else:
                info[16:24] = (addr & MASK64).to_bytes(8, "big")
                info[24:28] = trapno.to_bytes(4, "big")
            if not act.flags & SA_SIGINFO:
                info = bytearray(128)
                info[0:4] = sig.to_bytes(4, "big")
                info[8:12] = (0x80).to_bytes(4, "big")      # SI_NOINFO
            regs = [0] + [St.get_reg(s, n) for n in range(1, 16)]
            tstate = self._tstate()
            pt = b"".join(r.to_bytes(8, "big") for r in regs) + tstate.to_bytes(8, "big") \
                + int(C[s, S.PC]).to_bytes(8, "big") + int(C[s, S.NPC]).to_bytes(8, "big") \
                + (int(C[s, S.Y]) & 0xFFFFFFFF).to_bytes(4, "big") \
                + PT_REGS_MAGIC.to_bytes(4, "big")
            base, flags, ssize = self.altstack
            if self.on_altstack(sp):
                flags = SS_ONSTACK
            stack = base.to_bytes(8, "big") + flags.to_bytes(4, "big") + bytes(4) \
                + ssize.to_bytes(8, "big")
            fpu_addr = sf + SF_SIZE if fef else 0
            mask = self.blocked if self.saved_mask is None else self.saved_mask
            frame = (ss.ljust(192, b"\0") + bytes(info) + pt + fpu_addr.to_bytes(8, "big")
                     + stack + mask.to_bytes(8, "big") + bytes(8))
            if fef:
                fregs = b"".join(St.get_freg(s, n).to_bytes(4, "big") for n in range(64))
                frame += fregs + int(C[s, S.FSR]).to_bytes(8, "big") \
                    + int(C[s, S.GSR]).to_bytes(8, "big") \
                    + int(C[s, S.FPRS]).to_bytes(4, "big") + bytes(4)
            self._check_writable(sf, len(frame))
            mem.write(sf, frame)
        except MemFault:
            # no room for the frame: Linux kills the process with SIGSEGV
            raise ProcessKilled(SIGSEGV, True) from None
        St.set_reg(s, 14, sf - STACK_BIAS)
        St.set_reg(s, 8, sig)
        St.set_reg(s, 9, sf + SF_INFO)
        St.set_reg(s, 10, sf + SF_INFO)
        St.set_reg(s, 15, act.restorer)
        C[s, S.PC] = act.handler
        C[s, S.NPC] = (act.handler + 4) & MASK64

    def sigreturn(self):
        """rt_sigreturn: restore the state saved by setup_frame from the frame at %sp."""
        St, s, mem = self.St, self.s, self.mem
        C = St.C
        sf = (St.get_reg(s, 14) + STACK_BIAS) & MASK64
        try:
            if sf & 15:
                raise MemFault(sf)
            raw = mem.read(sf + SF_REGS, 160)
            regs = [int.from_bytes(raw[8 * i:8 * i + 8], "big") for i in range(20)]
            tstate, tpc, tnpc = regs[16], regs[17], regs[18]
            y = int.from_bytes(raw[152:156], "big")
            if (tpc | tnpc) & 3:
                raise MemFault(tpc)
            fpu = mem.read_u64(sf + SF_FPU_SAVE)
            mask = mem.read_u64(sf + SF_MASK)
            fdata = mem.read(fpu, FPU_SIZE) if fpu else None
        except MemFault:
            raise ProcessKilled(SIGSEGV, True) from None
        for n in range(1, 16):
            St.set_reg(s, n, regs[n])
        C[s, S.CCR] = (tstate >> 32) & 0xFF
        C[s, S.ASI] = (tstate >> 24) & 0xFF
        C[s, S.Y] = y
        C[s, S.PC] = tpc
        C[s, S.NPC] = tnpc
        if fdata:
            for n in range(64):
                St.set_freg(s, n, int.from_bytes(fdata[4 * n:4 * n + 4], "big"))
            C[s, S.FSR] = int.from_bytes(fdata[256:264], "big")
            C[s, S.GSR] = int.from_bytes(fdata[264:272], "big")
            C[s, S.FPRS] = int.from_bytes(fdata[272:276], "big") | S.FPRS_FEF
        self.blocked = mask & ~(_bit(SIGKILL) | _bit(SIGSTOP))


    # ---- getcontext / setcontext software traps (ta 0x6e / ta 0x6f) ----------------------
    def get_context(self):
        """Linux sparc64_get_context: fill the struct ucontext at %o0 (glibc's setjmp).
        Returns False when the context is not writable (the caller raises SIGSEGV)."""
        St, s, mem = self.St, self.s, self.mem
        C = St.C
        ucp = St.get_reg(s, 8)
        pc = int(C[s, S.NPC])                 # skip over the trap instruction
        npc = (pc + 4) & MASK64
        try:
            self._check_writable(ucp, UC_SIZE)
            g = [self._tstate(), pc, npc, int(C[s, S.Y]) & 0xFFFFFFFF]
            g += [St.get_reg(s, n) for n in range(1, 8)] + [St.get_reg(s, n)
                                                            for n in range(8, 16)]
            uc = bytearray(UC_SIZE)
            uc[UC_SIGMASK:UC_SIGMASK + 8] = self.blocked.to_bytes(8, "big")
            uc[UC_GREGS:UC_GREGS + 152] = b"".join(v.to_bytes(8, "big") for v in g)
            # the caller's frame pointer and return address: this window's %i6 and %i7
            # (what the kernel reads back from the stack after flushing the windows)
            uc[UC_FP:UC_FP + 8] = St.get_reg(s, 30).to_bytes(8, "big")
            uc[UC_I7:UC_I7 + 8] = St.get_reg(s, 31).to_bytes(8, "big")
            mem.write(ucp, bytes(uc))
        except MemFault:
            return False
        C[s, S.PC] = pc
        C[s, S.NPC] = npc
        C[s, S.INSNS] += 1
        return True

    def set_context(self):
        """Linux sparc64_set_context: resume from the struct ucontext at %o0 (glibc's
        longjmp); the signal mask too when %o1 is non-zero. Returns False on a bad
        context (the caller raises SIGSEGV)."""
        from ..cmt.windows import flush_windows
        St, s, mem = self.St, self.s, self.mem
        C = St.C
        ucp = St.get_reg(s, 8)
        try:
            if ucp & 7:
                raise MemFault(ucp)
            raw = mem.read(ucp, UC_SIZE)
            g = [int.from_bytes(raw[UC_GREGS + 8 * i:UC_GREGS + 8 * i + 8], "big")
                 for i in range(19)]
            if (g[1] | g[2]) & 3:
                raise MemFault(g[1])
            fp = int.from_bytes(raw[UC_FP:UC_FP + 8], "big")
            i7 = int.from_bytes(raw[UC_I7:UC_I7 + 8], "big")
            # Put every register window in memory, the current one included, as the
            # kernel's trap entry and flush do ...
            cur_sp = St.get_reg(s, 14)
            cur = b"".join(St.get_reg(s, n).to_bytes(8, "big") for n in range(16, 32))
            flush_windows(St, s, mem)
            if cur_sp & 1:
                mem.write((cur_sp + STACK_BIAS) & MASK64, cur)
            new_sp = g[17]
            frame = (new_sp + STACK_BIAS) & MASK64
            if new_sp & 1:
                mem.write(frame + 14 * 8, fp.to_bytes(8, "big") + i7.to_bytes(8, "big"))
                # ... and the return to user mode fills this window from the new %sp.
                saved = mem.read(frame, 128)
            else:
                saved = None
        except MemFault:
            return False
        if St.get_reg(s, 9):
            self.blocked = int.from_bytes(raw[UC_SIGMASK:UC_SIGMASK + 8], "big") & ~(
                _bit(SIGKILL) | _bit(SIGSTOP))
        C[s, S.PC] = g[1]
        C[s, S.NPC] = g[2]
        C[s, S.Y] = g[3] & 0xFFFFFFFF
        C[s, S.CCR] = (g[0] >> 32) & 0xFF
        C[s, S.ASI] = (g[0] >> 24) & 0xFF
        for n in range(1, 7):                  # %g7 (the thread pointer) is kept
            St.set_reg(s, n, g[3 + n])
        for n in range(8, 16):
            St.set_reg(s, n, g[3 + n])
        if saved is not None:
            for k in range(16):
                St.set_reg(s, 16 + k, int.from_bytes(saved[8 * k:8 * k + 8], "big"))
        C[s, S.INSNS] += 1
        return True

    def _tstate(self):
        C, s = self.St.C, self.s
        return (((int(C[s, S.CCR]) & 0xFF) << 32) | ((int(C[s, S.ASI]) & 0xFF) << 24)
                | ((int(C[s, S.PSTATE]) & 0x1FFF) << 8) | (int(C[s, S.CWP]) & 0x1F))

    def _check_writable(self, addr, n):
        for pg in range(addr & ~8191, addr + n, 8192):
            perm = self.mem.page_perm(pg)
            if perm < 0 or not perm & 2:
                raise MemFault(pg)


def host_signal_for(sig):
    """The host signal number with the same meaning as guest signal `sig`, or None."""
    name = SIGNAMES.get(sig)
    if name == "SIGPWR":
        name = "SIGPWR"
    if name and hasattr(host_signal, name):
        return int(getattr(host_signal, name))
    if 32 <= sig <= NSIG:
        h = host_signal.SIGRTMIN + (sig - 32)
        if h <= host_signal.SIGRTMAX:
            return int(h)
    return None


def die_by_signal(sig):
    """End the simulator the way the program died: with the same host signal, default
    action, no core file (as qemu-user). Does not return."""
    h = host_signal_for(sig)
    if h is not None:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ValueError, OSError):
            pass
        try:
            host_signal.signal(h, host_signal.SIG_DFL)
            host_signal.pthread_sigmask(host_signal.SIG_UNBLOCK, [h])
            os.kill(os.getpid(), h)
        except (OSError, ValueError):
            pass
    # no host equivalent (SIGEMT, SIGLOST) or the signal did not end us
    os._exit(128 + (h or sig))
