"""Memory-system timing of a CMT chip: per-core L1I/L1D and I/D-TLBs, the banked shared L2
with its miss buffers, and the DRAM channels (reference/cmt_microarch.md §1.1-1.4;
OpenSPARC T1 Microarchitecture Spec §1.3, §2.3.7-2.3.9, §2.4.4-2.4.6, §4.1, §8.1).

Tags and timing only: data lives in the engine's memory. All state is a tuple MS of flat
numpy arrays (layout below); every function here is jitted and takes MS first.

Model (what is published is cited above; what is chosen says so):
- L1I and L1D per core, set-associative, fill modelled at access time. Replacement is
  pseudo-random as on T1: an invalid way first, else way = LFSR & (ways - 1), the LFSR a
  16-bit Galois one (taps 0xB400) shifted once per replacement, one per core and cache,
  seeded by `lfsr_seed(core, which)`: runs are reproducible.
- L1D is write-through with no write-allocate; a store invalidates the line in every other
  core's L1D (the L2 directory's job on T1). Stores do not invalidate L1I lines (chosen:
  self-modifying code is not timed).
- TLBs: fully associative, `itlb`/`dtlb` entries, true LRU (chosen; T1 uses a used-bit
  pseudo-LRU), 8 KB pages keyed by VA page (VA bits 62:13; sparc64 VAs are sign-extended)
  and the 13-bit context.
- L2: `l2_banks` banks selected by PA[bank_shift + log2(banks) - 1 : bank_shift], set index
  from the PA bits right above the bank bits, true LRU within a set (chosen; T1 uses a
  used/allocate-bit scheme), write-back, inclusive of the L1s: evicting an L2 line
  invalidates its sub-lines in every core's L1I and L1D. Each line remembers when its fill
  completes, so a second access to a line still being filled waits for that fill.
- One new access per bank per cycle. Hit: response at the core lat - ccx_min_grant cycles
  after the grant (lat = l2_latency, or l2_ilatency for an instruction fetch; the published
  unloaded figures include the 2-cycle PCX request-to-grant). A miss (load, ifetch, store
  or atomic: the L2 allocates on store misses) takes the earliest-free of the bank's
  `l2_miss_buffers`, then its DRAM channel: channel = PA[dram_channel_shift +
  log2(dram_channels) - 1 : dram_channel_shift] of the line's home socket; the channel is
  busy `dram_line_cycles` per 64 B line; the data is back `dram_latency` after the channel
  starts, plus lat - ccx_min_grant. Reads have priority over writes (T1 Spec §8.1): the
  write-back of a dirty victim enters its channel's write queue (`dram_write_queue`
  lines) and is written in the channel's idle time before a later read, or at once,
  ahead of reads, when the queue is full (the write-starvation limit). A write that has
  started is not pre-empted.
- T2+ (sockets > 1): the home socket of a line is PA[home_shift] (chosen: 8 KB interleave
  of memory across the sockets); a line homed on a socket other than the requester's adds
  `remote_latency`; each socket has its own `dram_channels` channels.

MS layout (index: array, dtype, shape):
   0 GEO     int64 (N_GEO,)                   geometry, G_* indices
   1 L1I     int64 (ncores, l1i_sets, l1i_ways)  line address (PA >> line shift), -1 invalid
   2 L1D     int64 (ncores, l1d_sets, l1d_ways)  same
   3 LFSR    int64 (ncores, 2)                 replacement LFSR per core: [0] L1I, [1] L1D
   4 TLBK    int64 (ncores, 2, max(itlb,dtlb)) key (VA page << 13 | context); [.,0] I, [.,1] D
   5 TLBS    int64 (ncores, 2, max(itlb,dtlb)) LRU stamp, 0 = invalid entry
   6 TLBCLK  int64 (ncores, 2)                 LRU clock per TLB
   7 L2T     int64 (banks, l2_sets, l2_ways)   line address, -1 invalid
   8 L2S     int64 (banks, l2_sets, l2_ways)   LRU stamp
   9 L2D     int64 (banks, l2_sets, l2_ways)   1 = dirty
  10 L2F     int64 (banks, l2_sets, l2_ways)   cycle the line's fill is back at the core
  11 BANK    int64 (banks, 2)                  [BK_NEXT] next cycle the bank accepts an
                                               access, [BK_CLOCK] LRU clock
  12 MB      int64 (banks, l2_miss_buffers)    cycle each miss buffer frees (0 = free)
  13 CHBUSY  int64 (sockets * dram_channels, 2)  per DRAM channel: [0] cycle it is busy
                                               until, [1] write-backs in its write queue
  14 CC      int64 (ncores, N_CC)              per-core counters, C_* indices
  15 BC      int64 (banks, N_BC)               per-bank counters, B_* indices
  16 HC      int64 (sockets * dram_channels, N_HC)  per-channel counters, H_* indices
"""
from collections import namedtuple

import numpy as np
from numba import njit

from . import chips
from .chips import (P_CCX_MIN_GRANT, P_DRAM_LATENCY, P_DRAM_LINE_CYCLES,
                    P_DRAM_WRITE_QUEUE, P_L2_ILATENCY, P_L2_LATENCY, P_REMOTE_LATENCY)

# ---- MS tuple indices ---------------------------------------------------------------------
(MS_GEO, MS_L1I, MS_L1D, MS_LFSR, MS_TLBK, MS_TLBS, MS_TLBCLK, MS_L2T, MS_L2S, MS_L2D,
 MS_L2F, MS_BANK, MS_MB, MS_CHBUSY, MS_CC, MS_BC, MS_HC) = range(17)

# ---- geometry GEO[:] ----------------------------------------------------------------------
(G_NCORES, G_L1I_SETS, G_L1I_WAYS, G_L1I_SHIFT, G_L1D_SETS, G_L1D_WAYS, G_L1D_SHIFT,
 G_L2_BANKS, G_L2_SETS, G_L2_WAYS, G_L2_SHIFT, G_L2_BANK_SHIFT, G_L2_SET_SHIFT, G_ITLB,
 G_DTLB, G_CH_SHIFT, G_CHANNELS, G_SOCKETS, G_HOME_SHIFT, G_CORES_PER_SOCKET,
 G_L2_LINE) = range(21)
N_GEO = 21

BK_NEXT, BK_CLOCK = 0, 1

MemSys = namedtuple("MemSys", "GEO L1I L1D LFSR TLBK TLBS TLBCLK L2T L2S L2D L2F BANK MB "
                              "CHBUSY CC BC HC")

# ---- per-core counters CC[core, :] ----------------------------------------------------------
# (C_DTLB_* = C_ITLB_* + 2 and C_L1D_BACK_INVALIDATIONS = C_L1I_BACK_INVALIDATIONS + 1:
# the functions index them by `which`)
(C_L1I_ACCESSES, C_L1I_MISSES, C_L1D_LOADS, C_L1D_LOAD_MISSES, C_L1D_STORES,
 C_L1D_STORE_MISSES, C_L1D_INVALIDATIONS, C_L1I_BACK_INVALIDATIONS, C_L1D_BACK_INVALIDATIONS,
 C_ITLB_ACCESSES, C_ITLB_MISSES, C_DTLB_ACCESSES, C_DTLB_MISSES) = range(13)
N_CC = 13
# ---- per-bank counters BC[bank, :] ----------------------------------------------------------
# accesses and misses by kind: B_ACC_K + kind, B_MISS_K + kind (kind 0 load, 1 ifetch,
# 2 store, 3 atomic)
B_ACC_K = 0
B_MISS_K = 4
(B_WRITEBACKS, B_SECONDARY, B_BANK_WAIT, B_MB_WAIT, B_MB_FULL) = range(8, 13)
N_BC = 13
# ---- per-channel counters HC[ch, :] ---------------------------------------------------------
H_READS, H_WRITES, H_BUSY, H_WAIT, H_REMOTE_READS = range(5)
N_HC = 5

KIND_LOAD, KIND_IFETCH, KIND_STORE, KIND_ATOMIC = 0, 1, 2, 3

_LFSR_TAPS = 0xB400
_VPAGE_MASK = (1 << 50) - 1          # VA bits 62:13 (sign extension makes bit 63 redundant)


def _log2(n, what):
    k = int(n).bit_length() - 1
    if n <= 0 or (1 << k) != n:
        raise ValueError(f"{what} = {n} is not a power of two")
    return k


def lfsr_seed(core, which):
    """Initial replacement LFSR of a core's L1I (which 0) or L1D (which 1); never 0."""
    s = (0xACE1 + 0x3C6F * (2 * core + which)) & 0xFFFF
    return s or 1


def new_memsys(chip, ncores):
    """Empty caches and TLBs, idle banks and channels, zero counters for `ncores` cores of
    a chip (a Chip value or name): the named tuple MemSys."""
    c = chips.chip(chip)
    sockets = int(c["sockets"])
    banks = int(c["l2_banks"])
    l1i_sets = c["l1i_size"] // (c["l1i_ways"] * c["l1i_line"])
    l1d_sets = c["l1d_size"] // (c["l1d_ways"] * c["l1d_line"])
    l2_sets = c["l2_size"] // (banks * c["l2_ways"] * c["l2_line"])
    nch = sockets * int(c["dram_channels"])
    _log2(l1i_sets, "l1i sets")
    _log2(l1d_sets, "l1d sets")
    _log2(l2_sets, "l2 sets per bank")
    _log2(c["l1i_ways"], "l1i_ways")             # the LFSR picks a way with a mask
    _log2(c["l1d_ways"], "l1d_ways")
    _log2(c["dram_channels"], "dram_channels")
    _log2(sockets, "sockets")
    geo = np.zeros(N_GEO, np.int64)
    geo[G_NCORES] = ncores
    geo[G_L1I_SETS], geo[G_L1I_WAYS] = l1i_sets, c["l1i_ways"]
    geo[G_L1I_SHIFT] = _log2(c["l1i_line"], "l1i_line")
    geo[G_L1D_SETS], geo[G_L1D_WAYS] = l1d_sets, c["l1d_ways"]
    geo[G_L1D_SHIFT] = _log2(c["l1d_line"], "l1d_line")
    geo[G_L2_BANKS], geo[G_L2_SETS], geo[G_L2_WAYS] = banks, l2_sets, c["l2_ways"]
    geo[G_L2_SHIFT] = _log2(c["l2_line"], "l2_line")
    geo[G_L2_BANK_SHIFT] = c["l2_bank_shift"]
    geo[G_L2_SET_SHIFT] = c["l2_bank_shift"] + _log2(banks, "l2_banks")
    geo[G_ITLB], geo[G_DTLB] = c["itlb"], c["dtlb"]
    geo[G_CH_SHIFT], geo[G_CHANNELS] = c["dram_channel_shift"], c["dram_channels"]
    geo[G_SOCKETS], geo[G_HOME_SHIFT] = sockets, c["home_shift"]
    geo[G_CORES_PER_SOCKET] = c["cores"]
    geo[G_L2_LINE] = c["l2_line"]
    if c["l1d_line"] > c["l2_line"] or c["l1i_line"] > c["l2_line"]:
        raise ValueError("an L1 line larger than the L2 line breaks inclusion")
    lfsr = np.array([[lfsr_seed(k, 0), lfsr_seed(k, 1)] for k in range(ncores)],
                    np.int64).reshape(ncores, 2)
    ntlb = max(int(c["itlb"]), int(c["dtlb"]))
    l2shape = (banks, l2_sets, int(c["l2_ways"]))
    return MemSys(geo,
            np.full((ncores, l1i_sets, int(c["l1i_ways"])), -1, np.int64),
            np.full((ncores, l1d_sets, int(c["l1d_ways"])), -1, np.int64),
            lfsr,
            np.zeros((ncores, 2, ntlb), np.int64),
            np.zeros((ncores, 2, ntlb), np.int64),
            np.zeros((ncores, 2), np.int64),
            np.full(l2shape, -1, np.int64),
            np.zeros(l2shape, np.int64),
            np.zeros(l2shape, np.int64),
            np.zeros(l2shape, np.int64),
            np.zeros((banks, 2), np.int64),
            np.zeros((banks, int(c["l2_miss_buffers"])), np.int64),
            np.zeros((nch, 2), np.int64),
            np.zeros((ncores, N_CC), np.int64),
            np.zeros((banks, N_BC), np.int64),
            np.zeros((nch, N_HC), np.int64))


# ---- helpers ------------------------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always", _nrt=False)
def _lsr(x, sh):
    """Logical right shift of an int64 (PAs/VAs with bit 63 set stay non-negative)."""
    return (x >> sh) & ((np.int64(1) << (64 - sh)) - 1)


@njit(cache=True, nogil=True, inline="always", _nrt=False)
def _find(T, i, st, line):
    """Way of `line` in set T[i, st], or -1."""
    for w in range(T.shape[2]):
        if T[i, st, w] == line:
            return w
    return -1


@njit(cache=True, nogil=True, inline="always", _nrt=False)
def _lfsr_next(x):
    """One step of the 16-bit Galois replacement LFSR (taps 0xB400)."""
    if x & 1:
        return (x >> 1) ^ _LFSR_TAPS
    return x >> 1


# Hot-path rules (measured with numba 0.68; tests/test_caches.py guards the first):
# - every function here is compiled with _nrt=False: nothing in this module allocates, and
#   without it numba wraps calls that pass MS in incref/decref pairs on all 17 arrays
#   (~100 ns a call instead of ~3 ns for an L1 hit);
# - the hit paths make no calls: MS goes by value to a function LLVM does not inline
#   (about 1 KB of array descriptors); misses go to a slow-path function; and the
#   entry points the cycle loop calls per instruction are inlined into it.
_SLOW = dict(cache=True, nogil=True, error_model="numpy", _nrt=False)


@njit(**_SLOW)
def _l1d_miss(MS, core, st, line):
    """Count an L1D load miss and allocate `line` in core's set st: an invalid way, else
    the LFSR's choice. Returns False (the access missed)."""
    T, LFSR, CC = MS[MS_L1D], MS[MS_LFSR], MS[MS_CC]
    CC[core, C_L1D_LOAD_MISSES] += 1
    ways = T.shape[2]
    for w in range(ways):
        if T[core, st, w] < 0:
            T[core, st, w] = line
            return False
    x = _lfsr_next(LFSR[core, 1])
    LFSR[core, 1] = x
    T[core, st, x & (ways - 1)] = line
    return False


@njit(**_SLOW)
def _l1i_miss(MS, core, st, line):
    """Count an L1I miss and allocate `line` in core's set st (as _l1d_miss)."""
    T, LFSR, CC = MS[MS_L1I], MS[MS_LFSR], MS[MS_CC]
    CC[core, C_L1I_MISSES] += 1
    ways = T.shape[2]
    for w in range(ways):
        if T[core, st, w] < 0:
            T[core, st, w] = line
            return False
    x = _lfsr_next(LFSR[core, 0])
    LFSR[core, 0] = x
    T[core, st, x & (ways - 1)] = line
    return False


# ---- L1 caches ------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def l1d_load(MS, core, pa):
    """A load by `core` at `pa`: True on an L1D hit; a miss allocates the line."""
    G, T, CC = MS[MS_GEO], MS[MS_L1D], MS[MS_CC]
    line = _lsr(np.int64(pa), G[G_L1D_SHIFT])
    st = line & (G[G_L1D_SETS] - 1)
    CC[core, C_L1D_LOADS] += 1
    if _find(T, core, st, line) >= 0:
        return True
    return _l1d_miss(MS, core, st, line)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def l1d_store(MS, core, pa):
    """A store by `core` at `pa`: True on an L1D hit (write-through, no allocation on a
    miss). The line is invalidated in every other core's L1D (the L2 directory's job)."""
    G, T, CC = MS[MS_GEO], MS[MS_L1D], MS[MS_CC]
    line = _lsr(np.int64(pa), G[G_L1D_SHIFT])
    st = line & (G[G_L1D_SETS] - 1)
    for c in range(T.shape[0]):
        if c != core:
            for w in range(T.shape[2]):
                if T[c, st, w] == line:
                    T[c, st, w] = -1
                    CC[c, C_L1D_INVALIDATIONS] += 1
    CC[core, C_L1D_STORES] += 1
    if _find(T, core, st, line) >= 0:
        return True
    CC[core, C_L1D_STORE_MISSES] += 1
    return False


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def l1i_fetch(MS, core, pa):
    """An instruction fetch by `core` at `pa`: True on an L1I hit; a miss allocates."""
    G, T, CC = MS[MS_GEO], MS[MS_L1I], MS[MS_CC]
    line = _lsr(np.int64(pa), G[G_L1I_SHIFT])
    st = line & (G[G_L1I_SETS] - 1)
    CC[core, C_L1I_ACCESSES] += 1
    if _find(T, core, st, line) >= 0:
        return True
    return _l1i_miss(MS, core, st, line)


# ---- TLBs ---------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def tlb_access(MS, core, which, va, ctx):
    """Translate `va` in context `ctx` through core's I-TLB (which 0) or D-TLB (which 1):
    True on a hit; a miss inserts the page in place of the least recently used entry (an
    invalid one, stamp 0, first)."""
    G, K, ST, CLK, CC = MS[MS_GEO], MS[MS_TLBK], MS[MS_TLBS], MS[MS_TLBCLK], MS[MS_CC]
    key = ((np.int64(va) >> 13) & _VPAGE_MASK) << 13 | (np.int64(ctx) & 0x1FFF)
    clk = CLK[core, which] + 1
    CLK[core, which] = clk
    CC[core, C_ITLB_ACCESSES + 2 * which] += 1
    n = G[G_ITLB + which]
    for i in range(n):
        if K[core, which, i] == key and ST[core, which, i] != 0:
            ST[core, which, i] = clk
            return True
    CC[core, C_ITLB_MISSES + 2 * which] += 1
    victim = 0
    for i in range(1, n):
        if ST[core, which, i] < ST[core, which, victim]:
            victim = i
    K[core, which, victim] = key
    ST[core, which, victim] = clk
    return False


# ---- L2 and memory ----------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, inline="always")
def l2_bank(MS, pa):
    """The L2 bank that holds `pa`."""
    G = MS[MS_GEO]
    return _lsr(np.int64(pa), G[G_L2_BANK_SHIFT]) & (G[G_L2_BANKS] - 1)


@njit(cache=True, nogil=True, _nrt=False)
def dram_channel(MS, pa):
    """Index into CHBUSY/HC of the DRAM channel that holds `pa` (home socket's channels)."""
    G = MS[MS_GEO]
    ch = _lsr(np.int64(pa), G[G_CH_SHIFT]) & (G[G_CHANNELS] - 1)
    home = _lsr(np.int64(pa), G[G_HOME_SHIFT]) & (G[G_SOCKETS] - 1)
    return home * G[G_CHANNELS] + ch


@njit(**_SLOW)
def _back_invalidate(MS, line2):
    """Inclusion: drop the sub-lines of evicted L2 line `line2` from every core's L1s."""
    G, TI, TD, CC = MS[MS_GEO], MS[MS_L1I], MS[MS_L1D], MS[MS_CC]
    sub = G[G_L2_SHIFT] - G[G_L1I_SHIFT]
    for line in range(line2 << sub, (line2 + 1) << sub):
        st = line & (G[G_L1I_SETS] - 1)
        for c in range(TI.shape[0]):
            for w in range(TI.shape[2]):
                if TI[c, st, w] == line:
                    TI[c, st, w] = -1
                    CC[c, C_L1I_BACK_INVALIDATIONS] += 1
    sub = G[G_L2_SHIFT] - G[G_L1D_SHIFT]
    for line in range(line2 << sub, (line2 + 1) << sub):
        st = line & (G[G_L1D_SETS] - 1)
        for c in range(TD.shape[0]):
            for w in range(TD.shape[2]):
                if TD[c, st, w] == line:
                    TD[c, st, w] = -1
                    CC[c, C_L1D_BACK_INVALIDATIONS] += 1


@njit(cache=True, nogil=True, inline="always", _nrt=False)
def _l2_victim(MS, bank, st):
    """Way to replace in L2 set (bank, st): an invalid way, else the least recently used."""
    T, S = MS[MS_L2T], MS[MS_L2S]
    v = 0
    for w in range(T.shape[2]):
        if T[bank, st, w] < 0:
            return w
        if S[bank, st, w] < S[bank, st, v]:
            v = w
    return v


@njit(cache=True, nogil=True, inline="always", _nrt=False)
def _drain_writes(CHB, ch, t, lc):
    """Queued write-backs of channel ch start in its idle time before cycle t."""
    q = CHB[ch, 1]
    if q > 0 and CHB[ch, 0] < t:
        n = min(q, (t - CHB[ch, 0] + lc - 1) // lc)
        CHB[ch, 0] += n * lc
        CHB[ch, 1] = q - n


@njit(cache=True, nogil=True, inline="always", _nrt=False)
def _dram_write(MS, P, ch, t):
    """A line write-back reaches channel ch's write queue at cycle t."""
    CHB, HC = MS[MS_CHBUSY], MS[MS_HC]
    lc = P[P_DRAM_LINE_CYCLES]
    _drain_writes(CHB, ch, t, lc)
    CHB[ch, 1] += 1
    if CHB[ch, 1] > P[P_DRAM_WRITE_QUEUE]:       # full: the oldest is written now
        CHB[ch, 0] = max(CHB[ch, 0], t) + lc
        CHB[ch, 1] -= 1
    HC[ch, H_WRITES] += 1
    HC[ch, H_BUSY] += lc


@njit(**_SLOW)
def _dram_read(MS, P, bank, pa, start, core):
    """Fetch the line of `pa` for an L2 miss found at `start`: wait for a miss buffer and
    the channel. Returns the cycle the data reaches the L2 (before its L2 pipe latency)."""
    G, MB, CHB, BC, HC = MS[MS_GEO], MS[MS_MB], MS[MS_CHBUSY], MS[MS_BC], MS[MS_HC]
    b = 0
    for i in range(1, MB.shape[1]):
        if MB[bank, i] < MB[bank, b]:
            b = i
    t = start
    if MB[bank, b] > t:
        BC[bank, B_MB_WAIT] += MB[bank, b] - t
        BC[bank, B_MB_FULL] += 1
        t = MB[bank, b]
    ch = dram_channel(MS, pa)
    lc = P[P_DRAM_LINE_CYCLES]
    _drain_writes(CHB, ch, t, lc)
    if CHB[ch, 0] > t:
        HC[ch, H_WAIT] += CHB[ch, 0] - t
        t = CHB[ch, 0]
    CHB[ch, 0] = t + lc
    HC[ch, H_READS] += 1
    HC[ch, H_BUSY] += lc
    t += P[P_DRAM_LATENCY]
    if G[G_SOCKETS] > 1:
        home = _lsr(np.int64(pa), G[G_HOME_SHIFT]) & (G[G_SOCKETS] - 1)
        mine = core // G[G_CORES_PER_SOCKET] if core >= 0 else 0
        if home != mine:
            t += P[P_REMOTE_LATENCY]
            HC[ch, H_REMOTE_READS] += 1
    return b, t


@njit(cache=True, nogil=True, _nrt=False)
def l2_access(MS, P, bank, pa, now, kind, core=-1):
    """The CCX grants a request of `kind` (0 load, 1 ifetch, 2 store, 3 atomic) for `pa`
    to `bank` at cycle `now`. Returns the cycle the response (data or store ack) is back at
    the core. `core` (the requester) matters only with several sockets; -1 = socket 0."""
    G, T, S, D, F = MS[MS_GEO], MS[MS_L2T], MS[MS_L2S], MS[MS_L2D], MS[MS_L2F]
    BK, BC = MS[MS_BANK], MS[MS_BC]
    start = now
    if BK[bank, BK_NEXT] > start:
        BC[bank, B_BANK_WAIT] += BK[bank, BK_NEXT] - start
        start = BK[bank, BK_NEXT]
    BK[bank, BK_NEXT] = start + 1
    clk = BK[bank, BK_CLOCK] + 1
    BK[bank, BK_CLOCK] = clk
    pipe = (P[P_L2_ILATENCY] if kind == KIND_IFETCH else P[P_L2_LATENCY]) \
        - P[P_CCX_MIN_GRANT]
    pa = np.int64(pa)
    line = _lsr(pa, G[G_L2_SHIFT])
    st = _lsr(pa, G[G_L2_SET_SHIFT]) & (G[G_L2_SETS] - 1)
    BC[bank, B_ACC_K + kind] += 1
    w = _find(T, bank, st, line)
    if w >= 0:
        S[bank, st, w] = clk
        if kind >= KIND_STORE:
            D[bank, st, w] = 1
        done = start + pipe
        if F[bank, st, w] > done:            # the line's fill is still on its way
            BC[bank, B_SECONDARY] += 1
            done = F[bank, st, w]
        return done
    return _l2_miss(MS, P, bank, pa, start, kind, core, st, line, clk, pipe)


@njit(**_SLOW)
def _l2_miss(MS, P, bank, pa, start, kind, core, st, line, clk, pipe):
    """An L2 miss found at `start`: replace the LRU way (writing it back when dirty and
    dropping its L1 copies), read the line from DRAM. Returns the response cycle."""
    G, T, S, D, F, BC = MS[MS_GEO], MS[MS_L2T], MS[MS_L2S], MS[MS_L2D], MS[MS_L2F], MS[MS_BC]
    BC[bank, B_MISS_K + kind] += 1
    w = _l2_victim(MS, bank, st)
    old = T[bank, st, w]
    b, t = _dram_read(MS, P, bank, pa, start, core)
    done = t + pipe
    MS[MS_MB][bank, b] = done
    if old >= 0:
        _back_invalidate(MS, old)
        if D[bank, st, w] != 0:
            BC[bank, B_WRITEBACKS] += 1
            _dram_write(MS, P, dram_channel(MS, old << G[G_L2_SHIFT]), start)
    T[bank, st, w] = line
    S[bank, st, w] = clk
    D[bank, st, w] = 1 if kind >= KIND_STORE else 0
    F[bank, st, w] = done
    return done


# ---- statistics ---------------------------------------------------------------------------
def memsys_stats(MS):
    """The counters as plain Python data: per cache level totals and per core / bank /
    channel rows. Bandwidth is the caller's (it knows the cycles and the clock)."""
    G, CC, BC, HC = MS[MS_GEO], MS[MS_CC], MS[MS_BC], MS[MS_HC]
    line = int(G[G_L2_LINE])

    def col(A, k):
        return int(A[:, k].sum())

    def rate(m, a):
        return round(m / a, 6) if a else 0.0

    ncores = CC.shape[0]
    l1i = {"accesses": col(CC, C_L1I_ACCESSES), "misses": col(CC, C_L1I_MISSES),
           "back_invalidations": col(CC, C_L1I_BACK_INVALIDATIONS)}
    l1d = {"loads": col(CC, C_L1D_LOADS), "load_misses": col(CC, C_L1D_LOAD_MISSES),
           "stores": col(CC, C_L1D_STORES), "store_misses": col(CC, C_L1D_STORE_MISSES),
           "invalidations": col(CC, C_L1D_INVALIDATIONS),
           "back_invalidations": col(CC, C_L1D_BACK_INVALIDATIONS)}
    l1d["accesses"] = l1d["loads"] + l1d["stores"]
    l1d["misses"] = l1d["load_misses"] + l1d["store_misses"]
    l1i["miss_rate"] = rate(l1i["misses"], l1i["accesses"])
    l1d["load_miss_rate"] = rate(l1d["load_misses"], l1d["loads"])
    l1i["per_core"], l1d["per_core"] = [], []
    itlb = {"accesses": col(CC, C_ITLB_ACCESSES), "misses": col(CC, C_ITLB_MISSES),
            "per_core": []}
    dtlb = {"accesses": col(CC, C_DTLB_ACCESSES), "misses": col(CC, C_DTLB_MISSES),
            "per_core": []}
    for c in range(ncores):
        r = [int(x) for x in CC[c]]
        l1i["per_core"].append({"core": c, "accesses": r[C_L1I_ACCESSES],
                                "misses": r[C_L1I_MISSES]})
        l1d["per_core"].append({"core": c, "loads": r[C_L1D_LOADS],
                                "load_misses": r[C_L1D_LOAD_MISSES],
                                "stores": r[C_L1D_STORES],
                                "store_misses": r[C_L1D_STORE_MISSES],
                                "invalidations": r[C_L1D_INVALIDATIONS]})
        itlb["per_core"].append({"core": c, "accesses": r[C_ITLB_ACCESSES],
                                 "misses": r[C_ITLB_MISSES]})
        dtlb["per_core"].append({"core": c, "accesses": r[C_DTLB_ACCESSES],
                                 "misses": r[C_DTLB_MISSES]})
    kinds = ("load", "ifetch", "store", "atomic")
    l2 = {"accesses": int(BC[:, B_ACC_K:B_ACC_K + 4].sum()),
          "misses": int(BC[:, B_MISS_K:B_MISS_K + 4].sum()),
          "by_kind": {k: {"accesses": col(BC, B_ACC_K + i), "misses": col(BC, B_MISS_K + i)}
                      for i, k in enumerate(kinds)},
          "writebacks": col(BC, B_WRITEBACKS),
          "hits_on_pending_fill": col(BC, B_SECONDARY),
          "bank_conflict_cycles": col(BC, B_BANK_WAIT),
          "miss_buffer_full": col(BC, B_MB_FULL),
          "miss_buffer_wait_cycles": col(BC, B_MB_WAIT),
          "per_bank": []}
    l2["miss_rate"] = rate(l2["misses"], l2["accesses"])
    for b in range(BC.shape[0]):
        l2["per_bank"].append({"bank": b,
                               "accesses": int(BC[b, B_ACC_K:B_ACC_K + 4].sum()),
                               "misses": int(BC[b, B_MISS_K:B_MISS_K + 4].sum()),
                               "writebacks": int(BC[b, B_WRITEBACKS])})
    reads, writes = col(HC, H_READS), col(HC, H_WRITES)
    memory = {"reads": reads, "writes": writes, "bytes": (reads + writes) * line,
              "read_bytes": reads * line, "write_bytes": writes * line,
              "busy_cycles": col(HC, H_BUSY), "queue_wait_cycles": col(HC, H_WAIT),
              "remote_reads": col(HC, H_REMOTE_READS), "per_channel": []}
    nch_sock = int(G[G_CHANNELS])
    for h in range(HC.shape[0]):
        memory["per_channel"].append({"channel": h, "socket": h // nch_sock,
                                      "reads": int(HC[h, H_READS]),
                                      "writes": int(HC[h, H_WRITES]),
                                      "busy_cycles": int(HC[h, H_BUSY])})
    return {"l1i": l1i, "l1d": l1d, "itlb": itlb, "dtlb": dtlb, "l2": l2, "memory": memory}
