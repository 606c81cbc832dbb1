"""One point of a study: a real full-system run of the machine (issue 13 §1-2).

`run_point(pt)` boots the point's platform with its domains (the `sun4v boot` System:
the project's firmware hypervisor binds the domains, each runs the project's guest
kernel with its workload), runs `warmup` seconds of simulated time from power-on, then
measures for `time` seconds in `samples` equal intervals and returns the point's row:

- per domain: throughput (work units per simulated second, from the guest kernel's
  counters page: the per-vCPU `progress` counts, sun4v/guest/counters.h), utilisation
  average / peak / P95 over the intervals (time its vCPUs did not yield to the
  hypervisor: the hypervisor's yielded %stick ticks, as `sun4v boot` reports it),
  instructions, and in cycle mode CPI (busy cycles per instruction on its strands) and
  `timing`: its strands' awake cycles by reason and L2 accesses and misses, per
  instruction (what --fast calibrates on);
- machine: instructions, and in cycle mode the L2 miss rate and the memory bandwidth
  over the interval (the cycle model's counters); these are null in functional mode,
  which has no timing (one instruction per strand per step);
- the heatmap: per strand, the utilisation of each interval, and the domain owning it;
- the placement: per domain its strands, cores, memory, and the cores it shares.

Units: times in seconds of simulated time, throughput in units/s, bandwidth in GB/s.
A point that cannot run (a hypervisor panic, a domain whose workload is not running at
the end of the warm-up) raises PointError with one line."""
from __future__ import annotations

import math

UNITS = {"int": "units", "mem": "passes", "fp": "kilo-intervals", "mix": "requests",
         "idle": "", "program": "runs"}         # program: progpoint.py


class PointError(Exception):
    """A point that did not run, in one line."""


def boot_config(pt):
    """The point's `sun4v boot` configuration (BootConfig) with its Platform value."""
    from ..boot.config import BootConfig, DomainConfig
    from .scenario import PlatformSpec
    ps = pt["platform"]
    p = PlatformSpec(ps["name"], ps["base"], dict(ps["changes"])).build()
    doms = tuple(DomainConfig(d["name"], d["vcpus"], d["cores"], d["memory"], d["workload"],
                              dict(d["params"])) for d in pt["domains"])
    return BootConfig(p, doms, f"whatif:{pt.get('scenario', '')}")


def _percentile(xs, q):
    """The q-quantile (0..1) of xs, linear interpolation between order statistics."""
    xs = sorted(xs)
    if not xs:
        return 0.0
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def _busy_cycles(row):
    c = row.get("cycles", {})
    return sum(v for k, v in c.items()
               if k not in ("wait_halted", "wait_parked", "wait_not_started"))


class _Probe:
    """Snapshots of a running System: per strand (life, yielded) %stick ticks of the
    vCPU on it, per domain progress, machine counters."""

    def __init__(self, sysm):
        from ..guest.hostif import Counters, DomainMemory
        self.s = sysm
        self.counters = {}
        for d in sysm.bindings.domains:
            dm = DomainMemory(sysm.m, [(b.ra, b.pa, b.size) for b in d.mblocks])
            self.counters[d.name] = Counters(dm)
        self.gid_name = {d.gid: d.name for d in sysm.bindings.domains}

    def take(self):
        s = self.s
        strands = {}
        for v in s.hv.vcpus():
            if not v.start_stick or v.strand < 0:
                continue
            end = s.stick_now(v.strand)
            life = max(0, end - v.start_stick)
            y = v.yield_count
            if v.yield_start and v.state == "running":
                y += max(0, end - v.yield_start)
            strands[v.strand] = (life, min(y, life), self.gid_name.get(v.guest, ""))
        doms = {}
        for name, c in self.counters.items():
            if c.ready():
                r = c.read()
                doms[name] = {"state": r["state"],
                              "progress": sum(x["progress"] for x in r["cpus"].values())}
            else:
                doms[name] = {"state": "booting", "progress": 0}
        st = s.m.stats()
        mach = {"instructions": int(st["instructions"]),
                "strand_insns": {r["id"]: int(r["instructions"]) for r in st["strands"]}}
        if st.get("mode") == "cycle":
            mach["strand_busy"] = {r["id"]: _busy_cycles(r) for r in st["strands"]}
            mach["strand_cycles"] = {r["id"]: dict(r.get("cycles", {})) for r in st["strands"]}
            mach["strand_l2"] = {r["id"]: (int(r.get("l2_accesses", 0)),
                                           int(r.get("l2_misses", 0))) for r in st["strands"]}
            l2 = st.get("l2", {})
            mach["l2"] = (int(l2.get("accesses", 0)), int(l2.get("misses", 0)))
            mach["mem_bytes"] = int(st.get("memory", {}).get("bytes", 0))
        return {"strands": strands, "domains": doms, "machine": mach}


def _timing(m0, m1, pids, insns):
    """A domain's strands over the interval, per instruction (cycle mode): their awake
    cycles by what they did (running, ready: runnable but not picked, wait_<reason>),
    and their L2 accesses and misses (cmt/cycle.py stats)."""
    cyc = {}
    acc = mis = 0
    for s in pids:
        a, b = m0["strand_cycles"].get(s, {}), m1["strand_cycles"].get(s, {})
        for k in set(a) | set(b):
            if k in ("wait_halted", "wait_parked", "wait_not_started"):
                continue
            cyc[k] = cyc.get(k, 0) + b.get(k, 0) - a.get(k, 0)
        a2, b2 = m0["strand_l2"].get(s, (0, 0)), m1["strand_l2"].get(s, (0, 0))
        acc += b2[0] - a2[0]
        mis += b2[1] - a2[1]
    out = {k: round(v / insns, 6) for k, v in sorted(cyc.items()) if v}
    out["l2_accesses"] = round(acc / insns, 6)
    out["l2_misses"] = round(mis / insns, 6)
    return out


def run_point(pt: dict) -> dict:
    """Run the point; its result (a dict of plain data, see the module docstring)."""
    from ..boot.config import BootError
    from ..boot.system import System
    if any(d["workload"] == "program" for d in pt["domains"]):
        from .progpoint import run_program_point
        return run_program_point(pt)
    from .warm import warmed_system

    def build():
        try:
            return System(boot_config(pt), mode=pt["mode"])
        except (BootError, ValueError) as e:
            raise PointError(f"cannot build the machine: {e}") from None
    hz = boot_config(pt).platform.clock_hz
    t0 = int(round(pt["warmup"] * hz))
    sysm, r = warmed_system(pt, build, t0)     # or forked from its saved warm-up (warm.py)
    if r is not None and r.reason != "until":
        raise PointError(f"warm-up ended early: {r.reason} {r.detail}".strip())
    probe = _Probe(sysm)
    snaps = [probe.take()]
    for name, d in snaps[0]["domains"].items():
        if d["state"] not in ("running", "idle"):
            raise PointError(f"domain {name}: its workload is not running at the end of "
                             f"the warm-up ({d['state']}); make study.warmup longer")
    n = pt["samples"]
    span = int(round(pt["time"] * hz))
    for k in range(1, n + 1):
        r = sysm.run(until=t0 + span * k // n)
        if r.reason != "until":
            raise PointError(f"the run ended at {sysm.seconds * 1e3:.3f} ms: {r.reason} "
                             f"{r.detail}".strip())
        snaps.append(probe.take())
    return _result(pt, sysm, snaps)


def _result(pt, sysm, snaps):
    secs = pt["time"]
    first, last = snaps[0], snaps[-1]
    b = sysm.bindings
    spc = sysm.platform.strands_per_core
    owner = {}
    for d in b.domains:
        for s in d.pids():
            owner[s] = d.name
    # per strand utilisation of every interval
    strands = sorted(owner)
    heat = []
    for s in strands:
        row = []
        for a, c in zip(snaps, snaps[1:]):
            la, ya, _ = a["strands"].get(s, (0, 0, ""))
            lc, yc, _ = c["strands"].get(s, (0, 0, ""))
            dl = lc - la
            row.append(round(1 - (yc - ya) / dl, 4) if dl > 0 else 0.0)
        heat.append(row)
    split = {c for c in range(sysm.platform.cores)
             if len({owner[s] for s in range(c * spc, (c + 1) * spc) if s in owner}) > 1}
    cycle = "strand_busy" in last["machine"]
    doms = []
    for d in b.domains:
        spec = next(x for x in pt["domains"] if x["name"] == d.name)
        pids = d.pids()
        idx = [strands.index(s) for s in pids]
        per_int = []
        for k in range(len(snaps) - 1):
            vals = [heat[i][k] for i in idx]
            per_int.append(sum(vals) / len(vals) if vals else 0.0)
        life = sum(last["strands"].get(s, (0, 0, ""))[0] - first["strands"].get(s, (0, 0, ""))[0]
                   for s in pids)
        yl = sum(last["strands"].get(s, (0, 0, ""))[1] - first["strands"].get(s, (0, 0, ""))[1]
                 for s in pids)
        units = last["domains"][d.name]["progress"] - first["domains"][d.name]["progress"]
        insns = sum(last["machine"]["strand_insns"].get(s, 0)
                    - first["machine"]["strand_insns"].get(s, 0) for s in pids)
        cpi = timing = None
        if cycle and insns:
            busy = sum(last["machine"]["strand_busy"].get(s, 0)
                       - first["machine"]["strand_busy"].get(s, 0) for s in pids)
            cpi = round(busy / insns, 4)
            timing = _timing(first["machine"], last["machine"], pids, insns)
        cores = sorted({s // spc for s in pids})
        doms.append({
            "name": d.name, "workload": spec["workload"], "params": spec["params"],
            "sources": spec["sources"], "vcpus": len(pids),
            "whole_core": bool(spec["cores"]), "strands": pids, "cores": cores,
            "split_cores": [c for c in cores if c in split], "memory": d.memory(),
            "unit": UNITS[spec["workload"]],
            "throughput": round(units / secs, 3),
            "util_avg": round(1 - yl / life, 4) if life else 0.0,
            "util_peak": round(max(per_int), 4) if per_int else 0.0,
            "util_p95": round(_percentile(per_int, 0.95), 4),
            "instructions": insns, "cpi": cpi, "timing": timing,
            "state": last["domains"][d.name]["state"]})
    m0, m1 = first["machine"], last["machine"]
    l2_rate = bw = None
    if cycle:
        acc = m1["l2"][0] - m0["l2"][0]
        mis = m1["l2"][1] - m0["l2"][1]
        l2_rate = round(mis / acc, 6) if acc else 0.0
        bw = round((m1["mem_bytes"] - m0["mem_bytes"]) / secs / 1e9, 4)
    p = sysm.platform
    return {
        "domains": doms,
        "instructions": m1["instructions"] - m0["instructions"],
        "l2_miss_rate": l2_rate, "memory_bandwidth_GBps": bw,
        "platform_strands": p.strands, "platform_cores": p.cores,
        "strands_per_core": spc, "clock_mhz": p.chip.clock_mhz,
        "split_cores": sorted(split),
        "heatmap": {"strands": strands, "owner": [owner[s] for s in strands],
                    "interval_s": secs / (len(snaps) - 1), "util": heat},
    }
