"""Timers and sleeping (class TimerCalls, a mixin of syscalls.Syscalls): alarm,
setitimer/getitimer (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF), the POSIX timers
(timer_create/settime/gettime/getoverrun/delete with SIGEV_SIGNAL, SIGEV_NONE and
SIGEV_THREAD_ID), nanosleep and clock_nanosleep.

Facts from Linux kernel/time/itimer.c (alarm rounds up to whole seconds and returns the
seconds left, rounded to the nearest, at least 1 while armed; ITIMER_REAL expiry sends
SIGALRM as SEND_SIG_PRIV: si_code SI_KERNEL; an interval below the clock's resolution
is raised to it), posix-timers.c (ids from 0, lowest free; SIGEV_SIGNAL si_code SI_TIMER
with si_timerid, si_overrun, si_value; a timer's signal is queued once, further expiries
while it is pending are overruns; timer_gettime of a disarmed timer is zero; an absolute
time in the past expires at once), hrtimer.c/nanosleep (EINTR with the time left written
to rem for a relative sleep) and the sparc64 layouts: struct itimerval {timeval
it_interval, it_value} with timeval {long tv_sec; int tv_usec} padded to 16 bytes,
struct itimerspec {timespec it_interval, it_value} with timespec {long, long}, struct
sigevent {sigval value (8), int signo, int notify, int tid} (asm-generic/siginfo.h).

Time (the clocks the rest of the emulation uses, Syscalls.clock_ns): functional mode
follows the host's monotonic and realtime clocks, cycle mode the chip's simulated clock.
The CPU-time clocks are sys_rusage's simulated CPU time in both modes (one chip cycle
per instruction, SYSTEM_CYCLES per system call): ITIMER_PROF and the CPU-clock POSIX
timers and sleeps run on the process's user + system time, ITIMER_VIRTUAL on its user
time, the same figures getrusage, times and clock_gettime report. Timers are checked by the run loop
at its safe points (budget slices, system call exits); when no thread can run the loop
sleeps (functional) or advances simulated time (cycle) to the next deadline.
"""
import time

from ..cmt.memory import MemFault

from . import signals as SG
from .linux_abi import ERRNO
from .sysbase import SIM_EPOCH_NS, GuestError

EINVAL, EAGAIN, EOPNOTSUPP = ERRNO["EINVAL"], ERRNO["EAGAIN"], ERRNO["EOPNOTSUPP"]

NS = 10**9
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2
ITIMER_SIGNALS = (SG.SIGALRM, SG.SIGVTALRM, SG.SIGPROF)
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = 4, 5, 6, 7
CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI = 8, 9, 11
TIMER_CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                CLOCK_THREAD_CPUTIME_ID, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM,
                CLOCK_BOOTTIME_ALARM, CLOCK_TAI)
SLEEP_CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI,
                CLOCK_PROCESS_CPUTIME_ID)
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
TIMER_ABSTIME = 1
TIMER_MAX = 1 << 16                     # timers a process may have (chosen)
RES_NS = 1                              # clock resolution (clock_getres says 1 ns)
M64 = (1 << 64) - 1

# the time bases: what a deadline is measured in
BASE_MONO, BASE_REAL, BASE_CPU, BASE_VIRT = range(4)
_CLOCK_BASE = {CLOCK_REALTIME: BASE_REAL, CLOCK_REALTIME_ALARM: BASE_REAL,
               CLOCK_TAI: BASE_REAL, CLOCK_MONOTONIC: BASE_MONO, CLOCK_BOOTTIME: BASE_MONO,
               CLOCK_BOOTTIME_ALARM: BASE_MONO, CLOCK_PROCESS_CPUTIME_ID: BASE_CPU,
               CLOCK_THREAD_CPUTIME_ID: BASE_CPU}


def _s64(x):
    x &= M64
    return x - (1 << 64) if x >> 63 else x


class Timer:
    """One timer: an interval timer (id None) or a POSIX timer."""
    __slots__ = ("id", "base", "clock", "deadline", "interval", "sig", "notify", "value",
                 "tid", "info", "overrun_last")

    def __init__(self, base, sig, notify=SIGEV_SIGNAL, value=0, tid=None, id_=None,
                 clock=None):
        self.id = id_
        self.base = base
        self.clock = clock
        self.deadline = None            # in the base's ns, None: disarmed
        self.interval = 0
        self.sig = sig
        self.notify = notify
        self.value = value
        self.tid = tid                  # SIGEV_THREAD_ID: the thread to signal
        self.info = None                # the SigInfo queued for the last expiry
        self.overrun_last = 0


class Timers:
    """The interval timers and POSIX timers of one process. `now(base)` reads a clock."""

    def __init__(self, now):
        self.now = now
        self.itimers = [Timer(BASE_MONO, SG.SIGALRM), Timer(BASE_VIRT, SG.SIGVTALRM),
                        Timer(BASE_CPU, SG.SIGPROF)]
        self.posix = {}

    def armed(self):
        return [t for t in self.itimers + list(self.posix.values()) if t.deadline is not None]

    def next_deadline(self):
        """The earliest deadline of a timer on the monotonic or realtime clock, as a
        monotonic time in ns (CPU-time timers do not advance while nobody runs)."""
        best = None
        for t in self.armed():
            if t.base == BASE_MONO:
                d = t.deadline
            elif t.base == BASE_REAL:
                d = t.deadline - self.now(BASE_REAL) + self.now(BASE_MONO)
            else:
                continue
            best = d if best is None else min(best, d)
        return best

    def fire(self, signals):
        """Send the signals of every timer whose time has come (re-arming periodic ones,
        counting the periods missed as overruns). Returns how many expired."""
        n = 0
        for t in self.armed():
            now = self.now(t.base)
            if now < t.deadline:
                continue
            n += 1
            missed = 0
            if t.interval:
                k = (now - t.deadline) // t.interval + 1
                t.deadline += k * t.interval
                missed = k - 1
            else:
                t.deadline = None
            self._signal(t, signals, missed)
        return n

    def _signal(self, t, signals, missed):
        if t.id is None:                    # an interval timer: SEND_SIG_PRIV
            signals.send(t.sig, info=SG.SigInfo(t.sig, SG.SI_KERNEL, SG.K_KERNEL))
            return
        if t.notify == SIGEV_NONE:
            return
        if t.info is not None and t.info in signals.pending:
            t.info.overrun += 1 + missed    # still queued: one more overrun
            return
        if t.info is not None:
            t.overrun_last = t.info.overrun
        t.info = SG.SigInfo(t.sig, SG.SI_TIMER, SG.K_TIMER, timerid=t.id, overrun=missed,
                            value=t.value, tid=t.tid)
        signals.send(t.sig, info=t.info)

    def clear(self, posix_only=False):
        """fork (the child has no timers) / exec (POSIX timers are deleted)."""
        self.posix = {}
        if not posix_only:
            for t in self.itimers:
                t.deadline, t.interval = None, 0


def read_timeval(mem, addr):
    sec = _s64(mem.read_u64(addr))
    usec = int.from_bytes(mem.read(addr + 8, 4), "big", signed=True)
    return sec, usec


def timeval_bytes(ns):
    return (ns // NS).to_bytes(8, "big") + ((ns % NS) // 1000).to_bytes(4, "big") + bytes(4)


def read_timespec(mem, addr):
    return _s64(mem.read_u64(addr)), _s64(mem.read_u64(addr + 8))


def timespec_bytes(ns):
    return (ns // NS).to_bytes(8, "big") + (ns % NS).to_bytes(8, "big")


def timespec_ns(mem, addr):
    """A struct timespec in ns: EINVAL unless 0 <= tv_nsec < 1e9 and tv_sec >= 0."""
    sec, nsec = read_timespec(mem, addr)
    if sec < 0 or not 0 <= nsec < NS:
        raise GuestError(EINVAL)
    return sec * NS + nsec


class TimerCalls:
    """alarm, setitimer, getitimer, timer_*, nanosleep, clock_nanosleep (mixin of
    syscalls.Syscalls: uses self.mem, self.signals, self.threads, self.s, self.clock_ns
    and self.block / the Wait records of waits.py)."""

    # ---- clocks ----------------------------------------------------------------------------
    def clock_base_ns(self, base):
        """Now on a time base, in ns (see the module text)."""
        if base == BASE_CPU:
            utime, stime, _ = self._cpu()              # sys_rusage's CPU-time model
            return utime + stime
        if base == BASE_VIRT:
            return self._cpu()[0]
        if self.clock_ns is not None:                  # cycle mode
            t = self.clock_ns()
            return SIM_EPOCH_NS + t if base == BASE_REAL else t
        if base == BASE_MONO:
            return time.monotonic_ns()
        return time.time_ns()

    def mono_ns(self):
        return self.clock_base_ns(BASE_MONO)

    @property
    def timers(self):
        t = self.__dict__.get("_timers")
        if t is None:
            t = self.__dict__["_timers"] = Timers(self.clock_base_ns)
        return t

    # ---- interval timers -------------------------------------------------------------------
    def _itimer_get(self, which):
        t = self.timers.itimers[which]
        if t.deadline is None:
            return 0, t.interval
        return max(t.deadline - self.clock_base_ns(t.base), RES_NS), t.interval

    def _itimer_set(self, which, value, interval):
        t = self.timers.itimers[which]
        old = self._itimer_get(which)
        if value:
            t.deadline = self.clock_base_ns(t.base) + value
            t.interval = max(interval, RES_NS) if interval else 0
        else:
            t.deadline, t.interval = None, interval
        return old

    def sys_setitimer(self, which, new, old, *_):
        which &= 0xFFFFFFFF
        if which > ITIMER_PROF:
            return -EINVAL
        if new:
            isec, iusec = read_timeval(self.mem, new)
            vsec, vusec = read_timeval(self.mem, new + 16)
            if min(isec, vsec) < 0 or not (0 <= iusec < 10**6 and 0 <= vusec < 10**6):
                return -EINVAL
            prev = self._itimer_set(which, vsec * NS + vusec * 1000, isec * NS + iusec * 1000)
        else:                               # a NULL value disarms (kernel/time/itimer.c)
            prev = self._itimer_set(which, 0, 0)
        if old:
            self.check_range(old, 32, write=True)
            self.mem.write(old, timeval_bytes(prev[1]) + timeval_bytes(_round_us(prev[0])))
        return 0

    def sys_getitimer(self, which, cur, *_):
        which &= 0xFFFFFFFF
        if which > ITIMER_PROF:
            return -EINVAL
        value, interval = self._itimer_get(which)
        self.check_range(cur, 32, write=True)
        self.mem.write(cur, timeval_bytes(interval) + timeval_bytes(_round_us(value)))
        return 0

    def sys_alarm(self, seconds, *_):
        seconds &= 0xFFFFFFFF
        value, _interval = self._itimer_set(ITIMER_REAL, seconds * NS, 0)
        if not value:
            return 0
        left = (value + NS // 2) // NS           # to the nearest second, at least 1
        return max(left, 1)

    # ---- POSIX timers ------------------------------------------------------------------------
    def sys_timer_create(self, clock, sevp, idp, *_):
        clock = _s64(clock) & 0xFFFFFFFF
        base = None
        if clock >> 31:                 # a CPU clock id (glibc's for clocks 2 and 3)
            clock, base = self._cpu_timer_clock(clock - (1 << 32))
            if clock is None:
                return -EINVAL
        elif clock not in TIMER_CLOCKS:
            return -EINVAL
        notify, sig, value, tid = SIGEV_SIGNAL, SG.SIGALRM, 0, None
        timers = self.timers
        id_ = 0
        while id_ in timers.posix:
            id_ += 1
        if sevp:
            raw = self.mem.read(sevp, 24)
            value = int.from_bytes(raw[0:8], "big")
            sig = int.from_bytes(raw[8:12], "big")
            notify = int.from_bytes(raw[12:16], "big")
            tidv = int.from_bytes(raw[16:20], "big", signed=True)
            if notify not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID):
                return -EINVAL          # SIGEV_THREAD is glibc's, done with THREAD_ID
            if notify != SIGEV_NONE and not 1 <= sig <= SG.NSIG:
                return -EINVAL
            if notify == SIGEV_THREAD_ID:
                if self.threads is not None and self.threads.by_tid(tidv) is None:
                    return -EINVAL
                tid = tidv
        else:
            value = id_
        if len(timers.posix) >= TIMER_MAX:
            return -EAGAIN
        self.check_range(idp, 4, write=True)
        t = Timer(base if base is not None else _CLOCK_BASE[clock], sig, notify, value, tid,
                  id_, clock)
        timers.posix[id_] = t
        self.mem.write_u32(idp, id_)
        return 0

    def _cpu_timer_clock(self, clk):
        """Linux's CPU clock id clk (< 0: ~pid << 3 | perthread 4 | CPUCLOCK_PROF 0 /
        VIRT 1 / SCHED 2, include/linux/posix-timers.h) -> (clock, time base) for a timer:
        this process's (pid 0 or its own) or the calling thread's; (None, None) for
        another process or thread, or no clock (EINVAL)."""
        which, pid = clk & 3, ~(clk >> 3)
        if which == 3:
            return None, None
        base = BASE_VIRT if which == 1 else BASE_CPU
        if clk & 4:
            if pid not in (0, self._tid()):
                return None, None
            return CLOCK_THREAD_CPUTIME_ID, base
        if pid not in (0, self.pid):
            return None, None
        return CLOCK_PROCESS_CPUTIME_ID, base

    def _posix(self, timerid):
        t = self.timers.posix.get(_s64(timerid) & 0xFFFFFFFF)
        if t is None:
            raise GuestError(EINVAL)
        return t

    def _timer_value(self, t):
        if t.deadline is None:
            return 0
        return max(t.deadline - self.clock_base_ns(t.base), RES_NS)

    def sys_timer_settime(self, timerid, flags, new, old, *_):
        t = self._posix(timerid)
        interval = timespec_ns(self.mem, new)
        value = timespec_ns(self.mem, new + 16)
        prev = (t.interval, self._timer_value(t))
        if old:
            self.check_range(old, 32, write=True)
        if value:
            now = self.clock_base_ns(t.base)
            t.deadline = value if flags & TIMER_ABSTIME else now + value
            t.interval = interval
        else:
            t.deadline, t.interval = None, interval
        if old:
            self.mem.write(old, timespec_bytes(prev[0]) + timespec_bytes(prev[1]))
        return 0

    def sys_timer_gettime(self, timerid, cur, *_):
        t = self._posix(timerid)
        self.check_range(cur, 32, write=True)
        interval = t.interval if t.deadline is not None else 0
        self.mem.write(cur, timespec_bytes(interval) + timespec_bytes(self._timer_value(t)))
        return 0

    def sys_timer_getoverrun(self, timerid, *_):
        t = self._posix(timerid)
        if t.info is not None and t.info not in self.signals.pending:
            t.overrun_last = t.info.overrun         # its last signal was delivered
        return min(t.overrun_last, 0x7FFFFFFF)

    def sys_timer_delete(self, timerid, *_):
        t = self._posix(timerid)
        del self.timers.posix[t.id]
        if t.info is not None and t.info in self.signals.pending:
            self.signals.pending.remove(t.info)     # a deleted timer's signal is dropped
        return 0

    # ---- sleeping ------------------------------------------------------------------------
    def sys_nanosleep(self, req, rem, *_):
        ns = timespec_ns(self.mem, req)
        return self._sleep(BASE_MONO, ns, False, rem)

    def sys_clock_nanosleep(self, clk, flags, req, rem, *_):
        clk = _s64(clk) & 0xFFFFFFFF
        if clk == CLOCK_THREAD_CPUTIME_ID:
            return -EINVAL
        if clk not in SLEEP_CLOCKS:
            return -EINVAL if clk > CLOCK_TAI else -EOPNOTSUPP
        ns = timespec_ns(self.mem, req)
        return self._sleep(_CLOCK_BASE[clk], ns, bool(flags & TIMER_ABSTIME), rem)

    def _sleep(self, base, ns, absolute, rem):
        from .waits import SLEEP, Wait
        now = self.clock_base_ns(base)
        deadline = ns if absolute else now + ns
        if deadline <= now:
            return 0
        w = Wait(SLEEP, restart=Wait.EINTR_WITH_HANDLER)
        w.base, w.deadline = base, deadline

        def interrupted():
            if rem and not absolute:
                left = max(0, w.deadline - self.clock_base_ns(base))
                try:
                    self.mem.write(rem, timespec_bytes(left))
                except MemFault:
                    pass
        w.interrupted = interrupted
        w.timeout = lambda: 0
        return self.block(w)


def _round_us(ns):
    """An itimer value as getitimer reports it: rounded up to a whole microsecond."""
    return (ns + 999) // 1000 * 1000
