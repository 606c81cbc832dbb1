"""Mutant RTL (tests/rtl/mutants.py: the real rtl/*.v with one deliberate bug each) is
caught twice: by the unit's cocotb testbench (tests/rtl/tb_<unit>.py, scoreboard every
cycle), and, for the units `sun4v cosim` puts in a model's loop, by the command itself
(`sun4v cosim --rtl MUTANT.v ...`: exit status 1, the first divergent decision printed).

The perturbation tests of test_cosim.py change what the RTL sees; these change the RTL.
The same runs with the real RTL are identical (test_cosim.py: the thread-select run is a
prefix of test_thread_select_t2_t2plus_program_identical's T2 run, the crossbar session
test_cli_exit_status_and_report's)."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sun4v.rtl.cocotb_run import run

import mutants as M
import setup_tools

ROOT = Path(__file__).resolve().parents[2]
INT_LOOP = ROOT / "build" / "bench" / "int_loop"

# Testbench parameters and stimulus length per unit: short runs (each mutant fails within
# the first cycles of the directed test; the random test's 400 cycles are a second check).
TB = {"thread_select": ({"N": 4}, 400), "xbar_domain": ({"N": 8, "MODE": 0}, 400),
      "ccx_arb": ({}, 400)}
XBAR_MODE1 = {"xbar_no_domain_filter"}       # the mask filter is mutated too: check MODE 1


def failures(results_xml: Path) -> dict:
    """cocotb test name -> failure message (only the failed tests)."""
    out = {}
    for case in ET.parse(results_xml).getroot().iter("testcase"):
        f = case.find("failure")
        if f is not None:
            out[case.get("name")] = f.get("message", "")
    return out


def test_every_mutant_applies_and_changes_its_unit(tmp_path):
    """Each substitution matches the real RTL exactly once (mutants.source raises
    otherwise) and the mutant differs from the real file."""
    for name, m in M.MUTANTS.items():
        real = (M.RTL_DIR / f"{m.unit}.v").read_text()
        assert M.source(m) != real, name
        assert M.write(name, tmp_path / name).name == f"{m.unit}.v"


def tb_cases():
    for name, m in M.MUTANTS.items():
        params, cycles = TB[m.unit]
        yield pytest.param(name, params, cycles, id=name)
        if name in XBAR_MODE1:
            yield pytest.param(name, {"N": 16, "MODE": 1}, cycles, id=name + "-mask")


@pytest.mark.parametrize("name,params,cycles", list(tb_cases()))
def test_unit_testbench_catches_mutant(sim, tmp_path, name, params, cycles):
    m = M.MUTANTS[name]
    src = M.write(name, tmp_path / "src")
    with pytest.raises(AssertionError, match="cocotb tests failed"):
        run(m.unit, f"tb_{m.unit}", tmp_path, sources=[src], parameters=params, sim=sim,
            env={"SUN4V_TB_CYCLES": cycles})
    results = sorted(tmp_path.glob(f"results_{sim}_{m.unit}*.xml"))
    assert len(results) == 1
    failed = failures(results[0])
    # the scoreboard's own mismatch report ("cycle N: ..."), not an error of the bench
    assert "directed" in failed, failed
    assert all(msg.startswith("cycle ") for msg in failed.values()), failed
    print(f"\n[{name}] {m.bug}\n  " + "\n  ".join(f"{t}: {msg.splitlines()[0]}"
                                                   for t, msg in failed.items()))


def cosim_cli(argv, sim):
    # a fixed environment: the program gets it on its stack, and its size moves the
    # first contended decisions by tens of thousands of cycles (a fresh clone's make
    # test put them past 200,000)
    env = {k: os.environ[k] for k in ("PATH", "HOME", "SUN4V_CACHE") if k in os.environ}
    env.update(SUN4V_SIM=sim, LANG="C")
    return subprocess.run([sys.executable, "-m", "sun4v", "cosim", *argv], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600)


COSIM = {
    # The T2's first decisions with two candidates come at cycle ~182,000 (8 threads on
    # the two thread groups of core 0; earlier or later with another environment or
    # another path of the program, which it gets on its stack); hundreds more follow by
    # cycle 260,000.  Both thread-select mutants part from the model within a few
    # hundred cycles of the first; the test also asserts the run had contended decisions.
    "thread_select": ["--unit", "thread_select", "--chip", "t2", "--strands", "8",
                      "--max-cycles", "260000", "build/bench/int_loop", "8", "40"],
    "xbar_domain": ["--unit", "xbar_domain", "--platform", "M5000", "--cycles", "200"],
}


@pytest.mark.parametrize("name", [n for n, m in M.MUTANTS.items() if m.unit in COSIM])
def test_sun4v_cosim_reports_mutant(sim, tmp_path, name):
    """`sun4v cosim --rtl MUTANT.v`: status 1, the RTL file named, the first divergent
    decision printed with what the model and the RTL decided, `identical:  no`."""
    m = M.MUTANTS[name]
    if m.unit == "thread_select":
        setup_tools.require_built(INT_LOOP)
    src = M.write(name, tmp_path / "src")
    p = cosim_cli(["--rtl", str(src), *COSIM[m.unit]], sim)
    print(f"\n[{name}] {m.bug}\n{p.stdout}{p.stderr}")
    if m.unit == "thread_select":
        contended = re.search(r"\(([\d,]+) with two or more candidates", p.stdout)
        assert contended and int(contended.group(1).replace(",", "")) > 0, \
            "no contended decision in the run: no arbiter bug could show\n" + p.stdout
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stderr == ""
    lines = p.stdout.splitlines()
    assert f"rtl:        {src}" in lines and lines[-1] == "identical:  no"
    assert "identical, then:" in p.stdout
    div = [ln for ln in lines if ln.startswith("divergence: ")]
    assert len(div) == 1, p.stdout
    if m.unit == "thread_select":
        assert "model picks strand" in div[0] and ", RTL picks strand" in div[0]
        model_pick, rtl_pick = (div[0].split("model picks strand ")[1].split(", RTL picks strand "))
        assert model_pick != rtl_pick
    else:
        i = lines.index(div[0])
        model_line, rtl_line = div[0].split("model ", 1)[1], lines[i + 1].split("RTL   ", 1)[1]
        assert model_line.split(": grants")[0] == rtl_line.split(": grants")[0]   # same input
        assert model_line != rtl_line                                             # other output
