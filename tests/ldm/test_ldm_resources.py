"""vCPU, core and memory commands (reference A5, A6): counts, -c, cid=, mblock=,
max-cores, the 256M rule with its suggestion, --auto-adj, active-domain rules, and the
machine actions of a live change in the order the protocols require."""
from ldm import resources
from ldm.actions import DrConfigure, DrUnconfigure, MdUpdate, Reconfigure
from ldm.units import G, M


def vcpus(ldm, name):
    return len(ldm.config().bindings.get(name).vcpus)


def test_vcpu_counts_on_inactive_bound_and_active(carved):
    ldm = carved
    ldm.ok("add-vcpu 3 ldg3")
    assert ldm.config().domain("ldg3").constraints.vcpus == 3
    ldm.ok("add-vcpu 2 ldg2")                       # bound: rebound at once
    assert vcpus(ldm, "ldg2") == 6
    ldm.ok("remove-vcpu 4 ldg1")                    # active: dynamic
    assert vcpus(ldm, "ldg1") == 8
    ldm.ok("set-vcpu 10 ldg1")
    assert vcpus(ldm, "ldg1") == 10
    ldm.fails("remove-vcpu 10 ldg1", exact="LDom ldg1 must keep at least one vCPU: "
                                           "it has 10\n")
    ldm.fails("add-vcpu x ldg1", exact="Invalid number of vCPUs: 'x'\n")
    ldm.fails("add-vcpu 0 ldg1", exact="Invalid number of vCPUs: 0\n")
    ldm.fails("add-vcpu 100 ldg3", exact="The T5220 has 64 strands: 103 vCPUs cannot be "
                                         "assigned to ldg3\n")
    ldm.fails("add-vcpu 41 ldg2", exact="Not enough free vCPUs for ldg2: 41 needed, "
                                        "40 free\n")
    ldm.fails("add-vcpu 1 ldg1 extra", "Usage: ldm add-vcpu")


def test_live_vcpu_change_actions_follow_the_dr_ordering(carved):
    cfg = carved.config()
    add = resources.vcpus(cfg, "ldg1", "add", 4)
    assert add.actions == (Reconfigure(), MdUpdate("ldg1"),
                           DrConfigure("ldg1", (12, 13, 14, 15)))
    rem = resources.vcpus(cfg, "ldg1", "remove", 2, force=True)
    assert rem.actions == (DrUnconfigure("ldg1", (10, 11), True), Reconfigure(),
                           MdUpdate("ldg1"))
    bound = resources.vcpus(cfg, "ldg2", "add", 1)
    assert bound.actions == (Reconfigure(),)
    assert resources.vcpus(cfg, "ldg3", "add", 1).actions == ()


def test_remove_vcpu_force_flag(carved):
    carved.ok("remove-vcpu -f 2 ldg1")
    assert vcpus(carved, "ldg1") == 10
    carved.fails("add-vcpu -f 2 ldg1", "option -f not recognized")


def test_whole_cores(carved):
    ldm = carved
    ldm.ok("add-core 2 ldg3")                       # a fresh domain becomes whole-core
    c = ldm.config().domain("ldg3").constraints
    assert c.whole_core and c.core_count() == 2 and c.vcpu_count(8) == 16
    ldm.fails("add-vcpu 1 ldg3", exact="LDom ldg3 is configured with whole cores: use "
                                       "add-core, or set-vcpu to assign vCPUs instead\n")
    ldm.fails("add-core 1 ldg2", exact="LDom ldg2 is not configured with whole cores: "
                                       "use set-core to assign whole cores instead of "
                                       "vCPUs\n")
    ldm.ok("add-mem 1G ldg3")
    ldm.ok("bind ldg3")
    assert all(len(p) == 8 for p in ldm.config().bindings.cores_of("ldg3").values())
    ldm.ok("add-vcpu -c 1 ldg3")                    # -c means cores
    assert vcpus(ldm, "ldg3") == 24
    ldm.ok("remove-core 2 ldg3")
    assert vcpus(ldm, "ldg3") == 8
    ldm.fails("remove-core 1 ldg3", exact="LDom ldg3 must keep at least one core: "
                                          "it has 1\n")
    ldm.ok("set-core 1 ldg2")                       # bound: switched and rebound
    assert ldm.config().domain("ldg2").constraints.whole_core
    assert list(ldm.config().bindings.cores_of("ldg2").values()) == [
        list(range(pid, pid + 8)) for pid in
        [min(ldm.config().bindings.get("ldg2").pids())]]
    ldm.fails("set-core 2 ldg1", exact="LDom ldg1 is active: switching between vCPUs and "
                                       "whole cores needs it stopped\n")


def test_max_cores(carved):
    ldm = carved
    ldm.ok("add-domain max-cores=2 wc")
    ldm.ok("set-core 2 wc")
    ldm.fails("add-core 1 wc", exact="LDom wc would have 3 cores, more than its "
                                     "max-cores=2\n")
    ldm.fails("set-domain max-cores=1 wc", "would have 2 cores, more than its "
                                           "max-cores=1")
    ldm.ok("add-mem 1G wc")
    ldm.ok("bind wc")
    # max-cores of a bound guest does not change (A6)
    ldm.fails("set-domain max-cores=4 wc", exact="Cannot change max-cores of LDom wc "
                                                 "while it is bound: it must be "
                                                 "inactive\n")
    ldm.ok("unbind wc")
    ldm.ok("set-domain max-cores=unlimited wc")
    ldm.ok("add-core 1 wc")


def test_named_cores(carved):
    ldm = carved
    ldm.ok("add-core cid=6,7 ldg3")
    assert ldm.config().domain("ldg3").constraints.named_cores == (6, 7)
    ldm.ok("add-mem 1G ldg3")
    ldm.ok("bind ldg3")
    assert sorted(ldm.config().bindings.cores_of("ldg3")) == [6, 7]
    ldm.ok("remove-core cid=7 ldg3")
    assert sorted(ldm.config().bindings.cores_of("ldg3")) == [6]
    ldm.fails("remove-core cid=5 ldg3", exact="Core 5 is not assigned to ldg3\n")
    ldm.fails("add-core cid=6 ldg3", exact="Core 6 is already assigned to ldg3\n")
    ldm.fails("add-core cid=0 ldg3", exact="Core 0 is not free: bound to primary\n")
    ldm.fails("add-core cid=9 ldg3", "Core 9 does not exist on the T5220")
    ldm.fails("add-core cid=x ldg3", exact="Invalid core list 'x'\n")
    ldm.fails("add-core 1 ldg3", exact="LDom ldg3 has named cores: use add-core "
                                       "cid=...\n")


def test_memory_256m_rule_with_the_suggestion(ldm):
    err = ldm.fails("set-memory 4G primary")
    assert err == ("The requested change would remove 28544M from LDom primary, which "
                   "is not a multiple of 256M.\n"
                   "Use 'ldm set-mem 4224M primary' instead, or add --auto-adj.\n")
    ldm.ok("add-domain ldg1")
    ldm.fails("add-mem 1000M ldg1", "would add 1000M to LDom ldg1",
              "Use 'ldm add-mem 1G ldg1' instead")
    ldm.ok("add-mem 1G ldg1")
    ldm.fails("remove-mem 100M ldg1", "Use 'ldm remove-mem 256M ldg1' instead")
    ldm.fails("remove-mem 1G ldg1", exact="LDom ldg1 must keep at least 256M of memory\n")
    ldm.fails("set-mem 1Q ldg1", exact="Invalid memory size: '1Q'\n")


def test_auto_adj(ldm):
    out = ldm.ok("set-memory --auto-adj 4G primary")
    assert out.splitlines()[0] == "The request was adjusted to 4224M (256M multiples)"
    assert ldm.config().pending.memory == 4224 * M
    ldm.ok("cancel-reconf primary")
    ldm.ok("add-domain ldg1")
    ldm.ok("add-memory --auto-adj 300M ldg1")
    assert ldm.config().domain("ldg1").constraints.memory == 512 * M


def test_memory_of_an_active_guest_cannot_change(carved):
    carved.fails("add-mem 1G ldg1", exact="LDom ldg1 is active: its memory can only be "
                                          "changed while it is bound or inactive (memory "
                                          "dynamic reconfiguration is not supported)\n")
    carved.ok("add-mem 1G ldg2")                    # bound: rebound
    assert carved.config().bindings.get("ldg2").memory() == 3 * G


def test_named_mblocks(carved):
    ldm = carved
    ldm.ok("set-mem mblock=0x700000000:1G ldg3")
    c = ldm.config().domain("ldg3").constraints
    assert c.named_mblocks == ((0x700000000, G),) and c.memory_size() == G
    ldm.ok("add-mem mblock=0x740000000:512M ldg3")
    ldm.ok("add-vcpu 1 ldg3")
    ldm.ok("bind ldg3")
    blocks = sorted((m.pa, m.size) for m in ldm.config().bindings.get("ldg3").mblocks)
    assert blocks == [(0x700000000, G), (0x740000000, 512 * M)]
    ldm.fails("add-mem mblock=0x700000000:1G ldg3", "is already assigned to ldg3")
    ldm.fails("add-mem mblock=0x7f0000000:1G ldg3", "is not free")
    ldm.fails("add-mem mblock=zz ldg3", exact="Invalid mblock 'zz': expected PA:size\n")
    ldm.fails("add-mem 1G ldg3", exact="LDom ldg3 has named memory blocks: use "
                                       "add-memory mblock=...\n")


def test_aliases_for_memory_commands(carved):
    carved.ok("add-mem 256M ldg3")
    carved.ok("rm-mem 256M ldg2")
    carved.ok("set-memory 2G ldg3")
    assert carved.config().domain("ldg3").constraints.memory == 2 * G
    assert carved.config().bindings.get("ldg2").memory() == 1792 * M
