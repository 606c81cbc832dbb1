"""Delayed reconfiguration of the control domain, and how every change to a domain is
committed (reference ldm_xscf.md A6).

Rules: a change the control domain cannot take while it runs (memory, whole-core
switching, max-cores and the other static properties) starts a delayed reconfiguration:
the change is kept pending and takes effect when primary reboots (`stop-domain -r
primary`, or the next power-on), the `d` flag shows in FLAGS position 3, and the
"Initiating delayed reconfigure operation on LDom primary..." notice is printed. While it
is pending, every further change to primary is deferred too (with the "Notice: LDom
primary is in the process of a delayed reconfiguration" lines), and changes to other
domains are refused: the notice between dashed lines, then "Delayed reconfiguration of
LDom NAME is not permitted" (the Fujitsu example of A6). `cancel-reconf primary` drops
the pending change. A pending change must fit the machine as the other domains hold it
now, so the reboot cannot fail.

A guest's changes apply at once: to its constraints when inactive, to its bindings when
bound (the hypervisor gets a new MD), and for an active guest only the dynamic ones
(vCPUs and cores by dr-cpu; variables, policies and dependencies); the others are refused
by the operations before they get here.
"""
from __future__ import annotations

from dataclasses import replace

from . import binder
from .actions import (Change, DelayedReconfigure, DrConfigure, DrUnconfigure, MdUpdate,
                      Reconfigure)
from .config import Config
from .constraints import PRIMARY, Constraints
from .domain import ACTIVE, INACTIVE
from .errors import LdmError

INITIATING = (
    f"Initiating delayed reconfigure operation on LDom {PRIMARY}.  All configuration",
    "changes for other LDoms are disabled until the LDom reboots, at which time",
    f"the new configuration for LDom {PRIMARY} will also take effect.",
)
NOTICE = (
    f"Notice: LDom {PRIMARY} is in the process of a delayed reconfiguration.",
    "Any changes made to this LDom will only take effect after it reboots.",
)
RULE = "-" * 78


def refusal(name: str) -> LdmError:
    return LdmError(RULE, *NOTICE, RULE,
                    f"Delayed reconfiguration of LDom {name} is not permitted")


def guard_other(cfg: Config, name: str) -> None:
    """Refuse a change to domain `name` (not primary) while primary's delayed
    reconfiguration is pending."""
    if cfg.delayed and name != PRIMARY:
        raise refusal(name)


def effective(cfg: Config, name: str) -> Constraints:
    """The constraints a change to `name` starts from: primary's pending ones while a
    delayed reconfiguration is pending, else the domain's."""
    if name == PRIMARY and cfg.pending is not None:
        return cfg.pending
    return cfg.domain(name).constraints


def commit(cfg: Config, new: Constraints, *, dynamic: bool, force: bool = False,
           extra=()) -> Change:
    """The change that gives domain `new.name` the constraints `new` (module docstring).
    `dynamic`: whether a running domain can take it now. `extra`: actions to append for a
    running domain (e.g. SetVariables)."""
    name = new.name
    dom = cfg.domain(name)
    if name == PRIMARY and (cfg.delayed or not dynamic):
        notice = NOTICE if cfg.delayed else INITIATING
        after = replace(cfg, pending=new)
        binder.rebind(after.bindings, new)            # must fit now: BindError if not
        return Change(cfg, after, (DelayedReconfigure(PRIMARY),), notice)
    guard_other(cfg, name)
    if dom.state == INACTIVE:
        return Change(cfg, cfg.with_domain(dom.with_constraints(new)).check())
    if dom.state == ACTIVE and not dynamic:
        raise LdmError(f"LDom {name} is active: this change needs it stopped")
    bindings = binder.rebind(cfg.bindings, new)
    after = replace(cfg.with_domain(dom.with_constraints(new)), bindings=bindings).check()
    return Change(cfg, after, hv_actions(cfg, after, name, force) +
                  (tuple(extra) if dom.state == ACTIVE else ()))


def hv_actions(before: Config, after: Config, name: str, force: bool = False) -> tuple:
    """The machine's steps for domain `name`'s bindings going from `before` to `after`:
    nothing if they are equal; a bound domain: a reconfigure; an active one: dr-cpu
    unconfigure of the vCPUs it loses, reconfigure, md-update, dr-cpu configure of the
    vCPUs it gains (ldoms_protocols.md §1.3 ordering rules)."""
    old, new = before.bindings.get(name), after.bindings.get(name)
    if old == new:
        return ()
    if before.domain(name).state != ACTIVE:
        return (Reconfigure(),)
    old_v = {(v.vid, v.pid) for v in old.vcpus}
    new_v = {(v.vid, v.pid) for v in new.vcpus}
    gone = tuple(sorted(v for v, _ in old_v - new_v))
    came = tuple(sorted(v for v, _ in new_v - old_v))
    acts: list = []
    if gone:
        acts.append(DrUnconfigure(name, gone, force))
    acts += [Reconfigure(), MdUpdate(name)]
    if came:
        acts.append(DrConfigure(name, came))
    return tuple(acts)


def apply_pending(cfg: Config) -> Config:
    """primary rebooted: its pending constraints become its constraints and bindings."""
    if cfg.pending is None:
        return cfg
    dom = cfg.domain(PRIMARY)
    bindings = binder.rebind(cfg.bindings, cfg.pending)
    return replace(cfg.with_domain(dom.with_constraints(cfg.pending)), pending=None,
                   bindings=bindings).check()

