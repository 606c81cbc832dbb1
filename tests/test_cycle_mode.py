"""`sun4v run --mode cycle`: corpus programs print the same and end the same as in
functional mode; the statistics carry the documented fields; bad input (unknown chip,
--strands out of range, a stats path that cannot be written) gives one line, exit
status 2, and changes nothing."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qemu_oracle import (  # noqa: E402
    corpus_binary, ensure_corpus, require_tools, run_sun4v,
)
from test_threads import run_inproc  # noqa: E402

# small corpus programs (< 0.5 M instructions each): plain output, arguments, signals,
# setjmp/longjmp, a fatal signal
CASES = [("args", ("one", "two words", "")), ("int_edge", ()), ("structs", ()),
         ("varargs", ()), ("setjmp_longjmp", ()), ("signal_handlers", ()),
         ("segfault", ())]


@pytest.fixture(scope="module")
def corpus():
    require_tools()
    ensure_corpus()


@pytest.mark.parametrize("name,args", CASES, ids=[c[0] for c in CASES])
def test_cycle_mode_output_equals_functional(corpus, name, args):
    binary = corpus_binary(name, "O2")
    f_out, f_err, f_rc, fp = run_inproc(binary, args)
    for chip in ("t1", "t2"):
        c_out, c_err, c_rc, cp = run_inproc(binary, args, chip=chip, mode="cycle")
        assert (c_out, c_err, c_rc) == (f_out, f_err, f_rc), f"{name} on {chip}"
        # the same instructions retire; the cycle model counts them too
        assert cp.insns == fp.insns
        st = cp.stats()
        assert st["instructions"] == cp.insns
        assert st["cycles"] >= st["instructions"] / 2


def test_stats_json_fields(corpus, tmp_path):
    binary = corpus_binary("structs", "O2")
    path = tmp_path / "s.json"
    out, err, rc = run_sun4v(binary, extra_opts=("--mode", "cycle", "--chip", "t1",
                                                 "--stats", str(path)))
    assert err == b""
    st = json.loads(path.read_text())
    assert st["exit_status"] == rc
    for k in ("program", "chip", "mode", "strand_limit", "instructions", "syscalls", "traps",
              "signals_delivered", "threads", "wall_seconds", "engine_startup_seconds",
              "mips", "exit_status", "signal", "strands", "cycles", "clock_mhz",
              "simulated_seconds", "cores", "ccx", "l1i", "l1d", "l2", "itlb", "dtlb",
              "memory"):
        assert k in st, k
    assert st["mode"] == "cycle" and st["chip"] == "t1" and st["strand_limit"] == 32
    assert st["clock_mhz"] == 1200
    s0 = st["strands"][0]
    assert s0["id"] == 0 and s0["core"] == 0 and s0["instructions"] == st["instructions"]
    assert s0["cycles"]["running"] > 0 and s0["cycles"]["ready"] >= 0
    assert s0["cycles"]["wait_syscall"] > 0
    c0 = st["cores"][0]
    assert set(c0) >= {"id", "instructions", "ipc", "pipe_utilisation", "rolled_back_slots"}
    assert 0 < c0["ipc"] <= 1
    assert set(st["ccx"]) == {"requests", "queue_full_stalls"}
    assert {"accesses", "misses"} <= set(st["l1d"]) and {"accesses", "misses"} <= set(st["l2"])
    assert {"reads", "writes", "bandwidth_GBps"} <= set(st["memory"])
    assert set(st["threads"]) == {"threads_created", "threads_peak", "strand_limit",
                                  "futex_waits", "futex_wakes", "futex_timeouts"}


def test_time_is_simulated_in_cycle_mode(corpus, tmp_path):
    """clock_gettime derives from the cycle count: a program printing times prints the
    same twice (the realtime clock starts at the fixed epoch 2000-01-01)."""
    import shutil
    import subprocess
    src = tmp_path / "t.c"
    src.write_text("#include <stdio.h>\n#include <time.h>\n#include <sys/time.h>\n"
                   "int main(void) { struct timespec a, b; struct timeval tv;\n"
                   "  clock_gettime(CLOCK_MONOTONIC, &a);\n"
                   "  volatile long x = 0; for (int i = 0; i < 20000; i++) x += i;\n"
                   "  clock_gettime(CLOCK_MONOTONIC, &b); gettimeofday(&tv, 0);\n"
                   "  printf(\"%ld %ld %ld\\n\", (long)a.tv_nsec, (long)b.tv_nsec,"
                   " (long)tv.tv_sec);\n  return 0; }\n")
    exe = tmp_path / "t"
    subprocess.run([shutil.which("sparc64-linux-gnu-gcc"), "-static", "-O2", "-o", str(exe),
                    str(src)], check=True)
    runs = [run_inproc(exe, chip="t2", mode="cycle")[0] for _ in range(2)]
    assert runs[0] == runs[1]
    a, b, sec = (int(v) for v in runs[0].split())
    assert 0 < a < b and 946684800 <= sec < 946684800 + 10


# ---- bad input -------------------------------------------------------------------------------
BAD = [
    (("--chip", "t9"), "unknown chip 't9' (known: t1, t2, t2plus)"),
    (("--chip", "t1", "--strands", "33"), "--strands 33: UltraSPARC T1 has 32 strands"),
    (("--strands", "0"), "--strands 0: UltraSPARC T2 has 64 strands"),
    (("--mode", "fast"), "invalid choice: 'fast'"),
    (("--stats", "/nonexistent-dir/s.json"), "directory /nonexistent-dir does not exist"),
]


@pytest.mark.parametrize("opts,msg", BAD, ids=["chip", "strands-high", "strands-zero", "mode",
                                               "stats-dir"])
def test_bad_input_one_line_status_2(corpus, opts, msg):
    out, err, rc = run_sun4v(corpus_binary("structs", "O2"), extra_opts=opts)
    assert rc == 2 and out == b""
    lines = err.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sun4v: ") and msg in lines[0], err


def test_bad_stats_path_changes_nothing(corpus, tmp_path):
    binary = corpus_binary("structs", "O2")
    d = tmp_path / "adir"
    d.mkdir()
    out, err, rc = run_sun4v(binary, extra_opts=("--stats", str(d)))
    assert rc == 2 and out == b"" and err.decode().count("\n") == 1 and "is a directory" in err.decode()
    if os.geteuid() != 0:               # root may write anything: the checks below need a user
        ro = tmp_path / "ro"
        ro.mkdir()
        os.chmod(ro, 0o555)
        out, err, rc = run_sun4v(binary, extra_opts=("--stats", str(ro / "s.json")))
        assert rc == 2 and b"not writable" in err and list(ro.iterdir()) == []
        f = tmp_path / "old.json"
        f.write_text("old")
        os.chmod(f, 0o444)
        out, err, rc = run_sun4v(binary, extra_opts=("--stats", str(f)))
        assert rc == 2 and b"not writable" in err and f.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["adir"] + (["ro", "old.json"] if os.geteuid() != 0 else []))
