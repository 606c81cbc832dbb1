"""State file (atomic, round trip, corrupt files) and the xscf command line."""
import json
import os
import subprocess
import sys

import pytest

from sun4v.crossbar import state
from sun4v.crossbar.xscf import main

XSCF = [sys.executable, "-m", "sun4v.crossbar.xscf"]


def xscf(*args, stdin=None):
    return subprocess.run(XSCF + list(args), input=stdin, capture_output=True, text=True,
                          timeout=60)


def test_round_trip(m5000, tmp_path):
    m5000.ok("settraffic -d 0 -r 10; runtraffic -n 200")
    p = tmp_path / "s.json"
    state.save(m5000.sys, str(p))
    back = state.load(str(p))
    assert state.dumps(back) == state.dumps(m5000.sys)
    assert back.check_invariants() == []


def test_crash_mid_write_keeps_previous_state(m5000, tmp_path, monkeypatch):
    p = tmp_path / "s.json"
    state.save(m5000.sys, str(p))
    old = p.read_text()
    m5000.ok("poweroff -d 0")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        state.save(m5000.sys, str(p))
    assert p.read_text() == old
    assert [f for f in os.listdir(tmp_path)] == ["s.json"]     # temp file cleaned up


def test_shell_saves_after_each_change(tmp_path, session):
    p = tmp_path / "st.json"
    s = session("M8000", state_path=str(p))
    s.ok("showboards")
    assert not p.exists()                       # nothing changed, nothing written
    s.ok("setdcl -d 0 -a 0=00-0")
    assert json.loads(p.read_text())["dcls"][0]["entries"]["0"]["xsb"] == "00-0"
    s.fails("addboard -d 0 01-0", "not registered")
    assert state.load(str(p)).dcls[0].entries[0].xsb == "00-0"


@pytest.mark.parametrize("content,word", [
    ("{not json", "corrupt"),
    ('{"format": "something-else"}', "not an xscf state file"),
    ('{"format": "sun4v-xscf-state", "version": 1, "platform": "M5000"}', "corrupt state"),
    ('{"format": "sun4v-xscf-state", "version": 99}', "version"),
])
def test_bad_state_file_is_one_line_exit_2(tmp_path, content, word, capsys):
    p = tmp_path / "bad.json"
    p.write_text(content)
    assert main(["--state", str(p), "-c", "showboards"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and word in err and "Traceback" not in err


def test_inconsistent_state_file_is_refused(m5000, tmp_path, capsys):
    d = state.to_dict(m5000.sys)
    d["xsbs"]["01-0"]["owner"] = 3               # in a domain whose DCL lacks it
    p = tmp_path / "x.json"
    p.write_text(json.dumps(d))
    assert main(["--state", str(p), "-c", "showboards"]) == 2
    assert "inconsistent state" in capsys.readouterr().err


def test_unreadable_state_file(tmp_path, capsys):
    d = tmp_path / "dir.json"
    d.mkdir()
    assert main(["--state", str(d), "-c", "showboards"]) == 2
    assert "cannot read state file" in capsys.readouterr().err


def test_cli_scripted_session_and_exit_codes(tmp_path):
    st = tmp_path / "m8.json"
    r = xscf("--platform", "M8000", "--state", str(st), "-c",
             "setdcl -d 0 -a 0=00-0 1=01-0; addboard -c assign -d 0 00-0 01-0; poweron -d 0")
    assert r.returncode == 0, r.stderr
    r = xscf("--state", str(st), "-c", "showboards -d 0; showdomainstatus -d 0")
    assert r.returncode == 0 and "00-0   00(00)   Assigned    y    y    y" in r.stdout
    assert "Running" in r.stdout
    r = xscf("--state", str(st), "-c", "addboard -d 0 02-0; showdcl -d 0")
    assert r.returncode == 1
    assert r.stderr == "addboard: XSB#02-0 is not registered in the DCL of DID 00\n"
    assert "DID   LSB   XSB   Status" in r.stdout       # later commands still run
    r = xscf("--state", str(st), "--platform", "M5000", "-c", "showboards")
    assert r.returncode == 2 and "is for the M8000" in r.stderr
    r = xscf("--platform", "T2000", "-c", "showboards")
    assert r.returncode == 2 and "unknown platform" in r.stderr
    assert r.stderr.count("\n") == 1


def test_cli_script_file_and_stdin_prompt(tmp_path):
    sc = tmp_path / "setup.xscf"
    sc.write_text("# build domain 1\nsetdcl -d 1 -a 0=01-0\n\naddboard -c assign -d 1 01-0\n"
                  "poweron -d 1\nshowdomainstatus -a\n")
    r = xscf("--platform", "M5000", str(sc))
    assert r.returncode == 0, r.stderr
    assert "01          Running" in r.stdout
    r = xscf(str(tmp_path / "missing.xscf"))
    assert r.returncode == 2 and "cannot read script" in r.stderr
    r = xscf("--platform", "E10000", stdin="showdomainstatus -d 0\nbogus\nexit\n")
    assert r.stdout.startswith("XSCF> DID")
    assert r.stdout.count("XSCF> ") == 3
    assert "bogus: command not found" in r.stderr and r.returncode == 1
    r = xscf("-c", "help", str(sc))
    assert r.returncode == 2


def test_console_script_help():
    r = xscf("--help")
    assert r.returncode == 0 and "--platform" in r.stdout and "M9000-64" in r.stdout


def test_demo_runs_clean():
    r = xscf("--demo")
    assert r.returncode == 0, r.stderr
    assert "XSCF> moveboard -c configure -d 1 02-0" in r.stdout
    assert "copy-rename: kernel memory moved from XSB#00-0" in r.stdout
    assert "cross-domain deliveries: 0" in r.stdout
    r = xscf("--echo", "-c", "showdomainstatus -d 0")
    assert r.stdout.startswith("XSCF> showdomainstatus -d 0\nDID")
    assert xscf("--demo", "-c", "help").returncode == 2
