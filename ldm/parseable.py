"""`-p` parseable output (reference ldm_xscf.md A4): line 1 `VERSION 1.6` (the 3.x
form); record lines start with a KEYWORD, sub-item lines with `|`; fields are
`key=value` joined by `|`. `mem` and `size` are bytes, `uptime` seconds, addresses hex.
For an inactive domain the fields are present but empty (A4); scripts split DOMAIN lines
on `|` and read state as field 3 and cons as field 5, so the field order is fixed:
name, state, flags, cons, ncpu, mem, util, uptime (then softstate with -l).
Flags are spelled out (`normal,control`).
"""
from __future__ import annotations

from .vio import parseable as vio_parseable
from .formats import BLOCKS

VERSION = "VERSION 1.6"


def _fields(keyword: str, pairs) -> str:
    return "|".join([keyword] + [f"{k}={'' if v is None else v}" for k, v in pairs])


def _util(u) -> str:
    return "" if u is None else f"{u:.1f}"


def domain_line(r: dict, long: bool = False) -> str:
    pairs = [("name", r["name"]), ("state", r["state"]),
             ("flags", ",".join(r["flag_words"])), ("cons", r["cons"]),
             ("ncpu", r["ncpu"]), ("mem", r["mem"]), ("util", _util(r["util"])),
             ("uptime", r["uptime"])]
    if long:
        pairs.append(("softstate", r["softstate"]))
    return _fields("DOMAIN", pairs)


def domain_list(rows: list[dict]) -> list[str]:
    return [VERSION] + [domain_line(r) for r in rows]


def long_listing(details: list[dict], blocks=BLOCKS, extended: bool = False) -> list[str]:
    out = [VERSION]
    for d in details:
        out.append(domain_line(d["row"], long=True))
        if "domain" in blocks:
            out.append(f"UUID|uuid={d['uuid']}")
            out.append(f"MAC|mac-addr={d['mac']}")
            out.append(f"HOSTID|hostid={d['hostid']}")
            out.append(_fields("CONTROL", d["control"]))
            out.append(f"DEPENDENCY|master={','.join(d['master'])}")
        if "core" in blocks and d["cores"]:
            out.append("CORE")
            out += [_fields("", [("cid", cid), ("cpuset", ",".join(map(str, p)))])
                    for cid, p in d["cores"]]
        if "cpu" in blocks and d["vcpus"]:
            out.append("VCPU")
            out += [_fields("", [("vid", v), ("pid", p), ("cid", c), ("util", _util(u)),
                                 ("strand", 100)]) for v, p, c, u in d["vcpus"]]
        if "memory" in blocks and d["memory"]:
            out.append("MEMORY")
            out += [_fields("", [("ra", hex(ra)), ("pa", hex(pa)), ("size", s)])
                    for ra, pa, s in d["memory"]]
        if "domain" in blocks and d["variables"]:
            out.append("VARIABLES")
            out += [f"|{k}={v}" for k, v in d["variables"]]
        if "resmgmt" in blocks:
            out += [_fields("POLICY", p.items()) for p in d["policies"]]
        if "domain" in blocks and "vio" in d:
            out += vio_parseable(d["vio"])
        if ("console" in blocks or "serial" in blocks) and d["console"] is not None:
            port = d["console"].port
            svc = d.get("vcons_service") or "hypervisor"
            out.append("VCONS|type=UART" if port is None else
                       f"VCONS|group={d.get('vcons_group', d['row']['name'])}|service={svc}"
                       f"|port={port}")
        if "domain" in blocks:
            from .vcc import bindings_parseable
            out += bindings_parseable(d.get("vccs", ()))
        if extended and d["ldc"]:
            out.append("LDC")
            out += [_fields("", [("id", e.resource_id), ("channel", e.channel),
                                 ("service", e.service), ("role", e.role),
                                 ("peer", "hypervisor" if e.target_type == 1
                                  else e.target_guest),
                                 ("peer-channel", e.target_channel),
                                 ("tx-ino", e.tx_ino), ("rx-ino", e.rx_ino)])
                    for e in d["ldc"]]
    return out


def devices(data: dict, kinds) -> list[str]:
    out = [VERSION]
    if "core" in kinds:
        out.append("CORE")
        out += [_fields("", [("cid", c), ("free", f), ("cpuset", ",".join(map(str, p)))])
                for c, f, p in data["cores"]]
    if "cpu" in kinds:
        out.append("VCPU")
        out += [_fields("", [("pid", p), ("free", f), ("pm", "no")])
                for p, f, _ in data["vcpus"]]
    if "memory" in kinds:
        out.append("MEMORY")
        out += [_fields("", [("pa", hex(pa)), ("size", s), ("bound", who)])
                for pa, s, who in data["memory"]]
    return out


def constraints(cs: list) -> list[str]:
    out = [VERSION]
    for c in cs:
        out.append(f"DOMAIN|name={c.name}")
        out.append(f"UUID|uuid={c.uuid or ''}")
        out.append(f"MAC|mac-addr={c.mac or ''}")
        out.append(f"HOSTID|hostid={c.hostid or ''}")
        out.append(_fields("CONTROL", [(k, c.property_text(k)) for k in
                                       ("failure-policy", "extended-mapin-space",
                                        "cpu-arch", "rc-add-policy", "shutdown-group",
                                        "threading", "max-cores")]))
        out.append(f"DEPENDENCY|master={','.join(c.master)}")
        if c.whole_core:
            out.append(_fields("CORE", [("count", c.core_count())] +
                               ([("cid", ",".join(map(str, c.named_cores)))]
                                if c.named_cores else [])))
        else:
            out.append(f"VCPU|count={c.vcpus}")
        out.append(f"MEMORY|size={c.memory_size()}")
        out += [f"|mblock={pa:#x}:{s}" for pa, s in c.named_mblocks]
        if c.variables:
            out.append("VARIABLES")
            out += [f"|{k}={v}" for k, v in c.variables]
        out += [_fields("POLICY", p.items()) for p in c.policies]
        if c.console_group is not None:
            out.append(f"VCONS|group={c.console_group}|port="
                       f"{'' if c.console_port is None else c.console_port}")
        elif c.console_port is not None:
            out.append(f"VCONS|port={c.console_port}")
    return out
