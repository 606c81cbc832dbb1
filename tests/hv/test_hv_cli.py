"""`sun4v boot` on the command line (issue 11 §4, §5): a run with its consoles and
summary, --console DIR, --stats, --until, --example; and bad input: a missing or invalid
configuration, more vCPUs or memory than the platform has, an unknown workload or
platform: one clear line on stderr, exit status 2, nothing run."""
import json
import subprocess
import sys

import pytest

from hvkit import guest

from setup_tools import ROOT


def sun4v(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sun4v", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=600)


def toml(tmp_path, text, name="c.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_boot_prints_consoles_and_summary(tmp_path):
    img = guest("basic")
    cfg = toml(tmp_path, f'''platform = "T2000"
[[domain]]
name = "primary"
vcpus = 2
memory = "512M"
image = "{img}"
iterations = 600
[[domain]]
name = "ldg1"
vcpus = 2
memory = "256M"
image = "{img}"
iterations = 400
''')
    r = sun4v("boot", cfg, "--stats", str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "[primary] primary: sun4v test guest, 2 vCPUs, 512 MB" in out
    assert "[ldg1] ldg1: result 400 iterations on 2 vCPUs" in out
    assert "sun4v boot: T2000 (Sun Fire T2000), 2 domains, functional; stopped" in out
    lines = out.splitlines()
    row = [ln for ln in lines if ln.startswith("ldg1 ")][0].split()
    assert row[1] == "stopped" and row[2] == "2" and row[3] == "4-5" and row[-1] == "0"
    st = json.loads((tmp_path / "s.json").read_text())
    assert [d["name"] for d in st["domains"]] == ["primary", "ldg1"]
    assert st["domains"][1]["strands"] == [4, 5]
    assert st["cores"][0]["core"] == 0 and st["instructions"] > 0
    # --console DIR: the logs, and no console lines on stdout
    r = sun4v("boot", cfg, "--console", str(tmp_path / "logs"))
    assert r.returncode == 0 and "[ldg1]" not in r.stdout
    assert "ldg1: result 400" in (tmp_path / "logs" / "ldg1.log").read_text()
    assert "sun4v hypervisor" in (tmp_path / "logs" / "hypervisor.log").read_text()
    # --until: stops at that simulated time
    r = sun4v("boot", cfg, "--until", "100us")
    assert r.returncode == 0 and "; until" in r.stdout


def test_boot_in_cycle_mode(tmp_path):
    """--mode cycle: the same consoles and end, the summary with the cycles, IPC and
    each domain's CPI, --stats with the cycle model's per-strand and per-core figures."""
    img = guest("basic")
    cfg = toml(tmp_path, f'''platform = "T5220"
[[domain]]
name = "primary"
vcpus = 1
memory = "512M"
image = "{img}"
iterations = 50
[[domain]]
name = "ldg1"
vcpus = 2
memory = "256M"
image = "{img}"
iterations = 40
''')
    r = sun4v("boot", cfg, "--mode", "cycle", "--stats", str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "[ldg1] ldg1: result 40 iterations on 2 vCPUs" in out
    assert "sun4v boot: T5220 (SPARC Enterprise T5220), 2 domains, cycle; stopped" in out
    lines = out.splitlines()
    sim = [ln for ln in lines if ln.startswith("simulated ")][0]
    assert " cycles (IPC " in sim
    hdr = [ln for ln in lines if ln.startswith("DOMAIN ")][0].split()
    assert hdr[-1] == "CPI"
    st = json.loads((tmp_path / "s.json").read_text())
    assert st["mode"] == "cycle" and st["chip"] == "t2" and st["cycles"] > st["instructions"]
    row = [ln for ln in lines if ln.startswith("ldg1 ")][0].split()
    dom = st["domains"][1]
    assert dom["name"] == "ldg1" and float(row[-1]) == round(dom["cycle"]["cpi"], 2) >= 1
    assert st["cores"][0]["id"] == 0 and 0 < st["cores"][0]["ipc"] <= 2
    assert st["l2"]["misses"] > 0 and "per_core" in st["l1d"]
    rows = {x["id"]: x for x in st["strands"]}
    assert sum(rows[p]["instructions"] for p in dom["strands"]) == \
        dom["cycle"]["instructions"] > 0
    assert all("running" in rows[p]["cycles"] for p in dom["strands"])


def test_example_configurations_parse():
    from sun4v.boot.config import load_config
    for plat in ("T2000", "T5220", "T5240", "T1000", "T6340"):
        r = sun4v("boot", "--example", plat)
        assert r.returncode == 0 and f'platform = "{plat}"' in r.stdout
    for f in (ROOT / "sun4v" / "boot" / "examples").glob("*.toml"):
        cfg = load_config(str(f))
        assert cfg.domains[0].name == "primary" and len(cfg.domains) == 3


BAD = [
    ("missing.toml", None, "no such file"),
    ("bad.toml", 'platform = \n', "not valid TOML"),
    ("nodom.toml", 'platform = "T2000"\n', "no [[domain]] table"),
    ("plat.toml", 'platform = "T9999"\n[[domain]]\nname="primary"\nvcpus=1\nmemory="1G"\n',
     "unknown platform 'T9999'"),
    ("cpus.toml", 'platform = "T2000"\n[[domain]]\nname="primary"\nvcpus=40\nmemory="1G"\n',
     "Not enough free vCPUs for primary: 40 needed, 32 free"),
    ("mem.toml", 'platform = "T2000"\n[[domain]]\nname="primary"\nvcpus=4\nmemory="100G"\n',
     "Not enough free memory for primary"),
    ("work.toml", 'platform = "T2000"\n[[domain]]\nname="primary"\nvcpus=4\nmemory="1G"\n'
     'workload="bogus"\n', "unknown workload 'bogus'"),
    ("first.toml", 'platform = "T2000"\n[[domain]]\nname="ldg1"\nvcpus=4\nmemory="1G"\n',
     "must be named 'primary'"),
    ("both.toml", 'platform = "T2000"\n[[domain]]\nname="primary"\nvcpus=4\ncores=1\n'
     'memory="1G"\n', "give vcpus or cores"),
    ("two.toml", 'platform = "T2000"\n[[domain]]\nname="primary"\nvcpus=2\nmemory="1G"\n'
     '[[domain]]\nname="ldg1"\nvcpus=40\nmemory="1G"\n', "domain ldg1: Not enough free vCPUs"),
]


@pytest.mark.parametrize("name, text, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_one_line_exit_2(tmp_path, name, text, message):
    path = toml(tmp_path, text, name) if text is not None else str(tmp_path / name)
    r = sun4v("boot", path)
    assert r.returncode == 2
    assert r.stdout == ""
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sun4v: ") and message in err[0], r.stderr


def test_bad_options(tmp_path):
    cfg = toml(tmp_path, 'platform = "T2000"\n[[domain]]\nname="primary"\nvcpus=1\n'
                         f'memory="256M"\nimage="{guest("basic")}"\n')
    nokernel = toml(tmp_path, 'platform = "T2000"\n[[domain]]\nname="primary"\nvcpus=1\n'
                              'memory="256M"\n', "k.toml")
    for path, args, msg in ((cfg, ["--until", "soon"], "--until soon"),
                            (cfg, ["--insns", "0"], "--insns"),
                            (cfg, ["--mode", "cycle", "--quantum", "10"],
                             "--quantum applies to functional mode"),
                            (cfg, ["--console", str(tmp_path / "no" / "dir")], "does not exist"),
                            (nokernel, [], "guest kernel is not built")):
        if path == nokernel and (ROOT / "build" / "fw" / "guest.bin").exists():
            continue
        r = sun4v("boot", path, *args)
        assert r.returncode == 2 and msg in r.stderr and len(r.stderr.splitlines()) == 1, \
            (args, r.stderr)
