"""Domain Component List: per domain, the LSB -> XSB table and its options.

Facts: reference B1 (a board must be in the DCL before it can be added) and B5 (options:
configuration policy fru/xsb/system per domain; floating, no-mem, no-io per LSB).
"""
from __future__ import annotations

from dataclasses import dataclass, field

POLICIES = ("fru", "xsb", "system")
LSB_OPTIONS = ("no-mem", "no-io", "floating")


@dataclass
class DclEntry:
    xsb: str
    no_mem: bool = False
    no_io: bool = False
    floating: bool = False

    def option(self, name: str) -> bool:
        return getattr(self, name.replace("-", "_"))

    def set_option(self, name: str, value: bool) -> None:
        setattr(self, name.replace("-", "_"), value)


@dataclass
class DCL:
    did: int
    policy: str = "fru"
    entries: dict[int, DclEntry] = field(default_factory=dict)   # LSB -> entry

    def lsb_of(self, xsb: str) -> int | None:
        for lsb, e in self.entries.items():
            if e.xsb == xsb:
                return lsb
        return None

    def entry_of(self, xsb: str) -> DclEntry | None:
        lsb = self.lsb_of(xsb)
        return None if lsb is None else self.entries[lsb]

    def sorted_entries(self) -> list[tuple[int, DclEntry]]:
        return sorted(self.entries.items())

    def consistent(self) -> bool:
        """Every XSB at most once, every LSB a single entry."""
        xsbs = [e.xsb for e in self.entries.values()]
        return len(xsbs) == len(set(xsbs)) and self.policy in POLICIES

    def to_dict(self) -> dict:
        return dict(did=self.did, policy=self.policy,
                    entries={str(lsb): dict(xsb=e.xsb, no_mem=e.no_mem, no_io=e.no_io,
                                            floating=e.floating)
                             for lsb, e in sorted(self.entries.items())})

    @classmethod
    def from_dict(cls, d: dict) -> "DCL":
        return cls(did=int(d["did"]), policy=d["policy"],
                   entries={int(k): DclEntry(**v) for k, v in d["entries"].items()})
