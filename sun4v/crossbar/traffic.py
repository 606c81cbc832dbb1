"""Per-CPU traffic generators of the running domains, driving the crossbar cycle by cycle.

Every CPU chip of every connected XSB of a running domain with a traffic setting issues
transactions at its rate: memory reads and writes to addresses in its domain's own memory
(a range of the domain's real address space), interrupts to CPUs of its domain, I/O to
its domain's I/O boards.  ``target`` aims the memory traffic at one XSB instead (any
XSB, even of another domain: that is how isolation is shown).  A simulator extension;
nothing here is an XSCF fact.
"""
from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass

from .xbar import INTR, IO, READ, WRITE

KIND_BYTES = {READ: 64, WRITE: 64, INTR: 16, IO: 64}


@dataclass
class TrafficSetting:
    rate: int = 20            # transactions per CPU per 100 crossbar cycles (0..100)
    write_pct: int = 30       # of the transactions: writes
    intr_pct: int = 2         # interrupts
    io_pct: int = 5           # I/O; the rest are reads
    lo_mb: int = 0            # address range within the domain's memory, in MB
    hi_mb: int | None = None  # None: up to the end of the domain's memory
    target: str | None = None # XSB that all memory traffic goes to (isolation demo)

    def to_dict(self) -> dict:
        return dict(rate=self.rate, write_pct=self.write_pct, intr_pct=self.intr_pct,
                    io_pct=self.io_pct, lo_mb=self.lo_mb, hi_mb=self.hi_mb, target=self.target)

    @classmethod
    def from_dict(cls, d: dict) -> "TrafficSetting":
        return cls(**d)

    def describe(self) -> str:
        rng = f"{self.lo_mb}-{'end' if self.hi_mb is None else self.hi_mb}MB"
        tgt = f" target={self.target}" if self.target else ""
        return (f"rate={self.rate}/100cyc write={self.write_pct}% intr={self.intr_pct}% "
                f"io={self.io_pct}% range={rng}{tgt}")


class _Gen:
    __slots__ = ("did", "src", "rate", "w", "wi", "wio", "lo", "span", "ends", "ports",
                 "cpu_ports", "io_ports", "target")


class TrafficEngine:
    """Runs the generators of all running domains against the system's crossbar."""

    def __init__(self, system, rng: random.Random):
        self.sys = system
        self.xbar = system.xbar
        self.rng = rng
        self.quiesced_ports: set[int] = set()    # no new traffic from or to these
        self.suspended: set[int] = set()         # domains stopped for copy-rename
        self.gens: list[_Gen] = []
        self.rebuild()

    def rebuild(self) -> None:
        """(Re)read the domains: which CPUs run, what memory and I/O they see."""
        s = self.sys
        gens = []
        for did, st in sorted(s.traffic.items()):
            dom = s.domains[did]
            if not dom.running or st.rate <= 0:
                continue
            xsbs = [s.xsb(x) for x in s.connected_xsbs(did)]
            ends, ports, total = [], [], 0
            for slot, x in sorted(dom.os.mem_map.items()):
                total += s.xsb(x).mem_mb
                ends.append(total)
                ports.append(s.xsb(x).port)
            if not ends:
                continue
            lo = min(st.lo_mb, total - 1)
            hi = total if st.hi_mb is None else max(lo + 1, min(st.hi_mb, total))
            cpu_ports = [x.port for x in xsbs if x.cpus]
            io_ports = [x.port for x in xsbs if s.io_visible(did, x.id)]
            target = s.xsb(st.target).port if st.target and st.target in s.xsbs else None
            for x in xsbs:
                for _cpu in x.cpus:
                    g = _Gen()
                    g.did, g.src, g.rate = did, x.port, st.rate
                    g.w = st.write_pct
                    g.wi = g.w + st.intr_pct
                    g.wio = g.wi + st.io_pct
                    g.lo, g.span, g.ends, g.ports = lo, hi - lo, ends, ports
                    g.cpu_ports, g.io_ports, g.target = cpu_ports, io_ports, target
                    gens.append(g)
        self.gens = gens

    def step(self) -> None:
        """One cycle: every generator may issue, then the crossbar clocks."""
        r = self.rng.random
        q = self.quiesced_ports
        sus = self.suspended
        offer = self.xbar.offer
        for g in self.gens:
            if r() * 100.0 >= g.rate or g.did in sus or g.src in q:
                continue
            u = r() * 100.0
            if u < g.wi and u >= g.w:
                kind = INTR
                dst = g.cpu_ports[int(r() * len(g.cpu_ports))]
            elif g.wi <= u < g.wio and g.io_ports:
                kind = IO
                dst = g.io_ports[int(r() * len(g.io_ports))]
            else:
                kind = WRITE if u < g.w else READ
                if g.target is not None:
                    dst = g.target
                else:
                    a = g.lo + r() * g.span
                    dst = g.ports[min(bisect_right(g.ends, a), len(g.ports) - 1)]
            if dst in q:
                continue
            offer(g.src, dst, g.did, kind, KIND_BYTES[kind])
        self.xbar.tick()

    def run(self, cycles: int) -> None:
        for _ in range(cycles):
            self.step()

    def run_until(self, done, limit: int = 1_000_000) -> int:
        """Keep the load on until ``done()``; returns the cycles it took."""
        n = 0
        while not done():
            if n >= limit:
                raise RuntimeError("crossbar did not drain")
            self.step()
            n += 1
        return n

    def drain(self, limit: int = 1_000_000) -> int:
        """Stop issuing and clock until nothing is in flight; returns the cycles."""
        n = 0
        while not self.xbar.idle():
            if n >= limit:
                raise RuntimeError("crossbar did not drain")
            self.xbar.tick()
            n += 1
        return n
