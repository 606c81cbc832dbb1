"""The service processor's configurations (reference A3 list-spconfig, A5): factory-default
first, [current] while the running state matches, [next poweron] after a change or a
selection, the limits, and what the next power-on loads."""
from ldm.spconfig import MAX_CONFIGS


def test_fresh_machine(ldm):
    assert ldm.ok("list-spconfig") == "factory-default [current]\n"


def test_any_change_turns_current_into_next_poweron(ldm):
    ldm.ok("add-domain ldg1")
    assert ldm.ok("list-spconfig") == "factory-default [next poweron]\n"


def test_add_set_remove(carved):
    ldm = carved
    ldm.ok("add-spconfig initial")
    assert ldm.ok("list-spconfig") == "factory-default\ninitial [current]\n"
    ldm.ok("add-vcpu 1 ldg1")
    assert ldm.ok("list-spconfig") == "factory-default\ninitial [next poweron]\n"
    ldm.ok("remove-vcpu 1 ldg1")                  # back to the saved state
    assert ldm.ok("ls-spconfig") == "factory-default\ninitial [current]\n"
    ldm.ok("add-config second")                   # the older name
    ldm.ok("set-spconfig initial")
    assert ldm.ok("list-config") == "factory-default\ninitial [next poweron]\nsecond\n"
    ldm.ok("remove-spconfig initial")             # selected one removed: factory again
    assert ldm.ok("list-spconfig") == "factory-default [next poweron]\nsecond\n"
    ldm.fails("add-spconfig second", exact="The configuration second already exists\n")
    ldm.fails("add-spconfig factory-default",
              exact="The configuration factory-default already exists\n")
    ldm.fails("set-spconfig nosuch", exact="The configuration nosuch does not exist\n")
    ldm.fails("remove-spconfig factory-default",
              exact="The factory-default configuration cannot be removed\n")
    ldm.fails(["add-spconfig", "bad name"], exact="Invalid configuration name 'bad name'\n")
    ldm.fails("add-spconfig", "Usage: ldm add-spconfig")


def test_at_most_eight_configurations(ldm):
    for i in range(1, MAX_CONFIGS):
        ldm.ok(f"add-spconfig c{i}")
    ldm.fails("add-spconfig one-too-many", exact="The service processor holds at most 8 "
                                                 "configurations: remove one first\n")


def test_power_on_loads_the_selected_configuration_with_pending_reconf(carved):
    carved.ok("set-memory 8320M primary")        # delayed
    carved.ok("add-spconfig withpending")
    sp = carved.store.load_sp()
    cfg, sp2 = sp.power_on()
    assert cfg.pending is None
    assert cfg.bindings.get("primary").memory() == 8320 * 2 ** 20
    assert [d.state for d in cfg.domains] == ["active", "active", "bound", "inactive"]
    assert sp2.listing(cfg) == [("factory-default", ""), ("withpending", "[current]")]
    fresh, _ = sp.select("factory-default").power_on()
    assert fresh.names() == ["primary"]
    assert len(fresh.bindings.get("primary").vcpus) == 64
