"""Dynamic System Domain: life cycle with the XSCF status words, and the small model of
the domain's own Solaris side of dynamic reconfiguration.

Facts: reference B4 (status words: Powered Off, Initialization Phase, OpenBoot Executing
Completed, Booting, Running, Shutdown Started, Panic State), B6 (kernel cage on few boards,
non-floating boards first in ascending LSB order; dscp/dcs/sckmd must be online for DR
out of a running domain; copy-rename target rules).
"""
from __future__ import annotations

from dataclasses import dataclass, field

POWERED_OFF = "Powered Off"
INIT = "Initialization Phase"
OBP_DONE = "OpenBoot Executing Completed"
BOOTING = "Booting"
RUNNING = "Running"
SHUTDOWN = "Shutdown Started"
PANIC = "Panic State"

STATUS_WORDS = (POWERED_OFF, INIT, OBP_DONE, BOOTING, RUNNING, SHUTDOWN, PANIC)
BOOT_SEQUENCE = (INIT, OBP_DONE, BOOTING, RUNNING)
UP = (INIT, OBP_DONE, BOOTING, RUNNING, PANIC)   # hardware powered


class DRRefused(Exception):
    """The domain's OS refused a DR step; the board stays where it was."""


@dataclass
class SolarisModel:
    """What the domain's OS knows that matters to DR.

    ``mem_map`` maps an address-range slot (the LSB whose range it was at boot) to the XSB
    whose memory currently backs it; copy-rename moves a slot to another XSB.
    ``kernel_slot`` is the slot holding the kernel cage.  ``bound_cpus`` are XSBs whose
    CPUs run work bound to them (offline refuses); ``io_busy`` are XSBs whose devices are
    open (detach refuses unless forced)."""
    services_online: bool = True                 # dscp, dcs, sckmd
    mem_map: dict[int, str] = field(default_factory=dict)
    kernel_slot: int | None = None
    bound_cpus: set[str] = field(default_factory=set)
    io_busy: set[str] = field(default_factory=set)

    @property
    def kernel_xsb(self) -> str | None:
        return None if self.kernel_slot is None else self.mem_map.get(self.kernel_slot)

    def slots_of(self, xsb: str) -> list[int]:
        return sorted(s for s, x in self.mem_map.items() if x == xsb)

    # --- the OS side of DR out, step by step (each may refuse) -------------------------
    def check_services(self) -> None:
        if not self.services_online:
            raise DRRefused("the domain's DR services (dscp, dcs, sckmd) are not online")

    def offline_cpus(self, xsb: str) -> None:
        if xsb in self.bound_cpus:
            raise DRRefused(f"CPUs of XSB#{xsb} have bound work and cannot be taken offline")

    def detach_io(self, xsb: str, force: bool) -> None:
        if xsb in self.io_busy:
            if not force:
                raise DRRefused(f"I/O devices of XSB#{xsb} are in use by the domain "
                                "(use -f to force)")
            self.io_busy.discard(xsb)

    def to_dict(self) -> dict:
        return dict(services_online=self.services_online,
                    mem_map={str(k): v for k, v in sorted(self.mem_map.items())},
                    kernel_slot=self.kernel_slot, bound_cpus=sorted(self.bound_cpus),
                    io_busy=sorted(self.io_busy))

    @classmethod
    def from_dict(cls, d: dict) -> "SolarisModel":
        return cls(services_online=bool(d["services_online"]),
                   mem_map={int(k): v for k, v in d["mem_map"].items()},
                   kernel_slot=d["kernel_slot"], bound_cpus=set(d["bound_cpus"]),
                   io_busy=set(d["io_busy"]))


@dataclass
class Domain:
    did: int
    status: str = POWERED_OFF
    os: SolarisModel = field(default_factory=SolarisModel)

    @property
    def up(self) -> bool:
        return self.status in UP

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    def to_dict(self) -> dict:
        return dict(did=self.did, status=self.status, os=self.os.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> "Domain":
        if d["status"] not in STATUS_WORDS:
            raise ValueError(f"unknown domain status {d['status']!r}")
        return cls(did=int(d["did"]), status=d["status"], os=SolarisModel.from_dict(d["os"]))
