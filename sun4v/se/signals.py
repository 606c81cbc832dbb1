"""Signals of a syscall-emulation process: dispositions, masks, pending signals with their
siginfo, the sparc64 rt signal frame and rt_sigreturn, and the user register windows the
kernel saves when they cannot be written to the stack.

Facts from Linux arch/sparc/kernel/signal_64.c (struct rt_signal_frame, get_sigframe,
setup_rt_frame, do_rt_sigreturn, syscall_restart), sigutil_64.c (save/restore_fpu_state,
save/restore_rwin_state), process_64.c (synchronize_user_stack: every user register window
is written to the stack at its %sp; a window that cannot be written is kept by the kernel,
at most NSWINS = 7, and goes into the signal frame's __siginfo_rwin_t so that the handler
starts with clean windows), winfixup.S, kernel/signal.c (which thread takes a signal,
standard signals do not queue, force_sig_fault resets a blocked or ignored fault signal),
and the sparc64 uapi headers (asm/signal.h: SunOS signal numbers and SA_* values,
asm/siginfo.h and asm-generic/siginfo.h: the 128-byte siginfo). A signal whose default
action is to terminate ends the simulator with the same host signal (core dumps
disabled, as qemu-user does), so the exit status a parent sees equals qemu-sparc64's.
The trap -> signal table is in faults.py.
"""
import os
import resource
import signal as host_signal

from ..cmt import state as S
from ..cmt.memory import PERM_R, PERM_W, MemFault
from .loader import STACK_BIAS

MASK64 = (1 << 64) - 1
NSIG = 64
NW = S.NWINDOWS

# sparc signal numbers (asm/signal.h)
SIGNAMES = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
            7: "SIGEMT", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGBUS", 11: "SIGSEGV", 12: "SIGSYS",
            13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGURG", 17: "SIGSTOP",
            18: "SIGTSTP", 19: "SIGCONT", 20: "SIGCHLD", 21: "SIGTTIN", 22: "SIGTTOU",
            23: "SIGIO", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF",
            28: "SIGWINCH", 29: "SIGPWR", 30: "SIGUSR1", 31: "SIGUSR2"}
SIGNUM = {name: n for n, name in SIGNAMES.items()}
SIGILL, SIGTRAP, SIGABRT, SIGEMT, SIGFPE, SIGKILL, SIGBUS, SIGSEGV = 4, 5, 6, 7, 8, 9, 10, 11
SIGALRM, SIGSTOP, SIGCONT, SIGCHLD = 14, 17, 19, 20
SIGVTALRM, SIGPROF = 26, 27
CORE = {3, 4, 5, 6, 7, 8, 10, 11, 12, 24, 25}
IGNORE = {16, 19, 20, 28}
STOP = {17, 18, 21, 22}

SIG_DFL, SIG_IGN = 0, 1
SA_ONSTACK, SA_RESTART, SA_RESETHAND, SA_NOCLDSTOP, SA_NODEFER = 0x1, 0x2, 0x4, 0x8, 0x20
SA_NOCLDWAIT, SA_SIGINFO = 0x100, 0x200
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 1, 2, 4
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = 4096

# si_code values
SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_TKILL = 0, 0x80, -1, -2, -6
SI_NOINFO = 32767                     # sparc asm/siginfo.h: a handler without SA_SIGINFO
ILL_ILLOPC, ILL_ILLADR, ILL_ILLTRP, ILL_PRVOPC, ILL_PRVREG = 1, 3, 4, 5, 6
FPE_INTDIV, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV = 1, 3, 4, 5, 6, 7
FPE_FLTUNK = 14         # undiagnosed FP exception (sparc do_fpe_common since Linux 4.17)
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRALN = 1
TRAP_BRKPT = 1
EMT_TAGOVF = 1
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 4, 5, 6

# siginfo union layouts (asm-generic/siginfo.h, 64-bit)
K_KILL, K_RT, K_TIMER, K_CHLD, K_FAULT, K_KERNEL = range(6)

# struct rt_signal_frame (64-bit) offsets
SF_SS = 0               # struct sparc_stackf: 192 bytes, the window save area first
SF_INFO = 192           # siginfo_t, 128 bytes
SF_REGS = 320           # struct pt_regs: u_regs[16], tstate, tpc, tnpc, y(u32), magic(u32)
SF_FPU_SAVE = 480       # __siginfo_fpu_t *
SF_STACK = 488          # stack_t: ss_sp, ss_flags(int), ss_size
SF_MASK = 512           # sigset_t (64 bits)
SF_RWIN_SAVE = 520      # __siginfo_rwin_t *
SF_SIZE = 528
FPU_SIZE = 280          # __siginfo_fpu_t: 64 float words, fsr, gsr, fprs (longs)
NSWINS = 7              # __SIGC_MAXWIN: windows the kernel keeps for a thread
RWIN_SIZE = 8 + 128 * NSWINS + 8 * NSWINS     # __siginfo_rwin_t: 960 bytes
RWIN_WINDOWS, RWIN_STKPTRS = 8, 8 + 128 * NSWINS
PT_REGS_MAGIC = 0x57ac6c00
# struct ucontext (asm/uctx.h, sparc64): offsets of the fields getcontext/setcontext use
UC_SIGMASK, UC_GREGS, UC_FP, UC_I7, UC_SIZE = 16, 32, 184, 192, 512

EINVAL, EFAULT, EPERM, ENOMEM = 22, 14, 1, 12
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))


class ProcessKilled(Exception):
    """The program is terminated by a signal (guest number `sig`)."""

    def __init__(self, sig, core):
        super().__init__(sig)
        self.sig = sig
        self.core = core


class SigInfo:
    """One signal with its siginfo: which union member is filled (`kind`) and the
    fields; `tid` names the thread a thread-directed signal (tkill, a fault) is for."""
    __slots__ = ("sig", "code", "kind", "pid", "uid", "addr", "trapno", "status", "value",
                 "timerid", "overrun", "tid")

    def __init__(self, sig, code=SI_USER, kind=K_KILL, pid=0, uid=0, addr=0, trapno=0,
                 status=0, value=0, timerid=0, overrun=0, tid=None):
        self.sig, self.code, self.kind = sig, code, kind
        self.pid, self.uid, self.addr, self.trapno = pid, uid, addr, trapno
        self.status, self.value, self.timerid, self.overrun = status, value, timerid, overrun
        self.tid = tid

    def pack(self):
        """The 128-byte sparc64 siginfo_t."""
        b = bytearray(128)
        b[0:4] = (self.sig & 0xFFFFFFFF).to_bytes(4, "big")
        b[8:12] = (self.code & 0xFFFFFFFF).to_bytes(4, "big")
        k = self.kind
        if k in (K_KILL, K_RT, K_CHLD):
            b[16:20] = (self.pid & 0xFFFFFFFF).to_bytes(4, "big")
            b[20:24] = (self.uid & 0xFFFFFFFF).to_bytes(4, "big")
            if k == K_RT:
                b[24:32] = (self.value & MASK64).to_bytes(8, "big")
            elif k == K_CHLD:
                b[24:28] = (self.status & 0xFFFFFFFF).to_bytes(4, "big")
        elif k == K_TIMER:
            b[16:20] = (self.timerid & 0xFFFFFFFF).to_bytes(4, "big")
            b[20:24] = (self.overrun & 0xFFFFFFFF).to_bytes(4, "big")
            b[24:32] = (self.value & MASK64).to_bytes(8, "big")
        elif k == K_FAULT:
            b[16:24] = (self.addr & MASK64).to_bytes(8, "big")
            b[24:28] = (self.trapno & 0xFFFFFFFF).to_bytes(4, "big")
        return bytes(b)


class Action:
    __slots__ = ("handler", "flags", "restorer", "mask")

    def __init__(self, handler=SIG_DFL, flags=0, restorer=0, mask=0):
        self.handler, self.flags, self.restorer, self.mask = handler, flags, restorer, mask


def _bit(sig):
    return 1 << (sig - 1)


def check_access(mem, addr, n, kind):
    """MemFault unless every page of [addr, addr+n) is mapped and allows `kind` (PERM_R or
    PERM_W): the checks of the kernel's user copies (Memory.read/write ignore protection)."""
    for pg in range(addr & ~8191, addr + n, 8192):
        perm = mem.page_perm(pg)
        if perm < 0 or not perm & kind:
            raise MemFault(pg)


def window_frame(vals, sp):
    """(address, bytes) of a register window (16 locals and ins) stored at its %sp: a
    64-bit frame (odd %sp) at %sp + 2047 in 8-byte slots, else a 32-bit one in 4-byte
    slots (struct reg_window / reg_window32)."""
    if sp & 1:
        return (sp + STACK_BIAS) & MASK64, b"".join(v.to_bytes(8, "big") for v in vals)
    return sp & 0xFFFFFFFF, b"".join((v & 0xFFFFFFFF).to_bytes(4, "big") for v in vals)


def store_window(mem, vals, sp):
    """Write a window to its stack; False (nothing written) when it cannot be."""
    addr, data = window_frame(vals, sp)
    if addr & (7 if sp & 1 else 3):
        return False
    try:
        check_access(mem, addr, len(data), PERM_W)
        mem.write(addr, data)
    except MemFault:
        return False
    return True


class Signals:
    """Per-process signal state; delivery onto strand `s` with `blocked` as that thread's
    mask (Process switches both to the thread concerned)."""

    def __init__(self, mem, St, strand=0):
        self.mem = mem
        self.St = St
        self.s = strand
        self.actions = [Action() for _ in range(NSIG + 1)]
        self.blocked = 0
        self.pending = []           # SigInfo in arrival order
        # Linux's saved_sigmask, per thread (strand -> mask); see wait_mask
        self.saved_masks = {}
        self.altstack = (0, SS_DISABLE, 0)
        self.delivered = 0
        self.wsaved = {}            # strand -> [(sp, 16 window values)] the kernel holds
        self.pid = os.getpid()
        self.tid_of = None          # strand -> tid (Process sets it when threads exist)
        self.on_change = None       # called when dispositions or masks change (host sync)

    def _changed(self):
        if self.on_change is not None:
            self.on_change()

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
                         restorer, int.from_bytes(raw[24:32], "big") & ~UNBLOCKABLE)
        if oact:
            self.mem.write(oact, old.handler.to_bytes(8, "big") + old.flags.to_bytes(8, "big")
                           + old.restorer.to_bytes(8, "big") + old.mask.to_bytes(8, "big"))
        if act:
            self.actions[sig] = new
            if self.ignored(sig):
                self.pending = [p for p in self.pending if p.sig != sig]
            self._changed()
        return 0

    def sigprocmask(self, how, nset, oset, sigsetsize):
        if sigsetsize != 8:
            return -EINVAL
        old = self.blocked
        if nset:
            m = self.mem.read_u64(nset) & ~UNBLOCKABLE
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
        if self.blocked != old:
            self._changed()
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
            raw = self.mem.read(ss, 24)
            return self._set_altstack(raw, sp)
        return 0

    def _set_altstack(self, raw, sp):
        if self.on_altstack(sp):
            return -EPERM
        base = int.from_bytes(raw[0:8], "big")
        flags = int.from_bytes(raw[8:12], "big")
        size = int.from_bytes(raw[16:24], "big")
        mode = flags & ~SS_AUTODISARM
        if mode not in (0, SS_ONSTACK, SS_DISABLE):     # SS_ONSTACK: as 0 (old ABI)
            return -EINVAL
        if mode == SS_DISABLE:
            self.altstack = (0, SS_DISABLE, 0)
        else:
            if size < MINSIGSTKSZ:
                return -ENOMEM
            self.altstack = (base, 0, size)
        return 0

    def ignored(self, sig):
        """The signal would be discarded: SIG_IGN, or SIG_DFL with an ignore default."""
        act = self.actions[sig]
        return act.handler == SIG_IGN or (act.handler == SIG_DFL and sig in IGNORE | STOP)

    def send(self, sig, code=SI_USER, addr=0, trapno=0, info=None):
        """Make `sig` pending (kill, tkill, a timer, a child ...): 0 or -errno. Standard
        signals do not queue; an ignored one is discarded."""
        if sig == 0:
            return 0
        if not 1 <= sig <= NSIG:
            return -EINVAL
        if info is None:
            info = SigInfo(sig, code, K_KILL if code in (SI_USER, SI_TKILL) else K_FAULT,
                           pid=self.pid, uid=os.getuid(), addr=addr, trapno=trapno)
        if self.ignored(sig):
            return 0
        if sig < 32 and any(p.sig == sig and p.tid == info.tid for p in self.pending):
            return 0
        self.pending.append(info)
        return 0

    def pending_mask(self, tid=None):
        m = 0
        for p in self.pending:
            if p.tid is None or p.tid == tid:
                m |= _bit(p.sig)
        return m

    def take(self, mask, tid=None):
        """Dequeue the lowest pending signal in `mask` for thread `tid` (its own first, as
        the kernel's dequeue_signal looks at the thread's queue before the process's)."""
        best = None
        for p in self.pending:
            if not mask & _bit(p.sig):
                continue
            if p.tid is not None and p.tid != tid:
                continue
            key = (p.sig, p.tid is None)
            if best is None or key < (best.sig, best.tid is None):
                best = p
        if best is not None:
            self.pending.remove(best)
        return best

    # ---- delivery ------------------------------------------------------------------------
    def current_tid(self):
        return self.tid_of(self.s) if self.tid_of is not None else self.pid

    def deliverable(self, tid=None):
        """A pending signal thread `tid` would take now (not blocked), or None."""
        return any(not self.blocked & _bit(p.sig) and (p.tid is None or p.tid == tid)
                   for p in self.pending)

    def deliver_pending(self):
        """Deliver every pending signal the current thread does not block (lowest number
        first, as Linux picks synchronous and then standard signals); then, when no
        handler took it, the thread's saved mask becomes its mask again (do_signal's
        restore_saved_sigmask). May raise ProcessKilled."""
        if self.pending:
            tid = self.current_tid()
            while True:
                p = self.take(~self.blocked & MASK64, tid)
                if p is None:
                    break
                self.deliver(p)
        self.restore_saved_mask()

    # ---- the saved mask (Linux's saved_sigmask) ------------------------------------------
    @property
    def saved_mask(self):
        """The current thread's saved mask, or None: the mask a call that waits under a
        mask of its own (rt_sigsuspend, ppoll, pselect6) replaced. The call ends in one of
        two ways: without a signal to handle (woken, timed out) the saved mask comes back
        at once (restore_saved_mask); interrupted by a signal (-EINTR) it stays until the
        signal is delivered: the handler's frame saves it, so rt_sigreturn restores it,
        and when no handler runs deliver_pending restores it. rt_sigtimedwait never
        replaces the mask (it takes signals of its set whether blocked or not), so it
        saves nothing."""
        return self.saved_masks.get(self.s)

    @saved_mask.setter
    def saved_mask(self, mask):
        if mask is None:
            self.saved_masks.pop(self.s, None)
        else:
            self.saved_masks[self.s] = mask

    def wait_mask(self, new):
        """set_user_sigmask / sigsuspend: the current thread waits with mask `new`
        (SIGKILL and SIGSTOP never blocked), its own mask kept as the saved mask."""
        self.saved_mask = self.blocked
        self.blocked = new & ~UNBLOCKABLE
        self._changed()

    def restore_saved_mask(self):
        """The saved mask, if any, becomes the current thread's mask again."""
        mask = self.saved_mask
        if mask is not None:
            self.saved_mask = None
            if mask != self.blocked:
                self.blocked = mask
                self._changed()

    def force_fault(self, sig, code, addr, trapno=0):
        """A synchronous fault (force_sig_fault): a blocked or ignored fault signal is reset
        to its default action, then the signal is delivered at once."""
        act = self.actions[sig]
        if self.blocked & _bit(sig) or act.handler == SIG_IGN:
            self.actions[sig] = Action()
            self.blocked &= ~_bit(sig)
            self._changed()
        self.deliver(SigInfo(sig, code, K_KERNEL if code == SI_KERNEL else K_FAULT,
                             addr=addr, trapno=trapno))

    def deliver(self, info):
        """Run the action for `info` on the current strand: nothing (ignored), the end of
        the process (ProcessKilled), or the handler with a signal frame, which saves the
        thread's saved mask when it has one (see saved_mask), else its mask."""
        sig = info.sig
        act = self.actions[sig]
        if act.handler == SIG_IGN:
            return
        if act.handler == SIG_DFL:
            if sig in IGNORE or sig in STOP:
                return
            raise ProcessKilled(sig, sig in CORE)
        mask = self.saved_mask
        if mask is None:
            mask = self.blocked
        self.saved_mask = None                 # the frame holds it now
        self.setup_frame(info, act, mask)
        if act.flags & SA_RESETHAND:
            self.actions[sig] = Action()
        self.blocked |= act.mask
        if not act.flags & SA_NODEFER:
            self.blocked |= _bit(sig)
        self.blocked &= ~UNBLOCKABLE
        self.delivered += 1
        self._changed()

    # ---- register windows ------------------------------------------------------------
    def flush_windows(self):
        """synchronize_user_stack(): write every user register window to the stack at its
        %sp, oldest first, the current one last; a window that cannot be written is kept
        in self.wsaved[s]. Afterwards no window is held in registers except the current
        one (whose values stay valid, as the return to user fills it)."""
        St, s, mem = self.St, self.s, self.mem
        R, C = St.R[s], St.C[s]
        saved = self.wsaved.setdefault(s, [])
        retry, saved[:] = saved[:], []
        for sp, vals in retry:                       # windows kept from before
            if not store_window(mem, vals, sp):
                saved.append((sp, vals))
        cwp = int(C[S.CWP])
        n = int(C[S.CANRESTORE]) + int(C[S.OTHERWIN])
        for k in range(n, 0, -1):                    # oldest restorable window first
            w = (cwp - k) % NW
            sp = int(R[S.WIN_BASE + ((w + 1) % NW) * 16 + 8 + 6])
            vals = [int(v) for v in R[S.WIN_BASE + w * 16:S.WIN_BASE + w * 16 + 16]]
            if not store_window(mem, vals, sp):
                saved.append((sp, vals))
        sp = St.get_reg(s, 14)
        vals = [St.get_reg(s, n) for n in range(16, 32)]
        if not store_window(mem, vals, sp):
            saved.append((sp, vals))
        C[S.CANSAVE] = NW - 2
        C[S.CANRESTORE] = 0
        C[S.OTHERWIN] = 0
        if len(saved) > NSWINS:                      # more than the kernel can hold
            raise ProcessKilled(SIGSEGV, True)
        return saved

    def _set_window(self, vals):
        for k in range(16):
            self.St.set_reg(self.s, 16 + k, vals[k])

    def _fill_window(self):
        """The return to user mode after all windows were flushed: the current window is
        filled from its stack at %sp."""
        St, s, mem = self.St, self.s, self.mem
        sp = St.get_reg(s, 14)
        addr = (sp + STACK_BIAS) & MASK64 if sp & 1 else sp & 0xFFFFFFFF
        size = 8 if sp & 1 else 4
        try:
            if addr & (size - 1):
                raise MemFault(addr)
            check_access(mem, addr, 16 * size, PERM_R)
            raw = mem.read(addr, 16 * size)
        except MemFault:
            return False
        self._set_window([int.from_bytes(raw[size * k:size * k + size], "big")
                          for k in range(16)])
        return True

    def flush_trap(self):
        """`ta 3` (FLUSH_WINDOW_TRAP): every window to its stack, then the program goes
        on after the trap; a window that cannot be written is a SIGSEGV on the way back
        (fault_in_user_windows)."""
        C, s = self.St.C, self.s
        saved = self.flush_windows()
        npc = int(C[s, S.NPC])
        C[s, S.PC] = npc
        C[s, S.NPC] = (npc + 4) & MASK64
        C[s, S.INSNS] += 1
        if saved:
            self.force_fault(SIGSEGV, SI_KERNEL, 0)

    # ---- the frame ---------------------------------------------------------------------
    def setup_frame(self, info, act, mask):
        St, s, mem = self.St, self.s, self.mem
        C = St.C
        sig = info.sig
        saved = self.flush_windows()
        sp = St.get_reg(s, 14)
        fef = int(C[s, S.FPRS]) & S.FPRS_FEF
        size = SF_SIZE + (FPU_SIZE if fef else 0) + (RWIN_SIZE if saved else 0)
        usp = (sp + STACK_BIAS) & MASK64
        if self.on_altstack(sp) and not self.on_altstack((sp - size) & MASK64):
            frame_sp = MASK64                         # would overflow the alternate stack
        elif act.flags & SA_ONSTACK and not self.altstack[1] & SS_DISABLE \
                and not self.on_altstack(sp):
            frame_sp = (self.altstack[0] + self.altstack[2] - size) & MASK64
        else:
            frame_sp = (usp - size) & MASK64
        sf = frame_sp & ~15
        if sf & 15 or frame_sp == MASK64:
            raise ProcessKilled(SIGSEGV, True)        # force_sigsegv: bad frame
        # the window copied into the frame's save area: the last one the kernel kept,
        # else the interrupted window (just written to the user stack)
        window = saved[-1][1] if saved else [St.get_reg(s, n) for n in range(16, 32)]
        try:
            check_access(mem, sf, size, PERM_W)
            regs = [0] + [St.get_reg(s, n) for n in range(1, 16)]
            pt = b"".join(r.to_bytes(8, "big") for r in regs) \
                + self._tstate().to_bytes(8, "big") \
                + int(C[s, S.PC]).to_bytes(8, "big") + int(C[s, S.NPC]).to_bytes(8, "big") \
                + (int(C[s, S.Y]) & 0xFFFFFFFF).to_bytes(4, "big") \
                + PT_REGS_MAGIC.to_bytes(4, "big")
            tail = sf + SF_SIZE
            fpu_addr = rwin_addr = 0
            if fef:
                fpu_addr, tail = tail, tail + FPU_SIZE
                fprs = int(C[s, S.FPRS])
                fregs = b"".join(St.get_freg(s, n).to_bytes(4, "big") for n in range(64))
                mem.write(fpu_addr, fregs + int(C[s, S.FSR]).to_bytes(8, "big")
                          + int(C[s, S.GSR]).to_bytes(8, "big") + fprs.to_bytes(8, "big"))
            if saved:
                rwin_addr = tail
                rw = bytearray(RWIN_SIZE)
                rw[0:4] = len(saved).to_bytes(4, "big")
                for i, (wsp, vals) in enumerate(saved):
                    o = RWIN_WINDOWS + 128 * i
                    rw[o:o + 128] = b"".join(v.to_bytes(8, "big") for v in vals)
                    o = RWIN_STKPTRS + 8 * i
                    rw[o:o + 8] = wsp.to_bytes(8, "big")
                mem.write(rwin_addr, bytes(rw))
                self.wsaved[s] = []
            base, flags, ssize = self.altstack
            if self.on_altstack(sp):
                flags = SS_ONSTACK
            stack = base.to_bytes(8, "big") + flags.to_bytes(4, "big") + bytes(4) \
                + ssize.to_bytes(8, "big")
            mem.write(sf + SF_REGS, pt + fpu_addr.to_bytes(8, "big") + stack
                      + mask.to_bytes(8, "big") + rwin_addr.to_bytes(8, "big"))
            mem.write(sf + SF_SS, b"".join(v.to_bytes(8, "big") for v in window))
            if act.flags & SA_SIGINFO:
                mem.write(sf + SF_INFO, info.pack())
            else:
                mem.write(sf + SF_INFO, sig.to_bytes(4, "big"))
                mem.write(sf + SF_INFO + 8, SI_NOINFO.to_bytes(4, "big"))
        except MemFault:
            # no room for the frame: force_sigsegv
            raise ProcessKilled(SIGSEGV, True) from None
        # the handler starts with clean windows; its current window is filled from the
        # frame's save area on the return to user mode
        self._set_window(window)
        St.set_reg(s, 14, sf - STACK_BIAS)
        St.set_reg(s, 8, sig)
        St.set_reg(s, 9, sf + SF_INFO)
        St.set_reg(s, 10, sf + SF_INFO)
        St.set_reg(s, 15, act.restorer)
        C[s, S.PC] = act.handler
        C[s, S.NPC] = (act.handler + 4) & MASK64

    def sigreturn(self):
        """rt_sigreturn: restore the state saved by setup_frame from the frame at %sp, the
        kept register windows included (written back to their stacks). A bad frame is a
        SIGSEGV."""
        St, s, mem = self.St, self.s, self.mem
        C = St.C
        self.flush_windows()
        sf = (St.get_reg(s, 14) + STACK_BIAS) & MASK64
        try:
            if sf & 15:
                raise MemFault(sf)
            check_access(mem, sf, SF_SIZE, PERM_R)
            raw = mem.read(sf + SF_REGS, 160)
            regs = [int.from_bytes(raw[8 * i:8 * i + 8], "big") for i in range(20)]
            tstate, tpc, tnpc = regs[16], regs[17], regs[18]
            y = int.from_bytes(raw[152:156], "big")
            if (regs[14] + STACK_BIAS) & 7 or (tpc | tnpc) & 3:
                raise MemFault(tpc)
            fpu = mem.read_u64(sf + SF_FPU_SAVE)
            stack = mem.read(sf + SF_STACK, 24)
            mask = mem.read_u64(sf + SF_MASK)
            rwin = mem.read_u64(sf + SF_RWIN_SAVE)
            fdata = None
            if fpu:
                if fpu & 7:
                    raise MemFault(fpu)
                check_access(mem, fpu, FPU_SIZE, PERM_R)
                fdata = mem.read(fpu, FPU_SIZE)
            windows = None
            if rwin:
                if rwin & 7:
                    raise MemFault(rwin)
                check_access(mem, rwin, RWIN_SIZE, PERM_R)
                rw = mem.read(rwin, RWIN_SIZE)
                n = int.from_bytes(rw[0:4], "big", signed=True)
                if n > NSWINS:
                    raise MemFault(rwin)
                windows = []
                for i in range(max(n, 0)):
                    o = RWIN_WINDOWS + 128 * i
                    vals = [int.from_bytes(rw[o + 8 * k:o + 8 * k + 8], "big")
                            for k in range(16)]
                    o = RWIN_STKPTRS + 8 * i
                    windows.append((int.from_bytes(rw[o:o + 8], "big"), vals))
        except MemFault:
            self._sigreturn_failed()
            return
        for n in range(1, 16):
            St.set_reg(s, n, regs[n])
        C[s, S.CCR] = (tstate >> 32) & 0xFF
        C[s, S.ASI] = (tstate >> 24) & 0xFF
        C[s, S.Y] = y
        if fdata:
            # every word comes back (the frame holds them all: Linux copies the halves
            # FPRS marks dirty, which are the halves a program ever wrote)
            fprs = int.from_bytes(fdata[272:280], "big")
            for n in range(64):
                St.set_freg(s, n, int.from_bytes(fdata[4 * n:4 * n + 4], "big"))
            C[s, S.FSR] = int.from_bytes(fdata[256:264], "big")
            C[s, S.GSR] = int.from_bytes(fdata[264:272], "big")
            C[s, S.FPRS] = int(C[s, S.FPRS]) | (fprs & 7) | S.FPRS_FEF
        self._set_altstack(stack, St.get_reg(s, 14))   # EPERM etc. are ignored, as Linux
        if windows is not None:
            # restore_rwin_state: the windows go back to their stacks now
            left = [(wsp, vals) for wsp, vals in reversed(windows)
                    if not store_window(mem, vals, wsp)]
            self.wsaved[s] = list(reversed(left))
            if left:
                C[s, S.PC], C[s, S.NPC] = tpc, tnpc
                self._sigreturn_failed()
                return
        C[s, S.PC] = tpc
        C[s, S.NPC] = tnpc
        self.blocked = mask & ~UNBLOCKABLE
        self._changed()
        if not self._fill_window():
            raise ProcessKilled(SIGSEGV, True)

    def _sigreturn_failed(self):
        """force_sig(SIGSEGV) from rt_sigreturn: the handler, if any, runs again (si_code
        SI_KERNEL), else the process ends."""
        act = self.actions[SIGSEGV]
        if act.handler in (SIG_DFL, SIG_IGN) or self.blocked & _bit(SIGSEGV):
            raise ProcessKilled(SIGSEGV, True)
        self.force_fault(SIGSEGV, SI_KERNEL, 0)

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
            check_access(mem, ucp, UC_SIZE, PERM_W)
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
        context or when a register window cannot be written to its stack (the caller
        raises SIGSEGV)."""
        St, s, mem = self.St, self.s, self.mem
        C = St.C
        ucp = St.get_reg(s, 8)
        try:
            if ucp & 7:
                raise MemFault(ucp)
            check_access(mem, ucp, UC_SIZE, PERM_R)
            raw = mem.read(ucp, UC_SIZE)
            g = [int.from_bytes(raw[UC_GREGS + 8 * i:UC_GREGS + 8 * i + 8], "big")
                 for i in range(19)]
            if (g[1] | g[2]) & 3:
                raise MemFault(g[1])
            fp = int.from_bytes(raw[UC_FP:UC_FP + 8], "big")
            i7 = int.from_bytes(raw[UC_I7:UC_I7 + 8], "big")
            # every register window goes to the stack, the current one included, as the
            # kernel's trap entry and flush do; one that cannot is a SIGSEGV
            if self.flush_windows():
                return False
            new_sp = g[17]
            frame = (new_sp + STACK_BIAS) & MASK64
            if new_sp & 1:
                check_access(mem, frame + 14 * 8, 16, PERM_W)
                mem.write(frame + 14 * 8, fp.to_bytes(8, "big") + i7.to_bytes(8, "big"))
                # ... and the return to user mode fills this window from the new %sp.
                check_access(mem, frame, 128, PERM_R)
                saved = mem.read(frame, 128)
            else:
                saved = None
        except MemFault:
            return False
        if St.get_reg(s, 9):
            self.blocked = int.from_bytes(raw[UC_SIGMASK:UC_SIGMASK + 8], "big") \
                & ~UNBLOCKABLE
            self._changed()
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
            self._set_window([int.from_bytes(saved[8 * k:8 * k + 8], "big")
                              for k in range(16)])
        C[s, S.INSNS] += 1
        return True

    def _tstate(self):
        C, s = self.St.C, self.s
        return (((int(C[s, S.CCR]) & 0xFF) << 32) | ((int(C[s, S.ASI]) & 0xFF) << 24)
                | ((int(C[s, S.PSTATE]) & 0x1FFF) << 8) | (int(C[s, S.CWP]) & 0x1F))

    # ---- exec ----------------------------------------------------------------------------
    def exec_reset(self):
        """What execve does to signals (flush_signal_handlers, de_thread): caught signals
        go back to SIG_DFL (ignored ones stay ignored), flags and masks of the actions
        are cleared, the alternate stack is disabled; the mask and pending signals stay."""
        for sig in range(1, NSIG + 1):
            a = self.actions[sig]
            if a.handler != SIG_IGN:
                self.actions[sig] = Action()
            else:
                self.actions[sig] = Action(SIG_IGN)
        self.altstack = (0, SS_DISABLE, 0)
        self.wsaved = {}
        self.saved_masks = {}
        self._changed()


def host_signal_for(sig):
    """The host signal number with the same meaning as guest signal `sig`, or None.
    Guest SIGEMT has no host twin: it travels between simulators as SIGSTKFLT, which the
    guest does not have."""
    name = SIGNAMES.get(sig)
    if name == "SIGEMT":
        name = "SIGSTKFLT"
    if name and hasattr(host_signal, name):
        return int(getattr(host_signal, name))
    if 32 <= sig <= NSIG:
        h = host_signal.SIGRTMIN + (sig - 32)
        if h <= host_signal.SIGRTMAX:
            return int(h)
    return None


def guest_signal_for(h):
    """The guest signal number for host signal `h` (the inverse of host_signal_for), or
    None."""
    for sig in range(1, NSIG + 1):
        if host_signal_for(sig) == h:
            return sig
    return None


def die_by_signal(sig, forked=False):
    """End the simulator the way the program died: with the same host signal, default
    action, no core file (as qemu-user). SIGEMT has no host twin: a process forked by a
    guest dies with SIGSTKFLT, which its parent simulator reads back as SIGEMT; the
    simulator the user started exits with status 128 + 7 instead. Does not return."""
    h = host_signal_for(sig)
    if sig == SIGEMT and not forked:
        h = None
    if h is not None:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(
                resource.RLIMIT_CORE)[1]))
        except (ValueError, OSError):
            pass
        try:
            host_signal.signal(h, host_signal.SIG_DFL)
            host_signal.pthread_sigmask(host_signal.SIG_UNBLOCK, [h])
            os.kill(os.getpid(), h)
        except (OSError, ValueError):
            pass
    # no host equivalent or the signal did not end us
    os._exit(128 + (h or sig))
