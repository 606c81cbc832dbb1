"""Dynamic reconfiguration: addboard, deleteboard, moveboard and their rules, with the
board quiesced and the crossbar drained under load before its port changes domain.

Facts: reference B5/B6 — add or move only boards in the target DCL; reserve applies at
the next power cycle; deleting a kernel-memory board needs copy-rename to a target that
holds no kernel memory, is not floating (unless -f) and has at least as much memory;
I/O in use refuses unless forced; dscp/dcs/sckmd must be online on a running domain.
"""
from __future__ import annotations

from .domain import DRRefused
from .system import System, XscfError

WARMUP_CYCLES = 200       # load kept on the crossbar before and after the port changes
ADD_MODES = ("assign", "configure", "reserve")
DELETE_MODES = ("disconnect", "unassign", "reserve")


def _need_dr(sys: System) -> None:
    if not sys.model.dr_capable:
        raise XscfError(f"the {sys.model.name} does not support dynamic reconfiguration")


def _check_add(sys: System, did: int, xids: list[str], mode: str, moving: bool = False) -> None:
    dom = sys.check_did(did)
    members = {x for x, s in sys.xsb_state.items() if s.owner == did or s.reserved_for == did}
    for x in xids:
        s = sys.st(x)
        if sys.lsb_of(did, x) is None:
            raise XscfError(f"XSB#{x} is not registered in the DCL of DID {did:02d}")
        if s.reserved_for is not None and s.reserved_for != did:
            raise XscfError(f"XSB#{x} is reserved for DID {s.reserved_for:02d}")
        if not moving and s.owner is not None:
            if s.owner != did:
                raise XscfError(f"XSB#{x} is assigned to DID {s.owner:02d}")
            if mode != "configure":
                raise XscfError(f"XSB#{x} is already assigned to DID {did:02d}")
            if s.conn:
                raise XscfError(f"XSB#{x} is already configured in DID {did:02d}")
            if not dom.up:
                raise XscfError(f"XSB#{x} is already assigned to DID {did:02d}, which is "
                                "powered off; it is configured at the next power-on")
        if s.reserved_for == did and mode != "configure":
            raise XscfError(f"XSB#{x} is already reserved for DID {did:02d}")
        if s.fault != "Normal" or s.test == "Failed":
            raise XscfError(f"XSB#{x} is faulty ({s.fault}, test {s.test})")
    new = members | set(xids)
    if len(new) > sys.model.max_xsbs_per_domain:
        raise XscfError(f"DID {did:02d} would have {len(new)} XSBs; the {sys.model.name} "
                        f"allows {sys.model.max_xsbs_per_domain} per domain")
    if mode == "configure" and dom.up and not dom.running:
        raise XscfError(f"DID {did:02d} is in {dom.status}; configure needs a running or "
                        "powered-off domain")


def _free_slot(sys: System, did: int, x: str) -> int:
    mm = sys.domains[did].os.mem_map
    lsb = sys.lsb_of(did, x)
    if lsb not in mm:
        return lsb
    return min(s for s in range(sys.model.max_lsb + len(mm) + 1) if s not in mm)


def _configure_in(sys: System, did: int, x: str) -> None:
    """DR in: power, test, connect the board, and have the OS take it into use."""
    s = sys.st(x)
    s.owner = did
    s.reserved_for = None
    s.pwr = s.conn = s.conf = True
    s.test = "Passed"
    if sys.effective_mem(did, x):
        sys.domains[did].os.mem_map[_free_slot(sys, did, x)] = x
    sys.program_ports()
    sys.event("DR", f"DID {did:02d}: XSB#{x} configured as LSB#{sys.lsb_of(did, x):02d} "
                    f"(port {sys.xsb(x).port} joined the domain)")


def _do_add(sys: System, did: int, xids: list[str], mode: str) -> list[str]:
    dom = sys.domains[did]
    out = []
    for x in xids:
        s = sys.st(x)
        lsb = sys.lsb_of(did, x)
        if mode == "reserve":
            s.reserved_for = did
            sys.event("DR", f"DID {did:02d}: XSB#{x} reserved as LSB#{lsb:02d} "
                            "(assigned at the next power cycle)")
        elif mode == "assign" or (mode == "configure" and not dom.up):
            s.owner, s.reserved_for = did, None
            sys.event("DR", f"DID {did:02d}: XSB#{x} assigned as LSB#{lsb:02d}")
            if mode == "configure":
                out.append(f"XSB#{x} assigned to DID {did:02d}; it is configured at the "
                           "next power-on")
        else:
            _configure_in(sys, did, x)
    return out


def addboard(sys: System, did: int, xids: list[str], mode: str = "configure",
             force: bool = False) -> list[str]:
    _need_dr(sys)
    if mode not in ADD_MODES:
        raise XscfError(f"invalid -c {mode} (expected assign, configure or reserve)")
    if len(set(xids)) != len(xids):
        raise XscfError("an XSB is given twice")
    _check_add(sys, did, xids, mode)
    return _do_add(sys, did, xids, mode)


# --- DR out ---------------------------------------------------------------------------------

def copy_rename_target(sys: System, did: int, x: str, force: bool) -> str:
    """The board kernel memory moves to when ``x`` leaves, or XscfError with the reason."""
    need = sys.effective_mem(did, x)
    reasons, fits = [], []
    for y in sys.connected_xsbs(did):
        if y == x:
            continue
        have = sys.effective_mem(did, y)
        if have == 0:
            reasons.append(f"{y} has no memory in the domain")
        elif have < need:
            reasons.append(f"{y} has less memory ({have} MB < {need} MB)")
        elif sys.floating(did, y) and not force:
            reasons.append(f"{y} is floating (use -f)")
        else:
            fits.append((sys.floating(did, y), have, sys.lsb_of(did, y), y))
    if not fits:
        why = "; ".join(reasons) if reasons else "it is the only board of the domain"
        raise XscfError(f"XSB#{x} holds kernel memory of DID {did:02d} and no copy-rename "
                        f"target is suitable: {why}")
    return sorted(fits)[0][3]


def _dr_out(sys: System, did: int, x: str, force: bool, drain: bool = True) -> list[str]:
    """Take ``x`` out of running domain ``did``: OS side, quiesce, drain, release port."""
    dom = sys.domains[did]
    os_ = dom.os
    if len(sys.connected_xsbs(did)) <= 1:
        raise XscfError(f"XSB#{x} is the last board of running DID {did:02d}; "
                        "power the domain off first")
    try:
        os_.check_services()
        os_.offline_cpus(x)
        target = None
        if os_.kernel_xsb == x:
            target = copy_rename_target(sys, did, x, force)
        os_.detach_io(x, force)
    except DRRefused as e:
        raise XscfError(f"DR of XSB#{x} refused by DID {did:02d}: {e}") from None
    xb = sys.xbar
    port = sys.xsb(x).port
    before = {k: list(v) for k, v in xb.isolation.items()}
    eng = sys.traffic_engine() if sys.traffic_active() else None
    if eng:
        eng.run(WARMUP_CYCLES)
    t0 = xb.cycle
    inflight = xb.in_flight(port=port)
    if eng:
        eng.quiesced_ports.add(port)          # CPUs offline, no new traffic to the board
    out = []
    if target is not None:
        if eng:                               # Solaris is suspended during the copy
            eng.suspended.add(did)
            eng.run_until(lambda: xb.in_flight(did=did) == 0)
        mb = sys.effective_mem(did, x)
        copy_cycles = -(-mb * 1024 * 1024 // xb.t.port_bytes_per_cycle)
        kslot = os_.kernel_slot
        for slot in os_.slots_of(target):
            del os_.mem_map[slot]
        for slot in os_.slots_of(x):
            if slot != kslot:
                del os_.mem_map[slot]
        os_.mem_map[kslot] = target
        msg = (f"DID {did:02d}: copy-rename of kernel memory XSB#{x} -> XSB#{target} "
               f"({mb} MB, {copy_cycles} crossbar cycles = "
               f"{copy_cycles / (xb.t.clock_mhz * 1e6):.1f} s with the domain suspended)")
        sys.event("DR", msg)
        out.append(f"copy-rename: kernel memory moved from XSB#{x} to XSB#{target}")
        if eng:
            eng.suspended.discard(did)
    else:
        for slot in os_.slots_of(x):
            del os_.mem_map[slot]
    if eng:
        eng.rebuild()
        if drain:
            eng.run_until(lambda: xb.in_flight(port=port) == 0)
    s = sys.st(x)
    s.conn = s.conf = False
    sys.program_ports()                       # the port leaves the domain
    if eng:
        eng.quiesced_ports.discard(port)
        eng.rebuild()
        eng.run(WARMUP_CYCLES)
        eng.drain()
        sys.record_isolation(before)
    sys.event("DR", f"DID {did:02d}: XSB#{x} quiesced at cycle {t0}, {inflight} "
                    f"transaction(s) in flight drained, port {port} released after "
                    f"{xb.cycle - t0 if eng else 0} cycles")
    return out


def _remove(sys: System, x: str, mode: str, force: bool, drain: bool = True) -> list[str]:
    s = sys.st(x)
    did = s.owner
    dom = sys.domains[did]
    out = []
    if s.conn:
        if not dom.running:
            raise XscfError(f"DID {did:02d} is in {dom.status}; DR needs a running or "
                            "powered-off domain")
        out += _dr_out(sys, did, x, force, drain)
        s.pwr = mode == "disconnect"
        sys.event("DR", f"DID {did:02d}: XSB#{x} disconnected")
    elif mode == "disconnect":
        raise XscfError(f"XSB#{x} is not connected")
    if mode == "unassign":
        s.owner = None
        s.reserved_delete = False
        s.pwr = s.conn = s.conf = False
        sys.event("DR", f"DID {did:02d}: XSB#{x} unassigned to the system board pool")
    return out


def deleteboard(sys: System, xids: list[str], mode: str = "disconnect",
                force: bool = False, drain: bool = True) -> list[str]:
    _need_dr(sys)
    if mode not in DELETE_MODES:
        raise XscfError(f"invalid -c {mode} (expected disconnect, unassign or reserve)")
    if len(set(xids)) != len(xids):
        raise XscfError("an XSB is given twice")
    for x in xids:
        s = sys.st(x)
        if s.owner is None and s.reserved_for is None:
            raise XscfError(f"XSB#{x} is not assigned to any domain")
        if s.owner is None and mode != "unassign":
            raise XscfError(f"XSB#{x} is only reserved for DID {s.reserved_for:02d}; "
                            "use -c unassign to cancel the reservation")
    out = []
    for x in xids:
        s = sys.st(x)
        if s.owner is None:
            did, s.reserved_for = s.reserved_for, None
            sys.event("DR", f"DID {did:02d}: reservation of XSB#{x} cancelled")
        elif mode == "reserve":
            if s.reserved_delete:
                raise XscfError(f"XSB#{x} is already reserved for deletion")
            s.reserved_delete = True
            sys.event("DR", f"DID {s.owner:02d}: XSB#{x} reserved for deletion at the "
                            "next power cycle")
        else:
            out += _remove(sys, x, mode, force, drain)
    return out


def moveboard(sys: System, did: int, x: str, mode: str = "configure",
              force: bool = False) -> list[str]:
    _need_dr(sys)
    if mode not in ADD_MODES:
        raise XscfError(f"invalid -c {mode} (expected assign, configure or reserve)")
    s = sys.st(x)
    if s.owner is None:
        raise XscfError(f"XSB#{x} is not assigned to any domain (use addboard)")
    if s.owner == did:
        raise XscfError(f"XSB#{x} is already in DID {did:02d}")
    _check_add(sys, did, [x], mode, moving=True)
    src = s.owner
    out = _remove(sys, x, "unassign", force)
    out += _do_add(sys, did, [x], mode)
    sys.event("DR", f"XSB#{x} moved from DID {src:02d} to DID {did:02d} ({mode})")
    return out
