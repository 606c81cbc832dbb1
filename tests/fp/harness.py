"""Build small SPARC programs with the cross assembler and run them under the sun4v engine
and under qemu-sparc64; both print the same bytes (write(1, out, n) via ta 0x6d)."""
import hashlib
import os
import subprocess
import tempfile

GCC = "sparc64-linux-gnu-gcc"
QEMU = "qemu-sparc64"
BUILD_DIR = os.path.join(tempfile.gettempdir(), f"sun4v-fp-tests-{os.getuid()}")

PROLOGUE = """\
    .register %g2, #scratch
    .register %g3, #scratch
    .section .text
    .globl _start
_start:
    sethi %hi(inp), %l0
    or %l0, %lo(inp), %l0
    sethi %hi(outp), %l1
    or %l1, %lo(outp), %l1
    mov %l1, %l7
    wr %g0, 4, %fprs
"""
EPILOGUE = """\
    mov 1, %o0
    mov %l7, %o1
    sub %l1, %l7, %o2
    mov 4, %g1
    ta 0x6d
    mov 0, %o0
    mov 1, %g1
    ta 0x6d
    .section .data
    .align 64
inp:
{data}
    .align 64
outp:
    .skip {outsize}
"""


def program(body, data_words, outsize):
    """Assembly text: body runs with %l0 -> input words (.xword), %l1 -> output buffer;
    everything between outp and %l1 at the end is written to stdout."""
    data = "\n".join(f"    .xword {w & 0xFFFFFFFFFFFFFFFF:#x}" for w in data_words) or "    .xword 0"
    return PROLOGUE + body + EPILOGUE.format(data=data, outsize=max(outsize, 8))


def build(src):
    os.makedirs(BUILD_DIR, exist_ok=True)
    h = hashlib.sha1(src.encode()).hexdigest()[:16]
    exe = os.path.join(BUILD_DIR, h)
    if not os.path.exists(exe):
        s = exe + ".S"
        with open(s, "w") as f:
            f.write(src)
        subprocess.run([GCC, "-mcpu=niagara2", "-fno-pic", "-no-pie", "-nostdlib", "-static",
                        "-Wl,-z,max-page-size=0x2000", "-o", exe + ".tmp", s],
                       check=True, capture_output=True, text=True)
        os.rename(exe + ".tmp", exe)
    return exe


def run_qemu(exe):
    p = subprocess.run([QEMU, "-cpu", "Sun UltraSparc T2", exe], capture_output=True, timeout=60)
    assert p.returncode == 0, (p.returncode, p.stderr)
    return p.stdout


def load_engine(exe):
    from elftools.elf.elffile import ELFFile

    from sun4v.cmt import state as S
    from sun4v.cmt.engine import Engine
    eng = Engine()
    with open(exe, "rb") as fh:
        f = ELFFile(fh)
        for seg in f.iter_segments():
            if seg["p_type"] == "PT_LOAD":
                base = seg["p_vaddr"] & ~8191
                size = (seg["p_vaddr"] + seg["p_memsz"] - base + 8191) & ~8191
                eng.mem.map(base, size)
                eng.mem.write(seg["p_vaddr"], seg.data())
        entry = f.header.e_entry
    eng.mem.map(0x7F0000000000 - 0x100000, 0x100000)
    C = eng.S.C[0]
    C[S.PC] = entry
    C[S.NPC] = entry + 4
    eng.S.set_reg(0, 14, 0x7F0000000000 - 0x10000 - 2047)
    C[S.PSTATE] = S.PSTATE_PEF
    return eng


def run_engine(exe, eng=None, max_exits=10000):
    """Run to exit(); returns (stdout bytes, engine). A trap other than a syscall returns
    early with ('trap', tt) as the first item."""
    from sun4v.cmt import state as S
    eng = eng or load_engine(exe)
    C = eng.S.C[0]
    out = b""
    for _ in range(max_exits):
        code = eng.run(0, 10_000_000)
        if code != S.EXIT_SYSCALL:
            return ("exit", code, int(C[S.EXIT_ARG0])), eng
        nr = eng.S.get_reg(0, 1)
        o = [eng.S.get_reg(0, 8 + k) for k in range(3)]
        if nr == 1:
            return out, eng
        if nr == 4:
            out += bytes(eng.mem.read(o[1], o[2]))
            eng.S.set_reg(0, 8, o[2])
        else:
            eng.S.set_reg(0, 8, -38)
        C[S.PC] = C[S.NPC]
        C[S.NPC] = C[S.NPC] + 4
    raise RuntimeError("too many syscalls")
