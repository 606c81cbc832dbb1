"""Constraints as LDM XML: `list-constraints -x` and `add-domain -i FILE` round trip,
the Oracle layout, and bad input named in one line."""
import xml.etree.ElementTree as ET

import pytest

from ldm import xmlio
from ldm.constraints import Constraints
from ldm.errors import LdmError
from ldm.policy import Policy
from ldm.units import G, M

RICH = [
    Constraints("ldg1", vcpus=12, memory=8 * G, mac="00:14:4f:f8:00:01",
                hostid="0x84f80001", uuid="2f0e6c0a-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
                failure_policy="reset", master=("ldg2",), cpu_arch="generic",
                shutdown_group=3, variables=(("auto-boot?", "false"),
                                             ("boot-device", "disk net")),
                policies=(Policy("busy", util_upper=90, vcpu_max=None, attack=4),),
                console_port=5007),
    Constraints("ldg2", whole_core=True, cores=2, max_cores=4, memory=2 * G),
    Constraints("ldg3", whole_core=True, named_cores=(3, 5), cores=2,
                named_mblocks=((0x400000000, G), (0x480000000, 512 * M)),
                memory=G + 512 * M, threading="max-ipc", rc_add_policy="iov"),
    Constraints("ldg4"),
]


def test_round_trip_of_every_kind_of_constraint():
    assert xmlio.loads(xmlio.dumps(RICH)) == RICH


def test_layout_follows_oracles_ldm_xml():
    root = ET.fromstring(xmlio.dumps(RICH[:1]))
    assert root.tag == "LDM_interface"
    content = root.find("data/Envelope/Content")
    assert content.get(f"{{{xmlio.OVF}}}id") == "ldg1"
    assert content.get(f"{{{xmlio.XSI}}}type") == "ovf:VirtualSystem_Type"
    info = content.find("Section/Item")
    assert info.findtext(f"{{{xmlio.RASD}}}OtherResourceType") == "ldom_info"
    assert info.findtext("uuid") == RICH[0].uuid
    assert info.findtext(f"{{{xmlio.RASD}}}Address") == RICH[0].mac
    props = {g.get("key"): g.text for g in info.findall(f"{{{xmlio.GPROP}}}GenericProperty")}
    assert props["hostid"] == "0x84f80001" and props["failure-policy"] == "reset"
    items = content.findall("Section")[1].findall("Item")
    mem = [i for i in items if i.findtext(f"{{{xmlio.RASD}}}OtherResourceType") == "memory"]
    assert mem[0].findtext(f"{{{xmlio.RASD}}}AllocationUnits") == "8G"


def test_export_remove_import_gives_the_same_constraints(carved):
    carved.ok("set-var auto-boot?=false ldg3")
    carved.ok("add-policy util-upper=85 name=p ldg3")
    carved.ok("add-core 2 ldg3")
    carved.ok("set-domain failure-policy=stop ldg3")
    xml = carved.ok("list-constraints -x ldg3")
    before = carved.config().domain("ldg3").constraints
    path = carved.store.dir + "/../ldg3.xml"
    with open(path, "w") as f:
        f.write(xml)
    carved.ok("remove-domain ldg3")
    carved.ok(f"add-domain -i {path}")
    assert carved.config().domain("ldg3").constraints == before
    assert carved.ok("list-constraints -x ldg3") == xml
    carved.fails(f"add-domain -i {path}", exact="LDom ldg3 already exists\n")


def test_relative_file_names_are_read_from_the_callers_directory(carved, tmp_path):
    (tmp_path / "d.xml").write_text(xmlio.dumps([Constraints("ldg9", vcpus=3)]))
    carved.ok("add-domain -i d.xml", cwd=str(tmp_path))
    c = carved.config().domain("ldg9").constraints
    assert c.vcpus == 3 and c.mac and c.uuid            # identity generated on import


def test_imported_identity_conflicts_are_refused(carved, tmp_path):
    xml = carved.ok("list-constraints -x ldg1").replace('ovf:id="ldg1"', 'ovf:id="x"')
    (tmp_path / "x.xml").write_text(xml)
    mac = carved.config().domain("ldg1").constraints.mac
    carved.fails(f"add-domain -i {tmp_path}/x.xml",
                 exact=f"MAC address {mac} is already in use by LDom ldg1\n")


@pytest.mark.parametrize("text, message", [
    ("<LDM_interface>", "not well-formed XML"),
    ("<foo/>", "the root element is <foo>, not <LDM_interface>"),
    ("<LDM_interface/>", "no <data><Envelope>"),
    ("<LDM_interface><data><Envelope/></data></LDM_interface>", "no domain"),
])
def test_bad_documents(text, message):
    with pytest.raises(LdmError, match=message):
        xmlio.loads(text, "f.xml")


def test_bad_values_name_the_domain():
    xml = xmlio.dumps([Constraints("ldg1", vcpus=2)])
    with pytest.raises(LdmError, match="f.xml: domain ldg1: invalid cpu count 'many'"):
        xmlio.loads(xml.replace(">2<", ">many<"), "f.xml")
    with pytest.raises(LdmError, match="unknown resource type 'gpu'"):
        xmlio.loads(xml.replace(">cpu<", ">gpu<"), "f.xml")
    with pytest.raises(LdmError, match="Invalid failure-policy value 'maybe'"):
        xmlio.loads(xml.replace(">ignore<", ">maybe<"), "f.xml")


def test_import_checks_like_the_command_line(carved, tmp_path):
    bad = [Constraints("big", vcpus=100), Constraints("odd", vcpus=1, memory=300 * M)]
    for c in bad:
        (tmp_path / f"{c.name}.xml").write_text(xmlio.dumps([c]))
    carved.fails(f"add-domain -i {tmp_path}/big.xml", "The T5220 has 64 strands")
    carved.fails(f"add-domain -i {tmp_path}/odd.xml", "is not a multiple of 256M")
    carved.fails(f"add-domain -i {tmp_path}/none.xml", "Cannot read")
    carved.fails(f"add-domain -i {tmp_path}/big.xml ldg5", "-i takes no other operands")
