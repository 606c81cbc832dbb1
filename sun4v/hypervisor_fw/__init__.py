"""The firmware hypervisor: its SPARC sources (src/, built with the cross compiler into
build/fw/hv.elf by `make progs`; include/sun4v/ is the interface it shares with the
guest kernel) and the Machine Description (MD) codec (`md`, `md_text`, `md_names`).
Loading and running it is sun4v/boot.

Facts: ../shared/reference/sun4v.md (hypervisor API §1–2, MMU §3, MD format §4, queues
§5, LDC and reconfiguration §6) and ldoms_protocols.md (hvctl, LDC, DS).
"""
