"""Domain Services as the domain manager speaks it, over an ldm.ldc.Link to one domain:
the answers to the guest's handshake and registrations, and the requests of the
services the guest provides (md-update, dr-cpu, domain-shutdown).

Facts: reference/ldoms_protocols.md §1.3 (DS 1.0, FWARC 2006/055; dr-cpu, FWARC
2008/623; Linux ds.c, illumos ds_common.c and dr_cpu.c). Every message: {u32 type,
u32 len} (len: bytes after these 8), big-endian:
    INIT_REQ 0 {u16 major, u16 minor}      -> INIT_ACK 1 {u16 minor}
    REG_REQ 3 {u64 handle, u16 major, u16 minor, char name[]}
                                           -> REG_ACK 4 {u64 handle, u16 minor}
                                              or REG_NACK 5 {u64 handle, u64 result,
                                              u16 major}
    DATA 9 {u64 handle, payload}           NACK 10 {u64 handle, u64 result}
dr-cpu request {u64 req_num, u32 type, u32 n} + n u32 ids; reply {u64 req_num, u32 type,
u32 n} + n {u32 cpu, result, status, string_offset} + strings (offset from the start of
the reply, 0 = none).
"""
from __future__ import annotations

import struct
from typing import NamedTuple

INIT_REQ, INIT_ACK, INIT_NACK = 0, 1, 2
REG_REQ, REG_ACK, REG_NACK = 3, 4, 5
UNREG_REQ, UNREG_ACK, UNREG_NACK = 6, 7, 8
DATA, NACK = 9, 10
OK, REG_VER_NACK, REG_DUP, INV_HDL, TYPE_UNKNOWN = 0, 1, 2, 3, 4

DR_CONFIGURE, DR_UNCONFIGURE, DR_FORCE_UNCONFIG, DR_STATUS = 0x43, 0x55, 0x46, 0x53
DR_OK, DR_ERROR = 0x6F, 0x65
DR_RESULTS = {0: "ok", 1: "failure", 2: "blocked", 3: "not responding", 4: "not in MD"}
DR_STATUSES = {0: "not present", 1: "unconfigured", 2: "configured"}

# the services the manager accepts and the highest version of each it speaks
SERVICES = {"md-update": (1, 0), "dr-cpu": (1, 1), "domain-shutdown": (1, 0),
            "domain-panic": (1, 0), "dr-vio": (1, 0)}


class DsError(Exception):
    """The guest broke the DS protocol (one line)."""


class DrRecord(NamedTuple):
    cpu: int
    result: int
    status: int
    string: str

    @property
    def result_name(self):
        return DR_RESULTS.get(self.result, str(self.result))

    @property
    def status_name(self):
        return DR_STATUSES.get(self.status, str(self.status))


class DrReply(NamedTuple):
    req_num: int
    type: int
    records: tuple


def message(type_: int, body: bytes) -> bytes:
    return struct.pack(">II", type_, len(body)) + body


def dr_cpu_request(req_num: int, type_: int, cpus) -> bytes:
    cpus = list(cpus)
    return struct.pack(">QII", req_num, type_, len(cpus)) + \
        b"".join(struct.pack(">I", c) for c in cpus)


def parse_dr_cpu_reply(payload: bytes) -> DrReply:
    if len(payload) < 16:
        raise DsError(f"dr-cpu reply of {len(payload)} bytes")
    req, type_, n = struct.unpack(">QII", payload[:16])
    if len(payload) < 16 + 16 * n:
        raise DsError(f"dr-cpu reply with {n} records in {len(payload)} bytes")
    recs = []
    for i in range(n):
        cpu, result, status, off = struct.unpack(">IIII", payload[16 + 16 * i:32 + 16 * i])
        s = ""
        if off:
            if off >= len(payload):
                raise DsError(f"dr-cpu string offset {off} beyond the reply")
            end = payload.find(b"\0", off)
            if end < 0:
                raise DsError("dr-cpu string without its NUL")
            s = payload[off:end].decode("latin-1")
        recs.append(DrRecord(cpu, result, status, s))
    return DrReply(req, type_, tuple(recs))


# dr-vio (illumos sun4v/sys/dr_io.h, "VIO DR Control Protocol"): request {u64 req_num,
# u64 dev_id, u32 msg_type, char name[]}; response {u64 req_num, u32 result, u32 status,
# char reason[]}
DR_VIO_CONFIGURE, DR_VIO_UNCONFIGURE = 0x494F43, 0x494F55
DR_VIO_FORCE_UNCONFIG, DR_VIO_STATUS = 0x494F46, 0x494F53
DR_VIO_RESULTS = {0: "ok", 1: "failure", 2: "blocked", 3: "not in MD"}
DR_VIO_STATUSES = {0: "not present", 1: "unconfigured", 2: "configured"}


class DrVioReply(NamedTuple):
    req_num: int
    result: int
    status: int
    reason: str


def dr_vio_request(req_num: int, type_: int, dev_id: int, name: str) -> bytes:
    return struct.pack(">QQI", req_num, dev_id, type_) + name.encode() + b"\0"


def parse_dr_vio_reply(payload: bytes) -> DrVioReply:
    if len(payload) < 16:
        raise DsError(f"dr-vio reply of {len(payload)} bytes")
    req, result, status = struct.unpack(">QII", payload[:16])
    reason = payload[16:].split(b"\0")[0].decode("latin-1")
    return DrVioReply(req, result, status, reason)


class Manager:
    """The manager's end of one domain's Domain Services. Feed it the messages the
    link completes (`receive`); it answers the handshake and registrations itself and
    keeps each service's DATA payloads in `data[name]`."""

    def __init__(self, link):
        self.link = link
        self.version = None
        self.handles: dict[str, int] = {}           # service -> handle
        self.versions: dict[str, tuple] = {}
        self.data: dict[str, list[bytes]] = {}
        self.nacks: list[tuple[int, int]] = []
        self.log: list[tuple[str, int, bytes]] = []  # ("in"|"out", type, body)
        self._stream = b""
        self._req = 0

    def _send(self, type_, body):
        self.log.append(("out", type_, body))
        self.link.write(message(type_, body))

    def reset(self):
        self.version = None
        self.handles.clear()
        self._stream = b""

    def receive(self, msg: bytes):
        self._stream += msg
        while len(self._stream) >= 8:
            type_, n = struct.unpack(">II", self._stream[:8])
            if len(self._stream) < 8 + n:
                return
            body, self._stream = self._stream[8:8 + n], self._stream[8 + n:]
            self.log.append(("in", type_, body))
            self._message(type_, body)

    def _message(self, type_, body):
        if type_ == INIT_REQ:
            major, minor = struct.unpack(">HH", body[:4])
            if major != 1:
                self._send(INIT_NACK, struct.pack(">H", 1))
                return
            self.version = (1, min(minor, 0))
            self._send(INIT_ACK, struct.pack(">H", self.version[1]))
        elif type_ == REG_REQ:
            handle, major, minor = struct.unpack(">QHH", body[:12])
            name = body[12:].split(b"\0")[0].decode("latin-1")
            have = SERVICES.get(name)
            if have is None or major != have[0]:
                self._send(REG_NACK, struct.pack(">QQH", handle, REG_VER_NACK,
                                                 have[0] if have else 0))
                return
            self.handles[name] = handle
            self.versions[name] = (major, min(minor, have[1]))
            self.data.setdefault(name, [])
            self._send(REG_ACK, struct.pack(">QH", handle, min(minor, have[1])))
        elif type_ == DATA:
            handle, = struct.unpack(">Q", body[:8])
            for name, h in self.handles.items():
                if h == handle:
                    self.data[name].append(body[8:])
                    return
            self._send(NACK, struct.pack(">QQ", handle, INV_HDL))
        elif type_ == NACK:
            self.nacks.append(struct.unpack(">QQ", body[:16]))
        elif type_ in (INIT_ACK, INIT_NACK, REG_ACK, REG_NACK, UNREG_REQ, UNREG_ACK,
                       UNREG_NACK):
            return
        else:
            raise DsError(f"DS message of unknown type {type_}")

    @property
    def registered(self):
        return set(self.handles)

    def next_req(self):
        self._req += 1
        return self._req

    def send_data(self, service: str, payload: bytes):
        if service not in self.handles:
            raise DsError(f"the guest has not registered {service}")
        self._send(DATA, struct.pack(">Q", self.handles[service]) + payload)

    def md_update(self) -> int:
        req = self.next_req()
        self.send_data("md-update", struct.pack(">Q", req))
        return req

    def dr_cpu(self, type_: int, cpus) -> int:
        req = self.next_req()
        self.send_data("dr-cpu", dr_cpu_request(req, type_, cpus))
        return req

    def dr_vio(self, type_: int, dev_id: int, name: str) -> int:
        req = self.next_req()
        self.send_data("dr-vio", dr_vio_request(req, type_, dev_id, name))
        return req

    def domain_shutdown(self, ms_delay: int = 0) -> int:
        req = self.next_req()
        self.send_data("domain-shutdown", struct.pack(">QI", req, ms_delay))
        return req
