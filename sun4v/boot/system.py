"""A booted machine: platform + bound domains + machine descriptions + the firmware
hypervisor + each domain's guest image, on one Machine (issue 11 §4).

    cfg = load_config("t5220.toml")
    sys = System(cfg)                      # bind, write the MDs, build and load the machine
    r = sys.run(until=sys.steps("20ms"))   # RunResult-like: reason, time
    sys.console("ldg1")                    # what the domain wrote on its console
    sys.summary()                          # per domain: vCPUs, strands, util, hcalls, traps
    sys.checkpoint("warm.ckpt")            # the whole machine and host side, to a file
    fork = System.restore("warm.ckpt")     # runs on exactly as sys would (issue 14 §3)

Loading, as a service processor does it (reference/sun4v.md §7, the Legion map):
- the hypervisor ELF (build/fw/hv.elf) at its physical addresses (0x10_0000); the reset
  vector jumps to it;
- the hypervisor MD in the HV MD ROM (0x1F_1208_0000); guest MDs in the hypervisor's MD
  area (ldm/mdwriter.py: HV_MDAREA_BASE + (gid + 1) * 256 KB, the guest node's mdpa);
- each guest image (the project's guest kernel build/fw/guest.bin, or a domain's `image`)
  in the boot ROM from 0xFF_F008_0000 ("OpenBoot"), one 64 KB aligned slot per distinct
  image; the guest node's rombase/romsize name it and the hypervisor copies it into the
  guest's memory when it starts the guest.  A raw image is used as it is; an ELF is
  flattened (its loadable bytes from the lowest address).
- domain n's console is guest UART n (0x1F_1000_0000 + n * 0x2000).

Binding: ldm's binder with the platform's topology (the firmware keeps the first 128 MB:
hypervisor RAM and its MD area), the first domain being the control domain `primary`.

Stops: every domain stopped (their guests exited) and the hypervisor idle on every
strand (the machine halts: a stop's follow-up work, such as a delayed reconfiguration,
is done), every domain program ended (reason "programs ended": the domains without a
program are left as they are), `until` (machine steps), an instruction budget, or the
hypervisor powering the machine off (a hypervisor panic)."""
from __future__ import annotations

import dataclasses
import heapq
import os
from dataclasses import dataclass, replace

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from ldm import binder, mdwriter
from ldm.bindings import Bindings
from ldm.constraints import Constraints
from ldm.errors import LdmError
from ldm.topology import Topology
from ldm.vio import bind_vdisks

from .. import checkpoint
from ..checkpoint import CheckpointError
from ..cmt import timebase as TB
from ..machine import Machine, platforms
from ..machine.machine import ASLEEP, NEVER
from ..machine.loader import LoadError
from .config import BootConfig, BootError, DomainConfig
from .hvstate import HvState
from .progproxy import POLL_MAX_FACTOR, POLL_US, ProgramError, ProgramProxy
from ..guest.hostif import DomainMemory

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HV_ELF = os.path.join(ROOT, "build", "fw", "hv.elf")
GUEST_KERNEL = os.path.join(ROOT, "build", "fw", "guest.bin")
IMAGE_BASE = platforms.OBP_IMAGE
IMAGE_END = platforms.BOOT_ROM + platforms.BOOT_ROM_SIZE
IMAGE_ALIGN = 0x1_0000
SLICE = 500_000                         # instructions between console/state checks
HV_PANIC = 0xDEAD


@dataclass(frozen=True)
class BootResult:
    reason: str                         # stopped, until, budget, panic, halted, error
    time: int                           # machine steps
    detail: str = ""


def topology_of(p) -> Topology:
    """The binder's view of a catalogue platform (ldm's Topology.of: its RAM ranges and
    the firmware's reserved memory), named by the platform's key as `ldm` names it."""
    t = Topology.of(p)
    return replace(t, name=p.key.upper())


def machine_info(p) -> mdwriter.MachineInfo:
    c = p.chip
    return mdwriter.MachineInfo(
        key=p.key, banner=p.name,
        family=p.chip.key if p.chip.key in mdwriter.CHIP_FAMILIES else p.family,
        strands=p.strands,
        strands_per_core=c.strands_per_core, cores_per_socket=c.cores,
        clock_hz=p.clock_hz, stick_hz=p.stick_hz, serial=p.serial)


def _read_image(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BootError(f"{path}: {e.strerror}") from None
    if data[:4] != b"\x7fELF":
        if not data:
            raise BootError(f"{path}: empty image")
        return data
    try:
        import io
        elf = ELFFile(io.BytesIO(data))
        segs = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD" and s["p_filesz"]]
        if not segs:
            raise BootError(f"{path}: no loadable segment")
        lo = min(s["p_vaddr"] for s in segs)
        hi = max(s["p_vaddr"] + s["p_filesz"] for s in segs)
        out = bytearray(hi - lo)
        for s in segs:
            out[s["p_vaddr"] - lo:s["p_vaddr"] - lo + s["p_filesz"]] = s.data()
        return bytes(out)
    except ELFError as e:
        raise BootError(f"{path}: not an ELF file ({e})") from None


class System:
    def __init__(self, cfg: BootConfig, mode: str = "functional", hv_elf: str = HV_ELF,
                 kernel: str = GUEST_KERNEL, quantum: int | None = None,
                 tod_seconds: int = 1_700_000_000, hv_uart_sink=None,
                 guest_uarts: int | None = None):
        """guest_uarts: guest UARTs (consoles) to build, default one per domain of the
        configuration (a domain manager binding more domains later asks for more)."""
        self.cfg = cfg
        try:
            p = platforms.platform(cfg.platform)
        except KeyError as e:
            raise BootError(e.args[0]) from None
        p = p.replace(guest_uarts=max(1, len(cfg.domains), guest_uarts or 0))
        self.platform = p
        self.topology = topology_of(p)
        self.bindings = self._bind(cfg)
        self.info = machine_info(p)
        self.images = self._place_images(cfg, kernel)
        try:
            self.mds = mdwriter.write_all(self.bindings, self.info, self.images)
        except LdmError as e:
            raise BootError(str(e)) from None
        for path in (hv_elf,):
            if not os.path.exists(path):
                raise BootError(f"{path}: the firmware hypervisor is not built (make progs)")
        kw = {} if quantum is None else {"quantum": quantum}
        try:
            self.m = Machine(p, mode=mode, tod_seconds=tod_seconds, hv_uart_sink=hv_uart_sink,
                             **kw)
        except ValueError as e:
            raise BootError(str(e)) from None
        try:
            self.m.load_elf(hv_elf)
            self.m.load_image(self.mds.hv, mdwriter.HV_MD_ROM)
            for name, (pa, blob) in self.mds.guests.items():
                self.m.load_image(blob, pa)
            for pa, data in self._rom_blobs.items():
                self.m.load_image(data, pa)
        except LoadError as e:
            raise BootError(str(e)) from None
        self.hv = HvState(self.m, hv_elf)
        self.hv_elf = hv_elf
        self._seen = {d.name: 0 for d in cfg.domains}
        self.programs = {}                  # domain name -> ProgramProxy (progproxy.py)
        for d in cfg.domains:
            if d.program is not None:
                b = self.bindings.get(d.name)
                dm = DomainMemory(self.m, [(x.ra, x.pa, x.size) for x in b.mblocks])
                try:
                    self.programs[d.name] = ProgramProxy(d.name, d.program, d.args, dm)
                except ProgramError as e:
                    raise BootError(f"domain {d.name}: program {e}") from None
        self._programs_idle()

    # ---- building ----------------------------------------------------------------------
    def _bind(self, cfg: BootConfig) -> Bindings:
        b = Bindings(self.topology)
        ports = binder.CONSOLE_PORTS if cfg.vcc is None else range(cfg.vcc[1], cfg.vcc[2] + 1)
        for d in cfg.domains:
            c = Constraints(name=d.name, vcpus=d.vcpus, whole_core=bool(d.cores),
                            cores=d.cores, memory=d.memory)
            try:
                b = binder.bind(b, c, ports)
                if cfg.vio is not None:             # its virtual disks' channels
                    b = bind_vdisks(cfg.vio, b, d.name)
            except LdmError as e:
                raise BootError(f"domain {d.name}: {e}") from None
        return b

    def _place_images(self, cfg: BootConfig, kernel: str) -> dict:
        slots: dict[str, tuple[int, int]] = {}
        self._rom_blobs = {}
        nxt = IMAGE_BASE
        out = {}
        for i, d in enumerate(cfg.domains):
            path = d.image or kernel
            if path not in slots:
                if not os.path.exists(path):
                    if d.image is None:
                        raise BootError(f"{path}: the guest kernel is not built (make progs)")
                    raise BootError(f"domain {d.name}: image {path}: no such file")
                data = _read_image(path)
                size = (len(data) + 0x1FFF) & ~0x1FFF
                if nxt + size > IMAGE_END:
                    raise BootError(f"domain {d.name}: image {path} ({len(data)} bytes) does "
                                    f"not fit the boot ROM")
                self._rom_blobs[nxt] = data
                slots[path] = (nxt, size)
                nxt = (nxt + size + IMAGE_ALIGN - 1) & ~(IMAGE_ALIGN - 1)
            base, size = slots[path]
            wl = {"name": d.workload, **d.params}
            out[d.name] = mdwriter.DomainImage(
                rombase=base, romsize=size,
                uartbase=platforms.GUEST_UART0 + i * platforms.GUEST_UART_STEP, workload=wl)
        return out

    # ---- time --------------------------------------------------------------------------
    def steps(self, text_or_seconds) -> int:
        """Machine steps of a simulated time: a number of seconds or "20ms", "1.5s",
        "300us", "10ns"."""
        secs = parse_time(text_or_seconds)
        return int(round(secs * self.platform.clock_hz))

    @property
    def seconds(self) -> float:
        return self.m.time / self.platform.clock_hz

    def _programs_idle(self):
        """The host side's state before the first run: the program proxies' polling,
        the output callbacks."""
        self._poll_steps = max(1, int(self.platform.clock_hz * POLL_US // 1_000_000))
        self._polling = False
        self._poll_now = self._poll_steps
        self._ended_seen = False
        self._stop_for_programs = False
        self._stop_at_end = True
        self._on_output = None
        self._on_program = None
        # where each piece of program output fell in its domain's console output:
        # {domain: [[console bytes before it, "out"/"err", bytes], ...]} (replay_output)
        self._prog_marks = {name: [] for name in self.programs}
        # the guest UART of a program's domain bound after boot (ldm/livebackend.py)
        self.program_uarts = {}
        self.console_input = None   # () -> {name: bytes typed} (ldm/vntsd.py), per slice

    # ---- running -----------------------------------------------------------------------
    def run(self, until: int | None = None, max_insns: int | None = None,
            on_output=None, on_program=None, stop_when_programs_end: bool = True
            ) -> BootResult:
        """Run until every domain has stopped, machine time `until`, `max_insns`
        instructions or a hypervisor panic, and (stop_when_programs_end) every domain
        program has ended.  on_output(name, bytes) receives console output as it
        appears; on_program(name, stream, bytes) what a domain's program writes on its
        stdout ("out") and stderr ("err")."""
        left = max_insns
        self._on_output = on_output
        self._on_program = on_program
        self._stop_at_end = stop_when_programs_end
        if self.programs and not self._polling and not self.programs_ended():
            self._polling = True
            self.m.at(self.m.time + self._poll_steps, self._poll)
        while True:
            n = SLICE if left is None else min(SLICE, left)
            if n <= 0:
                return BootResult("budget", self.m.time)
            before = self.m.insns_run
            r = self.m.run(max_insns=n, until=until)
            if left is not None:
                left -= self.m.insns_run - before
            if on_output is not None:
                self._emit(on_output)
            if self.console_input is not None:
                for name, data in self.console_input().items():
                    self.feed_console(name, data)
            if self._stop_for_programs and r.reason == "attention":
                self.m.att[0] = 0
                self._stop_for_programs = False
                return BootResult("programs ended", self.m.time)
            if r.reason == "poweroff":
                detail = self.m.hv_uart.text().strip().splitlines()[-1:] or [""]
                return BootResult("panic" if r.value == HV_PANIC else "poweroff",
                                  self.m.time, detail[0])
            if r.reason == "until":
                return BootResult("until", self.m.time)
            if r.reason in ("error_state", "unimplemented"):
                return BootResult("error", self.m.time, f"{r.reason} on strand {r.strand}")
            if r.reason == "halted":
                # nothing runs: the hypervisor has finished what the last stop started
                return BootResult("stopped" if self.all_stopped() else "halted",
                                  self.m.time)

    def _poll(self):
        """The programs' system calls, every POLL_US of simulated time (a machine event:
        the same times in every run) while one is running."""
        if self._on_output is not None:
            self._emit(self._on_output)     # the console first: output in order
        alive = served = False
        for name, px in self.programs.items():
            before = px.requests
            alive |= px.poll(self._on_program_output)
            served |= px.requests != before
        # 2 us after a request; doubling while none comes, to 1 ms (an idle domain's
        # time can then jump ahead)
        self._poll_now = self._poll_steps if served else \
            min(2 * self._poll_now, self._poll_steps * POLL_MAX_FACTOR)
        if alive:
            self.m.at(self.m.time + self._poll_now, self._poll)
        elif not self._ended_seen:
            # ended: look once more a little later (the domains stop meanwhile), then
            # end the run if other domains would idle on
            self._ended_seen = True
            self.m.at(self.m.time + self._poll_steps * POLL_MAX_FACTOR // 10, self._poll)
        else:
            self._polling = False
            if self._stop_at_end and not self.all_stopped():
                self._stop_for_programs = True
                self.m.att[0] = 1               # Machine.run returns at once

    def set_program(self, name: str, px) -> None:
        """Domain `name` runs the program of proxy `px` (a ProgramProxy over its memory)
        from now on, replacing (and closing) the one it had; px None: it has none. For a
        domain bound or started while the machine runs (ldm/livebackend.py); the
        programs' poll starts again at the next run()."""
        old = self.programs.pop(name, None)
        if old is not None and old is not px:
            old.close()
        self._prog_marks.pop(name, None)
        if px is not None:
            self.programs[name] = px
            self._prog_marks[name] = []
            self._ended_seen = False

    def _on_program_output(self, name, stream, data):
        i = next((i for i, d in enumerate(self.cfg.domains) if d.name == name),
                 self.program_uarts.get(name))
        pos = len(self.m.guest_uarts[i].out) if i is not None else 0
        marks = self._prog_marks.setdefault(name, [])
        if marks and marks[-1][0] == pos and marks[-1][1] == stream:
            marks[-1][2] += len(data)
        else:
            marks.append([pos, stream, len(data)])
        if self._on_program is not None:
            self._on_program(name, stream, data)

    def programs_ended(self) -> bool:
        return all(px.result()[0] in ("exited", "killed", "failed", "stopped")
                   for px in self.programs.values())

    def program_results(self) -> dict:
        """{domain: (state, status)} of the domains' programs: ("exited", N),
        ("killed", SIG), ("failed", errno), or a state of one that has not ended."""
        return {n: px.result() for n, px in self.programs.items()}

    def close(self):
        for px in self.programs.values():
            px.close()

    def all_stopped(self) -> bool:
        gs = self.hv.guests()
        return bool(gs) and all(g.state == "stopped" for g in gs)

    def _emit(self, on_output):
        for i, d in enumerate(self.cfg.domains):
            u = self.m.guest_uarts[i]
            k = self._seen[d.name]
            if len(u.out) > k:
                on_output(d.name, bytes(u.out[k:]))
                self._seen[d.name] = len(u.out)

    # ---- checkpoints (issue 14 §3) ------------------------------------------------------
    def checkpoint(self, path: str, extra: dict | None = None) -> None:
        """Save the whole booted system to `path` (sun4v/checkpoint.py: versioned, with a
        digest, written atomically): the machine (Machine.state: strands, MMUs, memory
        pages, devices with the consoles so far), the configuration and the domains'
        bindings (ldm Bindings.to_dict), the hypervisor's symbols and the host side (how
        much of each console has been handed out; each domain program's proxy with its
        open files, pipes and output, progstate.py; the programs' pending poll event).
        Between run() calls only. CheckpointError when it cannot be written, or when the
        system holds host state a file cannot hold (a pending Python callback on the
        machine other than the programs' poll, a program's socket: progstate.py).
        extra: more host state (JSON-able, by owner: {"ldmd": the domain manager's}),
        found again in restore()'s `restored_extra`."""
        arrays, meta = self.state(extra)
        checkpoint.write(path, arrays, meta)

    def state(self, more: dict | None = None):
        """(arrays, meta): what checkpoint() writes (Machine.state's arrays; meta
        {"machine": Machine.state's meta, "extra": {"system": the host side, **more}}),
        copied. CheckpointError as checkpoint()."""
        from . import progstate
        programs = {n: progstate.save(px) for n, px in self.programs.items()}
        evs = self.m._events
        polls = [[t, seq] for t, seq, fn in evs if fn == self._poll]
        extra = {"system": {
            # a Platform value (a what-if point's changed chip) is the machine's own
            "config": {"platform": self.cfg.platform if isinstance(self.cfg.platform, str)
                       else None, "source": self.cfg.source,
                       "domains": [dataclasses.asdict(d) for d in self.cfg.domains],
                       "vcc": list(self.cfg.vcc) if self.cfg.vcc else None},
            "bindings": self.bindings.to_dict(),
            "hv_symbols": dict(self.hv.sym), "hv_elf": self.hv_elf,
            "seen": dict(self._seen),
            "programs": programs, "polls": polls,
            "poll": {"polling": self._polling, "now": self._poll_now,
                     "ended_seen": self._ended_seen, "stop": self._stop_for_programs},
            "prog_marks": self._prog_marks,
            "program_uarts": dict(self.program_uarts)}, **(more or {})}
        # the programs' poll is this System's event, saved here: the machine saves the rest
        self.m._events = [e for e in evs if e[2] != self._poll]
        heapq.heapify(self.m._events)
        try:
            arrays, meta = self.m.state()
        finally:
            self.m._events = evs
        return arrays, {"machine": meta, "extra": extra}

    @classmethod
    def restore(cls, path: str, hv_uart_sink=None) -> "System":
        """The System saved at `path` by checkpoint(): run() goes on exactly as the saved
        system would have (same consoles, instruction counts, hypervisor and guest
        counters). No image or ELF file is read again. CheckpointError (one line) for a
        missing, corrupt, truncated or foreign file; nothing is changed. A program's file
        found changed is replaced by the checkpoint's copy (progstate.py), one line each
        in `restore_notes`."""
        m, extra = Machine.restore(path, hv_uart_sink=hv_uart_sink)
        try:
            st = extra["system"]
            c = st["config"]
            cfg = BootConfig(c["platform"] or m.platform, tuple(DomainConfig(**{**d, "args": tuple(
                d.get("args", ()))}) for d in c["domains"]), c["source"],
                tuple(c["vcc"]) if c.get("vcc") else None)
            self = cls.__new__(cls)
            self.cfg = cfg
            self.platform = m.platform
            self.topology = topology_of(m.platform)
            self.bindings = Bindings.from_dict(self.topology, st["bindings"])
            self.info = machine_info(m.platform)
            self.images = self.mds = None       # in the saved memory already
            self.m = m
            self.hv = HvState(m, symbols=st["hv_symbols"])
            self.hv_elf = st["hv_elf"]
            self.restored_extra = {k: v for k, v in extra.items() if k != "system"}
            self._seen = {d.name: int(st["seen"][d.name]) for d in cfg.domains}
            self.programs = {}
            self._programs_idle()
            progs = st.get("programs", {})
            for name in progs:
                b = self.bindings.get(name)
                if b is None:
                    raise KeyError(name)
            poll = st.get("poll")
            if poll is not None:
                self._polling, self._poll_now = bool(poll["polling"]), int(poll["now"])
                self._ended_seen, self._stop_for_programs = bool(poll["ended_seen"]), \
                    bool(poll["stop"])
            self._prog_marks = {n: [list(x) for x in v]
                                for n, v in st.get("prog_marks", {}).items()}
            self.program_uarts = {str(n): int(i)
                                  for n, i in st.get("program_uarts", {}).items()}
        except (KeyError, TypeError, ValueError, BootError, LdmError) as e:
            raise CheckpointError(f"{path}: not a booted system's checkpoint "
                                  f"({type(e).__name__}: {e})") from None
        from . import progstate
        self.restore_notes = []             # files a program goes on with from the copy
        try:
            for name, pm in progs.items():
                b = self.bindings.get(name)
                dm = DomainMemory(m, [(x.ra, x.pa, x.size) for x in b.mblocks])
                self.programs[name] = progstate.load(pm, dm, self.restore_notes)
        except CheckpointError as e:
            self.close()
            raise CheckpointError(f"{path}: {e}") from None
        except OSError as e:
            self.close()
            raise CheckpointError(f"{path}: domain {name}: the program's file "
                                  f"{e.filename or ''} cannot be opened again "
                                  f"({e.strerror or e})") from None
        except (KeyError, TypeError, ValueError) as e:
            self.close()
            raise CheckpointError(f"{path}: not a booted system's checkpoint "
                                  f"({type(e).__name__}: {e})") from None
        for t, seq in st.get("polls", []):
            heapq.heappush(m._events, (int(t), int(seq), self._poll))
        m._next_event(m._events[0][0] if m._events else NEVER)
        return self

    def replay_output(self, on_output=None, on_program=None):
        """Hand out the consoles from the beginning (a restored run printing its consoles
        as the uninterrupted run did): each domain's console output and its program's
        stdout and stderr in the order the run handed them out, to on_output(name, bytes)
        and on_program(name, stream, bytes); then the run goes on from there."""
        for i, d in enumerate(self.cfg.domains):
            out = bytes(self.m.guest_uarts[i].out)
            px = self.programs.get(d.name)
            at = 0
            taken = {"out": 0, "err": 0}
            for pos, stream, n in self._prog_marks.get(d.name, []):
                if on_output is not None and pos > at:
                    on_output(d.name, out[at:pos])
                at = max(at, pos)
                k = taken[stream]
                if on_program is not None and px is not None:
                    on_program(d.name, stream, bytes(px.output[stream][k:k + n]))
                taken[stream] = k + n
            if on_output is not None and len(out) > at:
                on_output(d.name, out[at:])
            self._seen[d.name] = len(out)

    # ---- results -----------------------------------------------------------------------
    def console(self, name: str) -> str:
        for i, d in enumerate(self.cfg.domains):
            if d.name == name:
                return self.m.guest_uarts[i].text().replace("\r\n", "\n")
        raise KeyError(name)

    def feed_console(self, name: str, data: bytes) -> None:
        """Bytes typed on domain `name`'s console: into its guest UART's receive FIFO,
        where the hypervisor's cons_getchar finds them (KeyError: no such domain)."""
        for i, d in enumerate(self.cfg.domains):
            if d.name == name:
                self.m.guest_uarts[i].feed(data)
                return
        raise KeyError(name)

    def console_ports(self) -> dict:
        """{domain: TCP port} of the domains whose console vntsd serves (the guests;
        the control domain's console is the UART)."""
        out = {}
        for d in self.cfg.domains:
            b = self.bindings.get(d.name)
            if b is not None and b.console.port is not None:
                out[d.name] = b.console.port
        return out

    def hv_console(self) -> str:
        return self.m.hv_uart.text().replace("\r\n", "\n")

    def stick_now(self, strand: int) -> int:
        C = self.m.S.C[strand]
        return int(TB.stick_value(C, TB.strand_time(C))) & ~(1 << 63)

    def domain_stats(self, machine_stats: dict | None = None) -> list[dict]:
        """Per domain: state, exit code, vCPUs with their strands, utilisation (time not
        yielded, from the hypervisor's yielded %stick ticks), hypercalls, traps. Cycle
        mode adds "cycle": the instructions its strands retired, their awake cycles
        (every cycle but halted, parked, not started or in error state: a yielded vCPU's
        strand halts in the hypervisor), CPI = awake cycles / instructions (0 with no
        instructions), and the strands' cycles by reason summed (the cycle model's
        accounting, cmt/cycle.py), from machine_stats (self.m.stats() when not given)."""
        rows = {}
        if self.m.mode == "cycle":
            ms = machine_stats if machine_stats is not None else self.m.stats()
            rows = {r["id"]: r for r in ms["strands"]}
        out = []
        by_gid = {g.gid: g for g in self.hv.guests()}
        for d in self.bindings.domains:
            g = by_gid.get(d.gid)
            vcs = self.hv.vcpus(d.gid)
            life = yielded = 0
            vlist = []
            for v in vcs:
                if v.start_stick:
                    end = v.stop_stick if v.state == "stopped" and v.stop_stick else \
                        self.stick_now(v.strand)
                    lv = max(0, end - v.start_stick)
                    yv = v.yield_count
                    if v.yield_start and v.state == "running":
                        yv += max(0, end - v.yield_start)
                    yv = min(yv, lv)
                else:
                    lv = yv = 0
                life += lv
                yielded += yv
                vlist.append({"vid": v.vid, "strand": v.strand, "state": v.state,
                              "util": (1 - yv / lv) if lv else 0.0, "hcalls": v.hcalls,
                              "traps": v.traps, "mmu_misses": v.misses})
            out.append({
                "name": d.name, "gid": d.gid, "partid": d.partid,
                "state": g.state if g else "unconfigured",
                "exit_code": g.exit_code if g else None,
                "vcpus": vlist, "strands": d.pids(),
                "memory": d.memory(),
                "util": (1 - yielded / life) if life else 0.0,
                "hcalls": sum(v["hcalls"] for v in vlist),
                "traps": sum(v["traps"] for v in vlist)})
            if self.m.mode == "cycle":
                out[-1]["cycle"] = _domain_cycles([rows[p] for p in d.pids() if p in rows])
        return out

    def stats(self) -> dict:
        """The machine's statistics (Machine.stats: in cycle mode the cycle model's) with
        "domains" (domain_stats) and whether the hypervisor panicked."""
        st = self.m.stats()
        st["domains"] = self.domain_stats(st)
        st["hypervisor_panicked"] = self.hv.panicked
        return st


def _domain_cycles(rows: list[dict]) -> dict:
    """A domain's cycle-model figures from its strands' rows (Machine.stats)."""
    by = {}
    for r in rows:
        for k, v in r["cycles"].items():
            by[k] = by.get(k, 0) + v
    n = sum(r["instructions"] for r in rows)
    awake = sum(v for k, v in by.items() if k not in ASLEEP)
    return {"instructions": n, "awake_cycles": awake,
            "cpi": round(awake / n, 4) if n else 0.0, "cycles": by}


def parse_time(x) -> float:
    """Seconds of "20ms", "1.5s", "300us", "10ns" or a number (ValueError otherwise)."""
    if isinstance(x, (int, float)):
        if x <= 0:
            raise ValueError("a time must be positive")
        return float(x)
    t = str(x).strip().lower()
    for unit, f in (("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if t.endswith(unit):
            try:
                v = float(t[:-len(unit)])
            except ValueError:
                break
            if v <= 0:
                raise ValueError(f"time {x!r} must be positive")
            return v * f
    raise ValueError(f"time {x!r}: a number with a unit: ns, us, ms or s (e.g. 20ms)")

