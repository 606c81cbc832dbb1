"""Declared RTL interface of the sun4v TLB (rtl/tlb.v), the twin of
sun4v/cmt/tlb_model.py (the reference TLB with used-bit replacement): 64 entries by default
(128 for the T2 DTLB).  Widths are at the parameter defaults."""
RTL_INTERFACE = {
    "module": "tlb",
    "parameters": {"ENTRIES": 64, "IW": 6},
    "ports": {
        "clk": ("input", 1),
        "rst_n": ("input", 1),
        "lk_valid": ("input", 1),
        "lk_va": ("input", 64),
        "lk_ctx": ("input", 13),
        "lk_pid": ("input", 3),
        "lk_real": ("input", 1),
        "res_valid": ("output", 1),
        "hit": ("output", 1),
        "hit_index": ("output", 6),     # IW = clog2(ENTRIES)
        "tte": ("output", 64),
        "pa": ("output", 40),
        "page_size": ("output", 3),
        "op": ("input", 3),             # 0 none, 1 write, 2 demap page, 3 context, 4 all
        "op_va": ("input", 64),
        "op_ctx": ("input", 13),
        "op_pid": ("input", 3),
        "op_real": ("input", 1),
        "op_tte": ("input", 64),
        "op_index_valid": ("input", 1),
        "op_index": ("input", 6),
        "wr_index": ("output", 6),
    },
}
