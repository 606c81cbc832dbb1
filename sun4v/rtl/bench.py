"""Speed of the cocotb testbenches: simulated cycles per second of each RTL unit with its
Python reference model as the scoreboard on every cycle (cocotb + Icarus, and Verilator
when installed).  Figures are printed, never asserted.

  .venv/bin/python -m sun4v.rtl.bench [--cycles N] [--sim icarus|verilator|all]
"""
import argparse
import tempfile
from pathlib import Path

from .cocotb_run import available, run

UNITS = [  # (label, toplevel, cocotb module, parameters, random testcase); the directed
    # testcase runs first and warms up the models (numba)
    ("thread_select N=4", "thread_select", "tb_thread_select", {"N": 4}, "random_traffic"),
    ("ccx_arb", "ccx_arb", "tb_ccx_arb", {}, "random_traffic"),
    ("tlb ENTRIES=64", "tlb", "tb_tlb", {"ENTRIES": 64}, "random_operations"),
    ("tlb ENTRIES=128", "tlb", "tb_tlb", {"ENTRIES": 128}, "random_operations"),
    ("xbar_domain N=8", "xbar_domain", "tb_xbar_domain", {"N": 8}, "random_traffic"),
]


def bench(cycles=3000, sims=("icarus",)):
    rows = []
    for sim in sims:
        why = available(sim)
        if why:
            print(f"{sim}: skipped ({why})")
            continue
        for label, top, mod, params, case in UNITS:
            with tempfile.TemporaryDirectory(prefix="sun4v_rtl_bench_") as td:
                res = run(top, mod, Path(td), parameters=params, sim=sim,
                          env={"SUN4V_TB_CYCLES": cycles})
            rep = res["report"]
            cps = rep["cycles"] / rep["sim_seconds"] if rep.get("sim_seconds") else 0.0
            rows.append((sim, label, rep["cycles"], cps, res["build_seconds"]))
            print(f"{sim:10s} {label:20s} {rep['cycles']:7d} cycles  {cps:9,.0f} cycles/s  "
                  f"(build {res['build_seconds']:.1f} s)", flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=3000)
    ap.add_argument("--sim", default="icarus", choices=["icarus", "verilator", "all"])
    a = ap.parse_args(argv)
    sims = ("icarus", "verilator") if a.sim == "all" else (a.sim,)
    bench(a.cycles, sims)


if __name__ == "__main__":
    main()
