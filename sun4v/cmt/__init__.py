"""The CMT chip: ISA engine, strands, memory, MMU, and (later) cores, caches and CCX."""
