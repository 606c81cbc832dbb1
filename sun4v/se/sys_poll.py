"""Waiting for file descriptors (class PollCalls, a mixin of syscalls.Syscalls): poll,
ppoll (with no fds and no timeout: glibc's pause), select (sparc64 has it twice: select
93 and _newselect 230, both sys_select) and pselect6, and the wait of a read that would
block.

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
(set_user_sigmask / restore_saved_sigmask_unless: the thread's saved mask,
Signals.saved_mask, which after an interruption the handler's frame keeps).

How a call waits (the kernel's sleep on the files' wait queues): the fds are checked at
once (the host's ppoll with a zero timeout, on the host fds behind the guest's); when
nothing the call wants is ready, a signal the thread does not block is pending, or the
timeout is zero, the call ends there. Otherwise the thread blocks (waits.Wait, kind
POLL): the run loop checks its fds again at every safe point (while other threads run)
and, when no thread can run, the host waits for those fds, the held signals and the
next deadline together (hostsig.HostSignals.wait) -- so another thread's write, a
child's, input from outside, a signal (EINTR: ERESTARTNOHAND, not restarted) and a
timer all end the wait as they would under Linux. The timeout runs on the monotonic
clock: the host's in functional mode, the simulated one in cycle mode (where, while
every thread waits for host fds, simulated time advances with the host's wait).
A read (read, readv) from a host fd with nothing to read, unless it is non-blocking,
waits the same way before it reads (kind IO; a signal restarts it after an SA_RESTART
handler, ERESTARTSYS): `when_ready`.
"""
import ctypes
import errno as host_errno
import fcntl
import os

from .signals import SIGKILL, SIGSTOP
from .sysbase import EBADF, EINTR, EINVAL, NOFILE_CUR, GuestError, _s32, _s64, libc_fn
from .threads import BLOCK
from .waits import IO, POLL, Wait

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
    """poll, ppoll, select, _newselect, pselect6, and the wait before a read (mixin of
    syscalls.Syscalls: uses self.fds, self.mem, self.signals, self.threads, self.block
    and self.mono_ns)."""

    # ---- the wait --------------------------------------------------------------------------
    def _wait_fds(self, entries, timeout_ns, finish, left=None):
        """Wait for the host (fd, events) `entries` (fd -1: skipped) as the module text
        says. finish(revents, final) gives the call's result from the host revents list
        (writing what it reports to the guest), or None when nothing it wants is ready
        and `final` is False. left(ns) writes back the time left (select, ppoll,
        pselect6). Returns the result, -EINTR, or BLOCK (the thread waits)."""
        start = self.mono_ns() if left is not None else 0
        n = len(entries)
        arr = (_PollFd * max(n, 1))()
        for i, (h, ev) in enumerate(entries):
            arr[i].fd, arr[i].events = h, ev

        def attempt(final):
            for i in range(n):
                arr[i].revents = 0
            _host_ppoll(arr, n, _Timespec(0, 0))
            return finish([arr[i].revents & 0xFFFF for i in range(n)], final)

        r = attempt(timeout_ns == 0)
        sig = self.signals
        if r is None and sig is not None and sig.deliverable(sig.current_tid()):
            r = -EINTR
        if r is not None:
            if left is not None:
                left(max(0, timeout_ns - (self.mono_ns() - start)))
            return r
        w = Wait(POLL)                  # ERESTARTNOHAND: -EINTR after a handler
        w.fds = [(h, ev) for h, ev in entries if h >= 0]
        if timeout_ns is not None:
            w.deadline = self.mono_ns() + timeout_ns

        def done(final):
            r = attempt(final)
            if r is not None and left is not None:
                left(self._left(w))
            return r
        w.check = self.guarded(lambda: done(False))
        w.timeout = self.guarded(lambda: done(True))
        if left is not None:
            w.interrupted = self.guarded(lambda: left(self._left(w)))
        return self.block(w)

    def _left(self, w):
        """Time left of a blocked wait's timeout, in ns (None: no timeout)."""
        if w.deadline is None:
            return None
        return max(0, w.deadline - self.mono_ns())

    def when_ready(self, h, events, op):
        """op() -- a read from host fd h -- once h is ready for `events`: at once when it
        is (or reports an error or hangup), when h is non-blocking (op gives EAGAIN), or
        when the process has no threads model (the host call then blocks); else the
        thread blocks until it is (waits.IO: a signal interrupts the wait, and the call
        runs again after an SA_RESTART handler: ERESTARTSYS)."""
        if self.threads is None or _host_ready(h, events) or \
                fcntl.fcntl(h, fcntl.F_GETFL) & os.O_NONBLOCK:
            return op()
        w = Wait(IO, restart=Wait.RESTART_SA)
        w.fds = [(h, events)]
        w.check = self.guarded(lambda: op() if _host_ready(h, events) else None)
        return self.block(w)

    # ---- the signal mask during ppoll / pselect6 ---------------------------------------
    def _wait_mask(self, sigmask, size):
        """set_user_sigmask: the mask in force during the wait, or None (no change)."""
        if not sigmask:
            return None
        if size != SIGSET_SIZE:
            raise GuestError(EINVAL)
        return self.mem.read_u64(sigmask) & ~(_bit(SIGKILL) | _bit(SIGSTOP))

    def _with_mask(self, new, wait):
        """Run wait() under mask `new` (None: the thread's own), the thread's mask kept
        as its saved mask (Signals.saved_mask): a result other than -EINTR puts it back
        now (a blocked wait: when it ends, process.Process._wake); after -EINTR the
        handler's frame keeps it."""
        sig = self.signals
        if new is None or sig is None:
            return wait()
        sig.wait_mask(new)
        try:
            result = wait()
        except BaseException:
            sig.restore_saved_mask()
            raise
        if result is not BLOCK and result != -EINTR:
            sig.restore_saved_mask()
        return result

    # ---- poll / ppoll ------------------------------------------------------------------------
    def _do_poll(self, ufds, nfds, timeout_ns, left=None):
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

        def finish(revs, final):
            out = bytearray(raw)
            count = 0
            for i in range(nfds):
                rev = POLLNVAL if nval[i] else guest_events(revs[i])
                out[8 * i + 6:8 * i + 8] = rev.to_bytes(2, "big")
                count += rev != 0
            if not count and not final:
                return None
            if nfds:
                self.check_range(ufds, 8 * nfds, write=True)
                self.mem.write(ufds, bytes(out))
            return count
        return self._wait_fds(entries, timeout_ns, finish, left)

    def sys_poll(self, ufds, nfds, timeout, *_):
        t = _s32(timeout)
        return self._do_poll(ufds, nfds, None if t < 0 else t * 10**6)

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

    def _left_writer(self, tsp, timeout, timeval=False):
        """poll_select_finish: a function that writes the time left back to the
        timeout (not for a zero or absent timeout; a timeout in read-only memory is
        left alone), or None."""
        if not timeout:
            return None

        def put(left):
            if left is None:
                return
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
        return put

    def sys_ppoll(self, ufds, nfds, tsp, sigmask, sigsetsize, *_):
        """ppoll; with no fds and no timeout it waits for a signal (glibc's pause)."""
        timeout = self._get_timespec(tsp)
        new = self._wait_mask(sigmask, sigsetsize)
        left = self._left_writer(tsp, timeout)
        return self._with_mask(new, lambda: self._do_poll(ufds, nfds, timeout, left))

    # ---- select / pselect6 -----------------------------------------------------------------
    def _do_select(self, n, inp, outp, exp, timeout_ns, left=None):
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

        def finish(revs, final):
            out = [0, 0, 0]
            count = 0
            for fd, rev in zip(fds, revs):
                b = 1 << fd
                for k, want in enumerate((POLLIN_SET, POLLOUT_SET, POLLEX_SET)):
                    if sets[k] & b and rev & want:
                        out[k] |= b
                        count += 1
            if not count and not final:
                return None
            for k, p in enumerate((inp, outp, exp)):
                if p and nbytes:
                    self.check_range(p, nbytes, write=True)
                    self.mem.write(p, _swap_longs(out[k].to_bytes(nbytes, "little")))
            return count
        return self._wait_fds(entries, timeout_ns, finish, left)

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
        return self._do_select(n, inp, outp, exp, timeout,
                               self._left_writer(tvp, timeout, timeval=True))

    def sys__newselect(self, n, inp, outp, exp, tvp, *_):
        return self.sys_select(n, inp, outp, exp, tvp)

    def sys_pselect6(self, n, inp, outp, exp, tsp, sig):
        sigmask = size = 0
        if sig:
            self.check_range(sig, 16)
            sigmask, size = self.mem.read_u64(sig), self.mem.read_u64(sig + 8)
        timeout = self._get_timespec(tsp)
        new = self._wait_mask(sigmask, size)
        left = self._left_writer(tsp, timeout)
        return self._with_mask(new, lambda: self._do_select(n, inp, outp, exp, timeout,
                                                            left))


def _host_ready(h, events):
    """Whether host fd h is ready for `events` now (or reports an error or a hangup)."""
    arr = (_PollFd * 1)()
    arr[0].fd, arr[0].events = h, events
    _host_ppoll(arr, 1, _Timespec(0, 0))
    return arr[0].revents != 0


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
