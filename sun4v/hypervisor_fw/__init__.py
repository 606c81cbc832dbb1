"""The firmware hypervisor: its SPARC sources (built with the cross compiler), the Machine
Description (MD) codec (`md`, `md_text`, `md_names`) and the loader that places the
hypervisor and its MDs in a machine's memory.

Facts: ../shared/reference/sun4v.md (hypervisor API §1–2, MD format §4).
"""
