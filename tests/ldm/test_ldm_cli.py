"""The `ldm` console script: init, where it acts (--state, --socket, LDMD_SOCKET), -V,
help, aliases (reference A5) and usage errors."""
import os
import subprocess
import sys

import pytest

from ldm.commands import COMMANDS, canonical

LDM = [sys.executable, "-m", "ldm.cli"]


def run(args, env=None, **kw):
    e = dict(os.environ)
    e.pop("LDMD_SOCKET", None)
    e.pop("LDM_STATE", None)
    e.update(env or {})
    return subprocess.run(LDM + args, capture_output=True, text=True, env=e, **kw)


def test_init_and_use_a_state_directory(tmp_path):
    d = str(tmp_path / "st")
    r = run(["--state", d, "list"])
    assert r.returncode == 1 and "No saved configuration in" in r.stderr
    assert "ldm init --platform NAME" in r.stderr
    r = run(["init", "--platform", "t2000", "--memory", "16G", "--state", d])
    assert r.returncode == 1                       # --state goes before the command
    r = run(["--state", d, "init", "--platform", "t2000", "--memory", "16G"])
    assert r.returncode == 0 and "factory-default configuration of a T2000" in r.stdout
    r = run(["--state", d, "list"])
    assert r.stdout.splitlines()[1].split() == ["primary", "active", "-n-c--", "UART",
                                                "32", "16256M"]
    r = run(["ls"], env={"LDM_STATE": d})
    assert r.returncode == 0 and "primary" in r.stdout
    r = run(["--state", d, "init", "--platform", "T5220"])
    assert r.returncode == 1 and "already exists" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["init"], "Usage: ldm init --platform NAME"),
    (["init", "--platform", "T9999"], "Unknown platform 'T9999'"),
    (["init", "--platform", "T2000", "--memory", "128G"], "The T2000 holds at most 64G"),
    (["init", "--platform", "T5240", "--memory", "768M"],
     "must be a positive multiple of 512M"),
    (["init", "--platform", "T2000", "--seed", "x"], "invalid seed"),
])
def test_init_errors(tmp_path, args, message):
    r = run(["--state", str(tmp_path / "s")] + args)
    assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr


def test_state_wins_over_ldmd_socket(tmp_path):
    d = str(tmp_path / "st")
    assert run(["--state", d, "init", "--platform", "T5220"]).returncode == 0
    r = run(["--state", d, "ls"], env={"LDMD_SOCKET": str(tmp_path / "none")})
    assert r.returncode == 0
    r = run(["ls"], env={"LDMD_SOCKET": str(tmp_path / "none"), "LDM_STATE": d})
    assert r.returncode == 1 and "cannot connect to ldmd" in r.stderr
    r = run(["--state", d, "--socket", "x", "ls"])
    assert r.returncode == 1 and "either --state or --socket" in r.stderr
    r = run(["--socket", "x", "init", "--platform", "T5220"])
    assert r.returncode == 1 and "cannot be used with --socket" in r.stderr


def test_version_and_help(tmp_path):
    r = run(["-V"], env={"LDM_STATE": str(tmp_path / "none")})
    assert r.returncode == 0
    assert r.stdout.splitlines()[:3] == ["Logical Domains Manager (v 3.1)",
                                         "        Hypervisor control protocol v 1.1",
                                         "        Using Hypervisor MD v 1.0"]
    assert "System PROM:\n        (no running machine)\n" in r.stdout
    r = run(["--help"])
    assert r.returncode == 0 and "add-vcpu [-c] number ldom" in r.stdout
    r = run([])
    assert r.returncode == 1 and r.stderr.startswith("Usage: ldm")


def test_aliases():
    assert canonical("ls") == canonical("list") == "list-domain"
    assert canonical("ls-dom") == "list-domain"
    assert canonical("rm-mem") == "remove-memory"
    assert canonical("set-mem") == "set-memory"
    assert canonical("ls-var") == canonical("list-var") == "list-variable"
    assert canonical("add-config") == "add-spconfig"
    assert canonical("ls-config") == "list-spconfig"
    assert canonical("destroy") == canonical("rm-domain") == "remove-domain"
    assert canonical("create") == "add-domain"
    for w in ("bind", "unbind", "start", "stop"):
        assert canonical(w) == f"{w}-domain"
    assert canonical("ls-bindings") == "list-bindings"
    assert canonical("ls-constraints") == "list-constraints"


def test_every_subcommand_of_the_brief_exists():
    wanted = ["add-domain", "set-domain", "remove-domain", "list-domain", "list-bindings",
              "list-devices", "list-constraints", "bind-domain", "unbind-domain",
              "start-domain", "stop-domain", "start-reconf", "cancel-reconf",
              "add-spconfig", "set-spconfig", "remove-spconfig", "list-spconfig",
              "set-variable", "remove-variable", "list-variable", "add-policy",
              "set-policy", "remove-policy", "list-policy"]
    wanted += [f"{op}-{r}" for op in ("add", "set", "remove")
               for r in ("vcpu", "core", "memory")]
    assert sorted(set(wanted) - set(COMMANDS)) == []


def test_usage_errors(carved):
    carved.fails("frobnicate", exact="Unknown command 'frobnicate'; 'ldm --help' lists "
                                     "them\n")
    carved.fails("bind ldg1 ldg2", exact="Usage: ldm bind-domain ldom\n")
    carved.fails("list -z", "ldm list-domain: option -z not recognized",
                 "Usage: ldm list-domain")
    carved.fails("add-vcpu 4", exact="Usage: ldm add-vcpu [-c] number ldom\n")
    carved.fails("remove-domain", exact="Usage: ldm remove-domain -a | ldom...\n")


def test_broken_pipe_is_quiet(tmp_path):
    d = str(tmp_path / "st")
    run(["--state", d, "init", "--platform", "T5440"])
    p = subprocess.Popen(f"{sys.executable} -m ldm.cli --state {d} list-devices -a | "
                         f"head -1", shell=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    assert out == "CORE\n" and "Traceback" not in err
