"""rtl/ccx_arb.v against the model's CCX arbiter (sun4v/cmt/ccx.py), cycle by cycle,
under cocotb + Icarus (or Verilator with SUN4V_SIM=verilator)."""
from sun4v.rtl.cocotb_run import print_report, run


def test_ccx_arb_matches_model(sim, tmp_path):
    res = run("ccx_arb", "tb_ccx_arb", tmp_path, sim=sim)
    print_report("ccx_arb", res)
    cov = res["report"]["coverage"]
    assert len(cov["grant_source"]) == 8
    assert len(cov["backpressure_source"]) == 8
    assert "wait" in cov["head_not_yet_eligible"]

