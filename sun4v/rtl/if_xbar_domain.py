"""Declared RTL interface of the crossbar domain filter + arbiter slice
(rtl/xbar_domain.v), the twin of FilterArbiter in sun4v/crossbar/xbar.py: step() is one
arb_en=1 cycle, set_port() the service-processor port, accepts() the rx_* receive side.
Widths are at the parameter defaults (8 ports, 5-bit domain IDs, 4-bit lengths,
domain-ID mode)."""
RTL_INTERFACE = {
    "module": "xbar_domain",
    "parameters": {"N": 8, "DW": 5, "LW": 4, "MODE": 0, "PW": 3},
    "ports": {
        "clk": ("input", 1),
        "rst_n": ("input", 1),
        "arb_en": ("input", 1),         # 0: configuration-only cycle (SP write, rr/busy hold)
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
        "rx_valid": ("input", 8),       # receive side: a transaction arrives at output o
        "rx_did": ("input", 40),        # N * DW: its domain tag
        "rx_accept": ("output", 8),     # port o is in that domain
    },
}
