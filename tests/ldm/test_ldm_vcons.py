"""`ldm set-vcons [port=] [group=] [service=] ldom` offline (ldm/vcons.py): the
consoles of one group share its port (CONS column, reference ldm_xscf.md A3), the group
is list-bindings' VCONS NAME (A4 `VCONS|group=`), `set-vconsole` is the long form, and
the refusals (one line, nothing changed)."""
import pytest


@pytest.fixture
def room(ldm):
    ldm.ok("set-vcpu 8 primary")
    ldm.ok("set-memory 4224M primary")
    ldm.ok("stop-domain -r primary")
    ldm.ok("add-vcc port-range=5000-5100 primary-vcc0 primary")
    for n in ("ldg1", "ldg2", "ldg3"):
        ldm.ok(f"add-domain {n}")
        ldm.ok(f"add-vcpu 2 {n}")
        ldm.ok(f"add-memory 1G {n}")
    return ldm


def _cons(ldm):
    return {x.split()[0]: x.split()[3] for x in ldm.ok("list").splitlines()[1:]
            if len(x.split()) > 3}


def test_a_group_shares_its_port(room):
    ldm = room
    assert ldm.ok("set-vcons port=5010 group=SP service=primary-vcc0 ldg1") == ""
    ldm.ok("set-vconsole group=SP ldg2")             # the long noun
    for n in ("ldg1", "ldg2", "ldg3"):
        ldm.ok(f"bind-domain {n}")
    c = _cons(ldm)
    assert (c["ldg1"], c["ldg2"]) == ("5010", "5010")
    assert c["ldg3"] == "5000"                       # its own group, the lowest free port
    g = ldm.ok("list-bindings ldg2").splitlines()
    i = g.index("VCONS")
    assert g[i + 2].split() == ["SP", "primary-vcc0@primary", "5010"]
    assert "VCONS|group=SP|service=primary-vcc0@primary|port=5010" in \
        ldm.ok("list-bindings -p ldg1").splitlines()
    assert "VCONS|group=ldg3|service=primary-vcc0@primary|port=5000" in \
        ldm.ok("list-bindings -p ldg3").splitlines()
    # the group outlives a member's unbinding; a rebound member finds the group's port
    ldm.ok("unbind-domain ldg1")
    ldm.ok("bind-domain ldg1")
    assert _cons(ldm)["ldg1"] == "5010"


def test_group_without_port_takes_the_first_members_port(room):
    ldm = room
    ldm.ok("set-vcons group=web ldg2")
    ldm.ok("set-vcons group=web ldg3")
    ldm.ok("bind-domain ldg1")
    ldm.ok("bind-domain ldg2")
    ldm.ok("bind-domain ldg3")
    c = _cons(ldm)
    assert (c["ldg1"], c["ldg2"], c["ldg3"]) == ("5000", "5001", "5001")


def test_reset_to_defaults(room):
    ldm = room
    ldm.ok("set-vcons port=5050 group=g1 ldg1")
    ldm.ok("set-vcons port= group= ldg1")
    ldm.ok("bind-domain ldg1")
    assert _cons(ldm)["ldg1"] == "5000"
    assert "VCONS|group=ldg1|service=primary-vcc0@primary|port=5000" in \
        ldm.ok("list-bindings -p ldg1").splitlines()


@pytest.mark.parametrize("line, words", [
    ("set-vcons port=99999 ldg1", "outside the console port range 5000-5100"),
    ("set-vcons port=abc ldg1", "Invalid port 'abc'"),
    ("set-vcons group=9bad ldg1", "Invalid console group name '9bad'"),
    ("set-vcons service=nosuch-vcc ldg1", "Service nosuch-vcc does not exist"),
    ("set-vcons port=5001 primary", "hypervisor's console"),
    ("set-vcons port=5001 nosuch", "LDom nosuch does not exist"),
])
def test_refusals(room, line, words):
    room.fails(line, words)


def test_conflicts_and_usage(room):
    ldm = room
    ldm.ok("set-vcons port=5020 group=g ldg1")
    ldm.fails("set-vcons port=5021 group=g ldg2", "console group g uses port 5020")
    ldm.ok("bind-domain ldg1")
    ldm.fails("set-vcons port=5020 ldg3", "already in use by console group g")
    ldm.fails("set-vcons port=5030 ldg1", "its console can be set only while it is "
              "inactive")
    st, out, err = ldm.run("set-vcons log=on ldg2")
    assert st != 0 and "Invalid property 'log'" in err and "Usage: ldm set-vcons" in err
    st, out, err = ldm.run("set-vcons port=5001")
    assert st != 0 and "Usage: ldm set-vcons" in err
    assert "VCONS" not in ldm.ok("list-constraints -p ldg2")
    assert "VCONS|group=g|port=5020" in ldm.ok("list-constraints -p ldg1").splitlines()
    h = ldm.ok("list-constraints ldg1").splitlines()
    i = h.index("VCONS")
    assert [x.split() for x in h[i + 1:i + 3]] == [["GROUP", "PORT"], ["g", "5020"]]


def test_group_survives_save_and_load(room):
    room.ok("set-vcons group=g port=5040 ldg1")
    room.ok("bind-domain ldg1")
    room.ok("add-spconfig withgroup")
    assert "VCONS|group=g|service=primary-vcc0@primary|port=5040" in \
        room.ok("list-bindings -p ldg1").splitlines()
