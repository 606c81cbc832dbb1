"""The strands' translation caches (sun4v/cmt/mmu.py "Translation caches"; engine._run
keeps the fetch page): stale translations must not survive. Bare-metal programs of our
own on a T2000 (UltraSPARC T1) and a T5220 (UltraSPARC T2) use a translation (which the
cache then holds), change what the architecture says may change it, and use it again:
the MMU turned off for data and for fetch (LSU_CTL), privileged pages from user mode,
hyperprivileged PA = VA against a TLB mapping of the same address, a context write on
the page being fetched, a trap and a done at the same page number in another regime,
TLB rewrites (same tag, and at an index) and a demap and a rewrite by another strand of
the same core; and (tests/asm/bm_xlate2.S) a partition ID change for data and fetch (the
same VA and context map other pages in the other partition: a translation cached under
one partition is never used under another), secondary and primary context writes for
data, a demap of a context and of everything, and on the T2 the hardware table walk
(its TLB load cached; a TSB rewrite changes nothing until the demap that follows it).
The expected values are the architecture's (reference/sun4v.md §3; UA2007 ch. 14; the
T2 walk: mmu.py): the mapping the TLB holds at the time of the access. Each scenario
uses the translation twice before the change, so the access after it would come from
the cache. Page sizes with the cache are tests/test_machine.py's bm_tlb2; used bits
tests/test_mmu_replacement.py.

Each scenario was seen to fail with its invalidation removed (a scratch copy where each
flush, each part of the key and the fetch page's reset could be turned off): the demap
flush (P4, P5, P6, another strand's demap), the TLB write flush (S1-S8, another strand's
rewrite), the partition in the key (P1), the context (P2, P3, S6), the user bit (S1-S8),
the real bit (P7), the hyperprivileged bit (P8), the primary context write's fetch page
re-lookup (S6), the fetch page kept across a trap (S1-S8)."""
import functools
import re

import numpy as np
import pytest

import bmbuild
import qemu_oracle
import xlate_gen
from sun4v.cmt import mmu
from sun4v.cmt import state as S
from sun4v.machine import Machine

LOG_COUNT = 0x100000 + 0x3F8        # tests/asm/bm.h LOG
LOG_BASE = 0x100000 + 0x400
BOTH = ["t2000", "t5220"]


def asm_log(m):
    n = m.mem.read_u64(LOG_COUNT) // 8
    return [m.mem.read_u64(LOG_BASE + 8 * i) for i in range(n)]


@functools.lru_cache(maxsize=None)
def run_log(name, plat, cache=True):
    m = Machine(plat)
    mmu.set_translation_cache(m.mmu, cache)
    m.load_elf(bmbuild.asm(name))
    r = m.run(max_insns=500_000)
    assert r.reason == "poweroff" and r.value == 0x5A, (r, [hex(v) for v in asm_log(m)])
    return tuple(asm_log(m))


# the log of tests/asm/bm_xlate.S, scenario by scenario
S1 = [0x111, 0x222, 0x111]          # data: MMU on (context 5), off (real), on
S2 = [1, 2, 1]                      # fetch: MMU on, off, on
S3 = [0x111, 0x30, 0x111]           # data: privileged, user (P page), privileged
S4 = [0x08, 0x44, 0x08, 0x45]       # fetch: user on a P page, then a user call to it
S5 = [0x333, 0x555, 0x333]          # data: privileged (TLB), hyperprivileged (PA), TLB
S6 = [6]                            # primary context write on the page being fetched
S7 = [0x19E, 0x99]                  # trap and done across one page number
S8 = [0x111, 0x222, 0x111, 0x68, 0x1002_6005, 2]   # TLB rewrites (same tag, index)
END = [0x185, 1]
SCENARIOS = [S1, S2, S3, S4, S5, S6, S7, S8, END]


def scenario(plat, n):
    log = run_log("bm_xlate", plat)
    start = sum(len(s) for s in SCENARIOS[:n])
    assert len(log) == sum(len(s) for s in SCENARIOS), [hex(v) for v in log]
    return list(log[start:start + len(SCENARIOS[n])])


SCENARIO_IDS = ["mmu_off_and_on_again_for_data", "mmu_off_and_on_again_for_fetch",
                "user_load_from_a_privileged_page_cached_by_privileged_code",
                "user_fetch_from_a_privileged_page_cached_by_privileged_code",
                "hyperprivileged_access_is_not_the_tlbs_mapping_of_the_same_address",
                "context_write_on_the_page_being_fetched",
                "trap_and_done_between_regimes_at_one_page_number",
                "tlb_rewrites_same_tag_and_at_an_index", "power_off"]


@pytest.mark.parametrize("plat", BOTH)
@pytest.mark.parametrize("n", range(len(SCENARIOS)), ids=SCENARIO_IDS)
def test_bm_xlate_scenario(plat, n):
    assert scenario(plat, n) == SCENARIOS[n]


@pytest.mark.parametrize("plat", BOTH)
def test_reference_without_the_cache_gives_the_same_log(plat):
    """The expected values are the architecture's, not the cache's: the same program
    translating every access through the TLB logs the same."""
    assert run_log("bm_xlate", plat, cache=False) == run_log("bm_xlate", plat)


# the log of tests/asm/bm_xlate2.S, scenario by scenario
VA_W, VA_D1, VA_D2 = 0x10060000, 0x10044000, 0x10046000
P1 = [0x111, 1, 0x222, 2, 0x111, 1]        # partition 1, 2, 1: data and fetch
P2 = [0x111, 0x222, 0x111]                  # secondary context 5, 6, 5
P3 = [0x111, 0x222, 0x111]                  # primary context 5, 6, 5 (data)
P4 = [0x111, 0x111, 0x222, 0x68, VA_W | 5]  # T2 walk; TSB rewritten; demap; TSB off
P5 = [0x111, 0x68, VA_D1 | 5]               # demap context
P6 = [0x222, 0x68, VA_D2 | 5]               # demap all
P7 = [0x111, 0x222, 0x111]                  # nucleus, real, nucleus
P8 = [0x111, 0x555]                         # partition 0 nucleus, hyperprivileged


def scenarios2(plat):
    """bm_xlate2's log cut into its scenarios; P4 (the table walk) only on a T2."""
    parts = [P1, P2, P3] + ([P4] if plat != "t2000" else []) + [P5, P6, P7, P8, END]
    log = run_log("bm_xlate2", plat)
    assert len(log) == sum(len(p) for p in parts), [hex(v) for v in log]
    out, i = {}, 0
    for name, p in zip(["P1", "P2", "P3"] + (["P4"] if plat != "t2000" else []) +
                       ["P5", "P6", "P7", "P8", "END"], parts):
        out[name] = list(log[i:i + len(p)])
        i += len(p)
    return out


# P1: a translation cached under partition 1 is never used under partition 0 (the same
# VA and context map other pages there), and back. P4 (T2 only): the walk's TLB load is
# cached; a TSB rewrite changes no TLB entry (the chip keeps what it loaded), the demap
# that follows it does: the walk runs again.
PART2 = {"P1": ("partition_change_data_and_fetch", P1),
         "P2": ("secondary_context_write", P2),
         "P3": ("primary_context_write_for_data", P3),
         "P4": ("tsb_change_and_demap_with_the_t2_table_walk", P4),
         "P5": ("demap_context", P5), "P6": ("demap_all", P6),
         "P7": ("real_access_is_not_the_nucleus_mapping_of_the_same_address", P7),
         "P8": ("hyperprivileged_access_is_not_partition_0_nucleus", P8),
         "END": ("power_off", END)}


@pytest.mark.parametrize("plat, part", [
    pytest.param(plat, part, id=f"{plat}-{name}") for part, (name, _) in PART2.items()
    for plat in BOTH if part != "P4" or plat != "t2000"])      # the walk is a T2's
def test_bm_xlate2_scenario(plat, part):
    assert scenarios2(plat)[part] == PART2[part][1]


@pytest.mark.parametrize("plat", BOTH)
def test_part2_reference_without_the_cache_gives_the_same_log(plat):
    assert run_log("bm_xlate2", plat, cache=False) == run_log("bm_xlate2", plat)


@pytest.mark.parametrize("plat", BOTH)
def test_demap_and_rewrite_by_another_strand_of_the_core(plat):
    log = run_log("bm_xlate_smp", plat)
    assert list(log) == [0x111,                     # strand 1 loads VA_S (cached)
                         0x68, 0x1000_0005,         # strand 0 demapped it: a miss
                         0x111, 0x222,              # strand 0 rewrote VA_S2 -> PA2
                         0x185, 1]


@pytest.mark.parametrize("plat", BOTH)
def test_mmu_on_kernel_computes_what_qemu_computes(plat):
    qemu_oracle.require_tools()
    out, err, rc = qemu_oracle.run_qemu(bmbuild.bench("xlate_loop"), ("1", "50"))
    assert rc == 0, err
    check = int(re.search(rb"check=([0-9a-f]+)", out).group(1), 16)
    m = Machine(plat)
    m.load_elf(bmbuild.c("mmu_loop"))
    r = m.run(max_insns=50_000_000)
    assert r.reason == "poweroff" and r.value == check & 0xFF, r
    assert m.mem.read_u64(0x200000) == check


# ---- random programs: the caches on and off give the same machine -----------------------
TRAPS = (0x08, 0x30, 0x3E, 0x3F, 0x64, 0x68, 0x6C)
NOT_ARCHITECTURAL = ("mmu.xc", "mmu.xfill", "mmu.cfg")     # the caches and their switch


def same_machine(m1, m0, what):
    """The two machines' architectural state, memory, TLBs, used bits and instruction
    counts are identical (the translation caches may differ)."""
    a, b = m1.snapshot(), m0.snapshot()
    for k in a:
        if k in NOT_ARCHITECTURAL:
            continue
        if k == "pages":
            assert a[k].keys() == b[k].keys(), what
            for vpn in a[k]:
                assert np.array_equal(a[k][vpn], b[k][vpn]), (what, f"page {vpn:#x}")
        elif isinstance(a[k], np.ndarray):
            assert np.array_equal(a[k], b[k]), (what, k)
        else:
            assert a[k] == b[k], (what, k)
    assert m1.insns_run == m0.insns_run, what


def run_random(seed, plat, cache, ops=400):
    m = Machine(plat, quantum=37)
    mmu.set_translation_cache(m.mmu, cache)
    m.load_elf(str(xlate_gen.build(seed, ops)))
    r = m.run(max_insns=2_000_000)
    return m, r


@pytest.mark.parametrize("plat", BOTH)
def test_random_programs_same_with_and_without_the_cache(plat):
    seen = dict.fromkeys(TRAPS, 0)
    for seed in range(6):
        runs = [run_random(seed, plat, cache) for cache in (True, False)]
        (m1, r1), (m0, r0) = runs
        assert r1 == r0 and r1.reason == "poweroff" and r1.value == 0x5A, (seed, r1, r0)
        same_machine(m1, m0, seed)
        assert m1.S.C[:2, S.TRAP_COUNT].tolist() == m0.S.C[:2, S.TRAP_COUNT].tolist()
        for tt in TRAPS:
            seen[tt] += m1.mem.read_u64(xlate_gen.COUNTS + 8 * tt)
    # every kind of fault the handlers take happened, so the comparison covers them
    assert all(n > 0 for n in seen.values()), seen


# ---- determinism: the same however the run is sliced into calls -------------------------
def sliced_run(path, plat, step, limit=2_000_000):
    """Run the program to its end in calls of `step` instructions (None: one call)."""
    m = Machine(plat, quantum=37)
    m.load_elf(str(path))
    if step is None:
        return m, m.run(max_insns=limit)
    while m.insns_run < limit:
        r = m.run(max_insns=step)
        if r.reason != "budget":
            return m, r
    raise AssertionError("no end")


@pytest.mark.parametrize("plat", BOTH)
def test_same_outputs_and_counts_however_sliced(plat):
    """Each call starts with no fetch page kept and the caches as the last call left
    them: the programs that exercise the caches end the same, with the same state and
    instruction counts, run in one call or in calls of 1, 7 and 1000 instructions."""
    progs = [bmbuild.asm("bm_xlate"), bmbuild.asm("bm_xlate2"), bmbuild.asm("bm_xlate_smp"),
             xlate_gen.build(0, 400)]
    for prog in progs:
        m0, r0 = sliced_run(prog, plat, None)
        assert r0.reason == "poweroff" and r0.value == 0x5A, (prog, r0)
        for step in (1, 7, 1000):
            m, r = sliced_run(prog, plat, step)
            assert r == r0, (prog, step, r, r0)
            same_machine(m, m0, (str(prog), step))
