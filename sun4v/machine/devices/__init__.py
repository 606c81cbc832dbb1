"""The machine's devices, one module each: the UART (uart.py), the TOD clock (tod.py), the
T1 IOB and T2 NCU interrupt units (iob.py, ncu.py), ROM regions loaded from files
(rom.py). The simulator's own exit is not a device: it is Legion's magic trap
(cmt/traptypes.py T_MAGIC_EXIT), so no simulator register sits on a real device's address.

A device decodes accesses to its window: read(offset, size, strand) -> value and
write(offset, size, value, strand), values as the big-endian bytes of the access (the
machine swaps the bytes of little-endian ASIs). An access the device does not decode
raises BusError: the strand takes data_access_error (0x32), as a bus error on the chip."""


class BusError(Exception):
    """An access the device does not decode (no such register, wrong size)."""


class Device:
    """A window of the physical address map decoded by Python."""
    name = "device"

    def read(self, off, size, strand):
        raise BusError(f"{self.name}: no register at +{off:#x}")

    def write(self, off, size, value, strand):
        raise BusError(f"{self.name}: no register at +{off:#x}")


def reg64(off, size, what):
    """The index of an 8-byte register at `off` (8-byte aligned, 8-byte access only)."""
    if size != 8 or off & 7:
        raise BusError(f"{what}: {size}-byte access at +{off:#x} (registers are 8 bytes)")
    return off >> 3
