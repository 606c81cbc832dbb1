"""The binder: turns a domain's constraints into bound resources on a platform (a
`Bindings` value in, a new one out; deterministic: same inputs, same bindings).

Strands (core affinity, ldoms_protocols.md §2 items 5-6):
- a whole-core domain gets only cores all of whose strands are free (named cores
  `cid=` exactly those), lowest core id first;
- a vCPU domain first fills the free strands of cores it already uses, then takes whole
  free cores, and puts a remainder smaller than a core on the lowest whole free core (so
  no core is split while whole ones are free); only when no whole free core is left does
  it take strands of partly used cores, the cores with the most free strands first (the
  fewest cores touched). Split cores are then visible in `Bindings.split_cores()`.
- removal takes strands from the domain's least filled cores first (highest core id on a
  tie) and vid 0 last, so whole cores stay whole; kept vCPUs keep their vids, added ones
  take the lowest free vids.
- the partition ID (3 bits) of a new domain is the lowest of 1..7, 0 that no domain
  sharing one of its cores uses (Sun's configuration gives the first guest partid 1,
  sun4v.md §4); a growing domain does not take strands on cores where another domain
  has its partid.

Memory: blocks of GRANULE (256 MB) multiples at GRANULE-aligned physical addresses,
first fit in address order (one block when one range can hold it all, else several).
A guest's real addresses run contiguously from GUEST_RA_BASE (256 MB aligned, so RA and
PA are congruent and 256 MB pages map); the control domain's are its physical addresses
(RA = PA, as the reference's sample shows: ra=pa=0x8000000) and it takes free memory as
it is, unaligned (factory-default: everything outside the firmware's ranges). Shrinking
trims the highest real addresses. Named blocks (`mblock=PA:size`) must be free and
GRANULE-aligned.

LDC channels (reference sun4v.md §4, Sun's Legion configuration): the control domain's
hypervisor control channel `hvctl` (primary channel 0, tx-ino 0 / rx-ino 1, peer: the
hypervisor's endpoint with svc_id 1); every bound domain, primary included, gets a
domain-services channel whose other end belongs to primary (ldmd's end); primary's own
is a loopback pair between two primary channels (channels 1 and 2 at factory-default, as
in Sun's configuration). Channel numbers are the lowest free in the owning guest,
resource ids the lowest free machine-wide; tx-ino = 2*channel, rx-ino = 2*channel + 1.
Consoles: the control domain's is the UART (no port); a guest's gets the lowest free TCP
port from CONSOLE_PORTS (or its `console_port` constraint); ino 0x11.
"""
from __future__ import annotations

from dataclasses import replace

from .bindings import (CONSOLE_INO, PARTIDS, Bindings, Console, DomainBinding, Endpoint,
                       MBlock, Vcpu)
from .constraints import PRIMARY, Constraints
from .errors import LdmError
from .units import M, format_size

GRANULE = 256 * M
GUEST_RA_BASE = 0x1000_0000
CONSOLE_PORTS = range(5000, 5101)          # port-range=5000-5100 (reference A4 sample)
PARTID_ORDER = tuple(range(1, PARTIDS)) + (0,)


class BindError(LdmError):
    """The platform has not the free resources a binding needs."""


# --- whole domains -------------------------------------------------------------------

def bind(b: Bindings, c: Constraints, ports: range = CONSOLE_PORTS) -> Bindings:
    """Bind domain `c.name` (not bound yet). The control domain (`primary`) gets gid 0,
    RA = PA memory, the UART console and the hvctl channel; it must be bound before any
    other domain, since every domain's domain-services channel ends in it. A guest's
    console takes the lowest free port of `ports` (the vcc's range, ldm/vcc.py)."""
    name = c.name
    if b.get(name) is not None:
        raise LdmError(f"LDom {name} is already bound")
    control = name == PRIMARY
    if not control and b.get(PRIMARY) is None:
        raise BindError(f"Cannot bind {name}: the control domain {PRIMARY} is not bound")
    t = b.topology
    want = c.vcpu_count(t.strands_per_core)
    if want < 1:
        raise BindError(f"Cannot bind {name}: it has no vCPUs")
    if c.memory_size() < 1:
        raise BindError(f"Cannot bind {name}: it has no memory")
    gids = {d.gid for d in b.domains}
    gid = 0 if control else min(set(range(1, len(gids) + 2)) - gids)
    pids = _pick_strands(b, name, c, want, own=[], partid=None)
    partid = _partid(b, name, pids)
    vcpus = tuple(Vcpu(i, p) for i, p in enumerate(sorted(pids)))
    mblocks = _pick_memory(b, name, c.memory_size(), c.named_mblocks, control, ())
    console = Console(gid, CONSOLE_INO, None if control else _console_port(b, c, ports),
                      None if control else c.console_group)
    b = b.with_domain(DomainBinding(name, gid, partid, vcpus, mblocks, console))
    if control:
        b = _add_hvctl(b)
    return _add_ds_channel(b, name)


def unbind(b: Bindings, name: str) -> Bindings:
    """Release everything domain `name` holds, its LDC channels and ldmd's ends of them."""
    if b.get(name) is None:
        raise LdmError(f"LDom {name} is not bound")
    if name == PRIMARY and len(b.domains) > 1:
        raise LdmError(f"Cannot unbind {PRIMARY}: other domains are bound")
    gone = {(e.guest, e.channel) for e in b.endpoints if e.guest == name}
    keep = tuple(e for e in b.endpoints
                 if e.guest != name and (e.target_guest, e.target_channel) not in gone
                 and not (e.guest is None and e.target_guest == name))
    return replace(b.without_domain(name), endpoints=keep)


def rebind(b: Bindings, c: Constraints) -> Bindings:
    """Bring bound domain `c.name` to its constraints with the least change: kept strands
    keep their vids, memory grows by new blocks or shrinks from the top. Switching
    between vCPUs and whole cores re-chooses all its strands."""
    d = b.get(c.name)
    if d is None:
        raise LdmError(f"LDom {c.name} is not bound")
    return resize_memory(resize_cpus(b, c), c)


# --- CPUs ------------------------------------------------------------------------

def resize_cpus(b: Bindings, c: Constraints) -> Bindings:
    t = b.topology
    d = b.get(c.name)
    spc = t.strands_per_core
    own = d.pids()
    cores = b.cores_of(c.name)
    whole_now = all(len(v) == spc for v in cores.values())
    want = c.vcpu_count(spc)
    if want < 1:
        raise BindError(f"{c.name} must keep at least one vCPU")
    if c.whole_core and c.named_cores:
        target = set(c.named_cores)
        drop = [p for cid in cores if cid not in target for p in cores[cid]]
        b2 = _drop_strands(b, c.name, drop)
        add_cores = sorted(target - set(cores))
        return _add_strands(b2, c.name, _pick_named_cores(b2, c.name, add_cores))
    if c.whole_core and not whole_now:
        # becoming whole-core: choose all strands again
        return _replace_strands(b, c, _pick_strands(b.without_domain(c.name), c.name, c,
                                                    want, own=[], partid=d.partid))
    if c.whole_core:
        have = len(cores)
        need = c.core_count()
        if need > have:
            return _add_strands(b, c.name, _pick_whole_cores(b, c.name, need - have,
                                                             partid=d.partid))
        if need < have:
            vid0 = min(d.vcpus, key=lambda v: v.vid).pid
            order = sorted(cores, key=lambda cid: (t.core_of(vid0) == cid, -cid))
            drop = [p for cid in order[:have - need] for p in cores[cid]]
            return _drop_strands(b, c.name, drop)
        return b
    if want > len(own):
        add = _pick_strands(b, c.name, c, want - len(own), own=own, partid=d.partid)
        return _add_strands(b, c.name, add)
    if want < len(own):
        return _drop_strands(b, c.name, removal_order(b, c.name)[:len(own) - want])
    return b


def removal_order(b: Bindings, name: str) -> list[int]:
    """The domain's strands in the order the binder gives them up (module docstring)."""
    t = b.topology
    d = b.get(name)
    per_core = {cid: len(p) for cid, p in b.cores_of(name).items()}
    vid0 = min(d.vcpus, key=lambda v: v.vid).pid
    return sorted(d.pids(), key=lambda p: (p == vid0, per_core[t.core_of(p)],
                                           -t.core_of(p), -p))


def drop_strands(b: Bindings, name: str, pids) -> Bindings:
    """Bound domain `name` without strands `pids` (for a removal the guest carried out
    only in part); at least one strand must stay."""
    d = b.get(name)
    if d is None or not set(pids) <= set(d.pids()):
        raise LdmError(f"{name} is not bound to all of strands {sorted(pids)}")
    if len(set(pids)) >= len(d.vcpus):
        raise BindError(f"{name} must keep at least one vCPU")
    return _drop_strands(b, name, pids)


def _drop_strands(b: Bindings, name: str, pids) -> Bindings:
    d = b.get(name)
    gone = set(pids)
    return b.with_domain(replace(d, vcpus=tuple(v for v in d.vcpus if v.pid not in gone)))


def _add_strands(b: Bindings, name: str, pids) -> Bindings:
    d = b.get(name)
    used = {v.vid for v in d.vcpus}
    free_vids = (i for i in range(len(used) + len(pids) + 1) if i not in used)
    new = tuple(Vcpu(next(free_vids), p) for p in sorted(pids))
    vcpus = tuple(sorted(d.vcpus + new, key=lambda v: v.vid))
    return b.with_domain(replace(d, vcpus=vcpus))


def _replace_strands(b: Bindings, c: Constraints, pids) -> Bindings:
    d = b.get(c.name)
    vcpus = tuple(Vcpu(i, p) for i, p in enumerate(sorted(pids)))
    b2 = b.with_domain(replace(d, vcpus=vcpus))
    return b2.with_domain(replace(b2.get(c.name), partid=_partid(b2, c.name, pids,
                                                                  prefer=d.partid)))


def _free_by_core(b: Bindings, name: str, partid: int | None) -> dict[int, list[int]]:
    """cid -> free strands, leaving out cores where another domain has `partid`."""
    t = b.topology
    owner = b.strand_owner()
    bad = set()
    if partid is not None:
        for cid, names in b.core_owners().items():
            if any(n != name and b.get(n).partid == partid for n in names):
                bad.add(cid)
    out = {}
    for cid in range(t.cores):
        if cid in bad:
            continue
        free = [p for p in t.strands_of(cid) if p not in owner]
        if free:
            out[cid] = free
    return out


def _pick_strands(b: Bindings, name: str, c: Constraints, n: int, own, partid) -> list[int]:
    spc = b.topology.strands_per_core
    if c.whole_core:
        if c.named_cores:
            return _pick_named_cores(b, name, list(c.named_cores))
        return _pick_whole_cores(b, name, n // spc, partid)
    free = _free_by_core(b, name, partid)
    mine = {b.topology.core_of(p) for p in own}
    picked: list[int] = []

    def take(cid, k):
        got = free[cid][:k]
        free[cid] = free[cid][k:]
        picked.extend(got)

    for cid in sorted(mine & set(free)):                  # 1. fill own cores
        take(cid, n - len(picked))
    whole = [cid for cid in sorted(free) if len(free[cid]) == spc]
    for cid in whole:                                     # 2. whole free cores
        if n - len(picked) >= spc:
            take(cid, spc)
    # 3. the rest: cores with the most free strands first (a whole free core before any
    # partly used one, so no core is split while a whole one is free), lowest id on a tie
    for cid in sorted(free, key=lambda c_: (-len(free[c_]), c_)):
        if len(picked) < n:
            take(cid, n - len(picked))
    if len(picked) < n:
        avail = len(b.free_strands())
        raise BindError(f"Not enough free vCPUs for {name}: {n} needed, "
                        f"{avail} free")
    return picked


def _pick_whole_cores(b: Bindings, name: str, k: int, partid) -> list[int]:
    spc = b.topology.strands_per_core
    free = _free_by_core(b, name, partid)
    whole = [cid for cid in sorted(free) if len(free[cid]) == spc]
    if len(whole) < k:
        raise BindError(f"Not enough free cores for {name}: {k} whole cores needed, "
                        f"{len(whole)} free")
    return [p for cid in whole[:k] for p in free[cid]]


def _pick_named_cores(b: Bindings, name: str, cids) -> list[int]:
    t = b.topology
    owner = b.strand_owner()
    out = []
    for cid in cids:
        if not 0 <= cid < t.cores:
            raise BindError(f"Core {cid} does not exist on the {t.name} "
                            f"(cores 0 to {t.cores - 1})")
        users = sorted({owner[p] for p in t.strands_of(cid) if p in owner} - {name})
        if users:
            raise BindError(f"Core {cid} is not free: bound to {', '.join(users)}")
        out.extend(t.strands_of(cid))
    return out


def _partid(b: Bindings, name: str, pids, prefer: int | None = None) -> int:
    t = b.topology
    cores = {t.core_of(p) for p in pids}
    taken = {b.get(n).partid for cid, names in b.core_owners().items() if cid in cores
             for n in names if n != name}
    order = ((prefer,) if prefer is not None else ()) + PARTID_ORDER
    for p in order:
        if p not in taken:
            return p
    raise BindError(f"No partition ID left for {name} on cores {sorted(cores)}")


# --- memory ------------------------------------------------------------------------

def resize_memory(b: Bindings, c: Constraints) -> Bindings:
    d = b.get(c.name)
    control = c.name == PRIMARY
    if c.named_mblocks:
        if tuple(sorted((m.pa, m.size) for m in d.mblocks)) == tuple(c.named_mblocks):
            return b
        b2 = b.with_domain(replace(d, mblocks=()))
        blocks = _pick_memory(b2, c.name, c.memory_size(), c.named_mblocks, control, ())
        return b.with_domain(replace(d, mblocks=blocks))
    have, want = d.memory(), c.memory_size()
    if want < 1:
        raise BindError(f"{c.name} must keep some memory")
    if want > have:
        blocks = _pick_memory(b, c.name, want - have, (), control, d.mblocks)
        return b.with_domain(replace(d, mblocks=_merge(d.mblocks + blocks)))
    if want < have:
        cut = have - want
        blocks = sorted(d.mblocks, key=lambda m: m.ra)
        while cut:
            last = blocks.pop()
            if last.size > cut:
                blocks.append(replace(last, size=last.size - cut))
                cut = 0
            else:
                cut -= last.size
        return b.with_domain(replace(d, mblocks=tuple(blocks)))
    return b


def _merge(blocks) -> tuple[MBlock, ...]:
    out: list[MBlock] = []
    for m in sorted(blocks, key=lambda m: m.ra):
        if out and out[-1].ra + out[-1].size == m.ra and out[-1].pa + out[-1].size == m.pa:
            out[-1] = replace(out[-1], size=out[-1].size + m.size)
        else:
            out.append(m)
    return tuple(out)


def _pick_memory(b: Bindings, name: str, size: int, named, control: bool,
                 existing) -> tuple[MBlock, ...]:
    free = b.free_memory()
    rids = iter(_free_ids({m.resource_id for d in b.domains for m in d.mblocks}))
    ra = max((m.ra + m.size for m in existing), default=GUEST_RA_BASE)
    if named:
        out = []
        for pa, sz in named:
            if pa % GRANULE or sz % GRANULE or sz <= 0:
                raise BindError(f"mblock {pa:#x}:{format_size(sz)} is not "
                                f"{format_size(GRANULE)}-aligned")
            if not any(f <= pa and pa + sz <= f + fs for f, fs in free):
                raise BindError(f"mblock {pa:#x}:{format_size(sz)} is not free")
            out.append(MBlock(pa if control else ra, pa, sz, next(rids)))
            ra += sz
        return tuple(out)
    if control:
        spans, left = [], size
        for f, fs in free:
            if left:
                take = min(fs, left)
                spans.append((f, take))
                left -= take
    else:
        aligned = []
        for f, fs in free:
            start = -(-f // GRANULE) * GRANULE
            usable = (f + fs - start) // GRANULE * GRANULE if f + fs > start else 0
            if usable:
                aligned.append((start, usable))
        one = [(s, u) for s, u in aligned if u >= size]
        if one:
            spans, left = [(one[0][0], size)], 0
        else:
            spans, left = [], size
            for s, u in aligned:
                if left:
                    take = min(u, left)
                    spans.append((s, take))
                    left -= take
    if left:
        have = size - left
        raise BindError(f"Not enough free memory for {name}: {format_size(size)} needed, "
                        f"{format_size(have)} free"
                        + ("" if control else f" in {format_size(GRANULE)}-aligned blocks"))
    out = []
    for pa, sz in spans:
        out.append(MBlock(pa if control else ra, pa, sz, next(rids)))
        ra += sz
    return tuple(out)


def _free_ids(used) -> "iter":
    i = 0
    while True:
        if i not in used:
            yield i
        i += 1


# --- consoles and channels ---------------------------------------------------------

def _console_port(b: Bindings, c: Constraints, ports: range = CONSOLE_PORTS) -> int:
    if c.console_group is not None:         # a bound member of its group: share its port
        port = next((d.console.port for d in b.domains
                     if (d.console.group or d.name) == c.console_group
                     and d.console.port is not None), None)
        if port is not None:
            if c.console_port is not None and c.console_port != port:
                raise BindError(f"Console port {c.console_port} differs from port {port} "
                                f"of console group {c.console_group}")
            return port
    used = {d.console.port for d in b.domains}
    if c.console_port is not None:
        if c.console_port in used:
            raise BindError(f"Console port {c.console_port} is already in use")
        return c.console_port
    for p in ports:
        if p not in used:
            return p
    raise BindError(f"No free console port in {ports.start}-{ports.stop - 1}")


def _next_channel(b: Bindings, guest: str) -> int:
    used = {e.channel for e in b.endpoints if e.guest == guest}
    return next(_free_ids(used))


def _add_hvctl(b: Bindings) -> Bindings:
    rids = _free_ids({e.resource_id for e in b.endpoints})
    ch = _next_channel(b, PRIMARY)
    hv_ch = next(_free_ids({e.channel for e in b.endpoints if e.guest is None}))
    ctl = Endpoint(next(rids), PRIMARY, ch, 1, None, hv_ch, "hvctl", "control")
    hv = Endpoint(next(rids), None, hv_ch, 0, PRIMARY, ch, "hvctl", "hypervisor", svc_id=1)
    return replace(b, endpoints=tuple(sorted(b.endpoints + (ctl, hv),
                                             key=lambda e: e.resource_id)))


def _add_ds_channel(b: Bindings, name: str) -> Bindings:
    rids = _free_ids({e.resource_id for e in b.endpoints})
    dom_ch = _next_channel(b, name)
    mgr_ch = next(_free_ids({e.channel for e in b.endpoints if e.guest == PRIMARY}
                            | ({dom_ch} if name == PRIMARY else set())))
    dom = Endpoint(next(rids), name, dom_ch, 0, PRIMARY, mgr_ch, "ds", "domain")
    mgr = Endpoint(next(rids), PRIMARY, mgr_ch, 0, name, dom_ch, "ds", "manager")
    return replace(b, endpoints=tuple(sorted(b.endpoints + (dom, mgr),
                                             key=lambda e: e.resource_id)))
