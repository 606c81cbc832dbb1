"""The platform protocol the binder needs, the product table behind `ldm init`, and the
size/time syntax."""
from types import SimpleNamespace

import pytest

from ldm import products
from sun4v.machine import platforms
from ldm.errors import LdmError
from ldm.topology import PlatformTopology, Topology
from ldm.units import G, M, parse_size, parse_tod


@pytest.mark.parametrize("name, sockets, cores, strands", [
    ("T1000", 1, 8, 4), ("T2000", 1, 8, 4), ("T6300", 1, 8, 4),
    ("T5120", 1, 8, 8), ("T5220", 1, 8, 8), ("T6320", 1, 8, 8),
    ("T5140", 2, 8, 8), ("T5240", 2, 8, 8), ("T5440", 4, 8, 8),
])
def test_product_topologies(name, sockets, cores, strands):
    t = products.topology(name)
    assert (t.sockets, t.cores_per_socket, t.strands_per_core) == (sockets, cores, strands)
    assert t.strands == sockets * cores * strands
    assert t.ram_ranges == tuple((r.base, r.size) for r in
                                 platforms.platform(name).ram_ranges())
    assert t.reserved_ranges == ((0, 128 * M),)


def test_numbering():
    t = products.topology("T5440")
    assert t.core_of(255) == 31 and t.socket_of_core(31) == 3
    assert list(t.strands_of(9)) == list(range(72, 80))


def test_any_object_with_the_protocol_is_a_platform():
    p = SimpleNamespace(name="X", sockets=1, cores_per_socket=2, strands_per_core=4,
                        ram_ranges=[(0, 4 * G)], reserved_ranges=[(0, 128 * M)])
    assert isinstance(p, PlatformTopology)
    t = Topology.of(p)
    assert t.strands == 8 and t.memory == 4 * G
    with pytest.raises(LdmError, match="does not describe its topology"):
        Topology.of(SimpleNamespace(name="Y", sockets=1))


def test_bad_topologies():
    with pytest.raises(LdmError, match="strands_per_core must be a positive integer"):
        Topology("X", 1, 8, 0, ((0, G),))
    with pytest.raises(LdmError, match="RAM ranges overlap"):
        Topology("X", 1, 8, 4, ((0, 2 * G), (G, G)))
    with pytest.raises(LdmError, match="is not inside its RAM"):
        Topology("X", 1, 8, 4, ((0, G),), ((2 * G, M),))


def test_products_agree_with_the_machine_catalogue():
    for name in products.names():
        cat = Topology.of(platforms.platform(name))
        ours = products.topology(name)
        assert (cat.sockets, cat.cores_per_socket, cat.strands_per_core) == (
            ours.sockets, ours.cores_per_socket, ours.strands_per_core), name


def test_sizes_and_times():
    assert [parse_size(s) for s in ("4G", "512m", "4096K", "1073741824", "2gb", "1T")] == [
        4 * G, 512 * M, 4 * M, G, 2 * G, 1 << 40]
    for bad in ("", "G", "4X", "-1G", "1.5G"):
        with pytest.raises(LdmError, match="Invalid memory size"):
            parse_size(bad)
    assert parse_tod("08:30", "tod-begin") == 8 * 3600 + 30 * 60
    assert parse_tod("23:59:59", "tod-end") == 86399
    for bad in ("24:00", "8", "08:60", "aa:bb"):
        with pytest.raises(LdmError, match="expected hh:mm"):
            parse_tod(bad, "tod-end")
