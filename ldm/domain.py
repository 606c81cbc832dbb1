"""A logical domain as the manager keeps it: constraints, life-cycle state (reference
ldm_xscf.md A1: inactive -> bound -> active) and what the FLAGS column shows (A2).

FLAGS, six positions (A2): 1 `s` starting or stopping; 2 `n` normal (active), `t`
transition, `d` degraded (cannot start: resources missing); 3 `d` delayed reconfiguration
pending, `r` memory DR in progress (never: memory DR is not modelled); 4 `c` control
domain; 5 `v` virtual I/O service domain: one providing a vcc or a vds (ldm/vcc.py,
ldm/vio.py; there is no vsw), so primary shows `-n-cv-` with them and `-n-c--`, the
reference's "primary with no services", without; 6 migration
(never). Unused positions print `-`. With `-l -p` the flags are words (A2:
`normal,control,vio-service`); the words for the other letters are [M].
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .constraints import PRIMARY, Constraints

INACTIVE, BOUND, ACTIVE = "inactive", "bound", "active"
STATES = (INACTIVE, BOUND, ACTIVE)
TRANSITIONS = ("", "starting", "stopping")


@dataclass(frozen=True)
class Domain:
    constraints: Constraints
    state: str = INACTIVE
    transition: str = ""          # live only: a start or stop under way
    degraded: bool = False        # live only: could not be started, resources missing

    @property
    def name(self) -> str:
        return self.constraints.name

    @property
    def is_control(self) -> bool:
        return self.name == PRIMARY

    def with_constraints(self, c: Constraints) -> "Domain":
        return replace(self, constraints=c)

    def with_state(self, state: str) -> "Domain":
        assert state in STATES
        return replace(self, state=state, transition="", degraded=False)

    # --- FLAGS ----------------------------------------------------------------------
    def flags(self, delayed_reconf: bool = False, vio_service: bool = False) -> str:
        """The six FLAGS letters (A2); `vio_service`: the domain provides a vcc or vds."""
        f = ["-"] * 6
        if self.transition:
            f[0] = "s"
        if self.degraded:
            f[1] = "d"
        elif self.transition:
            f[1] = "t"
        elif self.state == ACTIVE:
            f[1] = "n"
        if delayed_reconf:
            f[2] = "d"
        if self.is_control:
            f[3] = "c"
        if vio_service:
            f[4] = "v"
        return "".join(f)

    def flag_words(self, delayed_reconf: bool = False, vio_service: bool = False
                   ) -> list[str]:
        """The spelled-out flags of `-l -p` output (A2: `normal,control,vio-service`)."""
        words = []
        if self.transition:
            words.append(self.transition)
        if self.degraded:
            words.append("degraded")
        elif self.transition:
            words.append("transition")
        elif self.state == ACTIVE:
            words.append("normal")
        if delayed_reconf:
            words.append("delayed-reconfig")
        if self.is_control:
            words.append("control")
        if vio_service:
            words.append("vio-service")
        return words

    def to_dict(self) -> dict:
        return dict(constraints=self.constraints.to_dict(), state=self.state,
                    transition=self.transition, degraded=self.degraded)

    @classmethod
    def from_dict(cls, d: dict) -> "Domain":
        dom = cls(Constraints.from_dict(d["constraints"]), d["state"],
                  d.get("transition", ""), bool(d.get("degraded", False)))
        if dom.state not in STATES or dom.transition not in TRANSITIONS:
            raise ValueError(f"bad state {dom.state!r}/{dom.transition!r}")
        return dom
