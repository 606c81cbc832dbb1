"""Helpers for the crossbar / XSCF tests."""
import io

import pytest

from sun4v.crossbar.catalogue import platform
from sun4v.crossbar.system import System
from sun4v.crossbar.xscf import Shell


class Session:
    """An XSCF shell with captured output: ``run(line)`` -> (status, stdout, stderr)."""

    def __init__(self, model="M5000", state_path=None):
        self.sh = Shell(System(platform(model)), state_path, io.StringIO(), io.StringIO())

    @property
    def sys(self):
        return self.sh.sys

    def run(self, line):
        self.sh.out, self.sh.err = io.StringIO(), io.StringIO()
        st = self.sh.run_line(line)
        return st, self.sh.out.getvalue(), self.sh.err.getvalue()

    def ok(self, line):
        st, out, err = self.run(line)
        assert st == 0, f"{line!r} failed: {err}"
        assert err == ""
        return out

    def fails(self, line, *words):
        from sun4v.crossbar import state
        before = state.dumps(self.sys)
        st, out, err = self.run(line)
        assert st == 1, f"{line!r} should fail; out={out!r}"
        assert err.count("\n") == 1 and "Traceback" not in err, err
        for w in words:
            assert w in err, f"{w!r} not in {err!r}"
        assert state.dumps(self.sys) == before, "failed command changed the state"
        return err


@pytest.fixture
def session():
    return Session


@pytest.fixture
def m5000():
    s = Session("M5000")
    s.ok("setdcl -d 0 -a 0=00-0 1=01-0; addboard -c assign -d 0 00-0 01-0; poweron -d 0")
    return s
