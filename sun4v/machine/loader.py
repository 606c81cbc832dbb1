"""Loading a bare-metal program into a machine's physical memory: an ELF by its program
headers' physical addresses (p_paddr), raw images at given physical addresses (ROMs,
machine descriptions), the way OpenSPARC Legion's configurations `load` Sun's firmware
images (reference/sun4v.md §7).

Every byte must land in the platform's RAM, ROM or NVRAM; an image that overlaps a device
or lies outside memory is refused with a LoadError naming it (`sun4v baremetal` prints it
and exits with status 2). If no ELF segment covers the reset vector (0xFF_F000_0020), a
reset stub of 8 instructions is put there that jumps to the ELF's entry point."""
import os

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from . import platforms


class LoadError(Exception):
    """An image that cannot be loaded, named in one line."""


def _where(m, pa, size):
    """The memory window holding [pa, pa+size) (a Region), or a LoadError."""
    end = pa + size
    for r in m.platform.address_map():
        if r.name in ("hv_ram", "guest_ram"):
            continue
        if r.kind != platforms.DEVICE and r.base <= pa and end <= r.limit:
            return r
    for r in m.platform.address_map():
        if r.kind == platforms.DEVICE and pa < r.limit and r.base < end:
            raise LoadError(f"{size:#x} bytes at PA {pa:#x} overlap the {r.name} device "
                            f"at {r.base:#x}")
    rams = ", ".join(f"{r.base:#x}-{r.limit - 1:#x}" for r in m.platform.ram_ranges())
    raise LoadError(f"{size:#x} bytes at PA {pa:#x} do not fit the {m.platform.name}'s "
                    f"memory (RAM {rams}; ROMs and NVRAM: sun4v platforms "
                    f"{m.platform.key})")


def _put(m, pa, data, what):
    r = _where(m, pa, len(data))
    try:
        m.mem.write(pa, data, create=True)
    except Exception as e:              # noqa: BLE001 - any failure is a bad image
        raise LoadError(f"{what}: cannot write at PA {pa:#x}: {e}") from None
    return r


def load_image(m, data_or_path, pa):
    """Raw bytes (or a file's contents) at physical address pa."""
    what = "image"
    if isinstance(data_or_path, (str, os.PathLike)):
        what = str(data_or_path)
        try:
            with open(data_or_path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise LoadError(f"{what}: {e.strerror}") from None
    else:
        data = bytes(data_or_path)
    if not data:
        raise LoadError(f"{what}: empty image")
    try:
        _put(m, pa, data, what)
    except LoadError as e:
        raise LoadError(f"{what}: {e}") from None
    return pa


def load_elf(m, path):
    """An ELF's PT_LOAD segments at p_paddr (file bytes, then zeros up to p_memsz).
    Returns the entry point."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise LoadError(f"{path}: {e.strerror}") from None
    with f:
        try:
            elf = ELFFile(f)
            if elf.elfclass != 64 or elf["e_machine"] != "EM_SPARCV9":
                raise LoadError(f"{path}: not a 64-bit SPARC ELF")
            covered = False
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                    continue
                pa, memsz = seg["p_paddr"], seg["p_memsz"]
                data = seg.data()
                try:
                    _where(m, pa, memsz)
                except LoadError as e:
                    raise LoadError(f"{path}: segment: {e}") from None
                if data:
                    _put(m, pa, data, path)
                if memsz > len(data):
                    _put(m, pa + len(data), bytes(memsz - len(data)), path)
                if pa <= platforms.RESET_VECTOR < pa + memsz:
                    covered = True
            entry = elf["e_entry"]
        except ELFError as e:
            raise LoadError(f"{path}: not an ELF file ({e})") from None
    if not covered:
        _put(m, platforms.RESET_VECTOR, reset_stub(entry), path)
    return entry


def _sethi(rd, imm22):
    return (rd << 25) | (4 << 22) | (imm22 & 0x3FFFFF)


def _or_imm(rd, rs1, simm13):
    return (2 << 30) | (rd << 25) | (2 << 19) | (rs1 << 14) | (1 << 13) | (simm13 & 0x1FFF)


def reset_stub(entry):
    """8 instructions (the POR slot): setx entry, %g1, %g2; jmp %g2; nop."""
    words = [
        _sethi(1, entry >> 42),                       # sethi %uhi(entry), %g1
        _or_imm(1, 1, (entry >> 32) & 0x3FF),         # or %g1, %ulo(entry), %g1
        (2 << 30) | (1 << 25) | (0x25 << 19) | (1 << 14) | (1 << 13) | (1 << 12) | 32,  # sllx
        _sethi(2, (entry >> 10) & 0x3FFFFF),          # sethi %hi(entry), %g2
        _or_imm(2, 2, entry & 0x3FF),                 # or %g2, %lo(entry), %g2
        (2 << 30) | (2 << 25) | (2 << 19) | (1 << 14) | 2,           # or %g1, %g2, %g2
        (2 << 30) | (0x38 << 19) | (2 << 14) | (1 << 13),            # jmpl %g2, %g0
        0x01000000,                                                   # nop
    ]
    return b"".join(w.to_bytes(4, "big") for w in words)
