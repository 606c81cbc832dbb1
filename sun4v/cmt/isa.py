"""The one table of SPARC V9 / UltraSPARC Architecture 2007 instruction encodings.

Each entry of the tables in isa_int.py, isa_fp.py and isa_priv.py is
(name, pattern, operands, class): the pattern fixes encoding fields ("op=2 op3=0x00"),
the operand string drives the disassembler, the class picks the execute function. From
it come: the instruction id constants (isa.ADD, isa.LDUW, ...), the decoder (a
mask/value match, most specific entry first, cached per instruction word in the hot
loop) and the disassembler. Field positions are those of the V9 manual, appendix E.
"""
import re

import numpy as np

from . import isa_fp, isa_int, isa_priv

# field name -> (high bit, low bit, signed)
FIELDS = {
    "op": (31, 30, False), "rd": (29, 25, False), "fcn": (29, 25, False),
    "a": (29, 29, False), "cond": (28, 25, False), "op2": (24, 22, False),
    "op3": (24, 19, False), "rs1": (18, 14, False), "i": (13, 13, False),
    "asi": (12, 5, False), "rs2": (4, 0, False), "simm13": (12, 0, True),
    "opf": (13, 5, False), "x": (12, 12, False), "imm22": (21, 0, False),
    "disp22": (21, 0, True), "disp19": (18, 0, True), "cc1": (21, 21, False),
    "cc0": (20, 20, False), "bcc": (21, 20, False), "p": (19, 19, False),
    "rcond_b": (27, 25, False), "b28": (28, 28, False), "d16hi": (21, 20, False),
    "d16lo": (13, 0, False), "disp30": (29, 0, True), "mcond": (17, 14, False),
    "mcc2": (18, 18, False), "mcc": (12, 11, False), "simm11": (10, 0, True),
    "rcond": (12, 10, False), "simm10": (9, 0, True), "tcc": (12, 11, False),
    "swtrap": (7, 0, False), "shcnt": (5, 0, False), "mmask": (3, 0, False),
    "cmask": (6, 4, False), "opf_cc": (13, 11, False), "opf_low": (10, 5, False),
    "fcc_cmp": (26, 25, False), "b18": (18, 18, False), "rd_hi": (29, 27, False),
    "bits_12_5": (12, 5, False), "bits_10_5": (10, 5, False), "bits_4_0": (4, 0, False),
    "bits_29_25": (29, 25, False), "bits_18_14": (18, 14, False),
}

CLASSES = ["alu", "muldiv", "branch", "ctrl", "mem", "state", "priv", "fp", "fpmem", "vis", "misc"]
CLASS_IDS = {c: i + 1 for i, c in enumerate(CLASSES)}
for _c, _i in CLASS_IDS.items():
    globals()["CLS_" + _c.upper()] = _i


def field(word, name):
    hi, lo, signed = FIELDS[name]
    v = (word >> lo) & ((1 << (hi - lo + 1)) - 1)
    if signed and v >> (hi - lo):
        v -= 1 << (hi - lo + 1)
    return v


def _pattern(text):
    mask = value = 0
    for term in text.split():
        name, val = term.split("=")
        hi, lo, _ = FIELDS[name]
        m = ((1 << (hi - lo + 1)) - 1) << lo
        v = int(val, 0) << lo
        if mask & m and (value & m & mask) != (v & mask & m):
            raise ValueError(f"conflicting pattern {text}")
        mask |= m
        value = (value & ~m) | v
    return mask, value


class Insn:
    __slots__ = ("id", "name", "mask", "value", "operands", "cls", "const")

    def __init__(self, ident, name, pattern, operands, cls):
        self.id = ident
        self.name = name
        self.mask, self.value = _pattern(pattern)
        self.operands = operands
        self.cls = cls
        self.const = re.sub(r"\{(\w+)\}", r"_\1", name).upper().replace(".", "_")


def _build():
    table = [None]
    seen = set()
    for src in (isa_int.TABLE, isa_fp.TABLE, isa_priv.TABLE):
        for name, pattern, operands, cls in src:
            ins = Insn(len(table), name, pattern, operands, cls)
            if ins.const in seen:
                raise ValueError(f"duplicate instruction name {name}")
            if cls not in CLASS_IDS:
                raise ValueError(f"{name}: unknown class {cls}")
            seen.add(ins.const)
            table.append(ins)
    return table


INSNS = _build()
BY_NAME = {ins.name: ins for ins in INSNS[1:]}
for _ins in INSNS[1:]:
    globals()[_ins.const] = _ins.id
N_INSNS = len(INSNS)

# Decoder arrays, most specific pattern first (ties: table order).
_order = sorted(INSNS[1:], key=lambda ins: (-bin(ins.mask).count("1"), ins.id))
DEC_MASK = np.array([ins.mask for ins in _order], dtype=np.uint32)
DEC_VALUE = np.array([ins.value for ins in _order], dtype=np.uint32)
DEC_ID = np.array([ins.id for ins in _order], dtype=np.int32)
ID_CLASS = np.zeros(N_INSNS, dtype=np.int32)
for _ins in INSNS[1:]:
    ID_CLASS[_ins.id] = CLASS_IDS[_ins.cls]


def decode(word):
    """Instruction entry for a 32-bit word, or None (illegal_instruction)."""
    for m, v, i in zip(DEC_MASK, DEC_VALUE, DEC_ID):
        if word & int(m) == int(v):
            return INSNS[int(i)]
    return None


# ---------------------------------------------------------------------------------------
# Disassembler
ICOND = ["n", "e", "le", "l", "leu", "cs", "neg", "vs", "a", "ne", "g", "ge", "gu", "cc", "pos", "vc"]
FCOND = ["n", "ne", "lg", "ul", "l", "ug", "g", "u", "a", "e", "ue", "ge", "uge", "le", "ule", "o"]
RCOND = ["?0", "z", "lez", "lz", "?4", "nz", "gz", "gez"]
ASR_NAMES = {0: "%y", 2: "%ccr", 3: "%asi", 4: "%tick", 5: "%pc", 6: "%fprs", 16: "%pcr",
             17: "%pic", 19: "%gsr", 20: "%softint_set", 21: "%softint_clr", 22: "%softint",
             23: "%tick_cmpr", 24: "%stick", 25: "%stick_cmpr", 26: "%strand_sts"}
PR_NAMES = ["%tpc", "%tnpc", "%tstate", "%tt", "%tick", "%tba", "%pstate", "%tl", "%pil",
            "%cwp", "%cansave", "%canrestore", "%cleanwin", "%otherwin", "%wstate", "%fq",
            "%gl"]
HPR_NAMES = {0: "%hpstate", 1: "%htstate", 3: "%hintp", 5: "%htba", 6: "%hver",
             30: "%hpr30", 31: "%hstick_cmpr"}


def reg_name(n):
    return "%" + "goli"[n >> 3] + str(n & 7) if n not in (14, 30) else ("%sp" if n == 14 else "%fp")


def _freg(n, kind):
    if kind == "d" or kind == "q":
        n = (n & 0x1E) | ((n & 1) << 5)
    return f"%f{n}"


def _imm(v):
    return str(v) if -10 < v < 10 else (hex(v) if v >= 0 else "-" + hex(-v))


def disasm(word, pc=0, symbolize=None):
    """Assembly text for one instruction word at pc (symbolize(addr) -> str or None)."""
    ins = decode(word)
    if ins is None:
        return f".word {word:#010x}"
    f = lambda n: field(word, n)  # noqa: E731

    def target(disp):
        t = (pc + 4 * disp) & 0xFFFFFFFFFFFFFFFF
        s = symbolize(t) if symbolize else None
        return f"{t:#x}" + (f" <{s}>" if s else "")

    def ri():
        return _imm(f("simm13")) if f("i") else reg_name(f("rs2"))

    def addr():
        base = reg_name(f("rs1"))
        if f("i"):
            v = f("simm13")
            return f"[{base}]" if v == 0 else f"[{base} {'+' if v >= 0 else '-'} {_imm(abs(v))}]"
        return f"[{base}]" if f("rs2") == 0 else f"[{base} + {reg_name(f('rs2'))}]"

    name = ins.name
    ops = []
    for tok in ins.operands.split(",") if ins.operands else []:
        tok = tok.strip()
        if tok == "rd":
            ops.append(reg_name(f("rd")))
        elif tok == "rs1":
            ops.append(reg_name(f("rs1")))
        elif tok == "rs2":
            ops.append(reg_name(f("rs2")))
        elif tok == "ri":
            ops.append(ri())
        elif tok == "sh":
            ops.append(str(f("shcnt") & (0x3F if f("x") else 0x1F)) if f("i") else reg_name(f("rs2")))
        elif tok == "[a]":
            ops.append(addr())
        elif tok == "[r]asi":
            ops.append(f"[{reg_name(f('rs1'))}]" + (" %asi" if f("i") else f" {f('asi'):#x}"))
        elif tok == "[a]asi":
            ops.append(addr() + (" %asi" if f("i") else f" {f('asi'):#x}"))
        elif tok == "hi":
            ops.append(f"%hi({f('imm22') << 10:#x})")
        elif tok == "imm22":
            ops.append(_imm(f("imm22")))
        elif tok == "d22":
            ops.append(target(f("disp22")))
        elif tok == "d19":
            ops.append(target(f("disp19")))
        elif tok == "d16":
            d = (f("d16hi") << 14) | f("d16lo")
            ops.append(target(d - (1 << 16) if d >> 15 else d))
        elif tok == "d30":
            ops.append(target(f("disp30")))
        elif tok == "bcc":
            ops.append(["%icc", "?", "%xcc", "?"][f("bcc")])
        elif tok == "fbcc":
            ops.append(f"%fcc{f('bcc')}")
        elif tok == "mcc":
            ops.append(["%icc", "?", "%xcc", "?"][f("mcc")] if f("mcc2") else f"%fcc{f('mcc')}")
        elif tok == "fmcc":
            ops.append(["%icc", "?", "%xcc", "?"][f("mcc")] if f("i") else f"%fcc{f('mcc')}")
        elif tok == "ri11":
            ops.append(_imm(f("simm11")) if f("i") else reg_name(f("rs2")))
        elif tok == "ri10":
            ops.append(_imm(f("simm10")) if f("i") else reg_name(f("rs2")))
        elif tok == "tn":
            ops.append(["%icc", "?", "%xcc", "?"][f("tcc")])
            ops.append((reg_name(f("rs1")) + " + " if f("rs1") else "")
                       + (_imm(f("swtrap")) if f("i") else reg_name(f("rs2"))))
        elif tok == "asr":
            ops.append(ASR_NAMES.get(f("rs1"), f"%asr{f('rs1')}"))
        elif tok == "wasr":
            ops.append(ASR_NAMES.get(f("rd"), f"%asr{f('rd')}"))
        elif tok == "pr":
            n = f("rs1")
            ops.append(PR_NAMES[n] if n < len(PR_NAMES) else f"%pr{n}")
        elif tok == "wpr":
            n = f("rd")
            ops.append(PR_NAMES[n] if n < len(PR_NAMES) else f"%pr{n}")
        elif tok == "hpr":
            ops.append(HPR_NAMES.get(f("rs1"), f"%hpr{f('rs1')}"))
        elif tok == "whpr":
            ops.append(HPR_NAMES.get(f("rd"), f"%hpr{f('rd')}"))
        elif tok == "membar":
            bits = ["#LoadLoad", "#StoreLoad", "#LoadStore", "#StoreStore"]
            cb = ["#Lookaside", "#MemIssue", "#Sync"]
            m = [b for k, b in enumerate(bits) if f("mmask") >> k & 1]
            m += [b for k, b in enumerate(cb) if f("cmask") >> k & 1]
            ops.append(" | ".join(m) if m else "0")
        elif tok in ("fs1", "fs2", "fd", "ds1", "ds2", "dd", "qs1", "qs2", "qd"):
            src = {"s1": "rs1", "s2": "rs2", "d": "rd"}[tok[1:]]
            ops.append(_freg(f(src), tok[0]))
        elif tok == "fcc":
            ops.append(f"%fcc{f('fcc_cmp')}")
        elif tok == "fsr":
            ops.append("%fsr")
        elif tok == "pf":
            ops.append(str(f("fcn")))
        else:
            raise ValueError(f"unknown operand kind {tok!r} in {ins.name}")
    name = name.replace("{cond}", ICOND[f("cond")]).replace("{fcond}", FCOND[f("cond")])
    name = name.replace("{fmcond}", ICOND[f("mcond")] if f("i") else FCOND[f("mcond")])
    name = name.replace("{mcond}", ICOND[f("mcond")] if f("mcc2") else FCOND[f("mcond")])
    name = name.replace("{rcond}", RCOND[f("rcond_b")] if "{rcond}" in name and f("op") == 0 else "{rcond}")
    name = name.replace("{rcond}", RCOND[f("rcond")])
    if "{a}" in name:
        name = name.replace("{a}", ",a" if f("a") else "")
    if "{p}" in name:
        name = name.replace("{p}", ",pt" if f("p") else ",pn")
    if ins.name == "sethi" and word == 0x01000000:
        return "nop"
    return name + (" " + ", ".join(ops) if ops else "")
