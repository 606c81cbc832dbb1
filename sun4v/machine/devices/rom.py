"""ROM regions (the boot PROM, the machine-description ROMs), loaded from files.

A ROM is a region of physical memory whose pages are read-only for the strands (a store
is a bus error: data_access_error), filled by the loader before the machine runs, the
way OpenSPARC Legion's configurations `load` images into `rom` devices (reference/
sun4v.md §7, niagara/1up.conf: reset.bin at +0, the hypervisor at +0x10000, OpenBoot at
+0x80000 of the boot ROM; the MDs at 0x1F_1200_0000 and 0x1F_1208_0000)."""
from ...cmt.memory import PERM_R, PERM_X


class Rom:
    perm = PERM_R | PERM_X

    def __init__(self, name, base, size):
        self.name, self.base, self.size = name, base, size

    def load(self, mem, data, offset=0):
        """Put `data` (bytes) at base + offset; ValueError when it does not fit."""
        if offset < 0 or offset + len(data) > self.size:
            raise ValueError(f"{len(data)} bytes at +{offset:#x} do not fit the {self.name} "
                             f"ROM ({self.size:#x} bytes at {self.base:#x})")
        mem.write(self.base + offset, data, create=True)
