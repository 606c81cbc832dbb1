"""Reference model of one fully associative sun4v TLB with used-bit replacement: the
scoreboard of rtl/tlb.v and the independent check of the engine's TLBs (sun4v/cmt/mmu.py,
tests/test_mmu_replacement.py).  It shares no code with mmu.py: every definition below is
written from the manuals.

Facts (reference/sun4v.md §3; UA2007 ch. 14; OpenSPARC T1 Micro Arch Spec 2.3.9/2.4.4):
- sun4v TTE data: V = bit 63, RA/PA page number = bits 55:13, size = bits 3:0 with code n
  meaning a page of 2^(13+3n) bytes (0 8K, 1 64K, 2 512K, 3 4M, 4 32M, 5 256M, 6 2G,
  7 16G).  T1 and T2 accept 8K, 64K, 4M and 256M only (the hypervisor's
  TTE_VALIDSIZEARRAY); other codes are refused here (ValueError).
- PA: 40 bits (PA bit 39 = I/O); a translation's PA is the TTE's page number above the
  page offset and the VA's page offset below it.
- TLB tag: partition ID (3 bits), real bit, VA and context (13 bits).  An entry matches a
  lookup when partition ID and real bit are equal, the contexts are equal (a real
  translation has no context: it is tagged and looked up as context 0), and the VA agrees
  above the entry's page offset.  The partition ID is part of every compare: an entry never
  hits or is demapped for another partition.
- Demap (UA2007 §14): page (the entries of that partition, real bit and, unless real,
  context, that map VA), context (the partition's non-real entries of that context), all
  (every entry of the partition).  A demapped entry's V bit is cleared in its stored TTE.
- Replacement (T1 Spec 2.3.9/2.4.4, pseudo-LRU with a used bit per entry): a write without
  an explicit index replaces the valid entry with the same tag, else the first free entry,
  else the first entry whose used bit is clear.  Used bits are set by a hit and by a valid
  write; when setting one would set all of them, all the others are cleared; an entry
  made invalid (write without V, demap) has its used bit cleared.

Entries: ``tag[i]`` is None (free) or a :class:`Tag`; ``data[i]`` the stored TTE;
``used[i]`` 0/1.  Operations of one RTL cycle are: lookup (against the state at the start
of the cycle), then one maintenance operation (write or demap)."""
from __future__ import annotations

from typing import NamedTuple

DEMAP_PAGE, DEMAP_CONTEXT, DEMAP_ALL = 0, 1, 2

TTE_VALID = 1 << 63
TTE_PAGE_NUMBER = ((1 << 56) - 1) & ~((1 << 13) - 1)      # bits 55:13
TTE_SIZE = 0xF                                             # bits 3:0
PA_WIDTH = 40
VA_WIDTH = 64
PARTITION_IDS = 8                                          # 3-bit partition ID
CONTEXTS = 1 << 13                                         # 13-bit contexts
# page size of each size code (bytes), sun4v.md §3
PAGE_BYTES = {n: 1 << (13 + 3 * n) for n in range(8)}
SIZE_NAMES = {0: "8K", 1: "64K", 2: "512K", 3: "4M", 4: "32M", 5: "256M", 6: "2G", 7: "16G"}
# the size codes the T1 and the T2 accept (HV T1/T2 include/mmu.h TTE_VALIDSIZEARRAY)
T1_T2_SIZES = (0, 1, 3, 5)


class Tag(NamedTuple):
    """What a valid entry is looked up by: partition ID, real bit, context (0 when real),
    and the VA with the page offset bits clear."""
    pid: int
    real: int
    ctx: int
    va: int


def page_size_code(tte: int, accepted=T1_T2_SIZES) -> int:
    """The size code of a TTE (bits 3:0); ValueError for a code the chip does not accept."""
    n = tte & TTE_SIZE
    if n not in accepted:
        name = SIZE_NAMES.get(n, "undefined")
        raise ValueError(f"TTE size code {n} ({name}) is not a page size this TLB accepts "
                         f"({', '.join(SIZE_NAMES[s] for s in accepted)})")
    return n


def page_offset(tte: int, accepted=T1_T2_SIZES) -> int:
    """Byte offset mask of the TTE's page: page size - 1."""
    return PAGE_BYTES[page_size_code(tte, accepted)] - 1


def _tag(va: int, pid: int, real: int, ctx: int, offset: int) -> Tag:
    if not 0 <= pid < PARTITION_IDS:
        raise ValueError(f"partition ID {pid} is not 3 bits")
    if real not in (0, 1):
        raise ValueError(f"real bit {real} is not 0 or 1")
    if not 0 <= ctx < CONTEXTS:
        raise ValueError(f"context {ctx:#x} is not 13 bits")
    va &= (1 << VA_WIDTH) - 1
    return Tag(pid, real, 0 if real else ctx, va & ~offset)


class TLBModel:
    """One TLB of `entries` entries; `sizes` the page size codes it accepts."""

    def __init__(self, entries=64, sizes=T1_T2_SIZES):
        self.n = entries
        self.sizes = tuple(sizes)
        self.tag: list[Tag | None] = [None] * entries
        self.data = [0] * entries
        self.used = [0] * entries

    # --- used bits -------------------------------------------------------------------------
    def _touch(self, i):
        self.used[i] = 1
        if all(self.used):
            self.used = [0] * self.n
            self.used[i] = 1

    def _invalidate(self, i):
        self.tag[i] = None
        self.used[i] = 0
        self.data[i] &= ~TTE_VALID

    def _maps(self, i, tag: Tag, va: int) -> bool:
        """Entry i is valid, has tag's partition, real bit and context, and maps va."""
        e = self.tag[i]
        if e is None or (e.pid, e.real, e.ctx) != (tag.pid, tag.real, tag.ctx):
            return False
        return (va & ~page_offset(self.data[i], self.sizes)) == e.va

    # --- operations ------------------------------------------------------------------------
    def find(self, va, pid, real, ctx):
        """Index of the first entry that maps va for (pid, real, ctx), or -1; no side
        effects."""
        va &= (1 << VA_WIDTH) - 1
        tag = _tag(va, pid, real, ctx, 0)
        for i in range(self.n):
            if self._maps(i, tag, va):
                return i
        return -1

    def lookup(self, va, pid, real, ctx):
        """(index, tte, pa) of a lookup, or (-1, 0, 0) on a miss; a hit sets the used bit."""
        i = self.find(va, pid, real, ctx)
        if i < 0:
            return -1, 0, 0
        self._touch(i)
        d = self.data[i]
        off = page_offset(d, self.sizes)
        pa = ((d & TTE_PAGE_NUMBER & ~off) | (va & off)) & ((1 << PA_WIDTH) - 1)
        return i, d, pa

    def write(self, va, pid, real, ctx, data, index=-1):
        """Write a TTE for (va, pid, real, ctx) at `index`, or (index < 0) at the entry with
        the same tag, else the first free one, else the first whose used bit is clear.
        Returns the index written.  A TTE without V leaves that entry free."""
        tag = _tag(va, pid, real, ctx, page_offset(data, self.sizes))
        if index < 0:
            index = next((i for i in range(self.n) if self.tag[i] == tag), -1)
        if index < 0:
            index = next((i for i in range(self.n) if self.tag[i] is None), -1)
        if index < 0:
            index = self.used.index(0)
        if data & TTE_VALID:
            self.tag[index] = tag
            self._touch(index)
        else:
            self.tag[index] = None
            self.used[index] = 0
        self.data[index] = data
        return index

    def demap(self, op, pid, real, ctx, va):
        """Demap page (op 0), context (1) or all (2) within partition pid; returns the
        indices removed."""
        va &= (1 << VA_WIDTH) - 1
        hits = []
        for i in range(self.n):
            e = self.tag[i]
            if e is None or e.pid != pid:
                continue
            if op == DEMAP_ALL:
                hit = True
            elif op == DEMAP_CONTEXT:
                hit = e.real == 0 and e.ctx == ctx
            elif op == DEMAP_PAGE:
                hit = self._maps(i, _tag(va, pid, real, 0 if real else ctx, 0), va)
            else:
                raise ValueError(f"demap operation {op} is not page (0), context (1) or all (2)")
            if hit:
                self._invalidate(i)
                hits.append(i)
        return hits

    def valid(self, i) -> bool:
        return self.tag[i] is not None

    def valid_entries(self):
        return sum(1 for t in self.tag if t is not None)
