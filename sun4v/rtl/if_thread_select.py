"""Declared RTL interface of the thread select unit (rtl/thread_select.v), the twin of
sun4v/cmt/thread_select.py: one group of N strands (4 on T1), Ready/SpecReady masks in,
one pick out.  Widths are at the parameter defaults."""
RTL_INTERFACE = {
    "module": "thread_select",
    "parameters": {"N": 4, "IW": 2},
    "ports": {
        "clk": ("input", 1),
        "rst_n": ("input", 1),
        "ready": ("input", 4),          # N
        "spec": ("input", 4),           # N
        "valid": ("output", 1),
        "pick": ("output", 2),          # IW = clog2(N)
    },
}
