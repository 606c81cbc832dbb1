"""The product topologies `ldm init --platform NAME` offers, taken from the machine's
platform catalogue (`sun4v/machine/platforms.py`, the one table of the Sun CMT servers):
chips, cores, strands, RAM ranges and the firmware's reserved memory, as the binder
needs them (topology.py's protocol).

Chosen here (not published): installed memory is a positive multiple of 256 MB per
socket (the binder's memory block size), at most the server's maximum; by default the
catalogue's installed memory (sparse in the simulator: unused memory costs nothing).
"""
from __future__ import annotations

from sun4v.machine import platforms

from .errors import LdmError
from .topology import Topology
from .units import M, format_size

MEMORY_STEP = 256 * M            # installed memory is a multiple of this per socket


def names() -> list[str]:
    return [key.upper() for key in platforms.PLATFORMS]


def topology(name: str, memory: int | None = None) -> Topology:
    """The topology of product NAME (case-insensitive) with `memory` bytes installed
    (default: the catalogue's). LdmError on an unknown product or a memory size it
    cannot hold."""
    try:
        p = platforms.platform(name)
    except KeyError:
        raise LdmError(f"Unknown platform {name!r}; known: {', '.join(names())}") from None
    key = p.key.upper()
    if memory is not None:
        if memory > p.max_memory:
            raise LdmError(f"The {key} holds at most {format_size(p.max_memory)} of memory")
        if memory <= 0 or memory % (MEMORY_STEP * p.sockets):
            raise LdmError(f"Memory of the {key} must be a positive multiple of "
                           f"{format_size(MEMORY_STEP * p.sockets)}")
        p = p.replace(memory=memory)
    reserved = sum(size for _, size in p.reserved_ranges)
    if p.memory <= reserved:
        raise LdmError(f"{format_size(p.memory)} leaves no memory after the firmware's "
                       f"{format_size(reserved)}")
    t = Topology.of(p)
    return Topology(name=key, sockets=t.sockets, cores_per_socket=t.cores_per_socket,
                    strands_per_core=t.strands_per_core, ram_ranges=t.ram_ranges,
                    reserved_ranges=t.reserved_ranges)
