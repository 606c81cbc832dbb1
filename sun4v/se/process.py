"""A Linux process in syscall-emulation mode: loader + engine + system calls + signals,
its threads each bound to one strand of the chip.

The run loop is the KVM pattern (DESIGN.md): the engine runs strands until an exit; a
system call or a trap is handled here as the Linux kernel would, then the strand resumes.
Two modes over one semantics: `functional` runs the runnable strands round-robin, QUANTUM
instructions each (a system call ends a strand's turn early; a lone runnable strand runs
on without switches), `cycle` runs the cycle-level CMT model (cmt/cycle.py), which
interleaves the strands as the chip's thread select does; a system call costs the strand
SYSCALL_CYCLES. Both are deterministic: same program, arguments and options give the
same output and the same counts.

Choices: when --max-insns is reached the run stops with the line
`sun4v: instruction limit N reached` on stderr and exit status 124 (timeout(1)'s status
for "ran out of time"); the budget counts retired instructions and also every trap the
kernel side handled without the instruction completing (a fault whose handler faults
again, a page made on first touch), so a program stuck in a fault loop stops too. When
every thread is blocked in a futex and no wait has a timeout (Linux would hang) the run
stops with `sun4v: deadlock: every thread is blocked`, exit status 1; a thread waiting
for a signal, a child, a deadline or a file descriptor (waits.py) is waited for as on
Linux.
run() returns the exit status, or -SIG (guest signal number) when the program was killed
by a signal; the command line then ends itself with that signal. A process the program
forks (sys_process.py) is a forked simulator: it never returns from run() but ends the
host process with the guest's status or signal.

Signals, timers and the host (hostsig.py) are looked at in safe points that cost the hot
loop nothing: after every system call or trap, after every budget slice (functional:
at most CHUNK instructions; cycle: at most POLL_CYCLES cycles or up to the next timer's
deadline), and while no thread can run -- then the host sleeps until the next deadline
(functional mode) or simulated time jumps to it (cycle mode); when a thread waits for
host file descriptors (poll, select, a read) the host waits for them, its held signals
and the deadline together, in both modes (cycle mode: simulated time then advances as
long as the host waited, at most to the deadline).

Statistics (`--stats FILE`, JSON; `--stats -` prints the same as tables on stderr):
  program, chip, mode ("functional" | "cycle"), strand_limit (--strands),
  instructions            retired instructions, all strands
  syscalls                {name: count};  traps {"0x..": count};  signals_delivered
  threads                 {threads_created (main included), threads_peak, strand_limit,
                           futex_waits, futex_wakes, futex_timeouts}
  exit_status | signal    how the program ended (the other is null)
  wall_seconds, engine_startup_seconds, mips     host figures (vary run to run)
  strands                 [{id, core, instructions, ...}] strands that ran a thread;
                          in cycle mode also cycles: {running, ready, wait_<reason>...,
                          wait_futex}: cycles issuing, ready but not picked, waiting and
                          why (l2, memory, store_buffer, unit_busy, branch, icache, tlb,
                          switch, load_use, trap, syscall, rollback) or blocked in a futex
                          (wait_futex) or another blocking call (wait_blocked)
cycle mode adds:
  cycles, clock_mhz, simulated_seconds
  cores                   [{id, instructions, ipc, pipe_utilisation [per thread group],
                           rolled_back_slots}]
  ccx                     {requests, queue_full_stalls}   core-to-L2 crossbar
  l1i, l1d, l2, itlb, dtlb {accesses, misses, ...}        per cache/TLB level
  memory                  {reads, writes, bytes, bandwidth_GBps, ...}
"""
import bisect
import json
import os
import time
import traceback

from ..cmt import chips, isa
from ..cmt import state as S
from ..cmt.cycle import CY_INSNS, CY_NOW, R_SYSCALL, R_TRAP, REASON_NAMES, CycleModel
from ..cmt.engine import Engine
from ..cmt.memory import Memory
from ..atomicfile import write_atomic
from . import faults, loader, mathemu
from .hostsig import HostSignals, guest_info
from .signals import (SA_NOCLDSTOP, SA_NOCLDWAIT, SA_RESTART, SI_KERNEL, SIG_DFL,
                      SIG_IGN, SIGCHLD, SIGNAMES, SIGSEGV, CLD_CONTINUED, CLD_STOPPED,
                      ProcessKilled, Signals, die_by_signal)
from .syscalls import NO_RETURN, SyscallExit, Syscalls
from .threads import BLOCKED, RUNNABLE, ThreadGroup, set_result
from .waits import CHILD, Wait

MODES = ("functional", "cycle")
LIMIT_STATUS = 124
DEADLOCK_STATUS = 1
CHUNK = 1 << 20
# cycle mode: cycles the model runs at most before the loop looks at host signals
POLL_CYCLES = 1 << 20
# seconds between two looks at the host's signals while the program runs
HOST_POLL_S = 0.002
EINTR = 4
# functional mode: instructions a strand runs before the next runnable strand's turn
# (chosen: long enough that switching costs little, short enough to interleave threads)
QUANTUM = 10_000
# cycle mode: cycles a strand waits for the kernel's work in a system call or a trap the
# kernel handles (chosen: a Linux syscall on a T1/T2 strand costs some hundreds of cycles;
# a futex wake-up or a new thread starts this long after the call that caused it)
SYSCALL_CYCLES = 500
TRAP_CYCLES = 500
T_GETCONTEXT, T_SETCONTEXT = 0x16E, 0x16F     # ta 0x6e / 0x6f (Linux ttable_64.S)
T_FLUSHW, T_OLD_SYSCALL64 = 0x103, 0x111
T_LDDF_MNA, T_STDF_MNA = 0x35, 0x36
WALL_FIELDS = ("wall_seconds", "engine_startup_seconds", "mips")   # vary run to run


class InstructionLimit(Exception):
    pass


class Deadlock(Exception):
    """Every thread is blocked and none can time out."""


class Symbols:
    """Address → `name+off` from the ELF symbol table."""

    def __init__(self, syms):
        self.addrs = [a for a, _, _ in syms]
        self.syms = syms

    def lookup(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return None
        a, size, name = self.syms[i]
        if size and addr >= a + size and addr - a > 0x10000:
            return None
        return f"{name}+{addr - a:#x}" if addr != a else name


class Process:
    """One static sparc64 program on a chip's strands: the main thread on strand 0, each
    further thread on the next free strand (threads.py)."""

    def __init__(self, path, args=(), chip="t2", max_insns=None, trace=False,
                 envp=None, hwcap=None, argv0=None, trace_file=None, mode="functional",
                 strands=None):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
        total = chips.total_strands(chip)               # KeyError names the known chips
        if strands is not None and not 1 <= strands <= total:
            raise ValueError(f"--strands {strands}: {chips.chip(chip)['name']} has "
                             f"{total} strands")
        self.path = path
        self.chip = chip
        self.mode = mode
        self.max_strands = strands or total
        self.max_insns = max_insns
        self.trace = trace
        self.trace_out = trace_file
        self.mem = Memory()
        argv = [argv0 if argv0 is not None else path] + list(args)
        self.hwcap = hwcap
        self.prog = loader.load(self.mem, path, argv, envp=envp, hwcap=hwcap)
        # the engine holds every strand of the chip (the cycle model needs whole thread
        # groups); threads use strands below the --strands limit
        self.eng = Engine(nstrands=total, mem=self.mem, mode=S.MODE_SE, chip=chip)
        self.St = self.eng.S
        loader.init_registers(self.St, 0, self.prog)
        self.signals = Signals(self.mem, self.St, 0)
        self.sys = Syscalls(self.mem, self.St, self.prog, path, signals=self.signals)
        self.sys.clock_mhz = int(chips.chip(chip)["clock_mhz"])
        self.tg = ThreadGroup(self.St, self.mem, self.sys.pid, self.max_strands)
        self.sys.threads = self.tg
        self.sys.process = self
        self.signals.tid_of = self._tid_of
        self.signals.on_change = self._sync_host
        self.host = HostSignals()
        self.host_next = 0.0          # when to look at the host's signals next
        self.poll_forced = False
        self.forked = False           # this process is a child the program forked
        self.vfork_fd = None          # a vfork child: closing it lets the parent go on
        self.children = set()
        self.usage_fds = {}           # child pid -> read end of its usage pipe
        self.child_records = {}       # child pid -> the record it sent (sys_rusage)
        self.usage_fd = None          # a forked child: the write end to its parent
        self.fork_pipe = None
        self.attempts = 0             # traps handled without the instruction completing
        self.blocked_kind = {}        # cycle mode: strand -> "futex" | "wait"
        self.cm = None
        if mode == "cycle":
            self.cm = CycleModel(self.eng, chip)
            mhz = int(chips.chip(chip)["clock_mhz"])
            self.sys.clock_ns = lambda: self.cm.now * 1000 // mhz
        self.futex_cycles = [0] * total       # cycle mode: cycles blocked in a futex
        self.wait_cycles = [0] * total        # ... in another blocking system call
        self.symbols = None
        self.exit_status = None
        self.term_signal = None
        self.deadlock = False
        self.wall = 0.0
        self.startup = 0.0
        self.traps = {}
        self.page_faults = 0

    # ---- the run loop ------------------------------------------------------------------
    def run(self):
        """Run to the end. Returns the exit status, -SIG if killed by guest signal SIG,
        or LIMIT_STATUS when the instruction limit was reached. A forked child never
        returns: it ends its host process."""
        # a zero-instruction run compiles or loads the engine, so that the statistics
        # time the program and not numba
        t = time.perf_counter()
        self.eng.run(0, 0)
        if self.cm is not None:
            self.cm.run(max_insns=0)
        t0 = time.perf_counter()
        self.startup = t0 - t
        self.host.start()
        self._sync_host()
        try:
            try:
                if self.cm is not None:
                    self._loop_cycle()
                else:
                    self._loop_functional()
            except SyscallExit as e:
                self.exit_status = e.status
            except ProcessKilled as e:
                self.term_signal = e.sig
                self.exit_status = -e.sig
            except InstructionLimit:
                os.write(2, f"sun4v: instruction limit {self.max_insns} reached\n".encode())
                self.exit_status = LIMIT_STATUS
            except Deadlock:
                os.write(2, b"sun4v: deadlock: every thread is blocked\n")
                self.deadlock = True
                self.exit_status = DEADLOCK_STATUS
        except BaseException:
            if self.forked:                 # never return into the parent's caller
                traceback.print_exc()
                os._exit(1)
            raise
        finally:
            self.wall = time.perf_counter() - t0
            self.sys.creds.restore_host()      # the simulator's own file-system ids back
            if self.forked:
                self._end_forked()
            self.host.stop()
        return self.exit_status

    def _end_forked(self):
        """The end of a process the program forked: its host process ends with the
        guest's exit status, or by the guest's signal."""
        try:
            if self.trace_out is not None:
                self.trace_out.flush()
        except (OSError, ValueError):
            pass
        if self.usage_fd is not None:       # the parent's wait4 reads our figures
            try:
                os.write(self.usage_fd, self.sys.usage_record())
            except OSError:
                pass
        if self.term_signal:
            die_by_signal(self.term_signal, forked=True)
        os._exit((self.exit_status or 0) & 0xFF)

    def _budget(self, n):
        if self.max_insns is None:
            return n
        left = self.max_insns - self.insns - self.attempts
        if left <= 0:
            raise InstructionLimit()
        return min(n, left)

    @property
    def insns(self):
        return int(self.St.C[:, S.INSNS].sum())

    def _loop_functional(self):
        """Round-robin over the runnable strands in strand order, QUANTUM instructions
        each; a syscall or trap ends the turn. A lone runnable strand runs in CHUNKs: no
        other strand could run before its next syscall anyway, so the order is the same."""
        eng, tg, C = self.eng, self.tg, self.St.C
        cur = 0
        while True:
            tg.created.clear(), tg.woken.clear(), tg.exited.clear()
            runnable = tg.runnable()
            if not runnable:
                if self._idle():
                    continue
                raise Deadlock()
            s = next((x for x in runnable if x >= cur), runnable[0])
            cur = s + 1
            left = CHUNK if len(runnable) == 1 else QUANTUM
            while left > 0:
                if self.trace:
                    self._budget(1)
                    self._trace_line(s)
                    n = 1
                else:
                    n = self._budget(left)
                before = int(C[s, S.INSNS])
                code = eng.run(s, n)
                left -= int(C[s, S.INSNS]) - before
                if code != S.EXIT_BUDGET:
                    self._kernel(s, code)
                    break
                if self._events() or tg.threads.get(s) is None \
                        or tg.threads[s].state != RUNNABLE:
                    break

    def _loop_cycle(self):
        """The cycle-level model runs every active strand; exits are handled for the strand
        concerned, which then waits SYSCALL_CYCLES (TRAP_CYCLES) before it issues again."""
        cm, tg, C = self.cm, self.tg, self.St.C
        cm.activate(0, at=0)
        while True:
            budget = 1 << 62 if self.max_insns is None else self._budget(1 << 62)
            code = cm.run(max_insns=budget, max_cycles=self._cycle_limit())
            if code == S.EXIT_BUDGET:      # a slice ended (or the instruction limit:
                self._events()             # _budget raises next time)
                self._sync_strands()
                continue
            if code == S.EXIT_HALT:        # every strand blocked (or none left)
                if not self._idle():
                    raise Deadlock()
                self._sync_strands()
                continue
            s = cm.strand
            before = int(C[s, S.INSNS])
            try:
                self._kernel(s, code)
            finally:
                cm.CY[CY_INSNS] += int(C[s, S.INSNS]) - before     # a retired `ta`
            t = tg.threads.get(s)
            if t is not None and t.state == BLOCKED:
                cm.block(s)
                t.blocked_at = cm.now
                self.blocked_kind[s] = "futex" if t.wait is None else "wait"
            elif t is not None:
                cost = SYSCALL_CYCLES if code == S.EXIT_SYSCALL else TRAP_CYCLES
                cm.delay(s, cost, R_SYSCALL if code == S.EXIT_SYSCALL else R_TRAP)
            self._sync_strands()

    def _cycle_limit(self):
        """The cycle at which the model must give control back: the next deadline of a
        timer or a timed wait, at most POLL_CYCLES from now."""
        cm = self.cm
        limit = cm.now + POLL_CYCLES
        dl = self._next_deadline()
        if dl is not None:
            limit = min(limit, max(cm.now + 1, self._ns_to_cycle(dl)))
        return limit

    def _sync_strands(self):
        """Tell the cycle model which strands a syscall started, woke or freed."""
        cm, tg = self.cm, self.tg
        now = cm.now
        for s in tg.exited:
            cm.finish(s)
        for s in tg.created:
            cm.activate(s, at=now + SYSCALL_CYCLES)
        for s in tg.woken:
            t = tg.threads[s]
            if self.blocked_kind.pop(s, "futex") == "futex":
                self.futex_cycles[s] += now - t.blocked_at
            else:
                self.wait_cycles[s] += now - t.blocked_at
            cm.activate(s, at=now + SYSCALL_CYCLES)
        tg.created.clear(), tg.woken.clear(), tg.exited.clear()

    def _ns_to_cycle(self, ns):
        mhz = int(self.cm.chip["clock_mhz"])
        return -(-ns * mhz // 1000)

    def _kernel(self, s, code):
        """Handle an engine exit of strand s as Linux would, on behalf of its thread; then
        the safe point's events (signals, timers, waiting threads)."""
        tg, sig = self.tg, self.signals
        t = tg.threads[s]
        self._switch(t)
        try:
            if code == S.EXIT_SYSCALL:
                self.sys.handle()
            elif code == S.EXIT_TRAP:
                self.attempts += 1
                self._trap(s)
            elif code == S.EXIT_UNIMPL:
                self.attempts += 1
                self._fault(s, 0x10)
            else:
                raise RuntimeError(f"engine exit {code:#x} in syscall-emulation mode")
            t = tg.threads.get(s)
            if t is not None and t.state == RUNNABLE:
                if code == S.EXIT_SYSCALL and self.sys.last_failed and \
                        sig.deliverable(t.tid):
                    # do_signal after a failed system call keeps its first argument
                    # in %g6 (arch/sparc/kernel/signal_64.c)
                    self.St.set_reg(s, 6, self.sys.orig_o0)
                sig.deliver_pending()
        finally:
            t = tg.threads.get(s)
            if t is not None:
                t.sigmask = sig.blocked
        self._events()

    def _trap(self, s):
        C = self.St.C
        tt = int(C[s, S.EXIT_ARG0])
        if tt in (0x08, 0x30) and self.mem.fault_in(int(C[s, S.EXIT_ARG1])):
            self.page_faults += 1          # first touch of a mapped page: made, retried
            return
        self.traps[tt] = self.traps.get(tt, 0) + 1
        sig = self.signals
        if tt == T_GETCONTEXT or tt == T_SETCONTEXT:
            ok = sig.get_context() if tt == T_GETCONTEXT else sig.set_context()
            if not ok:
                sig.force_fault(SIGSEGV, SI_KERNEL, 0)
            return
        if tt == T_FLUSHW:
            sig.flush_trap()
            return
        if tt == T_OLD_SYSCALL64:
            self.sys.handle()
            return
        if tt in (T_LDDF_MNA, T_STDF_MNA):
            r = faults.emulate_fp_mna(self.St, s, self.mem)
            if r is not None:
                sig.force_fault(*r)
            return
        self._fault(s, tt)

    def _fault(self, s, tt):
        """A trap Linux turns into a signal (faults.FAULTS). For a MATHEMU row the kernel
        first tries to complete the instruction (quad FPops, ldqf/stqf on T1/T2):
        mathemu.handle_trap gives the signals, none when it completed it."""
        f = faults.row(tt)
        if f is not None and f.action == faults.MATHEMU:
            sigs = [(sig, code, addr, 0)
                    for sig, code, addr in mathemu.handle_trap(self.St, s, self.mem, tt)]
        else:
            _row, sig, code, addr, trapno = faults.classify(tt, self.St, s, self.mem)
            sigs = [(sig, code, addr, trapno)]
        if sigs and self.trace and self.signals.actions[sigs[0][0]].handler in (0, 1):
            self.dump_registers(s, tt)
        for sig, code, addr, trapno in sigs:
            self.signals.force_fault(sig, code, addr, trapno)

    # ---- threads, signals, timers and the host at safe points ---------------------------
    def _tid_of(self, s):
        t = self.tg.threads.get(s)
        return t.tid if t is not None else self.sys.pid

    def _switch(self, t):
        """Make thread t the one the signal and system call layers act on."""
        self.sys.s = t.strand
        self.signals.s = t.strand
        self.signals.blocked = t.sigmask

    def _sync_host(self):
        if not self.host.active:
            return
        m = self.signals.blocked
        for t in self.tg.threads.values():
            m |= t.sigmask
        self.host.sync(self.signals.actions, m)

    def poll_host_now(self):
        """Look at the host's signals at the next safe point (a signal to ourselves)."""
        self.poll_forced = True

    def _events(self, idle=False):
        """The safe point: host signals, due timers, waiting threads, pending signals for
        threads other than the one that trapped. True when a thread became runnable."""
        sig, tg = self.signals, self.tg
        if self.host.active:
            now = time.monotonic()
            if idle or self.poll_forced or now >= self.host_next:
                self.host_next = now + HOST_POLL_S
                self.poll_forced = False
                for h in self.host.poll():
                    self._host_signal(h)
        timers = self.sys.__dict__.get("_timers")
        if timers is not None:
            timers.fire(sig)
        waits = self.sys.waiting
        if not waits and not sig.pending:
            return False                        # the common case: nothing to do
        woke = False
        cur = self.sys.s
        if waits:
            woke |= self._check_waits()
        if sig.pending:
            woke |= self._deliver_async()
        t = tg.threads.get(cur)
        if t is not None:
            self._switch(t)
        return woke

    def _host_signal(self, h):
        info = guest_info(h)
        sig = self.signals
        if info.sig is None:
            return
        if info.sig == SIGCHLD:
            act = sig.actions[SIGCHLD]
            if act.handler == SIG_IGN or act.flags & SA_NOCLDWAIT:
                self.autoreap()
            if info.code in (CLD_STOPPED, CLD_CONTINUED) and act.flags & SA_NOCLDSTOP:
                return
        sig.send(info.sig, info=info)

    def autoreap(self):
        """SIGCHLD ignored (or SA_NOCLDWAIT): children leave no zombie to wait for."""
        while True:
            try:
                pid, _st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.child_usage(pid, reaped=True)     # autoreaped: not counted (Linux)

    def _check_waits(self):
        """End the waits that can end: their event happened, a signal interrupts them, or
        their deadline passed."""
        woke = False
        sig = self.signals
        self.sys.waiting = sum(1 for t in self.tg.threads.values()
                               if t.state == BLOCKED and t.wait is not None)
        for s in sorted(self.tg.threads):
            t = self.tg.threads.get(s)
            if t is None or t.state != BLOCKED or t.wait is None:
                continue
            w = t.wait
            self._switch(t)
            try:
                r = w.check() if w.check is not None else None
                if r is not None:
                    self._wake(t, r)
                elif sig.deliverable(t.tid):
                    self._interrupt(t)
                elif w.deadline is not None and \
                        self.sys.clock_base_ns(w.base) >= w.deadline:
                    self._wake(t, w.timeout() if w.timeout is not None else 0)
                else:
                    continue
                woke = True
            finally:
                t.sigmask = sig.blocked
        return woke

    def _wake(self, t, result):
        """A wait ended with `result`; the mask a call replaced for its wait comes back."""
        t.wait = None
        t.state = RUNNABLE
        self.sys.waiting -= 1
        if result is not NO_RETURN:
            set_result(self.St, t.strand, result)
        self.signals.restore_saved_mask()   # a call that waited under a mask of its own
        self.tg.woken.append(t.strand)

    def _interrupt(self, t):
        """A signal ends thread t's wait (syscall_restart): -EINTR, or the call again
        after an SA_RESTART handler; then the handler runs, its frame keeping the mask
        from before the call."""
        sig = self.signals
        w = t.wait
        p = sig.take(~sig.blocked, t.tid)
        act = sig.actions[p.sig]
        if w.interrupted is not None:
            w.interrupted()
        s = t.strand
        C = self.St.C
        self.St.set_reg(s, 6, w.orig_o0)              # do_signal's %g6, as above
        handler = act.handler not in (SIG_DFL, SIG_IGN)
        if w.restart == Wait.RESTART_SA and handler and act.flags & SA_RESTART:
            C[s, S.PC] = w.ta_pc
            C[s, S.NPC] = (w.ta_pc + 4) & ((1 << 64) - 1)
            self.St.set_reg(s, 8, w.orig_o0)
        else:
            set_result(self.St, s, -EINTR)
        t.wait = None
        t.state = RUNNABLE
        self.sys.waiting -= 1
        self.tg.woken.append(s)
        sig.deliver(p)                      # the frame saves the saved mask, if any
        sig.deliver_pending()

    def _deliver_async(self):
        """Pending signals the trapping thread could not take: to the first thread (main
        thread first) that does not block them -- running ones at once, waiting ones end
        their wait, futex waiters with -EINTR (or the call again after SA_RESTART)."""
        sig, tg = self.signals, self.tg
        woke = False
        order = sorted(tg.threads.values(), key=lambda t: (t.tid != tg.pid, t.strand))
        for t in order:
            if not sig.pending:
                break
            if tg.threads.get(t.strand) is not t:
                continue
            self._switch(t)
            try:
                if not sig.deliverable(t.tid):
                    continue
                if t.state == RUNNABLE:
                    sig.deliver_pending()
                elif t.wait is not None:
                    self._interrupt(t)
                    woke = True
                else:                               # a futex wait
                    p = sig.take(~sig.blocked, t.tid)
                    act = sig.actions[p.sig]
                    tg.waiters.remove(t)
                    t.state = RUNNABLE
                    tg.woken.append(t.strand)
                    if act.flags & SA_RESTART and not t.wait_timed and \
                            act.handler not in (SIG_DFL, SIG_IGN):
                        C = self.St.C
                        pc = (int(C[t.strand, S.PC]) - 4) & ((1 << 64) - 1)
                        C[t.strand, S.PC], C[t.strand, S.NPC] = pc, pc + 4
                    else:
                        set_result(self.St, t.strand, -EINTR)
                    sig.deliver(p)
                    sig.deliver_pending()
                    woke = True
            finally:
                t.sigmask = sig.blocked
        return woke

    def _next_deadline(self):
        """The earliest deadline, in monotonic ns, of a timer or a timed wait; None when
        there is none that passing time ends (CPU-time ones do not advance while no
        thread runs)."""
        best = None
        timers = self.sys.__dict__.get("_timers")
        if timers is not None:
            best = timers.next_deadline()
        from .sys_timers import BASE_MONO, BASE_REAL
        for t in self.tg.threads.values():
            w = t.wait
            if t.state != BLOCKED or w is None or w.deadline is None:
                continue
            if w.base == BASE_MONO:
                d = w.deadline
            elif w.base == BASE_REAL:
                d = w.deadline - self.sys.clock_base_ns(BASE_REAL) + self.sys.mono_ns()
            else:
                continue
            best = d if best is None else min(best, d)
        return best

    def _idle(self):
        """No thread can run: wait for what can make one runnable -- a signal, a child,
        a timer, a deadline, a host file descriptor a poll or read waits for. False when
        nothing can (a futex deadlock)."""
        tg = self.tg
        if self._events(idle=True):
            return True
        if tg.expire_timeout():
            return True
        waiting = self.sys.waiting > 0
        dl = self._next_deadline()
        if dl is None and not waiting:
            return False
        waits = [t.wait for t in tg.threads.values()
                 if t.state == BLOCKED and t.wait is not None]
        child_wait = self.children and any(w.kind == CHILD for w in waits)
        fds = [fd_events for w in waits for fd_events in w.fds]
        cm = self.cm
        if cm is not None and dl is not None and not child_wait and not fds:
            # simulated time jumps to the deadline; nobody ran meanwhile. (A wait for a
            # running child goes first: the child runs in host time, which is not this
            # process's simulated time, so its end is waited for before any deadline.)
            target = self._ns_to_cycle(dl)
            if target > cm.now:
                cm.CY[CY_NOW] = target
            return True
        timeout = None
        if dl is not None and (cm is None or fds):
            timeout = max(0, dl - self.sys.mono_ns()) / 1e9
        if not self.host.active:            # no host signals to wait for: look often
            timeout = 0.01 if timeout is None else min(timeout, 0.01)
        start = time.monotonic_ns()
        h = self.host.wait(timeout, fds)
        if cm is not None and fds:
            # cycle mode, every thread waiting for host file descriptors (input from
            # outside the simulation): the strands waited as long as the host did, up
            # to the deadline
            target = cm.now + self._ns_to_cycle(time.monotonic_ns() - start)
            if dl is not None:
                target = min(target, self._ns_to_cycle(dl))
            if target > cm.now:
                cm.CY[CY_NOW] = target
        if h is not None:
            self._host_signal(h)
        return True

    # ---- fork and exec ------------------------------------------------------------------
    def before_fork(self):
        """Nothing the simulator buffered may be written twice; the pipe the child will
        send its resource use through (sys_rusage.usage_record)."""
        from .sys_process import flush_host_buffers
        flush_host_buffers()
        try:
            if self.trace_out is not None:
                self.trace_out.flush()
        except (OSError, ValueError):
            pass
        self.fork_pipe = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)

    def fork_failed(self):
        for fd in self.fork_pipe:
            os.close(fd)
        self.fork_pipe = None

    def after_fork_child(self, exit_signal, vfork_fd):
        """This simulator is now the child: one thread (the caller), its own pid, no
        pending signals, no timers, no children, no resource use yet."""
        self.forked = True
        if self.vfork_fd is not None:
            os.close(self.vfork_fd)
        self.vfork_fd = vfork_fd
        for fd in list(self.usage_fds.values()) + (
                [self.usage_fd] if self.usage_fd is not None else []):
            os.close(fd)
        r, self.usage_fd = self.fork_pipe
        os.close(r)
        self.fork_pipe = None
        self.usage_fds, self.child_records = {}, {}
        pid = os.getpid()
        self.sys.pid = pid
        self.signals.pid = pid
        s = self.sys.s
        gone = self.tg.only(s, pid)
        if self.cm is not None:
            for x in gone:
                self.cm.finish(x)
        self.signals.pending = []
        self.signals.wsaved = {s: self.signals.wsaved.get(s, [])}
        self.signals.saved_masks = {}
        timers = self.sys.__dict__.get("_timers")
        if timers is not None:
            timers.clear()
        self.children = set()
        self.host_next = 0.0
        self.sys.waiting = 0
        self.sys.reset_usage()

    def after_fork_parent(self, pid):
        r, w = self.fork_pipe
        os.close(w)
        self.fork_pipe = None
        self.usage_fds[pid] = r
        self.children.add(pid)

    def child_usage(self, pid, reaped):
        """The record (sys_rusage.CHILD_RECORD) child `pid` sent as it ended, or None
        (it has not ended, or it left none); `reaped`: the child is gone now."""
        rec = self.child_records.get(pid)
        fd = self.usage_fds.get(pid)
        if rec is None and fd is not None:
            try:
                rec = os.read(fd, 64) or None
            except BlockingIOError:
                rec = None
            if rec is not None:
                self.child_records[pid] = rec
        if reaped:
            self.children.discard(pid)
            self.child_records.pop(pid, None)
            fd = self.usage_fds.pop(pid, None)
            if fd is not None:
                os.close(fd)
        return rec

    def exec_image(self, path, argv, envp, execfn=None):
        """execve's point of no return: the calling thread alone runs `path` (already
        checked by sys_process.resolve_exec) in this process, with a fresh image, stack,
        registers and auxiliary vector; see sys_process for what survives."""
        s = self.sys.s
        pid = self.sys.pid
        gone = self.tg.only(s, pid)
        if self.cm is not None:
            for x in gone:
                self.cm.finish(x)
        t = self.tg.threads[s]
        t.clear_tid = t.robust_list = 0
        self.sys.waiting = 0
        fds = self.sys.fds
        for fd in sorted(fds.cloexec):
            fds.close(fd)
        self.signals.pending = [p for p in self.signals.pending
                                if p.tid is None or p.tid == pid]
        self.signals.exec_reset()
        timers = self.sys.__dict__.get("_timers")
        if timers is not None:
            timers.clear(posix_only=True)
        if self.vfork_fd is not None:           # the vfork parent goes on
            os.close(self.vfork_fd)
            self.vfork_fd = None
        self.mem.unmap(0, 1 << 64)
        try:
            prog = loader.load(self.mem, path, argv, envp=envp, hwcap=self.hwcap,
                               execfn=execfn)
        except (loader.LoadError, MemoryError, ValueError):
            raise ProcessKilled(SIGSEGV, True) from None
        loader.init_registers(self.St, s, prog)
        self.prog = prog
        self.symbols = None
        sc = self.sys
        sc.exe_path = os.path.realpath(path)
        sc.brk_start = sc.brk_cur = prog.brk
        sc.mmap_next = prog.mmap_base
        sc.tid_address = 0

    # ---- tracing ------------------------------------------------------------------------
    def symbolize(self, addr):
        if self.symbols is None:
            self.symbols = Symbols(self.prog.image.symbols())
        return self.symbols.lookup(addr)

    def _trace_line(self, s=0):
        pc = int(self.St.C[s, S.PC])
        try:
            word = self.mem.read_u32(pc)
            text = isa.disasm(word, pc, self.symbolize)
        except Exception:
            text = "<no instruction>"
        sym = self.symbolize(pc)
        tag = f"[{s}] " if len(self.tg.threads) > 1 or s else ""
        line = (f"{tag}{pc:#018x} <{sym}>: {text}\n" if sym
                else f"{tag}{pc:#018x}: {text}\n")
        out = self.trace_out
        if out is None:
            os.write(2, line.encode())
        else:
            out.write(line)

    def dump_registers(self, s, tt):
        St, C = self.St, self.St.C
        lines = [f"sun4v: unexpected trap {tt:#x} at pc {int(C[s, S.PC]):#018x}"
                 + (f" (strand {s})" if s else "")]
        for title, base in (("g", 0), ("o", 8), ("l", 16), ("i", 24)):
            vals = [St.get_reg(s, base + i) for i in range(8)]
            lines.append(f"%{title}0-3: " + " ".join(f"{v:016x}" for v in vals[:4]))
            lines.append(f"%{title}4-7: " + " ".join(f"{v:016x}" for v in vals[4:]))
        lines.append(f"pc: {int(C[s, S.PC]):016x}  npc: {int(C[s, S.NPC]):016x}  "
                     f"ccr: {int(C[s, S.CCR]):02x}  y: {int(C[s, S.Y]):08x}  "
                     f"cwp: {int(C[s, S.CWP])}")
        os.write(2, ("\n".join(lines) + "\n").encode())

    # ---- statistics ---------------------------------------------------------------------
    def stats(self):
        """The run's figures as plain data (fields in the module docstring)."""
        n = self.insns
        st = {
            "program": self.path,
            "chip": self.chip,
            "mode": self.mode,
            "strand_limit": self.max_strands,
            "instructions": n,
            "syscalls": dict(sorted(self.sys.counts.items())),
            "traps": {f"{k:#x}": v for k, v in sorted(self.traps.items())},
            "page_faults": self.page_faults,
            "signals_delivered": self.signals.delivered,
            "threads": self.tg.stats(),
            "wall_seconds": round(self.wall, 6),
            "engine_startup_seconds": round(self.startup, 6),
            "mips": round(n / self.wall / 1e6, 3) if self.wall > 0 else 0.0,
            "exit_status": self.exit_status if self.term_signal is None else None,
            "signal": SIGNAMES.get(self.term_signal, self.term_signal)
            if self.term_signal else None,
        }
        spc = chips.chip(self.chip)["strands_per_core"]
        C = self.St.C
        if self.cm is None:
            st["strands"] = [{"id": s, "core": s // spc, "instructions": int(C[s, S.INSNS])}
                             for s in range(self.St.nstrands) if C[s, S.INSNS]]
            return st
        cs = self.cm.stats()
        for row in cs["strands"]:
            f = self.futex_cycles[row["id"]]
            if f:
                row["cycles"]["wait_futex"] = f
            w = self.wait_cycles[row["id"]]
            if w:
                row["cycles"]["wait_blocked"] = w
        cs.pop("mode", None)
        cs.pop("chip", None)
        cs.pop("instructions", None)
        st.update(cs)
        st["simulated_seconds"] = round(cs["cycles"] / (cs["clock_mhz"] * 1e6), 9)
        return st

    def write_stats(self, dest):
        st = self.stats()
        if dest == "-":
            os.write(2, summary_text(st).encode())
            return
        write_atomic(dest, json.dumps(st, indent=2) + "\n")


def summary_text(st):
    """The statistics as readable lines: totals, then a table per strand and per core."""
    calls = ", ".join(f"{k} {v}" for k, v in st["syscalls"].items()) or "none"
    ended = (f"signal {st['signal']}" if st["signal"]
             else f"exit status {st['exit_status']}")
    th = st["threads"]
    out = [f"sun4v: {st['instructions']} instructions in {st['wall_seconds']:.3f} s "
           f"({st['mips']:.2f} MIPS) on {st['chip']}, {st['mode']} mode, {ended}",
           f"sun4v: syscalls: {calls}",
           f"sun4v: threads: {th['threads_created']} created, {th['threads_peak']} at once "
           f"(strand limit {th['strand_limit']}); futex waits {th['futex_waits']}, "
           f"wakes {th['futex_wakes']}, timeouts {th['futex_timeouts']}"]
    if st["mode"] != "cycle":
        if len(st["strands"]) > 1:
            out.append("sun4v: strand  core  instructions")
            for r in st["strands"]:
                out.append(f"sun4v: {r['id']:6d} {r['core']:5d} {r['instructions']:13d}")
        return "\n".join(out) + "\n"
    cyc = st["cycles"]
    out.append(f"sun4v: {cyc} cycles at {st['clock_mhz']} MHz = "
               f"{st['simulated_seconds'] * 1e3:.3f} ms simulated, "
               f"IPC {st['instructions'] / cyc if cyc else 0:.3f} (chip)")
    waits = ["wait_" + r for r in REASON_NAMES[1:]] + ["wait_futex", "wait_blocked"]
    used = [w for w in waits if any(w in r["cycles"] for r in st["strands"])]
    out.append("sun4v: strand core  instructions    running      ready"
               + "".join(f" {w[5:]:>12s}" for w in used))
    for r in st["strands"]:
        c = r["cycles"]
        out.append(f"sun4v: {r['id']:6d} {r['core']:4d} {r['instructions']:13d} "
                   f"{c['running']:10d} {c['ready']:10d}"
                   + "".join(f" {c.get(w, 0):12d}" for w in used))
    out.append("sun4v: core  instructions     IPC  pipe utilisation  rolled back")
    for r in st["cores"]:
        pu = "/".join(f"{u:.3f}" for u in r["pipe_utilisation"])
        out.append(f"sun4v: {r['id']:4d} {r['instructions']:13d} {r['ipc']:7.3f}  "
                   f"{pu:>16s} {r['rolled_back_slots']:12d}")

    def rate(m, a):
        return f"{100 * m / a:.2f}%" if a else "-"
    for name in ("l1i", "l1d", "l2", "itlb", "dtlb"):
        c = st.get(name)
        if c:
            out.append(f"sun4v: {name:5s} {c['accesses']:12d} accesses {c['misses']:10d} "
                       f"misses ({rate(c['misses'], c['accesses'])})")
    x = st["ccx"]
    out.append(f"sun4v: ccx   {x['requests']:12d} requests {x['queue_full_stalls']:10d} "
               f"queue-full stalls")
    m = st.get("memory", {})
    if m:
        out.append(f"sun4v: memory {m['reads']} reads, {m['writes']} writes, "
                   f"{m['bytes']} bytes, {m.get('bandwidth_GBps', 0.0):.3f} GB/s")
    return "\n".join(out) + "\n"


