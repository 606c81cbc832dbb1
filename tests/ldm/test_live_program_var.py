"""A domain's program given by `ldm` variables on a running machine (issue 14 §1,
ldm/progvar.py): `set-variable program=PATH` and `program-args="..."` on a new
domain, bind and start it, and its guest kernel runs the program: stdout, stderr and
exit status equal `sun4v run`'s for the same program and arguments (tests/qemu_oracle.py
run_sun4v, itself checked against qemu-sparc64); its end is the manager's event
"program NAME: PATH: exit status N"; a stop and start runs it again from the start; an
unbind drops it; a checkpoint taken while it runs restores it; bad input is refused
with one line and nothing changed."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import livekit as L

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))     # tests/
from qemu_oracle import compare_runs, corpus_binary, ensure_corpus, run_sun4v  # noqa: E402

ENDED = ("exited", "killed", "failed")


@pytest.fixture(scope="module")
def lm():
    ensure_corpus()
    out = {}

    def on_program(name, stream, data):
        out.setdefault(name, {"out": b"", "err": b""})[stream] += data
    m = L.boot([{"name": "primary", "vcpus": 4, "memory": "1G"}], on_program=on_program)
    m.prog_out = out
    yield m
    m.close()
    m.system.close()


def ldm(lm, argv, status=0):
    r = lm.execute(argv)
    assert r.status == status, (argv, r.status, r.out, r.err)
    return r.out, r.err


def new_domain(lm, name, vcpus=4, memory="1G"):
    ldm(lm, ["add-domain", name])
    ldm(lm, ["add-vcpu", str(vcpus), name])
    ldm(lm, ["add-memory", memory, name])


def run_program(lm, name, limit="3s"):
    """Run the machine until domain `name`'s program ends: (stdout, stderr, status) as
    the manager handed them out, from the output so far (cleared first)."""
    lm.prog_out[name] = {"out": b"", "err": b""}
    assert lm.run_until(lambda: name in lm.system.programs and
                        lm.system.programs[name].result()[0] in ENDED, limit=limit), \
        (name, lm.system.programs.get(name) and lm.system.programs[name].result())
    lm.advance("1ms")                       # its end seen by the manager
    px = lm.system.programs[name]
    state, status = px.result()
    assert state == "exited", (state, status)
    o = lm.prog_out.get(name, {"out": b"", "err": b""})
    return o["out"], o["err"], status


def ends(lm, name):
    return [e.text for e in lm.events() if e.domain == name and
            e.text.startswith("program ")]


def test_args_program_from_variables_runs_restarts_and_unbinds(lm):
    binary = corpus_binary("args", "O2")
    args = ["a", "b c", "42"]
    new_domain(lm, "ldg3")
    ldm(lm, ["set-variable", f"program={binary}", "ldg3"])
    # as the shell passes `program-args="a 'b c' 42"`: one operand, split as words
    ldm(lm, ["set-variable", "program-args=a 'b c' 42", "ldg3"])
    out, _ = ldm(lm, ["list-variable", "ldg3"])
    assert f"program={binary}" in out and "program-args=a 'b c' 42" in out, out
    ldm(lm, ["bind", "ldg3"])
    assert L.guest_md(lm, "ldg3").find("workload")[0]["name"] == "program"
    ldm(lm, ["start", "ldg3"])
    first = run_program(lm, "ldg3")
    want = run_sun4v(binary, args)
    compare_runs("args from ldm variables", want, first)
    end = f"program ldg3: {binary}: exit status {want[2]}"
    assert ends(lm, "ldg3") == [end]
    assert f"program args.O2: exit status {want[2]}" in lm.console("ldg3")[0]
    # the program's end stops the domain (its guest kernel asks the hypervisor): bound
    assert lm.run_until(lambda: lm.config().domain("ldg3").state == "bound", limit="50ms")
    # start again: a fresh run from the beginning, with the arguments set meanwhile
    px1 = lm.system.programs["ldg3"]
    ldm(lm, ["set-variable", "program-args=x", "ldg3"])     # applies at the next start
    ldm(lm, ["start", "ldg3"])
    assert lm.system.programs["ldg3"] is not px1
    second = run_program(lm, "ldg3")
    want2 = run_sun4v(binary, ["x"])
    compare_runs("args from ldm variables, restarted", want2, second)
    assert ends(lm, "ldg3") == [end, f"program ldg3: {binary}: exit status {want2[2]}"]
    assert lm.run_until(lambda: lm.config().domain("ldg3").state == "bound", limit="50ms")
    ldm(lm, ["unbind", "ldg3"])
    assert "ldg3" not in lm.system.programs
    ldm(lm, ["remove-domain", "ldg3"])
    L.check(lm)


def test_threaded_program_from_variables_and_checkpoint(lm, tmp_path):
    """A threaded program over the domain's 4 vCPUs equals `sun4v run`; a checkpoint
    taken while it runs restores the proxy the manager made: the restored run ends
    with the same output and status."""
    binary = corpus_binary("threads_files", "O2")
    args = ["3", "2000"]
    new_domain(lm, "ldg4")
    ldm(lm, ["set-variable", f"program={binary}", "program-args=3 2000", "ldg4"])
    ldm(lm, ["bind", "ldg4"])
    ldm(lm, ["start", "ldg4"])
    lm.prog_out["ldg4"] = {"out": b"", "err": b""}
    assert lm.run_until(lambda: lm.system.programs["ldg4"].result()[0] == "running",
                        limit="2s")
    lm.advance("1ms")
    ck = str(tmp_path / "ldg4.ckpt")
    lm.checkpoint_at(lm.time, ck)           # at the first safe point from now
    assert lm.run_until(lambda: lm.checkpoint_result is not None, limit="5ms")
    assert lm.checkpoint_result[1] is None, lm.checkpoint_result
    assert lm.system.programs["ldg4"].result()[0] == "running"
    got = run_program_keep(lm, "ldg4")
    want = run_sun4v(binary, args)
    compare_runs("threads_files from ldm variables", want, got)
    assert ends(lm, "ldg4") == [f"program ldg4: {binary}: exit status {want[2]}"]

    restored_out = {}

    def on_program(name, stream, data):
        restored_out.setdefault(name, {"out": b"", "err": b""})[stream] += data
    r = type(lm).restore(ck, on_program=on_program)
    try:
        assert "ldg4" in r.system.programs
        assert r.run_until(lambda: r.system.programs["ldg4"].result()[0] in ENDED,
                           limit="3s")
        r.advance("1ms")
        px = r.system.programs["ldg4"]      # its output from the start, then on
        compare_runs("threads_files restored", want,
                     (bytes(px.output["out"]), bytes(px.output["err"]), px.result()[1]))
        o = restored_out.get("ldg4", {"out": b"", "err": b""})
        assert o["out"] and want[0].endswith(o["out"]), o
        assert ends(r, "ldg4") == ends(lm, "ldg4")
    finally:
        r.close()
        r.system.close()
    # stopped while it runs, started again: a fresh run from the beginning
    assert lm.run_until(lambda: lm.config().domain("ldg4").state == "bound", limit="50ms")
    ldm(lm, ["start", "ldg4"])
    lm.prog_out["ldg4"] = {"out": b"", "err": b""}
    assert lm.run_until(lambda: lm.prog_out["ldg4"]["out"], limit="2s")
    ldm(lm, ["stop", "ldg4"])
    # cut short: its end is the stop (an event; polled no more, its area not read)
    assert lm.system.programs["ldg4"].result() == ("stopped", None)
    assert ends(lm, "ldg4")[-1] == \
        f"program ldg4: {binary}: stopped with its domain before its end"
    assert not lm.system.programs["ldg4"].poll()
    ldm(lm, ["start", "ldg4"])
    compare_runs("threads_files stopped and started again", want,
                 run_program(lm, "ldg4"))
    assert lm.run_until(lambda: lm.config().domain("ldg4").state == "bound", limit="50ms")
    ldm(lm, ["unbind", "ldg4"])
    ldm(lm, ["remove-domain", "ldg4"])


def run_program_keep(lm, name, limit="3s"):
    """run_program without clearing what the program wrote so far."""
    assert lm.run_until(lambda: lm.system.programs[name].result()[0] in ENDED,
                        limit=limit)
    lm.advance("1ms")
    o = lm.prog_out[name]
    return o["out"], o["err"], lm.system.programs[name].result()[1]


def test_bad_program_variables_are_refused_with_one_line(lm, tmp_path):
    binary = corpus_binary("args", "O2")
    new_domain(lm, "ldg5", vcpus=2, memory="512M")
    before = ldm(lm, ["list-variable", "ldg5"])[0]

    def refused(argv, text):
        out, err = ldm(lm, argv, status=1)
        assert len(err) == 1 and text in err[0], err
        assert ldm(lm, ["list-variable", "ldg5"])[0] == before
    missing = tmp_path / "nope"
    refused(["set-variable", f"program={missing}", "ldg5"], str(missing))
    text = tmp_path / "prog.txt"
    text.write_text("echo not a program\n")
    refused(["set-variable", f"program={text}", "ldg5"], str(text))
    refused(["set-variable", f"program={sys.executable}", "ldg5"], "sparc")
    refused(["set-variable", "program-args=a 'b", "ldg5"], "program-args")
    refused(["set-variable", "workload=int", f"program={binary}", "ldg5"],
            "workload or a program")
    # a relative name is the file from the directory ldm runs in, stored absolute
    r = lm.execute(["set-variable", f"program={binary.name}", "ldg5"],
                   cwd=str(binary.parent))
    assert r.status == 0, r.err
    assert f"program={binary}" in ldm(lm, ["list-variable", "ldg5"])[0]
    # bound: the program is fixed (the MD's workload), refused with one line
    ldm(lm, ["bind", "ldg5"])
    out, err = ldm(lm, ["set-variable", f"program={sys.executable}", "ldg5"], status=1)
    assert len(err) == 1 and "unbind" in err[0], err
    out, err = ldm(lm, ["remove-variable", "program", "ldg5"], status=1)
    assert len(err) == 1 and "unbind" in err[0], err
    ldm(lm, ["unbind", "ldg5"])
    # the file gone after set-variable: bind refused, the domain stays inactive
    copy = tmp_path / "args.copy"
    copy.write_bytes(binary.read_bytes())
    os.chmod(copy, 0o755)
    ldm(lm, ["set-variable", f"program={copy}", "ldg5"])
    copy.unlink()
    out, err = ldm(lm, ["bind", "ldg5"], status=1)
    assert len(err) == 1 and err[0].startswith("Cannot bind ldg5:") and str(copy) in err[0]
    assert lm.config().domain("ldg5").state == "inactive"
    assert lm.config().bindings.get("ldg5") is None
    ldm(lm, ["remove-domain", "ldg5"])
    L.check(lm)


def test_sun4v_boot_ldmd_program_variable_from_the_ldm_command(tmp_path):
    """On `sun4v boot CONFIG --ldmd SOCKET --console DIR --ldmd-log FILE`, the `ldm`
    command (its own process, a relative program name from its directory, the shell's
    quoting of program-args) makes a domain run a program: DIR/ldg3.out and ldg3.err
    hold its stdout and stderr as `sun4v run` writes them, FILE its end, and the summary
    at SIGTERM its program line."""
    import subprocess
    import time
    ensure_corpus()
    binary = corpus_binary("args", "O2")
    args = ["4", "2 000"]
    cfg = tmp_path / "m.toml"
    cfg.write_text('platform = "T5220"\n'
                   '[[domain]]\nname = "primary"\nvcpus = 4\nmemory = "1G"\n')
    sock, log, cdir = str(tmp_path / "s.sock"), tmp_path / "ldmd.log", tmp_path / "cons"
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, LDMD_SOCKET=sock)
    env.pop("LDM_STATE", None)
    p = subprocess.Popen([os.path.join(bindir, "sun4v"), "boot", str(cfg), "--ldmd", sock,
                          "--console", str(cdir), "--ldmd-log", str(log)],
                         cwd=str(L.ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)

    def run(*argv):
        return subprocess.run([os.path.join(bindir, "ldm"), *argv], capture_output=True,
                              text=True, env=env, timeout=300, cwd=str(binary.parent))
    try:
        deadline = time.time() + 240
        while True:
            r = run("add-domain", "ldg3")
            if r.returncode == 0 or time.time() > deadline or p.poll() is not None:
                break
            time.sleep(0.5)
        assert r.returncode == 0, (r, p.poll())
        for argv in (["add-vcpu", "4", "ldg3"], ["add-memory", "1G", "ldg3"],
                     ["set-variable", f"program={binary.name}", "ldg3"],
                     ["set-variable", "program-args=4 '2 000'", "ldg3"],
                     ["bind", "ldg3"], ["start", "ldg3"]):
            r = run(*argv)
            assert r.returncode == 0, (argv, r)
        r = run("set-variable", "program=no-such-file", "ldg3")
        assert r.returncode == 1 and len(r.stderr.splitlines()) == 1, r
    except BaseException:
        p.kill()
        p.communicate(timeout=300)
        raise
    out, err = L.stop_ldmd_when_logged(p, log, "program ldg3:")
    ro, re_, rrc = run_sun4v(binary, args)
    assert (cdir / "ldg3.out").read_bytes() == ro
    assert (cdir / "ldg3.err").read_bytes() == re_
    end = f"program ldg3: {binary}: exit status {rrc}"
    assert end in log.read_text()
    assert out.splitlines()[-1] == end, out


def test_boot_configuration_program_is_a_variable_and_runs_again_at_start():
    """A `[[domain]]` table's program and args are the domain's variables in the
    manager (list-variable shows them); the program's end stops the domain, and
    `ldm start` runs it again from the beginning, as `sun4v run` does."""
    ensure_corpus()
    binary = corpus_binary("args", "O2")
    args = ["one", "two words"]
    out = {}

    def on_program(name, stream, data):
        out.setdefault(name, {"out": b"", "err": b""})[stream] += data
    m = L.boot([{"name": "primary", "vcpus": 4, "memory": "1G"},
                {"name": "ldg1", "vcpus": 2, "memory": "1G", "program": str(binary),
                 "args": args}], on_program=on_program)
    m.prog_out = out
    try:
        lines = ldm(m, ["list-variable", "ldg1"])[0]
        assert f"program={binary}" in lines and "program-args=one 'two words'" in lines, \
            lines
        want = run_sun4v(binary, args)
        assert m.run_until(lambda: m.system.programs["ldg1"].result()[0] in ENDED,
                           limit="2s")
        assert m.run_until(lambda: m.config().domain("ldg1").state == "bound",
                           limit="50ms")
        compare_runs("args from the boot configuration", want,
                     (out["ldg1"]["out"], out["ldg1"]["err"],
                      m.system.programs["ldg1"].result()[1]))
        ldm(m, ["start", "ldg1"])
        compare_runs("args from the boot configuration, started again", want,
                     run_program(m, "ldg1"))
        assert ends(m, "ldg1") == [f"program ldg1: {binary}: exit status {want[2]}"] * 2
    finally:
        m.close()
        m.system.close()


def test_program_variables_in_cycle_mode():
    """The same in cycle mode: the program from variables, started twice (the second
    run over the scrubbed memory of the first), equals `sun4v run` both times."""
    ensure_corpus()
    binary = corpus_binary("args", "O2")
    out = {}

    def on_program(name, stream, data):
        out.setdefault(name, {"out": b"", "err": b""})[stream] += data
    m = L.boot([{"name": "primary", "vcpus": 2, "memory": "1G"}], mode="cycle",
               on_program=on_program)
    m.prog_out = out
    try:
        new_domain(m, "ldg3", vcpus=2)
        ldm(m, ["set-variable", f"program={binary}", "program-args=x 'y z'", "ldg3"])
        ldm(m, ["bind", "ldg3"])
        want = run_sun4v(binary, ["x", "y z"])
        for _ in range(2):
            ldm(m, ["start", "ldg3"])
            compare_runs("args from variables, cycle mode", want, run_program(m, "ldg3"))
            assert m.run_until(lambda: m.config().domain("ldg3").state == "bound",
                               limit="50ms")
        assert ends(m, "ldg3") == [f"program ldg3: {binary}: exit status {want[2]}"] * 2
    finally:
        m.close()
        m.system.close()
