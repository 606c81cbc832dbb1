"""The T2 hardware table walk of the chip model (sun4v/cmt/mmu.py; facts: the UltraSPARC
T2 TSB configuration and real range registers as Sun's hypervisor programs them, huron
mmu.h / hcall_mmu.s / mmu.s, reference/sun4v.md §3).  TSBs are built in memory by hand
from those register and entry formats, then a strand with the MMU on misses in its TLB:
the walk must load the TLB from the right TSB entry with the PA its real range gives,
or leave the fast miss trap, or raise invalid_TSB_entry when no range covers the entry's
real address.  T1 has no walk."""
import numpy as np
import pytest

from sun4v.cmt import memory as MEM
from sun4v.cmt import mmu
from sun4v.cmt import state as S

V = 1 << 63
PID = 3
TSB_PA = 0x20_0000                # TSB in physical memory
RA_BASE, PA_BASE, RA_SIZE = 0x1000_0000, 0x9000_0000, 0x1000_0000   # one real range


def machine(chip="t2"):
    st = S.StrandArrays(1)
    C = st.C[0]
    C[S.MODE] = S.MODE_FULL
    C[S.PARTID] = PID
    C[S.PSTATE] = S.PSTATE_PRIV
    C[S.LSU_CTL] = 0xC                      # MMU on (IM | DM)
    M = mmu.new_mmu(1, chip=chip)
    mem = MEM.Memory(alloc_on_touch=True)
    mem.add_region(0, 1 << 34, MEM.PERM_RWX)
    return C, M, mem


def asi_write(C, M, asi, va, v):
    assert mmu._asi_write(C, M, asi, np.uint64(va), np.uint64(v)) == 0


def real_range(C, M, j=0, ra=RA_BASE, size=RA_SIZE, pa=PA_BASE):
    # enable 63, RA limit >> 13 in 53:27, RA base >> 13 in 26:0; offset PA - RA, 39:13
    asi_write(C, M, 0x52, 0x108 + 8 * j, V | (((ra + size) >> 13) << 27) | (ra >> 13))
    asi_write(C, M, 0x52, 0x208 + 8 * j, (pa - ra) & 0xFF_FFFF_E000)


def tsb_config(C, M, i, base, pgsz, size_code=0, ctx0=True, use_ctx=False, ra=False):
    reg = (0x10 if ctx0 else 0x30) + 8 * i
    v = V | base | (pgsz << 4) | size_code | (0x100 if ra else 0) | \
        ((1 << 62) if use_ctx else 0)
    asi_write(C, M, 0x54, reg, v)


def put_tte(mem, tsb, pgsz, entries, va, ctx, tte):
    idx = (va >> (13 + 3 * pgsz)) & (entries - 1)
    mem.write_u64(tsb + 16 * idx, (ctx << 48) | (va >> 22))
    mem.write_u64(tsb + 16 * idx + 8, tte)


def translate(C, M, mem, va, ctx=0, store=False):
    C[S.PRIMARY_CTX] = ctx
    pa, st = mmu.translate_data(C, M, mem.M, np.uint64(va), 1 if store else 0, 0x80)
    return int(pa), int(st)


def test_registers_read_back_and_t1_has_none():
    C, M, mem = machine()
    tsb_config(C, M, 2, TSB_PA, 1, 3, ctx0=False)
    real_range(C, M, 3)
    assert int(mmu._asi_read(C, M, 0x54, np.uint64(0x40))[0]) == V | TSB_PA | 0x13
    assert int(mmu._asi_read(C, M, 0x52, np.uint64(0x120))[0]) >> 63 == 1
    assert int(M.hwtw[0, mmu.HW_OFFSET + 3]) == (PA_BASE - RA_BASE)
    # the data-in addresses of ASI 0x54 still load the ITLB
    C1, M1, _ = machine("t1")
    assert mmu._asi_write(C1, M1, 0x52, np.uint64(0x108), np.uint64(1)) == mmu.T_DATA_ACCESS
    assert int(M1.hwtw.sum()) == 0


@pytest.mark.parametrize("pgsz, va", [(0, 0x4000_2468), (1, 0x7_0001_2345), (3, 0x4012_3450)])
def test_walk_loads_the_tlb_with_the_pa(pgsz, va):
    C, M, mem = machine()
    real_range(C, M)
    tsb_config(C, M, 1, TSB_PA, pgsz)                  # 512 entries, context 0
    page = 1 << (13 + 3 * pgsz)
    ra_page = RA_BASE + 5 * page
    put_tte(mem, TSB_PA, pgsz, 512, va, 0, V | ra_page | 0x40 | pgsz)  # writable
    pa, st = translate(C, M, mem, va)
    assert st == 0 and pa == PA_BASE + 5 * page + (va & (page - 1))
    # the TLB now holds it, with the partition ID and the PA
    i = mmu.tlb_lookup(M, 0, mmu.W_D, np.uint64(va), PID, 0, 0)
    assert i >= 0 and int(M.tlb[mmu.W_D, 0, i, mmu.TLB_DATA]) & 0xFF_FFFF_E000 & ~(page - 1) \
        == PA_BASE + 5 * page


def test_contexts_tags_and_misses():
    C, M, mem = machine()
    real_range(C, M)
    tsb_config(C, M, 0, TSB_PA, 0, ctx0=False)                       # shared: tag has ctx
    tsb_config(C, M, 1, TSB_PA + 0x10_0000, 0, ctx0=False, use_ctx=True)  # per address space
    put_tte(mem, TSB_PA, 0, 512, 0x5000_0000, 7, V | RA_BASE | 0x40)
    put_tte(mem, TSB_PA + 0x10_0000, 0, 512, 0x6000_0000, 0, V | (RA_BASE + 0x2000) | 0x40)
    assert translate(C, M, mem, 0x5000_0010, ctx=7) == (PA_BASE + 0x10, 0)
    assert translate(C, M, mem, 0x5000_0010, ctx=8)[1] == mmu.T_FAST_DATA_MISS
    assert translate(C, M, mem, 0x6000_0020, ctx=9) == (PA_BASE + 0x2020, 0)
    # context 0 uses the context-0 TSBs only: none configured -> fast miss
    assert translate(C, M, mem, 0x5000_0010, ctx=0)[1] == mmu.T_FAST_DATA_MISS
    # invalid entry, wrong page size: misses
    put_tte(mem, TSB_PA, 0, 512, 0x5000_2000, 7, RA_BASE | 0x40)             # V clear
    put_tte(mem, TSB_PA, 0, 512, 0x5000_4000, 7, V | RA_BASE | 0x40 | 1)     # 64K in 8K TSB
    assert translate(C, M, mem, 0x5000_2000, ctx=7)[1] == mmu.T_FAST_DATA_MISS
    assert translate(C, M, mem, 0x5000_4000, ctx=7)[1] == mmu.T_FAST_DATA_MISS
    assert int(C[S.D_TAG_ACCESS]) == 0x5000_4000 | 7


def test_real_address_outside_every_range_is_an_invalid_tsb_entry():
    C, M, mem = machine()
    real_range(C, M)
    tsb_config(C, M, 0, TSB_PA, 0)
    put_tte(mem, TSB_PA, 0, 512, 0x4000_0000, 0, V | (RA_BASE + RA_SIZE) | 0x40)
    assert translate(C, M, mem, 0x4000_0000) == (0x4000_0000, mmu.T_DATA_INVALID_TSB)
    # a fetch: the instruction flavour
    C[S.PRIMARY_CTX] = 0
    _, st = mmu.translate_fetch(C, M, mem.M, np.uint64(0x4000_0000))
    assert st == mmu.T_INSTR_INVALID_TSB
    # a second range makes it good
    real_range(C, M, 1, ra=RA_BASE + RA_SIZE, size=0x2000, pa=0x1_0000_0000)
    assert translate(C, M, mem, 0x4000_0008) == (0x1_0000_0008, 0)


def test_tsb_base_as_a_real_address():
    C, M, mem = machine()
    real_range(C, M)
    tsb_ra = RA_BASE + 0x4_0000                        # at PA_BASE + 0x4_0000
    tsb_config(C, M, 0, tsb_ra, 0, ra=True)
    put_tte(mem, PA_BASE + 0x4_0000, 0, 512, 0x4000_6000, 0, V | (RA_BASE + 0x6000) | 0x40)
    assert translate(C, M, mem, 0x4000_6008) == (PA_BASE + 0x6008, 0)
    tsb_config(C, M, 0, RA_BASE + RA_SIZE, 0, ra=True)  # TSB outside the ranges
    assert translate(C, M, mem, 0x4000_8000)[1] == mmu.T_DATA_INVALID_TSB


def test_t1_takes_the_fast_miss_with_the_same_tables():
    C, M, mem = machine("t1")
    put_tte(mem, TSB_PA, 0, 512, 0x4000_0000, 0, V | RA_BASE | 0x40)
    M.hwtw[0, 0] = V | TSB_PA                           # even if something were there
    assert translate(C, M, mem, 0x4000_0000)[1] == mmu.T_FAST_DATA_MISS
