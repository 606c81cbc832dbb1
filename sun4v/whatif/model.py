"""`--fast`: an analytic model of the points, calibrated from real runs the study makes
itself, with its error measured against real runs on a sample (issue 13 §3).

The model, per guest domain (its workload threads T, vCPUs v, the platform's clock f):
- every worker thread is runnable a fraction b of the time: a `mix` worker sleeps
  (100 - duty) / duty times as long as its request took (sun4v/guest/wl_mix.c), so it is
  runnable duty/100 of the time however long its requests wait; int, mem and fp workers
  never sleep (b = 1).  b is measured (calibration), and for another duty scaled by
  duty'/duty;
- the runnable threads N ~ Binomial(T, b) queue for the v vCPUs: the strands busy on
  average are B = E[min(N, v)] (a closed queueing network of T customers, think time
  and one station of v servers, in its binomial approximation);
- on the cycle model (the default), each busy strand's instruction rate comes from
  the contention terms of contention.py: per-core queueing of the busy strands (of
  every domain) for their issue pipe (T1: one per core, 4 strands; T2: one per thread
  group of 4), the L2 banks and the DRAM channels (Bard-Schweitzer mean-value analysis
  with M/M/1 L2 banks and channels), from per-instruction figures calibrated on the
  cycle model: pipe cycles, other away cycles and the stall per L2 miss (less the
  queueing of that run) of one strand alone (the pipe's occupancy: the running cycles
  per instruction of the most contended run), the L2 accesses, misses and DRAM lines
  per instruction at each calibrated count of busy strands (the L2's sharing: linear
  between them), and where the guest's scheduler puts B busy threads on v > B vCPUs
  (a blend of spread evenly and packed on the first strands, from the unsaturated
  runs); memory times keep their nanoseconds across clocks.  X = sum over the domain's strands of busy x rate x f /
  (instructions per unit), U = B / v;
- on the functional model (no timing: strands do not contend) each busy strand
  completes r work units per second, measured at the calibration clock f0 and scaled
  by f/f0: X = r * B * f / f0, U = B / v.
Calibration: for each distinct workload (kind and parameters other than threads and
duty) and chip, real runs of one guest domain of T threads on the first candidate
platform with that chip, at 1, T - 1, T and 2T vCPUs: r = X / (U v) from the busiest, and
at each unsaturated one the b that makes E[min(N, v)] equal its measured busy strands
U v; the per-instruction timing of one strand from the 1-vCPU run.  b depends on the
vCPUs: while they outnumber the runnable workers, idle vCPUs yield to the hypervisor
and a sleeping worker's wake-up waits for its vCPU's timer, so b falls from T - 1
vCPUs to T; b(v) is linear in v / T between the calibrated ratios and constant beyond
them.

The FPU (T1's one per chip, T2's one per core) is a queue of the contention terms, its
occupancy per instruction F calibrated (calibrate: the F in [0, the lone strand's unit
waits] that best fits the calibration runs).  The L2 shared with other domains
("l2share"): a domain of B busy strands whose L2 accesses are a share s of all the
domains' (lone rates) sees the L2 as B / s busy strands of its own kind do; when a
point has two guest domains or more, each class is also calibrated at T vCPUs on half
the L2 (half its ways): its figures at 2T busy strands.
Not modelled: the T2+ coherence links; footprints (a domain's share of the L2 follows
its access rate, not its working set).  Its error on the sample is reported;
BOUND is the error it is expected to stay within (relative, on each domain's throughput)."""
from __future__ import annotations

import math

from . import contention
from .point import UNITS

BOUND = 0.15
SAMPLE = 4
# the contention terms (contention.py) and the L2 shared with other domains (predict)
TERMS = contention.TERMS + ("l2share",)


def _binom_min(T, p, v):
    """E[min(N, v)] for N ~ Binomial(T, p)."""
    p = min(1.0, max(0.0, p))
    if p >= 1.0:
        return float(min(T, v))
    if T <= v:
        return T * p
    tot = 0.0
    for n in range(T + 1):
        pr = math.comb(T, n) * p ** n * (1 - p) ** (T - n)
        tot += pr * min(n, v)
    return tot


def class_key(d, chip_key):
    params = {k: v for k, v in d["params"].items() if k not in ("threads", "duty")}
    return (d["workload"], tuple(sorted(params.items())), chip_key)


def _chip_of(pt):
    from .scenario import PlatformSpec
    ps = pt["platform"]
    p = PlatformSpec(ps["name"], ps["base"], dict(ps["changes"])).build()
    return p


def calibration_vcpus(T, free):
    """The vCPU counts a class is calibrated at: 1 (a strand alone: its CPI and misses
    uncontended), T - 1 (vCPUs kept busy: a woken worker is picked up at once), T and 2T
    (idle vCPUs yield and wake late), those that fit."""
    return sorted({v for v in (1, T - 1, T, 2 * T) if 1 <= v <= free})


def calibration_points(points):
    """The calibration runs for `points`: {class key + (vCPUs,): point}; where a point
    has two guest domains or more (they share the L2), also each class at T vCPUs on
    half the L2: {class key + (L2_HALF,): point}."""
    out = {}
    done = set()
    shared = any(sum(d["workload"] != "idle" for d in pt["domains"]) > 1
                 for pt in points)
    for pt in points:
        p = _chip_of(pt)
        for d in pt["domains"]:
            if d["workload"] == "idle":
                continue
            k = class_key(d, p.chip.key)
            if k in done:
                continue
            done.add(k)
            free = p.strands - pt["domains"][0]["vcpus"]
            T = int(d["params"].get("threads", 1))
            vs = calibration_vcpus(T, free)
            for v in vs:
                out[k + (v,)] = {
                    **pt, "layout": "calibration", "vcpus": v, "whole_core": False,
                    "intensity": 1.0,
                    "domains": [dict(pt["domains"][0]),
                                {"name": "cal", "vcpus": v, "cores": 0,
                                 "memory": d["memory"], "workload": d["workload"],
                                 "params": dict(d["params"]), "sources": []}]}
            ch = p.chip
            if shared and ch.l2_ways % 2 == 0 and T in vs:
                # the L2 shared with other domains: T busy strands on half the L2 (half
                # its ways, the same sets) see what 2T strands of it see on all of it
                half = dict(pt["platform"], changes={**pt["platform"]["changes"],
                                                     "l2_size": ch.l2_size // 2,
                                                     "l2_ways": ch.l2_ways // 2})
                out[k + (L2_HALF,)] = {**out[k + (T,)], "layout": "calibration-l2",
                                       "platform": half}
    return out


# the key (in place of the vCPUs) of a class's calibration run on half the L2
L2_HALF = "l2-half"


def calibration_key(pt, chip_key):
    """The calibration_points key of a calibration run's point (its "cal" domain's
    class on chip `chip_key`, then its vCPUs or L2_HALF)."""
    d = next(x for x in pt["domains"] if x["name"] == "cal")
    return class_key(d, chip_key) + (L2_HALF if pt["layout"] == "calibration-l2"
                                      else d["vcpus"],)


def _solve_b(T, v, busy):
    """b with E[min(Binomial(T, b), v)] = busy (bisection; the left side grows with b)."""
    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if _binom_min(T, mid, v) < busy:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def calibrate(cal_rows):
    """{class key: {r, bs: [(vCPUs, b)], duty, threads, clock_mhz}} from the calibration
    rows; ValueError names a calibration that did not run.  A saturated run (its vCPUs
    busy all the time) says nothing about b and gives only r.  A run on half the L2
    (key L2_HALF) gives the L2 figures at twice its busy strands."""
    for row in cal_rows.values():
        if not row.get("result"):
            raise ValueError(f"calibration run {row.get('label', '')} failed: "
                             f"{row.get('error')}")
    halves = {k[:-1]: r for k, r in cal_rows.items() if k[-1] == L2_HALF}
    cal_rows = {k: r for k, r in cal_rows.items() if k[-1] != L2_HALF}
    out = {}
    for k, row in sorted(cal_rows.items(), key=lambda kv: kv[0][-1]):
        if not row.get("result"):
            raise ValueError(f"calibration run {row.get('label', '')} failed: "
                             f"{row.get('error')}")
        cls, v = k[:-1], k[-1]
        res = row["result"]
        d = next(x for x in res["domains"] if x["name"] == "cal")
        busy = d["util_avg"] * d["vcpus"]
        T = int(d["params"].get("threads", 1))
        c = out.setdefault(cls, {"r": 0.0, "busy": 0.0, "bs": [], "threads": T,
                                 "duty": float(d["params"].get("duty", 100)),
                                 "clock_mhz": res["clock_mhz"]})
        if busy > c["busy"]:
            c["r"], c["busy"] = d["throughput"] / busy, busy
        if d["util_avg"] < 0.98 or d["workload"] != "mix":
            c["bs"].append((v, _solve_b(T, v, busy) if d["workload"] == "mix" else 1.0))
    for c in out.values():
        if not c["bs"]:
            c["bs"] = [(1, c["duty"] / 100)]
    # cycle-mode calibration: the strands' timing per instruction, from the run with the
    # fewest vCPUs (the least contention: its pipe waits are measured apart, its memory
    # queueing is taken out with the model's own term)
    for k, row in sorted(cal_rows.items(), key=lambda kv: kv[0][-1]):
        cls = k[:-1]
        c = out[cls]
        res = row["result"]
        d = next(x for x in res["domains"] if x["name"] == "cal")
        if not d.get("timing") or not d["throughput"]:
            continue
        cp = cpu_params(row["point"], res, d)
        busy = round(d["util_avg"] * d["vcpus"], 3)
        if "cpu" not in c:
            c["cpu"] = cp
            c["misses"] = []
        if all(abs(busy - b) > 0.25 for b, _ in c["misses"]):
            c["misses"].append((busy, {f: cp[f] for f in MISS_FIELDS}))
    for k, row in halves.items():
        c = out.get(k)
        if c is None or "cpu" not in c:
            continue
        res = row["result"]
        d = next(x for x in res["domains"] if x["name"] == "cal")
        if d.get("timing") and d["throughput"]:
            cp = cpu_params(row["point"], res, d)
            busy = round(2 * d["util_avg"] * d["vcpus"], 3)
            c["misses"] = [x for x in c["misses"] if abs(busy - x[0]) > 0.25]
            c["misses"].append((busy, {f: cp[f] for f in MISS_FIELDS}))
    for k in {k[:-1] for k in cal_rows}:
        c = out[k]
        if "cpu" not in c:
            continue
        c["misses"].sort()
        # the pipe's occupancy per instruction: the running cycles of the most contended
        # run (alone, a strand's running cycles include latencies another strand's
        # instructions would fill); the rest of the lone strand's cycles are away time
        runs = [(kk, r) for kk, r in cal_rows.items() if kk[:-1] == k]
        s_pipe = min(next(x for x in r["result"]["domains"] if x["name"] == "cal")
                     ["timing"].get("running", 1.0) for _, r in runs)
        cp = c["cpu"]
        cp["Z0"] += cp["S"] - s_pipe
        cp["S"] = s_pipe
        # the FPU's occupancy per instruction F (contention.py): between 0 and the lone
        # strand's unit waits per instruction (an FP op's occupancy never exceeds its
        # latency, cycle.py), the value with which the model best fits the calibration
        # runs (they share the FPU from 1 strand to T: T1's one per chip, T2's per core)
        def cal_error(sel):
            """The model's summed relative throughput error on the runs `sel`."""
            e = 0.0
            for kk, r in sel:
                d = next(x for x in r["result"]["domains"] if x["name"] == "cal")
                m = predict(r["point"], {k: c}, "", "", "")
                md = next(x for x in m["result"]["domains"] if x["name"] == "cal")
                e += abs(md["throughput"] - d["throughput"]) / d["throughput"]
            return e

        def ferr(f):
            cp["F"] = f
            return cal_error(runs)

        def fit_f():
            if cp["Wu"] > 0:
                cp["F"] = min((ferr(cp["Wu"] * i / 20), cp["Wu"] * i / 20)
                              for i in range(21))[1]
        fit_f()
        # where the guest's scheduler puts B busy threads on v > B vCPUs: spread evenly
        # (p = 0) or packed on the first strands (p = 1); p from the unsaturated runs
        c["packing"] = 0.0
        loose = [(kk, r) for kk, r in runs
                 if next(x for x in r["result"]["domains"] if x["name"] == "cal")
                 ["util_avg"] < 0.9]
        if loose:
            def err(pk):
                c["packing"] = pk
                return cal_error(loose)
            c["packing"] = min((err(i / 20), i / 20) for i in range(21))[1]
            fit_f()                             # again, with the scheduler's placement
    return out


# what the L2's sharing changes: per instruction L2 accesses, misses and DRAM lines
MISS_FIELDS = ("a", "m", "l")


def misses_at(c, busy):
    """The calibrated L2 figures at `busy` strands of the domain: linear in the busy
    strands between the calibration runs, constant beyond them."""
    pts = c["misses"]
    if busy <= pts[0][0]:
        return pts[0][1]
    for (b0, f0), (b1, f1) in zip(pts, pts[1:]):
        if busy <= b1:
            x = (busy - b0) / (b1 - b0)
            return {f: f0[f] + (f1[f] - f0[f]) * x for f in MISS_FIELDS}
    return pts[-1][1]


def cpu_params(pt, res, d):
    """A workload's per-instruction timing on the cycle model, from domain row d of a
    simulated cycle-mode point (result res): I instructions per work unit, S pipe
    cycles, Z0 other away cycles, a L2 accesses, m L2 misses, l DRAM lines (the whole
    machine's traffic over the domain's instructions), L0 memory stall per miss less
    the run's own memory queueing, at dl0 = the run's dram_latency."""
    from .contention import memory_wait
    chip = _chip_of(pt).chip
    t = d["timing"]
    units = d["throughput"] * pt["time"]
    S = t.get("running", 1.0)
    mem = t.get("wait_memory", 0.0)
    other = sum(v for k, v in t.items() if k not in ("running", "ready", "wait_memory",
                                                        "l2_accesses", "l2_misses"))
    m = t["l2_misses"]
    lines = (res["memory_bandwidth_GBps"] or 0.0) * 1e9 * pt["time"] / 64
    l_per = lines / d["instructions"] if d["instructions"] else 0.0
    cycles = pt["time"] * res["clock_mhz"] * 1e6
    wq = memory_wait(lines / cycles, chip)
    if m > 0:
        L0 = max(0.0, mem / m - wq)
        Z0 = other
    else:
        L0, Z0 = 0.0, other + mem
    return {"I": d["instructions"] / units, "S": S, "Z0": Z0, "a": t["l2_accesses"],
            "m": m, "l": l_per, "L0": L0, "dl0": chip.dram_latency,
            "F": 0.0, "Wu": t.get("wait_unit_busy", 0.0)}


def _b_at(c, v, T):
    """b at v vCPUs for T threads: the calibrated b's placed at their vCPU/thread ratio,
    linear between them, constant beyond."""
    x = v / T
    pts = [(vv / c["threads"], bb) for vv, bb in c["bs"]]
    if x <= pts[0][0]:
        return pts[0][1]
    for (x0, b0), (x1, b1) in zip(pts, pts[1:]):
        if x <= x1:
            return b0 + (b1 - b0) * (x - x0) / (x1 - x0)
    return pts[-1][1]


def predict(pt, cal, key, version, label, terms=None):
    """A modelled row for point `pt` (the same shape as a simulated row, source
    "modelled"; per-interval figures, instructions and the heatmap are absent).
    terms: those of TERMS the model uses (all by default)."""
    from .scenario import bind
    terms = TERMS if terms is None else terms
    b = bind(pt)
    p = _chip_of(pt)
    spc = p.strands_per_core
    owner = {}
    for bd in b.domains:
        for s in bd.pids():
            owner[s] = bd.name
    split = sorted(c for c in range(p.cores)
                   if len({owner[s] for s in range(c * spc, (c + 1) * spc)
                           if s in owner}) > 1)
    doms = []
    timed = []
    pending = []
    for bd in b.domains:
        spec = next(x for x in pt["domains"] if x["name"] == bd.name)
        pids = bd.pids()
        v = len(pids)
        if spec["workload"] == "idle":
            thr, util = 0.0, 0.0
        else:
            c = cal[class_key(spec, p.chip.key)]
            T = int(spec["params"].get("threads", 1))
            bb = _b_at(c, v, T)
            if spec["workload"] == "mix":
                bb *= float(spec["params"].get("duty", 10)) / c["duty"]
            busy = _binom_min(T, bb, v)
            thr = c["r"] * busy * p.chip.clock_mhz / c["clock_mhz"]
            util = busy / v if v else 0.0
            if "cpu" in c:
                pending.append((bd.name, c, busy, pids))
        cores = sorted({s // spc for s in pids})
        doms.append({"name": bd.name, "workload": spec["workload"], "params": spec["params"],
                     "sources": spec["sources"], "vcpus": v,
                     "whole_core": bool(spec["cores"]), "strands": pids, "cores": cores,
                     "split_cores": [x for x in cores if x in split],
                     "memory": bd.memory(), "unit": UNITS[spec["workload"]],
                     "throughput": round(thr, 3), "util_avg": round(util, 4),
                     "util_peak": None, "util_p95": None, "instructions": None,
                     "cpi": None, "state": "modelled"})
    # the L2 shared with the other domains: a domain's share of it follows its share of
    # the L2 accesses (LRU keeps what is touched most), so its busy strands B see the
    # L2 as B / share strands of its own kind would (l2share; without it, its own B)
    l2rate = {n: busy * c["cpu"]["a"] / (c["cpu"]["S"] + c["cpu"]["Z0"]
                                       + c["cpu"]["m"] * c["cpu"]["L0"])
            for n, c, busy, _ in pending}
    total = sum(l2rate.values())
    for name, c, busy, pids in pending:
        eq = busy
        if "l2share" in terms and l2rate[name] > 0:
            eq = busy * total / l2rate[name]
        cp = {**c["cpu"], **misses_at(c, eq)}
        pk = c.get("packing", 0.0)
        v = len(pids)
        for i, s in enumerate(pids):
            packed = min(1.0, max(0.0, busy - i))
            w = (1 - pk) * busy / v + pk * packed
            timed.append({"id": s, "w": w, "dom": name, **cp})
    if timed:
        # cycle-mode calibration: the contention terms give each busy strand its rate
        rate = contention.solve(timed, p.chip, terms)
        hz = p.chip.clock_mhz * 1e6
        for d in doms:
            mine = [st for st in timed if st["dom"] == d["name"]]
            if not mine:
                continue
            d["throughput"] = round(sum(st["w"] * rate[st["id"]][0] * hz / st["I"]
                                        for st in mine), 3)
            wsum = sum(st["w"] for st in mine)
            if wsum:
                d["cpi"] = round(sum(st["w"] * rate[st["id"]][1] for st in mine) / wsum, 4)
    res = {"domains": doms, "instructions": None, "l2_miss_rate": None,
           "memory_bandwidth_GBps": None, "platform_strands": p.strands,
           "platform_cores": p.cores, "strands_per_core": spc,
           "clock_mhz": p.chip.clock_mhz, "split_cores": split, "heatmap": None}
    return {"key": key, "version": version, "point": pt, "source": "modelled",
            "result": res, "error": None, "label": label}


def sample_indices(n, k=SAMPLE):
    """k indices spread evenly over 0..n-1 (all when n <= k)."""
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def error_report(sim_rows, cal, keys, version, terms=None):
    """The model's error on the simulated sample rows: per domain modelled vs simulated
    throughput."""
    sample = []
    for row in sim_rows:
        if not row.get("result"):
            continue
        m = predict(row["point"], cal, row["key"], version, row.get("label", ""), terms)
        md = {d["name"]: d for d in m["result"]["domains"]}
        for d in row["result"]["domains"]:
            if d["workload"] == "idle":
                continue
            sim = d["throughput"]
            mod = md[d["name"]]["throughput"]
            err = abs(mod - sim) / sim if sim else (0.0 if mod == 0 else 1.0)
            sample.append({"label": row.get("label", ""), "key": row["key"],
                           "domain": d["name"], "modelled": mod, "simulated": sim,
                           "error": round(err, 4),
                           "util_modelled": md[d["name"]]["util_avg"],
                           "util_simulated": d["util_avg"]})
    errs = [s["error"] for s in sample]
    mean = sum(errs) / len(errs) if errs else None
    mx = max(errs) if errs else None
    return {"description": __doc__.split("\n\n")[1].replace("\n", " "),
            "bound": BOUND, "sample": sample, "mean_error": mean, "max_error": mx,
            "within_bound": mx is not None and mx <= BOUND,
            "calibration": [{"class": f"{k[0]} {dict(k[1])} on {k[2]}", "r": v["r"],
                             "b_at_vcpus": v["bs"], "duty": v["duty"],
                             "clock_mhz": v["clock_mhz"], "timing": v.get("cpu"),
                             "l2_at_busy": v.get("misses"), "packing": v.get("packing")}
                            for k, v in cal.items()]}
