"""A thread blocked in a system call until something happens: a signal arrives, a child
changes state, a deadline passes (nanosleep, sigtimedwait, sigsuspend, pause, wait4...).

The system call hands a Wait to WaitCalls.block(); the thread sleeps (threads.BLOCKED).
The run loop (process.py) looks at every waiting thread at its safe points: `check()`
may end the wait with a result; else a signal the thread does not block ends it the way
the kernel's syscall_restart does (arch/sparc/kernel/signal_64.c): -EINTR, or for
ERESTARTSYS calls whose handler has SA_RESTART the system call trap runs again (PC back
to the `ta`, %o0 the original first argument); else at the deadline `timeout()` gives
the result. A wait for host file descriptors (poll, select, a read that would block)
names them in `fds`, so that the run loop's idle wait wakes when one becomes ready. A
call that waits under a mask of its own keeps the caller's mask as the thread's saved
mask (signals.Signals.saved_mask): a wait that ends without a signal puts it back, an
interrupted one leaves it to the signal's delivery. Futex waits (threads.py) are
separate.
"""
from ..cmt import state as S
from ..cmt.memory import MemFault
from .sysbase import EFAULT, GuestError, guest_errno
from .threads import BLOCK, BLOCKED

MASK64 = (1 << 64) - 1

SLEEP, SIGSUSPEND, SIGWAIT, CHILD, POLL, IO = (
    "sleep", "sigsuspend", "sigwait", "child", "poll", "io")


class Wait:
    """One blocked system call."""
    # how a signal handler ends it (ERESTART* in the kernel)
    EINTR_WITH_HANDLER = 0       # ERESTARTNOHAND / ERESTART_RESTARTBLOCK: -EINTR
    RESTART_SA = 1               # ERESTARTSYS: restarted when the handler has SA_RESTART

    __slots__ = ("kind", "restart", "base", "deadline", "ta_pc", "orig_o0", "fds",
                 "check", "timeout", "interrupted", "thread")

    def __init__(self, kind, restart=EINTR_WITH_HANDLER):
        self.kind = kind
        self.restart = restart
        self.base = 0                # timer base of the deadline (sys_timers.BASE_*)
        self.deadline = None         # ns on that base, None: no limit
        self.ta_pc = 0
        self.orig_o0 = 0
        self.fds = ()                # host (fd, poll events) whose readiness ends it
        self.check = None            # () -> result, or None while it must go on waiting
        self.timeout = None          # () -> result at the deadline
        self.interrupted = None      # () -> None, before an interruption's -EINTR
        self.thread = None


class WaitCalls:
    """block() for the system call mixins of syscalls.Syscalls."""

    waiting = 0             # threads blocked in a Wait (the run loop keeps the count)

    def block(self, w):
        """Put the calling thread to sleep in Wait `w`; a handler returns what this
        returns (threads.BLOCK)."""
        tg = self.threads
        if tg is None:
            raise RuntimeError("a blocking system call needs the process's threads")
        C, s = self.St.C, self.s
        w.ta_pc = (int(C[s, S.PC]) - 4) & MASK64    # handle() moved PC past the `ta`
        w.orig_o0 = self.reg(8)
        t = tg.threads[s]
        t.state = BLOCKED
        t.wait = w
        w.thread = t
        self.waiting += 1
        return BLOCK

    def guarded(self, fn):
        """`fn` (a Wait's check or timeout) made to return what a system call handler
        returns when it raises: -errno for a GuestError, a fault on guest memory or a
        host OSError (as Syscalls.handle does)."""
        def call():
            try:
                return fn()
            except GuestError as e:
                return -e.err
            except MemFault:
                return -EFAULT
            except OSError as e:
                return -guest_errno(e)
        return call
