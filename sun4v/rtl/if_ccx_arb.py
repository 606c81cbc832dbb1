"""Declared RTL interface of the CCX arbiter for one destination (rtl/ccx_arb.v), the
twin of sun4v/cmt/ccx.py: 8 sources with 2-entry queues, a 16-deep age FIFO, minimum
2 cycles from request to grant.  Widths are at the parameter defaults."""
RTL_INTERFACE = {
    "module": "ccx_arb",
    "parameters": {"NSRC": 8, "PW": 64, "QDEPTH": 2, "FIFO_DEPTH": 16, "MIN_GRANT": 2, "SW": 3},
    "ports": {
        "clk": ("input", 1),
        "rst_n": ("input", 1),
        "req": ("input", 8),            # NSRC
        "req_payload": ("input", 512),  # NSRC * PW
        "full": ("output", 8),          # NSRC
        "gnt_valid": ("output", 1),
        "gnt_src": ("output", 3),       # SW = clog2(NSRC)
        "gnt_payload": ("output", 64),  # PW
    },
}
