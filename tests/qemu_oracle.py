"""qemu-sparc64 as the oracle for `sun4v run`: run a static sparc64 Linux ELF under
both and return what a user would see (stdout, stderr, exit status).

Helpers (used by test_corpus.py and test_random_diff.py):

* ``run_qemu(binary, args=(), stdin=b"")``  -> (stdout, stderr, returncode)
* ``run_sun4v(binary, args=(), stdin=b"", extra_opts=())`` -> same triple
* ``require_tools()`` fails the calling test when the cross compiler or qemu is missing
  (`make setup` installs both: a missing one is a broken set-up, not a reason to skip).
* ``ensure_corpus()`` builds build/progs/X.O0 and X.O2 for every tests/progs/X.c
  (``make progs``, falling back to calling the cross compiler directly).

A return code is as ``subprocess`` reports it: a program killed by a signal gives
``-SIG`` for both (qemu and the simulator re-raise the guest's fatal signal).
qemu's own diagnostics ("qemu: uncaught target signal 6 (Aborted) - core dumped")
are stripped from its stderr.
"""
from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import setup_tools

ROOT = Path(__file__).resolve().parents[1]
PROG_SRC_DIR = ROOT / "tests" / "progs"
PROG_BUILD_DIR = ROOT / "build" / "progs"
OPT_LEVELS = ("O0", "O2")

QEMU = shutil.which("qemu-sparc64")
CROSS_CC = shutil.which("sparc64-linux-gnu-gcc")

QEMU_TIMEOUT = 20
SUN4V_TIMEOUT = float(os.environ.get("SUN4V_TIMEOUT", "300"))  # a hang guard (a cold numba cache compiles for minutes on a loaded 2-core machine); env: slow debug builds

# Extra qemu options, e.g. SUN4V_QEMU_OPTS='-cpu "Sun UltraSparc T2"' (shell-split).
QEMU_OPTS = tuple(__import__("shlex").split(os.environ.get("SUN4V_QEMU_OPTS", "")))


# --------------------------------------------------------------------------- tools
def require_tools() -> None:
    """Fail (not skip) unless qemu-sparc64 and the cross compiler are installed."""
    setup_tools.require_tools(setup_tools.QEMU, setup_tools.CROSS_CC)


# SUN4V_RUN_CMD overrides the command prefix used for `sun4v run` (shell-split), e.g.
# SUN4V_RUN_CMD=qemu-sparc64 to check this harness itself against qemu.
SUN4V_RUN_CMD = tuple(__import__("shlex").split(os.environ.get("SUN4V_RUN_CMD", "")))


def sun4v_command() -> list[str]:
    """The command prefix for `sun4v run` through the current interpreter."""
    if SUN4V_RUN_CMD:
        return list(SUN4V_RUN_CMD)
    return [sys.executable, "-m", "sun4v", "run"]


# --------------------------------------------------------------------------- running
def strip_qemu_lines(stderr: bytes) -> bytes:
    lines = stderr.splitlines(keepends=True)
    return b"".join(l for l in lines if not l.startswith(b"qemu: "))


def _run(cmd: list[str], stdin: bytes, timeout: float, what: str):
    try:
        p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, cwd=str(ROOT))
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{what} timed out after {timeout} s: {' '.join(map(str, cmd))}\n"
                    f"stdout so far: {(e.stdout or b'')[-2000:]!r}\n"
                    f"stderr so far: {(e.stderr or b'')[-2000:]!r}")
    return p.stdout, p.stderr, p.returncode


def run_qemu(binary, args=(), stdin: bytes = b"", timeout: float = QEMU_TIMEOUT):
    """Run `qemu-sparc64 binary args` -> (stdout, stderr without qemu's lines, returncode)."""
    require_tools()
    out, err, rc = _run([QEMU, *QEMU_OPTS, str(binary), *map(str, args)], stdin, timeout,
                        "qemu-sparc64")
    return out, strip_qemu_lines(err), rc


def run_sun4v(binary, args=(), stdin: bytes = b"", extra_opts=(), timeout: float = SUN4V_TIMEOUT):
    """Run `sun4v run [extra_opts] binary args` -> (stdout, stderr, returncode)."""
    cmd = [*sun4v_command(), *map(str, extra_opts), str(binary), *map(str, args)]
    out, err, rc = _run(cmd, stdin, timeout, "sun4v run")
    return out, strip_qemu_lines(err), rc


# --------------------------------------------------------------------------- corpus
def corpus_names() -> list[str]:
    return sorted(p.stem for p in PROG_SRC_DIR.glob("*.c"))


def corpus_binary(name: str, opt: str) -> Path:
    return PROG_BUILD_DIR / f"{name}.{opt}"


_build_lock = threading.Lock()
_build_done: list = []


def _stale(name: str, opt: str) -> bool:
    b = corpus_binary(name, opt)
    src = PROG_SRC_DIR / f"{name}.c"
    return not b.exists() or b.stat().st_mtime < src.stat().st_mtime


def ensure_corpus() -> None:
    """Build every tests/progs/X.c into build/progs/X.{O0,O2} if missing or stale."""
    require_tools()
    with _build_lock:
        if _build_done:
            if _build_done[0]:
                pytest.fail(_build_done[0])
            return
        error = None
        todo = [(n, o) for n in corpus_names() for o in OPT_LEVELS if _stale(n, o)]
        if todo:
            p = subprocess.run(["make", "-s", "progs"], cwd=str(ROOT), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=600)
            todo = [(n, o) for n, o in todo if _stale(n, o)]
            # `make progs` also wants iverilog etc.; build what is still missing directly
            # with the Makefile's flags.
            for n, o in todo:
                out = corpus_binary(n, o)
                out.parent.mkdir(parents=True, exist_ok=True)
                q = subprocess.run([CROSS_CC, "-static", f"-{o}", "-o", str(out),
                                    str(PROG_SRC_DIR / f"{n}.c"), "-lm"], cwd=str(ROOT),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
                if q.returncode:
                    error = (f"building {out} failed:\n{q.stdout.decode(errors='replace')}\n"
                             f"(make progs said:\n{p.stdout.decode(errors='replace')[-3000:]})")
                    break
        _build_done.append(error)
        if error:
            pytest.fail(error)


# --------------------------------------------------------------------------- reporting
def _lines(b: bytes) -> list[str]:
    return b.decode("utf-8", errors="backslashreplace").splitlines()


def describe_difference(label: str, expected: bytes, got: bytes, max_lines: int = 80) -> str:
    """A unified diff (qemu = expected, sun4v = got), shortened."""
    diff = list(difflib.unified_diff(_lines(expected), _lines(got), "qemu-sparc64", "sun4v run",
                                     lineterm="", n=2))
    if len(diff) > max_lines:
        diff = diff[:max_lines] + [f"... ({len(diff) - max_lines} more diff lines)"]
    return f"{label} differs ({len(expected)} bytes from qemu, {len(got)} from sun4v):\n" + "\n".join(diff)


def compare_runs(what: str, qemu_result, sun4v_result) -> None:
    """Assert two (stdout, stderr, rc) triples are equal, with a readable message."""
    (qo, qe, qrc), (so, se, src) = qemu_result, sun4v_result
    problems = []
    if qrc != src:
        problems.append(f"exit status: qemu {qrc}, sun4v {src}")
    if qo != so:
        problems.append(describe_difference("stdout", qo, so))
    if qe != se:
        problems.append(describe_difference("stderr", qe, se))
    if problems:
        pytest.fail(f"{what}: sun4v run differs from qemu-sparc64\n" + "\n\n".join(problems),
                    pytrace=False)
