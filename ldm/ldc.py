"""The LDC link layer as the domain manager speaks it: the active end of a reliable-mode
(stream) channel, whose packets travel through the control domain's relay
(sun4v/guest/relay.h) to a guest's domain-services endpoint.

Facts: reference/ldoms_protocols.md §1.2 (the byte layout both OSes use, the handshake,
data, acknowledgements), Linux arch/sparc/kernel/ldc.c. A packet is 64 bytes, big-endian:
[0] type (CTRL 1, DATA 2, ERR 0x10), [1] stype (INFO 1, ACK 2, NACK 4), [2] ctrl (VERS 1,
RTS 2, RTR 3, RDX 4), [3] env (data: length 5:0, START 0x40, STOP 0x80; RTS/RTR: the
mode), [4..7] seqid, [12..15] ackid, [16..63] data; VERS carries {u16 major, u16 minor}
at [8..11].

Handshake, this end starting it (the service side starts, as ldmd does):
    -> CTRL/INFO/VERS 1.0 (seqid 0)       <- CTRL/ACK/VERS 1.x
    -> CTRL/INFO/RTS env=3 seqid 0          <- CTRL/INFO/RTR env=3 seqid S
    -> CTRL/INFO/RDX seqid S+1, ackid 0     (up)
Then every packet takes the next seqid; a message is START..STOP; its receiver answers
DATA/ACK (ackid = the last seqid received). A packet out of sequence, a NACK or an ERR
is a LinkError here (the tests want to see it), where a real endpoint would reset.
"""
from __future__ import annotations

import struct
from typing import Callable, NamedTuple

PACKET = 64
CTRL, DATA, ERR = 0x01, 0x02, 0x10
INFO, ACK, NACK = 0x01, 0x02, 0x04
VERS, RTS, RTR, RDX = 0x01, 0x02, 0x03, 0x04
START, STOP = 0x40, 0x80
LEN_MASK = 0x3F
MODE_RAW, MODE_UNRELIABLE, MODE_RELIABLE = 0, 1, 3
PAYLOAD = 48
VERSION = (1, 0)


class LinkError(Exception):
    """The peer broke the link protocol (one line saying how)."""


class Packet(NamedTuple):
    type: int
    stype: int
    ctrl: int
    env: int
    seqid: int
    ackid: int
    data: bytes         # bytes 16..63 (reliable data)
    raw: bytes          # the 64 bytes

    @property
    def version(self):
        return struct.unpack(">HH", self.raw[8:12])


def make(type_, stype, ctrl=0, env=0, seqid=0, ackid=0, data=b"", vers=None) -> bytes:
    """One 64-byte packet."""
    p = bytearray(PACKET)
    p[0], p[1], p[2], p[3] = type_, stype, ctrl, env
    struct.pack_into(">I", p, 4, seqid & 0xFFFFFFFF)
    if vers is not None:
        struct.pack_into(">HH", p, 8, *vers)
    else:
        struct.pack_into(">I", p, 12, ackid & 0xFFFFFFFF)
        p[16:16 + len(data)] = data
    return bytes(p)


def parse(raw: bytes) -> Packet:
    if len(raw) != PACKET:
        raise LinkError(f"an LDC packet is {PACKET} bytes, not {len(raw)}")
    seqid, = struct.unpack(">I", raw[4:8])
    ackid, = struct.unpack(">I", raw[12:16])
    return Packet(raw[0], raw[1], raw[2], raw[3], seqid, ackid, raw[16:], bytes(raw))


class Link:
    """The active end of one reliable-mode channel. `send_packet(bytes)` puts a packet
    on the wire; feed every packet from the peer to `receive`, which returns the
    messages it completed. `log` keeps every packet both ways: ("out"|"in", bytes)."""

    def __init__(self, send_packet: Callable[[bytes], None], mode: int = MODE_RELIABLE):
        self._send = send_packet
        self.mode = mode
        self.state = "closed"
        self.snd_nxt = 0
        self.rcv_nxt = 0
        self.version = None
        self.acked = 0                  # the highest seqid the peer acknowledged
        self._msg = None
        self.log: list[tuple[str, bytes]] = []

    def _out(self, pkt: bytes):
        self.log.append(("out", pkt))
        self._send(pkt)

    def start(self):
        """(Re)start the handshake."""
        self.state = "vers"
        self.snd_nxt = self.rcv_nxt = 0
        self._msg = None
        self._out(make(CTRL, INFO, VERS, vers=VERSION))

    @property
    def up(self):
        return self.state == "up"

    def receive(self, raw: bytes) -> list[bytes]:
        self.log.append(("in", bytes(raw)))
        p = parse(raw)
        if self.state == "vers":
            if p.type != CTRL or p.ctrl != VERS:
                raise LinkError(f"expected a VERS answer, got type {p.type:#x} "
                                f"ctrl {p.ctrl:#x}")
            if p.stype != ACK:
                raise LinkError(f"the peer refused LDC {VERSION[0]}.{VERSION[1]} "
                                f"(offers {p.version[0]}.{p.version[1]})")
            if p.version[0] != VERSION[0]:
                raise LinkError(f"VERS ACK for major {p.version[0]}")
            self.version = p.version
            self.rcv_nxt = 0
            self.state = "rts"
            self._out(make(CTRL, INFO, RTS, env=self.mode, seqid=0))
            return []
        if self.state == "rts":
            if p.type != CTRL or p.ctrl != RTR or p.stype != INFO or p.env != self.mode:
                raise LinkError(f"expected RTR (mode {self.mode}), got type {p.type:#x} "
                                f"stype {p.stype:#x} ctrl {p.ctrl:#x} env {p.env:#x}")
            self.snd_nxt = p.seqid
            self.snd_nxt += 1
            self._out(make(CTRL, INFO, RDX, seqid=self.snd_nxt, ackid=self.rcv_nxt))
            self.state = "up"
            return []
        if self.state != "up":
            raise LinkError(f"a packet while the link is {self.state}")
        if p.seqid != self.rcv_nxt + 1:
            raise LinkError(f"packet out of sequence: seqid {p.seqid}, expected "
                            f"{self.rcv_nxt + 1}")
        self.rcv_nxt = p.seqid
        if p.type != DATA:
            raise LinkError(f"type {p.type:#x} (stype {p.stype:#x} ctrl {p.ctrl:#x}) on "
                            f"an up link")
        if p.stype & NACK:
            raise LinkError(f"the peer refused a packet (NACK, ackid {p.ackid})")
        if p.stype & ACK:
            if p.ackid > self.snd_nxt:
                raise LinkError(f"ACK of seqid {p.ackid}, never sent")
            self.acked = max(self.acked, p.ackid)
        if not p.stype & INFO:
            return []
        n = p.env & LEN_MASK
        if n > PAYLOAD:
            raise LinkError(f"data length {n} > {PAYLOAD}")
        if p.env & START:
            self._msg = bytearray()
        elif self._msg is None:
            raise LinkError("a fragment without START")
        self._msg += p.data[:n]
        if not p.env & STOP:
            return []
        msg, self._msg = bytes(self._msg), None
        self.snd_nxt += 1
        self._out(make(DATA, ACK, seqid=self.snd_nxt, ackid=self.rcv_nxt))
        return [msg]

    def write(self, msg: bytes):
        """One message: 48-byte pieces, START on the first, STOP on the last."""
        if not self.up:
            raise LinkError("the link is not up")
        if not msg:
            raise LinkError("an empty message")
        for i in range(0, len(msg), PAYLOAD):
            piece = msg[i:i + PAYLOAD]
            env = len(piece) | (START if i == 0 else 0) | \
                (STOP if i + PAYLOAD >= len(msg) else 0)
            self.snd_nxt += 1
            self._out(make(DATA, INFO, env=env, seqid=self.snd_nxt, ackid=self.rcv_nxt,
                           data=piece))
