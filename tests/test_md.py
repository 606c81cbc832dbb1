"""The machine description codec (sun4v/hypervisor_fw/md.py, md_text.py) and `sun4v md`.

Checked against Sun's published T1 legion configuration in mdgen's binary layout
(tests/md/, made by an independent writer: tests/md/README.md), against an OpenBSD
ldomctl-style layout, and on random and mutated inputs."""
import io
import os
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sun4v.cli import main
from sun4v.hypervisor_fw import md_names
from sun4v.hypervisor_fw.md import (
    LIST_END, MD, NODE, NODE_END, NOOP, PROP_ARC, PROP_DATA, PROP_STR, Layout,
    MDError, Node, decode, encode, link, split_strings, string_list)
from sun4v.hypervisor_fw.md_text import from_text, to_text

HERE = Path(__file__).parent / "md"
HV_BIN = (HERE / "t1_legion_2g-hv.bin").read_bytes()
GUEST_BIN = (HERE / "t1_legion_2g-guest.bin").read_bytes()


def header(blob):
    return struct.unpack_from(">IIII", blob)


def blocks(blob):
    _, n, m, d = header(blob)
    return blob[16:16 + n], blob[16 + n:16 + n + m], blob[16 + n + m:]


def elements(blob):
    nb = blocks(blob)[0]
    return [struct.unpack_from(">BBHIQ", nb, k) for k in range(0, len(nb), 16)]


def put_element(blob, i, tag, nlen, resv, noff, val):
    b = bytearray(blob)
    struct.pack_into(">BBHIQ", b, 16 + i * 16, tag, nlen, resv, noff, val)
    return bytes(b)


def names_of(nodes):
    return [n.name for n in nodes]


def assert_exact(blob):
    """decode -> encode and decode -> text -> build both give `blob` back."""
    md = decode(blob)
    assert encode(md) == blob
    text = to_text(md)
    again = from_text(text)
    assert encode(again) == blob
    assert to_text(again) == text
    return md


# ---- Sun's hypervisor MD (t1_legion_2g_hv.desc) ----------------------------------------------
def test_hv_md_decodes_to_suns_values():
    md = decode(HV_BIN)
    assert md.layout is None
    assert len(md.nodes) == 24
    root = md.nodes[0]
    assert root.name == "root" and md.root is root
    assert root["content-version"] == 0x1_0000_0000
    assert root["stick-frequency"] == 0x4C4B400
    assert root["hvuart"] == 0xFFF0C2C000 and root["tod"] == 0xFFF0D22000
    assert names_of(root.fwd) == ["platform", "guests", "cpus", "memory", "maus", "cwqs",
                                  "devices", "ldc_endpoints", "consoles", "frag_space"]
    guest = md.find_one("guest")
    assert guest["name"] == "domain0" and guest["pid"] == 1 and guest["gid"] == 0
    assert guest["mdpa"] == 0x1F12000000
    assert (guest["rombase"], guest["romsize"]) == (0xFFF0080000, 0x80000)
    assert (guest["nvbase"], guest["nvsize"], guest["diskpa"]) == (
        0x1F11000000, 0x2000, 0x1F40000000)
    assert names_of(guest.fwd) == ["virtual_devices", "channel_devices", "pcie_bus", "cpu",
                                   "mblock", "ldc_endpoint", "ldc_endpoint", "ldc_endpoint",
                                   "console", "snet"]
    assert guest.back == [md.find_one("guests")]
    cpu = md.find_one("cpu")
    assert [cpu[k] for k in ("pid", "vid", "resource_id", "gid", "partid")] == [0, 0, 0, 0, 1]
    assert names_of(cpu.back) == ["cpus", "guest"]
    mb = md.find_one("mblock")
    assert (mb["membase"], mb["memsize"], mb["realbase"]) == (0x80000000,) * 3
    eps = md.find("ldc_endpoint")
    assert len(eps) == 4
    hvctl_guest = [e for e in eps if e.get("target_type") == 1]
    assert len(hvctl_guest) == 1
    e = hvctl_guest[0]
    assert (e["channel"], e["tx-ino"], e["rx-ino"], e["server_name"]) == (0, 0, 1, "hvctl")
    hv_end = [e for e in eps if "svc_id" in e]
    assert len(hv_end) == 1 and hv_end[0]["svc_id"] == 1
    assert hv_end[0] not in guest.fwd and names_of(hv_end[0].back) == ["ldc_endpoints"]
    pairs = {(e["channel"], e.get("target_channel")) for e in eps if e["target_type"] == 0
             and "svc_id" not in e}
    assert pairs == {(1, 2), (2, 1)}
    assert md.find_one("frag_mblock")["size"] == 0x180000
    assert md.find_one("console")["uartbase"] == 0x1F10000000
    # every node but root hangs off a list or the guest through a back arc
    assert all(n.back for n in md.nodes[1:])
    assert len(md.walk()) == 24


def test_hv_md_has_mdgens_layout():
    """The layout decisions of mdgen's output_bin.c, checked on the bytes themselves."""
    md = decode(HV_BIN)
    version, node_sz, name_sz, data_sz = header(HV_BIN)
    assert version == 0x00010000
    nelem = sum(2 + len(n.props) for n in md.nodes) + 1
    assert node_sz == 16 * nelem
    assert name_sz % 16 == 0 and (16 + node_sz + name_sz) % 16 == 0
    nb, names, data = blocks(HV_BIN)
    # names: each distinct name once, NUL-terminated, padding zeros at the end only
    distinct = list(dict.fromkeys(s for n in md.nodes
                                  for s in [n.name] + [p.name for p in n.props]))
    assert names.rstrip(b"\0") + b"\0" == b"".join(s.encode() + b"\0" for s in distinct)
    # data: strings unshared, each at a multiple of 8, no padding after the last
    assert data.count(b"domain0\0") == 7
    offsets = [e[4] & 0xFFFFFFFF for e in elements(HV_BIN) if e[0] == ord("s")]
    assert all(off % 8 == 0 for off in offsets) and sorted(offsets) == offsets
    assert data.endswith(b"domain0\0")
    # NODE points at the next NODE, the last at LIST_END; NODE_END and LIST_END all zero
    els = elements(HV_BIN)
    nodes = [i for i, e in enumerate(els) if e[0] == NODE]
    assert [els[i][4] for i in nodes] == nodes[1:] + [len(els) - 1]
    assert all(e[1:] == (0, 0, 0, 0) for e in els if e[0] in (NODE_END, LIST_END))
    assert els[-1][0] == LIST_END


# ---- Sun's guest MD (t1_legion_2g_guest.desc) -----------------------------------------------
def test_guest_md_decodes_to_suns_values():
    md = assert_exact(GUEST_BIN)
    assert md.layout is None and len(md.nodes) == 52
    assert md.root["content-version"] == "1.0"
    cpu = md.find_one("cpu")
    assert cpu.strings("compatible") == ["SUNW,UltraSPARC-T1", "SUNW,sun4v-cpu", "sun4v"]
    assert cpu.strings("isalist")[:2] == ["sparcv9", "sparcv8plus"]
    assert cpu["compatible"] == b"SUNW,UltraSPARC-T1\0SUNW,sun4v-cpu\0sun4v\0"
    assert cpu["mmu-type"] == "sun4v" and cpu.strings("mmu-type") == ["sun4v"]
    assert (cpu["mmu-#va-bits"], cpu["mmu-max-#tsbs"], cpu["mmu-page-size-list"]) == (
        48, 4, 0x2B)
    assert [cpu[f"q-{q}-#bits"] for q in ("cpu-mondo", "dev-mondo", "resumable",
                                          "nonresumable")] == [8, 8, 8, 8]
    assert cpu["clock-frequency"] == 80_000_000
    units = cpu.fwd
    assert [u.strings("type") for u in units] == [
        ["ifetch"], ["integer", "integer-load", "integer-store", "fp-load", "fp-store"],
        ["fp"]]
    l1i = units[0].fwd[0]
    assert l1i.strings("type") == ["instn"] and (l1i["size"], l1i["line-size"]) == (
        0x4000, 0x20)
    l2 = l1i.fwd[0]
    assert l2["level"] == 2 and l2.strings("type") == ["instn", "data"]
    assert l2["size"] == 3 * 1024 * 1024
    mb = md.find_one("mblock")
    assert (mb["base"], mb["size"]) == (0x80000000, 0xC0000000)
    pf = md.find_one("platform")
    assert pf["name"] == "SUNW,Sun-Fire-T200" and pf["hostid"] == 0x83F9EDF0
    assert pf["watchdog-max-timeout"] == 0x757B12C00 and pf["max-cpus"] == 32
    io = md.find_one("iodevice")
    assert io["#msi"] == 0x100
    assert io["address-ranges"] == bytes.fromhex(
        "000000c810000000" "0000000010000000" "000000ca00000000" "000000007fff0000"
        "000000cc00000000" "00000003ffff0000")
    disk0 = [v for v in md.find("virtual-device") if v.get("cfg-handle") == 0
             and v.get("name") == "disk"][0]
    assert disk0["interrupt-priorities"] == b"\x04"      # mdgen: { 4 } is one byte
    eps = md.find("channel-endpoint")
    port = [p for p in md.find("virtual-device-port") if p["vldc-svc-name"] == "hvctl"][0]
    assert port.fwd[0] in eps and (port.fwd[0]["tx-ino"], port.fwd[0]["rx-ino"]) == (0, 1)
    _, _, data = blocks(GUEST_BIN)
    assert data.count(b"disk-virtual-device\0") == 8          # no sharing of data


def test_md_names_match_suns_mds():
    """md_names' tables list exactly the properties of Sun's legion HV MD, and every
    property the guest MD has on the nodes they cover."""
    hv = decode(HV_BIN)
    for node in hv.nodes:
        table = md_names.HV_MD[md_names.HvNode(node.name)]
        props = [p.name for p in node.props if p.tag != PROP_ARC]
        assert set(props) <= set(table), node.name
    seen = {(n.name, p.name) for n in hv.nodes for p in n.props if p.tag != PROP_ARC}
    assert {(n, p) for n, ps in md_names.HV_MD.items() for p in ps} == seen
    guest = decode(GUEST_BIN)
    covered = {(n.name, p.name) for n in guest.nodes if n.name in md_names.GUEST_MD
               for p in n.props if p.tag != PROP_ARC}
    table = {(n, p) for n, ps in md_names.GUEST_MD.items() for p in ps}
    assert covered <= table
    assert table - covered == {("mblock", "address-congruence-offset"),    # Linux init_64.c
                               ("domain-services-port", "id")}            # illumos ds
    assert md_names.GuestNode.DOMAIN_SERVICES_PORT not in {n.name for n in guest.nodes}
    assert hv.root["content-version"] == md_names.HV_CONTENT_VERSION
    assert guest.root["content-version"] == md_names.GUEST_CONTENT_VERSION


# ---- round trips -----------------------------------------------------------------------------
def test_fixtures_round_trip_through_text():
    for blob in (HV_BIN, GUEST_BIN):
        assert_exact(blob)


def test_text_labels_name_the_node_index_and_arcs_name_their_target():
    text = to_text(decode(HV_BIN))
    assert "node root@0 {" in text
    els = elements(HV_BIN)
    platform = els[0][4]                       # root's next node is platform
    assert f"node platform@{platform} {{" in text
    assert f"\tfwd -> platform@{platform};" in text
    assert '\tname = "domain0";' in text and "\tmdpa = 0x1f12000000;" in text
    assert "\nlayout {" not in text and "canonical (mdgen) layout" in text


def test_handwritten_text_builds_and_redumps_stably():
    text = """
        // a guest MD fragment, labels are only labels here
        node root@100 { fwd -> cpus@7; }
        node cpus@7 { back -> root@100; fwd -> "cpu"@3; }
        node cpu@3 {
            id = 0;  clock-frequency = 1200000000;
            compatible = { "SUNW,UltraSPARC-T2", "SUNW,sun4v-cpu", "sun4v" };
            isalist = { "sparcv9", 0x0a, 0x0102, x"ff00" };   /* mixed data */
            mmu-type = "sun\\x34v\\"x\\"";
            back -> cpus@7;
        }
    """
    md = from_text(text)
    blob = encode(md)
    dumped = to_text(decode(blob))
    assert encode(from_text(dumped)) == blob
    assert to_text(from_text(dumped)) == dumped
    cpu = decode(blob).find_one("cpu")
    assert cpu["clock-frequency"] == 1_200_000_000
    assert cpu["isalist"] == b"sparcv9\0\x0a\x01\x02\xff\x00"
    assert cpu["mmu-type"] == 'sun4v"x"'
    assert "node cpu@7 {" in dumped and "fwd -> cpu@7;" in dumped


def test_built_md_api():
    md = MD()
    root = md.add_node("root")
    cpus = md.add_node("cpus")
    link(root, cpus)
    cpu = md.add_node("cpu", [("id", 5), ("compatible", ["a", "b"])])
    link(cpus, cpu)
    cpu.set("id", 6)
    cpu.add("blob", b"\x00\x01")
    assert cpu["id"] == 6 and cpu.strings("compatible") == ["a", "b"]
    assert cpu.back == [cpus] and md.walk() == [root, cpus, cpu]
    assert md.element_index() == {root: 0, cpus: 3, cpu: 7}
    again = decode(encode(md))
    assert again.same_content(md) and again.layout is None
    md.remove_node(cpu)
    assert cpus.fwd == [] and len(decode(encode(md)).nodes) == 2
    with pytest.raises(MDError, match="64 bits"):
        cpu.add("x", 1 << 64)
    with pytest.raises(MDError, match="NUL"):
        cpu.add("x", "a\0b")
    with pytest.raises(MDError, match="255"):
        Node("n" * 256)
    stray = Node("stray")
    root.add("fwd", stray)
    with pytest.raises(MDError, match="not in this MD"):
        encode(md)
    assert split_strings(string_list(["x", "", "y"])) == ["x", "", "y"]


# ---- other layouts ---------------------------------------------------------------------------
def openbsd_style(md):
    """An MD laid out as OpenBSD ldomctl's md_exhume does it: names and equal data shared,
    each data value at a multiple of 16, both blocks rounded up to 16."""
    index = md.element_index()
    names, data = {}, {}
    for n in md.nodes:
        names.setdefault(n.name.encode() + b"\0", None)
        for p in n.props:
            names.setdefault(p.name.encode() + b"\0", None)
            if p.tag in (PROP_STR, PROP_DATA):
                v = p.value.encode() + b"\0" if p.tag == PROP_STR else p.value
                data.setdefault(v, None)
    nblock = bytearray()
    for s in names:
        names[s] = len(nblock)
        nblock += s
    nblock += bytes(-len(nblock) % 16)
    dblock = bytearray()
    for s in data:
        data[s] = len(dblock)
        dblock += s + bytes(-len(s) % 16)
    out = bytearray()
    count = sum(2 + len(n.props) for n in md.nodes)
    for k, n in enumerate(md.nodes):
        nxt = index[md.nodes[k + 1]] if k + 1 < len(md.nodes) else count
        out += struct.pack(">BBHIQ", NODE, len(n.name), 0, names[n.name.encode() + b"\0"], nxt)
        for p in n.props:
            noff = names[p.name.encode() + b"\0"]
            if p.tag in (PROP_STR, PROP_DATA):
                v = p.value.encode() + b"\0" if p.tag == PROP_STR else p.value
                out += struct.pack(">BBHIII", p.tag, len(p.name), 0, noff, len(v), data[v])
            else:
                val = index[p.value] if p.tag == PROP_ARC else p.value
                out += struct.pack(">BBHIQ", p.tag, len(p.name), 0, noff, val)
        out += struct.pack(">BBHIQ", NODE_END, 0, 0, 0, 0)
    out += bytes(16)
    return struct.pack(">IIII", 0x10000, len(out), len(nblock), len(dblock)) + bytes(
        out + nblock + dblock)


def test_openbsd_layout_is_recorded_and_reproduced():
    sun = decode(GUEST_BIN)
    blob = openbsd_style(sun)
    assert blob != GUEST_BIN
    md = assert_exact(blob)
    assert md.same_content(sun)
    L = md.layout
    assert L.name_block is None                       # same names, same order as mdgen
    assert (L.data_shared, L.data_align, L.data_at) == (True, 16, {})
    text = to_text(md)
    assert "layout {" in text and "data-sharing = 1;" in text and "data-align = 16;" in text
    # without its layout section the text builds mdgen's layout
    assert encode(from_text(text.split("\nlayout {")[0])) == GUEST_BIN


def test_noops_reserved_fields_and_tail_are_reproduced():
    md = decode(HV_BIN)
    md.layout = Layout(noops=(0, 5, 6, 40))
    blob = encode(md)
    els = elements(blob)
    assert [els[i][0] for i in (0, 5, 6, 40)] == [NOOP] * 4
    again = assert_exact(blob)
    assert again.layout.noops == (0, 5, 6, 40) and again.same_content(md)
    idx = again.element_index()
    assert all(els[i][0] == NODE for i in idx.values())
    # arcs still point at the right nodes after the shift
    assert names_of(again.root.fwd)[:3] == ["platform", "guests", "cpus"]
    # a reserved field, junk in a NODE_END and a node-block tail
    b = put_element(HV_BIN, 1, *elements(HV_BIN)[1][:2], 0x1234, *elements(HV_BIN)[1][3:])
    end = next(i for i, e in enumerate(elements(b)) if e[0] == NODE_END)
    b = put_element(b, end, NODE_END, 7, 0, 99, 1)
    _, n, m, d = header(b)
    b = struct.pack(">IIII", 0x10000, n + 16, m, d) + b[16:16 + n] + b"\xee" * 16 + b[16 + n:]
    md = assert_exact(b)
    assert set(md.layout.raw) == {1, end} and md.layout.node_tail == b"\xee" * 16


def test_stale_layout_is_an_error_until_dropped():
    md = decode(openbsd_style(decode(HV_BIN)))
    md.find_one("guest").set("name", "primary")
    with pytest.raises(MDError, match="layout: element .*primary"):
        encode(md)
    md.layout = None
    assert decode(encode(md)).find_one("guest")["name"] == "primary"


# ---- malformed input -------------------------------------------------------------------------
def _first(blob, tag):
    return next(i for i, e in enumerate(elements(blob)) if e[0] == tag)


def _mutate_element(i_of, **fields):
    def f(b):
        i = i_of(b)
        tag, nlen, resv, noff, val = elements(b)[i]
        e = dict(tag=tag, nlen=nlen, resv=resv, noff=noff, val=val)
        e.update(fields)
        return put_element(b, i, e["tag"], e["nlen"], e["resv"], e["noff"], e["val"])
    return f


def _header(**fields):
    def f(b):
        v, n, m, d = header(b)
        h = dict(v=v, n=n, m=m, d=d)
        h.update(fields)
        return struct.pack(">IIII", h["v"], h["n"], h["m"], h["d"]) + b[16:]
    return f


def _str_elem(b):
    return _first(b, ord("s"))


MALFORMED = [
    ("empty", lambda b: b"", "truncated: 0 bytes"),
    ("short header", lambda b: b[:15], "shorter than the 16-byte header"),
    ("version", _header(v=0x00020000), "transport version 0x00020000"),
    ("node size", _header(n=header(HV_BIN)[1] + 8), "not a multiple of 16"),
    ("sizes too big", _header(d=header(HV_BIN)[3] + 1), "truncated: the header's block"),
    ("trailing bytes", lambda b: b + b"\0", "1 bytes after the data block"),
    ("truncated file", lambda b: b[:-1], "truncated"),
    ("no LIST_END", _mutate_element(lambda b: len(elements(b)) - 1, tag=NOOP),
     "no LIST_END"),
    ("no NODE_END", _mutate_element(lambda b: _first(b, NODE_END), tag=NOOP),
     "NODE inside the node at element 0"),
    ("last NODE_END gone", _mutate_element(lambda b: len(elements(b)) - 2, tag=NOOP),
     "LIST_END inside the node"),
    ("stray NODE_END", _mutate_element(lambda b: _first(b, NODE_END) + 1, tag=NODE_END),
     "NODE_END outside any node"),
    ("property outside", _mutate_element(lambda b: 0, tag=ord("v")), "outside any node"),
    ("unknown tag", _mutate_element(lambda b: 1, tag=ord("x")), "unknown tag 0x78"),
    ("name offset", _mutate_element(lambda b: 1, noff=0x10000), "runs past the name block"),
    ("name length", _mutate_element(lambda b: 1, nlen=3), "name length 3 does not match"),
    ("arc to non-node", _mutate_element(lambda b: _first(b, PROP_ARC), val=1),
     "points to element 1, which is not a NODE"),
    ("arc past the end", _mutate_element(lambda b: _first(b, PROP_ARC), val=1 << 40),
     "which is not a NODE"),
    ("NODE next", _mutate_element(lambda b: 0, val=1), "NODE's next index is 1"),
    ("data offset", _mutate_element(_str_elem, val=(8 << 32) | 0xFFFF0),
     "runs past the data block"),
    ("string NUL", _mutate_element(_str_elem, val=(7 << 32)), "has no NUL terminator"),
    ("NUL in string", _mutate_element(_str_elem, val=(14 << 32)), "has a NUL inside it"),
]


@pytest.mark.parametrize("why,mutate,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input_is_one_line_mderror(why, mutate, message):
    bad = mutate(HV_BIN)
    with pytest.raises(MDError) as e:
        decode(bad)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


BAD_TEXT = [
    ("node x {", "line 1: expected '@'"),
    ("node x@1 { a = 1 }", "line 1: expected ';' after property a"),
    ("node x@1 { a = 1; }\nnode y@1 { }", "line 2: node number @1 used twice"),
    ("node x@1 {\n a -> y@2;\n}", "line 2: arc a -> y@2: no node @2"),
    ("node x@1 {\n a -> y@1;\n}", "line 2: arc a -> y@1: node @1 is 'x'"),
    ("node x@1 {\n a = 0x10000000000000000;\n}", "line 2: property 'a'"),
    ('node x@1 {\n a = "\\q";\n}', "line 2: unknown escape"),
    ('node x@1 {\n a = "abc;\n}', "line 2: string not closed"),
    ("node x@1 {\n a = { x\"abc\" };\n}", "line 2: x\"...\" needs pairs"),
    ("node x@1 {\n a = 1;\n", "node x@1 not closed"),
    ("/* open", "comment /* not closed"),
    ("nod x@1 { }", "expected 'node' or 'layout'"),
    ("node x@1 { }\nlayout {\n bogus = 1;\n}", "line 3: unknown layout entry 'bogus'"),
    ("node x@1 { }\nlayout { name @0 = 0x40; }", "name offsets or rule given without"),
    ("node x@1 { }\nlayout { noop @9; }", "NOOP at element 9 lies past the LIST_END"),
    ('node "a\\x00b"@1 { }', "line 1: node name"),
]


@pytest.mark.parametrize("text,message", BAD_TEXT)
def test_bad_text_is_one_line_mderror(text, message):
    with pytest.raises(MDError) as e:
        encode(from_text(text))
    assert message in str(e.value)
    assert "\n" not in str(e.value)


# ---- properties ------------------------------------------------------------------------------
def check_any(blob):
    """Either MDError, or an MD that reproduces `blob` exactly, in binary and through
    its text form."""
    try:
        md = decode(blob)
    except MDError as e:
        assert "\n" not in str(e)
        return
    assert encode(md) == blob
    assert encode(from_text(to_text(md))) == blob


FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=600))
def test_random_bytes_decode_or_mderror(blob):
    check_any(blob)


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_after_a_valid_header_decode_or_mderror(body):
    n = len(body) // 2 // 16 * 16
    m = (len(body) - n) // 2
    check_any(struct.pack(">IIII", 0x10000, n, m, len(body) - n - m) + body)


@FAST
@given(st.data())
def test_mutated_sun_mds_decode_or_mderror(data):
    blob = bytearray(data.draw(st.sampled_from([HV_BIN, GUEST_BIN])))
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "set", "cut", "insert"]))
        pos = data.draw(st.integers(0, len(blob) - 1))
        if kind == "flip":
            blob[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set":
            blob[pos] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del blob[pos:pos + data.draw(st.integers(1, 32))]
        else:
            blob[pos:pos] = data.draw(st.binary(min_size=1, max_size=32))
        if not blob:
            break
    check_any(bytes(blob))


@FAST
@given(st.data())
def test_mutated_elements_in_a_consistent_header_decode_or_mderror(data):
    """Mutations that keep the header's sizes true reach deep into the element checks."""
    blob = bytearray(HV_BIN)
    nelem = header(HV_BIN)[1] // 16
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, nelem - 1))
        field = data.draw(st.sampled_from([(0, 1), (1, 1), (2, 2), (4, 4), (8, 8), (12, 4)]))
        off, width = field
        val = data.draw(st.sampled_from([0, 1, 0x20, 0x45, 0x4E, 0x61, 0x64, 0x73, 0x76])
                        | st.integers(0, (1 << (8 * width)) - 1))
        val &= (1 << (8 * width)) - 1
        blob[16 + i * 16 + off:16 + i * 16 + off + width] = val.to_bytes(width, "big")
    check_any(bytes(blob))


NAMES = st.sampled_from(["id", "name", "fwd", "back", "cfg-handle", "#msi", "a b", "é",
                         "x->y", "node", "", "q\"\\"])
VALUES = st.one_of(st.integers(0, (1 << 64) - 1),
                   st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=12),
                   st.binary(max_size=20),
                   st.lists(st.text("abc,", max_size=4), max_size=3))


@st.composite
def random_mds(draw):
    md = MD()
    n = draw(st.integers(0, 6))
    nodes = [md.add_node(draw(NAMES)) for _ in range(n)]
    for node in nodes:
        for _ in range(draw(st.integers(0, 5))):
            if draw(st.booleans()):
                node.add(draw(NAMES), draw(VALUES))
            else:
                node.add(draw(NAMES), nodes[draw(st.integers(0, n - 1))])
    if draw(st.booleans()) and n:
        # a NOOP goes before one of the other elements (LIST_END last): before element j
        # (counted without NOOPs) it lands at j + the NOOPs placed before it
        total = sum(2 + len(x.props) for x in nodes) + 1
        before = sorted(draw(st.lists(st.integers(0, total - 1), max_size=3)))
        md.layout = Layout(noops=tuple(j + k for k, j in enumerate(before)))
    return md


@FAST
@given(random_mds())
def test_random_mds_round_trip(md):
    blob = encode(md)
    again = decode(blob)
    assert again.same_content(md)
    assert encode(again) == blob
    text = to_text(again)
    assert encode(from_text(text)) == blob
    assert to_text(from_text(text)) == text


# ---- the command -----------------------------------------------------------------------------
def run_cli(args, capsys):
    try:
        status = main(args)
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_dump_and_build_are_byte_exact(tmp_path, capsys):
    for blob in (HV_BIN, GUEST_BIN, openbsd_style(decode(HV_BIN))):
        src = tmp_path / "in.bin"
        src.write_bytes(blob)
        status, out, err = run_cli(["md", "dump", str(src)], capsys)
        assert (status, err) == (0, "")
        txt = tmp_path / "md.txt"
        txt.write_text(out)
        status, _, err = run_cli(["md", "build", str(txt), "-o", str(tmp_path / "out.bin")],
                                 capsys)
        assert (status, err) == (0, "")
        assert (tmp_path / "out.bin").read_bytes() == blob
        assert not [p for p in os.listdir(tmp_path) if p.startswith(".sun4v")]


def test_cli_build_reads_stdin(tmp_path, capsys, monkeypatch):
    text = to_text(decode(GUEST_BIN)).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text)))
    status, _, err = run_cli(["md", "build", "-", "-o", str(tmp_path / "g.bin")], capsys)
    assert (status, err) == (0, "") and (tmp_path / "g.bin").read_bytes() == GUEST_BIN


def test_cli_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(HV_BIN[:-3])
    status, out, err = run_cli(["md", "dump", str(bad)], capsys)
    assert status == 2 and out == ""
    assert err.startswith(f"sun4v: {bad}: truncated") and err.count("\n") == 1

    status, _, err = run_cli(["md", "dump", str(tmp_path / "missing.bin")], capsys)
    assert status == 2 and "No such file" in err and err.count("\n") == 1

    txt = tmp_path / "bad.txt"
    txt.write_text("node x@1 {\n a = ;\n}\n")
    out_bin = tmp_path / "out.bin"
    out_bin.write_bytes(b"keep")
    status, _, err = run_cli(["md", "build", str(txt), "-o", str(out_bin)], capsys)
    assert status == 2 and err == f"sun4v: {txt}: line 2: expected a value for a, found ';'\n"
    assert out_bin.read_bytes() == b"keep"              # nothing half-written

    txt.write_bytes(b"node \xff@1 { }")
    status, _, err = run_cli(["md", "build", str(txt), "-o", str(out_bin)], capsys)
    assert status == 2 and "not UTF-8" in err

    status, _, err = run_cli(["md", "build", str(txt)], capsys)
    assert status == 2 and "-o/--output" in err and err.count("\n") == 1
    status, _, err = run_cli(["md", "build", str(txt), "-o",
                              str(tmp_path / "no" / "dir.bin")], capsys)
    assert status == 2 and "does not exist" in err
    status, _, err = run_cli(["md"], capsys)
    assert status == 2 and err.count("\n") == 1
    status, _, err = run_cli(["md", "frob"], capsys)
    assert status == 2 and err.count("\n") == 1
