"""Declared RTL interface of the crossbar domain filter + arbiter slice
(rtl/xbar_domain.v), the twin of FilterArbiter in sun4v/crossbar/xbar.py.  Widths are at
the parameter defaults (8 ports, 5-bit domain IDs, 4-bit lengths, domain-ID mode)."""
RTL_INTERFACE = {
    "module": "xbar_domain",
    "parameters": {"N": 8, "DW": 5, "LW": 4, "MODE": 0, "PW": 3},
    "ports": {
        "clk": ("input", 1),
        "rst_n": ("input", 1),
        "sp_we": ("input", 1),
        "sp_port": ("input", 3),        # PW = clog2(N)
        "sp_did_valid": ("input", 1),
        "sp_did": ("input", 5),         # DW
        "sp_mask": ("input", 8),        # N
        "req_valid": ("input", 8),      # N
        "req_dst": ("input", 24),       # N * PW
        "req_len": ("input", 32),       # N * LW
        "grant": ("output", 8),
        "blocked": ("output", 8),
    },
}
