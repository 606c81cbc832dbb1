"""What the TUI shows, as plain values: a snapshot of the running machine (the `ldm list`
rows, the strand map, simulated time) and the manager's events (dr-cpu requests with
their per-vCPU results, policy actions, delayed reconfiguration), plus the figures the
app derives from two snapshots (utilisation and throughput over the interval).

Facts: reference ldm_xscf.md A2/A3 (the `ldm list` columns, FLAGS), ldoms_protocols.md
§1.3 (dr-cpu results: ok, failure, blocked, not responding, not in MD; illumos's
reasons) and §2 (UTIL is time not yielded to the hypervisor; users want to see split
cores, why a removal was blocked and why a policy acted).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# dr-cpu result words (ldm/ds.py DR_RESULTS); the guest refuses to force a removal of
# the last online vCPU of its processor set, a bound thread only holds a vCPU unforced
# (sun4v/guest/README.md "Domain services", illumos dr_cpu.c)
DR_BLOCKED = "blocked"
LAST_ONLINE = "last online cpu"


@dataclass(frozen=True)
class DomainView:
    """One domain as `ldm list` shows it, plus the running machine's raw counters.

    state: active / bound / inactive; flags: the six-letter FLAGS column; cons: `UART`
    or the console port; ncpu: bound vCPUs; mem: bytes; util: percent of time not
    yielded to the hypervisor since the domain started (None when not running);
    uptime: simulated seconds (None when not running).  busy / ticks: cumulative %stick
    ticks not yielded / elapsed over the domain's vCPUs (for the interval utilisation);
    work: cumulative work units of the domain's workload (None when not known), in
    `work_unit` (e.g. "units", "requests")."""
    name: str
    state: str
    flags: str
    cons: str = ""
    ncpu: int | None = None
    mem: int | None = None
    util: float | None = None
    uptime: int | None = None
    busy: int = 0
    ticks: int = 0
    work: int | None = None
    work_unit: str = "units"
    workload: str = ""


@dataclass(frozen=True)
class StrandView:
    """One hardware strand: its owning domain (None when free), the vCPU id it runs in
    that domain, and utilisation in percent (time not yielded, since the vCPU started;
    None when free or stopped).  busy / ticks as for DomainView."""
    pid: int
    owner: str | None = None
    vid: int | None = None
    util: float | None = None
    busy: int = 0
    ticks: int = 0


@dataclass(frozen=True)
class Snapshot:
    """The machine at one simulated instant.  time: simulated seconds since power-on;
    strands: one per pid 0 .. cores * strands_per_core - 1, in pid order."""
    platform: str
    cores: int
    strands_per_core: int
    time: float
    domains: tuple[DomainView, ...] = ()
    strands: tuple[StrandView, ...] = ()

    def domain(self, name: str) -> DomainView | None:
        for d in self.domains:
            if d.name == name:
                return d
        return None

    def names(self) -> list[str]:
        return [d.name for d in self.domains]

    def core_strands(self, cid: int) -> tuple[StrandView, ...]:
        k = self.strands_per_core
        return self.strands[cid * k:(cid + 1) * k]

    def split_cores(self) -> dict[int, tuple[str, ...]]:
        """Cores whose strands belong to more than one domain: cid -> the domains in
        the order of their first strand (ldm list-devices -a core shows them too)."""
        out = {}
        for cid in range(self.cores):
            owners: list[str] = []
            for s in self.core_strands(cid):
                if s.owner is not None and s.owner not in owners:
                    owners.append(s.owner)
            if len(owners) > 1:
                out[cid] = tuple(owners)
        return out


@dataclass(frozen=True)
class DrResult:
    """One vCPU's line of a dr-cpu reply: result (ok, failure, blocked, not
    responding, not in MD), status after the request (configured, unconfigured, not
    present) and the guest's reason (e.g. "cpu has bound threads")."""
    vid: int
    result: str
    status: str = ""
    reason: str = ""
    pid: int | None = None


@dataclass(frozen=True)
class Event:
    """One entry of the manager's DR/event log.

    kind (ldm/live.py's words): "dr" (a dr-cpu request; `request` is configure /
    unconfigure / forced unconfigure and `results` the guest's per-vCPU answers),
    "blocked" (one vCPU the guest refused), "policy" (a DRM policy acted; `text` says
    why), "delayed" (delayed reconfiguration started, applied or cancelled), "state" (a
    domain started or stopped, its services registered), "hv" (the hypervisor control
    channel), "command" (a command from elsewhere: the socket, a policy), "error",
    "info".  time: simulated seconds; seq: increasing."""
    seq: int
    time: float
    kind: str
    text: str
    domain: str | None = None
    request: str = ""
    results: tuple[DrResult, ...] = ()
    argv: tuple[str, ...] = ()        # the command that caused it, when one did

    def blocked(self) -> tuple[DrResult, ...]:
        return tuple(r for r in self.results if r.result == DR_BLOCKED)

    def forceable(self) -> tuple[DrResult, ...]:
        """The blocked vCPUs a forced removal may take (not the last online one)."""
        if self.kind != "dr" or "force" in self.request:
            return ()
        return tuple(r for r in self.blocked() if LAST_ONLINE not in r.reason)


@dataclass(frozen=True)
class Rates:
    """A domain over one interval between snapshots: utilisation in percent (None when
    no vCPU ran) and throughput in work units per simulated second (None when unknown)."""
    util: float | None
    throughput: float | None


def interval_rates(prev: Snapshot | None, cur: Snapshot) -> dict[str, Rates]:
    """Per domain of `cur`, utilisation and throughput between `prev` and `cur`.

    util = d(busy) / d(ticks) * 100 (ticks are %stick ticks summed over the domain's
    vCPUs, so this is the share of vCPU time not yielded); throughput = d(work) /
    d(time).  Without a previous snapshot of the domain, or when time did not advance:
    the domain's util since start and no throughput."""
    out: dict[str, Rates] = {}
    dt = cur.time - prev.time if prev is not None else 0.0
    for d in cur.domains:
        p = prev.domain(d.name) if prev is not None else None
        util = d.util
        thr = None
        if p is not None and dt > 0:
            dticks = d.ticks - p.ticks
            if dticks > 0:
                util = max(0.0, min(100.0, 100.0 * (d.busy - p.busy) / dticks))
            if d.work is not None and p.work is not None:
                thr = max(0, d.work - p.work) / dt
        out[d.name] = Rates(util if d.state == "active" else None, thr)
    return out


def strand_rates(prev: Snapshot | None, cur: Snapshot) -> list[float | None]:
    """Per strand of `cur` (pid order): utilisation in percent over the interval (the
    strand's since-start figure without a previous snapshot); None for free strands."""
    out: list[float | None] = []
    for s in cur.strands:
        u = s.util
        if prev is not None and s.pid < len(prev.strands):
            p = prev.strands[s.pid]
            if p.owner == s.owner and p.vid == s.vid and s.ticks > p.ticks:
                u = max(0.0, min(100.0, 100.0 * (s.busy - p.busy) / (s.ticks - p.ticks)))
        out.append(u if s.owner is not None else None)
    return out


@dataclass
class History:
    """The last `size` samples of each domain's utilisation and throughput (sparkline
    data), one sample per simulated interval."""
    size: int = 60
    util: dict[str, list[float]] = field(default_factory=dict)
    throughput: dict[str, list[float]] = field(default_factory=dict)

    def add(self, rates: dict[str, Rates]) -> None:
        for name, r in rates.items():
            for series, v in ((self.util, r.util), (self.throughput, r.throughput)):
                xs = series.setdefault(name, [])
                xs.append(0.0 if v is None else float(v))
                del xs[:-self.size]
        for series in (self.util, self.throughput):
            for gone in [n for n in series if n not in rates]:
                del series[gone]
