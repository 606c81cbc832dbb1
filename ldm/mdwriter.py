"""The machine descriptions of a bound machine: the hypervisor MD and one guest MD per
domain, written from ldm `Bindings` (what the real ldmd does before it hands an MD to
the hypervisor over hvctl).

Facts: reference/sun4v.md §4 (node and property names of both MDs, Sun's Legion
configuration's hypervisor MD: guests, cpus with pid/vid/partid, mblocks with
membase/memsize/realbase, ldc_endpoints, consoles; guest side: platform, cpus/cpu with
the MMU and queue properties, memory/mblock, virtual-devices, channel-devices with
domain-services-port and channel-endpoint) and §3/§5/§7 (page sizes, TSB counts and
queue sizes of T1 and T2).  The names come from sun4v/hypervisor_fw/md_names.py; the
firmware reads them (sun4v/hypervisor_fw/src/reconf.c for the HV MD, the guest kernel for
its own).

Layout choices (sun4v/hypervisor_fw/include/sun4v/hvctl.h, md.h):
- the hypervisor MD goes in the HV MD ROM (`HV_MD_ROM`), which the hypervisor copies to
  the start of its MD area (`HV_MDAREA_BASE`) at power-on;
- guest MD of gid n at `guest_md_pa(n)` = HV_MDAREA_BASE + (n + 1) * GUEST_MD_SLOT
  inside the MD area (the guest node's `mdpa`);
- resource ids: guest = gid, cpu = its strand (pid), mblock and ldc_endpoint = the
  binder's, console = gid;
- the HV MD's platform node carries `max-cpus` (the machine's strands), which the
  hypervisor checks every cpu's `pid` against;
- the guest MD's platform node carries `domain-name` (the domain's name; chosen, for the
  guest kernel's banner), and a `workload` node {name, and the workload's parameters:
  integers as values, anything else as strings} (chosen: what `sun4v boot` runs there).

Every cpu, mblock, guest ldc_endpoint and console node of the HV MD has a back arc to
its guest (the hypervisor finds the owner that way) and to its list node.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sun4v.hypervisor_fw import md as MDC
from sun4v.hypervisor_fw.md_names import (GUEST_CONTENT_VERSION, HV_CHANNEL_DEVICES_CFGHANDLE,
                                          HV_CONTENT_VERSION, HV_VIRTUAL_DEVICES_CFGHANDLE,
                                          HVCTL_SERVER_NAME, LDC_TARGET_GUEST,
                                          SVC_ID_HVCTL)

from .bindings import Bindings, DomainBinding
from . import vio
from .errors import LdmError

HV_MD_ROM = 0x1F_1208_0000
HV_MD_ROM_SIZE = 0x1_0000
HV_MDAREA_BASE = 0x0300_0000
HV_MDAREA_SIZE = 0x0100_0000
GUEST_MD_SLOT = 0x4_0000             # 256 KB: a guest MD with 256 vCPUs fits
GUEST_UART0 = 0x1F_1000_0000
GUEST_UART_STEP = 0x2000
HV_UART = 0xFF_F0C2_C000
HV_TOD = 0xFF_F0C1_FFF8
CONSOLE_INO = 0x11

# per chip family: compatible, isalist, MMU TSBs, queue size bits (log2 of the maximum
# entries: T1 256, T2 4096; reference/sun4v.md §5, §7), TLB entries
CHIP_FAMILIES = ("t1", "t2", "t2plus")
_FAMILY = {
    "t1": dict(compatible="SUNW,UltraSPARC-T1", tsbs=2, qbits=8, itlb=64, dtlb=64,
               isalist=["sparcv9+vis", "sparcv9", "sparcv8plus+vis", "sparcv8plus",
                        "sparcv8", "sparcv8-fsmuld", "sparcv7", "sparc"]),
    "t2": dict(compatible="SUNW,UltraSPARC-T2", tsbs=4, qbits=12, itlb=64, dtlb=128,
               isalist=["sparcv9+vis2", "sparcv9+vis", "sparcv9", "sparcv8plus+vis2",
                        "sparcv8plus+vis", "sparcv8plus", "sparcv8", "sparcv8-fsmuld",
                        "sparcv7", "sparc"]),
    "t2plus": dict(compatible="SUNW,UltraSPARC-T2+", tsbs=4, qbits=12, itlb=64, dtlb=128,
                   isalist=["sparcv9+vis2", "sparcv9+vis", "sparcv9", "sparcv8plus+vis2",
                            "sparcv8plus+vis", "sparcv8plus", "sparcv8", "sparcv8-fsmuld",
                            "sparcv7", "sparc"]),
}
PAGE_SIZE_LIST = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 5)      # 8K, 64K, 4M, 256M


@dataclass(frozen=True)
class MachineInfo:
    """What the MDs say about the machine itself (from the sun4v platform catalogue,
    `sun4v.boot.machine_info`)."""
    key: str                    # "t5220"
    banner: str                 # "SPARC Enterprise T5220"
    family: str                 # "t1", "t2", "t2plus"
    strands: int                # strands of the whole machine (max-cpus)
    strands_per_core: int
    cores_per_socket: int
    clock_hz: int
    stick_hz: int
    serial: int = 0x1234_5678
    l1i: int = 16 * 1024
    l1d: int = 8 * 1024
    l2: int = 4 * 1024 * 1024
    line: int = 64


@dataclass
class DomainImage:
    """Per domain: its ROM image in the boot ROM and its workload."""
    rombase: int
    romsize: int
    uartbase: int | None = None
    workload: dict = field(default_factory=dict)   # {"name": "int", "threads": 4, ...}


def guest_md_pa(gid: int) -> int:
    pa = HV_MDAREA_BASE + (gid + 1) * GUEST_MD_SLOT
    if pa + GUEST_MD_SLOT > HV_MDAREA_BASE + HV_MDAREA_SIZE:
        raise LdmError(f"guest id {gid}: no room for its MD in the hypervisor's MD area")
    return pa


def _gid(b: Bindings, name: str | None) -> int:
    d = b.get(name) if name is not None else None
    if d is None:
        raise LdmError(f"LDC endpoint names unbound domain {name!r}")
    return d.gid


def _family(m: MachineInfo) -> dict:
    try:
        return _FAMILY[m.family]
    except KeyError:
        raise LdmError(f"unknown chip family {m.family!r}") from None


# --- the hypervisor MD ----------------------------------------------------------------

def hv_md(b: Bindings, m: MachineInfo, images: dict[str, DomainImage],
          mdpa: dict | None = None) -> MDC.MD:
    """The hypervisor MD of bindings `b` (every bound domain needs an image entry);
    `mdpa` (name -> PA) places guest MDs elsewhere than guest_md_pa(gid) (a manager
    writing a new generation beside the one in use)."""
    md = MDC.MD()
    root = md.add_node("root", [("content-version", HV_CONTENT_VERSION),
                                ("stick-frequency", m.stick_hz), ("hvuart", HV_UART),
                                ("tod", HV_TOD)])
    plat = md.add_node("platform", [("stick-frequency", m.stick_hz),
                                    ("max-cpus", m.strands)])
    MDC.link(root, plat)
    guests = md.add_node("guests")
    cpus = md.add_node("cpus")
    memory = md.add_node("memory")
    ldcs = md.add_node("ldc_endpoints")
    consoles = md.add_node("consoles")
    for n in (guests, cpus, memory, ldcs, consoles):
        MDC.link(root, n)
    gnodes = {}
    for d in b.domains:
        img = images.get(d.name)
        if img is None:
            raise LdmError(f"no guest image for domain {d.name}")
        g = md.add_node("guest", [
            ("name", d.name), ("gid", d.gid), ("resource_id", d.gid), ("pid", d.partid),
            ("mdpa", (mdpa or {}).get(d.name) or guest_md_pa(d.gid)), ("rombase", img.rombase),
            ("romsize", img.romsize), ("tod-offset", 0), ("reset-reason", 0),
            ("perfctraccess", 0), ("perfctrhtaccess", 0), ("rngctlaccessible", 0),
            ("diagpriv", 0)])
        MDC.link(guests, g)
        gnodes[d.name] = g
        vdev = md.add_node("virtual_devices", [("cfghandle", HV_VIRTUAL_DEVICES_CFGHANDLE)])
        cdev = md.add_node("channel_devices", [("cfghandle", HV_CHANNEL_DEVICES_CFGHANDLE)])
        MDC.link(g, vdev)
        MDC.link(g, cdev)
        for v in sorted(d.vcpus, key=lambda v: v.vid):
            c = md.add_node("cpu", [("pid", v.pid), ("vid", v.vid), ("resource_id", v.pid),
                                    ("gid", d.gid), ("partid", d.partid)])
            MDC.link(cpus, c)
            MDC.link(g, c)
        for mb in sorted(d.mblocks, key=lambda x: x.ra):
            n = md.add_node("mblock", [("membase", mb.pa), ("memsize", mb.size),
                                       ("realbase", mb.ra), ("resource_id", mb.resource_id)])
            MDC.link(memory, n)
            MDC.link(g, n)
        if img.uartbase is not None:
            con = md.add_node("console", [("ino", d.console.ino),
                                          ("resource_id", d.console.resource_id),
                                          ("uartbase", img.uartbase)])
            MDC.link(consoles, con)
            MDC.link(g, con)
    for e in b.endpoints:
        props = [("channel", e.channel), ("resource_id", e.resource_id)]
        if e.guest is None:                         # the hypervisor's own end
            props += [("target_type", LDC_TARGET_GUEST),
                      ("target_guest", _gid(b, e.target_guest)),
                      ("target_channel", e.target_channel),
                      ("svc_id", e.svc_id if e.svc_id is not None else SVC_ID_HVCTL)]
            n = md.add_node("ldc_endpoint", props)
            MDC.link(ldcs, n)
            continue
        props += [("target_type", e.target_type)]
        if e.target_type == LDC_TARGET_GUEST:
            props += [("target_guest", _gid(b, e.target_guest))]
        props += [("target_channel", e.target_channel), ("tx-ino", e.tx_ino),
                  ("rx-ino", e.rx_ino)]
        if e.service == "hvctl":
            props += [("server_name", HVCTL_SERVER_NAME)]
        n = md.add_node("ldc_endpoint", props)
        MDC.link(ldcs, n)
        if e.guest not in gnodes:
            raise LdmError(f"LDC endpoint {e.resource_id} of unbound domain {e.guest}")
        MDC.link(gnodes[e.guest], n)
    return md


# --- a guest MD -----------------------------------------------------------------------

def guest_md(b: Bindings, name: str, m: MachineInfo, image: DomainImage | None = None,
             generation: int = 1) -> MDC.MD:
    """The guest MD of bound domain `name`."""
    d = b.get(name)
    if d is None:
        raise LdmError(f"LDom {name} is not bound")
    fam = _family(m)
    md = MDC.MD()
    root = md.add_node("root", [("content-version", GUEST_CONTENT_VERSION),
                                ("md-generation#", generation)])
    plat = md.add_node("platform", [
        ("banner-name", m.banner), ("name", "SUNW," + m.banner.replace(" ", "-")),
        ("watchdog-resolution", 1), ("watchdog-max-timeout", 31536000000),
        ("max-cpus", m.strands), ("hostid", 0x8000_0000 | (m.serial + d.gid) & 0x7FFF_FFFF),
        ("serial#", m.serial), ("stick-frequency", m.stick_hz), ("domaining-enabled", 1),
        ("domain-name", d.name)])
    MDC.link(root, plat)
    _cpus(md, root, d, m, fam)
    mem = md.add_node("memory", [("memory-generation-id#", generation)])
    MDC.link(root, mem)
    for mb in sorted(d.mblocks, key=lambda x: x.ra):
        n = md.add_node("mblock", [("base", mb.ra), ("size", mb.size)])
        MDC.link(mem, n)
    vdevs = md.add_node("virtual-devices", [
        ("name", "virtual-devices"), ("cfg-handle", HV_VIRTUAL_DEVICES_CFGHANDLE),
        ("compatible", ["SUNW,sun4v-virtual-devices", "SUNW,virtual-devices"]),
        ("device-type", "virtual-devices")])
    MDC.link(root, vdevs)
    con = md.add_node("virtual-device", [
        ("name", "console"), ("device-type", "serial"), ("intr", 1),
        ("ino", d.console.ino), ("cfg-handle", 1), ("compatible", ["qcn", "SUNW,sun4v-console"])])
    MDC.link(vdevs, con)
    chans = md.add_node("channel-devices", [
        ("name", "channel-devices"), ("device-type", "channel-devices"),
        ("compatible", ["SUNW,sun4v-channel-devices"]),
        ("cfg-handle", HV_CHANNEL_DEVICES_CFGHANDLE)])
    MDC.link(root, chans)
    for e in sorted(b.endpoints_of(name), key=lambda e: e.channel):
        if e.role == "domain":
            port = md.add_node("domain-services-port", [("id", e.channel)])
        elif e.role in ("vdc", "vds"):          # a virtual disk's channel (vio.py)
            port = vio.md_port(md, MDC.link, chans, e)
        elif e.role == "control":
            port = md.add_node("virtual-device-port", [("name", "hvctl"), ("id", e.channel),
                                                       ("vldc-svc-name", "hvctl")])
        else:                                   # ldmd's end of a domain's DS channel
            port = md.add_node("virtual-device-port", [
                ("name", "ds-manager"), ("id", e.channel),
                ("vldc-svc-name", f"ds:{e.target_guest}")])
        MDC.link(chans, port)
        ep = md.add_node("channel-endpoint", [("id", e.channel), ("tx-ino", e.tx_ino),
                                               ("rx-ino", e.rx_ino)])
        MDC.link(port, ep)
    if image is not None and image.workload:
        w = dict(image.workload)
        props = [("name", str(w.pop("name", "idle")))]
        for k, v in sorted(w.items()):
            props.append((k, v if isinstance(v, int) and not isinstance(v, bool) and v >= 0
                          else str(v)))
        wn = md.add_node("workload", props)
        MDC.link(root, wn)
    return md


def _cpus(md, root, d: DomainBinding, m: MachineInfo, fam: dict) -> None:
    cpus = md.add_node("cpus")
    MDC.link(root, cpus)
    spc = m.strands_per_core
    shared: dict = {}

    def node_for(key, name, props):
        if key not in shared:
            shared[key] = md.add_node(name, props)
        return shared[key]

    for v in sorted(d.vcpus, key=lambda v: v.vid):
        core = v.pid // spc
        socket = core // m.cores_per_socket
        c = md.add_node("cpu", [
            ("id", v.vid), ("pid", v.pid), ("clock-frequency", m.clock_hz),
            ("compatible", [fam["compatible"], "SUNW,sun4v"]), ("isalist", fam["isalist"]),
            ("nwins", 8), ("mmu-type", "sun4v"), ("mmu-#va-bits", 48),
            ("mmu-#context-bits", 13), ("mmu-max-#tsbs", fam["tsbs"]),
            ("mmu-page-size-list", PAGE_SIZE_LIST),
            ("q-cpu-mondo-#bits", fam["qbits"]), ("q-dev-mondo-#bits", fam["qbits"]),
            ("q-resumable-#bits", fam["qbits"]), ("q-nonresumable-#bits", fam["qbits"])])
        MDC.link(cpus, c)
        for key, name, props in (
                (("l1i", core), "cache", [("level", 1), ("type", ["instn"]),
                                          ("size", m.l1i), ("line-size", 32)]),
                (("l1d", core), "cache", [("level", 1), ("type", ["data"]),
                                          ("size", m.l1d), ("line-size", 16)]),
                (("l2", socket), "cache", [("level", 2), ("type", ["instn", "data"]),
                                           ("size", m.l2), ("line-size", m.line)]),
                (("int", core), "exec-unit", [("type", ["integer"])])):
            n = node_for(key, name, props)
            MDC.link(c, n)


# --- everything together ------------------------------------------------------------------

@dataclass
class MDSet:
    """The encoded MDs and where they go: hv (bytes, at HV_MD_ROM) and guests
    (name -> (pa, bytes))."""
    hv: bytes
    guests: dict


def write_all(b: Bindings, m: MachineInfo, images: dict[str, DomainImage],
              generation: int = 1, mdpa: dict | None = None) -> MDSet:
    """Encode the hypervisor MD and every guest MD (at guest_md_pa(gid), or mdpa[name]).
    LdmError when bindings are inconsistent (`Bindings.problems()`) or an MD does not
    fit its place."""
    problems = b.problems()
    if problems:
        raise LdmError("bindings are inconsistent: " + problems[0])
    hv = MDC.encode(hv_md(b, m, images, mdpa))
    if len(hv) > HV_MD_ROM_SIZE:
        raise LdmError(f"the hypervisor MD is {len(hv)} bytes; its ROM holds "
                       f"{HV_MD_ROM_SIZE}")
    out = {}
    for d in b.domains:
        blob = MDC.encode(guest_md(b, d.name, m, images.get(d.name), generation))
        if len(blob) > GUEST_MD_SLOT:
            raise LdmError(f"the guest MD of {d.name} is {len(blob)} bytes; its slot "
                           f"holds {GUEST_MD_SLOT}")
        out[d.name] = ((mdpa or {}).get(d.name) or guest_md_pa(d.gid), blob)
    return MDSet(hv, out)
