"""Sparse big-endian memory: byte order, page allocation on touch, growth of the page pool
and hash table, protections and faults, MMIO windows."""
import numpy as np
import pytest

from sun4v.cmt import memory as MEM


def test_big_endian_words_and_subwords():
    m = MEM.Memory()
    m.map(0x10000, 8192)
    m.write(0x10000, bytes(range(16)))
    v, st = MEM.load(m.M, np.uint64(0x10000), 8, MEM.KIND_READ)
    assert st == 0 and int(v) == 0x0001020304050607
    v, st = MEM.load(m.M, np.uint64(0x1000A), 2, MEM.KIND_READ)
    assert int(v) == 0x0A0B
    v, st = MEM.load(m.M, np.uint64(0x1000C), 4, MEM.KIND_READ)
    assert int(v) == 0x0C0D0E0F
    assert MEM.store(m.M, np.uint64(0x10003), 1, np.uint64(0xAB)) == 0
    assert MEM.store(m.M, np.uint64(0x10004), 4, np.uint64(0xDEADBEEF)) == 0
    assert m.read(0x10000, 8) == bytes([0, 1, 2, 0xAB, 0xDE, 0xAD, 0xBE, 0xEF])


def test_python_access_across_pages():
    m = MEM.Memory()
    m.map(0x2000, 3 * 8192)
    data = bytes((i * 7) & 0xFF for i in range(20000))
    m.write(0x2000 + 100, data)
    assert m.read(0x2000 + 100, len(data)) == data
    m.write_u64(0x3FFC, 0x1122334455667788)          # straddles a page boundary
    assert m.read_u64(0x3FFC) == 0x1122334455667788
    m.write(0x5000, b"hello\0world")
    assert m.read_cstr(0x5000) == b"hello"


def _touch(m, addr, kind=MEM.KIND_READ):
    """An access as the engine and the SE kernel do it: a fault on a page of a mapped
    region makes the page and the access is retried."""
    v, st = MEM.load(m.M, np.uint64(addr), 8, kind)
    if st == MEM.FAULT and m.fault_in(addr):
        v, st = MEM.load(m.M, np.uint64(addr), 8, kind)
    return st


def test_syscall_emulation_memory_faults_where_nothing_is_mapped():
    m = MEM.Memory()
    m.map(0x100000, 8192, MEM.PERM_R)
    assert _touch(m, 0x100008) == 0
    assert _touch(m, 0x200000) == MEM.FAULT
    assert not m.fault_in(0x200000)
    assert MEM.store(m.M, np.uint64(0x100008), 8, np.uint64(1)) == MEM.FAULT   # read-only
    assert not m.fault_in(0x100008)                  # made already: a protection fault
    assert MEM.load(m.M, np.uint64(0x100008), 4, MEM.KIND_FETCH)[1] == MEM.FAULT
    assert m.protect(0x100000, 8192, MEM.PERM_R | MEM.PERM_W)
    assert MEM.store(m.M, np.uint64(0x100008), 8, np.uint64(1)) == 0
    m.unmap(0x100000, 8192)
    assert _touch(m, 0x100008) == MEM.FAULT
    with pytest.raises(MEM.MemFault):
        m.read(0x100008, 1)


def test_mapped_pages_are_made_at_first_touch():
    m = MEM.Memory()
    base = 0x7F00_0000_0000
    m.map(base, 8 << 20, MEM.PERM_R | MEM.PERM_W)    # a thread stack: 1024 pages
    assert m.pages_used() == 0
    assert m.mapped_pages(base, 8 << 20) == 1024
    assert m.read(base + 12345, 16) == bytes(16)     # untouched pages read as zeros...
    assert m.pages_used() == 0                       # ...without being made
    assert _touch(m, base + (5 << 13) + 8, MEM.KIND_WRITE) == 0
    assert m.pages_used() == 1
    m.write_u64(base + (9 << 13), 7)                 # a syscall writing guest memory
    assert m.read_u64(base + (9 << 13)) == 7 and m.pages_used() == 2
    # a guard page in the middle: protect splits the region, the rest keeps its perm
    assert m.protect(base + (100 << 13), 8192, 0)
    assert m.page_perm(base + (100 << 13)) == 0
    assert m.page_perm(base + (99 << 13)) == MEM.PERM_R | MEM.PERM_W
    assert m.page_perm(base + (101 << 13)) == MEM.PERM_R | MEM.PERM_W
    assert _touch(m, base + (100 << 13)) == MEM.FAULT          # PROT_NONE
    # unmapping a hole: the pages around it stay, the hole is free again
    m.unmap(base + (200 << 13), 16 << 13)
    assert m.mapped_pages(base, 8 << 20) == 1024 - 16
    assert not m.is_mapped(base + (205 << 13)) and m.is_mapped(base + (216 << 13))
    assert m.mapped_end(base + (200 << 13), 16 << 13) == 0
    assert m.mapped_end(base + (190 << 13), 16 << 13) == base + (200 << 13)
    assert not m.protect(base + (199 << 13), 2 << 13, MEM.PERM_R)   # half in the hole
    assert m.page_perm(base + (199 << 13)) == MEM.PERM_R | MEM.PERM_W
    m.unmap(base, 8 << 20)
    assert m.mapped_pages(base, 8 << 20) == 0 and m.pages_used() == 0


def test_physical_memory_allocates_on_touch_and_grows():
    m = MEM.Memory(alloc_on_touch=True, capacity_pages=4, hash_size=8)
    addrs = [np.uint64((k * 0x3_0000_2000 + 0x18) & 0xFF_FFFF_FFF8) for k in range(40)]
    for k, a in enumerate(addrs):
        while True:
            st = MEM.store(m.M, a, 8, np.uint64(k + 1))
            if st != MEM.GROW:
                break
            m.grow()
        assert st == 0
    for k, a in enumerate(addrs):
        v, st = MEM.load(m.M, a, 8, MEM.KIND_READ)
        assert st == 0 and int(v) == k + 1
    assert m.pages_used() == 40                      # only what was touched


def test_mmio_windows_are_reported_not_allocated():
    m = MEM.Memory(alloc_on_touch=True)
    m.add_mmio(0x1F10000000, 0x1000, object())
    assert MEM.load(m.M, np.uint64(0x1F10000008), 8, MEM.KIND_READ)[1] == MEM.MMIO
    assert MEM.store(m.M, np.uint64(0x1F10000000), 1, np.uint64(65)) == MEM.MMIO
    base, dev = m.mmio_device(0x1F10000008)
    assert base == 0x1F10000000 and dev is not None
    assert m.pages_used() == 0


def test_python_reads_of_untouched_memory_make_no_page():
    """Reading memory from Python (a stats reader, a console dump, a checkpoint) changes
    nothing: an untouched page of a region, or of memory allocated on touch, reads as
    zeros without being made; outside every region it is a fault, as for the strands."""
    m = MEM.Memory(alloc_on_touch=True)
    m.add_region(0x100000, 0x200000, MEM.PERM_RWX)
    far = 0x4000_0000
    m.add_region(far, 0x2000, MEM.PERM_RWX)
    assert m.read(0x180000, 16) == bytes(16)
    assert m.read(far + 8, 8) == bytes(8)
    assert m.pages_used() == 0
    with pytest.raises(MEM.MemFault):
        m.read(0x8000_0000, 8)
    se = MEM.Memory(alloc_on_touch=True)
    assert se.read(0x1234_0000, 4) == bytes(4) and se.pages_used() == 0
    m.write(0x180000, b"\x01\x02")
    assert m.read(0x180000, 3) == b"\x01\x02\x00" and m.pages_used() == 1
