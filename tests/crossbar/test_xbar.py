"""The crossbar: per-port domain filter + arbiter unit, and the cycle-level engine."""
from hypothesis import given, settings, strategies as st

from sun4v.crossbar.catalogue import PLATFORMS, platform
from sun4v.crossbar.xbar import NO_DOMAIN, READ, Crossbar, FilterArbiter


def test_filter_did_mode_blocks_cross_domain():
    u = FilterArbiter(4, "did")
    u.set_port(0, 0)
    u.set_port(1, 0)
    u.set_port(2, 1)
    assert u.allowed(0, 1) and u.allowed(1, 0)
    assert not u.allowed(0, 2) and not u.allowed(2, 0)
    assert not u.allowed(3, 3)           # unassigned port sends nowhere
    grant, blocked = u.step([1, 2, 0, -1], [1, 1, 1, 1])
    assert grant == [True, False, False, False]
    assert blocked == [False, True, True, False]


def test_filter_mask_mode_uses_board_masks():
    u = FilterArbiter(16, "mask")
    u.set_port(0, 0, 0b0011)
    u.set_port(1, 0, 0b0011)
    u.set_port(5, 1, 0b100000)
    assert u.allowed(0, 1) and not u.allowed(0, 5) and not u.allowed(5, 0)
    assert u.accepts(1, 0) and not u.accepts(1, 1)


def test_round_robin_is_fair():
    u = FilterArbiter(4, "did")
    for p in range(4):
        u.set_port(p, 0)
    wins = [0] * 4
    for _ in range(400):
        grant, _ = u.step([3, 3, 3, -1], [1] * 4)
        assert sum(grant) == 1
        wins[grant.index(True)] += 1
    assert wins[:3] == [134, 133, 133] or max(wins[:3]) - min(wins[:3]) <= 1


def test_busy_output_holds_for_transfer_length():
    u = FilterArbiter(2, "did")
    u.set_port(0, 0)
    u.set_port(1, 0)
    grants = [u.step([1, -1], [4, 1])[0][0] for _ in range(8)]
    assert grants == [True, False, False, False, True, False, False, False]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_unit_property_grants_only_allowed_one_per_output(data):
    n = data.draw(st.integers(2, 16))
    mode = data.draw(st.sampled_from(["did", "mask"]))
    u = FilterArbiter(n, mode)
    doms = data.draw(st.lists(st.integers(-1, 3), min_size=n, max_size=n))
    members = {}
    for p, d in enumerate(doms):
        members[d] = members.get(d, 0) | (1 << p)
    for p, d in enumerate(doms):
        u.set_port(p, d, members[d] if d != -1 else 0)
    for _ in range(data.draw(st.integers(1, 6))):
        req = data.draw(st.lists(st.integers(-1, n - 1), min_size=n, max_size=n))
        lens = data.draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
        grant, blocked = u.step(req, lens)
        outs = [req[s] for s in range(n) if grant[s]]
        assert len(outs) == len(set(outs))
        for s in range(n):
            same = doms[s] != -1 and req[s] >= 0 and doms[s] == doms[req[s]]
            if grant[s]:
                assert same
            if req[s] >= 0:
                assert blocked[s] == (not same)
            else:
                assert not grant[s] and not blocked[s]


def test_unit_registers_round_trip():
    u = FilterArbiter(4, "did")
    u.set_port(1, 2)
    u.step([-1, 1, -1, -1], [1, 3, 1, 1])
    v = FilterArbiter(4, "did")
    v.load_registers(u.registers())
    assert v.registers() == u.registers()


def _xbar(model="M8000", ports=None):
    xb = Crossbar(platform(model))
    xb.program(ports or {0: 0, 4: 0, 8: 1})
    return xb


def test_latency_is_the_model_latency():
    for name in PLATFORMS:
        m = platform(name)
        xb = Crossbar(m)
        xb.program({0: 0})
        assert xb.offer(0, 0, 0, READ, 64)
        while xb.stats[0].delivered == 0:
            xb.tick()
        assert xb.stats[0].latency == m.xbar.latency_cycles


def test_bandwidth_of_one_port_is_bytes_per_cycle():
    for name in ("M5000", "M8000", "E10000"):
        m = platform(name)
        xb = Crossbar(m)
        a, b = m.port_of(0, 0), m.port_of(1, 0)
        xb.program({a: 0, b: 0})
        cycles = 4000
        for _ in range(cycles):
            xb.offer(a, b, 0, READ, 64)
            xb.tick()
        got = xb.stats[0].bytes / cycles
        assert abs(got - m.xbar.port_bytes_per_cycle) / m.xbar.port_bytes_per_cycle < 0.02


def test_blocked_transactions_are_isolation_events_and_counted():
    xb = _xbar()
    for _ in range(10):
        xb.offer(0, 8, 0, READ, 64)      # domain 0 aiming at domain 1's board
        xb.tick()
    for _ in range(50):
        xb.tick()
    assert xb.stats[0].blocked == 10 and xb.stats[0].delivered == 0
    assert xb.stats.get(1) is None
    assert xb.isolation[(0, 8, 0)][0] == 10
    assert xb.conserved() and xb.cross_domain_deliveries == 0


def test_reassigning_a_port_in_flight_blocks_at_the_destination():
    """Why DR drains: a port moved with transactions in flight would lose them."""
    xb = _xbar()
    xb.offer(0, 4, 0, READ, 64)
    xb.tick()                            # granted, now in the pipeline
    xb.program_port(4, 1)
    for _ in range(40):
        xb.tick()
    assert xb.stats[0].delivered == 0 and xb.stats[0].blocked == 1
    assert xb.cross_domain_deliveries == 0 and xb.conserved()


def test_queue_full_stalls_are_not_sent():
    xb = _xbar()
    depth = xb.t.queue_depth
    results = [xb.offer(0, 4, 0, READ, 64) for _ in range(depth + 3)]
    assert results.count(True) == depth and xb.stats[0].stalled == 3
    assert xb.stats[0].sent == depth


def test_crossbar_state_saved_only_when_idle():
    xb = _xbar()
    xb.offer(0, 4, 0, READ, 64)
    try:
        xb.to_dict()
        raise AssertionError("saved with a transaction in flight")
    except RuntimeError:
        pass
    while not xb.idle():
        xb.tick()
    d = xb.to_dict()
    yb = Crossbar(platform("M8000"))
    yb.load(d)
    assert yb.to_dict() == d
    assert NO_DOMAIN == yb.owner[1]
