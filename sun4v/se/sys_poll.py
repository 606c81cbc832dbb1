"""Waiting for file descriptors (class PollCalls, a mixin of syscalls.Syscalls): poll,
ppoll, select (sparc64 has it twice: select 93 and _newselect 230, both sys_select) and
pselect6.

Layouts (sparc64): struct pollfd {int fd; short events, revents} (8 B); the poll bits
of asm/poll.h, where POLLWRNORM is POLLOUT and POLLWRBAND 0x100, POLLMSG 0x200,
POLLREMOVE 0x400, POLLRDHUP 0x800 (converted to and from the host's); fd_set an array of
64-bit big-endian longs, fd n being bit n % 64 of long n / 64; select's timeout a struct
timeval {long tv_sec; int tv_usec} padded to 16 B, ppoll's and pselect6's a struct
timespec {long tv_sec; long tv_nsec}; pselect6's sixth argument a struct {sigset_t *p;
size_t size}.

Semantics (fs/select.c): the checks and their order (EFAULT for the timeout, EINVAL for
a negative or denormal one, EINVAL for a signal set size other than 8, EINVAL for more
pollfds than RLIMIT_NOFILE, EINVAL for a negative select count, which is clamped to the
fd table size; EBADF for a closed fd in a select set, POLLNVAL for one in a pollfd,
negative pollfd fds ignored); the results (revents as the file reports them, POLLERR
and POLLHUP always; select counts an fd once per set it is ready in: readable on
IN/RDNORM/RDBAND/HUP/ERR, writable on OUT/WRNORM/WRBAND/ERR, exceptional on PRI); the
remaining time written back by select, pselect6 and ppoll (not for a zero timeout);
ppoll's and pselect6's signal mask in force during the wait and put back afterwards
(after a handler it interrupted ran: Signals.saved_mask).

Choices (documented): the host waits for the host fds behind the guest's (host ppoll),
as qemu-user does, for the whole timeout when the process has no other thread that
could run: a pipe another thread of the program would write cannot be waited for that
way, so when other threads can run the call does not block the simulator: it checks
without waiting and, when nothing is ready, the calling thread retries the system call
after the others had their turn (its trap re-executed), until something is ready, a
signal is pending (EINTR) or the timeout has passed in simulated time (the process's
instructions at one per chip cycle in functional mode, the chip clock in cycle mode:
deterministic). In cycle mode a wait that ran out costs the strand the timeout in
simulated time, as nanosleep does.
"""
import ctypes
import errno as host_errno
import os
import time

from .signals import SIGKILL, SIGSTOP
from .sysbase import (EBADF, EINTR, EINVAL, NO_RETURN, NOFILE_CUR, GuestError, _s32, _s64,
                      libc_fn)

c_int = ctypes.c_int

# guest (sparc) poll bits -> host (generic) poll bits; bits 0..7 agree
_G_WRBAND, _G_MSG, _G_REMOVE, _G_RDHUP = 0x100, 0x200, 0x400, 0x800
_H_WRNORM, _H_WRBAND, _H_MSG, _H_REMOVE, _H_RDHUP = 0x100, 0x200, 0x400, 0x1000, 0x2000
POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 1, 2, 4, 8, 0x10, 0x20
POLLRDNORM, POLLRDBAND = 0x40, 0x80
_PAIRS = ((_G_WRBAND, _H_WRBAND), (_G_MSG, _H_MSG), (_G_REMOVE, _H_REMOVE),
          (_G_RDHUP, _H_RDHUP))
# fs/select.c
POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR
POLLOUT_SET = _H_WRBAND | _H_WRNORM | POLLOUT | POLLERR
POLLEX_SET = POLLPRI
SIGSET_SIZE = 8


class _PollFd(ctypes.Structure):
    _fields_ = [("fd", c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_ppoll = libc_fn("ppoll", c_int, ctypes.POINTER(_PollFd), ctypes.c_ulong,
                 ctypes.POINTER(_Timespec), ctypes.c_void_p)


def host_events(g):
    """Guest poll bits -> host poll bits (sparc's POLLOUT is also POLLWRNORM)."""
    h = g & 0xFF
    if g & POLLOUT:
        h |= _H_WRNORM
    for gb, hb in _PAIRS:
        if g & gb:
            h |= hb
    return h


def guest_events(h):
    """Host poll bits -> guest poll bits."""
    g = h & 0xFF
    if h & _H_WRNORM:
        g |= POLLOUT
    for gb, hb in _PAIRS:
        if h & hb:
            g |= gb
    return g


def _bit(sig):
    return 1 << (sig - 1)


class PollCalls:
    """poll, ppoll, select, _newselect, pselect6 (mixin of syscalls.Syscalls: uses
    self.fds, self.mem, self.signals, self.threads, self.clock_ns, self.sleep_ns,
    self.retry_syscall and the per-call state self.wait_retry, self.last_wait_ns)."""

    # ---- the wait --------------------------------------------------------------------------
    def _sim_ns(self):
        """Simulated time for a retried wait (see the module text)."""
        if self.clock_ns is not None:
            return self.clock_ns()
        return self.insns_to_ns(self.process_insns())

    def _others_can_run(self):
        tg = self.threads
        return tg is not None and any(s != self.s for s in tg.runnable())

    def _signal_waiting(self, mask):
        sig = self.signals
        return sig is not None and any(not mask & _bit(p[0]) for p in sig.pending)

    def _wait(self, entries, timeout_ns, mask, judge):
        """Wait until judge(host revents list) > 0 for the host (fd, events) `entries`
        (fd -1: skipped), at most timeout_ns (None: no limit). Returns the revents list
        (ready or timed out; self.last_wait_ns says how long it waited), NO_RETURN when
        the thread retries the call later, or -EINTR."""
        arr = (_PollFd * max(len(entries), 1))()
        for i, (h, ev) in enumerate(entries):
            arr[i].fd, arr[i].events, arr[i].revents = h, ev, 0
        n = len(entries)

        def revents():
            return [arr[i].revents & 0xFFFF for i in range(n)]

        rec = self.wait_retry.get(self.s)           # (start, deadline) of a retried wait
        _host_ppoll(arr, n, _Timespec(0, 0))
        revs = revents()
        if judge(revs) or timeout_ns == 0:
            self.wait_retry.pop(self.s, None)
            self.last_wait_ns = self._sim_ns() - rec[0] if rec else 0
            return revs
        if self._signal_waiting(mask):
            self.wait_retry.pop(self.s, None)
            return -EINTR
        if self._others_can_run():
            now = self._sim_ns()
            if rec is None:
                rec = (now, None if timeout_ns is None else now + timeout_ns)
                self.wait_retry[self.s] = rec
                self.count_wait()
            if rec[1] is not None and now >= rec[1]:
                del self.wait_retry[self.s]
                self.last_wait_ns = timeout_ns
                return revs
            self.retry_syscall()
            return NO_RETURN
        self.wait_retry.pop(self.s, None)
        # nobody else can make an fd ready: the host waits
        self.count_wait()
        start = time.monotonic_ns()
        while True:
            if timeout_ns is None:
                ts = None
            else:
                left = timeout_ns - (time.monotonic_ns() - start)
                if left <= 0:
                    break
                ts = _Timespec(left // 10**9, left % 10**9)
            if _host_ppoll(arr, n, ts) == 0:
                break                              # the time ran out
            revs = revents()
            if judge(revs):
                break
            # only events the caller did not ask for (POLLHUP on an fd select wants
            # exceptions of): Linux sleeps on
        revs = revents()
        waited = time.monotonic_ns() - start
        if self.clock_ns is not None:               # cycle mode: the strand waited
            waited = timeout_ns if not judge(revs) and timeout_ns is not None else waited
            self.sleep_ns = waited
        self.last_wait_ns = waited
        return revs

    def _remaining(self, timeout_ns):
        """The time left of a wait that returned (select/ppoll write it back)."""
        return max(0, timeout_ns - self.last_wait_ns)

    # ---- the signal mask during ppoll / pselect6 ---------------------------------------
    def _wait_mask(self, sigmask, size):
        """set_user_sigmask: the mask in force during the wait, or None (no change)."""
        if not sigmask:
            return None
        if size != SIGSET_SIZE:
            raise GuestError(EINVAL)
        return self.mem.read_u64(sigmask) & ~(_bit(SIGKILL) | _bit(SIGSTOP))

    def _mask_now(self, new=None):
        if new is not None:
            return new
        return self.signals.blocked if self.signals is not None else 0

    def _end_mask(self, new, result):
        """An interrupted wait lets the handler run under the wait's mask and puts the
        old one back when the handler returns (Signals.saved_mask); otherwise the old
        mask simply stays."""
        sig = self.signals
        if new is not None and sig is not None and result == -EINTR:
            sig.saved_mask = sig.blocked
            sig.blocked = new

    # ---- poll / ppoll ------------------------------------------------------------------------
    def _do_poll(self, ufds, nfds, timeout_ns, mask):
        nfds &= 0xFFFFFFFF
        if nfds > NOFILE_CUR:
            return -EINVAL
        raw = self.mem.read(ufds, 8 * nfds) if nfds else b""
        entries, nval = [], []
        for i in range(nfds):
            fd = _s32(int.from_bytes(raw[8 * i:8 * i + 4], "big"))
            ev = int.from_bytes(raw[8 * i + 4:8 * i + 6], "big")
            h = self.fds.host.get(fd) if fd >= 0 else None
            nval.append(fd >= 0 and h is None)
            entries.append((-1, 0) if h is None else (h, host_events(ev)))
        res = self._wait(entries, 0 if any(nval) else timeout_ns, mask,
                         lambda revs: sum(1 for r in revs if r))
        if res is NO_RETURN or isinstance(res, int):
            return res
        out = bytearray(raw)
        count = 0
        for i in range(nfds):
            rev = POLLNVAL if nval[i] else guest_events(res[i])
            out[8 * i + 6:8 * i + 8] = rev.to_bytes(2, "big")
            count += rev != 0
        if nfds:
            self.check_range(ufds, 8 * nfds, write=True)
            self.mem.write(ufds, bytes(out))
        return count

    def sys_poll(self, ufds, nfds, timeout, *_):
        t = _s32(timeout)
        return self._do_poll(ufds, nfds, None if t < 0 else t * 10**6, self._mask_now())

    def _get_timespec(self, tsp):
        """A struct timespec timeout in ns (None for NULL): EINVAL unless valid."""
        if not tsp:
            return None
        raw = self.mem.read(tsp, 16)
        sec = _s64(int.from_bytes(raw[:8], "big"))
        nsec = _s64(int.from_bytes(raw[8:], "big"))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise GuestError(EINVAL)
        return sec * 10**9 + nsec

    def _put_left(self, tsp, timeout, timeval=False):
        """poll_select_finish: the time left written back (not for a zero timeout; a
        timeout in read-only memory is left alone)."""
        if not timeout:
            return
        left = self._remaining(timeout)
        if timeval:
            data = ((left // 10**9).to_bytes(8, "big")
                    + (left % 10**9 // 1000).to_bytes(4, "big") + bytes(4))
        else:
            data = (left // 10**9).to_bytes(8, "big") + (left % 10**9).to_bytes(8, "big")
        try:
            self.check_range(tsp, 16, write=True)
        except GuestError:
            return
        self.mem.write(tsp, data)

    def sys_ppoll(self, ufds, nfds, tsp, sigmask, sigsetsize, *_):
        timeout = self._get_timespec(tsp)
        new = self._wait_mask(sigmask, sigsetsize)
        result = self._do_poll(ufds, nfds, timeout, self._mask_now(new))
        if result is not NO_RETURN:
            self._end_mask(new, result)
            self._put_left(tsp, timeout)
        return result

    # ---- select / pselect6 -----------------------------------------------------------------
    def _do_select(self, n, inp, outp, exp, timeout_ns, mask):
        n = _s32(n)
        if n < 0:
            return -EINVAL
        n = min(n, self.fds.max_fds)
        nbytes = (n + 63) // 64 * 8
        sets = [int.from_bytes(_swap_longs(self.mem.read(p, nbytes)), "little")
                if p and nbytes else 0 for p in (inp, outp, exp)]
        live = (sets[0] | sets[1] | sets[2]) & ((1 << n) - 1)
        entries, fds = [], []
        for fd in range(live.bit_length()):
            if not live >> fd & 1:
                continue
            h = self.fds.host.get(fd)
            if h is None:
                return -EBADF
            ev = 0
            if sets[0] >> fd & 1:
                ev |= POLLIN | POLLRDNORM | POLLRDBAND
            if sets[1] >> fd & 1:
                ev |= POLLOUT | _H_WRNORM | _H_WRBAND
            if sets[2] >> fd & 1:
                ev |= POLLPRI
            entries.append((h, ev))
            fds.append(fd)

        def ready(revs):
            out = [0, 0, 0]
            count = 0
            for fd, rev in zip(fds, revs):
                b = 1 << fd
                for k, want in enumerate((POLLIN_SET, POLLOUT_SET, POLLEX_SET)):
                    if sets[k] & b and rev & want:
                        out[k] |= b
                        count += 1
            return count, out

        res = self._wait(entries, timeout_ns, mask, lambda revs: ready(revs)[0])
        if res is NO_RETURN or isinstance(res, int):
            return res
        count, out = ready(res)
        for k, p in enumerate((inp, outp, exp)):
            if p and nbytes:
                self.check_range(p, nbytes, write=True)
                self.mem.write(p, _swap_longs(out[k].to_bytes(nbytes, "little")))
        return count

    def _get_timeval(self, tvp):
        """select's struct timeval: tv_usec beyond a second carries into tv_sec; EINVAL
        for a negative time (fs/select.c kern_select, poll_select_set_timeout)."""
        if not tvp:
            return None
        raw = self.mem.read(tvp, 16)
        sec = _s64(int.from_bytes(raw[:8], "big"))
        usec = _s32(int.from_bytes(raw[8:12], "big"))
        q = abs(usec) // 10**6 * (1 if usec >= 0 else -1)        # C division
        sec += q
        nsec = (usec - q * 10**6) * 1000
        if sec < 0 or not 0 <= nsec < 10**9:
            raise GuestError(EINVAL)
        return sec * 10**9 + nsec

    def sys_select(self, n, inp, outp, exp, tvp, *_):
        timeout = self._get_timeval(tvp)
        result = self._do_select(n, inp, outp, exp, timeout, self._mask_now())
        if result is not NO_RETURN:
            self._put_left(tvp, timeout, timeval=True)
        return result

    def sys__newselect(self, n, inp, outp, exp, tvp, *_):
        return self.sys_select(n, inp, outp, exp, tvp)

    def sys_pselect6(self, n, inp, outp, exp, tsp, sig):
        sigmask = size = 0
        if sig:
            self.check_range(sig, 16)
            sigmask, size = self.mem.read_u64(sig), self.mem.read_u64(sig + 8)
        timeout = self._get_timespec(tsp)
        new = self._wait_mask(sigmask, size)
        result = self._do_select(n, inp, outp, exp, timeout, self._mask_now(new))
        if result is not NO_RETURN:
            self._end_mask(new, result)
            self._put_left(tsp, timeout)
        return result


def _host_ppoll(arr, n, ts):
    """The host's ppoll on a _PollFd array (ts: _Timespec or None): the number ready, 0
    when the time ran out. A host EINTR (Python's own signal handlers have run) waits on
    for the same time again."""
    while True:
        r = _ppoll(arr, n, None if ts is None else ctypes.byref(ts), None)
        if r >= 0:
            return r
        e = ctypes.get_errno()
        if e != host_errno.EINTR:
            raise OSError(e, os.strerror(e))


def _swap_longs(b):
    """Big-endian longs <-> little-endian longs (fd_set bit order as one integer)."""
    return b"".join(b[i:i + 8][::-1] for i in range(0, len(b), 8))
