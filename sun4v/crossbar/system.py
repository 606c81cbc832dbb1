"""The service processor's view of one hard-partitioned server: installed boards, XSB
status, DCLs, domains and their power state, the crossbar's port programming, the log.

Facts: reference B1-B6 (XSB status fields and words, pool = DID ``SP``, reservations
applied at the next power cycle, power cycling clears copy-rename address swaps).
"""
from __future__ import annotations

import datetime as _dt
import random
from dataclasses import dataclass

from . import domain as D
from .boards import PSB, XSB, BoardError, parse_xsb, xsbs_of
from .catalogue import PlatformModel
from .dcl import DCL, DclEntry
from .domain import Domain, SolarisModel
from .traffic import TrafficEngine, TrafficSetting
from .xbar import NO_DOMAIN, Crossbar

LOG_KEEP = 2000
EPOCH = _dt.datetime(2010, 1, 4, 9, 0, 0)


class XscfError(Exception):
    """A command failed; the message is the one line the user sees."""


@dataclass
class XsbState:
    owner: int | None = None          # DID the XSB is assigned to (None: system board pool)
    reserved_for: int | None = None   # addboard -c reserve: DID it joins at next power cycle
    reserved_delete: bool = False     # deleteboard -c reserve: leaves at next power cycle
    pwr: bool = False
    conn: bool = False
    conf: bool = False
    test: str = "Passed"
    fault: str = "Normal"

    def to_dict(self) -> dict:
        return dict(owner=self.owner, reserved_for=self.reserved_for,
                    reserved_delete=self.reserved_delete, pwr=self.pwr, conn=self.conn,
                    conf=self.conf, test=self.test, fault=self.fault)


class System:
    def __init__(self, model: PlatformModel, seed: int = 1):
        self.model = model
        self.psbs: dict[int, PSB] = {
            s: PSB(s, cmu=True, iou=s < model.ious, cpus=model.cpus_per_board,
                   dimms=model.dimms_per_board) for s in range(model.slots)}
        self.xsbs: dict[str, XSB] = {}
        self.xsb_state: dict[str, XsbState] = {}
        self.dcls: dict[int, DCL] = {}
        self.domains: dict[int, Domain] = {d: Domain(d) for d in range(model.max_domains)}
        self.xbar = Crossbar(model)
        self.traffic: dict[int, TrafficSetting] = {}
        self.log: list[list] = []
        self.clock = 0            # simulated seconds since EPOCH
        self.seed = seed
        self.runs = 0             # traffic runs so far (each gets its own RNG stream)
        self.refresh_xsbs()
        if not model.dr_capable and model.family == "M":
            # M3000: one fixed board, one domain
            self.dcls[0] = DCL(0)
            self.dcls[0].entries[0] = DclEntry("00-0")
            self.xsb_state["00-0"].owner = 0

    # --- boards ------------------------------------------------------------------------------
    def refresh_xsbs(self) -> None:
        """Rebuild the XSB table from the PSBs (after setupfru or a FRU change)."""
        new: dict[str, XSB] = {}
        for s in sorted(self.psbs):
            for x in xsbs_of(self.psbs[s], self.model):
                new[x.id] = x
        self.xsbs = new
        self.xsb_state = {k: self.xsb_state.get(k) or XsbState() for k in new}

    def parse_xsb(self, token: str) -> str:
        try:
            xid = parse_xsb(token, self.model)
        except BoardError as e:
            raise XscfError(str(e)) from None
        if xid not in self.xsbs:
            psb = self.psbs[int(xid[:2])]
            if not psb.cmu:
                raise XscfError(f"XSB#{xid} is not available: PSB#{xid[:2]} has no CMU "
                                "(an IOU alone does not form a PSB)")
            raise XscfError(f"XSB#{xid} does not exist: PSB#{xid[:2]} is divided as "
                            f"{psb.mode}-XSB")
        return xid

    def xsb(self, xid: str) -> XSB:
        return self.xsbs[xid]

    def st(self, xid: str) -> XsbState:
        return self.xsb_state[xid]

    # --- domains -----------------------------------------------------------------------------
    def check_did(self, did: int) -> Domain:
        if not 0 <= did < self.model.max_domains:
            raise XscfError(f"invalid DID {did}: the {self.model.name} has domains "
                            f"00-{self.model.max_domains - 1:02d}")
        return self.domains[did]

    def dcl(self, did: int) -> DCL:
        if did not in self.dcls:
            self.dcls[did] = DCL(did)
        return self.dcls[did]

    def lsb_of(self, did: int, xid: str) -> int | None:
        d = self.dcls.get(did)
        return None if d is None else d.lsb_of(xid)

    def owned_xsbs(self, did: int) -> list[str]:
        """XSBs assigned to ``did``, in LSB order."""
        xs = [x for x, s in self.xsb_state.items() if s.owner == did]
        return sorted(xs, key=lambda x: (self.lsb_of(did, x) or 0, x))

    def connected_xsbs(self, did: int) -> list[str]:
        return [x for x in self.owned_xsbs(did) if self.xsb_state[x].conn]

    def configured(self, did: int) -> bool:
        d = self.dcls.get(did)
        return bool(d and d.entries) or any(
            s.owner == did or s.reserved_for == did for s in self.xsb_state.values())

    def effective_mem(self, did: int, xid: str) -> int:
        e = self.dcls[did].entry_of(xid) if did in self.dcls else None
        return 0 if (e is not None and e.no_mem) else self.xsbs[xid].mem_mb

    def io_visible(self, did: int, xid: str) -> bool:
        e = self.dcls[did].entry_of(xid) if did in self.dcls else None
        return self.xsbs[xid].has_io and not (e is not None and e.no_io)

    def floating(self, did: int, xid: str) -> bool:
        e = self.dcls[did].entry_of(xid) if did in self.dcls else None
        return bool(e and e.floating)

    # --- log ---------------------------------------------------------------------------------
    def now(self) -> str:
        t = EPOCH + _dt.timedelta(seconds=self.clock)
        return t.strftime("%b %d %H:%M:%S UTC %Y")

    def event(self, kind: str, msg: str) -> None:
        self.clock += 1
        self.log.append([self.now(), kind, msg])
        if len(self.log) > LOG_KEEP:
            del self.log[: len(self.log) - LOG_KEEP]

    # --- crossbar programming ----------------------------------------------------------------
    def port_assignment(self) -> dict[int, int]:
        """Ports of connected XSBs of powered domains belong to their domain."""
        out = {}
        for xid, s in self.xsb_state.items():
            if s.owner is not None and s.conn and self.domains[s.owner].up:
                out[self.xsbs[xid].port] = s.owner
        return out

    def program_ports(self) -> None:
        self.xbar.program(self.port_assignment())

    def traffic_engine(self) -> TrafficEngine:
        self.runs += 1
        return TrafficEngine(self, random.Random(f"{self.seed}:{self.runs}"))

    def traffic_active(self) -> bool:
        return any(self.domains[d].running and t.rate > 0 for d, t in self.traffic.items())

    def record_isolation(self, before: dict) -> None:
        """Log isolation events that appeared since ``before`` (a copy of xbar.isolation)."""
        port_xsb = {x.port: x.id for x in self.xsbs.values()}
        for (src, dst, did), (n, first) in sorted(self.xbar.isolation.items()):
            prev = before.get((src, dst, did), [0, 0])[0]
            if n > prev:
                owner = self.xbar.owner[dst]
                where = "SP" if owner == NO_DOMAIN else f"DID {owner:02d}"
                self.event("Isolation",
                           f"DID {did:02d}: {n - prev} transaction(s) from XSB#"
                           f"{port_xsb.get(src, src)} to XSB#{port_xsb.get(dst, dst)} "
                           f"({where}) blocked by the crossbar")

    # --- power -------------------------------------------------------------------------------
    def apply_reservations(self, did: int) -> None:
        for xid, s in sorted(self.xsb_state.items()):
            if s.reserved_for == did:
                s.reserved_for = None
                s.owner = did
                self.event("DR", f"DID {did:02d}: reserved XSB#{xid} assigned "
                                 f"as LSB#{self.lsb_of(did, xid):02d}")
            elif s.owner == did and s.reserved_delete:
                s.reserved_delete = False
                s.owner = None
                s.pwr = s.conn = s.conf = False
                self.event("DR", f"DID {did:02d}: reserved XSB#{xid} unassigned to the pool")

    def boot_check(self, did: int) -> None:
        xs = [x for x, s in self.xsb_state.items()
              if (s.owner == did and not s.reserved_delete) or s.reserved_for == did]
        if not xs:
            raise XscfError(f"DID {did:02d} has no XSB assigned")
        if not any(self.effective_mem(did, x) for x in xs):
            raise XscfError(f"DID {did:02d} has no memory (every XSB is no-mem)")

    def boot(self, did: int) -> None:
        """Power-on reset of a domain through its status words to Running."""
        dom = self.domains[did]
        self.apply_reservations(did)
        xs = self.owned_xsbs(did)
        for x in xs:
            s = self.xsb_state[x]
            s.pwr = s.conn = s.conf = True
            s.test = "Passed"
        os_ = SolarisModel()
        for x in xs:
            if self.effective_mem(did, x):
                os_.mem_map[self.lsb_of(did, x)] = x
        # kernel cage: first non-floating memory board in LSB order, else the first
        slots = sorted(os_.mem_map)
        fixed = [s for s in slots if not self.floating(did, os_.mem_map[s])]
        os_.kernel_slot = (fixed or slots)[0]
        io = [x for x in xs if self.io_visible(did, x)]
        if io:
            os_.io_busy.add(io[0])      # the boot disk's board
        dom.os = os_
        for word in D.BOOT_SEQUENCE:
            dom.status = word
            self.event("Power", f"DID {did:02d}: {word}")
        self.program_ports()

    def shutdown(self, did: int, word: str = D.SHUTDOWN) -> None:
        dom = self.domains[did]
        dom.status = word
        self.event("Power", f"DID {did:02d}: {word}")
        for x in self.owned_xsbs(did):
            s = self.xsb_state[x]
            s.pwr = s.conn = s.conf = False
        dom.os = SolarisModel()
        dom.status = D.POWERED_OFF
        self.event("Power", f"DID {did:02d}: {D.POWERED_OFF}")
        self.apply_reservations(did)
        self.program_ports()

    def poweron(self, did: int) -> None:
        dom = self.check_did(did)
        if dom.up:
            raise XscfError(f"DID {did:02d} is already powered on ({dom.status})")
        self.boot_check(did)
        self.boot(did)

    def poweroff(self, did: int) -> None:
        dom = self.check_did(did)
        if not dom.up:
            raise XscfError(f"DID {did:02d} is already powered off")
        self.shutdown(did)

    def reset(self, did: int, level: str) -> None:
        dom = self.check_did(did)
        if not dom.up:
            raise XscfError(f"DID {did:02d} is powered off; reset needs a powered-on domain")
        if level == "panic":
            if dom.status != D.RUNNING:
                raise XscfError(f"DID {did:02d} is not running ({dom.status}); "
                                "cannot request a panic")
            dom.status = D.PANIC
            self.event("Power", f"DID {did:02d}: {D.PANIC}")
            return
        self.event("Power", f"DID {did:02d}: reset {level}")
        for x in self.owned_xsbs(did):
            s = self.xsb_state[x]
            s.pwr = s.conn = s.conf = False
        dom.status = D.POWERED_OFF
        self.program_ports()
        self.boot_check(did)
        self.boot(did)

    # --- invariants (used by tests and as a self-check after loading) ------------------------
    def check_invariants(self) -> list[str]:
        errs = []
        m = self.model
        per_dom: dict[int, int] = {}
        for xid, s in self.xsb_state.items():
            if s.owner is not None and s.reserved_for is not None:
                errs.append(f"{xid} owned by {s.owner} and reserved for {s.reserved_for}")
            for d in (s.owner, s.reserved_for):
                if d is None:
                    continue
                per_dom[d] = per_dom.get(d, 0) + 1
                if not 0 <= d < m.max_domains:
                    errs.append(f"{xid} in domain {d} beyond the limit")
                if self.lsb_of(d, xid) is None:
                    errs.append(f"{xid} in domain {d} but not in its DCL")
            if s.conn and (s.owner is None or not self.domains[s.owner].up):
                errs.append(f"{xid} connected without a powered domain")
        for d, n in per_dom.items():
            if n > m.max_xsbs_per_domain:
                errs.append(f"domain {d} has {n} XSBs (limit {m.max_xsbs_per_domain})")
        for d, dcl in self.dcls.items():
            if not dcl.consistent():
                errs.append(f"DCL {d} inconsistent")
            for lsb, e in dcl.entries.items():
                if e.xsb not in self.xsbs:
                    errs.append(f"DCL {d} LSB {lsb} names missing XSB {e.xsb}")
                if not 0 <= lsb < m.max_lsb:
                    errs.append(f"DCL {d} LSB {lsb} out of range")
        for d, dom in self.domains.items():
            if dom.up:
                for x in dom.os.mem_map.values():
                    if self.xsb_state[x].owner != d or not self.xsb_state[x].conn:
                        errs.append(f"domain {d} memory on {x} which it does not hold")
                if dom.os.kernel_slot not in dom.os.mem_map:
                    errs.append(f"domain {d} has no kernel memory")
        if self.xbar.owner != [self.port_assignment().get(p, NO_DOMAIN)
                               for p in range(self.xbar.n)]:
            errs.append("crossbar ports do not match the board assignment")
        if self.xbar.cross_domain_deliveries:
            errs.append(f"{self.xbar.cross_domain_deliveries} cross-domain deliveries")
        if not self.xbar.conserved():
            errs.append("crossbar lost transactions")
        return errs
