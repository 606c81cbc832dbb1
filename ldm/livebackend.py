"""The running machine's backend (actions.Backend): carries out the manager's changes
on a live machine through the hypervisor control channel and the domains' domain
services, in the order the protocols require (ldoms_protocols.md §1.3-1.4, sun4v.md §6,
DESIGN.md "The Logical Domains chain"):

  bind / unbind / a bound domain's resources: new MDs -> ldc_copy into the MD area ->
      hvctl reconfigure -> md-update of the running domains whose MD changed (the
      control domain's relay then opens or closes the new domain's DS channel)
  add vCPUs to an active domain: reconfigure (the new vCPUs exist, STOPPED) ->
      md-update -> dr-cpu CONFIGURE (sent together, processed in order) -> per-vCPU
      results; vCPUs the guest could not start are taken out again (reconfigure)
  remove vCPUs: dr-cpu UNCONFIGURE (FORCE_UNCONFIG with -f) -> per-vCPU results ->
      reconfigure without the vCPUs the guest stopped -> md-update
  start: hvctl guest_start; stop: DS domain-shutdown (without -f, when the domain's
      agent is there), else hvctl guest_stop; the hypervisor's new_res_stat says
      when it stopped
  delayed reconfiguration of primary: hvctl guest_delayed_reconf with the MD of the
      pending configuration; cancel-reconf: hvctl cancel_reconf; `stop-domain -r
      primary`: the relay asks primary's kernel to reboot (mach_sir), the hypervisor
      applies the pending MD as it resets primary, and the manager's channels start
      over on the new relay

A guest that does not answer in time (LiveManager dr_timeout, stop_timeout) is reported
as not responding and nothing stays half-done: a removal it did not answer changes
nothing (should its answer come later, the vCPUs it stopped are configured again); an
addition it did not answer is taken back. A whole-core domain changes by whole cores
or not at all. After each change the hypervisor's view of the domains involved is
checked (get_hvconfig: the active MD is ours; get_res_stat: each of their strands'
vCPU exists exactly when bound, running when its domain is active; each guest's state;
dr-cpu STATUS: the guest has exactly the vCPUs of its MD) and a difference is an error
the user sees (exit status 1, an "error" event).
"""
from __future__ import annotations

import struct
from dataclasses import replace

from . import binder
from . import ds as DS
from . import hvctl as H
from . import progvar
from . import viodr
from .actions import (CancelReconfigure, DelayedReconfigure, DomainStatus, DrConfigure,
                      DrUnconfigure, GuestReboot, GuestStart, GuestStop, MdUpdate,
                      Outcome, Reconfigure, SetVariables)
from .config import Config
from .constraints import PRIMARY
from .domain import ACTIVE, BOUND
from .errors import LdmError
from .mdarea import hv_pa
from .mdwriter import DomainImage

HV_TIMEOUT = "10ms"
WORKLOAD_PARAMS = ("threads", "iterations", "passes", "size", "requests", "duty", "work",
                   "bind", "vdisk")


class Refused(Exception):
    """A change that could not be made: the lines to print and the configuration that
    holds (None: the one before the change)."""

    def __init__(self, *lines, config: Config | None = None, out=()):
        super().__init__(lines[0] if lines else "")
        self.lines = list(lines)
        self.config = config
        self.out = list(out)


def _partial(cfg: Config, name: str, drop_pids) -> Config:
    """cfg with domain `name` bound to fewer strands (a DR request done in part)."""
    if not drop_pids:
        return cfg
    b = binder.drop_strands(cfg.bindings, name, drop_pids)
    dom = cfg.domain(name)
    c = dom.constraints.with_vcpus(len(b.get(name).vcpus))
    return replace(cfg.with_domain(dom.with_constraints(c)), bindings=b).check()


class LiveBackend:
    live = True

    def __init__(self, lm):
        self.lm = lm
        self.hv_timeout = lm.system.steps(HV_TIMEOUT)

    # --- what a running machine knows ---------------------------------------------
    def status(self, name: str) -> DomainStatus | None:
        u = self.lm.util.get(name)
        d = self.lm._cfg.get(name)
        if d is None or d.state != ACTIVE:
            return None
        if u is None:
            return DomainStatus(0.0, 0, "", {})
        return DomainStatus(u["util"] if u["util"] is not None else 0.0,
                            int(u["uptime"] or 0), "",
                            {vid: v["util"] for vid, v in u["vcpus"].items()
                             if v["util"] is not None})

    def versions(self) -> dict[str, str]:
        return {"Hypervisor": "sun4v firmware hypervisor (hvctl "
                              f"{H.VERSION[0]}.{H.VERSION[1]})",
                "Guest kernel": "sun4v guest kernel"}

    def events(self):
        return self.lm.events()

    # --- waiting ---------------------------------------------------------------------
    def _wait(self, items, limit) -> bool:
        return self.lm.wait(lambda: all(i.done for i in items), limit)

    def _hv(self, op: str, body: bytes = b"", what: str | None = None) -> H.Message:
        p = self.lm.channels.hvctl.request(op, body, what)
        if not self._wait([p], self.hv_timeout):
            raise Refused(f"The hypervisor did not answer hvctl {what or op} in "
                          f"{HV_TIMEOUT}")
        try:
            return p.result()
        except H.HvctlError as e:
            raise Refused(f"The hypervisor refused {what or op}: "
                          f"{e.reply.failure() if e.reply else e}") from None

    def _peer(self, name: str):
        return self.lm.channels.ds.get(name) if self.lm.channels else None

    def _ready_peer(self, name: str):
        """The domain's DS peer with its DR agent registered: a handshake under way (a
        domain just started) is waited for, up to dr_timeout; Refused otherwise."""
        peer = self._peer(name)
        if peer is not None and not peer.ready and peer.state == "handshake":
            self.lm.wait(lambda: peer.ready or peer.state != "handshake",
                         self.lm.dr_timeout)
        if peer is None or not peer.ready:
            raise Refused(f"LDom {name} is not responding: its domain-services agent "
                          f"(dr-cpu) is not running")
        return peer

    def _ds_wait(self, name, waiters, what) -> None:
        peer = self._peer(name)
        if not self._wait(waiters, self.lm.dr_timeout):
            for w in waiters:
                if not w.done and peer is not None:
                    peer.forget(w)
            ms = self.lm.dr_timeout / self.lm.platform.clock_hz * 1e3
            raise Refused(f"LDom {name} is not responding: no answer to {what} in "
                          f"{ms:g} ms")
        for w in waiters:
            if w.error:
                raise Refused(f"LDom {name}: {w.error}")

    # --- MDs and the hypervisor ----------------------------------------------------------
    def _images(self, cfg: Config):
        """The ROM image, console and workload of every bound domain (new domains: the
        guest kernel, the lowest free console, the workload of their variables), and
        the consoles given to new domains {name: UART index}."""
        lm = self.lm
        out, new = {}, {}
        used = {lm.uart_of[n] for n in cfg.bindings.names() if n in lm.uart_of}
        for d in cfg.bindings.domains:
            if d.name in lm.images and d.name in lm.uart_of:
                out[d.name] = lm.images[d.name]
                continue
            if lm.kernel_image is None:
                raise Refused(f"Cannot bind {d.name}: no guest kernel image in the boot ROM")
            free = [i for i in range(len(lm.m.guest_uarts)) if i not in used]
            if not free:
                raise Refused(f"Cannot bind {d.name}: all {len(lm.m.guest_uarts)} "
                              f"consoles of the {cfg.topology.name} are in use")
            used.add(free[0])
            c = cfg.domain(d.name).constraints
            wl = {"name": c.variable("workload") or "idle"}
            if c.variable(progvar.PROGRAM) is not None or wl["name"] == progvar.WORKLOAD:
                self._program(cfg, d.name, "bind")      # checked: the guest waits for it
                wl = {"name": progvar.WORKLOAD}
            for k in WORKLOAD_PARAMS:
                v = c.variable(k)
                if v is not None:
                    wl[k] = int(v) if v.isdigit() else v
            out[d.name] = DomainImage(lm.kernel_image.rombase, lm.kernel_image.romsize,
                                      _uart_base(free[0]), wl)
            new[d.name] = free[0]
        return out, new

    def _adopt_images(self, cfg: Config, images: dict, new: dict):
        lm = self.lm
        for name, idx in new.items():
            lm.images[name] = images[name]
            lm.uart_of[name] = idx
            lm.uart_start[name] = len(lm.m.guest_uarts[idx].out)
            with lm._lock:
                lm._consoles[name] = bytearray()
        for name in list(lm.uart_of):
            if cfg.bindings.get(name) is None:
                lm.uart_of.pop(name, None)
                lm.images.pop(name, None)
        for name in list(lm.system.programs):
            if cfg.bindings.get(name) is None:     # unbound: its program is dropped
                lm.system.set_program(name, None)
                lm.system.program_uarts.pop(name, None)
                lm._programs_reported.discard(name)

    def _program(self, cfg: Config, name: str, what: str):
        """(path, argv[1:]) of domain `name`'s program variables (ldm/progvar.py), the
        file checked; None without one. Refused (one line) when it cannot run."""
        c = cfg.domain(name).constraints
        try:
            prog = progvar.program_of(c)
            if prog is None:
                if c.variable("workload") == progvar.WORKLOAD:
                    raise LdmError(f"workload {progvar.WORKLOAD} needs the variable "
                                   f"{progvar.PROGRAM}=PATH")
                return None
            progvar.check_file(prog[0])
        except LdmError as e:
            raise Refused(f"Cannot {what} {name}: {e.lines[0]}") from None
        return prog

    def _new_proxy(self, cfg: Config, name: str):
        """A fresh ProgramProxy for domain `name`'s program over its memory (each start
        runs it from the beginning), or None."""
        from sun4v.boot.progproxy import ProgramError, ProgramProxy
        lm = self.lm
        if lm.images.get(name) is None or \
                lm.images[name].workload.get("name") != progvar.WORKLOAD:
            return None
        prog = self._program(cfg, name, "start")
        if prog is None:
            return None
        dm = lm._memory(name, cfg.bindings)
        try:
            px = ProgramProxy(name, prog[0], prog[1], dm)
        except ProgramError as e:
            raise Refused(f"Cannot start {name}: program {e}") from None
        # the stopped domain's memory holds what ran there last (its last run's program
        # and proxy area, or another domain's before it was bound): scrubbed, as a guest's
        # firmware clears memory as it boots, since the guest kernel gives a program the
        # memory no one has used yet without clearing it (sun4v/guest/vm.c
        # kalloc_high_try); the hypervisor copies the kernel's image in at guest_start.
        # The new proxy then waits for the area the guest kernel sets up as it boots.
        for _ra, pa, size in dm.blocks:
            lm.m.scrub(pa, size)
        return px

    def _write_mds(self, cfg: Config, bindings=None, delayed=False):
        """New MDs of `cfg` (or of `bindings`) into the hypervisor's MD area:
        (set, hvmdp, images)."""
        lm = self.lm
        b = bindings or cfg.bindings
        images, new = self._images(cfg)
        try:
            k, hvmdp, blobs = lm.mdarea.prepare(b, images, delayed)
            waiters = lm.channels.copy_out(blobs)
        except LdmError as e:
            raise Refused(*e.lines) from None
        except H.HvctlError as e:
            raise Refused(f"The machine descriptions cannot be written now: {e}") from None
        if not self._wait(waiters, self.hv_timeout):
            raise Refused("The control domain's relay did not copy the machine "
                          f"descriptions in {HV_TIMEOUT}")
        for w in waiters:
            if w.error:
                raise Refused(f"Writing the machine descriptions failed: {w.error}")
        return k, hvmdp, (images, new)

    def _reconfigure(self, cfg: Config) -> None:
        k, hvmdp, (images, new) = self._write_mds(cfg)
        self._hv("reconfigure", H.reconfig_body(hvmdp), "reconfigure")
        self.lm.mdarea.accepted(k)
        if self.lm.hvconfig is not None:
            self.lm.hvconfig["hvmdp"] = hvmdp
        self._adopt_images(cfg, images, new)

    def _md_update(self, name: str) -> str | None:
        """md-update to an active domain; None when it re-read its MD, else why not."""
        peer = self._peer(name)
        if peer is None or not peer.ready:
            return f"LDom {name} was not told (md-update): its domain services are not up"
        w = peer.md_update()
        try:
            self._ds_wait(name, [w], "md-update")
        except Refused as e:
            return e.lines[0]
        result = struct.unpack_from(">I", w.value, 8)[0] if len(w.value) >= 12 else 2
        return None if result == 0 else f"LDom {name}: md-update failed (result {result})"

    # --- verification ------------------------------------------------------------------
    def verify(self, cfg: Config, names, dr_domain: str | None = None,
               gone_pids=()) -> list[str]:
        """Differences between `cfg` and the hypervisor (and the guest's dr-cpu view of
        `dr_domain`), as sentences; also logged as "error" events."""
        lm = self.lm
        hv = lm.channels.hvctl
        G, V = H.C["HVCTL_RES_GUEST"], H.C["HVCTL_RES_VCPU"]
        checks = [("config", None, hv.request("get_hvconfig"))]
        pids: dict[int, str | None] = {p: None for p in gone_pids}
        for n in names:
            b = cfg.bindings.get(n)
            if b is None:
                continue
            checks.append(("guest", n, hv.request(
                "get_res_stat", H.res_stat_body(G, b.gid, H.C["HVCTL_INFO_GUEST_STATE"]))))
            for p in b.pids():
                pids[p] = n
        for p, n in pids.items():
            checks.append(("vcpu", (p, n), hv.request(
                "get_res_stat", H.res_stat_body(V, p, H.C["HVCTL_INFO_VCPU_STATE"]))))
        dr = None
        if dr_domain is not None:
            peer = self._peer(dr_domain)
            b = cfg.bindings.get(dr_domain)
            if peer is not None and peer.ready and b is not None:
                vids = sorted(v.vid for v in b.vcpus)
                dr = (vids, peer.dr_cpu(DS.DR_STATUS, vids))
        items = [c[2] for c in checks] + ([dr[1]] if dr else [])
        if not self._wait(items, lm.dr_timeout):
            return ["The hypervisor or the guest did not answer the checks in time"]
        bad = []
        for kind, what, p in checks:
            m = p.reply
            if m is None:
                bad.append(f"check {kind} {what}: {p.error}")
                continue
            if kind == "config":
                c = m.hvconfig()
                want = H.INVALID_GID if not cfg.delayed else 0
                if lm.mdarea.active != "boot":
                    from .mdarea import hv_pa
                    if c["hvmdp"] != hv_pa(lm.mdarea.active):
                        bad.append(f"the hypervisor's active MD is {c['hvmdp']:#x}, "
                                   f"not the manager's {hv_pa(lm.mdarea.active):#x}")
                if c["del_reconf_gid"] != want:
                    bad.append("the hypervisor's delayed reconfiguration (guest "
                               f"{c['del_reconf_gid']:#x}) differs from the manager's")
            elif kind == "guest":
                st = m.res_stat().get("state") if m.status == H.ST_OK else m.failure()
                want = ("normal", "resetting") if cfg.domain(what).state == ACTIVE \
                    else ("stopped",)
                if st not in want:
                    bad.append(f"LDom {what}: the hypervisor says {st}, the manager "
                               f"{cfg.domain(what).state}")
            else:
                pid, owner = what
                if owner is None:
                    if m.status == H.ST_OK:
                        bad.append(f"strand {pid}: the hypervisor still has a vCPU "
                                   f"({m.res_stat().get('state')}) the manager removed")
                    continue
                if m.status != H.ST_OK:
                    bad.append(f"strand {pid}: bound to {owner} here, no vCPU in the "
                               f"hypervisor ({m.failure()})")
                    continue
                st = m.res_stat()["state"]
                active = cfg.domain(owner).state == ACTIVE
                if active and st not in ("running", "starting") or \
                        not active and st not in ("stopped", "error"):
                    bad.append(f"strand {pid} of {owner}: the hypervisor's vCPU is {st}")
        if dr is not None:
            vids, w = dr
            if w.error:
                bad.append(f"LDom {dr_domain}: dr-cpu STATUS: {w.error}")
            else:
                rep = DS.parse_dr_cpu_reply(w.value)
                for r in rep.records:
                    if r.status_name != "configured":
                        bad.append(f"LDom {dr_domain}: vCPU {r.cpu} is {r.status_name} in "
                                   f"the guest but bound here")
        for line in bad:
            lm._event("error", None, f"manager and hypervisor differ: {line}")
        return bad

    # --- the backend protocol -------------------------------------------------------
    def apply(self, change) -> Outcome:
        lm = self.lm
        out = list(change.out)
        if not change.actions:
            return Outcome(change.after, tuple(out))
        if not lm.connected:
            return Outcome(change.before, tuple(out),
                           ("ldmd: the hypervisor control channel is not connected yet "
                            "(the control domain's relay is starting): try again",), 1)
        try:
            with viodr.serving(lm.channels, change.after):
                cfg, more, err, status = self._apply(change)
        except Refused as r:
            return Outcome(r.config or change.before, tuple(out + r.out), tuple(r.lines), 1)
        return Outcome(cfg, tuple(out + more), tuple(err), status)

    def _apply(self, change):
        acts = change.actions
        dr_un = [a for a in acts if isinstance(a, DrUnconfigure)]
        dr_cf = [a for a in acts if isinstance(a, DrConfigure)]
        vio_un = [a for a in acts if isinstance(a, viodr.VioUnconfigure)]
        if vio_un:
            return viodr.remove(self, change, vio_un[0])
        if dr_un:
            return self._remove(change, dr_un[0])
        if dr_cf:
            return self._add(change, dr_cf[0])
        cfg, out, err, status = change.before, [], [], 0
        for a in acts:
            if isinstance(a, Reconfigure):
                cfg, o, e = self._plain_reconfigure(change.before, change.after)
                out += o
                err += e
            elif isinstance(a, viodr.VioConfigure):
                o, e = viodr.configure(self, a)
                out += o
                err += e
            elif isinstance(a, MdUpdate):
                why = self._md_update(a.domain)
                if why:
                    err.append(why)
            elif isinstance(a, GuestStart):
                cfg = self._start(cfg, a.domain)
                out.append(f"LDom {a.domain} started")
            elif isinstance(a, GuestStop):
                cfg, o = self._stop(cfg, a.domain, a.force)
                out += o
            elif isinstance(a, GuestReboot):
                cfg, o, e = self._reboot(cfg, change, a.domain)
                out += o
                err += e
            elif isinstance(a, DelayedReconfigure):
                cfg = self._delayed(change)
            elif isinstance(a, CancelReconfigure):
                self._hv("cancel_reconf")
                self.lm.mdarea.set_pending(None)
                cfg = change.after
                self.lm._event("delayed", PRIMARY, "delayed reconfiguration of LDom "
                               "primary cancelled")
            elif isinstance(a, SetVariables):
                cfg = change.after
                d = cfg.domain(a.domain)
                if d.state == ACTIVE:
                    out.append(f"LDom {a.domain}: its guest kernel has no var-config "
                               f"service; the variables apply at its next start")
        if err:
            status = 1
        return cfg, out, err, status

    # --- reconfiguration without DR -------------------------------------------------
    def _plain_reconfigure(self, before: Config, after: Config):
        self._reconfigure(after)
        err = []
        changed = [d.name for d in after.domains
                   if d.state == ACTIVE and (before.bindings.get(d.name) !=
                                             after.bindings.get(d.name) or
                                             before.bindings.endpoints_of(d.name) !=
                                             after.bindings.endpoints_of(d.name))]
        for n in changed:
            why = self._md_update(n)
            if why:
                err.append(why)
        names = set(before.bindings.names()) ^ set(after.bindings.names())
        names |= {d.name for d in after.bindings.domains
                  if before.bindings.get(d.name) != d}
        gone = set()
        for n in names:
            ob = before.bindings.get(n)
            if ob is not None:
                gone |= set(ob.pids())
        for n in names & set(after.bindings.names()):
            gone -= set(after.bindings.get(n).pids())
        err += self.verify(after, sorted(names & set(after.bindings.names())),
                           gone_pids=sorted(gone))
        return after, [], err

    # --- vCPU DR --------------------------------------------------------------------------
    def _dr_records(self, name, type_, vids, pid_of):
        """dr-cpu `type_` of `vids` to domain `name`; {vid: record}. pid_of: {vid:
        strand} of the vCPUs (for the DR log)."""
        peer = self._ready_peer(name)
        w = peer.dr_cpu(type_, vids)
        kind = {DS.DR_CONFIGURE: "configure", DS.DR_UNCONFIGURE: "unconfigure",
                DS.DR_FORCE_UNCONFIG: "forced unconfigure"}.get(type_, "request")
        self._ds_wait(name, [w], f"dr-cpu {kind} of vCPUs {_ids(vids)}")
        rep = DS.parse_dr_cpu_reply(w.value)
        if rep.type == DS.DR_ERROR:
            raise Refused(f"LDom {name} refused the dr-cpu request as malformed")
        self._dr_event(name, kind, vids, rep, pid_of)
        return {r.cpu: r for r in rep.records}

    def _dr_event(self, name, kind, vids, rep, pid_of, head=None):
        """The DR log's entry of a dr-cpu reply: the request, then per vCPU its strand,
        the guest's result and reason; data: records [(vid, result, status, reason)],
        strands {vid: pid}."""
        self.lm._event("dr", name, (head or f"dr-cpu {kind} {_ids(vids)}") + ": " +
                       "; ".join(f"vCPU {r.cpu}" + (f" (strand {pid_of[r.cpu]})"
                                                    if r.cpu in pid_of else "") +
                                 f" {r.result_name}" + (f" ({r.string})" if r.string
                                                        else "")
                                 for r in rep.records), request=kind,
                       records=[(r.cpu, r.result_name, r.status_name, r.string)
                                for r in rep.records],
                       strands={r.cpu: pid_of[r.cpu] for r in rep.records
                                if r.cpu in pid_of})

    def _remove(self, change, act: DrUnconfigure):
        before, after = change.before, change.after
        name, vids = act.domain, list(act.vids)
        b0 = before.bindings.get(name)
        pid_of = {v.vid: v.pid for v in b0.vcpus}
        whole = after.domain(name).constraints.whole_core
        recs = self._dr_records(name, DS.DR_FORCE_UNCONFIG if act.force
                                else DS.DR_UNCONFIGURE, vids, pid_of)
        ok = [v for v in vids if v in recs and recs[v].result == 0 and
              recs[v].status_name != "configured"]
        bad = [v for v in vids if v not in ok]
        lines = []
        for v in bad:
            r = recs.get(v)
            why = f"{r.result_name}: {r.string}" if r and r.string else \
                (r.result_name if r else "no answer")
            hint = " (use -f to force)" if r and r.result == 2 and not act.force and \
                "bound thread" in r.string else ""
            lines.append(f"    vCPU {v} (strand {pid_of[v]}): {why}{hint}")
            if r and r.result == 2:
                self.lm._event("blocked", name, f"vCPU {v} of {name} not removed: "
                               f"{r.string}{hint}", vid=v, reason=r.string,
                               forced=act.force)
        if bad and (whole or not ok):
            if ok:                          # all or nothing: put the others back
                self._dr_records(name, DS.DR_CONFIGURE, ok, pid_of)
            raise Refused(f"Removal of vCPUs {_ids(vids)} from LDom {name} failed:",
                          *lines, f"LDom {name} keeps its {len(b0.vcpus)} vCPUs")
        target = after if not bad else _partial(before, name, [pid_of[v] for v in ok])
        try:
            self._reconfigure(target)
        except Refused as r:
            self._dr_records(name, DS.DR_CONFIGURE, ok, pid_of)
            raise Refused(*r.lines, f"The vCPUs of LDom {name} were configured again") \
                from None
        err = []
        why = self._md_update(name)
        if why:
            err.append(why)
        err += self.verify(target, [name], dr_domain=name,
                           gone_pids=[pid_of[v] for v in ok])
        if bad:
            err = [f"Removal of {len(bad)} of {len(vids)} vCPUs from LDom {name} failed:",
                   *lines, f"LDom {name} now has "
                           f"{len(target.bindings.get(name).vcpus)} vCPUs"] + err
        return target, [], err, 1 if err else 0

    def _add(self, change, act: DrConfigure):
        before, after = change.before, change.after
        name, vids = act.domain, list(act.vids)
        peer = self._ready_peer(name)
        whole = after.domain(name).constraints.whole_core
        pid_of = {v.vid: v.pid for v in after.bindings.get(name).vcpus}
        self._reconfigure(after)
        w_md = peer.md_update()
        w_dr = peer.dr_cpu(DS.DR_CONFIGURE, vids)
        try:
            self._ds_wait(name, [w_md, w_dr], f"md-update and dr-cpu configure of vCPUs "
                                              f"{_ids(vids)}")
        except Refused as r:
            if self._take_back(before, name):
                raise Refused(*r.lines, f"The vCPUs were taken out of LDom {name} "
                              f"again") from None
            # the guest started them after all (the hypervisor refuses to unbind a
            # running vCPU): they stay, and the manager says so (bindings, MDs and
            # the hypervisor agree; the late dr-cpu reply is logged when it comes)
            self.lm._event("dr", name, f"LDom {name} answered late: vCPUs {_ids(vids)} "
                           f"were started by the guest, so they stay")
            err = self.verify(after, [name])
            return after, [], [*r.lines, f"LDom {name} started vCPUs {_ids(vids)} after "
                                         f"the time limit: they stay (LDom {name} now "
                                         f"has {len(after.bindings.get(name).vcpus)} "
                                         f"vCPUs)", *err], 1
        rep = DS.parse_dr_cpu_reply(w_dr.value)
        recs = {r.cpu: r for r in rep.records}
        self._dr_event(name, "configure", vids, rep, pid_of)
        ok = [v for v in vids if v in recs and recs[v].result == 0 and
              recs[v].status_name == "configured"]
        bad = [v for v in vids if v not in ok]
        lines = [f"    vCPU {v} (strand {pid_of[v]}): "
                 f"{recs[v].result_name if v in recs else 'no answer'}"
                 + (f": {recs[v].string}" if v in recs and recs[v].string else "")
                 for v in bad]
        if bad and (whole or not ok):
            if ok:
                self._dr_records(name, DS.DR_FORCE_UNCONFIG, ok, pid_of)
            if not self._take_back(before, name):
                raise Refused(f"LDom {name} could not be given back its previous vCPUs: "
                              f"see 'ldm list-bindings {name}'")
            raise Refused(f"Adding vCPUs {_ids(vids)} to LDom {name} failed:", *lines,
                          f"LDom {name} keeps its {len(before.bindings.get(name).vcpus)} "
                          f"vCPUs")
        target = after
        if bad:
            target = _partial(after, name, [pid_of[v] for v in bad])
            self._reconfigure(target)
            self._md_update(name)
        err = self.verify(target, [name], dr_domain=name,
                          gone_pids=[pid_of[v] for v in bad])
        if bad:
            err = [f"Adding {len(bad)} of {len(vids)} vCPUs to LDom {name} failed:",
                   *lines, f"LDom {name} now has "
                           f"{len(target.bindings.get(name).vcpus)} vCPUs"] + err
        return target, [], err, 1 if err else 0

    def _take_back(self, before: Config, name: str) -> bool:
        """An addition the guest did not finish: the hypervisor goes back to `before`
        and the guest is told (md-update). False when the hypervisor refuses (the
        guest started a vCPU after all: the caller keeps them and says so)."""
        try:
            self._reconfigure(before)
        except Refused:
            return False
        self._md_update(name)
        return True

    # --- life cycle ------------------------------------------------------------------
    def _start(self, cfg: Config, name: str) -> Config:
        gid = cfg.bindings.get(name).gid
        lm = self.lm
        px = self._new_proxy(cfg, name)
        if px is not None:      # in place before the guest runs: the last run's is closed
            lm.system.set_program(name, px)
            if name in lm.uart_of and name not in {d.name for d in lm.system.cfg.domains}:
                lm.system.program_uarts[name] = lm.uart_of[name]
            lm._programs_reported.discard(name)
        lm.hv_guest_state.pop(gid, None)
        self._hv("guest_start", H.guest_op_body(gid), f"guest_start of {name}")
        cfg = cfg.with_domain(cfg.domain(name).with_state(ACTIVE))
        self.lm.drm.forget(name)
        self.lm._event("state", name, f"LDom {name} started")
        return cfg

    def _stop(self, cfg: Config, name: str, force: bool):
        lm = self.lm
        gid = cfg.bindings.get(name).gid
        peer = self._peer(name)
        out = []
        lm.hv_guest_state.pop(gid, None)
        lm._expect_stop.add(gid)
        try:
            if not force and peer is not None and peer.ready and \
                    "domain-shutdown" in peer.mgr.registered:
                w = peer.shutdown(0)
                self._ds_wait(name, [w], "domain-shutdown")
            else:
                if not force:
                    out.append(f"LDom {name} has no domain-services agent: stopped by "
                               f"the hypervisor")
                self._hv("guest_stop", H.guest_op_body(gid), f"guest_stop of {name}")
            if not lm.wait(lambda: lm.hv_guest_state.get(gid) == "stopped",
                           lm.stop_timeout):
                ms = lm.stop_timeout / lm.platform.clock_hz * 1e3
                raise Refused(f"LDom {name} did not stop in {ms:g} ms: it is not "
                              f"responding (stop it with -f)")
        finally:
            lm._expect_stop.discard(gid)
        cfg = cfg.with_domain(cfg.domain(name).with_state(BOUND))
        lm.drm.forget(name)
        px = lm.system.programs.get(name)
        if px is not None and px.stopped():     # its end: the event _programs_ended makes
            lm._programs_ended()
        lm._event("state", name, f"LDom {name} stopped" + (" (forced)" if force else ""))
        return cfg, out + [f"LDom {name} stopped"]

    def _reboot(self, cfg: Config, change, name: str):
        if name == PRIMARY:
            return self._reboot_primary(change)
        cfg, out = self._stop(cfg, name, False)
        cfg = self._start(cfg, name)
        return cfg, out + [f"LDom {name} started"], []

    def _reboot_primary(self, change):
        """Reboot the control domain: its relay passes the request to its kernel, which
        makes the mach_sir hypercall; the hypervisor stops primary's vCPUs, resets its
        channels, applies the pending delayed reconfiguration (the MDs written when it
        began) and starts primary again from its first vCPU; the new kernel reads its
        new MD and starts its relay again, and the manager's channels start over on it
        (LiveManager._relay_lost). The other domains run on throughout; their
        domain-services links are reset with primary's ends and registered again.
        Then the hypervisor's view is checked against `change.after`."""
        lm = self.lm
        before, after = change.before, change.after
        pending = before.delayed
        ch = lm.channels
        epoch = ch.epoch
        b0, b1 = before.bindings.get(PRIMARY), after.bindings.get(PRIMARY)
        gone = sorted(set(b0.pids()) - set(b1.pids()))
        ms = lambda steps: f"{steps / lm.platform.clock_hz * 1e3:g} ms"   # noqa: E731
        active_before = lm.mdarea.active
        if not ch.relay.reboot():
            raise Refused(f"LDom {PRIMARY} cannot be asked to reboot now: its relay's "
                          f"ring is full; try again")
        lm._expect_reboot = True
        lm._relay_bindings = after.bindings
        try:
            lm._event("state", PRIMARY, f"LDom {PRIMARY} rebooting" + (
                ": its delayed reconfiguration applies" if pending else ""))
            if not lm.wait(lambda: lm.channels is None or lm.channels.epoch != epoch,
                           lm.stop_timeout):
                raise Refused(f"LDom {PRIMARY} did not reboot in {ms(lm.stop_timeout)}: "
                              f"it is not responding")
            k = lm.mdarea.pending_set
            lm.mdarea.set_pending(None)
            if pending:
                lm.mdarea.accepted(k)
            if not lm.wait(lambda: lm.ready(after), lm.reboot_timeout):
                raise Refused(f"LDom {PRIMARY} rebooted, but its relay and the domains' "
                              f"services did not come back in {ms(lm.reboot_timeout)}",
                              config=after)
        finally:
            lm._expect_reboot = False
            lm._relay_bindings = None
        lm.drm.forget(PRIMARY)
        out = [f"LDom {PRIMARY} rebooted"]
        if pending and lm.hvconfig["hvmdp"] != hv_pa(k):
            # the firmware refused the stored MD when primary reset (its console says
            # why) and dropped it: primary runs as before, nothing is pending
            lm.mdarea.accepted(active_before)
            kept = replace(before, pending=None)
            lm._event("error", PRIMARY, f"the hypervisor did not apply the delayed "
                      f"reconfiguration of LDom {PRIMARY} when it rebooted")
            err = [f"LDom {PRIMARY} rebooted, but the hypervisor did not apply its delayed "
                   f"reconfiguration (see the hypervisor's console): it keeps its "
                   f"{len(b0.vcpus)} vCPUs and {_size(b0.memory())} of memory"]
            return kept, out, err + self.verify(kept, sorted(kept.bindings.names()))
        if pending:
            n, mem = len(b1.vcpus), b1.memory()
            lm._event("delayed", PRIMARY, f"delayed reconfiguration of LDom {PRIMARY} "
                      f"applied at its reboot: {n} vCPUs, {_size(mem)} memory")
            out.append(f"The delayed reconfiguration of LDom {PRIMARY} is applied: it "
                       f"has {n} vCPUs and {_size(mem)} of memory")
        lm._event("state", PRIMARY, f"LDom {PRIMARY} rebooted: its channels are up again")
        err = self.verify(after, sorted(after.bindings.names()), dr_domain=PRIMARY,
                          gone_pids=gone)
        return after, out, err

    def primary_rebooted(self):
        """primary rebooted without a command (its own reboot): the hypervisor applied
        a pending delayed reconfiguration when it reset (its configuration, read again
        on the new channels, says whether): the manager's configuration follows."""
        from .reconf import apply_pending
        lm = self.lm
        cfg = lm._cfg
        lm.drm.forget(PRIMARY)
        lm._event("state", PRIMARY, f"LDom {PRIMARY} rebooted by itself: its channels "
                  f"are up again")
        k = lm.mdarea.pending_set
        if not cfg.delayed or k is None:
            return
        hv = lm.hvconfig
        if hv["del_reconf_gid"] == H.INVALID_GID and hv["hvmdp"] == hv_pa(k):
            lm.mdarea.accepted(k)
            lm.mdarea.set_pending(None)
            lm._commit(apply_pending(cfg))
            lm._event("delayed", PRIMARY, f"delayed reconfiguration of LDom {PRIMARY} "
                      f"applied at its reboot")

    def _delayed(self, change) -> Config:
        after = change.after
        pending_b = binder.rebind(after.bindings, after.pending)
        k, hvmdp, _ = self._write_mds(after, bindings=pending_b, delayed=True)
        self._hv("guest_delayed_reconf", H.reconfig_body(hvmdp, 0),
                 "guest_delayed_reconf of primary")
        self.lm.mdarea.set_pending(k)
        self.lm._event("delayed", PRIMARY, "delayed reconfiguration of LDom primary "
                       "pending: it applies when primary reboots", hvmdp=hvmdp)
        return after

    # --- outside commands -------------------------------------------------------------
    def guest_state_changed(self, gid: int, state: str):
        lm = self.lm
        cfg = lm._cfg
        dom = next((d for d in cfg.bindings.domains if d.gid == gid), None)
        if dom is None or gid in lm._expect_stop or lm.hv_guest_state.get(gid) != state:
            return                      # a command's own stop, or since started again
        d = cfg.domain(dom.name)
        if state == "stopped" and d.state == ACTIVE:
            lm._commit(cfg.with_domain(d.with_state(BOUND)))
            lm.drm.forget(dom.name)
            lm._event("state", dom.name, f"LDom {dom.name} stopped (the hypervisor says "
                      f"it stopped by itself): now bound")

    def late_reply(self, domain: str, service: str, payload: bytes):
        lm = self.lm
        if service != "dr-cpu":
            lm._event("info", domain, f"late {service} reply from {domain} ignored")
            return
        try:
            rep = DS.parse_dr_cpu_reply(payload)
        except DS.DsError:
            return
        b = lm._cfg.bindings.get(domain)
        d = lm._cfg.get(domain)
        bound = {v.vid for v in b.vcpus} if b else set()
        back = [r.cpu for r in rep.records if r.status_name == "unconfigured" and
                r.cpu in bound]
        self._dr_event(domain, "late reply", [r.cpu for r in rep.records], rep,
                       {v.vid: v.pid for v in b.vcpus} if b else {},
                       head=f"late dr-cpu reply from {domain} (request {rep.req_num})")
        if back and d is not None and d.state == ACTIVE:
            peer = self._peer(domain)
            if peer is not None and peer.ready:
                peer.dr_cpu(DS.DR_CONFIGURE, back)
                lm._event("dr", domain, f"vCPUs {_ids(back)} of {domain} stopped after "
                          f"the request was given up: configured again")


def _size(n: int) -> str:
    from .units import format_size
    return format_size(n)


def _ids(vids) -> str:
    return ",".join(str(v) for v in vids)


def _uart_base(idx: int) -> int:
    from sun4v.machine import platforms
    return platforms.GUEST_UART0 + idx * platforms.GUEST_UART_STEP
