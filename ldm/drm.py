"""Dynamic resource management: the running manager's policy loop (reference
ldm_xscf.md A7; keys and their checks in policy.py).

Every sample period of a domain's policy the manager looks at the domain's utilisation
over that period, from the hypervisor's resource statistics (time not yielded, summed
over its vCPUs: ldoms_protocols.md §1.4, §2 item 7), and decides:

- the policy that applies: enabled, the machine's time of day within [tod-begin,
  tod-end], and of several the lowest priority number (A7); none: nothing happens;
- utilisation above util-upper: add vCPUs, never beyond vcpu-max (nor the free strands),
  at most `attack` at once; below util-lower: remove vCPUs, never below vcpu-min (nor
  below one), at most `decay` at once (A7);
- how many (chosen, the reference gives no formula): enough to bring the utilisation
  back inside the band with `elastic-margin` to spare, assuming the load stays the
  same: add ceil(n * u / (util-upper - margin)) - n, remove n - ceil(n * u /
  (util-lower + margin)), at least one; whole-core domains move whole cores;
- between the thresholds: nothing.

Time: a simulated machine runs far slower than a real one, so the policy's seconds
(sample-rate) are scaled: one policy second is `scale` simulated seconds (LiveManager's
drm_scale; 1e-3 by default: sample-rate=10 samples every 10 ms of simulated time). The
time of day is the machine's TOD (unscaled).

`Drm.decide(...)` returns Decisions; the manager carries each out with `ldm add-vcpu` /
`remove-vcpu` (or the core commands) through the same path as a user's command and logs
the decision's reason with the outcome.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .policy import Policy


@dataclass(frozen=True)
class Decision:
    domain: str
    policy: str
    verb: str                   # "add" or "remove"
    count: int                  # vCPUs (cores for a whole-core domain)
    unit: str                   # "vcpu" or "core"
    util: float                 # percent, over the period
    reason: str

    def argv(self) -> list[str]:
        return [f"{self.verb}-{self.unit}", str(self.count), self.domain]


@dataclass
class _Acc:
    active: int = 0             # %stick ticks of the domain's vCPUs in the period
    yielded: int = 0
    start: float | None = None  # simulated seconds when the period began
    said: str = ""              # the last "no action possible" note (not repeated)


@dataclass
class Drm:
    scale: float = 1e-3
    acc: dict = field(default_factory=dict)     # domain -> _Acc

    def account(self, domain: str, active: int, yielded: int):
        """Utilisation ticks of one sample (the manager's res_stat reads)."""
        a = self.acc.setdefault(domain, _Acc())
        a.active += active
        a.yielded += min(yielded, active)

    def forget(self, domain: str):
        self.acc.pop(domain, None)

    @staticmethod
    def applicable(policies, tod: int) -> Policy | None:
        """The policy in force at time of day `tod` (seconds after midnight)."""
        live = [p for p in policies if p.enable and p.tod_begin <= tod <= p.tod_end]
        return min(live, key=lambda p: (p.priority, p.name)) if live else None

    def decide(self, now: float, tod: int, domains) -> tuple[list[Decision], list[tuple]]:
        """domains: (name, policies, vcpus, whole_core, strands_per_core, free strands,
        free whole cores) of the active domains. Returns the decisions and the notes
        [(domain, text)] of policies that wanted to act and could not (once each)."""
        out, notes = [], []
        for name, policies, n, whole, spc, free, free_cores in domains:
            p = self.applicable(policies, tod)
            a = self.acc.setdefault(name, _Acc())
            if p is None:
                a.start, a.active, a.yielded = now, 0, 0
                continue
            if a.start is None:
                a.start = now
            if now - a.start < p.sample_rate * self.scale or a.active == 0:
                continue
            util = 100.0 * (a.active - a.yielded) / a.active
            a.start, a.active, a.yielded = now, 0, 0
            d, note = self._one(name, p, util, n, whole, spc, free, free_cores)
            if d is not None:
                out.append(d)
                a.said = ""
            elif note and note != a.said:
                notes.append((name, note))
                a.said = note
            elif not note:
                a.said = ""
        return out, notes

    @staticmethod
    def _one(name, p: Policy, util, n, whole, spc, free, free_cores):
        step = spc if whole else 1
        lo = max(p.vcpu_min or step, step)
        hi = p.vcpu_max
        where = f"policy {p.name}: utilisation {util:.1f}%"
        if util > p.util_upper:
            want = max(1, math.ceil(n * util / max(1, p.util_upper - p.elastic_margin)) - n)
            if p.attack is not None:
                want = min(want, p.attack)
            room = (free_cores * spc if whole else free)
            if hi is not None:
                room = min(room, hi - n)
            if whole:
                k = min(math.ceil(want / spc) * spc, room // spc * spc)
            else:
                k = min(want, room)
            if k <= 0:
                why = "at vcpu-max" if hi is not None and n >= hi else "no free strands"
                return None, f"{where} > util-upper {p.util_upper}% but {why} ({n} vCPUs)"
            return Decision(name, p.name, "add", k // step, "core" if whole else "vcpu",
                            util, f"{where} > util-upper {p.util_upper}%: add {k} vCPUs "
                                  f"({n} -> {n + k})"), ""
        if util < p.util_lower:
            keep = math.ceil(n * util / max(1, p.util_lower + p.elastic_margin))
            want = max(1, n - max(keep, 1))
            if p.decay is not None:
                want = min(want, p.decay)
            k = min(want, n - lo)
            if whole:
                k = k // spc * spc
            if k <= 0:
                return None, f"{where} < util-lower {p.util_lower}% but at vcpu-min ({n} vCPUs)"
            return Decision(name, p.name, "remove", k // step, "core" if whole else "vcpu",
                            util, f"{where} < util-lower {p.util_lower}%: remove {k} vCPUs "
                                  f"({n} -> {n - k})"), ""
        return None, ""
