"""Output layouts (reference A3, A4): `ldm list` columns at the real widths, the long
listing's blocks, list-devices and list-constraints; `-p` output parsed back and compared
with the configuration; `-o json`."""
import json

from ldm import formats, view
from ldm.actions import DomainStatus
from ldm.units import G, M

# `%-16s %-10s %-7s %-7s %-5s %-8s %-5s %s`: field starts
STARTS = [0, 17, 28, 36, 44, 50, 59, 65]


def cut(line):
    """Split a fixed-width `ldm list` line at the column starts."""
    ends = STARTS[1:] + [None]
    return [line[a:b].strip() for a, b in zip(STARTS, ends)]


def test_list_columns_at_the_real_widths(carved):
    lines = carved.ok("list").splitlines()
    assert lines[0] == ("NAME             STATE      FLAGS   CONS    VCPU  MEMORY   UTIL  "
                        "UPTIME")
    assert [lines[0][s:].split()[0] for s in STARTS] == [
        "NAME", "STATE", "FLAGS", "CONS", "VCPU", "MEMORY", "UTIL", "UPTIME"]
    rows = {cut(x)[0]: cut(x) for x in lines[1:]}
    assert rows["primary"] == ["primary", "active", "-n-c--", "UART", "8", "4224M", "", ""]
    assert rows["ldg1"] == ["ldg1", "active", "-n----", "5000", "12", "8G", "", ""]
    assert rows["ldg2"] == ["ldg2", "bound", "------", "5001", "4", "2G", "", ""]
    # bound rows stop after MEMORY, an inactive domain without resources after FLAGS
    assert lines[3] == "ldg2             bound      ------  5001    4     2G"
    assert lines[4] == "ldg3             inactive   ------"


def test_inactive_domain_with_constraints_shows_them(carved):
    carved.ok("add-vcpu 4 ldg3")
    carved.ok("add-mem 1G ldg3")
    line = carved.ok("list ldg3").splitlines()[1]
    assert line == "ldg3             inactive   ------          4     1G"


def test_a_long_name_pushes_the_line_right(carved):
    carved.ok("add-domain DR-PRD02-CBSAPP01")
    carved.ok("add-vcpu 2 DR-PRD02-CBSAPP01")
    line = carved.ok("list DR-PRD02-CBSAPP01").splitlines()[1]
    assert line == "DR-PRD02-CBSAPP01 inactive   ------          2"


def test_util_and_uptime_come_only_from_a_running_machine(carved):
    cfg = carved.config()
    st = DomainStatus(util=7.0, uptime=45 * 86400 + 8 * 3600 + 6 * 60 + 5,
                      vcpu_util={0: 1.5})
    r = view.row(cfg, "primary", st)
    assert formats.row_line(r) == ("primary          active     -n-c--  UART    8     "
                                   "4224M    7.0%  45d 8h 6m")
    assert formats.row_line(view.row(cfg, "ldg3", st)).endswith("------")
    d = view.detail(cfg, "primary", st)
    vcpu = formats.long_listing([d])
    assert "    0      0      0      1.5%   100%" in vcpu     # the reference's row


def test_uptime_and_size_formats():
    from ldm.units import format_size, format_uptime
    assert [format_uptime(s) for s in (42, 540, 2 * 3600 + 16 * 60, 3 * 86400 + 55 * 60,
                                       7 * 86400 + 19 * 3600 + 43 * 60)] == [
        "42s", "9m", "2h 16m", "3d 55m", "7d 19h 43m"]
    assert [format_size(x) for x in (32 * G, 32544 * M, 164 * G, 64 * 1024, 100)] == [
        "32G", "32544M", "164G", "64K", "100B"]


def test_long_listing_blocks(carved):
    out = carved.ok("list-bindings ldg1")
    lines = out.splitlines()
    assert lines[2] == ""
    titles = [x for x in lines if x and not x.startswith(" ") and x.isupper()
              and not x.startswith("NAME")]
    assert titles == ["UUID", "MAC", "HOSTID", "CONTROL", "DEPENDENCY", "CORE", "VCPU",
                      "MEMORY", "VCONS"]
    b = carved.config().bindings.get("ldg1")
    assert "    1      (8, 9, 10, 11, 12, 13, 14, 15)" in lines
    assert "    0      8      1             100%" in lines
    m = b.mblocks[0]
    assert f"    {m.ra:<#17x}{m.pa:<#17x}8G" in lines
    assert "    failure-policy=ignore" in lines and "    master=" in lines
    assert carved.ok("list -l ldg1") == out


def test_several_domains_in_a_long_listing_are_separated(carved):
    out = carved.ok("list -l primary ldg1").splitlines()
    assert out.count("-" * 78) == 1 and out.count(formats._line(formats.HEADER)) == 2


def test_output_selection_and_extended(carved):
    out = carved.ok("list -o core,memory ldg1")
    assert "CORE" in out and "MEMORY" in out and "UUID" not in out and "VCPU\n" not in out
    carved.fails("list -o disk ldg1", "Invalid format 'disk'")
    carved.fails("list -o json,core", "-o json cannot be combined")
    ext = carved.ok("list -e primary")
    assert "\nLDC\n" in ext
    assert "    0      0        hvctl    control     hypervisor:0     0x0     0x1" in ext


def parse_p(text):
    """-p output -> list of (keyword, {key: value}) with `|` sub-items as keyword ''."""
    lines = text.splitlines()
    assert lines[0] == "VERSION 1.6"
    out = []
    for line in lines[1:]:
        kw, *fields = line.split("|")
        out.append((kw, dict(f.split("=", 1) for f in fields)))
    return out


def test_parseable_list_parsed_back(carved):
    text = carved.ok("list -p")
    recs = parse_p(text)
    cfg = carved.config()
    assert [r[0] for r in recs] == ["DOMAIN"] * 4
    for line in text.splitlines()[1:]:
        f = line.split("|")
        name = f[1][5:]
        assert f[2] == f"state={cfg.domain(name).state}"       # field 3 (A4 scripts)
        b = cfg.bindings.get(name)
        cons = "" if b is None else ("UART" if b.console.port is None else
                                     str(b.console.port))
        assert f[4] == f"cons={cons}"                           # field 5
    d = {r[1]["name"]: r[1] for r in recs}
    assert d["primary"]["flags"] == "normal,control"
    assert d["ldg1"]["flags"] == "normal" and d["ldg2"]["flags"] == ""
    assert int(d["ldg1"]["mem"]) == 8 * G and d["ldg1"]["ncpu"] == "12"
    assert d["ldg3"] == dict(name="ldg3", state="inactive", flags="", cons="", ncpu="",
                             mem="", util="", uptime="")


def test_parseable_bindings_parsed_back(carved):
    recs = parse_p(carved.ok("list-bindings -p ldg1"))
    cfg = carved.config()
    b = cfg.bindings.get("ldg1")
    kws = [k for k, _ in recs]
    assert kws[:6] == ["DOMAIN", "UUID", "MAC", "HOSTID", "CONTROL", "DEPENDENCY"]
    i = kws.index("VCPU")
    vcpus = [(int(f["vid"]), int(f["pid"])) for k, f in recs[i + 1:] if k == "" and
             "vid" in f]
    assert vcpus == [(v.vid, v.pid) for v in b.vcpus]
    mem = [f for k, f in recs if k == "" and "ra" in f]
    assert [(int(f["ra"], 16), int(f["pa"], 16), int(f["size"])) for f in mem] == [
        (m.ra, m.pa, m.size) for m in b.mblocks]
    assert recs[kws.index("MAC")][1]["mac-addr"] == cfg.domain("ldg1").constraints.mac
    assert ("VCONS", {"group": "ldg1", "service": "hypervisor", "port": "5000"}) in recs


def test_parseable_devices_cover_the_platform(carved):
    recs = parse_p(carved.ok("list-devices -a -p"))
    cfg = carved.config()
    owner = cfg.bindings.strand_owner()
    vcpus = [f for k, f in recs if "pid" in f]
    assert [int(f["pid"]) for f in vcpus] == list(range(64))
    assert all(f["free"] == ("0" if int(f["pid"]) in owner else "100") for f in vcpus)
    mem = [(int(f["pa"], 16), int(f["size"]), f["bound"]) for k, f in recs if "pa" in f]
    assert sum(s for _, s, _ in mem) == 32 * G                  # tiles all RAM
    assert mem[0] == (0, 128 * M, "_sys_")
    assert {w for *_, w in mem} == {"_sys_", "primary", "ldg1", "ldg2", ""}
    free = parse_p(carved.ok("list-devices -p cpu"))
    assert len([f for k, f in free if "pid" in f]) == 64 - len(owner)


def test_devices_human(carved):
    out = carved.ok("list-devices core")
    assert out.splitlines()[:2] == ["CORE", "    ID      %FREE   CPUSET"]
    assert "    2       50      (16, 17, 18, 19, 20, 21, 22, 23)" in out
    assert "    0       0" not in out                           # only free ones
    mem = carved.ok("list-devices -a memory").splitlines()
    assert mem[:3] == ["MEMORY", "    PA                   SIZE            BOUND",
                       "    0x0                  128M            _sys_"]
    carved.fails("list-devices io", "Invalid device type 'io'")


def test_split_cores_are_shown(carved):
    assert "SPLIT CORE" not in carved.ok("list-devices -a core")
    carved.ok("add-vcpu 32 ldg3")                 # takes the last whole cores
    carved.ok("add-mem 1G ldg3")
    carved.ok("bind ldg3")
    for line in ("add-domain ldg4", "add-vcpu 1 ldg4", "add-mem 256M ldg4", "bind ldg4"):
        carved.ok(line)                           # no whole core left: splits core 2
    data = json.loads(carved.ok("list-devices -a -o json"))
    assert data["split_cores"] == {"2": ["ldg1", "ldg4"]}
    out = carved.ok("list-devices -a core").splitlines()
    assert out[out.index("SPLIT CORE") + 2] == "    2       ldg1, ldg4"


def test_constraints_human_and_parseable(carved):
    carved.ok("set-var auto-boot?=false ldg1")
    out = carved.ok("list-constraints ldg1").splitlines()
    assert out[:2] == ["DOMAIN", "ldg1"]
    assert out[out.index("VCPU") + 1:out.index("VCPU") + 3] == ["    COUNT", "    12"]
    assert out[out.index("MEMORY") + 1:out.index("MEMORY") + 3] == ["    SIZE", "    8G"]
    recs = dict(parse_p(carved.ok("list-constraints -p ldg1")))
    assert recs["VCPU"] == {"count": "12"} and recs["MEMORY"] == {"size": str(8 * G)}
    assert recs[""] == {"auto-boot?": "false"}


def test_json_outputs(carved):
    doms = json.loads(carved.ok("list -o json"))["domains"]
    assert [d["name"] for d in doms] == ["primary", "ldg1", "ldg2", "ldg3"]
    assert doms[1]["ncpu"] == 12 and doms[1]["util"] is None
    det = json.loads(carved.ok("list-bindings -o json ldg1"))["domains"][0]
    b = carved.config().bindings.get("ldg1")
    assert [(v["vid"], v["pid"]) for v in det["vcpus"]] == [(v.vid, v.pid)
                                                            for v in b.vcpus]
    assert det["ldc"][0]["service"] == "ds"
    cons = json.loads(carved.ok("list-constraints -o json ldg1"))["domains"][0]
    assert cons["vcpus"] == 12 and cons["memory"] == 8 * G
    sp = json.loads(carved.ok("list-spconfig -o json"))
    assert sp == {"configs": [{"name": "factory-default", "tag": "[next poweron]"}]}
    carved.fails("list -p -o json", "-p and -o json cannot be combined")


def _flags(ldm):
    lines = ldm.ok("list").splitlines()[1:]
    return {cut(x)[0]: cut(x)[2] for x in lines}


def test_v_flag_while_primary_serves_virtual_io(carved):
    """FLAGS position 5 (A2): `v` = virtual I/O service domain. primary shows `-n-cv-`
    while it provides a vds or a vcc, and `-n-c--` ("primary with no services") without;
    guests never get it; `-l -p` spells it `vio-service` after `control`."""
    assert _flags(carved)["primary"] == "-n-c--"
    carved.ok("add-vds primary-vds0 primary")
    assert _flags(carved)["primary"] == "-n-cv-"            # a vds
    carved.ok("remove-vds primary-vds0")
    assert _flags(carved)["primary"] == "-n-c--"
    carved.ok("add-vcc port-range=5000-5100 primary-vcc0 primary")
    f = _flags(carved)
    assert f["primary"] == "-n-cv-"                         # a vcc
    assert f["ldg1"] == "-n----" and f["ldg2"] == "------" and f["ldg3"] == "------"
    assert carved.ok("list primary").splitlines()[1].startswith(
        "primary          active     -n-cv-  UART    8     4224M")
    d = {r[1]["name"]: r[1] for r in parse_p(carved.ok("list -l -p"))
         if r[0] == "DOMAIN"}
    assert d["primary"]["flags"] == "normal,control,vio-service"
    assert d["ldg1"]["flags"] == "normal"
