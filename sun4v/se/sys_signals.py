"""Sending and waiting for signals (class SignalCalls, a mixin of syscalls.Syscalls):
kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, rt_sigsuspend, rt_sigtimedwait,
and ppoll without file descriptors (glibc's pause() is ppoll(NULL, 0, NULL, NULL)).

Facts from Linux kernel/signal.c (kill: pid > 0 one process, 0 the caller's process
group, -1 every process it may signal but itself, < -1 a group; a thread id names its
whole thread group; rt_sigqueueinfo may not forge kernel or kill() senders for another
process; sigsuspend waits with the given mask until a handler ran, then -EINTR, the
handler's frame keeping the old mask; sigtimedwait takes a pending signal of the set, or
sleeps with the set unblocked: EAGAIN at the timeout, EINTR when another signal's
handler runs) and fs/select.c (ppoll's mask during the wait and its remaining time).
Other processes are host processes: their signals are sent with the host's kill
(signals.host_signal_for); kill(-1, sig) reaches only the processes the program forked
(chosen: not every process of the host's user). sparc64's pause (29) is
sys_nis_syscall (ENOSYS).
"""
import os

from . import signals as SG
from .linux_abi import ERRNO
from .waits import SIGPOLL, SIGSUSPEND, SIGWAIT, Wait

E = ERRNO
NS = 10**9


def _s32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >> 31 else x


def _s64(x):
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >> 63 else x


class SignalCalls:
    """kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, rt_sigsuspend,
    rt_sigtimedwait, ppoll with no fds (mixin of syscalls.Syscalls)."""

    # ---- sending -----------------------------------------------------------------------------
    def _our_tid(self, tid):
        if self.threads is None:
            return tid == self.pid
        return self.threads.by_tid(tid) is not None

    def _host_kill(self, pid, sig, group=False):
        """Send guest signal `sig` to host process (group) `pid`: 0 or -errno."""
        h = 0 if sig == 0 else SG.host_signal_for(sig)
        if h is None:
            return -E["EINVAL"]
        try:
            if group:
                os.killpg(pid, h)
            else:
                os.kill(pid, h)
        except ProcessLookupError:
            return -E["ESRCH"]
        except PermissionError:
            return -E["EPERM"]
        except OSError as e:
            from .syscalls import guest_errno
            return -guest_errno(e)
        if self.process is not None:
            self.process.poll_host_now()     # a signal to ourselves arrives before we go on
        return 0

    def _local(self, sig, code=SG.SI_USER, tid=None):
        return self.signals.send(sig, info=SG.SigInfo(
            sig, code, SG.K_KILL, pid=self.pid, uid=os.getuid(), tid=tid))

    def sys_kill(self, pid, sig, *_):
        pid = _s32(pid)
        sig &= 0xFFFFFFFF
        if sig > SG.NSIG:
            return -E["EINVAL"]
        if pid > 0:
            if pid == self.pid or self._our_tid(pid):
                return self._local(sig)
            return self._host_kill(pid, sig)
        if pid == 0:
            return self._host_kill(os.getpgrp(), sig, group=True)
        if pid == -1:
            # Linux: every process the caller may signal but itself. Chosen: the
            # processes this program forked (a simulated program does not get to
            # signal every process of the host's user); ESRCH when there are none
            kids = sorted(self.process.children) if self.process is not None else []
            sent = 0
            for k in kids:
                if self._host_kill(k, sig) == 0:
                    sent += 1
            return 0 if sent else -E["ESRCH"]
        if pid == -(1 << 31):
            return -E["ESRCH"]
        return self._host_kill(-pid, sig, group=True)

    def sys_tkill(self, tid, sig, *_):
        tid = _s32(tid)
        sig &= 0xFFFFFFFF
        if tid <= 0:
            return -E["EINVAL"]
        if sig > SG.NSIG:
            return -E["EINVAL"]
        if not self._our_tid(tid):
            return -E["ESRCH"]
        return self._local(sig, SG.SI_TKILL, tid)

    def sys_tgkill(self, tgid, tid, sig, *_):
        tgid, tid = _s32(tgid), _s32(tid)
        sig &= 0xFFFFFFFF
        if tgid <= 0 or tid <= 0 or sig > SG.NSIG:
            return -E["EINVAL"]
        if tgid != self.pid:
            if tgid == tid:                 # another process's main thread
                return self._host_kill(tgid, sig)
            return -E["ESRCH"]
        if not self._our_tid(tid):
            return -E["ESRCH"]
        return self._local(sig, SG.SI_TKILL, tid)

    def _queue(self, pid, sig, uinfo, tid=None):
        sig &= 0xFFFFFFFF
        if not 1 <= sig <= SG.NSIG:
            return -E["EINVAL"]
        raw = self.mem.read(uinfo, 128)
        code = int.from_bytes(raw[8:12], "big", signed=True)
        own = pid == self.pid
        if (code >= 0 or code == SG.SI_TKILL) and not own:
            return -E["EPERM"]
        if not own:
            return self._host_kill(pid, sig)     # the host carries no sigval across
        info = SG.SigInfo(sig, code, SG.K_RT, tid=tid,
                          pid=int.from_bytes(raw[16:20], "big"),
                          uid=int.from_bytes(raw[20:24], "big"),
                          value=int.from_bytes(raw[24:32], "big"))
        return self.signals.send(sig, info=info)

    def sys_rt_sigqueueinfo(self, pid, sig, uinfo, *_):
        return self._queue(_s32(pid), sig, uinfo)

    def sys_rt_tgsigqueueinfo(self, tgid, tid, sig, uinfo, *_):
        tgid, tid = _s32(tgid), _s32(tid)
        if tgid <= 0 or tid <= 0:
            return -E["EINVAL"]
        if tgid == self.pid and not self._our_tid(tid):
            return -E["ESRCH"]
        return self._queue(tgid, sig, uinfo, tid if tgid == self.pid else None)

    # ---- waiting -----------------------------------------------------------------------------
    def _user_mask(self, addr, size):
        if size != 8:
            raise _err(E["EINVAL"])
        return self.mem.read_u64(addr) & ~SG.UNBLOCKABLE

    def sys_rt_sigsuspend(self, mask, size, *_):
        new = self._user_mask(mask, size)
        sig = self.signals
        w = Wait(SIGSUSPEND)
        w.saved_mask = sig.blocked
        sig.blocked = new
        sig._changed()
        return self.block(w)

    def sys_rt_sigtimedwait(self, uset, uinfo, uts, size, *_):
        want = self._user_mask(uset, size)
        timeout = None
        if uts:
            from .sys_timers import timespec_ns
            timeout = timespec_ns(self.mem, uts)
        sig = self.signals
        tid = sig.current_tid()

        def attempt():
            p = sig.take(want, tid)
            if p is None:
                return None
            if uinfo:
                self.mem.write(uinfo, p.pack())
            return p.sig
        r = attempt()
        if r is not None:
            return r
        if timeout == 0:
            return -E["EAGAIN"]
        w = Wait(SIGWAIT)
        w.check = attempt
        w.timeout = lambda: -E["EAGAIN"]
        if timeout is not None:
            w.deadline = self.mono_ns() + timeout
        return self.block(w)

    def sys_ppoll(self, ufds, nfds, tsp, sigmask, sigsetsize, *_):
        """ppoll with no descriptors waits for a signal or the timeout; calls with
        descriptors are the file layer's (the next class in Syscalls' bases)."""
        if nfds & 0xFFFFFFFF:
            nxt = getattr(super(), "sys_ppoll", None)
            return nxt(ufds, nfds, tsp, sigmask, sigsetsize) if nxt else -E["ENOSYS"]
        from .sys_timers import read_timespec, timespec_bytes
        timeout = None
        if tsp:
            sec, nsec = read_timespec(self.mem, tsp)
            if sec < 0 or not 0 <= nsec < NS:
                return -E["EINVAL"]
            timeout = sec * NS + nsec
        new = self._user_mask(sigmask, sigsetsize) if sigmask else None
        if timeout == 0:
            return 0
        sig = self.signals
        w = Wait(SIGPOLL)
        if new is not None:
            w.saved_mask = sig.blocked
            sig.blocked = new
            sig._changed()
        if timeout is not None:
            w.deadline = self.mono_ns() + timeout

        def left():
            if tsp and timeout is not None:
                rest = max(0, w.deadline - self.mono_ns())
                self.mem.write(tsp, timespec_bytes(rest))

        def timed_out():
            left()
            return 0
        w.timeout = timed_out
        w.interrupted = left
        return self.block(w)


def _err(e):
    from .syscalls import GuestError
    return GuestError(e)
