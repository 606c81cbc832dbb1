"""Dynamic resource management (DRM) policies: `ldm add-policy / set-policy /
remove-policy` (reference ldm_xscf.md A7).

Keys and rules (A7, [V] unless marked): util-upper / util-lower (percent; vCPUs are added
above util-upper up to vcpu-max, removed below util-lower down to vcpu-min), attack /
decay (the most vCPUs added / removed in one control cycle), sample-rate (the cycle, in
seconds), elastic-margin (a buffer between the thresholds), tod-begin / tod-end (the
policy is active only between them; defaults 00:00:00 and 23:59:59; begin before end),
priority (lower number wins; 1 .. 9999, the upper bound [M]), enable (yes|no). For
whole-core domains attack, decay, vcpu-min and vcpu-max must be whole-core multiples.

Chosen (the reference could not verify Oracle's defaults): util-upper 70, util-lower 60,
elastic-margin 5 (and it must be smaller than util-upper - util-lower), sample-rate 10,
priority 99; attack, decay and vcpu-max unlimited; vcpu-min unset (the domain keeps at
least one vCPU, or one core when whole-core).
An empty value (`util-upper=`) resets a key to its default (A7, set-policy).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from .errors import LdmError
from .units import format_tod, parse_tod

UNLIMITED = None
KEYS = ("enable", "priority", "attack", "decay", "elastic-margin", "sample-rate",
        "tod-begin", "tod-end", "util-lower", "util-upper", "vcpu-min", "vcpu-max")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass(frozen=True)
class Policy:
    name: str
    enable: bool = True
    priority: int = 99
    attack: int | None = UNLIMITED
    decay: int | None = UNLIMITED
    elastic_margin: int = 5
    sample_rate: int = 10
    tod_begin: int = 0                 # seconds after midnight
    tod_end: int = 23 * 3600 + 59 * 60 + 59
    util_lower: int = 60
    util_upper: int = 70
    vcpu_min: int | None = None
    vcpu_max: int | None = UNLIMITED

    # --- key=value syntax --------------------------------------------------------
    def with_props(self, props: dict[str, str]) -> "Policy":
        """This policy with `props` (ldm keys, string values) applied; an empty value
        resets the key to its default. Validates each value's form, not the whole
        (see check())."""
        default = Policy(self.name)
        p = self
        for key, text in props.items():
            if key not in KEYS:
                raise LdmError(f"Invalid policy property {key!r}")
            attr = key.replace("-", "_")
            if text == "":
                value = getattr(default, attr)
            elif key == "enable":
                if text not in ("yes", "no"):
                    raise LdmError(f"Invalid enable value {text!r}: expected yes or no")
                value = text == "yes"
            elif key in ("tod-begin", "tod-end"):
                value = parse_tod(text, key)
            elif key in ("attack", "decay", "vcpu-max") and text == "unlimited":
                value = UNLIMITED
            else:
                value = _int(key, text)
            p = replace(p, **{attr: value})
        return p

    def check(self, strands_per_core: int | None = None) -> None:
        """LdmError naming the first broken rule. `strands_per_core` is given for a
        whole-core domain: then attack, decay, vcpu-min and vcpu-max must be multiples."""
        if not _NAME_RE.match(self.name):
            raise LdmError(f"Invalid policy name {self.name!r}")
        if not 1 <= self.priority <= 9999:
            raise LdmError(f"Invalid priority {self.priority}: expected 1 to 9999")
        for key in ("util-lower", "util-upper"):
            v = getattr(self, key.replace("-", "_"))
            if not 0 <= v <= 100:
                raise LdmError(f"Invalid {key} {v}: expected a percentage (0 to 100)")
        if self.util_lower >= self.util_upper:
            raise LdmError(f"util-lower ({self.util_lower}) must be less than util-upper "
                           f"({self.util_upper})")
        if not 0 <= self.elastic_margin < self.util_upper - self.util_lower:
            raise LdmError(f"elastic-margin ({self.elastic_margin}) must be at least 0 and "
                           f"less than util-upper - util-lower "
                           f"({self.util_upper - self.util_lower})")
        if self.sample_rate < 1:
            raise LdmError("sample-rate must be at least 1 second")
        for key in ("attack", "decay", "vcpu-min", "vcpu-max"):
            v = getattr(self, key.replace("-", "_"))
            if v is not None and v < 1:
                raise LdmError(f"Invalid {key} {v}: expected a positive number")
        if (self.vcpu_min is not None and self.vcpu_max is not None
                and self.vcpu_min > self.vcpu_max):
            raise LdmError(f"vcpu-min ({self.vcpu_min}) must not exceed vcpu-max "
                           f"({self.vcpu_max})")
        if self.tod_begin >= self.tod_end:
            raise LdmError(f"tod-begin ({format_tod(self.tod_begin)}) must come before "
                           f"tod-end ({format_tod(self.tod_end)})")
        if strands_per_core:
            for key in ("attack", "decay", "vcpu-min", "vcpu-max"):
                v = getattr(self, key.replace("-", "_"))
                if v is not None and v % strands_per_core:
                    raise LdmError(f"{key}={v} is not a whole-core multiple "
                                   f"({strands_per_core} vCPUs per core)")

    # --- output -----------------------------------------------------------------
    def items(self) -> list[tuple[str, str]]:
        """(key, value) in ldm's spelling, name first; unlimited/unset as ''."""
        out = [("name", self.name)]
        for key in KEYS:
            v = getattr(self, key.replace("-", "_"))
            if key == "enable":
                s = "yes" if v else "no"
            elif key in ("tod-begin", "tod-end"):
                s = format_tod(v)
            elif v is None:
                s = "unlimited" if key in ("attack", "decay", "vcpu-max") else ""
            else:
                s = str(v)
            out.append((key, s))
        return out

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "Policy":
        return cls(**d)


def _int(key: str, text: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise LdmError(f"Invalid {key} value {text!r}: expected a number")
    return int(text)

