"""A Linux process in syscall-emulation mode: loader + engine + system calls + signals.

The run loop is the KVM pattern (DESIGN.md): the engine runs the strand until an exit;
a system call or a trap is handled here as the Linux kernel would, then the strand resumes.

Choices: when --max-insns is reached the run stops with the line
`sun4v: instruction limit N reached` on stderr and exit status 124 (timeout(1)'s status
for "ran out of time"). run() returns the exit status, or -SIG (guest signal number) when
the program was killed by a signal; the command line then ends itself with that signal.
"""
import bisect
import json
import os
import tempfile
import time

from ..cmt import isa
from ..cmt import state as S
from ..cmt.engine import Engine
from ..cmt.memory import Memory
from . import loader
from .signals import SIGSEGV, SIGNAMES, ProcessKilled, Signals, trap_signal
from .syscalls import SyscallExit, Syscalls

LIMIT_STATUS = 124
CHUNK = 1 << 24
T_GETCONTEXT, T_SETCONTEXT = 0x16E, 0x16F     # ta 0x6e / 0x6f (Linux ttable_64.S)


class InstructionLimit(Exception):
    pass


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
    """One static sparc64 program run on strand 0 of an engine."""

    def __init__(self, path, args=(), chip="t2", max_insns=None, trace=False,
                 envp=None, hwcap=None, argv0=None, trace_file=None):
        self.path = path
        self.chip = chip
        self.max_insns = max_insns
        self.trace = trace
        self.trace_out = trace_file
        self.mem = Memory()
        argv = [argv0 if argv0 is not None else path] + list(args)
        self.prog = loader.load(self.mem, path, argv, envp=envp, hwcap=hwcap)
        self.eng = Engine(nstrands=1, mem=self.mem, mode=S.MODE_SE, chip=chip)
        self.St = self.eng.S
        loader.init_registers(self.St, 0, self.prog)
        self.signals = Signals(self.mem, self.St, 0)
        self.sys = Syscalls(self.mem, self.St, self.prog, path, signals=self.signals)
        self.symbols = None
        self.exit_status = None
        self.term_signal = None
        self.wall = 0.0
        self.startup = 0.0
        self.traps = {}

    # ---- the run loop ------------------------------------------------------------------
    def run(self):
        """Run to the end. Returns the exit status, -SIG if killed by guest signal SIG,
        or LIMIT_STATUS when the instruction limit was reached."""
        # a zero-instruction run compiles or loads the engine, so that the statistics
        # time the program and not numba
        t = time.perf_counter()
        self.eng.run(0, 0)
        t0 = time.perf_counter()
        self.startup = t0 - t
        try:
            self._loop()
        except SyscallExit as e:
            self.exit_status = e.status
        except ProcessKilled as e:
            self.term_signal = e.sig
            self.exit_status = -e.sig
        except InstructionLimit:
            os.write(2, f"sun4v: instruction limit {self.max_insns} reached\n".encode())
            self.exit_status = LIMIT_STATUS
        finally:
            self.wall = time.perf_counter() - t0
        return self.exit_status

    def _budget(self):
        if self.max_insns is None:
            return CHUNK
        left = self.max_insns - self.insns
        if left <= 0:
            raise InstructionLimit()
        return min(CHUNK, left)

    @property
    def insns(self):
        return int(self.St.C[0, S.INSNS])

    def _loop(self):
        eng = self.eng
        while True:
            if self.trace:
                self._budget()
                self._trace_line()
                code = eng.step(0)
            else:
                code = eng.run(0, self._budget())
            if code == S.EXIT_BUDGET:
                continue
            if code == S.EXIT_SYSCALL:
                self.sys.handle()
            elif code == S.EXIT_TRAP:
                self._trap()
            elif code == S.EXIT_UNIMPL:
                self._fault(0x10)
            else:
                raise RuntimeError(f"engine exit {code:#x} in syscall-emulation mode")
            self.signals.deliver_pending()

    def _trap(self):
        C = self.St.C
        tt = int(C[0, S.EXIT_ARG0])
        self.traps[tt] = self.traps.get(tt, 0) + 1
        if tt == T_GETCONTEXT or tt == T_SETCONTEXT:
            ok = (self.signals.get_context() if tt == T_GETCONTEXT
                  else self.signals.set_context())
            if not ok:
                self.signals.force_fault(SIGSEGV, 0, 0, tt)
            return
        self._fault(tt)

    def _fault(self, tt):
        C = self.St.C
        pc = int(C[0, S.PC])
        addr = int(C[0, S.EXIT_ARG1])
        sigcode = trap_signal(tt, addr, pc, int(C[0, S.FSR]),
                              self.mem.is_mapped(addr if tt != 0x08 else pc))
        if sigcode is None:           # a software trap Linux completes (flushw)
            npc = int(C[0, S.NPC])
            C[0, S.PC] = npc
            C[0, S.NPC] = npc + 4
            C[0, S.INSNS] += 1
            return
        sig, code, si_addr = sigcode
        act = self.signals.actions[sig]
        if self.trace and act.handler in (0, 1):
            self.dump_registers(tt)
        self.signals.force_fault(sig, code, si_addr, tt)

    # ---- tracing ------------------------------------------------------------------------
    def symbolize(self, addr):
        if self.symbols is None:
            self.symbols = Symbols(self.prog.image.symbols())
        return self.symbols.lookup(addr)

    def _trace_line(self):
        pc = int(self.St.C[0, S.PC])
        try:
            word = self.mem.read_u32(pc)
            text = isa.disasm(word, pc, self.symbolize)
        except Exception:
            text = "<no instruction>"
        sym = self.symbolize(pc)
        line = f"{pc:#018x} <{sym}>: {text}\n" if sym else f"{pc:#018x}: {text}\n"
        out = self.trace_out
        if out is None:
            os.write(2, line.encode())
        else:
            out.write(line)

    def dump_registers(self, tt):
        St, C = self.St, self.St.C
        lines = [f"sun4v: unexpected trap {tt:#x} at pc {int(C[0, S.PC]):#018x}"]
        for title, base in (("g", 0), ("o", 8), ("l", 16), ("i", 24)):
            vals = [St.get_reg(0, base + i) for i in range(8)]
            lines.append(f"%{title}0-3: " + " ".join(f"{v:016x}" for v in vals[:4]))
            lines.append(f"%{title}4-7: " + " ".join(f"{v:016x}" for v in vals[4:]))
        lines.append(f"pc: {int(C[0, S.PC]):016x}  npc: {int(C[0, S.NPC]):016x}  "
                     f"ccr: {int(C[0, S.CCR]):02x}  y: {int(C[0, S.Y]):08x}  "
                     f"cwp: {int(C[0, S.CWP])}")
        os.write(2, ("\n".join(lines) + "\n").encode())

    # ---- statistics ---------------------------------------------------------------------
    def stats(self):
        n = self.insns
        return {
            "program": self.path,
            "chip": self.chip,
            "instructions": n,
            "syscalls": dict(sorted(self.sys.counts.items())),
            "traps": {f"{k:#x}": v for k, v in sorted(self.traps.items())},
            "signals_delivered": self.signals.delivered,
            "wall_seconds": round(self.wall, 6),
            "engine_startup_seconds": round(self.startup, 6),
            "mips": round(n / self.wall / 1e6, 3) if self.wall > 0 else 0.0,
            "exit_status": self.exit_status if self.term_signal is None else None,
            "signal": SIGNAMES.get(self.term_signal, self.term_signal)
            if self.term_signal else None,
        }

    def write_stats(self, dest):
        st = self.stats()
        if dest == "-":
            calls = ", ".join(f"{k} {v}" for k, v in st["syscalls"].items()) or "none"
            ended = (f"signal {st['signal']}" if st["signal"]
                     else f"exit status {st['exit_status']}")
            text = (f"sun4v: {st['instructions']} instructions in {st['wall_seconds']:.3f} s "
                    f"({st['mips']:.2f} MIPS) on {st['chip']}, {ended}\n"
                    f"sun4v: syscalls: {calls}\n")
            os.write(2, text.encode())
            return
        write_atomic(dest, json.dumps(st, indent=2) + "\n")


def write_atomic(path, text):
    """Write a file so that readers see the old or the new content, never a part."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".sun4v-", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

