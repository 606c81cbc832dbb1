"""What the binder needs to know about a platform, as a small protocol, and the numbering
of strands and cores on it.

A platform (the catalogue's `sun4v.machine.platforms` value, or a `Topology` built here)
provides:

    name               str, e.g. "T5220"
    sockets            int, processor chips (T1/T2: 1; T5140/T5240: 2; T5440: 4)
    cores_per_socket   int, cores per chip (T1: 8 (6 or 4 on cut-down parts); T2/T2+: 8)
    strands_per_core   int, hardware strands per core (T1: 4; T2/T2+: 8)
    ram_ranges         sequence of (base PA, size in bytes): installed memory
    reserved_ranges    sequence of (base PA, size): memory the firmware keeps for itself
                       (hypervisor image and data, its MDs); `ldm list-devices -a memory`
                       shows them as `_sys_`

Numbering (the machine's, lead's plan for issue 10): global core id
`cid = socket * cores_per_socket + core`; global strand id (the `pid` of `ldm
list-bindings`, the hypervisor MD's cpu `pid`) `pid = cid * strands_per_core + strand`.
So the strands of core `cid` are `cid*spc .. cid*spc+spc-1`, as `ldm list-devices core`
prints them (reference A3: CORE `CID CPUSET (0, 1, 2, ...)`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

from .errors import LdmError
from .units import format_size


@runtime_checkable
class PlatformTopology(Protocol):
    name: str
    sockets: int
    cores_per_socket: int
    strands_per_core: int
    ram_ranges: Sequence[tuple[int, int]]
    reserved_ranges: Sequence[tuple[int, int]]


@dataclass(frozen=True)
class Topology:
    """A platform as the binder sees it (a value; see the module docstring)."""
    name: str
    sockets: int
    cores_per_socket: int
    strands_per_core: int
    ram_ranges: tuple[tuple[int, int], ...]
    reserved_ranges: tuple[tuple[int, int], ...] = ()

    def __post_init__(self):
        for f in ("sockets", "cores_per_socket", "strands_per_core"):
            if not isinstance(getattr(self, f), int) or getattr(self, f) < 1:
                raise LdmError(f"platform {self.name}: {f} must be a positive integer")
        object.__setattr__(self, "ram_ranges", _ranges(self.ram_ranges, self.name, "RAM"))
        object.__setattr__(self, "reserved_ranges",
                           _ranges(self.reserved_ranges, self.name, "reserved"))
        if not self.ram_ranges:
            raise LdmError(f"platform {self.name}: no RAM")
        for base, size in self.reserved_ranges:
            if not any(b <= base and base + size <= b + s for b, s in self.ram_ranges):
                raise LdmError(f"platform {self.name}: reserved range {base:#x}+"
                               f"{format_size(size)} is not inside its RAM")

    # --- counts and numbering ------------------------------------------------------
    @property
    def cores(self) -> int:
        return self.sockets * self.cores_per_socket

    @property
    def strands(self) -> int:
        return self.cores * self.strands_per_core

    @property
    def memory(self) -> int:
        return sum(s for _, s in self.ram_ranges)

    def core_of(self, pid: int) -> int:
        return pid // self.strands_per_core

    def socket_of_core(self, cid: int) -> int:
        return cid // self.cores_per_socket

    def strands_of(self, cid: int) -> range:
        spc = self.strands_per_core
        return range(cid * spc, cid * spc + spc)

    # --- serialisation ------------------------------------------------------------
    def to_dict(self) -> dict:
        return dict(name=self.name, sockets=self.sockets,
                    cores_per_socket=self.cores_per_socket,
                    strands_per_core=self.strands_per_core,
                    ram_ranges=[list(r) for r in self.ram_ranges],
                    reserved_ranges=[list(r) for r in self.reserved_ranges])

    @classmethod
    def from_dict(cls, d: dict) -> "Topology":
        return cls(name=str(d["name"]), sockets=int(d["sockets"]),
                   cores_per_socket=int(d["cores_per_socket"]),
                   strands_per_core=int(d["strands_per_core"]),
                   ram_ranges=tuple(tuple(r) for r in d["ram_ranges"]),
                   reserved_ranges=tuple(tuple(r) for r in d.get("reserved_ranges", ())))

    @classmethod
    def of(cls, platform: PlatformTopology) -> "Topology":
        """The binder's view of any object following the protocol (the machine's
        platform catalogue entries included)."""
        if isinstance(platform, Topology):
            return platform
        try:
            return cls(name=str(platform.name), sockets=int(platform.sockets),
                       cores_per_socket=int(platform.cores_per_socket),
                       strands_per_core=int(platform.strands_per_core),
                       ram_ranges=_pairs(platform.ram_ranges),
                       reserved_ranges=_pairs(getattr(platform, "reserved_ranges", ())))
        except AttributeError as e:
            raise LdmError(f"platform {getattr(platform, 'name', platform)!r} does not "
                           f"describe its topology: {e}") from None


def _pairs(ranges) -> tuple[tuple[int, int], ...]:
    """(base, size) pairs from a sequence of pairs or of objects with base and size (the
    machine catalogue's Regions); a method giving them is called."""
    if callable(ranges):
        ranges = ranges()
    return tuple((r.base, r.size) if hasattr(r, "base") else tuple(r) for r in ranges)


def _ranges(ranges, name, what) -> tuple[tuple[int, int], ...]:
    out = []
    for r in ranges:
        base, size = (int(x) for x in r)
        if base < 0 or size <= 0:
            raise LdmError(f"platform {name}: bad {what} range {r!r}")
        out.append((base, size))
    out.sort()
    for (b0, s0), (b1, _) in zip(out, out[1:]):
        if b0 + s0 > b1:
            raise LdmError(f"platform {name}: {what} ranges overlap at {b1:#x}")
    return tuple(out)
