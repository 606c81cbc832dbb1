"""The TUI over the REAL machine: the T5220 of `make demo` (ldm/tui/demo.toml: primary,
ldg1 running 16 integer threads, ldg2 a request server) booted with the firmware
hypervisor and the guest kernel, its domain manager (ldm.live) driven by the app's
machine worker (ldm/tui/live.py).  Typing `add-vcpu 4 ldg1` on the `:` line must go the
real way (MD into the hypervisor, reconfigure, md-update, dr-cpu) and show in the
table, the strand map, the guest's console and the DR log; the hypervisor's own vCPU
table (read from its memory, not through the manager) must agree.  `ldm tui --attach`
over `sun4v boot CONFIG --ldmd SOCKET` in another process: the table follows a command
typed in the TUI.  A DRM policy added on the `:` line acts on the busy guest
and the TUI notifies why."""
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_tui_app import SIZE, cell, log_text, settle, type_line

from ldm.tui.app import LdmApp
from ldm.tui.cli import DEMO_CONFIG, TuiError, build
from ldm.tui.live import LiveController
from ldm.tui.screens import ConfirmScreen
from ldm.tui.widgets import Consoles, StrandMap

import livekit_path  # noqa: E402,F401  (tests/ldm on sys.path)
import livekit  # noqa: E402

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]


def owned(app, name):
    snap = app.query_one(StrandMap).snapshot
    return sorted(s.pid for s in snap.strands if s.owner == name)


async def test_add_vcpu_typed_in_the_tui_reconfigures_the_running_guest():
    livekit.require_built(livekit.KERNEL)
    livekit.require_built(livekit.HV_ELF)
    ctl = LiveController.boot(DEMO_CONFIG)
    try:
        lm = ctl.lm
        assert lm.wait_ready("60ms"), "the demo machine's services did not come up"
        t0 = lm.time
        app = LdmApp(ctl, sample=0.25e-3, pause_at=t0 + 0.5e-3)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app, lambda: app.paused and app.snapshot is not None
                         and app.snapshot.time >= t0 + 0.5e-3 - 1e-9, timeout=120)
            assert cell(app, "ldg1", "VCPU") == "4"
            assert cell(app, "ldg1", "STATE") == "active"
            ldg1 = owned(app, "ldg1")
            assert len(ldg1) == 4
            cons = app.query_one(Consoles)
            assert "workload int: 16 threads" in cons.text("ldg1")
            assert "dr-cpu: 8 vCPUs online" not in cons.text("ldg1")

            # paused: the command still runs the machine as long as it needs
            await type_line(pilot, "add-vcpu 4 ldg1")
            await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "8",
                         timeout=120)
            assert len(owned(app, "ldg1")) == 8
            assert set(ldg1) < set(owned(app, "ldg1"))
            # no strand in two domains, and the map is the hypervisor's vCPU table
            hv = livekit.hv_vcpus(lm)
            assert sorted(p for p, _ in hv["ldg1"].values()) == owned(app, "ldg1")
            for other in ("primary", "ldg2"):
                assert sorted(p for p, _ in hv[other].values()) == owned(app, other)
            await settle(pilot, app, lambda: "dr-cpu: 8 vCPUs online" in
                         cons.text("ldg1"), timeout=60)
            assert "md-update: machine description read again" in cons.text("ldg1")
            log = log_text(app)
            # the command first, then what it caused
            assert log.index("$ add-vcpu 4 ldg1") < log.index("dr-cpu configure 4,5,6,7")
            # one line per vCPU with its strand and the guest's answer (model.DrResult)
            for vid in (4, 5, 6, 7):
                pid = hv["ldg1"][vid][0]
                assert re.search(rf"^ +vCPU {vid} +strand {pid} +ok, configured$", log,
                                 re.M), log

            # running again: time moves on and the guest's throughput is measured
            t1 = app.snapshot.time
            await pilot.press("p")
            await settle(pilot, app, lambda: app.snapshot.time > t1 + 0.5e-3,
                         timeout=120)
            await pilot.press("p")
            assert app.history.throughput.get("ldg1")
            assert max(app.history.throughput["ldg1"]) > 0

            # and back: remove-vcpu with the leading `ldm`
            await type_line(pilot, "ldm remove-vcpu 4 ldg1")
            await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "4",
                         timeout=120)
            await settle(pilot, app, lambda: "dr-cpu: 4 vCPUs online" in
                         cons.text("ldg1"), timeout=60)
            assert len(livekit.hv_vcpus(lm)["ldg1"]) == 4

            # a DRM policy: ldg1 never yields (100 % busy), so it acts within a sample
            # period; its decision is notified and logged with the reason
            await type_line(pilot, "add-policy util-upper=70 util-lower=10 vcpu-max=8 "
                                   "attack=2 sample-rate=1 name=grow ldg1")
            await settle(pilot, app, lambda: app.commands_running == 0)
            assert "(exit status" not in log_text(app)
            await pilot.press("p")
            await settle(pilot, app, lambda: any(
                n.title == "policy · ldg1" for n in app._notifications), timeout=120)
            await pilot.press("p")
            note = next(n for n in app._notifications if n.title == "policy · ldg1")
            assert "util-upper 70%: add 2 vCPUs (4 -> 6)" in note.message
            assert "policy grow: utilisation" in log_text(app)
            await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") in ("6", "8"),
                         timeout=60)
            await app.action_quit()
        assert app.wait_machine(60)
    finally:
        ctl.close()


def _wait_socket(path, proc, limit=300.0):
    from ldm.protocol import ClientError, call
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"sun4v boot exited {proc.returncode}: "
                                 f"{proc.stderr.read()}")
        if os.path.exists(path):
            try:
                r = call(path, ["list", "-o", "json"], timeout=30)
                import json
                doms = json.loads("\n".join(r.out))["domains"]
                if r.status == 0 and all(d["state"] == "active" for d in doms):
                    return
            except ClientError:
                pass
        time.sleep(0.5)
    raise AssertionError("the ldmd socket did not come up")


async def test_attach_to_sun4v_boot_ldmd(tmp_path):
    livekit.require_built(livekit.KERNEL)
    cfg = tmp_path / "two.toml"
    cfg.write_text('platform = "T5220"\n'
                   '[[domain]]\nname = "primary"\nvcpus = 4\nmemory = "1G"\n'
                   'workload = "idle"\n'
                   '[[domain]]\nname = "ldg1"\nvcpus = 2\nmemory = "1G"\n'
                   'workload = "int"\nthreads = 4\nbind = false\n'
                   'iterations = 1000000000\n')
    # a short path: Unix socket names are limited to ~100 bytes
    sock = os.path.join(tempfile.mkdtemp(prefix="ldmd"), "s")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sun4v = os.path.join(os.path.dirname(sys.executable), "sun4v")   # the console script
    proc = subprocess.Popen([sun4v, "boot", str(cfg),
                             "--ldmd", sock], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        await asyncio.to_thread(_wait_socket, sock, proc)
        with pytest.raises(TuiError, match="takes no configuration"):
            build(["--attach", sock, str(cfg)])
        with pytest.raises(TuiError):
            build(["--attach", str(tmp_path / "nobody")])
        ctl, app = build(["--attach", sock])
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app, lambda: app.snapshot is not None
                         and app.snapshot.domain("ldg1") is not None, timeout=60)
            assert cell(app, "ldg1", "VCPU") == "2"
            assert "attached" in app.export_text()
            await type_line(pilot, "add-vcpu 2 ldg1")
            await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "4",
                         timeout=120)
            assert len(owned(app, "ldg1")) == 4
            assert "add-vcpu 2 ldg1" in log_text(app)
            # the manager's event log over the socket: the dr-cpu request and the
            # guest's answer per vCPU (and not the TUI's own command twice)
            await settle(pilot, app, lambda: "dr-cpu configure 2,3" in log_text(app),
                         timeout=60)
            for vid in (2, 3):
                assert re.search(rf"^ +vCPU {vid} +ok, configured$", log_text(app),
                                 re.M)
            assert "ldm add-vcpu 2 ldg1" not in log_text(app)
            await app.action_quit()
        ctl.close()
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(os.path.dirname(sock), ignore_errors=True)


async def test_blocked_removal_and_delayed_reconfiguration_on_the_real_machine():
    """ldg1's worker threads are bound to its vCPUs: the guest refuses to give vCPU 3
    up; the TUI says why and offers the forced removal, which the guest then accepts.
    A change to primary that cannot be made live becomes a delayed reconfiguration:
    notified, the `d` flag in the table, and cancelled."""
    lm = livekit.boot([dict(name="primary", vcpus=4, memory="1G"),
                       dict(name="ldg1", vcpus=4, memory="1G", workload="int",
                            threads=4, bind=1, iterations=100_000_000)])
    ctl = LiveController(lm)
    try:
        t0 = lm.time + 0.25e-3
        app = LdmApp(ctl, sample=0.25e-3, pause_at=t0)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app, lambda: app.paused and app.snapshot is not None
                         and app.snapshot.time >= t0 - 1e-9, timeout=120)
            await type_line(pilot, "remove-vcpu 1 ldg1")
            await settle(pilot, app, lambda: isinstance(app.screen, ConfirmScreen),
                         timeout=120)
            text = app.export_text()
            assert "ldg1 refused to give up vCPU 3 (cpu has bound thread)" in text
            assert "ldm remove-vcpu -f 1 ldg1" in text
            assert any(n.title == "removal blocked · ldg1" for n in app._notifications)
            assert cell(app, "ldg1", "VCPU") == "4"
            assert re.search(r"^ +vCPU 3 +strand 11 +blocked, configured: cpu",
                             log_text(app), re.M), log_text(app)
            await pilot.press("y")
            await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "3",
                         timeout=120)
            cons = app.query_one(Consoles)
            await settle(pilot, app, lambda: "dr-cpu: force unconfigure cpu 3: ok" in
                         cons.text("ldg1"), timeout=60)
            assert sorted(livekit.hv_vcpus(lm)["ldg1"]) == [0, 1, 2]

            await type_line(pilot, "set-memory 2G primary")
            await settle(pilot, app, lambda: any(
                n.title == "delayed reconfiguration · primary"
                for n in app._notifications), timeout=120)
            await settle(pilot, app, lambda: "d" in cell(app, "primary", "FLAGS")[2:3])
            await type_line(pilot, "cancel-reconf primary")
            await settle(pilot, app, lambda: cell(app, "primary", "FLAGS")[2] != "d",
                         timeout=120)
            await app.action_quit()
        assert app.wait_machine(60)
    finally:
        ctl.close()
