"""Domain life cycle through the `ldm` command (reference A1): add, bind, start, stop,
unbind, remove; -a and -f; the control domain's rules; exact error wording; refused
commands change nothing."""
from ldm.reconf import RULE


def states(ldm):
    return {d.name: d.state for d in ldm.config().domains}


def test_factory_default_is_primary_alone_active(ldm):
    assert states(ldm) == {"primary": "active"}
    assert ldm.ok("list") == (
        "NAME             STATE      FLAGS   CONS    VCPU  MEMORY   UTIL  UPTIME\n"
        "primary          active     -n-c--  UART    64    32640M\n")


def test_full_life_cycle(ldm):
    ldm.ok("set-vcpu 8 primary")
    ldm.ok("set-memory 4224M primary")
    ldm.ok("stop-domain -r primary")
    ldm.ok("add-domain ldg1")
    assert states(ldm)["ldg1"] == "inactive"
    ldm.ok("add-vcpu 8 ldg1")
    ldm.ok("add-memory 2G ldg1")
    ldm.ok("bind-domain ldg1")
    assert states(ldm)["ldg1"] == "bound"
    assert len(ldm.config().bindings.get("ldg1").vcpus) == 8
    out = ldm.ok("start-domain ldg1")
    assert out == ("LDom ldg1 recorded as active: it starts at the next power-on "
                   "(no running machine)\n")
    assert states(ldm)["ldg1"] == "active"
    ldm.ok("stop-domain ldg1")
    assert states(ldm)["ldg1"] == "bound"
    ldm.ok("unbind-domain ldg1")
    assert states(ldm)["ldg1"] == "inactive"
    assert ldm.config().bindings.get("ldg1") is None
    ldm.ok("remove-domain ldg1")
    assert states(ldm) == {"primary": "active"}


def test_add_domain_errors(ldm):
    ldm.ok("add-domain ldg1")
    ldm.fails("add-domain ldg1", exact="LDom ldg1 already exists\n")
    ldm.fails("add-domain primary", exact="LDom primary already exists\n")
    ldm.fails("add-domain 1bad", "Invalid LDom name '1bad'")
    ldm.fails("add-domain failure-policy=sometimes ldg2",
              "Invalid failure-policy value 'sometimes'")
    ldm.fails("add-domain colour=red ldg2", exact="Invalid property 'colour'\n")
    ldm.fails("add-domain master=nosuch ldg2", exact="LDom nosuch does not exist\n")


def test_add_domain_several_and_with_properties(ldm):
    ldm.ok("add-domain failure-policy=reset ldg1 ldg2")
    cfg = ldm.config()
    assert [d.constraints.failure_policy for d in cfg.domains[1:]] == ["reset", "reset"]
    # identities differ and come from the store's seed
    assert cfg.domain("ldg1").constraints.mac != cfg.domain("ldg2").constraints.mac


def test_identities_are_deterministic_per_seed(make_session):
    a, b, c = make_session(seed=1), make_session(seed=1), make_session(seed=2)
    for s in (a, b, c):
        s.ok("add-domain ldg1")
    ident = [(s.config().domain("ldg1").constraints.mac,
              s.config().domain("ldg1").constraints.uuid) for s in (a, b, c)]
    assert ident[0] == ident[1] != ident[2]
    mac = ident[0][0]
    assert mac.startswith("00:14:4f:f8") or mac.startswith("00:14:4f:f9") or \
        mac.startswith("00:14:4f:fa") or mac.startswith("00:14:4f:fb")
    hostid = a.config().domain("ldg1").constraints.hostid
    assert hostid == "0x84" + mac.replace(":", "")[-6:]


def test_unknown_domain_gives_nonzero_exit_for_every_command(ldm):
    for line in ("ls nosuch", "list-bindings nosuch", "bind nosuch", "unbind nosuch",
                 "start nosuch", "stop nosuch", "rm-domain nosuch", "add-vcpu 1 nosuch",
                 "set-mem 1G nosuch", "set-domain failure-policy=stop nosuch",
                 "list-constraints nosuch", "set-var a=b nosuch"):
        ldm.fails(line, exact="LDom nosuch does not exist\n")


def test_bind_rules(ldm):
    ldm.ok("set-vcpu 8 primary")
    ldm.ok("add-domain ldg1")
    ldm.fails("bind ldg1", exact="LDom ldg1 has no vCPUs: add some before binding "
                                 "(ldm add-vcpu N ldg1)\n")
    ldm.ok("add-vcpu 4 ldg1")
    ldm.fails("bind ldg1", exact="LDom ldg1 has no memory: add some before binding "
                                 "(ldm add-memory SIZE ldg1)\n")
    ldm.fails("add-mem 64G ldg1", "has 32640M of memory for domains")
    ldm.ok("add-mem 1G ldg1")
    # primary still holds all memory: nothing to bind with
    ldm.fails("bind ldg1", exact="Not enough free memory for ldg1: 1G needed, 0 free "
                                 "in 256M-aligned blocks\n")
    ldm.ok("set-mem 4224M primary")
    ldm.ok("stop -r primary")
    ldm.ok("bind ldg1")
    ldm.fails("bind ldg1", exact="LDom ldg1 is already bound\n")
    ldm.ok("start ldg1")
    ldm.fails("bind ldg1", exact="LDom ldg1 is active\n")


def test_not_enough_vcpus(ldm):
    ldm.ok("set-vcpu 60 primary")
    ldm.ok("set-mem 4224M primary")
    ldm.ok("stop -r primary")
    ldm.ok("add-domain ldg1")
    ldm.ok("add-vcpu 8 ldg1")
    ldm.ok("add-mem 1G ldg1")
    ldm.fails("bind ldg1", exact="Not enough free vCPUs for ldg1: 8 needed, 4 free\n")


def test_start_stop_unbind_remove_rules(carved):
    ldm = carved
    ldm.fails("start ldg1", exact="LDom ldg1 is already active\n")
    ldm.fails("start ldg3", exact="LDom ldg3 is not bound: bind it first "
                                  "(ldm bind-domain ldg3)\n")
    ldm.fails("stop ldg2", exact="LDom ldg2 is not active\n")
    ldm.fails("unbind ldg1", exact="LDom ldg1 is active: stop it first\n")
    ldm.fails("unbind ldg3", exact="LDom ldg3 is not bound\n")
    ldm.fails("remove-domain ldg1", exact="LDom ldg1 is active: only inactive domains "
                                          "can be removed\n")
    ldm.fails("remove-domain ldg2", exact="LDom ldg2 is bound: only inactive domains "
                                          "can be removed\n")
    # nothing of a several-domain command happens when one is refused
    ldm.fails("remove-domain ldg3 ldg2", "LDom ldg2 is bound")
    assert "ldg3" in states(ldm)


def test_control_domain_cannot_be_stopped_unbound_or_removed(ldm):
    ldm.fails("stop primary", exact="The control domain primary cannot be stopped; "
                                    "reboot it with 'ldm stop-domain -r primary'\n")
    ldm.fails("unbind primary", exact="The control domain primary cannot be unbound\n")
    ldm.fails("remove-domain primary",
              exact="The control domain primary cannot be removed\n")
    ldm.fails("start primary", exact="LDom primary is already active\n")


def test_start_and_stop_all(carved):
    ldm = carved
    out = ldm.ok("start-domain -a")                 # the bound ones: ldg2
    assert out.count("recorded as active") == 1 and "ldg2" in out
    assert states(ldm) == {"primary": "active", "ldg1": "active", "ldg2": "active",
                           "ldg3": "inactive"}
    ldm.ok("stop-domain -a")                        # every active guest, not primary
    assert states(ldm) == {"primary": "active", "ldg1": "bound", "ldg2": "bound",
                           "ldg3": "inactive"}
    ldm.ok("stop-domain -a")                        # nothing active: nothing to do
    ldm.fails("start-domain -a ldg1", "Usage: ldm start-domain")


def test_stop_force_is_recorded_in_the_action(carved):
    from ldm import manager
    ch = manager.stop_domains(carved.config(), ["ldg1"], force=True)
    (act,) = ch.actions
    assert act.force and act.domain == "ldg1"
    carved.ok("stop-domain -f ldg1")
    assert states(carved)["ldg1"] == "bound"


def test_reboot_of_a_guest_changes_nothing_offline(carved):
    before = carved.files()
    out = carved.ok("stop-domain -r ldg1")
    assert out == "LDom ldg1 is not running (no running machine): nothing to reboot\n"
    assert carved.files() == before


def test_remove_all(carved):
    carved.fails("remove-domain -a", "is active: only inactive domains can be removed")
    carved.ok("stop -a")
    for n in ("ldg1", "ldg2"):
        carved.ok(f"unbind {n}")
    carved.ok("remove-domain -a")
    assert states(carved) == {"primary": "active"}


def test_master_dependencies(carved):
    ldm = carved
    ldm.ok("set-domain master=ldg1 ldg3")
    ldm.fails("set-domain master=ldg3 ldg1", exact="Master dependency cycle: LDom ldg1 "
                                                   "would be a master of its own master\n")
    ldm.fails("set-domain master=ldg3 ldg3", exact="LDom ldg3 cannot be its own master\n")
    ldm.fails("set-domain master=a,b,c,d,e ldg3", "At most 4 master domains")
    ldm.ok("stop ldg1")
    ldm.ok("unbind ldg1")
    ldm.fails("remove-domain ldg1", exact="LDom ldg1 is a master of LDom ldg3: remove "
                                          "the dependency first (ldm set-domain master= "
                                          "ldg3)\n")
    ldm.ok("set-domain master= ldg3")
    ldm.ok("remove-domain ldg1")


def test_set_domain_static_properties_need_an_inactive_guest(carved):
    ldm = carved
    ldm.fails("set-domain hostid=0x1234 ldg1", exact="Cannot change hostid of LDom ldg1 "
                                                     "while it is active: it must be "
                                                     "inactive\n")
    ldm.fails("set-domain cpu-arch=generic ldg2", "while it is bound")
    ldm.ok("set-domain hostid=1234abcd cpu-arch=generic ldg3")
    c = ldm.config().domain("ldg3").constraints
    assert (c.hostid, c.cpu_arch) == ("0x1234abcd", "generic")
    ldm.ok("set-domain cpu-arch= ldg3")             # empty value resets to the default
    assert ldm.config().domain("ldg3").constraints.cpu_arch == "native"
    ldm.ok("set-domain failure-policy=panic ldg1")  # dynamic on an active domain
    mac = ldm.config().domain("ldg1").constraints.mac
    ldm.fails(f"set-domain mac-addr={mac} ldg3",
              exact=f"MAC address {mac} is already in use by LDom ldg1\n")
    ldm.fails("set-domain hostid=0x1 primary", "primary's hostid is the system's")
    ldm.fails("set-domain ldg3", "needs at least one property")


def test_rule_line_is_78_dashes():
    assert RULE == "-" * 78
