"""A guest's virtual console: `ldm set-vcons [port=[N]] [group=[G]] [service=VCC] ldom`
(also `set-vconsole`; the syntax real scripts use, e.g. `ldm set-vcons port=5000
group=SP service=primary-vcc0 ldom1`). The console's group is what vntsd serves on one
TCP port: every console of a group shares its port, and a client connecting to it picks
one of them (ldm/vntsd.py). A console is in its own group, named after its domain,
unless `group=` names another; `ldm list` shows the port in CONS (reference ldm_xscf.md
A3), `ldm list-bindings` the group as the VCONS NAME (A3, A4 `VCONS|group=..`).

This project's rules where the reference is silent: the console is set while the domain
is inactive (its port is taken when it is bound, like every other binding); `port=` must
lie in the vcc's range (without a vcc, the default range 5000-5100, ldm/vcc.py);
`service=` must name the vcc (there is one at a time); an empty value (`port=`,
`group=`) returns to the default (the lowest free port; the domain's own group); two
domains of one group may not ask for different ports, and a domain may not ask for a
port that a bound console of another group holds (refused with one line, nothing
changed). The console is never logged (`log=` is refused: there is no vntsd log)."""
from __future__ import annotations

from .actions import Change
from .constraints import NAME_RE, PRIMARY
from .domain import INACTIVE
from .errors import LdmError

PROPS = ("port", "group", "service")


def group_of(cfg, name: str) -> str:
    """The console group of domain `name` (its own name unless `group=` set another)."""
    return cfg.domain(name).constraints.console_group or name


def set_vcons(cfg, name: str, props: dict) -> Change:
    """The change `ldm set-vcons` makes (module docstring). LdmError (one line) on a bad
    value, an unknown service, a domain that is primary or not inactive, or a port that
    conflicts with the console's group or another group."""
    from dataclasses import replace
    dom = cfg.domain(name)
    if name == PRIMARY:
        raise LdmError(f"Cannot set the console of LDom {PRIMARY}: it is the "
                       f"hypervisor's console (UART), not served by vntsd")
    if dom.state != INACTIVE:
        raise LdmError(f"LDom {name} is {dom.state}: its console can be set only while "
                       f"it is inactive (unbind it first)")
    c = dom.constraints
    port, group = c.console_port, c.console_group
    if "service" in props:
        svc = props["service"]
        if svc:
            cfg.vcc(svc)                            # "Service X does not exist"
    if "port" in props:
        text = props["port"]
        if text == "":
            port = None
        else:
            if not text.isdigit():
                raise LdmError(f"Invalid port {text!r}: give a TCP port number")
            port = int(text)
            rng = cfg.console_ports
            if port not in rng:
                raise LdmError(f"Invalid port {port}: outside the console port range "
                               f"{rng.start}-{rng.stop - 1}")
    if "group" in props:
        text = props["group"]
        if text and not NAME_RE.match(text):
            raise LdmError(f"Invalid console group name {text!r}")
        group = text or None
    g = group or name
    for other in cfg.domains:
        if other.name in (name, PRIMARY):
            continue
        oc = other.constraints
        og = oc.console_group or other.name
        b = cfg.bindings.get(other.name)
        bport = b.console.port if b is not None else None
        if og == g:
            theirs = bport if bport is not None else oc.console_port
            if port is not None and theirs is not None and theirs != port:
                raise LdmError(f"Cannot set port={port} for LDom {name}: console group "
                               f"{g} uses port {theirs} (LDom {other.name})")
        elif port is not None and bport == port:
            raise LdmError(f"Console port {port} is already in use by console group "
                           f"{og} (LDom {other.name})")
    new = replace(c, console_port=port, console_group=group)
    return Change(cfg, cfg.with_domain(dom.with_constraints(new)).check())
