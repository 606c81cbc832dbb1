"""RTL twins of the model's units (rtl/*.v) and the glue that checks them: pyverilog
interface extraction (interfaces.py), the declared interface of each unit (decl.py) and
the cocotb runner helpers (cocotb_run.py).  See cocotb_run.py for running one RTL test
and looking at its waveforms."""
