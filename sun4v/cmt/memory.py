"""Sparse big-endian memory over a 64-bit address space, with MMIO windows.

Pages of 8 KB are held as 1024 uint64 words, each word holding bytes a..a+7 of memory
with byte a as the most significant byte, so SPARC's big-endian loads and stores are
shifts and masks on one word (no byte swapping in the hot path). Pages are found through
an open-addressing hash table of page numbers, fronted by a small direct-mapped soft TLB
per access kind (read, write, fetch). In full-system mode pages are allocated on first
touch (a machine with 512 GB of physical memory costs only what it uses). In
syscall-emulation mode memory exists only where the loader, brk or mmap map it, as
regions of pages with a protection; as in Linux, a page of a region is made (zero
filled) at its first touch: the jitted side faults on it, and the kernel side
(`fault_in`) makes it and retries the instruction. An access outside every region, or
against the protection, is a fault.

Physical memory of a full-system machine (alloc_on_touch with regions): a page is made
at first touch only inside a region (RAM, ROM, NVRAM: `add_region`), with the region's
protection (ROM: no W); an address outside every region and every MMIO window has no
memory (FAULT: the engine raises the architected bus error).

The jitted side sees the named tuple M = Mem(words, keys, vals, perm, meta, stlb_tag,
stlb_slot, mmio, regions) of numpy arrays; the Python side is the Memory class.
"""
import bisect
import sys
from collections import namedtuple

import numpy as np
from numba import njit

PAGE_SHIFT = 13
PAGE_SIZE = 1 << PAGE_SHIFT
WORDS_PER_PAGE = PAGE_SIZE // 8
PERM_R, PERM_W, PERM_X = 1, 2, 4
PERM_RWX = 7
KIND_READ, KIND_WRITE, KIND_FETCH = 0, 1, 2
_KIND_PERM = (PERM_R, PERM_W, PERM_X)
STLB_SIZE = 256

# meta[] indices
META_USED, META_CAP, META_ALLOC_ON_TOUCH, META_HMASK, META_HCOUNT, META_NMMIO, \
    META_NREGIONS = range(7)
MAX_MMIO = 32
MAX_REGIONS = 16

Mem = namedtuple("Mem", "words keys vals perm meta stlb_tag stlb_slot mmio regions")

# page-slot lookup results below zero
FAULT = -1        # no page there, or the protection forbids this kind of access
GROW = -2         # allocate-on-touch needs a page but the pool is full: exit to Python
MMIO = -3         # the address lies in an MMIO window

EMPTY = np.uint64(0)
TOMB = np.uint64(0xFFFFFFFFFFFFFFFF)
_U13 = np.uint64(PAGE_SHIFT)
_U3 = np.uint64(3)
_U7 = np.uint64(7)
_U8 = np.uint64(8)
_U1023 = np.uint64(1023)
_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)

_LITTLE = sys.byteorder == "little"


@njit(cache=True, nogil=True, _nrt=False)
def _hash_find(keys, hmask, vpn):
    """Index of vpn in the hash table, or -1."""
    key = vpn + np.uint64(1)
    h = np.int64(((vpn * _HASH_MUL) >> np.uint64(40)) & np.uint64(hmask))
    while True:
        k = keys[h]
        if k == key:
            return h
        if k == EMPTY:
            return -1
        h = (h + 1) & hmask


@njit(cache=True, nogil=True, _nrt=False)
def _hash_insert(keys, vals, hmask, vpn, slot):
    key = vpn + np.uint64(1)
    h = np.int64(((vpn * _HASH_MUL) >> np.uint64(40)) & np.uint64(hmask))
    while True:
        k = keys[h]
        if k == EMPTY or k == TOMB or k == key:
            keys[h] = key
            vals[h] = slot
            return
        h = (h + 1) & hmask


@njit(cache=True, nogil=True, _nrt=False)
def page_slot_slow(M, addr, kind):
    words, keys, vals, perm, meta, stlb_tag, stlb_slot, mmio, regions = M
    vpn = addr >> _U13
    h = _hash_find(keys, meta[META_HMASK], vpn)
    if h >= 0:
        slot = vals[h]
        need = 1 << kind
        if perm[slot] & need == 0:
            return FAULT
        i = np.int64(vpn & np.uint64(STLB_SIZE - 1))
        stlb_tag[kind, i] = vpn + np.uint64(1)
        stlb_slot[kind, i] = slot
        return slot
    for j in range(meta[META_NMMIO]):
        if addr >= np.uint64(mmio[j, 0]) and addr < np.uint64(mmio[j, 1]):
            return MMIO
    if meta[META_ALLOC_ON_TOUCH] == 0:
        return FAULT
    # allocate on touch, inside a region when there are any (physical memory)
    pm = PERM_RWX
    if meta[META_NREGIONS] > 0:
        pm = -1
        for j in range(meta[META_NREGIONS]):
            if addr >= np.uint64(regions[j, 0]) and addr < np.uint64(regions[j, 1]):
                pm = regions[j, 2]
                break
        if pm < 0 or pm & (1 << kind) == 0:
            return FAULT
    # keep the hash table at most half full
    if meta[META_USED] >= meta[META_CAP] or 2 * (meta[META_HCOUNT] + 1) > meta[META_HMASK] + 1:
        return GROW
    slot = meta[META_USED]
    meta[META_USED] = slot + 1
    meta[META_HCOUNT] += 1
    perm[slot] = pm
    _hash_insert(keys, vals, meta[META_HMASK], vpn, slot)
    i = np.int64(vpn & np.uint64(STLB_SIZE - 1))
    stlb_tag[kind, i] = vpn + np.uint64(1)
    stlb_slot[kind, i] = slot
    return slot


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def page_slot(M, addr, kind):
    """Page slot of addr for an access of this kind (KIND_*), or FAULT/GROW/MMIO."""
    stlb_tag = M.stlb_tag
    vpn = addr >> _U13
    i = np.int64(vpn & np.uint64(STLB_SIZE - 1))
    if stlb_tag[kind, i] == vpn + np.uint64(1):
        return np.int64(M.stlb_slot[kind, i])
    return page_slot_slow(M, addr, kind)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def word_index(slot, addr):
    return slot * WORDS_PER_PAGE + np.int64((addr >> _U3) & _U1023)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def extract(word, addr, size):
    """Unsigned big-endian value of `size` bytes at addr from its containing word."""
    shift = (_U8 - (addr & _U7) - np.uint64(size)) << _U3
    if size == 8:
        return word
    mask = (np.uint64(1) << (np.uint64(size) << _U3)) - np.uint64(1)
    return (word >> shift) & mask


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def insert(word, addr, size, value):
    if size == 8:
        return value
    shift = (_U8 - (addr & _U7) - np.uint64(size)) << _U3
    mask = ((np.uint64(1) << (np.uint64(size) << _U3)) - np.uint64(1)) << shift
    return (word & (mask ^ _ONES)) | ((value << shift) & mask)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def load(M, addr, size, kind):
    """(value, status): status 0 or FAULT/GROW/MMIO. addr must be size-aligned."""
    slot = page_slot(M, addr, kind)
    if slot < 0:
        return np.uint64(0), slot
    return extract(M.words[word_index(slot, addr)], addr, size), 0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def store(M, addr, size, value):
    """status 0 or FAULT/GROW/MMIO. addr must be size-aligned."""
    slot = page_slot(M, addr, KIND_WRITE)
    if slot < 0:
        return slot
    words = M.words
    w = word_index(slot, addr)
    words[w] = insert(words[w], addr, size, value)
    return 0


class MemFault(Exception):
    """A Python-side access touched an address with no page (syscall-emulation mode)."""

    def __init__(self, addr):
        super().__init__(f"no memory at {addr:#x}")
        self.addr = addr


class WordAccess:
    """The word forms over a class's read(addr, n) -> bytes and write(addr, data):
    big-endian, as SPARC stores them."""

    def read_u64(self, addr):
        return int.from_bytes(self.read(addr, 8), "big")

    def write_u64(self, addr, value):
        self.write(addr, (value & (2**64 - 1)).to_bytes(8, "big"))

    def read_u32(self, addr):
        return int.from_bytes(self.read(addr, 4), "big")

    def write_u32(self, addr, value):
        self.write(addr, (value & 0xFFFFFFFF).to_bytes(4, "big"))


class Memory(WordAccess):
    """Sparse big-endian memory. alloc_on_touch=True for physical memory (full system),
    with its regions (add_region) and MMIO windows (add_mmio)."""

    def __init__(self, alloc_on_touch=False, capacity_pages=256, hash_size=1024):
        self.words = np.zeros(capacity_pages * WORDS_PER_PAGE, dtype=np.uint64)
        self.perm = np.zeros(capacity_pages, dtype=np.uint8)
        self.keys = np.zeros(hash_size, dtype=np.uint64)
        self.vals = np.zeros(hash_size, dtype=np.int64)
        self.meta = np.zeros(8, dtype=np.int64)
        self.meta[META_CAP] = capacity_pages
        self.meta[META_ALLOC_ON_TOUCH] = 1 if alloc_on_touch else 0
        self.meta[META_HMASK] = hash_size - 1
        self.stlb_tag = np.zeros((3, STLB_SIZE), dtype=np.uint64)
        self.stlb_slot = np.zeros((3, STLB_SIZE), dtype=np.int64)
        self.mmio = np.zeros((MAX_MMIO, 2), dtype=np.int64)
        self.regions = np.zeros((MAX_REGIONS, 3), dtype=np.int64)
        self.mmio_devices = []       # (base, limit, device) in the order of self.mmio rows
        self.free_slots = []
        self.pages_made = 0          # pages made so far (syscall emulation: minor faults)
        # syscall-emulation mappings: sorted, disjoint [first vpn, end vpn) with a perm
        self.reg_lo, self.reg_hi, self.reg_perm = [], [], []
        self._refresh()

    def _refresh(self):
        self.M = Mem(self.words, self.keys, self.vals, self.perm, self.meta,
                     self.stlb_tag, self.stlb_slot, self.mmio, self.regions)

    # ---- pool and hash table management -------------------------------------------
    def flush_stlb(self):
        self.stlb_tag[:] = 0

    def grow(self):
        """Double the page pool and/or rehash; called on EXIT_MEMGROW and by map()."""
        used, cap = int(self.meta[META_USED]), int(self.meta[META_CAP])
        if used >= cap:
            new = np.zeros(cap * 2 * WORDS_PER_PAGE, dtype=np.uint64)
            new[:cap * WORDS_PER_PAGE] = self.words
            self.words = new
            perm = np.zeros(cap * 2, dtype=np.uint8)
            perm[:cap] = self.perm
            self.perm = perm
            self.meta[META_CAP] = cap * 2
        count = int(self.meta[META_HCOUNT])
        if 2 * (count + 1) > len(self.keys):
            self._rehash(len(self.keys) * 2)
        self._refresh()

    def _rehash(self, size):
        live = [(int(k) - 1, int(v)) for k, v in zip(self.keys, self.vals)
                if k != EMPTY and k != TOMB]
        self.keys = np.zeros(size, dtype=np.uint64)
        self.vals = np.zeros(size, dtype=np.int64)
        self.meta[META_HMASK] = size - 1
        for vpn, slot in live:
            _hash_insert(self.keys, self.vals, size - 1, np.uint64(vpn), slot)
        self.flush_stlb()
        self._refresh()

    def _find(self, vpn):
        h = _hash_find(self.keys, int(self.meta[META_HMASK]), np.uint64(vpn))
        return int(self.vals[h]) if h >= 0 else -1

    def _new_slot(self, vpn, perm):
        while 2 * (int(self.meta[META_HCOUNT]) + 1) > len(self.keys):
            self._rehash(len(self.keys) * 2)
        if self.free_slots:
            slot = self.free_slots.pop()
        else:
            while int(self.meta[META_USED]) >= int(self.meta[META_CAP]):
                self.grow()
            slot = int(self.meta[META_USED])
            self.meta[META_USED] = slot + 1
        base = slot * WORDS_PER_PAGE
        self.words[base:base + WORDS_PER_PAGE] = 0
        self.perm[slot] = perm
        self.pages_made += 1
        _hash_insert(self.keys, self.vals, int(self.meta[META_HMASK]), np.uint64(vpn), slot)
        self.meta[META_HCOUNT] += 1
        return slot

    # ---- mapping (syscall-emulation mode) -----------------------------------------
    @staticmethod
    def _vpns(addr, size):
        return addr >> PAGE_SHIFT, (addr + size + PAGE_SIZE - 1) >> PAGE_SHIFT

    def _carve(self, v0, v1, perm=None):
        """Remove [v0, v1) from the regions, then add it back with `perm` unless None."""
        lo, hi, pm = self.reg_lo, self.reg_hi, self.reg_perm
        i = bisect.bisect_right(hi, v0)          # first region ending after v0
        new_lo, new_hi, new_pm = [], [], []
        j = i
        while j < len(lo) and lo[j] < v1:
            if lo[j] < v0:
                new_lo.append(lo[j]), new_hi.append(v0), new_pm.append(pm[j])
            if hi[j] > v1:
                new_lo.append(v1), new_hi.append(hi[j]), new_pm.append(pm[j])
            j += 1
        if perm is not None:
            k = sum(1 for x in new_lo if x < v0)
            new_lo.insert(k, v0), new_hi.insert(k, v1), new_pm.insert(k, perm)
        lo[i:j], hi[i:j], pm[i:j] = new_lo, new_hi, new_pm

    def _region_perm(self, vpn):
        i = bisect.bisect_right(self.reg_lo, vpn) - 1
        if i >= 0 and vpn < self.reg_hi[i]:
            return self.reg_perm[i]
        return -1

    def _made(self, v0, v1):
        """(hash index, slot, vpn) arrays of the pages made in [v0, v1)."""
        keys = self.keys
        live = (keys != EMPTY) & (keys != TOMB)
        vpn = keys - np.uint64(1)
        h = np.nonzero(live & (vpn >= np.uint64(v0)) & (vpn < np.uint64(v1)))[0]
        return h, self.vals[h], vpn[h]

    def map(self, addr, size, perm=PERM_RWX):
        """Map [addr, addr+size) with `perm`: pages are made, zero filled, at first touch;
        pages already made keep their contents and take the new protection."""
        v0, v1 = self._vpns(addr, size)
        if v1 <= v0:
            return
        self._carve(v0, v1, perm)
        _, slots, _ = self._made(v0, v1)
        self.perm[slots] = perm
        self.flush_stlb()

    def unmap(self, addr, size):
        v0, v1 = self._vpns(addr, size)
        if v1 <= v0:
            return
        self._carve(v0, v1)
        self._drop_pages(v0, v1)

    def scrub(self, addr, size):
        """Zero [addr, addr+size) (page aligned) of physical memory with allocation on
        touch: its pages are given back and read as zeros again until touched (what
        untouched memory is at power-on). Costs nothing per untouched page."""
        v0, v1 = self._vpns(addr, size)
        if v1 <= v0:
            return
        self._drop_pages(v0, v1)

    def _drop_pages(self, v0, v1):
        """Give back the pages made in VPNs [v0, v1) (their slots free, the translation
        caches flushed)."""
        h, slots, _ = self._made(v0, v1)
        self.keys[h] = TOMB
        self.free_slots.extend(int(x) for x in slots)
        self.flush_stlb()

    def protect(self, addr, size, perm):
        """Set the protection of [addr, addr+size); False (and nothing changed) if a page
        of it is not mapped."""
        v0, v1 = self._vpns(addr, size)
        if self.mapped_pages(addr, size) != v1 - v0:
            return False
        if self.reg_lo:
            self._carve(v0, v1, perm)
        _, slots, _ = self._made(v0, v1)
        self.perm[slots] = perm
        self.flush_stlb()
        return True

    def mapped_pages(self, addr, size):
        """How many pages of [addr, addr+size) are mapped (in a region or made)."""
        v0, v1 = self._vpns(addr, size)
        n = 0
        covered = []
        i = bisect.bisect_right(self.reg_hi, v0)
        while i < len(self.reg_lo) and self.reg_lo[i] < v1:
            a, b = max(v0, self.reg_lo[i]), min(v1, self.reg_hi[i])
            n += b - a
            covered.append((a, b))
            i += 1
        _, _, vpns = self._made(v0, v1)
        for v in vpns:                  # pages made outside every region (full system)
            v = int(v)
            if not any(a <= v < b for a, b in covered):
                n += 1
        return n

    def mapped_end(self, addr, size):
        """End address of the highest mapped page in [addr, addr+size), 0 if none."""
        v0, v1 = self._vpns(addr, size)
        end = 0
        i = bisect.bisect_right(self.reg_hi, v0)
        while i < len(self.reg_lo) and self.reg_lo[i] < v1:
            end = max(end, min(v1, self.reg_hi[i]))
            i += 1
        _, _, vpns = self._made(v0, v1)
        if len(vpns):
            end = max(end, int(vpns.max()) + 1)
        return end << PAGE_SHIFT

    def fault_in(self, addr):
        """Make the page of addr if it lies in a region and is not made yet (a first
        touch, as Linux does on a page fault). True: retry the access."""
        vpn = addr >> PAGE_SHIFT
        if self._find(vpn) >= 0:
            return False
        perm = self._region_perm(vpn)
        if perm < 0:
            return False
        self._new_slot(vpn, perm)
        return True

    def is_mapped(self, addr):
        return self._region_perm(addr >> PAGE_SHIFT) >= 0 or self._find(addr >> PAGE_SHIFT) >= 0

    def page_perm(self, addr):
        slot = self._find(addr >> PAGE_SHIFT)
        if slot >= 0:
            return int(self.perm[slot])
        return self._region_perm(addr >> PAGE_SHIFT)

    def add_mmio(self, base, size, device):
        n = int(self.meta[META_NMMIO])
        if n >= len(self.mmio):
            raise ValueError("too many MMIO windows")
        self.mmio[n] = (base, base + size)
        self.mmio_devices.append((base, base + size, device))
        self.meta[META_NMMIO] = n + 1

    def add_region(self, base, size, perm):
        """Physical memory [base, base+size) whose pages are made at first touch with
        protection `perm` (PERM_*): RAM (RWX), ROM (R|X), NVRAM."""
        n = int(self.meta[META_NREGIONS])
        if n >= len(self.regions):
            raise ValueError("too many memory regions")
        self.regions[n] = (base, base + size, perm)
        self.meta[META_NREGIONS] = n + 1

    def region_of(self, addr):
        """(base, limit, perm) of the region holding addr, or None."""
        for j in range(int(self.meta[META_NREGIONS])):
            lo, hi, pm = (int(x) for x in self.regions[j])
            if lo <= addr < hi:
                return lo, hi, pm
        return None

    def mmio_device(self, addr):
        for base, limit, dev in self.mmio_devices:
            if base <= addr < limit:
                return base, dev
        return None, None

    # ---- checkpoints (sun4v/checkpoint.py) -------------------------------------------
    def state(self):
        """(arrays, meta): the touched pages (the pool's first META_USED slots, so an
        untouched page costs nothing), their protections, the page hash table, the
        control words, regions and MMIO windows, and the soft TLB; meta holds the
        Python-side lists. The MMIO devices are the owner's to save."""
        used = int(self.meta[META_USED])
        arrays = {"words": self.words[:used * WORDS_PER_PAGE], "perm": self.perm[:used],
                  "keys": self.keys, "vals": self.vals, "meta": self.meta,
                  "stlb_tag": self.stlb_tag, "stlb_slot": self.stlb_slot,
                  "mmio": self.mmio, "regions": self.regions}
        meta = {"free_slots": [int(x) for x in self.free_slots],
                "pages_made": int(self.pages_made),
                "reg": [[int(a), int(b), int(p)] for a, b, p in
                        zip(self.reg_lo, self.reg_hi, self.reg_perm)]}
        return {k: v.copy() for k, v in arrays.items()}, meta

    def set_state(self, arrays, meta):
        """Put back what state() returned (ValueError when the arrays do not fit: a
        different layout). The MMIO windows must already be added, in the same order."""
        m = np.asarray(arrays["meta"], dtype=np.int64)
        cap, used = int(m[META_CAP]), int(m[META_USED])
        if m.shape != self.meta.shape or not 0 <= used <= cap or \
                arrays["words"].shape != (used * WORDS_PER_PAGE,) or \
                arrays["perm"].shape != (used,) or \
                arrays["keys"].shape != arrays["vals"].shape or \
                len(arrays["keys"]) != int(m[META_HMASK]) + 1:
            raise ValueError("memory state of another layout")
        for k in ("stlb_tag", "stlb_slot", "mmio", "regions"):
            if arrays[k].shape != getattr(self, k).shape:
                raise ValueError(f"memory {k} of another layout")
        if not np.array_equal(arrays["mmio"], self.mmio):
            raise ValueError("memory with other MMIO windows")
        self.words = np.zeros(cap * WORDS_PER_PAGE, dtype=np.uint64)
        self.words[:used * WORDS_PER_PAGE] = arrays["words"]
        self.perm = np.zeros(cap, dtype=np.uint8)
        self.perm[:used] = arrays["perm"]
        self.keys = np.array(arrays["keys"], dtype=np.uint64)
        self.vals = np.array(arrays["vals"], dtype=np.int64)
        self.meta[:] = m
        self.stlb_tag[:] = arrays["stlb_tag"]
        self.stlb_slot[:] = arrays["stlb_slot"]
        self.regions[:] = arrays["regions"]
        self.free_slots = [int(x) for x in meta["free_slots"]]
        self.pages_made = int(meta["pages_made"])
        self.reg_lo = [int(r[0]) for r in meta["reg"]]
        self.reg_hi = [int(r[1]) for r in meta["reg"]]
        self.reg_perm = [int(r[2]) for r in meta["reg"]]
        self._refresh()

    # ---- Python-side byte access (ignores protection) --------------------------------
    def _slot_for(self, addr, create):
        vpn = addr >> PAGE_SHIFT
        slot = self._find(vpn)
        if slot < 0:
            perm = self._region_perm(vpn)
            if perm < 0 and self.meta[META_NREGIONS]:
                r = self.region_of(addr)
                if r is None and not create:
                    raise MemFault(addr)
                perm = r[2] if r is not None else PERM_RWX
            if perm < 0:
                if not (create or self.meta[META_ALLOC_ON_TOUCH]):
                    raise MemFault(addr)
                perm = PERM_RWX
            slot = self._new_slot(vpn, perm)
        return slot

    def _untouched(self, addr):
        """True when addr has no page yet but one would be made at its first touch (a
        region's page, or any page with allocation on touch): it reads as zeros."""
        if self._region_perm(addr >> PAGE_SHIFT) >= 0:
            return True
        if self.meta[META_NREGIONS]:
            return self.region_of(addr) is not None
        return bool(self.meta[META_ALLOC_ON_TOUCH])

    def _page_bytes(self, slot):
        page = self.words[slot * WORDS_PER_PAGE:(slot + 1) * WORDS_PER_PAGE]
        return page.byteswap().view(np.uint8) if _LITTLE else page.view(np.uint8)

    def read(self, addr, n):
        out = bytearray()
        while n > 0:
            off = addr & (PAGE_SIZE - 1)
            chunk = min(n, PAGE_SIZE - off)
            slot = self._find(addr >> PAGE_SHIFT)
            if slot >= 0:
                out += self._page_bytes(slot)[off:off + chunk].tobytes()
            elif self._untouched(addr):
                out += bytes(chunk)              # not touched yet: zeros, no page made
            else:
                raise MemFault(addr)
            addr += chunk
            n -= chunk
        return bytes(out)

    def write(self, addr, data, create=False):
        data = memoryview(bytes(data))
        pos = 0
        while pos < len(data):
            off = addr & (PAGE_SIZE - 1)
            chunk = min(len(data) - pos, PAGE_SIZE - off)
            slot = self._slot_for(addr, create)
            b = self._page_bytes(slot)
            b[off:off + chunk] = np.frombuffer(data[pos:pos + chunk], dtype=np.uint8)
            base = slot * WORDS_PER_PAGE
            self.words[base:base + WORDS_PER_PAGE] = (
                b.view(np.uint64).byteswap() if _LITTLE else b.view(np.uint64))
            addr += chunk
            pos += chunk

    def read_cstr(self, addr, limit=1 << 20):
        out = bytearray()
        while len(out) < limit:
            off = addr & (PAGE_SIZE - 1)
            chunk = self.read(addr, PAGE_SIZE - off)
            z = chunk.find(b"\0")
            if z >= 0:
                out += chunk[:z]
                return bytes(out)
            out += chunk
            addr += len(chunk)
        return bytes(out)

    def pages_used(self):
        return int(self.meta[META_HCOUNT]) - len(self.free_slots)
