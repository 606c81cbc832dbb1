"""Syscall-emulation loader: ELF checks, segments, the initial stack and auxv as Linux and
qemu-sparc64 lay them out, and `sun4v run` bad-input handling."""
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from sun4v.cmt import state as S
from sun4v.cmt.memory import Memory, PERM_R, PERM_W, PERM_X
from sun4v.se import loader
from sun4v.se.loader import LoadError

import setup_tools

ROOT = Path(__file__).resolve().parents[1]
CC = shutil.which("sparc64-linux-gnu-gcc")
QEMU = shutil.which("qemu-sparc64")


def make_elf(cls=2, data=2, machine=43, etype=2, phdrs=((1, 5, 0, 0x100000, 0x200, 0x200),),
             body=b"\x01\x00\x00\x00" * 4):
    """A minimal ELF: phdrs are (type, flags, offset, vaddr, filesz, memsz)."""
    if cls == 1:
        return b"\x7fELF" + bytes([1, data, 1]) + bytes(9) + struct.pack(
            ">HHI", etype, 2, 1) + bytes(40)
    e = ">" if data == 2 else "<"
    hdr = b"\x7fELF" + bytes([2, data, 1]) + bytes(9)
    hdr += struct.pack(e + "HHIQQQIHHHHHH", etype, machine, 1, 0x100000, 64, 0, 0, 64, 56,
                       len(phdrs), 64, 0, 0)
    ph = b"".join(struct.pack(e + "IIQQQQQQ", t, f, off, va, va, fs, ms, 0x2000)
                  for t, f, off, va, fs, ms in phdrs)
    out = hdr + ph
    return out + body + bytes(max(0, 0x200 - len(out) - len(body)))


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


# ---- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("data,words", [
    (None, "no such file"),
    (b"#!/bin/sh\necho hi\n", "not an ELF"),
    (b"\x7fELF", "not an ELF"),
    (make_elf(cls=1), "32-bit ELF not supported"),
    (make_elf(data=1, machine=62), "x86-64, not SPARC V9"),
    (make_elf(machine=2), "not SPARC V9"),
    (make_elf(phdrs=((3, 4, 0x100, 0x100100, 0x20, 0x20), (1, 5, 0, 0x100000, 0x200, 0x200))),
     "dynamically linked ELF (PT_INTERP"),
    (make_elf(etype=1), "relocatable object"),
    (make_elf(phdrs=((1, 5, 0, 0x100000, 0x90000, 0x90000),)), "corrupt ELF segment"),
    (make_elf()[:40], "corrupt ELF header"),
])
def test_bad_elf_raises_one_line(tmp_path, data, words):
    path = str(tmp_path / "missing") if data is None else write(tmp_path, "prog", data)
    with pytest.raises(LoadError) as e:
        loader.load(Memory(), path, [path])
    msg = str(e.value)
    assert words in msg and "\n" not in msg and path in msg


def _cli(*args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "sun4v", *args], capture_output=True,
                          env=env, timeout=120, **kw)


@pytest.mark.parametrize("data,words", [
    (None, "no such file"), (b"hello", "not an ELF"), (make_elf(cls=1), "32-bit"),
    (make_elf(phdrs=((3, 4, 0x100, 0x100100, 0x20, 0x20),)), "dynamically linked"),
])
def test_cli_bad_input_exit_2_one_line(tmp_path, data, words):
    path = str(tmp_path / "missing") if data is None else write(tmp_path, "prog", data)
    r = _cli("run", path, "-x")
    err = r.stderr.decode()
    assert r.returncode == 2 and r.stdout == b""
    assert err.count("\n") == 1 and err.startswith("sun4v: ") and words in err
    assert "Traceback" not in err


def test_cli_usage_errors():
    r = _cli("run")
    assert r.returncode == 2 and r.stderr.decode().startswith("sun4v: ")
    r = _cli("frobnicate")
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1
    for args in (("--help",), ("run", "--help")):
        r = _cli(*args)
        assert r.returncode == 0 and b"usage: sun4v" in r.stdout


# ---- layout ------------------------------------------------------------------------------
def test_segments_and_brk(tmp_path):
    text = (0x100000, 0x3000)
    data_va = 0x2ff370
    data = make_elf(phdrs=((1, 5, 0, 0x100000, 0x200, 0x3000),
                           (1, 6, 0x100, data_va, 0x40, 0x7ba0)),
                    body=b"\xAB" * 0x40)
    path = write(tmp_path, "prog", data)
    mem = Memory()
    prog = loader.load(mem, path, [path], envp=[])
    assert mem.page_perm(text[0]) == PERM_R | PERM_X
    assert mem.page_perm(0x2fe000) == PERM_R | PERM_W
    assert mem.read(data_va, 0x40) == data[0x100:0x140]
    assert mem.read(data_va + 0x40, 0x100) == bytes(0x100)         # bss zeroed
    assert prog.brk == 0x308000                                    # page above the bss
    assert not mem.is_mapped(prog.brk)


@pytest.mark.parametrize("stack_flags,exec_stack", [(6, False), (7, True), (None, True)])
def test_stack_protection_from_pt_gnu_stack(tmp_path, stack_flags, exec_stack):
    """Linux (fs/binfmt_elf.c): PT_GNU_STACK's PF_X decides whether the stack is
    executable; without PT_GNU_STACK it gets VM_STACK_DEFAULT_FLAGS, executable on sparc64
    (VM_DATA_DEFAULT_FLAGS in arch/sparc/include/asm/page_64.h)."""
    phdrs = [(1, 5, 0, 0x100000, 0x200, 0x200)]
    if stack_flags is not None:
        phdrs.append((loader.PT_GNU_STACK, stack_flags, 0, 0, 0, 0))
    path = write(tmp_path, "prog", make_elf(phdrs=tuple(phdrs)))
    mem = Memory()
    prog = loader.load(mem, path, [path], envp=[])
    want = PERM_R | PERM_W | (PERM_X if exec_stack else 0)
    assert mem.page_perm(prog.stack_top - 8) == want
    assert mem.page_perm(prog.stack_low) == want


def _read_stack(mem, prog):
    a = prog.argc_addr
    argc = mem.read_u64(a)
    argv = [mem.read_u64(a + 8 * (1 + i)) for i in range(argc)]
    assert mem.read_u64(a + 8 * (1 + argc)) == 0
    p = a + 8 * (2 + argc)
    envp = []
    while mem.read_u64(p):
        envp.append(mem.read_u64(p))
        p += 8
    p += 8
    auxv = []
    while True:
        k, v = mem.read_u64(p), mem.read_u64(p + 8)
        auxv.append((k, v))
        p += 16
        if k == 0:
            break
    return argc, argv, envp, auxv


def test_initial_stack_and_auxv(tmp_path):
    path = write(tmp_path, "prog", make_elf())
    mem = Memory()
    prog = loader.load(mem, path, ["./prog", "a", "-x"], envp=[b"B=2", b"A=1"])
    assert prog.argc_addr % 16 == 0
    assert prog.sp == prog.argc_addr - 128 - 2047
    argc, argv, envp, auxv = _read_stack(mem, prog)
    assert argc == 3
    assert [mem.read_cstr(x) for x in argv] == [b"./prog", b"a", b"-x"]
    assert [mem.read_cstr(x) for x in envp] == [b"B=2", b"A=1"]
    aux = dict(auxv)
    assert [k for k, _ in auxv] == [3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 25, 23, 31, 0]
    assert aux[loader.AT_PAGESZ] == 8192 and aux[loader.AT_ENTRY] == 0x100000
    assert aux[loader.AT_PHDR] == 0x100040 and aux[loader.AT_PHENT] == 56
    assert aux[loader.AT_PHNUM] == 1 and aux[loader.AT_HWCAP] == 0x1f
    assert aux[loader.AT_CLKTCK] == 100 and aux[loader.AT_SECURE] == 0
    assert mem.read(aux[loader.AT_RANDOM], 16) == loader.RANDOM_BYTES
    assert mem.read_cstr(aux[loader.AT_EXECFN]) == b"./prog"
    # strings sit at the top of the stack, below an 8-byte slot
    assert aux[loader.AT_EXECFN] + len(b"./prog") + 1 == prog.stack_top - 8
    assert argv[0] < argv[1] < envp[0] < envp[1] < aux[loader.AT_EXECFN]


def test_initial_registers(tmp_path):
    path = write(tmp_path, "prog", make_elf())
    mem = Memory()
    prog = loader.load(mem, path, [path], envp=[])
    St = S.StrandArrays(1)
    St.R[0, :] = 7
    loader.init_registers(St, 0, prog)
    assert St.C[0, S.PC] == 0x100000 and St.C[0, S.NPC] == 0x100004
    assert St.get_reg(0, 14) == prog.sp
    assert all(St.get_reg(0, n) == 0 for n in range(32) if n != 14)   # %g1 = 0: no rtld_fini
    assert St.C[0, S.FPRS] & S.FPRS_FEF and St.C[0, S.PSTATE] & S.PSTATE_PEF
    assert St.C[0, S.CCR] == 0


def test_host_environment_is_reversed_like_qemu():
    env = loader.host_environment()
    raw = open("/proc/self/environ", "rb").read().split(b"\0")
    assert env == list(reversed([e for e in raw if e]))


def test_stack_addresses_match_qemu(tmp_path):
    setup_tools.require_tools(setup_tools.CROSS_CC, setup_tools.QEMU)
    src = tmp_path / "p.c"
    src.write_text(r'''
#include <stdio.h>
#include <sys/auxv.h>
extern char **environ;
int main(int argc, char **argv) {
  printf("%p %p %p %p %lx\n", (void *)(argv - 1), argv[0], environ[0],
         (void *)getauxval(AT_RANDOM), getauxval(AT_HWCAP));
  return 0;
}''')
    exe = tmp_path / "p"
    subprocess.run([CC, "-static", "-O2", "-o", str(exe), str(src)], check=True)
    env = {"A": "1", "BB": "22"}
    out = subprocess.run([QEMU, str(exe), "x", "yy"], env=env, capture_output=True,
                         check=True).stdout.split()
    mem = Memory()
    prog = loader.load(mem, str(exe), [str(exe), "x", "yy"],
                       envp=list(reversed([b"A=1", b"BB=22"])))
    argc, argv, envp, auxv = _read_stack(mem, prog)
    got = [prog.argc_addr, argv[0], envp[0], dict(auxv)[loader.AT_RANDOM]]
    assert [int(x, 16) for x in out[:4]] == got
    assert int(out[4], 16) == dict(auxv)[loader.AT_HWCAP]
