"""Platform catalogue of the hard-partitioned servers: SPARC Enterprise M3000..M9000 and
the Sun Enterprise 10000 (Starfire), as data.

Facts: shared/reference/ldm_xscf.md part B (B2 XSB division, B3 models, B7 Starfire).
Where the reference is silent or marked [M], the value is a choice of this simulator and
the platform's ``chosen`` notes say so; ``showhardconf -v`` prints those notes.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CpuModel:
    """One processor chip as the service processor reports it."""
    name: str
    ghz: float
    cores: int
    strands: int           # strands per core


@dataclass(frozen=True)
class XbarTiming:
    """Timing of the crossbar as seen from one port.

    A transfer of ``n`` bytes occupies its destination port for
    ceil(n / port_bytes_per_cycle) crossbar cycles and arrives ``latency_cycles`` after
    its grant.  ``queue_depth`` is the number of transactions a port can hold waiting
    for arbitration."""
    clock_mhz: int
    port_bytes_per_cycle: int
    latency_cycles: int
    queue_depth: int = 8
    line_bytes: int = 64


@dataclass(frozen=True)
class PlatformModel:
    name: str
    family: str                 # "M" (XSCF, XSB/DCL) or "E10000" (Starfire, SSP)
    marketing_name: str
    board_unit: str             # "MBU_A", "MBU_B", "CMU", "SB" — the CPU/memory board
    slots: int                  # PSBs (CMU/MBU slots, or Starfire system boards)
    cpus_per_board: int
    dimms_per_board: int
    dimm_mb: int
    cpu: CpuModel
    ious: int                   # I/O units (one per PSB slot from 0 up)
    quad_capable: bool          # setupfru -x 4 allowed
    io_quads: tuple[int, ...]   # which Quad-XSBs of a PSB carry I/O
    quad_mirror: bool           # memory mirroring allowed in Quad mode
    dr_capable: bool            # addboard/deleteboard/moveboard supported
    max_domains: int
    max_xsbs_per_domain: int
    max_lsb: int                # LSB numbers run 0 .. max_lsb-1
    cpu_ids_per_lsb: int        # bank of processor IDs per LSB
    xbar_units: tuple[str, ...] # crossbar FRUs named by showhardconf
    filter_mode: str            # "did": per-port domain register; "mask": per-board domain mask
    xbar: XbarTiming
    chosen: tuple[str, ...] = field(default=())   # facts chosen where the sources are silent

    @property
    def ports(self) -> int:
        """Crossbar ports: one per possible XSB (4 per PSB slot when Quad is possible)."""
        return self.slots * (4 if self.quad_capable else 1)

    def port_of(self, slot: int, quad: int) -> int:
        return slot * 4 + quad if self.quad_capable else slot

    @property
    def board_mb(self) -> int:
        return self.dimms_per_board * self.dimm_mb


SPARC64_VII_252 = CpuModel("SPARC64 VII", 2.52, 4, 2)
SPARC64_VII_24 = CpuModel("SPARC64 VII", 2.40, 4, 2)
ULTRASPARC_II = CpuModel("UltraSPARC-II", 0.40, 1, 1)

_M_CHOSEN = (
    "DIMMs are 4 GB each (a 32-DIMM CMU holds 128 GB, the M9000 CMU maximum)",
    "crossbar timing (clock, bytes per port per cycle, latency) is a model choice, "
    "not a published figure",
    "a transaction moves one 64-byte line; interrupts move 16 bytes",
)

PLATFORMS: dict[str, PlatformModel] = {
    "M3000": PlatformModel(
        name="M3000", family="M", marketing_name="SPARC Enterprise M3000",
        board_unit="MBU_A", slots=1, cpus_per_board=1, dimms_per_board=8, dimm_mb=4096,
        cpu=SPARC64_VII_252, ious=1, quad_capable=False, io_quads=(0,),
        quad_mirror=False, dr_capable=False, max_domains=1, max_xsbs_per_domain=1,
        max_lsb=1, cpu_ids_per_lsb=8, xbar_units=(), filter_mode="did",
        xbar=XbarTiming(clock_mhz=1000, port_bytes_per_cycle=16, latency_cycles=8),
        chosen=_M_CHOSEN + (
            "the single board is the fixed XSB 00-0 of domain 00 (no XSB division, no DR)",)),
    "M4000": PlatformModel(
        name="M4000", family="M", marketing_name="SPARC Enterprise M4000",
        board_unit="MBU_A", slots=1, cpus_per_board=4, dimms_per_board=32, dimm_mb=4096,
        cpu=SPARC64_VII_24, ious=1, quad_capable=True, io_quads=(0, 1),
        quad_mirror=True, dr_capable=True, max_domains=2, max_xsbs_per_domain=4,
        max_lsb=16, cpu_ids_per_lsb=32, xbar_units=(), filter_mode="did",
        xbar=XbarTiming(clock_mhz=1000, port_bytes_per_cycle=16, latency_cycles=12),
        chosen=_M_CHOSEN + (
            "maximum 2 domains (from the brief; the reference marks it [M])",
            "in Quad mode XSBs -0 and -1 carry the I/O, -2 and -3 none",)),
    "M5000": PlatformModel(
        name="M5000", family="M", marketing_name="SPARC Enterprise M5000",
        board_unit="MBU_B", slots=2, cpus_per_board=4, dimms_per_board=32, dimm_mb=4096,
        cpu=SPARC64_VII_24, ious=2, quad_capable=True, io_quads=(0, 1),
        quad_mirror=True, dr_capable=True, max_domains=4, max_xsbs_per_domain=8,
        max_lsb=16, cpu_ids_per_lsb=32, xbar_units=(), filter_mode="did",
        xbar=XbarTiming(clock_mhz=1000, port_bytes_per_cycle=16, latency_cycles=12),
        chosen=_M_CHOSEN + (
            "maximum 4 domains (from the brief; the reference marks it [M])",
            "in Quad mode XSBs -0 and -1 carry the I/O, -2 and -3 none",)),
    "M8000": PlatformModel(
        name="M8000", family="M", marketing_name="SPARC Enterprise M8000",
        board_unit="CMU", slots=4, cpus_per_board=4, dimms_per_board=32, dimm_mb=4096,
        cpu=SPARC64_VII_252, ious=4, quad_capable=True, io_quads=(0, 1, 2, 3),
        quad_mirror=False, dr_capable=True, max_domains=16, max_xsbs_per_domain=16,
        max_lsb=16, cpu_ids_per_lsb=32, xbar_units=(), filter_mode="did",
        xbar=XbarTiming(clock_mhz=960, port_bytes_per_cycle=32, latency_cycles=20),
        chosen=_M_CHOSEN + (
            "4 CMU and 4 IOU slots (the reference marks the CMU count [M])",
            "the M8000 crossbar sits on the backplane: no XBU FRUs are listed",)),
    "M9000-32": PlatformModel(
        name="M9000-32", family="M", marketing_name="SPARC Enterprise M9000",
        board_unit="CMU", slots=8, cpus_per_board=4, dimms_per_board=32, dimm_mb=4096,
        cpu=SPARC64_VII_252, ious=8, quad_capable=True, io_quads=(0, 1, 2, 3),
        quad_mirror=False, dr_capable=True, max_domains=24, max_xsbs_per_domain=16,
        max_lsb=16, cpu_ids_per_lsb=32,
        xbar_units=tuple(f"XBU_B#{i}" for i in range(8)), filter_mode="did",
        xbar=XbarTiming(clock_mhz=960, port_bytes_per_cycle=32, latency_cycles=24),
        chosen=_M_CHOSEN + ("8 XBUs in the base cabinet",)),
    "M9000-64": PlatformModel(
        name="M9000-64", family="M", marketing_name="SPARC Enterprise M9000",
        board_unit="CMU", slots=16, cpus_per_board=4, dimms_per_board=32, dimm_mb=4096,
        cpu=SPARC64_VII_252, ious=16, quad_capable=True, io_quads=(0, 1, 2, 3),
        quad_mirror=False, dr_capable=True, max_domains=24, max_xsbs_per_domain=16,
        max_lsb=16, cpu_ids_per_lsb=32,
        xbar_units=tuple(f"XBU_B#{i}" for i in range(16)), filter_mode="did",
        xbar=XbarTiming(clock_mhz=960, port_bytes_per_cycle=32, latency_cycles=32),
        chosen=_M_CHOSEN + (
            "16 XBUs over two cabinets; the cabinet-to-cabinet hop adds 8 cycles of latency",)),
    "E10000": PlatformModel(
        name="E10000", family="E10000", marketing_name="Sun Enterprise 10000",
        board_unit="SB", slots=16, cpus_per_board=4, dimms_per_board=32, dimm_mb=128,
        cpu=ULTRASPARC_II, ious=16, quad_capable=False, io_quads=(0,),
        quad_mirror=False, dr_capable=True, max_domains=8, max_xsbs_per_domain=16,
        max_lsb=16, cpu_ids_per_lsb=4,
        xbar_units=("Gigaplane-XB data crossbar 16x16",
                    "address router #0", "address router #1",
                    "address router #2", "address router #3"),
        filter_mode="mask",
        xbar=XbarTiming(clock_mhz=100, port_bytes_per_cycle=16, latency_cycles=10),
        chosen=(
            "at most 8 domains (the reference marks it [M])",
            "4 GB per board as 32 DIMMs of 128 MB",
            "boards are shown with XSCF words: system board N is XSB NN-0 "
            "(SBN is accepted as input); the SSP is played by this shell",
            "the domain mask of a board is a 16-bit vector of the boards it may "
            "exchange data with; the data crossbar checks it on every transfer",
            "crossbar timing (100 MHz, 16 bytes per port per cycle, 10 cycles latency) "
            "is a model choice",
        )),
}


def platform(name: str) -> PlatformModel:
    """Look a platform up by name, case-insensitively ("m9000-64", "e10k" work)."""
    key = name.strip().upper().replace("SPARC ENTERPRISE ", "")
    aliases = {"E10K": "E10000", "STARFIRE": "E10000", "M9000": "M9000-32"}
    key = aliases.get(key, key)
    if key not in PLATFORMS:
        raise KeyError(f"unknown platform '{name}' (known: {', '.join(PLATFORMS)})")
    return PLATFORMS[key]
