"""cocotb testbench of rtl/thread_select.v against sun4v.cmt.thread_select (scoreboard
every cycle: valid, pick and the whole LRU order list)."""
import itertools

import numpy as np

import cocotb
from sun4v.cmt import thread_select as TSEL

from tb_common import Coverage, ReadOnly, RisingEdge, report, rng_for, start, tb_int, time, u


class Scoreboard:
    def __init__(self, dut, n):
        self.dut = dut
        self.n = n
        self.iw = max(1, (n - 1).bit_length())
        self.order = TSEL.new_order(1, n)[0]
        self.cov = Coverage()
        self.cycles = 0

    def rtl_order(self):
        v = u(self.dut.order)
        m = (1 << self.iw) - 1
        return [(v >> (k * self.iw)) & m for k in range(self.n)]

    async def cycle(self, ready, spec):
        """Drive one cycle's inputs, check the outputs and the state, advance."""
        dut = self.dut
        dut.ready.value = ready
        dut.spec.value = spec
        await ReadOnly()
        assert self.rtl_order() == [int(x) for x in self.order], \
            f"cycle {self.cycles}: LRU order RTL {self.rtl_order()} model {list(self.order)}"
        j = TSEL.select(self.order, np.int64(ready), np.int64(spec))
        valid, pick = u(dut.valid), u(dut.pick)
        exp_valid = 1 if j >= 0 else 0
        assert valid == exp_valid, f"cycle {self.cycles}: valid {valid}, model {exp_valid} " \
            f"(ready {ready:#x} spec {spec:#x} order {list(self.order)})"
        cov = self.cov
        cov.hit("lru_state", tuple(int(x) for x in self.order))
        if j >= 0:
            assert pick == j, f"cycle {self.cycles}: pick {pick}, model {j} (ready {ready:#x} " \
                f"spec {spec:#x} order {list(self.order)})"
            TSEL.update(self.order, j)
            kind = "ready" if (ready >> j) & 1 else "spec"
            cov.hit("pick_kind", kind)
            cov.hit("pick_strand", j)
            nr = bin(ready).count("1")
            if nr > 1:
                cov.hit("conflict", "ready_vs_ready")
            if ready and spec & ~ready:
                cov.hit("conflict", "ready_over_spec")
            if kind == "spec" and bin(spec).count("1") > 1:
                cov.hit("conflict", "spec_vs_spec")
        else:
            cov.hit("pick_kind", "none")
        self.cycles += 1
        await RisingEdge(dut.clk)


@cocotb.test()
async def directed(dut):
    n = len(dut.ready)
    sb = Scoreboard(dut, n)
    await start(dut)
    full = (1 << n) - 1
    for _ in range(2 * n):                    # all ready: round robin 0,1,..,n-1
        await sb.cycle(full, 0)
    for _ in range(2):
        await sb.cycle(0, 0)                  # all waiting: no pick, state kept
    for _ in range(n):
        await sb.cycle(0, full)               # only spec-ready
    for s in range(n):                        # one ready beats every spec-ready
        await sb.cycle(1 << s, full)
    for s in range(n):                        # ready and spec on the same strand
        await sb.cycle(1 << s, 1 << s)
    await sb.cycle(0b1 if n > 1 else 1, full & ~1)


@cocotb.test()
async def random_traffic(dut):
    n = len(dut.ready)
    sb = Scoreboard(dut, n)
    rng = rng_for(f"thread_select{n}")
    cycles = tb_int("SUN4V_TB_CYCLES", 4000)
    await start(dut)
    full = (1 << n) - 1
    t0 = time.perf_counter()
    phase_len = 200
    for c in range(cycles):
        if c % phase_len == 0:                # change the density now and then
            p_ready = rng.choice([0.05, 0.2, 0.5, 0.9])
            p_spec = rng.choice([0.0, 0.2, 0.6])
        ready = sum(1 << s for s in range(n) if rng.random() < p_ready)
        spec = sum(1 << s for s in range(n) if rng.random() < p_spec)
        await sb.cycle(ready & full, spec & full)
    dt = time.perf_counter() - t0
    perms = sb.cov.count("lru_state")
    report(dut, sb.cov, sb.cycles, dt, lru_states_possible=len(list(itertools.permutations(range(n)))) if n <= 6 else None)
    if n <= 4:
        assert perms == len(list(itertools.permutations(range(n)))), f"only {perms} LRU states hit"
    for k in ("ready", "spec", "none"):
        assert sb.cov.bins["pick_kind"].get(k, 0) > 0, f"pick kind {k} never seen"
