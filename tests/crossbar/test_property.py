"""Property test: random XSCF command sequences keep every invariant after every step.

After each command: no XSB in two domains, DCLs consistent, model limits held, ports
programmed as the boards say, no cross-domain delivery, no lost transaction, a failed
command changed nothing, and the state file equals the state (it round-trips)."""
import io
import json
import os
import tempfile
from unittest import mock

from hypothesis import HealthCheck, given, settings, strategies as st

from sun4v.crossbar import state
from sun4v.crossbar.catalogue import platform
from sun4v.crossbar.system import System
from sun4v.crossbar.xscf import Shell

XSBS = {
    "M8000": ["00-0", "01-0", "02-0", "02-1", "03-0"],
    "M5000": ["00-0", "01-0", "01-1", "01-2", "01-3"],
    "E10000": ["00-0", "01-0", "02-0", "03-0", "04-0"],
}
DIDS = st.integers(0, 2)
LSBS = st.integers(0, 4)
FORCE = st.sampled_from(["", "-f "])


def _cmd(model):
    XSB = st.sampled_from(XSBS[model] + ["07-0"])
    add = st.builds("addboard {}-c {} -d {} {}".format, FORCE,
                    st.sampled_from(["assign", "configure", "reserve"]), DIDS, XSB)
    delete = st.builds("deleteboard {}-c {} {}".format, FORCE,
                       st.sampled_from(["disconnect", "unassign", "reserve"]), XSB)
    move = st.builds("moveboard {}-c {} -d {} {}".format, FORCE,
                     st.sampled_from(["assign", "configure", "reserve"]), DIDS, XSB)
    return st.one_of(
        add, delete, move, add, delete, move, add, move,
        st.builds("setdcl -d {} -a {}={}".format, DIDS, LSBS, XSB),
        st.builds("setdcl -d {} -r {}".format, DIDS, LSBS),
        st.builds("setdcl -d {} -s {}={} {}".format, DIDS,
                  st.sampled_from(["no-mem", "no-io", "floating"]),
                  st.sampled_from(["true", "false"]), LSBS),
        st.builds("setdcl -d {} -s policy={}".format, DIDS,
                  st.sampled_from(["fru", "xsb", "system"])),
        st.builds("setupfru -x {} sb {}".format, st.sampled_from(["1", "4"]),
                  st.integers(0, 3)),
        st.builds("poweron -d {}".format, DIDS),
        st.builds("poweroff -d {}".format, DIDS),
        st.builds("reset -d {} {}".format, DIDS, st.sampled_from(["por", "panic", "xir"])),
        st.builds("settraffic -d {} -r {}".format, DIDS, st.integers(0, 40)),
        st.builds("settraffic -d {} -t {}".format, DIDS, XSB),
        st.builds("runtraffic -n {}".format, st.integers(20, 150)),
        st.builds("osctl -d {} {} {}".format, DIDS,
                  st.sampled_from(["bind-cpu", "unbind-cpu", "io-busy", "io-idle"]), XSB),
        st.builds("osctl -d {} services {}".format, DIDS, st.sampled_from(["on", "off"])),
        st.sampled_from(["showboards -a", "showdcl -a", "showdomainstatus -a"]),
    )


PROLOGUES = {
    "M8000": "setdcl -d 0 -a 0=00-0 1=01-0 2=02-0; setdcl -d 1 -a 0=03-0 1=02-0 2=01-0; "
             "addboard -c assign -d 0 00-0 01-0; addboard -c assign -d 1 03-0",
    "E10000": "setdcl -d 0 -a 0=00-0 1=01-0 2=02-0; setdcl -d 1 -a 0=03-0 1=02-0 2=01-0; "
              "addboard -c assign -d 0 00-0 01-0; addboard -c assign -d 1 03-0",
    "M5000": "setupfru -x 4 sb 1; setdcl -d 0 -a 0=00-0 1=01-0 2=01-2; "
             "setdcl -d 1 -a 0=01-1 1=01-2 2=01-0; "
             "addboard -c assign -d 0 00-0 01-0; addboard -c assign -d 1 01-1",
}
TRAFFIC = "poweron -a; settraffic -d 0 -r 20 -i 5 -o 5; settraffic -d 1 -r 20"


def _check(sh: Shell, path: str, text_before: str, status: int, targeted: bool):
    s = sh.sys
    errs = s.check_invariants()
    assert errs == [], errs
    owners = {}
    for x, xs in s.xsb_state.items():
        for d in (xs.owner, xs.reserved_for):
            if d is not None:
                assert owners.setdefault(x, d) == d, f"{x} in two domains"
    for d, dcl in s.dcls.items():
        assert dcl.consistent()
    per = {}
    for x, d in owners.items():
        per[d] = per.get(d, 0) + 1
    assert all(n <= s.model.max_xsbs_per_domain for n in per.values())
    xb = s.xbar
    assert xb.idle() and xb.conserved() and xb.cross_domain_deliveries == 0
    if not targeted:
        assert xb.total_blocked == 0 and xb.total_sent == xb.total_delivered
    now = state.dumps(s)
    if status != 0:
        assert now == text_before, "a failed command changed the state"
    if os.path.exists(path):
        assert state.dumps(state.load(path)) == now
    assert state.dumps(state.from_dict(json.loads(now))) == now


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prologue=st.booleans(), case=st.sampled_from(["M8000", "M5000", "E10000"]).flatmap(
    lambda m: st.tuples(st.just(m), st.lists(_cmd(m), min_size=1, max_size=25))))
def test_random_xscf_sequences_keep_invariants(prologue, case):
    model, cmds = case
    # durability (fsync) is tested elsewhere; here only what is written matters
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(os, "fsync", lambda fd: None):
        path = os.path.join(tmp, "state.json")
        sh = Shell(System(platform(model)), path, io.StringIO(), io.StringIO())
        if prologue:
            for line in (PROLOGUES[model], TRAFFIC):
                assert sh.run_line(line) == 0, sh.err.getvalue()
        targeted = False
        for line in cmds:
            before = state.dumps(sh.sys)
            sh.err = io.StringIO()
            status = sh.run_line(line)
            err = sh.err.getvalue()
            assert "Traceback" not in err and "internal error" not in err, (line, err)
            if status:
                assert err.count("\n") == 1, (line, err)
            if " -t " in line:
                targeted = True
            _check(sh, path, before, status, targeted)
