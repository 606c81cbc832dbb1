"""Memory-system timing (sun4v/cmt/caches.py): the caches and TLBs against small pure-Python
reference models on random address streams, and directed tests of the published
behaviour (L1D write-through/no-write-allocate, cross-core invalidation, L2 bank
selection, unloaded latencies, miss-buffer and DRAM-channel contention)."""
import json
import os
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sun4v.cmt import caches as C
from sun4v.cmt import chips

HYP = settings(max_examples=40, deadline=None)


# ---- reference models ---------------------------------------------------------------------
def lfsr_step(x):
    """16-bit Galois LFSR, taps 0xB400 (the documented replacement LFSR)."""
    lsb = x & 1
    x >>= 1
    return x ^ 0xB400 if lsb else x


class RefL1:
    """Set-associative cache, invalid way first, else way = LFSR % ways."""

    def __init__(self, size, ways, line, seeds):
        self.sets = size // (ways * line)
        self.ways, self.shift = ways, line.bit_length() - 1
        self.tags = [[[None] * ways for _ in range(self.sets)] for _ in seeds]
        self.lfsr = list(seeds)

    def _where(self, pa):
        line = pa >> self.shift
        return line, line % self.sets

    def lookup(self, core, pa):
        line, s = self._where(pa)
        return line in self.tags[core][s]

    def fill(self, core, pa):
        line, s = self._where(pa)
        ways = self.tags[core][s]
        if None in ways:
            ways[ways.index(None)] = line
        else:
            self.lfsr[core] = lfsr_step(self.lfsr[core])
            ways[self.lfsr[core] % self.ways] = line

    def invalidate(self, core, pa):
        line, s = self._where(pa)
        ways = self.tags[core][s]
        if line in ways:
            ways[ways.index(line)] = None
            return True
        return False


class RefLRU:
    """Fully associative (sets=1) or set-associative true-LRU tags."""

    def __init__(self, sets, ways):
        self.sets = [OrderedDict() for _ in range(sets)]
        self.ways = ways

    def access(self, s, key):
        d = self.sets[s]
        if key in d:
            d.move_to_end(key)
            return True
        if len(d) >= self.ways:
            d.popitem(last=False)
        d[key] = True
        return False


def memsys(chip="t1", ncores=None):
    c = chips.chip(chip)
    n = c["cores"] * c["sockets"] if ncores is None else ncores
    return C.new_memsys(chip, n), chips.timing_params(chip)


def pa_of(tag, low):
    """Addresses that alias in the L1 and L2 sets of every chip: tags 256 KB apart."""
    return tag * 0x40000 + low


LOWS = [0x0, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x3F0]
addr = st.builds(pa_of, st.integers(0, 24), st.sampled_from(LOWS))


# ---- L1 and TLBs vs the reference models --------------------------------------------------
@pytest.mark.parametrize("chip", ["t1", "t2"])
@HYP
@given(ops=st.lists(st.tuples(st.sampled_from("LSI"), st.integers(0, 3), addr),
                    max_size=300))
def test_l1_vs_reference(chip, ops):
    c = chips.chip(chip)
    ms, _ = memsys(chip, 4)
    dref = RefL1(c["l1d_size"], c["l1d_ways"], c["l1d_line"],
                 [C.lfsr_seed(k, 1) for k in range(4)])
    iref = RefL1(c["l1i_size"], c["l1i_ways"], c["l1i_line"],
                 [C.lfsr_seed(k, 0) for k in range(4)])
    inval = [0] * 4
    for op, core, pa in ops:
        if op == "L":
            exp = dref.lookup(core, pa)
            if not exp:
                dref.fill(core, pa)
            assert C.l1d_load(ms, core, pa) == exp
        elif op == "S":
            exp = dref.lookup(core, pa)
            for k in range(4):
                if k != core and dref.invalidate(k, pa):
                    inval[k] += 1
            assert C.l1d_store(ms, core, pa) == exp
        else:
            exp = iref.lookup(core, pa)
            if not exp:
                iref.fill(core, pa)
            assert C.l1i_fetch(ms, core, pa) == exp
    assert list(ms[C.MS_CC][:, C.C_L1D_INVALIDATIONS]) == inval
    n = {o: sum(1 for x in ops if x[0] == o) for o in "LSI"}
    cc = ms[C.MS_CC]
    assert cc[:, C.C_L1D_LOADS].sum() == n["L"]
    assert cc[:, C.C_L1D_STORES].sum() == n["S"]
    assert cc[:, C.C_L1I_ACCESSES].sum() == n["I"]


@pytest.mark.parametrize("chip", ["t1", "t2"])
@HYP
@given(ops=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 150),
                              st.integers(0, 2), st.integers(0, 0x1FFF)), max_size=600))
def test_tlb_vs_reference(chip, ops):
    c = chips.chip(chip)
    ms, _ = memsys(chip, 2)
    refs = {(k, w): RefLRU(1, c["itlb"] if w == 0 else c["dtlb"])
            for k in range(2) for w in range(2)}
    for core, which, page, ctx, off in ops:
        va = (0x7FF00000000 + page * 8192 + off) if page % 3 else page * 8192 + off
        exp = refs[core, which].access(0, (va >> 13, ctx))
        assert C.tlb_access(ms, core, which, va, ctx) == exp
    cc = ms[C.MS_CC]
    assert cc[:, C.C_ITLB_ACCESSES].sum() + cc[:, C.C_DTLB_ACCESSES].sum() == len(ops)


def test_tlb_high_va_and_context():
    ms, _ = memsys("t1", 1)
    va = np.int64(-8192 * 5 + 12)                 # 0xffff_ffff_ffff_6000 + 12, a VA hole top
    assert not C.tlb_access(ms, 0, 1, va, 5)
    assert C.tlb_access(ms, 0, 1, va + 100, 5)
    assert not C.tlb_access(ms, 0, 1, va, 6)      # another context: another entry
    assert not C.tlb_access(ms, 0, 0, va, 5)      # the I-TLB is separate


@pytest.mark.parametrize("chip", ["t1", "t2"])
@HYP
@given(ops=st.lists(st.tuples(st.integers(0, 3), addr), max_size=300))
def test_l2_hits_vs_lru_reference(chip, ops):
    c = chips.chip(chip)
    ms, P = memsys(chip)
    banks = c["l2_banks"]
    sets = c["l2_size"] // (banks * c["l2_ways"] * c["l2_line"])
    ref = RefLRU(banks * sets, c["l2_ways"])
    bc = ms[C.MS_BC]
    now = 0
    for kind, pa in ops:
        line = pa >> 6
        bank = line % banks
        exp = ref.access(bank * sets + (line // banks) % sets, line)
        misses = bc[:, C.B_MISS_K:C.B_MISS_K + 4].sum()
        now += 10_000                             # every fill long complete
        C.l2_access(ms, P, C.l2_bank(ms, pa), pa, now, kind)
        assert (bc[:, C.B_MISS_K:C.B_MISS_K + 4].sum() == misses) == exp
    assert bc[:, C.B_ACC_K:C.B_ACC_K + 4].sum() == len(ops)


# ---- directed: L1 ---------------------------------------------------------------------------
def test_l1d_write_through_no_write_allocate():
    ms, _ = memsys()
    assert not C.l1d_store(ms, 0, 0x1000)         # store miss: not allocated
    assert not C.l1d_load(ms, 0, 0x1000)          # so the load still misses
    assert C.l1d_load(ms, 0, 0x100C)              # same 16 B line
    assert not C.l1d_load(ms, 0, 0x1010)          # next line
    assert C.l1d_store(ms, 0, 0x1004)             # store hit keeps the line
    assert C.l1d_load(ms, 0, 0x1000)
    cc = ms[C.MS_CC][0]
    assert (cc[C.C_L1D_STORES], cc[C.C_L1D_STORE_MISSES]) == (2, 1)
    assert (cc[C.C_L1D_LOADS], cc[C.C_L1D_LOAD_MISSES]) == (4, 2)


def test_store_invalidates_other_cores_l1d():
    ms, _ = memsys()
    for core in range(4):
        C.l1d_load(ms, core, 0x2000)
    C.l1d_load(ms, 1, 0x2010)
    assert C.l1d_store(ms, 1, 0x2008)
    assert C.l1d_load(ms, 1, 0x2000)              # the storing core keeps its copy
    for core in (0, 2, 3):
        assert not C.l1d_load(ms, core, 0x2000)
    assert C.l1d_load(ms, 1, 0x2010)              # other lines untouched
    assert list(ms[C.MS_CC][:4, C.C_L1D_INVALIDATIONS]) == [1, 0, 1, 1]


def test_l1i_allocates_and_line_size():
    ms, _ = memsys()
    assert not C.l1i_fetch(ms, 0, 0x4000)
    assert C.l1i_fetch(ms, 0, 0x401C)             # 32 B line
    assert not C.l1i_fetch(ms, 0, 0x4020)
    assert not C.l1i_fetch(ms, 1, 0x4000)         # per-core caches


def test_l1_replacement_is_pseudo_random_and_deterministic():
    runs = []
    for _ in range(2):
        ms, _ = memsys("t1", 2)
        hits = [C.l1d_load(ms, k % 2, (k * 7919 % 12) * 0x800) for k in range(400)]
        runs.append((hits, ms[C.MS_L1D].copy(), ms[C.MS_LFSR].copy()))
    assert runs[0][0] == runs[1][0]
    assert (runs[0][1] == runs[1][1]).all() and (runs[0][2] == runs[1][2]).all()
    assert 0 < sum(runs[0][0]) < 400              # 12 lines in a 4-way set: some hits
    assert (runs[0][2][:, 1] != [C.lfsr_seed(k, 1) for k in range(2)]).all()


# ---- directed: L2 -----------------------------------------------------------------------------
def test_l2_bank_selection():
    ms1, _ = memsys("t1")
    ms2, _ = memsys("t2")
    for pa in list(range(0, 0x1000, 0x10)) + [0x7FF_FFFF_E0C0, -64]:
        assert C.l2_bank(ms1, pa) == (pa >> 6) & 3      # T1 PA[7:6]
        assert C.l2_bank(ms2, pa) == (pa >> 6) & 7      # T2 PA[8:6]
    assert (C.l2_bank(ms1, 0x40), C.l2_bank(ms1, 0x100)) == (1, 0)
    assert (C.l2_bank(ms2, 0x100), C.l2_bank(ms2, 0x1C0)) == (4, 7)


@pytest.mark.parametrize("chip,hit,ihit,mem", [("t1", 23, 22, 110), ("t2", 20, 20, 156)])   # T2: 176 measured load-to-use = 20 (L2) + 156
def test_unloaded_latencies(chip, hit, ihit, mem):
    ms, P = memsys(chip)
    g = chips.chip(chip)["ccx_min_grant"]
    pa = 0x12340
    b = C.l2_bank(ms, pa)
    assert C.l2_access(ms, P, b, pa, 1000, 0) == 1000 + hit - g + mem   # miss
    assert C.l2_access(ms, P, b, pa, 5000, 0) == 5000 + hit - g         # hit: 23 - 2 on T1
    assert C.l2_access(ms, P, b, pa, 6000, 1) == 6000 + ihit - g
    assert C.l2_access(ms, P, b, pa, 7000, 2) == 7000 + hit - g         # store ack
    assert C.l2_access(ms, P, b, pa + 0x10, 8000, 3) == 8000 + hit - g  # same 64 B line
    ipa = 0x56780
    assert C.l2_access(ms, P, C.l2_bank(ms, ipa), ipa, 0, 1) == ihit - g + mem
    s = C.memsys_stats(ms)
    assert s["l2"]["misses"] == 2 and s["l2"]["accesses"] == 6
    assert s["memory"]["reads"] == 2 and s["memory"]["writes"] == 0


def test_t1_l2_hit_is_23_with_grant():
    ms, P = memsys("t1")
    C.l2_access(ms, P, 0, 0x0, 0, 0)
    assert C.l2_access(ms, P, 0, 0x0, 500, 0) == 521


def test_access_to_line_being_filled_waits_for_the_fill():
    ms, P = memsys("t1")
    done = C.l2_access(ms, P, 1, 0x40, 0, 0)
    assert C.l2_access(ms, P, 1, 0x48, 10, 0) == done
    assert C.l2_access(ms, P, 1, 0x48, done, 0) == done + 21
    assert C.memsys_stats(ms)["l2"]["hits_on_pending_fill"] == 1
    assert C.memsys_stats(ms)["memory"]["reads"] == 1


def test_bank_accepts_one_access_per_cycle():
    ms, P = memsys("t1")
    for k in range(3):
        C.l2_access(ms, P, 0, k * 0x100, 0, 0)
    for k in range(3):                            # all hits now, all granted at cycle 1000
        assert C.l2_access(ms, P, 0, k * 0x100, 1000, 0) == 1000 + k + 21
    assert C.l2_access(ms, P, 1, 0x40, 1000, 0) > 1000 + 21   # other bank: not delayed
    assert C.memsys_stats(ms)["l2"]["bank_conflict_cycles"] == (1 + 2) * 2


def test_miss_buffers_queue_beyond_16():
    ms, P = memsys("t1")
    P = P.copy()
    P[chips.P_DRAM_LINE_CYCLES] = 0               # isolate the miss buffers
    n = chips.chip("t1")["l2_miss_buffers"]
    lat = 21 + 110
    done = [C.l2_access(ms, P, 0, k * 0x100, k, 0) for k in range(n + 3)]
    assert done[:n] == [k + lat for k in range(n)]
    # miss n+j waits for buffer j to free, then takes the full miss latency
    assert done[n:] == [j + lat + lat for j in range(3)]
    s = C.memsys_stats(ms)["l2"]
    assert s["miss_buffer_full"] == 3
    assert s["miss_buffer_wait_cycles"] == sum(j + lat - (n + j) for j in range(3))


def test_dram_channel_spaces_back_to_back_misses():
    ms, P = memsys("t1")
    lc = chips.chip("t1")["dram_line_cycles"]
    done = [C.l2_access(ms, P, 0, k * 0x100, k, 0) for k in range(6)]   # one channel
    assert [b - a for a, b in zip(done, done[1:])] == [lc] * 5
    assert done[0] == 131
    # another channel (T1: channel = PA[7:6] = bank) is not held up
    assert C.l2_access(ms, P, 1, 0x40, 0, 0) == 131
    s = C.memsys_stats(ms)["memory"]
    assert s["per_channel"][0]["reads"] == 6 and s["per_channel"][1]["reads"] == 1
    assert s["busy_cycles"] == 7 * lc and s["queue_wait_cycles"] > 0


def test_t2_mcu_serves_two_banks():
    ms, P = memsys("t2")
    chans = [C.dram_channel(ms, b * 0x40) for b in range(8)]
    assert chans == [0, 0, 1, 1, 2, 2, 3, 3]


def test_dirty_eviction_writes_back():
    ms, P = memsys("t1")
    ways = chips.chip("t1")["l2_ways"]
    now = 0
    for k in range(ways):                         # fill one set with dirty lines (store miss)
        now += 1000
        C.l2_access(ms, P, 0, pa_of(k, 0), now, 2)
    now += 1000
    C.l2_access(ms, P, 0, pa_of(0, 0), now, 0)    # touch line 0: line 1 is now LRU
    for k in range(ways, ways + 2):               # two load misses evict lines 1 and 2
        now += 1000
        C.l2_access(ms, P, 0, pa_of(k, 0), now, 0)
    now += 1000
    assert C.l2_access(ms, P, 0, pa_of(0, 0), now, 0) == now + 21     # survived (LRU)
    s = C.memsys_stats(ms)
    assert s["l2"]["writebacks"] == 2
    assert s["memory"]["writes"] == 2 and s["memory"]["reads"] == ways + 2
    assert s["memory"]["bytes"] == (ways + 2 + 2) * 64
    assert C.l2_access(ms, P, 0, pa_of(1, 0), now + 1000, 0) > now + 1000 + 21
    assert s["l2"]["by_kind"]["store"] == {"accesses": ways, "misses": ways}


def test_l2_eviction_invalidates_l1_copies():
    ms, P = memsys("t1")
    ways = chips.chip("t1")["l2_ways"]
    C.l1d_load(ms, 3, pa_of(0, 0x30))
    C.l1i_fetch(ms, 5, pa_of(0, 0x20))
    C.l2_access(ms, P, 0, pa_of(0, 0x30), 0, 0)
    for k in range(1, ways + 1):
        C.l2_access(ms, P, 0, pa_of(k, 0), 1000 * k, 0)
    assert not C.l1d_load(ms, 3, pa_of(0, 0x30))
    assert not C.l1i_fetch(ms, 5, pa_of(0, 0x20))
    s = C.memsys_stats(ms)
    assert s["l1i"]["back_invalidations"] == 1 and s["l1d"]["back_invalidations"] == 1


def test_t2plus_remote_memory():
    ms, P = memsys("t2plus")
    c = chips.chip("t2plus")
    local = 20 - 2 + 156
    remote = local + c["remote_latency"]
    assert C.l2_access(ms, P, 0, 0x0, 0, 0, 0) == local              # PA[13] = 0: socket 0
    assert C.l2_access(ms, P, 0, 0x2000, 1000, 0, 0) == 1000 + remote
    assert C.l2_access(ms, P, 0, 0x4000, 2000, 0, 8) == 2000 + remote
    assert C.l2_access(ms, P, 0, 0x6000, 3000, 0, 8) == 3000 + local  # core 8: socket 1
    assert C.l2_access(ms, P, 0, 0x8000, 4000, 0) == 4000 + local     # default: socket 0
    s = C.memsys_stats(ms)["memory"]
    assert s["remote_reads"] == 2
    assert len(s["per_channel"]) == 4
    assert [ch["reads"] for ch in s["per_channel"]] == [3, 0, 2, 0]


# ---- determinism, statistics, and the same code without the JIT ------------------------------
STREAM = """
import json, numpy as np
from sun4v.cmt import caches as C, chips
def run(chip):
    c = chips.chip(chip)
    ms = C.new_memsys(chip, c['cores'] * c['sockets']); P = chips.timing_params(chip)
    rng = np.random.default_rng(7); out = []; now = 0
    for i in range(3000):
        core = int(rng.integers(0, ms[0][C.G_NCORES])); pa = int(rng.integers(0, 1 << 22)) & ~7
        op = int(rng.integers(0, 6)); now += int(rng.integers(0, 3))
        if op == 0: out.append(bool(C.l1d_load(ms, core, pa)))
        elif op == 1: out.append(bool(C.l1d_store(ms, core, pa)))
        elif op == 2: out.append(bool(C.l1i_fetch(ms, core, pa)))
        elif op == 3: out.append(bool(C.tlb_access(ms, core, i & 1, pa * 8, core & 3)))
        else: out.append(int(C.l2_access(ms, P, C.l2_bank(ms, pa), pa, now, i & 3, core)))
    return out, C.memsys_stats(ms)
print(json.dumps([run(ch) for ch in ('t1', 't2', 't2plus')]))
"""


def _stream(nojit):
    env = dict(os.environ)
    if nojit:
        env["NUMBA_DISABLE_JIT"] = "1"
    else:
        env.pop("NUMBA_DISABLE_JIT", None)
    r = subprocess.run([sys.executable, "-c", STREAM], env=env, capture_output=True,
                       text=True, check=True,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return json.loads(r.stdout)


def test_deterministic_and_same_without_jit():
    a = _stream(False)
    assert a == _stream(False)
    assert a == _stream(True)
    for _, stats in a:
        assert stats["l2"]["accesses"] > 0 and stats["memory"]["reads"] > 0


def test_stats_are_plain_python():
    ms, P = memsys("t1")
    C.l1d_load(ms, 0, 0x100)
    C.l2_access(ms, P, 0, 0x100, 0, 0)
    s = C.memsys_stats(ms)
    json.dumps(s)

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert type(x) in (int, float)
    walk(s)
    assert set(s) == {"l1i", "l1d", "itlb", "dtlb", "l2", "memory"}
    assert len(s["l1d"]["per_core"]) == 8 and len(s["l2"]["per_bank"]) == 4
    assert s["memory"]["bytes"] == 64


def test_jitted_functions_skip_reference_counting():
    """The hot paths stay ~3 ns only when compiled without NRT refcounting (see caches.py)."""
    from numba.core.registry import CPUDispatcher
    jitted = [v for v in vars(C).values() if isinstance(v, CPUDispatcher)]
    assert len(jitted) >= 10
    for d in jitted:
        assert d.targetoptions.get("_nrt") is False, d.py_func.__name__
