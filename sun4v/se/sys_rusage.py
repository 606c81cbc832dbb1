"""CPU time and resource usage of a syscall-emulation process (class ResourceCalls, a
mixin of syscalls.Syscalls): getrusage, times, and the CPU-time clocks of clock_gettime
(CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID and the clock ids of
clock_getcpuclockid / pthread_getcpuclockid).

Layouts (sparc64): struct rusage = two struct timeval {long tv_sec; int tv_usec; pad}
then 14 longs (maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock,
msgsnd, msgrcv, nsignals, nvcsw, nivcsw): 144 B; struct tms = 4 clock_t (long) in
USER_HZ = 100 ticks a second. who: RUSAGE_SELF 0, RUSAGE_THREAD 1, RUSAGE_CHILDREN -1,
anything else EINVAL (kernel/sys.c). CPU clock ids (include/linux/posix-timers.h):
~pid << 3 | per-thread 4 | PROF 0 / VIRT 1 / SCHED 2, pid 0 meaning the caller.

Choice (documented): CPU time is simulated and deterministic, one model in both modes
and for all three interfaces: user time is one chip clock cycle per retired instruction
(the strand issuing without a stall; chip clock from chips.py), system time
SYSTEM_CYCLES per system call (the cost cycle mode charges a strand for the kernel's
work, process.SYSCALL_CYCLES). A thread's figures count its own instructions and calls;
the process's all its threads', the ended ones included (their strands keep their
counts). So getrusage(RUSAGE_SELF) == times() (in ticks) == clock_gettime(CPUTIME)
(in ns), each rounded down in its own unit. The other figures: maxrss is the most pages
the process ever had made (first touched), in KiB; minflt the pages made (every first
touch is a minor fault; nothing is read from a disk, so majflt is 0); nvcsw the times a
thread gave up its strand to wait (a system call that blocked: a futex wait, a sleep, a
poll, select or read that waited, a wait for a signal or a child); nivcsw 0 (every thread has a strand of its own, nobody preempts it);
inblock and oublock 0 (no block device: the host's page cache is not modelled); ixrss,
idrss, isrss, nswap, msgsnd, msgrcv and nsignals are 0, as Linux always reports them.
RUSAGE_CHILDREN and tms_cutime/tms_cstime report `children_usage`: what the children a
wait4/waitid reaped used, their own reaped children included (kernel/exit.c
wait_task_zombie; all 0 while there are none). A child is a forked simulator, so it
sends its figures in the same model to its parent when it ends (usage_record, through a
pipe process.py opens at fork); a child that left none (killed by SIGKILL from outside)
counts as 0. A fork child starts from zero (kernel/fork.c: CPU time, faults and waits
are per process; reset_usage).
"""
import struct

import time

from ..cmt import state as S
from ..cmt.memory import META_USED, PAGE_SIZE
from .sysbase import EINVAL, ESRCH, _s32
from .threads import BLOCK

SYSTEM_CYCLES = 500                 # per system call: process.SYSCALL_CYCLES
RUSAGE_SELF, RUSAGE_THREAD, RUSAGE_CHILDREN = 0, 1, -1
CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 2, 3
CPUCLOCK_PROF, CPUCLOCK_VIRT, CPUCLOCK_SCHED = 0, 1, 2
CPUCLOCK_PERTHREAD = 4
USER_HZ = 100
# a child's figures as it sends them to its parent: utime ns, stime ns, maxrss KiB,
# minflt, nvcsw (its own plus its reaped children's: getrusage RUSAGE_BOTH)
CHILD_RECORD = struct.Struct(">5Q")


class Usage:
    """One thread's accounting: instructions at its start, calls, voluntary waits."""
    __slots__ = ("insns_base", "strand", "syscalls", "vcsw")

    def __init__(self, strand, insns_base):
        self.strand = strand
        self.insns_base = insns_base
        self.syscalls = 0
        self.vcsw = 0


def _timeval(ns):
    return ((ns // 10**9).to_bytes(8, "big") + (ns % 10**9 // 1000).to_bytes(4, "big")
            + bytes(4))


def pack_rusage(utime_ns, stime_ns, maxrss_kb=0, minflt=0, nvcsw=0):
    """The 144-byte sparc64 struct rusage (the other fields are 0, see the module text)."""
    longs = [maxrss_kb, 0, 0, 0, minflt, 0, 0, 0, 0, 0, 0, 0, nvcsw, 0]
    return (_timeval(utime_ns) + _timeval(stime_ns)
            + b"".join(v.to_bytes(8, "big") for v in longs))


def no_children():
    return dict(utime_ns=0, stime_ns=0, maxrss_kb=0, minflt=0, nvcsw=0)


def child_figures(record):
    """A child's CHILD_RECORD as a dict of pack_rusage's arguments; zeros for None (it
    left none, or it has not ended)."""
    if record is None or len(record) != CHILD_RECORD.size:
        return no_children()
    return dict(zip(("utime_ns", "stime_ns", "maxrss_kb", "minflt", "nvcsw"),
                    CHILD_RECORD.unpack(record)))


class ResourceCalls:
    """getrusage, times and the CPU-time clocks (mixin of syscalls.Syscalls: uses
    self.St, self.mem, self.threads, self.pid, self.counts, self.clock_mhz and the
    accounting self.usage / self.children_usage kept by account_syscall)."""

    # ---- accounting (called by Syscalls.handle) ---------------------------------------------
    def _tid(self):
        return self.pid if self.threads is None else self.threads.tid_of(self.s)

    def _usage(self, tid, strand):
        u = self.usage.get(tid)
        if u is None or u.strand != strand:
            u = self.usage[tid] = Usage(strand, 0)
        return u

    def account_syscall(self, name, result=None):
        """Count a system call of the current thread (before it runs: result None) and
        what it did (after: a new thread's start, a wait)."""
        if result is None:
            self._usage(self._tid(), self.s).syscalls += 1
            return
        if result is BLOCK:
            u = self.usage.get(self._tid())
            if u is not None:
                u.vcsw += 1
        elif name == "clone" and isinstance(result, int) and result > 0 \
                and self.threads is not None:
            t = self.threads.by_tid(result)
            if t is not None:
                self.usage[result] = Usage(t.strand, int(self.St.C[t.strand, S.INSNS]))

    def reset_usage(self):
        """A fork child: no CPU time, faults, waits or children's figures of its own yet
        (the calling thread alone, its counts from now on)."""
        self.usage_base = (self.process_insns(), sum(self.counts.values()),
                           self.mem.pages_made)
        self.usage = {self._tid(): Usage(self.s, int(self.St.C[self.s, S.INSNS]))}
        self.children_usage = no_children()

    def usage_record(self):
        """What this process (a forked child) sends its parent as it ends:
        CHILD_RECORD of its own figures plus its reaped children's."""
        utime, stime, vcsw = self._cpu()
        c = self.children_usage
        return CHILD_RECORD.pack(utime + c["utime_ns"], stime + c["stime_ns"],
                                 max(self._maxrss_kb(), c["maxrss_kb"]),
                                 self._minflt() + c["minflt"], vcsw + c["nvcsw"])

    def add_child_usage(self, figures):
        """A reaped child's figures (child_figures) join children_usage."""
        c = self.children_usage
        for k in ("utime_ns", "stime_ns", "minflt", "nvcsw"):
            c[k] += figures[k]
        c["maxrss_kb"] = max(c["maxrss_kb"], figures["maxrss_kb"])

    # ---- the CPU-time model -------------------------------------------------------------------
    def insns_to_ns(self, insns):
        """One chip cycle per instruction."""
        return insns * 1000 // self.clock_mhz

    def process_insns(self):
        return int(self.St.C[:, S.INSNS].sum())

    usage_base = (0, 0, 0)          # instructions, calls, pages made before a fork

    def _cpu(self, tid=None):
        """(user ns, system ns, voluntary waits) of thread `tid`, or of the process."""
        if tid is None:
            insns = self.process_insns() - self.usage_base[0]
            calls = sum(self.counts.values()) - self.usage_base[1]
            vcsw = sum(u.vcsw for u in self.usage.values())
        else:
            u = self.usage.get(tid)
            if u is None:
                return 0, 0, 0
            insns = int(self.St.C[u.strand, S.INSNS]) - u.insns_base
            calls, vcsw = u.syscalls, u.vcsw
        return (self.insns_to_ns(insns), calls * SYSTEM_CYCLES * 1000 // self.clock_mhz,
                vcsw)

    def cpu_clock_ns(self, clk):
        """The value of CPU-time clock `clk` in ns; None when clk is no CPU-time clock;
        -EINVAL / -ESRCH for a CPU clock of a thread or process that is not ours."""
        clk = _s32(clk)
        if clk == CLOCK_PROCESS_CPUTIME_ID:
            u, s, _ = self._cpu()
            return u + s
        if clk == CLOCK_THREAD_CPUTIME_ID:
            u, s, _ = self._cpu(self._tid())
            return u + s
        if clk >= 0:
            return None
        which = clk & 3
        pid = ~(clk >> 3)
        if which == 3:
            return -EINVAL
        if clk & CPUCLOCK_PERTHREAD:
            tid = self._tid() if pid == 0 else pid
            if tid not in self.usage and not (pid == 0 or tid == self.pid):
                return -EINVAL
            u, s, _ = self._cpu(tid)
        else:
            if pid not in (0, self.pid):
                return -EINVAL if pid > 0 else -ESRCH
            u, s, _ = self._cpu()
        return u if which == CPUCLOCK_VIRT else u + s

    # ---- the calls ------------------------------------------------------------------------------
    def sys_getrusage(self, who, buf, *_):
        who = _s32(who)
        if who == RUSAGE_SELF:
            utime, stime, vcsw = self._cpu()
        elif who == RUSAGE_THREAD:
            utime, stime, vcsw = self._cpu(self._tid())
        elif who == RUSAGE_CHILDREN:
            c = self.children_usage
            utime, stime, vcsw = c["utime_ns"], c["stime_ns"], c["nvcsw"]
        else:
            return -EINVAL
        if who == RUSAGE_CHILDREN:
            maxrss, minflt = self.children_usage["maxrss_kb"], self.children_usage["minflt"]
        else:
            # pages are process-wide: a thread's figure is the process's (as Linux's
            # maxrss; its minflt would be the thread's own faults, not kept apart here)
            maxrss, minflt = self._maxrss_kb(), self._minflt()
        self.check_range(buf, 144, write=True)
        self.mem.write(buf, pack_rusage(utime, stime, maxrss, minflt, vcsw))
        return 0

    def _maxrss_kb(self):
        return int(self.mem.meta[META_USED]) * PAGE_SIZE // 1024   # most pages at once

    def _minflt(self):
        return self.mem.pages_made - self.usage_base[2]

    def sys_times(self, buf, *_):
        if buf:
            utime, stime, _ = self._cpu()
            c = self.children_usage
            tick = 10**9 // USER_HZ
            self.check_range(buf, 32, write=True)
            self.mem.write(buf, b"".join((v // tick).to_bytes(8, "big") for v in
                                         (utime, stime, c["utime_ns"], c["stime_ns"])))
        if self.clock_ns is not None:
            return self.clock_ns() // 10**7 + 1
        return self.elapsed_ticks()

    def elapsed_ticks(self):
        """times()'s return value: clock ticks since the process started (+1)."""
        return int((time.time() - self.start_time) * USER_HZ) + 1
