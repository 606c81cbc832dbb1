"""Hard-partitioned servers: SPARC Enterprise M-series and Sun Enterprise 10000.

Boards (PSB/XSB/LSB), DCLs, the cycle-level crossbar with per-port domain filtering,
Dynamic System Domains and dynamic reconfiguration, driven by the XSCF shell (``xscf``).
"""
