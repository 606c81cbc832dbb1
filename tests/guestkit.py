"""Helpers of the guest kernel tests (tests/test_guest_*.py): booting domains with
`sun4v boot`'s System, reading a domain's counters, the manager's end of a domain's
domain-services channel through the control domain's relay, the hypervisor's
utilisation counters over a window of time, and the workloads' results computed
again here from their definitions (sun4v/guest/wl_*.c say them in words; the guest
kernel computes them in SPARC code, these in Python: the two must agree)."""
from __future__ import annotations

import struct

import numpy as np

from ldm import ds as DS
from ldm.ldc import Link
from sun4v.boot import System
from sun4v.boot.config import parse_config
from sun4v.guest import IMAGE
from sun4v.guest.hostif import Counters, DomainMemory, Relay

M64 = (1 << 64) - 1


# ---- booting ---------------------------------------------------------------------------
def system(platform, domains, mode="functional"):
    """A System for `platform` and domains given as dicts of the TOML [[domain]] keys
    (the first is primary), running the guest kernel of build/guest/guest.bin."""
    cfg = parse_config({"platform": platform, "domain": [dict(d) for d in domains]})
    return System(cfg, mode=mode, kernel=str(IMAGE))


def memory(sys_, name):
    d = sys_.bindings.get(name)
    return DomainMemory(sys_.m, [(b.ra, b.pa, b.size) for b in d.mblocks])


def counters(sys_, name):
    return Counters(memory(sys_, name)).read()


def run_until(sys_, cond, step="1ms", limit="200ms"):
    """Run in slices of simulated time until cond() or the limit; returns cond()."""
    end = sys_.m.time + sys_.steps(limit)
    while not cond():
        if sys_.m.time >= end:
            return False
        r = sys_.run(until=min(end, sys_.m.time + sys_.steps(step)))
        if r.reason not in ("until", "halted", "budget", "programs ended"):
            raise AssertionError(f"the run ended: {r}")
    return True


def vcpu_ticks(sys_, name):
    """(lifetime, yielded) %stick ticks of the domain's running vCPUs, now (the
    hypervisor's own counters, sun4v/boot/hvstate.py)."""
    gid = sys_.bindings.get(name).gid
    life = yielded = 0
    for v in sys_.hv.vcpus(gid):
        if not v.start_stick or v.state != "running":
            continue
        now = sys_.stick_now(v.strand)
        y = v.yield_count + (now - v.yield_start if v.yield_start else 0)
        life += now - v.start_stick
        yielded += y
    return life, yielded


def window_util(before, after):
    life = after[0] - before[0]
    return 1 - (after[1] - before[1]) / life if life else 0.0


# ---- the domain manager's end of a domain's DS channel -------------------------------
class DsSession:
    """The manager's end of domain `name`'s domain-services channel, through the
    control domain's relay: an ldm.ldc.Link and an ldm.ds.Manager, pumped while the
    machine runs in slices."""

    def __init__(self, sys_, name):
        self.s = sys_
        self.relay = Relay(memory(sys_, "primary"))
        if not run_until(sys_, self.relay.ready):
            raise AssertionError("the control domain's relay did not start")
        ports = {n: c for c, n in self.relay.ports()}
        self.channel = ports[f"ds:{name}"]
        self.states = []
        self.other = []                 # packets of the other relayed channels
        self.link = Link(self._send)
        self.mgr = DS.Manager(self.link)

    def _send(self, pkt):
        if not self.relay.send(self.channel, pkt):
            raise AssertionError("the relay ring to the guest is full")

    def pump(self):
        for ch, p in self.relay.receive():
            if ch != self.channel:
                self.other.append((ch, p))
            elif isinstance(p, tuple):
                self.states.append(p[1])
            else:
                for msg in self.link.receive(p):
                    self.mgr.receive(msg)

    def run(self, cond, limit="100ms", step="200us"):
        def check():
            self.pump()
            return cond()
        return run_until(self.s, check, step=step, limit=limit)

    def connect(self, limit="100ms"):
        """Handshake and registrations; True when the guest registered its services."""
        self.link.start()
        return self.run(lambda: self.mgr.registered >= {"md-update", "dr-cpu",
                                                        "domain-shutdown"}, limit)

    def reply(self, service, limit="100ms"):
        if not self.run(lambda: bool(self.mgr.data[service]), limit):
            raise AssertionError(f"no {service} reply within {limit}")
        return self.mgr.data[service].pop(0)

    def dr_cpu(self, type_, cpus, limit="100ms"):
        req = self.mgr.dr_cpu(type_, cpus)
        rep = DS.parse_dr_cpu_reply(self.reply("dr-cpu", limit))
        assert rep.req_num == req
        return rep


# ---- the workloads' results, from their definitions ---------------------------------
def seed(i, s=0):
    """Worker i's starting value with the workload's `seed` parameter s (workload.c)."""
    return 0x0123456789ABCDEF ^ s ^ (((i + 1) * 0x9E3779B97F4A7C15) & M64)


def _share(total, n):
    return [total // n + (i < total % n) for i in range(n)]


def _xorshift(x, n):
    for _ in range(n):
        x ^= (x << 13) & M64
        x ^= x >> 7
        x ^= (x << 17) & M64
    return x


def _rec(x, d):
    if d == 0:
        return x
    r = _rec((x * 0x9E3779B97F4A7C15 + d) & M64, d - 1)
    return ((((r << 5) | (r >> 59)) & M64) + (x >> 3)) & M64


def int_result(threads, iterations, s=0):
    total = 0
    for t, units in enumerate(_share(iterations, threads)):
        x = seed(t, s)
        for _ in range(units):
            x = _xorshift(x, 256)
            x = (x + _rec(x, 12)) & M64
        total = (total + x) & M64
    return total


def mem_arrays(t, passes, size):
    """The arrays a, b, c of mem worker t after its passes (its buffer: a, b, c)."""
    n = (size // 8) // 3
    i = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        b = i * np.uint64(0x9E3779B97F4A7C15) + np.uint64(t)
        c = (i ^ np.uint64(0x5555)) + np.uint64(t)
        a = np.zeros(n, np.uint64)
        for p in range(passes):
            a = b + np.uint64(p + 3) * c
            c = a ^ (b >> np.uint64(1))
    return a, b, c


def mem_result(threads, passes, size):
    total = 0
    for t in range(threads):
        a, _, _ = mem_arrays(t, passes, size)
        i = np.arange(len(a), dtype=np.uint64)
        with np.errstate(over="ignore"):
            total = (total + int((a * (np.uint64(2) * i + np.uint64(1))).sum(
                dtype=np.uint64))) & M64
    return total


def fp_result(threads, iterations):
    n = (iterations + 999) // 1000 * 1000
    h = 1.0 / n
    sums, first = [], 0
    for units in _share(n // 1000, threads):
        s = 0.0
        for k in range(first * 1000, (first + units) * 1000):
            x = (k + 0.5) * h
            s += 4.0 / (1.0 + x * x)
        sums.append(s)
        first += units
    total = 0.0
    for s in sums:
        total += s
    return struct.unpack(">Q", struct.pack(">d", total * (1.0 / n)))[0]


def mix_result(threads, requests, work):
    total = 0
    for t in range(threads):
        x = seed(t)
        buf = [0] * 8192
        for _ in range(requests):
            x = _xorshift(x, work)
            for k in range(16):
                j = (x >> (3 * k)) & 8191
                buf[j] = (buf[j] + x) & M64
                x ^= buf[j] >> 1
            x = (x * 6364136223846793005 + 1442695040888963407) & M64
        total = (total + x) & M64
    return total
