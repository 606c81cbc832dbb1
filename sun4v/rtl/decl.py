"""Unit name -> declared RTL interface (the RTL_INTERFACE of each sun4v/rtl/if_<unit>.py).
These declarations import nothing from the RTL; tests/rtl/test_interfaces.py checks each
against what pyverilog reads from rtl/<unit>.v."""
from . import if_ccx_arb, if_thread_select, if_tlb, if_xbar_domain

DECLARATIONS = {
    "thread_select": if_thread_select.RTL_INTERFACE,
    "ccx_arb": if_ccx_arb.RTL_INTERFACE,
    "tlb": if_tlb.RTL_INTERFACE,
    "xbar_domain": if_xbar_domain.RTL_INTERFACE,
}
