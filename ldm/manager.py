"""The life-cycle operations of the manager (reference ldm_xscf.md A1, A5): add-domain,
set-domain, remove-domain, bind-domain, unbind-domain, start-domain, stop-domain,
start-reconf, cancel-reconf. Resources are in resources.py, variables and policies in
settings.py.

Each operation takes a Config and returns a Change (actions.py), or raises LdmError with
the lines to print; the Config it was given is never modified. Life-cycle rules (A1):
inactive -> bind -> bound -> start -> active -> stop -> bound -> unbind -> inactive; only
inactive domains are removed; the control domain is never stopped (it reboots: `stop
-r`), unbound or removed.
"""
from __future__ import annotations

from dataclasses import replace

from . import binder
from .binder import GRANULE
from .actions import (CancelReconfigure, Change, DelayedReconfigure, GuestReboot,
                      GuestStart, GuestStop, Reconfigure)
from .config import Config
from .constraints import PRIMARY, STATIC_PROPERTIES, Constraints, check_name
from .domain import ACTIVE, BOUND, INACTIVE, Domain
from .errors import LdmError
from .reconf import INITIATING, apply_pending, commit, effective, guard_other
from .units import format_size

CONTROL_WORDS = f"The control domain {PRIMARY}"


# --- add / set / remove ---------------------------------------------------------------

def add_domain(cfg: Config, name: str, props: dict[str, str] | None = None) -> Change:
    """Create inactive domain `name` with the given properties (A5) and a generated MAC
    address, hostid and UUID unless given."""
    return add_domains(cfg, [(name, props or {})])


def add_domains(cfg: Config, specs) -> Change:
    """Create several domains at once, all or none: `specs` is a list of (name, props) or
    of Constraints (XML import: resources included, checked to fit the platform)."""
    after = cfg
    for spec in specs:
        if isinstance(spec, Constraints):
            c, props = spec, {}
        else:
            name, props = spec
            c = Constraints(check_name(name))
        guard_other(after, c.name)
        check_name(c.name)
        if after.get(c.name) is not None:
            raise LdmError(f"LDom {c.name} already exists")
        for key, text in props.items():
            c = c.with_property(key, text)
        after, ident = after.new_identity()
        c = replace(c, mac=c.mac or ident.mac, hostid=c.hostid or ident.hostid,
                    uuid=c.uuid or ident.uuid)
        check_fit(after, c)
        if c.memory and not c.named_mblocks and c.memory % GRANULE:
            raise LdmError(f"Memory of LDom {c.name} ({format_size(c.memory)}) is not a "
                           f"multiple of {format_size(GRANULE)}")
        for p in c.policies:
            p.check(after.topology.strands_per_core if c.whole_core else None)
        after = after.with_domain(Domain(c))
    for spec in specs:
        name = spec.name if isinstance(spec, Constraints) else spec[0]
        check_identity(after, after.domain(name).constraints)
        check_masters(after, after.domain(name).constraints)
    return Change(cfg, after.check())


def set_domain(cfg: Config, name: str, props: dict[str, str]) -> Change:
    """Change domain properties (A5 set-domain; an empty value resets one). The static
    ones (max-cores, mac-addr, hostid, uuid, cpu-arch, extended-mapin-space, threading)
    need an inactive guest, or a delayed reconfiguration of primary."""
    dom = cfg.domain(name)
    guard_other(cfg, name)
    if not props:
        raise LdmError("set-domain needs at least one property=value")
    c = effective(cfg, name)
    static = False
    for key, text in props.items():
        c = c.with_property(key, text)
        if key in STATIC_PROPERTIES:
            static = True
            if name == PRIMARY and key in ("mac-addr", "hostid", "uuid"):
                raise LdmError(f"{CONTROL_WORDS}'s {key} is the system's and cannot "
                               f"be changed")
            if name != PRIMARY and dom.state != INACTIVE:
                raise LdmError(f"Cannot change {key} of LDom {name} while it is "
                               f"{dom.state}: it must be inactive")
    check_identity(cfg, c)
    check_masters(cfg, c)
    check_fit(cfg, c)
    return commit(cfg, c, dynamic=not static)


def remove_domains(cfg: Config, names: list[str], all_: bool = False) -> Change:
    """Remove inactive domains (`-a`: every domain but primary, all of them inactive)."""
    if all_:
        names = [n for n in cfg.names() if n != PRIMARY]
    after = cfg
    for n in names:
        if n == PRIMARY:
            raise LdmError(f"{CONTROL_WORDS} cannot be removed")
        dom = after.domain(n)
        guard_other(after, n)
        if dom.state != INACTIVE:
            raise LdmError(f"LDom {n} is {dom.state}: only inactive domains can be "
                           f"removed")
        after = after.without_domain(n)
    for d in after.domains:
        gone = [m for m in d.constraints.master if after.get(m) is None]
        if gone:
            raise LdmError(f"LDom {gone[0]} is a master of LDom {d.name}: remove the "
                           f"dependency first (ldm set-domain master= {d.name})")
    return Change(cfg, after.check())


# --- bind / unbind / start / stop -------------------------------------------------------

def bind_domain(cfg: Config, name: str) -> Change:
    dom = cfg.domain(name)
    guard_other(cfg, name)
    if dom.state != INACTIVE:
        raise LdmError(f"LDom {name} is already bound" if dom.state == BOUND
                       else f"LDom {name} is {dom.state}")
    c = dom.constraints
    check_bindable(cfg, c)
    bindings = binder.bind(cfg.bindings, c, cfg.console_ports)
    after = replace(cfg.with_domain(dom.with_state(BOUND)), bindings=bindings).check()
    return Change(cfg, after, (Reconfigure(),))


def unbind_domain(cfg: Config, name: str) -> Change:
    dom = cfg.domain(name)
    if name == PRIMARY:
        raise LdmError(f"{CONTROL_WORDS} cannot be unbound")
    guard_other(cfg, name)
    if dom.state == INACTIVE:
        raise LdmError(f"LDom {name} is not bound")
    if dom.state == ACTIVE:
        raise LdmError(f"LDom {name} is active: stop it first")
    after = replace(cfg.with_domain(dom.with_state(INACTIVE)),
                    bindings=binder.unbind(cfg.bindings, name)).check()
    return Change(cfg, after, (Reconfigure(),))


def start_domains(cfg: Config, names: list[str], all_: bool = False) -> Change:
    if all_:
        names = [d.name for d in cfg.domains if d.state == BOUND]
    after, acts = cfg, []
    for n in names:
        dom = after.domain(n)
        guard_other(after, n)
        if dom.state == ACTIVE:
            raise LdmError(f"LDom {n} is already active")
        if dom.state == INACTIVE:
            raise LdmError(f"LDom {n} is not bound: bind it first (ldm bind-domain {n})")
        after = after.with_domain(dom.with_state(ACTIVE))
        acts.append(GuestStart(n))
    return Change(cfg, after.check(), tuple(acts))


def stop_domains(cfg: Config, names: list[str], all_: bool = False, force: bool = False,
                 reboot: bool = False) -> Change:
    """Stop active domains (`-a`: every active guest; `-f`: forced), or with `-r` reboot
    them: a reboot of primary applies its pending delayed reconfiguration."""
    if all_:
        names = [d.name for d in cfg.domains if d.state == ACTIVE and d.name != PRIMARY]
    after, acts = cfg, []
    for n in names:
        dom = after.domain(n)
        if n == PRIMARY and not reboot:
            raise LdmError(f"{CONTROL_WORDS} cannot be stopped; reboot it with "
                           f"'ldm stop-domain -r {PRIMARY}'")
        if n != PRIMARY:
            guard_other(after, n)
        if dom.state != ACTIVE:
            raise LdmError(f"LDom {n} is not active")
        if reboot:
            if n == PRIMARY:
                after = apply_pending(after)
            acts.append(GuestReboot(n))
        else:
            after = after.with_domain(dom.with_state(BOUND))
            acts.append(GuestStop(n, force))
    return Change(cfg, after.check(), tuple(acts))


# --- delayed reconfiguration ------------------------------------------------------------

def start_reconf(cfg: Config, name: str) -> Change:
    cfg.domain(name)
    if name != PRIMARY:
        raise LdmError(f"Delayed reconfiguration applies only to the control domain "
                       f"{PRIMARY}")
    if cfg.delayed:
        raise LdmError(f"LDom {PRIMARY} is already in delayed reconfiguration")
    after = replace(cfg, pending=cfg.domain(PRIMARY).constraints)
    return Change(cfg, after, (DelayedReconfigure(PRIMARY),), INITIATING)


def cancel_reconf(cfg: Config, name: str) -> Change:
    cfg.domain(name)
    if name != PRIMARY or not cfg.delayed:
        raise LdmError(f"No delayed reconfiguration is pending on LDom {name}")
    return Change(cfg, replace(cfg, pending=None), (CancelReconfigure(PRIMARY),))


# --- checks shared with resources.py and xmlio ------------------------------------------

def check_fit(cfg: Config, c: Constraints) -> None:
    """Constraints the platform could ever satisfy (counts, named cores, max-cores)."""
    t = cfg.topology
    n = c.vcpu_count(t.strands_per_core)
    if n > t.strands:
        raise LdmError(f"The {t.name} has {t.strands} strands: {n} vCPUs cannot be "
                       f"assigned to {c.name}")
    for cid in c.named_cores:
        if not 0 <= cid < t.cores:
            raise LdmError(f"Core {cid} does not exist on the {t.name} "
                           f"(cores 0 to {t.cores - 1})")
    if c.whole_core and c.max_cores is not None and c.core_count() > c.max_cores:
        raise LdmError(f"LDom {c.name} would have {c.core_count()} cores, more than "
                       f"its max-cores={c.max_cores}")
    usable = t.memory - sum(s for _, s in t.reserved_ranges)
    if c.memory_size() > usable:
        raise LdmError(f"The {t.name} has {format_size(usable)} of memory for domains: "
                       f"{format_size(c.memory_size())} cannot be assigned to {c.name}")


def check_bindable(cfg: Config, c: Constraints) -> None:
    if c.vcpu_count(cfg.topology.strands_per_core) < 1:
        raise LdmError(f"LDom {c.name} has no vCPUs: add some before binding "
                       f"(ldm add-vcpu N {c.name})")
    if c.memory_size() < 1:
        raise LdmError(f"LDom {c.name} has no memory: add some before binding "
                       f"(ldm add-memory SIZE {c.name})")
    check_fit(cfg, c)


def check_identity(cfg: Config, c: Constraints) -> None:
    for d in cfg.domains:
        if d.name == c.name:
            continue
        if c.mac and d.constraints.mac == c.mac:
            raise LdmError(f"MAC address {c.mac} is already in use by LDom {d.name}")
        if c.uuid and d.constraints.uuid == c.uuid:
            raise LdmError(f"uuid {c.uuid} is already in use by LDom {d.name}")


def check_masters(cfg: Config, c: Constraints) -> None:
    """Masters exist, are not the domain itself, and form no cycle."""
    for m in c.master:
        if m == c.name:
            raise LdmError(f"LDom {c.name} cannot be its own master")
        if cfg.get(m) is None:
            raise LdmError(f"LDom {m} does not exist")
    masters = {d.name: d.constraints.master for d in cfg.domains}
    masters[c.name] = c.master
    seen, todo = set(), list(c.master)
    while todo:
        m = todo.pop()
        if m == c.name:
            raise LdmError(f"Master dependency cycle: LDom {c.name} would be a master "
                           f"of its own master")
        if m not in seen:
            seen.add(m)
            todo.extend(masters.get(m, ()))
