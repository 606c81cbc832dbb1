"""The product topologies `ldm init --platform NAME` offers: chips, cores, strands and
memory of the Sun CMT servers, as the binder needs them (topology.py's protocol).

The machine's platform catalogue (`sun4v/machine/platforms.py`, issue 10, being written
on another branch) will be the single source of the servers' facts: when it lands, this
table gives way to `Topology.of(catalogue entry)` (tests/ldm/test_ldm_topology.py compares the
two as soon as the catalogue is importable). Values (product
data sheets, from memory [M] where not re-checked): T1 = 8 cores x 4 strands, T2/T2+ = 8
cores x 8 strands (cmt_microarch.md §1/§3); maximum memory per the data sheets [M].

Chosen here (not published):
- physical address map of multi-socket T2+ machines: socket s's memory at
  s * 0x20_0000_0000 (128 GB windows, the most one T2+ socket takes);
- installed memory by default (`--memory` changes it);
- the firmware's memory (`_sys_`): the first 128 MB of socket 0, which holds the
  hypervisor at 0x10_0000 (Legion map, sun4v.md §7) and its machine descriptions; the
  reference's sample (ldm_xscf.md A4) shows the control domain's memory at 0x8000000.
"""
from __future__ import annotations

from .errors import LdmError
from .topology import Topology
from .units import G, M, format_size

SOCKET_WINDOW = 0x20_0000_0000
FIRMWARE_RESERVED = 128 * M
MEMORY_STEP = 256 * M            # installed memory is a multiple of this per socket

#         name      sockets cores strands max memory default memory  chip
PRODUCTS = {
    "T1000": (1, 8, 4, 32 * G, 16 * G, "UltraSPARC T1"),
    "T2000": (1, 8, 4, 64 * G, 32 * G, "UltraSPARC T1"),
    "T5120": (1, 8, 8, 128 * G, 32 * G, "UltraSPARC T2"),
    "T5220": (1, 8, 8, 128 * G, 32 * G, "UltraSPARC T2"),
    "T5140": (2, 8, 8, 128 * G, 64 * G, "UltraSPARC T2 Plus"),
    "T5240": (2, 8, 8, 256 * G, 64 * G, "UltraSPARC T2 Plus"),
    "T5440": (4, 8, 8, 512 * G, 128 * G, "UltraSPARC T2 Plus"),
    "T6300": (1, 8, 4, 32 * G, 16 * G, "UltraSPARC T1"),
    "T6320": (1, 8, 8, 128 * G, 32 * G, "UltraSPARC T2"),
}


def names() -> list[str]:
    return list(PRODUCTS)


def topology(name: str, memory: int | None = None) -> Topology:
    """The topology of product NAME (case-insensitive) with `memory` bytes installed
    (default: the table's), spread evenly over its sockets. LdmError on an unknown
    product or a memory size it cannot hold."""
    key = name.upper()
    if key not in PRODUCTS:
        raise LdmError(f"Unknown platform {name!r}; known: {', '.join(PRODUCTS)}")
    sockets, cores, strands, max_mem, default_mem, _chip = PRODUCTS[key]
    mem = default_mem if memory is None else memory
    if mem > max_mem:
        raise LdmError(f"The {key} holds at most {format_size(max_mem)} of memory")
    if mem <= 0 or mem % (MEMORY_STEP * sockets):
        raise LdmError(f"Memory of the {key} must be a positive multiple of "
                       f"{format_size(MEMORY_STEP * sockets)}")
    per = mem // sockets
    ram = tuple((s * SOCKET_WINDOW, per) for s in range(sockets))
    if per <= FIRMWARE_RESERVED:
        raise LdmError(f"{format_size(mem)} leaves no memory after the firmware's "
                       f"{format_size(FIRMWARE_RESERVED)}")
    return Topology(name=key, sockets=sockets, cores_per_socket=cores,
                    strands_per_core=strands, ram_ranges=ram,
                    reserved_ranges=((0, FIRMWARE_RESERVED),))
