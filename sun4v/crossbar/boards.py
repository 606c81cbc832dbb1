"""System boards: PSB (CMU/MBU + IOU), its division into Uni- or Quad-XSBs, XSB numbers.

Facts: reference part B1/B2 — a PSB is a CMU with or without its IOU (an IOU alone is no
PSB); Uni-XSB = the whole PSB, Quad-XSB = a quarter (1 CPU, 8 DIMMs, 2 PCIe slots; on
M4000/M5000 only two quarters carry I/O); XSB numbers are ``PP-N``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .catalogue import PlatformModel


class BoardError(ValueError):
    """A board operand or a board configuration the hardware does not allow."""


@dataclass
class PSB:
    """One physical system board slot as installed: its CPU/memory unit and its IOU."""
    slot: int
    cmu: bool = True            # CPU/memory unit present
    iou: bool = True            # I/O unit present
    cpus: int = 4               # CPU chips on the CMU
    dimms: int = 32             # DIMMs on the CMU
    mode: str = "Uni"           # "Uni" or "Quad"
    mirror: bool = False        # memory mirror mode

    @property
    def is_psb(self) -> bool:
        """An IOU never forms a PSB without its CMU."""
        return self.cmu

    def to_dict(self) -> dict:
        return dict(slot=self.slot, cmu=self.cmu, iou=self.iou, cpus=self.cpus,
                    dimms=self.dimms, mode=self.mode, mirror=self.mirror)

    @classmethod
    def from_dict(cls, d: dict) -> "PSB":
        return cls(**d)


@dataclass(frozen=True)
class XSB:
    """One extended system board: the unit a domain is built from."""
    id: str              # "PP-N"
    slot: int
    quad: int
    cpus: tuple[int, ...]   # CPU chip numbers on the CMU (CPUM#n-CHIP#m flattened)
    dimms: int
    mem_mb: int          # usable memory (halved when mirrored)
    has_io: bool
    port: int            # crossbar port


def xsb_id(slot: int, quad: int) -> str:
    return f"{slot:02d}-{quad}"


def quarters(psb: PSB, model: PlatformModel) -> list[int]:
    return [0, 1, 2, 3] if psb.mode == "Quad" else [0]


def division_problem(psb: PSB, model: PlatformModel, mode: str, mirror: bool) -> str | None:
    """Why ``psb`` cannot be set to ``mode``/``mirror``, or None when it can."""
    if not psb.cmu:
        return f"PSB#{psb.slot:02d} has no CMU"
    if mode == "Quad":
        if not model.quad_capable:
            return f"{model.name} does not support Quad-XSB"
        if psb.cpus < 4 or psb.dimms < 32 or psb.dimms % 4:
            return (f"PSB#{psb.slot:02d} has {psb.cpus} CPUs and {psb.dimms} DIMMs; "
                    "Quad-XSB needs one CPU and 8 DIMMs in every quarter")
        if mirror and not model.quad_mirror:
            return f"memory mirroring in Quad-XSB mode is not supported on {model.name}"
    return None


def xsbs_of(psb: PSB, model: PlatformModel) -> list[XSB]:
    """The XSBs a PSB currently provides (none when its CMU is missing)."""
    if not psb.is_psb:
        return []
    out = []
    if psb.mode == "Uni":
        mem = psb.dimms * model.dimm_mb // (2 if psb.mirror else 1)
        out.append(XSB(xsb_id(psb.slot, 0), psb.slot, 0, tuple(range(psb.cpus)), psb.dimms,
                       mem, psb.iou, model.port_of(psb.slot, 0)))
    else:
        per = psb.dimms // 4
        for q in range(4):
            mem = per * model.dimm_mb // (2 if psb.mirror else 1)
            out.append(XSB(xsb_id(psb.slot, q), psb.slot, q, (q,), per, mem,
                           psb.iou and q in model.io_quads, model.port_of(psb.slot, q)))
    return out


_XSB_RE = re.compile(r"^(\d{1,2})-(\d)$")
_SB_RE = re.compile(r"^(?:SB|sb)#?(\d{1,2})$")


def parse_xsb(token: str, model: PlatformModel) -> str:
    """Canonical XSB number for an operand: ``1-0`` -> ``01-0``; on the E10000 also
    ``SB5`` -> ``05-0``.  Raises BoardError for anything else or out of range."""
    m = _XSB_RE.match(token)
    if m:
        slot, quad = int(m.group(1)), int(m.group(2))
    else:
        m = _SB_RE.match(token) if model.family == "E10000" else None
        if not m:
            raise BoardError(f"invalid XSB number '{token}' (expected PP-N, e.g. 00-0)")
        slot, quad = int(m.group(1)), 0
    if slot >= model.slots or quad > 3 or (quad and not model.quad_capable):
        raise BoardError(f"XSB#{slot:02d}-{quad} does not exist on the {model.name}")
    return xsb_id(slot, quad)


def parse_psb(token: str, model: PlatformModel) -> int:
    """A PSB/system board number operand (``0``, ``00``, on E10000 also ``SB0``)."""
    m = re.match(r"^(?:SB|sb)?#?(\d{1,2})$", token)
    if not m:
        raise BoardError(f"invalid board number '{token}'")
    slot = int(m.group(1))
    if slot >= model.slots:
        raise BoardError(f"PSB#{slot:02d} does not exist on the {model.name}")
    return slot
