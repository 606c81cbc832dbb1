"""A thread blocked in a system call until something happens: a signal arrives, a child
changes state, a deadline passes (nanosleep, sigtimedwait, sigsuspend, pause, wait4...).

The system call hands a Wait to WaitCalls.block(); the thread sleeps (threads.BLOCKED).
The run loop (process.py) looks at every waiting thread at its safe points: `check()`
may end the wait with a result; else a signal the thread does not block ends it the way
the kernel's syscall_restart does (arch/sparc/kernel/signal_64.c): -EINTR, or for
ERESTARTSYS calls whose handler has SA_RESTART the system call trap runs again (PC back
to the `ta`, %o0 the original first argument); else at the deadline `timeout()` gives
the result. Futex waits (threads.py) are separate.
"""
from ..cmt import state as S
from .threads import BLOCK, BLOCKED

MASK64 = (1 << 64) - 1

SLEEP, SIGSUSPEND, SIGWAIT, CHILD, SIGPOLL = "sleep", "sigsuspend", "sigwait", "child", "ppoll"


class Wait:
    """One blocked system call."""
    # how a signal handler ends it (ERESTART* in the kernel)
    EINTR_WITH_HANDLER = 0       # ERESTARTNOHAND / ERESTART_RESTARTBLOCK: -EINTR
    RESTART_SA = 1               # ERESTARTSYS: restarted when the handler has SA_RESTART

    __slots__ = ("kind", "restart", "base", "deadline", "ta_pc", "orig_o0", "saved_mask",
                 "check", "timeout", "interrupted", "thread")

    def __init__(self, kind, restart=EINTR_WITH_HANDLER):
        self.kind = kind
        self.restart = restart
        self.base = 0                # timer base of the deadline (sys_timers.BASE_*)
        self.deadline = None         # ns on that base, None: no limit
        self.ta_pc = 0
        self.orig_o0 = 0
        self.saved_mask = None       # sigsuspend/ppoll: the mask to put back after it
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
