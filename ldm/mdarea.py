"""Where the running manager puts the machine descriptions it hands the hypervisor: the
hypervisor's MD area (HV_MDAREA_BASE, 16 MB; sun4v/hypervisor_fw/include/sun4v/hvctl.h),
which the manager writes with ldc_copy on the hvctl channel (ldm/channels.py).

Layout (chosen; the power-on MDs keep the places mdwriter.py gives them: the HV MD at
the base, guest MD of gid n at base + (n + 1) * 256 KB):

    base + 0x30_0000 + k * 64 KB              HV MD of set k (k = 0..3)
    base + 0x40_0000 + (k * 8 + gid) * 256 KB  guest MD of gid (0..7) in set k

Sets 0 and 1 take turns for reconfigurations that apply now, sets 2 and 3 for delayed
reconfigurations of the control domain: a new generation never overwrites the MDs the
hypervisor uses (the active set) nor a pending delayed one. Every generation writes
all guest MDs (a running guest re-reads its MD when told, md-update), with
md-generation# counting up from 2 (1 is power-on).
"""
from __future__ import annotations

from . import mdwriter
from .bindings import Bindings
from .errors import LdmError

HV_SLOT = 0x1_0000
HV_SETS_BASE = mdwriter.HV_MDAREA_BASE + 0x30_0000
GUEST_SETS_BASE = mdwriter.HV_MDAREA_BASE + 0x40_0000
GUESTS_PER_SET = 8
NOW_SETS, DELAYED_SETS = (0, 1), (2, 3)
BOOT = "boot"


def hv_pa(k: int) -> int:
    return HV_SETS_BASE + k * HV_SLOT


def guest_pa(k: int, gid: int) -> int:
    if not 0 <= gid < GUESTS_PER_SET:
        raise LdmError(f"guest id {gid}: the manager's MD sets hold guest ids 0 to "
                       f"{GUESTS_PER_SET - 1}")
    return GUEST_SETS_BASE + (k * GUESTS_PER_SET + gid) * mdwriter.GUEST_MD_SLOT


class MdArea:
    """Generations of MDs: `prepare(bindings, images, delayed)` -> (set, hvmdp, blobs)
    to copy; `accepted(set)` / `pending(set)` once the hypervisor took them."""

    def __init__(self, info: mdwriter.MachineInfo):
        self.info = info
        self.active = BOOT
        self.pending_set = None
        self.generation = 1

    def _free_set(self, delayed: bool) -> int:
        for k in (DELAYED_SETS if delayed else NOW_SETS):
            if k != self.active and k != self.pending_set:
                return k
        raise LdmError("no free MD set")       # cannot happen: two per group

    def prepare(self, b: Bindings, images: dict, delayed: bool = False):
        k = self._free_set(delayed)
        self.generation += 1
        mdpa = {d.name: guest_pa(k, d.gid) for d in b.domains}
        s = mdwriter.write_all(b, self.info, {d.name: images[d.name] for d in b.domains},
                               generation=self.generation, mdpa=mdpa)
        if len(s.hv) > HV_SLOT:
            raise LdmError(f"the hypervisor MD is {len(s.hv)} bytes; its slot holds "
                           f"{HV_SLOT}")
        blobs = [(hv_pa(k), s.hv)] + [s.guests[d.name] for d in b.domains]
        return k, hv_pa(k), blobs

    def accepted(self, k: int):
        self.active = k

    def set_pending(self, k: int | None):
        self.pending_set = k
