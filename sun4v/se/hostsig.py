"""The host side of a guest process's signals. Guest processes are host processes (fork
forks the simulator, as qemu-user does), so a signal one guest sends another, a child's
exit (SIGCHLD) and a signal from outside (Ctrl-C, kill) all arrive as host signals.

The simulator keeps each host signal in step with the guest's disposition of the same
signal (signals.host_signal_for): while the guest would be terminated by it (SIG_DFL, not
blocked) the host default action applies, so the simulator ends by that very signal and
the parent sees the guest's wait status; while the guest ignores it, the host ignores it;
while the guest catches or blocks it, the host blocks it and the run loop takes it with
sigtimedwait (with the sender's siginfo) at its safe points -- budget slices, system call
exits and idle waits -- and makes it a guest signal. SIGCHLD is always taken that way:
it also wakes threads waiting for a child. Signals the simulator needs for itself keep
their host handling: SIGSEGV, SIGBUS, SIGILL, SIGFPE (faults of the simulator), SIGPIPE
(writes report EPIPE, system calls turn that into the guest's SIGPIPE), SIGKILL/SIGSTOP
and the job-control stops (SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT stop and continue the
simulator as a whole).
"""
import ctypes
import os
import resource
import select
import signal as HS
import threading
import time

from . import signals as SG

_LIBC = ctypes.CDLL(None, use_errno=True)
_signalfd = _LIBC.signalfd
_signalfd.restype = ctypes.c_int
_signalfd.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
SFD_NONBLOCK, SFD_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
_SIGSET_WORDS = 1024 // (8 * ctypes.sizeof(ctypes.c_ulong))    # glibc's sigset_t

_KEEP = {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGPIPE", "SIGKILL", "SIGSTOP",
         "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGCONT"}


def _managed():
    out = {}
    for g in range(1, SG.NSIG + 1):
        h = SG.host_signal_for(g)
        if h is None:
            continue
        try:
            name = HS.Signals(h).name
        except ValueError:            # a real-time signal without a name of its own
            name = ""
        if name not in _KEEP:
            out[h] = g
    return out


MANAGED = _managed()          # host signal -> guest signal
H_SIGCHLD = int(HS.SIGCHLD)


class HostSignals:
    """The bridge for one simulator process. start() before the run, stop() after;
    sync() whenever the guest's dispositions or masks change; poll()/wait() take the
    signals the host holds for the guest."""

    def __init__(self):
        self.active = False
        self.queued = frozenset()
        self.disp = {}
        self.saved = {}
        self.saved_mask = None
        self.saved_core = None
        self.sfd = None               # signalfd of the held signals (wait with fds)
        self.sfd_set = None

    def start(self):
        """Take over the managed host signals (main thread only; elsewhere the bridge
        stays off and guest signals are only those the process sends itself)."""
        if self.active or threading.current_thread() is not threading.main_thread():
            return
        self.saved = {h: HS.getsignal(h) for h in MANAGED}
        self.saved_mask = HS.pthread_sigmask(HS.SIG_BLOCK, [])
        try:                                  # default-action deaths leave no core file
            self.saved_core = resource.getrlimit(resource.RLIMIT_CORE)
            resource.setrlimit(resource.RLIMIT_CORE, (0, self.saved_core[1]))
        except (ValueError, OSError):
            self.saved_core = None
        self.active = True
        self.queued = frozenset()
        self.disp = {}

    def stop(self):
        """Give the host signals back as they were (signals still held are dropped)."""
        if not self.active:
            return
        self.poll()
        self.active = False
        if self.sfd is not None:
            os.close(self.sfd)
            self.sfd = self.sfd_set = None
        HS.pthread_sigmask(HS.SIG_SETMASK, self.saved_mask)
        for h, d in self.saved.items():
            try:
                HS.signal(h, d if d is not None else HS.SIG_DFL)
            except (OSError, ValueError, TypeError):
                pass
        if self.saved_core is not None:
            try:
                resource.setrlimit(resource.RLIMIT_CORE, self.saved_core)
            except (ValueError, OSError):
                pass

    def sync(self, actions, blocked):
        """Bring the host in step with the guest: `actions` the guest's dispositions,
        `blocked` the union of its threads' masks."""
        if not self.active:
            return
        queued = set()
        disp = {}
        for h, g in MANAGED.items():
            a = actions[g]
            bit = 1 << (g - 1)
            if h == H_SIGCHLD or blocked & bit or a.handler not in (SG.SIG_DFL, SG.SIG_IGN):
                queued.add(h)
                disp[h] = HS.SIG_DFL
            elif a.handler == SG.SIG_IGN:
                disp[h] = HS.SIG_IGN
            else:
                disp[h] = HS.SIG_DFL
        queued = frozenset(queued)
        if queued != self.queued:
            # block first, then change dispositions: nothing slips through in between
            HS.pthread_sigmask(HS.SIG_SETMASK, set(self.saved_mask) | queued)
            self.queued = queued
        for h, d in disp.items():
            if self.disp.get(h) is not d:
                HS.signal(h, d)
                self.disp[h] = d

    def poll(self):
        """The host signals held for the guest now (host siginfo objects), oldest first."""
        out = []
        if not self.active or not self.queued:
            return out
        while True:
            info = HS.sigtimedwait(self.queued, 0)
            if info is None:
                return out
            out.append(info)

    def wait(self, timeout, fds=()):
        """Block until a held host signal arrives, one of the host file descriptors
        `fds` ((fd, poll events) pairs) is ready, or `timeout` seconds pass (None: no
        limit). Returns the host siginfo of a signal, else None."""
        held = self.active and self.queued
        if not fds:
            if not held:
                if timeout is None:
                    raise RuntimeError("waiting for a signal with no host signals held")
                time.sleep(max(0.0, timeout))
                return None
            if timeout is None:
                return HS.sigwaitinfo(self.queued)
            return HS.sigtimedwait(self.queued, max(0.0, timeout))
        # the held signals are blocked, so a wait for the fds would not see them: a
        # signalfd for them joins the fds (its readiness: one of them is pending)
        p = select.poll()
        for fd, events in fds:
            p.register(fd, events)
        if held:
            p.register(self._signal_fd(), select.POLLIN)
        ms = None if timeout is None else max(0, int(-(-timeout * 1000 // 1)))
        p.poll(ms)
        return HS.sigtimedwait(self.queued, 0) if held else None

    def _signal_fd(self):
        """A signalfd (non-blocking, close-on-exec) whose set is the held signals."""
        if self.sfd is None or self.sfd_set != self.queued:
            mask = (ctypes.c_ulong * _SIGSET_WORDS)()
            bits = 8 * ctypes.sizeof(ctypes.c_ulong)
            for h in self.queued:
                mask[(h - 1) // bits] |= 1 << ((h - 1) % bits)
            fd = _signalfd(-1 if self.sfd is None else self.sfd, mask,
                           SFD_NONBLOCK | SFD_CLOEXEC)
            if fd < 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
            self.sfd, self.sfd_set = fd, self.queued
        return self.sfd


def guest_info(hinfo):
    """The guest SigInfo for a host siginfo (signal numbers and child statuses
    translated)."""
    g = MANAGED.get(hinfo.si_signo) or SG.guest_signal_for(hinfo.si_signo)
    code = hinfo.si_code
    if g == SG.SIGCHLD and code in (SG.CLD_KILLED, SG.CLD_DUMPED, SG.CLD_STOPPED,
                                    SG.CLD_TRAPPED, SG.CLD_CONTINUED):
        status = SG.guest_signal_for(hinfo.si_status) or hinfo.si_status
        return SG.SigInfo(g, code, SG.K_CHLD, pid=hinfo.si_pid, uid=hinfo.si_uid,
                          status=status)
    if g == SG.SIGCHLD and code == SG.CLD_EXITED:
        return SG.SigInfo(g, code, SG.K_CHLD, pid=hinfo.si_pid, uid=hinfo.si_uid,
                          status=hinfo.si_status)
    if code == SG.SI_KERNEL:
        return SG.SigInfo(g, code, SG.K_KERNEL)
    kind = SG.K_RT if code == SG.SI_QUEUE else SG.K_KILL
    return SG.SigInfo(g, code, kind, pid=hinfo.si_pid, uid=hinfo.si_uid)
