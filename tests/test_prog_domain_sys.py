"""The corpus programs that need more of the guest kernel than loading, threads and the
proxied files (issue 14 §1): quad-precision FP that the chip traps and Linux completes
in software (quad_fpops), poll/select over the proxied descriptors (poll_select), the
domain's timers and signal waits (signals_timers, timer_thread, interrupted_waits), new
processes (process_wait). Each runs in a logical domain with the same stdout, stderr and
exit status as `sun4v run` on the same binary (itself checked against qemu-sparc64 by
test_corpus.py), in functional mode by default and in cycle mode (slow)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from progdomkit import boot_program  # noqa: E402
from qemu_oracle import (compare_runs, corpus_binary, ensure_corpus,  # noqa: E402
                         strip_qemu_lines, sun4v_command)

ROOT = Path(__file__).resolve().parent.parent

PROGRAMS = ["quad_fpops", "poll_select", "timer_thread", "signals_timers", "process_wait",
            "interrupted_waits"]
UNTIL = {"poll_select": "8s", "signals_timers": "8s"}   # simulated: timeouts of about 2 s


@pytest.fixture(scope="module")
def corpus():
    ensure_corpus()


def _run_devnull(binary, args):
    """`sun4v run binary args < /dev/null`: a domain's program has /dev/null for stdin
    (sun4v/boot/progproxy.py), and poll_select polls it."""
    p = subprocess.run([*sun4v_command(), str(binary), *map(str, args)],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=600, cwd=ROOT)
    return p.stdout, strip_qemu_lines(p.stderr), p.returncode


def _same_as_run(name, mode, args=(), vcpus=2, until=None):
    until = until or UNTIL.get(name, "3s")
    binary = corpus_binary(name, "O2")
    out, err, rc, s = boot_program(binary, args, vcpus=vcpus, until=until, mode=mode)
    compare_runs(f"{name} in a domain ({mode})", _run_devnull(binary, args), (out, err, rc))
    return s


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_in_a_domain(corpus, name):
    _same_as_run(name, "functional")


@pytest.mark.slow
@pytest.mark.parametrize("name", PROGRAMS)
def test_program_in_a_domain_cycle_mode(corpus, name):
    _same_as_run(name, "cycle")
