"""Variables (set/remove/list-variable) and DRM policies (add/set/remove/list-policy,
reference A7: every key and its validation)."""
import pytest

from ldm.actions import SetVariables
from ldm import settings
from ldm.policy import KEYS, Policy


def test_variables(carved):
    ldm = carved
    ldm.ok("set-variable auto-boot?=false boot-device=disk1 ldg1")
    assert ldm.ok("list-variable ldg1") == "auto-boot?=false\nboot-device=disk1\n"
    assert ldm.ok("ls-var boot-device ldg1") == "boot-device=disk1\n"
    ldm.ok("set-var boot-device=net ldg1")            # replaced in place
    assert ldm.ok("list-variable ldg1") == "auto-boot?=false\nboot-device=net\n"
    ldm.fails("list-variable nvramrc ldg1", exact="Variable nvramrc not found in "
                                                  "LDom ldg1\n")
    ldm.fails("remove-variable nvramrc ldg1", "not found")
    ldm.ok("rm-var auto-boot? ldg1")
    assert ldm.ok("list-variable ldg1") == "boot-device=net\n"
    ldm.fails("set-variable =x ldg1", "Invalid property '=x'")
    ldm.fails("set-variable ldg1", exact="set-variable needs at least one name=value\n")
    assert ldm.ok("list-variable -o json ldg1").strip().startswith("{")


def test_variables_on_an_active_guest_go_over_its_ds_channel(carved):
    ch = settings.set_variables(carved.config(), "ldg1", [("auto-boot?", "true")])
    assert ch.actions == (SetVariables("ldg1"),)
    ch = settings.set_variables(carved.config(), "ldg2", [("auto-boot?", "true")])
    assert ch.actions == ()                           # bound: nothing runs


def test_policy_add_set_remove_list(carved):
    ldm = carved
    ldm.ok("add-policy util-upper=80 util-lower=20 vcpu-min=2 vcpu-max=16 attack=2 "
           "decay=1 sample-rate=5 elastic-margin=10 priority=1 tod-begin=08:00 "
           "tod-end=18:30:15 enable=no name=busy ldg1 ldg2")
    p = ldm.config().domain("ldg1").constraints.policy("busy")
    assert p == Policy("busy", enable=False, priority=1, attack=2, decay=1,
                       elastic_margin=10, sample_rate=5, tod_begin=8 * 3600,
                       tod_end=18 * 3600 + 30 * 60 + 15, util_lower=20, util_upper=80,
                       vcpu_min=2, vcpu_max=16)
    assert ldm.config().domain("ldg2").constraints.policy("busy") == p
    ldm.fails("add-policy name=busy ldg1", exact="Policy busy already exists for "
                                                 "LDom ldg1\n")
    ldm.ok("set-policy enable=yes util-upper= name=busy ldg1")   # empty: default
    p2 = ldm.config().domain("ldg1").constraints.policy("busy")
    assert p2.enable and p2.util_upper == 70
    ldm.fails("set-policy enable=yes name=nosuch ldg1",
              exact="Policy nosuch does not exist for LDom ldg1\n")
    out = ldm.ok("list-policy ldg1")
    assert "STATUS PRI MIN MAX LO UP BEGIN    END      RATE EM ATK DK NAME" in out
    assert out.splitlines()[-1].split() == ["on", "1", "2", "16", "20", "70",
                                            "08:00:00", "18:30:15", "5", "10", "2", "1",
                                            "busy"]
    assert "POLICY" in ldm.ok("list -o resmgmt ldg1")
    ldm.ok("remove-policy name=busy ldg1")
    ldm.ok("remove-policy busy ldg2")
    assert ldm.config().domain("ldg1").constraints.policies == ()
    ldm.fails("remove-policy busy ldg1", "does not exist")


@pytest.mark.parametrize("props, message", [
    ("util-lower=70 util-upper=60", "util-lower (70) must be less than util-upper (60)"),
    ("util-upper=101", "Invalid util-upper 101: expected a percentage (0 to 100)"),
    ("vcpu-min=8 vcpu-max=4", "vcpu-min (8) must not exceed vcpu-max (4)"),
    ("tod-begin=18:00 tod-end=08:00", "tod-begin (18:00:00) must come before tod-end "
                                      "(08:00:00)"),
    ("tod-begin=25:00", "Invalid tod-begin value '25:00': expected hh:mm[:ss]"),
    ("priority=0", "Invalid priority 0: expected 1 to 9999"),
    ("priority=10000", "Invalid priority 10000: expected 1 to 9999"),
    ("enable=maybe", "Invalid enable value 'maybe': expected yes or no"),
    ("attack=0", "Invalid attack 0: expected a positive number"),
    ("sample-rate=0", "sample-rate must be at least 1 second"),
    ("elastic-margin=20", "elastic-margin (20) must be at least 0 and less than "
                          "util-upper - util-lower (10)"),
    ("decay=fast", "Invalid decay value 'fast': expected a number"),
    ("colour=red", "Invalid policy property 'colour'"),
])
def test_policy_validation(carved, props, message):
    carved.fails(f"add-policy {props} name=p ldg1", exact=message + "\n")


def test_every_a7_key_is_accepted():
    assert set(KEYS) == {"enable", "priority", "attack", "decay", "elastic-margin",
                         "sample-rate", "tod-begin", "tod-end", "util-lower",
                         "util-upper", "vcpu-min", "vcpu-max"}


def test_whole_core_policies_need_core_multiples_and_block_switching(carved):
    ldm = carved
    ldm.ok("add-core 2 ldg3")
    ldm.fails("add-policy vcpu-min=4 name=p ldg3", exact="vcpu-min=4 is not a whole-core "
                                                         "multiple (8 vCPUs per core)\n")
    ldm.ok("add-policy vcpu-min=8 vcpu-max=16 attack=8 decay=8 name=p ldg3")
    ldm.fails("set-vcpu 4 ldg3", exact="LDom ldg3 has DRM policies: whole cores cannot "
                                       "be switched on or off while a policy exists\n")
    ldm.ok("add-policy name=q ldg2")
    ldm.fails("set-core 1 ldg2", "whole cores cannot be switched on or off")


def test_policy_needs_a_name_and_a_domain(carved):
    carved.fails("add-policy util-upper=80 ldg1", "Usage: ldm add-policy")
    carved.fails("add-policy name=p", "Usage: ldm add-policy")
