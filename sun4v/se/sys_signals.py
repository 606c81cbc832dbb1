"""Sending and waiting for signals (class SignalCalls, a mixin of syscalls.Syscalls):
kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, rt_sigsuspend and
rt_sigtimedwait. (glibc's pause() is ppoll(NULL, 0, NULL, NULL): sys_poll.py.)

Facts from Linux kernel/signal.c (kill: pid > 0 one process, 0 the caller's process
group, -1 every process it may signal but itself, < -1 a group; a thread id names its
whole thread group; rt_sigqueueinfo may not forge kernel or kill() senders for another
process; sigsuspend waits with the given mask until a handler ran, then -EINTR, the
handler's frame keeping the old mask; sigtimedwait takes a pending signal of the set, or
sleeps with the set unblocked: EAGAIN at the timeout, EINTR when another signal's
handler runs).
Other processes are host processes: their signals are sent with the host's kill
(signals.host_signal_for); kill(-1, sig) reaches only the processes the program forked
(chosen: not every process of the host's user). sparc64's pause (29) is
sys_nis_syscall (ENOSYS).
"""
import os

from . import signals as SG
from .linux_abi import ERRNO
from .sysbase import GuestError, _s32, guest_errno
from .waits import SIGSUSPEND, SIGWAIT, Wait

E = ERRNO


class SignalCalls:
    """kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, rt_sigsuspend,
    rt_sigtimedwait (mixin of syscalls.Syscalls)."""

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
            raise GuestError(E["EINVAL"])
        return self.mem.read_u64(addr) & ~SG.UNBLOCKABLE

    def sys_rt_sigsuspend(self, mask, size, *_):
        new = self._user_mask(mask, size)
        self.signals.wait_mask(new)          # the handler's frame saves the old mask
        return self.block(Wait(SIGSUSPEND))

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
