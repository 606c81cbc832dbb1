"""Files a domain program has open by path, in a checkpoint (issue 14 §3,
sun4v/boot/progstate.py): their content is saved, and a restored run continues exactly
as the uninterrupted one even when the file has changed since -- the uninterrupted run
went on writing it and removed it, or the user put another file at the path -- by going
on with the checkpoint's copy (one line says so); the file at the path is not touched by
the restore.  A file unchanged since is opened again by its path."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_prog_checkpoint import (ARGS, PY, ROOT, Run, _saved_mid_run,  # noqa: E402,F401
                                  binary)
from qemu_oracle import run_sun4v  # noqa: E402
from sun4v.boot import System  # noqa: E402
from sun4v.boot import progstate  # noqa: E402
from sun4v.checkpoint import CheckpointError  # noqa: E402


def _named():
    return f"/tmp/threads_files.{os.getpid()}.a"         # threads_files.c's file


def _links(s):
    """What the restored program's host fds are open on."""
    fds = s.programs["ldg1"].sys.fds.host.values()
    return {os.readlink(f"/proc/self/fd/{h}") for h in fds}


@pytest.mark.parametrize("after", ["removed", "replaced"])
def test_a_file_changed_since_the_checkpoint(binary, tmp_path, after):
    path = str(tmp_path / "f.ckpt")
    saved = _saved_mid_run(binary, "functional", path)
    named = _named()
    # the uninterrupted run goes on to its end: it writes "XY" into the file, reads it
    # back and removes it
    assert saved.run("3s").reason == "programs ended"
    straight = saved.result()
    assert not os.path.exists(named)
    assert straight["program"] == ("exited", run_sun4v(binary, ARGS)[2])
    if after == "replaced":
        Path(named).write_bytes(b"the user's own file\n")
    r = Run(System.restore(path))
    assert r.s.restore_notes == [
        f"domain ldg1: the program's file {named} is not as it was at the checkpoint: the "
        f"program goes on with the checkpoint's copy ({named} is left as it is)"]
    if after == "replaced":
        assert Path(named).read_bytes() == b"the user's own file\n"
    else:
        assert not os.path.exists(named)
    assert named not in _links(r.s)
    px = r.s.programs["ldg1"]                           # its output up to the checkpoint
    r.out = {k: bytearray(v) for k, v in px.output.items()}
    assert r.run("3s").reason == "programs ended"
    after_run = r.result()
    for k in ("out", "err", "program", "px_out"):
        assert after_run[k] == straight[k], k
    r.s.close()
    saved.s.close()
    if os.path.exists(named):
        os.unlink(named)


def test_an_unchanged_file_is_opened_by_its_path(binary, tmp_path):
    path = str(tmp_path / "u.ckpt")
    saved = _saved_mid_run(binary, "functional", path)
    s = System.restore(path)
    assert s.restore_notes == []
    assert _named() in _links(s)
    s.close()
    saved.s.close()


def test_a_big_changed_file_is_refused(binary, tmp_path, monkeypatch):
    """Over FILE_MAX only the digest is saved: changed, the restore is refused."""
    monkeypatch.setattr(progstate, "FILE_MAX", 4)
    path = str(tmp_path / "b.ckpt")
    saved = _saved_mid_run(binary, "functional", path)
    named = _named()
    size = os.path.getsize(named)
    assert size > 4
    saved.run("3s")                                     # removes the file
    with pytest.raises(CheckpointError) as e:
        System.restore(path)
    assert str(e.value) == (f"{path}: domain ldg1: the program's file {named} changed "
                            f"since the checkpoint and its {size} bytes (over 0 MB) are "
                            f"not in it: put the file back as it was")
    saved.s.close()


@pytest.mark.parametrize("how", [os.O_WRONLY, os.O_WRONLY | os.O_APPEND, os.O_RDONLY])
def test_a_write_only_file_round_trip(tmp_path, how):
    """The host side alone (progstate's description of one open file and its opening
    again): a file the program opened write-only (its content read through a read-only
    open) or read-only; restored after it changed, the copy has the saved content, the
    flags and the offset."""
    from types import SimpleNamespace
    f = tmp_path / "out.txt"
    f.write_bytes(b"0123456789")
    h = os.open(f, how)
    os.lseek(h, 4, os.SEEK_SET)
    px = SimpleNamespace(name="ldg1", _streams={
        n: [st, os.open(os.devnull, os.O_WRONLY), 0] for n, st in ((1, "out"), (2, "err"))})
    rec = progstate._describe(px, h, 3)
    assert (rec["kind"], rec["offset"], rec["size"]) == ("file", 4, 10)
    import base64
    assert base64.b64decode(rec["data"]) == b"0123456789"
    os.close(h)
    f.write_bytes(b"changed")
    notes, made = [], []
    g = progstate._open(rec, px, {}, made, {}, notes)
    assert len(notes) == 1 and str(f) in notes[0]
    assert os.lseek(g, 0, os.SEEK_CUR) == 4
    import fcntl
    assert fcntl.fcntl(g, fcntl.F_GETFL) & (os.O_ACCMODE | os.O_APPEND) == how
    assert os.readlink(f"/proc/self/fd/{g}").startswith("/tmp/sun4v-prog-")
    assert f.read_bytes() == b"changed"
    for x in made + [px._streams[1][1], px._streams[2][1]]:
        os.close(x)
