"""The binder on platforms with the real products' counts: core affinity, whole cores,
split cores, partition IDs, aligned memory blocks, LDC channels and consoles."""
from dataclasses import replace

import pytest

from ldm import binder
from ldm.bindings import Bindings, Vcpu
from ldm.binder import GRANULE, GUEST_RA_BASE, BindError
from ldm.config import factory_default
from ldm.constraints import Constraints
from ldm.units import G, M

from ldmkit import T2000, T5220, T5240, T5440


def fd(topology=T5220):
    return factory_default(topology).bindings


def shrink_primary(b, vcpus, memory):
    c = Constraints("primary", vcpus=vcpus, memory=memory)
    return binder.rebind(b, c)


def guest(name, vcpus=0, memory=1 * G, **kw):
    return Constraints(name, vcpus=vcpus, memory=memory, **kw)


def test_factory_default_matches_suns_control_domain_layout():
    b = fd()
    p = b.get("primary")
    assert [(v.vid, v.pid) for v in p.vcpus] == [(i, i) for i in range(64)]
    assert p.gid == 0 and p.partid == 1          # Sun's configuration: domain0 partid 1
    (m,) = p.mblocks
    assert (m.ra, m.pa, m.size) == (0x8000000, 0x8000000, 32 * G - 128 * M)
    assert p.console.port is None and p.console.ino == 0x11
    eps = {(e.guest, e.channel): e for e in b.endpoints}
    hvctl, hv = eps[("primary", 0)], eps[(None, 0)]
    assert (hvctl.target_type, hvctl.target_channel, hvctl.tx_ino, hvctl.rx_ino,
            hvctl.service, hvctl.resource_id) == (1, 0, 0, 1, "hvctl", 0)
    assert (hv.target_type, hv.target_guest, hv.svc_id, hv.resource_id) == (
        0, "primary", 1, 1)
    # the DS loopback pair: channel 1 <-> channel 2, resource ids 2 and 3
    ds, mgr = eps[("primary", 1)], eps[("primary", 2)]
    assert (ds.role, ds.target_channel, ds.resource_id, ds.tx_ino, ds.rx_ino) == (
        "domain", 2, 2, 2, 3)
    assert (mgr.role, mgr.target_channel, mgr.resource_id, mgr.tx_ino) == (
        "manager", 1, 3, 4)
    assert b.problems() == []


def test_vcpus_fill_whole_cores_first_and_remainder_takes_a_whole_free_core():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("ldg1", 12))
    assert b.cores_of("ldg1") == {1: list(range(8, 16)), 2: [16, 17, 18, 19]}
    b = binder.bind(b, guest("ldg2", 4))
    # core 2 has 4 free strands, but whole cores are free: no core gets split
    assert b.cores_of("ldg2") == {3: [24, 25, 26, 27]}
    assert b.split_cores() == {}


def test_a_growing_domain_fills_its_own_core_first():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("ldg1", 4))
    b = binder.bind(b, guest("ldg2", 8))
    b = binder.rebind(b, guest("ldg1", 10))
    assert b.cores_of("ldg1") == {1: list(range(8, 16)), 3: [24, 25]}
    assert [v.vid for v in b.get("ldg1").vcpus] == list(range(10))


def test_split_cores_only_when_no_whole_core_is_free_and_are_reported():
    b = shrink_primary(fd(T2000), 4, 4 * G)             # T1: 4 strands per core
    b = binder.bind(b, guest("a", 26))                  # cores 1-6 whole, 2 on core 7
    assert b.cores_of("a")[7] == [28, 29]
    b = binder.bind(b, guest("b", 1))
    assert b.cores_of("b") == {7: [30]}
    assert b.split_cores() == {7: ("a", "b")}
    assert b.get("a").partid != b.get("b").partid
    assert b.problems() == []


def test_removal_keeps_whole_cores_whole_and_vid0_and_kept_vids():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("ldg1", 20))               # cores 1, 2 whole + 4 on core 3
    before = {v.pid: v.vid for v in b.get("ldg1").vcpus}
    b = binder.rebind(b, guest("ldg1", 14))
    cores = b.cores_of("ldg1")
    assert cores == {1: list(range(8, 16)), 2: [16, 17, 18, 19, 20, 21]}
    assert all(before[v.pid] == v.vid for v in b.get("ldg1").vcpus)
    assert 0 in [v.vid for v in b.get("ldg1").vcpus]
    b = binder.rebind(b, guest("ldg1", 16))             # new vCPUs take the lowest vids
    assert sorted(v.vid for v in b.get("ldg1").vcpus) == list(range(16))


def test_removal_order_leaves_vid0_last():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("ldg1", 3))
    order = binder.removal_order(b, "ldg1")
    assert order[-1] == b.get("ldg1").vcpus[0].pid
    b = binder.rebind(b, guest("ldg1", 1))
    assert [v.vid for v in b.get("ldg1").vcpus] == [0]


def test_whole_core_domains_get_only_whole_cores():
    b = shrink_primary(fd(), 4, 4 * G)                  # primary: half of core 0
    b = binder.bind(b, Constraints("wc", whole_core=True, cores=2, memory=G))
    assert sorted(b.cores_of("wc")) == [1, 2]
    assert all(len(p) == 8 for p in b.cores_of("wc").values())
    # leave only partial cores free: a whole-core domain cannot bind
    b = binder.bind(b, guest("filler", 5 * 8 - 1))
    assert b.free_strands() and not any(
        len([p for p in range(c * 8, c * 8 + 8) if p in b.free_strands()]) == 8
        for c in range(8))
    with pytest.raises(BindError, match="whole cores needed"):
        binder.bind(b, Constraints("wc2", whole_core=True, cores=1, memory=G))


def test_named_cores_are_exactly_those_and_must_be_free():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, Constraints("wc", whole_core=True, named_cores=(5, 3), cores=2,
                                   memory=G))
    assert sorted(b.cores_of("wc")) == [3, 5]
    with pytest.raises(BindError, match="Core 0 is not free: bound to primary"):
        binder.bind(b, Constraints("x", whole_core=True, named_cores=(0,), cores=1,
                                   memory=G))
    with pytest.raises(BindError, match="Core 9 does not exist"):
        binder.bind(b, Constraints("x", whole_core=True, named_cores=(9,), cores=1,
                                   memory=G))


def test_growth_avoids_cores_where_another_domain_has_its_partid():
    b = shrink_primary(fd(T2000), 4, 4 * G)
    b = binder.bind(b, guest("a", 2))                   # core 1, partid 1
    b = binder.bind(b, guest("b", 2))                   # core 2 (whole free), partid 1
    b = binder.bind(b, guest("c", 20))                  # cores 3-7
    b = binder.bind(b, guest("d", 1))                   # core 1 beside a -> partid 2
    b = binder.bind(b, guest("e", 1))                   # core 2 beside b -> partid 2
    assert (b.get("d").partid, b.get("e").partid) == (2, 2)
    assert b.cores_of("d") == {1: [6]} and b.cores_of("e") == {2: [10]}
    b = binder.rebind(b, guest("d", 2))                 # own core first: strand 7
    assert b.cores_of("d") == {1: [6, 7]}
    assert b.free_strands() == [11]                     # on core 2, where e has partid 2
    with pytest.raises(BindError, match="Not enough free vCPUs"):
        binder.rebind(b, guest("d", 3))
    assert b.problems() == []


def test_guest_memory_is_aligned_and_real_addresses_contiguous():
    b = shrink_primary(fd(), 8, 4 * G + 128 * M)        # primary ends on 4.25G
    b = binder.bind(b, guest("ldg1", 8, 3 * G))
    (m,) = b.get("ldg1").mblocks
    assert m.pa % GRANULE == 0 and m.ra == GUEST_RA_BASE and m.size == 3 * G
    assert m.pa == 0x8000000 + 4 * G + 128 * M          # first fit, already aligned
    b = binder.rebind(b, guest("ldg1", 8, 4 * G))       # grows in place: one block
    assert [(x.ra, x.size) for x in b.get("ldg1").mblocks] == [(GUEST_RA_BASE, 4 * G)]
    b = binder.rebind(b, guest("ldg1", 8, 1 * G))       # shrinks from the top
    assert [(x.ra, x.pa, x.size) for x in b.get("ldg1").mblocks] == [
        (GUEST_RA_BASE, m.pa, 1 * G)]


def test_fragmented_memory_gives_several_blocks_with_contiguous_ras():
    b = shrink_primary(fd(), 8, 4 * G + 128 * M)
    for n in ("a", "b", "c"):
        b = binder.bind(b, guest(n, 1, 1 * G))
    b = binder.bind(b, guest("filler", 1, 23 * G + 768 * M))   # leaves 1G at the top
    b = binder.unbind(b, "b")                           # a 1G hole between a and c
    free = b.free_memory()
    assert [s for _, s in free] == [1 * G, 1 * G]
    b = binder.bind(b, guest("d", 1, 2 * G))
    blocks = sorted(b.get("d").mblocks, key=lambda x: x.ra)
    assert [x.size for x in blocks] == [1 * G, 1 * G]
    assert blocks[0].pa == free[0][0]                   # the hole first (address order)
    assert blocks[1].ra == blocks[0].ra + blocks[0].size
    assert all(x.pa % GRANULE == 0 and x.ra % GRANULE == 0 for x in blocks)


def test_unaligned_free_space_is_not_used_for_guests():
    b = shrink_primary(fd(), 8, 4 * G)                  # primary ends at 4G+128M
    start = 0x8000000 + 4 * G
    assert b.free_memory()[0][0] == start
    b = binder.bind(b, guest("g", 1, 256 * M))
    assert b.get("g").mblocks[0].pa == start + 128 * M  # rounded up to 256M


def test_not_enough_memory_names_need_and_free():
    b = shrink_primary(fd(), 8, 28 * G)
    with pytest.raises(BindError, match=r"8G needed, 3840M free"):
        binder.bind(b, guest("big", 1, 8 * G))


def test_named_mblocks():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("n", 1, 0, named_mblocks=((0x400000000, G),)))
    (m,) = b.get("n").mblocks
    assert (m.pa, m.ra, m.size) == (0x400000000, GUEST_RA_BASE, G)
    with pytest.raises(BindError, match="is not free"):
        binder.bind(b, guest("o", 1, 0, named_mblocks=((0x400000000, G),)))
    with pytest.raises(BindError, match="aligned"):
        binder.bind(b, guest("o", 1, 0, named_mblocks=((0x500000000 + M, G),)))


def test_two_socket_and_four_socket_platforms():
    b = shrink_primary(fd(T5440), 8, 16 * G)
    assert b.topology.strands == 256
    b = binder.bind(b, guest("big", 200, 40 * G))
    assert len(b.get("big").vcpus) == 200
    # 40G is more than what is left on socket 0: the blocks come from two sockets
    sockets = {m.pa // 0x20_0000_0000 for m in b.get("big").mblocks}
    assert sockets == {0, 1}
    assert b.problems() == []
    b2 = shrink_primary(fd(T5240), 16, 8 * G)
    b2 = binder.bind(b2, guest("x", 64, 8 * G))
    assert sorted(b2.cores_of("x")) == list(range(2, 10))   # crosses into socket 1


def test_every_domain_gets_a_ds_channel_ending_in_primary():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("ldg1", 4))
    b = binder.bind(b, guest("ldg2", 4))
    for n in ("primary", "ldg1", "ldg2"):
        mgr, dom = b.ds_pair(n)
        assert mgr.guest == "primary" and mgr.role == "manager"
        assert dom.guest == n and dom.role == "domain"
        assert (dom.target_guest, dom.target_channel) == ("primary", mgr.channel)
        assert (mgr.target_guest, mgr.target_channel) == (n, dom.channel)
    assert b.ds_pair("ldg1")[1].channel == 0 and b.ds_pair("ldg1")[0].channel == 3
    assert b.ds_pair("ldg2")[0].channel == 4
    b = binder.unbind(b, "ldg1")
    assert all(e.guest != "ldg1" and e.target_guest != "ldg1" for e in b.endpoints)
    b = binder.bind(b, guest("ldg3", 1))
    assert b.ds_pair("ldg3")[0].channel == 3            # the freed channel, reused
    assert b.problems() == []


def test_console_ports_in_bind_order_reused_and_constrained():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("a", 1))
    b = binder.bind(b, guest("b", 1))
    assert (b.get("a").console.port, b.get("b").console.port) == (5000, 5001)
    b = binder.unbind(b, "a")
    b = binder.bind(b, guest("c", 1))
    assert b.get("c").console.port == 5000
    b = binder.bind(b, guest("d", 1, console_port=5050))
    assert b.get("d").console.port == 5050
    with pytest.raises(BindError, match="5050 is already in use"):
        binder.bind(b, guest("e", 1, console_port=5050))


def test_binding_is_deterministic():
    def run():
        b = shrink_primary(fd(T5240), 12, 6 * G)
        for i, n in enumerate([5, 17, 3, 9]):
            b = binder.bind(b, guest(f"g{i}", n, (i + 1) * G))
        b = binder.unbind(b, "g1")
        return binder.rebind(b, guest("g2", 11, 3 * G))
    assert run() == run()


def test_problems_catches_a_strand_in_two_domains():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("ldg1", 2))
    bad = b.with_domain(replace(b.get("ldg1"), vcpus=(Vcpu(0, 0), Vcpu(1, 9))))
    assert any("strand 0 bound to primary and ldg1" in p for p in bad.problems())


def test_problems_catches_memory_overlap_and_broken_channels():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("ldg1", 2))
    m = b.get("ldg1").mblocks[0]
    bad = b.with_domain(replace(b.get("ldg1"), mblocks=(replace(m, pa=0x8000000),)))
    assert any(p.startswith("memory at 0x8000000 bound to") for p in bad.problems())
    bad2 = replace(b, endpoints=tuple(e for e in b.endpoints if e.role != "manager"
                                      or e.target_guest != "ldg1"))
    assert any("no matching peer" in p for p in bad2.problems())


def test_unbinding_primary_with_guests_is_refused_and_guests_need_primary():
    b = shrink_primary(fd(), 8, 4 * G)
    b = binder.bind(b, guest("ldg1", 2))
    with pytest.raises(Exception, match="other domains are bound"):
        binder.unbind(b, "primary")
    empty = Bindings(T5220)
    with pytest.raises(BindError, match="control domain primary is not bound"):
        binder.bind(empty, guest("ldg1", 1))
