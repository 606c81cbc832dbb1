"""`sun4v whatif` (issue 13): scenarios checked before anything runs (bad input: one line
naming the field, exit 2), a shipped example at reduced size end to end (every file,
figures consistent across CSV, JSON and report, and with what the workload's definition
says the machine must show), re-runs reusing the stored points, the local and Dask
engines giving identical rows, and fast mode's error reported against real runs."""
import csv
import json
import os
import subprocess
import sys

import pytest

from sun4v.whatif import report, scenario

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "sun4v", "whatif", "examples")
ENV = dict(os.environ, SUN4V_CACHE=os.environ.get("SUN4V_CACHE",
                                                  os.path.join(ROOT, "build", "cache")))


def whatif(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "sun4v", "whatif", *args], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=timeout)


def whatif_here(capsys, *args):
    """The command in this process (bad input is found before anything runs):
    (status, stdout, stderr)."""
    from sun4v.cli import main
    capsys.readouterr()
    status = main(["whatif", *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


# a small study: one mix domain of 4 threads at 50 % duty, 1 to 8 vCPUs; functional
# points (the tests using it check the study's machinery: engines, --fast, failures)
SMALL = """
[study]
name = "small"
mode = "functional"
warmup = "3ms"
time = "4ms"
samples = 4
[[workload]]
name = "svc"
kind = "mix"
threads = 4
duty = 50
work = 3000
[[platform]]
name = "T5120"
[[layout]]
name = "one"
place = 1
[sweep]
vcpus = VCPUS
"""


def small(tmp_path, vcpus="[1, 8]", time="4ms"):
    p = tmp_path / "small.toml"
    p.write_text(SMALL.replace("VCPUS", vcpus).replace('time = "4ms"', f'time = "{time}"'))
    return str(p)


# ---- scenarios ---------------------------------------------------------------------------
def test_examples_listed_and_printed(capsys):
    # in this process: the command's own code, without a Python start per call
    status, out, err = whatif_here(capsys, "--example")
    assert status == 0
    names = [ln.split()[0] for ln in out.splitlines()]
    assert names == ["consolidation", "vcpu-scaling"]
    status, out, err = whatif_here(capsys, "--example", "consolidation")
    assert status == 0
    with open(os.path.join(EXAMPLES, "consolidation.toml")) as f:
        assert out == f.read()
    status, out, err = whatif_here(capsys, "--example", "nope")
    assert status == 2 and "no such example" in err


def test_consolidation_example_is_twelve_servers_on_three_platforms():
    sc = scenario.load(os.path.join(EXAMPLES, "consolidation.toml"))
    assert len(sc.workloads) == 12
    assert sorted(sc.platforms) == ["T5220", "T5240", "T5440"]
    pts = scenario.expand(sc)
    # every workload is placed exactly once in every point
    for pt in pts:
        srcs = [s for d in pt["domains"] for s in d["sources"]]
        assert sorted(srcs) == sorted(sc.workloads)
        assert pt["domains"][0]["name"] == "primary"


BAD = [
    # (change to SMALL, words the one line must contain)
    (('name = "T5120"', 'name = "T9999"'), "platform T9999.name: unknown platform"),
    (('kind = "mix"', 'kind = "web"'), "workload svc.kind: unknown workload 'web'"),
    (("VCPUS", "[1, 80]"), "layout one: domain svc does not fit"),
    (("threads = 4", "threads = 4\nfrobs = [1]"), "workload svc.frobs"),
    (('[[platform]]\nname = "T5120"', '[[platform]]\nname = "T5120"\nl2_size = -1'),
     "platform T5120.l2_size"),
    (('[[platform]]\nname = "T5120"', '[[platform]]\nname = "T5120"\nl2_size = 12345'),
     "platform T5120.l2_size: a power of two"),
    (('[[platform]]\nname = "T5120"', '[[platform]]\nname = "T5120"\nturbo = 1'),
     "platform T5120.turbo: not a platform parameter"),
    (('[sweep]', '[sweep]\nspeed = [1]'), "sweep.speed: unknown axis"),
    (("place = 1", "place = 0"), "layout one.place"),
    (('time = "4ms"', 'time = "soon"'), "study.time"),
    (('[study]', '[study]\n[study'), "not valid TOML"),
]


@pytest.mark.parametrize("change,words", BAD, ids=[w for _, w in BAD])
def test_bad_scenario_one_line_exit_2(tmp_path, capsys, change, words):
    p = tmp_path / "bad.toml"
    text = SMALL.replace(*change).replace("VCPUS", "[1, 8]")
    assert text != SMALL.replace("VCPUS", "[1, 8]")
    p.write_text(text)
    status, out, err = whatif_here(capsys, str(p), "--out", str(tmp_path / "out"))
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("sun4v: "), err
    assert words in err, err
    assert not (tmp_path / "out").exists()


def test_bad_scenario_from_the_command_line(tmp_path):
    r = whatif(str(tmp_path / "none.toml"))
    assert r.returncode == 2 and "no such file" in r.stderr and r.stderr.count("\n") == 1


# ---- a study end to end --------------------------------------------------------------------
def test_vcpu_scaling_quick_end_to_end_and_reuse(tmp_path):
    out = tmp_path / "vs"
    r = whatif(os.path.join(EXAMPLES, "vcpu-scaling.toml"), "--quick", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "4 points (4 run, 0 reused, 0 failed)" in r.stdout
    assert "4/4 points" in r.stderr and "ETA" in r.stderr            # progress
    for f in report.OUTPUTS:
        assert (out / f).stat().st_size > 0, f
    for f in report.PLOTS:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = read_csv(out / "points.csv")
    doc = json.loads((out / "points.json").read_text())
    assert len(rows) == len(doc["points"]) == 4
    assert [r["label"] for r in rows] == ["T5220/one-domain/v2", "T5220/one-domain/v32",
                                         "T5220-1.6GHz/one-domain/v2",
                                         "T5220-1.6GHz/one-domain/v32"]
    by = {r["label"]: r for r in rows}
    for r, p in zip(rows, doc["points"]):
        # CSV and JSON agree; the row carries what reproduces the point
        assert float(r["svc.throughput"]) == p["result"]["domains"][1]["throughput"]
        assert json.loads(r["spec"]) == p["point"]
        assert r["version"] and r["scenario_hash"] and r["seed"] == "1"
        # the points ran on the cycle model (the default) and say so
        assert r["mode"] == "cycle" and r["source"] == "simulated"
        assert float(r["svc.cpi"]) >= 1.0
        assert r["l2_miss_rate"] != "" and r["memory_bandwidth_GBps"] != ""
        t = p["result"]["domains"][1]["timing"]
        assert t["running"] > 0 and t["l2_accesses"] > 0
    # 16 threads busy 50 %: 8 strands' worth of work; 2 vCPUs are saturated, 32 are not
    v2, v32 = by["T5220/one-domain/v2"], by["T5220/one-domain/v32"]
    assert float(v2["svc.util_avg"]) > 0.97
    assert 0.2 < float(v32["svc.util_avg"]) < 0.35
    assert float(v32["svc.throughput"]) > 3.0 * float(v2["svc.throughput"])
    # saturated and CPU-bound (no L2 misses to speak of), throughput follows the clock
    ratio = float(by["T5220-1.6GHz/one-domain/v2"]["svc.throughput"]) / \
        float(v2["svc.throughput"])
    assert abs(ratio - 1600 / 1400) < 0.06, ratio        # 1 ms: ~30 requests each
    html = (out / "report.html").read_text()
    assert "<th>machine model</th>" in html and "<td>cycle</td>" in html
    assert html.count("data:image/png;base64,") == 3
    for r in rows:
        assert r["label"] in html and r["key"] in html
    assert "Bottom line" in html and "knee" in html and "SPLIT" not in html
    # domains.csv: the same figures per domain
    drows = read_csv(out / "domains.csv")
    assert {(d["label"], d["domain"]) for d in drows} == \
        {(r["label"], n) for r in rows for n in ("primary", "svc")}
    mt = {p.name: p.stat().st_mtime_ns for p in (out / "points").iterdir()}
    # a re-run reuses every point and gives the same rows
    r2 = whatif(os.path.join(EXAMPLES, "vcpu-scaling.toml"), "--quick", "--out", str(out))
    assert r2.returncode == 0, r2.stderr
    assert "4 points (0 run, 4 reused, 0 failed)" in r2.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (out / "points").iterdir()} == mt
    assert read_csv(out / "points.csv") == rows


def test_local_and_dask_give_identical_rows(tmp_path):
    sc = small(tmp_path, "[2, 6]", time="1ms")
    a = whatif(sc, "--out", str(tmp_path / "local"))
    b = whatif(sc, "--out", str(tmp_path / "dask"), "--engine", "dask", "--jobs", "2")
    assert a.returncode == 0, a.stderr
    assert b.returncode == 0, b.stderr
    ra, rb = read_csv(tmp_path / "local" / "points.csv"), \
        read_csv(tmp_path / "dask" / "points.csv")
    assert len(ra) == 2 and ra == rb
    assert read_csv(tmp_path / "local" / "domains.csv") == \
        read_csv(tmp_path / "dask" / "domains.csv")


def test_fast_mode_reports_its_error(tmp_path):
    sc = small(tmp_path, "[1, 2, 3, 5, 6, 7]")      # sampled: 1, 3, 5, 7
    out = tmp_path / "fast"
    r = whatif(sc, "--out", str(out), "--fast")
    assert r.returncode == 0, r.stderr
    assert "fast model: throughput error on 4 sampled domains" in r.stdout
    doc = json.loads((out / "points.json").read_text())
    f = doc["fast"]
    assert len(f["sample"]) == 4 and len(f["calibration"]) == 1
    assert f["calibration_runs"] == ["calibration mix on t2, 1 vCPUs",
                                     "calibration mix on t2, 3 vCPUs",
                                     "calibration mix on t2, 4 vCPUs",
                                     "calibration mix on t2, 8 vCPUs"]
    # the reported error is the modelled vs simulated throughput of the sampled rows
    rows = {r["key"]: r for r in doc["points"]}
    for s in f["sample"]:
        sim = rows[s["key"]]
        assert sim["source"] == "simulated"
        assert s["simulated"] == sim["result"]["domains"][1]["throughput"]
        assert s["error"] == pytest.approx(abs(s["modelled"] - s["simulated"]) /
                                           s["simulated"], abs=1e-4)
    assert f["max_error"] == max(s["error"] for s in f["sample"])
    assert f["within_bound"] and f["max_error"] <= f["bound"]
    srcs = [r["source"] for r in read_csv(out / "points.csv")]
    assert srcs.count("modelled") == 2 and srcs.count("simulated") == 4
    html = (out / "report.html").read_text()
    assert "Fast mode" in html and "modelled" in html


def test_failed_points_are_reported_and_the_study_goes_on(tmp_path):
    # 0.2 ms from power-on: the guest kernels have not started their workloads
    p = tmp_path / "early.toml"
    p.write_text(SMALL.replace('warmup = "3ms"', 'warmup = "0.2ms"')
                 .replace('time = "4ms"', 'time = "0.1ms"').replace("VCPUS", "[1, 2]"))
    out = tmp_path / "early"
    r = whatif(str(p), "--out", str(out))
    assert r.returncode == 1, r.stderr
    assert "2 points (2 run, 0 reused, 2 failed)" in r.stdout
    rows = read_csv(out / "points.csv")
    assert [x["error"] for x in rows] == ["domain primary: its workload is not running at the "
                                              "end of the warm-up (booting); make study.warmup "
                                              "longer"] * 2
    assert "FAILED" in r.stderr and (out / "report.html").exists()
    # failed points are not reused: a re-run tries them again
    r = whatif(str(p), "--out", str(out))
    assert "2 points (2 run, 0 reused, 2 failed)" in r.stdout


@pytest.mark.slow
def test_consolidation_quick_end_to_end(tmp_path):
    out = tmp_path / "c"
    r = whatif(os.path.join(EXAMPLES, "consolidation.toml"), "--quick", "--out", str(out),
               "--jobs", "2", timeout=1800)
    assert r.returncode == 0, r.stderr
    for f in report.OUTPUTS:
        assert (out / f).stat().st_size > 0, f
    rank = read_csv(out / "ranking.csv")
    assert {x["platform"] for x in rank} == {"T5220", "T5440"}
    rows = read_csv(out / "points.csv")
    assert len(rows) == 12
    doc = json.loads((out / "points.json").read_text())
    # every point ran on the cycle model, past its warm-up (26 ms, measured: the
    # scenario's comment): every guest domain's workload runs; in 1 ms a lightly used
    # domain may complete no request (db: 8 threads 15 % busy on 12000-unit requests),
    # so its progress is asked of the study, not of each point
    done = {}
    for r, p in zip(rows, doc["points"]):
        assert r["error"] == "", r["error"]
        assert r["mode"] == "cycle" and r["source"] == "simulated"
        assert float(r["l2_miss_rate"]) >= 0 and float(r["memory_bandwidth_GBps"]) > 0
        assert sum(d["throughput"] for d in p["result"]["domains"][1:]) > 0
        for d in p["result"]["domains"][1:]:
            assert d["state"] == "running" and d["instructions"] > 0, (r["label"], d)
            assert d["cpi"] >= 1.0
            done[d["name"]] = done.get(d["name"], 0) + d["throughput"]
    assert done and all(x > 0 for x in done.values()), done


def test_seed_reaches_the_guest_workload():
    """A point's seed is its workloads' `seed` parameter: the guest's workers start from
    values xor-ed with it (workload.c), so the int workload's result is the definition's
    with that seed (guestkit), and differs from seed 0's."""
    import guestkit as K
    doms = [dict(name="primary", vcpus=1, memory="1G"),
            dict(name="ldg1", vcpus=2, memory="1G", workload="int", iterations=100,
                 seed=0x5EED)]
    s = K.system("T2000", doms)

    def done():
        try:
            return K.counters(s, "ldg1")["state"] == "done"
        except Exception:                   # the kernel has not set its counters up yet
            return False
    assert K.run_until(s, done, step="1ms", limit="60ms")
    r = K.counters(s, "ldg1")["result"]
    assert r == K.int_result(2, 100, 0x5EED) != K.int_result(2, 100)
    sc = scenario.parse({"study": {"seed": 7}, "workload": [
        {"name": "w", "kind": "int", "threads": 2}], "platform": [{"name": "T2000"}]})
    pt = scenario.expand(sc)[0]
    assert pt["seed"] == 7 and pt["domains"][1]["params"]["seed"] == 7


def test_cycle_is_the_default_mode_and_functional_stays_selectable():
    base = {"workload": [{"name": "w", "kind": "int", "threads": 2}],
            "platform": [{"name": "T5120"}]}
    sc = scenario.parse(base)
    assert sc.mode == "cycle" and sc.warmup == 15e-3
    assert scenario.expand(sc)[0]["mode"] == "cycle"
    sc = scenario.parse({**base, "study": {"mode": "functional"}})
    assert sc.mode == "functional" and sc.warmup == 3e-3
    assert scenario.expand(sc)[0]["mode"] == "functional"
    # the report names each row's model: a modelled row, the runs it was calibrated on
    row = {"source": "modelled", "point": {"mode": "cycle"}}
    assert report.point_model(row) == "analytic (calibrated on cycle)"
    assert report.point_model({"source": "simulated", "point": {"mode": "functional"}}) \
        == "functional"


def test_changed_clock_keeps_memory_times_in_nanoseconds():
    """DRAM latency and channel time are physical (reference/cmt_microarch.md: 176
    cycles, ~126 ns, at 1.4 GHz): a platform clocked higher waits more cycles for
    memory, so the clock alone can never speed memory up.  On-chip latencies stay in
    cycles; parameters the platform sets are taken as given."""
    base = scenario.PlatformSpec("T5220", "t5220").build().chip
    fast = scenario.PlatformSpec("x", "t5220", {"clock_mhz": 1600}).build().chip
    assert base.clock_mhz == 1400 and fast.clock_mhz == 1600
    for f in ("dram_latency", "dram_line_cycles"):
        ns0 = getattr(base, f) / base.clock_mhz * 1e3
        ns1 = getattr(fast, f) / fast.clock_mhz * 1e3
        assert abs(ns1 - ns0) / ns0 < 0.07, (f, ns0, ns1)      # rounded to a cycle
    assert fast.dram_latency == round(156 * 1600 / 1400) == 178
    assert (fast.l2_latency, fast.load_use) == (base.l2_latency, base.load_use)
    given = scenario.PlatformSpec("y", "t5220", {"clock_mhz": 1600, "memory_latency": 300})
    assert given.build().chip.dram_latency == 300
    # the catalogue's own platforms are as they were
    assert scenario.PlatformSpec("T5220", "t5220", {}).build().chip.dram_latency == 156


CLOCKS = """
[study]
name = "clocks"
warmup = "WARM"
time = "3ms"
samples = 2
[[workload]]
name = "w"
kind = "KIND"
threads = 8
PARAMS
[[platform]]
name = "base"
base = "BASE"
CHANGES
[[platform]]
name = "fast"
base = "BASE"
clock_mhz = CLOCK
CHANGES
[[layout]]
name = "one"
place = 1
[sweep]
vcpus = [VCPUS]
"""


@pytest.mark.slow
def test_cycle_throughput_scales_with_the_clock(tmp_path):
    """On the cycle model a higher clock never loses: a CPU-bound domain (int: no L2
    misses) gains as the clock, a memory-bound one (mem, 8 streams over 64 KB each on an
    L2 cut to 64 KB, T1's DRAM) gains less, the memory's nanoseconds being the same.
    T2000 at 1.2 and 1.4 GHz."""
    def study(name, **kw):
        text = CLOCKS
        for k, v in kw.items():
            text = text.replace(k, v)
        p = tmp_path / f"{name}.toml"
        p.write_text(text)
        r = whatif(str(p), "--out", str(tmp_path / name), timeout=3000)
        assert r.returncode == 0, r.stderr
        rows = {x["platform"]: x for x in read_csv(tmp_path / name / "points.csv")}
        insns = {x["platform"]: int(x["instructions"])
                 for x in read_csv(tmp_path / name / "domains.csv") if x["domain"] == "w"}
        # the domain's instructions: the work done, finer grained than its units
        return insns["fast"] / insns["base"], rows
    cpu, _ = study("cpu", KIND="int", PARAMS="", BASE="T2000", CHANGES="", CLOCK="1400",
                   WARM="24ms", VCPUS="2")
    assert abs(cpu - 1400 / 1200) < 0.02, cpu
    mem, rows = study("mem", KIND="mem", PARAMS="size = 65536", BASE="T2000",
                      CHANGES="l2_size = 65536\nl2_ways = 4", CLOCK="1400",
                      WARM="24ms", VCPUS="8")
    assert float(rows["base"]["l2_miss_rate"]) > 0.05
    # measured: 1.066 (DRAM in cycles, as before the fix: 1.170, the clock's ratio)
    assert 1.0 < mem < 1 + 0.6 * (1400 / 1200 - 1), mem


@pytest.mark.slow
def test_cycle_mode_point_measures_cpi_l2_and_memory(tmp_path):
    """mode = "cycle": the point runs on the cycle model of the full system and its row
    carries CPI per domain, the L2 miss rate and the memory bandwidth (null in functional
    mode)."""
    p = tmp_path / "cyc.toml"
    p.write_text(SMALL.replace('[study]', '[study]\nmode = "cycle"')
                 .replace('warmup = "3ms"', 'warmup = "25ms"')
                 .replace('time = "4ms"', 'time = "2ms"')
                 .replace('name = "T5120"', 'name = "T1000"').replace("VCPUS", "[2]"))
    out = tmp_path / "cyc"
    r = whatif(str(p), "--out", str(out), timeout=1800)
    assert r.returncode == 0, r.stderr
    row = read_csv(out / "points.csv")[0]
    assert row["mode"] == "cycle"
    assert float(row["svc.cpi"]) >= 1.0 and float(row["svc.throughput"]) > 0
    assert row["l2_miss_rate"] != "" and row["memory_bandwidth_GBps"] != ""
