"""Floating-point and VIS encodings (SPARC V9 A.12-A.20, UltraSPARC Architecture 2007
VIS 1/2): FPop1, FPop2, FP loads/stores, FBfcc are in isa_int (branch class)."""

TABLE = [
    ("ldf", "op=3 op3=0x20", "[a], fd", "fpmem"),
    ("ldfsr", "op=3 op3=0x21 rd=0", "[a], fsr", "fpmem"),
    ("ldxfsr", "op=3 op3=0x21 rd=1", "[a], fsr", "fpmem"),
    ("lddf", "op=3 op3=0x23", "[a], dd", "fpmem"),
    ("ldqf", "op=3 op3=0x22", "[a], qd", "fpmem"),
    ("stf", "op=3 op3=0x24", "fd, [a]", "fpmem"),
    ("stfsr", "op=3 op3=0x25 rd=0", "fsr, [a]", "fpmem"),
    ("stxfsr", "op=3 op3=0x25 rd=1", "fsr, [a]", "fpmem"),
    ("stdf", "op=3 op3=0x27", "dd, [a]", "fpmem"),
    ("stqf", "op=3 op3=0x26", "qd, [a]", "fpmem"),
    ("ldfa", "op=3 op3=0x30", "[a]asi, fd", "fpmem"),
    ("lddfa", "op=3 op3=0x33", "[a]asi, dd", "fpmem"),
    ("ldqfa", "op=3 op3=0x32", "[a]asi, qd", "fpmem"),
    ("stfa", "op=3 op3=0x34", "fd, [a]asi", "fpmem"),
    ("stdfa", "op=3 op3=0x37", "dd, [a]asi", "fpmem"),
    ("stqfa", "op=3 op3=0x36", "qd, [a]asi", "fpmem"),
]
