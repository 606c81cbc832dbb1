"""Virtual disks in the manager (issue 14 §2): add-vds / add-vdsdev / add-vdisk and their
remove-* forms, list-services and list-bindings (reference ldm_xscf.md A4, A5, A6), the
binder's channel between the client and the service domain, and the MD nodes of both
ends (ldm/vio.py)."""
import os

from ldm import mdwriter
from ldm.bindings import Endpoint  # noqa: F401  (the type the binder returns)
from sun4v.hypervisor_fw import md as MDC


def _carve(ldm, tmp_path):
    ldm.ok("set-vcpu 8 primary")
    ldm.ok("set-memory 4224M primary")
    ldm.ok("stop-domain -r primary")
    for line in ("add-domain ldg1", "add-vcpu 4 ldg1", "add-memory 1G ldg1"):
        ldm.ok(line)
    disk = tmp_path / "disk1.img"
    disk.write_bytes(bytes(64 * 1024))
    return disk


def test_services_disks_and_bindings(ldm, tmp_path):
    disk = _carve(ldm, tmp_path)
    ldm.ok("add-vds primary-vds0 primary")
    ldm.ok(f"add-vdsdev {disk} vol1@primary-vds0")
    ldm.ok("add-vdisk vdisk1 vol1@primary-vds0 ldg1")
    assert ldm.ok("list-services") == (
        "VDS\n"
        "    NAME             LDOM             VOLUME         OPTIONS          MPGROUP"
        "        DEVICE\n"
        f"    primary-vds0     primary          vol1{' ' * 43}{disk}\n")
    assert ldm.ok("list-services -p").splitlines()[1:] == [
        "VDS|name=primary-vds0|nclients=1", f"|vol=vol1|opts=|dev={disk}"]
    ldm.ok("bind-domain ldg1")
    cfg = ldm.config()
    eps = {(e.guest, e.role): e for e in cfg.bindings.endpoints if e.service.startswith("vdisk:")}
    c, s = eps[("ldg1", "vdc")], eps[("primary", "vds")]
    assert (c.target_guest, c.target_channel) == ("primary", s.channel)
    assert (s.target_guest, s.target_channel) == ("ldg1", c.channel)
    assert c.service == s.service == "vdisk:0:vdisk1"
    out = ldm.ok("list-bindings ldg1")
    assert "\nDISK\n    NAME             VOLUME                      TOUT ID   DEVICE  SERVER\n" \
           "    vdisk1           vol1@primary-vds0                0    disk@0  primary\n" in out
    out = ldm.ok("list-bindings primary")
    assert f"\nVDS\n    NAME             VOLUME         OPTIONS          MPGROUP        DEVICE\n" \
           f"    primary-vds0     vol1{' ' * 43}{disk}\n" in out
    assert "    ldg1@vdisk1                 vol1@primary-vds0\n" in out
    assert "VDISK|name=vdisk1|vol=vol1@primary-vds0|timeout=|dev=disk@0|server=primary|id=0" \
        in ldm.ok("list-bindings -p ldg1")
    # the machine descriptions: the client's disk port and the server's relayed port
    info = mdwriter.MachineInfo(key="t5220", banner="SPARC Enterprise T5220", family="t2",
                                strands=64, strands_per_core=8, cores_per_socket=8,
                                clock_hz=1_400_000_000, stick_hz=1_400_000_000, serial=1)
    g = MDC.decode(MDC.encode(mdwriter.guest_md(cfg.bindings, "ldg1", info)))
    disk_nodes = [n for n in g.find("virtual-device") if n["name"] == "disk"]
    assert len(disk_nodes) == 1 and disk_nodes[0]["compatible"] == b"SUNW,sun4v-disk\0"
    port = [n for n in g.find("virtual-device-port") if n["name"] == "vdc-port"]
    assert len(port) == 1 and port[0]["id"] == 0
    ep = [n for n in g.find("channel-endpoint") if n["id"] == c.channel]
    assert ep and ep[0]["tx-ino"] == 2 * c.channel and ep[0]["rx-ino"] == 2 * c.channel + 1
    p = MDC.decode(MDC.encode(mdwriter.guest_md(cfg.bindings, "primary", info)))
    vds = [n for n in p.find("virtual-device-port") if n["name"] == "vds-port"]
    assert len(vds) == 1 and vds[0]["vldc-svc-name"] == "vds:ldg1:vdisk1"
    assert [n for n in p.find("channel-endpoint") if n["id"] == s.channel]
    imgs = {n: mdwriter.DomainImage(0xFFF0080000, 0x10000) for n in ("primary", "ldg1")}
    hv = MDC.decode(MDC.encode(mdwriter.hv_md(cfg.bindings, info, imgs)))
    pairs = {(n["channel"], n.get("target_channel")) for n in hv.find("ldc_endpoint")}
    assert (c.channel, s.channel) in pairs and (s.channel, c.channel) in pairs
    # unbind drops both ends; the disk stays in the constraints
    ldm.ok("unbind-domain ldg1")
    assert not [e for e in ldm.config().bindings.endpoints if e.service.startswith("vdisk:")]
    ldm.ok("remove-vdisk vdisk1 ldg1")
    ldm.ok("remove-vdsdev vol1@primary-vds0")
    ldm.ok("remove-vds primary-vds0")
    assert ldm.ok("list-services") == ""


def test_refusals_change_nothing(ldm, tmp_path):
    disk = _carve(ldm, tmp_path)
    ldm.fails("add-vds primary-vds0 nosuch", "nosuch")
    ldm.ok("add-vds primary-vds0 primary")
    ldm.fails("add-vds primary-vds0 primary", "already exists")
    ldm.ok(f"add-vdsdev {disk} vol1@primary-vds0")
    ldm.fails(f"add-vdsdev {disk} vol1@primary-vds0", "already exists")
    ldm.fails(f"add-vdsdev {disk} vol2@nosuch-vds", "Service nosuch-vds does not exist")
    ldm.fails(f"add-vdsdev {disk} vol2", "volume-name@service-name")
    ldm.fails("add-vdisk vdisk1 vol9@primary-vds0 ldg1", "does not exist")
    ldm.ok("add-vdisk vdisk1 vol1@primary-vds0 ldg1")
    ldm.fails("add-vdisk vdisk1 vol1@primary-vds0 ldg1", "already exists")
    ldm.fails("remove-vdsdev vol1@primary-vds0", "is attached")
    ldm.fails("remove-vdsdev vol2@primary-vds0", "does not exist")
    ldm.fails("remove-vds primary-vds0", "in use")
    ldm.ok("bind-domain ldg1")
    ldm.fails("remove-vdisk nosuch ldg1", "Disk nosuch does not exist in LDom ldg1")


def test_a_bound_domain_gains_and_loses_a_disk_with_its_channel(ldm, tmp_path):
    """add-vdisk / remove-vdisk on a bound domain (ldm/viodr.py): the disk's channel is
    bound or unbound with it, both ends; the domain stays bound."""
    disk = _carve(ldm, tmp_path)
    ldm.ok("add-vds primary-vds0 primary")
    ldm.ok(f"add-vdsdev {disk} vol1@primary-vds0")
    ldm.ok("bind-domain ldg1")

    def ends():
        return sorted((e.guest, e.role, e.service) for e in ldm.config().bindings.endpoints
                      if e.service.startswith("vdisk:"))
    assert ends() == []
    ldm.ok("add-vdisk id=2 vdisk1 vol1@primary-vds0 ldg1")
    assert ends() == [("ldg1", "vdc", "vdisk:2:vdisk1"), ("primary", "vds", "vdisk:2:vdisk1")]
    assert ldm.config().domain("ldg1").state == "bound"
    ldm.ok("remove-vdisk vdisk1 ldg1")
    assert ends() == []
    assert ldm.config().domain("ldg1").state == "bound"


def test_a_backend_that_cannot_be_opened(ldm, tmp_path):
    """One clear line, exit status 2, nothing else changed (issue 14 §4)."""
    _carve(ldm, tmp_path)
    ldm.ok("add-vds primary-vds0 primary")
    before = ldm.files()
    missing = tmp_path / "no" / "such.img"
    st, out, err = ldm.run(f"add-vdsdev {missing} vol1@primary-vds0")
    assert (st, out) == (2, "")
    assert err == (f"Path {missing} is not valid on service domain primary: "
                   f"No such file or directory\n")
    assert ldm.files() == before
    d = tmp_path / "adir"
    os.mkdir(d)
    st, out, err = ldm.run(f"add-vdsdev {d} vol1@primary-vds0")
    assert st == 2 and len(err.splitlines()) == 1 and "not valid" in err
    assert ldm.files() == before


def test_bind_needs_the_service_domain_and_aliases(ldm, tmp_path):
    disk = _carve(ldm, tmp_path)
    ldm.ok("add-vdiskserver primary-vds0 primary")           # A5 noun alias
    ldm.ok(f"add-vdiskserverdevice {disk} vol1@primary-vds0")
    ldm.ok("add-vdisk id=3 timeout=30 d3 vol1@primary-vds0 ldg1")
    ldm.ok("bind ldg1")
    e = [e for e in ldm.config().bindings.endpoints_of("ldg1") if e.role == "vdc"]
    assert [x.service for x in e] == ["vdisk:3:d3"]
    assert "    d3               vol1@primary-vds0           30   3    disk@3  primary" \
        in ldm.ok("list-bindings ldg1")
