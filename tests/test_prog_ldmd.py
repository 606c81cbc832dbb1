"""A domain program on a machine serving the live domain manager (issue 14 §1 with
`sun4v boot --ldmd`, ldm/live.py): the program's stdout and stderr reach the domain's
console and, with --console DIR, DIR/NAME.out and DIR/NAME.err, as `sun4v run` writes
them; its end is an event of the manager (the ldmd log: "program NAME: PATH: exit
status N") and the guest's console line; the machine and the manager run on after it
(the control domain still answers `ldm`)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "ldm"))
import livekit as L  # noqa: E402
from qemu_oracle import compare_runs, corpus_binary, ensure_corpus, run_sun4v  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["3", "2000"]


@pytest.fixture(scope="module")
def binary():
    ensure_corpus()
    return corpus_binary("threads_files", "O2")


def test_program_output_and_end_under_the_live_manager(binary, tmp_path):
    cons, prog = {}, {"out": b"", "err": b""}

    def on_console(name, data):
        cons[name] = cons.get(name, b"") + data

    def on_program(name, stream, data):
        assert name == "ldg1"
        prog[stream] += data
    log = tmp_path / "ldmd.log"
    lm = L.boot([{"name": "primary", "vcpus": 2, "memory": "1G"},
                 {"name": "ldg1", "vcpus": 2, "memory": "1G", "program": str(binary),
                  "args": ARGS}], on_console=on_console, on_program=on_program,
                log_file=str(log))
    px = lm.system.programs["ldg1"]
    try:
        assert lm.run_until(lambda: px.result()[0] not in ("booting", "loading",
                                                           "running"), limit="2s")
        t = lm.m.time
        lm.advance("2ms")                           # the end seen; the machine runs on
        assert lm.ended is None and lm.m.time >= t + lm.system.steps("2ms")
        out, _err = L.ldm(lm, "list -p")
        assert any(ln.startswith("DOMAIN|name=primary|state=active|") for ln in out), out
    finally:
        lm.close()
    compare_runs("threads_files under the live manager", run_sun4v(binary, ARGS),
                 (prog["out"], prog["err"], px.result()[1]))
    end = f"program ldg1: {binary}: exit status 0"
    assert [e.text for e in lm.events() if e.domain == "ldg1" and
            e.text.startswith("program ")] == [end]
    assert end in log.read_text()
    assert b"program threads_files.O2: exit status 0" in cons["ldg1"]


def test_sun4v_boot_ldmd_console_files(binary, tmp_path):
    """`sun4v boot CONFIG --ldmd SOCKET --console DIR --ldmd-log FILE`: DIR/ldg1.out and
    ldg1.err hold the program's stdout and stderr, ldg1.log both and the guest's lines,
    FILE the program's end; SIGTERM stops the machine with the summary's program line."""
    cfg = tmp_path / "m.toml"
    cfg.write_text('platform = "T5220"\n'
                   '[[domain]]\nname = "primary"\nvcpus = 2\nmemory = "1G"\n'
                   '[[domain]]\nname = "ldg1"\nvcpus = 2\nmemory = "1G"\n'
                   f'program = "{binary}"\nargs = ["{ARGS[0]}", "{ARGS[1]}"]\n')
    sock, log, cdir = str(tmp_path / "s.sock"), tmp_path / "ldmd.log", tmp_path / "cons"
    p = subprocess.Popen([sys.executable, "-m", "sun4v", "boot", str(cfg), "--ldmd", sock,
                          "--console", str(cdir), "--ldmd-log", str(log)], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, _err = L.stop_ldmd_when_logged(p, log, "program ldg1:")
    ro, re_, rrc = run_sun4v(binary, ARGS)
    assert (cdir / "ldg1.out").read_bytes() == ro
    assert (cdir / "ldg1.err").read_bytes() == re_
    text = (cdir / "ldg1.log").read_bytes()
    # both streams' lines in order (the guest kernel's own lines, such as the domain
    # services' registration, may come between them, as its timing has it)
    for stream in (ro, re_):
        lines = iter(text.splitlines(True))
        assert all(any(x == y for y in lines) for x in stream.splitlines(True)), stream
    assert f"program ldg1: {binary}: exit status {rrc}" in log.read_text()
    assert out.splitlines()[-1] == f"program ldg1: {binary}: exit status {rrc}"
    assert not os.path.exists(sock)
