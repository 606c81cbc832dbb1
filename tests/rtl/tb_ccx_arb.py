"""cocotb testbench of rtl/ccx_arb.v against sun4v.cmt.ccx (one destination).

Every cycle `now` (rising edges since reset): the model arbitrates first
(ccx.arbitrate(A, 0, now)), then queues this cycle's requests (ccx.enqueue(A, 0, s,
payload, now)), the order of the cycle model.  Checked every cycle: gnt_valid, gnt_src,
gnt_payload, all full[] bits (= refused requests), and the FIFO occupancy."""
import numpy as np

import cocotb
from sun4v.cmt import ccx

from tb_common import Coverage, ReadOnly, RisingEdge, report, rng_for, start, tb_int, time, u

M64 = (1 << 64) - 1


def to_i64(x):
    return np.int64(x - (1 << 64) if x >= 1 << 63 else x)


class Scoreboard:
    def __init__(self, dut):
        self.dut = dut
        self.nsrc = len(dut.req)
        self.pw = len(dut.gnt_payload)
        self.min_grant = int(dut.MIN_GRANT.value)
        self.A = ccx.new_arbiters(1, self.nsrc, min_grant=self.min_grant, qdepth=int(dut.QDEPTH.value))
        self.now = 0
        self.cov = Coverage()
        self.grants = []

    async def cycle(self, reqs):
        """reqs: {source: payload}.  Returns the set of sources whose request was refused."""
        dut, A, now = self.dut, self.A, self.now
        mask = 0
        bus = 0
        for s, p in reqs.items():
            mask |= 1 << s
            bus |= (p & ((1 << self.pw) - 1)) << (s * self.pw)
        dut.req.value = mask
        dut.req_payload.value = bus
        await ReadOnly()
        cov = self.cov
        head = int(A[2][0])
        cnt = int(A[3][0])
        assert u(dut.cnt) == cnt, f"cycle {now}: FIFO count RTL {u(dut.cnt)} model {cnt}"
        cov.hit("fifo_occupancy", cnt)
        hv = int(A[0][0, head]) if cnt else 0
        waiting = cnt and now - int(A[1][0, head]) < self.min_grant
        src, payload = ccx.arbitrate(A, 0, np.int64(now))
        src = int(src)
        gv = u(dut.gnt_valid)
        assert gv == (src >= 0), f"cycle {now}: gnt_valid {gv}, model grants {src}"
        if src >= 0:
            gs, gp = u(dut.gnt_src), u(dut.gnt_payload)
            exp_p = int(payload) & M64
            assert gs == src, f"cycle {now}: gnt_src {gs}, model {src} (head vector {hv:#04x}, parity {now & 1})"
            assert gp == exp_p, f"cycle {now}: gnt_payload {gp:#x}, model {exp_p:#x} (source {src})"
            self.grants.append((now, src, exp_p))
            cov.hit("grant_source", src)
            if bin(hv).count("1") > 1:
                cov.hit("same_cycle_tie", "upward(even)" if now % 2 == 0 else "downward(odd)")
        elif waiting:
            cov.hit("head_not_yet_eligible", "wait")
        qn = A[6][0]
        full_exp = sum(1 << s for s in range(self.nsrc) if qn[s] >= A[7][ccx.M_QDEPTH])
        full = u(dut.full)
        assert full == full_exp, f"cycle {now}: full {full:#04x}, model {full_exp:#04x}"
        refused = set()
        for s, p in sorted(reqs.items()):
            ok = ccx.enqueue(A, 0, s, to_i64(p & M64), np.int64(now))
            if not ok:
                refused.add(s)
                cov.hit("backpressure_source", s)
                if src == s:
                    pass
            elif src == s and qn[s] == A[7][ccx.M_QDEPTH]:
                cov.hit("grant_frees_slot_same_cycle", s)
        if len(reqs) > 1:
            cov.hit("same_cycle_arrivals", len(reqs) - len(refused))
        self.now += 1
        await RisingEdge(dut.clk)
        return refused


@cocotb.test()
async def directed(dut):
    """The cases of tests/test_units.py, on the RTL."""
    sb = Scoreboard(dut)
    await start(dut)
    while sb.now < 10:
        await sb.cycle({})
    assert await sb.cycle({2: 20, 5: 50}) == set()          # cycle 10
    await sb.cycle({})                                      # 11: not eligible yet
    await sb.cycle({})                                      # 12: even, source 0 upward -> 2
    await sb.cycle({})                                      # 13: -> 5
    assert [g[1] for g in sb.grants] == [2, 5]
    while sb.now < 21:
        await sb.cycle({})
    await sb.cycle({2: 21, 5: 51})                          # 21
    for _ in range(4):
        await sb.cycle({})
    assert sb.grants[2:] == [(23, 5, 51), (24, 2, 21)]      # odd cycle: source 7 downward
    # oldest first and a 2-entry queue per source
    base = sb.now
    await sb.cycle({0: 10, 1: 11, 2: 12, 3: 13})            # one vector, 4 grants
    await sb.cycle({7: 1})
    await sb.cycle({7: 3})
    await sb.cycle({7: 4})                                  # refused: 7 still holds 2
    assert sb.cov.bins["backpressure_source"] == {"7": 1}
    for _ in range(8):
        await sb.cycle({})
    # all eight sources twice in one cycle each: the FIFO holds 2 vectors
    await sb.cycle({s: 100 + s for s in range(8)})
    await sb.cycle({s: 200 + s for s in range(8)})
    refused = await sb.cycle({s: 300 + s for s in range(8)})
    assert len(refused) >= 7
    for _ in range(24):
        await sb.cycle({})
    assert u(dut.cnt) == 0 and base > 0


@cocotb.test()
async def random_traffic(dut):
    sb = Scoreboard(dut)
    rng = rng_for("ccx_arb")
    cycles = tb_int("SUN4V_TB_CYCLES", 5000)
    await start(dut)
    pending = {}                      # source -> payload retried until accepted
    t0 = time.perf_counter()
    for c in range(cycles):
        if c % 250 == 0:
            rate = rng.choice([0.02, 0.1, 0.3, 0.6, 0.95])
            retry = rng.random() < 0.7
        reqs = dict(pending) if retry else {}
        for s in range(sb.nsrc):
            if s not in reqs and rng.random() < rate:
                reqs[s] = rng.getrandbits(64)
        refused = await sb.cycle(reqs)
        pending = {s: reqs[s] for s in refused}
    dt = time.perf_counter() - t0
    report(dut, sb.cov, cycles, dt, grants=len(sb.grants))
    cov = sb.cov.bins
    assert len(cov["grant_source"]) == sb.nsrc
    assert set(cov["same_cycle_tie"]) == {"upward(even)", "downward(odd)"}
    assert len(cov["backpressure_source"]) == sb.nsrc
    assert max(int(k) for k in cov["fifo_occupancy"]) >= 12
