"""A controller for the TUI's widget tests that needs no machine: the real `ldm`
command (cli execute over an offline store: real syntax, binder, `ldm list`) with a
simulated clock, consoles and a DR event log made up here.  Tests only: the product
drives a real machine (ldm/tui/live.py)."""
from __future__ import annotations

import threading

from ldm.cli import _init
from ldm.commands import execute
from ldm.context import StoreContext
from ldm.store import Store
from ldm.tui.controller import Reply, snapshot_from_json
from ldm.tui.model import DomainView, DrResult, Event, Snapshot, StrandView

import json


class FakeController:
    live = True
    platform = "T5220"

    def __init__(self, state_dir: str, block_reason: str | None = None):
        self.store = Store(state_dir)
        res = _init(state_dir, ["--platform", "T5220", "--seed", "7"])
        assert res.status == 0, res.err
        self.t = 0.0
        self.lock = threading.Lock()
        self.event_log: list[Event] = []
        self.console_text: dict[str, str] = {}
        self.block_reason = block_reason
        self.commands: list[list[str]] = []
        self.closed = False
        for line in ("set-vcpu 8 primary", "set-memory --auto-adj 4G primary",
                     "stop-domain -r primary",
                     "add-domain ldg1", "add-vcpu 8 ldg1", "add-memory 4G ldg1",
                     "bind ldg1", "start ldg1",
                     "add-domain ldg2", "add-vcpu 8 ldg2", "add-memory 2G ldg2",
                     "bind ldg2", "start ldg2"):
            r = self._run(line.split())
            assert r.status == 0, (line, r.err)
        self.commands.clear()
        for n in ("primary", "ldg1", "ldg2"):
            self.console_text[n] = f"sun4v guest kernel on SPARC Enterprise T5220\n" \
                                   f"domain {n}: booted\n"

    def _run(self, argv):
        with self.store.locked():
            r = execute(list(argv), StoreContext(self.store))
        return Reply(r.status, "".join(x + "\n" for x in r.out),
                     "".join(x + "\n" for x in r.err))

    # --- Controller -----------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        with self.lock:
            before = int(self.t * 1000)
            self.t += seconds
            for ms in range(before + 1, int(self.t * 1000 + 1e-9) + 1):
                self.console_text["ldg1"] += f"workload int: tick {ms} ms\n"

    def execute(self, argv):
        with self.lock:
            self.commands.append(list(argv))
            vids_before = self._vids(argv[-1]) if argv else []
            if self.block_reason and argv[:1] == ["remove-vcpu"] and "-f" not in argv:
                n = int(argv[1])
                vids = vids_before[-n:]
                self._event("dr", argv[-1], f"unconfigure vCPU {vids[0]}-{vids[-1]}",
                            "unconfigure", tuple(DrResult(v, "blocked", "configured",
                                                          self.block_reason)
                                                 for v in vids), argv)
                return Reply(1, "", f"vCPU {vids[0]} of {argv[-1]}: blocked: "
                                    f"{self.block_reason}\n")
            r = self._run(argv)
            if r.status == 0 and argv[:1] in (["add-vcpu"], ["remove-vcpu"]):
                after = self._vids(argv[-1])
                if argv[0] == "add-vcpu":
                    new = [v for v in after if v not in vids_before]
                    self._event("dr", argv[-1], f"configure {len(new)} vCPUs",
                                "configure", tuple(DrResult(v, "ok", "configured")
                                                   for v in new), argv)
                else:
                    gone = [v for v in vids_before if v not in after]
                    req = "force unconfigure" if "-f" in argv else "unconfigure"
                    self._event("dr", argv[-1], f"{req} {len(gone)} vCPUs", req,
                                tuple(DrResult(v, "ok", "unconfigured") for v in gone),
                                argv)
            return r

    def _event(self, kind, dom, text, request="", results=(), argv=()):
        self.event_log.append(Event(len(self.event_log) + 1, self.t, kind, text, dom,
                                    request, results, tuple(argv)))

    def _vids(self, name):
        r = self._run(["list-bindings", "-o", "json", name])
        if r.status:
            return []
        d = json.loads(r.out)["domains"][0]
        return [v["vid"] for v in d["vcpus"]]

    def snapshot(self) -> Snapshot:
        with self.lock:
            b = json.loads(self._run(["list-bindings", "-o", "json"]).out)
            dv = json.loads(self._run(["list-devices", "-a", "-o", "json"]).out)
            s = snapshot_from_json(b, dv, self.platform, self.t)
            ticks = int(self.t * 1_400_000_000)
            doms = []
            for i, d in enumerate(s.domains):
                n = d.ncpu or 0
                share = (0.05, 0.9, 0.4)[i % 3]
                doms.append(DomainView(**{**d.__dict__, "util": 100 * share,
                                          "uptime": int(self.t),
                                          "busy": int(share * ticks * n),
                                          "ticks": ticks * n,
                                          "work": int(self.t * 1e5 * n) if i else None}))
            strands = tuple(StrandView(st.pid, st.owner, st.vid,
                                       None if st.owner is None else 50.0,
                                       ticks // 2, ticks) for st in s.strands)
            return Snapshot(s.platform, s.cores, s.strands_per_core, s.time,
                            tuple(doms), strands)

    def idle(self, timeout):
        threading.Event().wait(timeout)
        return False

    def release(self):
        pass

    def console(self, name, cursor):
        with self.lock:
            text = self.console_text.get(name, "")
            return text[cursor:], len(text)

    def events(self, since):
        with self.lock:
            evs = [e for e in self.event_log if e.seq > since]
            return evs, (evs[-1].seq if evs else since)

    def close(self):
        self.closed = True
