"""Virtual console concentrator (vcc) services: `ldm add-vcc port-range=x-y vcc-name
ldom` (reference ldm_xscf.md A5), shown by list-services / list-bindings as
`VCC|name=primary-vcc0|nclients=2|port-range=5000-5100` (A4).

A vcc belongs to a service domain (here the control domain, where vntsd runs) and owns
a TCP port range; each bound guest's console takes the lowest free port of the range
(the CONS column of `ldm list`, A3), on which vntsd (ldm/vntsd.py) serves it; `ldm
set-vcons port= group=` (ldm/vcons.py) picks the port, and the consoles of one group
share one.

This project's choices where the reference is silent: one vcc at a time (the console
of a guest names no service, so two would make its port ambiguous); a configuration
without any vcc (factory-default, and a `sun4v boot` configuration without a [vcc]
table) gives guests ports from DEFAULT_RANGE, 5000-5100 (the range the reference's
sample uses), so that older configurations keep their consoles; ports lie in
1024-65535 (vntsd is not root's telnetd)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import LdmError

DEFAULT_NAME = "primary-vcc0"
DEFAULT_RANGE = (5000, 5100)
PORT_MIN, PORT_MAX = 1024, 65535
_RANGE_RE = re.compile(r"^(\d+)-(\d+)$")


@dataclass(frozen=True)
class Vcc:
    name: str                  # e.g. primary-vcc0
    ldom: str                  # the service domain
    lo: int                    # first port of the range
    hi: int                    # last port (inclusive)

    @property
    def ports(self) -> range:
        return range(self.lo, self.hi + 1)

    @property
    def port_range(self) -> str:
        return f"{self.lo}-{self.hi}"

    def to_dict(self) -> dict:
        return {"name": self.name, "ldom": self.ldom, "port-range": self.port_range}

    @classmethod
    def from_dict(cls, d: dict) -> "Vcc":
        lo, hi = parse_port_range(d["port-range"])
        return cls(str(d["name"]), str(d["ldom"]), lo, hi)


def parse_port_range(text: str) -> tuple[int, int]:
    """"5000-5100" -> (5000, 5100). LdmError (one line) when it is not x-y with
    PORT_MIN <= x <= y <= PORT_MAX."""
    m = _RANGE_RE.match(str(text).strip())
    if not m:
        raise LdmError(f"Invalid port-range {text!r}: give it as x-y, e.g. 5000-5100")
    lo, hi = int(m.group(1)), int(m.group(2))
    if lo > hi:
        raise LdmError(f"Invalid port-range {text}: {lo} is above {hi}")
    if lo < PORT_MIN or hi > PORT_MAX:
        raise LdmError(f"Invalid port-range {text}: ports must lie in "
                       f"{PORT_MIN}-{PORT_MAX}")
    return lo, hi


def console_ports(vccs) -> range:
    """The port range guests' consoles are taken from: the vcc's, else DEFAULT_RANGE."""
    for v in vccs:
        return v.ports
    return range(DEFAULT_RANGE[0], DEFAULT_RANGE[1] + 1)


# --- the manager's operations (a Change each; nothing changes on error) ----------------

def _clients(cfg, v: "Vcc") -> list:
    """(domain, port) of the bound guests whose console the vcc serves."""
    return [(d.name, d.console.port) for d in cfg.bindings.domains
            if d.console.port is not None and v.lo <= d.console.port <= v.hi]


def add_vcc(cfg, name: str, ldom: str, port_range: str):
    """`ldm add-vcc port-range=x-y vcc-name ldom`."""
    from dataclasses import replace

    from .actions import Change
    from .constraints import NAME_RE, PRIMARY
    lo, hi = parse_port_range(port_range)
    if not NAME_RE.match(name):
        raise LdmError(f"Invalid service name {name!r}")
    cfg.domain(ldom)
    if any(v.name == name for v in cfg.vccs):
        raise LdmError(f"Service {name} already exists")
    if ldom != PRIMARY:
        raise LdmError(f"Cannot add {name} to LDom {ldom}: vntsd runs in the control "
                       f"domain {PRIMARY}, so its vcc must be there")
    if cfg.vccs:
        raise LdmError(f"Cannot add {name}: LDom {cfg.vccs[0].ldom} already has the "
                       f"virtual console concentrator {cfg.vccs[0].name}")
    return Change(cfg, replace(cfg, vccs=(Vcc(name, ldom, lo, hi),)).check())


def set_vcc(cfg, name: str, port_range: str):
    """`ldm set-vcc port-range=x-y vcc-name`: the bound guests' ports must stay inside."""
    from dataclasses import replace

    from .actions import Change
    v = cfg.vcc(name)
    lo, hi = parse_port_range(port_range)
    for dom, port in _clients(cfg, v):
        if not lo <= port <= hi:
            raise LdmError(f"Cannot set port-range={port_range} on {name}: the console "
                           f"of LDom {dom} is bound to port {port}, outside it")
    new = Vcc(v.name, v.ldom, lo, hi)
    return Change(cfg, replace(cfg, vccs=tuple(new if x.name == name else x
                                               for x in cfg.vccs)).check())


def remove_vcc(cfg, name: str):
    """`ldm remove-vcc vcc-name`: refused while bound guests' consoles use it."""
    from dataclasses import replace

    from .actions import Change
    v = cfg.vcc(name)
    users = [d for d, _ in _clients(cfg, v)]
    if users:
        raise LdmError(f"Cannot remove {name}: the console of LDom "
                       f"{', '.join(users)} is bound to it (unbind first)")
    return Change(cfg, replace(cfg, vccs=tuple(x for x in cfg.vccs
                                               if x.name != name)).check())


def clients(cfg, v: "Vcc") -> list:
    """[(domain, port)] of the guests whose consoles `v` serves, in port order."""
    return sorted(_clients(cfg, v), key=lambda x: x[1])


# --- listings ----------------------------------------------------------------------------

def console_service(cfg, port) -> str | None:
    """`vcc-name@ldom` of the vcc whose range holds `port` (list-bindings' VCONS SERVICE),
    or None (no vcc: the hypervisor's console alone)."""
    if port is None:
        return None
    for v in cfg.vccs:
        if v.lo <= port <= v.hi:
            return f"{v.name}@{v.ldom}"
    return None


def detail(cfg, name: str) -> list:
    """[(Vcc, [(client domain, port)])] of the vccs domain `name` provides."""
    return [(v, clients(cfg, v)) for v in cfg.vccs if v.ldom == name]


def bindings_block(vccs) -> list[str]:
    """The VCC block of list-bindings for the service domain: the service, its range,
    then each client's console and port."""
    out = [f"{'NAME':<17}{'PORT-RANGE':<17}"]
    for v, cl in vccs:
        out.append(f"{v.name:<17}{v.port_range}")
        if cl:
            out.append(f"    {'CLIENT':<29}PORT")
            out += [f"    {f'{dom}@{v.name}':<29}{port}" for dom, port in cl]
    return [x.rstrip() for x in out]


def bindings_parseable(vccs) -> list[str]:
    """`VCC|name=primary-vcc0|nclients=2|port-range=5000-5100` (reference A4), then a
    `|client=ldg1@primary-vcc0|port=5000` line per client."""
    out = []
    for v, cl in vccs:
        out.append(f"VCC|name={v.name}|nclients={len(cl)}|port-range={v.port_range}")
        out += [f"|client={dom}@{v.name}|port={port}" for dom, port in cl]
    return out


def services_lines(cfg, ldoms=None) -> list[str]:
    """`ldm list-services`: the VCC block (NAME, LDOM, PORT-RANGE)."""
    vccs = [v for v in cfg.vccs if ldoms is None or v.ldom in ldoms]
    if not vccs:
        return []
    return ["VCC", f"    {'NAME':<17}{'LDOM':<17}PORT-RANGE"] + \
        [f"    {v.name:<17}{v.ldom:<17}{v.port_range}" for v in vccs]


def services_parseable(cfg, ldoms=None) -> list[str]:
    """`VCC|name=primary-vcc0|ldom=primary|port-range=5000-5100` per vcc."""
    return [f"VCC|name={v.name}|ldom={v.ldom}|port-range={v.port_range}"
            for v in cfg.vccs if ldoms is None or v.ldom in ldoms]
