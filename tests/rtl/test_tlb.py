"""rtl/tlb.v against sun4v.cmt.tlb_model.TLBModel (the reference TLB with used-bit
replacement), cycle by cycle, for 64 (T1 ITLB/DTLB) and 128 (T2 DTLB) entries."""
import pytest

from sun4v.rtl.cocotb_run import print_report, run


@pytest.mark.parametrize("entries", [64, 128])
def test_tlb_matches_model(sim, tmp_path, entries):
    env = {} if entries == 64 else {"SUN4V_TB_CYCLES": 1500}
    res = run("tlb", "tb_tlb", tmp_path, parameters={"ENTRIES": entries}, env=env, sim=sim)
    print_report(f"tlb ENTRIES={entries}", res)
    cov = res["report"]["coverage"]
    assert "used_bit_victim" in cov["write"]
    assert "cleared_by_write" in cov["used_bits"] or "cleared_by_hit" in cov["used_bits"]
