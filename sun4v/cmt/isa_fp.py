"""Floating-point and VIS encodings (SPARC V9 A.12-A.20, A.25-A.26, A.33, A.35, A.54;
UltraSPARC Architecture 2007 ch. 7 VIS 1/2). FBfcc/FBPfcc are in isa_int (branch class).

Classes: "fpmem" (op=3 FP loads/stores), "fp" (FPop1 op3=0x34, FPop2 op3=0x35), "vis"
(IMPDEP1 op3=0x36). A catch-all entry per FPop space decodes every other opf, which
executes as an unimplemented FPop (fp_exception_other, FSR.ftt = 3) as on T1/T2.
"""

_RCOND = {1: "z", 2: "lez", 3: "lz", 5: "nz", 6: "gz", 7: "gez"}

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

# ---- FPop1 (op3 = 0x34): name, opf, operands ------------------------------------------
_FPOP1 = [
    ("fmovs", 0x01, "fs2, fd"), ("fmovd", 0x02, "ds2, dd"), ("fmovq", 0x03, "qs2, qd"),
    ("fnegs", 0x05, "fs2, fd"), ("fnegd", 0x06, "ds2, dd"), ("fnegq", 0x07, "qs2, qd"),
    ("fabss", 0x09, "fs2, fd"), ("fabsd", 0x0A, "ds2, dd"), ("fabsq", 0x0B, "qs2, qd"),
    ("fsqrts", 0x29, "fs2, fd"), ("fsqrtd", 0x2A, "ds2, dd"), ("fsqrtq", 0x2B, "qs2, qd"),
    ("fadds", 0x41, "fs1, fs2, fd"), ("faddd", 0x42, "ds1, ds2, dd"),
    ("faddq", 0x43, "qs1, qs2, qd"),
    ("fsubs", 0x45, "fs1, fs2, fd"), ("fsubd", 0x46, "ds1, ds2, dd"),
    ("fsubq", 0x47, "qs1, qs2, qd"),
    ("fmuls", 0x49, "fs1, fs2, fd"), ("fmuld", 0x4A, "ds1, ds2, dd"),
    ("fmulq", 0x4B, "qs1, qs2, qd"),
    ("fdivs", 0x4D, "fs1, fs2, fd"), ("fdivd", 0x4E, "ds1, ds2, dd"),
    ("fdivq", 0x4F, "qs1, qs2, qd"),
    ("fsmuld", 0x69, "fs1, fs2, dd"), ("fdmulq", 0x6E, "ds1, ds2, qd"),
    ("fstox", 0x81, "fs2, dd"), ("fdtox", 0x82, "ds2, dd"), ("fqtox", 0x83, "qs2, dd"),
    ("fxtos", 0x84, "ds2, fd"), ("fxtod", 0x88, "ds2, dd"), ("fxtoq", 0x8C, "ds2, qd"),
    ("fitos", 0xC4, "fs2, fd"), ("fdtos", 0xC6, "ds2, fd"), ("fqtos", 0xC7, "qs2, fd"),
    ("fitod", 0xC8, "fs2, dd"), ("fstod", 0xC9, "fs2, dd"), ("fqtod", 0xCB, "qs2, dd"),
    ("fitoq", 0xCC, "fs2, qd"), ("fstoq", 0xCD, "fs2, qd"), ("fdtoq", 0xCE, "ds2, qd"),
    ("fstoi", 0xD1, "fs2, fd"), ("fdtoi", 0xD2, "ds2, fd"), ("fqtoi", 0xD3, "qs2, fd"),
]
for _n, _opf, _ops in _FPOP1:
    TABLE.append((_n, f"op=2 op3=0x34 opf={_opf:#x}", _ops, "fp"))

# ---- FPop2 (op3 = 0x35): compares, FMOVcc, FMOVr ----------------------------------------
for _n, _opf, _k in [("fcmps", 0x51, "f"), ("fcmpd", 0x52, "d"), ("fcmpq", 0x53, "q"),
                     ("fcmpes", 0x55, "f"), ("fcmped", 0x56, "d"), ("fcmpeq", 0x57, "q")]:
    TABLE.append((_n, f"op=2 op3=0x35 rd_hi=0 opf={_opf:#x}", f"fcc, {_k}s1, {_k}s2", "fp"))
for _sz, _low, _k in [("s", 1, "f"), ("d", 2, "d"), ("q", 3, "q")]:
    # opf_cc = bits 13:11: 0 cc1 cc0 selects %fcc0-3, 1 0 0 %icc, 1 1 0 %xcc
    TABLE.append((f"fmov{_sz}{{fmcond}}", f"op=2 op3=0x35 b18=0 opf_low={_low}",
                  f"fmcc, {_k}s2, {_k}d", "fp"))
    for _rc, _rn in _RCOND.items():
        TABLE.append((f"fmovr{_sz}{_rn}",
                       f"op=2 op3=0x35 i=0 rcond={_rc} opf_low={((_rc & 1) << 5) | (_low + 4):#x}",
                       f"rs1, {_k}s2, {_k}d", "fp"))

# ---- VIS 1 / VIS 2 (IMPDEP1, op3 = 0x36) -------------------------------------------------
_VIS = [
    # edge handling: integer registers
    ("edge8", 0x00, "rs1, rs2, rd"), ("edge8n", 0x01, "rs1, rs2, rd"),
    ("edge8l", 0x02, "rs1, rs2, rd"), ("edge8ln", 0x03, "rs1, rs2, rd"),
    ("edge16", 0x04, "rs1, rs2, rd"), ("edge16n", 0x05, "rs1, rs2, rd"),
    ("edge16l", 0x06, "rs1, rs2, rd"), ("edge16ln", 0x07, "rs1, rs2, rd"),
    ("edge32", 0x08, "rs1, rs2, rd"), ("edge32n", 0x09, "rs1, rs2, rd"),
    ("edge32l", 0x0A, "rs1, rs2, rd"), ("edge32ln", 0x0B, "rs1, rs2, rd"),
    ("array8", 0x10, "rs1, rs2, rd"), ("array16", 0x12, "rs1, rs2, rd"),
    ("array32", 0x14, "rs1, rs2, rd"),
    ("alignaddr", 0x18, "rs1, rs2, rd"), ("bmask", 0x19, "rs1, rs2, rd"),
    ("alignaddrl", 0x1A, "rs1, rs2, rd"),
    # partitioned compares: FP sources, integer destination
    ("fcmple16", 0x20, "ds1, ds2, rd"), ("fcmpne16", 0x22, "ds1, ds2, rd"),
    ("fcmple32", 0x24, "ds1, ds2, rd"), ("fcmpne32", 0x26, "ds1, ds2, rd"),
    ("fcmpgt16", 0x28, "ds1, ds2, rd"), ("fcmpeq16", 0x2A, "ds1, ds2, rd"),
    ("fcmpgt32", 0x2C, "ds1, ds2, rd"), ("fcmpeq32", 0x2E, "ds1, ds2, rd"),
    # partitioned multiplies
    ("fmul8x16", 0x31, "fs1, ds2, dd"), ("fmul8x16au", 0x33, "fs1, fs2, dd"),
    ("fmul8x16al", 0x35, "fs1, fs2, dd"), ("fmul8sux16", 0x36, "ds1, ds2, dd"),
    ("fmul8ulx16", 0x37, "ds1, ds2, dd"), ("fmuld8sux16", 0x38, "fs1, fs2, dd"),
    ("fmuld8ulx16", 0x39, "fs1, fs2, dd"),
    # pixel formatting
    ("fpack32", 0x3A, "ds1, ds2, dd"), ("fpack16", 0x3B, "ds2, fd"),
    ("fpackfix", 0x3D, "ds2, fd"), ("pdist", 0x3E, "ds1, ds2, dd"),
    ("faligndata", 0x48, "ds1, ds2, dd"), ("fpmerge", 0x4B, "fs1, fs2, dd"),
    ("bshuffle", 0x4C, "ds1, ds2, dd"), ("fexpand", 0x4D, "fs2, dd"),
    # partitioned add/subtract
    ("fpadd16", 0x50, "ds1, ds2, dd"), ("fpadd16s", 0x51, "fs1, fs2, fd"),
    ("fpadd32", 0x52, "ds1, ds2, dd"), ("fpadd32s", 0x53, "fs1, fs2, fd"),
    ("fpsub16", 0x54, "ds1, ds2, dd"), ("fpsub16s", 0x55, "fs1, fs2, fd"),
    ("fpsub32", 0x56, "ds1, ds2, dd"), ("fpsub32s", 0x57, "fs1, fs2, fd"),
    # logical operations (opf 0x60-0x7F: bit 0 selects the single form)
    ("fzero", 0x60, "dd"), ("fzeros", 0x61, "fd"),
    ("fnor", 0x62, "ds1, ds2, dd"), ("fnors", 0x63, "fs1, fs2, fd"),
    ("fandnot2", 0x64, "ds1, ds2, dd"), ("fandnot2s", 0x65, "fs1, fs2, fd"),
    ("fnot2", 0x66, "ds2, dd"), ("fnot2s", 0x67, "fs2, fd"),
    ("fandnot1", 0x68, "ds1, ds2, dd"), ("fandnot1s", 0x69, "fs1, fs2, fd"),
    ("fnot1", 0x6A, "ds1, dd"), ("fnot1s", 0x6B, "fs1, fd"),
    ("fxor", 0x6C, "ds1, ds2, dd"), ("fxors", 0x6D, "fs1, fs2, fd"),
    ("fnand", 0x6E, "ds1, ds2, dd"), ("fnands", 0x6F, "fs1, fs2, fd"),
    ("fand", 0x70, "ds1, ds2, dd"), ("fands", 0x71, "fs1, fs2, fd"),
    ("fxnor", 0x72, "ds1, ds2, dd"), ("fxnors", 0x73, "fs1, fs2, fd"),
    ("fsrc1", 0x74, "ds1, dd"), ("fsrc1s", 0x75, "fs1, fd"),
    ("fornot2", 0x76, "ds1, ds2, dd"), ("fornot2s", 0x77, "fs1, fs2, fd"),
    ("fsrc2", 0x78, "ds2, dd"), ("fsrc2s", 0x79, "fs2, fd"),
    ("fornot1", 0x7A, "ds1, ds2, dd"), ("fornot1s", 0x7B, "fs1, fs2, fd"),
    ("for", 0x7C, "ds1, ds2, dd"), ("fors", 0x7D, "fs1, fs2, fd"),
    ("fone", 0x7E, "dd"), ("fones", 0x7F, "fd"),
    ("siam", 0x81, "ri"),
]
for _n, _opf, _ops in _VIS:
    TABLE.append((_n, f"op=2 op3=0x36 opf={_opf:#x}", _ops, "vis"))

# every other opf of the two FPop spaces: unimplemented FPop (least specific: matched last)
TABLE += [
    ("fpop1", "op=2 op3=0x34", "", "fp"),
    ("fpop2", "op=2 op3=0x35", "", "fp"),
]
