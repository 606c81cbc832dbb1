"""Each RTL module's interface as pyverilog reads it equals the interface declared on the
Python side (sun4v/rtl/if_<unit>.py): a renamed port, a changed width or a changed
parameter default fails loudly."""
import re

import pytest

from sun4v.rtl import interfaces as IF
from sun4v.rtl.decl import DECLARATIONS

import setup_tools


@pytest.fixture(scope="module")
def rtl():
    setup_tools.require_tools("iverilog")        # pyverilog preprocesses with it
    return IF.rtl_interfaces()


def test_every_rtl_module_is_declared(rtl):
    assert set(rtl) == set(DECLARATIONS)


@pytest.mark.parametrize("unit", sorted(DECLARATIONS))
def test_rtl_interface_equals_declaration(rtl, unit):
    diffs = IF.compare(DECLARATIONS[unit], rtl[unit])
    assert not diffs, f"rtl/{unit}.v does not match sun4v/rtl/if_{unit}.py:\n  " + "\n  ".join(diffs)


def test_widths_follow_parameters():
    setup_tools.require_tools("iverilog")
    ts = IF.parse_file(IF.RTL_DIR / "thread_select.v", {"N": 8, "IW": 3})["thread_select"]
    assert ts.ports["ready"] == ("input", 8) and ts.ports["pick"] == ("output", 3)
    tlb = IF.parse_file(IF.RTL_DIR / "tlb.v", {"ENTRIES": 128})["tlb"]
    assert tlb.parameters["IW"] == 7 and tlb.ports["hit_index"] == ("output", 7)
    x = IF.parse_file(IF.RTL_DIR / "xbar_domain.v", {"N": 16})["xbar_domain"]
    assert x.ports["req_dst"] == ("input", 64) and x.ports["sp_mask"] == ("input", 16)


@pytest.mark.parametrize("unit,edit,expect", [
    ("ccx_arb", (r"output logic \[NSRC-1:0\]    full,", "output logic [NSRC-1:0]    qfull,"),
     ["port full: declared ('output', 8), missing in the RTL",
      "port qfull: in the RTL ('output', 8), not declared"]),
    ("thread_select", (r"output logic \[IW-1:0\] pick", "output logic [IW:0] pick"),
     ["port pick: declared ('output', 2), RTL ('output', 3)"]),
    ("tlb", (r"output logic \[39:0\]   pa,", "output logic [43:0]   pa,"),
     ["port pa: declared ('output', 40), RTL ('output', 44)"]),
    ("xbar_domain", (r"parameter N = 8,", "parameter N = 16,"), None),
])
def test_a_changed_rtl_file_fails_the_check(tmp_path, unit, edit, expect):
    """Mutate a copy of the .v file: the comparison must report the difference."""
    setup_tools.require_tools("iverilog")
    src = (IF.RTL_DIR / f"{unit}.v").read_text()
    mutated, n = re.subn(edit[0], edit[1], src)
    assert n == 1, "the mutation did not apply"
    f = tmp_path / f"{unit}.v"
    f.write_text(mutated)
    diffs = IF.compare(DECLARATIONS[unit], IF.parse_file(f)[unit])
    assert diffs, "a changed interface went unnoticed"
    if expect is not None:
        assert diffs == expect
    else:
        assert "parameter N: declared default 8, RTL 16" in diffs
        assert any(d.startswith("port req_dst:") for d in diffs)
