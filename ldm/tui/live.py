"""The TUI's live machine: a machine booted in this process with its domain manager
(ldm.live.LiveManager), driven by the TUI's machine worker thread.

The worker is the one thread that runs the machine (LiveManager without start(): the
caller's thread drives): advance(seconds) runs it for one sample of simulated time,
idle(timeout) waits while the machine is paused.  Commands from other threads (the UI's
command workers, `ldm --socket` clients when --ldmd is given) are queued and run by the
worker between two samples, so every command runs at a sample boundary, with the
machine standing still around it; a command that waits for the hypervisor or a guest
runs the machine as long as it needs (LiveManager.execute).  Before the worker exists
(the scripted demo, tests) execute runs the command in the caller's thread.

Facts: ldm/live.py (its controller API: snapshot keys, console cursors, Event kinds
command, dr, blocked, policy, delayed, state, hv, error, info).
"""
from __future__ import annotations

import os
import queue
import threading

from sun4v.boot.config import BootError

from ..errors import LdmError
from ..live import LiveManager
from .controller import Reply
from .model import DomainView, DrResult, Event, Snapshot, StrandView

# what the guest kernel's workloads count (sun4v/guest/README.md "Workloads")
WORK_UNITS = {"int": "units", "mem": "passes", "fp": "k-intervals", "mix": "requests"}


class LiveError(Exception):
    """The machine could not be booted or stopped running (one line)."""


class _Job:
    def __init__(self, argv, cwd, origin):
        self.argv, self.cwd, self.origin = list(argv), cwd, origin
        self.result = None
        self.error: BaseException | None = None
        self.done = threading.Event()


def snapshot_of(d: dict) -> Snapshot:
    """model.Snapshot of LiveManager.snapshot()'s dict."""
    doms = []
    for r in d.get("domains", []):
        wl = r.get("workload") or {}
        name = wl.get("name", "")
        doms.append(DomainView(
            name=r["name"], state=r["state"], flags=r["flags"], cons=r.get("cons") or "",
            ncpu=r.get("ncpu"), mem=r.get("memory"), util=r.get("util"),
            uptime=None if r.get("uptime") is None else int(r["uptime"]),
            work=wl.get("progress") if name in WORK_UNITS else None,
            work_unit=WORK_UNITS.get(name, "units"), workload=name))
    strands = tuple(StrandView(s["pid"], s.get("owner"), s.get("vid"), s.get("util"))
                    for s in d.get("strands", []))
    return Snapshot(platform=d.get("platform", ""), cores=d.get("cores", 0),
                    strands_per_core=d.get("strands_per_core", 1),
                    time=float(d.get("time", 0.0)), domains=tuple(doms), strands=strands)


KINDS = {"dr", "blocked", "policy", "delayed", "state", "hv", "error", "info", "command"}


def event_of(e) -> Event | None:
    """model.Event of a LiveManager Event; None for what the TUI shows itself (its own
    commands, which it logs with their output)."""
    data = e.data or {}
    if e.kind == "command" and data.get("origin") == "tui":
        return None
    results = ()
    if e.kind == "dr":
        pids = data.get("strands", {})
        results = tuple(DrResult(int(vid), str(res), str(st), str(why or ""),
                                 pids.get(vid))
                        for vid, res, st, why in data.get("records", ()))
    text = e.text
    if e.kind == "dr" and results:
        # the per-vCPU results have lines of their own: keep the request part
        text = e.text.split(":")[0]
    return Event(seq=e.seq, time=e.time, kind=e.kind if e.kind in KINDS else "info",
                 text=text, domain=e.domain, request=str(data.get("request", "")),
                 results=results, argv=tuple(data.get("argv", ())))


class LiveController:
    """controller.Controller over a LiveManager (see the module docstring)."""
    live = True

    def __init__(self, lm: LiveManager, ldmd: str | None = None):
        self.lm = lm
        self.platform = lm.platform.key.upper()
        self._jobs: queue.Queue = queue.Queue()
        self._driver: threading.Thread | None = None
        self._server = None
        self._server_thread = None
        self.socket = ldmd
        if ldmd:
            self._serve(ldmd)

    @classmethod
    def boot(cls, config, ldmd: str | None = None, sample: str = "0.25ms",
             **kw) -> "LiveController":
        """Boot `config` (a sun4v boot TOML path or BootConfig); LiveError (one line)
        for a bad configuration or an unbuilt firmware."""
        try:
            lm = LiveManager(config, sample=sample, **kw)
        except (BootError, LdmError) as e:
            raise LiveError(str(e)) from None
        try:
            return cls(lm, ldmd)
        except OSError as e:
            lm.close()
            raise LiveError(f"--ldmd {ldmd}: {e.strerror or e}") from None

    def _serve(self, path: str) -> None:
        from ..protocol import Server
        from ..context import Result
        d = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(d):
            raise OSError(2, f"directory {d} does not exist")

        def run(argv, cwd):
            r = self._call(argv, cwd, "socket")
            return r if isinstance(r, Result) else Result(r.status, r.out, r.err)
        self._server = Server(path, run)
        self._server_thread = threading.Thread(target=self._server.serve_forever,
                                               name="ldmd-socket", daemon=True)
        self._server_thread.start()

    # --- the driving thread ---------------------------------------------------------
    def _run_jobs(self) -> bool:
        ran = False
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return ran
            try:
                job.result = self.lm.execute(job.argv, job.cwd, origin=job.origin)
            except BaseException as e:                      # noqa: BLE001
                job.error = e
            job.done.set()
            ran = True

    def advance(self, seconds: float) -> None:
        """Run the machine for `seconds` of simulated time (the machine worker's
        thread); queued commands run before.  LiveError when the machine stopped."""
        self._driver = threading.current_thread()
        self._run_jobs()
        if self.lm.ended is not None:
            raise LiveError(f"the machine stopped: {self.lm.ended.reason}"
                            + (f": {self.lm.ended.detail}" if self.lm.ended.detail else ""))
        self.lm.advance(seconds)
        self._run_jobs()

    def idle(self, timeout: float) -> bool:
        """Paused: wait up to `timeout` host seconds for a queued command and run it
        (the machine worker's thread); True when one ran."""
        self._driver = threading.current_thread()
        try:
            job = self._jobs.get(timeout=timeout)
        except queue.Empty:
            return False
        self._jobs.put(job)
        return self._run_jobs()

    def release(self) -> None:
        """The driving thread is gone: commands run in their callers' threads again
        (queued ones run now, in this thread)."""
        self._driver = None
        self._run_jobs()

    # --- commands -----------------------------------------------------------------------
    def _call(self, argv, cwd=None, origin="tui"):
        drv = self._driver
        if drv is None or drv is threading.current_thread() or not drv.is_alive():
            return self.lm.execute(list(argv), cwd, origin=origin)
        job = _Job(argv, cwd, origin)
        self._jobs.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def execute(self, argv) -> Reply:
        r = self._call(argv)
        return Reply(r.status, "".join(x + "\n" for x in r.out),
                     "".join(x + "\n" for x in r.err))

    # --- state ---------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return snapshot_of(self.lm.snapshot())

    def console(self, name: str, cursor: int) -> tuple[str, int]:
        try:
            return self.lm.console(name, cursor)
        except KeyError:
            return "", cursor

    def send_console(self, name: str, data: bytes) -> bool:
        """Bytes typed in the TUI's console pane: to domain `name`'s guest UART
        (LiveManager.type_console). False: no such domain console."""
        try:
            self.lm.type_console(name, data)
        except KeyError:
            return False
        return True

    def events(self, since: int) -> tuple[list[Event], int]:
        evs = self.lm.events(since)
        out = [x for x in (event_of(e) for e in evs) if x is not None]
        return out, (evs[-1].seq if evs else since)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.release()
        self.lm.close()
