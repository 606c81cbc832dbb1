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
    seen["manager"] = livestate.save(lm)
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


@pytest.mark.parametrize("mode", ["functional", pytest.param("cycle", marks=pytest.mark.slow)])
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


def test_a_checkpoint_waits_for_a_safe_point(tmp_path):
    """During a DR exchange save() refuses with one line; checkpoint_at() takes the
    first safe point at or after the time, and the run goes on unperturbed."""
    lm = L.boot(DOMAINS)
    peer = lm.channels.ds["ldg1"]
    w = peer.dr_cpu(0, [0])                              # a dr-cpu request in flight
    why = livestate.busy(lm)
    assert why and "dr-cpu to ldg1" in why
    with pytest.raises(CheckpointError) as e:
        lm.checkpoint(str(tmp_path / "x.ckpt"))
    assert "\n" not in str(e.value) and "busy" in str(e.value)
    assert not os.path.exists(tmp_path / "x.ckpt")
    peer.forget(w)
    lm.advance("300us")
    at = lm.time + 250e-6
    lm.checkpoint_at(at, str(tmp_path / "y.ckpt"))
    lm.advance("1ms")
    t, err = lm.checkpoint_result
    assert err is None and t >= at
    back = LiveManager.restore(str(tmp_path / "y.ckpt"))
    assert abs(back.time - t) < 1e-12


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
