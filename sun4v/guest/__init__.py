"""The guest kernel: the project's own small sun4v guest OS (SPARC assembly and C in this
directory, built by `make` into build/guest/guest.elf and the raw image guest.bin that
`sun4v boot` puts in the guest ROM), and `hostif`, the host's view of a running one
(its counters page and the control domain's relay). README.md describes the kernel.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "build" / "guest" / "guest.bin"
ELF = ROOT / "build" / "guest" / "guest.elf"
