"""Dynamic reconfiguration rules, the domain OS side of DR, and DR under load."""
import pytest

from sun4v.crossbar import dr


@pytest.fixture
def m8000(session):
    """M8000: domain 0 runs on 00-0 (kernel, boot I/O), 01-0 and Quad XSB 02-0; the other
    quarters of CMU#2 and 03-0 sit in the pool; domain 1 has a DCL too."""
    s = session("M8000")
    s.ok("setupfru -x 4 sb 2")
    s.ok("setdcl -d 0 -a 0=00-0 1=01-0 2=02-0 3=03-0 4=02-1")
    s.ok("setdcl -d 1 -a 0=03-0 1=01-0 2=02-3")
    s.ok("addboard -c assign -d 0 00-0 01-0 02-0")
    s.ok("poweron -d 0")
    return s


def test_addboard_modes(m8000):
    s = m8000
    s.ok("addboard -c configure -d 0 03-0")
    st = s.sys.st("03-0")
    assert (st.owner, st.pwr, st.conn, st.conf) == (0, True, True, True)
    assert s.sys.xbar.owner[s.sys.xsb("03-0").port] == 0
    assert "03-0" in s.sys.domains[0].os.mem_map.values()
    s.ok("addboard -c assign -d 0 02-1")
    st = s.sys.st("02-1")
    assert st.owner == 0 and not st.conn            # assigned, joins at next reboot
    assert "02-1   00(04)   Assigned    n    n    n" in s.ok("showboards 02-1")
    s.ok("addboard -c configure -d 0 02-1")         # configure the assigned board now
    assert s.sys.st("02-1").conn


def test_addboard_rules(m8000):
    s = m8000
    s.fails("addboard -d 0 02-2", "not registered in the DCL of DID 00")
    s.fails("addboard -d 1 01-0", "assigned to DID 00")
    s.fails("addboard -c assign -d 0 01-0", "already assigned")
    s.fails("addboard -c configure -d 0 01-0", "already configured")
    s.fails("addboard -c bogus -d 0 03-0", "invalid -c bogus")
    s.fails("addboard -d 0 03-0 03-0", "given twice")
    s.fails("addboard -d 0", "usage")
    s.fails("addboard -d 16 03-0", "invalid DID 16")
    s.fails("addboard -d 0 3x0", "invalid XSB number")
    s.fails("addboard -d 0 3-9", "does not exist on the M8000")
    s.ok("reset -d 0 panic")
    s.fails("addboard -c configure -d 0 03-0", "Panic State")


def test_reserve_applies_at_power_cycle(m8000):
    s = m8000
    s.ok("addboard -c reserve -d 1 03-0")
    out = s.ok("showboards 03-0")
    assert "03-0 * 01(00)   Available" in out
    s.fails("addboard -d 0 03-0", "reserved for DID 01")
    s.fails("addboard -c reserve -d 1 03-0", "already reserved")
    s.ok("deleteboard -c reserve 01-0")
    assert "01-0 * 00(01)   Assigned" in s.ok("showboards 01-0")
    assert s.sys.st("01-0").owner == 0              # still there until the power cycle
    s.ok("poweroff -d 0")
    assert s.sys.st("01-0").owner is None
    s.ok("poweron -d 1")
    assert s.sys.st("03-0").owner == 1 and s.sys.st("03-0").conn
    # cancelling a reservation
    s.ok("addboard -c reserve -d 1 01-0")
    s.fails("deleteboard -c disconnect 01-0", "use -c unassign")
    s.ok("deleteboard -c unassign 01-0")
    assert s.sys.st("01-0").reserved_for is None


def test_reserve_applies_at_reset(m8000):
    s = m8000
    s.ok("addboard -c reserve -d 0 03-0")
    s.ok("reset -d 0 por")
    assert s.sys.st("03-0").owner == 0 and s.sys.st("03-0").conn


def test_deleteboard_disconnect_and_unassign(m8000):
    s = m8000
    s.ok("deleteboard 01-0")                         # default -c disconnect
    st = s.sys.st("01-0")
    assert st.owner == 0 and not st.conn and st.pwr
    assert s.sys.xbar.owner[s.sys.xsb("01-0").port] == -1
    s.fails("deleteboard 01-0", "not connected")
    s.ok("addboard -c configure -d 0 01-0")
    s.ok("deleteboard -c unassign 01-0")
    assert s.sys.st("01-0").owner is None
    s.fails("deleteboard 01-0", "not assigned to any domain")
    s.fails("deleteboard -c frob 02-0", "invalid -c frob")


def test_kernel_memory_copy_rename(m8000):
    s = m8000
    os_ = s.sys.domains[0].os
    assert os_.kernel_xsb == "00-0"
    # 00-0 also holds the boot disk: refused unless forced
    s.fails("deleteboard -c unassign 00-0", "I/O devices of XSB#00-0 are in use")
    out = s.ok("deleteboard -f -c unassign 00-0")
    assert "copy-rename: kernel memory moved from XSB#00-0 to XSB#01-0" in out
    assert s.sys.domains[0].os.kernel_xsb == "01-0"
    assert "copy-rename of kernel memory" in s.ok("showlogs dr")
    # power cycling clears the address swap: kernel back on the first LSB with memory
    s.ok("reset -d 0 por")
    assert s.sys.domains[0].os.kernel_xsb == "01-0"
    assert sorted(s.sys.domains[0].os.mem_map) == [1, 2]


def test_copy_rename_target_rules(session):
    s = session("M8000")
    s.ok("setupfru -x 4 sb 1")
    s.ok("setdcl -d 0 -a 0=00-0 1=01-0 2=02-0")
    s.ok("addboard -c assign -d 0 00-0 01-0; poweron -d 0; osctl -d 0 io-idle 00-0")
    # the only other board is a quarter: not enough memory
    s.fails("deleteboard 00-0", "no copy-rename target", "less memory")
    s.ok("setdcl -d 0 -s floating=true 2; addboard -d 0 02-0")
    err = s.fails("deleteboard 00-0", "02-0 is floating (use -f)")
    assert "01-0 has less memory" in err
    s.ok("deleteboard -f 00-0")                       # forced onto the floating board
    assert s.sys.domains[0].os.kernel_xsb == "02-0"


def test_floating_board_keeps_out_of_kernel_cage(session):
    s = session("M8000")
    s.ok("setdcl -d 0 -a 0=00-0 1=01-0; setdcl -d 0 -s floating=true 0")
    s.ok("addboard -c assign -d 0 00-0 01-0; poweron -d 0")
    assert s.sys.domains[0].os.kernel_xsb == "01-0"


def test_last_board_and_no_memory_refusals(session):
    s = session("M8000")
    s.ok("setdcl -d 0 -a 0=00-0 1=01-0; setdcl -d 0 -s no-mem=true 1")
    s.ok("addboard -c assign -d 0 00-0 01-0; poweron -d 0")
    s.fails("deleteboard -f 00-0", "no copy-rename target", "01-0 has no memory")
    s.ok("deleteboard -c unassign 01-0")
    s.fails("deleteboard -f 00-0", "last board of running DID 00")
    s.ok("poweroff -d 0; deleteboard -c unassign 00-0")     # powered off: no OS involved


def test_os_refusals_leave_board_in_place(m8000):
    s = m8000
    s.ok("osctl -d 0 bind-cpu 01-0")
    s.fails("deleteboard 01-0", "refused by DID 00", "bound work")
    s.fails("deleteboard -f 01-0", "bound work")
    assert s.sys.st("01-0").conn and s.sys.st("01-0").owner == 0
    s.ok("osctl -d 0 unbind-cpu 01-0; osctl -d 0 io-busy 01-0")
    s.fails("deleteboard 01-0", "in use")
    s.ok("osctl -d 0 io-idle 01-0; osctl -d 0 services off")
    s.fails("deleteboard -c unassign 01-0", "dscp, dcs, sckmd")
    s.fails("moveboard -d 1 01-0", "dscp, dcs, sckmd")
    s.ok("osctl -d 0 services on")
    s.ok("deleteboard 01-0")


def test_moveboard(m8000):
    s = m8000
    s.fails("moveboard -d 1 03-0", "not assigned to any domain")
    s.fails("moveboard -d 1 02-0", "not registered in the DCL of DID 01")
    s.fails("moveboard -d 0 01-0", "already in DID 00")
    s.ok("addboard -c assign -d 1 03-0; poweron -d 1")
    out = s.ok("moveboard -c configure -d 1 01-0")
    assert "moved from DID 00 to DID 01" in out
    st = s.sys.st("01-0")
    assert st.owner == 1 and st.conn
    assert s.sys.xbar.owner[s.sys.xsb("01-0").port] == 1
    assert s.sys.lsb_of(1, "01-0") == 1
    s.ok("moveboard -c reserve -d 0 01-0")
    assert s.sys.st("01-0").reserved_for == 0 and s.sys.st("01-0").owner is None
    s.ok("reset -d 0 por")
    assert s.sys.st("01-0").owner == 0
    s.ok("setdcl -d 1 -a 5=02-0")
    s.ok("moveboard -c assign -d 1 02-0")
    assert s.sys.st("02-0").owner == 1 and not s.sys.st("02-0").conn


def test_domain_limits(session):
    s = session("M4000")
    s.fails("setdcl -d 2 -a 0=00-0", "invalid DID 2", "00-01")
    s.ok("setupfru -x 4 sb 0")
    s.ok("setdcl -d 0 -a 0=00-0 1=00-1 2=00-2 3=00-3")
    s.ok("setdcl -d 1 -a 0=00-2 1=00-3")
    s.ok("addboard -c assign -d 0 00-0 00-1; addboard -c assign -d 1 00-2 00-3")
    s.ok("poweron -a")
    assert s.sys.domains[0].running and s.sys.domains[1].running
    assert not s.sys.xsbs["00-2"].has_io and s.sys.domains[1].os.io_busy == set()
    m9 = session("M9000-32")
    m9.fails("setdcl -d 24 -a 0=00-0", "invalid DID 24")
    m9.ok("setdcl -d 23 -a 15=07-0")
    m9.fails("setdcl -d 23 -a 16=06-0", "invalid LSB 16")


def test_per_domain_xsb_limit(session, monkeypatch):
    """A domain never exceeds the model's XSB limit (lowered here to reach it)."""
    import dataclasses
    from sun4v.crossbar import catalogue
    small = dataclasses.replace(catalogue.PLATFORMS["M8000"], max_xsbs_per_domain=2)
    monkeypatch.setitem(catalogue.PLATFORMS, "M8000", small)
    s = session("M8000")
    s.ok("setdcl -d 0 -a 0=00-0 1=01-0 2=02-0; addboard -c assign -d 0 00-0 01-0")
    s.fails("addboard -c reserve -d 0 02-0", "would have 3 XSBs", "allows 2 per domain")


# --- DR under load ------------------------------------------------------------------------

def _loaded(session):
    s = session("M8000")
    s.ok("setdcl -d 0 -a 0=00-0 1=01-0 2=02-0; setdcl -d 1 -a 0=03-0 1=02-0")
    s.ok("addboard -c assign -d 0 00-0 01-0 02-0; addboard -c assign -d 1 03-0")
    s.ok("poweron -a")
    s.ok("settraffic -d 0 -r 25 -i 5 -o 5; settraffic -d 1 -r 25")
    return s


def test_dr_under_load_loses_nothing(session):
    s = _loaded(session)
    xb = s.sys.xbar
    s.ok("runtraffic -n 300")
    s.ok("moveboard -d 1 02-0")
    s.ok("deleteboard -f -c unassign 00-0")            # copy-rename under load
    s.ok("runtraffic -n 300")
    assert xb.total_sent > 1000
    assert xb.total_sent == xb.total_delivered         # every transaction arrived
    assert xb.total_blocked == 0 and xb.cross_domain_deliveries == 0
    for st in xb.stats.values():
        assert st.sent == st.delivered
    log = s.ok("showlogs dr")
    assert "XSB#02-0 quiesced at cycle" in log and "drained" in log
    drained = [l for l in log.splitlines() if "quiesced" in l]
    assert any(" 0 transaction(s)" not in l for l in drained), "no load during DR"
    assert s.sys.check_invariants() == []


def test_dr_without_drain_would_lose_transactions(session):
    """The control experiment: reassigning the port with traffic in flight loses it."""
    s = _loaded(session)
    sys_ = s.sys
    lost = 0
    for _ in range(5):
        before = sys_.xbar.total_blocked
        dr.deleteboard(sys_, ["02-0"], "disconnect", drain=False)
        lost += sys_.xbar.total_blocked - before
        dr.addboard(sys_, 0, ["02-0"], "configure")
    assert lost > 0
    assert sys_.xbar.cross_domain_deliveries == 0      # blocked, never mis-delivered
    assert sys_.xbar.conserved()
