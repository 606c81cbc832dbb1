"""The cocotb side of `sun4v cosim` (this module runs inside the RTL simulator).

One cocotb test, :func:`cosim`, reads the configuration the command wrote
(SUN4V_COSIM_CONFIG), runs the pure model once, then runs it again in a thread bridged
into cocotb (``cocotb.task.bridge``) with an RTL unit making the decisions, and writes
both runs' comparison to the result file (SUN4V_COSIM_RESULT).

The model code stays synchronous: each time it needs a decision it calls a blocking
function made with ``cocotb.task.resume``, which drives the DUT's inputs, waits 1 ns for
the combinational outputs to settle, reads them and, where the model's cycle ends, gives
the clock its rising edge.  The simulator only advances inside those calls; the clock
is driven from here, not free-running.

thread_select (toplevel: the generated wrapper, one thread_select per thread group).
  Within one model cycle several groups are decided; each decided group's ready/spec
  are held, and when the model asks about a later cycle (or the run ends) one rising
  edge updates every instance's LRU order, after which all inputs go back to zero (a
  group with ready = spec = 0 has valid = 0 and keeps its order).  Idle cycles the
  model skips need no edges.
xbar_domain (toplevel: rtl/xbar_domain.v with N = the platform's crossbar ports).
  A service-processor write is a configuration-only cycle (arb_en = 0: the write lands
  at the edge, rr/busy hold); the arrivals of one crossbar cycle are checked together on
  the rx_* side before its arbitration; the arbitration is one arb_en = 1 cycle: inputs,
  settle, read grant/blocked, rising edge.
"""
from __future__ import annotations

import json
import os
import time
import traceback
from pathlib import Path

import cocotb
from cocotb.task import bridge, resume
from cocotb.triggers import Timer

from ..crossbar.xbar import NO_DOMAIN
from . import xbar_domain as XD
from .wrapper import index_width


async def _settle():
    await Timer(1, unit="ns")


async def _reset(dut):
    """A real falling edge of rst_n (Verilator starts every signal at 0, where writing 0
    would be no edge at all and the asynchronous reset would never happen), and a clock
    edge inside reset too."""
    dut.clk.value = 0
    dut.rst_n.value = 1
    await _settle()
    dut.rst_n.value = 0
    await _settle()
    dut.clk.value = 1
    await _settle()
    dut.clk.value = 0
    await _settle()
    dut.rst_n.value = 1
    await _settle()


# ---- thread select ----------------------------------------------------------------------------
class RtlThreadSelect:
    """Decider whose picks come from the chip's thread_select instances.

    perturb=K (testing): at the K-th decision the model's own pick is masked out of the
    ready/spec inputs the RTL sees, so the RTL picks another candidate strand, or none
    when there was no other: a deliberately different decision the comparison must
    catch."""
    name = "rtl"

    def __init__(self, dut, ngroups, per_group, perturb=None):
        self.dut = dut
        self.ngroups = ngroups
        self.n = per_group
        self.iw = index_width(per_group)
        self.full = (1 << per_group) - 1
        self.ready = 0            # the flattened vectors on the DUT's inputs
        self.spec = 0
        self.cycle = None         # model cycle whose decisions are held on the inputs
        self.decisions = 0
        self.edges = 0
        self.perturb = perturb
        self.perturbed = None
        self.decide_rtl = resume(self._decide)
        self.finish = resume(self._finish)

    async def _edge(self):
        """One rising edge for every instance, then all inputs back to zero."""
        dut = self.dut
        dut.clk.value = 1
        await _settle()
        dut.clk.value = 0
        self.ready = self.spec = 0
        self.edges += 1

    async def _decide(self, now, g, ready, spec):
        dut = self.dut
        if self.cycle is not None and now != self.cycle:
            await self._edge()
        self.cycle = now
        sh = g * self.n
        keep = ~(self.full << sh)
        self.ready = (self.ready & keep) | (ready << sh)
        self.spec = (self.spec & keep) | (spec << sh)
        dut.ready.value = self.ready
        dut.spec.value = self.spec
        await _settle()
        if not (int(dut.valid.value) >> g) & 1:
            return -1
        return (int(dut.pick.value) >> (g * self.iw)) & ((1 << self.iw) - 1)

    async def _finish(self):
        if self.cycle is not None:
            await self._edge()
            self.dut.ready.value = 0
            self.dut.spec.value = 0
            self.cycle = None
            await _settle()

    def decide(self, now, g, ready, spec, model_pick):
        self.decisions += 1
        if self.decisions == self.perturb and model_pick >= 0:
            self.perturbed = [now, g, ready, spec, model_pick]
            ready &= ~(1 << model_pick)
            spec &= ~(1 << model_pick)
        return self.decide_rtl(now, g, ready, spec)

    def report(self):
        return {"rtl_decisions": self.decisions, "rtl_edges": self.edges,
                "perturbed": self.perturbed}


async def _thread_select(dut, cfg):
    from . import thread_select as TS          # the CMT engine: imported only when needed
    ngroups, per_group = TS.groups_of(cfg["chip"])
    out_dir = cfg["out_dir"]
    model = TS.run_program(cfg, TS.ModelDecider(), out_dir)
    rtl_unit = RtlThreadSelect(dut, ngroups, per_group, cfg.get("perturb"))
    rtl_cfg = dict(cfg)
    cap = None
    if not cfg.get("max_cycles"):
        # identical runs end together; a diverged one may never end (an RTL that stops
        # picking a strand starves it): it is stopped at twice the model run's length
        cap = rtl_cfg["max_cycles"] = 2 * model["cycles"] + TS.RUNAWAY_SLACK
    rtl = await bridge(TS.run_program)(rtl_cfg, rtl_unit, out_dir)
    res = TS.compare(model, rtl)
    res.update(rtl_unit.report())
    res["rtl_stopped"] = cap if cap and rtl["status"] == TS.LIMIT_STATUS else None
    res["stdout"] = rtl["stdout"].decode("utf-8", "replace")
    return res


# ---- crossbar domain filter + arbiter -------------------------------------------------------
class RtlXbarUnit(XD.TracedUnit):
    """The crossbar's filter/arbiter unit answered by rtl/xbar_domain.v.

    The Python registers inherited from FilterArbiter are only the service processor's
    own copy of what it wrote (for showxbar); every decision and the register dump
    (``registers``, used when the crossbar state is saved) come from the RTL.

    perturb=K (testing): from the K-th crossbar cycle with requests on, in the first
    cycle in which the RTL grants or blocks something, the lowest such input's request is
    hidden from the RTL before the clock edge, so it is neither granted nor blocked."""
    name = "rtl"

    def __init__(self, xbar, dut, params, perturb=None):
        super().__init__(xbar)
        self.dut = dut
        self.pw = max(1, (self.ports - 1).bit_length())
        self.lw = params["LW"]
        self.dw = params["DW"]
        self.perturb = perturb
        self.perturbed = None
        self.requesting = 0
        self.rx_cycle = -1
        self.rx_known: dict[tuple[int, int], bool] = {}
        self.rtl_calls = {"sp": 0, "rx": 0, "arb": 0}
        self.sp_write = resume(self._sp_write)
        self.rx_check = resume(self._rx_check)
        self.arbitrate = resume(self._arbitrate)
        self.read_registers = resume(self._read_registers)

    # ---- on the simulator's side ----------------------------------------------------------
    async def _sp_write(self, port, did_valid, did, mask):
        dut = self.dut
        dut.arb_en.value = 0
        dut.req_valid.value = 0
        dut.rx_valid.value = 0
        dut.sp_we.value = 1
        dut.sp_port.value = port
        dut.sp_did_valid.value = did_valid
        dut.sp_did.value = did
        dut.sp_mask.value = mask
        await _settle()
        dut.clk.value = 1
        await _settle()
        dut.clk.value = 0
        dut.sp_we.value = 0

    async def _rx_check(self, valid, tags):
        dut = self.dut
        dut.rx_valid.value = valid
        dut.rx_did.value = tags
        await _settle()
        return int(dut.rx_accept.value)

    async def _arbitrate(self, valid, dst, ln, perturb=False):
        dut = self.dut
        dut.arb_en.value = 1
        dut.sp_we.value = 0
        dut.rx_valid.value = 0
        dut.req_valid.value = valid
        dut.req_dst.value = dst
        dut.req_len.value = ln
        await _settle()
        gm, bm = int(dut.grant.value), int(dut.blocked.value)
        hidden = -1
        if perturb and gm | bm:
            hidden = ((gm | bm) & -(gm | bm)).bit_length() - 1
            dut.req_valid.value = valid & ~(1 << hidden)
            await _settle()
            gm, bm = int(dut.grant.value), int(dut.blocked.value)
        dut.clk.value = 1
        await _settle()
        dut.clk.value = 0
        return gm, bm, hidden

    async def _read_registers(self):
        dut = self.dut
        return (int(dut.dvalid.value), int(dut.did.value), int(dut.mask.value),
                int(dut.rr.value), int(dut.busy.value))

    # ---- the unit's decisions -----------------------------------------------------------------
    def _write(self, port, did, mask):
        self.rtl_calls["sp"] += 1
        self.rx_cycle = -1
        self.sp_write(port, int(did != NO_DOMAIN), max(did, 0), mask)

    def _tag(self, did):
        if not 0 <= did < (1 << self.dw):
            raise XD.Unsupported(f"a transaction tagged DID {did} cannot be presented to the "
                                 f"RTL's {self.dw}-bit receive check")
        return did

    def _accepts(self, dst, did):
        """The arrivals of this cycle still in the pipeline are checked with this one, in
        one settle of the rx_* side (their registers cannot change before the cycle's
        arbitration)."""
        cyc = self.xbar.cycle
        if cyc != self.rx_cycle:
            self.rx_cycle = cyc
            self.rx_known = {}
        key = (dst, did)
        if key not in self.rx_known:
            batch = {dst: self._tag(did)}
            for due, tx in self.xbar.pipe:
                if due > cyc:
                    break
                if tx[1] not in batch and 0 <= tx[2] < (1 << self.dw):
                    batch[tx[1]] = tx[2]
            valid = tags = 0
            for o, d in batch.items():
                valid |= 1 << o
                tags |= d << (o * self.dw)
            self.rtl_calls["rx"] += 1
            acc = self.rx_check(valid, tags)
            for o, d in batch.items():
                self.rx_known[(o, d)] = bool((acc >> o) & 1)
        return self.rx_known[key]

    def _step(self, req_dst, req_len):
        if self.limit is not None and self.rtl_calls["arb"] >= self.limit:
            raise XD.Runaway(self.xbar.cycle)
        valid = dst = ln = 0
        for s, d in enumerate(req_dst):
            if d >= 0:
                valid |= 1 << s
                dst |= d << (s * self.pw)
                ln |= req_len[s] << (s * self.lw)
        perturb = False
        if valid:
            self.requesting += 1
            perturb = (self.perturb is not None and self.perturbed is None
                       and self.requesting >= self.perturb)
        self.rtl_calls["arb"] += 1
        gm, bm, hidden = self.arbitrate(valid, dst, ln, perturb)
        if hidden >= 0:
            self.perturbed = [self.xbar.cycle, hidden]
        n = self.ports
        return [bool((gm >> s) & 1) for s in range(n)], [bool((bm >> s) & 1) for s in range(n)]

    def registers(self):
        dvalid, did, mask, rr, busy = self.read_registers()
        n, dw, pw, lw = self.ports, self.dw, self.pw, self.lw
        field = lambda v, i, w: (v >> (i * w)) & ((1 << w) - 1)
        return dict(
            domain=[field(did, p, dw) if (dvalid >> p) & 1 else NO_DOMAIN for p in range(n)],
            mask=[field(mask, p, n) for p in range(n)],
            rr=[field(rr, o, pw) for o in range(n)],
            busy=[field(busy, o, lw) for o in range(n)])


async def _xbar_domain(dut, cfg):
    params = cfg["parameters"]
    model = XD.run_session(cfg, XD.TracedUnit)
    units = []

    def make_unit(xbar):
        units.append(RtlXbarUnit(xbar, dut, params, cfg.get("perturb")))
        # a diverged run may never drain: stopped at twice the model run's length
        units[0].limit = 2 * model["cycles"] + XD.RUNAWAY_SLACK
        return units[0]
    rtl = await bridge(XD.run_session)(cfg, make_unit)
    res = XD.compare(model, rtl)
    res["rtl_stopped"] = rtl["runaway"]
    res["rtl_calls"] = units[0].rtl_calls
    res["perturbed"] = units[0].perturbed
    res["transcript"] = rtl["transcript"]
    return res


# ---- the test ----------------------------------------------------------------------------------
@cocotb.test()
async def cosim(dut):
    """Both runs and their comparison; failures of the model or the session are written
    to the result file (the command reports them), not raised."""
    cfg = json.loads(Path(os.environ["SUN4V_COSIM_CONFIG"]).read_text())
    result = {"unit": cfg["unit"], "sim_name": cocotb.SIM_NAME,
              "sim_version": cocotb.SIM_VERSION}
    here = os.getcwd()
    os.chdir(cfg["cwd"])
    t0 = time.perf_counter()
    try:
        await _reset(dut)
        if cfg["unit"] == "thread_select":
            result.update(await _thread_select(dut, cfg))
        else:
            result.update(await _xbar_domain(dut, cfg))
    except (XD.SessionError, XD.Unsupported) as e:
        result["refused"] = str(e)
    except Exception as e:      # reported by the command with the traceback in the log
        result["error"] = f"{type(e).__name__}: {e}"
        result["traceback"] = traceback.format_exc()
        dut._log.error("%s", result["traceback"])
    finally:
        os.chdir(here)
        result["sim_seconds"] = time.perf_counter() - t0
        out = Path(os.environ["SUN4V_COSIM_RESULT"])
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(out)
