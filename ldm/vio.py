"""Virtual disks: the virtual disk services (VDS) of service domains, their volumes
(vdsdev: a backing file exported under a volume name) and the virtual disks (vdisk) of
client domains (reference ldm_xscf.md A5: `add-vds vds-name ldom`, `add-vdsdev [-f]
[options={ro,slice,excl}] [mpgroup=grp] backend vol@vds`, `add-vdisk [timeout=s]
[id=n] disk-name vol@vds ldom`; A6: `already exists`, `does not exist`, `is attached`;
A4 `VDS|name=...|nclients=N` then `|vol=...|opts=...|dev=...`).

All values are frozen; every operation returns a new `Config` or raises LdmError with
the one line ldm prints (the configuration is then unchanged). add-vdisk and
remove-vdisk work on inactive, bound and running domains: ldm/viodr.py binds or
unbinds the disk's channel and, for a running domain, carries the change out live.

Binding (ldm/binder.py's numbering): each vdisk of a domain being bound gets an LDC
channel between the client (the lowest free channel of the client: role `vdc`) and the
service domain of its VDS (the lowest free channel there: role `vds`); both ends carry
service `vdisk:DISK` so the MD writer and the server find the disk again. The guest
MD of the client has, under channel-devices, a `virtual-device` {name "disk",
device-type "block", compatible "SUNW,sun4v-disk", cfg-handle = the vdisk id} with a
`virtual-device-port` {id} -> `channel-endpoint` {id = channel, tx-ino, rx-ino}; the
service domain's MD has a `virtual-device` {name "virtual-disk-server", compatible
"SUNW,sun4v-disk-server"} per client channel with its `virtual-device-port` {id,
vldc-svc-name "vds:CLIENT:DISK"} -> `channel-endpoint` (illumos vds.c: VDS_NAME,
VD_ID_PROP; the backing file is not in the MD here, the server reads it from the
manager's configuration). Both ends' service is "vdisk:ID:DISK". The vldc-svc-name is ours: the service
side of a virtual disk is served by the domain manager on the host through the control
domain's relay (sun4v/guest/relay.h; ldm/vds.py), as ldmd's own channels are, so the
relay opens the port.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

from .bindings import Endpoint
from .errors import LdmError

OPTIONS = ("ro", "slice", "excl")
SERVICE_PREFIX = "vdisk:"
SVC_NAME_PREFIX = "vds:"


class BackendError(LdmError):
    """A backend that cannot be opened: exit status 2 (issue 14 §4: bad input)."""
    status = 2


@dataclass(frozen=True)
class Volume:
    name: str
    path: str                       # absolute path of the backing file
    opts: tuple[str, ...] = ()
    mpgroup: str = ""


@dataclass(frozen=True)
class Vds:
    name: str
    ldom: str
    volumes: tuple[Volume, ...] = ()

    def volume(self, name: str) -> Volume | None:
        return next((v for v in self.volumes if v.name == name), None)


@dataclass(frozen=True)
class Vdisk:
    name: str
    ldom: str
    volume: str
    server: str                     # the VDS
    id: int
    timeout: int | None = None


@dataclass(frozen=True)
class VirtualIO:
    vds: tuple[Vds, ...] = ()
    vdisks: tuple[Vdisk, ...] = ()

    def get_vds(self, name: str) -> Vds | None:
        return next((v for v in self.vds if v.name == name), None)

    def disks_of(self, ldom: str) -> list[Vdisk]:
        return sorted((d for d in self.vdisks if d.ldom == ldom), key=lambda d: d.id)

    def clients_of(self, vds: str) -> list[Vdisk]:
        return [d for d in self.vdisks if d.server == vds]

    def to_dict(self) -> dict:
        return dict(vds=[dict(name=v.name, ldom=v.ldom,
                              volumes=[dict(name=x.name, path=x.path, opts=list(x.opts),
                                            mpgroup=x.mpgroup) for x in v.volumes])
                         for v in self.vds],
                    vdisks=[dict(name=d.name, ldom=d.ldom, volume=d.volume,
                                 server=d.server, id=d.id, timeout=d.timeout)
                            for d in self.vdisks])

    @classmethod
    def from_dict(cls, d: dict | None) -> "VirtualIO":
        if not d:
            return cls()
        return cls(
            vds=tuple(Vds(v["name"], v["ldom"], tuple(
                Volume(x["name"], x["path"], tuple(x.get("opts", ())), x.get("mpgroup", ""))
                for x in v.get("volumes", ()))) for v in d.get("vds", ())),
            vdisks=tuple(Vdisk(x["name"], x["ldom"], x["volume"], x["server"], int(x["id"]),
                               None if x.get("timeout") is None else int(x["timeout"]))
                         for x in d.get("vdisks", ())))


def _split_volume(text: str) -> tuple[str, str]:
    vol, sep, vds = text.partition("@")
    if not sep or not vol or not vds or "@" in vds:
        raise LdmError(f"Invalid volume {text!r}: expected volume-name@service-name")
    return vol, vds


def _vds(vio: VirtualIO, name: str) -> Vds:
    v = vio.get_vds(name)
    if v is None:
        raise LdmError(f"Service {name} does not exist")
    return v


def _with_vds(vio: VirtualIO, new: Vds) -> VirtualIO:
    return replace(vio, vds=tuple(new if v.name == new.name else v for v in vio.vds))


# --- the commands' operations ----------------------------------------------------------

def add_vds(cfg, name: str, ldom: str):
    cfg.domain(ldom)
    if cfg.vio.get_vds(name) is not None:
        raise LdmError(f"Service {name} already exists")
    return replace(cfg, vio=replace(cfg.vio, vds=cfg.vio.vds + (Vds(name, ldom),)))


def remove_vds(cfg, name: str, force: bool = False):
    v = _vds(cfg.vio, name)
    users = cfg.vio.clients_of(name)
    if users:
        raise LdmError(f"Service {name} is in use by vdisk {users[0].name} of LDom "
                       f"{users[0].ldom}")
    if v.volumes and not force:
        raise LdmError(f"Service {name} has volumes ({', '.join(x.name for x in v.volumes)}):"
                       f" remove them first or use -f")
    return replace(cfg, vio=replace(cfg.vio, vds=tuple(x for x in cfg.vio.vds
                                                        if x.name != name)))


def open_backend(path: str, ro: bool, ldom: str) -> None:
    """Check that the service domain can open the backing file (read-write unless ro)."""
    try:
        fd = os.open(path, os.O_RDONLY if ro else os.O_RDWR)
    except OSError as e:
        raise BackendError(f"Path {path} is not valid on service domain {ldom}: "
                           f"{e.strerror}") from None
    try:
        if not os.path.isfile(path):
            raise BackendError(f"Path {path} is not valid on service domain {ldom}: "
                               f"not a regular file")
    finally:
        os.close(fd)


def add_vdsdev(cfg, backend: str, volspec: str, opts: tuple[str, ...] = (),
               mpgroup: str = "", force: bool = False, cwd: str | None = None):
    vol, vdsname = _split_volume(volspec)
    v = _vds(cfg.vio, vdsname)
    for o in opts:
        if o not in OPTIONS:
            raise LdmError(f"Invalid option {o!r}: expected {', '.join(OPTIONS)}")
    if v.volume(vol) is not None:
        raise LdmError(f"Volume {vol} already exists in service {vdsname}")
    path = backend if os.path.isabs(backend) else os.path.join(cwd or os.getcwd(), backend)
    path = os.path.normpath(path)
    for o in v.volumes:
        if o.path == path and not force:
            raise LdmError(f"Device {backend} is already exported by service {vdsname} as "
                           f"volume {o.name} (use -f to export it again)")
    if not force:
        open_backend(path, "ro" in opts, v.ldom)
    nv = replace(v, volumes=v.volumes + (Volume(vol, path, tuple(opts), mpgroup),))
    return replace(cfg, vio=_with_vds(cfg.vio, nv))


def remove_vdsdev(cfg, volspec: str, force: bool = False):
    vol, vdsname = _split_volume(volspec)
    v = _vds(cfg.vio, vdsname)
    if v.volume(vol) is None:
        raise LdmError(f"Volume {vol} does not exist in service {vdsname}")
    users = [d for d in cfg.vio.clients_of(vdsname) if d.volume == vol]
    if users:
        raise LdmError(f"Volume {volspec} is attached to vdisk {users[0].name} of LDom "
                       f"{users[0].ldom}")
    nv = replace(v, volumes=tuple(x for x in v.volumes if x.name != vol))
    return replace(cfg, vio=_with_vds(cfg.vio, nv))


def add_vdisk(cfg, disk: str, volspec: str, ldom: str, timeout: int | None = None,
              id_: int | None = None):
    vol, vdsname = _split_volume(volspec)
    cfg.domain(ldom)
    v = _vds(cfg.vio, vdsname)
    if v.volume(vol) is None:
        raise LdmError(f"Volume {vol} does not exist in service {vdsname}")
    if v.ldom == ldom:
        raise LdmError(f"LDom {ldom} serves {vdsname}: a domain cannot be a client of "
                       f"its own disk service")
    mine = cfg.vio.disks_of(ldom)
    if any(d.name == disk for d in mine):
        raise LdmError(f"Disk {disk} already exists in LDom {ldom}")
    ids = {d.id for d in mine}
    if id_ is None:
        id_ = next(i for i in range(len(ids) + 1) if i not in ids)
    elif id_ in ids:
        raise LdmError(f"Disk id {id_} is already used in LDom {ldom}")
    nd = Vdisk(disk, ldom, vol, vdsname, id_, timeout)
    return replace(cfg, vio=replace(cfg.vio, vdisks=cfg.vio.vdisks + (nd,)))


def remove_vdisk(cfg, disk: str, ldom: str):
    cfg.domain(ldom)
    if not any(d.name == disk for d in cfg.vio.disks_of(ldom)):
        raise LdmError(f"Disk {disk} does not exist in LDom {ldom}")
    return replace(cfg, vio=replace(cfg.vio, vdisks=tuple(
        d for d in cfg.vio.vdisks if not (d.ldom == ldom and d.name == disk))))


# --- binding ---------------------------------------------------------------------------

def bind_vdisks(vio: VirtualIO, b, name: str):
    """Bindings `b` (domain `name` just bound) with one LDC channel per vdisk of `name`
    to the service domain of its VDS (which must be bound)."""
    for d in vio.disks_of(name):
        b = bind_vdisk(vio, b, name, d)
    return b


def bind_vdisk(vio: VirtualIO, b, name: str, d: Vdisk):
    """Bindings `b` with the LDC channel of vdisk `d` of bound domain `name`: the
    client's lowest free channel (role vdc) to the lowest free one of the service
    domain of its VDS (role vds); BindError when that domain is not bound."""
    from .binder import BindError, _free_ids, _next_channel
    server = _vds(vio, d.server).ldom
    if b.get(server) is None:
        raise BindError(f"Cannot bind {name}: the service domain {server} of "
                        f"{d.server} is not bound")
    rids = _free_ids({e.resource_id for e in b.endpoints})
    cch = _next_channel(b, name)
    sch = _next_channel(b, server)
    svc = f"{SERVICE_PREFIX}{d.id}:{d.name}"
    client = Endpoint(next(rids), name, cch, 0, server, sch, svc, "vdc")
    srv = Endpoint(next(rids), server, sch, 0, name, cch, svc, "vds")
    return replace(b, endpoints=tuple(sorted(b.endpoints + (client, srv),
                                             key=lambda e: e.resource_id)))


def unbind_vdisk(b, name: str, d: Vdisk):
    """Bindings `b` without the LDC channel (both ends) of vdisk `d` of domain `name`."""
    svc = f"{SERVICE_PREFIX}{d.id}:{d.name}"
    return replace(b, endpoints=tuple(
        e for e in b.endpoints
        if not (e.service == svc and (e.guest == name and e.role == "vdc" or
                                      e.target_guest == name and e.role == "vds"))))


def problems(cfg) -> list[str]:
    out = []
    vio = cfg.vio
    names = [v.name for v in vio.vds]
    if len(set(names)) != len(names):
        out.append("a VDS name is used twice")
    for v in vio.vds:
        if cfg.get(v.ldom) is None:
            out.append(f"VDS {v.name}: its domain {v.ldom} does not exist")
    for d in vio.vdisks:
        v = vio.get_vds(d.server)
        if v is None or v.volume(d.volume) is None:
            out.append(f"vdisk {d.name} of {d.ldom}: volume {d.volume}@{d.server} missing")
        if cfg.get(d.ldom) is None:
            out.append(f"vdisk {d.name}: its domain {d.ldom} does not exist")
        elif cfg.bindings.get(d.ldom) is not None and not any(
                e.role == "vdc" and parse_service(e.service) == (d.id, d.name)
                for e in cfg.bindings.endpoints_of(d.ldom)):
            out.append(f"vdisk {d.name} of {d.ldom}: bound without its channel")
    return out


def volume_for(cfg, client: str, disk: str) -> tuple[str, bool] | None:
    """(backing file, read-only) of vdisk `disk` of domain `client` (the server's view)."""
    d = next((x for x in cfg.vio.disks_of(client) if x.name == disk), None)
    v = cfg.vio.get_vds(d.server) if d else None
    vol = v.volume(d.volume) if v else None
    return None if vol is None else (vol.path, "ro" in vol.opts)


# --- machine descriptions --------------------------------------------------------------

def vds_port_name(client: str, disk: str) -> str:
    return f"{SVC_NAME_PREFIX}{client}:{disk}"


def parse_service(service: str) -> tuple[int, str] | None:
    """(vdisk id, disk name) of an endpoint's service "vdisk:ID:DISK"; None otherwise."""
    if not service.startswith(SERVICE_PREFIX):
        return None
    did, _, disk = service[len(SERVICE_PREFIX):].partition(":")
    return int(did), disk


def md_port(md, link, chans, e):
    """The MD nodes of vdisk endpoint `e` (role vdc or vds) under `chans`
    (channel-devices); returns the port node (the caller adds its channel-endpoint)."""
    did, disk = parse_service(e.service)
    if e.role == "vdc":
        dev = md.add_node("virtual-device", [
            ("name", "disk"), ("device-type", "block"), ("cfg-handle", did),
            ("compatible", ["SUNW,sun4v-disk"])])
        link(chans, dev)
        port = md.add_node("virtual-device-port", [("name", "vdc-port"), ("id", did)])
        link(dev, port)
        return port
    dev = md.add_node("virtual-device", [
        ("name", "virtual-disk-server"), ("device-type", "vds"),
        ("cfg-handle", e.channel), ("compatible", ["SUNW,sun4v-disk-server"])])
    link(chans, dev)
    port = md.add_node("virtual-device-port", [
        ("name", "vds-port"), ("id", did),
        ("vldc-svc-name", vds_port_name(e.target_guest, disk))])
    link(dev, port)
    return port


# --- listings --------------------------------------------------------------------------

def services_lines(cfg, ldoms=None) -> list[str]:
    """`ldm list-services`: a VDS block (real ldm layout from memory [M])."""
    vds = [v for v in cfg.vio.vds if ldoms is None or v.ldom in ldoms]
    if not vds:
        return []
    out = ["VDS", "    NAME             LDOM             VOLUME         OPTIONS          "
                  "MPGROUP        DEVICE"]
    for v in vds:
        if not v.volumes:
            out.append(f"    {v.name:<17}{v.ldom}")
        for i, x in enumerate(v.volumes):
            out.append((f"    {v.name if i == 0 else '':<17}{v.ldom if i == 0 else '':<17}"
                        f"{x.name:<15}{','.join(x.opts):<17}{x.mpgroup:<15}{x.path}"))
    return [ln.rstrip() for ln in out]


def services_parseable(cfg, ldoms=None) -> list[str]:
    out = []
    for v in cfg.vio.vds:
        if ldoms is not None and v.ldom not in ldoms:
            continue
        out.append(f"VDS|name={v.name}|nclients={len(cfg.vio.clients_of(v.name))}")
        out += [f"|vol={x.name}|opts={','.join(x.opts)}|dev={x.path}" for x in v.volumes]
    return out


def detail(cfg, name: str) -> dict:
    """What list-bindings shows of `name`'s virtual disk services and disks."""
    vds = []
    for v in cfg.vio.vds:
        if v.ldom != name:
            continue
        clients = [(d.ldom, d.name, f"{d.volume}@{d.server}") for d in cfg.vio.clients_of(v.name)]
        vds.append((v, clients))
    disks = []
    b = cfg.bindings
    for d in cfg.vio.disks_of(name):
        server = cfg.vio.get_vds(d.server).ldom if cfg.vio.get_vds(d.server) else ""
        ch = next((e.channel for e in b.endpoints_of(name)
                   if e.role == "vdc" and parse_service(e.service) == (d.id, d.name)), None)
        disks.append((d, server, ch))
    return dict(vds=vds, disks=disks)


def blocks(v: dict):
    """(title, body lines) of the VDS and DISK blocks of list-bindings."""
    if v["vds"]:
        body = ["NAME             VOLUME         OPTIONS          MPGROUP        DEVICE"]
        for s, clients in v["vds"]:
            if not s.volumes:
                body.append(s.name)
            for i, x in enumerate(s.volumes):
                body.append(f"{s.name if i == 0 else '':<17}{x.name:<15}"
                            f"{','.join(x.opts):<17}{x.mpgroup:<15}{x.path}".rstrip())
            if clients:
                body += ["", "CLIENT                      VOLUME"]
                body += [f"{d + '@' + n:<28}{vol}" for d, n, vol in clients]
        yield "VDS", body
    if v["disks"]:
        body = ["NAME             VOLUME                      TOUT ID   DEVICE  SERVER"]
        for d, server, ch in v["disks"]:
            tout = "" if d.timeout is None else str(d.timeout)
            body.append(f"{d.name:<17}{d.volume + '@' + d.server:<28}{tout:<5}{d.id:<5}"
                        f"{'disk@' + str(d.id):<8}{server}")
        yield "DISK", body


def parseable(v: dict) -> list[str]:
    out = []
    for s, clients in v["vds"]:
        out.append(f"VDS|name={s.name}|nclients={len(clients)}")
        out += [f"|vol={x.name}|opts={','.join(x.opts)}|dev={x.path}" for x in s.volumes]
    for d, server, ch in v["disks"]:
        tout = "" if d.timeout is None else str(d.timeout)
        out.append(f"VDISK|name={d.name}|vol={d.volume}@{d.server}|timeout={tout}|"
                   f"dev=disk@{d.id}|server={server}|id={d.id}")
    return out


# --- the `sun4v boot` configuration -----------------------------------------------------

def from_toml(vds_tables, vdisk_tables, domains, base: str | None) -> VirtualIO:
    """Virtual disk services and disks of a boot configuration, bound with the domains:

        [[vds]]                         [[vdisk]]
        name = "primary-vds0"           name = "vdisk1"
        domain = "primary"              volume = "vol1@primary-vds0"
        volumes = { vol1 = "disk.img" } domain = "ldg1"

    (a relative backing file is taken from `base`, the configuration's directory).
    LdmError (BackendError for a backing file that cannot be opened) in one line."""
    vio = VirtualIO()
    for i, t in enumerate(vds_tables or ()):
        if not isinstance(t, dict) or set(t) - {"name", "domain", "volumes"}:
            raise LdmError(f"[[vds]] {i + 1}: keys are name, domain, volumes")
        name, dom, vols = t.get("name"), t.get("domain"), t.get("volumes", {})
        if not isinstance(name, str) or not name or dom not in domains:
            raise LdmError(f"[[vds]] {i + 1}: name must be a string and domain one of "
                           f"the domains")
        if vio.get_vds(name) is not None:
            raise LdmError(f"Service {name} already exists")
        if not isinstance(vols, dict) or not all(isinstance(p, str) for p in vols.values()):
            raise LdmError(f"[[vds]] {name}: volumes must map volume names to files")
        volumes = []
        for vol, path in vols.items():
            if not os.path.isabs(path) and base is not None:
                path = os.path.join(base, path)
            path = os.path.normpath(os.path.abspath(path))
            open_backend(path, False, dom)
            volumes.append(Volume(vol, path))
        vio = replace(vio, vds=vio.vds + (Vds(name, dom, tuple(volumes)),))
    for i, t in enumerate(vdisk_tables or ()):
        if not isinstance(t, dict) or set(t) - {"name", "volume", "domain", "id"}:
            raise LdmError(f"[[vdisk]] {i + 1}: keys are name, volume, domain, id")
        name, spec, dom = t.get("name"), t.get("volume"), t.get("domain")
        if not isinstance(name, str) or not isinstance(spec, str) or dom not in domains:
            raise LdmError(f"[[vdisk]] {i + 1}: name and volume must be strings and domain "
                           f"one of the domains")
        vol, vdsname = _split_volume(spec)
        v = _vds(vio, vdsname)
        if v.volume(vol) is None:
            raise LdmError(f"Volume {vol} does not exist in service {vdsname}")
        if v.ldom == dom:
            raise LdmError(f"LDom {dom} serves {vdsname}: a domain cannot be a client of "
                           f"its own disk service")
        mine = vio.disks_of(dom)
        if any(d.name == name for d in mine):
            raise LdmError(f"Disk {name} already exists in LDom {dom}")
        ids = {d.id for d in mine}
        did = t.get("id", next(k for k in range(len(ids) + 1) if k not in ids))
        if not isinstance(did, int) or did < 0 or did in ids:
            raise LdmError(f"[[vdisk]] {name}: id must be a free number")
        vio = replace(vio, vdisks=vio.vdisks + (Vdisk(name, dom, vol, vdsname, did),))
    return vio
