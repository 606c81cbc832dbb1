"""Consoles over TCP while the domain manager runs the machine (`sun4v boot --ldmd`,
`ldm tui`: LiveManager(vntsd=True), ldm/vntsd.py): a guest's console answers on its
port; dynamic reconfiguration shows in the guest's own view typed over TCP; unbinding a
domain releases its port and binding it again serves it again; closing the manager
releases every port; `sun4v boot --ldmd` serves the consoles too."""
import os
import subprocess
import sys
import time

import pytest

from setup_tools import ROOT, require_built
from test_vntsd import Client, ask, bindable, free_range

from ldm.live import LiveManager
from ldm.vntsd import VntsdError
from sun4v.boot.config import parse_config

KERNEL = ROOT / "build" / "fw" / "guest.bin"


def _cfg(p):
    return parse_config({"platform": "T5220", "vcc": {"port-range": f"{p}-{p + 7}"},
                         "domain": [dict(name="primary", vcpus=4, memory="1G"),
                                    dict(name="ldg1", vcpus=2, memory="1G")]})


def _session(port, line, prompt=b"ldg1# ", booting=False) -> str:
    """Type `line` on the console at `port`: the guest's answer up to its next prompt
    (test_vntsd.ask: not an older one from the backlog)."""
    c = Client(port)
    try:
        c.until(b"options ..\r\n")
        return ask(c, line, prompt, 1200 if booting else 120).decode("latin-1")
    finally:
        c.close()


def test_live_console_follows_dr_and_bindings():
    require_built(KERNEL)
    p = free_range()
    lm = LiveManager(_cfg(p), vntsd=True)
    try:
        assert lm.wait_ready("40ms")
        lm.start()
        assert "2 vCPUs online: 0-1\r\n" in _session(p, b"vcpus")
        r = lm.execute(["add-vcpu", "2", "ldg1"])
        assert r.status == 0, r.err
        assert "4 vCPUs online: 0-3\r\n" in _session(p, b"vcpus")
        for cmd in (["stop-domain", "ldg1"], ["unbind-domain", "ldg1"]):
            r = lm.execute(cmd)
            assert r.status == 0, (cmd, r.err)
        end = time.monotonic() + 30
        while not bindable(p) and time.monotonic() < end:
            time.sleep(0.05)
        assert bindable(p)                              # unbound: its port released
        for cmd in (["bind-domain", "ldg1"], ["start-domain", "ldg1"]):
            r = lm.execute(cmd)
            assert r.status == 0, (cmd, r.err)
        port = lm.config().bindings.get("ldg1").console.port
        assert port == p
        end = time.monotonic() + 30
        while bindable(p) and time.monotonic() < end:
            time.sleep(0.05)
        assert "4 vCPUs online: 0-3\r\n" in _session(p, b"vcpus")
    finally:
        lm.close()
    assert bindable(p)                                  # the manager closed: released


def test_live_port_in_use_is_refused():
    require_built(KERNEL)
    import socket
    p = free_range()
    hog = socket.socket()
    hog.bind(("127.0.0.1", p))
    hog.listen(1)
    try:
        with pytest.raises(VntsdError) as e:
            LiveManager(_cfg(p), vntsd=True)
        assert f"port {p}" in str(e.value) and "\n" not in str(e.value)
    finally:
        hog.close()


def test_sun4v_boot_ldmd_serves_consoles(tmp_path):
    require_built(KERNEL)
    p = free_range()
    cfg = tmp_path / "m.toml"
    cfg.write_text(f'platform = "T5220"\n[vcc]\nport-range = "{p}-{p + 7}"\n'
                   '[[domain]]\nname = "primary"\nvcpus = 4\nmemory = "1G"\n'
                   '[[domain]]\nname = "ldg1"\nvcpus = 2\nmemory = "1G"\n')
    sock = tmp_path / "ldmd.sock"
    env = dict(os.environ, SUN4V_VNTSD="1")
    proc = subprocess.Popen([sys.executable, "-m", "sun4v", "boot", str(cfg), "--ldmd",
                             str(sock)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 180
        while True:
            try:
                out = _session(p, b"vcpus", booting=True)
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < end, "the console port never opened"
                time.sleep(0.1)
        assert "2 vCPUs online: 0-1\r\n" in out
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert bindable(p)


def test_live_add_vcc_then_a_new_guest_is_served():
    """`ldm add-vcc` on the running machine: a guest bound afterwards takes the vcc's
    first port, which vntsd serves as soon as the domain is bound; its console answers
    once started; list-services and the CONS column show it."""
    require_built(KERNEL)
    p = free_range()
    # primary alone (its console is the UART): no guest port before the vcc exists
    cfg = parse_config({"platform": "T5220",
                        "domain": [dict(name="primary", vcpus=4, memory="1G")]})
    lm = LiveManager(cfg, vntsd=True)
    try:
        assert lm.wait_ready("40ms")
        lm.start()
        for line in (f"add-vcc port-range={p}-{p + 3} primary-vcc0 primary",
                     "add-domain ldg2", "add-vcpu 3 ldg2", "add-memory 1G ldg2",
                     "bind-domain ldg2", "start-domain ldg2"):
            r = lm.execute(line.split())
            assert r.status == 0, (line, r.err)
        r = lm.execute(["list-services"])
        assert f"    primary-vcc0     primary          {p}-{p + 3}" in r.out
        row = next(x for x in lm.execute(["list"]).out if x.startswith("ldg2 "))
        assert row.split()[3] == str(p)
        end = time.monotonic() + 30
        while bindable(p) and time.monotonic() < end:
            time.sleep(0.05)
        assert "3 vCPUs online: 0-2\r\n" in _session(p, b"vcpus", b"ldg2# ")
    finally:
        lm.close()
    assert bindable(p)


def test_live_port_in_use_for_a_later_guest_is_a_notice():
    """A guest bound while the machine runs whose port another program holds: the
    binding stands, vntsd reports one line (on_notice, and an "error" event)."""
    require_built(KERNEL)
    import socket
    p = free_range()
    notices = []
    cfg = parse_config({"platform": "T5220", "vcc": {"port-range": f"{p}-{p + 3}"},
                        "domain": [dict(name="primary", vcpus=4, memory="1G")]})
    lm = LiveManager(cfg, vntsd=True, on_notice=notices.append)
    hog = socket.socket()
    hog.bind(("127.0.0.1", p))
    hog.listen(1)
    try:
        assert lm.wait_ready("40ms")
        for line in ("add-domain ldg2", "add-vcpu 2 ldg2", "add-memory 1G ldg2",
                     "bind-domain ldg2"):
            r = lm.execute(line.split())
            assert r.status == 0, (line, r.err)
        lm.advance("1ms")
        assert len(notices) == 1 and f"port {p}" in notices[0] and "ldg2" in notices[0]
        assert "\n" not in notices[0]
        assert any(e.kind == "error" and e.text == notices[0] for e in lm.events())
    finally:
        hog.close()
        lm.close()
