"""Variables and DRM policies of a domain (reference ldm_xscf.md A5 set-/remove-/
list-variable, A7 add/set/remove-policy).

Variables are the domain's OpenBoot-style NVRAM variables (`auto-boot?=false`); an
active guest gets them over its domain-services channel (var-config), so they change
dynamically. Policies are the manager's own (its DRM loop acts on them), so they too
change at once; on primary during a delayed reconfiguration both are deferred like
every other change to it.
"""
from __future__ import annotations

from . import progvar
from .actions import Change, SetVariables
from .config import Config
from .errors import LdmError
from .policy import Policy
from .reconf import commit, effective, guard_other


def set_variables(cfg: Config, name: str, pairs: list[tuple[str, str]],
                  cwd: str | None = None) -> Change:
    """cwd: where a relative `program` file is (ldm/progvar.py)."""
    d = cfg.domain(name)
    guard_other(cfg, name)
    c0 = c = effective(cfg, name)
    if not pairs:
        raise LdmError("set-variable needs at least one name=value")
    for var, value in pairs:
        _check_var(var)
        if var == progvar.PROGRAM:
            value = progvar.resolve(value, cwd)
        c = c.with_variable(var, value)
    progvar.check_change(name, d.state, c0, c)
    return commit(cfg, c, dynamic=True, extra=(SetVariables(name),))


def remove_variables(cfg: Config, name: str, names: list[str]) -> Change:
    d = cfg.domain(name)
    guard_other(cfg, name)
    c0 = c = effective(cfg, name)
    if not names:
        raise LdmError("remove-variable needs at least one variable name")
    for var in names:
        if c.variable(var) is None:
            raise LdmError(f"Variable {var} not found in LDom {name}")
        c = c.with_variable(var, None)
    progvar.check_change(name, d.state, c0, c)
    return commit(cfg, c, dynamic=True, extra=(SetVariables(name),))


def list_variables(cfg: Config, name: str, names: list[str]) -> list[tuple[str, str]]:
    cfg.domain(name)
    c = effective(cfg, name)
    if not names:
        return list(c.variables)
    out = []
    for var in names:
        v = c.variable(var)
        if v is None:
            raise LdmError(f"Variable {var} not found in LDom {name}")
        out.append((var, v))
    return out


def _check_var(var: str) -> None:
    if not var or "=" in var or any(ch.isspace() for ch in var):
        raise LdmError(f"Invalid variable name {var!r}")


# --- policies ------------------------------------------------------------------------

def add_policy(cfg: Config, names: list[str], policy: str, props: dict[str, str]
               ) -> Change:
    """add-policy [key=value...] name=POLICY ldom...: the policy on every named domain."""
    if not names:
        raise LdmError("add-policy needs at least one domain")
    after, out, acts = cfg, [], []
    for n in names:
        after.domain(n)
        guard_other(after, n)
        c = effective(after, n)
        if c.policy(policy) is not None:
            raise LdmError(f"Policy {policy} already exists for LDom {n}")
        p = Policy(policy).with_props(props)
        _check(after, c, p)
        ch = commit(after, c.with_policy(p), dynamic=True)
        after, out, acts = ch.after, out + list(ch.out), acts + list(ch.actions)
    return Change(cfg, after, tuple(acts), tuple(out))


def set_policy(cfg: Config, names: list[str], policy: str, props: dict[str, str]
               ) -> Change:
    if not names:
        raise LdmError("set-policy needs at least one domain")
    if not props:
        raise LdmError("set-policy needs at least one property=value")
    after, out, acts = cfg, [], []
    for n in names:
        after.domain(n)
        guard_other(after, n)
        c = effective(after, n)
        old = c.policy(policy)
        if old is None:
            raise LdmError(f"Policy {policy} does not exist for LDom {n}")
        p = old.with_props(props)
        _check(after, c, p)
        ch = commit(after, c.with_policy(p), dynamic=True)
        after, out, acts = ch.after, out + list(ch.out), acts + list(ch.actions)
    return Change(cfg, after, tuple(acts), tuple(out))


def remove_policies(cfg: Config, name: str, policies: list[str]) -> Change:
    cfg.domain(name)
    guard_other(cfg, name)
    c = effective(cfg, name)
    if not policies:
        raise LdmError("remove-policy needs at least one policy name")
    for p in policies:
        if c.policy(p) is None:
            raise LdmError(f"Policy {p} does not exist for LDom {name}")
        c = c.without_policy(p)
    return commit(cfg, c, dynamic=True)


def _check(cfg: Config, c, p: Policy) -> None:
    p.check(cfg.topology.strands_per_core if c.whole_core else None)
