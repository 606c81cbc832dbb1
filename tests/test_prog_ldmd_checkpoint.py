"""A checkpoint of a machine serving the live domain manager while a domain program
runs (issue 14 §3 with §1, ldm/livestate.py and sun4v/boot/progstate.py): saved while
threads_files has its files open, restored, and driven with the same `ldm` commands at
the same simulated times (add-vcpu while the workers compute), the restored run ends
exactly as the uninterrupted one: the program's stdout, stderr and exit status (those of
`sun4v run`), the manager's events (the program's end), instruction counts, every array
of the machine and the manager's whole state."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "ldm"))
import livekit as L  # noqa: E402
from qemu_oracle import compare_runs, corpus_binary, ensure_corpus, run_sun4v  # noqa: E402
from ldm import livestate  # noqa: E402
from ldm.live import LiveManager  # noqa: E402

ARGS = ["4", "3000"]


@pytest.fixture(scope="module")
def binary():
    ensure_corpus()
    return corpus_binary("threads_files", "O2")


def _go_on(lm):
    """The same commands at the same times, to the program's end and 1 ms after."""
    px = lm.system.programs["ldg1"]
    lm.advance("200us")
    add = L.ldm(lm, "add-vcpu 2 ldg1")
    assert lm.run_until(lambda: px.result()[0] == "exited", limit="3s", step=lm.slice)
    lm.advance("1ms")
    while livestate.busy(lm) is not None:
        lm.advance("100us")
    return {"add": add, "program": px.result(), "out": bytes(px.output["out"]),
            "err": bytes(px.output["err"]), "time": lm.m.time, "insns": lm.m.insns_run,
            "events": [(e.seq, e.time, e.kind, e.domain, e.text) for e in lm.events()],
            "console": lm.console("ldg1")[0], "manager": livestate.save(lm),
            "machine": lm.system.state()}


def test_a_program_under_the_manager_restores_exactly(binary, tmp_path):
    lm = L.boot([{"name": "primary", "vcpus": 2, "memory": "1G"},
                 {"name": "ldg1", "vcpus": 2, "memory": "1G", "program": str(binary),
                  "args": ARGS}])
    px = lm.system.programs["ldg1"]
    assert lm.run_until(lambda: b"fds:" in px.output["out"], limit="2s", step=lm.slice)
    assert px.result()[0] == "running"
    while livestate.busy(lm) is not None:
        lm.advance("100us")
    ck = str(tmp_path / "p.ckpt")
    lm.checkpoint(ck)
    named = Path(f"/tmp/threads_files.{os.getpid()}.a")
    content = named.read_bytes()
    straight = _go_on(lm)
    compare_runs("threads_files under the manager", run_sun4v(binary, ARGS),
                 (straight["out"], straight["err"], straight["program"][1]))
    assert not named.exists()                       # the program removed it
    named.write_bytes(content)                      # as it was at the checkpoint
    back = LiveManager.restore(ck)
    assert back.system.restore_notes == []
    again = _go_on(back)
    am, (aa, ameta) = straight.pop("manager"), straight.pop("machine")
    bm, (ba, bmeta) = again.pop("manager"), again.pop("machine")
    assert again == straight
    assert bm == am and bmeta == ameta
    for k in aa:
        assert np.array_equal(aa[k], ba[k]), k
    assert not named.exists()
