"""Random `ldm` command sequences (hypothesis) on T1 and T2 platforms; after every
command: no strand in two domains, every bound domain's bindings fit the platform and
match its constraints, states and FLAGS agree, a refused command changed nothing, and
while primary's delayed reconfiguration is pending no other domain changed and the
pending change still fits."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ldm.commands import execute
from ldm.config import factory_default
from ldm.constraints import PRIMARY
from ldm.reconf import apply_pending
from ldm.spconfig import SpStore

from ldmkit import T2000, T5220

NAMES = ["primary", "g1", "g2", "g3"]
SIZES = ["256M", "512M", "1G", "1000M", "2G", "4224M", "8320M"]


class MemoryContext:
    """An in-memory configuration (same protocol as StoreContext)."""

    def __init__(self, cfg):
        from ldm.actions import OfflineBackend
        self.cfg, self.spstore = cfg, SpStore.initial(cfg)
        self.backend = OfflineBackend()

    def config(self):
        return self.cfg

    def commit(self, cfg):
        self.cfg = cfg

    def sp(self):
        return self.spstore

    def commit_sp(self, sp):
        self.spstore = sp


name = st.sampled_from(NAMES)
guest = st.sampled_from(NAMES[1:])
count = st.integers(1, 20)
# weighted towards what builds guests, so sequences reach bound and active domains,
# whole cores, split cores and pending reconfigurations
grow = st.one_of(
    st.builds(lambda n: f"add-domain {n}", guest),
    st.builds(lambda k, n: f"add-vcpu {k} {n}", st.integers(1, 12), guest),
    st.builds(lambda s, n: f"add-mem {s} {n}", st.sampled_from(["256M", "512M", "1G"]),
              guest),
    st.builds(lambda n: f"bind {n}", guest),
    st.builds(lambda n: f"start {n}", guest),
)
command = st.one_of(
    grow, grow, grow,
    st.builds(lambda n: f"add-domain {n}", name),
    st.builds(lambda n: f"remove-domain {n}", name),
    st.builds(lambda v, n: f"{v} {n}", st.sampled_from(
        ["bind", "unbind", "start", "stop", "stop -f", "stop -r"]), name),
    st.sampled_from(["stop -a", "start -a", "remove-domain -a", "start-reconf primary",
                     "cancel-reconf primary", "set-spconfig factory-default"]),
    st.builds(lambda op, k, n: f"{op}-vcpu {k} {n}",
              st.sampled_from(["add", "set", "remove"]), count, name),
    st.builds(lambda op, k, n: f"{op}-core {k} {n}",
              st.sampled_from(["add", "set", "remove"]), st.integers(1, 3), name),
    st.builds(lambda c, n: f"add-core cid={c} {n}", st.integers(0, 7), name),
    st.builds(lambda op, s, n: f"{op}-mem {s} {n}",
              st.sampled_from(["add", "set", "remove"]), st.sampled_from(SIZES), name),
    st.builds(lambda m, n: f"set-domain max-cores={m} {n}",
              st.sampled_from(["1", "2", "unlimited"]), name),
    st.builds(lambda m, n: f"set-domain master={m} {n}", name, name),
    st.builds(lambda n: f"set-var auto-boot?=false {n}", name),
    st.builds(lambda n: f"add-policy vcpu-min=8 name=p {n}", name),
    st.builds(lambda i: f"add-spconfig c{i}", st.integers(0, 9)),
)


def check_invariants(before, after, status):
    assert after.problems() == []
    t = after.topology
    owner = after.bindings.strand_owner()
    assert all(0 <= p < t.strands for p in owner)
    for d in after.domains:
        f = after.flags(d.name)
        assert len(f) == 6 and f[0] == "-" and f[4] == "-" and f[5] == "-"
        assert (f[1] == "n") == (d.state == "active")
        assert (f[2] == "d") == (d.name == PRIMARY and after.delayed)
        assert (f[3] == "c") == (d.name == PRIMARY)
        assert (d.state == "inactive") == (after.bindings.get(d.name) is None)
    if status != 0:
        assert after.digest() == before.digest()
    if before.delayed and after.delayed:
        for d in before.domains:
            if d.name != PRIMARY:
                assert after.get(d.name) == d
                assert after.bindings.get(d.name) == before.bindings.get(d.name)
    if after.delayed:
        apply_pending(after)                       # the reboot cannot fail


CARVE = ["set-vcpu {k} primary", "set-mem 4224M primary", "stop -r primary"]


def run_sequence(platform, seed, commands, primary_vcpus=None):
    ctx = MemoryContext(factory_default(platform, seed))
    if primary_vcpus is not None:           # make room for guests first
        k = min(primary_vcpus, platform.strands - 1)
        for line in CARVE:
            assert execute(line.format(k=k).split(), ctx).status == 0
    for line in commands:
        before, sp_before = ctx.cfg, ctx.spstore
        res = execute(line.split(), ctx)
        assert res.status in (0, 1), (line, res.err)
        assert "Traceback" not in "".join(res.err)
        # the model's own consistency check refusing a command means the binder or an
        # operation computed a broken configuration: that is a failure, not a refusal
        assert not any("Internal error" in x for x in res.err), (line, res.err)
        if res.status:
            assert res.err and not res.out
            assert ctx.spstore is sp_before
        check_invariants(before, ctx.cfg, res.status)


primary = st.one_of(st.none(), st.integers(1, 16), st.integers(20, 63))


@st.composite
def setups(draw):
    """Commands that build up to three guests in random states first."""
    out = []
    for n in draw(st.lists(guest, unique=True, max_size=3)):
        out.append(f"add-domain {n}")
        if draw(st.booleans()):
            out.append(f"add-core {draw(st.integers(1, 2))} {n}")
        else:
            out.append(f"add-vcpu {draw(st.integers(1, 12))} {n}")
        out.append(f"add-mem {draw(st.sampled_from(['256M', '512M', '1G']))} {n}")
        state = draw(st.sampled_from(["inactive", "bound", "active"]))
        if state != "inactive":
            out.append(f"bind {n}")
        if state == "active":
            out.append(f"start {n}")
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(platform=st.sampled_from([T2000, T5220]), seed=st.integers(0, 3), k=primary,
       setup=setups(), commands=st.lists(command, min_size=1, max_size=40))
def test_random_command_sequences_keep_the_invariants(platform, seed, k, setup, commands):
    run_sequence(platform, seed, setup + commands, k)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(platform=st.sampled_from([T2000, T5220]), seed=st.integers(0, 3), k=primary,
       setup=setups(), commands=st.lists(command, min_size=1, max_size=80))
def test_random_command_sequences_exhaustive(platform, seed, k, setup, commands):
    run_sequence(platform, seed, setup + commands, k)


def test_a_typical_sequence_passes_the_checks():
    """The checker itself, on a sequence known to reach split cores, whole cores, a
    pending reconfiguration and every state."""
    run_sequence(T2000, 0, [
        "set-vcpu 4 primary", "set-mem 4224M primary", "stop -r primary",
        "add-domain g1", "add-vcpu 26 g1", "add-mem 1G g1", "bind g1", "start g1",
        "add-domain g2", "add-vcpu 1 g2", "add-mem 1G g2", "bind g2",
        "add-domain g3", "add-core 1 g3", "add-mem 1G g3", "bind g3",
        "start-reconf primary", "add-vcpu 1 g1", "cancel-reconf primary",
        "remove-vcpu 3 g1", "add-core 1 g3", "stop -a", "unbind g2", "remove-domain g2"])
