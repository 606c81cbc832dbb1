"""Configuration edits of the service processor: DCL edits (setdcl), PSB division and
memory mirroring (setupfru), the simulated hardware inventory, the domain OS knobs.

Facts: reference B5 (setdcl/setupfru; policy changeable only while the domain is powered
off; floating settable only while the board is in the pool or not connected; division type
only if CPUs and memory fit) and B6.  ``installfru``/``removefru``/``osctl`` are simulator
extensions standing in for the field engineer and the domain's administrator.
"""
from __future__ import annotations

from .boards import division_problem, xsb_id
from .dcl import LSB_OPTIONS, POLICIES, DclEntry
from .system import System, XscfError


def _need_xsb_config(sys: System) -> None:
    if not sys.model.dr_capable and sys.model.family == "M":
        raise XscfError(f"the {sys.model.name} has a fixed configuration (one XSB, one "
                        "domain); the DCL cannot be changed")


def _check_lsb(sys: System, lsb: int) -> None:
    if not 0 <= lsb < sys.model.max_lsb:
        raise XscfError(f"invalid LSB {lsb} (00-{sys.model.max_lsb - 1:02d})")


def _in_use_by(sys: System, did: int, xid: str) -> bool:
    s = sys.st(xid)
    return s.owner == did or s.reserved_for == did


def setdcl_add(sys: System, did: int, pairs: list[tuple[int, str]]) -> None:
    _need_xsb_config(sys)
    sys.check_did(did)
    dcl = sys.dcls.get(did)
    lsbs = [lsb for lsb, _ in pairs]
    xids = [x for _, x in pairs]
    if len(set(lsbs)) != len(lsbs):
        raise XscfError("an LSB is given twice")
    if len(set(xids)) != len(xids):
        raise XscfError("an XSB is given twice")
    for lsb, x in pairs:
        _check_lsb(sys, lsb)
        if dcl is None:
            continue
        cur = dcl.entries.get(lsb)
        if cur is not None and cur.xsb != x and _in_use_by(sys, did, cur.xsb):
            raise XscfError(f"LSB#{lsb:02d} of DID {did:02d} holds XSB#{cur.xsb}, which is "
                            "assigned to the domain")
        other = dcl.lsb_of(x)
        if other is not None and other != lsb:
            raise XscfError(f"XSB#{x} is already registered in DID {did:02d} as "
                            f"LSB#{other:02d}")
    dcl = sys.dcl(did)
    for lsb, x in pairs:
        if lsb in dcl.entries and dcl.entries[lsb].xsb == x:
            continue
        dcl.entries[lsb] = DclEntry(x)
        sys.event("Config", f"DID {did:02d}: DCL LSB#{lsb:02d} = XSB#{x}")


def setdcl_remove(sys: System, did: int, lsbs: list[int]) -> None:
    _need_xsb_config(sys)
    sys.check_did(did)
    dcl = sys.dcls.get(did)
    for lsb in lsbs:
        _check_lsb(sys, lsb)
        if dcl is None or lsb not in dcl.entries:
            raise XscfError(f"LSB#{lsb:02d} is not registered in the DCL of DID {did:02d}")
        x = dcl.entries[lsb].xsb
        if _in_use_by(sys, did, x):
            raise XscfError(f"XSB#{x} (LSB#{lsb:02d}) is assigned to DID {did:02d}; "
                            "delete it from the domain first")
    for lsb in lsbs:
        x = dcl.entries.pop(lsb).xsb
        sys.event("Config", f"DID {did:02d}: DCL LSB#{lsb:02d} (XSB#{x}) removed")


def _bool(value: str) -> bool:
    v = value.lower()
    if v in ("true", "yes", "y", "on"):
        return True
    if v in ("false", "no", "n", "off"):
        return False
    raise XscfError(f"invalid value '{value}' (expected true or false)")


def setdcl_option(sys: System, did: int, option: str, value: str, lsbs: list[int]) -> None:
    _need_xsb_config(sys)
    dom = sys.check_did(did)
    if option == "policy":
        if lsbs:
            raise XscfError("policy is a domain option; give no LSB")
        if value.lower() not in POLICIES:
            raise XscfError(f"invalid policy '{value}' (expected fru, xsb or system)")
        if dom.up:
            raise XscfError(f"the configuration policy of DID {did:02d} can be changed "
                            "only while the domain is powered off")
        sys.dcl(did).policy = value.lower()
        sys.event("Config", f"DID {did:02d}: configuration policy {value.lower()}")
        return
    if option not in LSB_OPTIONS:
        raise XscfError(f"invalid option '{option}' (expected policy, no-mem, no-io or "
                        "floating)")
    if not lsbs:
        raise XscfError(f"{option} is set per LSB; give the LSB numbers")
    flag = _bool(value)
    dcl = sys.dcls.get(did)
    for lsb in lsbs:
        _check_lsb(sys, lsb)
        if dcl is None or lsb not in dcl.entries:
            raise XscfError(f"LSB#{lsb:02d} is not registered in the DCL of DID {did:02d}")
        x = dcl.entries[lsb].xsb
        s = sys.st(x)
        if s.owner == did and s.conn:
            raise XscfError(f"XSB#{x} (LSB#{lsb:02d}) is connected to DID {did:02d}; "
                            f"{option} can be changed only while it is not connected")
    for lsb in lsbs:
        dcl.entries[lsb].set_option(option, flag)
        sys.event("Config", f"DID {did:02d}: LSB#{lsb:02d} {option}={str(flag).lower()}")


def setupfru(sys: System, slot: int, mode: str | None, mirror: bool | None) -> None:
    m = sys.model
    psb = sys.psbs[slot]
    if not psb.cmu:
        raise XscfError(f"PSB#{slot:02d} has no CMU")
    new_mode = psb.mode if mode is None else mode
    new_mirror = psb.mirror if mirror is None else mirror
    why = division_problem(psb, m, new_mode, new_mirror)
    if why:
        raise XscfError(why)
    for x, s in sys.xsb_state.items():
        if sys.xsb(x).slot == slot and (s.owner is not None or s.reserved_for is not None):
            d = s.owner if s.owner is not None else s.reserved_for
            raise XscfError(f"XSB#{x} of PSB#{slot:02d} is assigned to DID {d:02d}; "
                            "the PSB must be in the system board pool")
    old_ids = {x for x in sys.xsbs if sys.xsb(x).slot == slot}
    new_ids = {xsb_id(slot, q) for q in ([0, 1, 2, 3] if new_mode == "Quad" else [0])}
    for x in sorted(old_ids - new_ids):
        for did, dcl in sorted(sys.dcls.items()):
            lsb = dcl.lsb_of(x)
            if lsb is not None:
                raise XscfError(f"XSB#{x} is registered in the DCL of DID {did:02d} as "
                                f"LSB#{lsb:02d}; remove it first (setdcl -r)")
    psb.mode, psb.mirror = new_mode, new_mirror
    sys.refresh_xsbs()
    sys.event("Config", f"PSB#{slot:02d}: {new_mode}-XSB, memory mirror "
                        f"{'yes' if new_mirror else 'no'}")


# --- simulator extensions -------------------------------------------------------------------

def _psb_free(sys: System, slot: int, dcl_too: bool = True) -> None:
    for x in sorted(sys.xsbs):
        if sys.xsb(x).slot != slot:
            continue
        s = sys.st(x)
        if s.owner is not None or s.reserved_for is not None:
            raise XscfError(f"XSB#{x} is in a domain; delete it from the domain first")
        for did, dcl in sorted(sys.dcls.items()):
            if dcl_too and dcl.lsb_of(x) is not None:
                raise XscfError(f"XSB#{x} is registered in the DCL of DID {did:02d}; "
                                "remove it first (setdcl -r)")


def removefru(sys: System, unit: str, slot: int) -> None:
    psb = sys.psbs[slot]
    if unit == "cmu":
        if not psb.cmu:
            raise XscfError(f"CMU#{slot} is not installed")
        _psb_free(sys, slot)
        psb.cmu = False
        psb.mode, psb.mirror = "Uni", False
    elif unit == "iou":
        if not psb.iou:
            raise XscfError(f"IOU#{slot} is not installed")
        _psb_free(sys, slot, dcl_too=False)
        psb.iou = False
    else:
        raise XscfError(f"invalid unit '{unit}' (expected cmu or iou)")
    sys.refresh_xsbs()
    sys.event("Config", f"{unit.upper()}#{slot} removed")


def installfru(sys: System, unit: str, slot: int, cpus: int | None = None,
               dimms: int | None = None) -> None:
    m = sys.model
    psb = sys.psbs[slot]
    if unit == "cmu":
        if psb.cmu:
            raise XscfError(f"CMU#{slot} is already installed")
        cpus = m.cpus_per_board if cpus is None else cpus
        dimms = m.dimms_per_board if dimms is None else dimms
        if not 1 <= cpus <= m.cpus_per_board:
            raise XscfError(f"cpus must be 1..{m.cpus_per_board}")
        if not 1 <= dimms <= m.dimms_per_board:
            raise XscfError(f"dimms must be 1..{m.dimms_per_board}")
        psb.cmu, psb.cpus, psb.dimms = True, cpus, dimms
        psb.mode, psb.mirror = "Uni", False
    elif unit == "iou":
        if psb.iou:
            raise XscfError(f"IOU#{slot} is already installed")
        if slot >= m.ious:
            raise XscfError(f"the {m.name} has no IOU slot {slot}")
        if psb.cmu:
            _psb_free(sys, slot, dcl_too=False)
        psb.iou = True
    else:
        raise XscfError(f"invalid unit '{unit}' (expected cmu or iou)")
    sys.refresh_xsbs()
    sys.event("Config", f"{unit.upper()}#{slot} installed")


OSCTL_ACTIONS = ("bind-cpu", "unbind-cpu", "io-busy", "io-idle", "services")


def osctl(sys: System, did: int, action: str, arg: str) -> None:
    dom = sys.check_did(did)
    if not dom.running:
        raise XscfError(f"DID {did:02d} is not running; its OS cannot be changed")
    os_ = dom.os
    if action == "services":
        os_.services_online = {"on": True, "off": False}.get(arg.lower(), None)
        if os_.services_online is None:
            raise XscfError("services takes on or off")
        sys.event("OS", f"DID {did:02d}: DR services (dscp, dcs, sckmd) "
                        f"{'online' if os_.services_online else 'offline'}")
        return
    if action not in OSCTL_ACTIONS:
        raise XscfError(f"invalid action '{action}' (expected {', '.join(OSCTL_ACTIONS)})")
    x = sys.parse_xsb(arg)
    if x not in sys.connected_xsbs(did):
        raise XscfError(f"XSB#{x} is not configured in DID {did:02d}")
    if action == "bind-cpu":
        os_.bound_cpus.add(x)
    elif action == "unbind-cpu":
        os_.bound_cpus.discard(x)
    elif action == "io-busy":
        if not sys.io_visible(did, x):
            raise XscfError(f"XSB#{x} has no I/O in DID {did:02d}")
        os_.io_busy.add(x)
    else:
        os_.io_busy.discard(x)
    sys.event("OS", f"DID {did:02d}: {action} XSB#{x}")
