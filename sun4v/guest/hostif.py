"""The host's view of a running guest kernel, through the domain's memory: its counters
page (counters.h) and, in the control domain, the relay rings (relay.h). The layouts
are defined in those headers; this module mirrors them.

    dm = DomainMemory(machine, [(ra, pa, size), ...])   # the domain's memory blocks
    Counters(dm).read()        # {"state": "running", "result": ..., "cpus": {vid: {...}}}
    relay = Relay(dm)          # control domain only
    relay.send(channel, pkt)   # a 64-byte LDC packet onto the "to guest" ring
    relay.receive()            # [(channel, packet bytes) or (channel, ("state", s))
                               #  or (channel, ("copy", status, bytes, tag))]
    relay.stage_write(off, b)  # bytes into the staging buffer, then
    relay.copy(channel, dir, cookie, off, n, tag)   # ldc_copy by the relay (relay.h)

Reads and writes go straight to the machine's physical memory and need no help from
the guest: the counters can be read while the machine runs in its worker thread (each
u64 is read whole). Writes to the relay ring are word by word, the tail last, so the
guest never sees a half-written slot; for a run that is the same every time, write
between Machine.run calls (or in a Machine.at event), as the tests do.
"""
from __future__ import annotations

import struct

from ..cmt import memory as MEM

COUNTERS_OFFSET = 0x8000          # layout.h
RELAY_OFFSET = 0xC000
COUNTERS_MAGIC = 0x5334564743544E31   # "S4VGCTN1"
RELAY_MAGIC = 0x5334565252454C31      # "S4VRREL1"
MAXCPUS = 256

STATES = {0: "booting", 1: "running", 2: "done", 3: "idle", 4: "shutdown", 5: "reboot"}
VCPU_STATES = {0: "absent", 1: "online", 2: "offline", 3: "starting"}
WORKLOADS = {0: "idle", 1: "int", 2: "mem", 3: "fp", 4: "mix"}
_HEADER = ("magic", "version", "state", "workload", "threads", "units_total", "result",
           "cpus_online", "boot_stick", "done_stick", "md_reads", "ds_state",
           "ds_messages", "dr_ops", "kmisses")
DS_STATES = {0: "no channel", 1: "link down", 2: "link up", 3: "registered"}
VCPU_FIELDS = ("progress", "state", "ticks", "yields", "switches", "preemptions")
VCPU_WORDS = len(VCPU_FIELDS)

RELAY_PORTS = 0x40
RELAY_TO_GUEST = 0x1000
RELAY_TO_HOST = 0x2800
RELAY_SLOT = 128
PACKET = 64
RELAY_COPY = 1
RELAY_REBOOT = 2
RELAY_COPY_DONE = 0x100


class GuestError(Exception):
    """The guest's memory does not hold what this module reads (one line)."""


class DomainMemory:
    """Real addresses of one domain -> the machine's physical memory.

    blocks: (ra, pa, size) triples, the domain's memory blocks (ldm MBlock fields).
    The real base (where the hypervisor copied the kernel) is the lowest ra."""

    def __init__(self, machine, blocks):
        self.m = machine
        self.blocks = sorted((int(ra), int(pa), int(size)) for ra, pa, size in blocks)
        if not self.blocks:
            raise GuestError("a domain without memory blocks")
        self.real_base = self.blocks[0][0]

    def pa(self, ra, n=1):
        for b_ra, b_pa, size in self.blocks:
            if b_ra <= ra and ra + n <= b_ra + size:
                return b_pa + (ra - b_ra)
        raise GuestError(f"real address {ra:#x} (+{n}) is not in the domain's memory")

    def read(self, ra, n):
        return self.m.mem.read(self.pa(ra, n), n)

    def read_u64(self, ra):
        return int.from_bytes(self.read(ra, 8), "big")

    def read_words(self, ra, n):
        return list(struct.unpack(f">{n}Q", self.read(ra, 8 * n)))

    def write_u64(self, ra, value):
        """One aligned word, in a single store to the machine's memory array (the
        guest sees the old or the new value, never a mix)."""
        if ra & 7:
            raise GuestError(f"unaligned word at real address {ra:#x}")
        pa = self.pa(ra, 8)
        mem = self.m.mem
        slot = mem._slot_for(pa, False)
        mem.words[slot * MEM.WORDS_PER_PAGE + ((pa & (MEM.PAGE_SIZE - 1)) >> 3)] = \
            value & (2**64 - 1)

    def write(self, ra, data):
        data = bytes(data)
        if ra & 7 or len(data) & 7:
            raise GuestError("relay writes are whole aligned words")
        for i in range(0, len(data), 8):
            self.write_u64(ra + i, int.from_bytes(data[i:i + 8], "big"))

    def write_bulk(self, ra, data):
        """Bytes the guest does not look at while they are written (the relay's staging
        buffer before the copy request that names them): whole pages at a time, not
        word by word (write). GuestError outside the domain's memory."""
        data = bytes(data)
        self.m.mem.write(self.pa(ra, len(data)), data)


class Counters:
    """The counters page of a domain (counters.h)."""

    def __init__(self, dm: DomainMemory):
        self.dm = dm
        self.ra = dm.real_base + COUNTERS_OFFSET

    def ready(self):
        return self.dm.read_u64(self.ra) == COUNTERS_MAGIC

    def read(self):
        """The page as a dict: header fields by name (state, workload and ds_state as
        names), and "cpus": {vcpu id: {progress, state, ticks, yields, switches,
        preemptions}} for every vCPU the kernel has seen. GuestError when the kernel has not set the page up."""
        words = self.dm.read_words(self.ra, len(_HEADER))
        if words[0] != COUNTERS_MAGIC:
            raise GuestError("the guest kernel has not initialised its counters page "
                             f"(magic {words[0]:#x})")
        out = dict(zip(_HEADER, words))
        out["state"] = STATES.get(out["state"], str(out["state"]))
        out["workload"] = WORKLOADS.get(out["workload"], str(out["workload"]))
        out["ds_state"] = DS_STATES.get(out["ds_state"], str(out["ds_state"]))
        raw = self.dm.read_words(self.ra + 0x100, VCPU_WORDS * MAXCPUS)
        cpus = {}
        for v in range(MAXCPUS):
            rec = raw[VCPU_WORDS * v:VCPU_WORDS * (v + 1)]
            if any(rec):
                d = dict(zip(VCPU_FIELDS, rec))
                d["state"] = VCPU_STATES.get(d["state"], str(d["state"]))
                cpus[v] = d
        out["cpus"] = cpus
        return out


class Relay:
    """The control domain's relay rings (relay.h): the host's end of the channels the
    domain manager owns."""

    def __init__(self, dm: DomainMemory):
        self.dm = dm
        self.ra = dm.real_base + RELAY_OFFSET

    def ready(self):
        return self.dm.read_u64(self.ra) == RELAY_MAGIC

    def started(self):
        """The relay's start (%stick when it started, relay.h) while it runs, else None:
        a new boot of the control domain gives a new value."""
        magic, *_, started = self.dm.read_words(self.ra, 7)
        return started if magic == RELAY_MAGIC else None

    def reboot(self):
        """Ask the control domain to reboot (a RELAY_REBOOT slot: its kernel makes the
        mach_sir hypercall); False when the ring is full."""
        return self._put(0, RELAY_REBOOT, bytes(PACKET))

    def ports(self):
        """[(channel, name)] of the relayed channels (closed port slots left out)."""
        if not self.ready():
            raise GuestError("the control domain's relay is not running")
        n = self.dm.read_u64(self.ra + 0x10)
        out = []
        for i in range(n):
            ra = self.ra + RELAY_PORTS + 64 * i
            raw = self.dm.read(ra, 64)
            name = raw[24:64].split(b"\0")[0].decode("latin-1")
            if name:
                out.append((int.from_bytes(raw[:8], "big"), name))
        return out

    def stage(self):
        """(real address, size) of the staging buffer of copy requests."""
        return self.dm.read_u64(self.ra + 0x18), self.dm.read_u64(self.ra + 0x20)

    def stage_write(self, offset, data):
        """Bytes into the staging buffer at `offset` (whole aligned words)."""
        ra, size = self.stage()
        if offset < 0 or offset + len(data) > size:
            raise GuestError(f"{len(data)} bytes at {offset:#x} do not fit the relay's "
                             f"staging buffer ({size} bytes)")
        self.dm.write_bulk(ra + offset, data)

    def stage_read(self, offset, n):
        ra, size = self.stage()
        if offset < 0 or offset + n > size:
            raise GuestError(f"{n} bytes at {offset:#x} are beyond the staging buffer")
        return self.dm.read(ra + offset, n)

    def copy(self, channel, direction, cookie, offset, length, tag=0):
        """Ask the relay for ldc_copy(channel, direction, cookie, staging buffer +
        offset, length); its answer comes from receive() as (channel, ("copy",
        status, bytes copied, tag)). False when the ring is full."""
        body = b"".join(int(x).to_bytes(8, "big")
                        for x in (direction, cookie, offset, length, tag))
        return self._put(channel, RELAY_COPY, body.ljust(PACKET, b"\0"))

    def _ring(self, off):
        ra = self.ra + off
        head, tail, nslots = self.dm.read_words(ra, 3)
        return ra, head, tail, nslots

    def send(self, channel, packet):
        """Queue one 64-byte packet for `channel`; False when the ring is full."""
        packet = bytes(packet)
        if len(packet) != PACKET:
            raise GuestError(f"an LDC packet is {PACKET} bytes, not {len(packet)}")
        return self._put(channel, 0, packet)

    def _put(self, channel, resv, packet):
        ra, head, tail, nslots = self._ring(RELAY_TO_GUEST)
        if nslots == 0:
            raise GuestError("the relay rings are not set up")
        if tail - head >= nslots:
            return False
        slot = ra + 0x40 + RELAY_SLOT * (tail % nslots)
        self.dm.write(slot, channel.to_bytes(8, "big") + resv.to_bytes(8, "big") + packet)
        self.dm.write_u64(ra + 8, tail + 1)
        return True

    def receive(self):
        """Everything on the "to host" ring, oldest first: (channel, packet bytes),
        (channel, ("state", s)) when a channel's state changed (0 down, 1 up,
        2 reset), or (channel, ("copy", status, bytes, tag)) answering a copy."""
        ra, head, tail, nslots = self._ring(RELAY_TO_HOST)
        out = []
        while head != tail:
            slot = ra + 0x40 + RELAY_SLOT * (head % nslots)
            raw = self.dm.read(slot, 16 + PACKET)
            channel = int.from_bytes(raw[:8], "big")
            kind = int.from_bytes(raw[8:16], "big")
            if kind == RELAY_COPY_DONE:
                st, done, tag = (int.from_bytes(raw[16 + 8 * i:24 + 8 * i], "big")
                                 for i in range(3))
                out.append((channel, ("copy", st, done, tag)))
            else:
                out.append((channel, raw[16:] if kind == 0 else ("state", kind - 1)))
            head += 1
        self.dm.write_u64(ra, head)
        return out
