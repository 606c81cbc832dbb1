"""cocotb testbench of rtl/tlb.v against sun4v.cmt.tlb_model.TLBModel (the reference TLB
written from the manuals' tag and TTE definitions, with used-bit replacement).  Every cycle: the lookup result of the previous cycle
(hit, index, TTE, PA, page size), the write target (wr_index), and the valid and used
bits of every entry are compared with the model."""
import cocotb
from sun4v.cmt.tlb_model import DEMAP_ALL, DEMAP_CONTEXT, DEMAP_PAGE, TLBModel

from tb_common import Coverage, ReadOnly, RisingEdge, report, rng_for, start, tb_int, time, u

V = 1 << 63
OP_NONE, OP_WRITE, OP_DEMAP_PAGE, OP_DEMAP_CTX, OP_DEMAP_ALL = range(5)
SIZE_NAMES = {0: "8K", 1: "64K", 3: "4M", 5: "256M"}


class Scoreboard:
    def __init__(self, dut):
        self.dut = dut
        self.n = int(dut.ENTRIES.value)
        self.m = TLBModel(self.n)
        self.expect = None            # lookup result due this cycle
        self.cov = Coverage()
        self.cycles = 0

    def _check_result(self):
        dut, e = self.dut, self.expect
        assert u(dut.res_valid) == (e is not None), f"cycle {self.cycles}: res_valid"
        if e is None:
            return
        idx, tte, pa, desc = e
        got = (u(dut.hit), u(dut.hit_index), u(dut.tte), u(dut.pa), u(dut.page_size))
        exp = (int(idx >= 0), max(idx, 0), tte, pa, tte & 7 if idx >= 0 else 0)
        assert got == exp, f"cycle {self.cycles}: lookup {desc}: RTL (hit, index, tte, pa, " \
            f"size) {tuple(hex(x) for x in got)}, model {tuple(hex(x) for x in exp)}"

    async def cycle(self, lookup=None, op=None):
        """lookup: (va, pid, real, ctx) or None; op: ("write", va, pid, real, ctx, tte,
        index) / ("demap", kind, pid, real, ctx, va) / None."""
        dut, m, cov = self.dut, self.m, self.cov
        dut.lk_valid.value = int(lookup is not None)
        if lookup:
            va, pid, real, ctx = lookup
            dut.lk_va.value, dut.lk_pid.value, dut.lk_real.value, dut.lk_ctx.value = va, pid, real, ctx
        opcode = OP_NONE
        if op and op[0] == "write":
            _, va, pid, real, ctx, tte, index = op
            opcode = OP_WRITE
            dut.op_va.value, dut.op_pid.value, dut.op_real.value, dut.op_ctx.value = va, pid, real, ctx
            dut.op_tte.value = tte
            dut.op_index_valid.value = int(index >= 0)
            dut.op_index.value = max(index, 0)
        elif op:
            _, kind, pid, real, ctx, va = op
            opcode = {DEMAP_PAGE: OP_DEMAP_PAGE, DEMAP_CONTEXT: OP_DEMAP_CTX, DEMAP_ALL: OP_DEMAP_ALL}[kind]
            dut.op_va.value, dut.op_pid.value, dut.op_real.value, dut.op_ctx.value = va, pid, real, ctx
            dut.op_index_valid.value = 0
        dut.op.value = opcode
        await ReadOnly()
        self._check_result()
        vbits = sum(1 << i for i in range(self.n) if m.valid(i))
        ubits = sum(1 << i for i in range(self.n) if m.used[i])
        assert u(dut.v) == vbits, f"cycle {self.cycles}: valid bits RTL {u(dut.v):#x} model {vbits:#x}"
        assert u(dut.used) == ubits, f"cycle {self.cycles}: used bits RTL {u(dut.used):#x} model {ubits:#x}"
        cov.hit("valid_entries", min(m.valid_entries() * 8 // self.n, 8))   # eighths full
        # model: lookup first, then the maintenance operation
        self.expect = None
        if lookup:
            va, pid, real, ctx = lookup
            before = list(m.used)
            idx, tte, pa = m.lookup(va, pid, real, ctx)
            self.expect = (idx, tte, pa, f"va {va:#x} pid {pid} real {real} ctx {ctx:#x}")
            if idx >= 0:
                cov.hit("hit_page_size", SIZE_NAMES.get(tte & 7, f"size{tte & 7}"))
                cov.hit("hit_partition", pid)
                cov.hit("hit_kind", "real" if real else ("nucleus" if ctx == 0 else "context"))
                if not before[idx] and all(before[j] or j == idx for j in range(self.n)):
                    cov.hit("used_bits", "cleared_by_hit")
            else:
                cov.hit("miss", "miss")
                for q in range(8):
                    if q != pid and m.find(va, q, real, ctx) >= 0:
                        cov.hit("miss", "mapped_in_other_partition")
                        break
        if op and op[0] == "write":
            _, va, pid, real, ctx, tte, index = op
            free_before = self.n - m.valid_entries()
            same = m.find(va & ~((1 << (13 + 3 * (tte & 7))) - 1), pid, real, ctx)
            before = list(m.used)
            widx = m.write(va, pid, real, ctx, tte, index)
            got = u(dut.wr_index)
            assert got == widx, f"cycle {self.cycles}: write target RTL {got}, model {widx}"
            if index >= 0:
                kind = "explicit_index"
            elif not tte & V:
                kind = "invalidate"
            elif free_before == 0 and same < 0:
                kind = "used_bit_victim"
            else:
                kind = "same_tag_or_free"
            cov.hit("write", kind)
            if tte & V and sum(before) == self.n - 1 and not before[widx]:
                cov.hit("used_bits", "cleared_by_write")
        elif op:
            _, kind, pid, real, ctx, va = op
            hits = m.demap(kind, pid, real, ctx, va)
            cov.hit("demap", ("page", "context", "all")[kind] + ("_hit" if hits else "_none"))
        self.cycles += 1
        await RisingEdge(dut.clk)


def random_page(rng, pids):
    size = rng.choice([0, 0, 1, 3, 5])
    pid = rng.choice(pids)
    real = int(rng.random() < 0.15)
    ctx = 0 if real else rng.choice([0, 1, 2, 3, 0x1FFF, rng.getrandbits(13)])
    va = rng.getrandbits(64) & ~((1 << (13 + 3 * size)) - 1)
    if rng.random() < 0.3:
        va &= (1 << 44) - 1                   # small VAs: more same-page overlap
    pa = rng.getrandbits(40) & ~((1 << 13) - 1)
    tte = V | pa | (rng.getrandbits(4) << 6) | size   # W/X/P/CV bits vary, bits 9:6
    return (va, pid, real, ctx, tte)


@cocotb.test()
async def directed(dut):
    sb = Scoreboard(dut)
    await start(dut)
    # same VA and context in partitions 1 and 2: each hits only its own entry
    await sb.cycle(op=("write", 0x4000_0000, 1, 0, 5, V | 0x1_0000_0000 | 3, -1))   # 4M page
    await sb.cycle(op=("write", 0x4000_0000, 2, 0, 5, V | 0x2_0000_0000 | 0, -1))   # 8K page
    await sb.cycle(lookup=(0x4012_3456, 1, 0, 5))
    await sb.cycle(lookup=(0x4012_3456, 2, 0, 5))        # 8K page of pid 2 does not cover it
    await sb.cycle(lookup=(0x4000_1234, 2, 0, 5))
    await sb.cycle(lookup=(0x4000_1234, 3, 0, 5))        # partition 3: nothing
    # real translation ignores the context
    await sb.cycle(op=("write", 0x8000_0000, 1, 1, 77, V | 0x3_0000_0000 | 1, -1))
    await sb.cycle(lookup=(0x8000_ABCD, 1, 1, 99))
    # demaps stay within their partition
    await sb.cycle(op=("demap", DEMAP_ALL, 2, 0, 0, 0))
    await sb.cycle(lookup=(0x4000_1234, 2, 0, 5), op=("demap", DEMAP_CONTEXT, 1, 0, 5, 0))
    await sb.cycle(lookup=(0x4012_3456, 1, 0, 5))
    await sb.cycle(lookup=(0x8000_0000, 1, 1, 0), op=("demap", DEMAP_PAGE, 1, 1, 0, 0x8000_1000))
    await sb.cycle(lookup=(0x8000_0000, 1, 1, 0))
    # fill past capacity: used-bit replacement
    for i in range(sb.n + 8):
        await sb.cycle(op=("write", (i + 1) << 13, 0, 0, 1, V | (i << 13), -1),
                       lookup=((i // 2 + 1) << 13, 0, 0, 1) if i % 3 == 0 else None)
    for i in range(sb.n + 8):
        await sb.cycle(lookup=((i + 1) << 13, 0, 0, 1))
    await sb.cycle()
    await sb.cycle()


@cocotb.test()
async def random_operations(dut):
    sb = Scoreboard(dut)
    rng = rng_for(f"tlb{sb.n}")
    cycles = tb_int("SUN4V_TB_CYCLES", 3000)
    await start(dut)
    pages = []
    t0 = time.perf_counter()
    for c in range(cycles):
        if c % 300 == 0:
            pids = rng.sample(range(8), rng.choice([1, 2, 4, 8]))
            p_write = rng.choice([0.1, 0.3, 0.6])
            p_demap = rng.choice([0.0, 0.01, 0.05])
        lookup = None
        if rng.random() < 0.8:
            if pages and rng.random() < 0.8:
                va, pid, real, ctx, tte = rng.choice(pages)
                off = rng.getrandbits(13 + 3 * (tte & 7))
                if rng.random() < 0.15:
                    pid = rng.randrange(8)          # another partition's view of the page
                if rng.random() < 0.05:
                    off = rng.getrandbits(30)       # maybe off the page
                lookup = (va | off, pid, real, ctx)
            else:
                va, pid, real, ctx, _ = random_page(rng, pids)
                lookup = (va | rng.getrandbits(13), pid, real, ctx)
        op = None
        r = rng.random()
        if r < p_write:
            if pages and rng.random() < 0.1:
                va, pid, real, ctx, tte = rng.choice(pages)       # rewrite: same tag
            else:
                va, pid, real, ctx, tte = random_page(rng, pids)
                pages.append((va, pid, real, ctx, tte))
                pages = pages[-3 * sb.n:]
            if rng.random() < 0.05:
                tte &= ~V                                          # invalidating write
            index = rng.randrange(sb.n) if rng.random() < 0.05 else -1
            op = ("write", va, pid, real, ctx, tte, index)
        elif r < p_write + p_demap:
            kind = rng.choice([DEMAP_PAGE, DEMAP_PAGE, DEMAP_CONTEXT, DEMAP_ALL])
            if pages:
                va, pid, real, ctx, tte = rng.choice(pages)
            else:
                va, pid, real, ctx, tte = random_page(rng, pids)
            op = ("demap", kind, pid, real, ctx, va | rng.getrandbits(13))
        await sb.cycle(lookup, op)
    await sb.cycle()
    dt = time.perf_counter() - t0
    report(dut, sb.cov, sb.cycles, dt)
    cov = sb.cov.bins
    assert set(cov["hit_page_size"]) == {"8K", "64K", "4M", "256M"}
    assert len(cov["hit_partition"]) == 8
    assert {"used_bit_victim", "same_tag_or_free", "explicit_index", "invalidate"} <= set(cov["write"])
    assert {"page_hit", "context_hit", "all_hit"} <= set(cov["demap"])
    assert "mapped_in_other_partition" in cov["miss"]
