"""Build the bare-metal test programs the way the Makefile does, when missing or stale:
assembly (tests/asm/NAME.S, baremetal.ld at the boot ROM) and freestanding C
(tests/baremetal/NAME.c with crt0.S, linked in RAM); and the tests/bench programs
(static Linux programs) some of them are compared with."""
import subprocess
from pathlib import Path

import setup_tools

ROOT = Path(__file__).resolve().parent.parent
ASM = ROOT / "tests" / "asm"
BM = ROOT / "tests" / "baremetal"
CC = "sparc64-linux-gnu-gcc"
BM_CFLAGS = ["-O2", "-ffreestanding", "-fno-pic", "-fno-pie", "-no-pie", "-mcmodel=medlow",
             "-mcpu=niagara", "-fno-builtin", "-nostdlib", "-static", "-Wall", "-Werror"]


def _stale(out, deps):
    return not out.exists() or any(d.stat().st_mtime > out.stat().st_mtime for d in deps)


def _cc(args):
    setup_tools.require_tools(CC)
    r = subprocess.run([CC] + args, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr)


def asm(name):
    out = ROOT / "build" / "asm" / name
    deps = [ASM / f"{name}.S", ASM / "bm.h", ASM / "baremetal.ld"]
    if _stale(out, deps):
        out.parent.mkdir(parents=True, exist_ok=True)
        _cc(["-nostdlib", "-static", "-Wl,-T," + str(ASM / "baremetal.ld"),
             "-Wl,-z,max-page-size=0x2000", "-o", str(out), str(ASM / f"{name}.S")])
    return out


def c(name):
    out = ROOT / "build" / "baremetal" / name
    deps = [BM / f"{name}.c", BM / "crt0.S", BM / "rt.h", BM / "baremetal.ld", ASM / "bm.h",
            ROOT / "tests" / "bench" / "xlate_kernel.h"]
    if _stale(out, deps):
        out.parent.mkdir(parents=True, exist_ok=True)
        _cc(BM_CFLAGS + ["-Wl,-T," + str(BM / "baremetal.ld"), "-Wl,-z,max-page-size=0x2000",
                         "-Wl,--build-id=none", "-o", str(out), str(BM / "crt0.S"),
                         str(BM / f"{name}.c")])
    return out


def bench(name):
    out = ROOT / "build" / "bench" / name
    src = ROOT / "tests" / "bench"
    deps = [src / f"{name}.c", src / "bench.h", src / "xlate_kernel.h"]
    if _stale(out, deps):
        out.parent.mkdir(parents=True, exist_ok=True)
        _cc(["-static", "-O2", "-pthread", "-o", str(out), str(src / f"{name}.c")])
    return out
