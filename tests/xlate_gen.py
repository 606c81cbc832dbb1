"""Random bare-metal programs for the translation-cache tests (tests/test_xlate.py): two
strands of one core, each running its own random sequence of TLB writes (data-in and
data-access writes at an index, every page size mix of 8K and 64K, real and virtual,
W/P/X bits), demaps (page, context, all; I and D), partition, context and LSU_CTL
writes, mode changes (hyperprivileged, privileged at TL 0 and 1, user), loads and stores
through every kind of ASI (implicit, primary, secondary, nucleus, as-if-user, real,
little-endian) and calls into code pages mapped differently per context and partition.
The hypervisor's miss handlers map what misses (a fixed function of the address), so
every program runs to its end; loaded values are folded into %i2 (a rotate-xor
checksum), stores write it, and the handlers count each trap type in RAM (COUNTS).
Run with the translation caches on and off, the machine must end in the same state.

Layout: the programs are linked at the boot ROM; privileged and user code runs at VA
CVA + its ROM offset (the miss handler maps CVA's 256 MB to the ROM in any context and
as a real address); data VAs DVA (8 pages) map to the pages PAS; code VAs FVA (4 pages)
map to the ROM pages f0..f3, each xoring its own constant into %i2."""
import random
import subprocess
from pathlib import Path

import setup_tools

ROOT = Path(__file__).resolve().parent.parent
ASM = ROOT / "tests" / "asm"
CC = "sparc64-linux-gnu-gcc"

ROM = 0xFF_F000_0000
CVA = 0x3000_0000
DVA = [0x1000_0000 + k * 0x2000 for k in range(8)]
FVA = [0x2000_0000 + k * 0x2000 for k in range(4)]
PA_BASE = 0x80_0000
PAS = [PA_BASE + j * 0x2000 for j in range(16)]
PAS64 = [PA_BASE + j * 0x1_0000 for j in range(2)]
OFFSETS = [0, 8, 0x100, 0x1FF8]
COUNTS = 0x19_0000                  # 8-byte counter per trap type
FLAGS = 0x18_0000                   # strand 0/1 finished
CTXS = [0, 5, 6]
V = 1 << 63
W, P, X = 0x40, 0x100, 0x80
SIZE_8K, SIZE_64K = 0, 1
# ASIs by mode: privileged may use the restricted ones
ASIS_PRIV = [0x80, 0x81, 0x88, 0x04, 0x0C, 0x10, 0x11, 0x14, 0x1C]
ASIS_USER = [0x80, 0x81, 0x88, 0x89]
LOADS = [("ldx", 8), ("lduw", 4), ("ldub", 1), ("ldsh", 2)]
STORES = [("stx", 8), ("stw", 4), ("stb", 1)]

HEADER = r"""#include "bm.h"
#define CVA %(cva)#x
#define ROMOFF %(romoff)#x
	RED_TABLE

	.macro MIX reg
	xor %%i2, \reg, %%i2
	sllx %%i2, 7, %%o4
	srlx %%i2, 57, %%o5
	or %%o4, %%o5, %%i2
	.endm

	.macro COUNT
	rdpr %%tt, %%g1
	sllx %%g1, 3, %%g1
	setx %(counts)#x, %%g3, %%g2
	add %%g1, %%g2, %%g1
	ldx [%%g1], %%g2
	inc %%g2
	stx %%g2, [%%g1]
	.endm

	.text
start:
	LEAVE_RED htable, ptable
	mov 1, %%i0
	sllx %%i0, 63, %%i0		/* TTE_V */
	setx ROMOFF, %%g2, %%i1		/* PA - VA of code run at CVA */
	clr %%i2
	LA ptable, %%l0, %%g2
	sub %%l0, %%i1, %%l0
	wrpr %%l0, %%tba
	RDHPR HVER, L0
	srlx %%l0, 32, %%l0
	and %%l0, 0xff, %%l3
	clr %%l7
	mov 0x400, %%l6
	cmp %%l3, 0x23
	bne 1f
	nop
	mov 0x400, %%l7
	mov 0x600, %%l6
1:	bne 2f
	mov 0x10, %%g1
	rd %%asr26, %%l1
	srlx %%l1, 8, %%l1
	ba 3f
	and %%l1, 0x1f, %%l1
2:	ldxa [%%g1] 0x63, %%l1
	and %%l1, 0xff, %%l1
3:	mov 0x80, %%g1
	mov 1, %%l0
	stxa %%l0, [%%g1] 0x58		/* partition 1 */
	mov 8, %%g1
	mov 5, %%l0
	stxa %%l0, [%%g1] 0x21		/* primary context 5 */
	mov 0x10, %%g1
	mov 6, %%l0
	stxa %%l0, [%%g1] 0x21		/* secondary context 6 */
	mov 0xc, %%l0
	stxa %%l0, [%%g0] 0x45		/* both MMUs on */
	brnz %%l1, seq1
	nop
	/* strand 0: memory contents, then start strand 1 */
%(fill)s
	cmp %%l3, 0x23
	bne 4f
	nop
	setx 0x9800000800, %%g2, %%g1
	set (3 << 16) | (1 << 8), %%g2
	ba seq0
	stx %%g2, [%%g1]
4:	mov 2, %%g2
	mov 0x60, %%g1
	ba seq0
	stxa %%g2, [%%g1] 0x41
"""

TRAILER = r"""
/* ---- hypervisor: miss handlers map what missed, the rest is counted and skipped ---- */
hv_dmiss:				/* D miss: VA page -> PAS[(VA >> 13) & 15], W */
	COUNT
	mov 0x30, %%g1
	ldxa [%%g1] 0x58, %%g2
	srlx %%g2, 13, %%g3
	and %%g3, 15, %%g3
	sllx %%g3, 13, %%g3
	setx %(pa_base)#x, %%g4, %%g5
	add %%g3, %%g5, %%g3
	or %%g3, 0x40, %%g3
	or %%g3, %%i0, %%g3
	rdpr %%tt, %%g1
	cmp %%g1, 0x3f
	be 1f
	nop
	stxa %%g3, [%%l7] 0x5c
	retry
1:	stxa %%g3, [%%l6] 0x5c
	retry
hv_imiss:				/* I miss: CVA -> ROM (256M), FVA page -> f0..f3 */
	COUNT
	mov 0x30, %%g1
	ldxa [%%g1] 0x50, %%g2
	srlx %%g2, 28, %%g3
	cmp %%g3, CVA >> 28
	bne 1f
	nop
	setx %(rom)#x | 0x80 | 5, %%g4, %%g3
	ba 2f
	nop
1:	srlx %%g2, 13, %%g3
	and %%g3, 3, %%g3
	sllx %%g3, 13, %%g3
	LA f0, %%g4, %%g5
	add %%g3, %%g4, %%g3
	or %%g3, 0x80, %%g3
2:	or %%g3, %%i0, %%g3
	rdpr %%tt, %%g1
	cmp %%g1, 0x3e
	be 3f
	nop
	stxa %%g3, [%%l7] 0x54
	retry
3:	stxa %%g3, [%%l6] 0x54
	retry
hv_skip:				/* protection, data access exception: skip */
	COUNT
	done
hv_iax:					/* instruction access exception: back to the caller */
	COUNT
	add %%o7, 8, %%g1
	wrpr %%g1, %%tpc
	add %%g1, 4, %%g1
	wrpr %%g1, %%tnpc
	retry
hv_to_h:				/* ta 0x81 from privileged: continue hyperprivileged */
	COUNT
	RDHPR HTSTATE, G1
	or %%g1, 4, %%g1
	WRHPR G1, HTSTATE
	rdpr %%tnpc, %%g1
	add %%g1, %%i1, %%g1
	wrpr %%g1, %%tnpc
	done
hv_bad:
	rdpr %%tt, %%g1
	RES 63, %%g1
	POWEROFF 0xee
p_to_priv:				/* ta 0x24 from user: continue privileged */
	rdpr %%tstate, %%g1
	or %%g1, 0x400, %%g1
	wrpr %%g1, %%tstate
	done

	.align 8192
%(fpages)s
	.align 8192

	.align 16384
htable:
%(hentries)s
	ENTRY htable, 0x181, hv_to_h
	.align 32768
ptable:
	ENTRY ptable, 0x124, p_to_priv
	.org ptable + 0x8000
"""

H_TRAPS = {0x08: "hv_iax", 0x30: "hv_skip", 0x3E: "hv_imiss", 0x3F: "hv_dmiss",
           0x64: "hv_imiss", 0x68: "hv_dmiss", 0x6C: "hv_skip"}
BAD = [0x10, 0x11, 0x20, 0x24, 0x32, 0x34, 0x37, 0x0A]


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.mode = "H"
        self.out = []
        self.n = 0

    def emit(self, text):
        self.out.append(text)

    def label(self):
        self.n += 1
        return f"8{self.n % 10}"

    # ---- hyperprivileged operations --------------------------------------------------
    def tlb_write(self):
        r = self.rng
        itlb = r.random() < 0.3
        real = r.random() < 0.2
        ctx = 0 if real else r.choice(CTXS)
        if itlb:
            k = r.randrange(4)
            va = FVA[r.randrange(4)]
            bits = (X if r.random() < 0.85 else 0) | (P if r.random() < 0.25 else 0)
            self.emit(f"\tLA f{k}, %o1, %g2\n\tsetx {bits}, %g2, %o2\n\tor %o1, %o2, %o1\n"
                      "\tor %o1, %i0, %o1")
        else:
            size = SIZE_64K if r.random() < 0.25 else SIZE_8K
            va = r.choice(DVA) & (~0xFFFF if size == SIZE_64K else ~0)
            pa = r.choice(PAS64 if size == SIZE_64K else PAS)
            bits = (W if r.random() < 0.8 else 0) | (P if r.random() < 0.2 else 0) | size
            self.emit(f"\tsetx {V | pa | bits:#x}, %g2, %o1")
        tacc, din = (0x50, 0x54) if itlb else (0x58, 0x5C)
        flags = "%l6" if real else "%l7"
        self.emit(f"\tsetx {va | ctx:#x}, %g2, %o0\n\tmov 0x30, %g1\n\tstxa %o0, [%g1] {tacc:#x}")
        if r.random() < 0.15:                      # a data-access write at an index
            self.emit(f"\tor {flags}, {r.randrange(64) << 3}, %o2\n"
                      f"\tstxa %o1, [%o2] {din + 1:#x}")
        else:
            self.emit(f"\tstxa %o1, [{flags}] {din:#x}")

    def demap(self):
        r = self.rng
        asi = 0x57 if r.random() < 0.35 else 0x5F
        q = r.random()
        sel = r.choice([0, 1, 2])
        if q < 0.7:
            real = int(r.random() < 0.2)
            va = r.choice(FVA if asi == 0x57 else DVA)
            self.emit(f"\tsetx {va | (sel << 4) | (real << 9):#x}, %g2, %o0\n"
                      f"\tstxa %g0, [%o0] {asi:#x}")
        else:
            op = 1 if q < 0.95 else 2
            self.emit(f"\tmov {(op << 6) | (sel << 4):#x}, %o0\n\tstxa %g0, [%o0] {asi:#x}")

    def h_regs(self):
        r = self.rng
        q = r.random()
        if q < 0.3:
            self.emit(f"\tmov 0x80, %g1\n\tmov {r.choice([1, 2])}, %o0\n\tstxa %o0, [%g1] 0x58")
        elif q < 0.6:
            self.emit(f"\tmov {r.choice([0, 4, 8, 0xC, 0xC, 0xC])}, %o0\n\tstxa %o0, [%g0] 0x45")
        else:
            self.ctx_write()

    def h_access(self):
        r = self.rng
        pa = r.choice(PAS) + r.choice(OFFSETS)
        if r.random() < 0.6:
            self.emit(f"\tsetx {pa:#x}, %g2, %o0\n\tldx [%o0], %o1\n\tMIX %o1")
        else:
            self.emit(f"\tsetx {pa:#x}, %g2, %o0\n\tstx %i2, [%o0]")

    def to_priv(self):
        lab = self.label()
        self.emit(f"\twrpr %g0, 1, %tl\n\tLA {lab}f, %o0, %g2\n\tsub %o0, %i1, %o0\n"
                  "\twrpr %o0, %tnpc\n\tsetx (0x14 << 8), %g2, %o0\n\twrpr %o0, %tstate\n"
                  f"\tWRHPR G0, HTSTATE\n\tdone\n{lab}:")
        self.mode = "P"

    # ---- privileged and user operations ----------------------------------------------
    def ctx_write(self):
        r = self.rng
        reg = r.choice([8, 8, 0x10])
        self.emit(f"\tmov {reg:#x}, %g1\n\tmov {r.choice(CTXS)}, %o0\n\tstxa %o0, [%g1] 0x21")

    def access(self):
        r = self.rng
        asis = ASIS_USER if self.mode == "U" else ASIS_PRIV
        va = r.choice(DVA) + r.choice(OFFSETS)
        alt = r.random() < 0.35
        asi = r.choice(asis) if alt else None
        self.emit(f"\tsetx {va:#x}, %g2, %o0")
        if r.random() < 0.6:
            op, size = r.choice(LOADS)
            if alt:
                self.emit(f"\t{op}a [%o0] {asi:#x}, %o1\n\tMIX %o1")
            else:
                self.emit(f"\t{op} [%o0], %o1\n\tMIX %o1")
        else:
            op, size = r.choice(STORES)
            if alt:
                self.emit(f"\t{op}a %i2, [%o0] {asi:#x}")
            else:
                self.emit(f"\t{op} %i2, [%o0]")

    def call(self):
        self.emit(f"\tsetx {self.rng.choice(FVA):#x}, %g2, %o0\n\tjmpl %o0, %o7\n\tnop")

    def step(self):
        r = self.rng
        q = r.random()
        m = self.mode
        if m == "H":
            if q < 0.3:
                self.tlb_write()
            elif q < 0.45:
                self.demap()
            elif q < 0.6:
                self.h_regs()
            elif q < 0.75:
                self.h_access()
            else:
                self.to_priv()
        elif m in ("P", "T"):
            if q < 0.5:
                self.access()
            elif q < 0.65:
                self.call()
            elif q < 0.72:
                self.ctx_write()
            elif m == "T" or q < 0.8:
                self.emit(f"\twrpr %g0, {0 if m == 'T' else 1}, %tl")
                self.mode = "P" if m == "T" else "T"
            elif q < 0.88:
                self.emit("\twrpr %g0, 0x10, %pstate")
                self.mode = "U"
            else:
                self.emit("\tta 0x81")
                self.mode = "H"
        else:
            if q < 0.6:
                self.access()
            elif q < 0.8:
                self.call()
            else:
                self.emit("\tta 0x24")
                self.mode = "P"

    def finish(self):
        if self.mode == "U":
            self.emit("\tta 0x24")
            self.mode = "P"
        if self.mode == "T":
            self.emit("\twrpr %g0, 0, %tl")
            self.mode = "P"
        if self.mode == "P":
            self.emit("\tta 0x81")
            self.mode = "H"


def program(seed, ops=400):
    """The assembly text of the random program for `seed`."""
    rng = random.Random(seed)
    seqs = []
    for sid in (0, 1):
        g = Gen(rng)
        for _ in range(ops):
            g.step()
        g.finish()
        flag = FLAGS + 8 * sid
        end = (f"\tsetx {flag:#x}, %g2, %o0\n\tmov 1, %o1\n\tstx %o1, [%o0]\n")
        if sid == 0:
            end += (f"\tsetx {FLAGS + 8:#x}, %g2, %o0\n1:\tldx [%o0], %o1\n\tbrz %o1, 1b\n"
                    "\tnop\n\tPOWEROFF 0x5a\n")
        else:
            end += "1:\tba 1b\n\tnop\n"
        seqs.append(f"seq{sid}:\n" + "\n".join(g.out) + "\n" + end)
    fill = "\n".join(f"\tsetx {pa + off:#x}, %g2, %o0\n\tsetx {(pa + off) * 0x9E3779B1:#x}, "
                     "%g2, %o1\n\tstx %o1, [%o0]" for pa in PAS for off in OFFSETS)
    fpages = "\n".join(f"\t.align 8192\nf{k}:\tretl\n\txor %i2, {0x111 * (k + 1):#x}, %i2"
                       for k in range(4))
    hentries = "\n".join(f"\tENTRY htable, {tt:#x}, {h}" for tt, h in sorted(H_TRAPS.items()))
    hentries += "\n" + "\n".join(f"\tENTRY htable, {tt:#x}, hv_bad" for tt in sorted(BAD)
                                 if tt not in H_TRAPS)
    hentries = "\n".join(sorted(hentries.split("\n"), key=lambda s: int(s.split(",")[1], 16)))
    subst = dict(cva=CVA, romoff=ROM - CVA, counts=COUNTS, pa_base=PA_BASE, rom=ROM,
                 fill=fill, fpages=fpages, hentries=hentries)
    return (HEADER % subst) + "\n".join(seqs) + (TRAILER % subst)


def build(seed, ops=400):
    """Build the program for `seed` under build/xlate_gen/; returns its path."""
    out = ROOT / "build" / "xlate_gen" / f"rand{seed}_{ops}"
    src = out.with_suffix(".S")
    text = program(seed, ops)
    if not out.exists() or not src.exists() or src.read_text() != text:
        setup_tools.require_tools(CC)
        out.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(text)
        r = subprocess.run([CC, "-nostdlib", "-static", "-I", str(ASM),
                            "-Wl,-T," + str(ASM / "baremetal.ld"),
                            "-Wl,-z,max-page-size=0x2000", "-o", str(out), str(src)],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(r.stderr)
    return out
