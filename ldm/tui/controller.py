"""What the TUI drives: a Controller runs `ldm` commands against a machine's manager and
reports the machine's state (model.Snapshot), its consoles and the manager's events.

    live      True when the machine runs in this process: its time is advanced by the
              TUI (advance), its consoles and the manager's event log are readable.
    platform  the platform's name (e.g. "T5220")
    advance(seconds)   run the machine for that much simulated time (called by the TUI's
                       machine worker thread only; blocks until done)
    idle(timeout)      the machine is paused: wait up to `timeout` host seconds, serving
                       commands (machine worker thread); True when a command ran
    release()          the machine worker has ended
    execute(argv)      one ldm command line without the `ldm` word -> Reply; callable
                       from any thread while advance() runs in another
    snapshot()         model.Snapshot of now
    console(name, cursor)  (text the domain wrote on its console since `cursor`, the
                       new cursor); cursor 0 is the beginning
    events(since)      (the manager's events after `since`, oldest first, the new
                       `since`)
    send_console(name, data)  bytes typed in the console pane to the domain's console
                       (its guest UART); False when this controller carries none
    close()            stop the machine / drop the connection

Two kinds: the live machine of `ldm tui [CONFIG]` (live.py, over the manager's
LiveManager) and `AttachedController`, a running ldmd reached over its socket (`ldm tui
--attach SOCKET`; protocol.py), which has only what the ldmd protocol carries: commands
and their output (the table and the strand map come from `list-bindings -o json` and
`list-devices -a -o json`, the DR/event log from `list-events -o json`).
"""
from __future__ import annotations

import json
import time as _time
from dataclasses import dataclass
from typing import Protocol

from ..protocol import ClientError, call
from .model import DomainView, Event, Snapshot, StrandView


@dataclass(frozen=True)
class Reply:
    """An ldm command's exit status and what it printed (newline-terminated text)."""
    status: int
    out: str = ""
    err: str = ""


class Controller(Protocol):
    live: bool
    platform: str

    def advance(self, seconds: float) -> None: ...

    def idle(self, timeout: float) -> bool: ...

    def release(self) -> None: ...

    def execute(self, argv: list[str]) -> Reply: ...

    def snapshot(self) -> Snapshot: ...

    def console(self, name: str, cursor: int) -> tuple[str, int]: ...

    def send_console(self, name: str, data: bytes) -> bool: ...

    def events(self, since: int) -> tuple[list[Event], int]: ...

    def close(self) -> None: ...


def snapshot_from_json(bindings: dict, devices: dict, platform: str,
                       time: float | None = None) -> Snapshot:
    """A Snapshot from `ldm list-bindings -o json` and `ldm list-devices -a -o json`
    (jsonout.py shapes): rows, strand owners and per-vCPU utilisation.  No raw
    counters or workload figures travel this way (busy, ticks 0; work None)."""
    cores = devices.get("cores", [])
    spc = max((len(c["cpuset"]) for c in cores), default=1)
    owner: dict[int, tuple[str, int, float | None]] = {}
    doms = []
    for d in bindings.get("domains", []):
        doms.append(DomainView(name=d["name"], state=d["state"], flags=d["flags"],
                               cons=d.get("cons") or "", ncpu=d.get("ncpu"),
                               mem=d.get("mem"), util=d.get("util"),
                               uptime=d.get("uptime")))
        for v in d.get("vcpus", []):
            owner[v["pid"]] = (d["name"], v["vid"], v.get("util"))
    strands = []
    for pid in range(len(cores) * spc):
        o = owner.get(pid)
        strands.append(StrandView(pid) if o is None else
                       StrandView(pid, owner=o[0], vid=o[1], util=o[2]))
    return Snapshot(platform=platform, cores=len(cores), strands_per_core=spc,
                    time=time if time is not None else 0.0, domains=tuple(doms),
                    strands=tuple(strands))


class AttachedController:
    """A running machine's ldmd over its Unix socket (`ldm tui --attach SOCKET`).

    The ldmd protocol (protocol.py, v1) carries command lines and their output only:
    there is no simulated time or console to read and the machine's pace is its own, so
    `live` is False and the TUI shows the table, the strand map, the manager's event
    log (`ldm list-events -o json`) and the command line.  A connection failure is the
    one line of protocol.ClientError."""
    live = False

    def __init__(self, path: str, poll: float = 0.5, timeout: float = 30.0):
        self.path = path
        self.poll = poll
        self.timeout = timeout
        self.platform = f"ldmd {path}"
        self._sent: list[tuple[str, ...]] = []      # this TUI's commands not yet logged

    def advance(self, seconds: float) -> None:
        _time.sleep(self.poll)

    def idle(self, timeout: float) -> bool:
        _time.sleep(timeout)
        return False

    def release(self) -> None:
        pass

    def execute(self, argv: list[str]) -> Reply:
        self._sent.append(tuple(argv))
        try:
            r = call(self.path, list(argv), timeout=self.timeout)
        except ClientError as e:
            return Reply(1, "", f"{e}\n")
        return Reply(r.status, "".join(x + "\n" for x in r.out),
                     "".join(x + "\n" for x in r.err))

    def _json(self, argv):
        r = self.execute(argv)
        if r.status:
            raise ClientError(r.err.strip() or f"ldm {' '.join(argv)}: exit {r.status}")
        return json.loads(r.out)

    def snapshot(self) -> Snapshot:
        return snapshot_from_json(self._json(["list-bindings", "-o", "json"]),
                                  self._json(["list-devices", "-a", "-o", "json"]),
                                  self.platform, None)

    def console(self, name: str, cursor: int) -> tuple[str, int]:
        return "", cursor

    def send_console(self, name: str, data: bytes) -> bool:
        """The ldmd protocol carries no console (its consoles are vntsd's ports)."""
        return False

    def events(self, since: int) -> tuple[list[Event], int]:
        """The manager's events after `since` (its log keeps the last 4000), without
        the `command` entries of this TUI's own commands (the TUI logs them itself)."""
        from types import SimpleNamespace
        from .live import event_of
        try:
            evs = self._json(["list-events", "-o", "json"])["events"]
        except (ClientError, ValueError, KeyError):
            return [], since
        out = []
        for e in evs:
            if e["seq"] <= since:
                continue
            argv = tuple((e.get("data") or {}).get("argv") or ())
            if e["kind"] == "command" and argv in self._sent:
                self._sent.remove(argv)
                continue
            x = event_of(SimpleNamespace(**e))
            if x is not None:
                out.append(x)
        return out, max([since] + [e["seq"] for e in evs])

    def close(self) -> None:
        pass
