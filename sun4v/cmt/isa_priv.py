"""Privileged and hyperprivileged encodings (UltraSPARC Architecture 2007): rdpr/wrpr,
rdhpr/wrhpr, done/retry, saved/restored and the window-state instructions."""

TABLE = [
    ("rdpr", "op=2 op3=0x2a", "pr, rd", "priv"),
    ("wrpr", "op=2 op3=0x32", "rs1, ri, wpr", "priv"),
    ("rdhpr", "op=2 op3=0x29", "hpr, rd", "priv"),
    ("wrhpr", "op=2 op3=0x33", "rs1, ri, whpr", "priv"),
    ("done", "op=2 op3=0x3e fcn=0", "", "priv"),
    ("retry", "op=2 op3=0x3e fcn=1", "", "priv"),
    ("saved", "op=2 op3=0x31 fcn=0", "", "priv"),
    ("restored", "op=2 op3=0x31 fcn=1", "", "priv"),
    ("allclean", "op=2 op3=0x31 fcn=2", "", "priv"),
    ("otherw", "op=2 op3=0x31 fcn=3", "", "priv"),
    ("normalw", "op=2 op3=0x31 fcn=4", "", "priv"),
    ("invalw", "op=2 op3=0x31 fcn=5", "", "priv"),
]
