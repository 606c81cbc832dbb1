"""Contention terms of `--fast`'s analytic model: per-core queueing of busy strands for
the issue pipes, the L2 banks and the DRAM channels, solved as an approximate
mean-value analysis to a fixed point (issue 13 §3).

What the machine does (reference/cmt_microarch.md §1; chips.py): each core has
`groups_per_core` issue pipes (T1: one pipe shared by the core's 4 strands; T2: two
thread groups of 4 strands, each with its own pipe), each picking one ready strand per
cycle; a strand's instruction occupies its pipe `S` cycles (S: its running cycles per
instruction) and then the strand is away `Z` cycles per instruction (load-use, switch,
branch, L2 and memory waits).  The L2 has `l2_banks` banks per socket that accept one
access per cycle; an L2 miss is a line from DRAM: the data is back `dram_latency`
cycles later, and its channel (of `dram_channels` per socket) is busy `dram_line_cycles`
per 64 B line.

The model, per busy strand s (weight w_s: the fraction of time its vCPU is busy):
- pipe: the n = sum of w over a pipe's strands queue for it: exact mean-value analysis
  of one queue (service S, their weighted mean) and a delay (Z, their mean), linear
  between integer n; each strand's residence R_s = S_s R(n) / S;
- L2 banks: M/M/1 with a service of one cycle, per access W_b = rho_b / (1 - rho_b),
  rho_b = sum_s w_s X_s a_s / banks (a: L2 accesses per instruction);
- memory: M/D/1 per channel, W_q = D rho / (2 (1 - rho)), rho = sum_s w_s X_s l_s D /
  channels (l: DRAM lines per instruction, D: dram_line_cycles); each L2 miss stalls
  its strand L0 + (dram_latency - dram_latency at calibration) + W_q cycles (L0: the
  stall per miss measured at calibration, less that run's own W_q);
- Z_s = Z0_s + m_s (L0_s + dL + W_q) + a_s W_b (Z0: the strand's other away cycles per
  instruction, m: L2 misses per instruction);
- X_s = 1 / (R_s + Z_s) instructions per cycle while busy.
Units: cycles of the point's clock; rates per cycle.  rho is capped at RHO_MAX (a
saturated queue: the model's answer is then a bound, not an estimate).

- FPU: the floating-point unit is a queue of its own, shared by every strand of the
  chip on a T1 (one FPU reached over the crossbar, `fpu_per_chip`) and by the strands of
  a core on a T2 (one FGU per core, both thread groups; reference/cmt_microarch.md §1,
  chips.py): an FP op reserves it for max(its occupancy, fpu_issue_interval) cycles
  (cycle.py; T1: fdivd 61, the others 12; T2: fdivd 33, fadd and fmul 1); F, those
  cycles per instruction, is calibrated (model.py).  The n = sum of w over a unit's
  strands queue for it as for a pipe (mean-value analysis: service F, their weighted
  mean; think: the rest of their cycle); the wait beyond a lone strand's,
  Wf_s = F_s (R_f(n) / F - 1), is added to Z_s (a lone strand's own FP latency is in Z0).
Dropping a term (`terms` without "pipe", "l2", "memory" or "fpu") removes its queueing:
used to show each term matters (tests/test_whatif_fast.py)."""
from __future__ import annotations

import math

TERMS = ("pipe", "l2", "memory", "fpu")
RHO_MAX = 0.95
ITERATIONS = 200


def _mm1(rho):
    rho = min(max(rho, 0.0), RHO_MAX)
    return rho / (1 - rho)


def memory_wait(lines_per_cycle, chip):
    """W_q: the mean queueing delay of a DRAM line (cycles) at an arrival rate of
    `lines_per_cycle` lines per cycle spread over the chip's channels (all sockets):
    M/D/1 (a channel is busy a fixed dram_line_cycles per line), D rho / (2 (1 - rho))."""
    ch = chip.dram_channels * chip.sockets
    d = chip.dram_line_cycles
    return d * _mm1(lines_per_cycle * d / ch) / 2


def pipe_residence(n, S, Z):
    """R: cycles an instruction spends at a pipe (waiting and issuing) among n strands
    (fractional: linear between the integers) each issuing S cycles then away Z cycles:
    the exact mean-value analysis of one queue and a delay (R_k = S (1 + Q_{k-1}),
    X_k = k / (R_k + Z), Q_k = X_k R_k)."""
    q, rs = 0.0, [S]
    for k in range(1, int(math.ceil(n)) + 1):
        r = S * (1 + q)
        q = k / (r + Z) * r
        rs.append(r)
    lo = int(math.floor(n))
    if lo >= len(rs) - 1:
        return rs[-1]
    return rs[lo] + (rs[lo + 1] - rs[lo]) * (n - lo)


def solve(strands, chip, terms=TERMS):
    """strands: [{"id": strand number, "w": busy fraction, "S", "Z0", "a", "m", "l",
    "L0", "dl0", optional "F"}] (per instruction: S pipe cycles, Z0 other away cycles, a
    L2 accesses, m L2 misses, l DRAM lines; L0 stall cycles per miss at a dram_latency of
    dl0; F cycles its FP ops reserve the FPU, 0 when absent).
    Returns {strand id: (X instructions per cycle while busy, CPI = 1 / X)}."""
    spc = chip.strands_per_core
    per_pipe = spc // chip.groups_per_core
    banks = chip.l2_banks * chip.sockets
    pipes, fpus = {}, {}
    for st in strands:
        pipes.setdefault(st["id"] // per_pipe, []).append(st)
        if st.get("F", 0.0) > 0:
            fpus.setdefault(0 if chip.fpu_per_chip else st["id"] // spc, []).append(st)
    Wf = {st["id"]: 0.0 for st in strands}
    X = {st["id"]: 1.0 / (st["S"] + st["Z0"] + st["m"] * st["L0"]) for st in strands}
    R = {st["id"]: st["S"] for st in strands}
    for _ in range(ITERATIONS):
        wq = wb = 0.0
        if "memory" in terms:
            wq = memory_wait(sum(st["w"] * X[st["id"]] * st["l"] for st in strands), chip)
        if "l2" in terms:
            wb = _mm1(sum(st["w"] * X[st["id"]] * st["a"] for st in strands) / banks)
        newX, cyc = {}, {}
        for grp in pipes.values():
            Z = {st["id"]: st["Z0"] + st["m"] * max(0.0, st["L0"] + chip.dram_latency
                                                    - st["dl0"] + wq) + st["a"] * wb
                 + Wf[st["id"]] for st in grp}
            n = sum(st["w"] for st in grp)
            stretch = 1.0
            if "pipe" in terms and n > 1:
                sbar = sum(st["w"] * st["S"] for st in grp) / n
                zbar = sum(st["w"] * Z[st["id"]] for st in grp) / n
                stretch = pipe_residence(n, sbar, zbar) / sbar
            for st in grp:
                s = st["id"]
                R[s] = st["S"] * stretch
                newX[s] = 1.0 / (R[s] + Z[s])
                cyc[s] = R[s] + Z[s]
        dwf = 0.0
        if "fpu" in terms:
            for grp in fpus.values():
                n = sum(st["w"] for st in grp)
                if n <= 1:
                    continue
                fbar = sum(st["w"] * st["F"] for st in grp) / n
                think = sum(st["w"] * (cyc[st["id"]] - Wf[st["id"]] - st["F"])
                            for st in grp) / n
                rf = pipe_residence(n, fbar, max(0.0, think)) / fbar
                for st in grp:
                    w = st["F"] * (rf - 1)
                    dwf = max(dwf, abs(w - Wf[st["id"]]) * newX[st["id"]])
                    Wf[st["id"]] = w
        delta = max(abs(newX[s] - X[s]) / X[s] for s in X) if X else 0.0
        X = {s: 0.5 * X[s] + 0.5 * newX[s] for s in X}
        if delta < 1e-7 and dwf < 1e-7:
            break
    return {s: (x, 1.0 / x) for s, x in X.items()}
