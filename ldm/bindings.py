"""The resources bound to domains, as data: what `ldm list-bindings` shows and what the
hypervisor MD and the guest MDs will be written from (sun4v.md §4; the node and property
names below are the MD's).

- `Vcpu(vid, pid)`: guest vCPU `vid` runs on hardware strand `pid` (MD cpu: vid, pid;
  its `resource_id` is the pid, stable while bound, so a reconfigure can tell kept,
  added and removed vCPUs apart).
- `MBlock(ra, pa, size, resource_id)`: real-address range -> physical (MD mblock:
  realbase, membase, memsize).
- `Endpoint`: one end of an LDC channel (MD ldc_endpoint): owning guest (None = the
  hypervisor's own end), its channel number in that guest, the peer (target_type 0 guest,
  1 hypervisor; target_guest, target_channel), tx-ino = 2*channel, rx-ino = 2*channel+1
  (the numbering of Sun's Legion configuration, reference §4), the service
  (`hvctl` = the control channel, `ds` = a domain-services channel) and the end's role:
  `control` (primary's end of hvctl), `hypervisor` (the hypervisor's end, svc_id 1),
  `manager` (ldmd's end of a domain's DS channel: always a primary endpoint), `domain`
  (the domain's own domain-services-port).
- `Console(resource_id, ino, port, group)`: the domain's hypervisor console (MD console;
  ino 0x11 as in Sun's configuration); `port` is the TCP port the host serves it on
  (5000+), None for the control domain's (`UART` in `ldm list`); `group` its vntsd
  console group (None: its own; the consoles of one group share its port).
- `DomainBinding`: a bound domain: gid (the hypervisor's guest id, MD guest gid and
  resource_id), partid (the partition ID loaded into its strands' MMUs; 3 bits, unique
  among the domains sharing a core, as the TLBs are per core), vcpus, mblocks, console.
- `Bindings`: the whole machine: topology, bound domains, all LDC endpoints.
All values are frozen; the binder returns new ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .constraints import PRIMARY
from .topology import Topology
from .units import format_size

CONSOLE_INO = 0x11
PARTIDS = 8                                   # 3-bit partition ID (sun4v.md §3)


@dataclass(frozen=True)
class Vcpu:
    vid: int
    pid: int


@dataclass(frozen=True)
class MBlock:
    ra: int
    pa: int
    size: int
    resource_id: int


@dataclass(frozen=True)
class Endpoint:
    resource_id: int
    guest: str | None
    channel: int
    target_type: int
    target_guest: str | None
    target_channel: int
    service: str
    role: str
    svc_id: int | None = None

    @property
    def tx_ino(self) -> int | None:
        return None if self.guest is None else 2 * self.channel

    @property
    def rx_ino(self) -> int | None:
        return None if self.guest is None else 2 * self.channel + 1


def _peer_address(e: Endpoint) -> tuple[str | None, int]:
    """(guest, channel) of the other end; the hypervisor's ends have guest None."""
    return (None if e.target_type == 1 else e.target_guest, e.target_channel)


@dataclass(frozen=True)
class Console:
    resource_id: int
    ino: int
    port: int | None
    group: str | None = None    # its vntsd console group (`ldm set-vcons group=`,
                                # ldm/vcons.py); None: its own, named after the domain


@dataclass(frozen=True)
class DomainBinding:
    name: str
    gid: int
    partid: int
    vcpus: tuple[Vcpu, ...]
    mblocks: tuple[MBlock, ...]
    console: Console

    def pids(self) -> list[int]:
        return sorted(v.pid for v in self.vcpus)

    def memory(self) -> int:
        return sum(b.size for b in self.mblocks)

    def vid_of(self, pid: int) -> int:
        for v in self.vcpus:
            if v.pid == pid:
                return v.vid
        raise KeyError(pid)


@dataclass(frozen=True)
class Bindings:
    topology: Topology
    domains: tuple[DomainBinding, ...] = ()
    endpoints: tuple[Endpoint, ...] = field(default=())

    # --- lookups ------------------------------------------------------------------
    def get(self, name: str) -> DomainBinding | None:
        for d in self.domains:
            if d.name == name:
                return d
        return None

    def names(self) -> list[str]:
        return [d.name for d in self.domains]

    def strand_owner(self) -> dict[int, str]:
        """pid -> owning domain, for bound strands."""
        return {v.pid: d.name for d in self.domains for v in d.vcpus}

    def free_strands(self) -> list[int]:
        own = self.strand_owner()
        return [p for p in range(self.topology.strands) if p not in own]

    def core_owners(self) -> dict[int, set[str]]:
        """cid -> set of domains with a strand on it (cores with none are absent)."""
        out: dict[int, set[str]] = {}
        for pid, name in self.strand_owner().items():
            out.setdefault(self.topology.core_of(pid), set()).add(name)
        return out

    def split_cores(self) -> dict[int, tuple[str, ...]]:
        """Cores whose strands belong to more than one domain (what users want to see,
        ldoms_protocols.md §2 item 6): cid -> the domains, sorted."""
        return {c: tuple(sorted(n)) for c, n in sorted(self.core_owners().items())
                if len(n) > 1}

    def cores_of(self, name: str) -> dict[int, list[int]]:
        """cid -> the domain's strands on it."""
        d = self.get(name)
        out: dict[int, list[int]] = {}
        for p in (d.pids() if d else []):
            out.setdefault(self.topology.core_of(p), []).append(p)
        return out

    def memory_owners(self) -> list[tuple[int, int, str]]:
        """(pa, size, owner) of every reserved and bound range, by address."""
        out = [(b, s, "_sys_") for b, s in self.topology.reserved_ranges]
        out += [(m.pa, m.size, d.name) for d in self.domains for m in d.mblocks]
        return sorted(out)

    def free_memory(self) -> list[tuple[int, int]]:
        """Free physical ranges (pa, size) by address."""
        used = [(pa, pa + size) for pa, size, _ in self.memory_owners()]
        free = []
        for base, size in self.topology.ram_ranges:
            cur, end = base, base + size
            for a, b in used:
                if b <= cur or a >= end:
                    continue
                if a > cur:
                    free.append((cur, a - cur))
                cur = max(cur, b)
            if cur < end:
                free.append((cur, end - cur))
        return free

    def endpoints_of(self, guest: str | None) -> list[Endpoint]:
        return [e for e in self.endpoints if e.guest == guest]

    def ds_pair(self, name: str) -> tuple[Endpoint, Endpoint] | None:
        """(manager end, domain end) of the domain's domain-services channel."""
        dom = [e for e in self.endpoints if e.role == "domain" and e.guest == name]
        if not dom:
            return None
        d = dom[0]
        m = [e for e in self.endpoints if e.guest == d.target_guest
             and e.channel == d.target_channel]
        return (m[0], d) if m else None

    # --- updates ------------------------------------------------------------------
    def with_domain(self, db: DomainBinding) -> "Bindings":
        doms = [d for d in self.domains if d.name != db.name] + [db]
        return replace(self, domains=tuple(sorted(doms, key=lambda d: d.gid)))

    def without_domain(self, name: str) -> "Bindings":
        return replace(self, domains=tuple(d for d in self.domains if d.name != name))

    # --- invariants ---------------------------------------------------------------
    def problems(self) -> list[str]:
        """Every broken invariant, as sentences (empty when consistent): strands in one
        domain and on the platform, vids unique, memory inside RAM, outside the firmware's
        ranges and in no two domains, real ranges not overlapping, gids / partids /
        ports / channels / resource ids unique, LDC ends pointing at each other."""
        t = self.topology
        out: list[str] = []
        seen: dict[int, str] = {}
        gids, ports = set(), {}
        for d in self.domains:
            if d.gid in gids:
                out.append(f"gid {d.gid} used twice")
            gids.add(d.gid)
            if not 0 <= d.partid < PARTIDS:
                out.append(f"{d.name}: partid {d.partid} out of range")
            if not d.vcpus:
                out.append(f"{d.name}: bound with no vCPU")
            vids = [v.vid for v in d.vcpus]
            if len(set(vids)) != len(vids):
                out.append(f"{d.name}: vid used twice")
            for v in d.vcpus:
                if not 0 <= v.pid < t.strands:
                    out.append(f"{d.name}: strand {v.pid} is not on the {t.name}")
                if v.pid in seen:
                    out.append(f"strand {v.pid} bound to {seen[v.pid]} and {d.name}")
                seen[v.pid] = d.name
            if not d.mblocks:
                out.append(f"{d.name}: bound with no memory")
            ras = sorted((m.ra, m.ra + m.size) for m in d.mblocks)
            for (a0, b0), (a1, _) in zip(ras, ras[1:]):
                if b0 > a1:
                    out.append(f"{d.name}: real ranges overlap at {a1:#x}")
            if d.console.port is not None:
                # the consoles of one group share its port (vntsd: a port per group)
                g = d.console.group or d.name
                if ports.setdefault(d.console.port, g) != g:
                    out.append(f"console port {d.console.port} used twice")
        spans = self.memory_owners()
        for pa, size, owner in spans:
            if not any(b <= pa and pa + size <= b + s for b, s in t.ram_ranges):
                out.append(f"{owner}: memory {pa:#x}+{format_size(size)} is not RAM")
        for (p0, s0, o0), (p1, _, o1) in zip(spans, spans[1:]):
            if p0 + s0 > p1:
                out.append(f"memory at {p1:#x} bound to {o0} and {o1}")
        for cid, names in self.split_cores().items():
            parts = [self.get(n).partid for n in names]
            if len(set(parts)) != len(parts):
                out.append(f"core {cid}: domains {', '.join(names)} share a partid")
        rids = [e.resource_id for e in self.endpoints]
        if len(set(rids)) != len(rids):
            out.append("LDC endpoint resource_id used twice")
        chans = [(e.guest, e.channel) for e in self.endpoints]
        if len(set(chans)) != len(chans):
            out.append("LDC channel number used twice in one guest")
        bound = set(self.names())
        by_chan = {(e.guest, e.channel): e for e in self.endpoints}
        for e in self.endpoints:
            if e.guest is not None and e.guest not in bound:
                out.append(f"LDC endpoint {e.resource_id} of unbound {e.guest}")
            peer = by_chan.get(_peer_address(e))
            if peer is None or _peer_address(peer) != (e.guest, e.channel):
                out.append(f"LDC endpoint {e.resource_id} has no matching peer")
            if e.role == "manager" and e.guest != PRIMARY:
                out.append(f"LDC endpoint {e.resource_id}: the manager's end is not "
                           f"in {PRIMARY}")
        for d in self.domains:
            if self.ds_pair(d.name) is None:
                out.append(f"{d.name}: no domain-services channel")
        return out

    # --- serialisation ------------------------------------------------------------
    def to_dict(self) -> dict:
        return dict(
            domains=[dict(name=d.name, gid=d.gid, partid=d.partid,
                          vcpus=[[v.vid, v.pid] for v in d.vcpus],
                          mblocks=[[m.ra, m.pa, m.size, m.resource_id] for m in d.mblocks],
                          console=[d.console.resource_id, d.console.ino, d.console.port]
                          + ([d.console.group] if d.console.group else []))
                     for d in self.domains],
            endpoints=[[e.resource_id, e.guest, e.channel, e.target_type, e.target_guest,
                        e.target_channel, e.service, e.role, e.svc_id]
                       for e in self.endpoints])

    @classmethod
    def from_dict(cls, topology: Topology, d: dict) -> "Bindings":
        doms = tuple(DomainBinding(
            name=x["name"], gid=int(x["gid"]), partid=int(x["partid"]),
            vcpus=tuple(Vcpu(int(a), int(b)) for a, b in x["vcpus"]),
            mblocks=tuple(MBlock(*(int(v) for v in m)) for m in x["mblocks"]),
            console=Console(int(x["console"][0]), int(x["console"][1]),
                            None if x["console"][2] is None else int(x["console"][2]),
                            x["console"][3] if len(x["console"]) > 3 else None))
            for x in d["domains"])
        eps = tuple(Endpoint(*e) for e in d["endpoints"])
        return cls(topology, tuple(sorted(doms, key=lambda x: x.gid)),
                   tuple(sorted(eps, key=lambda e: e.resource_id)))
