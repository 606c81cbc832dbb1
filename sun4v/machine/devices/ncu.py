"""The UltraSPARC T2 NCU's interrupt registers (sun4v/hypervisor
src/greatlakes/huron/include/ncu.h; reference/sun4v.md §7):

  at 0x80_0000_0000 (NCU):
    INT_MAN[dev]   +0x000 + 8*dev (128)  device interrupt target: strand 13:8 (15:8 on a
                                         T2+ with more than one socket, chosen), vector 5:0
    MONDO_INT_VEC  +0xa00                vector used for device mondos (stored)
    PROC_SER_NUM   +0x1000               chip serial number (read only)
  at 0x80_0004_0000 (NCUINT, mondo data of each strand, `step 8 count 64`):
    MONDO_INT_DATA0 +0x000 + 8*s, DATA1 +0x200 + 8*s, ADATA0 +0x400 / ADATA1 +0x600 (the
    accessing strand's), BUSY +0x800 + 8*s (bit 6), ABUSY +0xa00 (the accessing strand's)

Device interrupts (`interrupt(dev)`) go at once to INT_MAN[dev]'s strand and vector (the
T2 has no INT_CTL). The mondo data and busy registers hold what software writes: no
device of this machine sends PCIe mondos. Strand index s of NCUINT is the strand within
its chip. Registers are 8 bytes (ldx/stx)."""
from . import BusError, Device, reg64

INT_MAN, MONDO_INT_VEC, PROC_SER_NUM = 0x000, 0xA00, 0x1000
NDEV = 128
DATA0, DATA1, ADATA0, ADATA1, BUSY, ABUSY = 0x000, 0x200, 0x400, 0x600, 0x800, 0xA00
DEV_SSIERR, DEV_SSI = 1, 2


class Ncu(Device):
    name = "ncu"

    def __init__(self, ctl, serial, target_mask):
        self.ctl = ctl
        self.serial = serial
        self.target_mask = target_mask
        self.int_man = [0] * NDEV
        self.mondo_int_vec = 0

    def interrupt(self, dev):
        v = self.int_man[dev]
        self.ctl.post((v >> 8) & self.target_mask, v & 0x3F)

    def state(self):
        return {"int_man": list(self.int_man), "mondo_int_vec": self.mondo_int_vec}

    def set_state(self, d):
        self.int_man = [int(x) for x in d["int_man"]]
        self.mondo_int_vec = int(d["mondo_int_vec"])

    def read(self, off, size, strand):
        i = reg64(off, size, self.name)
        if off < 8 * NDEV:
            return self.int_man[i]
        if off == MONDO_INT_VEC:
            return self.mondo_int_vec
        if off == PROC_SER_NUM:
            return self.serial
        raise BusError(f"ncu: no register at +{off:#x}")

    def write(self, off, size, value, strand):
        i = reg64(off, size, self.name)
        if off < 8 * NDEV:
            self.int_man[i] = value & ((self.target_mask << 8) | 0x3F)
        elif off == MONDO_INT_VEC:
            self.mondo_int_vec = value & 0x3F
        elif off == PROC_SER_NUM:
            raise BusError("ncu: PROC_SER_NUM is read only")
        else:
            raise BusError(f"ncu: no register at +{off:#x}")


class NcuMondo(Device):
    """The NCUINT window: per-strand mondo data and busy registers of each chip."""
    name = "ncu_mondo"

    def __init__(self, strands_per_chip):
        self.spc = strands_per_chip
        self.regs = {}              # (chip, offset) -> value

    def _key(self, off, strand):
        chip, local = divmod(strand, self.spc)
        if off in (ADATA0, ADATA1, ABUSY):        # aliases of the accessing strand's
            off = {ADATA0: DATA0, ADATA1: DATA1, ABUSY: BUSY}[off] + 8 * local
        elif not (off < ADATA0 or BUSY <= off < BUSY + 8 * 64):
            raise BusError(f"ncu_mondo: no register at +{off:#x}")
        return chip, off

    def state(self):
        return {"regs": [[c, o, v] for (c, o), v in sorted(self.regs.items())]}

    def set_state(self, d):
        self.regs = {(int(c), int(o)): int(v) for c, o, v in d["regs"]}

    def read(self, off, size, strand):
        reg64(off, size, self.name)
        return self.regs.get(self._key(off, strand), 0)

    def write(self, off, size, value, strand):
        reg64(off, size, self.name)
        k = self._key(off, strand)
        self.regs[k] = value & (0x40 if k[1] >= BUSY else 0xFFFFFFFFFFFFFFFF)
