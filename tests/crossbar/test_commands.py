"""Scenario tests for every XSCF command: syntax, output columns, errors."""
import pytest

from sun4v.crossbar.catalogue import PLATFORMS, platform
from sun4v.crossbar.system import System


def rows(out):
    return [l for l in out.splitlines() if l.strip()]


# --- catalogue and boards --------------------------------------------------------------------

def test_catalogue_limits():
    assert platform("M4000").max_domains == 2
    assert platform("M5000").max_domains == 4
    assert platform("M8000").max_domains == 16
    assert platform("M9000-32").max_domains == 24
    assert platform("M9000-64").max_domains == 24
    assert platform("m9000-64").slots == 16 and platform("M9000-32").slots == 8
    assert platform("E10000").slots == 16 and platform("e10k").cpus_per_board == 4
    assert platform("M3000").cpu_ids_per_lsb == 8
    for m in PLATFORMS.values():
        assert m.chosen, f"{m.name} must say which facts were chosen"
    with pytest.raises(KeyError):
        platform("T5440")


def test_showhardconf(session):
    s = session("M8000")
    out = s.ok("showhardconf")
    assert out.startswith("SPARC Enterprise M8000;")
    assert out.count("CMU#") == 4 and out.count("IOU#") == 4
    out = s.ok("showhardconf -v")
    assert "Chosen:" in out and "Crossbar: 16 ports" in out
    out = session("M9000-64").ok("showhardconf")
    assert "XBU_B#15" in out
    out = session("E10000").ok("showhardconf -v")
    assert "Gigaplane-XB" in out and "UltraSPARC-II" in out and "filter:mask" in out
    s.fails("showhardconf -x", "option -x not recognized")


def test_showboards_columns(m5000):
    out = m5000.ok("showboards -a")
    lines = out.splitlines()
    assert lines[0] == "XSB  R DID(LSB) Assignment  Pwr  Conn Conf Test    Fault    COD"
    assert lines[1] == "---- - -------- ----------- ---- ---- ---- ------- -------- ----"
    assert lines[2] == "00-0   00(00)   Assigned    y    y    y    Passed  Normal   n"
    # the Nagios-style parser: Conf at index 5, Fault at 7 when R is blank
    assert lines[3].split()[5] == "y" and lines[3].split()[7] == "Normal"
    assert m5000.ok("showboards 01-0").splitlines()[2].startswith("01-0")
    m5000.fails("showboards 02-0", "does not exist")
    m5000.fails("showboards -c xx", "only -c sp")


def test_showboards_pool_and_domain_views(session):
    s = session("M8000")
    s.ok("setdcl -d 1 -a 0=00-0 1=01-0; setdcl -d 2 -a 0=01-0")
    s.ok("addboard -c assign -d 2 01-0")
    out = s.ok("showboards -d 1")
    assert "00-0   SP       Available" in out
    assert "01-0   02(00)   Unavailable" in out
    assert len(rows(out)) == 4
    out = s.ok("showboards -c sp")
    assert "01-0" not in out and "03-0   SP" in out


def test_showdcl_format(m5000):
    out = m5000.ok("showdcl -a")
    assert out.splitlines() == ["DID   LSB   XSB   Status",
                                "00                Running",
                                "      00    00-0",
                                "      01    01-0"]
    out = m5000.ok("showdcl -v -d 0")
    assert "No-Mem" in out and "FRU" in out and "False" in out
    m5000.fails("showdcl", "usage")
    m5000.fails("showdcl -d 9", "invalid DID 9")


def test_showdomainstatus(m5000):
    out = m5000.ok("showdomainstatus -a").splitlines()
    assert out[0].startswith("DID") and "Domain Status" in out[0]
    assert out[1].split(None, 1) == ["00", "Running"]
    assert out[2].split() == ["01", "-"]
    assert len(out) == 5                    # M5000: 4 domains
    assert m5000.ok("showdomainstatus -d 0").splitlines()[1].endswith("Running")


def test_setupfru_and_showfru(session):
    s = session("M5000")
    out = s.ok("showfru -a sb 0").splitlines()
    assert out[0] == "Device  Location    XSB Mode        Memory Mirror Mode"
    assert out[1] == "sb      00          Uni             no"
    s.ok("setupfru -x 4 sb 1")
    assert s.ok("showfru sb 1").splitlines()[1].split() == ["sb", "01", "Quad", "no"]
    assert [x for x in s.sys.xsbs] == ["00-0", "01-0", "01-1", "01-2", "01-3"]
    # quarters: 1 CPU, 8 DIMMs; on the M5000 only -0 and -1 carry I/O
    x = s.sys.xsbs
    assert len(x["01-2"].cpus) == 1 and x["01-2"].dimms == 8
    assert x["01-0"].has_io and x["01-1"].has_io and not x["01-2"].has_io
    s.ok("setupfru -m y sb 1")            # Quad mirror allowed on M4000/M5000
    assert s.sys.xsbs["01-3"].mem_mb == 8 * 4096 // 2
    s.fails("setupfru -x 2 sb 0", "invalid -x 2")
    s.fails("setupfru -x 4 sb 7", "does not exist")
    s.fails("setupfru sb 0", "usage")
    m8 = session("M8000")
    m8.ok("setupfru -x 4 sb 2")
    assert all(m8.sys.xsbs[f"02-{q}"].has_io for q in range(4))
    m8.fails("setupfru -m y sb 2", "not supported on M8000")
    session("E10000").fails("setupfru -x 4 sb 3", "does not support Quad")
    session("M3000").fails("setupfru -x 4 sb 0", "does not support Quad")


def test_setupfru_rules(session):
    s = session("M8000")
    s.ok("setupfru -x 4 sb 0; setdcl -d 0 -a 0=00-2")
    s.fails("setupfru -x 1 sb 0", "00-2 is registered in the DCL of DID 00")
    s.ok("addboard -c assign -d 0 00-2")
    s.fails("setupfru -x 1 sb 0", "assigned to DID 00")
    s.ok("deleteboard -c unassign 00-2; setdcl -d 0 -r 0; setupfru -x 1 sb 0")
    # a CMU with 2 CPUs cannot be divided into quarters
    s.ok("removefru cmu 3; installfru cmu 3 cpus=2 dimms=16")
    s.fails("setupfru -x 4 sb 3", "Quad-XSB needs one CPU and 8 DIMMs")


def test_iou_alone_is_no_psb(session):
    s = session("M8000")
    s.ok("removefru cmu 2")
    assert "02-0" not in s.sys.xsbs
    s.fails("setdcl -d 0 -a 0=02-0", "an IOU alone does not form a PSB")
    s.fails("showboards 02-0", "has no CMU")
    assert "IOU#2 alone does not form a PSB" in s.ok("showhardconf")
    s.ok("installfru cmu 2")
    assert "02-0" in s.sys.xsbs


def test_setdcl_rules(session):
    s = session("M8000")
    s.ok("setdcl -d 0 -a 0=00-0 1=01-0 02=2-0")
    assert s.sys.dcls[0].entries[2].xsb == "02-0"
    s.fails("setdcl -d 0 -a 3=00-0", "already registered in DID 00 as LSB#00")
    s.fails("setdcl -d 0 -a 16=03-0", "invalid LSB 16")
    s.fails("setdcl -d 16 -a 0=03-0", "invalid DID 16")
    s.fails("setdcl -d 0 -a 3=09-0", "does not exist")
    s.fails("setdcl -d 0 -a 3", "expected LSB=XSB")
    s.fails("setdcl -d 0 -a 3=03-0 -r 1", "usage")
    # the same XSB may sit in several DCLs (that is how moveboard works)
    s.ok("setdcl -d 1 -a 0=00-0")
    s.ok("addboard -c assign -d 0 00-0")
    s.fails("setdcl -d 0 -r 0", "assigned to DID 00")
    s.fails("setdcl -d 0 -a 0=03-0", "assigned to the domain")
    s.ok("setdcl -d 0 -r 2")
    assert 2 not in s.sys.dcls[0].entries
    s.fails("setdcl -d 0 -r 2", "not registered")
    # options
    s.ok("setdcl -d 0 -s no-mem=true 1; setdcl -d 0 -s no-io=true 1; "
         "setdcl -d 0 -s floating=true 1")
    e = s.sys.dcls[0].entries[1]
    assert e.no_mem and e.no_io and e.floating
    s.ok("setdcl -d 0 -s policy=system")
    assert s.sys.dcls[0].policy == "system"
    assert "SYSTEM" in s.ok("showdcl -v -d 0")
    s.fails("setdcl -d 0 -s policy=board", "invalid policy")
    s.fails("setdcl -d 0 -s policy=xsb 1", "give no LSB")
    s.fails("setdcl -d 0 -s no-mem=maybe 1", "expected true or false")
    s.fails("setdcl -d 0 -s no-mem=true", "give the LSB")
    s.fails("setdcl -d 0 -s colour=red 1", "invalid option")
    s.ok("setdcl -d 0 -s floating=false 1; setdcl -d 0 -s no-mem=false 1")
    s.ok("poweron -d 0")
    s.fails("setdcl -d 0 -s policy=fru", "only while the domain is powered off")
    s.fails("setdcl -d 0 -s floating=true 0", "only while it is not connected")
    s.fails("setdcl -d 0 -s no-mem=true 0", "only while it is not connected")


def test_poweron_poweroff_reset_status_words(m5000):
    s = m5000
    s.fails("poweron -d 0", "already powered on")
    s.ok("reset -d 0 panic")
    assert s.sys.domains[0].status == "Panic State"
    assert "Panic State" in s.ok("showdomainstatus -d 0")
    s.fails("reset -d 0 panic", "not running")
    s.ok("reset -d 0 por")
    assert s.sys.domains[0].status == "Running"
    s.ok("reset -d 0 xir")
    s.fails("reset -d 0 warm", "usage")
    s.ok("poweroff -d 0")
    assert s.sys.domains[0].status == "Powered Off"
    assert not s.sys.st("00-0").pwr and not any(d != -1 for d in s.sys.xbar.owner)
    s.fails("poweroff -d 0", "already powered off")
    s.fails("reset -d 0 por", "powered off")
    words = [e[2].split(": ", 1)[1] for e in s.sys.log if e[1] == "Power"]
    for w in ("Initialization Phase", "OpenBoot Executing Completed", "Booting",
              "Running", "Shutdown Started", "Powered Off", "Panic State"):
        assert w in words
    assert "Power " in s.ok("showlogs power")
    s.ok("poweron -a")
    assert s.sys.domains[0].status == "Running"
    assert "No domain to power on" in s.ok("poweron -a")
    s.ok("poweroff -a")
    s.ok("poweron -n -d 0")                 # answered no: nothing happens
    assert s.sys.domains[0].status == "Powered Off"


def test_poweron_needs_boards_and_memory(session):
    s = session("M8000")
    s.fails("poweron -d 3", "no XSB assigned")
    s.ok("setdcl -d 3 -a 0=02-0; addboard -c assign -d 3 02-0; setdcl -d 3 -s no-mem=true 0")
    s.fails("poweron -d 3", "no memory")


def test_m3000_fixed_configuration(session):
    s = session("M3000")
    assert "00-0   00(00)   Assigned" in s.ok("showboards -a")
    s.ok("poweron -d 0")
    s.fails("deleteboard 00-0", "does not support dynamic reconfiguration")
    s.fails("addboard -d 0 00-0", "does not support dynamic reconfiguration")
    s.fails("setdcl -d 0 -r 0", "fixed configuration")
    s.fails("showboards 00-1", "does not exist")


def test_showlogs_and_help(m5000):
    out = m5000.ok("showlogs")
    assert out.splitlines()[0].split() == ["Date", "Type", "Message"]
    assert "DCL LSB#00 = XSB#00-0" in out
    assert "Config" not in m5000.ok("showlogs dr")
    m5000.fails("showlogs bogus", "usage")
    out = m5000.ok("help")
    for c in ("showhardconf", "showboards", "showdcl", "setdcl", "setupfru", "showfru",
              "addboard", "deleteboard", "moveboard", "showdomainstatus", "poweron",
              "poweroff", "reset", "showlogs", "settraffic", "runtraffic"):
        assert c in out
    assert "Usage: addboard" in m5000.ok("help addboard")
    m5000.fails("help nothing", "no such command")
    m5000.fails("frobnicate", "command not found")
    m5000.fails('showboards "unterminated', "No closing quotation")


def test_traffic_commands(m5000):
    s = m5000
    s.fails("runtraffic", "no running domain has traffic")
    s.ok("settraffic -d 0 -r 10 -w 50 -i 5 -o 5 -a 0-65536")
    out = s.ok("runtraffic -n 500")
    assert "Ran 500 crossbar cycles" in out
    row = [l for l in out.splitlines() if l.startswith("00 ")][0].split()
    sent, delivered, blocked = int(row[2]), int(row[3]), int(row[4])
    assert sent > 0 and sent == delivered and blocked == 0
    out = s.ok("showtraffic")
    assert "cross-domain deliveries: 0" in out and "In flight: 0" in out
    assert "01-0" in s.ok("showxbar")
    s.fails("settraffic -d 0 -r 101", "out of range")
    s.fails("settraffic -d 0 -w 90 -i 20", "more than 100")
    s.fails("settraffic -d 0 -a 10-5", "invalid address range")
    s.fails("settraffic -d 0 -t 07-0", "does not exist")
    s.fails("runtraffic -n 0", "cycle count")
    s.ok("settraffic -d 0 off")
    s.fails("settraffic -d 0 off", "no traffic set")


def test_isolation_shown_in_logs(session):
    s = session("E10000")
    s.ok("setdcl -d 0 -a 0=SB0 1=SB1; setdcl -d 1 -a 0=SB2")
    s.ok("addboard -c assign -d 0 SB0 SB1; addboard -c assign -d 1 02-0; poweron -a")
    s.ok("settraffic -d 0 -r 10; settraffic -d 1 -r 10 -t 00-0")
    out = s.ok("runtraffic -n 1000")
    row1 = [l for l in out.splitlines() if l.startswith("01 ")][0].split()
    assert int(row1[4]) > 0                          # blocked
    assert s.sys.xbar.cross_domain_deliveries == 0
    log = s.ok("showlogs isolation")
    assert "from XSB#02-0 to XSB#00-0 (DID 00) blocked" in log
    assert s.ok("showxbar").splitlines()[1].split() == ["0", "00-0", "00", "0x0003"]


def test_osctl(m5000):
    s = m5000
    out = s.ok("osctl -d 0")
    assert "Kernel memory: XSB#00-0" in out and "I/O in use: 00-0" in out
    s.ok("osctl -d 0 bind-cpu 01-0; osctl -d 0 services off")
    assert "01-0" in s.sys.domains[0].os.bound_cpus
    s.fails("osctl -d 0 frob 01-0", "invalid action")
    s.fails("osctl -d 1 bind-cpu 01-0", "not running")
    s.fails("osctl -d 0 services maybe", "on or off")


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_every_platform_starts_clean(name):
    s = System(platform(name))
    assert s.check_invariants() == []
