"""The hypervisor control protocol (hvctl) as the domain manager speaks it: messages,
and the manager's end of the control channel (handshake, sequence numbers, replies
matched to requests, the hypervisor's asynchronous state messages).

Facts: reference/ldoms_protocols.md §1.4 and sun4v.md §6 (Sun's hypervisor hvctl.h,
hvcontrol.c); the numbers and the message layout are those of the firmware's own header
sun4v/hypervisor_fw/include/sun4v/hvctl.h, read from it here (one definition for both
ends). One raw 64-byte LDC packet per message, big-endian:

    header  {u16 op, u16 seqn, u16 chksum (not checked), u16 status}        bytes 0..7
    hello   {u16 major, u16 minor}                                          8..11
    challenge / response {u64 code, u16 major, u16 minor}                   8..19
    hvconfig {u64 hv_membase, hv_memsize, hvmdp, del_reconf_hvmdp,
              u32 del_reconf_gid}                                           8..43
    reconfig {u64 hvmdp, u32 guestid}                                       8..19
    rc_fail  {u64 hvmdp, u32 res, u32 code, u32 nodeidx, u32 resid}          8..31
    guest_op {u32 guestid, u32 code}                                        8..15
    res_stat {u32 res, resid, infoid, code, u8 data[40]}                    8..63
      guest state {u64 state}; guest utilisation {u64 lifespan, wallclock_delta,
      active_delta, stopped_cycles, yielded_cycles}; vCPU state {u8 state; u64
      lifespan, wallclock_delta, active_delta, yielded_cycles} (%stick ticks)

Handshake: hello {1, 1} with seqn S -> challenge {code = HV_CHALLENGE_K ^ r}; response
{code ^ HV_CHALLENGE_K ^ ZEUS_CHALLENGE_K} with seqn S+1 -> ok. Every later command
carries the next seqn; the hypervisor answers each command once, in order, with its own
seqn, and sends new_res_stat {guest, state} by itself when a guest stops or starts.
"""
from __future__ import annotations

import os
import re
import struct
from collections import deque
from dataclasses import dataclass
from typing import Callable

PACKET = 64
HEADER_FILE = os.path.join(os.path.dirname(__file__), "..", "sun4v", "hypervisor_fw",
                           "include", "sun4v", "hvctl.h")


def _constants(path: str) -> dict[str, int]:
    """`#define NAME number` lines of a C header (numbers with an optional U/UL)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)[uUlL]*\b", line)
            if m:
                out[m.group(1)] = int(m.group(2), 0)
    return out


C = _constants(HEADER_FILE)


def _names(prefix: str) -> dict[int, str]:
    return {v: k[len(prefix):].lower() for k, v in C.items() if k.startswith(prefix)}


OP = {k[len("HVCTL_OP_"):].lower(): v for k, v in C.items() if k.startswith("HVCTL_OP_")}
OP_NAMES = _names("HVCTL_OP_")
STATUS_NAMES = _names("HVCTL_ST_")
RES_NAMES = _names("HVCTL_RES_")
ERROR_NAMES = {v: k[len("HVCTL_E_"):].lower() for k, v in C.items()
               if k.startswith("HVCTL_E_")}
GUEST_STATES = {C["GUEST_STATE_STOPPED"]: "stopped", C["GUEST_STATE_RESETTING"]: "resetting",
                C["GUEST_STATE_NORMAL"]: "normal", C["GUEST_STATE_SUSPENDED"]: "suspended",
                C["GUEST_STATE_EXITING"]: "exiting",
                C["GUEST_STATE_UNCONFIGURED"]: "unconfigured"}
# vCPU states of the hypervisor (sun4v/boot/hvstate.py CPU_STATES; the firmware's hv.h)
VCPU_STATES = {0: "invalid", 1: "stopped", 2: "running", 3: "error", 4: "suspended",
               5: "unconfigured", 6: "stopping", 7: "starting"}
ST_OK = C["HVCTL_ST_OK"]
ST_BADMD = C["HVCTL_ST_BADMD"]
INVALID_GID = C["HVCTL_INVALID_GID"]
MDAREA_BASE = C["HV_MDAREA_BASE"]
MDAREA_SIZE = C["HV_MDAREA_SIZE"]
VERSION = (C["HVCTL_VERSION_MAJOR"], C["HVCTL_VERSION_MINOR"])


class HvctlError(Exception):
    """A command the hypervisor refused or the link lost (one line)."""

    def __init__(self, line: str, reply: "Message | None" = None):
        super().__init__(line)
        self.reply = reply


@dataclass(frozen=True)
class Message:
    op: int
    seqn: int
    status: int
    body: bytes                         # bytes 8..63

    @property
    def op_name(self) -> str:
        return OP_NAMES.get(self.op, f"op {self.op}")

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, f"status {self.status}")

    def u64(self, off: int) -> int:
        return struct.unpack_from(">Q", self.body, off - 8)[0]

    def u32(self, off: int) -> int:
        return struct.unpack_from(">I", self.body, off - 8)[0]

    # --- payloads ------------------------------------------------------------------
    def challenge_code(self) -> int:
        return self.u64(8)

    def hvconfig(self) -> dict:
        return dict(hv_membase=self.u64(8), hv_memsize=self.u64(16), hvmdp=self.u64(24),
                    del_reconf_hvmdp=self.u64(32), del_reconf_gid=self.u32(40))

    def rc_fail(self) -> dict:
        return dict(hvmdp=self.u64(8), res=self.u32(16), code=self.u32(20),
                    nodeidx=self.u32(24), resid=self.u32(28))

    def guest_op(self) -> dict:
        return dict(guestid=self.u32(8), code=self.u32(12))

    def res_stat(self) -> dict:
        """{res, resid, infoid, code, data}: data parsed for guest state,
        utilisation and vCPU state (the raw 40 bytes otherwise)."""
        res, resid, infoid, code = (self.u32(o) for o in (8, 12, 16, 20))
        data = self.body[16:56]
        out = dict(res=res, resid=resid, infoid=infoid, code=code)
        if res == C["HVCTL_RES_GUEST"] and infoid == C["HVCTL_INFO_GUEST_STATE"]:
            st = struct.unpack_from(">Q", data)[0]
            out["state"] = GUEST_STATES.get(st, f"state {st}")
        elif res == C["HVCTL_RES_GUEST"] and infoid == C["HVCTL_INFO_GUEST_UTILISATION"]:
            out.update(zip(("lifespan", "wallclock_delta", "active_delta",
                            "stopped_cycles", "yielded_cycles"),
                           struct.unpack_from(">5Q", data)))
        elif res == C["HVCTL_RES_VCPU"] and infoid == C["HVCTL_INFO_VCPU_STATE"]:
            out["state"] = VCPU_STATES.get(data[0], f"state {data[0]}")
            out.update(zip(("lifespan", "wallclock_delta", "active_delta",
                            "yielded_cycles"), struct.unpack_from(">4Q", data, 8)))
        else:
            out["data"] = data
        return out

    def failure(self) -> str:
        """The reason of a refusal, in the protocol's words: status, and for a
        reconfigure the resource and its code, for a guest operation its code."""
        words = self.status_name
        if self.op in (OP["reconfigure"], OP["guest_delayed_reconf"]) and \
                self.status == ST_BADMD:
            f = self.rc_fail()
            words += (f" ({RES_NAMES.get(f['res'], f['res'])} {f['resid']}: "
                      f"{ERROR_NAMES.get(f['code'], f['code'])})")
        elif self.op in (OP["guest_start"], OP["guest_stop"], OP["guest_panic"]) and \
                self.status != ST_OK:
            code = self.guest_op()["code"]
            words += f" ({ERROR_NAMES.get(code, code)})"
        elif self.op == OP["get_res_stat"] and self.status != ST_OK:
            code = self.res_stat()["code"]
            words += f" ({ERROR_NAMES.get(code, code)})"
        return words


def encode(op: int, seqn: int, body: bytes = b"", status: int = 0) -> bytes:
    pkt = struct.pack(">HHHH", op, seqn & 0xFFFF, 0, status) + body
    if len(pkt) > PACKET:
        raise ValueError(f"an hvctl message is {PACKET} bytes, not {len(pkt)}")
    return pkt.ljust(PACKET, b"\0")


def decode(pkt: bytes) -> Message:
    if len(pkt) != PACKET:
        raise HvctlError(f"an hvctl message is {PACKET} bytes, not {len(pkt)}")
    op, seqn, _, status = struct.unpack_from(">HHHH", pkt)
    return Message(op, seqn, status, bytes(pkt[8:]))


def hello_body(major: int = VERSION[0], minor: int = VERSION[1]) -> bytes:
    return struct.pack(">HH", major, minor)


def response_body(challenge: int) -> bytes:
    return struct.pack(">QHH", challenge ^ C["HVCTL_HV_CHALLENGE_K"] ^
                       C["HVCTL_ZEUS_CHALLENGE_K"], *VERSION)


def reconfig_body(hvmdp: int, guestid: int = 0) -> bytes:
    return struct.pack(">QI", hvmdp, guestid)


def guest_op_body(guestid: int) -> bytes:
    return struct.pack(">II", guestid, 0)


def res_stat_body(res: int, resid: int, infoid: int) -> bytes:
    return struct.pack(">IIII", res, resid, infoid, 0)


# --- the manager's end of the channel ------------------------------------------------

class Pending:
    """A request and, once answered, its reply (or the error that ended it)."""

    def __init__(self, op: int, body: bytes, what: str):
        self.op, self.body, self.what = op, body, what
        self.reply: Message | None = None
        self.error: str | None = None
        self.callbacks: list[Callable] = []

    @property
    def done(self) -> bool:
        return self.reply is not None or self.error is not None

    def finish(self, reply: Message | None = None, error: str | None = None):
        self.reply, self.error = reply, error
        for cb in self.callbacks:
            cb(self)

    def result(self) -> Message:
        """The reply when the hypervisor said ok; HvctlError otherwise."""
        if self.error is not None:
            raise HvctlError(f"hvctl {self.what}: {self.error}")
        if self.reply is None:
            raise HvctlError(f"hvctl {self.what}: no reply")
        if self.reply.status != ST_OK:
            raise HvctlError(f"hvctl {self.what}: {self.reply.failure()}", self.reply)
        return self.reply


class Client:
    """The manager's end of the hvctl channel. `send_packet(bytes)` puts one packet on
    the wire; feed the hypervisor's packets to `receive`. Commands are queued and at
    most `window` are outstanding (the hypervisor keeps 16 unread replies; more would
    lose the oldest). `on_async(message)` gets the hypervisor's new_res_stat messages.
    """

    def __init__(self, send_packet: Callable[[bytes], None], on_async=None,
                 window: int = 12, first_seqn: int = 1):
        self._send = send_packet
        self.on_async = on_async
        self.window = window
        self.state = "unconnected"
        self.seqn = first_seqn
        self.queue: deque[Pending] = deque()
        self.sent: deque[Pending] = deque()
        self.hv_seqn = None
        self.log: deque = deque(maxlen=256)        # ("out"|"in", Message)

    # --- connecting ---------------------------------------------------------------
    def connect(self) -> Pending:
        """Start the handshake; the returned request is done when it succeeded."""
        self.reset("reconnecting")
        self.state = "hello"
        hello = Pending(OP["hello"], hello_body(), "hello")
        self._transmit(hello)
        return hello

    def reset(self, why: str):
        """The link went away: every request ends with `why`."""
        for p in list(self.sent) + list(self.queue):
            p.finish(error=why)
        self.sent.clear()
        self.queue.clear()
        self.state = "unconnected"

    @property
    def connected(self) -> bool:
        return self.state == "connected"

    # --- commands -----------------------------------------------------------------
    def request(self, op: str, body: bytes = b"", what: str | None = None) -> Pending:
        p = Pending(OP[op], body, what or op)
        if not self.connected:
            p.finish(error="the control channel is not connected")
            return p
        self.queue.append(p)
        self._flush()
        return p

    def _transmit(self, p: Pending):
        msg = encode(p.op, self.seqn, p.body)
        self.seqn = (self.seqn + 1) & 0xFFFF
        self.sent.append(p)
        self.log.append(("out", decode(msg)))
        self._send(msg)

    def _flush(self):
        while self.queue and len(self.sent) < self.window and self.connected:
            self._transmit(self.queue.popleft())

    def receive(self, pkt: bytes):
        m = decode(pkt)
        self.log.append(("in", m))
        if m.op == OP["new_res_stat"]:
            if self.on_async is not None:
                self.on_async(m)
            return
        if not self.sent:
            return                          # a reply to nothing we sent: dropped
        p = self.sent.popleft()
        if self.state == "hello":
            if m.op != OP["challenge"] or m.status != ST_OK:
                p.finish(m)
                self.state = "unconnected"
                return
            self.hv_seqn = m.seqn
            resp = Pending(OP["response"], response_body(m.challenge_code()), "response")
            resp.callbacks.append(lambda r, hello=p: self._responded(r, hello))
            self.state = "response"
            self._transmit(resp)
            return
        p.finish(m)
        if m.status in (C["HVCTL_ST_BAD_SEQN"], C["HVCTL_ST_EAUTH"]):
            self.reset(f"the hypervisor dropped the connection ({m.status_name})")
        self._flush()

    def _responded(self, resp: Pending, hello: Pending):
        if resp.reply is not None and resp.reply.status == ST_OK:
            self.state = "connected"
            hello.finish(resp.reply)
            self._flush()
        else:
            self.state = "unconnected"
            hello.finish(resp.reply, None if resp.reply else resp.error)
