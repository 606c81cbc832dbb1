"""What the listing commands show, computed once as plain data (ldm's own words as keys)
and rendered by formats.py (human), parseable.py (-p) and jsonout.py (-o json).

`row()`: one `ldm list` line (reference A3): bound and active domains show their bound
vCPUs and memory; an inactive one shows its constraints (blank when it has none); UTIL and
UPTIME come only from a running machine (offline they are empty, never invented).
`detail()`: the blocks of `ldm list -l` / `list-bindings` (A3): identity, CONTROL,
DEPENDENCY, and for a bound domain CORE, VCPU, MEMORY, VCONS and its LDC channels.
"""
from __future__ import annotations

from .actions import DomainStatus
from .config import Config
from .constraints import PRIMARY
from .domain import INACTIVE
from . import vio

CONTROL_KEYS = ("failure-policy", "extended-mapin-space", "cpu-arch", "rc-add-policy",
                "shutdown-group", "threading", "max-cores")


def row(cfg: Config, name: str, status: DomainStatus | None) -> dict:
    dom = cfg.domain(name)
    c = dom.constraints
    b = cfg.bindings.get(name)
    delayed = cfg.delayed and name == PRIMARY
    vsvc = cfg.serves_vio(name)
    r = dict(name=name, state=dom.state, flags=dom.flags(delayed, vsvc),
             flag_words=dom.flag_words(delayed, vsvc), cons="", ncpu=None, mem=None,
             util=None, uptime=None, softstate="")
    if b is not None:
        r["cons"] = "UART" if b.console.port is None else str(b.console.port)
        r["ncpu"], r["mem"] = len(b.vcpus), b.memory()
    elif c.has_resources():
        r["ncpu"] = c.vcpu_count(cfg.topology.strands_per_core) or None
        r["mem"] = c.memory_size() or None
    if status is not None and dom.state != INACTIVE:
        r["util"], r["uptime"], r["softstate"] = status.util, status.uptime, status.softstate
    return r


def detail(cfg: Config, name: str, status: DomainStatus | None) -> dict:
    dom = cfg.domain(name)
    c = dom.constraints
    b = cfg.bindings.get(name)
    t = cfg.topology
    d = dict(row=row(cfg, name, status), uuid=c.uuid or "", mac=c.mac or "",
             hostid=c.hostid or "",
             control=[(k, c.property_text(k) if k != "threading"
                       else (c.threading or "max-throughput")) for k in CONTROL_KEYS],
             master=list(c.master), variables=list(c.variables),
             policies=list(c.policies), cores=[], vcpus=[], memory=[], console=None,
             ldc=[], vio=vio.detail(cfg, name))
    if b is None:
        return d
    util = status.vcpu_util if status is not None else {}
    d["cores"] = sorted(cfg.bindings.cores_of(name).items())
    d["vcpus"] = [(v.vid, v.pid, t.core_of(v.pid), util.get(v.vid))
                  for v in sorted(b.vcpus, key=lambda v: v.vid)]
    d["memory"] = [(m.ra, m.pa, m.size) for m in sorted(b.mblocks, key=lambda m: m.ra)]
    d["console"] = b.console
    d["ldc"] = sorted(cfg.bindings.endpoints_of(name), key=lambda e: e.channel)
    from .vcc import console_service, detail as vcc_detail
    d["vcons_service"] = console_service(cfg, b.console.port)
    d["vcons_group"] = b.console.group or name          # ldm/vcons.py
    d["vccs"] = vcc_detail(cfg, name)
    return d


def devices(cfg: Config, all_: bool) -> dict:
    """`ldm list-devices` data: cores (cid, %free, strands), vCPUs (pid, %free, owner),
    memory ranges (pa, size, owner; '' = free); without `all_` only free resources."""
    t = cfg.topology
    b = cfg.bindings
    owner = b.strand_owner()
    cores, vcpus = [], []
    for cid in range(t.cores):
        strands = list(t.strands_of(cid))
        free = sum(1 for p in strands if p not in owner)
        if all_ or free:
            cores.append((cid, 100 * free // len(strands), strands))
    for p in range(t.strands):
        if all_ or p not in owner:
            vcpus.append((p, 0 if p in owner else 100, owner.get(p, "")))
    spans = [(pa, size, who) for pa, size, who in b.memory_owners()]
    spans += [(pa, size, "") for pa, size in b.free_memory()]
    memory = sorted(s for s in spans if all_ or not s[2])
    return dict(cores=cores, vcpus=vcpus, memory=memory, split_cores=b.split_cores())
