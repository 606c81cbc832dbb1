"""The running manager beyond vCPU DR: delayed reconfiguration of the control domain
(reference ldm_xscf.md A: the `d` flag, the notices, other domains' changes refused
while it is pending, cancel-reconf), DRM policies acting on the hypervisor's
utilisation (reference A7), and `ldm` against a machine started with `sun4v boot
--ldmd SOCKET`."""
import os
import signal
import subprocess
import sys
import time

import livekit as L
from setup_tools import ROOT

NOTICE = ["Initiating delayed reconfigure operation on LDom primary.  All configuration",
          "changes for other LDoms are disabled until the LDom reboots, at which time",
          "the new configuration for LDom primary will also take effect."]


def flags(lm, name):
    out, _ = L.ldm(lm, "list")
    return next(ln.split()[2] for ln in out if ln.split()[0] == name)


def test_delayed_reconfiguration_of_primary():
    lm = L.boot([dict(name="primary", vcpus=4, memory="1G"),
                 dict(name="ldg1", vcpus=4, memory="1G")])
    out, _ = L.ldm(lm, "set-memory 2G primary")
    assert out == NOTICE
    assert flags(lm, "primary") == "-ndc--"
    assert lm.snapshot()["delayed"]
    assert [e.text for e in lm.events() if e.kind == "delayed"] == \
        ["delayed reconfiguration of LDom primary pending: it applies when primary reboots"]
    # the running primary keeps its memory until it reboots
    out, _ = L.ldm(lm, "list")
    assert next(ln.split()[5] for ln in out if ln.startswith("primary")) == "1G"
    # other domains are left alone while it is pending, and the refusal changes nothing
    _, err = L.ldm(lm, "add-vcpu 1 ldg1", status=1)
    assert err[-1] == "Delayed reconfiguration of LDom ldg1 is not permitted"
    L.check(lm)
    assert len(L.hv_vcpus(lm)["ldg1"]) == 4
    L.ldm(lm, "cancel-reconf primary")
    assert flags(lm, "primary") == "-n-c--"
    assert not lm.snapshot()["delayed"]
    # the hypervisor dropped its pending reconfiguration too: it takes one now (it
    # refuses any while a delayed one is pending, hvctl.c op_reconfig)
    L.ldm(lm, "add-vcpu 1 ldg1")
    L.check(lm)
    assert L.online_vids(lm, "ldg1") == set(range(5))


def test_drm_policies_act_on_the_hypervisors_utilisation():
    lm = L.boot([dict(name="primary", vcpus=4, memory="1G"),
                 dict(name="ldg1", vcpus=4, memory="1G", workload="int", threads=8,
                      iterations=100_000_000),
                 dict(name="ldg2", vcpus=4, memory="1G")])
    common = "util-upper=60 util-lower=20 vcpu-min=2 vcpu-max=8 attack=2 decay=1 " \
             "sample-rate=1"
    L.ldm(lm, f"add-policy {common} name=grow ldg1")
    L.ldm(lm, f"add-policy {common} name=shrink ldg2")
    lm.advance("6ms")                       # sample-rate 1 s = 1 ms simulated (drm_scale)
    L.check(lm)
    assert len(L.hv_vcpus(lm)["ldg1"]) == 8         # busy: grew by attack to vcpu-max
    assert len(L.hv_vcpus(lm)["ldg2"]) == 2         # idle: shrank by decay to vcpu-min
    assert L.online_vids(lm, "ldg1") == set(range(8))
    why = [e.text for e in lm.events() if e.kind == "policy"]
    assert any(t.startswith("policy grow: utilisation") and "> util-upper 60%: add 2 "
               "vCPUs (4 -> 6): done" in t for t in why), why
    assert any("> util-upper 60%: add 2 vCPUs (6 -> 8): done" in t for t in why), why
    assert any("< util-lower 20%: remove 1 vCPUs (3 -> 2): done" in t for t in why), why
    assert any("but at vcpu-max (8 vCPUs)" in t for t in why), why
    # disabled, a policy does nothing
    L.ldm(lm, "set-policy enable=no name=shrink ldg2")
    L.ldm(lm, "set-vcpu 4 ldg2")
    lm.advance("3ms")
    assert len(L.hv_vcpus(lm)["ldg2"]) == 4


def test_ldm_against_sun4v_boot_ldmd(tmp_path):
    """`sun4v boot CONFIG --ldmd SOCKET` runs the machine with its manager; the `ldm`
    console script (LDMD_SOCKET) changes it live; SIGTERM stops it with the summary."""
    cfg = tmp_path / "m.toml"
    cfg.write_text('platform = "T5220"\n'
                   '[[domain]]\nname = "primary"\nvcpus = 4\nmemory = "1G"\n'
                   '[[domain]]\nname = "ldg1"\nvcpus = 4\nmemory = "1G"\n')
    sock = str(tmp_path / "ldmd.sock")
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, LDMD_SOCKET=sock)
    env.pop("LDM_STATE", None)
    p = subprocess.Popen([os.path.join(bindir, "sun4v"), "boot", str(cfg), "--ldmd", sock,
                          "--console", str(tmp_path / "cons")], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        ldm = [os.path.join(bindir, "ldm")]

        def run(*args):
            return subprocess.run(ldm + list(args), capture_output=True, text=True,
                                  env=env, timeout=300)
        deadline = time.time() + 240
        while True:                     # up when the channels are: DR needs them
            r = run("add-vcpu", "2", "ldg1")
            if r.returncode == 0 or time.time() > deadline or p.poll() is not None:
                break
            assert "not connected yet" in r.stderr or "cannot connect" in r.stderr, r
            time.sleep(0.5)
        assert r.returncode == 0, (r, p.poll())
        r = run("list", "-p")
        assert r.returncode == 0
        assert any(ln.startswith("DOMAIN|name=ldg1|state=active|") and "|ncpu=6|" in ln
                   for ln in r.stdout.splitlines()), r.stdout
        r = run("list-events", "-k", "dr")
        assert "dr-cpu configure 4,5: vCPU 4 (strand 12) ok; vCPU 5 (strand 13) ok" \
            in r.stdout
        r = run("remove-vcpu", "9", "ldg1")
        assert r.returncode == 1
        assert r.stderr == "LDom ldg1 must keep at least one vCPU: it has 6\n"
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert not os.path.exists(sock)
    assert "dr-cpu: configure cpu 5: ok" in (tmp_path / "cons" / "ldg1.log").read_text()


WRITER = """
import sys
sys.path[:0] = [{tests!r}, {tests!r} + '/..']
from ldm.live import LiveManager
from sun4v.boot.config import parse_config
lm = LiveManager(parse_config({{"platform": "T5220", "domain": [
    {{"name": "primary", "vcpus": 4, "memory": "1G"}}]}}), sp_dir={dir!r})
print("ready", flush=True)
i = 0
while True:
    i += 1
    r = lm.execute(["add-spconfig", "cfg%d" % (i % 3)])
    r = lm.execute(["remove-spconfig", "cfg%d" % ((i + 1) % 3)])
"""


def test_sp_store_of_a_running_machine(tmp_path):
    """With sp_dir (sun4v boot --ldmd-state DIR) the saved configurations outlive the
    manager, and a kill in the middle of saving one leaves a whole store: one of the
    versions written, never a fragment."""
    d = str(tmp_path / "sp")
    doms = [dict(name="primary", vcpus=4, memory="1G"), dict(name="ldg1", vcpus=4,
                                                              memory="1G")]
    lm = L.boot(doms, sp_dir=d)
    L.ldm(lm, "add-spconfig two-domains")
    out, _ = L.ldm(lm, "list-spconfig")
    assert out == ["factory-default", "two-domains [current]"]
    lm2 = L.boot(doms, sp_dir=d)                    # the next run of the machine
    out, _ = L.ldm(lm2, "list-spconfig")
    assert out == ["factory-default", "two-domains [current]"]
    L.ldm(lm2, "remove-spconfig two-domains")
    assert L.ldm(L.boot(doms, sp_dir=d), "list-spconfig")[0] == \
        ["factory-default [next poweron]"]

    import random
    from ldm.store import Store
    tests = os.path.dirname(__file__)
    script = WRITER.format(tests=tests, dir=d)
    rng = random.Random(7)
    seen = set()
    for _ in range(4):
        p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             cwd=ROOT)
        assert p.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.6))
        p.send_signal(signal.SIGKILL)
        p.wait()
        names = Store(d).load_sp().names()          # whole and readable
        assert names[0] == "factory-default"
        assert set(names[1:]) <= {"cfg0", "cfg1", "cfg2"}, names
        seen.add(tuple(names))
    assert len(seen) > 1, seen                      # the kills landed at different times


def test_life_cycle_of_a_domain_on_a_running_machine():
    """add-domain, bind (the hypervisor takes the new guest), start (its kernel boots
    and runs the workload of its variables), DR, stop (domain-shutdown), stop -f
    (the hypervisor stops it), unbind, remove; stop -a and start again: the
    hypervisor's stop notice of a stop a command asked for is not taken later for the
    guest stopping by itself."""
    lm = L.boot([dict(name="primary", vcpus=4, memory="1G"),
                 dict(name="ldg1", vcpus=4, memory="1G", workload="int", threads=4,
                      iterations=100_000_000)])
    for line in ("add-domain ldg3", "add-vcpu 4 ldg3", "add-memory 1G ldg3",
                 "set-variable workload=int threads=4 iterations=100000000 ldg3",
                 "bind ldg3"):
        L.ldm(lm, line)
    L.check(lm)
    assert L.hv_guests(lm)["ldg3"] == "stopped"
    assert L.ldm(lm, "start ldg3")[0] == ["LDom ldg3 started"]
    lm.advance("3ms")
    L.check(lm)
    assert L.counters(lm, "ldg3")["state"] == "running" and L.progress(lm, "ldg3") > 0
    L.ldm(lm, "add-vcpu 2 ldg3")
    L.check(lm)
    assert L.online_vids(lm, "ldg3") == set(range(6))
    assert L.ldm(lm, "stop ldg3")[0] == ["LDom ldg3 stopped"]
    assert "domain-shutdown: stopping" in lm.console("ldg3")[0]
    L.check(lm)
    L.ldm(lm, "start ldg3")
    assert L.ldm(lm, "stop -f ldg3")[0] == ["LDom ldg3 stopped"]
    L.ldm(lm, "unbind ldg3")
    L.check(lm)
    assert "ldg3" not in L.hv_guests(lm)
    L.ldm(lm, "remove-domain ldg3")
    assert L.ldm(lm, "stop -a")[0] == ["LDom ldg1 stopped"]
    L.ldm(lm, "start ldg1")
    lm.advance("3ms")
    L.check(lm)
    out, _ = L.ldm(lm, "list")
    assert [ln.split()[:2] for ln in out[1:]] == [["primary", "active"], ["ldg1", "active"]]
    assert L.counters(lm, "ldg1")["state"] == "running"
    # the guest stops by itself (its own shutdown; here asked for on its DS channel
    # behind the manager's back): the hypervisor's notice makes it bound
    lm.channels.ds["ldg1"].shutdown(0)
    lm.advance("3ms")
    assert L.hv_guests(lm)["ldg1"] == "stopped"
    L.check(lm)
    assert any(e.text == "LDom ldg1 stopped (the hypervisor says it stopped by itself): "
               "now bound" for e in lm.events())


def test_list_events_offline(ldm):
    """Offline nothing runs: no events; bad operands refused."""
    assert ldm.ok("list-events") == \
        "No running machine: no events (ldm --socket SOCKET list-events)\n"
    assert ldm.ok("list-events -o json") == '{\n "events": []\n}\n'
    ldm.fails("list-events -n x", exact="Invalid count 'x'\n")
    ldm.fails("list-events nosuch", exact="LDom nosuch does not exist\n")
