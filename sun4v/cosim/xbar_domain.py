"""The crossbar's domain filter and arbiter in the loop: an XSCF session on the M-series
(or E10000) model with every FilterArbiter decision made by something outside the model.

The crossbar model (sun4v.crossbar.xbar.Crossbar) calls its filter/arbiter unit three ways:
``step`` once per crossbar cycle (grants and isolation blocks), ``accepts`` for each
arriving transaction (the destination's domain check) and ``set_port`` whenever the
service processor programs a port (domain configuration, power, DR).  A
:class:`TracedUnit` sits in that place and records every call and its answer:

- :class:`TracedUnit` itself answers with FilterArbiter (the pure-model run), and
- the RTL unit of sun4v.cosim.tb answers from rtl/xbar_domain.v under the simulator: a
  set_port is one write on its service-processor port (a configuration-only cycle,
  arb_en=0), a step one crossbar cycle, an accepts its receive-side check.

:func:`run_session` runs one XSCF session (by default :func:`default_script`, a layout
of several domains with ordinary, cross-domain and congesting traffic and a DR move
under load) and :func:`compare` says whether two runs made the same decisions, printed
the same and ended in the same crossbar state.
"""
from __future__ import annotations

import io
import time

from ..crossbar.catalogue import PlatformModel, platform
from ..crossbar.system import System
from ..crossbar.traffic import KIND_BYTES
from ..crossbar.xbar import NO_DOMAIN, FilterArbiter
from ..crossbar.xscf import Shell

DW = 5            # rtl/xbar_domain.v domain ID width used here
LW = 4            # request length width
DEFAULT_CYCLES = 2000


class SessionError(Exception):
    """A command of the session failed (the message is the XSCF error)."""


class Runaway(Exception):
    """A diverged run went on far past the model run's length (it may never drain)."""


RUNAWAY_SLACK = 10_000      # a diverged RTL run is stopped at 2 x model cycles + this


class Unsupported(Exception):
    """The platform needs something rtl/xbar_domain.v cannot express."""


def rtl_parameters(model: PlatformModel) -> dict:
    """The RTL parameters matching `model`'s crossbar, or Unsupported saying why not."""
    n = model.ports
    if n < 2:
        raise Unsupported(f"the {model.name} has a single crossbar port and one domain: "
                          "there is no crossbar arbitration to co-simulate")
    if model.max_domains > (1 << DW):
        raise Unsupported(f"the {model.name} has {model.max_domains} domains; the RTL holds "
                          f"{DW}-bit domain IDs (at most {1 << DW})")
    longest = max(-(-b // model.xbar.port_bytes_per_cycle) for b in KIND_BYTES.values())
    if longest >= (1 << LW):
        raise Unsupported(f"a {model.name} transfer occupies a port {longest} cycles; the RTL "
                          f"counts at most {(1 << LW) - 1}")
    return {"N": n, "DW": DW, "LW": LW, "MODE": 0 if model.filter_mode == "did" else 1}


class TracedUnit(FilterArbiter):
    """FilterArbiter that records each decision the crossbar asks of it.

    trace entries (the crossbar cycle first):
      ("sp", cycle, port, did, mask)                        a port programmed
      ("rx", cycle, dst, did, accepted)                     an arrival checked
      ("arb", cycle, req_dst, req_len, grant, blocked)      one crossbar cycle; req_dst
                                                            and req_len tuples per input,
                                                            grant/blocked as bit masks
    The pure-model run also counts what the traffic exercised (``counts``)."""
    name = "model"

    def __init__(self, xbar):
        super().__init__(xbar.n, xbar.unit.mode)
        self.xbar = xbar
        self.trace: list[tuple] = []
        self.limit = None              # crossbar cycles after which the run is abandoned
        self.counts = {"crossbar_cycles": 0, "sp_writes": 0, "grants": 0, "blocked": 0,
                       "contended_outputs": 0, "backpressure_outputs": 0,
                       "rx_accepted": 0, "rx_rejected": 0}

    # ---- the three decisions (the RTL unit overrides these) ---------------------------
    def _write(self, port: int, did: int, mask: int) -> None:
        """The register write itself: FilterArbiter.set_port has already updated the
        service processor's copy of the port registers."""

    def _accepts(self, dst: int, did: int) -> bool:
        return FilterArbiter.accepts(self, dst, did)

    def _step(self, req_dst, req_len):
        busy = list(self.busy)
        grant, blocked = FilterArbiter.step(self, req_dst, req_len)
        per_out: dict[int, int] = {}
        for s, d in enumerate(req_dst):
            if d >= 0 and not blocked[s]:
                per_out[d] = per_out.get(d, 0) + 1
        c = self.counts
        for o, k in per_out.items():
            if busy[o]:
                c["backpressure_outputs"] += 1
            elif k > 1:
                c["contended_outputs"] += 1
        return grant, blocked

    def finish(self) -> None:
        """End of the run (the RTL unit completes its last cycle)."""

    # ---- FilterArbiter's interface ----------------------------------------------------------
    def set_port(self, port: int, did: int, mask: int = 0) -> None:
        FilterArbiter.set_port(self, port, did, mask)
        self._write(port, did, self.mask[port])
        self.counts["sp_writes"] += 1
        self.trace.append(("sp", self.xbar.cycle, port, did, self.mask[port]))

    def accepts(self, dst: int, did: int) -> bool:
        ok = bool(self._accepts(dst, did))
        self.counts["rx_accepted" if ok else "rx_rejected"] += 1
        self.trace.append(("rx", self.xbar.cycle, dst, did, ok))
        return ok

    def step(self, req_dst, req_len):
        grant, blocked = self._step(req_dst, req_len)
        gm = sum(1 << s for s, x in enumerate(grant) if x)
        bm = sum(1 << s for s, x in enumerate(blocked) if x)
        c = self.counts
        c["crossbar_cycles"] += 1
        c["grants"] += bin(gm).count("1")
        c["blocked"] += bin(bm).count("1")
        self.trace.append(("arb", self.xbar.cycle, tuple(req_dst),
                           tuple(l if d >= 0 else 0 for d, l in zip(req_dst, req_len)), gm, bm))
        return grant, blocked


# ---- the session ------------------------------------------------------------------------------
def default_script(model: PlatformModel, cycles: int = DEFAULT_CYCLES) -> str:
    """An XSCF session for `model`: every PSB divided into Quad-XSBs where it can be,
    two to four domains (the last with the platform's highest DID) and one XSB left in
    the pool; traffic in three phases of `cycles` in all:
      1. every domain's own traffic, one domain aiming all of it at one memory board
         (contention and backpressure on that port);
      2. as 1, plus a second domain sending its memory traffic to the first domain's
         board (isolation: the crossbar blocks it);
      3. after DR: the pool XSB configured into the first domain, and a board of the
         first domain moved to the second under load (quiesce, drain, port reprogrammed).
    """
    rtl_parameters(model)
    if not model.dr_capable:
        raise Unsupported(f"the {model.name} does not support DR; give a --script")
    per = 4 if model.quad_capable else 1
    xsbs = [f"{s:02d}-{q}" for s in range(model.slots) for q in range(per)]
    spare, pool = xsbs[-1], xsbs[:-1]
    n = len(pool)
    ndom = min(model.max_domains, 4 if n >= 12 else 3 if n >= 6 else 2)
    dids = list(range(ndom - 1)) + [model.max_domains - 1]
    size, extra = divmod(n, ndom)
    cap = min(model.max_xsbs_per_domain, model.max_lsb) - 1     # room for one more by DR
    chunks, k = [], 0
    for i in range(ndom):
        m = min(size + (1 if i < extra else 0), cap)
        chunks.append(pool[k:k + m])
        k += m
    a, b = dids[0], dids[1]
    mover = chunks[0][-1]
    lines = []
    if model.quad_capable:
        lines += [f"setupfru -x 4 sb {s}" for s in range(model.slots)]
    for i, did in enumerate(dids):
        members = list(chunks[i]) + ([spare] if i == 0 else []) + ([mover] if i == 1 else [])
        lines.append(f"setdcl -d {did} -a " + " ".join(f"{j}={x}" for j, x in enumerate(members)))
    for i, did in enumerate(dids):
        lines.append(f"addboard -c assign -d {did} " + " ".join(chunks[i]))
    lines.append("poweron -a")
    hot = dids[2] if ndom > 2 else a            # all its memory traffic to one board
    rates = {a: 40, b: 50}
    for did in dids:
        r = rates.get(did, 30)
        if did == hot:
            lines.append(f"settraffic -d {did} -r 90 -w 30 -i 2 -o 5 -a 0-1024")
        else:
            lines.append(f"settraffic -d {did} -r {r} -w 30 -i 2 -o 5")
    p1 = max(1, cycles * 2 // 5)
    p2 = max(1, cycles * 3 // 10)
    p3 = max(1, cycles - p1 - p2)
    lines.append(f"runtraffic -n {p1}")
    lines.append(f"settraffic -d {b} -t {chunks[0][0]}")
    lines.append(f"runtraffic -n {p2}")
    lines.append(f"settraffic -d {b} -t none")
    lines.append(f"addboard -c configure -d {a} {spare}")
    lines.append(f"moveboard -c configure -d {b} {mover}")
    lines.append(f"runtraffic -n {p3}")
    lines.append("showxbar")
    return "\n".join(lines) + "\n"


def run_session(cfg: dict, make_unit) -> dict:
    """Run cfg's XSCF session (platform, seed, script) with the unit `make_unit(xbar)`
    in the crossbar.  Returns the run's record."""
    model = platform(cfg["platform"])
    system = System(model, seed=int(cfg.get("seed", 1)))
    xb = system.xbar
    unit = make_unit(xb)
    xb.unit = unit
    out, err = io.StringIO(), io.StringIO()
    sh = Shell(system, None, out=out, err=err)
    sh.echo = True
    t0 = time.perf_counter()
    runaway = None
    try:
        for line in cfg["script"].splitlines():
            sh.run_line(line)
            if sh.failures:
                raise SessionError(f"the session's command '{line.strip()}' failed: "
                                   f"{err.getvalue().strip()}")
            if sh.exit_requested:
                break
    except Runaway as e:
        runaway = e.args[0]
    finally:
        unit.finish()
    wall = time.perf_counter() - t0
    final = xb.to_dict() if xb.idle() else {"in_flight": xb.in_flight()}
    return {"tag": unit.name, "trace": unit.trace, "counts": dict(unit.counts),
            "transcript": out.getvalue(), "final": final, "cycles": xb.cycle,
            "errors": xb.cross_domain_deliveries, "conserved": xb.conserved(),
            "wall": wall, "runaway": runaway}


def describe(entry) -> str:
    """One trace entry in words."""
    if entry is None:
        return "nothing (the run had ended)"
    kind, cyc = entry[0], entry[1]
    if kind == "sp":
        _, _, port, did, mask = entry
        return (f"cycle {cyc}: service processor sets port {port} to "
                f"{'no domain' if did == NO_DOMAIN else f'DID {did:02d}'} (mask {mask:#x})")
    if kind == "rx":
        _, _, dst, did, ok = entry
        return (f"cycle {cyc}: transaction of DID {did:02d} arriving at port {dst} "
                f"{'accepted' if ok else 'rejected'}")
    _, _, dst, ln, gm, bm = entry
    reqs = ", ".join(f"{s}->{d}" + (f"x{ln[s]}" if ln[s] > 1 else "")
                     for s, d in enumerate(dst) if d >= 0) or "none"
    bits = lambda m: "[" + ",".join(str(s) for s in range(len(dst)) if (m >> s) & 1) + "]"
    return f"cycle {cyc}: requests {reqs}: grants {bits(gm)} blocked {bits(bm)}"


def compare(model: dict, rtl: dict) -> dict:
    a, b = model["trace"], rtl["trace"]
    n = min(len(a), len(b))
    first = next((i for i in range(n) if a[i] != b[i]), n if len(a) != len(b) else None)
    kinds = {"arb": 0, "rx": 0, "sp": 0}
    for e in a[:n if first is None else first]:
        kinds[e[0]] += 1
    out = {
        "events_model": len(a), "events_rtl": len(b),
        "events_compared": n if first is None else first,
        "compared_by_kind": kinds,
        "trace_identical": first is None,
        "first_divergence": None,
        "cycles_model": model["cycles"], "cycles_rtl": rtl["cycles"],
        "transcript_identical": model["transcript"] == rtl["transcript"],
        "final_identical": model["final"] == rtl["final"],
        "counts": model["counts"],
        "cross_domain_deliveries": [model["errors"], rtl["errors"]],
        "conserved": [model["conserved"], rtl["conserved"]],
        "model_seconds": model["wall"], "rtl_seconds": rtl["wall"],
    }
    if first is not None:
        ea = a[first] if first < len(a) else None
        eb = b[first] if first < len(b) else None
        out["first_divergence"] = {"index": first, "model": describe(ea), "rtl": describe(eb)}
    out["identical"] = bool(out["trace_identical"] and out["transcript_identical"]
                            and out["final_identical"]
                            and out["cycles_model"] == out["cycles_rtl"])
    return out
