"""Checkpoints of a machine run with its domain manager (issue 14 §3, ldm/livestate.py):
the manager's state (configuration, bindings, delayed reconfiguration, SP
configurations, the LDC channels it holds, DS sequence numbers, events) is saved with
the machine, and a restored manager goes on exactly as the uninterrupted one for the
same `ldm` commands at the same simulated times: the same command outputs, events,
consoles, instruction (and cycle) counts, every array of the machine and the manager's
whole state.  The commands are issued deterministically from this thread (advance() /
execute(): the worker thread, whose slices follow host time, is not involved).  A
checkpoint is refused at an instant when a DR exchange is half-way, and taken at the
first safe point at or after the time asked."""
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import livekit as L
from ldm import livestate
from ldm.live import LiveManager
from sun4v.checkpoint import CheckpointError

DOMAINS = [dict(name="primary", vcpus=4, memory="1G"),
           dict(name="ldg1", vcpus=4, memory="1G", workload="int", threads=8,
                iterations=100_000_000)]


def settle(lm):
    """Advance to the next safe point (the same in both runs: deterministic)."""
    while livestate.busy(lm) is not None:
        lm.advance("100us")
    return livestate.save(lm)


def after_checkpoint(lm):
    """The same commands at the same simulated times; what they show."""
    seen = {"list0": L.ldm(lm, "list")}                 # what the checkpoint holds
    lm.advance("1ms")
    seen["add"] = L.ldm(lm, "add-vcpu 2 ldg1")
    lm.advance("1ms")
    seen["remove"] = L.ldm(lm, "remove-vcpu 3 ldg1")
    lm.advance("1ms")
    seen["set"] = L.ldm(lm, "set-variable answer=42 ldg1")
    lm.advance("500us")
    for cmd in ("list", "list-bindings", "list-events", "list-spconfig",
                "list-variable ldg1"):
        seen[cmd] = L.ldm(lm, cmd)
    L.check(lm)
    seen["online"] = L.online_vids(lm, "ldg1")
    seen["events"] = [(e.seq, e.time, e.kind, e.domain, e.text, e.data)
                      for e in lm.events()]
    seen["consoles"] = {n: lm.console(n)[0] for n in ("primary", "ldg1")}
    seen["time"], seen["insns"] = lm.m.time, lm.m.insns_run
    seen["manager"] = settle(lm)
    seen["machine"] = lm.system.state()
    return seen


def same(a, b):
    for k in a:
        if k == "machine":
            (aa, am), (ba, bm) = a[k], b[k]
            assert am == bm
            assert aa.keys() == ba.keys()
            for n in aa:
                assert np.array_equal(aa[n], ba[n]), n
        else:
            assert a[k] == b[k], k


@pytest.mark.parametrize("mode", ["functional",
                                  pytest.param("cycle", marks=pytest.mark.slow)])
def test_restored_manager_continues_exactly(tmp_path, mode):
    path = str(tmp_path / "live.ckpt")
    lm = L.boot(DOMAINS, mode=mode)
    L.ldm(lm, "add-spconfig warm")
    L.ldm(lm, "set-vcpu 3 primary")                     # a live DR of the primary
    lm.advance("700us")
    lm.checkpoint(path)
    straight = after_checkpoint(lm)
    assert "primary" in straight["list0"][0][1] and "ldg1" in straight["list0"][0][2]
    assert straight["online"] == {0, 1, 2}

    back = LiveManager.restore(path)
    assert back.m.mode == mode
    same(straight, after_checkpoint(back))

    # a pending delayed reconfiguration of the control domain is saved too
    L.ldm(lm, "set-memory 2G primary")
    assert lm.config().delayed
    lm.checkpoint(path)
    again = LiveManager.restore(path)
    assert again.config().delayed
    assert livestate.save(again) == livestate.save(lm)
    assert L.ldm(again, "list") == L.ldm(lm, "list")
    assert L.ldm(again, "add-vcpu 1 ldg1", status=1) == L.ldm(lm, "add-vcpu 1 ldg1",
                                                               status=1)
    # the control domain's reboot applies it alike (the MD area's pending set, the
    # channels starting over)
    seen = []
    for m in (lm, again):
        out = L.ldm(m, "stop-domain -r primary")
        assert m.wait_ready("100ms")
        seen.append((out, L.ldm(m, "list"), settle(m), m.m.time))
    assert seen[0] == seen[1]
    assert not again.config().delayed


def test_a_checkpoint_waits_for_a_safe_point(tmp_path):
    """During a DR exchange save() refuses with one line; checkpoint_at() due then is
    taken at the first safe point after the guest's reply, and the restored manager is
    at that time."""
    from ldm import ds as DS
    lm = L.boot(DOMAINS)
    peer = lm.channels.ds["ldg1"]
    w = peer.dr_cpu(DS.DR_STATUS, [0, 1])                 # a dr-cpu request in flight
    why = livestate.busy(lm)
    assert why and "dr-cpu to ldg1" in why
    with pytest.raises(CheckpointError) as e:
        lm.checkpoint(str(tmp_path / "x.ckpt"))
    assert "\n" not in str(e.value) and "busy" in str(e.value)
    assert not os.path.exists(tmp_path / "x.ckpt")
    asked = lm.time
    lm.checkpoint_at(asked, str(tmp_path / "y.ckpt"))
    replied = None
    for _ in range(500):
        lm.advance("20us")
        if w.done and replied is None:
            replied = lm.time
        if lm.checkpoint_result is not None:
            break
        assert not w.done
    t, err = lm.checkpoint_result
    assert err is None and w.error is None and t == replied > asked
    back = LiveManager.restore(str(tmp_path / "y.ckpt"))
    assert back.time == t


def test_restore_refuses_bad_inputs(tmp_path):
    from sun4v.boot import System
    plain = System(__import__("sun4v.boot.config", fromlist=["parse_config"]).parse_config(
        {"platform": "T5220", "domain": [dict(name="primary", vcpus=4, memory="1G")]}))
    plain.run(until=plain.steps("200us"))
    p = str(tmp_path / "plain.ckpt")
    plain.checkpoint(p)
    with pytest.raises(CheckpointError, match="without the domain manager"):
        LiveManager.restore(p)
    with pytest.raises(CheckpointError, match="no such file"):
        LiveManager.restore(str(tmp_path / "none.ckpt"))


def _sun4v(*args, **kw):
    env = dict(os.environ, SUN4V_VNTSD="0")
    return subprocess.run([sys.executable, "-m", "sun4v", *args], capture_output=True,
                          text=True, env=env, timeout=600, **kw)


CFG_TOML = ('platform = "T5220"\n'
            '[[domain]]\nname = "primary"\nvcpus = 4\nmemory = "1G"\n'
            '[[domain]]\nname = "ldg1"\nvcpus = 4\nmemory = "1G"\nworkload = "int"\n'
            'threads = 8\niterations = 100000000\n')


def _ldm(sock, *args):
    ldm = os.path.join(os.path.dirname(sys.executable), "ldm")
    return subprocess.run([ldm, "--socket", str(sock), *args],
                          capture_output=True, text=True, timeout=300, cwd=L.ROOT)


def _served(proc, sock):
    end = time.monotonic() + 180
    while True:
        if os.path.exists(sock):
            r = _ldm(sock, "list")
            if r.returncode == 0:
                return r
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "ldmd never served its socket"
        time.sleep(0.2)


def _fixed(lines):
    """`ldm list` rows without UTIL and UPTIME (they move while the machine runs)."""
    return [ln.split()[:6] for ln in lines]


def test_cli_checkpoint_and_restore_with_the_manager(tmp_path):
    """`sun4v boot CFG --ldmd S --checkpoint-at T F` saves at the first safe point from
    T (the worker's slices: with no command, the same point an in-process run reaches,
    with the same state); `--restore F --ldmd S2` serves the saved manager: `ldm list`
    shows what it showed then, live DR works, and the consoles are printed from the
    start."""
    cfg = tmp_path / "m.toml"
    cfg.write_text(CFG_TOML)
    ck = tmp_path / "w.ckpt"
    r = _sun4v("boot", str(cfg), "--ldmd", str(tmp_path / "a.sock"), "--checkpoint-at",
               "30ms", str(ck), "--until", "31ms", cwd=L.ROOT)
    assert r.returncode == 0, r.stderr
    at = re.search(r"ldmd: checkpoint " + re.escape(str(ck)) + r" written at ([0-9.]+) ms",
                   r.stderr)
    assert at, r.stderr
    at = at.group(1)            # 30.000, or a slice later when a sample was under way
    assert 30.0 <= float(at) <= 30.5
    assert f"checkpoint {ck} written at {at} ms" in r.stdout.splitlines()

    # the same machine driven in this thread to the same first safe point: the same state
    inproc = L.boot(DOMAINS)
    inproc.advance((inproc.system.steps("30ms") - inproc.m.time) / inproc.platform.clock_hz)
    while livestate.busy(inproc) is not None:
        inproc.advance(100e-6)
    assert f"{inproc.time * 1e3:.3f}" == at
    saved = LiveManager.restore(str(ck))
    assert saved.m.time == inproc.m.time
    assert livestate.save(saved) == livestate.save(inproc)
    want = L.ldm(saved, "list")[0]

    sock = tmp_path / "b.sock"
    proc = subprocess.Popen([sys.executable, "-m", "sun4v", "boot", "--restore", str(ck),
                             "--ldmd", str(sock)], cwd=L.ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, SUN4V_VNTSD="0"))
    try:
        got = _served(proc, sock)
        assert _fixed(got.stdout.splitlines()) == _fixed(want)
        assert _ldm(sock, "add-vcpu", "2", "ldg1").returncode == 0
        rows = _ldm(sock, "list").stdout.splitlines()
        assert next(ln.split()[4] for ln in rows if ln.startswith("ldg1")) == "6"
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "restored from " + str(ck) + f" at {at} ms" in out
    console = inproc.console("ldg1")[0]
    printed = "".join(ln[len("[ldg1] "):] + "\n" for ln in out.splitlines()
                      if ln.startswith("[ldg1] "))
    assert printed.startswith(console.rsplit("\n", 1)[0])


def test_cli_restore_refuses_the_wrong_mode_of_use(tmp_path):
    """A manager's checkpoint restored without --ldmd, a plain one with it: one line,
    exit status 2, nothing run."""
    cfg = tmp_path / "m.toml"
    cfg.write_text(CFG_TOML)
    ck = tmp_path / "w.ckpt"
    r = _sun4v("boot", str(cfg), "--ldmd", str(tmp_path / "a.sock"), "--checkpoint-at",
               "25ms", str(ck), "--until", "25ms", cwd=L.ROOT)
    assert r.returncode == 0, r.stderr
    r = _sun4v("boot", "--restore", str(ck), "--until", "26ms", cwd=L.ROOT)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines() == [f"sun4v: --restore {ck}: a checkpoint of a machine "
                                     f"run with the domain manager: restore it with "
                                     f"--ldmd SOCKET"]
    plain = tmp_path / "p.ckpt"
    r = _sun4v("boot", str(cfg), "--checkpoint-at", "1ms", str(plain), "--until", "1ms",
               cwd=L.ROOT)
    assert r.returncode == 0, r.stderr
    r = _sun4v("boot", "--restore", str(plain), "--ldmd", str(tmp_path / "c.sock"),
               cwd=L.ROOT)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines() == [f"sun4v: --restore {plain}: a checkpoint of a "
                                     f"machine run without the domain manager: restore "
                                     f"it without --ldmd"]
    assert not os.path.exists(tmp_path / "c.sock")


def test_a_virtual_disk_backing_file_is_checked_on_restore(tmp_path):
    """The disk's content is not in the checkpoint: a backing file missing or changed
    since is refused (one line, nothing else done); put back, the restored run goes on
    exactly, the disk served again."""
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(64 * 512))
    from test_vdisk_live import _machine, _run_until
    lm = _machine(disk, 8)
    text = _run_until(lm, ["read back: match", "read back: MISMATCH"])
    assert "8 blocks read back: match" in text, text
    assert lm.channels.vds.ports
    path = str(tmp_path / "v.ckpt")
    lm.checkpoint(path)
    content = disk.read_bytes()
    disk.write_bytes(content[:-1] + b"x")
    with pytest.raises(CheckpointError) as e:
        LiveManager.restore(path)
    assert str(e.value) == (f"{path}: the virtual disk ldg1:vdisk1's backing file {disk} "
                            f"changed since the checkpoint ({len(content)} bytes then, "
                            f"{len(content)} now, different content): put back the file "
                            f"saved with the checkpoint")
    disk.write_bytes(content)                           # the same file, as it was
    disk.rename(tmp_path / "aside.img")
    with pytest.raises(CheckpointError, match=r"backing file .* cannot be opened \(No "
                                              r"such file or directory\)$"):
        LiveManager.restore(path)
    (tmp_path / "aside.img").rename(disk)
    back = LiveManager.restore(path)
    assert [p.fd is not None for p in back.channels.vds.ports.values()] == [True]
    seen = []
    for m in (lm, back):
        m.advance("1ms")
        seen.append((L.ldm(m, "add-vcpu 1 ldg1"), L.ldm(m, "list-bindings ldg1"),
                     settle(m), m.console("ldg1"), m.m.time, m.m.insns_run))
    assert seen[0] == seen[1]


def test_cli_bad_manager_checkpoints_change_nothing(tmp_path):
    """`sun4v boot --restore F --ldmd S` with a vdisk backing file missing or changed,
    an --ldmd-state directory holding other saved configurations, a damaged manager
    state (its digest right) or a truncated file: one line naming the problem, exit
    status 2, and nothing made (no socket, console directory, log, store) or changed."""
    from test_vdisk_live import _machine, _run_until

    from ldm.config import factory_default
    from ldm.spconfig import SpStore
    from ldm.store import Store
    from sun4v import checkpoint
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(64 * 512))
    lm = _machine(disk, 8)
    assert "read back: match" in _run_until(lm, ["read back: match", "MISMATCH"])
    L.ldm(lm, "add-spconfig warm")
    settle(lm)
    ck = tmp_path / "v.ckpt"
    lm.checkpoint(str(ck))
    content = disk.read_bytes()
    store = tmp_path / "store"
    st = Store(str(store))
    os.makedirs(st.dir)
    with st.locked():
        st.save_sp(SpStore.initial(factory_default(lm.system.topology)))
    store_files = {p.name: p.read_bytes() for p in store.iterdir()}
    arrays, meta = checkpoint.read(str(ck))
    meta["extra"]["ldmd"]["attrs"]["_seq"] = {"__t": "zz"}
    odd = tmp_path / "odd.ckpt"
    checkpoint.write(str(odd), arrays, meta)
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(ck.read_bytes()[:-300])

    def restore(path, *more):
        before = sorted(os.listdir(tmp_path))
        r = _sun4v("boot", "--restore", str(path), "--ldmd", str(tmp_path / "s.sock"),
                   "--console", str(tmp_path / "cons"), "--ldmd-log",
                   str(tmp_path / "log"), *more, cwd=L.ROOT)
        assert (r.returncode, r.stdout) == (2, ""), (r.returncode, r.stdout, r.stderr)
        assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("sun4v: "), r.stderr
        assert sorted(os.listdir(tmp_path)) == before
        return r.stderr.strip()

    disk.rename(tmp_path / "aside.img")
    assert restore(ck) == (f"sun4v: {ck}: the virtual disk ldg1:vdisk1's backing file "
                           f"{disk} cannot be opened (No such file or directory)")
    (tmp_path / "aside.img").rename(disk)
    disk.write_bytes(b"\1" + content[1:])
    assert "backing file " + str(disk) + " changed since the checkpoint" in restore(ck)
    disk.write_bytes(content)
    assert restore(ck, "--ldmd-state", str(store)) == (
        f"sun4v: {ck}: --ldmd-state {store}: its saved configurations are not the "
        f"checkpoint's (the store is left as it is; give an empty directory)")
    assert {p.name: p.read_bytes() for p in store.iterdir()} == store_files
    assert restore(odd).startswith(f"sun4v: {odd}: not a domain manager's checkpoint "
                                   f"(ValueError: unknown tag 'zz')")
    assert "corrupt or truncated checkpoint" in restore(cut)
    assert disk.read_bytes() == content


def test_restored_manager_serves_consoles_store_and_log(tmp_path):
    """Restored with vntsd, an empty --ldmd-state directory and a log: the guest's
    console answers on its port again (typed input reaches it), the directory gets the
    checkpoint's saved configurations, and the log goes on with the restored events."""
    from test_live_vntsd import _cfg, _session
    from test_vntsd import free_range

    from ldm.store import SP_FILE, Store
    p = free_range()
    lm = LiveManager(_cfg(p))
    assert lm.wait_ready("40ms")
    L.ldm(lm, "add-spconfig warm")
    settle(lm)
    ck = str(tmp_path / "c.ckpt")
    lm.checkpoint(ck)
    log = tmp_path / "ldmd.log"
    back = LiveManager.restore(ck, vntsd=True, sp_dir=str(tmp_path / "sp"),
                               log_file=str(log))
    try:
        assert back.vntsd is not None and back.vntsd.clients("ldg1") == 0
        # a client connecting gets the console's recent lines, as from the saved run's
        assert back.vntsd.backlog("ldg1").replace(b"\r\n", b"\n").endswith(
            lm.console("ldg1")[0].encode().split(b"\n")[-2] + b"\n")
        back.start()
        out = _session(p, b"vcpus", booting=True)
        assert "2 vCPUs online: 0-1\r\n" in out
        assert L.ldm(back, "list-spconfig")[0] == L.ldm(lm, "list-spconfig")[0]
        assert Store(str(tmp_path / "sp")).load_sp() == lm._sp
        assert os.path.exists(tmp_path / "sp" / SP_FILE)
        L.ldm(back, "add-vcpu 1 ldg1")
    finally:
        back.close()
    assert "ldm add-vcpu 1 ldg1" in log.read_text()


def test_a_checkpoint_before_the_channels_are_up(tmp_path):
    """Saved while the control domain boots (no relay, no hvctl yet): the restored
    manager builds its channels as the uninterrupted one does, at the same times."""
    from sun4v.boot.config import parse_config
    lm = LiveManager(parse_config({"platform": "T5220", "domain": DOMAINS}))
    lm.advance("1ms")
    assert lm.channels is None
    ck = str(tmp_path / "early.ckpt")
    lm.checkpoint(ck)
    back = LiveManager.restore(ck)
    seen = []
    for m in (lm, back):
        assert m.wait_ready("40ms")
        seen.append((m.m.time, L.ldm(m, "add-vcpu 1 ldg1"), settle(m), m.m.insns_run))
    assert seen[0] == seen[1]


def test_checkpoint_from_another_thread_while_the_worker_runs(tmp_path):
    """The worker takes it at its next safe point; the state is one an in-thread run
    goes on from exactly."""
    lm = L.boot(DOMAINS)
    lm.start()
    try:
        time.sleep(0.5)
        ck = str(tmp_path / "t.ckpt")
        lm.checkpoint(ck)
    finally:
        lm.stop()
    t = lm.checkpoint_result[0]
    a, b = LiveManager.restore(ck), LiveManager.restore(ck)
    assert a.time == t and livestate.busy(a) is None
    seen = []
    for m in (a, b):
        m.advance("300us")
        seen.append((L.ldm(m, "add-vcpu 1 ldg1"), settle(m), m.m.time))
    assert seen[0] == seen[1]


def test_a_program_on_a_virtual_disk_restores_exactly(tmp_path):
    """A boot configuration with a virtual disk ([[vds]], [[vdisk]]) whose program works
    on /dev/vdisk0: saved mid-way with a copy of the backing file (the disk's content is
    not in the checkpoint), the uninterrupted run ends; the copy put back, the restored
    run ends with the same output, the same disk content and the same manager state."""
    from test_vdisk_dr import _exe, _machine, content
    exe = _exe(tmp_path)
    disk = tmp_path / "disk.img"
    disk.write_bytes(content(37))
    lm, _ = _machine(exe, ["ops", "/dev/vdisk0"], [("vdisk1", disk)])
    px = lm.system.programs["ldg1"]
    original = disk.read_bytes()
    assert lm.run_until(lambda: disk.read_bytes() != original, limit="300ms",
                        step=lm.system.steps("20us"))     # its first writes done
    settle(lm)
    assert px.result()[0] == "running"
    ck = str(tmp_path / "d.ckpt")
    lm.checkpoint(ck)
    kept = disk.read_bytes()

    def to_end(m):
        p = m.system.programs["ldg1"]
        assert m.run_until(lambda: p.result()[0] == "exited", limit="300ms")
        return p.result(), bytes(p.output["out"]), settle(m), m.m.time, disk.read_bytes()
    straight = to_end(lm)
    assert straight[0] == ("exited", 0) and straight[4] != kept
    disk.write_bytes(kept)
    back = LiveManager.restore(ck)
    assert back.boot.vio == lm.boot.vio and back.boot.vio.vdisks
    assert to_end(back) == straight
