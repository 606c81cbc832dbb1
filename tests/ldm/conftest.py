"""Fixtures of the ldm tests (helpers in ldmkit.py)."""
import pytest

from ldmkit import T5220, Session


@pytest.fixture
def ldm(tmp_path):
    return Session(tmp_path / "state")


@pytest.fixture
def make_session(tmp_path):
    n = [0]

    def make(topology=T5220, seed=0):
        n[0] += 1
        return Session(tmp_path / f"state{n[0]}", topology, seed)
    return make


@pytest.fixture
def carved(ldm):
    """primary shrunk to 8 vCPUs and 4224M (reboot applied), ldg1 (12 vCPUs, 8G) active,
    ldg2 (4 vCPUs, 2G) bound, ldg3 inactive with no resources."""
    ldm.ok("set-vcpu 8 primary")
    ldm.ok("set-memory 4224M primary")
    ldm.ok("stop-domain -r primary")
    for line in ("add-domain ldg1", "add-vcpu 12 ldg1", "add-memory 8G ldg1",
                 "bind-domain ldg1", "start-domain ldg1",
                 "add-domain ldg2", "add-vcpu 4 ldg2", "add-memory 2G ldg2",
                 "bind-domain ldg2", "add-domain ldg3"):
        ldm.ok(line)
    return ldm
