"""Shared pieces of the cocotb testbenches (run inside the simulator)."""
import os
import random
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, Timer

from sun4v.rtl.cocotb_run import tb_int, write_report

CLOCK_NS = 10


def rng_for(name: str) -> random.Random:
    seed = tb_int("SUN4V_TB_SEED", 12345)
    return random.Random(f"{seed}:{name}")


async def start(dut):
    """Start the clock and hold reset for two cycles; returns right after the rising edge
    at which cycle 0 begins (reset released just before it)."""
    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
    dut.rst_n.value = 0
    await Timer(1, unit="ns")
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    await Timer(1, unit="ns")
    dut.rst_n.value = 1


def u(sig) -> int:
    """Unsigned value of a signal (raises on X/Z, which is itself a failure)."""
    return int(sig.value)


class Coverage:
    """Functional coverage: named bins with hit counts."""

    def __init__(self):
        self.bins = {}

    def hit(self, group: str, key=None, n: int = 1):
        b = self.bins.setdefault(group, {})
        k = str(key)
        b[k] = b.get(k, 0) + n

    def count(self, group):
        return len(self.bins.get(group, {}))

    def summary(self):
        return {g: dict(sorted(b.items())) for g, b in sorted(self.bins.items())}


def report(dut, cov: Coverage, cycles: int, seconds: float, **extra):
    data = {"coverage": cov.summary(), "cycles": cycles, "sim_seconds": seconds}
    data.update(extra)
    write_report(data)
    dut._log.info("%d cycles in %.2f s (%.0f cycles/s)", cycles, seconds,
                  cycles / seconds if seconds else 0)
    for g, b in cov.summary().items():
        dut._log.info("coverage %s: %s", g, b if len(b) <= 24 else f"{len(b)} distinct bins")


__all__ = ["ReadOnly", "RisingEdge", "Timer", "start", "u", "Coverage", "report", "rng_for",
           "tb_int", "time", "os"]
