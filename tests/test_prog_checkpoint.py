"""Checkpoints of a machine whose domain runs a program (issue 14 §3 with §1): the host
side of the program's system calls (sun4v/boot/progstate.py: its open files with their
offsets, an unlinked file's content, a pipe with unread data, a dup of stdout, its
output so far, the ids, the pid, the getrandom state; the programs' poll event) is saved
with the machine. A run saved while threads_files.c's workers compute and restored
ends exactly as the run that went straight on: the program's stdout, stderr and exit
status (and so `sun4v run`'s), the consoles, the instruction count, the time and every
array of the machine's state; in functional and cycle mode, in-process and from the
command line (--checkpoint-at / --restore with --console DIR: the same NAME.out,
NAME.err and NAME.log). What cannot be saved (a socket) is refused in one line."""
from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import guestkit as K  # noqa: E402
from qemu_oracle import compare_runs, corpus_binary, ensure_corpus, run_sun4v  # noqa: E402
from sun4v import checkpoint  # noqa: E402
from sun4v.boot import System  # noqa: E402
from sun4v.checkpoint import CheckpointError  # noqa: E402
from sun4v.machine.runloop import L_STRAND  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ARGS = ["4", "3000"]


@pytest.fixture(scope="module")
def binary():
    ensure_corpus()
    yield corpus_binary("threads_files", "O2")
    # the file of a run stopped mid-way here (named from this process's pid, which the
    # in-process runs share)
    left = f"/tmp/threads_files.{os.getpid()}.a"
    if os.path.exists(left):
        os.unlink(left)


def _domains(binary):
    return [{"name": "primary", "vcpus": 1, "memory": "512M"},
            {"name": "ldg1", "vcpus": 4, "memory": "1G", "program": str(binary),
             "args": ARGS}]


class Run:
    """A System run to its programs' end with its program output collected."""

    def __init__(self, s):
        self.s = s
        self.out = {"out": bytearray(), "err": bytearray()}

    def on_program(self, name, stream, data):
        assert name == "ldg1"
        self.out[stream] += data

    def run(self, until):
        return self.s.run(until=self.s.steps(until), on_program=self.on_program)

    def result(self):
        s = self.s
        state, status = s.program_results()["ldg1"]
        arrays, meta = s.state()            # what a checkpoint would hold
        return {"out": bytes(self.out["out"]), "err": bytes(self.out["err"]),
                "px_out": bytes(s.programs["ldg1"].output["out"]),
                "program": (state, status), "insns": s.m.insns_run, "time": s.m.time,
                "consoles": (s.console("primary"), s.console("ldg1")),
                "meta": meta, "arrays": arrays}


def _straight(binary, mode):
    r = Run(K.system("T5220", _domains(binary), mode=mode))
    res = r.run("3s")
    assert res.reason == "programs ended", res
    return r.result()


def _saved_mid_run(binary, mode, path):
    """A run stopped while the workers compute (the files are open, the pipe holds its
    message, the results are not printed), saved to `path`."""
    r = Run(K.system("T5220", _domains(binary), mode=mode))
    px = r.s.programs["ldg1"]

    def computing():
        return b"fds:" in px.output["out"]
    assert K.run_until(r.s, computing, step="100us", limit="1s")
    assert b"threads 4" not in px.output["out"] and px.result()[0] == "running"
    r.s.checkpoint(path)
    r.out = {k: bytearray(v) for k, v in px.output.items()}    # what it wrote so far
    return r


def _diff(a, b, path="meta", ignore=()):
    """The first place where two JSON-like values differ (keys in `ignore` aside), or
    None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k in ignore:
                continue
            if k not in a or k not in b:
                return f"{path}.{k}"
            d = _diff(a[k], b[k], f"{path}.{k}", ignore)
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return next((d for i, (x, y) in enumerate(zip(a, b))
                     if (d := _diff(x, y, f"{path}[{i}]", ignore))), None)
    return None if a == b else f"{path}: {a!r:.200} != {b!r:.200}"


def _same(a, b, ignore=()):
    for k in ("out", "err", "px_out", "program", "insns", "time", "consoles"):
        assert a[k] == b[k], k
    d = _diff(a["meta"], b["meta"], ignore=ignore)
    assert d is None, d
    assert a["arrays"].keys() == b["arrays"].keys()
    # the strands' control state (PC, instruction and idle counts, run states, ...), the
    # run loop and the cycle model's timing state; not memory and registers: a program
    # run by `sun4v run` or in a domain sees the host's pid and (functional mode) the
    # host's clock, which two runs do not share
    for k in a["arrays"]:
        if not (k in ("strand.C", "loop") or k.startswith("cycle.")):
            continue
        x, y = a["arrays"][k], b["arrays"][k]
        if k == "loop":         # L_STRAND: the strand of the last loop exit (scratch)
            x, y = np.delete(x, L_STRAND), np.delete(y, L_STRAND)
        assert np.array_equal(x, y), k


@pytest.mark.parametrize("mode", ["functional", pytest.param("cycle", marks=pytest.mark.slow)])
def test_program_checkpoint_restores_exactly(binary, tmp_path, mode):
    straight = _straight(binary, mode)
    compare_runs("threads_files in a domain", run_sun4v(binary, ARGS),
                 (straight["out"], straight["err"], straight["program"][1]))
    path = str(tmp_path / "prog.ckpt")
    saved = _saved_mid_run(binary, mode, path)
    # what the file holds: the pipe's message, the file offset, the unlinked content
    _arrays, meta = checkpoint.read(path)
    files = meta["extra"]["system"]["programs"]["ldg1"]["sys"]["files"]
    kinds = sorted(f["kind"] for f in files)
    assert kinds == ["deleted", "device", "file", "pipe", "pipe", "stream", "stream"], kinds
    assert [base64.b64decode(f["data"]) for f in files if f.get("data") and
            f["kind"] == "pipe"] == [b"a message left in the pipe"]
    assert [f["offset"] for f in files if f["kind"] == "file"] == [5]
    before = bytes(saved.s.programs["ldg1"].output["out"])
    r = Run(System.restore(path))
    r.out = {k: bytearray(v) for k, v in saved.s.programs["ldg1"].output.items()}
    res = r.run("3s")
    assert res.reason == "programs ended", res
    after = r.result()
    # (the straight run is another run of the host: its start time and pid are its own)
    _same(after, straight, ignore=("start_time", "pid"))
    assert after["insns"] > saved.s.m.insns_run and len(after["out"]) > len(before)
    # the saved system itself goes on (saving changed nothing it sees: the pipe still
    # holds its message); its instructions may differ: the restored run has unlinked
    # the file they share on the host, so the saved one's unlink fails (ENOENT)
    saved.run("3s")
    cont = saved.result()
    assert (cont["out"], cont["err"], cont["program"]) == \
        (straight["out"], straight["err"], straight["program"])
    r.s.close()
    saved.s.close()


def test_a_socket_is_refused(binary, tmp_path):
    """A descriptor the checkpoint cannot hold: one line naming the domain and the fd,
    and no file written."""
    r = _saved_mid_run(binary, "functional", str(tmp_path / "ok.ckpt"))
    px = r.s.programs["ldg1"]
    a, b = socket.socketpair()
    px.sys.fds.install(9, os.dup(a.fileno()))
    path = tmp_path / "no.ckpt"
    with pytest.raises(CheckpointError) as e:
        r.s.checkpoint(str(path))
    assert "domain ldg1: the program's fd 9 (socket:" in str(e.value)
    assert "\n" not in str(e.value) and not path.exists()
    a.close()
    b.close()
    r.s.close()


def test_cli_checkpoint_and_restore_of_a_program(binary, tmp_path):
    """`sun4v boot --checkpoint-at` while the program runs, then `--restore`: the
    restored run's --console files equal those of the run that went on."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('platform = "T5220"\n[[domain]]\nname = "primary"\nvcpus = 1\n'
                   'memory = "512M"\n[[domain]]\nname = "ldg1"\nvcpus = 4\n'
                   f'memory = "1G"\nprogram = "{binary}"\nargs = {ARGS!r}\n'
                   .replace("'", '"'))
    ck = tmp_path / "p.ckpt"

    def boot(*opts):
        p = subprocess.run([PY, "-m", "sun4v", "boot", *map(str, opts)], cwd=ROOT,
                           capture_output=True, timeout=1200)
        return p.returncode, p.stdout.decode(), p.stderr.decode()
    # T: 1 ms after the program has set up its files at the in-process test's point (the
    # workers compute about 2 ms more): the CLI run's pid, in the files' names, is another
    # length, and the proxied calls' timing with it
    t = _saved_mid_run(binary, "functional", str(tmp_path / "probe.ckpt")).s.seconds
    at = f"{t * 1e6 + 1000:.0f}us"
    rc, out, err = boot(cfg, "--console", tmp_path / "a")
    assert rc == 0, err
    rc1, out1, err1 = boot(cfg, "--checkpoint-at", at, ck, "--until", at)
    assert rc1 == 0 and f"checkpoint {ck} written" in out1, err1
    assert "program ldg1" in out1 and "still running" in out1
    rc2, out2, err2 = boot("--restore", ck, "--console", tmp_path / "b")
    assert rc2 == 0, err2
    for f in ("ldg1.out", "ldg1.err", "ldg1.log", "primary.log"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    ro, re_, rrc = run_sun4v(binary, ARGS)
    assert (tmp_path / "b" / "ldg1.out").read_bytes() == ro
    assert (tmp_path / "b" / "ldg1.err").read_bytes() == re_
    assert out.splitlines()[-1] == out2.splitlines()[-2] == \
        f"program ldg1: {binary}: exit status {rrc}"
    # the restored program has removed its file: restored again, the program goes on
    # with the checkpoint's copy of it (one line says so), exactly as before
    rc3, out3, err3 = boot("--restore", ck, "--console", tmp_path / "c")
    assert rc3 == 0, err3
    assert err3.splitlines() == [
        f"sun4v: boot: {ck}: domain ldg1: the program's file {line} is not as it was at the "
        f"checkpoint: the program goes on with the checkpoint's copy ({line} is left as it "
        f"is)" for line in [err3.split("file ", 1)[1].split(" is not", 1)[0]]]
    assert err3.split("file ", 1)[1].startswith("/tmp/threads_files.")
    for f in ("ldg1.out", "ldg1.err", "ldg1.log", "primary.log"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "c" / f).read_bytes(), f
