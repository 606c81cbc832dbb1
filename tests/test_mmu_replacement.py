"""The functional engine's TLBs (sun4v.cmt.mmu, jitted) against the RTL reference model
(sun4v.cmt.tlb_model.TLBModel): one used-bit pseudo-LRU replacement policy (OpenSPARC T1
Micro Arch Spec 2.3.9/2.4.4).  A long random sequence of writes (with and without an
explicit index, valid and invalid TTEs), lookups (hits and misses over several partitions,
contexts, the real bit and page sizes; directly through mmu.tlb_lookup and through the
strands' translate_data / translate_fetch, micro-TLB included) and demaps (page, context,
all) is applied to both; after every step both must hold the same entries (tag, key, TTE,
used bit) at the same indices and have returned the same results."""
import random

import numpy as np
import pytest

from sun4v.cmt import mmu
from sun4v.cmt import state as S
from sun4v.cmt.tlb_model import DEMAP_ALL, DEMAP_CONTEXT, DEMAP_PAGE, TLBModel

U64 = (1 << 64) - 1
V = 1 << 63
NSTRANDS = 16                       # T2: 8 strands per core -> 2 cores
STRANDS = {0: [0, 1, 2, 3], 1: [8, 9, 10, 11]}
SIZES = [0, 1, 3, 5]                # 8K, 64K, 4M, 256M
PIDS = [0, 1, 5]
CTXS = [0, 1, 77, 0x1FFF]
MISS = {mmu.T_FAST_DATA_MISS, mmu.T_DATA_REAL_MISS, mmu.T_FAST_INSTR_MISS,
        mmu.T_INSTR_REAL_MISS}


def _mask(size):
    return (1 << (13 + 3 * size)) - 1


def _state(MMU, w, core):
    """(tags of valid entries, keys, TTEs, used bits) of one jitted TLB."""
    TLB, CFG, USED = MMU[0], MMU[1], MMU[2]
    n = int(mmu.tlb_ntlb(CFG, w))
    keys = TLB[w, core, :n, mmu.TLB_KEY].tolist()
    vas = [va if k else 0 for va, k in zip(TLB[w, core, :n, mmu.TLB_VA].tolist(), keys)]
    return vas, keys, TLB[w, core, :n, mmu.TLB_DATA].tolist(), USED[w, core, :n].tolist()


def _model_state(m):
    return [va if k else 0 for va, k in zip(m.va, m.key)], list(m.key), list(m.data), list(m.used)


def _check(MMU, models, w, core, step, op):
    got, want = _state(MMU, w, core), _model_state(models[w, core])
    for name, g, e in zip(("va", "key", "data", "used"), got, want):
        if g != e:
            bad = [i for i in range(len(g)) if g[i] != e[i]]
            raise AssertionError(f"step {step} {op}: TLB w={w} core={core} {name} differs at "
                                 f"{bad[:8]}: mmu {[hex(g[i]) for i in bad[:4]]} "
                                 f"model {[hex(e[i]) for i in bad[:4]]}")


def _pool(rng, count):
    """Distinct page identities (pid, real, ctx, tag va, size); real pages carry ctx 0."""
    out = set()
    while len(out) < count:
        size = rng.choice(SIZES)
        real = int(rng.random() < 0.25)
        va = rng.getrandbits(48)
        if rng.random() < 0.2:
            va |= 0xFFFF << 48                     # upper half of the VA space
        out.add((rng.choice(PIDS), real, 0 if real else rng.choice(CTXS),
                 va & ~_mask(size) & U64, size))
    return sorted(out)


def run_sequence(seed, steps):
    rng = random.Random(seed)
    MMU = mmu.new_mmu(NSTRANDS, chip="t2")
    TLB, CFG, USED, GEN, UC = MMU[:5]
    st = S.StrandArrays(NSTRANDS)
    for s in range(NSTRANDS):
        st.C[s, S.MODE] = S.MODE_FULL
        st.C[s, S.PSTATE] = S.PSTATE_PRIV
    models = {(w, c): TLBModel(int(mmu.tlb_ntlb(CFG, w))) for w in (mmu.W_I, mmu.W_D)
              for c in (0, 1)}
    pool = _pool(rng, 420)
    last = {}                                      # strand, w -> last looked-up (page, va)
    cov = dict.fromkeys(("write_index", "write_same_tag", "write_free", "write_victim",
                         "write_invalid", "hit", "miss", "uc_hit", "uc_hit_sets_used",
                         "wrap_by_hit", "wrap_by_write", "demap_page", "demap_context",
                         "demap_all", "demap_removed"), 0)

    for step in range(steps):
        if step % 1000 == 0:
            # phases: mixed; fill (mostly writes); lookups of resident pages, mostly in
            # one TLB (its used bits wrap through hits, the micro-TLBs stay valid)
            p_write, p_lookup, p_repeat, p_resident, p_focus = rng.choice(
                [(0.33, 0.93, 0.3, 0.2, 0), (0.7, 0.95, 0.3, 0.2, 0),
                 (0.01, 0.995, 0.5, 0.45, 0.9)])
            focus = rng.choice(sorted(models))
        if rng.random() < p_focus:
            w, core = focus
        else:
            w, core = rng.choice((mmu.W_I, mmu.W_D)), rng.choice((0, 1))
        m = models[w, core]
        n = m.n
        used_before = sum(m.used)
        r = rng.random()
        if p_focus and (w, core) == focus and 0 in m.key:
            r = 0                                  # fill the focused TLB first
        if r < p_write:                            # ---- write
            pid, real, ctx, va, size = rng.choice(pool)
            if not real and rng.random() < 0.1:
                ctx = rng.choice(CTXS)
            valid = rng.random() < 0.93
            data = (V if valid else 0) | (rng.getrandbits(62) & ~0xF) | size
            index = rng.randrange(n) if rng.random() < 0.12 else -1
            va |= rng.getrandbits(13 + 3 * size)    # offset bits are dropped by the write
            if index >= 0:
                cov["write_index"] += 1
            else:
                key = int(mmu.make_key(pid, real, 0 if real else ctx))
                tag = va & ~_mask(size)
                if any(k == key and t == tag for k, t in zip(m.key, m.va)):
                    cov["write_same_tag"] += 1
                elif 0 in m.key:
                    cov["write_free"] += 1
                else:
                    cov["write_victim"] += 1
            cov["write_invalid"] += not valid
            want = m.write(va, pid, real, ctx, data, index)
            got = mmu.tlb_insert(MMU, core, w, np.uint64(va), pid, real, ctx,
                                 np.uint64(data), index)
            assert got == want, f"step {step}: write index mmu {got} model {want}"
            op = f"write {index} -> {want}"
            if valid and used_before > 1 and sum(m.used) == 1:
                cov["wrap_by_write"] += 1
        elif r < p_lookup:                         # ---- lookup
            s = rng.choice(STRANDS[core])
            q = rng.random()
            resident = [i for i in range(n) if m.key[i]]
            if q < p_repeat and (s, w) in last:
                (pid, real, ctx, tag, size), va = last[s, w]
            elif q < p_repeat + p_resident and resident:
                unused = [i for i in resident if not m.used[i]]
                i = rng.choice(unused if unused and rng.random() < 0.5 else resident)
                k, size = m.key[i], m.data[i] & 7
                pid, real, ctx, tag = (k >> 56) & 7, (k >> 55) & 1, k & 0x1FFF, m.va[i]
                va = tag | rng.getrandbits(13 + 3 * size)
            else:
                pid, real, ctx, tag, size = rng.choice(pool)
                if q > 0.9:                        # same page, another context/partition
                    pid, ctx = rng.choice(PIDS), (0 if real else rng.choice(CTXS))
                va = tag | rng.getrandbits(13 + 3 * size)
                if q > 0.97:                       # an address nobody mapped
                    va = rng.getrandbits(64)
            last[s, w] = (pid, real, ctx, tag, size), va
            ctx = 0 if real else ctx
            want = m.lookup(va, pid, real, ctx)
            how = rng.random()
            if how < 0.25:                         # the TLB alone
                got = mmu.tlb_lookup(MMU, core, w, np.uint64(va), pid, real, ctx)
                assert got == want[0], f"step {step}: lookup mmu {got} model {want}"
            else:                                  # a strand's translation
                C = st.C[s]
                C[S.PARTID] = pid
                C[S.PRIMARY_CTX] = ctx
                key = mmu.make_key(pid, real, ctx)
                uc = UC[s, w]
                uc_hit = (uc[mmu.UC_TAG] == (va >> 13) + 1 and uc[mmu.UC_KEY] == key
                          and uc[mmu.UC_GEN] == GEN[core])
                if uc_hit:
                    cov["uc_hit"] += 1
                    cov["uc_hit_sets_used"] += m.used[want[0]] == 1 and \
                        USED[w, core, want[0]] == 0
                if w == mmu.W_D:
                    C[S.LSU_CTL] = mmu.LSU_DM
                    pa, status = mmu.translate_data(C, MMU, None, np.uint64(va), 0,
                                                    0x14 if real else 0x80)
                else:
                    C[S.LSU_CTL] = 0 if real else mmu.LSU_IM
                    pa, status = mmu.translate_fetch(C, MMU, None, np.uint64(va))
                if want[0] < 0:
                    assert status in MISS, f"step {step}: mmu hit (status {status:#x}), model miss"
                else:
                    assert status not in MISS, f"step {step}: mmu miss, model hit {want}"
                    assert int(UC[s, w, mmu.UC_INDEX]) == want[0], f"step {step}: hit index"
                    assert int(UC[s, w, mmu.UC_DATA]) == want[1], f"step {step}: TTE"
                    if status == 0:
                        assert int(pa) == want[2], f"step {step}: PA {int(pa):#x} {want}"
            cov["hit" if want[0] >= 0 else "miss"] += 1
            if want[0] >= 0 and used_before > 1 and sum(m.used) == 1:
                cov["wrap_by_hit"] += 1
            op = f"lookup {va:#x} pid {pid} real {real} ctx {ctx} -> {want[0]}"
        else:                                      # ---- demap
            pid, real, ctx, tag, size = rng.choice(pool)
            q = rng.random()
            if q < 0.7:
                dop, name = DEMAP_PAGE, "demap_page"
                va = tag | rng.getrandbits(13 + 3 * size)
                va &= ~0x1FFF                      # the ASI passes VA[63:13]
            elif q < 0.96:
                dop, name, real, va = DEMAP_CONTEXT, "demap_context", 0, 0
            else:
                dop, name, real, va = DEMAP_ALL, "demap_all", 0, 0
            cov[name] += 1
            hits = m.demap(dop, pid, real, ctx, va)
            cov["demap_removed"] += len(hits)
            mmu.tlb_demap(MMU, core, w, dop, pid, real, ctx, np.uint64(va))
            op = f"{name} pid {pid} real {real} ctx {ctx} va {va:#x} removed {hits}"
        _check(MMU, models, w, core, step, op)
        if step % 512 == 0:
            for (w2, c2) in models:
                _check(MMU, models, w2, c2, step, "(all TLBs)")
    for (w2, c2) in models:
        _check(MMU, models, w2, c2, steps, "(end)")
    return cov


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mmu_tlb_matches_used_bit_model(seed):
    cov = run_sequence(seed, 40000)
    # every branch of the policy has been exercised, so the comparison means something
    for k, v in cov.items():
        assert v >= 5, (k, cov)


def test_full_tlb_replaces_first_unused_entry():
    """A worked example of the policy on the 64-entry T2 ITLB."""
    MMU = mmu.new_mmu(8, chip="t2")
    USED = MMU[2]
    tte = V | 0x40000000

    def ins(page, index=-1):
        return mmu.tlb_insert(MMU, 0, mmu.W_I, np.uint64(page << 13), 1, 0, 3,
                              np.uint64(tte | page << 13), index)

    assert [ins(p) for p in range(63)] == list(range(63))     # free entries, in order
    assert USED[0, 0, :63].all() and USED[0, 0, 63] == 0
    assert ins(63) == 63                       # the last free entry: setting the 64th
    assert USED[0, 0, :64].tolist() == [0] * 63 + [1]          # bit clears the others
    assert mmu.tlb_lookup(MMU, 0, mmu.W_I, np.uint64(5 << 13), 1, 0, 3) == 5
    assert mmu.tlb_lookup(MMU, 0, mmu.W_I, np.uint64(0), 1, 0, 3) == 0
    assert ins(100) == 1                       # full: the first entry with a clear bit
    assert ins(5) == 5                         # same tag: rewritten in place
    assert ins(101) == 2
    mmu.tlb_demap(MMU, 0, mmu.W_I, 0, 1, 0, 3, np.uint64(0))   # demap page 0
    assert USED[0, 0, 0] == 0 and ins(102) == 0                # a free entry again
    assert ins(103) == 3


def test_micro_tlb_hit_sets_used_bit():
    """A fetch that hits the strand's one-entry micro-TLB still sets the used bit that a
    wrap (through other hits, which leave the micro-TLB valid) has cleared."""
    MMU = mmu.new_mmu(8, chip="t2")
    USED, GEN, UC = MMU[2], MMU[3], MMU[4]
    st = S.StrandArrays(8)
    C = st.C[0]
    C[S.MODE] = S.MODE_FULL
    C[S.PSTATE] = S.PSTATE_PRIV
    C[S.PARTID] = 2
    C[S.PRIMARY_CTX] = 6
    C[S.LSU_CTL] = mmu.LSU_IM
    model = TLBModel(64)
    for p in range(64):
        data = V | int(mmu.TTE_X) | (0x100000 + p) << 13
        assert mmu.tlb_insert(MMU, 0, mmu.W_I, np.uint64(p << 13), 2, 0, 6, np.uint64(data),
                              -1) == model.write(p << 13, 2, 0, 6, data) == p
    va = (10 << 13) | 0x44
    pa, status = mmu.translate_fetch(C, MMU, None, np.uint64(va))
    assert status == 0 and int(pa) == (0x100000 + 10) << 13 | 0x44
    assert model.lookup(va, 2, 0, 6)[0] == 10
    for p in list(range(10)) + list(range(11, 63)):         # the last one wraps the bits
        assert mmu.tlb_lookup(MMU, 0, mmu.W_I, np.uint64(p << 13), 2, 0, 6) == p
        model.lookup(p << 13, 2, 0, 6)
    assert USED[0, 0, :64].tolist() == model.used == [0] * 62 + [1, 0]
    gen = int(GEN[0])
    assert int(UC[0, mmu.W_I, mmu.UC_TAG]) == 11 and int(UC[0, mmu.W_I, mmu.UC_GEN]) == gen
    pa, status = mmu.translate_fetch(C, MMU, None, np.uint64(va))     # micro-TLB hit
    assert status == 0 and int(pa) == (0x100000 + 10) << 13 | 0x44
    model.lookup(va, 2, 0, 6)
    assert USED[0, 0, 10] == 1 and USED[0, 0, :64].tolist() == model.used
