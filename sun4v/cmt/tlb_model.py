"""Reference model of one fully associative sun4v TLB with used-bit replacement, the
scoreboard of rtl/tlb.v (OpenSPARC T1 Micro Arch Spec 2.3.9/2.4.4: 64 entries,
pseudo-LRU with a used bit per entry; UA2007 ch. 14 demap operations).

Tags, TTE format, page masks, the insert/demap rules and the replacement policy are
mmu.py's (make_key, page_mask, tlb_lookup, tlb_insert, tlb_demap, tlb_find, tlb_touch,
tlb_victim; tests/test_mmu_replacement.py checks that they agree step by step).  When the
TLB is full a write replaces the first entry whose used bit is clear.  Used bits: set on a
hit and on a write; when that would set all of them, all the others are cleared; cleared
when an entry is invalidated.  Operations of one RTL cycle are: lookup (against the state
at the start of the cycle), then one maintenance operation (write or demap)."""
import numpy as np

from .mmu import KEY_VALID, PA_MASK, RA_FIELD, TTE_V, make_key, page_mask

U64 = (1 << 64) - 1
DEMAP_PAGE, DEMAP_CONTEXT, DEMAP_ALL = 0, 1, 2
_PID_FIELD = 7 << 56
_CTX_MASK = 0x1FFF


# byte-offset mask of each size code, from mmu.page_mask (size = TTE bits 2:0)
_MASKS = [int(page_mask(np.uint64(n))) for n in range(8)]


def _mask(data):
    return _MASKS[data & 7]


class TLBModel:
    def __init__(self, entries=64):
        self.n = entries
        self.va = [0] * entries        # tag VA (page offset bits clear)
        self.key = [0] * entries       # mmu.make_key(pid, real, ctx), 0 = free
        self.data = [0] * entries      # sun4v TTE
        self.used = [0] * entries

    # --- used bits -------------------------------------------------------------------------
    def _touch(self, i):
        self.used[i] = 1
        if all(self.used):
            self.used = [0] * self.n
            self.used[i] = 1

    # --- operations ------------------------------------------------------------------------
    def find(self, va, pid, real, ctx):
        """Index of the entry that maps va (mmu.tlb_find), or -1; no side effects."""
        key = int(make_key(pid, real, 0 if real else ctx))
        for i in range(self.n):
            if self.key[i] == key and ((va ^ self.va[i]) & ~_mask(self.data[i]) & U64) == 0:
                return i
        return -1

    def lookup(self, va, pid, real, ctx):
        """(index, tte, pa) of a lookup, or (-1, 0, 0) on a miss; a hit sets the used bit."""
        i = self.find(va, pid, real, ctx)
        if i < 0:
            return -1, 0, 0
        self._touch(i)
        d = self.data[i]
        m = _mask(d)
        pa = ((d & int(RA_FIELD) & ~m) | (va & m)) & int(PA_MASK)
        return i, d, pa

    def write(self, va, pid, real, ctx, data, index=-1):
        """Insert a TTE (mmu.tlb_insert with used-bit replacement); returns the index."""
        if real:
            ctx = 0
        key = int(make_key(pid, real, ctx))
        tagva = va & ~_mask(data) & U64
        if index < 0:
            for i in range(self.n):
                if self.key[i] == key and self.va[i] == tagva:
                    index = i
                    break
        if index < 0:
            for i in range(self.n):
                if self.key[i] == 0:
                    index = i
                    break
        if index < 0:
            index = self.used.index(0)
        if data & int(TTE_V):
            self.va[index] = tagva
            self.key[index] = key
            self._touch(index)
        else:
            self.key[index] = 0
            self.used[index] = 0
        self.data[index] = data
        return index

    def demap(self, op, pid, real, ctx, va):
        """mmu.tlb_demap: op 0 page, 1 context, 2 all, within partition pid."""
        pidbits = (pid & 7) << 56
        hits = []
        for i in range(self.n):
            k = self.key[i]
            if k == 0 or (k & _PID_FIELD) != pidbits:
                continue
            ereal = (k >> 55) & 1
            ectx = k & _CTX_MASK
            if op == DEMAP_ALL:
                hit = True
            elif op == DEMAP_CONTEXT:
                hit = ereal == 0 and ectx == ctx
            else:
                hit = ereal == real and (real == 1 or ectx == ctx) and \
                    ((va ^ self.va[i]) & ~_mask(self.data[i]) & U64) == 0
            if hit:
                self.key[i] = 0
                self.used[i] = 0
                self.data[i] &= ~int(TTE_V) & U64
                hits.append(i)
        return hits

    def valid_entries(self):
        return sum(1 for k in self.key if k & int(KEY_VALID))
