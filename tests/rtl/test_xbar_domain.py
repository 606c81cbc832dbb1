"""rtl/xbar_domain.v against FilterArbiter (sun4v/crossbar/xbar.py), cycle by cycle, with
domain IDs (M-series) and domain masks (Starfire)."""
import pytest

from sun4v.rtl.cocotb_run import print_report, run


@pytest.mark.parametrize("n,mode", [(8, 0), (16, 1)])
def test_xbar_domain_matches_filter_arbiter(sim, tmp_path, n, mode):
    env = {} if n == 8 else {"SUN4V_TB_CYCLES": 2000}
    res = run("xbar_domain", "tb_xbar_domain", tmp_path, parameters={"N": n, "MODE": mode},
              env=env, sim=sim)
    print_report(f"xbar_domain N={n} MODE={mode}", res)
    cov = res["report"]["coverage"]
    assert len(cov["grant_output"]) == n
    assert len(cov["grant_domain"]) >= 3
