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
for "ran out of time"). When every thread is blocked and no wait has a timeout (Linux
would hang) the run stops with `sun4v: deadlock: every thread is blocked`, exit status 1.
run() returns the exit status, or -SIG (guest signal number) when the program was killed
by a signal; the command line then ends itself with that signal.

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

from ..cmt import chips, isa
from ..cmt import state as S
from ..cmt.cycle import CY_INSNS, R_SYSCALL, R_TRAP, REASON_NAMES, CycleModel
from ..cmt.engine import Engine
from ..cmt.memory import Memory
from ..atomicfile import write_atomic
from . import loader, mathemu
from .signals import SIGSEGV, SIGNAMES, ProcessKilled, Signals, trap_signal
from .syscalls import SyscallExit, Syscalls
from .threads import BLOCKED, RUNNABLE, ThreadGroup

MODES = ("functional", "cycle")
LIMIT_STATUS = 124
DEADLOCK_STATUS = 1
CHUNK = 1 << 24
# functional mode: instructions a strand runs before the next runnable strand's turn
# (chosen: long enough that switching costs little, short enough to interleave threads)
QUANTUM = 10_000
# cycle mode: cycles a strand waits for the kernel's work in a system call or a trap the
# kernel handles (chosen: a Linux syscall on a T1/T2 strand costs some hundreds of cycles;
# a futex wake-up or a new thread starts this long after the call that caused it)
SYSCALL_CYCLES = 500
TRAP_CYCLES = 500
T_GETCONTEXT, T_SETCONTEXT = 0x16E, 0x16F     # ta 0x6e / 0x6f (Linux ttable_64.S)
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
        self.cm = None
        if mode == "cycle":
            self.cm = CycleModel(self.eng, chip)
            mhz = int(chips.chip(chip)["clock_mhz"])
            self.sys.clock_ns = lambda: self.cm.now * 1000 // mhz
        self.futex_cycles = [0] * total       # cycle mode: cycles blocked in a futex
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
        or LIMIT_STATUS when the instruction limit was reached."""
        # a zero-instruction run compiles or loads the engine, so that the statistics
        # time the program and not numba
        t = time.perf_counter()
        self.eng.run(0, 0)
        if self.cm is not None:
            self.cm.run(max_insns=0)
        t0 = time.perf_counter()
        self.startup = t0 - t
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
        finally:
            self.wall = time.perf_counter() - t0
            self.sys.creds.restore_host()      # the simulator's own file-system ids back
        return self.exit_status

    def _budget(self, n):
        if self.max_insns is None:
            return n
        left = self.max_insns - self.insns
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
                if tg.expire_timeout():
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

    def _loop_cycle(self):
        """The cycle-level model runs every active strand; exits are handled for the strand
        concerned, which then waits SYSCALL_CYCLES (TRAP_CYCLES) before it issues again."""
        cm, tg, C = self.cm, self.tg, self.St.C
        cm.activate(0, at=0)
        while True:
            budget = 1 << 62 if self.max_insns is None else self._budget(1 << 62)
            code = cm.run(max_insns=budget)
            if code == S.EXIT_BUDGET:
                continue                   # the instruction limit: _budget raises next time
            if code == S.EXIT_HALT:        # every strand blocked (or none left)
                if not tg.expire_timeout():
                    raise Deadlock()
                self._sync_strands()
                continue
            s = cm.strand
            before = int(C[s, S.INSNS])
            self.sys.sleep_ns = 0
            try:
                self._kernel(s, code)
            finally:
                cm.CY[CY_INSNS] += int(C[s, S.INSNS]) - before     # a retired `ta`
            t = tg.threads.get(s)
            if t is not None and t.state == BLOCKED:
                cm.block(s)
                t.blocked_at = cm.now
            elif t is not None:
                cost = SYSCALL_CYCLES if code == S.EXIT_SYSCALL else TRAP_CYCLES
                mhz = int(cm.chip["clock_mhz"])
                cm.delay(s, cost + self.sys.sleep_ns * mhz // 1000,
                         R_SYSCALL if code == S.EXIT_SYSCALL else R_TRAP)
            self._sync_strands()

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
            self.futex_cycles[s] += now - t.blocked_at
            cm.activate(s, at=now + SYSCALL_CYCLES)
        tg.created.clear(), tg.woken.clear(), tg.exited.clear()

    def _kernel(self, s, code):
        """Handle an engine exit of strand s as Linux would, on behalf of its thread."""
        tg, sig = self.tg, self.signals
        self.sys.s = s
        sig.s = s
        sig.blocked = tg.threads[s].sigmask
        try:
            if code == S.EXIT_SYSCALL:
                self.sys.handle()
            elif code == S.EXIT_TRAP:
                self._trap(s)
            elif code == S.EXIT_UNIMPL:
                self._fault(s, 0x10)
            else:
                raise RuntimeError(f"engine exit {code:#x} in syscall-emulation mode")
            t = tg.threads.get(s)
            if t is not None and t.state == RUNNABLE:
                sig.deliver_pending()
        finally:
            t = tg.threads.get(s)
            if t is not None:
                t.sigmask = sig.blocked

    def _trap(self, s):
        C = self.St.C
        tt = int(C[s, S.EXIT_ARG0])
        if tt in (0x08, 0x30) and self.mem.fault_in(int(C[s, S.EXIT_ARG1])):
            self.page_faults += 1          # first touch of a mapped page: made, retried
            return
        self.traps[tt] = self.traps.get(tt, 0) + 1
        if tt == T_GETCONTEXT or tt == T_SETCONTEXT:
            ok = (self.signals.get_context() if tt == T_GETCONTEXT
                  else self.signals.set_context())
            if not ok:
                self.signals.force_fault(SIGSEGV, 0, 0, tt)
            return
        self._fault(s, tt)

    def _fault(self, s, tt):
        C = self.St.C
        pc = int(C[s, S.PC])
        if tt in mathemu.TRAPS:
            # illegal_instruction / fp_exception_other: the kernel first tries to complete
            # the instruction (quad FPops, ldqf/stqf on T1/T2)
            sigs = mathemu.handle_trap(self.St, s, self.mem, tt)
            if sigs and self.trace and self.signals.actions[sigs[0][0]].handler in (0, 1):
                self.dump_registers(s, tt)
            for sig, code, si_addr in sigs:
                self.signals.force_fault(sig, code, si_addr, tt)
            return
        addr = int(C[s, S.EXIT_ARG1])
        sigcode = trap_signal(tt, addr, pc, int(C[s, S.FSR]),
                              self.mem.is_mapped(addr if tt != 0x08 else pc))
        if sigcode is None:           # a software trap Linux completes (flushw)
            npc = int(C[s, S.NPC])
            C[s, S.PC] = npc
            C[s, S.NPC] = npc + 4
            C[s, S.INSNS] += 1
            return
        sig, code, si_addr = sigcode
        act = self.signals.actions[sig]
        if self.trace and act.handler in (0, 1):
            self.dump_registers(s, tt)
        self.signals.force_fault(sig, code, si_addr, tt)

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
    waits = ["wait_" + r for r in REASON_NAMES[1:]] + ["wait_futex"]
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


