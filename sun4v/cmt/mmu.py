"""MMU of the sun4v strands: address translation by privilege level, the ITLB/DTLB of each
core, and the internal register ASIs (reference/sun4v.md §3, §5, §7; UA2007 ch. 14;
T1/T2 supplements via the sun4v hypervisor sources).

Translation: hyperprivileged or RED state -> PA = VA[39:0]; otherwise, with the MMU off
(LSU_CTL IM/DM clear) or through a real-address ASI, RA -> PA through a TLB entry with
the real bit (miss: real translation miss 0x3E/0x3F to the hypervisor); with the MMU on,
VA -> PA through an entry tagged with the partition ID and the primary, secondary or
nucleus context (miss: fast_instruction/data_access_MMU_miss 0x64/0x68; store to a page
without W: fast_data_access_protection 0x6C; user access to a P page: data/instruction
access exception 0x30/0x08; fetch from a page without X: 0x08).

T2 hardware table walk (UltraSPARC T2 supplement via Sun's hypervisor huron mmu.h,
mmu.s, hcall_mmu.s; reference/sun4v.md §3): on a TLB miss with the MMU on, before the
fast miss trap, the chip reads the TSBs configured in the strand's TSB configuration
registers (ASI 0x54 VA 0x10-0x28 for context 0, 0x30-0x48 for the others: valid 63,
use_context_0 62 / use_context_1 61 (the tag is compared with context 0: a TSB of one
address space), TSB base 39:13, RA_NOT_PA 8 (the base is a real address), page size
6:4, size 3:0 = 512 << n entries).  Entry i of a TSB of page size p: base + 16 *
((VA >> (13 + 3p)) & (entries - 1)), {tag = context << 48 | VA[63:22], sun4v TTE}.  A
valid entry with the same tag and page size p hits: its real address is translated by
the real range / physical offset registers (ASI 0x52 VA 0x108-0x120: enable 63, RA
limit >> 13 in 53:27 (exclusive), RA base >> 13 in 26:0; VA 0x208-0x220: PA - RA, bits
39:13, added modulo 2^40) and the TLB is loaded with the PA, the partition ID and the
context; a real address no enabled range covers raises instruction/data_invalid_TSB_entry
(0x2A/0x2B) to the hypervisor.  No hit in any TSB: the fast miss trap.  The walk costs
nothing on a TLB hit.  Its TLB load is a TLB write (tlb_insert): the caches below
lose what they must; a change of a TSB or of the walk's registers changes no TLB
entry, so it invalidates nothing (as on the chip, the TLB keeps what it loaded).

The jitted code sees the named tuple MMU = Mmu(tlb, cfg, used, xc, xfill, sreg, hwtw):
  TLB  uint64 (2, ncores, 128, 3)  [I=0/D=1][core][entry][TLB_VA, TLB_KEY, TLB_DATA];
       key = 1<<63 | PID<<56 | real<<55 | context (real entries carry context 0); 0 = free.
       data is a sun4v TTE (V, NFO, RA/PA 55:13, IE, E, CP, CV, P, X, W, size 3:0).
  CFG  int64 [CFG_NTLB_I, CFG_NTLB_D, CFG_SPC (strands per core), CFG_T1 (T1 formats),
       CFG_NSTRANDS (whole machine), CFG_SPS (strands per socket), CFG_VCID_MASK (target
       field of an interrupt dispatch: 0x1F T1, 0x3F T2, 0xFF T2+ with more than one
       socket; chosen for T2+, see sun4v/machine/strandctl.py), CFG_XC_OFF (1: the
       translation caches are never filled, for tests: set_translation_cache)]
  USED uint8 (2, ncores, 128) used bit of each entry, the pseudo-LRU replacement state
       (OpenSPARC T1 Micro Arch Spec 2.3.9/2.4.4; tlb_touch, tlb_insert): set by a
       translation hit and by a write; when setting a bit would set all n of them, all
       the others are cleared; cleared when the entry is invalidated (write without V,
       demap).  A write without an explicit index replaces a same-tag entry, else the
       first free entry, else the first entry whose used bit is clear.  Diagnostic reads
       (data access / tag read ASIs) leave it alone.  The same policy as
       tlb_model.TLBModel and rtl/tlb.v.
  XC   uint64 (nstrands, 3, XC_N, 4) the strands' translation caches (below)
  XFILL int64 (nstrands, 3, XC_N + 1) the entries of each cache in use: count, indices
  HWTW uint64 (nstrands, 16) T2 table walk registers of each strand: [0-3] TSB
       configuration context 0, [4-7] other contexts, [8-11] real ranges, [12-15]
       physical offsets (ASI 0x54 / 0x52 as above; T1 has none)
  SREG uint64 (nstrands, 8) the strand registers other strands write: SR_IVEC, the
       interrupt receive register (one bit per vector, ASI 0x72), and SR_POKE, set when
       another strand posts an interrupt to this one (the machine's run loop then runs
       the strand's interrupt check). The strand's own MMU registers (tag access, SFSR,
       SFAR) are in C (state.py).

Translation caches (xc_lookup): each strand has, per kind of access (MEM.KIND_READ,
KIND_WRITE, KIND_FETCH), XC_N entries direct mapped by VA[19:13], each [XE_TAG = VA>>13
+ 1, XE_KEY = the regime, XE_SLOT = the page slot of physical memory, XE_PA = the PA of
the 8 KB page]; a hit gives the host page with two compares, no TLB scan and no lookup
of the physical page. The regime (data_key, fetch_key) is everything a translation
depends on besides the VA: KEY_HPRIV (hyperprivileged or RED state, PA = VA), else the
TLB key (partition, real bit, context: primary, secondary or nucleus by ASI and TL; real
with the MMU off or through a real ASI) with KEY_USER for an access with user privilege
(user mode, or an as-if-user ASI: P pages trap). It is computed at each access, so a
change of PSTATE, HPSTATE, TL, the contexts, the partition or LSU_CTL needs no
invalidation: it changes the key. An entry is made only when the translation succeeds
and the physical page is memory the access may use (MEM.page_slot): a write entry needs
W in the TTE and a writable region, a fetch entry X; device windows and addresses
outside the platform's memory never enter. Physical pages never move and keep their
protection in full-system memory, so nothing on the memory side invalidates.

Invalidation, exactly when a translation may change, eagerly, on every strand of the
core: a change of the ITLB (data-in, data-access write, demap) empties the fetch caches
of the core's strands, a change of the DTLB their read and write caches (xc_flush_core;
XFILL lists the entries in use, so emptying costs what is in use). The used bits stay
those of translating every access through the TLB: each entry is made by a TLB hit that
set its entry's bit, and a cached entry's bit can only be cleared by invalidating the
entry (a TLB change: emptied) or by a touch that wraps the bits (tlb_touch empties that
TLB's caches); so while a page is cached its bit is set and the touch a hit would make
changes nothing (tests/test_mmu_replacement.py). The engine also keeps the page of the
PC across instructions (engine._run) and looks it up again after a trap and after the
writes marked FETCH_CHANGE below (they set C[DEADLINE] = 0): LSU_CTL, the primary
context, the partition ID, the ITLB. set_translation_cache(MMU, False) turns all this off
(every access translated through the TLB): the reference the caches are tested against.
"""
from collections import namedtuple

import numpy as np
from numba import njit

from . import chips
from . import isa as I
from . import memory as MEM
from . import state as S
from .asi import A_AIU, A_NUC, A_REAL, A_SEC, ASI_FLAGS
from .traptypes import (T_DATA_ACCESS, T_DATA_INVALID_TSB,  # noqa: F401
                        T_DATA_REAL_MISS, T_FAST_DATA_MISS, T_FAST_DATA_PROT,
                        T_FAST_INSTR_MISS, T_INSTR_ACCESS, T_INSTR_INVALID_TSB,
                        T_INSTR_REAL_MISS, T_UNALIGNED)

PA_BITS = 40
PA_MASK = np.uint64((1 << PA_BITS) - 1)
RA_FIELD = np.uint64(0x00FFFFFFFFFFE000)     # TTE bits 55:13

Mmu = namedtuple("Mmu", "tlb cfg used xc xfill sreg hwtw")

TLB_VA, TLB_KEY, TLB_DATA = 0, 1, 2
CFG_NTLB_I, CFG_NTLB_D, CFG_SPC, CFG_T1, CFG_NSTRANDS, CFG_SPS, CFG_VCID_MASK, \
    CFG_XC_OFF = range(8)
N_CFG = 8
SR_IVEC, SR_POKE = 0, 1
W_I, W_D = 0, 1
HW_TSB0, HW_TSBN, HW_RANGE, HW_OFFSET = 0, 4, 8, 12     # HWTW columns
N_HWTW = 16

TTE_V = np.uint64(1 << 63)
TTE_P = np.uint64(1 << 8)
TTE_X = np.uint64(1 << 7)
TTE_W = np.uint64(1 << 6)
KEY_VALID = np.uint64(1 << 63)
LSU_IM = np.uint64(4)
LSU_DM = np.uint64(8)
_HPRIV_RED = np.uint64(S.HPSTATE_HPRIV | S.HPSTATE_RED)
# translation regimes (keys of the translation caches): the TLB key (KEY_VALID, PID,
# real, context), KEY_USER for an access with user privilege (P pages trap), or
# KEY_HPRIV (hyperprivileged or RED state: PA = VA)
KEY_REAL = np.uint64(1 << 55)
KEY_USER = np.uint64(1 << 54)
KEY_HPRIV = np.uint64((1 << 63) | (1 << 53))
# translation caches: XC_N entries per strand and kind, direct mapped by VA[19:13]
XC_N = 128
_XC_MASK = np.uint64(XC_N - 1)
XE_TAG, XE_KEY, XE_SLOT, XE_PA = range(4)
_OFFSET = np.uint64(0x1FFF)
_U13 = np.uint64(13)
_CTX_MASK = np.uint64(0x1FFF)

# internal ASIs
ASI_SCRATCHPAD = 0x20
ASI_MMU_CTX = 0x21
ASI_QUEUE = 0x25
ASI_LSU_CTL = 0x45
ASI_HSCRATCHPAD = 0x4F
ASI_IMMU = 0x50
ASI_ITLB_DATA_IN = 0x54
ASI_ITLB_DATA_ACCESS = 0x55
ASI_ITLB_TAG_READ = 0x56
ASI_IMMU_DEMAP = 0x57
ASI_DMMU = 0x58
ASI_DTLB_DATA_IN = 0x5C
ASI_DTLB_DATA_ACCESS = 0x5D
ASI_DTLB_TAG_READ = 0x5E
ASI_DMMU_DEMAP = 0x5F
ASI_CMP_CHIP = 0x41          # T2: per-chip CMP registers (strand running/parking): Python
ASI_HWTW_RANGE = 0x52        # T2: real range / physical offset registers
ASI_MMU_TSB = 0x54           # T2: TSB configuration (VA 0x10-0x48); also ITLB data-in
ASI_CMP_CORE = 0x63
ASI_INTR_RECEIVE = 0x72
ASI_INTR_W = 0x73
ASI_INTR_R = 0x74


def vcid_mask(c):
    """Width of the target strand field of an interrupt dispatch (ASI 0x73, IOB
    INT_VEC_DIS) for chip c: T1 bits 12:8, T2 bits 13:8 (sun4v/hypervisor ontario iob.h,
    huron ncu.h INT_MAN_CPU_MASK); T2+ with more than one socket bits 15:8, the socket
    in bits 15:14 of the global strand id (chosen: the T2+ supplement was not found)."""
    if c.family == "t1":
        return 0x1F
    return 0xFF if c.sockets > 1 else 0x3F


def new_mmu(nstrands, ncores=None, chip="t2"):
    """The MMU arrays of `nstrands` strands of a chip (a Chip value or name): the named
    tuple Mmu passed through the jitted engine. TLBs are per core (global core id =
    strand // strands_per_core)."""
    c = chips.chip(chip)
    spc = c.strands_per_core
    if ncores is None:
        ncores = max(1, (nstrands + spc - 1) // spc)
    ntlb = max(c.itlb, c.dtlb)
    if ntlb & (ntlb - 1) or max(c.itlb, c.dtlb) > 128:
        raise ValueError(f"TLB sizes {c.itlb}/{c.dtlb}: the MMU model takes powers of two "
                         "up to 128 entries")
    tlb = np.zeros((2, ncores, 128, 3), dtype=np.uint64)
    cfg = np.zeros(N_CFG, dtype=np.int64)
    cfg[CFG_NTLB_I], cfg[CFG_NTLB_D], cfg[CFG_SPC] = c.itlb, c.dtlb, spc
    cfg[CFG_T1] = 1 if c.family == "t1" else 0
    cfg[CFG_NSTRANDS] = nstrands
    cfg[CFG_SPS] = c.strands_per_socket
    cfg[CFG_VCID_MASK] = vcid_mask(c)
    used = np.zeros((2, ncores, 128), dtype=np.uint8)
    xc = np.zeros((nstrands, 3, XC_N, 4), dtype=np.uint64)
    xfill = np.zeros((nstrands, 3, XC_N + 1), dtype=np.int64)
    sreg = np.zeros((nstrands, 8), dtype=np.uint64)
    hwtw = np.zeros((nstrands, N_HWTW), dtype=np.uint64)
    return Mmu(tlb, cfg, used, xc, xfill, sreg, hwtw)


def set_translation_cache(MMU, on):
    """Turn the strands' translation caches on (the default) or off (every fetch and
    data access translated through the TLB: the reference the cache is tested against).
    Off empties them."""
    MMU.cfg[CFG_XC_OFF] = 0 if on else 1
    MMU.xc[:] = 0
    MMU.xfill[:] = 0


# ---------------------------------------------------------------------------------------
# TLB lookup and maintenance
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def page_mask(data):
    """Byte offset mask of the page size in a TTE (size = 2^(13+3n))."""
    return (np.uint64(1) << (_U13 + np.uint64(3) * (data & np.uint64(7)))) - np.uint64(1)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def make_key(pid, real, ctx):
    return KEY_VALID | (np.uint64(pid & 7) << np.uint64(56)) | \
        (np.uint64(real & 1) << np.uint64(55)) | (np.uint64(ctx) & _CTX_MASK)


@njit(cache=True, nogil=True, _nrt=False)
def tlb_find(TLB, w, core, n, va, key):
    """Index of the entry of TLB w that maps va under key, or -1."""
    for i in range(n):
        if TLB[w, core, i, TLB_KEY] == key:
            data = TLB[w, core, i, TLB_DATA]
            if (va ^ TLB[w, core, i, TLB_VA]) & ~page_mask(data) == np.uint64(0):
                return i
    return -1


@njit(cache=True, nogil=True, _nrt=False)
def tlb_ntlb(CFG, w):
    return CFG[CFG_NTLB_I] if w == W_I else CFG[CFG_NTLB_D]


@njit(cache=True, nogil=True, _nrt=False)
def tlb_touch(MMU, w, core, n, i):
    """Set the used bit of entry i (a hit or a write); if that would set all n used bits,
    clear all the others (and empty the translation caches of TLB w's strands, whose
    hits must set the cleared bits again).  Since no touch leaves all n bits set,
    touching an entry whose bit is already set changes nothing."""
    USED = MMU.used
    if USED[w, core, i] != 0:
        return
    USED[w, core, i] = 1
    for j in range(n):
        if USED[w, core, j] == 0:
            return
    for j in range(n):
        USED[w, core, j] = 0
    USED[w, core, i] = 1
    xc_flush_core(MMU, core, w)


@njit(cache=True, nogil=True, _nrt=False)
def tlb_victim(USED, w, core, n):
    """The entry a write replaces when the TLB is full: the first whose used bit is
    clear (there always is one for n > 1)."""
    for i in range(n):
        if USED[w, core, i] == 0:
            return i
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def tlb_lookup(MMU, core, w, va, pid, real, ctx):
    """Index of the entry of TLB w that maps va (context ignored for real), or -1; a hit
    sets the entry's used bit."""
    TLB, CFG = MMU.tlb, MMU.cfg
    n = tlb_ntlb(CFG, w)
    if real:
        ctx = 0
    i = tlb_find(TLB, w, core, n, va, make_key(pid, real, ctx))
    if i >= 0:
        tlb_touch(MMU, w, core, n, i)
    return i


@njit(cache=True, nogil=True, _nrt=False)
def tlb_insert(MMU, core, w, va, pid, real, ctx, data, index):
    """Write an entry (at index, or when index < 0 replacing a same-tag entry, else a free
    one, else the first whose used bit is clear); returns the index written.  A valid
    entry's used bit is set (tlb_touch), an invalid one's cleared.  The translation
    caches of the core's strands lose their entries from TLB w."""
    TLB, CFG, USED = MMU.tlb, MMU.cfg, MMU.used
    n = tlb_ntlb(CFG, w)
    if real:
        ctx = 0
    key = make_key(pid, real, ctx)
    tagva = va & ~page_mask(data)
    if index < 0:
        for i in range(n):
            if TLB[w, core, i, TLB_KEY] == key and TLB[w, core, i, TLB_VA] == tagva:
                index = i
                break
    if index < 0:
        for i in range(n):
            if TLB[w, core, i, TLB_KEY] == np.uint64(0):
                index = i
                break
    if index < 0:
        index = tlb_victim(USED, w, core, n)
    xc_flush_core(MMU, core, w)
    if data & TTE_V:
        TLB[w, core, index, TLB_VA] = tagva
        TLB[w, core, index, TLB_KEY] = key
        tlb_touch(MMU, w, core, n, index)
    else:
        TLB[w, core, index, TLB_KEY] = 0
        USED[w, core, index] = 0
    TLB[w, core, index, TLB_DATA] = data
    return index


@njit(cache=True, nogil=True, _nrt=False)
def tlb_demap(MMU, core, w, op, pid, real, ctx, va):
    """Demap (UA2007 §14 demap operations) within partition pid: op 0 page, 1 context,
    2 all.  Removed entries lose their used bit, and the translation caches of the
    core's strands their entries from TLB w."""
    TLB, CFG, USED = MMU.tlb, MMU.cfg, MMU.used
    n = tlb_ntlb(CFG, w)
    pidbits = np.uint64(pid & 7) << np.uint64(56)
    for i in range(n):
        k = TLB[w, core, i, TLB_KEY]
        if k == np.uint64(0) or (k & (np.uint64(7) << np.uint64(56))) != pidbits:
            continue
        ereal = (k >> np.uint64(55)) & np.uint64(1)
        ectx = k & _CTX_MASK
        hit = False
        if op == 2:
            hit = True
        elif op == 1:
            hit = ereal == np.uint64(0) and ectx == np.uint64(ctx)
        elif op == 0:
            if ereal == np.uint64(real) and (real == 1 or ectx == np.uint64(ctx)):
                m = page_mask(TLB[w, core, i, TLB_DATA])
                hit = ((va ^ TLB[w, core, i, TLB_VA]) & ~m) == np.uint64(0)
        if hit:
            TLB[w, core, i, TLB_KEY] = 0
            TLB[w, core, i, TLB_DATA] &= ~TTE_V
            USED[w, core, i] = 0
    xc_flush_core(MMU, core, w)


def sun4u_to_sun4v(d):
    """Convert a sun4u-format TTE (T1 data-in with VA bit 10 clear) to sun4v format."""
    d = np.uint64(d)
    one = np.uint64(1)
    size = ((d >> np.uint64(61)) & np.uint64(3)) | (((d >> np.uint64(48)) & one) << np.uint64(2))
    r = (d & TTE_V) | size | TTE_X | (d & np.uint64(0x000000FFFFFFE000))
    r |= ((d >> np.uint64(60)) & one) << np.uint64(62)      # NFO
    r |= ((d >> np.uint64(59)) & one) << np.uint64(12)      # IE
    r |= ((d >> np.uint64(3)) & one) << np.uint64(11)       # E
    r |= ((d >> np.uint64(5)) & one) << np.uint64(10)       # CP
    r |= ((d >> np.uint64(4)) & one) << np.uint64(9)        # CV
    r |= ((d >> np.uint64(2)) & one) << np.uint64(8)        # P
    r |= ((d >> np.uint64(1)) & one) << np.uint64(6)        # W
    return r


_sun4u_to_sun4v = njit(cache=True, nogil=True, _nrt=False)(sun4u_to_sun4v)


# ---------------------------------------------------------------------------------------
# T2 hardware table walk
_RPN_MASK = np.uint64((1 << 27) - 1)


@njit(cache=True, nogil=True, _nrt=False)
def hwtw_ra2pa(HW, s, ra, length):
    """(pa, ok) of real range [ra, ra+length) through strand s's real range registers."""
    first = ra >> _U13
    last = (ra + length - np.uint64(1)) >> _U13
    for j in range(4):
        rr = HW[s, HW_RANGE + j]
        if rr >> np.uint64(63) == np.uint64(0):
            continue
        lo = rr & _RPN_MASK
        hi = (rr >> np.uint64(27)) & _RPN_MASK
        if first >= lo and last < hi:
            return (ra + (HW[s, HW_OFFSET + j] & RA_FIELD)) & PA_MASK, True
    return np.uint64(0), False


@njit(cache=True, nogil=True, _nrt=False)
def hw_walk(C, MMU, M, va, w, ctx):
    """(status, TLB index): the T2 table walk for a miss of va in context ctx on TLB w.
    status 0 = loaded (index), -1 = not found (the fast miss trap follows), or a trap
    type (invalid TSB entry) / EXIT_MEMGROW."""
    HW = MMU.hwtw
    s = np.int64(C[S.STRAND_ID])
    first = HW_TSB0 if ctx == 0 else HW_TSBN
    for i in range(4):
        cfg = HW[s, first + i]
        if cfg >> np.uint64(63) == np.uint64(0):
            continue
        pgsz = (cfg >> np.uint64(4)) & np.uint64(7)
        n = np.uint64(512) << (cfg & np.uint64(0xF))
        idx = (va >> (_U13 + np.uint64(3) * pgsz)) & (n - np.uint64(1))
        ea = (cfg & np.uint64(0xFFFFFFE000)) + idx * np.uint64(16)
        if cfg & np.uint64(0x100):
            ea, ok = hwtw_ra2pa(HW, s, ea, np.uint64(16))
            if not ok:
                return (T_INSTR_INVALID_TSB if w == W_I else T_DATA_INVALID_TSB), -1
        tag, st = MEM.load(M, ea, 8, MEM.KIND_READ)
        if st == MEM.GROW:
            return S.EXIT_MEMGROW, -1
        if st != 0:
            continue
        data, st = MEM.load(M, ea + np.uint64(8), 8, MEM.KIND_READ)
        if st == MEM.GROW:
            return S.EXIT_MEMGROW, -1
        if st != 0:
            continue
        tctx = np.uint64(0) if cfg & np.uint64(3 << 61) else np.uint64(ctx)
        if tag != ((tctx << np.uint64(48)) | (va >> np.uint64(22))):
            continue
        if data & TTE_V == np.uint64(0) or (data & np.uint64(0xF)) != pgsz:
            continue
        m = page_mask(data)
        pa, ok = hwtw_ra2pa(HW, s, data & RA_FIELD & ~m, m + np.uint64(1))
        if not ok:
            return (T_INSTR_INVALID_TSB if w == W_I else T_DATA_INVALID_TSB), -1
        core = s // MMU.cfg[CFG_SPC]
        i2 = tlb_insert(MMU, core, w, va, np.int64(C[S.PARTID]), 0, np.int64(ctx),
                        (data & ~RA_FIELD) | (pa & RA_FIELD), -1)
        return 0, i2
    return -1, -1


# ---------------------------------------------------------------------------------------
# translation regimes
@njit(cache=True, nogil=True, _nrt=False)
def data_key(C, asi):
    """The translation regime of a data access through `asi` (KEY_* above). At TL > 0
    the implicit ASI (exec_mem passes ASI_PRIMARY 0x80 for non-alternate accesses) means
    the nucleus context, as V9 specifies; an explicit ASI_PRIMARY at TL > 0 is treated
    the same."""
    if C[S.HPSTATE] & _HPRIV_RED:
        return KEY_HPRIV
    f = ASI_FLAGS[asi]
    key = np.uint64(0)
    if (C[S.PSTATE] & np.uint64(S.PSTATE_PRIV)) == np.uint64(0) or (f & A_AIU) != 0:
        key = KEY_USER
    pid = np.int64(C[S.PARTID])
    if f & A_REAL or C[S.LSU_CTL] & LSU_DM == np.uint64(0):
        return key | make_key(pid, 1, 0)
    if f & A_SEC:
        ctx = np.int64(C[S.SECONDARY_CTX])
    elif f & A_NUC or (asi == 0x80 and C[S.TL] != np.uint64(0)):
        ctx = 0
    else:
        ctx = np.int64(C[S.PRIMARY_CTX])
    return key | make_key(pid, 0, ctx)


@njit(cache=True, nogil=True, _nrt=False)
def fetch_key(C):
    """The translation regime of an instruction fetch (nucleus context at TL > 0)."""
    if C[S.HPSTATE] & _HPRIV_RED:
        return KEY_HPRIV
    key = np.uint64(0)
    if (C[S.PSTATE] & np.uint64(S.PSTATE_PRIV)) == np.uint64(0):
        key = KEY_USER
    pid = np.int64(C[S.PARTID])
    if C[S.LSU_CTL] & LSU_IM == np.uint64(0):
        return key | make_key(pid, 1, 0)
    ctx = 0 if C[S.TL] != np.uint64(0) else np.int64(C[S.PRIMARY_CTX])
    return key | make_key(pid, 0, ctx)


# ---------------------------------------------------------------------------------------
# translation through the TLBs
@njit(cache=True, nogil=True, _nrt=False)
def translate_key(C, MMU, M, va, w, key, store):
    """(pa, status) of an access to va through TLB w of this strand's core in regime
    `key`: status 0, an MMU trap type, or EXIT_MEMGROW (the T2 walk's read needs a
    page).  A hit sets the entry's used bit (before the permission checks).  On a T2, a
    miss with the MMU on first walks the TSBs (hw_walk), which loads the TLB."""
    if key == KEY_HPRIV:
        return va & PA_MASK, 0
    TLB, CFG = MMU.tlb, MMU.cfg
    core = np.int64(C[S.STRAND_ID]) // CFG[CFG_SPC]
    ctx = key & _CTX_MASK
    n = tlb_ntlb(CFG, w)
    i = tlb_find(TLB, w, core, n, va, key & ~KEY_USER)
    if M is not None and i < 0 and key & KEY_REAL == np.uint64(0) and CFG[CFG_T1] == 0:
        st, i = hw_walk(C, MMU, M, va, w, np.int64(ctx))
        if st > 0:
            C[S.I_TAG_ACCESS + w] = (va & ~np.uint64(0x1FFF)) | ctx
            if w == W_D:
                C[S.D_SFAR] = va
            return va, st
    if i < 0:
        C[S.I_TAG_ACCESS + w] = (va & ~np.uint64(0x1FFF)) | ctx
        if w == W_D:
            C[S.D_SFAR] = va
        if key & KEY_REAL:
            return va, T_INSTR_REAL_MISS if w == W_I else T_DATA_REAL_MISS
        return va, T_FAST_INSTR_MISS if w == W_I else T_FAST_DATA_MISS
    tlb_touch(MMU, w, core, n, i)
    data = TLB[w, core, i, TLB_DATA]
    if key & KEY_USER and data & TTE_P:
        C[S.I_TAG_ACCESS + w] = (va & ~np.uint64(0x1FFF)) | ctx
        if w == W_D:
            C[S.D_SFAR] = va
            return va, T_DATA_ACCESS
        return va, T_INSTR_ACCESS
    if w == W_I and data & TTE_X == np.uint64(0):
        C[S.I_TAG_ACCESS] = (va & ~np.uint64(0x1FFF)) | ctx
        return va, T_INSTR_ACCESS
    if store and data & TTE_W == np.uint64(0):
        C[S.D_TAG_ACCESS] = (va & ~np.uint64(0x1FFF)) | ctx
        C[S.D_SFAR] = va
        return va, T_FAST_DATA_PROT
    m = page_mask(data)
    return ((data & RA_FIELD & ~m) | (va & m)) & PA_MASK, 0


@njit(cache=True, nogil=True, _nrt=False)
def translate_data(C, MMU, M, va, kind, asi):
    """(pa, status) for a data access (kind: MEM.KIND_READ or KIND_WRITE) in full-system
    mode, through the TLB (no translation cache)."""
    return translate_key(C, MMU, M, va, W_D, data_key(C, asi), kind == MEM.KIND_WRITE)


@njit(cache=True, nogil=True, _nrt=False)
def translate_fetch(C, MMU, M, va):
    """(pa, status) for an instruction fetch in full-system mode, through the TLB (no
    translation cache)."""
    return translate_key(C, MMU, M, va, W_I, fetch_key(C), False)


# ---------------------------------------------------------------------------------------
# the strands' translation caches
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def xc_lookup(C, MMU, M, va, kind, key):
    """(slot, pa, status) of an access of `kind` (MEM.KIND_*) to va in regime `key`:
    status 0 and the page slot of physical memory; a trap type (> 0; the MMU's, as
    translate_key); or a memory status (< 0: MEM.FAULT, GROW, MMIO) with the physical
    address.  A hit costs two compares; a miss translates through the TLB
    (xc_fill)."""
    s = np.int64(C[S.STRAND_ID])
    vpn = va >> _U13
    j = np.int64(vpn & _XC_MASK)
    XC = MMU.xc
    if XC[s, kind, j, XE_TAG] == vpn + np.uint64(1) and XC[s, kind, j, XE_KEY] == key:
        return np.int64(XC[s, kind, j, XE_SLOT]), XC[s, kind, j, XE_PA] | (va & _OFFSET), 0
    return xc_fill(C, MMU, M, va, kind, key)


@njit(cache=True, nogil=True, _nrt=False)
def xc_fill(C, MMU, M, va, kind, key):
    """xc_lookup's miss: translate through the TLB, find the physical page, and enter
    the translation when both succeed (and the cache is on)."""
    pa, st = translate_key(C, MMU, M, va, W_I if kind == MEM.KIND_FETCH else W_D, key,
                           kind == MEM.KIND_WRITE)
    if st != 0:
        return np.int64(-1), pa, st
    slot = MEM.page_slot(M, pa, kind)
    if slot < 0:
        return slot, pa, slot
    if MMU.cfg[CFG_XC_OFF] == 0:
        s = np.int64(C[S.STRAND_ID])
        vpn = va >> _U13
        j = np.int64(vpn & _XC_MASK)
        XC, XF = MMU.xc, MMU.xfill
        if XC[s, kind, j, XE_TAG] == np.uint64(0):
            n = XF[s, kind, 0]
            XF[s, kind, n + 1] = j
            XF[s, kind, 0] = n + 1
        XC[s, kind, j, XE_TAG] = vpn + np.uint64(1)
        XC[s, kind, j, XE_KEY] = key
        XC[s, kind, j, XE_SLOT] = np.uint64(slot)
        XC[s, kind, j, XE_PA] = pa & ~_OFFSET
    return slot, pa, 0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def xc_data(C, MMU, M, va, kind, asi):
    """(slot, pa, status) of a data access through `asi` (xc_lookup)."""
    return xc_lookup(C, MMU, M, va, kind, data_key(C, asi))


@njit(cache=True, nogil=True, _nrt=False)
def xc_pa(C, MMU, M, va, kind, asi):
    """(pa, status) of a data access through `asi` (xc_lookup), status 0 or an MMU trap
    type (the memory's status is left to the access), pa also in C[LAST_EA]: for the
    access forms that go through MEM.load/store."""
    slot, pa, st = xc_lookup(C, MMU, M, va, kind, data_key(C, asi))
    C[S.LAST_EA] = pa
    if st > 0:
        return pa, st
    return pa, 0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def xc_fetch(C, MMU, M, va):
    """(slot, pa, status) of an instruction fetch (xc_lookup)."""
    return xc_lookup(C, MMU, M, va, MEM.KIND_FETCH, fetch_key(C))


@njit(cache=True, nogil=True, _nrt=False)
def xc_flush(MMU, t, kind):
    """Empty strand t's translation cache for accesses of `kind`."""
    XC, XF = MMU.xc, MMU.xfill
    n = XF[t, kind, 0]
    for k in range(n):
        XC[t, kind, XF[t, kind, k + 1], XE_TAG] = 0
    XF[t, kind, 0] = 0


@njit(cache=True, nogil=True, _nrt=False)
def xc_flush_core(MMU, core, w):
    """Empty the translation caches fed by TLB w of `core` on all its strands: fetch
    (ITLB) or read and write (DTLB)."""
    spc = MMU.cfg[CFG_SPC]
    lo = core * spc
    hi = min(lo + spc, MMU.xc.shape[0])
    for t in range(lo, hi):
        if w == W_I:
            xc_flush(MMU, t, MEM.KIND_FETCH)
        else:
            xc_flush(MMU, t, MEM.KIND_READ)
            xc_flush(MMU, t, MEM.KIND_WRITE)


# ---------------------------------------------------------------------------------------
# internal register ASIs
@njit(cache=True, nogil=True, _nrt=False)
def _hwtw_reg(CFG, va):
    """The HWTW column of a T2 register address: TSB configuration ASI 0x54 VA
    0x10-0x48, real range ASI 0x52 VA 0x108-0x120, physical offset 0x208-0x220; -1 for
    any other address or on a T1."""
    if CFG[CFG_T1]:
        return -1
    if va >= np.uint64(0x10) and va <= np.uint64(0x48):
        return np.int64((va - np.uint64(0x10)) >> np.uint64(3))
    if va >= np.uint64(0x108) and va <= np.uint64(0x120):
        return HW_RANGE + np.int64((va - np.uint64(0x108)) >> np.uint64(3))
    if va >= np.uint64(0x208) and va <= np.uint64(0x220):
        return HW_OFFSET + np.int64((va - np.uint64(0x208)) >> np.uint64(3))
    return -1


@njit(cache=True, nogil=True, _nrt=False)
def _asi_read(C, MMU, asi, va):
    """(value, status) of an ldxa from an internal ASI."""
    TLB, CFG, SREG = MMU.tlb, MMU.cfg, MMU.sreg
    s = np.int64(C[S.STRAND_ID])
    core = s // CFG[CFG_SPC]
    hpriv = (C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV)) != np.uint64(0)
    if asi == ASI_SCRATCHPAD:
        if va <= np.uint64(0x38):
            if CFG[CFG_T1] and not hpriv and (va == np.uint64(0x20) or va == np.uint64(0x28)):
                return np.uint64(0), T_DATA_ACCESS
            return C[S.SCRATCH_BASE + np.int64(va >> np.uint64(3))], 0
    elif asi == ASI_HSCRATCHPAD:
        if va <= np.uint64(0x38):
            return C[S.HSCRATCH_BASE + np.int64(va >> np.uint64(3))], 0
    elif asi == ASI_MMU_CTX:
        v = va & np.uint64(0xFF)
        if v == np.uint64(8):
            return C[S.PRIMARY_CTX], 0
        if v == np.uint64(0x10):
            return C[S.SECONDARY_CTX], 0
    elif asi == ASI_QUEUE:
        if va >= np.uint64(0x3C0) and va <= np.uint64(0x3F8):
            return C[S.QUEUE_BASE + np.int64((va - np.uint64(0x3C0)) >> np.uint64(3))], 0
    elif asi == ASI_LSU_CTL:
        if va == np.uint64(0):
            return C[S.LSU_CTL], 0
    elif asi == ASI_IMMU or asi == ASI_DMMU:
        w = W_I if asi == ASI_IMMU else W_D
        ta = C[S.I_TAG_ACCESS + w]
        if va == np.uint64(0):          # tag target: context 60:48, VA[63:22]
            return ((ta & _CTX_MASK) << np.uint64(48)) | (ta >> np.uint64(22)), 0
        if va == np.uint64(0x18):
            return C[S.I_SFSR + w], 0
        if va == np.uint64(0x20) and w == W_D:
            return C[S.D_SFAR], 0
        if va == np.uint64(0x30):
            return ta, 0
        if va == np.uint64(0x80):
            return C[S.PARTID], 0
    elif asi == ASI_ITLB_DATA_ACCESS or asi == ASI_DTLB_DATA_ACCESS or \
            asi == ASI_ITLB_TAG_READ or asi == ASI_DTLB_TAG_READ:
        w = W_I if asi == ASI_ITLB_DATA_ACCESS or asi == ASI_ITLB_TAG_READ else W_D
        i = np.int64(va >> np.uint64(3)) & (tlb_ntlb(CFG, w) - 1)
        if asi == ASI_ITLB_DATA_ACCESS or asi == ASI_DTLB_DATA_ACCESS:
            return TLB[w, core, i, TLB_DATA], 0
        k = TLB[w, core, i, TLB_KEY]
        return (((k >> np.uint64(56)) & np.uint64(7)) << np.uint64(61)) | \
            (((k >> np.uint64(55)) & np.uint64(1)) << np.uint64(60)) | \
            (TLB[w, core, i, TLB_VA] & RA_FIELD) | (k & _CTX_MASK), 0
    elif asi == ASI_CMP_CORE:
        # strand id (T2: bits 5:0 within the chip; T2+ with sockets: the socket above)
        if va == np.uint64(0) or va == np.uint64(0x10):
            return C[S.STRAND_ID] & np.uint64(CFG[CFG_VCID_MASK]), 0
    elif asi == ASI_CMP_CHIP:
        if not CFG[CFG_T1]:
            return np.uint64(0), S.EXIT_MMIO            # the machine's strand control
    elif asi == ASI_MMU_TSB:
        r = _hwtw_reg(CFG, va)
        if r >= 0 and r < HW_RANGE:
            return MMU.hwtw[s, r], 0
    elif asi == ASI_HWTW_RANGE:
        r = _hwtw_reg(CFG, va)
        if r >= HW_RANGE:
            return MMU.hwtw[s, r], 0
    elif asi == ASI_INTR_RECEIVE:
        return SREG[s, SR_IVEC], 0
    elif asi == ASI_INTR_R:
        iv = SREG[s, SR_IVEC]
        for b in range(63, -1, -1):
            if iv & (np.uint64(1) << np.uint64(b)):
                SREG[s, SR_IVEC] = iv & ~(np.uint64(1) << np.uint64(b))
                return np.uint64(b), 0
        return np.uint64(0), 0
    return np.uint64(0), T_DATA_ACCESS


@njit(cache=True, nogil=True, _nrt=False)
def _asi_write(C, MMU, asi, va, v):
    """status of an stxa to an internal ASI."""
    CFG, SREG = MMU.cfg, MMU.sreg
    s = np.int64(C[S.STRAND_ID])
    core = s // CFG[CFG_SPC]
    hpriv = (C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV)) != np.uint64(0)
    if asi == ASI_SCRATCHPAD:
        if va <= np.uint64(0x38):
            if CFG[CFG_T1] and not hpriv and (va == np.uint64(0x20) or va == np.uint64(0x28)):
                return T_DATA_ACCESS
            C[S.SCRATCH_BASE + np.int64(va >> np.uint64(3))] = v
            return 0
    elif asi == ASI_HSCRATCHPAD:
        if va <= np.uint64(0x38):
            C[S.HSCRATCH_BASE + np.int64(va >> np.uint64(3))] = v
            return 0
    elif asi == ASI_MMU_CTX:
        a = va & np.uint64(0xFF)
        if a == np.uint64(8):
            C[S.PRIMARY_CTX] = v & _CTX_MASK
            C[S.DEADLINE] = 0                           # FETCH_CHANGE
            return 0
        if a == np.uint64(0x10):
            C[S.SECONDARY_CTX] = v & _CTX_MASK
            return 0
    elif asi == ASI_QUEUE:
        if va >= np.uint64(0x3C0) and va <= np.uint64(0x3F8):
            if va & np.uint64(8) and not hpriv:        # tails are written by the HV only
                return T_DATA_ACCESS
            C[S.QUEUE_BASE + np.int64((va - np.uint64(0x3C0)) >> np.uint64(3))] = \
                v & ~np.uint64(0x3F)
            C[S.DEADLINE] = 0                           # a queue may be non-empty now
            return 0
    elif asi == ASI_LSU_CTL:
        if va == np.uint64(0):
            C[S.LSU_CTL] = v & np.uint64(0xF)
            C[S.DEADLINE] = 0                           # FETCH_CHANGE
            return 0
    elif asi == ASI_IMMU or asi == ASI_DMMU:
        w = W_I if asi == ASI_IMMU else W_D
        if va == np.uint64(0x18):
            C[S.I_SFSR + w] = v
            return 0
        if va == np.uint64(0x30):
            C[S.I_TAG_ACCESS + w] = v
            return 0
        if va == np.uint64(0x80):
            C[S.PARTID] = v & np.uint64(7)
            C[S.DEADLINE] = 0                           # FETCH_CHANGE
            return 0
    elif asi == ASI_HWTW_RANGE:
        r = _hwtw_reg(CFG, va)
        if r >= HW_RANGE:
            MMU.hwtw[s, r] = v
            return 0
    elif asi == ASI_MMU_TSB and _hwtw_reg(CFG, va) >= 0 and _hwtw_reg(CFG, va) < HW_RANGE:
        MMU.hwtw[s, _hwtw_reg(CFG, va)] = v
        return 0
    elif asi == ASI_ITLB_DATA_IN or asi == ASI_DTLB_DATA_IN or \
            asi == ASI_ITLB_DATA_ACCESS or asi == ASI_DTLB_DATA_ACCESS:
        w = W_I if asi == ASI_ITLB_DATA_IN or asi == ASI_ITLB_DATA_ACCESS else W_D
        if CFG[CFG_T1]:
            real = np.int64((va >> np.uint64(9)) & np.uint64(1))
            if (va >> np.uint64(10)) & np.uint64(1) == np.uint64(0):
                v = _sun4u_to_sun4v(v)
        else:
            real = np.int64((va >> np.uint64(10)) & np.uint64(1))
        ta = C[S.I_TAG_ACCESS + w]
        index = -1
        if asi == ASI_ITLB_DATA_ACCESS or asi == ASI_DTLB_DATA_ACCESS:
            index = np.int64(va >> np.uint64(3)) & (tlb_ntlb(CFG, w) - 1)
        tlb_insert(MMU, core, w, ta & ~np.uint64(0x1FFF), np.int64(C[S.PARTID]), real,
                   np.int64(ta & _CTX_MASK), v, index)
        if w == W_I:
            C[S.DEADLINE] = 0                           # FETCH_CHANGE
        return 0
    elif asi == ASI_IMMU_DEMAP or asi == ASI_DMMU_DEMAP:
        w = W_I if asi == ASI_IMMU_DEMAP else W_D
        op = np.int64((va >> np.uint64(6)) & np.uint64(3))
        sel = np.int64((va >> np.uint64(4)) & np.uint64(3))
        real = np.int64((va >> np.uint64(9)) & np.uint64(1))
        if sel == 0:
            ctx = np.int64(C[S.PRIMARY_CTX])
        elif sel == 1:
            ctx = np.int64(C[S.SECONDARY_CTX])
        else:
            ctx = 0
        if op != 3:
            tlb_demap(MMU, core, w, op, np.int64(C[S.PARTID]), real, ctx,
                      va & ~np.uint64(0x1FFF))
            if w == W_I:
                C[S.DEADLINE] = 0                       # FETCH_CHANGE
        return 0
    elif asi == ASI_INTR_RECEIVE:
        SREG[s, SR_IVEC] = v
        C[S.DEADLINE] = 0
        return 0
    elif asi == ASI_INTR_W:
        # interrupt dispatch (INT_VEC_DIS format): type 17:16, target strand 8 up, vector
        # 5:0. An interrupt is posted here; reset, idle and resume are the machine's
        if (v >> np.uint64(16)) & np.uint64(3) != np.uint64(0):
            return S.EXIT_MMIO
        t = np.int64((v >> np.uint64(8)) & np.uint64(CFG[CFG_VCID_MASK]))
        if t < CFG[CFG_NSTRANDS]:
            post_vector(MMU, t, np.int64(v & np.uint64(0x3F)))
            if t == s:
                C[S.DEADLINE] = 0
        return 0
    elif asi == ASI_CMP_CHIP:
        if not CFG[CFG_T1]:
            return S.EXIT_MMIO
    return T_DATA_ACCESS


@njit(cache=True, nogil=True, _nrt=False)
def post_vector(MMU, t, vector):
    """Interrupt vector `vector` (0..63) to strand t: its receive register bit, and the
    poke that makes the machine's run loop check it (and wake it if halted)."""
    MMU.sreg[t, SR_IVEC] |= np.uint64(1) << np.uint64(vector)
    MMU.sreg[t, SR_POKE] = 1


@njit(cache=True, nogil=True, _nrt=False)
def asi_access(R, RM, C, MMU, M, inst, iid, asi, va):
    """ldxa/stxa of an internal (non-memory) ASI register: ADVANCE or a trap type.
    Only 64-bit accesses are defined; others raise data_access_exception."""
    rd = (inst >> 25) & 31
    if iid != I.LDXA and iid != I.STXA:
        C[S.EXIT_ARG1] = va
        return T_DATA_ACCESS
    if va & np.uint64(7):
        C[S.EXIT_ARG1] = va
        return T_UNALIGNED
    if iid == I.LDXA:
        v, st = _asi_read(C, MMU, asi, va)
        if st == S.EXIT_MMIO:
            return asi_exit(C, asi, va, np.uint64(0), np.int64(RM[32 + rd]), False)
        if st:
            C[S.EXIT_ARG1] = va
            return st
        R[RM[32 + rd]] = v
        return S.ADVANCE
    st = _asi_write(C, MMU, asi, va, R[RM[rd]])
    if st == S.EXIT_MMIO:
        return asi_exit(C, asi, va, R[RM[rd]], 0, True)
    if st:
        C[S.EXIT_ARG1] = va
        return st
    return S.ADVANCE


@njit(cache=True, nogil=True, _nrt=False)
def asi_exit(C, asi, va, data, reg, store):
    """Hand an 8-byte access to an internal register the machine models in Python (ASI
    0x41, interrupt dispatch other than an interrupt) to Python: EXIT_MMIO."""
    C[S.IO_ASI] = asi
    C[S.IO_VA] = va
    C[S.IO_PA] = 0
    C[S.IO_SIZE] = 8
    C[S.IO_FLAGS] = S.IOF_STORE if store else 0
    C[S.IO_DATA] = data
    C[S.IO_REG] = reg
    return S.EXIT_MMIO
