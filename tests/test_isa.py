"""The instruction table against GNU objdump: every instruction the cross toolchain's
disassembler knows in compiled glibc programs must decode, and branch/call targets and
load/store mnemonics must agree."""
import re
import subprocess
from pathlib import Path

import pytest

from sun4v.cmt import isa

import setup_tools

ROOT = Path(__file__).resolve().parent.parent
OBJDUMP = "sparc64-linux-gnu-objdump"

_LINE = re.compile(r"^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} ){4})\s*(\S+)\s*(.*)$")
# objdump names that are not instructions, or are synthetic forms of other names
_NOT_INSNS = {"illtrap", "unimp", ".word", "<unknown>"}
_SAME_NAME = {"ldx", "stx", "ldub", "lduh", "ldsb", "ldsh", "ldsw", "stb", "sth", "ldd",
              "std", "mulx", "sdivx", "udivx", "sllx", "srlx", "srax", "sll", "srl", "sra",
              "save", "restore", "membar", "flushw", "popc", "addc",
              "subc", "umul", "smul", "udiv", "sdiv", "xnor", "andn", "orn", "faligndata",
              "fzero", "fone"}


def _objdump(path):
    setup_tools.require_tools(OBJDUMP)
    out = subprocess.run([OBJDUMP, "-d", str(path)], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        m = _LINE.match(line)
        if m:
            yield int(m.group(1), 16), int(m.group(2).replace(" ", ""), 16), m.group(3), m.group(4)


def _program(name):
    return setup_tools.require_built(ROOT / "build" / "progs" / name)


@pytest.mark.parametrize("prog", ["demo.O2", "printf_fmt.O0"])
def test_every_objdump_instruction_decodes(prog):
    missing = {}
    n = 0
    for pc, word, mnem, _ in _objdump(_program(prog)):
        if mnem in _NOT_INSNS:
            continue
        n += 1
        if isa.decode(word) is None:
            missing.setdefault(mnem, hex(word))
    assert n > 10000
    assert not missing, f"instructions objdump knows but the table does not: {missing}"


def test_branch_targets_and_names_match_objdump():
    checked = 0
    for pc, word, mnem, ops in _objdump(_program("demo.O2")):
        ins = isa.decode(word)
        if ins is None:
            continue
        ours = isa.disasm(word, pc)
        if ins.cls == "branch" and ins.name != "illtrap":
            target = re.search(r"\b([0-9a-f]+) <", ops)
            assert target, (hex(pc), mnem, ops)
            assert f"{int(target.group(1), 16):#x}" in ours, (hex(pc), mnem, ops, ours)
            checked += 1
        elif mnem in _SAME_NAME and "%f" not in ops:
            assert ours.split()[0] == mnem, (hex(pc), mnem, ops, ours)
            checked += 1
    assert checked > 5000


@pytest.mark.parametrize("word,text", [
    (0x9DE3BF50, "save %sp, -0xb0, %sp"),
    (0x01000000, "nop"),
    (0x81C7E008, "jmpl [%i7 + 8], %g0"),
    (0x91D0206D, "ta %icc, 0x6d"),
    (0xC25FA7F7, "ldx [%fp + 0x7f7], %g1"),
    (0x8143E00F, "membar #LoadLoad | #StoreLoad | #LoadStore | #StoreStore"),
    (0x83287003, "sllx %g1, 3, %g1"),
    (0x81CFE008, "return [%i7 + 8]"),
])
def test_disassembly_text(word, text):
    assert isa.disasm(word, 0) == text


def test_decode_prefers_the_most_specific_pattern():
    assert isa.decode(0x8143E00F).name == "membar"       # rd %asr15 with rd=0, i=1
    assert isa.decode(0x8143C000).name == "stbar"
    assert isa.decode(0x83414000).name == "rd"           # rd %pc, %g1
    assert isa.decode(0x00000000).name == "illtrap"
    assert isa.decode(0x81F80000) is None                # op=2 op3=0x3f is reserved
