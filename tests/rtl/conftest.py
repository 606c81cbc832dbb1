"""RTL tests: skip cleanly without a simulator."""
import pytest

from sun4v.rtl.cocotb_run import available, simulator


@pytest.fixture
def sim():
    s = simulator()
    why = available(s)
    if why:
        pytest.skip(f"{s}: {why}")
    return s
