"""Delayed reconfiguration of the control domain (reference A6): the d flag, the notices
as the reference words them, other domains' changes refused while it is pending,
cancel-reconf, the reboot that applies it, and the pending change having to fit."""
import pytest

from ldm import manager, resources
from ldm.actions import CancelReconfigure, DelayedReconfigure, GuestReboot
from ldm.reconf import INITIATING, NOTICE, RULE

INIT_TEXT = "".join(x + "\n" for x in INITIATING)
NOTICE_TEXT = "".join(x + "\n" for x in NOTICE)


def flags(ldm, name="primary"):
    return ldm.config().flags(name)


def test_notice_wording_follows_the_reference():
    assert INITIATING[0].startswith("Initiating delayed reconfigure operation on LDom "
                                    "primary")
    assert NOTICE[0] == ("Notice: LDom primary is in the process of a delayed "
                         "reconfiguration.")


def test_memory_change_on_primary_starts_a_delayed_reconfiguration(ldm):
    before = ldm.config()
    out = ldm.ok("set-memory 4224M primary")
    assert out == INIT_TEXT
    assert flags(ldm) == "-ndc--"
    cfg = ldm.config()
    # the running configuration is unchanged; the change waits
    assert cfg.bindings == before.bindings
    assert cfg.domain("primary").constraints == before.domain("primary").constraints
    assert cfg.pending.memory == 4224 * 2 ** 20
    assert ldm.ok("list").splitlines()[1].split()[2] == "-ndc--"


def test_later_changes_to_primary_are_deferred_with_the_notice(ldm):
    ldm.ok("set-memory 4224M primary")
    out = ldm.ok("set-vcpu 8 primary")          # dynamic normally, deferred now
    assert out == NOTICE_TEXT
    cfg = ldm.config()
    assert len(cfg.bindings.get("primary").vcpus) == 64
    assert cfg.pending.vcpus == 8
    assert ldm.ok("set-var auto-boot?=false primary") == NOTICE_TEXT
    assert cfg.domain("primary").constraints.variables == ()


def test_other_domains_are_refused_while_pending(ldm):
    ldm.ok("add-domain ldg1")
    ldm.ok("set-memory 4224M primary")
    refusal = (RULE + "\n" + NOTICE_TEXT + RULE + "\n"
               + "Delayed reconfiguration of LDom ldg1 is not permitted\n")
    for line in ("add-vcpu 4 ldg1", "set-mem 1G ldg1", "bind ldg1", "start ldg1",
                 "set-domain failure-policy=stop ldg1", "remove-domain ldg1",
                 "set-var a=b ldg1", "add-policy name=p ldg1", "add-core 1 ldg1"):
        ldm.fails(line, exact=refusal)
    ldm.fails("add-domain ldg2", "Delayed reconfiguration of LDom ldg2 is not permitted")
    # listing still works
    ldm.ok("list")
    ldm.ok("list-constraints ldg1")


def test_stop_all_refused_while_pending_as_in_the_fujitsu_example(carved):
    carved.ok("set-memory 8320M primary")
    err = carved.fails("stop-domain -a")
    assert err.startswith(RULE + "\nNotice: LDom primary is in the process")
    assert err.endswith("Delayed reconfiguration of LDom ldg1 is not permitted\n")


def test_cancel_reconf_drops_the_pending_change(ldm):
    ldm.ok("set-memory 4224M primary")
    ldm.ok("cancel-reconf primary")
    assert flags(ldm) == "-n-c--"
    assert ldm.config().pending is None
    assert ldm.config().domain("primary").constraints.memory == 32640 * 2 ** 20
    ldm.fails("cancel-reconf primary",
              exact="No delayed reconfiguration is pending on LDom primary\n")
    ldm.ok("add-domain ldg1")                    # others can be changed again
    ldm.fails("cancel-reconf ldg1",
              exact="No delayed reconfiguration is pending on LDom ldg1\n")


def test_cancel_operation_reconf_is_the_older_form(ldm):
    ldm.ok("start-reconf primary")
    ldm.ok("cancel-operation reconf primary")
    assert not ldm.config().delayed
    ldm.fails("cancel-operation migration primary", "only reconf is supported")


def test_start_reconf(ldm):
    assert ldm.ok("start-reconf primary") == INIT_TEXT
    assert flags(ldm) == "-ndc--"
    ldm.fails("start-reconf primary",
              exact="LDom primary is already in delayed reconfiguration\n")
    assert ldm.ok("remove-vcpu 4 primary") == NOTICE_TEXT


def test_start_reconf_on_a_guest_is_refused(ldm):
    ldm.ok("add-domain ldg1")
    ldm.fails("start-reconf ldg1", exact="Delayed reconfiguration applies only to the "
                                         "control domain primary\n")


def test_reboot_of_primary_applies_the_pending_change(ldm):
    ldm.ok("set-memory 4224M primary")
    ldm.ok("set-vcpu 8 primary")
    out = ldm.ok("stop-domain -r primary")
    assert "delayed reconfiguration of LDom primary is applied" in out
    cfg = ldm.config()
    assert cfg.pending is None and flags(ldm) == "-n-c--"
    p = cfg.bindings.get("primary")
    assert (len(p.vcpus), p.memory()) == (8, 4224 * 2 ** 20)
    assert cfg.domain("primary").constraints.memory == 4224 * 2 ** 20


def test_a_pending_change_must_fit_the_machine_now(carved):
    # ldg1 and ldg2 hold 10G: primary cannot grow into them
    carved.fails("set-memory 28800M primary", "Not enough free memory for primary")
    assert not carved.config().delayed


def test_actions_for_the_running_machine(ldm):
    cfg = ldm.config()
    ch, _ = resources.memory(cfg, "primary", "set", 4224 * 2 ** 20)
    assert ch.actions == (DelayedReconfigure("primary"),)
    ch2 = manager.cancel_reconf(ch.after, "primary")
    assert ch2.actions == (CancelReconfigure("primary"),)
    ch3 = manager.stop_domains(ch.after, ["primary"], reboot=True)
    assert ch3.actions == (GuestReboot("primary"),)
    assert ch3.after.pending is None


def test_whole_core_switch_and_max_cores_on_primary_are_delayed(ldm):
    assert ldm.ok("set-core 2 primary") == INIT_TEXT
    assert ldm.config().pending.whole_core
    ldm.ok("cancel-reconf primary")
    assert ldm.ok("set-domain max-cores=4 primary") == INIT_TEXT
    ldm.ok("cancel-reconf primary")
    # a dynamic change on primary without a pending reconfiguration applies at once
    assert ldm.ok("set-vcpu 16 primary") == ""
    assert len(ldm.config().bindings.get("primary").vcpus) == 16


@pytest.mark.parametrize("line", ["set-mem 4224M primary", "start-reconf primary"])
def test_delayed_flag_only_on_primary(carved, line):
    carved.ok(line)
    cfg = carved.config()
    assert [cfg.flags(n)[2] for n in cfg.names()] == ["d", "-", "-", "-"]
    assert "delayed-reconfig" in carved.ok("list -p primary")
