"""Virtual disks added to and removed from bound and running domains (`ldm add-vdisk`,
`ldm remove-vdisk [-f]`), as LDoms does it without a reboot: the manager gives the
disk its LDC channel (or takes it away), writes the new machine descriptions and has
the hypervisor reconfigure, tells the domains whose MD changed (md-update: the client
attaches or detaches its virtual disk client, the service domain's relay opens or
closes the server's port), and speaks to the client's dr-vio service (illumos
sun4v/sys/dr_io.h, "VIO DR Control Protocol"; ldm/ds.py):

    add-vdisk, active client:    Reconfigure -> md-update -> dr-vio CONFIGURE {dev_id =
                                 the vdisk id, "disk"}: answered once the guest's vDisk
                                 handshake is done (CONFIGURED), or FAILURE with why
    remove-vdisk, active client: dr-vio UNCONFIGURE (FORCE_UNCONFIG with -f) first:
                                 BLOCKED "device busy" while a program holds the disk
                                 open -> refused, nothing changed (exit status 1); OK
                                 -> Reconfigure -> md-update
    a bound (not running) client: Reconfigure only (the MD it starts with has the disk
                                 or not); an inactive one: the configuration only.

Bad input (a disk name already used in the domain, a volume the service does not
have, a disk the domain does not have) is refused by ldm/vio.py in one line before
anything changes.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace

from . import ds as DS
from . import vio
from .actions import Change, Reconfigure
from .domain import ACTIVE, INACTIVE


@dataclass(frozen=True)
class VioConfigure:
    """dr-vio CONFIGURE of vdisk `dev_id` (`disk`) of `domain` (after Reconfigure)."""
    domain: str
    dev_id: int
    disk: str


@dataclass(frozen=True)
class VioUnconfigure:
    """dr-vio UNCONFIGURE (FORCE_UNCONFIG: force) of vdisk `dev_id` of `domain`, before
    the Reconfigure that takes its channel away."""
    domain: str
    dev_id: int
    disk: str
    force: bool = False


def add_vdisk(cfg, disk: str, volspec: str, ldom: str, timeout: int | None = None,
              id_: int | None = None) -> Change:
    after = vio.add_vdisk(cfg, disk, volspec, ldom, timeout, id_)
    state = cfg.domain(ldom).state
    if state == INACTIVE:
        return Change(cfg, after.check())
    d = next(x for x in after.vio.disks_of(ldom) if x.name == disk)
    after = replace(after, bindings=vio.bind_vdisk(after.vio, after.bindings, ldom, d))
    acts = (Reconfigure(),)
    if state == ACTIVE:
        acts += (VioConfigure(ldom, d.id, disk),)
    return Change(cfg, after.check(), acts)


def remove_vdisk(cfg, disk: str, ldom: str, force: bool = False) -> Change:
    after = vio.remove_vdisk(cfg, disk, ldom)
    state = cfg.domain(ldom).state
    if state == INACTIVE:
        return Change(cfg, after.check())
    d = next(x for x in cfg.vio.disks_of(ldom) if x.name == disk)
    after = replace(after, bindings=vio.unbind_vdisk(after.bindings, ldom, d))
    acts = (Reconfigure(),)
    if state == ACTIVE:
        acts = (VioUnconfigure(ldom, d.id, disk, force),) + acts
    return Change(cfg, after.check(), acts)


# --- the running machine (ldm/livebackend.py) -------------------------------------------

@contextmanager
def serving(channels, after):
    """While a change is carried out, the disk server also finds the volumes of the
    configuration being made (`after`): a disk added to a running domain does its
    handshake before the manager commits the change."""
    old = channels.volume_of
    channels.volume_of = lambda c, d: old(c, d) or vio.volume_for(after, c, d)
    try:
        yield
    finally:
        channels.volume_of = old


def _ask(backend, name: str, type_: int, dev_id: int, what: str) -> DS.DrVioReply:
    """dr-vio `type_` of vdisk `dev_id` to domain `name`; Refused when it cannot be
    asked or does not answer in the manager's dr_timeout."""
    from .livebackend import Refused
    peer = backend._peer(name)
    if peer is None or "dr-vio" not in peer.mgr.registered:
        raise Refused(f"LDom {name} is not responding: its domain-services agent "
                      f"(dr-vio) is not running")
    w = peer.dr_vio(type_, dev_id, "disk")
    backend._ds_wait(name, [w], what)
    try:
        return DS.parse_dr_vio_reply(w.value)
    except DS.DsError as e:
        raise Refused(f"LDom {name}: {e}") from None


def remove(backend, change, a: VioUnconfigure):
    """The whole remove-vdisk of an active domain: (config, out, err, status)."""
    from .livebackend import Refused
    kind = "forced unconfigure" if a.force else "unconfigure"
    rep = _ask(backend, a.domain,
               DS.DR_VIO_FORCE_UNCONFIG if a.force else DS.DR_VIO_UNCONFIGURE,
               a.dev_id, f"dr-vio {kind} of vdisk {a.disk}")
    backend.lm._event("dr", a.domain, f"dr-vio {kind} of vdisk {a.disk} (id {a.dev_id}): "
                      f"{DS.DR_VIO_RESULTS.get(rep.result, rep.result)}"
                      + (f" ({rep.reason})" if rep.reason else ""))
    if rep.result == 2:
        raise Refused(f"Failed to remove vdisk {a.disk} from LDom {a.domain}: the guest "
                      f"reports it busy ({rep.reason or 'device busy'}); close it in "
                      f"the domain or use remove-vdisk -f")
    if rep.result not in (0, 3):
        raise Refused(f"Failed to remove vdisk {a.disk} from LDom {a.domain}: "
                      f"{rep.reason or DS.DR_VIO_RESULTS.get(rep.result, rep.result)}")
    try:
        cfg, out, err = backend._plain_reconfigure(change.before, change.after)
    except Refused:
        # the disk stays: the guest attaches it again
        _ask(backend, a.domain, DS.DR_VIO_CONFIGURE, a.dev_id,
             f"dr-vio configure of vdisk {a.disk}")
        raise
    # the service domain's relay closes the server's port (after its md-update): the
    # server lets go of the backing file before the command returns
    ch = backend.lm.channels
    port = vio.vds_port_name(a.domain, a.disk)

    def closed():
        ch.refresh_ports()
        return all(p.name != port for p in ch.vds.ports.values())
    if not backend.lm.wait(closed, backend.hv_timeout):
        err = err + [f"The service domain did not close the port of vdisk {a.disk} "
                     f"({port})"]
    return cfg, list(change.out) + out, err, 1 if err else 0


def configure(backend, a: VioConfigure) -> tuple[list[str], list[str]]:
    """dr-vio CONFIGURE after the reconfiguration: (out, err) lines."""
    from .livebackend import Refused
    try:
        rep = _ask(backend, a.domain, DS.DR_VIO_CONFIGURE, a.dev_id,
                   f"dr-vio configure of vdisk {a.disk}")
    except Refused as r:
        return [], [f"vdisk {a.disk} was added to LDom {a.domain}, but: {r.lines[0]}"]
    backend.lm._event("dr", a.domain, f"dr-vio configure of vdisk {a.disk} (id {a.dev_id}):"
                      f" {DS.DR_VIO_RESULTS.get(rep.result, rep.result)}"
                      + (f" ({rep.reason})" if rep.reason else ""))
    if rep.result == 0 and rep.status == 2:
        return [], []
    why = rep.reason or DS.DR_VIO_RESULTS.get(rep.result, str(rep.result))
    return [f"vdisk {a.disk} was added to LDom {a.domain}; the guest has not attached it "
            f"yet: {why} (it attaches when its server answers)"], []
