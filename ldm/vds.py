"""The virtual disk server (the `vds` driver of the service domain, here served by the
domain manager through the control domain's relay, as ldmd's own channels are:
ldm/channels.py, sun4v/guest/relay.h). Every packet crosses the firmware's LDC between
the client domain and the service domain; the data moves with ldc_copy hypercalls the
relay makes on the server's channel against the map table the client exported.

Link: the responder of an unreliable-mode channel (ldoms_protocols.md §1.2): VERS INFO
-> VERS ACK (1.0); RTS (env 1) -> RTR (env 1, seqid 0); RDX -> up. Then one VIO message
per DATA packet (sun4v/guest/vdc.h has the byte layout; Linux asm/vio.h, illumos
vds.c):

    VER_INFO {major 1, minor, dev_class DISK}   -> ACK {1, min(minor, 1), DISK_SERVER}
                                                   (another major: NACK {1, 1})
    ATTR_INFO {xfer DRING, block size, max}     -> ACK {disk type DISK, media FIXED,
                                                   block size 512, operations BREAD |
                                                   BWRITE | FLUSH, size in blocks, max
                                                   transfer}; NACK when the backend
                                                   cannot be opened or the mode is not
                                                   DRING
    DRING_REG {ring cookie, num, size}          -> ACK {dring_ident}
    RDX                                         -> ACK
    DRING_DATA {seq, ident, start, end}         -> for each descriptor: ldc_copy it in,
                                                   the data in (BWRITE: written to the
                                                   backing file and fsync'ed) or out
                                                   (BREAD), status and DONE copied back
                                                   out, then DRING_DATA/ACK

Write-through: the backing file is written and fsync'ed before the descriptor is
marked DONE and the ACK sent, so a kill after an acknowledged write loses nothing.

    srv = VdsServer(queue_packet, queue_copy, stage_read, stage_write, volume_of, log)
    srv.open(channel, "vds:ldg1:vdisk1", slot)  # a relayed port (slot: its staging area)
    srv.state(channel, state) / srv.packet(channel, pkt) / srv.copy_done(tag, st, n)
"""
from __future__ import annotations

import errno
import os
import struct
from collections import deque
from typing import Callable

CTRL, DATA = 0x01, 0x02
INFO, ACK, NACK = 0x01, 0x02, 0x04
VERS, RTS, RTR, RDX_CTRL = 0x01, 0x02, 0x03, 0x04
START, STOP = 0x40, 0x80
MODE_UNRELIABLE = 1
PAYLOAD = 56

VIO_CTRL, VIO_DATA = 0x01, 0x02
VER_INFO, ATTR_INFO, DRING_REG, DRING_UNREG, RDX = 1, 2, 3, 4, 5
DRING_DATA = 0x42
VDEV_DISK, VDEV_DISK_SERVER = 3, 4
DRING_MODE = 3
DISK_TYPE_DISK = 2
MEDIA_FIXED = 1
OP_BREAD, OP_BWRITE, OP_FLUSH = 1, 2, 3
DESC_READY, DESC_DONE = 2, 4
DP_STOPPED = 2
BLOCK = 512
MAX_XFER = 16                      # blocks (8 KB): the staging area of one request
DESC_MAX = 64 + 16 * 7             # a descriptor with up to 8 cookies
SLOT = 32 * 1024                   # staging bytes per port
STAGE_TOP = 256 * 1024             # the ports' areas: the staging buffer's last 256 KB
COPY_IN, COPY_OUT = 0, 1
TAG_BASE = 1 << 48

TAG_FMT = ">BBHI"


def packet(type_, stype, ctrl=0, env=0, seqid=0, payload=b"") -> bytes:
    p = bytearray(64)
    p[0], p[1], p[2], p[3] = type_, stype, ctrl, env
    struct.pack_into(">I", p, 4, seqid)
    p[8:8 + len(payload)] = payload
    return bytes(p)


class Port:
    """One client's channel: link state, vDisk state, the request in progress."""

    def __init__(self, channel: int, name: str, slot: int):
        self.channel = channel
        self.name = name
        self.client, _, self.disk = name[4:].partition(":")
        self.slot = slot
        self.reset()

    def reset(self):
        self.gen = getattr(self, "gen", 0) + 1      # copies of an older link are dropped
        self.link = "down"          # down, vers, rtr, up
        self.snd_nxt = 0
        self.rcv_nxt = 0
        self.vio = "ver"            # ver, attr, dreg, rdx, ready
        self.sid = 0
        self.minor = 0
        self.fd: int | None = None
        self.size_blocks = 0
        self.ro = False
        self.ring: tuple[int, int, int, int] | None = None  # cookie, size, num, descr
        self.ident = 0
        self.jobs: deque = deque()
        self.busy = False
        self.handshake: list[tuple[str, bytes]] = []    # (direction, VIO message)
        self.writes = 0
        self.reads = 0

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class VdsServer:
    def __init__(self, send: Callable[[int, bytes], None],
                 copy: Callable[[int, int, int, int, int, int], None],
                 stage_read: Callable[[int, int], bytes],
                 stage_write: Callable[[int, bytes], None],
                 stage_size: Callable[[], int],
                 volume_of: Callable[[str, str], object],
                 log: Callable[[str], None]):
        """send(channel, packet); copy(channel, dir, cookie, offset, length, tag):
        an ldc_copy by the relay whose answer comes to copy_done(tag, status, bytes);
        volume_of(client, disk) -> (path, read_only) or None."""
        self._send, self._copy = send, copy
        self._sread, self._swrite, self._ssize = stage_read, stage_write, stage_size
        self.volume_of = volume_of
        self.log = log
        self.ports: dict[int, Port] = {}
        self._tag = 0
        self._waiting: dict[int, tuple] = {}       # tag -> (port, its gen, then)

    # --- ports ------------------------------------------------------------------------
    def open(self, channel: int, name: str):
        p = self.ports.get(channel)
        if p is not None and p.name == name:
            return p
        if p is not None:
            p.close()
        used = {q.slot for q in self.ports.values()}
        slot = next(i for i in range(len(used) + 1) if i not in used)
        p = Port(channel, name, slot)
        self.ports[channel] = p
        return p

    def close(self, channel: int):
        p = self.ports.pop(channel, None)
        if p is not None:
            p.close()

    def state(self, channel: int, state: int):
        p = self.ports.get(channel)
        if p is not None and state != 1:
            p.close()
            p.reset()

    # --- the link ---------------------------------------------------------------------
    def packet(self, channel: int, pkt: bytes):
        p = self.ports.get(channel)
        if p is None:
            return
        t, st, ctrl, env = pkt[0], pkt[1], pkt[2] & 0x0F, pkt[3]
        seqid = struct.unpack_from(">I", pkt, 4)[0]
        if t == CTRL:
            if ctrl == VERS and st == INFO:
                major, minor = struct.unpack_from(">HH", pkt, 8)
                p.close()
                p.reset()
                if major == 1:
                    self._send(channel, packet(CTRL, ACK, VERS, 0, 0, struct.pack(">HH", 1, 0)))
                    p.link = "vers"
                else:
                    self._send(channel, packet(CTRL, NACK, VERS, 0, 0, struct.pack(">HH", 1, 0)))
            elif ctrl == RTS and st == INFO and p.link == "vers" and env == MODE_UNRELIABLE:
                p.snd_nxt = p.rcv_nxt = seqid
                self._send(channel, packet(CTRL, INFO, RTR, MODE_UNRELIABLE, 0))
                p.link = "rtr"
            elif ctrl == RDX_CTRL and st == INFO and p.link == "rtr" and seqid == p.rcv_nxt + 1:
                p.rcv_nxt = seqid
                p.link = "up"
            return
        if t != DATA or st != INFO or p.link != "up":
            return
        n = env & 0x3F
        if (env & (START | STOP)) != (START | STOP) or n > PAYLOAD:
            return
        p.rcv_nxt = seqid
        self._vio(p, pkt[8:8 + n])

    def _msg(self, p: Port, msg: bytes):
        p.snd_nxt += 1
        self._send(p.channel, packet(DATA, INFO, 0, len(msg) | START | STOP, p.snd_nxt, msg))

    def _reply(self, p: Port, req: bytes, stype: int, body: bytes):
        """The request's tag with `stype`, then `body` (the message's bytes after it)."""
        t, _, env, sid = struct.unpack_from(TAG_FMT, req)
        msg = struct.pack(TAG_FMT, t, stype, env, sid) + body
        if t == VIO_CTRL:
            p.handshake.append(("out", msg))
        self._msg(p, msg)

    # --- VIO --------------------------------------------------------------------------
    def _vio(self, p: Port, m: bytes):
        if len(m) < 8:
            return
        t, st, env, sid = struct.unpack_from(TAG_FMT, m)
        if t == VIO_CTRL and st == INFO:
            p.handshake.append(("in", bytes(m)))
            p.sid = sid
            {VER_INFO: self._ver, ATTR_INFO: self._attr, DRING_REG: self._dreg,
             RDX: self._rdx}.get(env, lambda p, m: None)(p, m)
        elif t == VIO_DATA and st == INFO and env == DRING_DATA and p.vio == "ready":
            seq, ident, start, end = struct.unpack_from(">QQII", m, 8)
            p.jobs.append((m, ident, start, end))
            self._next(p)

    def _ver(self, p: Port, m: bytes):
        major, minor, dev_class = struct.unpack_from(">HHB", m, 8)
        if major != 1 or dev_class != VDEV_DISK:
            self._reply(p, m, NACK, struct.pack(">HHB", 1, 1, VDEV_DISK_SERVER).ljust(48, b"\0"))
            return
        p.minor = min(minor, 1)
        p.vio = "attr"
        self._reply(p, m, ACK, struct.pack(">HHB", 1, p.minor, VDEV_DISK_SERVER).ljust(48, b"\0"))

    def _attr(self, p: Port, m: bytes):
        if p.vio != "attr":
            return
        xfer, _, _, _, bsize, _, _, maxx = struct.unpack_from(">BBBBIQQQ", m, 8)
        vol = self.volume_of(p.client, p.disk)
        why = None
        if xfer != DRING_MODE:
            why = f"transfer mode {xfer} (only descriptor rings)"
        elif (p.slot + 1) * SLOT > STAGE_TOP:
            why = f"more than {STAGE_TOP // SLOT} disks served at once"
        elif vol is None:
            why = "no volume"
        else:
            path, ro = vol
            try:
                fd = os.open(path, os.O_RDONLY if ro else os.O_RDWR)
                size = os.fstat(fd).st_size
            except OSError as e:
                why = f"{path}: {e.strerror}"
            else:
                p.fd, p.ro, p.size_blocks = fd, ro, size // BLOCK
        if why:
            self.log(f"vds {p.client}:{p.disk}: attributes refused: {why}")
            self._reply(p, m, NACK, m[8:])
            return
        ops = (1 << OP_BREAD) | (1 << OP_FLUSH) | (0 if p.ro else 1 << OP_BWRITE)
        p.max_xfer = min(maxx or MAX_XFER, MAX_XFER)
        body = struct.pack(">BBBBIQQQIIQ", DRING_MODE, DISK_TYPE_DISK,
                           MEDIA_FIXED if p.minor >= 1 else 0, 0, BLOCK, ops,
                           p.size_blocks, p.max_xfer, BLOCK, 0, 0)
        p.vio = "dreg"
        self._reply(p, m, ACK, body)

    def _dreg(self, p: Port, m: bytes):
        if p.vio != "dreg":
            return
        _, num, dsize, _opts, _, ncookies = struct.unpack_from(">QIIHHI", m, 8)
        if ncookies < 1 or len(m) < 48 or num == 0 or not 64 <= dsize <= DESC_MAX \
                or dsize % 8:
            self._reply(p, m, NACK, m[8:])
            return
        caddr, csize = struct.unpack_from(">QQ", m, 32)
        if csize < num * dsize:
            self._reply(p, m, NACK, m[8:])
            return
        p.ident += 1
        p.ring = (caddr, csize, num, dsize)
        p.vio = "rdx"
        self._reply(p, m, ACK, struct.pack(">Q", p.ident) + m[16:])

    def _rdx(self, p: Port, m: bytes):
        if p.vio != "rdx":
            return
        p.vio = "ready"
        self._reply(p, m, ACK, bytes(48))
        self.log(f"vds {p.client}:{p.disk}: ready ({p.size_blocks} blocks)")

    # --- descriptors --------------------------------------------------------------------
    def _area(self, p: Port) -> int:
        return self._ssize() - STAGE_TOP + p.slot * SLOT

    def _do_copy(self, p: Port, direction, cookie, off, length, then):
        self._tag += 1
        tag = TAG_BASE + self._tag
        self._waiting[tag] = (p, p.gen, then)
        self._copy(p.channel, direction, cookie, off, length, tag)

    def copy_done(self, tag: int, status: int, done: int) -> bool:
        """An ldc_copy answer; False when the tag is not the server's."""
        w = self._waiting.pop(tag, None)
        if w is None:
            return False
        p, gen, then = w
        if self.ports.get(p.channel) is p and p.gen == gen:
            then(status, done)
        return True

    def _next(self, p: Port):
        if p.busy or not p.jobs:
            return
        m, ident, start, end = p.jobs[0]
        p.busy = True
        cookie, _, num, dsize = p.ring
        if ident != p.ident or start >= num or end >= num:
            self._finish(p, NACK)
            return
        self._desc(p, start)

    def _desc(self, p: Port, idx: int):
        cookie, _, num, dsize = p.ring
        area = self._area(p)
        self._do_copy(p, COPY_IN, cookie + idx * dsize, area, dsize,
                      lambda st, n: self._got_desc(p, idx, st))

    def _got_desc(self, p: Port, idx: int, st: int):
        if st != 0:
            self.log(f"vds {p.client}:{p.disk}: ldc_copy of descriptor {idx} failed "
                     f"(status {st})")
            self._finish(p, NACK)
            return
        area = self._area(p)
        _, _, _, dsize = p.ring
        d = bytearray(self._sread(area, dsize))
        state = d[0]
        op = d[16]
        offset, size, ncookies = struct.unpack_from(">QQI", d, 24)
        if state != DESC_READY:
            self._desc_done(p, idx, d, errno.EINVAL)
            return
        cookies = [struct.unpack_from(">QQ", d, 48 + 16 * i)
                   for i in range(min(ncookies, (dsize - 48) // 16))]
        if op == OP_FLUSH:
            try:
                os.fsync(p.fd)
                self._desc_done(p, idx, d, 0)
            except OSError as e:
                self._desc_done(p, idx, d, e.errno or errno.EIO)
            return
        if op not in (OP_BREAD, OP_BWRITE) or size % BLOCK or size == 0 or \
                size > p.max_xfer * BLOCK or offset + size // BLOCK > p.size_blocks or \
                len(cookies) != 1 or cookies[0][1] < size:
            self._desc_done(p, idx, d, errno.EINVAL)
            return
        if op == OP_BWRITE and p.ro:
            self._desc_done(p, idx, d, errno.EROFS)
            return
        data_off = area + DESC_MAX + (8 - DESC_MAX % 8) % 8
        cookie = cookies[0][0]
        if op == OP_BREAD:
            try:
                data = os.pread(p.fd, size, offset * BLOCK)
            except OSError as e:
                self._desc_done(p, idx, d, e.errno or errno.EIO)
                return
            self._swrite(data_off, data.ljust(size, b"\0"))
            p.reads += 1
            self._do_copy(p, COPY_OUT, cookie, data_off, size,
                          lambda st, n: self._desc_done(p, idx, d, 0 if st == 0 else errno.EIO))
            return

        def written(st, n):
            if st != 0:
                self._desc_done(p, idx, d, errno.EIO)
                return
            try:
                data = self._sread(data_off, size)
                os.pwrite(p.fd, data, offset * BLOCK)
                os.fsync(p.fd)                  # write-through: on disk before the ACK
            except OSError as e:
                self._desc_done(p, idx, d, e.errno or errno.EIO)
                return
            p.writes += 1
            self._desc_done(p, idx, d, 0)
        self._do_copy(p, COPY_IN, cookie, data_off, size, written)

    def _desc_done(self, p: Port, idx: int, d: bytearray, status: int):
        struct.pack_into(">I", d, 20, status)
        d[0] = DESC_DONE
        cookie, _, num, dsize = p.ring
        area = self._area(p)
        self._swrite(area, bytes(d))
        _, _, start, end = p.jobs[0]

        def after(st, n):
            if st != 0:
                self._finish(p, NACK)
            elif idx != end:
                self._desc(p, (idx + 1) % num)
            else:
                self._finish(p, ACK)
        self._do_copy(p, COPY_OUT, cookie + idx * dsize, area, dsize, after)

    def _finish(self, p: Port, stype: int):
        m, ident, start, end = p.jobs.popleft()
        body = bytearray(m[8:])
        body[24] = DP_STOPPED           # state
        self._reply(p, m, stype, bytes(body))
        p.busy = False
        self._next(p)
