"""A domain's constraints: what the administrator asked for, bound or not (reference
ldm_xscf.md A5: add-domain / set-domain properties, vCPUs or whole cores, memory,
variables, DRM policies).

CPU: either a vCPU count (`vcpus`) or whole cores (`whole_core`: `cores` cores, or the
named cores `named_cores` of `add-core cid=...`), with `max_cores` (None = unlimited)
capping whole cores. Memory: a size in bytes, or named blocks `mblock=PA:size`.
Properties of `add-domain` / `set-domain` (A5) are kept as their ldm words; an empty
value resets one to its default (A5: "an empty value resets a property").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace

from .errors import LdmError
from .identity import parse_hostid, parse_mac, parse_uuid
from .policy import Policy

PRIMARY = "primary"
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.+-]{0,63}$")
MAX_MASTERS = 4
FAILURE_POLICIES = ("ignore", "panic", "reset", "stop")
CPU_ARCHES = ("native", "generic", "migration-class1", "sparc64-class1")

# domain properties (A5) -> (attribute, default); handled by with_property()
DOMAIN_PROPERTIES = {
    "failure-policy": ("failure_policy", "ignore"),
    "master": ("master", ()),
    "max-cores": ("max_cores", None),
    "mac-addr": ("mac", None),
    "hostid": ("hostid", None),
    "uuid": ("uuid", None),
    "cpu-arch": ("cpu_arch", "native"),
    "extended-mapin-space": ("extended_mapin_space", "off"),
    "threading": ("threading", ""),
    "shutdown-group": ("shutdown_group", 15),
    "rc-add-policy": ("rc_add_policy", ""),
}
# properties a running domain cannot take without a restart: guests must be inactive,
# the control domain takes them by delayed reconfiguration
STATIC_PROPERTIES = ("max-cores", "mac-addr", "hostid", "uuid", "cpu-arch",
                     "extended-mapin-space", "threading")


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise LdmError(f"Invalid LDom name {name!r}: a letter followed by up to 63 "
                       f"letters, digits or _ . + -")
    return name


@dataclass(frozen=True)
class Constraints:
    name: str
    vcpus: int = 0
    whole_core: bool = False
    cores: int = 0
    named_cores: tuple[int, ...] = ()
    max_cores: int | None = None
    memory: int = 0
    named_mblocks: tuple[tuple[int, int], ...] = ()
    mac: str | None = None
    hostid: str | None = None
    uuid: str | None = None
    failure_policy: str = "ignore"
    master: tuple[str, ...] = ()
    cpu_arch: str = "native"
    extended_mapin_space: str = "off"
    threading: str = ""
    shutdown_group: int = 15
    rc_add_policy: str = ""
    console_port: int | None = None
    console_group: str | None = None    # `ldm set-vcons group=` (ldm/vcons.py)
    variables: tuple[tuple[str, str], ...] = ()
    policies: tuple[Policy, ...] = field(default=())

    # --- CPU --------------------------------------------------------------------------
    def core_count(self) -> int:
        return len(self.named_cores) if self.named_cores else self.cores

    def vcpu_count(self, strands_per_core: int) -> int:
        return self.core_count() * strands_per_core if self.whole_core else self.vcpus

    def with_vcpus(self, n: int) -> "Constraints":
        return replace(self, whole_core=False, vcpus=n, cores=0, named_cores=())

    def with_cores(self, n: int = 0, named: tuple[int, ...] = ()) -> "Constraints":
        named = tuple(sorted(named))
        return replace(self, whole_core=True, vcpus=0, cores=len(named) if named else n,
                       named_cores=named)

    # --- memory -----------------------------------------------------------------------
    def memory_size(self) -> int:
        return sum(s for _, s in self.named_mblocks) if self.named_mblocks else self.memory

    def with_memory(self, size: int = 0, mblocks=()) -> "Constraints":
        mblocks = tuple(sorted(mblocks))
        return replace(self, memory=sum(s for _, s in mblocks) if mblocks else size,
                       named_mblocks=mblocks)

    def has_resources(self) -> bool:
        return bool(self.vcpus or self.core_count() or self.memory_size())

    # --- properties (add-domain / set-domain) ----------------------------------------
    def with_property(self, key: str, text: str) -> "Constraints":
        """The constraints with property `key` set from its ldm text (empty = default).
        LdmError on an unknown property or a bad value (the domain-level checks, such as
        masters existing, are the manager's)."""
        if key not in DOMAIN_PROPERTIES:
            raise LdmError(f"Invalid property {key!r}")
        attr, default = DOMAIN_PROPERTIES[key]
        if text == "":
            return replace(self, **{attr: default})
        if key == "failure-policy":
            value = _choice(key, text, FAILURE_POLICIES)
        elif key == "master":
            names = tuple(n for n in text.split(","))
            for n in names:
                check_name(n)
            if len(names) > MAX_MASTERS:
                raise LdmError(f"At most {MAX_MASTERS} master domains may be given")
            if len(set(names)) != len(names):
                raise LdmError("A master domain is listed twice")
            value = names
        elif key == "max-cores":
            value = None if text == "unlimited" else _positive(key, text)
        elif key == "mac-addr":
            value = parse_mac(text)
        elif key == "hostid":
            value = parse_hostid(text)
        elif key == "uuid":
            value = parse_uuid(text)
        elif key == "cpu-arch":
            value = _choice(key, text, CPU_ARCHES)
        elif key == "extended-mapin-space":
            value = _choice(key, text, ("on", "off"))
        elif key == "threading":
            value = _choice(key, text, ("max-ipc",))
        elif key == "shutdown-group":
            value = _positive(key, text)
            if value > 15:
                raise LdmError("Invalid shutdown-group: expected 1 to 15")
        else:                                       # rc-add-policy
            value = _choice(key, text, ("iov",))
        return replace(self, **{attr: value})

    def property_text(self, key: str) -> str:
        attr, _ = DOMAIN_PROPERTIES[key]
        v = getattr(self, attr)
        if key == "master":
            return ",".join(v)
        if key == "max-cores":
            return "unlimited" if v is None else str(v)
        return "" if v is None else str(v)

    # --- variables ----------------------------------------------------------------
    def variable(self, name: str) -> str | None:
        return dict(self.variables).get(name)

    def with_variable(self, name: str, value: str | None) -> "Constraints":
        """Set (value str) or remove (None) an OBP-style variable, keeping their order."""
        vs = [(n, v) for n, v in self.variables if n != name]
        if value is not None:
            old = [n for n, _ in self.variables]
            if name in old:
                vs.insert(old.index(name), (name, value))
            else:
                vs.append((name, value))
        return replace(self, variables=tuple(vs))

    # --- policies -----------------------------------------------------------------
    def policy(self, name: str) -> Policy | None:
        for p in self.policies:
            if p.name == name:
                return p
        return None

    def with_policy(self, policy: Policy) -> "Constraints":
        ps = list(self.policies)
        names = [p.name for p in ps]
        if policy.name in names:
            ps[names.index(policy.name)] = policy
        else:
            ps.append(policy)
        return replace(self, policies=tuple(ps))

    def without_policy(self, name: str) -> "Constraints":
        return replace(self, policies=tuple(p for p in self.policies if p.name != name))

    # --- serialisation ------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "policies":
                v = [p.to_dict() for p in v]
            elif f.name in ("named_mblocks", "variables"):
                v = [list(x) for x in v]
            elif isinstance(v, tuple):
                v = list(v)
            d[f.name] = v
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Constraints":
        d = dict(d)
        d["named_cores"] = tuple(d.get("named_cores", ()))
        d["named_mblocks"] = tuple(tuple(x) for x in d.get("named_mblocks", ()))
        d["master"] = tuple(d.get("master", ()))
        d["variables"] = tuple(tuple(x) for x in d.get("variables", ()))
        d["policies"] = tuple(Policy.from_dict(p) for p in d.get("policies", ()))
        return cls(**d)


def _choice(key: str, text: str, allowed) -> str:
    if text not in allowed:
        raise LdmError(f"Invalid {key} value {text!r}: expected {' or '.join(allowed)}")
    return text


def _positive(key: str, text: str) -> int:
    if not re.fullmatch(r"\d+", text) or int(text) < 1:
        raise LdmError(f"Invalid {key} value {text!r}: expected a positive number")
    return int(text)
