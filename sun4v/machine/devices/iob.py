"""The UltraSPARC T1 IOB's interrupt registers at 0x98_0000_0000 (sun4v/hypervisor
src/greatlakes/ontario/include/iob.h; reference/sun4v.md §7):

  INT_MAN[dev]  +0x000 + 8*dev   device interrupt target: strand 12:8, vector 5:0
  INT_CTL[dev]  +0x400 + 8*dev   MASK bit 2, CLEAR bit 1, PEND bit 0
  INT_VEC_DIS   +0x800           interrupt dispatch to a strand: type 17:16 (0 interrupt,
                                 1 reset, 2 idle, 3 resume), target 12:8, vector 5:0
  PROC_SER_NUM  +0x820           chip serial number (read only)
  CORE_AVAIL    +0x830           available cores, one bit each (read only)
  IOB_FUSE      +0x840           read only, 0
  J_INT_VEC     +0xa00           vector of J-Bus interrupts (stored)

Device interrupts (`interrupt(dev)`): with INT_CTL[dev].MASK clear the vector of
INT_MAN[dev] goes to its strand (interrupt_vector on that strand); with MASK set it waits
in PEND and goes when a write clears MASK; a write with CLEAR set drops it (chosen: the
T1 supplement's exact INT_CTL protocol was not found; this is the behaviour the
hypervisor's CLEAR_INT_CTL_PEND, a store of 0, relies on). Device ids: 1 SSI error,
2 SSI (the EXT_INT_L pin; the machine's UARTs interrupt through it, chosen).
Registers are 8 bytes, accessed with ldx/stx."""
from . import BusError, Device, reg64

INT_MAN, INT_CTL, INT_VEC_DIS = 0x000, 0x400, 0x800
PROC_SER_NUM, CORE_AVAIL, IOB_FUSE, J_INT_VEC = 0x820, 0x830, 0x840, 0xA00
NDEV = 128
DEV_SSIERR, DEV_SSI = 1, 2
CTL_MASK, CTL_CLEAR, CTL_PEND = 4, 2, 1


class Iob(Device):
    name = "iob"

    def __init__(self, ctl, serial, cores):
        self.ctl = ctl                  # machine strand control (strandctl.py)
        self.serial = serial
        self.cores = cores
        self.int_man = [0] * NDEV
        self.int_ctl = [0] * NDEV
        self.j_int_vec = 0

    def interrupt(self, dev):
        """Device `dev` raises its interrupt."""
        if self.int_ctl[dev] & CTL_MASK:
            self.int_ctl[dev] |= CTL_PEND
        else:
            self._deliver(dev)

    def _deliver(self, dev):
        v = self.int_man[dev]
        self.ctl.post((v >> 8) & 0x1F, v & 0x3F)

    def state(self):
        return {"int_man": list(self.int_man), "int_ctl": list(self.int_ctl),
                "j_int_vec": self.j_int_vec}

    def set_state(self, d):
        self.int_man = [int(x) for x in d["int_man"]]
        self.int_ctl = [int(x) for x in d["int_ctl"]]
        self.j_int_vec = int(d["j_int_vec"])

    def read(self, off, size, strand):
        i = reg64(off, size, self.name)
        if off < INT_CTL:
            return self.int_man[i]
        if off < INT_VEC_DIS:
            return self.int_ctl[i - NDEV]
        if off == INT_VEC_DIS:
            return 0                    # write-only
        if off == PROC_SER_NUM:
            return self.serial
        if off == CORE_AVAIL:
            return (1 << self.cores) - 1
        if off == IOB_FUSE:
            return 0
        if off == J_INT_VEC:
            return self.j_int_vec
        raise BusError(f"iob: no register at +{off:#x}")

    def write(self, off, size, value, strand):
        i = reg64(off, size, self.name)
        if off < INT_CTL:
            self.int_man[i] = value & 0x1F3F
        elif off < INT_VEC_DIS:
            dev = i - NDEV
            c = (self.int_ctl[dev] & CTL_PEND) | (value & CTL_MASK)
            if value & CTL_CLEAR:
                c &= ~CTL_PEND
            self.int_ctl[dev] = c
            if c & CTL_PEND and not c & CTL_MASK:
                self.int_ctl[dev] = c & ~CTL_PEND
                self._deliver(dev)
        elif off == INT_VEC_DIS:
            self.ctl.dispatch(strand, value)
        elif off == J_INT_VEC:
            self.j_int_vec = value & 0x3F
        elif off in (PROC_SER_NUM, CORE_AVAIL, IOB_FUSE):
            raise BusError(f"iob: register +{off:#x} is read only")
        else:
            raise BusError(f"iob: no register at +{off:#x}")
