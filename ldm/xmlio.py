"""Domain constraints as XML: `ldm list-constraints -x [ldom...]` writes it, `ldm
add-domain -i FILE` reads it. The layout follows Oracle's LDM XML interface (its
Developer's Guide: `<LDM_interface><data><Envelope>`, one `<Content
xsi:type="ovf:VirtualSystem_Type" ovf:id="NAME">` per domain, resources as `<Item>`s
named by `<rasd:OtherResourceType>`; ldom_info carrying `<uuid>`, `<rasd:Address>` (the
MAC address) and `<gprop:GenericProperty key="hostid">`-style properties; memory as
`<rasd:AllocationUnits>4G`). Where the guide gives no layout the schema is ours:

    <?xml version="1.0"?>
    <LDM_interface version="1.3" xmlns:xsi=... xmlns:ovf="./schemas/envelope"
                   xmlns:rasd="./schemas/CIM_ResourceAllocationSettingData"
                   xmlns:gprop="./schemas/GenericProperty">
      <data version="3.0">
        <Envelope>
          <References/>
          <Content xsi:type="ovf:VirtualSystem_Type" ovf:id="ldg1">
            <Section xsi:type="ovf:ResourceAllocationSection_Type">
              <Item>
                <rasd:OtherResourceType>ldom_info</rasd:OtherResourceType>
                <uuid>UUID</uuid>
                <rasd:Address>MAC</rasd:Address>
                <gprop:GenericProperty key="K">V</gprop:GenericProperty>  for K in
                    hostid failure-policy master max-cores cpu-arch
                    extended-mapin-space threading shutdown-group rc-add-policy
              </Item>
            </Section>
            <Section xsi:type="ovf:VirtualHardwareSection_Type">
              <Item> cpu:    <rasd:OtherResourceType>cpu</..>
                             <rasd:AllocationUnits>VCPUS</..>           (vCPU mode)
                     or core: <rasd:OtherResourceType>core</..>
                             <rasd:AllocationUnits>CORES</..>
                             [<gprop:GenericProperty key="cid">1,2</..>] (named cores)
              <Item> memory: <rasd:AllocationUnits>SIZE</..> (e.g. 4G)
                             [<gprop:GenericProperty key="mblock">PA:SIZE,..</..>]
              <Item> var:    GenericProperty name, value          (one Item each)
              <Item> policy: GenericProperty name and every A7 key (one Item each)
              <Item> console: GenericProperty port
            </Section>
          </Content>
        </Envelope>
      </data>
    </LDM_interface>

Reading accepts exactly this (unknown resource types or properties are errors naming
them; values go through the same checks as the command line) and gives Constraints;
writing then reading gives back the same constraints.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from .constraints import DOMAIN_PROPERTIES, Constraints, check_name
from .errors import LdmError
from .identity import parse_mac, parse_uuid
from .policy import KEYS as POLICY_KEYS, Policy
from .units import format_size, parse_size

XSI = "http://www.w3.org/2001/XMLSchema-instance"
OVF = "./schemas/envelope"
RASD = "./schemas/CIM_ResourceAllocationSettingData"
VSSD = "./schemas/CIM_VirtualSystemSettingData"
GPROP = "./schemas/GenericProperty"
BIND = "./schemas/Binding"
for _p, _u in (("xsi", XSI), ("ovf", OVF), ("rasd", RASD), ("vssd", VSSD),
               ("gprop", GPROP), ("bind", BIND)):
    ET.register_namespace(_p, _u)

INFO_KEYS = [k for k in DOMAIN_PROPERTIES if k not in ("mac-addr", "uuid")]


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


# --- writing ----------------------------------------------------------------------------

def dumps(constraints: list[Constraints]) -> str:
    root = ET.Element("LDM_interface", {"version": "1.3"})
    data = ET.SubElement(root, "data", {"version": "3.0"})
    env = ET.SubElement(data, "Envelope")
    ET.SubElement(env, "References")
    for c in constraints:
        content = ET.SubElement(env, "Content", {_q(XSI, "type"): "ovf:VirtualSystem_Type",
                                                 _q(OVF, "id"): c.name})
        sec = ET.SubElement(content, "Section",
                            {_q(XSI, "type"): "ovf:ResourceAllocationSection_Type"})
        item = _item(sec, "ldom_info")
        if c.uuid:
            ET.SubElement(item, "uuid").text = c.uuid
        if c.mac:
            ET.SubElement(item, _q(RASD, "Address")).text = c.mac
        for key in INFO_KEYS:
            _gprop(item, key, c.property_text(key))
        hw = ET.SubElement(content, "Section",
                           {_q(XSI, "type"): "ovf:VirtualHardwareSection_Type"})
        if c.whole_core:
            item = _item(hw, "core")
            ET.SubElement(item, _q(RASD, "AllocationUnits")).text = str(c.core_count())
            if c.named_cores:
                _gprop(item, "cid", ",".join(map(str, c.named_cores)))
        else:
            item = _item(hw, "cpu")
            ET.SubElement(item, _q(RASD, "AllocationUnits")).text = str(c.vcpus)
        item = _item(hw, "memory")
        ET.SubElement(item, _q(RASD, "AllocationUnits")).text = format_size(
            c.memory_size()) if c.memory_size() else "0"
        if c.named_mblocks:
            _gprop(item, "mblock", ",".join(f"{pa:#x}:{format_size(s)}"
                                            for pa, s in c.named_mblocks))
        for name, value in c.variables:
            item = _item(hw, "var")
            _gprop(item, "name", name)
            _gprop(item, "value", value)
        for p in c.policies:
            item = _item(hw, "policy")
            for key, value in p.items():
                _gprop(item, key, value)
        if c.console_port is not None:
            _gprop(_item(hw, "console"), "port", str(c.console_port))
    ET.indent(root, "  ")
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _item(parent, kind: str):
    item = ET.SubElement(parent, "Item")
    ET.SubElement(item, _q(RASD, "OtherResourceType")).text = kind
    return item


def _gprop(item, key: str, value: str) -> None:
    ET.SubElement(item, _q(GPROP, "GenericProperty"), {"key": key}).text = value


# --- reading ----------------------------------------------------------------------------

def loads(text: str, source: str = "XML") -> list[Constraints]:
    """Constraints of every <Content> in `text`; LdmError naming the first problem."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise LdmError(f"{source}: not well-formed XML: {e}") from None
    if root.tag != "LDM_interface":
        raise LdmError(f"{source}: the root element is <{root.tag}>, not <LDM_interface>")
    env = root.find("data/Envelope")
    if env is None:
        raise LdmError(f"{source}: no <data><Envelope> in <LDM_interface>")
    contents = env.findall("Content")
    if not contents:
        raise LdmError(f"{source}: no domain (<Content>) in the <Envelope>")
    out = []
    for content in contents:
        name = content.get(_q(OVF, "id")) or content.get("id")
        if not name:
            raise LdmError(f"{source}: a <Content> has no ovf:id (the domain name)")
        try:
            out.append(_domain(check_name(name), content))
        except LdmError as e:
            raise LdmError(f"{source}: domain {name}: {e.lines[0]}") from None
    return out


def _domain(name: str, content) -> Constraints:
    c = Constraints(name)
    for item in content.iter("Item"):
        kind = (item.findtext(_q(RASD, "OtherResourceType")) or "").strip()
        props = {}
        for g in item.findall(_q(GPROP, "GenericProperty")):
            props[g.get("key")] = (g.text or "").strip()
        units = (item.findtext(_q(RASD, "AllocationUnits")) or "").strip()
        if kind == "ldom_info":
            if item.findtext("uuid"):
                c = c.with_property("uuid", parse_uuid(item.findtext("uuid").strip()))
            if item.findtext(_q(RASD, "Address")):
                c = c.with_property("mac-addr",
                                    parse_mac(item.findtext(_q(RASD, "Address")).strip()))
            for key, value in props.items():
                if key not in INFO_KEYS:
                    raise LdmError(f"unknown ldom_info property {key!r}")
                c = c.with_property(key, value)
        elif kind == "cpu":
            _only(kind, props, ())
            c = c.with_vcpus(_count(kind, units))
        elif kind == "core":
            _only(kind, props, ("cid",))
            if props.get("cid"):
                try:
                    cids = tuple(int(x) for x in props["cid"].split(","))
                except ValueError:
                    raise LdmError(f"invalid core list {props['cid']!r}") from None
                c = c.with_cores(named=cids)
            else:
                c = c.with_cores(_count(kind, units))
        elif kind == "memory":
            _only(kind, props, ("mblock",))
            if props.get("mblock"):
                blocks = []
                for part in props["mblock"].split(","):
                    pa, _, size = part.partition(":")
                    try:
                        blocks.append((int(pa, 0), parse_size(size)))
                    except ValueError:
                        raise LdmError(f"invalid mblock {part!r}") from None
                c = c.with_memory(mblocks=blocks)
            else:
                c = c.with_memory(parse_size(units or "0"))
        elif kind == "var":
            _only(kind, props, ("name", "value"))
            if not props.get("name"):
                raise LdmError("a var item has no name")
            c = c.with_variable(props["name"], props.get("value", ""))
        elif kind == "policy":
            _only(kind, props, ("name",) + POLICY_KEYS)
            pname = props.pop("name", "")
            if c.policy(pname) is not None:
                raise LdmError(f"policy {pname} is given twice")
            c = c.with_policy(Policy(pname).with_props(props))
        elif kind == "console":
            _only(kind, props, ("port",))
            c = _replace_port(c, props.get("port", ""))
        else:
            raise LdmError(f"unknown resource type {kind!r}")
    return c


def _only(kind: str, props: dict, allowed) -> None:
    for k in props:
        if k not in allowed:
            raise LdmError(f"unknown {kind} property {k!r}")


def _count(kind: str, text: str) -> int:
    if not text.isdigit():
        raise LdmError(f"invalid {kind} count {text!r}")
    return int(text)


def _replace_port(c: Constraints, text: str) -> Constraints:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise LdmError(f"invalid console port {text!r}")
    return replace(c, console_port=int(text))
