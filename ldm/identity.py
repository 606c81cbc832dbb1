"""A domain's MAC address, hostid and UUID, generated deterministically from the store's
seed and a serial number (same seed and same sequence of add-domain -> same identities).

MAC addresses come from the range the Logical Domains Manager allocates automatically,
00:14:4f:f8:00:00 - 00:14:4f:fb:ff:ff (Sun's OUI 00:14:4f) [M: Oracle admin guide,
"Automatic MAC address allocation"]; the hostid is 0x84 followed by the MAC's low three
bytes (chosen; real guests show hostids of that form [M]); the UUID is a version-4 UUID
made of hash bits.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .errors import LdmError

MAC_BASE = 0x00144FF80000
MAC_RANGE = 0x40000                       # f8:00:00 .. fb:ff:ff
_MAC_RE = re.compile(r"^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                      r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Identity:
    mac: str
    hostid: str
    uuid: str


def _digest(seed: int, serial: int, attempt: int) -> bytes:
    return hashlib.sha256(f"sun4v-ldm:{seed}:{serial}:{attempt}".encode()).digest()


def generate(seed: int, serial: int, used_macs=(), used_uuids=()) -> Identity:
    """Identity number `serial` of store `seed`, avoiding MACs and UUIDs in use."""
    used_m, used_u = set(used_macs), set(used_uuids)
    for attempt in range(1 << 16):
        h = _digest(seed, serial, attempt)
        n = MAC_BASE + int.from_bytes(h[:4], "big") % MAC_RANGE
        mac = format_mac(n)
        b = bytearray(h[4:20])
        b[6] = (b[6] & 0x0F) | 0x40          # version 4
        b[8] = (b[8] & 0x3F) | 0x80          # RFC 4122 variant
        x = b.hex()
        uuid = f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"
        if mac not in used_m and uuid not in used_u:
            return Identity(mac=mac, hostid=f"0x84{n & 0xFFFFFF:06x}", uuid=uuid)
    raise LdmError("No free MAC address left in the automatic range")


def format_mac(n: int) -> str:
    return ":".join(f"{(n >> s) & 0xFF:02x}" for s in range(40, -8, -8))


def parse_mac(text: str) -> str:
    """`0:14:4F:f8:1:2` -> `00:14:4f:f8:01:02`; LdmError if not a unicast MAC address."""
    if not _MAC_RE.match(text):
        raise LdmError(f"Invalid MAC address {text!r}")
    n = int("".join(f"{int(p, 16):02x}" for p in text.split(":")), 16)
    if n >> 40 & 1:
        raise LdmError(f"Invalid MAC address {text!r}: multicast address")
    return format_mac(n)


def parse_hostid(text: str) -> str:
    """`0x84f80102` or `84f80102` -> `0x84f80102` (a 32-bit hex number)."""
    t = text[2:] if text.lower().startswith("0x") else text
    try:
        v = int(t, 16)
    except ValueError:
        v = -1
    if not t or v < 0 or v > 0xFFFFFFFF:
        raise LdmError(f"Invalid hostid {text!r}: expected a 32-bit hexadecimal number")
    return f"0x{v:08x}"


def parse_uuid(text: str) -> str:
    if not _UUID_RE.match(text):
        raise LdmError(f"Invalid uuid {text!r}")
    return text.lower()
