"""The full-system machine: every strand of a platform's chips, one physical memory, the
devices, and the run loop over all strands (runloop.py), from power-on reset.

    m = Machine("t5220")                       # or a Platform value, memory=..., quantum=...
    m.load_elf("build/baremetal/hello")        # segments at their physical addresses
    m.load_image("hv-md.bin", 0x1F_1208_0000)  # raw images (ROMs, machine descriptions)
    r = m.run(max_insns=10_000_000)            # RunResult(reason, value, strand)
    m.hv_uart.text()                           # what the firmware printed

Strands: global strand id = socket * strands_per_chip + core * strands_per_core + strand;
global core id = socket * cores + core (TLBs are per global core). After power-on reset
strand 0 runs; the others wait for a resume or a reset (T1: IOB INT_VEC_DIS; T2: ASI
0x41 CORE_RUNNING W1S or ASI 0x73), as the chips start (strandctl.py).

Physical memory is the platform's RAM ranges, its ROMs (read-only to the strands) and
NVRAM, with pages made at first touch; the devices are windows decoded in Python
(devices/). Any other physical address is a bus error: data_access_error (0x32) or
instruction_access_error (0x0A) to the hypervisor. A device access exits the jitted loop
with the physical address, size, direction, store data and target register (cmt/state.py
IO_* slots); Python performs it and retires the instruction (`_io`).

The simulator's own exit is Legion's magic trap: `ta 0x71` in hyperprivileged mode powers
the machine off with %o0 as the power-off value (cmt/traptypes.py T_MAGIC_EXIT).

Time: functional mode counts steps (one instruction per strand per step; runloop.py);
cycle mode counts the chip's cycles (cmt/cycle.py); %stick runs at the platform's stick
frequency; the TOD advances with simulated time. Device events (input on a UART) happen
at simulated times: at the first round boundary (functional) or cycle (cycle mode) at
or after the time asked for. Runs are deterministic: the same images, inputs and event
times give the same state and counts however `run` is sliced.

Threads: `start()` runs the machine in a worker thread (the jitted loop releases the
GIL); `pause()` stops it at an instruction boundary (a round boundary when the attention
flag is seen, else the end of a slice), `resume()` goes on exactly from there, `stop()`
ends it; `wait()` returns the RunResult.

Checkpoints: `state()` / `set_state()` are the whole machine as arrays and plain data,
`checkpoint(path)` / `Machine.restore(path)` the same in a file (sun4v/checkpoint.py); a
restored machine runs on exactly as the saved one would have.

Modes: "functional" (runloop.py: strands round-robin in quanta) and "cycle": the
cycle-level T1/T2 model (cmt/cycle.py) over every strand of every core and socket, the
same architectural state, MMIO exits and attention flag; the same program retires the
same instructions with the same results wherever they do not depend on timing. In
cycle mode `run(max_insns=N)` stops at the first cycle boundary at which N instructions
have retired (up to one more per thread group), `run(until=T)` at cycle T exactly.
Statistics: `stats()`; in cycle mode per strand cycles running, ready and waiting by
reason (halted, parked, not started among them), per core IPC and pipe utilisation,
L1/L2/DRAM/TLB counters."""
import dataclasses
import heapq
import threading
from collections import namedtuple

import numpy as np

from .. import checkpoint
from ..checkpoint import CheckpointError
from ..cmt import memory as MEM
from ..cmt import mmu as MMU
from ..cmt import state as S
from ..cmt import traps
from ..cmt import cycle as CYM
from ..cmt.engine import new_decode_cache
from ..cmt.exec_fp import dset, sset
from ..cmt.traptypes import T_DATA_ACCESS_ERROR
from . import loader, platforms, runloop
from .devices import BusError
from .devices.iob import DEV_SSI, Iob
from .devices.ncu import Ncu, NcuMondo
from .devices.rom import Rom
from .devices.tod import Tod
from .devices.uart import Uart16550
from .reset import power_on_reset
from .strandctl import StrandControl

MODES = ("functional", "cycle")
QUANTUM = 1000          # steps per strand per round (chosen: cross-strand effects are
#                         seen within 1000 instructions; switching costs ~1% of the time)
SLICE = 1 << 22         # instructions per jitted call at most (a pause is seen between)
NEVER = runloop.NEVER

RunResult = namedtuple("RunResult", "reason value strand")


class _Feed:
    """A pending UART input event (Machine.feed): saved by name in a checkpoint."""

    def __init__(self, uart, data):
        self.uart, self.data = uart, data

    def __call__(self):
        self.uart.feed(self.data)
# reason: "poweroff" (value: the power-off value, %o0 of ta 0x71), "halted" (no strand can
# run and nothing will wake one), "budget" (max_insns retired), "until" (machine time
# reached), "attention" (paused), "error_state" (value: the trap type, at TL = MAXTL),
# "unimplemented" (value: the instruction word)


# cycle-model wait reasons of a strand that is not running code (stats: awake cycles)
ASLEEP = ("wait_halted", "wait_parked", "wait_not_started", "wait_error_state")


class Machine:
    def __init__(self, platform, memory=None, mode="functional", quantum=QUANTUM,
                 tod_seconds=0, hv_uart_sink=None):
        p = platforms.platform(platform)
        if memory is not None:
            p = p.replace(memory=memory)
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
        if quantum < 1:
            raise ValueError("quantum must be at least 1 step")
        self.platform = p
        self.chip = p.chip
        self.mode = mode
        self.nstrands = ns = p.strands
        self.S = S.StrandArrays(ns)
        self.S.C[:, S.MODE] = S.MODE_FULL
        num, den = p.stick_ratio
        self.S.C[:, S.STICK_NUM] = num
        self.S.C[:, S.STICK_DEN] = den
        self.mmu = MMU.new_mmu(ns, chip=self.chip)
        self.vcid_mask = MMU.vcid_mask(self.chip)
        self.dc = new_decode_cache()
        self.loop = runloop.new_loop(quantum)
        self.att = np.zeros(1, dtype=np.int64)
        self.cm = None
        if mode == "cycle":
            # every strand of every socket in the thread select; the attention flag is
            # the model's own CY[CY_ATT] (a view: another thread's write is seen there)
            self.cm = CYM.CycleModel(self, self.chip)
            self.att = self.cm.CY[CYM.CY_ATT:CYM.CY_ATT + 1]
        self.mem = MEM.Memory(alloc_on_touch=True)
        self.roms = {}
        for r in p.address_map():
            if r.name in ("hv_ram", "guest_ram"):
                continue                        # conventions inside RAM
            if r.kind == platforms.RAM:
                self.mem.add_region(r.base, r.size, MEM.PERM_RWX)
            elif r.kind == platforms.NVRAM:
                self.mem.add_region(r.base, r.size, MEM.PERM_R | MEM.PERM_W)
            elif r.kind == platforms.ROM:
                self.roms[r.name] = Rom(r.name, r.base, r.size)
                self.mem.add_region(r.base, r.size, Rom.perm)
        # ---- devices --------------------------------------------------------------
        self.ctl = StrandControl(self)
        if p.family == "t1":
            self.intr = Iob(self.ctl, p.serial, p.chip.cores)
        else:
            self.intr = Ncu(self.ctl, p.serial, self.vcid_mask)
        raise_ssi = lambda: self.intr.interrupt(DEV_SSI)   # noqa: E731
        self.hv_uart = Uart16550("hv_uart", sink=hv_uart_sink, irq=raise_ssi)
        self.guest_uarts = [Uart16550(f"guest_uart{n}", irq=raise_ssi)
                            for n in range(p.guest_uarts)]
        self.tod = Tod(tod_seconds, p.clock_hz, self.strand_time)
        self.devices = {"hv_uart": self.hv_uart, "tod": self.tod,
                        "iob" if p.family == "t1" else "ncu": self.intr}
        for n, u in enumerate(self.guest_uarts):
            self.devices[f"guest_uart{n}"] = u
        if p.family != "t1":
            self.devices["ncu_mondo"] = NcuMondo(p.chip.strands_per_socket)
        for r in p.address_map():
            if r.kind == platforms.DEVICE:
                self._check_device_window(r)
                self.mem.add_mmio(r.base, r.size, self.devices[r.name])
        # ---- power-on reset ---------------------------------------------------------
        for s in range(ns):
            power_on_reset(self.S, self.mmu, s, self.chip)
            if s:
                self.S.C[s, S.RUN_STATE] = S.RS_WAIT
        self._events = []
        self._seq = 0
        self._thread = None
        self._result = None
        self._resume_evt = threading.Event()
        self._paused_evt = threading.Event()
        self._stopping = False
        self.insns_run = 0

    def _check_device_window(self, r):
        lo = r.base & ~(MEM.PAGE_SIZE - 1)
        hi = (r.limit + MEM.PAGE_SIZE - 1) & ~(MEM.PAGE_SIZE - 1)
        for j in range(int(self.mem.meta[MEM.META_NREGIONS])):
            a, b, _ = (int(x) for x in self.mem.regions[j])
            if lo < b and a < hi:
                raise ValueError(f"device {r.name} at {r.base:#x} shares a page with "
                                 f"memory at {a:#x}")

    # ---- loading ------------------------------------------------------------------
    def load_elf(self, path):
        """Load an ELF's segments at their physical addresses (p_paddr); returns the
        entry point. LoadError names a segment that does not fit."""
        return loader.load_elf(self, path)

    def load_image(self, data_or_path, pa):
        """Load a raw image (bytes, or a file's contents) at physical address pa."""
        return loader.load_image(self, data_or_path, pa)

    def scrub(self, pa, size):
        """Zero physical memory [pa, pa+size) (8 KB aligned) from the host, between
        run() calls: its pages read as zeros again, as memory no one has used (a domain's
        memory scrubbed before it starts, ldm/livebackend.py). The strands' translation
        caches hold page slots (cmt/mmu.py xc_lookup): they are emptied."""
        self.mem.scrub(pa, size)
        self.mmu.xc[..., MMU.XE_TAG] = 0
        self.mmu.xfill[..., 0] = 0

    # ---- time and events ----------------------------------------------------------
    @property
    def quantum(self):
        return int(self.loop[runloop.L_QUANTUM])

    @property
    def time(self):
        """Machine time: functional mode, the steps at the start of the current round
        (all strands are at least this far); cycle mode, the current cycle."""
        if self.cm is not None:
            return self.cm.now
        return int(self.loop[runloop.L_ROUND])

    def strand_time(self, s):
        C = self.S.C[s]
        if int(C[S.TIMING]) == S.TIMING_CYCLE:
            return int(C[S.CYCLE])
        return int(C[S.INSNS]) + int(C[S.IDLE])

    def at(self, time, fn):
        """Call fn() at machine time `time` (at the first round boundary at or after it;
        now when the time has passed)."""
        heapq.heappush(self._events, (int(time), self._seq, fn))
        self._seq += 1
        self._next_event(self._events[0][0])

    def _next_event(self, t):
        if self.cm is not None:
            self.cm.CY[CYM.CY_NEXT_EVENT] = min(t, int(CYM.INF))
        else:
            self.loop[runloop.L_NEXT_EVENT] = t

    def feed(self, uart, data, at=None):
        """Bytes arriving on a UART's receive line at machine time `at` (default: now)."""
        self.at(self.time if at is None else at, _Feed(uart, bytes(data)))

    def _run_events(self):
        now = self.time
        while self._events and self._events[0][0] <= now:
            _, _, fn = heapq.heappop(self._events)
            fn()
        self._next_event(self._events[0][0] if self._events else NEVER)

    # ---- running --------------------------------------------------------------------
    def run(self, max_insns=None, until=None):
        """Run until power-off, an idle machine, an error, `max_insns` retired
        instructions (all strands), machine time `until` (the first round boundary at
        or after it) or a pause. Returns a RunResult. (Cycle mode: `until` is a cycle,
        and the budget is checked at cycle boundaries.)"""
        left = (1 << 62) if max_insns is None else int(max_insns)
        upto = NEVER if until is None else int(until)
        if self.cm is not None:
            return self._run_cycle(left, upto)
        St = self.S
        while True:
            if left <= 0:
                return RunResult("budget", None, None)
            if self.att[0]:
                return RunResult("attention", None, None)
            n = min(left, SLICE)
            before = int(St.C[:, S.INSNS].sum())
            code = runloop.run_machine(St.bundle, self.mem.M, self.mmu, self.dc, self.loop,
                                       self.att, n, upto)
            ran = int(St.C[:, S.INSNS].sum()) - before
            left -= ran
            self.insns_run += ran
            s = int(self.loop[runloop.L_STRAND])
            if code == S.EXIT_BUDGET:
                continue
            if code == S.EXIT_MMIO:
                if self._io(s):
                    left -= 1
                    self.insns_run += 1
                continue
            if code == S.EXIT_MEMGROW:
                self.mem.grow()
                continue
            if code == S.EXIT_EVENT:
                self._run_events()
                continue
            if code == S.EXIT_ATTENTION:
                return RunResult("attention", None, None)
            if code == S.EXIT_UNTIL:
                return RunResult("until", self.time, None)
            return self._stopped(code, s, "machine loop")

    _STOPS = {S.EXIT_HALT: "halted", S.EXIT_POWEROFF: "poweroff",
              S.EXIT_ERROR_STATE: "error_state", S.EXIT_UNIMPL: "unimplemented"}

    def _stopped(self, code, s, loop):
        """The RunResult of a loop exit that ends the run on strand s (halted: the whole
        machine, no value)."""
        why = self._STOPS.get(code)
        if why is None:
            raise RuntimeError(f"{loop} exit {code:#x} on strand {s}")
        if code == S.EXIT_HALT:
            return RunResult(why, None, None)
        return RunResult(why, int(self.S.C[s, S.EXIT_ARG0]), s)

    def _run_cycle(self, left, upto):
        """run() in cycle mode: the cycle model over the whole machine."""
        St, cm = self.S, self.cm
        CY = cm.CY
        upto = min(upto, int(CYM.INF))
        while True:
            if left <= 0:
                return RunResult("budget", None, None)
            if self.att[0]:
                return RunResult("attention", None, None)
            before = int(CY[CYM.CY_INSNS])
            code = cm.run(max_insns=min(left, SLICE), max_cycles=upto)
            ran = int(CY[CYM.CY_INSNS]) - before
            left -= ran
            self.insns_run += ran
            St.C[:, S.CYCLE] = cm.now           # every strand's time is the cycle
            s = cm.strand
            if code == S.EXIT_BUDGET:
                if cm.now >= upto:
                    return RunResult("until", cm.now, None)
                continue
            if code == S.EXIT_MMIO:
                ok = self._io(s)
                cm.io_done(s, ok)
                if ok:
                    left -= 1
                    self.insns_run += 1
                continue
            if code == S.EXIT_EVENT:
                self._run_events()
                continue
            if code == S.EXIT_ATTENTION:
                return RunResult("attention", None, None)
            return self._stopped(code, s, "cycle model")

    def _io(self, s):
        """Perform the access strand s exited with (EXIT_MMIO), then retire it; a bus
        error takes data_access_error instead. Returns True when it retired."""
        St = self.S
        C = St.C[s]
        asi, size, flags = int(C[S.IO_ASI]), int(C[S.IO_SIZE]), int(C[S.IO_FLAGS])
        store = bool(flags & S.IOF_STORE)
        data = int(C[S.IO_DATA])
        value, tt = None, 0
        try:
            if asi == 0:
                pa = int(C[S.IO_PA])
                base, dev = self.mem.mmio_device(pa)
                if store:
                    if flags & S.IOF_LE:
                        data = int.from_bytes(data.to_bytes(size, "big"), "little")
                    dev.write(pa - base, size, data, s)
                else:
                    value = dev.read(pa - base, size, s)
                    if flags & S.IOF_LE:
                        value = int.from_bytes(value.to_bytes(size, "big"), "little")
                    if flags & S.IOF_SIGNED and value >> (8 * size - 1):
                        value -= 1 << (8 * size)
            elif asi == MMU.ASI_CMP_CHIP:
                va = int(C[S.IO_VA])
                if store:
                    tt = self.ctl.cmp_write(s, va, data)
                else:
                    value, tt = self.ctl.cmp_read(s, va)
            elif asi == MMU.ASI_INTR_W:
                self.ctl.dispatch(s, data)
            else:
                raise RuntimeError(f"EXIT_MMIO for ASI {asi:#x}")
        except BusError:
            tt = T_DATA_ACCESS_ERROR
        if tt:
            C[S.EXIT_ARG1] = C[S.IO_VA]
            traps.take_trap(St.R[s], St.RM[s], C, tt)
            C[S.DEADLINE] = 0
            return False
        if value is not None:
            reg = int(C[S.IO_REG])
            v = np.uint64(value & (2**64 - 1))
            if flags & S.IOF_FP:
                (sset if size == 4 else dset)(C, St.F[s], reg, v)
            else:
                St.R[s, reg] = v
        C[S.PC] = C[S.NPC]
        C[S.NPC] = C[S.NPC] + np.uint64(4)
        C[S.INSNS] += np.uint64(1)
        C[S.DEADLINE] = 0               # a device may have changed this strand's interrupts
        return True

    # ---- the machine in a worker thread ------------------------------------------------
    def start(self, max_insns=None, until=None):
        """Run in a worker thread; returns at once."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the machine is already running")
        self._stopping = False
        self._result = None
        self.att[0] = 0

        def work():
            left = max_insns
            while True:
                before = self.insns_run
                r = self.run(max_insns=left, until=until)
                if left is not None:
                    left -= self.insns_run - before
                if r.reason != "attention" or self._stopping:
                    self._result = r
                    self._paused_evt.set()
                    return
                self._paused_evt.set()
                self._resume_evt.wait()
                self._resume_evt.clear()
                if self._stopping:
                    self._result = r
                    return
        self._paused_evt.clear()
        self._resume_evt.clear()
        self._thread = threading.Thread(target=work, name="sun4v-machine", daemon=True)
        self._thread.start()

    def pause(self, timeout=None):
        """Stop the worker at an instruction boundary; True when it is stopped."""
        self.att[0] = 1
        return self._paused_evt.wait(timeout)

    def resume(self):
        """Go on from where pause() stopped."""
        self._paused_evt.clear()
        self.att[0] = 0
        self._resume_evt.set()

    def stop(self):
        """End the worker's run; returns its RunResult."""
        self._stopping = True
        self.att[0] = 1
        self._resume_evt.set()
        return self.wait()

    def wait(self, timeout=None):
        """Wait for the worker to finish; its RunResult (None if still running)."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return None
        self.att[0] = 0
        return self._result

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive() and \
            not self._paused_evt.is_set()

    # ---- checkpoints (sun4v/checkpoint.py) ---------------------------------------------
    def state(self):
        """(arrays, meta) of the whole machine, copied: every strand's registers (R, RM,
        C, F), the MMU arrays (TLBs, per-strand MMU and interrupt registers), the run
        loop, physical memory (touched pages only, cmt/memory.py Memory.state), the
        devices (UARTs with their output and pending input, TOD, IOB/NCU, NCU mondo
        registers, strand control), the platform, the instruction count, pending UART
        input events and, in cycle mode, the cycle model's timing state
        (_cycle_arrays). The decode cache is not saved (it is a function of the words).
        RuntimeError while the machine runs in its worker thread; CheckpointError when an
        event other than UART input is pending (a Python callable cannot be saved)."""
        if self.running:
            raise RuntimeError("pause the machine before saving its state")
        arrays = {"strand.R": self.S.R, "strand.RM": self.S.RM, "strand.C": self.S.C,
                  "strand.F": self.S.F, "loop": self.loop}
        for name, a in self.mmu._asdict().items():
            arrays["mmu." + name] = a
        arrays.update(self._cycle_arrays())
        arrays = {k: v.copy() for k, v in arrays.items()}
        mem_arrays, mem_meta = self.mem.state()
        for k, v in mem_arrays.items():
            arrays["mem." + k] = v
        uarts = {}
        for u in [self.hv_uart] + self.guest_uarts:
            uarts[u.name] = u.state()
            arrays[f"uart.{u.name}.out"] = np.frombuffer(bytes(u.out), dtype=np.uint8)
            arrays[f"uart.{u.name}.rx"] = np.frombuffer(bytes(u.rx), dtype=np.uint8)
        events = []
        for t, seq, fn in sorted(self._events):
            if not isinstance(fn, _Feed):
                raise CheckpointError(f"a pending machine event ({fn!r}) cannot be saved; "
                                      f"save the state between such events")
            events.append([t, seq, fn.uart.name, fn.data.hex()])
        p = self.platform
        meta = {
            "platform": {"key": p.key, "memory": p.memory, "stick_hz": p.stick_hz,
                         "guest_uarts": p.guest_uarts, "serial": p.serial,
                         "chip": dataclasses.asdict(p.chip)},
            "mode": self.mode, "insns_run": self.insns_run, "seq": self._seq,
            "events": events, "memory": mem_meta, "uarts": uarts,
            "tod": self.tod.state(), "intr": self.intr.state(), "ctl": self.ctl.state(),
            "ncu_mondo": self.devices["ncu_mondo"].state() if "ncu_mondo" in self.devices
            else None}
        return arrays, meta

    @staticmethod
    def platform_of_state(meta):
        """The Platform a state() was taken on (KeyError/ValueError when unknown)."""
        d = meta["platform"]
        p = platforms.platform(d["key"])
        return p.replace(chip=p.chip.replace(**{k: v for k, v in d["chip"].items()
                                                 if k != "key"}),
                         memory=d["memory"], stick_hz=d["stick_hz"],
                         guest_uarts=d["guest_uarts"], serial=d["serial"])

    def set_state(self, arrays, meta):
        """Put back a state() of a machine of the same platform, mode and quantum (made
        with the same constructor arguments): the machine then runs on exactly as the
        one saved would have. ValueError names a piece that does not fit."""
        if self.running:
            raise RuntimeError("pause the machine before restoring a state")
        if meta["mode"] != self.mode:
            raise ValueError(f"a {meta['mode']}-mode state, not {self.mode}")
        targets = {"strand.R": self.S.R, "strand.RM": self.S.RM, "strand.C": self.S.C,
                   "strand.F": self.S.F, "loop": self.loop}
        for name, a in self.mmu._asdict().items():
            targets["mmu." + name] = a
        targets.update(self._cycle_arrays())
        for k, a in targets.items():
            if k not in arrays:
                raise ValueError(f"no {k} in the state")
            if arrays[k].shape != a.shape or arrays[k].dtype != a.dtype:
                raise ValueError(f"{k}: {arrays[k].dtype}{arrays[k].shape}, this machine "
                                 f"has {a.dtype}{a.shape}")
        names = [u.name for u in [self.hv_uart] + self.guest_uarts]
        if sorted(meta["uarts"]) != sorted(names):
            raise ValueError("the state's UARTs are not this machine's")
        self.mem.set_state({k[4:]: v for k, v in arrays.items() if k.startswith("mem.")},
                           meta["memory"])
        for k, a in targets.items():
            a[...] = arrays[k]
        self.dc = new_decode_cache()
        by_name = {u.name: u for u in [self.hv_uart] + self.guest_uarts}
        for name, regs in meta["uarts"].items():
            by_name[name].set_state(regs, arrays[f"uart.{name}.out"].tobytes(),
                                    arrays[f"uart.{name}.rx"].tobytes())
        self.tod.set_state(meta["tod"])
        self.intr.set_state(meta["intr"])
        self.ctl.set_state(meta["ctl"])
        if meta["ncu_mondo"] is not None:
            self.devices["ncu_mondo"].set_state(meta["ncu_mondo"])
        self._events = []
        for t, seq, name, data in meta["events"]:
            heapq.heappush(self._events, (int(t), int(seq),
                                          _Feed(by_name[name], bytes.fromhex(data))))
        self._seq = int(meta["seq"])
        self._next_event(self._events[0][0] if self._events else NEVER)
        self.insns_run = int(meta["insns_run"])
        self.att[0] = 0

    def _cycle_arrays(self):
        """The cycle model's timing state (cmt/cycle.py CycleModel: parameters, thread
        state, store buffers, per-strand cycle accounts, thread groups, units, the thread
        select order, the caches and DRAM (MS), the crossbar arbiters (A), the clock
        CY), by name; {} in functional mode. Restored in place: the jitted Timing tuple
        and the attention flag are views of these arrays."""
        cm = self.cm
        if cm is None:
            return {}
        out = {"cycle." + n: getattr(cm, n)
               for n in ("P", "TS", "SBPA", "SC", "G", "U", "ORDER", "CY")}
        for name, a in cm.MS._asdict().items():
            out["cycle.MS." + name] = a
        for name, a in cm.A._asdict().items():
            out["cycle.A." + name] = a
        return out

    def checkpoint(self, path, extra=None):
        """Save the whole machine to `path` (sun4v/checkpoint.py format, written
        atomically); `extra`: a JSON-able dict saved with it (the owner's host state).
        CheckpointError when it cannot be written."""
        arrays, meta = self.state()
        checkpoint.write(path, arrays, {"machine": meta, "extra": extra})

    @classmethod
    def restore(cls, path, hv_uart_sink=None):
        """(Machine, extra) from a checkpoint written by Machine.checkpoint: the machine
        runs on exactly as the saved one would have. CheckpointError (one line) for a
        missing, corrupt, truncated or foreign file."""
        arrays, meta = checkpoint.read(path)
        try:
            mm = meta["machine"]
            m = cls(cls.platform_of_state(mm), mode=mm["mode"],
                    quantum=int(arrays["loop"][runloop.L_QUANTUM]),
                    hv_uart_sink=hv_uart_sink)
            m.set_state(arrays, mm)
        except (KeyError, ValueError, TypeError, IndexError) as e:
            raise CheckpointError(f"{path}: not a state this machine can take "
                                  f"({type(e).__name__}: {e})") from None
        return m, meta.get("extra")

    # ---- inspection -------------------------------------------------------------------
    def run_state(self, s):
        return S.RUN_STATE_NAMES[int(self.S.C[s, S.RUN_STATE])]

    def snapshot(self):
        """Every array of the machine and its devices' state, copied (determinism
        checks): strands, MMU, loop, memory by page number, UART output and input."""
        out = {"R": self.S.R.copy(), "RM": self.S.RM.copy(), "C": self.S.C.copy(),
               "F": self.S.F.copy(), "loop": self.loop.copy()}
        for name, a in self.mmu._asdict().items():
            out["mmu." + name] = a.copy()
        if self.cm is not None:             # the timing state of the cycle model
            cm = self.cm
            for name in ("P", "TS", "SBPA", "SC", "G", "U", "ORDER", "CY"):
                out["cycle." + name] = getattr(cm, name).copy()
            for name, a in cm.MS._asdict().items():
                out["cycle.MS." + name] = a.copy()
            for name, a in cm.A._asdict().items():
                out["cycle.A." + name] = a.copy()
        pages = {}
        keys, vals = self.mem.keys, self.mem.vals
        live = np.nonzero((keys != MEM.EMPTY) & (keys != MEM.TOMB))[0]
        for h in live:
            slot = int(vals[h])
            pages[int(keys[h]) - 1] = self.mem.words[slot * MEM.WORDS_PER_PAGE:
                                                     (slot + 1) * MEM.WORDS_PER_PAGE].copy()
        out["pages"] = pages
        out["uarts"] = [(bytes(u.out), bytes(u.rx)) for u in [self.hv_uart] + self.guest_uarts]
        return out

    def stats(self):
        """Run statistics as plain data (`sun4v baremetal --stats`). Functional: per
        strand instructions, idle steps, traps, run state. Cycle mode: the cycle model's
        (cmt/cycle.py CycleModel.stats: per strand cycles running, ready and waiting by
        reason, incl. halted, parked and not_started; per core IPC and pipe utilisation;
        l1i, l1d, l2, itlb, dtlb, memory, ccx), plus the machine's. Strands that never
        ran since power-on reset are left out."""
        if self.cm is not None:
            return self._cycle_stats()
        C = self.S.C
        strands = []
        for s in range(self.nstrands):
            n, idle = int(C[s, S.INSNS]), int(C[s, S.IDLE])
            if n == 0 and int(C[s, S.RUN_STATE]) == S.RS_WAIT:
                continue
            strands.append({"id": s, "instructions": n, "idle_steps": idle,
                            "traps": int(C[s, S.TRAP_COUNT]), "state": self.run_state(s)})
        t = max(self.strand_time(s) for s in range(self.nstrands))
        p = self.platform
        return {
            "platform": p.key, "mode": self.mode, "chip": self.chip.key,
            "strands_total": self.nstrands, "quantum": self.quantum,
            "instructions": int(C[:, S.INSNS].sum()), "time_steps": t,
            "simulated_seconds": t / p.clock_hz,
            "strands": strands,
            "hv_uart_bytes": len(self.hv_uart.out),
            "memory_pages_touched": self.mem.pages_used(),
        }

    def _cycle_stats(self):
        """stats() in cycle mode; adds per strand "cpi" (its awake cycles, all but
        halted, parked, not started and error state, per instruction) and per core "cpi"
        (cycles per instruction the core issued)."""
        C = self.S.C
        st = self.cm.stats()
        strands = []
        for row in st["strands"]:
            s = row["id"]
            if row["instructions"] == 0 and int(C[s, S.RUN_STATE]) == S.RS_WAIT:
                continue
            row["traps"] = int(C[s, S.TRAP_COUNT])
            row["state"] = self.run_state(s)
            awake = sum(v for k, v in row["cycles"].items() if k not in ASLEEP)
            row["cpi"] = round(awake / row["instructions"], 4) if row["instructions"] else 0.0
            strands.append(row)
        for core in st["cores"]:
            core["cpi"] = round(st["cycles"] / core["instructions"], 4)
        p = self.platform
        cycles = st["cycles"]
        out = {"platform": p.key, "mode": self.mode, "chip": self.chip.key,
               "strands_total": self.nstrands, "instructions": st["instructions"],
               "cycles": cycles, "clock_mhz": st["clock_mhz"],
               "simulated_seconds": cycles / p.clock_hz,
               "ipc": round(st["instructions"] / cycles, 4) if cycles else 0.0}
        st.pop("mode"), st.pop("chip")
        st["strands"] = strands
        out.update(st)
        out["hv_uart_bytes"] = len(self.hv_uart.out)
        out["memory_pages_touched"] = self.mem.pages_used()
        return out
