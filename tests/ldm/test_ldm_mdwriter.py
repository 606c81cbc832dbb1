"""The machine descriptions ldm writes from its bindings (ldm/mdwriter.py): decoded back
(sun4v/hypervisor_fw/md.py), every guest MD says what the domain's constraints asked for
(its vCPUs with the MMU and queue properties of its chip, its memory, its
domain-services channel, its workload), and the hypervisor MD says what the binder
bound (strands, partition IDs, memory blocks RA -> PA, LDC endpoint pairs, consoles)
with the node and property names of the reference (sun4v.md §4)."""
import pytest

from ldm import binder, mdwriter
from ldm.bindings import Bindings
from ldm.constraints import Constraints
from ldm.errors import LdmError
from ldm.units import G

from sun4v.boot.system import machine_info, topology_of
from sun4v.hypervisor_fw import md as MDC
from sun4v.machine import platforms

ASKED = [("primary", dict(vcpus=8, memory=4 * G)), ("ldg1", dict(whole_core=True, cores=2,
                                                                 memory=8 * G)),
         ("ldg2", dict(vcpus=6, memory=2 * G))]
WORK = {"primary": {"name": "idle"}, "ldg1": {"name": "int", "threads": 16},
        "ldg2": {"name": "mix", "threads": 6, "duty": 0.1}}


def bound(plat="t5220"):
    p = platforms.platform(plat)
    b = Bindings(topology_of(p))
    for name, kw in ASKED:
        b = binder.bind(b, Constraints(name=name, **kw))
    images = {n: mdwriter.DomainImage(0xFFF0080000, 0x10000, 0x1F10000000 + i * 0x2000,
                                      WORK[n]) for i, (n, _) in enumerate(ASKED)}
    return p, b, machine_info(p), images


@pytest.mark.parametrize("plat, compatible, tsbs, qbits", [
    ("t2000", "SUNW,UltraSPARC-T1", 2, 8), ("t5220", "SUNW,UltraSPARC-T2", 4, 12),
    ("t5240", "SUNW,UltraSPARC-T2+", 4, 12)])
def test_guest_mds_decode_back_to_the_constraints(plat, compatible, tsbs, qbits):
    p, b, info, images = bound(plat)
    mds = mdwriter.write_all(b, info, images)
    spc = p.chip.strands_per_core
    for name, kw in ASKED:
        pa, blob = mds.guests[name]
        assert pa == mdwriter.guest_md_pa(b.get(name).gid)
        md = MDC.decode(blob)
        assert MDC.encode(md) == blob                       # canonical, round trips
        cpus = md.find("cpu")
        want = kw.get("vcpus") or kw["cores"] * spc
        assert sorted(c["id"] for c in cpus) == list(range(want))
        for c in cpus:
            assert c.strings("compatible")[0] == compatible
            assert c["mmu-max-#tsbs"] == tsbs and c["q-cpu-mondo-#bits"] == qbits
            assert c["mmu-page-size-list"] == 0b101011          # 8K 64K 4M 256M
            assert c["clock-frequency"] == p.clock_hz
            assert any(t.name == "exec-unit" for t in c.fwd)
        assert sum(m["size"] for m in md.find("mblock")) == kw["memory"]
        d = b.get(name)
        assert {(m["base"], m["size"]) for m in md.find("mblock")} == \
            {(x.ra, x.size) for x in d.mblocks}
        plat_node = md.find_one("platform")
        assert plat_node["domain-name"] == name
        assert plat_node["stick-frequency"] == p.stick_hz and plat_node["max-cpus"] == p.strands
        ds = md.find_one("domain-services-port")
        ep = ds.fwd[0]
        assert ep.name == "channel-endpoint" and ep["tx-ino"] == 2 * ep["id"]
        chan = md.find_one("channel-devices")
        assert chan["cfg-handle"] == 0x200 and ds in chan.fwd
        wl = md.find_one("workload")
        assert wl["name"] == WORK[name]["name"]
        for k, v in WORK[name].items():
            if k != "name":
                assert wl[k] == (v if isinstance(v, int) else str(v))
    # the control domain also has hvctl and one manager end per domain
    prim = MDC.decode(mds.guests["primary"][1])
    ports = {n["vldc-svc-name"] for n in prim.find("virtual-device-port")}
    assert ports == {"hvctl", "ds:primary", "ds:ldg1", "ds:ldg2"}


def test_hypervisor_md_says_what_was_bound():
    p, b, info, images = bound()
    md = MDC.decode(mdwriter.write_all(b, info, images).hv)
    root = md.root
    assert root["content-version"] == 0x1_0000_0000 and root["stick-frequency"] == p.stick_hz
    assert md.find_one("platform")["max-cpus"] == 64
    guests = {g["name"]: g for g in md.find("guest")}
    assert set(guests) == {"primary", "ldg1", "ldg2"}
    for name, g in guests.items():
        d = b.get(name)
        assert g["gid"] == g["resource_id"] == d.gid and g["pid"] == d.partid
        assert g["mdpa"] == mdwriter.guest_md_pa(d.gid)
        cpus = [n for n in g.fwd if n.name == "cpu"]
        assert {(c["vid"], c["pid"]) for c in cpus} == {(v.vid, v.pid) for v in d.vcpus}
        assert all(c["partid"] == d.partid and c["resource_id"] == c["pid"] and
                   g in c.back for c in cpus)
        mbs = [n for n in g.fwd if n.name == "mblock"]
        assert {(m["realbase"], m["membase"], m["memsize"]) for m in mbs} == \
            {(x.ra, x.pa, x.size) for x in d.mblocks}
        con = [n for n in g.fwd if n.name == "console"]
        assert len(con) == 1 and con[0]["uartbase"] == images[name].uartbase
    # LDC: every guest end's peer names it back; the hypervisor's end is the hvctl one
    eps = md.find("ldc_endpoint")
    hv = [e for e in eps if "svc_id" in e]
    assert len(hv) == 1 and hv[0]["svc_id"] == 1 and hv[0]["target_type"] == 0
    owner = {e: [g for g in e.back if g.name == "guest"] for e in eps}
    ctl = [e for e in eps if e.get("target_type") == 1]
    assert len(ctl) == 1 and owner[ctl[0]][0]["name"] == "primary"
    assert ctl[0]["target_channel"] == hv[0]["channel"] and \
        hv[0]["target_channel"] == ctl[0]["channel"]
    by = {(owner[e][0]["gid"], e["channel"]): e for e in eps if owner[e]}
    for (gid, ch), e in by.items():
        if e["target_type"] == 0:
            peer = by[(e["target_guest"], e["target_channel"])]
            assert (peer["target_guest"], peer["target_channel"]) == (gid, ch)


def test_inconsistent_or_oversized_bindings_are_refused():
    p, b, info, images = bound()
    with pytest.raises(LdmError, match="no guest image for domain ldg2"):
        mdwriter.write_all(b, info, {k: v for k, v in images.items() if k != "ldg2"})
    with pytest.raises(LdmError, match="no room for its MD"):
        mdwriter.guest_md_pa(200)
