"""The one chip table (chips are values: changed parameters reach every model without a
name) and the one trap table (routing against reference/sun4v.md §1.3, HVER against
§1.1)."""
import numpy as np
import pytest

from sun4v.cmt import chips, mmu, traps, traptypes as TT
from sun4v.cmt import state as S


def test_chip_values_and_overrides():
    t2 = chips.chip("t2")
    assert chips.chip(t2) is t2 and t2["clock_mhz"] == t2.clock_mhz == 1400
    fast = t2.replace(clock_mhz=1600, dtlb=64, l2_size=8 << 20)
    assert fast.clock_mhz == 1600 and t2.clock_mhz == 1400          # a new value
    assert "fast" not in chips.CHIPS and fast != t2
    P = chips.timing_params(fast)
    assert P[chips.P_L2_SIZE] == 8 << 20 and P[chips.P_DTLB] == 64
    M = mmu.new_mmu(64, chip=fast)                                   # the MMU takes it
    assert M.cfg[mmu.CFG_NTLB_D] == 64 and M.cfg[mmu.CFG_NTLB_I] == 64
    assert chips.total_strands(chips.CHIPS["t2plus"].replace(sockets=4)) == 256
    with pytest.raises(ValueError, match="unknown chip parameter"):
        t2.replace(clocks=1)
    with pytest.raises(KeyError, match="unknown chip"):
        chips.chip("t9")


def test_hver_from_the_chip_table():
    # manuf 0x3e, impl 0x23 (T1) / 0x24 (T2, T2+), mask 0x20, MAXGL 3, MAXTL 6, MAXWIN 7
    assert chips.hver("t1") == 0x003E_0023_2003_0607
    assert chips.hver("t2") == chips.hver("t2plus") == 0x003E_0024_2003_0607


def test_trap_routing_follows_the_reference_levels():
    hv = [0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x0A, 0x10, 0x29, 0x2A, 0x2B,
          0x30, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3E, 0x3F,
          0x5E, 0x5F, 0x60, 0x64, 0x68, 0x6C, 0x180, 0x1FF]
    priv = [0x11, 0x20, 0x21, 0x22, 0x23, 0x24, 0x28, 0x41, 0x4F, 0x7C, 0x7D, 0x7E,
            0x80, 0xBF, 0xC0, 0xFF, 0x100, 0x16D, 0x17F]
    assert all(traps.TRAP_TO_HV[t] == 1 for t in hv)
    assert all(traps.TRAP_TO_HV[t] == 0 for t in priv)


def test_one_set_of_trap_numbers():
    from sun4v.cmt import engine, exec_fp, exec_int, exec_mem
    assert mmu.T_FAST_DATA_MISS == TT.T_FAST_DATA_MISS == 0x68
    assert exec_mem.T_DATA_ACCESS == exec_fp.T_DATA_ACCESS == TT.T_DATA_ACCESS == 0x30
    assert exec_int.T_ILLEGAL == engine.T_ILLEGAL == TT.T_ILLEGAL == 0x10
    assert TT.name(0x16D) == "trap_instruction 0x6d"
    assert TT.name(0x4E) == "interrupt_level_14"
    assert TT.lookup(0x85).name == "spill_n_normal"
    assert TT.T_MAGIC_EXIT == 0x171


def test_reset_traps_enter_red_state():
    """XIR/WDR/SIR are RED-state traps: vector RSTV + tt << 5, HPSTATE.red set."""
    st = S.StrandArrays(1)
    C = st.C[0]
    C[S.HPSTATE] = S.HPSTATE_HPRIV
    C[S.HTBA] = 0x40000
    C[S.PC] = 0x1000
    assert traps.take_trap(st.R[0], st.RM[0], C, TT.T_XIR) == 0
    assert int(C[S.PC]) == 0xFFF0000000 + (3 << 5)
    assert int(C[S.HPSTATE]) & S.HPSTATE_RED and int(C[S.TL]) == 1
    C[S.HPSTATE] = S.HPSTATE_HPRIV
    assert traps.take_trap(st.R[0], st.RM[0], C, TT.T_ILLEGAL) == 0
    assert int(C[S.PC]) == 0x40000 + (0x10 << 5)        # not a reset: HTBA
    assert np.all(st.C[0, S.TT_BASE + 1:S.TT_BASE + 3] == [3, 0x10])
