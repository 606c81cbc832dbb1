"""Mutant RTL: copies of rtl/*.v with one deliberate bug each, made by a small text
substitution of the real source (so a mutant follows every later change of the RTL, and
rtl/ itself holds only the real units).

Each entry of MUTANTS names the unit, says what the bug is, and lists the substitutions
(old text -> new text); :func:`write` applies them to rtl/<unit>.v and writes the mutant
into a directory the test owns.  Every substitution must match exactly once: when the
real RTL changes so that one no longer applies, :func:`write` raises instead of
producing a mutant that is secretly the real unit.

The mutants keep the module name, the ports and the internal registers the testbenches
and `sun4v cosim` read (order, dvalid/did/mask/rr/busy), so the only thing that differs
is the behaviour.  tests/rtl/test_mutants.py checks that the unit testbenches
(tests/rtl/tb_*.py) and `sun4v cosim --rtl FILE` catch every one of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sun4v.rtl.cocotb_run import RTL_DIR


@dataclass(frozen=True)
class Mutant:
    name: str
    unit: str
    bug: str
    edits: tuple            # ((old, new), ...), each old text found exactly once


MUTANTS = {m.name: m for m in [
    # ---- thread select -----------------------------------------------------------------
    Mutant("ts_lru_frozen", "thread_select",
           "the LRU order list is never updated: after reset the strand with the lowest "
           "number always wins among the candidates (fixed priority, not least recently "
           "issued)",
           (("        end else if (valid) begin\n            order <= order_next;\n",
             "        end else if (valid) begin\n            order <= order;\n"),)),
    Mutant("ts_spec_over_ready", "thread_select",
           "a SpecReady strand is preferred to a Ready one (the priority Rdy > SpecRdy of "
           "Spec 2.3.10 inverted)",
           (("pick = found_rdy ? pick_rdy : pick_spec;",
             "pick = found_spec ? pick_spec : pick_rdy;"),)),
    # ---- crossbar slice --------------------------------------------------------------------
    Mutant("xbar_no_domain_filter", "xbar_domain",
           "the domain filter is ignored: a request from an assigned port to any port is "
           "granted (cross-domain traffic gets through, nothing is blocked)",
           (("ok = dvalid[s] && d < N && dvalid[d] && did[s*DW +: DW] == did[d*DW +: DW];",
             "ok = dvalid[s] && d < N;"),
            ("ok = dvalid[s] && d < N && mask[s*N + d];",
             "ok = dvalid[s] && d < N;"))),
    Mutant("xbar_grants_busy_output", "xbar_domain",
           "an occupied output is arbitrated again at once (no backpressure: the busy "
           "count is never honoured)",
           (("if (busy[o*LW +: LW] != {LW{1'b0}}) begin",
             "if (1'b0) begin"),)),
    Mutant("xbar_rr_frozen", "xbar_domain",
           "the round-robin pointer of an output never advances past a winner (the lowest "
           "passing input at or after the reset pointer wins every time)",
           (("rr_n[o*PW +: PW] = (w == N - 1) ? {PW{1'b0}} : w + 1'b1;",
             "rr_n[o*PW +: PW] = rr[o*PW +: PW];"),)),
    # ---- CCX arbiter -------------------------------------------------------------------------
    Mutant("ccx_newest_first", "ccx_arb",
           "the age FIFO is a stack: each cycle's arrival vector is pushed in front of the "
           "head, so the newest requests are served first instead of the oldest",
           (("        tail = (head_n + cnt_n) % FIFO_DEPTH;\n",
             "        tail = (head_n + FIFO_DEPTH - 1) % FIFO_DEPTH;\n"),
            ("            cnt_n = cnt_n + 1'b1;\n",
             "            cnt_n = cnt_n + 1'b1;\n            head_n = tail;\n"))),
    Mutant("ccx_scan_not_flipped", "ccx_arb",
           "the round-robin scan direction within one arrival vector is inverted (parity 0 "
           "scans downward)",
           (("if (parity) begin", "if (!parity) begin"),)),
]}


def source(mutant: Mutant) -> str:
    """The mutant's Verilog text."""
    text = (RTL_DIR / f"{mutant.unit}.v").read_text()
    for old, new in mutant.edits:
        n = text.count(old)
        if n != 1:
            raise ValueError(f"mutant {mutant.name}: {old!r} occurs {n} times in "
                             f"rtl/{mutant.unit}.v (expected once): update tests/rtl/mutants.py")
        text = text.replace(old, new)
    return text


def write(name: str, directory: Path) -> Path:
    """Write mutant `name` as <directory>/<unit>.v (the module keeps its name); returns
    the path."""
    m = MUTANTS[name]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{m.unit}.v"
    path.write_text(source(m))
    return path
