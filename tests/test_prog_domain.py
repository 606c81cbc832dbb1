"""Static sparc64 Linux programs in logical domains (issue 14 §1): the guest kernel loads
the program into the domain's memory and runs it in user mode, its threads over the
domain's vCPUs, the host serving files and the clock over the proxy area. The oracle is
`sun4v run` on the same binary with the same arguments (itself checked against
qemu-sparc64 by test_corpus.py): stdout, stderr and the exit status (or the signal) must
be the same. Also the `sun4v boot` side: the summary's program line, --console DIR's
NAME.out / NAME.err, and bad input (one line, exit status 2)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from progdomkit import boot_program  # noqa: E402
from qemu_oracle import compare_runs, corpus_binary, ensure_corpus, run_sun4v  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

# the corpus programs a domain runs like `sun4v run` (the ones with processes, timers
# and signal waits are test_prog_domain_sys.py's, threads_files is the checkpoint
# tests'); the first few are the default run, the rest are marked slow
FAST = ["args", "demo", "floats", "strings", "setjmp_longjmp", "fault_signals",
        "signal_handlers", "bad_pointers"]
SLOW = ["bigint", "bits", "int_edge", "malloc_heavy", "mathlib", "muldiv64", "nbody",
        "printf_fmt", "recursion", "sort_search", "structs", "switch_table", "varargs",
        "vis_mul8x16", "files_meta", "creds", "exec_code", "abort_signal", "segfault",
        "threads_eagain", "threads_work"]
THREADED = ["threads_sum", "threads_mutex", "threads_barrier", "threads_condvar"]


@pytest.fixture(scope="module")
def corpus():
    ensure_corpus()


def _same_as_run(binary, args=(), vcpus=2, until="3s", mode="functional"):
    out, err, rc, s = boot_program(binary, args, vcpus=vcpus, until=until, mode=mode)
    compare_runs(f"{binary.name} in a domain", run_sun4v(binary, args), (out, err, rc))
    return s


@pytest.mark.parametrize("name", FAST + [pytest.param(n, marks=pytest.mark.slow)
                                         for n in SLOW])
def test_corpus_program_in_a_domain(corpus, name):
    _same_as_run(corpus_binary(name, "O2"))


def test_arguments_reach_the_program(corpus):
    args = ["hello", "two words", "", "\u00fcn\u00efcode", "-x=1"]
    _same_as_run(corpus_binary("args", "O0"), args)


def test_fault_kills_the_program_with_its_signal(corpus):
    """segfault.c ends by SIGSEGV with no handler: the same signal as under `sun4v run`,
    the domain stops, the summary says so."""
    out, err, rc, s = boot_program(corpus_binary("segfault", "O2"), ["null"])
    ro, re_, rrc = run_sun4v(corpus_binary("segfault", "O2"), ["null"])
    assert (out, rc) == (ro, rrc) and rc == -11, (out, err, rc, ro, re_, rrc)
    assert s.program_results() == {"primary": ("killed", 11)}


@pytest.mark.slow
@pytest.mark.parametrize("name", FAST + SLOW + THREADED)
def test_corpus_program_in_a_domain_cycle_mode(corpus, name):
    """The same programs on the cycle model: the outputs do not depend on the model."""
    _same_as_run(corpus_binary(name, "O2"), vcpus=4 if name in THREADED else 2,
                 mode="cycle")


def test_every_corpus_program_runs_in_a_domain():
    """Each program of tests/progs is compared with `sun4v run` in a domain by one of
    the domain tests (a new corpus program not added to a list fails here)."""
    from test_prog_domain_sys import PROGRAMS
    listed = set(FAST + SLOW + THREADED + PROGRAMS + ["threads_files"])
    corpus_names = {p.stem for p in (ROOT / "tests" / "progs").glob("*.c")}
    assert corpus_names - listed == set()
    assert listed - corpus_names == set()


@pytest.mark.parametrize("name", THREADED)
def test_threaded_program_over_vcpus(corpus, name):
    """Threads (clone, futex) scheduled over 4 vCPUs give `sun4v run`'s output, and
    more than one vCPU ran the program's threads."""
    s = _same_as_run(corpus_binary(name, "O2"), vcpus=4)
    from guestkit import counters
    c = counters(s, "primary")
    busy = [v for v, d in c["cpus"].items() if d["switches"] > 0]
    assert len(busy) >= 2, c["cpus"]


# ---- the command line ---------------------------------------------------------------------
def _boot(tmp_path, body, *opts):
    cfg = tmp_path / "c.toml"
    cfg.write_text('platform = "T5220"\n' + body)
    p = subprocess.run([PY, "-m", "sun4v", "boot", str(cfg), *opts], capture_output=True,
                       cwd=ROOT, timeout=600)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_console_files_and_summary(corpus, tmp_path):
    """--console DIR: the program's stdout alone in DIR/NAME.out, its stderr in
    DIR/NAME.err (both as `sun4v run` writes them), both also on the console log; the
    summary ends with the program's exit status."""
    binary = corpus_binary("args", "O2")
    rc, out, err = _boot(tmp_path, f'[[domain]]\nname = "primary"\nvcpus = 2\n'
                         f'memory = "1G"\nprogram = "{binary}"\nargs = ["a", "bc"]\n',
                         "--console", str(tmp_path / "cons"))
    assert rc == 0, err
    ro, re_, rrc = run_sun4v(binary, ["a", "bc"])
    assert (tmp_path / "cons" / "primary.out").read_bytes() == ro
    assert (tmp_path / "cons" / "primary.err").read_bytes() == re_
    log = (tmp_path / "cons" / "primary.log").read_bytes()
    assert ro in log and re_ in log
    assert f"program primary: {binary}: exit status {rrc}" in out.splitlines()[-1]


def test_console_shows_program_output(corpus, tmp_path):
    binary = corpus_binary("demo", "O2")
    rc, out, err = _boot(tmp_path, f'[[domain]]\nname = "primary"\nvcpus = 1\n'
                         f'memory = "512M"\nprogram = "{binary}"\n')
    ro, _re, rrc = run_sun4v(binary)
    assert rc == 0, err
    lines = [ln[len("[primary] "):] for ln in out.splitlines() if ln.startswith("[primary] ")]
    assert all(ln in lines for ln in ro.decode().splitlines())
    assert f"exit status {rrc}" in out


@pytest.mark.parametrize("body,message", [
    ('program = "/nonexistent/prog"\n', "/nonexistent/prog: no such file"),
    ('program = "{cfg}"\n', "not an ELF file"),
    ('program = "{binary}"\nargs = "x"\n', "args must be a list of strings"),
    ('program = "{binary}"\nworkload = "int"\n', "a workload or a program"),
])
def test_bad_program_input(corpus, tmp_path, body, message):
    binary = corpus_binary("demo", "O2")
    cfg = tmp_path / "c.toml"
    body = body.format(cfg=cfg, binary=binary)
    rc, out, err = _boot(tmp_path, f'[[domain]]\nname = "primary"\nvcpus = 1\n'
                         f'memory = "512M"\n{body}')
    assert rc == 2 and out == "", (rc, out, err)
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert "Traceback" not in err


def test_threads_move_off_a_vcpu_dr_cpu_removes(corpus):
    """A threaded program in ldg1 (4 vCPUs): once its threads run on every vCPU, the
    domain manager removes vCPUs 2 and 3 (dr-cpu UNCONFIGURE over domain services); the
    threads move to vCPUs 0-1, those two stop in the hypervisor, and the program ends
    with `sun4v run`'s output."""
    import guestkit as K
    from ldm import ds as DS
    from sun4v.boot.config import parse_config
    from sun4v.boot import System
    binary = corpus_binary("threads_work", "O2")
    args = ["4", "60000"]
    cfg = parse_config({"platform": "T5220", "domain": [
        {"name": "primary", "vcpus": 1, "memory": "512M"},
        {"name": "ldg1", "vcpus": 4, "memory": "1G", "program": str(binary),
         "args": args}]})
    s = System(cfg)
    ds = K.DsSession(s, "ldg1")
    assert ds.connect(limit="200ms")
    px = s.programs["ldg1"]

    def on_all_vcpus():
        c = K.counters(s, "ldg1")["cpus"]
        return all(c.get(v, {}).get("switches", 0) > 1 for v in range(4))
    assert K.run_until(s, on_all_vcpus, step="200us", limit="100ms")
    assert px.result()[0] == "running"
    rep = ds.dr_cpu(DS.DR_UNCONFIGURE, [2, 3])
    assert [(r.cpu, r.result_name, r.status_name) for r in rep.records] == \
        [(2, "ok", "unconfigured"), (3, "ok", "unconfigured")], rep
    gid = s.bindings.get("ldg1").gid
    states = {v.vid: v.state for v in s.hv.vcpus(gid)}
    assert states[2] == states[3] == "stopped" and states[0] == states[1] == "running"
    assert px.result()[0] == "running"      # still working, on vCPUs 0 and 1 now
    assert K.run_until(s, lambda: px.result()[0] != "running", step="1ms", limit="2s")
    s.close()
    out = (bytes(px.output["out"]), bytes(px.output["err"]), px.result()[1])
    compare_runs("threads_work after dr-cpu", run_sun4v(binary, args), out)


def _run_with_vcpus(binary, args, add_back_after=None):
    """ldg1 (4 vCPUs in its MD) runs `binary args`; once domain services are up the
    manager leaves it one vCPU (dr-cpu UNCONFIGURE 1-3) and, `add_back_after` (simulated
    time) later, gives the three back (dr-cpu CONFIGURE, the guest side of `ldm
    add-vcpu`). Returns (simulated seconds from the removal to the program's end, its
    stdout, stderr, status)."""
    import guestkit as K
    from ldm import ds as DS
    from sun4v.boot.config import parse_config
    from sun4v.boot import System
    cfg = parse_config({"platform": "T5220", "domain": [
        {"name": "primary", "vcpus": 1, "memory": "512M"},
        {"name": "ldg1", "vcpus": 4, "memory": "1G", "program": str(binary),
         "args": args}]})
    s = System(cfg)
    ds = K.DsSession(s, "ldg1")
    assert ds.connect(limit="200ms")
    px = s.programs["ldg1"]
    rep = ds.dr_cpu(DS.DR_UNCONFIGURE, [1, 2, 3])
    assert all(r.result_name == "ok" for r in rep.records), rep
    t0 = s.seconds
    assert px.result()[0] == "running"
    if add_back_after is not None:
        K.run_until(s, lambda: False, step="1ms", limit=add_back_after)
        rep = ds.dr_cpu(DS.DR_CONFIGURE, [1, 2, 3])
        assert all(r.result_name == "ok" for r in rep.records), rep
    assert K.run_until(s, lambda: px.result()[0] != "running", step="500us", limit="3s")
    s.close()
    return (s.seconds - t0, bytes(px.output["out"]), bytes(px.output["err"]),
            px.result()[1])


def test_program_speeds_up_when_vcpus_are_added(corpus):
    """The same threaded program ends sooner (simulated time) when three vCPUs come
    back 5 ms after it was left with one: its threads spread over the added vCPUs; the
    output is `sun4v run`'s either way."""
    binary = corpus_binary("threads_work", "O2")
    args = ["4", "40000"]
    one, o1, e1, rc1 = _run_with_vcpus(binary, args)
    more, o2, e2, rc2 = _run_with_vcpus(binary, args, add_back_after="5ms")
    expected = run_sun4v(binary, args)
    compare_runs("threads_work on one vCPU", expected, (o1, e1, rc1))
    compare_runs("threads_work with vCPUs added", expected, (o2, e2, rc2))
    # 5 ms on one vCPU, the rest on four (after the dr-cpu round trip and the vCPUs'
    # start): clearly under the one-vCPU time (bound to one vCPU it is the same time)
    assert more < 0.75 * one, (one, more)


def test_run_ends_when_the_programs_end(corpus, tmp_path):
    """A program in ldg1 beside an idle control domain: no --until, and `sun4v boot`
    still ends once the program has (reason "programs ended"), primary left running."""
    binary = corpus_binary("threads_sum", "O2")
    rc, out, err = _boot(tmp_path, '[[domain]]\nname = "primary"\nvcpus = 1\n'
                         'memory = "512M"\n[[domain]]\nname = "ldg1"\nvcpus = 2\n'
                         f'memory = "1G"\nprogram = "{binary}"\n')
    assert rc == 0, err
    assert "functional; programs ended" in out
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()
            if ln.startswith(("primary ", "ldg1 "))}
    assert rows["primary"][1] == "running" and rows["ldg1"][1] == "stopped"
    assert out.splitlines()[-1] == f"program ldg1: {binary}: exit status 0"


def _live_run(binary, args, add_after=None):
    """ldg1 (1 vCPU) runs the program under the live domain manager (ldm/live.py);
    `add_after` (simulated time) after the manager is up, `ldm add-vcpu 3 ldg1`.
    Returns (simulated seconds from then to the program's end, stdout, stderr, status)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "ldm"))
    import livekit as L
    lm = L.boot([{"name": "primary", "vcpus": 2, "memory": "1G"},
                 {"name": "ldg1", "vcpus": 1, "memory": "1G", "program": str(binary),
                  "args": args}])
    px = lm.system.programs["ldg1"]
    assert lm.run_until(lambda: px.result()[0] == "running", limit="100ms")
    t0 = lm.system.seconds
    if add_after is not None:
        lm.advance(add_after)
        L.ldm(lm, "add-vcpu 3 ldg1")
    lm.run_until(lambda: px.result()[0] != "running", limit="3s", step=lm.system.steps("500us"))
    lm.system.close()
    return (lm.system.seconds - t0, bytes(px.output["out"]), bytes(px.output["err"]),
            px.result()[1])


def test_program_speeds_up_after_ldm_add_vcpu(corpus):
    """`ldm add-vcpu 3 ldg1` on the live manager while ldg1's threaded program runs on
    one vCPU: the program ends clearly sooner than without, with the same output."""
    binary = corpus_binary("threads_work", "O2")
    args = ["4", "100000"]
    one, o1, e1, rc1 = _live_run(binary, args)
    more, o2, e2, rc2 = _live_run(binary, args, add_after="2ms")
    expected = run_sun4v(binary, args)
    compare_runs("threads_work on one vCPU", expected, (o1, e1, rc1))
    compare_runs("threads_work after add-vcpu", expected, (o2, e2, rc2))
    assert more < 0.75 * one, (one, more)
