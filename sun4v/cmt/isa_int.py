"""Integer, control-transfer, load/store and state-register encodings (SPARC V9 App. E).

(name, pattern, operands, class); see isa.py. Names in braces are filled in by the
disassembler from the condition fields.
"""

_ALU = [
    # op3: plain, cc-setting
    ("add", 0x00), ("and", 0x01), ("or", 0x02), ("xor", 0x03), ("sub", 0x04),
    ("andn", 0x05), ("orn", 0x06), ("xnor", 0x07), ("addc", 0x08), ("subc", 0x0C),
]

TABLE = []
for _n, _op3 in _ALU:
    TABLE.append((_n, f"op=2 op3={_op3:#x}", "rs1, ri, rd", "alu"))
    TABLE.append((_n + "cc", f"op=2 op3={_op3 | 0x10:#x}", "rs1, ri, rd", "alu"))

TABLE += [
    ("sethi", "op=0 op2=4", "hi, rd", "alu"),
    ("sll", "op=2 op3=0x25 x=0", "rs1, sh, rd", "alu"),
    ("sllx", "op=2 op3=0x25 x=1", "rs1, sh, rd", "alu"),
    ("srl", "op=2 op3=0x26 x=0", "rs1, sh, rd", "alu"),
    ("srlx", "op=2 op3=0x26 x=1", "rs1, sh, rd", "alu"),
    ("sra", "op=2 op3=0x27 x=0", "rs1, sh, rd", "alu"),
    ("srax", "op=2 op3=0x27 x=1", "rs1, sh, rd", "alu"),
    ("taddcc", "op=2 op3=0x20", "rs1, ri, rd", "alu"),
    ("tsubcc", "op=2 op3=0x21", "rs1, ri, rd", "alu"),
    ("taddcctv", "op=2 op3=0x22", "rs1, ri, rd", "alu"),
    ("tsubcctv", "op=2 op3=0x23", "rs1, ri, rd", "alu"),
    ("popc", "op=2 op3=0x2e rs1=0", "ri, rd", "alu"),
    ("mov{mcond}", "op=2 op3=0x2c", "mcc, ri11, rd", "alu"),
    ("movr{rcond}", "op=2 op3=0x2f", "rs1, ri10, rd", "alu"),

    ("mulx", "op=2 op3=0x09", "rs1, ri, rd", "muldiv"),
    ("umul", "op=2 op3=0x0a", "rs1, ri, rd", "muldiv"),
    ("smul", "op=2 op3=0x0b", "rs1, ri, rd", "muldiv"),
    ("udivx", "op=2 op3=0x0d", "rs1, ri, rd", "muldiv"),
    ("udiv", "op=2 op3=0x0e", "rs1, ri, rd", "muldiv"),
    ("sdiv", "op=2 op3=0x0f", "rs1, ri, rd", "muldiv"),
    ("umulcc", "op=2 op3=0x1a", "rs1, ri, rd", "muldiv"),
    ("smulcc", "op=2 op3=0x1b", "rs1, ri, rd", "muldiv"),
    ("udivcc", "op=2 op3=0x1e", "rs1, ri, rd", "muldiv"),
    ("sdivcc", "op=2 op3=0x1f", "rs1, ri, rd", "muldiv"),
    ("mulscc", "op=2 op3=0x24", "rs1, ri, rd", "muldiv"),
    ("sdivx", "op=2 op3=0x2d", "rs1, ri, rd", "muldiv"),

    ("illtrap", "op=0 op2=0", "imm22", "branch"),
    ("b{cond}{a}{p}", "op=0 op2=1", "bcc, d19", "branch"),
    ("b{cond}{a}", "op=0 op2=2", "d22", "branch"),
    ("br{rcond}{a}{p}", "op=0 op2=3 b28=0", "rs1, d16", "branch"),
    ("fb{fcond}{a}{p}", "op=0 op2=5", "fbcc, d19", "branch"),
    ("fb{fcond}{a}", "op=0 op2=6", "d22", "branch"),
    ("call", "op=1", "d30", "branch"),

    ("jmpl", "op=2 op3=0x38", "[a], rd", "ctrl"),
    ("return", "op=2 op3=0x39", "[a]", "ctrl"),
    ("t{cond}", "op=2 op3=0x3a", "tn", "ctrl"),
    ("save", "op=2 op3=0x3c", "rs1, ri, rd", "ctrl"),
    ("restore", "op=2 op3=0x3d", "rs1, ri, rd", "ctrl"),
    ("flushw", "op=2 op3=0x2b i=0", "", "ctrl"),

    ("rd", "op=2 op3=0x28", "asr, rd", "state"),
    ("membar", "op=2 op3=0x28 rs1=15 rd=0 i=1", "membar", "state"),
    ("stbar", "op=2 op3=0x28 rs1=15 rd=0 i=0", "", "state"),
    ("wr", "op=2 op3=0x30", "rs1, ri, wasr", "state"),
    ("sir", "op=2 op3=0x30 rd=15 rs1=0 i=1", "ri", "state"),
    ("flush", "op=2 op3=0x3b", "[a]", "state"),

    ("lduw", "op=3 op3=0x00", "[a], rd", "mem"),
    ("ldub", "op=3 op3=0x01", "[a], rd", "mem"),
    ("lduh", "op=3 op3=0x02", "[a], rd", "mem"),
    ("ldd", "op=3 op3=0x03", "[a], rd", "mem"),
    ("stw", "op=3 op3=0x04", "rd, [a]", "mem"),
    ("stb", "op=3 op3=0x05", "rd, [a]", "mem"),
    ("sth", "op=3 op3=0x06", "rd, [a]", "mem"),
    ("std", "op=3 op3=0x07", "rd, [a]", "mem"),
    ("ldsw", "op=3 op3=0x08", "[a], rd", "mem"),
    ("ldsb", "op=3 op3=0x09", "[a], rd", "mem"),
    ("ldsh", "op=3 op3=0x0a", "[a], rd", "mem"),
    ("ldx", "op=3 op3=0x0b", "[a], rd", "mem"),
    ("ldstub", "op=3 op3=0x0d", "[a], rd", "mem"),
    ("stx", "op=3 op3=0x0e", "rd, [a]", "mem"),
    ("swap", "op=3 op3=0x0f", "[a], rd", "mem"),
    ("lduwa", "op=3 op3=0x10", "[a]asi, rd", "mem"),
    ("lduba", "op=3 op3=0x11", "[a]asi, rd", "mem"),
    ("lduha", "op=3 op3=0x12", "[a]asi, rd", "mem"),
    ("ldda", "op=3 op3=0x13", "[a]asi, rd", "mem"),
    ("stwa", "op=3 op3=0x14", "rd, [a]asi", "mem"),
    ("stba", "op=3 op3=0x15", "rd, [a]asi", "mem"),
    ("stha", "op=3 op3=0x16", "rd, [a]asi", "mem"),
    ("stda", "op=3 op3=0x17", "rd, [a]asi", "mem"),
    ("ldswa", "op=3 op3=0x18", "[a]asi, rd", "mem"),
    ("ldsba", "op=3 op3=0x19", "[a]asi, rd", "mem"),
    ("ldsha", "op=3 op3=0x1a", "[a]asi, rd", "mem"),
    ("ldxa", "op=3 op3=0x1b", "[a]asi, rd", "mem"),
    ("ldstuba", "op=3 op3=0x1d", "[a]asi, rd", "mem"),
    ("stxa", "op=3 op3=0x1e", "rd, [a]asi", "mem"),
    ("swapa", "op=3 op3=0x1f", "[a]asi, rd", "mem"),
    ("casa", "op=3 op3=0x3c", "[r]asi, rs2, rd", "mem"),
    ("casxa", "op=3 op3=0x3e", "[r]asi, rs2, rd", "mem"),
    ("prefetch", "op=3 op3=0x2d", "[a], pf", "mem"),
    ("prefetcha", "op=3 op3=0x3d", "[a]asi, pf", "mem"),
]
