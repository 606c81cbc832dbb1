"""A study's files (issue 13 §2), all written write-then-rename into DIR:

    points.csv      one row per point: parameters, per-domain figures as NAME.metric
                    columns, totals, headroom, source (simulated/modelled), error, spec
    points.json     {"study": ..., "points": [rows with the full point and result]}
    domains.csv     one row per point and domain (tidy form of the same figures)
    ranking.csv     the bottom line: candidates (platform, layout) ranked
    report.html     the report, plots embedded (base64 PNG)
    throughput_vs_vcpus.png, utilisation_heatmap.png, headroom.png   the plots
    points/KEY.json the computed points (the cache, store.py)

Plots use matplotlib's Agg backend (no display)."""
from __future__ import annotations

import base64
import csv
import html
import io
import json

from ..atomicfile import write_atomic as _write_atomic
from ..boot.command import id_ranges
from . import analysis as A


def write_atomic(path, data):
    """write-then-rename, with the permissions a plain open() would give (umask)."""
    import os
    _write_atomic(path, data)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)

PLOTS = ("throughput_vs_vcpus.png", "utilisation_heatmap.png", "headroom.png")
OUTPUTS = ("points.csv", "points.json", "domains.csv", "ranking.csv", "report.html") + PLOTS
POINT_COLS = ("scenario", "scenario_hash", "version", "key", "source", "label", "platform",
              "platform_base", "platform_changes", "layout", "vcpus", "whole_core",
              "intensity", "mode", "warmup_s", "time_s", "samples", "seed", "domains",
              "total_throughput", "instructions", "l2_miss_rate", "memory_bandwidth_GBps",
              "split_cores", "platform_util_after_loss", "platform_headroom", "fits_target",
              "error")
DOM_METRICS = ("vcpus", "throughput", "util_avg", "util_peak", "util_p95", "cpi",
               "util_after_loss", "status")
DOMAIN_COLS = ("key", "label", "source", "platform", "layout", "vcpus_axis", "whole_core",
               "intensity", "domain", "workload", "params", "sources", "vcpus", "strands",
               "cores", "split_cores", "memory", "unit", "throughput", "util_avg",
               "util_peak", "util_p95", "cpi", "instructions", "util_after_loss",
               "headroom", "status")


def _csv(rows, cols):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(cols), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    return buf.getvalue()


def flat_rows(rows, study):
    """(point rows, domain rows, domain names) for the CSV files."""
    prow, drow, names = [], [], []
    for r in rows:
        pt, res = r["point"], r.get("result")
        h = A.headroom(r, study["target"]) if res else None
        f = {"scenario": study["name"], "scenario_hash": study["hash"],
             "version": r["version"], "key": r["key"], "source": r["source"],
             "label": r.get("label", ""), "platform": pt["platform"]["name"],
             "platform_base": pt["platform"]["base"],
             "platform_changes": json.dumps(pt["platform"]["changes"], sort_keys=True),
             "layout": pt["layout"], "vcpus": pt["vcpus"], "whole_core": pt["whole_core"],
             "intensity": pt["intensity"], "mode": point_model(r), "warmup_s": pt["warmup"],
             "time_s": pt["time"], "samples": pt["samples"], "seed": pt["seed"],
             "domains": len(pt["domains"]), "error": r.get("error"),
             "spec": json.dumps(pt, sort_keys=True)}
        if res:
            f["total_throughput"] = round(sum(d["throughput"] for d in res["domains"]), 3)
            for k in ("instructions", "l2_miss_rate", "memory_bandwidth_GBps"):
                f[k] = res.get(k)
            f["split_cores"] = id_ranges(res.get("split_cores") or [])
            pu = h["platform_util_after_loss"]
            f["platform_util_after_loss"] = None if pu is None else round(pu, 4)
            ph = h["platform_headroom"]
            f["platform_headroom"] = None if ph is None else round(ph, 4)
            f["fits_target"] = h["fits"]
            hd = {d["name"]: d for d in h["domains"]}
            for d in res["domains"]:
                if d["name"] not in names:
                    names.append(d["name"])
                hh = hd.get(d["name"], {})
                ua = hh.get("after_loss")
                for m in DOM_METRICS:
                    v = d.get(m)
                    if m == "util_after_loss":
                        v = None if ua is None else round(ua, 4)
                    elif m == "status":
                        v = hh.get("status")
                    f[f"{d['name']}.{m}"] = v
                drow.append({
                    "key": r["key"], "label": r.get("label", ""), "source": r["source"],
                    "platform": pt["platform"]["name"], "layout": pt["layout"],
                    "vcpus_axis": pt["vcpus"], "whole_core": pt["whole_core"],
                    "intensity": pt["intensity"], "domain": d["name"],
                    "workload": d["workload"],
                    "params": json.dumps(d["params"], sort_keys=True),
                    "sources": " ".join(d["sources"]), "vcpus": d["vcpus"],
                    "strands": id_ranges(d.get("strands") or []),
                    "cores": id_ranges(d.get("cores") or []),
                    "split_cores": id_ranges(d.get("split_cores") or []),
                    "memory": d["memory"], "unit": d["unit"], "throughput": d["throughput"],
                    "util_avg": d["util_avg"], "util_peak": d.get("util_peak"),
                    "util_p95": d.get("util_p95"), "cpi": d.get("cpi"),
                    "instructions": d.get("instructions"),
                    "util_after_loss": None if ua is None else round(ua, 4),
                    "headroom": None if hh.get("headroom") is None else round(hh["headroom"], 4),
                    "status": hh.get("status")})
        prow.append(f)
    return prow, drow, names


# ---- plots ------------------------------------------------------------------------------
def _mpl():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight",
                metadata={"Software": None})
    _mpl().close(fig)
    return buf.getvalue()


def plot_throughput(rows):
    plt = _mpl()
    ser = A.series(rows)
    doms = sorted({k[0] for k in ser})
    if not doms:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.text(0.5, 0.5, "no vCPU sweep in this study: one vCPU count per domain",
                ha="center", va="center")
        ax.set_axis_off()
        return _png(fig), []
    n = len(doms)
    cols = min(3, n)
    rws = (n + cols - 1) // cols
    fig, axes = plt.subplots(rws, cols, figsize=(5 * cols, 3.6 * rws), squeeze=False)
    knees = []
    for i, dn in enumerate(doms):
        ax = axes[i // cols][i % cols]
        for k, pts in sorted(ser.items(), key=lambda kv: str(kv[0])):
            if k[0] != dn:
                continue
            xs = [p[0] for p in pts]
            ys = [p[1] for p in pts]
            lab = f"{k[1]} {k[2]}" + (" whole-core" if k[3] else "") + \
                (f" x{k[4]:g}" if k[4] != 1.0 else "")
            line, = ax.plot(xs, ys, marker="o", label=lab)
            j = A.knee(xs, ys)
            if j is not None:
                ax.plot([xs[j]], [ys[j]], marker="*", markersize=16, color=line.get_color(),
                        markeredgecolor="black")
                ax.annotate(f"knee {xs[j]}", (xs[j], ys[j]), textcoords="offset points",
                            xytext=(5, -12), fontsize=8)
                knees.append({"domain": dn, "series": lab, "knee_vcpus": xs[j],
                              "throughput": ys[j]})
        ax.set_title(f"domain {dn}")
        ax.set_xlabel("vCPUs")
        ax.set_ylabel("throughput (units/s)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for j in range(n, rws * cols):
        axes[j // cols][j % cols].set_axis_off()
    fig.suptitle("Throughput versus vCPUs (star: knee)")
    return _png(fig), knees


def plot_heatmap(row):
    plt = _mpl()
    from matplotlib.patches import Patch
    import numpy as np
    fig, ax = plt.subplots(figsize=(9, 5))
    res = row.get("result") if row else None
    hm = res.get("heatmap") if res else None
    if not hm or not hm.get("util"):
        ax.text(0.5, 0.5, "no simulated point to show", ha="center", va="center")
        ax.set_axis_off()
        return _png(fig)
    util = np.array(hm["util"], dtype=float)
    owners = hm["owner"]
    names = list(dict.fromkeys(owners))
    cmap = plt.get_cmap("tab10")
    colour = {n: np.array(cmap(i % 10)[:3]) for i, n in enumerate(names)}
    img = np.ones((util.shape[0], util.shape[1], 3))
    for i, o in enumerate(owners):
        c = colour[o]
        for j in range(util.shape[1]):
            u = min(1.0, max(0.0, util[i, j]))
            img[i, j] = 1 - u * (1 - c)
    dt = hm["interval_s"] * 1e3
    ax.imshow(img, aspect="auto", interpolation="nearest",
              extent=(0, dt * util.shape[1], util.shape[0] - 0.5, -0.5))
    for i in range(1, len(owners)):             # domain boundaries
        if owners[i] != owners[i - 1]:
            ax.axhline(i - 0.5, color="black", linewidth=0.6)
    step = max(1, len(hm["strands"]) // 24)
    ax.set_yticks(range(0, len(hm["strands"]), step))
    ax.set_yticklabels([str(hm["strands"][i]) for i in range(0, len(hm["strands"]), step)],
                       fontsize=7)
    ax.set_xlabel("simulated time after warm-up (ms)")
    ax.set_ylabel("strand")
    ax.set_title(f"Utilisation per strand, coloured by domain (darker = busier): "
                 f"{row.get('label', '')}")
    ax.legend(handles=[Patch(color=colour[n], label=n) for n in names], fontsize=7,
              loc="upper left", bbox_to_anchor=(1.01, 1))
    return _png(fig)


def plot_headroom(rows, target, best_keys):
    plt = _mpl()
    fig, ax = plt.subplots(figsize=(10, 4))
    labels, vals, cols = [], [], []
    colour = {"ok": "tab:green", "tight": "tab:orange", "over": "tab:red", "lost": "black"}
    for r in rows:
        if r["key"] not in best_keys:
            continue
        h = A.headroom(r, target)
        if not h:
            continue
        tag = r.get("label", "")
        for d in h["domains"]:
            labels.append(f"{tag}\n{d['name']}")
            vals.append(d["after_loss"] if d["after_loss"] is not None else 1.05)
            cols.append(colour[d["status"]])
        labels.append(f"{tag}\nPLATFORM")
        pu = h["platform_util_after_loss"]
        vals.append(pu if pu is not None else 1.05)
        cols.append(colour[h["platform_status"]])
    if not vals:
        ax.text(0.5, 0.5, "no point with a result", ha="center", va="center")
        ax.set_axis_off()
        return _png(fig)
    ax.bar(range(len(vals)), [min(v, 1.05) for v in vals], color=cols)
    ax.axhspan(target[0], target[1], color="tab:orange", alpha=0.15,
               label=f"target {target[0]:.0%}-{target[1]:.0%}")
    ax.set_xticks(range(len(vals)))
    ax.set_xticklabels(labels, rotation=90, fontsize=6)
    ax.set_ylabel("average utilisation after losing one core")
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=8)
    ax.set_title("Headroom per domain and platform (best point of each candidate)")
    return _png(fig)


# ---- HTML -------------------------------------------------------------------------------
def _cell(c):
    if c is None:
        return ""
    if isinstance(c, float):
        return f"{c:,.0f}" if abs(c) >= 1000 else f"{c:.4g}"
    return str(c)


def _table(head, body):
    e = html.escape
    out = ["<table><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in head) + "</tr>"]
    for row in body:
        out.append("<tr>" + "".join(
            f"<td>{e(_cell(c))}</td>"
            for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _pct(x):
    return "" if x is None else f"{100 * x:.1f}%"


def write(out_dir, study, rows, fast=None):
    """Write every output file of the study into out_dir (see the module docstring).
    rows: the point rows in the scenario's order.  fast: the model's calibration and
    error (model.py) or None."""
    import os
    target = tuple(study["target"])
    prow, drow, names = flat_rows(rows, study)
    pcols = list(POINT_COLS) + [f"{n}.{m}" for n in names for m in DOM_METRICS] + ["spec"]
    write_atomic(os.path.join(out_dir, "points.csv"), _csv(prow, pcols))
    write_atomic(os.path.join(out_dir, "domains.csv"), _csv(drow, DOMAIN_COLS))
    rank = A.ranking(rows, target)
    rcols = ("rank", "platform", "layout", "fits", "label", "strands_used",
             "platform_strands", "throughput", "worst_domain_after_loss",
             "platform_util_after_loss", "platform_headroom", "source", "key")
    write_atomic(os.path.join(out_dir, "ranking.csv"), _csv(rank, rcols))
    by_key = {r["key"]: r for r in rows}
    best_keys = [c["key"] for c in rank]
    sim_best = next((by_key[k] for k in best_keys
                     if by_key[k]["source"] == "simulated" and by_key[k].get("result")), None)
    png_thr, knees = plot_throughput(rows)
    png_heat = plot_heatmap(sim_best)
    png_head = plot_headroom(rows, target, set(best_keys))
    for name, data in zip(PLOTS, (png_thr, png_heat, png_head)):
        write_atomic(os.path.join(out_dir, name), data)
    doc = {"study": dict(study), "ranking": rank, "knees": knees, "fast": fast,
           "points": [{k: v for k, v in r.items()} for r in rows],
           "flat": prow}
    write_atomic(os.path.join(out_dir, "points.json"),
                 json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n")
    write_atomic(os.path.join(out_dir, "report.html"),
                 _html(study, rows, rank, knees, fast, sim_best, by_key,
                       (png_thr, png_heat, png_head)))


def _img(data, alt):
    return (f'<img alt="{html.escape(alt)}" src="data:image/png;base64,'
            f'{base64.b64encode(data).decode()}">')


def point_model(r):
    """What answered a row: the machine model the point ran on ("cycle" or
    "functional"), or for a --fast row the analytic model and the machine model of the
    runs it was calibrated on."""
    if r["source"] == "modelled":
        return f"analytic (calibrated on {r['point']['mode']})"
    return r["point"]["mode"]


def _html(study, rows, rank, knees, fast, sim_best, by_key, pngs):
    e = html.escape
    target = study["target"]
    nsim = sum(1 for r in rows if r["source"] == "simulated")
    nmod = sum(1 for r in rows if r["source"] == "modelled")
    nfail = sum(1 for r in rows if r.get("error"))
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>sun4v whatif: {e(study['name'])}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse;margin:1em 0;font-size:0.85em}"
        "td,th{border:1px solid #bbb;padding:2px 6px;text-align:left}"
        "th{background:#eee}.split{color:#b00;font-weight:bold}img{max-width:100%}</style>",
        "</head><body>",
        f"<h1>{e(study['title'] or study['name'])}</h1>",
        f"<p>Scenario <code>{e(study['path'])}</code> (hash {e(study['hash'])}), "
        f"project version {e(study['version'])}; machine model: <b>{e(study['mode'])}</b>"
        f"{' (quick: reduced size)' if study.get('quick') else ''}; each simulated point "
        f"ran {study['warmup'] * 1e3:g} ms of warm-up then {study['time'] * 1e3:g} ms "
        f"measured (simulated time). {len(rows)} points: {nsim} simulated, {nmod} "
        f"modelled (--fast), {nfail} failed. Target average utilisation after losing "
        f"one core: {_pct(target[0])}-{_pct(target[1])}.</p>",
    ]
    if study["mode"] == "functional":
        parts.append("<p><i>Functional model: one instruction per strand per machine "
                     "step, no pipeline, cache or memory contention; CPI, L2 miss rate and "
                     "memory bandwidth are not measured (empty); platform parameters only "
                     "timing sees (L2 size, memory latency, one FPU per chip) change "
                     "nothing here, the clock and the strand count do.</i></p>")
    parts.append("<h2>Bottom line</h2>")
    parts.append(_table(
        ["rank", "platform", "layout", "fits target", "best point", "strands used",
         "platform strands", "throughput (units/s)", "worst domain after loss",
         "platform after loss", "platform headroom", "source"],
        [[c["rank"], c["platform"], c["layout"], "yes" if c["fits"] else "no", c["label"],
          c["strands_used"], c["platform_strands"], round(c["throughput"], 1),
          _pct(c["worst_domain_after_loss"]) if c["worst_domain_after_loss"] != float("inf")
          else "no vCPU left", _pct(c["platform_util_after_loss"]),
          _pct(c["platform_headroom"]), c["source"]] for c in rank]))
    if rank:
        c = rank[0]
        verdict = (f"{c['platform']} with layout {c['layout']} ({c['label']}) "
                   + ("meets the target after losing one core."
                      if c["fits"] else "is the best candidate but does NOT meet the "
                                        "target after losing one core."))
        parts.append(f"<p><b>Recommendation:</b> {e(verdict)}</p>")
    parts.append("<h2>Throughput versus vCPUs</h2>")
    parts.append(_img(pngs[0], "throughput versus vCPUs"))
    if knees:
        parts.append(_table(["domain", "series", "knee (vCPUs)", "throughput there"],
                            [[k["domain"], k["series"], k["knee_vcpus"],
                              round(k["throughput"], 1)] for k in knees]))
    parts.append("<h2>Utilisation heatmap</h2>")
    parts.append(_img(pngs[1], "utilisation heatmap"))
    parts.append("<h2>Placement</h2>")
    for c in rank:
        r = by_key[c["key"]]
        res = r["result"]
        parts.append(f"<h3>{e(r.get('label', ''))}</h3>")
        body = []
        for d in res["domains"]:
            split = d.get("split_cores") or []
            body.append([d["name"], d["workload"], " ".join(d["sources"]), d["vcpus"],
                         "whole cores" if d["whole_core"] else "strands",
                         id_ranges(d.get("cores") or []), id_ranges(d.get("strands") or []),
                         f"{d['memory'] >> 30} GB",
                         ("SPLIT: " + id_ranges(split)) if split else ""])
        parts.append(_table(["domain", "workload", "sources", "vCPUs", "binding", "cores",
                             "strands", "memory", "split cores (shared with another "
                             "domain)"], body)
                     .replace("<td>SPLIT", "<td class='split'>SPLIT"))
    parts.append("<h2>Headroom after losing one core</h2>")
    parts.append(_img(pngs[2], "headroom"))
    hbody = []
    for c in rank:
        r = by_key[c["key"]]
        h = A.headroom(r, target)
        for d in h["domains"]:
            hbody.append([r.get("label", ""), d["name"], _pct(d["util_avg"]),
                          d["vcpus_lost"], _pct(d["after_loss"]) if d["after_loss"] is not None
                          else "no vCPU left", _pct(d["headroom"]), d["status"]])
        hbody.append([r.get("label", ""), "(platform)", "", "",
                      _pct(h["platform_util_after_loss"]), _pct(h["platform_headroom"]),
                      h["platform_status"]])
    parts.append("<p>The core holding most of a domain's strands fails; its vCPUs are "
                 "re-bound to strands left free on other cores as far as there are any, "
                 "the rest are lost (util after loss = util x vCPUs / vCPUs kept). The "
                 "platform figure is all domains' busy strands over the strands left.</p>")
    parts.append(_table(["point", "domain", "util avg", "vCPUs lost", "util after loss",
                         "headroom", "status"], hbody))
    if fast:
        parts.append("<h2>Fast mode: analytic model</h2>")
        parts.append(f"<p>{e(fast['description'])}</p>")
        parts.append(f"<p>Error against the machine on {len(fast['sample'])} sample points: "
                     f"throughput mean {_pct(fast['mean_error'])}, max "
                     f"{_pct(fast['max_error'])}; stated bound {_pct(fast['bound'])}: "
                     f"<b>{'within' if fast['within_bound'] else 'NOT within'}</b>. "
                     f"Calibration runs: {e('; '.join(fast['calibration_runs']))}.</p>")
        parts.append(_table(["point", "domain", "modelled", "simulated", "error"],
                            [[s["label"], s["domain"], round(s["modelled"], 1),
                              round(s["simulated"], 1), _pct(s["error"])]
                             for s in fast["sample"]]))
    parts.append("<h2>All points</h2>")
    body = []
    for r in rows:
        res = r.get("result")
        body.append([r.get("label", ""), r["source"], point_model(r),
                     round(sum(d["throughput"] for d in res["domains"]), 1) if res else "",
                     " ".join(f"{d['name']}:{_pct(d['util_avg'])}" for d in res["domains"]
                              if d["workload"] != "idle") if res else "",
                     r.get("error") or "", r["key"]])
    parts.append(_table(["point", "source", "machine model", "throughput", "utilisation",
                         "error", "key"], body))
    parts.append("<p>Files: points.csv, points.json, domains.csv, ranking.csv, "
                 + ", ".join(PLOTS) + ", points/KEY.json.</p></body></html>")
    return "\n".join(parts) + "\n"
