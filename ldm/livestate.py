"""The domain manager's state in a checkpoint (issue 14 §3): a machine run with its
manager (`sun4v boot CONFIG --ldmd SOCKET`, ldm/live.py LiveManager) is saved whole --
the machine and its domain programs (sun4v/boot/system.py System.state) and the
manager -- and a restored manager goes on exactly as the saved one would have: the same
`ldm` outputs, events, machine descriptions, DR exchanges, instruction and cycle counts
for the same commands at the same simulated times.

    why = busy(lm)                   # None at a safe point, else what is in flight
    state = save(lm)                 # JSON-able; CheckpointError (one line) when busy
    lm = restore(system, state, ...) # a LiveManager on a restored System

What is saved (every attribute of the manager and of its channel objects, by a tagged
JSON encoding of plain data, so a new attribute is saved too or refused by name):
- the configuration database (ldm Config: domains, constraints, bindings, the pending
  delayed reconfiguration, vccs, virtual disk services and disks), the service
  processor's saved configurations and selection (SpStore), the MD area's sets and
  generation, the domains' boot ROM images and workloads, the console UARTs given to
  domains bound later, the DRM policies' accounts, the sampled utilisation and its
  history, the hypervisor's configuration and guest states as last read, the event log
  (ldm list-events) and its sequence, the consoles as the manager read them, pending
  late DS replies and guest state changes, the boot configuration's [[vds]]/[[vdisk]];
- the LDC channel state the manager holds (ldm/channels.py): the relay's ports and
  epoch, packets not yet on the relay's ring, the hvctl client (connection state,
  sequence numbers, its log), each domain's DS peer (the reliable-mode link's state,
  sequence and ack numbers, the DS version, service handles, request numbers, log);
- the virtual disk server (ldm/vds.py): each port's link and vDisk handshake state,
  descriptor ring, counters; an open backing file is saved as its path, mode, size and
  sha256, and opened again on restore.  A backing file that is missing or whose content
  differs from the checkpoint's is refused (CheckpointError: one line): the disk's
  content is not in the checkpoint (disks are large; copy the backing file with the
  checkpoint to keep a restorable pair).
Not saved (host side): clients connected to the socket or to vntsd's TCP ports (the
restored manager serves the domains' ports again, with each console's recent lines for
a client connecting), commands queued by clients and not
yet run, pause and speed, the event subscribers, the log file (given again).

When: only at a safe point (busy() is None): no `ldm` command running, no hvctl request
or handshake outstanding (the manager's utilisation sample included), no MD copy, no DS
request waiting for its reply (a dr-cpu or md-update exchange half-way), no virtual disk
request in progress.  save() refuses any other instant (CheckpointError naming what is in
flight); LiveManager.checkpoint_at() waits for the first safe point at or after the time
asked (the end of a manager slice, every 100 us of simulated time by default), so a
checkpoint never stops or perturbs the run that writes it.  The saved state is the one
where the next thing the manager does is run the machine's next slice.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
from collections import deque

from sun4v.checkpoint import CheckpointError

VERSION = 1
_T = "__t"

# manager attributes rebuilt on restore (host side, callables, objects made again)
_REBUILT = {"boot", "system", "m", "platform", "stick_hz", "_sp_store", "on_console",
            "on_program", "backend", "channels", "mdarea", "drm", "_lock", "_drive",
            "_subs", "_log", "_jobs", "_thread", "_stopping", "_paused", "_paused_evt",
            "_wake", "_speed", "_anchor", "on_notice", "vntsd", "_vntsd_ports", "_ckpt",
            "_safe_point", "checkpoint_result"}
# attributes of the channel objects rebuilt on restore (callables, back references)
_CH_REBUILT = {"relay", "log", "on_late", "hvctl", "ds", "vds", "volume_of", "connecting"}
_PEER_REBUILT = {"log", "link", "mgr", "on_late"}
_VDS_REBUILT = {"_send", "_copy", "_sread", "_swrite", "_ssize", "volume_of", "log",
                "ports", "_waiting"}


# ---- a tagged JSON encoding of plain data ---------------------------------------------
def _classes():
    from sun4v.boot.system import BootResult

    from . import ds, hvctl, live, mdwriter
    from .drm import _Acc
    return {c.__module__ + "." + c.__qualname__: c for c in (
        live.Event, hvctl.Message, ds.DrRecord, ds.DrReply, mdwriter.DomainImage, _Acc,
        BootResult)}


def encode(obj, where="state"):
    """JSON-able form of `obj` (None, bool, int, float, str, bytes, bytearray, tuple,
    list, dict, set, frozenset, deque, and the dataclasses / named tuples of _classes());
    CheckpointError naming `where` for anything else."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, bytes):
        return {_T: "b", "v": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, bytearray):
        return {_T: "ba", "v": base64.b64encode(bytes(obj)).decode("ascii")}
    if isinstance(obj, list):
        return [encode(x, f"{where}[{i}]") for i, x in enumerate(obj)]
    name = type(obj).__module__ + "." + type(obj).__qualname__
    if name in _classes():
        if dataclasses.is_dataclass(obj):
            fields = {f.name: encode(getattr(obj, f.name), f"{where}.{f.name}")
                      for f in dataclasses.fields(obj)}
        else:                                           # a NamedTuple
            fields = {k: encode(v, f"{where}.{k}") for k, v in obj._asdict().items()}
        return {_T: "o", "c": name, "v": fields}
    if isinstance(obj, tuple):
        return {_T: "t", "v": [encode(x, f"{where}[{i}]") for i, x in enumerate(obj)]}
    if isinstance(obj, dict):
        return {_T: "d", "v": [[encode(k, where), encode(v, f"{where}[{k!r}]")]
                               for k, v in obj.items()]}
    if isinstance(obj, (set, frozenset)):
        return {_T: "s" if isinstance(obj, set) else "fs",
                "v": [encode(x, where) for x in sorted(obj, key=repr)]}
    if isinstance(obj, deque):
        return {_T: "q", "max": obj.maxlen, "v": [encode(x, where) for x in obj]}
    raise CheckpointError(f"the domain manager's {where} ({type(obj).__name__}) cannot be "
                          f"saved in a checkpoint")


def decode(j):
    """The value encode() made `j` from (ValueError/KeyError for a malformed one)."""
    if j is None or isinstance(j, (bool, int, float, str)):
        return j
    if isinstance(j, list):
        return [decode(x) for x in j]
    if not isinstance(j, dict):
        raise ValueError(f"not an encoded value: {type(j).__name__}")
    t = j[_T]
    if t == "b":
        return base64.b64decode(j["v"], validate=True)
    if t == "ba":
        return bytearray(base64.b64decode(j["v"], validate=True))
    if t == "t":
        return tuple(decode(x) for x in j["v"])
    if t == "d":
        return {decode(k): decode(v) for k, v in j["v"]}
    if t == "s":
        return {decode(x) for x in j["v"]}
    if t == "fs":
        return frozenset(decode(x) for x in j["v"])
    if t == "q":
        return deque((decode(x) for x in j["v"]), maxlen=j["max"])
    if t == "o":
        cls = _classes().get(j["c"])
        if cls is None:
            raise ValueError(f"unknown class {j['c']!r}")
        return cls(**{k: decode(v) for k, v in j["v"].items()})
    raise ValueError(f"unknown tag {t!r}")


def _attrs(obj, skip, where) -> dict:
    return {k: encode(v, f"{where}.{k}") for k, v in vars(obj).items() if k not in skip}


def _set_attrs(obj, saved: dict):
    for k, v in saved.items():
        setattr(obj, k, decode(v))


# ---- when a checkpoint can be taken -------------------------------------------------
def busy(lm) -> str | None:
    """None when the manager is at a safe point (see the module docstring), else what
    is in flight, as words for a one-line message."""
    if lm._in_command:
        return "an ldm command is running"
    if lm._sampling is not None:
        return "the manager's utilisation sample (hvctl get_res_stat) is under way"
    ch = lm.channels
    if ch is None:
        return None
    if ch.copies:
        return "a copy of machine descriptions into the MD area is under way"
    if ch.hvctl.sent or ch.hvctl.queue:
        what = (list(ch.hvctl.sent) + list(ch.hvctl.queue))[0].what
        return f"the hvctl request {what} is waiting for the hypervisor"
    if ch.connecting is not None and not ch.connecting.done:
        return "the hvctl handshake is under way"
    for name, peer in ch.ds.items():
        if peer.waiting:
            w = next(iter(peer.waiting.values()))
            return f"the domain-services request {w.what} is waiting for its reply"
    if ch.vds._waiting:
        return "a virtual disk request is under way"
    for p in ch.vds.ports.values():
        if p.busy or p.jobs:
            return f"a request of the virtual disk {p.client}:{p.disk} is under way"
    return None


# ---- saving ---------------------------------------------------------------------------
def _file_digest(fd: int) -> tuple[int, str]:
    h = hashlib.sha256()
    size = os.fstat(fd).st_size
    pos = 0
    while pos < size:
        chunk = os.pread(fd, min(1 << 20, size - pos), pos)
        if not chunk:
            break
        h.update(chunk)
        pos += len(chunk)
    return pos, h.hexdigest()


def _path_digest(path: str) -> tuple[int, str]:
    fd = os.open(path, os.O_RDONLY)
    try:
        return _file_digest(fd)
    finally:
        os.close(fd)


def _save_channels(ch) -> dict:
    out = _attrs(ch, _CH_REBUILT, "channels")
    hv = ch.hvctl
    out["hvctl"] = _attrs(hv, {"_send", "on_async"}, "hvctl")
    out["ds"] = {name: {"peer": _attrs(p, _PEER_REBUILT | {"waiting"}, f"ds {name}"),
                        "link": _attrs(p.link, {"_send"}, f"ds {name} link"),
                        "mgr": _attrs(p.mgr, {"link"}, f"ds {name} services")}
                 for name, p in ch.ds.items()}
    vds = _attrs(ch.vds, _VDS_REBUILT, "vds")
    ports = []
    for c, p in ch.vds.ports.items():
        rec = _attrs(p, {"fd", "jobs"}, f"vds port {p.name}")
        rec["channel_key"] = c
        if p.fd is not None:
            path = os.readlink(f"/proc/self/fd/{p.fd}")
            if os.fstat(p.fd).st_nlink == 0:
                raise CheckpointError(f"the virtual disk {p.client}:{p.disk}'s backing "
                                      f"file {path} has been deleted: a restored run "
                                      f"could not open it again")
            size, digest = _file_digest(p.fd)
            rec["backing"] = {"path": path, "size": size, "sha256": digest}
        ports.append(rec)
    vds["ports"] = ports
    out["vds"] = vds
    return out


def save(lm) -> dict:
    """The manager's state (JSON-able), read at a safe point without changing anything;
    CheckpointError (one line) when it is not at one or holds something unsaveable."""
    why = busy(lm)
    if why is not None:
        raise CheckpointError(f"the domain manager is busy ({why}): no checkpoint at "
                              f"this instant")
    special = {"_cfg", "_sp", "_relay_bindings", "_events"}
    state = {"version": VERSION,
             "attrs": _attrs(lm, _REBUILT | special, "state"),
             "config": lm._cfg.to_dict(), "sp": lm._sp.to_dict(),
             "relay_bindings": None if lm._relay_bindings is None
             else lm._relay_bindings.to_dict(),
             "events": {"max": lm._events.maxlen,
                        "v": [encode(e, "event log") for e in lm._events]},
             "vio": None if lm.boot.vio is None else lm.boot.vio.to_dict(),
             "mdarea": {"active": lm.mdarea.active, "pending_set": lm.mdarea.pending_set,
                        "generation": lm.mdarea.generation},
             "drm": {"scale": lm.drm.scale, "acc": encode(lm.drm.acc, "drm")},
             "channels": None if lm.channels is None else _save_channels(lm.channels)}
    extra = set(vars(lm.mdarea)) - {"info", "active", "pending_set", "generation"}
    extra |= set(vars(lm.drm)) - {"scale", "acc"}
    extra |= set(vars(lm.backend)) - {"lm", "hv_timeout"}
    if extra:
        raise CheckpointError(f"the domain manager's state {sorted(extra)[0]!r} cannot be "
                              f"saved in a checkpoint")
    return state


# ---- restoring ------------------------------------------------------------------------
def _restore_channels(lm, st: dict):
    from sun4v.guest.hostif import Relay

    from .constraints import PRIMARY
    relay = Relay(lm._memory(PRIMARY, lm._relay_bindings))
    ch = lm._new_channels(relay)
    hv, ds, vds = st["hvctl"], st["ds"], st["vds"]
    _set_attrs(ch, {k: v for k, v in st.items() if k not in ("hvctl", "ds", "vds")})
    ch.connecting = None
    _set_attrs(ch.hvctl, hv)
    from .channels import DsPeer
    for name, rec in ds.items():
        peer = DsPeer(name, decode(rec["peer"]["channel"]),
                      lambda pkt, c=decode(rec["peer"]["channel"]): ch._queue(c, 0, pkt),
                      ch.log)
        peer.on_late = ch.on_late
        _set_attrs(peer, rec["peer"])
        _set_attrs(peer.link, rec["link"])
        _set_attrs(peer.mgr, rec["mgr"])
        ch.ds[name] = peer
    from .vds import Port
    ports = vds.pop("ports")
    _set_attrs(ch.vds, vds)
    made = []
    try:
        for rec in ports:
            rec = dict(rec)
            key = decode(rec.pop("channel_key"))
            backing = rec.pop("backing", None)
            p = Port(decode(rec["channel"]), decode(rec["name"]), decode(rec["slot"]))
            _set_attrs(p, rec)
            if backing is not None:
                _check_backing(p.client, p.disk, backing)
                try:
                    p.fd = os.open(backing["path"], os.O_RDONLY if p.ro else os.O_RDWR)
                except OSError as e:
                    raise CheckpointError(f"the virtual disk {p.client}:{p.disk}'s backing "
                                          f"file {backing['path']} cannot be opened "
                                          f"({e.strerror})") from None
                made.append(p)
            ch.vds.ports[key] = p
    except BaseException:
        for p in made:
            p.close()
        raise
    return ch


def _check_backing(client, disk, backing):
    path = backing["path"]
    what = f"the virtual disk {client}:{disk}'s backing file {path}"
    try:
        size, digest = _path_digest(path)
    except OSError as e:
        raise CheckpointError(f"{what} cannot be opened ({e.strerror})") from None
    if (size, digest) != (backing["size"], backing["sha256"]):
        raise CheckpointError(
            f"{what} changed since the checkpoint ({backing['size']} bytes then, {size} "
            f"now, different content): put back the file saved with the checkpoint")


def preflight(state: dict, sp_dir: str | None = None) -> None:
    """What would make restore() refuse `state`, checked before anything is made or
    opened: CheckpointError (one line) for a virtual disk backing file missing or
    changed, or a store directory holding other saved configurations; KeyError /
    ValueError / TypeError for a malformed state (every piece is decoded)."""
    from .config import Config
    from .spconfig import SpStore
    if state.get("version") != VERSION:
        raise ValueError(f"manager state version {state.get('version')!r}")
    Config.from_dict(state["config"])
    SpStore.from_dict(state["sp"])
    for v in state["attrs"].values():
        decode(v)
    for v in state["events"]["v"]:
        decode(v)
    decode(state["drm"]["acc"])
    ch = state.get("channels") or {}
    for k, v in ch.items():
        if k == "hvctl":
            [decode(x) for x in v.values()]
        elif k == "ds":
            [decode(x) for peer in v.values() for part in peer.values()
             for x in part.values()]
        elif k == "vds":
            for k2, v2 in v.items():
                if k2 == "ports":
                    [decode(x) for rec in v2 for k3, x in rec.items() if k3 != "backing"]
                else:
                    decode(v2)
        else:
            decode(v)
    for rec in ch.get("vds", {}).get("ports", []):
        if rec.get("backing"):
            _check_backing(decode(rec["client"]), decode(rec["disk"]), rec["backing"])
    if sp_dir is not None:
        from .store import SP_FILE, Store
        st = Store(sp_dir)
        if os.path.exists(st.path(SP_FILE)):
            with st.locked():
                if st.load_sp().to_dict() != SpStore.from_dict(state["sp"]).to_dict():
                    raise CheckpointError(_SP_OTHER.format(sp_dir))


_SP_OTHER = ("--ldmd-state {}: its saved configurations are not the checkpoint's (the "
             "store is left as it is; give an empty directory)")


def restore(system, state: dict, *, log_file=None, on_console=None, sp_dir=None,
            vntsd=False, on_notice=None, on_program=None):
    """A LiveManager serving `system` (a System restored from the same checkpoint) with
    the manager state `state` (save()'s). sp_dir: a store directory (see
    LiveManager): when it holds no saved configurations yet, the checkpoint's are written
    to it; when it holds others than the checkpoint's, CheckpointError (the restored
    run would not go on as the saved one, and the store is not overwritten).
    CheckpointError (one line) for a backing file that cannot be used again; KeyError /
    ValueError / TypeError for a malformed state (the caller names the file)."""
    from .config import Config
    from .drm import Drm
    from .live import LiveManager
    from .spconfig import SpStore
    from .vio import VirtualIO
    if state.get("version") != VERSION:
        raise ValueError(f"manager state version {state.get('version')!r}")
    boot = dataclasses.replace(system.cfg, vio=None if state["vio"] is None
                               else VirtualIO.from_dict(state["vio"]))
    system.cfg = boot
    cfg = Config.from_dict(state["config"])
    system.bindings = cfg.bindings
    lm = LiveManager(boot, system=system, config_db=cfg, on_console=on_console,
                     on_notice=on_notice, on_program=on_program)
    lm._sp = SpStore.from_dict(state["sp"])
    rb = state["relay_bindings"]
    from .bindings import Bindings
    lm._relay_bindings = None if rb is None else Bindings.from_dict(lm._cfg.topology, rb)
    ev = state["events"]
    lm._events = deque((decode(e) for e in ev["v"]), maxlen=ev["max"])
    _set_attrs(lm, state["attrs"])
    ma = state["mdarea"]
    lm.mdarea.active, lm.mdarea.pending_set = ma["active"], ma["pending_set"]
    lm.mdarea.generation = ma["generation"]
    lm.drm = Drm(state["drm"]["scale"], decode(state["drm"]["acc"]))
    lm.channels = None
    if state["channels"] is not None:
        lm.channels = _restore_channels(lm, state["channels"])
    lm._safe_point = True
    try:
        if sp_dir is not None:
            _restore_sp(lm, sp_dir)
        if vntsd:
            from .vntsd import Vntsd, VntsdError
            lm.vntsd = Vntsd()
            errs = lm._vntsd_sync()
            if errs:
                raise VntsdError(errs[0])
            for name, data in lm._consoles.items():     # a new client's recent lines
                lm.vntsd.output(name, bytes(data))
    except BaseException:
        lm.close()
        _close_disks(lm)
        raise
    if log_file:                        # made only once the restore has succeeded
        lm._log = open(log_file, "a", encoding="utf-8")
    return lm


def _close_disks(lm):
    if lm.channels is not None:
        for p in lm.channels.vds.ports.values():
            p.close()


def _restore_sp(lm, directory):
    from .store import SP_FILE, Store
    st = Store(directory)
    try:
        os.makedirs(st.dir, exist_ok=True)
    except OSError as e:
        raise CheckpointError(f"--ldmd-state {directory}: cannot create it "
                              f"({e.strerror})") from None
    with st.locked():
        if not os.path.exists(st.path(SP_FILE)):
            st.save_sp(lm._sp)
        elif st.load_sp().to_dict() != lm._sp.to_dict():
            raise CheckpointError(_SP_OTHER.format(directory))
    lm._sp_store = st
