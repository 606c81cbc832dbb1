"""The domain manager's channels on a running machine: its end of the hypervisor
control channel and of every domain's domain-services channel. On the real machine
ldmd owns these LDC endpoints in the control domain; here the control domain's guest
kernel relays their packets, unchanged, between the endpoints and two rings in its
memory (sun4v/guest/relay.h), so every packet still crosses the firmware hypervisor.
The relay also makes the ldc_copy calls that put the manager's machine descriptions
into the hypervisor's MD area (copy requests).

    ch = Channels(relay, log)       # relay: sun4v.guest.hostif.Relay of primary
    ch.pump()                       # between machine slices: move packets both ways
    ch.hvctl                        # hvctl.Client (connected by ch.pump())
    ch.ds["ldg1"]                   # DsPeer: md_update(), dr_cpu(type, vids)
    ch.copy_out([(pa, blob)])       # Waiters done when the bytes are in the MD area
    ch.close(why)                   # the relay is gone (primary rebooted): all ends

Link life: the relay reports each channel's state (down, up, reset). When the hvctl
channel comes up the manager says hello; when a domain's DS channel comes up (the
domain configured its queues) the manager starts the LDC handshake (it is the service
side, which starts: ldoms_protocols.md §1.2), the domain sends INIT_REQ and registers its
services (ldm/ds.py answers). A reset drops the registrations and everything waiting on
that channel ends with an error; a protocol error from the peer starts the handshake
again. Requests on a DS channel are matched to replies by their request number; a reply
nobody waits for any more (its request timed out) goes to `on_late(domain, service,
payload)`. A reboot of the control domain ends the relay: everything is closed
(`close`) and the manager builds new Channels on the new relay (`epoch`: the relay's
start, Relay.started()).
"""
from __future__ import annotations

import struct
from collections import deque
from typing import Callable

from . import ds as DS
from . import hvctl
from .ldc import Link, LinkError
from .vds import VdsServer

LDC_DOWN, LDC_UP, LDC_RESET = 0, 1, 2
LDC_STATES = {LDC_DOWN: "down", LDC_UP: "up", LDC_RESET: "reset"}
COPY_OUT, COPY_IN = 1, 0
EOK = 0


class Waiter:
    """Something the manager waits for: done with a value or an error (one line)."""

    def __init__(self, what: str):
        self.what = what
        self.value = None
        self.error: str | None = None
        self.done = False

    def finish(self, value=None, error: str | None = None):
        if not self.done:
            self.value, self.error, self.done = value, error, True


class DsPeer:
    """The manager's end of one domain's domain-services channel."""

    def __init__(self, name: str, channel: int, send_packet: Callable[[bytes], None],
                 log: Callable[[str], None]):
        self.name = name
        self.channel = channel
        self.log = log
        self.link = Link(send_packet)
        self.mgr = DS.Manager(self.link)
        self.state = "down"             # down, handshake, up (link up, DS registered)
        self.waiting: dict[tuple[str, int], Waiter] = {}
        self.on_late = None
        self.handshakes = 0

    @property
    def ready(self) -> bool:
        """The domain registered md-update and dr-cpu (its DR agent is there)."""
        return self.link.up and {"md-update", "dr-cpu"} <= self.mgr.registered

    def start(self):
        self.fail_all(f"the domain-services link of {self.name} was reset")
        self.mgr.reset()
        self.state = "handshake"
        self.handshakes += 1
        self.link.start()

    def down(self, why: str):
        self.fail_all(why)
        self.mgr.reset()
        self.link.state = "closed"
        self.state = "down"

    def fail_all(self, why: str):
        for w in self.waiting.values():
            w.finish(error=why)
        self.waiting.clear()

    def receive(self, pkt: bytes):
        try:
            for msg in self.link.receive(pkt):
                self.mgr.receive(msg)
        except (LinkError, DS.DsError) as e:
            self.log(f"ds {self.name}: {e}: handshake again")
            self.start()
            return
        if self.ready and self.state != "up":
            self.state = "up"
        self._replies()

    def _replies(self):
        for service in ("md-update", "dr-cpu", "domain-shutdown", "dr-vio"):
            q = self.mgr.data.get(service)
            while q:
                payload = q.pop(0)
                req = struct.unpack_from(">Q", payload)[0] if len(payload) >= 8 else None
                w = self.waiting.pop((service, req), None)
                if w is not None:
                    w.finish(payload)
                elif self.on_late is not None:
                    self.on_late(self.name, service, payload)

    def _request(self, service: str, send) -> Waiter:
        w = Waiter(f"{service} to {self.name}")
        if not self.ready or service not in self.mgr.registered:
            w.finish(error=f"LDom {self.name} has no {service} service registered "
                           f"(its domain-services agent is not running)")
            return w
        req = send()
        self.waiting[(service, req)] = w
        return w

    def md_update(self) -> Waiter:
        return self._request("md-update", self.mgr.md_update)

    def dr_cpu(self, type_: int, vids) -> Waiter:
        return self._request("dr-cpu", lambda: self.mgr.dr_cpu(type_, list(vids)))

    def dr_vio(self, type_: int, dev_id: int, name: str = "disk") -> Waiter:
        return self._request("dr-vio", lambda: self.mgr.dr_vio(type_, dev_id, name))

    def shutdown(self, ms_delay: int = 0) -> Waiter:
        return self._request("domain-shutdown", lambda: self.mgr.domain_shutdown(ms_delay))

    def forget(self, w: Waiter):
        """Stop waiting for `w` (timed out): its reply, if it comes, is late."""
        for k, v in list(self.waiting.items()):
            if v is w:
                del self.waiting[k]


class Channels:
    """Every channel the manager owns, through the control domain's relay."""

    def __init__(self, relay, log: Callable[[str], None], on_async=None, on_late=None):
        self.relay = relay
        self.epoch = relay.started()
        self.log = log
        self.on_late = on_late
        self.hvctl = hvctl.Client(lambda pkt: self._queue(self.hvctl_channel, 0, pkt),
                                  on_async=on_async)
        self.hvctl_channel: int | None = None
        self.hvctl_state = "down"
        self.connecting: hvctl.Pending | None = None
        self.ds: dict[str, DsPeer] = {}
        self.ports: dict[int, str] = {}         # channel -> relay name
        self.out: deque = deque()              # (channel, resv, packet) not yet on the ring
        self.copies: dict[int, Waiter] = {}
        self._tag = 0
        self.packets_in = self.packets_out = 0
        # the virtual disk server of the relayed "vds:CLIENT:DISK" ports (vds.py);
        # volume_of(client, disk) -> (path, read_only) is the manager's to set
        self.volume_of = lambda client, disk: None
        self.vds = VdsServer(lambda c, pkt: self._queue(c, 0, pkt),
                             lambda c, *a: self._queue(c, 1, a),
                             lambda off, n: self.relay.stage_read(off, n),
                             lambda off, data: self.relay.stage_write(off, data),
                             lambda: self.relay.stage()[1],
                             lambda client, disk: self.volume_of(client, disk), log)

    def close(self, why: str):
        """The relay is gone: every channel ends, everything waiting ends with `why`."""
        self.hvctl.reset(why)
        self.hvctl_state = "down"
        for peer in self.ds.values():
            peer.down(why)
        for w in self.copies.values():
            w.finish(error=why)
        self.copies.clear()
        self.out.clear()

    # --- the relay's ports ------------------------------------------------------------
    def refresh_ports(self):
        """Match the relay's port table: new DS peers for new ports, gone ones dropped."""
        ports = dict(self.relay.ports())
        if ports == self.ports:
            return
        for ch, name in ports.items():
            if name == "hvctl":
                self.hvctl_channel = ch
            elif name.startswith("ds:"):
                dom = name[3:]
                peer = self.ds.get(dom)
                if peer is None or peer.channel != ch:
                    if peer is not None:
                        peer.down(f"the domain-services channel of {dom} moved")
                    peer = DsPeer(dom, ch, lambda pkt, c=ch: self._queue(c, 0, pkt),
                                  self.log)
                    peer.on_late = self.on_late
                    self.ds[dom] = peer
        for dom in [d for d, p in self.ds.items() if ports.get(p.channel) != f"ds:{d}"]:
            self.ds.pop(dom).down(f"the domain-services channel of {dom} is gone")
        for ch, name in ports.items():
            if name.startswith("vds:"):
                self.vds.open(ch, name)
        for ch in [c for c, p in self.vds.ports.items() if ports.get(c) != p.name]:
            self.vds.close(ch)
        self.ports = ports

    # --- moving packets ---------------------------------------------------------------
    def _queue(self, channel, resv, pkt):
        if channel is None:
            raise hvctl.HvctlError("the control domain relays no hvctl channel")
        self.out.append((channel, resv, pkt))
        self._flush()

    def _flush(self):
        while self.out:
            ch, resv, pkt = self.out[0]
            ok = self.relay.copy(ch, *pkt) if resv else self.relay.send(ch, pkt)
            if not ok:
                return
            self.out.popleft()
            self.packets_out += 1

    def pump(self) -> int:
        """Move everything waiting, both ways; returns the number of items received."""
        self._flush()
        items = self.relay.receive()
        for ch, p in items:
            if isinstance(p, tuple) and p[0] == "state":
                self._state(ch, p[1])
            elif isinstance(p, tuple) and p[0] == "copy":
                if self.vds.copy_done(p[3], p[1], p[2]):
                    continue
                w = self.copies.pop(p[3], None)
                if w is not None:
                    st, done = p[1], p[2]
                    if st != EOK:
                        w.finish(error=f"ldc_copy failed (status {st})")
                    else:
                        w.finish(done)
            else:
                self.packets_in += 1
                self._packet(ch, p)
        self._flush()
        return len(items)

    def _state(self, ch, state):
        self.refresh_ports()
        name = self.ports.get(ch, f"channel {ch}")
        words = LDC_STATES.get(state, str(state))
        if ch == self.hvctl_channel:
            self.hvctl_state = words
            if state == LDC_UP:
                self.connecting = self.hvctl.connect()
            else:
                self.hvctl.reset(f"the hvctl channel is {words}")
            return
        if ch in self.vds.ports:
            self.vds.state(ch, state)
            return
        peer = self.ds.get(name[3:]) if name.startswith("ds:") else None
        if peer is None:
            return
        if state == LDC_UP:
            peer.start()
        else:
            peer.down(f"the domain-services channel of {peer.name} is {words}")

    def _packet(self, ch, pkt):
        if ch == self.hvctl_channel:
            try:
                self.hvctl.receive(pkt)
            except hvctl.HvctlError as e:
                self.log(f"hvctl: {e}")
            return
        name = self.ports.get(ch)
        if name is None:
            self.refresh_ports()
            name = self.ports.get(ch)
        if ch in self.vds.ports:
            self.vds.packet(ch, pkt)
            return
        peer = self.ds.get(name[3:]) if name and name.startswith("ds:") else None
        if peer is not None and peer.channel == ch:
            peer.receive(pkt)

    # --- ldc_copy through the relay ----------------------------------------------------
    def copy_out(self, blobs: list[tuple[int, bytes]]) -> list[Waiter]:
        """Copy each (pa, bytes) into the hypervisor's MD area (ldc_copy out on the
        hvctl channel, by the relay): one Waiter per blob, done with the bytes copied.
        The blobs go into the staging buffer one after another (8-byte aligned)."""
        if self.copies:
            raise hvctl.HvctlError("a copy into the MD area is still under way")
        _, size = self.relay.stage()
        off, out = 0, []
        for pa, blob in blobs:
            data = bytes(blob) + bytes((-len(blob)) % 8)
            if off + len(data) > size:
                raise hvctl.HvctlError(f"{len(data)} bytes of machine descriptions do "
                                       f"not fit the relay's staging buffer ({size})")
            self.relay.stage_write(off, data)
            self._tag += 1
            w = Waiter(f"ldc_copy of {len(data)} bytes to {pa:#x}")
            self.copies[self._tag] = w
            self._queue(self.hvctl_channel, 1, (COPY_OUT, pa, off, len(data), self._tag))
            out.append(w)
            off += len(data)
        return out
