"""A 16550-style UART, as OpenSPARC Legion's "dumbserial" (reference/sun4v.md §7): byte
registers at offsets 0-7 of a 0x50-byte window (National Semiconductor PC16550D data
sheet register map): RBR/THR (0), IER (1), IIR/FCR (2), LCR (3), MCR (4), LSR (5), MSR
(6), SCR (7); with LCR.DLAB = 1 offsets 0 and 1 are the divisor latch.

Model: transmission is instant (LSR.THRE and TEMT always set); a byte written to THR goes
to `out` and to the sink (the machine's stdout for the hypervisor UART). Received bytes
wait in an unbounded FIFO (`feed`: the machine delivers them at simulated times); LSR.DR
says the FIFO is not empty. Interrupts (IER bit 0 received data, bit 1 THR empty): the
line is up while an enabled condition holds (THR empty: after IER.ETBEI is set or a byte
is written, until IIR reports it); a rising edge calls `irq()` (the IOB/NCU device
interrupt). Offsets 8-0x4F read 0 and ignore writes (Legion's window is 0x50 bytes; only
the first 8 are registers). Accesses are one byte wide; others are bus errors."""
from . import BusError, Device

LSR_DR = 0x01
LSR_THRE = 0x20
LSR_TEMT = 0x40
IER_ERBFI = 0x01
IER_ETBEI = 0x02
IIR_NONE = 0x01
IIR_THRE = 0x02
IIR_RDA = 0x04
MSR_IDLE = 0xB0                 # DCD, DSR, CTS asserted: a terminal is attached


class Uart16550(Device):
    def __init__(self, name="uart", sink=None, irq=None):
        self.name = name
        self.sink = sink            # callable(bytes) for each transmitted byte
        self.irq = irq              # callable() on a rising edge of the interrupt line
        self.out = bytearray()
        self.rx = bytearray()
        self.ier = self.lcr = self.mcr = self.scr = self.fcr = 0
        self.dll, self.dlm = 1, 0
        self.thre_int = False
        self.line = False

    # ---- host side ------------------------------------------------------------------
    def feed(self, data):
        """Bytes arriving on the receive line now."""
        self.rx += bytes(data)
        self._update()

    def text(self):
        return self.out.decode("latin-1")

    # ---- checkpoints (sun4v/checkpoint.py) -------------------------------------------
    _REGS = ("ier", "lcr", "mcr", "scr", "fcr", "dll", "dlm", "thre_int", "line")

    def state(self):
        """The registers as a JSON-able dict (out and rx are saved as arrays)."""
        return {k: int(getattr(self, k)) for k in self._REGS}

    def set_state(self, regs, out, rx):
        for k in self._REGS:
            v = int(regs[k])
            setattr(self, k, bool(v) if k in ("thre_int", "line") else v)
        self.out = bytearray(out)
        self.rx = bytearray(rx)

    # ---- registers ------------------------------------------------------------------
    def read(self, off, size, strand):
        if size != 1:
            raise BusError(f"{self.name}: {size}-byte access (registers are bytes)")
        dlab = self.lcr & 0x80
        if off == 0:
            if dlab:
                return self.dll
            v = self.rx.pop(0) if self.rx else 0
            self._update()
            return v
        if off == 1:
            return self.dlm if dlab else self.ier
        if off == 2:
            fifo = 0xC0 if self.fcr & 1 else 0
            if self.ier & IER_ERBFI and self.rx:
                return fifo | IIR_RDA
            if self.ier & IER_ETBEI and self.thre_int:
                self.thre_int = False           # reading IIR clears the THRE interrupt
                self._update()
                return fifo | IIR_THRE
            return fifo | IIR_NONE
        if off == 3:
            return self.lcr
        if off == 4:
            return self.mcr
        if off == 5:
            return LSR_THRE | LSR_TEMT | (LSR_DR if self.rx else 0)
        if off == 6:
            return MSR_IDLE
        if off == 7:
            return self.scr
        return 0

    def write(self, off, size, value, strand):
        if size != 1:
            raise BusError(f"{self.name}: {size}-byte access (registers are bytes)")
        b = value & 0xFF
        dlab = self.lcr & 0x80
        if off == 0:
            if dlab:
                self.dll = b
                return
            self.out.append(b)
            if self.sink is not None:
                self.sink(bytes((b,)))
            self.thre_int = True                 # sent at once: THR empty again
        elif off == 1:
            if dlab:
                self.dlm = b
                return
            if b & IER_ETBEI and not self.ier & IER_ETBEI:
                self.thre_int = True
            self.ier = b & 0x0F
        elif off == 2:
            self.fcr = b & 0xC9
            if b & 0x02:                         # clear the receive FIFO
                self.rx.clear()
        elif off == 3:
            self.lcr = b
        elif off == 4:
            self.mcr = b & 0x1F
        elif off == 7:
            self.scr = b
        self._update()

    def _update(self):
        line = bool((self.ier & IER_ERBFI and self.rx) or
                    (self.ier & IER_ETBEI and self.thre_int))
        if line and not self.line and self.irq is not None:
            self.line = True
            self.irq()
        self.line = line
