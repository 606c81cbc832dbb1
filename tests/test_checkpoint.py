"""Checkpoints of a booted machine (issue 14 §3): a run saved at T1 and restored runs on
to T2 exactly as the run that went straight to T2 (consoles byte for byte, instruction
counts, the guests' counters pages, the hypervisor's console and tables, every array of
the machine); `sun4v boot --checkpoint-at` / `--restore` do the same from the command
line; a missing, corrupt, truncated or foreign checkpoint is one line on stderr, exit
status 2, and nothing written."""
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import guestkit as K
from sun4v import checkpoint
from sun4v.boot import System
from sun4v.checkpoint import CheckpointError
from sun4v.guest.hostif import COUNTERS_OFFSET, Counters

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T1, T2 = "3ms", "6ms"
DOMAINS = ("primary", "ldg1", "ldg2")
# T2000 (IOB) with a mix domain (timers, yields) and an int domain still computing at T1
CFG = [dict(name="primary", vcpus=2, memory="1G"),
       dict(name="ldg1", vcpus=2, memory="1G", workload="int", iterations=3000),
       dict(name="ldg2", vcpus=2, memory="1G", workload="mix", requests=6, work=4000,
            duty=0.3)]


def counters(s, name):
    """The domain's counters page, None before the guest has touched it (cycle mode,
    early): looking must not make the page (Memory.read of untouched RAM makes one)."""
    dm = K.memory(s, name)
    pa = dm.pa(dm.real_base + COUNTERS_OFFSET)
    if s.m.mem._find(pa >> 13) < 0:
        return None
    c = Counters(dm)
    return c.read() if c.ready() else None


def observed(s):
    snap = s.m.snapshot()
    arrays, meta = s.m.state()          # every piece a checkpoint holds
    names = [d.name for d in s.cfg.domains]
    return {"state": meta, "state_arrays": arrays, "bindings": s.bindings.to_dict(),
            "consoles": {n: s.console(n) for n in names},
            "counters": {n: counters(s, n) for n in names},
            "insns": s.m.insns_run, "time": s.m.time, "hv": s.hv_console(),
            "domains": s.domain_stats(),
            "arrays": {k: v for k, v in snap.items() if k not in ("pages", "uarts")},
            "pages": snap["pages"], "uarts": snap["uarts"]}


def same(a, b):
    for k in ("consoles", "counters", "insns", "time", "hv", "domains", "uarts", "state",
              "bindings"):
        assert a[k] == b[k], k
    assert a["state_arrays"].keys() == b["state_arrays"].keys()
    for k in a["state_arrays"]:
        assert np.array_equal(a["state_arrays"][k], b["state_arrays"][k]), k
    assert a["arrays"].keys() == b["arrays"].keys()
    for k in a["arrays"]:
        assert np.array_equal(a["arrays"][k], b["arrays"][k]), k
    assert a["pages"].keys() == b["pages"].keys()
    for k in a["pages"]:
        assert np.array_equal(a["pages"][k], b["pages"][k]), hex(k)


@pytest.fixture(scope="module")
def straight():
    s = K.system("T2000", CFG)
    r = s.run(until=s.steps(T2))
    assert r.reason == "until"
    return observed(s)


def test_restored_run_continues_exactly(straight, tmp_path):
    path = str(tmp_path / "t1.ckpt")
    s = K.system("T2000", CFG)
    s.run(until=s.steps(T1), on_output=lambda n, d: None)
    at_t1 = observed(s)
    s.checkpoint(path)
    assert observed(s)["insns"] == at_t1["insns"]           # saving changes nothing
    r = System.restore(path)
    same(observed(r), at_t1)                                  # the saved state, whole
    out = {n: b"" for n in DOMAINS}

    def collect(name, data):
        out[name] += data
    r.run(until=r.steps(T2), on_output=collect)
    after = observed(r)
    same(after, straight)
    # the part after T1 did something: the comparison covers running code
    assert after["insns"] > at_t1["insns"]
    assert after["consoles"]["ldg1"] != at_t1["consoles"]["ldg1"]
    assert at_t1["counters"]["ldg1"]["state"] == "running"
    assert after["counters"]["ldg1"]["state"] == "done"
    # the host side: what was handed out before T1 is not handed out again
    for i, n in enumerate(DOMAINS):
        assert out[n] == bytes(r.m.guest_uarts[i].out[len(at_t1["uarts"][i + 1][0]):]), n
    assert out["ldg1"]
    # the saved system itself runs on the same way
    s.run(until=s.steps(T2))
    same(observed(s), straight)


def test_fork_two_runs_from_one_checkpoint(tmp_path):
    """What-if studies fork from a warmed-up point: two restores of one file are two
    independent machines that agree, and neither changes the file."""
    path = str(tmp_path / "warm.ckpt")
    s = K.system("T5220", [dict(name="primary", vcpus=2, memory="1G"),
                           dict(name="ldg1", vcpus=4, memory="1G", workload="fp",
                                iterations=3000)])
    s.run(until=s.steps("3ms"))
    s.checkpoint(path)
    before = open(path, "rb").read()
    a, b = System.restore(path), System.restore(path)
    a.run(until=a.steps("6ms"))
    assert b.m.insns_run == s.m.insns_run                     # b untouched by a's run
    b.run(until=b.steps("6ms"))
    assert (a.console("ldg1"), a.m.insns_run, K.counters(a, "ldg1")) == \
        (b.console("ldg1"), b.m.insns_run, K.counters(b, "ldg1"))
    assert a.m.insns_run > s.m.insns_run
    assert open(path, "rb").read() == before


# ---- the file ----------------------------------------------------------------------------
def test_file_format_rejects_damage(tmp_path):
    good = str(tmp_path / "g.ckpt")
    checkpoint.write(good, {"a": np.arange(1000, dtype=np.uint64)}, {"x": 1})
    arrays, meta = checkpoint.read(good)
    assert meta == {"x": 1} and np.array_equal(arrays["a"], np.arange(1000))
    raw = open(good, "rb").read()

    def bad(data, what):
        p = str(tmp_path / "b.ckpt")
        with open(p, "wb") as f:
            f.write(data)
        with pytest.raises(CheckpointError, match=what) as e:
            checkpoint.read(p)
        assert "\n" not in str(e.value)

    bad(raw[:len(raw) // 2], "corrupt or truncated")
    bad(b"hello", "corrupt or truncated")
    flipped = bytearray(raw)
    flipped[len(raw) // 3] ^= 0x40
    bad(bytes(flipped), "corrupt")

    # content changed consistently inside the zip: only the digest sees it
    def rewrite(path, change):
        with zipfile.ZipFile(good) as z:
            items = {n: z.read(n) for n in z.namelist()}
        change(items)
        with zipfile.ZipFile(path, "w") as z:
            for n, d in items.items():
                z.writestr(n, d)

    def tamper(items):
        a = np.arange(1000, dtype=np.uint64)
        a[7] = 8
        import io
        buf = io.BytesIO()
        np.save(buf, a)
        items["a.npy"] = buf.getvalue()
    p = str(tmp_path / "t.ckpt")
    rewrite(p, tamper)
    with pytest.raises(CheckpointError, match="does not match its sha256"):
        checkpoint.read(p)

    def version(items):
        import io
        h = json.loads(np.load(io.BytesIO(items["__header__.npy"])).tobytes())
        h["format_version"] = 99
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(json.dumps(h).encode(), dtype=np.uint8))
        items["__header__.npy"] = buf.getvalue()
    rewrite(p, version)
    with pytest.raises(CheckpointError, match="checkpoint format 99"):
        checkpoint.read(p)
    with pytest.raises(CheckpointError, match="no such file"):
        checkpoint.read(str(tmp_path / "none.ckpt"))


def test_write_is_atomic(tmp_path, monkeypatch):
    """A write that fails leaves the old checkpoint whole and no temporary file."""
    p = str(tmp_path / "c.ckpt")
    checkpoint.write(p, {"a": np.zeros(4)}, {"v": 1})
    old = open(p, "rb").read()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(CheckpointError, match="No space left"):
        checkpoint.write(p, {"a": np.ones(4)}, {"v": 2})
    assert open(p, "rb").read() == old
    assert os.listdir(tmp_path) == ["c.ckpt"]


# ---- the command -------------------------------------------------------------------------
def sun4v(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "sun4v", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600)


def write_config(tmp_path):
    lines = ['platform = "T2000"']
    for d in CFG:
        lines.append("[[domain]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in d.items()]
    cfg = tmp_path / "c.toml"
    cfg.write_text("\n".join(lines) + "\n")
    return str(cfg)


def test_cli_checkpoint_then_restore(tmp_path):
    cfg = write_config(tmp_path)
    ck = str(tmp_path / "t1.ckpt")
    a, b, c = (str(tmp_path / x) for x in ("straight", "saving", "restored"))
    r1 = sun4v("boot", cfg, "--until", T2, "--console", a)
    assert r1.returncode == 0, r1.stderr
    r2 = sun4v("boot", cfg, "--until", T2, "--checkpoint-at", T1, ck, "--console", b)
    assert r2.returncode == 0, r2.stderr
    assert f"checkpoint {ck} written at 3.000 ms" in r2.stdout
    r3 = sun4v("boot", "--restore", ck, "--until", T2, "--console", c)
    assert r3.returncode == 0, r3.stderr
    assert "restored from" in r3.stdout
    for name in [d["name"] + ".log" for d in CFG] + ["hypervisor.log"]:
        straight_log = open(os.path.join(a, name), "rb").read()
        assert open(os.path.join(b, name), "rb").read() == straight_log, name
        assert open(os.path.join(c, name), "rb").read() == straight_log, name

    def table(out):                 # the summary without the host's seconds
        lines = out.splitlines()
        return [ln.split(",")[0:2] if ln.startswith("simulated") else ln
                for ln in lines if not ln.startswith(("checkpoint", "restored"))]
    assert table(r1.stdout) == table(r2.stdout) == table(r3.stdout)


@pytest.mark.parametrize("damage", ["missing", "truncated", "flipped", "directory",
                                    "wrong-version", "other-sun4v", "empty", "text",
                                    "zip-without-header"])
def test_cli_bad_checkpoint(tmp_path, damage):
    src = str(tmp_path / "good.ckpt")
    checkpoint.write(src, {"a": np.arange(100)}, {"machine": {}})
    raw = open(src, "rb").read()
    p = str(tmp_path / "bad.ckpt")
    if damage == "truncated":
        open(p, "wb").write(raw[:-100])
    elif damage == "flipped":
        raw = bytearray(raw)
        raw[200] ^= 1
        open(p, "wb").write(bytes(raw))
    elif damage == "directory":
        os.mkdir(p)
    elif damage in ("wrong-version", "other-sun4v"):
        from sun4v import __version__
        with zipfile.ZipFile(src) as z, zipfile.ZipFile(p, "w") as out:
            for n in z.namelist():
                d = z.read(n)
                if n == "__header__.npy":
                    d = d.replace(b'"format_version": 1', b'"format_version": 2') \
                        if damage == "wrong-version" else \
                        d.replace(f'"sun4v": "{__version__}"'.encode(), b'"sun4v": "0.0.0"')
                    assert d != z.read(n)
                out.writestr(n, d)
    elif damage == "empty":
        open(p, "wb").close()
    elif damage == "text":
        open(p, "w").write("platform = \"T2000\"\n")
    elif damage == "zip-without-header":
        with zipfile.ZipFile(p, "w") as out:
            out.writestr("a.npy", b"x")
    cons = str(tmp_path / "cons")
    after = str(tmp_path / "after.ckpt")
    r = sun4v("boot", "--restore", p, "--until", "5ms", "--console", cons,
              "--checkpoint-at", "4ms", after)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("sun4v: "), r.stderr
    assert "bad.ckpt" in r.stderr
    if damage == "other-sun4v":
        assert "checkpoint format 1 of sun4v 0.0.0; this is sun4v" in r.stderr
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["good.ckpt"] + (["bad.ckpt"] if damage != "missing" else []))


def test_cli_a_foreign_state_and_bad_times(tmp_path):
    """A checkpoint of the right format without a booted system, and times before the
    machine's own: one line each, exit status 2."""
    p = str(tmp_path / "x.ckpt")
    checkpoint.write(p, {"a": np.arange(3)}, {"machine": {"mode": "functional"}})
    r = sun4v("boot", "--restore", p)
    assert r.returncode == 2 and "not a state this machine can take" in r.stderr
    assert len(r.stderr.splitlines()) == 1
    cfg = write_config(tmp_path)
    r = sun4v("boot", cfg, "--until", "2ms", "--checkpoint-at", "3ms", p)
    assert r.returncode == 2 and "after --until" in r.stderr
    r = sun4v("boot", cfg, "--restore", p)
    assert r.returncode == 2 and "not both" in r.stderr
    # the run ends before the checkpoint time: said, status 1, no file
    late = str(tmp_path / "late.ckpt")
    r = sun4v("boot", cfg, "--insns", "20000", "--checkpoint-at", "3ms", late)
    assert r.returncode == 1 and "no checkpoint written" in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1 and not os.path.exists(late)


# ---- every device's state, set to values no boot leaves there --------------------------
@pytest.mark.parametrize("platform", ["T2000", "T5220"])
def test_machine_devices_round_trip(tmp_path, platform):
    """Registers the hypervisor of a boot never writes (IOB/NCU interrupt targets, CMP
    registers, NCU mondo data), UART registers and pending input, the TOD and a pending
    input event: each comes back from a checkpoint."""
    from sun4v.machine import Machine
    from sun4v.machine.devices import iob, ncu
    from sun4v.machine import runloop, strandctl as SC
    m = Machine(platform)
    if platform == "T2000":
        m.intr.write(iob.INT_MAN + 8 * iob.DEV_SSI, 8, 0x0305, 0)
        m.intr.write(iob.INT_CTL + 8 * iob.DEV_SSI, 8, iob.CTL_MASK, 0)
        m.intr.interrupt(iob.DEV_SSI)                         # pending behind the mask
        m.intr.write(iob.J_INT_VEC, 8, 0x21, 0)
    else:
        m.intr.write(ncu.INT_MAN + 8 * ncu.DEV_SSI, 8, 0x0407, 0)
        m.intr.write(ncu.MONDO_INT_VEC, 8, 0x11, 0)
        m.devices["ncu_mondo"].write(ncu.DATA1 + 8 * 3, 8, 0xABCDEF, 0)
        m.ctl.cmp_write(0, SC.CMP_XIR_STEERING, 0x5)
    m.tod.write(0, 8, 1_234_567, 0)
    u = m.guest_uarts[0]
    u.write(3, 1, 0x03, 0)                                   # LCR
    u.write(1, 1, 0x01, 0)                                   # IER: received data
    u.feed(b"typed")
    m.hv_uart.write(0, 1, ord("x"), 0)
    m.feed(u, b"later", at=123_456)
    path = str(tmp_path / "m.ckpt")
    m.checkpoint(path, {"note": "devices"})
    arrays, meta = m.state()
    r, extra = Machine.restore(path)
    assert extra == {"note": "devices"}
    arrays2, meta2 = r.state()
    assert meta2 == meta
    assert arrays2.keys() == arrays.keys()
    assert all(np.array_equal(arrays[k], arrays2[k]) for k in arrays)
    fresh = Machine(platform).state()[1]
    for k in ("intr", "tod", "uarts", "events") + (("ctl", "ncu_mondo")
                                                   if platform == "T5220" else ()):
        assert meta2[k] != fresh[k], k                    # each piece really was set
    assert r.guest_uarts[0].rx == b"typed" and r.hv_uart.out == b"x"
    assert r.tod.read(0, 8, 0) == 1_234_567
    assert [(t, fn.data) for t, _, fn in r._events] == [(123_456, b"later")]
    assert int(r.loop[runloop.L_NEXT_EVENT]) == 123_456  # the loop sees it
    r._events[0][2]()
    assert r.guest_uarts[0].rx == b"typedlater"


def test_a_pending_callable_is_not_saved(tmp_path):
    from sun4v.machine import Machine
    m = Machine("T2000")
    m.at(1000, lambda: None)
    with pytest.raises(CheckpointError, match="cannot be saved"):
        m.checkpoint(str(tmp_path / "m.ckpt"))
    assert os.listdir(tmp_path) == []


# ---- cycle mode --------------------------------------------------------------------------
CYCLE_CFG = [dict(name="primary", vcpus=1, memory="1G"),
             dict(name="ldg1", vcpus=2, memory="1G", workload="int", iterations=100)]


def test_cycle_mode_restore_continues_exactly(tmp_path):
    """The cycle model's timing state too (thread select, store buffers, caches, TLB
    model, crossbar, clock): a restored cycle-mode run has the same cycle counts."""
    c1, c2 = "1ms", "2ms"
    st = K.system("T2000", CYCLE_CFG, mode="cycle")
    st.run(until=st.steps(c2))
    straight_c = observed(st)
    s = K.system("T2000", CYCLE_CFG, mode="cycle")
    s.run(until=s.steps(c1))
    arrays, meta = s.m.state()          # (the summary's statistics flush the cycle
    path = str(tmp_path / "cycle.ckpt")  # model's accounts: not looked at before T2)
    s.checkpoint(path)
    r = System.restore(path)
    assert r.m.mode == "cycle"
    arrays2, meta2 = r.m.state()
    assert meta2 == meta and arrays2.keys() == arrays.keys()
    assert all(np.array_equal(arrays[k], arrays2[k]) for k in arrays)
    assert any(k.startswith("cycle.") for k in arrays)
    r.run(until=r.steps(c2))
    same(observed(r), straight_c)
    assert straight_c["insns"] > meta["insns_run"]
