"""The functional engine's TLBs (sun4v.cmt.mmu, jitted) against the reference TLB
(sun4v.cmt.tlb_model.TLBModel, written from the manuals with no code of mmu.py): tags
(partition ID, real bit, context, VA above the page offset), TTE page sizes, PA formation,
demaps and the used-bit pseudo-LRU replacement (OpenSPARC T1 Micro Arch Spec
2.3.9/2.4.4).  A long random sequence of writes (with and without an explicit index, valid
and invalid TTEs, every page size the T1 and T2 accept), lookups (hits and misses over
several partitions, contexts, the real bit and page sizes; directly through
mmu.tlb_lookup and through the strands' translation caches, mmu.xc_data / xc_fetch, whose
hits must count as uses of their TLB entries exactly as translations through the TLB
do) and demaps (page, context, all) is applied to both; after every step both must hold
the same entries (tag, TTE, used bit) at the same indices and have returned the same
results, and no strand's cache may hold a page the TLB no longer maps that way.  mmu.py's entries are read through its documented storage layout (key = 1<<63 |
PID<<56 | real<<55 | context, TLB_VA the VA with the page offset clear), decoded here."""
import random

import numpy as np
import pytest

from sun4v.cmt import memory as MEM
from sun4v.cmt import mmu
from sun4v.cmt import state as S
from sun4v.cmt.tlb_model import DEMAP_ALL, DEMAP_CONTEXT, DEMAP_PAGE, Tag, TLBModel

U64 = (1 << 64) - 1
V = 1 << 63
NSTRANDS = 16                       # T2: 8 strands per core -> 2 cores
STRANDS = {0: [0, 1, 2, 3], 1: [8, 9, 10, 11]}
SIZES = [0, 1, 3, 5]                # 8K, 64K, 4M, 256M: every size T1 and T2 accept
PIDS = [0, 1, 5]
CTXS = [0, 1, 77, 0x1FFF]
RA = ((1 << 56) - 1) & ~0x1FFF      # TTE bits 55:13
PA_BITS = 40
OFFSET_BITS = 16                    # lookups within the first 64 KB of a page
MISS = {mmu.T_FAST_DATA_MISS, mmu.T_DATA_REAL_MISS, mmu.T_FAST_INSTR_MISS,
        mmu.T_INSTR_REAL_MISS}


def _mask(size):
    return (1 << (13 + 3 * size)) - 1


def _decode(key, va):
    """An mmu.py entry's tag as the reference writes it (None: free)."""
    if key == 0:
        return None
    assert key >> 63 == 1 and (key >> 13) & ((1 << 42) - 1) == 0, f"bad key {key:#x}"
    return Tag((key >> 56) & 7, (key >> 55) & 1, key & 0x1FFF, va)


def _state(MMU, w, core):
    """(tags, TTEs, used bits) of one jitted TLB."""
    TLB, CFG, USED = MMU[0], MMU[1], MMU[2]
    n = int(mmu.tlb_ntlb(CFG, w))
    tags = [_decode(k, va) for k, va in zip(TLB[w, core, :n, mmu.TLB_KEY].tolist(),
                                              TLB[w, core, :n, mmu.TLB_VA].tolist())]
    return tags, TLB[w, core, :n, mmu.TLB_DATA].tolist(), USED[w, core, :n].tolist()


def _model_state(m):
    return list(m.tag), list(m.data), list(m.used)


def _check(MMU, models, w, core, step, op):
    got, want = _state(MMU, w, core), _model_state(models[w, core])
    for name, g, e in zip(("tag", "data", "used"), got, want):
        if g != e:
            bad = [i for i in range(len(g)) if g[i] != e[i]]
            raise AssertionError(f"step {step} {op}: TLB w={w} core={core} {name} differs at "
                                 f"{bad[:8]}: mmu {[g[i] for i in bad[:4]]} "
                                 f"model {[e[i] for i in bad[:4]]}")


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


def _xc_translate(C, MMU, mem, va, w, real):
    """(pa, status, hit) of a read (DTLB) or fetch (ITLB) through strand C's translation
    cache, the page pool grown as the engine does; hit: served by the cache."""
    kind = MEM.KIND_READ if w == mmu.W_D else MEM.KIND_FETCH
    s = int(C[S.STRAND_ID])
    e = MMU.xc[s, kind, (va >> 13) % mmu.XC_N]
    key = int(mmu.data_key(C, 0x14 if real else 0x80) if w == mmu.W_D else mmu.fetch_key(C))
    hit = int(e[mmu.XE_TAG]) == (va >> 13) + 1 and int(e[mmu.XE_KEY]) == key
    while True:
        if w == mmu.W_D:
            slot, pa, status = mmu.xc_data(C, MMU, mem.M, np.uint64(va), kind,
                                           0x14 if real else 0x80)
        else:
            slot, pa, status = mmu.xc_fetch(C, MMU, mem.M, np.uint64(va))
        if status != MEM.GROW:
            return int(pa), int(status), hit
        mem.grow()


def _check_caches(MMU, models, step):
    """Every cached translation is what the TLB (the reference's entries) gives now."""
    for s in range(NSTRANDS):
        core = s // 8
        for kind, w in ((MEM.KIND_READ, mmu.W_D), (MEM.KIND_FETCH, mmu.W_I)):
            m = models[w, core]
            n = int(MMU.xfill[s, kind, 0])
            assert sorted(MMU.xfill[s, kind, 1:n + 1]) == \
                sorted(np.nonzero(MMU.xc[s, kind, :, mmu.XE_TAG])[0]), f"step {step}"
            for j in MMU.xfill[s, kind, 1:n + 1]:
                tag, key, _, pa = (int(x) for x in MMU.xc[s, kind, j])
                va = (tag - 1) << 13
                pid, real, ctx = (key >> 56) & 7, (key >> 55) & 1, key & 0x1FFF
                i = m.find(va, pid, real, ctx)
                assert i >= 0 and m.used[i], f"step {step}: strand {s} caches {va:#x}"
                mask = _mask(m.data[i] & 0xF)
                want = ((m.data[i] & RA & ~mask) | (va & mask)) & ((1 << PA_BITS) - 1)
                assert want & ~0x1FFF == pa, f"step {step}: strand {s} caches {va:#x}"


def run_sequence(seed, steps):
    rng = random.Random(seed)
    MMU = mmu.new_mmu(NSTRANDS, chip="t2")
    TLB, CFG, USED = MMU.tlb, MMU.cfg, MMU.used
    mem = MEM.Memory(alloc_on_touch=True, capacity_pages=1024, hash_size=2048)
    st = S.StrandArrays(NSTRANDS)
    for s in range(NSTRANDS):
        st.C[s, S.MODE] = S.MODE_FULL
        st.C[s, S.PSTATE] = S.PSTATE_PRIV
    models = {(w, c): TLBModel(int(mmu.tlb_ntlb(CFG, w))) for w in (mmu.W_I, mmu.W_D)
              for c in (0, 1)}
    pool = _pool(rng, 420)
    # TTE page numbers from a fixed set (each translated page is made in memory when
    # a translation cache enters it: a few hundred pages, not one per lookup)
    ras = [rng.getrandbits(PA_BITS) & ~0x1FFF for _ in range(64)]
    last = {}                                      # strand, w -> last looked-up (page, va)
    cached = set()                                 # (strand, w, vpn) ever cached
    cov = dict.fromkeys(("write_index", "write_same_tag", "write_free", "write_victim",
                         "write_invalid", "hit", "miss", "xc_hit", "xc_refill_sets_used",
                         "wrap_by_hit", "wrap_by_write", "demap_page", "demap_context",
                         "demap_all", "demap_removed") + tuple(f"hit_size{n}" for n in SIZES),
                        0)

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
        if p_focus and (w, core) == focus and None in m.tag:
            r = 0                                  # fill the focused TLB first
        if r < p_write:                            # ---- write
            pid, real, ctx, va, size = rng.choice(pool)
            if not real and rng.random() < 0.1:
                ctx = rng.choice(CTXS)
            valid = rng.random() < 0.93
            data = (V if valid else 0) | (rng.getrandbits(62) & ~(0xF | RA)) | \
                rng.choice(ras) | size
            index = rng.randrange(n) if rng.random() < 0.12 else -1
            va |= rng.getrandbits(13 + 3 * size)    # offset bits are dropped by the write
            if index >= 0:
                cov["write_index"] += 1
            else:
                if Tag(pid, real, 0 if real else ctx, va & ~_mask(size)) in m.tag:
                    cov["write_same_tag"] += 1
                elif None in m.tag:
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
            resident = [i for i in range(n) if m.valid(i)]
            if q < p_repeat and (s, w) in last:
                (pid, real, ctx, tag, size), va = last[s, w]
            elif q < p_repeat + p_resident and resident:
                unused = [i for i in resident if not m.used[i]]
                i = rng.choice(unused if unused and rng.random() < 0.5 else resident)
                size = m.data[i] & 7
                pid, real, ctx, tag = m.tag[i]
                va = tag | rng.getrandbits(min(13 + 3 * size, OFFSET_BITS))
            else:
                pid, real, ctx, tag, size = rng.choice(pool)
                if q > 0.9:                        # same page, another context/partition
                    pid, ctx = rng.choice(PIDS), (0 if real else rng.choice(CTXS))
                va = tag | rng.getrandbits(min(13 + 3 * size, OFFSET_BITS))
                if q > 0.97:                       # an address nobody mapped
                    va = rng.getrandbits(64)
            last[s, w] = (pid, real, ctx, tag, size), va
            ctx = 0 if real else ctx
            want_i = m.find(va, pid, real, ctx)
            was_used = want_i >= 0 and m.used[want_i]
            want = m.lookup(va, pid, real, ctx)
            how = rng.random()
            if how < 0.25:                         # the TLB alone
                got = mmu.tlb_lookup(MMU, core, w, np.uint64(va), pid, real, ctx)
                assert got == want[0], f"step {step}: lookup mmu {got} model {want}"
            else:                                  # a strand's translation cache
                C = st.C[s]
                C[S.PARTID] = pid
                C[S.PRIMARY_CTX] = ctx
                C[S.LSU_CTL] = (mmu.LSU_DM if w == mmu.W_D else
                                0 if real else mmu.LSU_IM)
                pa, status, hit = _xc_translate(C, MMU, mem, va, w, real)
                if hit:
                    cov["xc_hit"] += 1
                elif want[0] >= 0 and not was_used and (s, w, va >> 13) in cached:
                    cov["xc_refill_sets_used"] += 1     # emptied by a wrap, then used
                if want[0] < 0:
                    assert status in MISS, f"step {step}: mmu hit (status {status:#x}), model miss"
                else:
                    assert status not in MISS, f"step {step}: mmu miss, model hit {want}"
                    if status == 0:
                        assert pa == want[2], f"step {step}: PA {pa:#x} {want}"
                        cached.add((s, w, va >> 13))
            cov["hit" if want[0] >= 0 else "miss"] += 1
            if want[0] >= 0:
                cov[f"hit_size{want[1] & 0xF}"] += 1
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
        if step % 64 == 0:
            _check_caches(MMU, models, step)
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


def test_translation_cache_hit_after_a_wrap_sets_the_used_bit():
    """A page in a strand's translation cache whose used bit a wrap (through hits on
    other entries) has cleared: the wrap empties the cache, so the next fetch from the
    page goes through the TLB and sets the bit again, as the reference does."""
    MMU = mmu.new_mmu(8, chip="t2")
    USED = MMU.used
    mem = MEM.Memory(alloc_on_touch=True)
    st = S.StrandArrays(8)
    C = st.C[0]
    C[S.MODE] = S.MODE_FULL
    C[S.PSTATE] = S.PSTATE_PRIV
    C[S.PARTID] = 2
    C[S.PRIMARY_CTX] = 6
    C[S.LSU_CTL] = mmu.LSU_IM
    model = TLBModel(64)
    for p in range(64):
        data = V | int(mmu.TTE_X) | (0x100 + p) << 13
        assert mmu.tlb_insert(MMU, 0, mmu.W_I, np.uint64(p << 13), 2, 0, 6, np.uint64(data),
                              -1) == model.write(p << 13, 2, 0, 6, data) == p
    va = (10 << 13) | 0x44
    slot, pa, status = mmu.xc_fetch(C, MMU, mem.M, np.uint64(va))
    assert status == 0 and int(pa) == (0x100 + 10) << 13 | 0x44
    assert model.lookup(va, 2, 0, 6)[0] == 10
    e = MMU.xc[0, MEM.KIND_FETCH, 10]
    assert int(e[mmu.XE_TAG]) == 11 and int(e[mmu.XE_SLOT]) == slot      # cached
    assert mmu.xc_fetch(C, MMU, mem.M, np.uint64(va))[2] == 0             # a hit
    model.lookup(va, 2, 0, 6)
    for p in list(range(10)) + list(range(11, 63)):         # the last one wraps the bits
        assert mmu.tlb_lookup(MMU, 0, mmu.W_I, np.uint64(p << 13), 2, 0, 6) == p
        model.lookup(p << 13, 2, 0, 6)
    assert USED[0, 0, :64].tolist() == model.used == [0] * 62 + [1, 0]
    assert int(e[mmu.XE_TAG]) == 0 and int(MMU.xfill[0, MEM.KIND_FETCH, 0]) == 0
    slot2, pa, status = mmu.xc_fetch(C, MMU, mem.M, np.uint64(va))
    assert status == 0 and int(pa) == (0x100 + 10) << 13 | 0x44 and slot2 == slot
    model.lookup(va, 2, 0, 6)
    assert USED[0, 0, 10] == 1 and USED[0, 0, :64].tolist() == model.used
    assert int(e[mmu.XE_TAG]) == 11                                       # cached again


# Page sizes from the manual (sun4v.md §3: size code n is a page of 2^(13+3n) bytes; T1 and
# T2 accept 8K, 64K, 4M and 256M), written out rather than computed.
ACCEPTED_PAGE_BYTES = {0: 0x2000, 1: 0x10000, 3: 0x400000, 5: 0x10000000}


@pytest.mark.parametrize("chip", ["t1", "t2"])
@pytest.mark.parametrize("size", sorted(ACCEPTED_PAGE_BYTES))
def test_every_accepted_page_size_maps_exactly_its_bytes(chip, size):
    """One TTE of each accepted size at a page-aligned VA in partition 3, context 0x1ABC:
    the page's first and last bytes translate (PA = the TTE's page number above the page
    offset, the VA's offset below; 40 bits), the bytes either side do not, and neither
    does the same VA in another partition, another context or as a real address."""
    nbytes = ACCEPTED_PAGE_BYTES[size]
    base = 0x0000_7F00_0000_0000 + 7 * nbytes          # aligned to the page
    pa_page = 0xA_4000_0000 + 3 * nbytes               # PA page base, aligned as well
    tte = V | (0x3F << 56) | pa_page | 0x1FC0 | size   # soft2, IE/E/CP/CV/P/X/W set
    MMU = mmu.new_mmu(8, chip=chip)
    ref = TLBModel(64)
    assert mmu.tlb_insert(MMU, 0, mmu.W_D, np.uint64(base + nbytes // 2), 3, 0, 0x1ABC,
                          np.uint64(tte), -1) == ref.write(base + nbytes // 2, 3, 0, 0x1ABC,
                                                            tte) == 0
    assert int(MMU[0][mmu.W_D, 0, 0, mmu.TLB_VA]) == base == ref.tag[0].va
    for va, pa in ((base, pa_page), (base + nbytes - 1, pa_page + nbytes - 1),
                   (base + 0x1234 % nbytes, pa_page + 0x1234 % nbytes)):
        assert mmu.tlb_lookup(MMU, 0, mmu.W_D, np.uint64(va), 3, 0, 0x1ABC) == 0
        assert ref.lookup(va, 3, 0, 0x1ABC) == (0, tte, pa)
    for va, pid, real, ctx in ((base - 1, 3, 0, 0x1ABC), (base + nbytes, 3, 0, 0x1ABC),
                               (base, 2, 0, 0x1ABC), (base, 3, 0, 0xABC), (base, 3, 1, 0)):
        assert mmu.tlb_lookup(MMU, 0, mmu.W_D, np.uint64(va), pid, real, ctx) == -1
        assert ref.find(va, pid, real, ctx) == -1


def test_reference_refuses_sizes_and_fields_outside_the_manual():
    ref = TLBModel(8)
    for size in (2, 4, 6, 7, 8, 15):                  # not accepted by T1/T2, or undefined
        with pytest.raises(ValueError, match=f"size code {size} "):
            ref.write(0, 0, 0, 1, V | size)
    with pytest.raises(ValueError, match="partition ID 8"):
        ref.find(0, 8, 0, 0)
    with pytest.raises(ValueError, match="context 0x2000"):
        ref.write(0, 0, 0, 0x2000, V)


def test_reference_shares_no_code_with_mmu():
    """tlb_model.py imports nothing from the package (mmu.py in particular)."""
    import ast
    import inspect
    from sun4v.cmt import tlb_model
    tree = ast.parse(inspect.getsource(tlb_model))
    imported = [n.module if isinstance(n, ast.ImportFrom) else a.name
                for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names]
    assert all(m in ("__future__", "typing") for m in imported), imported
