"""cocotb testbench of rtl/xbar_domain.v against FilterArbiter (sun4v/crossbar/xbar.py).
Every cycle: grant and blocked of every input, and the rr/busy registers of every output,
are compared with FilterArbiter.step(); service-processor writes are FilterArbiter.set_port
after the step; the receive-side rx_accept of every output with FilterArbiter.accepts.
Configuration-only cycles (arb_en=0, as co-simulation uses between crossbar cycles) must
grant and block nothing and leave rr/busy alone while the port write lands."""
import cocotb
from sun4v.crossbar.xbar import NO_DOMAIN, FilterArbiter

from tb_common import (Coverage, ReadOnly, RisingEdge, Timer, report, rng_for, start, tb_int,
                       time, u)


class Scoreboard:
    def __init__(self, dut):
        self.dut = dut
        self.n = int(dut.N.value)
        self.pw = int(dut.PW.value)
        self.lw = int(dut.LW.value)
        self.mode = "did" if int(dut.MODE.value) == 0 else "mask"
        self.fa = FilterArbiter(self.n, self.mode)
        self.dw = int(dut.DW.value)
        self.cov = Coverage()
        self.cycles = 0
        self.rng = rng_for(f"xbar-rx{self.n}{self.mode}")

    def _field(self, sig, i, w):
        return (u(sig) >> (i * w)) & ((1 << w) - 1)

    def _drive_sp(self, sp):
        dut = self.dut
        dut.sp_we.value = int(sp is not None)
        if sp:
            port, did, mask = sp
            dut.sp_port.value = port
            dut.sp_did_valid.value = int(did != NO_DOMAIN)
            dut.sp_did.value = max(did, 0)
            dut.sp_mask.value = mask

    def _drive_rx(self):
        """Random arrivals on the receive side: {output: domain tag}."""
        rng, n = self.rng, self.n
        known = sorted({d for d in self.fa.domain if d != NO_DOMAIN}) or [0]
        rx = {o: (rng.choice(known) if rng.random() < 0.7 else rng.randrange(1 << self.dw))
              for o in range(n) if rng.random() < 0.3}
        valid = tags = 0
        for o, did in rx.items():
            valid |= 1 << o
            tags |= did << (o * self.dw)
        self.dut.rx_valid.value = valid
        self.dut.rx_did.value = tags
        return rx

    def _check_rx(self, rx):
        acc = u(self.dut.rx_accept)
        for o in range(self.n):
            exp = o in rx and self.fa.accepts(o, rx[o])
            got = (acc >> o) & 1 == 1
            assert got == exp, f"cycle {self.cycles}: rx_accept[{o}] RTL {got}, model {exp} " \
                f"(tag {rx.get(o)}, port domain {self.fa.domain[o]})"
            if o in rx:
                self.cov.hit("rx", "accept" if exp else "reject")

    async def config(self, sp, reqs=None):
        """A configuration-only cycle (arb_en=0): the port write and nothing else, even
        with requests present."""
        dut, fa, n = self.dut, self.fa, self.n
        valid = dst = 0
        for s, (d, _) in (reqs or {}).items():
            valid |= 1 << s
            dst |= d << (s * self.pw)
        dut.arb_en.value = 0
        dut.req_valid.value = valid
        dut.req_dst.value = dst
        dut.req_len.value = 0
        self._drive_sp(sp)
        rx = self._drive_rx()
        await ReadOnly()
        assert u(dut.grant) == 0 and u(dut.blocked) == 0, \
            f"cycle {self.cycles}: grant/blocked in a configuration-only cycle"
        self._check_rx(rx)
        port, did, mask = sp
        fa.set_port(port, did, mask)
        self.cov.hit("config_cycle", "with_requests" if reqs else "idle")
        self.cycles += 1
        await RisingEdge(dut.clk)
        await ReadOnly()
        for o in range(n):
            assert self._field(dut.rr, o, self.pw) == fa.rr[o], f"cycle {self.cycles}: rr[{o}] moved"
            assert self._field(dut.busy, o, self.lw) == fa.busy[o], f"cycle {self.cycles}: busy[{o}] moved"
        await Timer(1, unit="ns")               # out of the read-only phase

    async def cycle(self, reqs, sp=None):
        """reqs: {input: (dst, length)}; sp: (port, did or NO_DOMAIN, mask) or None.
        Returns (grant, blocked) lists."""
        dut, fa, n, cov = self.dut, self.fa, self.n, self.cov
        dut.arb_en.value = 1
        valid = dst = ln = 0
        for s, (d, length) in reqs.items():
            valid |= 1 << s
            dst |= d << (s * self.pw)
            ln |= length << (s * self.lw)
        dut.req_valid.value = valid
        dut.req_dst.value = dst
        dut.req_len.value = ln
        self._drive_sp(sp)
        rx = self._drive_rx()
        await ReadOnly()
        self._check_rx(rx)
        for o in range(n):
            assert self._field(dut.rr, o, self.pw) == fa.rr[o], f"cycle {self.cycles}: rr[{o}]"
            assert self._field(dut.busy, o, self.lw) == fa.busy[o], f"cycle {self.cycles}: busy[{o}]"
        busy_before = list(fa.busy)
        rr_before = list(fa.rr)
        req_dst = [reqs[s][0] if s in reqs else -1 for s in range(n)]
        req_len = [reqs[s][1] if s in reqs else 1 for s in range(n)]
        grant, blocked = fa.step(req_dst, req_len)
        g = [(u(dut.grant) >> s) & 1 == 1 for s in range(n)]
        b = [(u(dut.blocked) >> s) & 1 == 1 for s in range(n)]
        assert g == grant, f"cycle {self.cycles}: grant RTL {g}, model {grant} (requests {reqs})"
        assert b == blocked, f"cycle {self.cycles}: blocked RTL {b}, model {blocked} (requests {reqs})"
        # coverage
        per_out = {}
        for s, (d, _) in reqs.items():
            if blocked[s]:
                cov.hit("blocked", "unassigned_source" if fa.domain[s] == NO_DOMAIN else "cross_domain")
            else:
                per_out.setdefault(d, []).append(s)
        for o, ins in per_out.items():
            if busy_before[o]:
                cov.hit("output_busy_backpressure", len(ins))
            elif len(ins) > 1:
                cov.hit("contention", len(ins))
        for s in range(n):
            if grant[s]:
                o = reqs[s][0]
                cov.hit("grant_output", o)
                cov.hit("grant_length", reqs[s][1])
                if fa.domain[s] != NO_DOMAIN:
                    cov.hit("grant_domain", fa.domain[s])
                if s < rr_before[o]:
                    cov.hit("rr", "wrapped")
        if sp:
            port, did, mask = sp
            fa.set_port(port, did, mask)
            cov.hit("sp_write", "unassign" if did == NO_DOMAIN else "assign")
        self.cycles += 1
        await RisingEdge(dut.clk)
        return grant, blocked


def assignment(rng, n, ndomains):
    """port -> did for a random partition of the ports (some left unassigned)."""
    dids = rng.sample(range(24), ndomains)
    return {p: rng.choice(dids) for p in range(n) if rng.random() < 0.85}


async def program(sb, assign):
    members = {}
    for p, d in assign.items():
        members[d] = members.get(d, 0) | (1 << p)
    for p in range(sb.n):
        d = assign.get(p, NO_DOMAIN)
        await sb.cycle({}, sp=(p, d, members.get(d, 0)))


@cocotb.test()
async def directed(dut):
    sb = Scoreboard(dut)
    n = sb.n
    await start(dut)
    await sb.cycle({0: (1, 1)})                          # nothing assigned: blocked
    await program(sb, {0: 3, 1: 3, 2: 7, 3: 7})
    g, b = await sb.cycle({0: (1, 1), 2: (1, 1), 3: (2, 2)})
    assert g[0] and b[2] and g[3]                        # 2 -> 1 is cross-domain
    for _ in range(3):                                   # 0 and 1 compete for 1; busy 2
        await sb.cycle({0: (1, 3), 3: (2, 1)})
    await sb.cycle({1: (0, 1), 0: (1, 1)}, sp=(1, NO_DOMAIN, 0))   # unassign 1 after this cycle
    g, b = await sb.cycle({1: (0, 1), 0: (1, 1)})
    assert b[1] and (b[0] if sb.mode == "did" else g[0])   # a mask is the source's own
    for _ in range(4):
        await sb.cycle({s: ((s + 1) % n, 1) for s in range(n)})
    await sb.cycle({3: (2, 4)})                          # output 2 busy for 3 more cycles
    await sb.config((1, 7, 0b1110), reqs={3: (2, 1), 2: (3, 1)})   # busy/rr must not move
    await sb.config((0, 7, 0b1111))
    for _ in range(5):
        await sb.cycle({3: (2, 1), 1: (2, 1), 0: (3, 1)})


@cocotb.test()
async def random_traffic(dut):
    sb = Scoreboard(dut)
    n = sb.n
    rng = rng_for(f"xbar{n}{sb.mode}")
    cycles = tb_int("SUN4V_TB_CYCLES", 4000)
    maxlen = (1 << sb.lw) - 1
    await start(dut)
    assign = assignment(rng, n, 2)
    await program(sb, assign)
    queues = {s: [] for s in range(n)}
    t0 = time.perf_counter()
    for c in range(cycles):
        if c % 400 == 399:                      # reconfigure (DR / new domains)
            assign = assignment(rng, n, rng.choice([1, 2, 3, 4]))
            await program(sb, assign)
        if c % 200 == 0:
            rate = rng.choice([0.05, 0.2, 0.5, 0.9])
            p_cross = rng.choice([0.0, 0.05, 0.2])
            longs = rng.random() < 0.5
        for s in range(n):
            if len(queues[s]) < 4 and rng.random() < rate:
                same = [p for p, d in assign.items() if d == assign.get(s)]
                d = rng.choice(same) if same and rng.random() >= p_cross else rng.randrange(n)
                length = rng.randint(1, maxlen) if longs and rng.random() < 0.3 else rng.randint(1, 2)
                queues[s].append((d, length))
        sp = None
        if rng.random() < 0.005:                 # a single-port write during traffic
            p = rng.randrange(n)
            d = rng.choice([NO_DOMAIN] + sorted(set(assign.values()) or {0}))
            members = sum(1 << q for q, x in assign.items() if x == d) if d != NO_DOMAIN else 0
            sp = (p, d, members | (1 << p) if d != NO_DOMAIN else 0)
            if d == NO_DOMAIN:
                assign.pop(p, None)
            else:
                assign[p] = d
        reqs = {s: q[0] for s, q in queues.items() if q}
        if sp and rng.random() < 0.5:            # the write in a cycle of its own
            await sb.config(sp, reqs=reqs)
            sp = None
        grant, blocked = await sb.cycle(reqs, sp)
        for s in reqs:
            if grant[s] or blocked[s]:
                queues[s].pop(0)
    dt = time.perf_counter() - t0
    report(dut, sb.cov, sb.cycles, dt)
    cov = sb.cov.bins
    assert len(cov["grant_output"]) == n
    assert {"cross_domain", "unassigned_source"} <= set(cov["blocked"])
    assert cov.get("output_busy_backpressure") and cov.get("contention")
    assert "wrapped" in cov["rr"]
    assert {"accept", "reject"} <= set(cov["rx"]) and cov.get("config_cycle")
