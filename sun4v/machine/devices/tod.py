"""The time-of-day clock, as OpenSPARC Legion's "dumbtod" (reference/sun4v.md §7: the
hypervisor's TOD at 0xFF_F0C1_FFF8): one 8-byte big-endian register, seconds since
1970-01-01 00:00 UTC.

Deterministic: it starts at the configured `seconds` and advances with SIMULATED time,
the reading strand's time over the clock (cmt/timebase.py: steps in functional mode,
cycles in cycle mode), never with the host's clock. Reads of 1, 2, 4 or 8 bytes inside
the register; an 8-byte write sets it (from that time on it counts from the value)."""
from . import BusError, Device


class Tod(Device):
    name = "tod"

    def __init__(self, seconds, clock_hz, time_of):
        self.base = int(seconds)        # value at time `at`
        self.at = 0
        self.clock_hz = int(clock_hz)
        self.time_of = time_of          # strand -> its time in steps/cycles

    def seconds(self, strand):
        return self.base + (self.time_of(strand) - self.at) // self.clock_hz

    def read(self, off, size, strand):
        if size not in (1, 2, 4, 8) or off % size or off + size > 8:
            raise BusError(f"tod: {size}-byte access at +{off:#x}")
        v = self.seconds(strand) & (2**64 - 1)
        return (v >> (8 * (8 - off - size))) & ((1 << (8 * size)) - 1)

    def write(self, off, size, value, strand):
        if size != 8 or off != 0:
            raise BusError("tod: set it with one 8-byte store")
        self.base = value
        self.at = self.time_of(strand)

    def state(self):
        return {"base": int(self.base), "at": int(self.at)}

    def set_state(self, d):
        self.base, self.at = int(d["base"]), int(d["at"])
