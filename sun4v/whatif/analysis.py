"""What a capacity planner reads off the points (issue 13 §2): headroom after losing one
core, the knee of a throughput-versus-vCPUs curve, and the ranking of platforms and
layouts.  Pure functions of the rows; no plotting here (report.py).

Headroom, per domain: the core that holds most of the domain's strands (k of its v)
fails.  The manager re-binds those k vCPUs to strands left free on the other cores
(`ldm add-vcpu`) as far as there are any; the r it cannot re-bind are lost, so the
domain's average utilisation becomes util_avg * v / (v - r) (the same work on fewer
strands; None when no vCPU is left).  Per platform:
the strands' busy time over the strands left after one core is lost,
sum(util_avg * vcpus) / (strands - strands_per_core).  Headroom = target high - that
utilisation; status "ok" (at or below the target's low end), "tight" (in the band),
"over" (above it), "lost" (no vCPU left).

Knee: the first vCPU count after which adding vCPUs returns less than half the
throughput per vCPU that the first step returned (the point of diminishing returns);
the last point when the curve never bends that much."""
from __future__ import annotations

KNEE_FRACTION = 0.5


def domain_after_loss(d, spc, total, used_per_core):
    """(util after losing the worst core, vCPUs lost for good) of one domain's result;
    total: the platform's strands; used_per_core: {core: strands bound}."""
    per_core = {}
    for s in d["strands"]:
        per_core[s // spc] = per_core.get(s // spc, 0) + 1
    if not per_core:
        return d["util_avg"], 0
    c, k = max(per_core.items(), key=lambda kv: (kv[1], -kv[0]))
    free_elsewhere = (total - sum(used_per_core.values())) - (spc - used_per_core.get(c, 0))
    r = max(0, k - max(0, free_elsewhere))
    v = d["vcpus"]
    if v - r <= 0:
        return None, r
    return d["util_avg"] * v / (v - r), r


def status(util, target):
    if util is None:
        return "lost"
    if util <= target[0]:
        return "ok"
    if util <= target[1]:
        return "tight"
    return "over"


def headroom(row, target):
    """Per domain and platform headroom of a point's row (module docstring); None for a
    failed point."""
    res = row.get("result")
    if not res:
        return None
    spc = res["strands_per_core"]
    doms = []
    busy = 0.0
    used = {}
    for d in res["domains"]:
        for s in d.get("strands") or []:
            used[s // spc] = used.get(s // spc, 0) + 1
    for d in res["domains"]:
        busy += d["util_avg"] * d["vcpus"]
        if d["workload"] == "idle":
            continue
        ua, k = domain_after_loss(d, spc, res["platform_strands"], used)
        doms.append({"name": d["name"], "util_avg": d["util_avg"], "after_loss": ua,
                     "vcpus_lost": k,
                     "headroom": None if ua is None else target[1] - ua,
                     "status": status(ua, target)})
    left = res["platform_strands"] - spc
    pu = busy / left if left > 0 else None
    return {"domains": doms, "platform_util_after_loss": pu,
            "platform_headroom": None if pu is None else target[1] - pu,
            "platform_status": status(pu, target),
            "fits": all(d["status"] in ("ok", "tight") for d in doms)
            and status(pu, target) in ("ok", "tight")}


def knee(xs, ys):
    """Index of the knee of a curve (xs increasing), or None for fewer than 2 points."""
    if len(xs) < 2:
        return None
    slopes = [(ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) if xs[i + 1] != xs[i] else 0.0
              for i in range(len(xs) - 1)]
    first = slopes[0]
    if first <= 0:
        return 0
    for i, s in enumerate(slopes):
        if s < KNEE_FRACTION * first:
            return i
    return len(xs) - 1


def series(rows):
    """Throughput-versus-vCPUs curves: {(domain, platform, layout, whole_core, intensity):
    [(vcpus, throughput, source)]} over the rows with a result, sorted by vCPUs, only
    curves of two or more vCPU counts."""
    out = {}
    for r in rows:
        res = r.get("result")
        if not res:
            continue
        pt = r["point"]
        for d in res["domains"]:
            if d["workload"] == "idle":
                continue
            k = (d["name"], pt["platform"]["name"], pt["layout"], pt["whole_core"],
                 pt["intensity"])
            out.setdefault(k, []).append((d["vcpus"], d["throughput"], r["source"]))
    return {k: sorted(v) for k, v in out.items() if len({x[0] for x in v}) > 1}


def ranking(rows, target):
    """Candidates (platform, layout) ranked: each with its best point (fits the target
    after losing a core, then the fewest strands in use, then the most throughput) and
    its figures; candidates that fit first, then the smaller platform, then the larger
    headroom (to the percent), then the larger throughput."""
    best = {}
    for r in rows:
        h = headroom(r, target)
        if h is None:
            continue
        res, pt = r["result"], r["point"]
        used = sum(d["vcpus"] for d in res["domains"])
        thr = sum(d["throughput"] for d in res["domains"])
        worst = max((d["after_loss"] if d["after_loss"] is not None else float("inf"))
                    for d in h["domains"]) if h["domains"] else 0.0
        cand = {"platform": pt["platform"]["name"], "layout": pt["layout"],
                "label": r.get("label", ""), "key": r["key"], "fits": h["fits"],
                "strands_used": used, "platform_strands": res["platform_strands"],
                "throughput": thr, "worst_domain_after_loss": worst,
                "platform_util_after_loss": h["platform_util_after_loss"],
                "platform_headroom": h["platform_headroom"], "source": r["source"]}
        score = (not h["fits"], used, -thr)
        k = (cand["platform"], cand["layout"])
        if k not in best or score < best[k][0]:
            best[k] = (score, cand)
    cands = [c for _, c in best.values()]
    cands.sort(key=lambda c: (not c["fits"], c["platform_strands"],
                              -round(c["platform_headroom"] or 0.0, 2), -c["throughput"],
                              c["platform"], c["layout"]))
    for i, c in enumerate(cands):
        c["rank"] = i + 1
    return cands
