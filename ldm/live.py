"""The Logical Domains Manager running with a machine (the `ldmd` role): a booted
sun4v machine (sun4v.boot.System: the firmware hypervisor, a guest kernel in every
domain) and the manager that changes it while it runs, through the real interfaces
(DESIGN.md "The Logical Domains chain"): its end of the hypervisor control channel and
of every domain's domain-services channel, which the control domain's guest kernel
relays (ldm/channels.py). `sun4v boot CONFIG --ldmd SOCKET` serves it on a Unix socket
(ldm/protocol.py); the TUI (`ldm tui`) drives it in-process with this API.

Controller API (thread-safe; every method may be called from any thread):

    lm = LiveManager("t5220.toml")          # or a sun4v.boot.BootConfig; boots at once
    lm.start()                              # the machine runs in its worker thread
    lm.pause() / lm.resume()                # free running stops / goes on
    lm.set_speed(0.001)                     # at most 1 ms of simulated time per host
                                            # second (None: as fast as it goes)
    lm.execute(["add-vcpu", "4", "ldg1"])   # -> Result(status, out, err): the `ldm`
                                            # command, as through the socket
    lm.snapshot()                           # dict: time, domains (state, flags, vCPUs
                                            # with strands and utilisation, memory,
                                            # UTIL, UPTIME, workload throughput),
                                            # strands, split cores, hvctl state
    lm.strand_map()                         # [{pid, cid, owner, vid, util}] per strand
    lm.console("ldg1", cursor)              # (new text since cursor, new cursor)
    lm.events(since=0)                      # [Event] of the DR/event log, seq > since
    q = lm.subscribe(); q.get()             # the same events as they happen
    lm.time                                 # simulated seconds
    lm.stop()                               # ends the worker (the machine stays)
    lm.checkpoint("w.ckpt")                 # machine + programs + manager, now (at a
                                            # safe point: livestate.py), or
    lm.checkpoint_at("30ms", "w.ckpt")      # at the first safe point from 30 ms
    lm2 = LiveManager.restore("w.ckpt")     # goes on exactly as lm would have

Without start() the caller's thread drives: `lm.advance("5ms")` runs the machine that
long and `execute` runs the command at once (deterministic: the same commands at the
same simulated times give the same machine).

Threads: one thread (the worker, or the caller without start()) owns the machine, the
channels and the configuration. It runs the machine in slices (`slice`, simulated
time; the jitted loop releases the GIL); between slices, at a safe point, it serves the
host side: consoles, the relay (packets both ways), the hypervisor's statistics (every
`sample` of simulated time), the DRM policies, then the queued commands. A command runs
to its end before the next slice of free running: while it waits for the hypervisor or
a guest, the machine runs in short steps (the relay polls every 100 us) and everything
else is served. Paused, the machine does not run except while a command needs it.
Other threads only queue commands and read what the worker publishes (under a lock).

Every change goes the real way (livebackend.py): new machine descriptions into the
hypervisor's MD area by ldc_copy, hvctl reconfigure / guest_start / guest_stop /
guest_delayed_reconf / cancel_reconf, DS md-update and dr-cpu to the guests; utilisation
comes from hvctl get_res_stat (yielded cycles), uptime from the guest's lifespan. After
a change the manager checks the hypervisor's view (get_hvconfig, get_res_stat of the
vCPUs and guests involved, dr-cpu STATUS of the domain's vCPUs) and reports a mismatch.
"""
from __future__ import annotations

import os
import queue
import shlex
import threading
import time as _time
from collections import deque
from dataclasses import dataclass, field

from sun4v.boot import System, load_config
from sun4v.boot.config import BootConfig, BootError
from sun4v.boot.system import GUEST_KERNEL, HV_ELF
from sun4v.guest.hostif import Counters, DomainMemory, GuestError, Relay

from . import hvctl as H
from . import progvar
from .channels import Channels
from .config import Config
from .constraints import PRIMARY, Constraints
from .context import Result
from .domain import ACTIVE, Domain
from .drm import Drm
from .errors import LdmError
from .livebackend import LiveBackend
from .mdarea import MdArea
from .spconfig import SpStore
from .vio import volume_for

MAX_EVENTS = 4000
HISTORY = 240                  # points kept per domain for sparklines


@dataclass(frozen=True)
class Event:
    """One entry of the DR/event log.

    kind: "command" (an ldm command and its status), "dr" (a dr-cpu request and its
    per-vCPU results: data["records"] = [(vid, result, status, reason)], data["strands"]
    = {vid: strand (pid)}), "blocked" (a
    vCPU the guest refused: data vid, reason; offer -f), "policy" (a DRM decision and
    its outcome), "delayed" (delayed reconfiguration notices), "state" (a domain
    started, stopped, its services registered), "hv" (hypervisor control channel),
    "error" (a mismatch between the manager and the hypervisor, a machine stop),
    "info". time: simulated seconds."""
    seq: int
    time: float
    kind: str
    domain: str | None
    text: str
    data: dict = field(default_factory=dict)


class _Job:
    def __init__(self, argv, cwd, origin):
        self.argv, self.cwd, self.origin = list(argv), cwd, origin
        self.result: Result | None = None
        self.done = threading.Event()


class _Context:
    """What `ldm` commands run against (context.Context): the live configuration and
    SP store, and the running machine's backend."""

    def __init__(self, lm: "LiveManager"):
        self.lm = lm
        self.backend = lm.backend

    def config(self) -> Config:
        return self.lm._cfg

    def commit(self, cfg: Config) -> None:
        self.lm._commit(cfg)

    def sp(self) -> SpStore:
        return self.lm._sp

    def commit_sp(self, sp: SpStore) -> None:
        self.lm._commit_sp(sp)


def initial_config(system: System, boot: BootConfig, seed: int = 0) -> Config:
    """The manager's configuration of a machine `sun4v boot` bound: every domain of the
    boot configuration active, its constraints those of the TOML (vCPUs or whole cores,
    memory), the workload and its parameters as the domain's variables (what the guest
    kernel reads from its MD's workload node; a program: the variables `program` and
    `program-args`, ldm/progvar.py), identities from `seed`; the [vcc] table
    as the control domain's vcc."""
    cfg = Config(topology=system.topology, seed=seed, serial=0, domains=(),
                 bindings=system.bindings)
    doms = []
    for d in boot.domains:
        cfg, ident = cfg.new_identity()
        variables = [("workload", d.workload)] + [(k, _text(v)) for k, v in d.params.items()]
        if d.program is not None:           # its program as variables (ldm/progvar.py)
            variables = [(progvar.PROGRAM, os.path.abspath(d.program))] + (
                [(progvar.ARGS, shlex.join(d.args))] if d.args else [])
        c = Constraints(d.name, vcpus=d.vcpus, whole_core=bool(d.cores), cores=d.cores,
                        memory=d.memory, mac=ident.mac, hostid=ident.hostid,
                        uuid=ident.uuid, variables=tuple(variables))
        doms.append(Domain(c, ACTIVE))
    from dataclasses import replace
    from .vcc import Vcc
    vccs = () if getattr(boot, "vcc", None) is None else \
        (Vcc(boot.vcc[0], PRIMARY, boot.vcc[1], boot.vcc[2]),)
    from .vio import VirtualIO
    return replace(cfg, domains=tuple(doms), vccs=vccs,
                   vio=boot.vio or VirtualIO()).check()


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class LiveManager:
    def __init__(self, config, *, mode: str = "functional", kernel: str = GUEST_KERNEL,
                 hv_elf: str = HV_ELF, quantum: int | None = None, slice: str = "100us",
                 sample: str = "1ms", dr_timeout: str = "20ms", stop_timeout: str = "50ms",
                 reboot_timeout: str = "100ms",
                 drm_scale: float = 1e-3, seed: int = 0, log_file: str | None = None,
                 on_console=None, sp_dir: str | None = None, vntsd: bool = False,
                 on_notice=None, on_program=None, system: System | None = None,
                 config_db: Config | None = None):
        """config: a `sun4v boot` TOML path or a BootConfig. slice: simulated time the
        machine runs between two services; sample: the period of the hypervisor
        statistics; dr_timeout / stop_timeout: how long a guest may take to answer a
        dr-cpu request / to stop before it is reported as not responding; reboot_timeout:
        how long the control domain may take to boot again (its relay, hvctl and every
        active domain's services back) after `stop-domain -r primary`; drm_scale:
        simulated seconds per policy second (drm.py); log_file: the event log as
        text lines; on_console(name, bytes): console output as it appears (worker
        thread); sp_dir: a directory holding the service processor's store
        (DIR/spconfig.json, ldm/store.py): the saved configurations are read from it
        (created with factory-default if absent) and every change is written to it
        atomically, so they outlive this process and a kill at any moment leaves the
        previous store whole; None: kept in memory only. BootError / LdmError on a bad
        configuration (StoreError: an unreadable store, or one of another platform).
        vntsd: serve every bound guest's console on its TCP port (ldm/vntsd.py) while
        the manager lives, following binds and unbinds; a port that cannot be served
        at the start raises VntsdError (one line), later ones become an "error" event
        and on_notice(line).
        on_program(name, stream, bytes): what a domain's program (issue 14 §1) writes on
        its stdout ("out") and stderr ("err"), as it appears (worker thread); without
        it, on_console gets it. A program's end is an event ("program NAME: PATH: exit
        status N"); the machine runs on (its other domains, the manager).
        system: a System restored from a checkpoint to serve instead of booting one
        (livestate.restore puts the manager's own state back), with config_db: the
        manager's configuration there."""
        boot = load_config(config) if isinstance(config, (str, os.PathLike)) else config
        if not isinstance(boot, BootConfig):
            raise BootError("LiveManager needs a configuration file or a BootConfig")
        self.boot = boot
        self.system = system if system is not None else \
            System(boot, mode=mode, kernel=kernel, hv_elf=hv_elf, quantum=quantum,
                   guest_uarts=8)
        self.m = self.system.m
        self.platform = self.system.platform
        self.stick_hz = self.platform.stick_hz
        self._cfg = config_db if config_db is not None else \
            initial_config(self.system, boot, seed)
        from .config import factory_default
        self._sp = SpStore.initial(factory_default(self.system.topology, seed))
        self._sp_store = None
        if sp_dir is not None:
            self._sp = self._open_sp(sp_dir)
        self.images = dict(self.system.images or {})
        self.kernel_image = next((self.images[d.name] for d in boot.domains
                                  if d.image is None and d.name in self.images), None)
        self.uart_of = {d.name: i for i, d in enumerate(boot.domains)}
        self.uart_start = {d.name: 0 for d in boot.domains}
        self.mdarea = MdArea(self.system.info)
        self.slice = self.system.steps(slice)
        self.sample_steps = self.system.steps(sample)
        self.dr_timeout = self.system.steps(dr_timeout)
        self.stop_timeout = self.system.steps(stop_timeout)
        self.reboot_timeout = self.system.steps(reboot_timeout)
        self.drm = Drm(drm_scale)
        self.on_console = on_console
        self.on_program = on_program
        self._programs_reported = set()
        self.backend = LiveBackend(self)

        self.channels: Channels | None = None
        self.hvconfig: dict | None = None
        self.hv_guest_state: dict[int, str] = {}
        self.hv_versions: dict[str, str] = {}
        self.util: dict[str, dict] = {}          # name -> latest sample
        self.history: dict[str, deque] = {}
        self._sample_due = 0
        self._sampling: list | None = None
        self._async: list = []                   # guest state messages to reconcile
        self._late: list = []                    # late DS replies to act on
        self._expect_stop: set[int] = set()
        self._expect_reboot = False              # a command reboots primary
        self._primary_reset = False              # primary rebooted by itself
        self._dead_relay = None                  # the start of the relay that ended
        self._relay_bindings = None              # primary's memory while it reboots
        self._in_command = False
        self.ended = None                        # BootResult when the machine stopped

        self._lock = threading.RLock()           # guards what other threads read
        self._drive = threading.Lock()           # one thread drives the machine
        self._events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self._seq = 0
        self._subs: list[queue.Queue] = []
        self._log = open(log_file, "a", encoding="utf-8") if log_file else None
        self._consoles = {d.name: bytearray() for d in boot.domains}
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._paused = False
        self._paused_evt = threading.Event()
        self._wake = threading.Event()
        self._speed: float | None = None
        self._anchor = None
        self._snap: dict = {}
        self._progress: dict[str, tuple] = {}
        self.on_notice = on_notice
        self._ckpt = None                        # checkpoint_at(): [steps, path]
        self.checkpoint_result = None            # (seconds, None) or (None, error)
        self._safe_point = False                 # restored: the next thing is a slice
        self.vntsd = None
        self._vntsd_ports: dict = {}
        self._typed: dict[str, bytearray] = {}      # type_console(): fed by the worker
        if vntsd:
            from .vntsd import Vntsd, VntsdError
            self.vntsd = Vntsd()
            errs = self._vntsd_sync()
            if errs:
                self.vntsd.close()
                raise VntsdError(errs[0])
        self._publish()

    # ---- the public API ----------------------------------------------------------
    @property
    def time(self) -> float:
        """Simulated seconds since power-on."""
        return self.m.time / self.platform.clock_hz

    def start(self):
        """Run the machine in a worker thread (free running, serving commands)."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the manager is already running")
        self._stopping = False
        self._thread = threading.Thread(target=self._worker, name="ldmd", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None):
        """End the worker thread (the machine keeps its state; advance() may go on)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def pause(self, timeout: float | None = 30.0) -> bool:
        """Stop free running at the end of the current slice; returns once the worker
        has stopped (True), or after `timeout` host seconds (False). Commands still run
        the machine as long as they need while it is paused."""
        self._paused = True
        self._wake.set()
        ok = True
        if self._thread is not None and self._thread.is_alive() and \
                threading.current_thread() is not self._thread:
            ok = self._paused_evt.wait(timeout)
        self._event("info", None, "machine paused")
        self._publish_flags()
        return ok

    def resume(self):
        """Free running goes on from where pause() stopped."""
        self._paused = False
        self._paused_evt.clear()
        self._anchor = None
        self._wake.set()
        self._event("info", None, "machine resumed")
        self._publish_flags()

    @property
    def paused(self) -> bool:
        return self._paused

    def set_speed(self, speed: float | None):
        """At most `speed` simulated seconds per host second (None: no limit)."""
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive (or None)")
        self._speed = speed
        self._anchor = None
        self._wake.set()
        self._publish_flags()

    @property
    def speed(self) -> float | None:
        return self._speed

    def execute(self, argv, cwd: str | None = None, origin: str = "user") -> Result:
        """Run one `ldm` command line (without the `ldm` word); Result(status, out,
        err) as the socket returns it. From another thread while the worker runs: the
        command is queued and this call waits for its result."""
        if self._thread is not None and self._thread.is_alive() and \
                threading.current_thread() is not self._thread:
            job = _Job(argv, cwd, origin)
            self._jobs.put(job)
            self._wake.set()
            job.done.wait()
            return job.result
        with self._drive:
            return self._run_command(list(argv), cwd, origin)

    def advance(self, duration):
        """Run the machine for `duration` ("5ms" or seconds) in the caller's thread,
        serving everything between slices (only when the worker is not running)."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the worker thread drives the machine: use pause/resume")
        with self._drive:
            end = self.m.time + self.system.steps(duration)
            while self.m.time < end and self.ended is None:
                self._safe_point = False
                self._tick(min(self.slice, end - self.m.time))
                self._between_commands()
                self._run_jobs()
                self._checkpoint_due()

    def run_until(self, cond, limit="100ms", step=None) -> bool:
        """advance() in slices until cond() (called in this thread) or `limit`."""
        end = self.m.time + self.system.steps(limit)
        while not cond():
            if self.m.time >= end or self.ended is not None:
                return False
            self.advance(min(step or self.slice, end - self.m.time) / self.platform.clock_hz)
        return True

    def snapshot(self) -> dict:
        """The latest published state (a deep copy is not needed: it is rebuilt, never
        changed in place). Keys: time (s), tod (s after midnight), paused, speed,
        platform, cores, strands_per_core, hvctl (state), delayed (primary's delayed
        reconfiguration pending), domains [{name, state, flags, cons, ncpu, memory,
        util (% or None), uptime (s or None), ds (services state), vcpus [{vid, pid,
        cid, util, hv_state, guest_state, progress}], workload {name, state, threads,
        units_total, progress, result, throughput (units/s)}, history [(t, util,
        throughput)]}], strands [{pid, cid, owner, vid, util}], split_cores {cid:
        [names]}, ended (why the machine stopped, or None)."""
        with self._lock:
            return self._snap

    def strand_map(self) -> list[dict]:
        return self.snapshot()["strands"]

    def type_console(self, name: str, data: bytes) -> None:
        """Bytes typed on domain `name`'s console (the TUI's console pane; any thread):
        fed to its guest UART's receive FIFO, where the hypervisor's cons_getchar finds
        them, when the machine next runs. KeyError: no such domain console."""
        with self._lock:
            if name not in self._consoles:
                raise KeyError(name)
            self._typed.setdefault(name, bytearray()).extend(data)

    def console(self, name: str, cursor: int = 0) -> tuple[str, int]:
        """(text written on domain `name`'s console since `cursor`, the new cursor)."""
        with self._lock:
            buf = self._consoles.get(name)
            if buf is None:
                raise KeyError(name)
            data = bytes(buf[cursor:])
        return data.decode("latin-1").replace("\r\n", "\n"), cursor + len(data)

    def events(self, since: int = 0) -> list[Event]:
        with self._lock:
            return [e for e in self._events if e.seq > since]

    def subscribe(self) -> queue.Queue:
        """A queue that receives every Event from now on (unsubscribe() to stop)."""
        q: queue.Queue = queue.Queue()
        with self._lock:
            self._subs.append(q)
        return q

    def unsubscribe(self, q: queue.Queue):
        with self._lock:
            if q in self._subs:
                self._subs.remove(q)

    def config(self) -> Config:
        """The manager's configuration now (an immutable value)."""
        with self._lock:
            return self._cfg

    def serve(self, path: str):
        """A protocol.Server on `path` running commands through execute() (call its
        serve_forever() in a thread; shutdown() and server_close() to end)."""
        from .protocol import Server
        return Server(path, lambda argv, cwd: self.execute(argv, cwd, origin="socket"))

    def close(self):
        self.stop()
        if self.vntsd is not None:
            self.vntsd.close()              # the console ports released
            self.vntsd = None
        if self._log:
            self._log.close()
            self._log = None

    # ---- checkpoints (issue 14 §3, livestate.py) -----------------------------------
    def checkpoint(self, path: str) -> None:
        """Save the whole machine with its programs and this manager to `path` (the
        sun4v checkpoint format, written atomically), now: between advance()/execute()
        calls, or from the thread driving the machine. CheckpointError (one line) when
        the manager is not at a safe point (livestate.busy: a command, a DR exchange, an
        hvctl request, an MD copy or a disk request in flight) or the file cannot be
        written; nothing is written then. From another thread while the worker runs:
        taken by the worker at its next safe point, this call waiting for it."""
        from . import livestate
        if self._thread is not None and self._thread.is_alive() and \
                threading.current_thread() is not self._thread:
            from sun4v.checkpoint import CheckpointError
            self.checkpoint_result = None
            self._ckpt = [0, path]                  # due now
            self._wake.set()
            while self.checkpoint_result is None:
                if not self._thread.is_alive():
                    raise CheckpointError("the machine stopped before a safe point: no "
                                          "checkpoint written")
                _time.sleep(0.01)
            if self.checkpoint_result[1] is not None:
                raise CheckpointError(self.checkpoint_result[1])
            return
        mgr = livestate.save(self)
        self.system.checkpoint(path, extra={"ldmd": mgr})

    def checkpoint_at(self, time, path: str) -> None:
        """Save a checkpoint to `path` at the first safe point at or after the
        simulated time `time` ("30ms" or seconds from power-on), while the machine runs
        (worker or advance()); `checkpoint_result` is then (seconds, None) or (None,
        error line)."""
        self._ckpt = [self.system.steps(time), path]
        self.checkpoint_result = None

    def _checkpoint_due(self):
        ck = self._ckpt
        if ck is None or self.m.time < ck[0]:
            return
        from sun4v.checkpoint import CheckpointError
        from . import livestate
        if livestate.busy(self) is not None:
            return                                  # the next safe point
        self._ckpt = None
        try:
            self.checkpoint(ck[1])
        except CheckpointError as e:               # not an event: the saved run and
            self.checkpoint_result = (None, str(e))     # the restored one log alike
        else:
            self.checkpoint_result = (self.time, None)

    @classmethod
    def restore(cls, path: str, **kw) -> "LiveManager":
        """The manager and machine saved at `path` by checkpoint(): it goes on exactly
        as the saved one would have for the same commands at the same simulated times.
        kw: log_file, on_console, sp_dir, vntsd, on_notice, on_program (as for the
        constructor). CheckpointError (one line) for a missing, corrupt, truncated or
        foreign file, a checkpoint of a machine run without the manager, or a virtual
        disk's backing file missing or changed; nothing is changed then."""
        return cls.from_restored(System.restore(path), path, **kw)

    @classmethod
    def from_restored(cls, system: System, path: str, **kw) -> "LiveManager":
        """The manager saved with the machine `system` restored from the checkpoint
        `path` (System.restore): as restore(); `system` is closed when it fails."""
        from sun4v.checkpoint import CheckpointError
        from . import livestate
        mgr = (system.restored_extra or {}).get("ldmd")
        if mgr is None:
            system.close()
            raise CheckpointError(f"{path}: a checkpoint of a machine run without the "
                                  f"domain manager (restore it without --ldmd)")
        try:
            return livestate.restore(system, mgr, **kw)
        except CheckpointError as e:
            system.close()
            raise CheckpointError(f"{path}: {e}") from None
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            system.close()
            raise CheckpointError(f"{path}: not a domain manager's checkpoint "
                                  f"({type(e).__name__}: {e})") from None

    # ---- events ---------------------------------------------------------------------
    def _event(self, kind: str, domain: str | None, text: str, **data) -> Event:
        with self._lock:
            self._seq += 1
            e = Event(self._seq, self.time, kind, domain, text, data)
            self._events.append(e)
            for q in self._subs:
                q.put(e)
        if self._log:
            self._log.write(f"{e.time * 1e3:12.3f} ms  {kind:<8} {domain or '-':<12} "
                            f"{text}\n")
            self._log.flush()
        return e

    # ---- the worker -----------------------------------------------------------------
    def _worker(self):
        with self._drive:
            ticked = False
            while not self._stopping and self.ended is None:
                if self._safe_point:                # restored where a slice comes next
                    self._safe_point = False
                else:
                    self._run_jobs()
                    self._between_commands()
                ticked = False
                self._checkpoint_due()
                if self._paused:
                    self._paused_evt.set()
                    self._wake.wait(0.05)
                    self._wake.clear()
                    continue
                self._tick(self.slice)
                ticked = True
                self._throttle()
            if ticked and self.ended is None:
                # stopped after a slice: served up to the safe point (a checkpoint due,
                # as with --until at its time, is taken there; checkpoint() may be), and
                # a restart or advance() goes on from it with the next slice
                self._run_jobs()
                self._between_commands()
                self._safe_point = True
                self._checkpoint_due()

    def _throttle(self):
        if self._speed is None:
            return
        now = _time.monotonic()
        if self._anchor is None:
            self._anchor = (now, self.time)
            return
        h0, s0 = self._anchor
        ahead = (self.time - s0) / self._speed - (now - h0)
        if ahead > 0:
            self._wake.wait(min(ahead, 0.5))
            self._wake.clear()

    def _run_jobs(self):
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            try:
                job.result = self._run_command(job.argv, job.cwd, job.origin)
            except Exception as e:                      # noqa: BLE001
                job.result = Result(70, [], [f"ldm: internal error: {type(e).__name__}: {e}"])
            job.done.set()

    def _run_command(self, argv, cwd, origin) -> Result:
        from .commands import execute
        self._in_command = True
        try:
            res = execute(argv, _Context(self), cwd)
        except LdmError as e:
            res = Result(1, [], list(e.lines))
        finally:
            self._in_command = False
        if argv and argv[0] not in ("-V", "--version", "help", "-h", "--help") and \
                not argv[0].startswith(("list", "ls")):
            self._event("command", argv[-1] if len(argv) > 1 else None,
                        "ldm " + " ".join(argv) + (f" (exit {res.status})" if res.status
                                                   else ""),
                        argv=list(argv), status=res.status, origin=origin,
                        out=list(res.out), err=list(res.err))
        self._publish()
        return res

    def _commit(self, cfg: Config):
        with self._lock:
            self._cfg = cfg
        self.system.bindings = cfg.bindings      # what the machine's summary reports

    def _commit_sp(self, sp: SpStore):
        if self._sp_store is not None:          # on disk first: a failed write changes
            with self._sp_store.locked():       # nothing (StoreError to the command)
                self._sp_store.save_sp(sp)
        with self._lock:
            self._sp = sp

    def _open_sp(self, directory: str) -> SpStore:
        from .store import SP_FILE, Store, StoreError
        st = Store(directory)
        try:
            os.makedirs(st.dir, exist_ok=True)
        except OSError as e:
            raise StoreError(f"Cannot create state directory {st.dir}: "
                             f"{e.strerror}") from None
        with st.locked():
            if not os.path.exists(st.path(SP_FILE)):
                st.save_sp(self._sp)
                sp = self._sp
            else:
                sp = st.load_sp()
                plat = Config.from_dict(sp.get(sp.configs[0][0])).topology.name
                if plat != self.system.topology.name:
                    raise StoreError(f"{st.path(SP_FILE)} holds the configurations of a "
                                     f"{plat}, not of this {self.system.topology.name}")
        self._sp_store = st
        return sp

    # ---- running and serving ------------------------------------------------------
    def _tick(self, steps: int):
        """Run the machine `steps` (or until it stops), then serve the host side."""
        if self.ended is not None:
            return
        r = self.system.run(until=self.m.time + max(1, steps),
                            on_program=self._program_output, stop_when_programs_end=False)
        if r.reason not in ("until",):
            self.ended = r
            self._event("error", None, f"the machine stopped: {r.reason}"
                        + (f": {r.detail}" if r.detail else ""))
        self._service()

    def wait(self, done, limit: int, what: str = "") -> bool:
        """Run the machine in short steps, serving the channels, until done() or
        `limit` machine steps have passed (commands wait for replies this way)."""
        end = self.m.time + limit
        step = max(1, self.system.steps("20us"))
        while not done():
            if self.m.time >= end or self.ended is not None:
                return bool(done())
            self._tick(min(step, end - self.m.time))
        return True

    def _program_output(self, name, stream, data):
        if self.on_program is not None:
            self.on_program(name, stream, data)
        elif self.on_console is not None:
            self.on_console(name, data)

    def _programs_ended(self):
        """An event for each domain program that has ended since the last look."""
        for name, px in self.system.programs.items():
            if name in self._programs_reported:
                continue
            state, status = px.result()
            if state in ("exited", "killed", "failed", "stopped"):
                self._programs_reported.add(name)
                what = {"exited": f"exit status {status}",
                        "killed": f"killed by signal {status}",
                        "failed": f"not started (errno {status})",
                        "stopped": "stopped with its domain before its end"}[state]
                self._event("state", name, f"program {name}: {px.path}: {what}")

    def _service(self):
        self._consoles_read()
        self._typed_feed()
        self._programs_ended()
        if self.vntsd is not None:
            self._vntsd_serve()
        self._channels_pump()
        self._sample()
        if not self._in_command:
            self._publish()

    def _consoles_read(self):
        for name, idx in list(self.uart_of.items()):
            u = self.m.guest_uarts[idx]
            buf = self._consoles.setdefault(name, bytearray())
            start = self.uart_start.get(name, 0)
            have = start + len(buf)
            if len(u.out) > have:
                new = bytes(u.out[have:])
                with self._lock:
                    buf += new
                if self.on_console is not None:
                    self.on_console(name, new)
                if self.vntsd is not None:
                    self.vntsd.output(name, new)

    def _typed_feed(self):
        if not self._typed:
            return
        with self._lock:
            typed, self._typed = self._typed, {}
        for name, data in typed.items():
            idx = self.uart_of.get(name)
            if idx is not None and data:
                self.m.guest_uarts[idx].feed(bytes(data))

    def _vntsd_sync(self) -> list[str]:
        """Serve the consoles of the bound guests that have a console (UART) and a port."""
        b = self.config().bindings
        ports = {}
        for name in self.uart_of:
            d = b.get(name)
            if d is not None and d.console.port is not None:
                # a console group (ldm set-vcons group=, ldm/vcons.py) shares its port
                ports[name] = (d.console.port, d.console.group or name)
        if ports == self._vntsd_ports:
            return []
        self._vntsd_ports = ports
        return self.vntsd.sync(ports)

    def _vntsd_serve(self):
        for err in self._vntsd_sync():
            self._event("error", None, err)
            if self.on_notice is not None:
                self.on_notice(err)
        for name, data in self.vntsd.take_input().items():
            idx = self.uart_of.get(name)
            if idx is not None:
                self.m.guest_uarts[idx].feed(data)

    def _channels_pump(self):
        if self.channels is not None and \
                self.channels.relay.started() != self.channels.epoch:
            self._relay_lost()
        if self.channels is None:
            try:
                relay = Relay(self._memory(PRIMARY, self._relay_bindings))
                epoch = relay.started()
                if epoch is None or epoch == self._dead_relay:
                    return
            except GuestError:
                return
            self.channels = self._new_channels(relay)
            self.channels.refresh_ports()
        ch = self.channels
        was = ch.hvctl.state
        ch.pump()
        for peer in ch.ds.values():
            if peer.ready and not getattr(peer, "_announced", False):
                peer._announced = True
                self._event("state", peer.name, f"LDom {peer.name}: domain services "
                            f"registered ({', '.join(sorted(peer.mgr.registered))})")
            elif not peer.ready:
                peer._announced = False
        if ch.hvctl.state == "connected" and was != "connected":
            self._event("hv", None, "hvctl: connected to the hypervisor (protocol "
                        f"{H.VERSION[0]}.{H.VERSION[1]})")
            p = ch.hvctl.request("get_hvconfig")
            p.callbacks.append(self._got_hvconfig)

    def _new_channels(self, relay) -> Channels:
        ch = Channels(relay, lambda t: self._event("info", None, t),
                      on_async=self._on_async, on_late=self._on_late)
        ch.volume_of = lambda client, disk: volume_for(self._cfg, client, disk)
        return ch

    def _relay_lost(self):
        """The control domain's relay stopped or started again (primary rebooted):
        every channel ends; new ones are built on the new relay (its start differs)."""
        ch = self.channels
        why = "the control domain's relay stopped (LDom primary is rebooting)"
        self._dead_relay = ch.epoch
        self.channels = None
        self.hvconfig = None
        ch.close(why)
        self._event("hv", None, f"{why}: the manager's channels start over")
        if not self._expect_reboot:
            self._primary_reset = True

    def _got_hvconfig(self, p):
        if p.reply is not None and p.reply.status == H.ST_OK:
            self.hvconfig = p.reply.hvconfig()

    @property
    def connected(self) -> bool:
        return self.channels is not None and self.channels.hvctl.connected

    def wait_ready(self, limit="20ms") -> bool:
        """Advance (caller's thread) until the hvctl channel is connected and every
        active domain running the guest kernel has registered its services."""
        return self.run_until(lambda: self.ready(self._cfg), limit)

    def ready(self, cfg: Config) -> bool:
        """The hvctl channel is connected (the hypervisor's configuration read) and
        every domain active in `cfg` running the guest kernel registered its services."""
        if not self.connected or self.hvconfig is None:
            return False
        for d in cfg.domains:
            if d.state == ACTIVE and self._runs_kernel(d.name):
                peer = self.channels.ds.get(d.name)
                if peer is None or not peer.ready:
                    return False
        return True

    def _runs_kernel(self, name: str) -> bool:
        for d in self.boot.domains:
            if d.name == name:
                return d.image is None
        return True                                  # bound by the manager: the kernel

    def _memory(self, name: str, bindings=None) -> DomainMemory:
        b = (bindings or self._cfg.bindings).get(name)
        if b is None:
            raise GuestError(f"{name} is not bound")
        return DomainMemory(self.m, [(x.ra, x.pa, x.size) for x in b.mblocks])

    # ---- the hypervisor's asynchronous messages and late DS replies ---------------
    def _on_async(self, m: H.Message):
        rs = m.res_stat()
        if rs["res"] != H.C["HVCTL_RES_GUEST"]:
            return
        gid, state = rs["resid"], rs.get("state")
        self.hv_guest_state[gid] = state
        if gid not in self._expect_stop:        # a stop a command asked for is its own
            self._async.append((gid, state))

    def _on_late(self, domain, service, payload):
        self._late.append((domain, service, payload))

    def _between_commands(self):
        """What may change the configuration outside a command: guests the hypervisor
        says stopped by themselves, late dr-cpu replies, DRM decisions."""
        if self._async:
            items, self._async = self._async, []
            for gid, state in items:
                self.backend.guest_state_changed(gid, state)
        if self._primary_reset and self.hvconfig is not None:
            self._primary_reset = False
            self.backend.primary_rebooted()
        if self._late:
            items, self._late = self._late, []
            for domain, service, payload in items:
                self.backend.late_reply(domain, service, payload)
        self._drm_tick()

    # ---- statistics ---------------------------------------------------------------
    def _sample(self):
        if not self.connected or self._sampling is not None or self.m.time < self._sample_due:
            return
        cfg = self._cfg
        reqs = []
        hv = self.channels.hvctl
        for d in cfg.domains:
            b = cfg.bindings.get(d.name)
            if d.state != ACTIVE or b is None:
                continue
            reqs.append((d.name, None, hv.request(
                "get_res_stat", H.res_stat_body(H.C["HVCTL_RES_GUEST"], b.gid,
                                                H.C["HVCTL_INFO_GUEST_UTILISATION"]),
                f"utilisation of {d.name}")))
            for v in b.vcpus:
                reqs.append((d.name, v, hv.request(
                    "get_res_stat", H.res_stat_body(H.C["HVCTL_RES_VCPU"], v.pid,
                                                    H.C["HVCTL_INFO_VCPU_STATE"]),
                    f"vCPU {v.pid}")))
        self._sampling = reqs
        left = [len(reqs)]

        def one(_p):
            left[0] -= 1
            if left[0] == 0:
                self._sampled(reqs)
        for _, _, p in reqs:
            p.callbacks.append(one)
        if not reqs:
            self._sampled(reqs)

    def _sampled(self, reqs):
        self._sampling = None
        self._sample_due = self.m.time + self.sample_steps
        now = self.time
        per: dict[str, dict] = {}
        for name, v, p in reqs:
            if p.reply is None or p.reply.status != H.ST_OK:
                continue
            rs = p.reply.res_stat()
            d = per.setdefault(name, dict(active=0, yielded=0, vcpus={}, uptime=None,
                                          time=now))
            if v is None:
                d["uptime"] = rs["lifespan"] / self.stick_hz
                d["guest"] = rs
            else:
                act, y = rs["active_delta"], min(rs["yielded_cycles"], rs["active_delta"])
                d["active"] += act
                d["yielded"] += y
                d["vcpus"][v.vid] = dict(pid=v.pid, state=rs["state"], active=act,
                                         yielded=y,
                                         util=100.0 * (act - y) / act if act else None,
                                         lifespan=rs["lifespan"])
        for name, d in per.items():
            d["util"] = 100.0 * (d["active"] - d["yielded"]) / d["active"] \
                if d["active"] else None
            self.drm.account(name, d["active"], d["yielded"])
        with self._lock:
            self.util = per

    # ---- DRM --------------------------------------------------------------------
    def _drm_tick(self):
        cfg = self._cfg
        if cfg.delayed:
            return
        spc = cfg.topology.strands_per_core
        free = len(cfg.bindings.free_strands())
        owner = cfg.bindings.strand_owner()
        free_cores = sum(1 for cid in range(cfg.topology.cores)
                         if all(p not in owner for p in cfg.topology.strands_of(cid)))
        doms = []
        for d in cfg.domains:
            c = d.constraints
            b = cfg.bindings.get(d.name)
            if d.state != ACTIVE or b is None or not c.policies:
                continue
            doms.append((d.name, c.policies, len(b.vcpus), c.whole_core, spc, free,
                         free_cores))
        if not doms:
            return
        decisions, notes = self.drm.decide(self.time, self.tod(), doms)
        for name, text in notes:
            self._event("policy", name, text)
        for dec in decisions:
            res = self._run_command(dec.argv(), None, f"policy {dec.policy}")
            outcome = "done" if res.status == 0 else "failed: " + \
                " ".join(x.strip() for x in res.err[-2:])
            self._event("policy", dec.domain, f"{dec.reason}: {outcome}",
                        policy=dec.policy, verb=dec.verb, count=dec.count, util=dec.util,
                        status=res.status)

    def tod(self) -> int:
        """The machine's time of day (its TOD clock, simulated), seconds after
        midnight UTC."""
        tod = self.m.tod
        return int(tod.base + (self.m.time - tod.at) // tod.clock_hz) % 86400

    # ---- publishing ---------------------------------------------------------------
    def _publish(self):
        cfg = self._cfg
        t = cfg.topology
        now = self.time
        owner = cfg.bindings.strand_owner()
        util = self.util
        doms = []
        vutil: dict[int, float | None] = {}
        for d in cfg.domains:
            b = cfg.bindings.get(d.name)
            u = util.get(d.name) if d.state == ACTIVE else None
            row = dict(name=d.name, state=d.state, flags=cfg.flags(d.name),
                       cons="" if b is None else ("UART" if b.console.port is None
                                                  else str(b.console.port)),
                       ncpu=len(b.vcpus) if b else d.constraints.vcpu_count(
                           t.strands_per_core), memory=b.memory() if b else
                       d.constraints.memory_size(),
                       util=u.get("util") if u else None,
                       uptime=u.get("uptime") if u else None,
                       ds=self._ds_state(d.name), vcpus=[], workload=None,
                       history=list(self.history.get(d.name, ())))
            counters = None
            if d.state == ACTIVE and b is not None:
                try:
                    counters = Counters(self._memory(d.name)).read()
                except GuestError:
                    counters = None
            for v in sorted(b.vcpus, key=lambda v: v.vid) if b else ():
                vu = (u or {}).get("vcpus", {}).get(v.vid, {})
                gc = (counters or {}).get("cpus", {}).get(v.vid, {})
                vutil[v.pid] = vu.get("util")
                row["vcpus"].append(dict(vid=v.vid, pid=v.pid, cid=t.core_of(v.pid),
                                         util=vu.get("util"), hv_state=vu.get("state"),
                                         guest_state=gc.get("state"),
                                         progress=gc.get("progress")))
            if counters is not None:
                prog = sum(c["progress"] for c in counters["cpus"].values())
                last = self._progress.get(d.name)
                thr = None
                if last is not None and now > last[0] and prog >= last[1]:
                    thr = (prog - last[1]) / (now - last[0])
                if last is None or now - last[0] >= self.sample_steps / \
                        self.platform.clock_hz:
                    self._progress[d.name] = (now, prog)
                    h = self.history.setdefault(d.name, deque(maxlen=HISTORY))
                    h.append((now, row["util"], thr))
                elif last is not None and self.history.get(d.name):
                    thr = self.history[d.name][-1][2]
                row["workload"] = dict(name=counters["workload"], state=counters["state"],
                                       threads=counters["threads"],
                                       units_total=counters["units_total"], progress=prog,
                                       result=counters["result"], throughput=thr)
            doms.append(row)
        strands = [dict(pid=p, cid=t.core_of(p), owner=owner.get(p),
                        vid=cfg.bindings.get(owner[p]).vid_of(p) if p in owner else None,
                        util=vutil.get(p)) for p in range(t.strands)]
        snap = dict(time=now, tod=self.tod(), paused=self._paused, speed=self._speed,
                    platform=t.name, cores=t.cores, strands_per_core=t.strands_per_core,
                    hvctl=self.channels.hvctl.state if self.channels else "down",
                    delayed=cfg.delayed, domains=doms, strands=strands,
                    split_cores={c: list(n) for c, n in cfg.bindings.split_cores().items()},
                    ended=None if self.ended is None else self.ended.reason)
        with self._lock:
            self._snap = snap

    def _publish_flags(self):
        with self._lock:
            if self._snap:
                self._snap = dict(self._snap, paused=self._paused, speed=self._speed)

    def _ds_state(self, name: str) -> str:
        if self.channels is None:
            return "down"
        peer = self.channels.ds.get(name)
        if peer is None:
            return "no channel"
        return "registered" if peer.ready else peer.state
