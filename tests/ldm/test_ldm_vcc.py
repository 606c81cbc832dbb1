"""Virtual console concentrators offline (ldm/vcc.py, ldm/commands/services.py):
`ldm add-vcc port-range=x-y vcc-name ldom` (reference ldm_xscf.md A5), the guests'
console ports taken from its range (the CONS column of `ldm list`, A3), list-services,
list-bindings' VCC record (A4: `VCC|name=primary-vcc0|nclients=2|port-range=5000-5100`)
and VCONS service, set-vcc and remove-vcc, and the refusals (one line, nothing
changed)."""
import pytest


@pytest.fixture
def room(ldm):
    ldm.ok("set-vcpu 8 primary")
    ldm.ok("set-memory 4224M primary")
    ldm.ok("stop-domain -r primary")
    return ldm


def _guest(ldm, name, bind=True):
    ldm.ok(f"add-domain {name}")
    ldm.ok(f"add-vcpu 4 {name}")
    ldm.ok(f"add-memory 1G {name}")
    if bind:
        ldm.ok(f"bind-domain {name}")


def _cons(ldm, name):
    for line in ldm.ok("list").splitlines()[1:]:
        f = line.split()
        if f[0] == name:
            return f[3]
    raise KeyError(name)


def test_add_vcc_gives_ports_from_its_range(room):
    ldm = room
    assert ldm.ok("list-services") == ""
    assert ldm.ok("add-vcc port-range=6000-6002 primary-vcc0 primary") == ""
    assert ldm.ok("list-services").splitlines() == [
        "VCC", "    NAME             LDOM             PORT-RANGE",
        "    primary-vcc0     primary          6000-6002"]
    assert ldm.ok("ls-services -p").splitlines() == [
        "VERSION 1.6", "VCC|name=primary-vcc0|ldom=primary|port-range=6000-6002"]
    _guest(ldm, "ldg1")
    _guest(ldm, "ldg2")
    assert _cons(ldm, "primary") == "UART"
    assert (_cons(ldm, "ldg1"), _cons(ldm, "ldg2")) == ("6000", "6001")
    p = ldm.ok("list-bindings -p primary").splitlines()
    i = p.index("VCC|name=primary-vcc0|nclients=2|port-range=6000-6002")
    assert p[i + 1:i + 3] == ["|client=ldg1@primary-vcc0|port=6000",
                              "|client=ldg2@primary-vcc0|port=6001"]
    h = ldm.ok("list-bindings primary").splitlines()
    i = h.index("VCC")
    assert [x.split() for x in h[i + 1:i + 5]] == [
        ["NAME", "PORT-RANGE"], ["primary-vcc0", "6000-6002"], ["CLIENT", "PORT"],
        ["ldg1@primary-vcc0", "6000"]]
    g = ldm.ok("list-bindings ldg2").splitlines()
    i = g.index("VCONS")
    assert g[i + 1].split() == ["NAME", "SERVICE", "PORT"]
    assert g[i + 2].split() == ["ldg2", "primary-vcc0@primary", "6001"]
    assert "VCONS|group=ldg2|service=primary-vcc0@primary|port=6001" in \
        ldm.ok("list-bindings -p ldg2").splitlines()
    # the range is full after one more guest
    _guest(ldm, "ldg3")
    _guest(ldm, "ldg4", bind=False)
    ldm.fails("bind-domain ldg4", "No free console port in 6000-6002")
    # unbinding frees a port, the next bind takes the lowest free one
    ldm.ok("unbind-domain ldg2")
    ldm.ok("bind-domain ldg4")
    assert _cons(ldm, "ldg4") == "6001"


def test_no_vcc_default_range(room):
    _guest(room, "ldg1")
    assert _cons(room, "ldg1") == "5000"
    g = room.ok("list-bindings ldg1").splitlines()
    assert g[g.index("VCONS") + 2].split() == ["ldg1", "hypervisor", "5000"]


def test_set_vcc(room):
    ldm = room
    ldm.ok("add-vcc port-range=6000-6010 primary-vcc0 primary")
    _guest(ldm, "ldg1")
    _guest(ldm, "ldg2")
    ldm.fails("set-vcc port-range=6001-6010 primary-vcc0",
              exact="Cannot set port-range=6001-6010 on primary-vcc0: the console of "
                    "LDom ldg1 is bound to port 6000, outside it\n")
    ldm.fails("set-vcc port-range=6000-6010 nosuch", exact="Service nosuch does not exist\n")
    ldm.ok("set-vcc port-range=6000-6001 primary-vcc0")
    assert "    primary-vcc0     primary          6000-6001" in ldm.ok("list-services")
    ldm.ok("unbind-domain ldg2")
    ldm.ok("unbind-domain ldg1")
    ldm.ok("set-vcc port-range=7000-7005 primary-vcc0")
    ldm.ok("bind-domain ldg2")
    assert _cons(ldm, "ldg2") == "7000"


def test_remove_vcc(room):
    ldm = room
    ldm.ok("add-vcc port-range=6000-6010 primary-vcc0 primary")
    _guest(ldm, "ldg1")
    ldm.fails("remove-vcc primary-vcc0",
              exact="Cannot remove primary-vcc0: the console of LDom ldg1 is bound to it "
                    "(unbind first)\n")
    ldm.ok("unbind-domain ldg1")
    assert ldm.ok("remove-vcc primary-vcc0") == ""
    assert ldm.ok("list-services") == ""
    ldm.fails("remove-vcc primary-vcc0", exact="Service primary-vcc0 does not exist\n")
    ldm.ok("bind-domain ldg1")
    assert _cons(ldm, "ldg1") == "5000"


@pytest.mark.parametrize("line, words", [
    ("add-vcc port-range=7001-7000 v1 primary", "7001 is above 7000"),
    ("add-vcc port-range=7000 v1 primary", "give it as x-y"),
    ("add-vcc port-range=80-90 v1 primary", "ports must lie in 1024-65535"),
    ("add-vcc port-range=7000-7001 v1 nosuch", "LDom nosuch does not exist"),
])
def test_add_vcc_refusals(room, line, words):
    room.fails(line, words)


def test_add_vcc_usage_and_uniqueness(room):
    ldm = room
    st, out, err = ldm.run("add-vcc v1 primary")
    assert st != 0 and "port-range=x-y is required" in err and "Usage: ldm add-vcc" in err
    st, out, err = ldm.run("add-vcc port-range=7000-7001 v1")
    assert st != 0 and "Usage: ldm add-vcc port-range=x-y vcc-name ldom" in err
    _guest(ldm, "ldg1", bind=False)
    ldm.fails("add-vcc port-range=7000-7001 v1 ldg1", "vntsd runs in the control domain")
    ldm.ok("add-vconscon port-range=7000-7001 primary-vcc0 primary")     # A5 alias
    ldm.fails("add-vcc port-range=7000-7001 primary-vcc0 primary",
              exact="Service primary-vcc0 already exists\n")
    ldm.fails("add-vcc port-range=8000-8001 v2 primary",
              "already has the virtual console concentrator primary-vcc0")


def test_vcc_survives_save_and_load(room):
    room.ok("add-vcc port-range=6000-6010 primary-vcc0 primary")
    cfg = room.config()
    assert [(v.name, v.ldom, v.lo, v.hi) for v in cfg.vccs] == \
        [("primary-vcc0", "primary", 6000, 6010)]
    from ldm.config import Config
    assert Config.from_dict(cfg.to_dict()) == cfg
