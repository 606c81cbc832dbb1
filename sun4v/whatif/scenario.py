"""What-if scenarios: the TOML file and its expansion into points (issue 13 §1).

    [study]
    name = "consolidation"          # letters, digits, - _ .
    title = "..."                   # free text for the report
    mode = "cycle"                  # machine model of every point: cycle (default: the
                                    # cycle-level model of the whole machine; CPI, L2
                                    # miss rate, memory bandwidth) or functional (one
                                    # instruction per strand per step: no timing)
    warmup = "15ms"                 # simulated time from power-on before measuring
                                    # (default 15 ms cycle, 3 ms functional: the guests
                                    # boot in ~11 ms on a T2 in cycle mode, ~20 ms on a
                                    # T1, ~2 ms functional)
    time = "10ms"                   # simulated time measured
    samples = 20                    # utilisation samples over `time` (heatmap columns)
    seed = 1                        # every workload's `seed` parameter (its workers'
                                    # starting values; runs are deterministic)
    target = [0.40, 0.50]           # headroom target: average utilisation band
    quick = { warmup = "15ms", time = "1ms" }    # --quick: shorter times, sweep ends

    [control]                       # the control domain `primary` (idle)
    vcpus = 8                       # default: one core's strands
    memory = "4G"

    [[workload]]                    # a source workload: one server being consolidated
    name = "web01"
    kind = "mix"                    # a built-in guest workload: int, mem, fp, mix, idle
    threads = 4                     # ... and its parameters (sun4v/guest/README.md)
    duty = 8
    memory = "2G"                   # memory its domain needs (default 1G)
    avg_util = 0.08                 # measured on the source server (report only)
    peak_util = 0.20

    [[platform]]                    # a candidate platform: a catalogue name ...
    name = "T5220"
    [[platform]]                    # ... or one with changed parameters
    name = "T5220-1.6GHz"
    base = "T5220"
    clock_mhz = 1600                # any chip parameter (cores, l2_size, dram_latency,
    memory_latency = 200            # fpu_per_chip ...); memory_latency = dram_latency
                                    # in cycles; memory = installed RAM.  A new clock
                                    # keeps the DRAM's times in ns: dram_latency and
                                    # dram_line_cycles scale with it unless given
    [[layout]]                      # explicit domains ...
    name = "tiers"
    [[layout.domain]]
    name = "web"
    workloads = ["web01", "web02"]  # same kind and parameters; threads add up
    vcpus = 8                       # or cores = 1; default: the sweep's vcpus
    memory = "4G"                   # default: the workloads' memory
    [[layout]]                      # ... or "let the binder place N domains"
    name = "binder-6"
    place = 6                       # the workloads grouped into 6 guest domains

    [sweep]                         # axes; every combination is a point
    vcpus = [4, 8, 16]              # per guest domain without its own vcpus/cores
    whole_core = [false, true]      # vCPUs as whole cores (rounded up to cores)
    intensity = [1.0, 2.0]          # x duty (mix) or x threads (int, mem, fp)
    platform = ["T5220"]            # default: every [[platform]]
    layout = ["tiers"]              # default: every [[layout]]

Bad input raises ScenarioError: one line naming the file and the field.  Points are
plain JSON-able dicts (`expand`): everything a run needs, nothing else."""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field

from ldm.constraints import NAME_RE, PRIMARY
from ldm.errors import LdmError
from ldm.units import parse_size

from ..boot.config import WORKLOADS
from ..boot.system import parse_time
from ..cmt import chips
from ..machine import platforms

MODES = ("functional", "cycle")
DEFAULT_MODE = "cycle"
DEFAULT_WARMUP = {"cycle": "15ms", "functional": "3ms"}
STUDY_KEYS = ("name", "title", "mode", "warmup", "time", "samples", "seed", "target",
              "quick")
WORKLOAD_META = ("name", "kind", "memory", "avg_util", "peak_util", "source")
PLATFORM_ALIASES = {"memory_latency": "dram_latency"}
PLATFORM_OWN = ("memory",)
# chip parameters that are physical times of the DRAM, in cycles (PlatformSpec.build)
MEMORY_TIMES = ("dram_latency", "dram_line_cycles")
CHIP_FIELDS = tuple(f for f in chips.Chip.__dataclass_fields__
                    if f not in ("key", "name", "family", "sockets", "hver_impl",
                                 "hver_mask"))
SWEEP_AXES = ("vcpus", "whole_core", "intensity", "platform", "layout")
# parameters that keep a workload running for the whole measurement (it would end)
RUN_FOREVER = {"mix": {"requests": 0}, "int": {"iterations": 1 << 40},
               "fp": {"iterations": 1 << 40}, "mem": {"passes": 1 << 30}}
DEFAULT_WL_MEMORY = 1 << 30
NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class ScenarioError(Exception):
    """A bad scenario, in one line naming the field."""


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str
    params: dict
    memory: int
    avg_util: float | None = None
    peak_util: float | None = None
    source: str = ""

    def compat(self):
        """What must match for two workloads to share a domain: kind and parameters
        other than threads."""
        return (self.kind, tuple(sorted((k, v) for k, v in self.params.items()
                                        if k != "threads")))


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    base: str
    changes: dict = field(default_factory=dict)

    def build(self):
        """The platforms.Platform value (ValueError/KeyError on bad values).

        A changed `clock_mhz` changes the chip's clock, not the DIMMs: the memory's
        latency and a channel's time per line are physical times (reference/
        cmt_microarch.md: 176 cycles, about 126 ns, at 1.4 GHz), so their cycle counts
        (`dram_latency`, `dram_line_cycles`) scale by new clock / base clock, rounded,
        unless the platform sets them too (then they are taken as given, in cycles of
        the new clock).  On-chip timings (pipeline, L2, crossbar, the T2+ coherence
        links, whose speed follows the core clock) stay in cycles."""
        p = platforms.platform(self.base)
        chip_ch = {PLATFORM_ALIASES.get(k, k): v for k, v in self.changes.items()
                   if k not in PLATFORM_OWN}
        clk = chip_ch.get("clock_mhz")
        if clk is not None and clk != p.chip.clock_mhz:
            for f in MEMORY_TIMES:
                if f not in chip_ch:
                    chip_ch[f] = max(1, round(p.chip[f] * clk / p.chip.clock_mhz))
        if chip_ch:
            p = p.with_chip(**chip_ch)
        if "memory" in self.changes:
            p = p.replace(memory=self.changes["memory"])
        return p


@dataclass(frozen=True)
class LayoutSpec:
    name: str
    place: int = 0                          # > 0: the binder places N domains
    domains: tuple = ()                     # explicit: ({name, workloads, vcpus, cores,
                                            #             memory}, ...)


@dataclass
class Scenario:
    path: str
    name: str
    title: str
    mode: str
    warmup: float
    time: float
    samples: int
    seed: int
    target: tuple
    quick: dict
    control: dict
    workloads: dict
    platforms: dict
    layouts: dict
    sweep: dict
    text_hash: str
    quick_on: bool = False

    def with_quick(self):
        """The same study at reduced size: the quick times, each sweep axis's end points."""
        s = Scenario(**{k: getattr(self, k) for k in self.__dataclass_fields__})
        s.warmup = self.quick.get("warmup", self.warmup)
        s.time = self.quick.get("time", self.time / 5)
        s.samples = min(self.samples, 10)
        s.sweep = {k: (v if len(v) <= 2 else [v[0], v[-1]]) for k, v in self.sweep.items()}
        s.quick_on = True
        return s

    @property
    def hash(self):
        """sha256 of the scenario text and the quick flag (12 hex digits)."""
        return hashlib.sha256((self.text_hash + ("q" if self.quick_on else "")).encode()
                              ).hexdigest()[:12]


def _err(where, msg):
    raise ScenarioError(f"{where}: {msg}")


def _time(where, field_, v):
    try:
        return parse_time(v)
    except ValueError as e:
        _err(where, f"{field_}: {e}")


def _size(where, field_, v):
    try:
        n = v if isinstance(v, int) and not isinstance(v, bool) else parse_size(str(v))
    except LdmError as e:
        _err(where, f"{field_}: {e}")
    if n <= 0:
        _err(where, f"{field_}: must be positive")
    return n


def _int(where, field_, v, lo=1):
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        _err(where, f"{field_}: must be an integer >= {lo}, got {v!r}")
    return v


def _list(where, field_, v):
    if not isinstance(v, list) or not v:
        _err(where, f"{field_}: must be a non-empty list")
    return v


def _name(where, field_, v):
    if not isinstance(v, str) or not NAME_OK.match(v):
        _err(where, f"{field_}: a name of letters, digits and _ . + - is needed, got {v!r}")
    return v


def _study(where, t):
    if not isinstance(t, dict):
        _err(where, "[study] must be a table")
    bad = sorted(set(t) - set(STUDY_KEYS))
    if bad:
        _err(where, f"study.{bad[0]}: unknown key (known: {', '.join(STUDY_KEYS)})")
    out = {"name": _name(where, "study.name", t.get("name", "study")),
           "title": str(t.get("title", "")),
           "mode": t.get("mode", DEFAULT_MODE)}
    if out["mode"] not in MODES:
        _err(where, f"study.mode: {out['mode']!r} is not a mode (known: {', '.join(MODES)})")
    out["warmup"] = _time(where, "study.warmup", t.get("warmup", DEFAULT_WARMUP[out["mode"]]))
    out["time"] = _time(where, "study.time", t.get("time", "10ms"))
    out["samples"] = _int(where, "study.samples", t.get("samples", 20), 2)
    out["seed"] = _int(where, "study.seed", t.get("seed", 1), 0)
    tg = t.get("target", [0.40, 0.50])
    if isinstance(tg, (int, float)) and not isinstance(tg, bool):
        tg = [tg, tg]
    if (not isinstance(tg, list) or len(tg) != 2
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in tg)
            or not 0 < tg[0] <= tg[1] <= 1):
        _err(where, "study.target: an average utilisation band [low, high] with "
                    "0 < low <= high <= 1 (e.g. [0.40, 0.50])")
    out["target"] = (float(tg[0]), float(tg[1]))
    q = t.get("quick", {})
    if not isinstance(q, dict) or set(q) - {"warmup", "time"}:
        _err(where, "study.quick: a table of warmup and time")
    out["quick"] = {k: _time(where, f"study.quick.{k}", v) for k, v in q.items()}
    return out


def _workload(where, i, t):
    w = f"workload {i + 1}"
    if not isinstance(t, dict):
        _err(where, f"{w}: [[workload]] must be a table")
    name = _name(where, f"{w}.name", t.get("name"))
    w = f"workload {name}"
    kind = t.get("kind")
    if "program" in t:                  # a static sparc64 program (progpoint.py)
        from .progpoint import program_workload
        params = program_workload(where, name, t, _err)
        mem = _size(where, f"{w}.memory", t.get("memory", DEFAULT_WL_MEMORY))
        return Workload(name, "program", params, mem, None, None, str(t.get("source", "")))
    if kind not in WORKLOADS:
        _err(where, f"{w}.kind: unknown workload {kind!r} (known: {', '.join(WORKLOADS)})")
    params = {}
    for k, v in t.items():
        if k in WORKLOAD_META:
            continue
        if not isinstance(v, (int, float, str)) or isinstance(v, bool):
            _err(where, f"{w}.{k}: a parameter must be a number or a string")
        params[k] = v
    if "threads" in params:
        _int(where, f"{w}.threads", params["threads"])
    if kind == "mix" and "duty" in params:
        d = params["duty"]
        if isinstance(d, float) and 0 < d < 1:          # a fraction, as the guest reads it
            d = params["duty"] = round(d * 100, 6)
        if not isinstance(d, (int, float)) or not 1 <= d <= 100:
            _err(where, f"{w}.duty: percent busy, 1 to 100 (or a fraction), got {d!r}")
    util = {}
    for k in ("avg_util", "peak_util"):
        v = t.get(k)
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)
                              or not 0 <= v <= 1):
            _err(where, f"{w}.{k}: a fraction 0 to 1, got {v!r}")
        util[k] = None if v is None else float(v)
    mem = _size(where, f"{w}.memory", t.get("memory", DEFAULT_WL_MEMORY))
    return Workload(name, kind, params, mem, util["avg_util"], util["peak_util"],
                    str(t.get("source", "")))


def _platform(where, i, t):
    w = f"platform {i + 1}"
    if isinstance(t, str):
        t = {"name": t}
    if not isinstance(t, dict):
        _err(where, f"{w}: [[platform]] must be a table or a catalogue name")
    name = _name(where, f"{w}.name", t.get("name"))
    w = f"platform {name}"
    base = t.get("base", name)
    if not isinstance(base, str) or base.lower() not in platforms.PLATFORMS:
        field_ = "base" if "base" in t else "name"
        _err(where, f"{w}.{field_}: unknown platform {base!r} (known: "
                    f"{', '.join(k.upper() for k in platforms.PLATFORMS)})")
    changes = {}
    for k, v in t.items():
        if k in ("name", "base"):
            continue
        key = PLATFORM_ALIASES.get(k, k)
        if key not in CHIP_FIELDS and k not in PLATFORM_OWN:
            _err(where, f"{w}.{k}: not a platform parameter (known: memory, "
                        f"memory_latency, {', '.join(CHIP_FIELDS)})")
        if k == "memory":
            v = _size(where, f"{w}.memory", v)
        elif isinstance(v, bool):
            pass
        elif not isinstance(v, int) or v <= 0:
            _err(where, f"{w}.{k}: a positive integer, got {v!r}")
        elif key.endswith(("_size", "_line", "_ways", "_banks", "_channels")) and v & (v - 1):
            _err(where, f"{w}.{k}: a power of two (cache and memory geometry), got {v}")
        changes[k] = v
    spec = PlatformSpec(name, base.lower(), changes)
    try:
        spec.build()
    except (ValueError, KeyError, TypeError) as e:
        _err(where, f"{w}: {e.args[0] if e.args else e}")
    return spec


def _layout(where, i, t, workloads):
    w = f"layout {i + 1}"
    if not isinstance(t, dict):
        _err(where, f"{w}: [[layout]] must be a table")
    name = _name(where, f"{w}.name", t.get("name"))
    w = f"layout {name}"
    bad = sorted(set(t) - {"name", "place", "domain"})
    if bad:
        _err(where, f"{w}.{bad[0]}: unknown key (known: name, place, domain)")
    if ("place" in t) == ("domain" in t):
        _err(where, f"{w}: give place = N (the binder places N domains) or [[layout.domain]] "
                    f"tables (one of them)")
    if "place" in t:
        n = _int(where, f"{w}.place", t["place"])
        if n > platforms_max_guests():
            _err(where, f"{w}.place: {n} domains; at most {platforms_max_guests()} guest "
                        f"domains besides primary")
        groups = _groups(list(workloads.values()))
        if n < len(groups):
            _err(where, f"{w}.place: {n} domains cannot hold {len(groups)} kinds of "
                        f"workload (a domain's workloads share kind and parameters)")
        if n > len(workloads):
            _err(where, f"{w}.place: {n} domains for {len(workloads)} workloads")
        return LayoutSpec(name, place=n)
    doms = _list(where, f"{w}.domain", t["domain"])
    if len(doms) > platforms_max_guests():
        _err(where, f"{w}.domain: {len(doms)} domains; at most {platforms_max_guests()} "
                    f"besides primary")
    out, seen, used = [], set(), set()
    for j, d in enumerate(doms):
        dw = f"{w}.domain {j + 1}"
        if not isinstance(d, dict):
            _err(where, f"{dw}: must be a table")
        bad = sorted(set(d) - {"name", "workloads", "vcpus", "cores", "memory"})
        if bad:
            _err(where, f"{dw}.{bad[0]}: unknown key (known: name, workloads, vcpus, cores, "
                        f"memory)")
        dn = d.get("name")
        if not isinstance(dn, str) or not NAME_RE.match(dn) or dn == PRIMARY:
            _err(where, f"{dw}.name: a domain name other than {PRIMARY}, got {dn!r}")
        if dn in seen:
            _err(where, f"{dw}.name: domain {dn} is defined twice")
        seen.add(dn)
        dw = f"{w}.domain {dn}"
        wl = _list(where, f"{dw}.workloads", d.get("workloads"))
        for x in wl:
            if x not in workloads:
                _err(where, f"{dw}.workloads: unknown workload {x!r} (known: "
                            f"{', '.join(workloads)})")
            if x in used:
                _err(where, f"{dw}.workloads: workload {x} is in two domains")
            used.add(x)
        if len({workloads[x].compat() for x in wl}) > 1:
            _err(where, f"{dw}.workloads: a domain's workloads must share kind and "
                        f"parameters (threads aside)")
        if "vcpus" in d and "cores" in d:
            _err(where, f"{dw}: give vcpus or cores, not both")
        rec = {"name": dn, "workloads": list(wl)}
        if "vcpus" in d:
            rec["vcpus"] = _int(where, f"{dw}.vcpus", d["vcpus"])
        if "cores" in d:
            rec["cores"] = _int(where, f"{dw}.cores", d["cores"])
        if "memory" in d:
            rec["memory"] = _size(where, f"{dw}.memory", d["memory"])
        out.append(rec)
    return LayoutSpec(name, domains=tuple(out))


def platforms_max_guests():
    from ..boot.config import MAX_DOMAINS
    return MAX_DOMAINS - 1


def _groups(wls):
    """Workloads grouped by what must match in one domain, in file order."""
    g = {}
    for w in wls:
        g.setdefault(w.compat(), []).append(w)
    return list(g.values())


def place(workloads, n):
    """The binder's layout of `n` guest domains: groups of compatible workloads, the
    largest groups (by threads) split until there are n (deterministic)."""
    groups = [list(g) for g in _groups(list(workloads))]
    while len(groups) < n:
        k = max(range(len(groups)),
                key=lambda i: (len(groups[i]) > 1,
                               sum(w.params.get("threads", 1) for w in groups[i]), -i))
        g = groups[k]
        if len(g) < 2:
            break
        half = (len(g) + 1) // 2
        groups[k:k + 1] = [g[:half], g[half:]]
    return groups


def load(path: str) -> Scenario:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory") from None
    except PermissionError:
        raise ScenarioError(f"{path}: permission denied") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: not valid TOML ({e})") from None
    return parse(data, path, hashlib.sha256(raw).hexdigest())


def parse(data: dict, where: str = "<scenario>", text_hash: str = "") -> Scenario:
    if not text_hash:
        text_hash = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()
                                   ).hexdigest()
    bad = sorted(set(data) - {"study", "control", "workload", "platform", "layout", "sweep"})
    if bad:
        _err(where, f"{bad[0]}: unknown key (top level: study, control, workload, platform, "
                    f"layout, sweep)")
    st = _study(where, data.get("study", {}))
    ctl = data.get("control", {})
    if not isinstance(ctl, dict) or set(ctl) - {"vcpus", "memory"}:
        _err(where, "control: a table of vcpus and memory")
    control = {}
    if "vcpus" in ctl:
        control["vcpus"] = _int(where, "control.vcpus", ctl["vcpus"])
    control["memory"] = _size(where, "control.memory", ctl.get("memory", "4G"))
    wls = _list(where, "workload", data.get("workload"))
    workloads = {}
    for i, t in enumerate(wls):
        w = _workload(where, i, t)
        if w.name in workloads:
            _err(where, f"workload {w.name}: defined twice")
        workloads[w.name] = w
    pls = _list(where, "platform", data.get("platform"))
    plats = {}
    for i, t in enumerate(pls):
        p = _platform(where, i, t)
        if p.name in plats:
            _err(where, f"platform {p.name}: defined twice")
        plats[p.name] = p
    lts = data.get("layout", [{"name": "one-each", "place": None}])
    if lts == [{"name": "one-each", "place": None}]:
        lts = [{"name": "one-each", "place": min(len(workloads), platforms_max_guests())}]
    lts = _list(where, "layout", lts)
    layouts = {}
    for i, t in enumerate(lts):
        lt = _layout(where, i, t, workloads)
        if lt.name in layouts:
            _err(where, f"layout {lt.name}: defined twice")
        layouts[lt.name] = lt
    sw = data.get("sweep", {})
    if not isinstance(sw, dict):
        _err(where, "sweep: must be a table")
    bad = sorted(set(sw) - set(SWEEP_AXES))
    if bad:
        _err(where, f"sweep.{bad[0]}: unknown axis (known: {', '.join(SWEEP_AXES)})")
    sweep = {}
    if "vcpus" in sw:
        sweep["vcpus"] = [_int(where, "sweep.vcpus", v) for v in _list(where, "sweep.vcpus",
                                                                         sw["vcpus"])]
    if "whole_core" in sw:
        v = _list(where, "sweep.whole_core", sw["whole_core"])
        if not all(isinstance(x, bool) for x in v):
            _err(where, "sweep.whole_core: a list of true/false")
        sweep["whole_core"] = v
    if "intensity" in sw:
        v = _list(where, "sweep.intensity", sw["intensity"])
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0
                   for x in v):
            _err(where, "sweep.intensity: a list of positive numbers")
        sweep["intensity"] = [float(x) for x in v]
    for axis, known in (("platform", plats), ("layout", layouts)):
        if axis in sw:
            v = _list(where, f"sweep.{axis}", sw[axis])
            for x in v:
                if x not in known:
                    _err(where, f"sweep.{axis}: unknown {axis} {x!r} (the scenario's: "
                                f"{', '.join(known)})")
            sweep[axis] = list(v)
    sweep.setdefault("platform", list(plats))
    sweep.setdefault("layout", list(layouts))
    sweep.setdefault("whole_core", [False])
    sweep.setdefault("intensity", [1.0])
    sc = Scenario(where, st["name"], st["title"], st["mode"], st["warmup"], st["time"],
                  st["samples"], st["seed"], st["target"], st["quick"], control, workloads,
                  plats, layouts, sweep, text_hash)
    expand(sc)          # every point must bind: a layout that does not fit is bad input
    return sc


# ---- points ---------------------------------------------------------------------------
def _domain_workload(wls, intensity):
    """One domain's guest workload from its source workloads: kind, parameters, with
    threads summed and the intensity applied."""
    kind = wls[0].kind
    if kind == "program":
        from .progpoint import domain_params
        return kind, domain_params(wls, intensity)
    params = {k: v for k, v in wls[0].params.items()}
    threads = sum(int(w.params.get("threads", 1)) for w in wls)
    if kind == "mix":
        duty = float(params.get("duty", 10)) * intensity
        params["duty"] = max(1, min(100, int(round(duty))))
    elif kind != "idle":
        threads = max(1, int(round(threads * intensity)))
    params["threads"] = threads
    for k, v in RUN_FOREVER.get(kind, {}).items():
        params.setdefault(k, v)
    return kind, params


def _layout_domains(sc, lt, vcpus):
    if lt.place:
        groups = place(sc.workloads.values(), lt.place)
        doms = []
        counts = {}
        for g in groups:
            base = g[0].name.rstrip("0123456789").rstrip("-_.") or "ldg"
            counts[base] = counts.get(base, 0) + 1
            doms.append({"name": base, "workloads": [w.name for w in g]})
        seen = {}
        for d in doms:
            if counts[d["name"]] > 1:
                seen[d["name"]] = seen.get(d["name"], 0) + 1
                d["name"] = f"{d['name']}{seen[d['name']]}"
            if not NAME_RE.match(d["name"]) or d["name"] == PRIMARY:
                d["name"] = "ldg-" + d["name"]
        return doms
    return [dict(d) for d in lt.domains]


def expand(sc: Scenario) -> list[dict]:
    """Every point of the scenario, in a fixed order: each a dict with the platform
    (name, base, changes), the domains (name, vcpus or cores, memory, workload, params,
    sources), the sweep values, the times, mode and seed.  ScenarioError names a point
    whose layout does not fit its platform."""
    out, seen = [], set()
    axes = [sc.sweep["platform"], sc.sweep["layout"], sc.sweep.get("vcpus", [None]),
            sc.sweep["whole_core"], sc.sweep["intensity"]]
    for pname, lname, vcpus, whole, inten in itertools.product(*axes):
        ps = sc.platforms[pname]
        p = ps.build()
        spc = p.strands_per_core
        lt = sc.layouts[lname]
        ctl_v = sc.control.get("vcpus", spc)
        doms = [{"name": PRIMARY, "vcpus": ctl_v, "cores": 0,
                 "memory": sc.control["memory"], "workload": "idle", "params": {},
                 "sources": []}]
        ldoms = _layout_domains(sc, lt, vcpus)
        if all("vcpus" in d or "cores" in d for d in ldoms):
            vcpus = None                # the layout sizes every domain itself
        for d in ldoms:
            wls = [sc.workloads[n] for n in d["workloads"]]
            kind, params = _domain_workload(wls, inten)
            if kind not in ("idle", "program"):
                params.setdefault("seed", sc.seed)
            v = d.get("vcpus")
            c = d.get("cores", 0)
            if v is None and not c:
                v = vcpus if vcpus is not None else params.get("threads", spc)
            if whole and not c:
                c, v = -(-v // spc), 0
            if c:
                v = 0
            mem = d.get("memory", sum(w.memory for w in wls))
            doms.append({"name": d["name"], "vcpus": v or 0, "cores": c, "memory": mem,
                         "workload": kind, "params": params, "sources": d["workloads"]})
        pt = {"scenario": sc.name, "platform": {"name": pname, "base": ps.base,
                                                "changes": dict(ps.changes)},
              "layout": lname, "vcpus": vcpus, "whole_core": whole, "intensity": inten,
              "domains": doms, "mode": sc.mode, "warmup": sc.warmup, "time": sc.time,
              "samples": sc.samples, "seed": sc.seed}
        canon = json.dumps(pt, sort_keys=True)
        if canon in seen:
            continue
        seen.add(canon)
        try:
            bind(pt)
        except LdmError as e:
            what = f"vcpus = {vcpus}, " if vcpus is not None else ""
            raise ScenarioError(
                f"{sc.path}: layout {lname}: {e.args[0]} on platform {pname} "
                f"({what}{'whole cores' if whole else 'strands'})") from None
        out.append(pt)
    return out


def point_label(pt: dict) -> str:
    s = f"{pt['platform']['name']}/{pt['layout']}"
    if pt.get("vcpus") is not None:
        s += f"/v{pt['vcpus']}"
    if pt.get("whole_core"):
        s += "/wc"
    if pt.get("intensity", 1.0) != 1.0:
        s += f"/x{pt['intensity']:g}"
    return s


def total_strands(pt: dict) -> int:
    return sum(d["vcpus"] or 0 for d in pt["domains"])


def ceil_div(a, b):
    return -(-a // b) if b else math.inf


def bind(pt: dict):
    """The binder's bindings of a point's domains on its platform (ldm Bindings, as
    `sun4v boot` binds them); LdmError "domain NAME: ..." when one does not fit."""
    from ldm import binder
    from ldm.bindings import Bindings
    from ldm.constraints import Constraints
    from ..boot.system import topology_of
    ps = pt["platform"]
    p = PlatformSpec(ps["name"], ps["base"], dict(ps["changes"])).build()
    b = Bindings(topology_of(p))
    for d in pt["domains"]:
        try:
            b = binder.bind(b, Constraints(name=d["name"], vcpus=d["vcpus"],
                                           whole_core=bool(d["cores"]), cores=d["cores"],
                                           memory=d["memory"]))
        except LdmError as e:
            raise LdmError(f"domain {d['name']} does not fit: {e}") from None
    return b
