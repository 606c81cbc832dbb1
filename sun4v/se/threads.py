"""Threads of a syscall-emulation process, each bound to one strand of the chip: clone
for threads, futex wait/wake, set_robust_list, gettid and thread exit, as Linux does them.

Facts: clone's sparc64 calling convention from Linux arch/sparc/kernel/process.c
(sparc_clone: flags %o0, new stack %o1, parent tid pointer %o2, TLS %o3, child tid
pointer %o4) and process_64.c (copy_thread: the child returns %o0 = parent's pid,
%o1 = 1, the parent %o1 = 0; CLONE_SETTLS puts the TLS into %g7; clone_stackframe copies
the parent's current frame to the top of the new stack, 16-byte aligned, with the V9
stack bias); glibc sysdeps/unix/sysv/linux/sparc/sparc64/clone.S (the child is told
apart by %o1 != 0); kernel/futex (FUTEX_WAIT/WAKE, _BITSET, REQUEUE/CMP_REQUEUE;
EAGAIN when the word differs; thread exit with CLONE_CHILD_CLEARTID stores 0 at the
child tid address and wakes one waiter there).

Choices (this simulator's, documented): the main thread runs on strand 0 and every new
thread on the lowest free strand below the --strands limit; none free -> clone fails
with EAGAIN and sun4v warns once. Waiters are woken first-come first-served. Timeouts
are deterministic: a timed wait nobody wakes ends with ETIMEDOUT only when no strand can
run any more (the earliest such waiter first); if nobody can run and nobody waits with a
timeout, the program is deadlocked (Process reports it and exits 1)."""
import os

from ..cmt import state as S
from ..cmt.memory import MemFault
from .loader import STACK_BIAS

MASK64 = (1 << 64) - 1
CARRY = S.CC_C | (S.CC_C << 4)

# clone flags (include/uapi/linux/sched.h)
CSIGNAL = 0xFF
CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x100000, 0x200000, 0x1000000

# futex operations (include/uapi/linux/futex.h); bit 7 private, bit 8 CLOCK_REALTIME
FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE = 0, 1, 3, 4
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_CMD_MASK = 0x7F
BITSET_ANY = 0xFFFFFFFF

# guest errno values
EAGAIN, EINVAL, ENOSYS, ETIMEDOUT = 11, 22, 90, 60          # sparc: ETIMEDOUT 60

RUNNABLE, BLOCKED = 0, 1

# A handler result meaning "the calling thread sleeps; its result is written on wake-up".
BLOCK = object()


class Thread:
    """One Linux task of the process, bound to a strand."""
    __slots__ = ("tid", "strand", "clear_tid", "robust_list", "sigmask", "state",
                 "wait_addr", "wait_bitset", "wait_timed", "wait_seq", "blocked_at",
                 "blocked_cycles", "wait")

    def __init__(self, tid, strand, sigmask=0):
        self.tid = tid
        self.strand = strand
        self.clear_tid = 0
        self.robust_list = 0
        self.sigmask = sigmask
        self.state = RUNNABLE
        self.wait_addr = 0
        self.wait_bitset = 0
        self.wait_timed = False
        self.wait_seq = 0
        self.blocked_at = 0
        self.blocked_cycles = 0
        self.wait = None             # waits.Wait of a system call other than futex


def clone_stackframe(mem, regs, newsp):
    """The new stack of a clone (process_64.c clone_stackframe): the caller's current frame
    copied to the 16-byte aligned top of `newsp`, its saved %fp pointing at that top;
    `regs` (r0..r31 of the caller) become the child's %sp, %fp. False on a bad address."""
    sp = regs[14]
    psp = (sp + STACK_BIAS) & MASK64
    distance = (regs[30] + STACK_BIAS - psp) & MASK64
    if not 128 <= distance <= 1 << 16:
        distance = 192                  # a frame that does not end at %fp: one frame
    csp = (newsp + STACK_BIAS) & ~15 & MASK64
    rval = csp - distance
    try:
        frame = bytearray(mem.read(psp, distance))
    except MemFault:
        return False
    ins = regs[24:32]
    ins[6] = (csp - STACK_BIAS) & MASK64
    frame[0:128] = b"".join(v.to_bytes(8, "big") for v in regs[16:24] + ins)
    try:
        mem.write(rval, bytes(frame))
    except MemFault:
        return False
    regs[24:32] = ins
    regs[14] = (rval - STACK_BIAS) & MASK64
    return True


def set_result(St, s, result):
    """Write a system call's result into strand s as the kernel's syscall return does:
    %o0 and the carry of icc/xcc (set with the positive errno on failure)."""
    C = St.C
    ccr = int(C[s, S.CCR])
    if result < 0:
        St.set_reg(s, 8, -result)
        C[s, S.CCR] = ccr | CARRY
    else:
        St.set_reg(s, 8, result)
        C[s, S.CCR] = ccr & ~CARRY


class ThreadGroup:
    """The threads of one process and the futex wait queue they share.

    Process drives the strands; this class changes thread states and records what the
    scheduler must act on: `created` (strands of new threads), `woken` (strands whose
    wait ended), `exited` (strands freed)."""

    def __init__(self, St, mem, pid, max_strands):
        self.St = St
        self.mem = mem
        self.pid = pid
        self.max_strands = max_strands
        self.threads = {0: Thread(pid, 0)}          # strand -> Thread
        self.next_tid = pid + 1
        self.waiters = []                           # blocked threads, in arrival order
        self.seq = 0
        self.created, self.woken, self.exited = [], [], []
        self.warned_eagain = False
        self.main_status = None                     # main thread's exit(), if it called it
        self.peak = 1
        self.total_created = 1
        self.futex_waits = 0
        self.futex_wakes = 0
        self.timeouts = 0

    # ---- queries -------------------------------------------------------------------------
    def runnable(self):
        """Strands whose thread can run, in strand order."""
        return [s for s, t in sorted(self.threads.items()) if t.state == RUNNABLE]

    def tid_of(self, s):
        return self.threads[s].tid

    def by_tid(self, tid):
        for t in self.threads.values():
            if t.tid == tid:
                return t
        return None

    # ---- clone -----------------------------------------------------------------------------
    def free_strand(self):
        for s in range(self.max_strands):
            if s not in self.threads:
                return s
        return None

    def clone(self, s, flags, newsp, ptid, tls, ctid, sigmask):
        """A new thread sharing the address space (CLONE_VM|CLONE_THREAD). The caller's PC
        has already moved past the trap. Returns the child's tid or -errno."""
        c = self.free_strand()
        if c is None:
            if not self.warned_eagain:
                self.warned_eagain = True
                os.write(2, (f"sun4v: no free strand for a new thread (--strands "
                             f"{self.max_strands}): clone returns EAGAIN\n").encode())
            return -EAGAIN
        St, mem = self.St, self.mem
        parent = self.threads[s]
        tid = self.next_tid
        regs = [St.get_reg(s, n) for n in range(32)]
        if newsp:
            if not clone_stackframe(mem, regs, newsp):
                return -14                      # EFAULT
        try:
            if flags & CLONE_PARENT_SETTID:
                mem.write_u32(ptid, tid)
            if flags & CLONE_CHILD_SETTID:
                mem.write_u32(ctid, tid)
        except MemFault:
            return -14
        self.next_tid += 1
        # registers: a copy of the parent's, fresh register windows around the current one
        C = St.C
        done = int(C[c, S.INSNS])                 # a reused strand keeps its count
        C[c, :] = C[s, :]
        C[c, S.STRAND_ID] = c
        C[c, S.INSNS] = done
        C[c, S.CYCLE] = C[s, S.CYCLE]
        St.F[c, :] = St.F[s, :]
        St.R[c, :] = 0
        St.R[c, :S.WIN_BASE] = St.R[s, :S.WIN_BASE]      # every global set
        C[c, S.CANSAVE] = S.NWINDOWS - 2
        C[c, S.CANRESTORE] = 0
        C[c, S.OTHERWIN] = 0
        C[c, S.CLEANWIN] = S.NWINDOWS - 1
        St.sync_map(c)
        for n in range(8, 32):
            St.set_reg(c, n, regs[n])
        St.set_reg(c, 8, parent.tid)                      # child: %o0 = parent's pid
        St.set_reg(c, 9, 1)                               #        %o1 = 1
        C[c, S.CCR] = int(C[c, S.CCR]) & ~CARRY
        if flags & CLONE_SETTLS:
            St.set_reg(c, 7, tls)
        St.set_reg(s, 9, 0)                               # parent: %o1 = 0
        t = Thread(tid, c, sigmask)
        if flags & CLONE_CHILD_CLEARTID:
            t.clear_tid = ctid
        self.threads[c] = t
        self.created.append(c)
        self.total_created += 1
        self.peak = max(self.peak, len(self.threads))
        return tid

    def only(self, s, pid):
        """After fork (in the child) or execve: the thread on strand s is the only one,
        with tid `pid`. Returns the strands of the threads that are gone."""
        t = self.threads[s]
        gone = [x for x in self.threads if x != s]
        self.threads = {s: t}
        t.tid = pid
        self.pid = pid
        self.next_tid = max(self.next_tid, pid + 1)
        self.waiters = []
        self.created, self.woken, self.exited = [], [], []
        self.main_status = None
        return gone

    # ---- thread exit --------------------------------------------------------------------
    def exit_thread(self, s, status):
        """The thread on strand s ends (exit). Returns the process exit status when it was
        the last thread, else None."""
        t = self.threads.pop(s)
        if s == 0 or t.tid == self.pid:
            self.main_status = status
        if t.clear_tid:
            try:
                self.mem.write_u32(t.clear_tid, 0)
                self.wake(t.clear_tid, 1, BITSET_ANY)
            except MemFault:
                pass
        self.exited.append(s)
        if not self.threads:
            return self.main_status if self.main_status is not None else status
        return None

    # ---- futex ------------------------------------------------------------------------------
    def futex(self, s, uaddr, op, val, timeout, uaddr2, val3):
        cmd = op & FUTEX_CMD_MASK
        val &= 0xFFFFFFFF
        if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
            bitset = BITSET_ANY if cmd == FUTEX_WAIT else val3 & 0xFFFFFFFF
            if bitset == 0 or uaddr & 3:
                return -EINVAL
            if self.mem.read_u32(uaddr) != val:
                return -EAGAIN
            t = self.threads[s]
            t.state = BLOCKED
            t.wait_addr, t.wait_bitset, t.wait_timed = uaddr, bitset, timeout != 0
            self.seq += 1
            t.wait_seq = self.seq
            self.waiters.append(t)
            self.futex_waits += 1
            return BLOCK
        if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
            bitset = BITSET_ANY if cmd == FUTEX_WAKE else val3 & 0xFFFFFFFF
            if bitset == 0 or uaddr & 3:
                return -EINVAL
            return self.wake(uaddr, _nr(val), bitset)
        if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
            if uaddr & 3 or uaddr2 & 3:
                return -EINVAL
            if cmd == FUTEX_CMP_REQUEUE and self.mem.read_u32(uaddr) != val3 & 0xFFFFFFFF:
                return -EAGAIN
            woken = self.wake(uaddr, _nr(val), BITSET_ANY)
            moved = 0
            limit = _nr(timeout & 0xFFFFFFFF)        # val2 travels in the timeout argument
            for t in self.waiters:
                if moved >= limit:
                    break
                if t.wait_addr == uaddr:
                    t.wait_addr = uaddr2
                    moved += 1
            return woken + moved if cmd == FUTEX_CMP_REQUEUE else woken
        return -ENOSYS

    def wake(self, uaddr, n, bitset):
        woken = 0
        for t in list(self.waiters):
            if woken >= n:
                break
            if t.wait_addr == uaddr and t.wait_bitset & bitset:
                self.resume(t, 0)
                woken += 1
        self.futex_wakes += woken
        return woken

    def resume(self, t, result):
        self.waiters.remove(t)
        t.state = RUNNABLE
        set_result(self.St, t.strand, result)
        self.woken.append(t.strand)

    def expire_timeout(self):
        """No strand can run: the earliest timed waiter's wait ends with ETIMEDOUT. Returns
        False when nobody waits with a timeout (a deadlock)."""
        for t in self.waiters:
            if t.wait_timed:
                self.timeouts += 1
                self.resume(t, -ETIMEDOUT)
                return True
        return False

    def stats(self):
        return {"threads_created": self.total_created, "threads_peak": self.peak,
                "strand_limit": self.max_strands, "futex_waits": self.futex_waits,
                "futex_wakes": self.futex_wakes, "futex_timeouts": self.timeouts}


def _nr(v):
    """A futex count argument: an int; INT_MAX and negatives mean 'all'."""
    v &= 0xFFFFFFFF
    if v >= 0x80000000:
        return 1 << 62
    return v
