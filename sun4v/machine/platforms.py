"""The platform catalogue: Sun's CMT servers (Sun Fire T1000/T2000, SPARC Enterprise
T5120/T5220/T5140/T5240/T5440, Sun Blade T6300/T6320/T6340) as values, one table.

A `Platform` is a frozen value: its chip (a cmt/chips.py Chip, with the socket count of
the server), maximum memory, stick frequency and physical address map. A platform with
changed parameters (`PLATFORMS["t5220"].replace(memory=8 << 30, chip=...)`, or
`with_chip(clock_mhz=1600)`) goes to the Machine and every model without registering a
name. `platform(x)` accepts a value or a catalogue name (case-insensitive, "T5220").

Sources, per column:
- chips, sockets, cores, strands, clock, maximum memory: Sun's server white papers and
  data sheets ("Sun SPARC Enterprise T5120, T5220, T5140 and T5240 Server Architecture",
  July 2009; "Sun SPARC Enterprise T5440 Server Architecture", 2008; Sun Fire
  T1000/T2000 and Sun Blade T6300/T6320/T6340 data sheets), the top configuration of
  each; the values were taken from those documents' published maxima and were not
  re-checked against the PDFs in this repository.
- stick frequency: chosen equal to the clock, as the OpenSPARC Legion configurations set
  both (sysclkfreq = clkfreq; unix0cc/md niagara/1up.conf); the real machines' values
  were not found. Any value works: %stick scales exactly (cmt/timebase.py).
- address map: the OpenSPARC Legion map Sun's firmware was built for (reference/sun4v.md
  §7: OpenSPARC T1 niagara/1up.conf, common.hdesc) with the chip's interrupt unit from
  Sun's hypervisor (T1 IOB at 0x98_0000_0000, sun4v/hypervisor ontario iob.h; T2 NCU at
  0x80_0000_0000 and its mondo registers at 0x80_0004_0000, huron ncu.h):
    hypervisor RAM   0x0010_0000 (+63 MB, Legion's "Hypervisor memory"; in RAM)
    guest RAM        from 0x8000_0000 (Legion's partition 1; in RAM)
    guest UART 0     0x1F_1000_0000 (+0x50, Legion "dumbserial"; the QEMU niagara UART)
    guest NVRAM 0    0x1F_1100_0000 (8 KB, writable)
    guest MD ROM     0x1F_1200_0000, hypervisor MD ROM 0x1F_1208_0000 (read-only; chosen
                     64 KB each where Legion's configurations use 8 KB, so that the
                     description of a 256-strand machine fits)
    boot ROM         0xFF_F000_0000 (8 MB, read-only; reset vector 0xFF_F000_0020, the
                     hypervisor image at +0x1_0000, OpenBoot at +0x8_0000)
    hypervisor UART  0xFF_F0C2_C000 (+0x50); hypervisor TOD 0xFF_F0C1_FFF8 (8 bytes)
  RAM starts at PA 0. Chosen: Legion's device windows at 0x1F_0000_0000-0x1F_FFFF_FFFF are a
  hole in RAM; a machine with more than 124 GB continues its RAM at 0x20_0000_0000. PA
  bit 39 is I/O on these chips, so RAM ends below 0x80_0000_0000 = 512 GB: a T5440 maps
  508 GB of its 512 GB (the installed memory defaults to the maximum that fits).
"""
import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from ..cmt import chips

GB = 1 << 30
MB = 1 << 20
KB = 1 << 10

# the Legion map (reference/sun4v.md §7); see the module docstring
HV_RAM = 0x0010_0000
FIRMWARE_RESERVED = 128 * MB           # ldm's `_sys_` memory (chosen; holds HV_RAM)
HV_RAM_SIZE = 63 * MB
GUEST_RAM = 0x8000_0000
GUEST_UART0 = 0x1F_1000_0000
GUEST_UART_STEP = 0x2000
UART_SIZE = 0x50
GUEST_NVRAM0 = 0x1F_1100_0000
NVRAM_SIZE = 8 * KB
GUEST_MD = 0x1F_1200_0000
HV_MD = 0x1F_1208_0000
MD_ROM_SIZE = 64 * KB
BOOT_ROM = 0xFF_F000_0000
BOOT_ROM_SIZE = 8 * MB
RESET_VECTOR = BOOT_ROM + 0x20          # RSTV + POR slot (UA2007 RED_state vectors)
HV_IMAGE = BOOT_ROM + 0x1_0000
OBP_IMAGE = BOOT_ROM + 0x8_0000
HV_UART = 0xFF_F0C2_C000
HV_TOD = 0xFF_F0C1_FFF8
TOD_SIZE = 8
IOB = 0x98_0000_0000                    # T1 IOB (ontario iob.h IOBBASE)
IOB_SIZE = 0x1000
NCU = 0x80_0000_0000                    # T2 NCU (huron ncu.h NCU_BASE)
NCU_SIZE = 0x2000
NCU_MONDO = 0x80_0004_0000              # NCUINT: mondo data and busy registers
NCU_MONDO_SIZE = 0x1000
RAM_HOLE = (0x1F_0000_0000, 0x20_0000_0000)
IO_BIT = 1 << 39
MAX_RAM = IO_BIT - (RAM_HOLE[1] - RAM_HOLE[0])

# address map kinds
RAM, ROM, NVRAM, DEVICE = "ram", "rom", "nvram", "device"


@dataclass(frozen=True)
class Region:
    """One window of the physical address map."""
    name: str
    base: int
    size: int
    kind: str                   # RAM, ROM, NVRAM or DEVICE
    note: str = ""

    @property
    def limit(self):
        return self.base + self.size


@dataclass(frozen=True)
class Platform:
    key: str                    # catalogue name: t2000, t5220, ...
    name: str                   # marketing name: "Sun Fire T2000"
    chip: chips.Chip            # sockets set to the server's count
    max_memory: int             # bytes
    memory: int                 # installed (bytes); the machine's RAM ranges hold this
    stick_hz: int
    guest_uarts: int = 1        # Legion's guest UARTs n at GUEST_UART0 + n * 0x2000
    serial: int = 0x1234_5678   # PROC_SER_NUM (chosen)

    def replace(self, **changes):
        """This platform with some parameters changed; ValueError names an unknown one
        or an impossible value."""
        bad = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if bad:
            raise ValueError(f"unknown platform parameter(s): {', '.join(bad)}")
        p = dataclasses.replace(self, **changes)
        p.check()
        return p

    def with_chip(self, **changes):
        """This platform with its chip's parameters changed (clock_mhz, cores, l2_size...)."""
        return self.replace(chip=self.chip.replace(**changes))

    def check(self):
        if self.memory <= 0 or self.memory % (8 * KB):
            raise ValueError(f"memory {self.memory}: a positive multiple of 8 KB")
        top = max(r.limit for r in self.ram_ranges())
        if top > IO_BIT:
            raise ValueError(f"memory {self.memory >> 20} MB does not fit below the I/O "
                             f"space (PA bit 39)")
        if self.stick_hz <= 0 or self.chip.clock_mhz <= 0:
            raise ValueError("clock and stick frequency must be positive")
        if not 1 <= self.guest_uarts <= 8:
            raise ValueError("guest_uarts: 1 to 8")

    # ---- derived ------------------------------------------------------------------
    @property
    def family(self):
        return self.chip.family

    @property
    def sockets(self):
        return self.chip.sockets

    @property
    def cores(self):
        return self.chip.cores * self.chip.sockets

    @property
    def strands(self):
        return self.chip.total_strands

    @property
    def cores_per_socket(self):
        return self.chip.cores

    @property
    def strands_per_core(self):
        return self.chip.strands_per_core

    @property
    def reserved_ranges(self):
        """RAM the firmware keeps for itself, as (base, size): the first 128 MB, which
        hold the hypervisor (HV_RAM) and its machine descriptions; the control domain's
        memory starts above it (reference/ldm_xscf.md A4 shows primary at 0x8000000)."""
        return ((0, FIRMWARE_RESERVED),)

    @property
    def clock_hz(self):
        return self.chip.clock_mhz * 1_000_000

    @property
    def stick_ratio(self):
        """stick_hz / clock_hz as (numerator, denominator) in lowest terms."""
        f = Fraction(self.stick_hz, self.clock_hz)
        return f.numerator, f.denominator

    def ram_ranges(self):
        """RAM as (base, size) pairs: from PA 0, around the device hole."""
        lo, hi = RAM_HOLE
        if self.memory <= lo:
            return [Region("ram", 0, self.memory, RAM)]
        return [Region("ram", 0, lo, RAM),
                Region("ram", hi, self.memory - lo, RAM, "above the device hole")]

    def address_map(self):
        """Every window of the physical address map, by base address."""
        m = list(self.ram_ranges())
        m += [
            Region("hv_ram", HV_RAM, HV_RAM_SIZE, RAM, "hypervisor RAM (in RAM)"),
            Region("guest_ram", GUEST_RAM, max(0, min(self.memory, RAM_HOLE[0]) - GUEST_RAM),
                   RAM, "guest RAM (in RAM)"),
            Region("guest_nvram0", GUEST_NVRAM0, NVRAM_SIZE, NVRAM),
            Region("guest_md", GUEST_MD, MD_ROM_SIZE, ROM, "guest machine description"),
            Region("hv_md", HV_MD, MD_ROM_SIZE, ROM, "hypervisor machine description"),
            Region("boot_rom", BOOT_ROM, BOOT_ROM_SIZE, ROM,
                   "reset vector +0x20, hypervisor +0x10000, OpenBoot +0x80000"),
            Region("hv_uart", HV_UART, UART_SIZE, DEVICE, "16550 (dumbserial)"),
            Region("tod", HV_TOD, TOD_SIZE, DEVICE, "seconds since 1970"),
        ]
        for n in range(self.guest_uarts):
            m.append(Region(f"guest_uart{n}", GUEST_UART0 + n * GUEST_UART_STEP, UART_SIZE,
                            DEVICE, "16550 (dumbserial)"))
        if self.family == "t1":
            m.append(Region("iob", IOB, IOB_SIZE, DEVICE,
                            "INT_MAN +0, INT_CTL +0x400, INT_VEC_DIS +0x800"))
        else:
            m.append(Region("ncu", NCU, NCU_SIZE, DEVICE,
                            "INT_MAN +0 (128), MONDO_INT_VEC +0xa00, PROC_SER_NUM +0x1000"))
            m.append(Region("ncu_mondo", NCU_MONDO, NCU_MONDO_SIZE, DEVICE,
                            "mondo data +0/+0x200, busy +0x800"))
        return sorted(m, key=lambda r: (r.base, r.name))

    def region(self, name):
        for r in self.address_map():
            if r.name == name:
                return r
        raise KeyError(name)


def _p(key, name, chip, sockets, clock_mhz, max_gb, cores=8):
    c = chips.CHIPS[chip].replace(sockets=sockets, clock_mhz=clock_mhz, cores=cores)
    p = Platform(key=key, name=name, chip=c, max_memory=max_gb * GB,
                 memory=min(max_gb * GB, MAX_RAM), stick_hz=clock_mhz * 1_000_000)
    p.check()
    return p


# the catalogue: (key, name, chip, sockets, clock MHz, maximum memory GB)
PLATFORMS = {p.key: p for p in [
    _p("t1000", "Sun Fire T1000", "t1", 1, 1000, 32),
    _p("t2000", "Sun Fire T2000", "t1", 1, 1200, 64),
    _p("t5120", "SPARC Enterprise T5120", "t2", 1, 1400, 128),
    _p("t5220", "SPARC Enterprise T5220", "t2", 1, 1400, 128),
    _p("t5140", "SPARC Enterprise T5140", "t2plus", 2, 1200, 128),
    _p("t5240", "SPARC Enterprise T5240", "t2plus", 2, 1400, 256),
    _p("t5440", "SPARC Enterprise T5440", "t2plus", 4, 1400, 512),
    _p("t6300", "Sun Blade T6300", "t1", 1, 1200, 32),
    _p("t6320", "Sun Blade T6320", "t2", 1, 1400, 128),
    _p("t6340", "Sun Blade T6340", "t2plus", 2, 1400, 256),
]}


def platform(x):
    """The Platform of `x` (a Platform, or a catalogue name, any case); KeyError names
    the known platforms."""
    if isinstance(x, Platform):
        return x
    try:
        return PLATFORMS[str(x).lower()]
    except KeyError:
        raise KeyError(f"unknown platform {x!r} (known: {', '.join(PLATFORMS)})") from None
