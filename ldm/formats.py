"""Human output of the listing commands, in the real tool's layouts (reference
ldm_xscf.md A3).

`ldm list`: `%-16s %-10s %-7s %-7s %-5s %-8s %-5s %s` (NAME STATE FLAGS CONS VCPU MEMORY
UTIL UPTIME), each field left-justified with one space between, a longer name pushing
the line right; the servers simulated here (T1, T2, T2+) run firmware older than 8.2,
so there is no NORM column (A3). Trailing blanks are cut: bound and inactive rows stop
after MEMORY, an inactive domain with no resources after FLAGS.
`ldm list -l` / `list-bindings`: the header and row, a blank line, then blocks headed
by bare keywords with 4-space-indented bodies (UUID, MAC, HOSTID, CONTROL, DEPENDENCY,
CORE `CID CPUSET`, VCPU `VID PID CID UTIL STRAND`, MEMORY `RA PA SIZE`, VARIABLES, POLICY,
VCONS); several domains are separated by a dashed line. `-e` adds the domain's LDC
endpoints (a block of ours: real ldm shows them as VLDC/VLDCC services).
`ldm list-devices`: CORE `ID %FREE CPUSET`, VCPU `PID %FREE PM`, MEMORY `PA SIZE BOUND`.
`ldm list-constraints`: DOMAIN, then the constraint blocks (VCPU `COUNT`, MEMORY `SIZE`).
"""
from __future__ import annotations

from . import vio
from .policy import Policy
from .units import format_size, format_tod, format_uptime

HEADER = ("NAME", "STATE", "FLAGS", "CONS", "VCPU", "MEMORY", "UTIL", "UPTIME")
WIDTHS = (16, 10, 7, 7, 5, 8, 5)
RULE = "-" * 78
BLOCKS = ("domain", "core", "cpu", "memory", "resmgmt", "console")
FORMATS = BLOCKS + ("serial",)


def _line(fields) -> str:
    parts = [f"{str(f):<{w}}" for f, w in zip(fields, WIDTHS)] + list(fields[len(WIDTHS):])
    return " ".join(parts).rstrip()


def util_text(util) -> str:
    """UTIL as ldm prints it (`7.0%`); a fully busy domain `100%` (fits the column)."""
    if util is None:
        return ""
    return "100%" if util >= 99.95 else f"{util:.1f}%"


def row_line(r: dict) -> str:
    return _line((r["name"], r["state"], r["flags"], r["cons"],
                  "" if r["ncpu"] is None else r["ncpu"],
                  "" if r["mem"] is None else format_size(r["mem"]),
                  util_text(r["util"]), format_uptime(r["uptime"])))


def domain_list(rows: list[dict]) -> list[str]:
    return [_line(HEADER)] + [row_line(r) for r in rows]


def cpuset(pids) -> str:
    return "(" + ", ".join(str(p) for p in pids) + ")"


def long_listing(details: list[dict], blocks=BLOCKS, extended: bool = False) -> list[str]:
    out: list[str] = []
    for i, d in enumerate(details):
        if i:
            out.append(RULE)
        out += [_line(HEADER), row_line(d["row"])]
        for title, body in _blocks(d, blocks, extended):
            out += ["", title] + [("    " + x).rstrip() if x else "" for x in body]
    return out


def _blocks(d: dict, blocks, extended: bool):
    if "domain" in blocks:
        if d["row"]["softstate"]:
            yield "SOFTSTATE", [d["row"]["softstate"]]
        yield "UUID", [d["uuid"]]
        yield "MAC", [d["mac"]]
        yield "HOSTID", [d["hostid"]]
        yield "CONTROL", [f"{k}={v}" for k, v in d["control"]]
        yield "DEPENDENCY", ["master=" + ",".join(d["master"])]
    if "core" in blocks and d["cores"]:
        yield "CORE", ["CID    CPUSET"] + [f"{cid:<7}{cpuset(p)}" for cid, p in d["cores"]]
    if "cpu" in blocks and d["vcpus"]:
        yield "VCPU", ["VID    PID    CID    UTIL STRAND"] + [
            f"{vid:<7}{pid:<7}{cid:<7}{util_text(u):>4} {'100%':>6}"
            for vid, pid, cid, u in d["vcpus"]]
    if "memory" in blocks and d["memory"]:
        yield "MEMORY", ["RA               PA               SIZE"] + [
            f"{ra:<#17x}{pa:<#17x}{format_size(size)}" for ra, pa, size in d["memory"]]
    if "domain" in blocks and d["variables"]:
        yield "VARIABLES", [f"{k}={v}" for k, v in d["variables"]]
    if "resmgmt" in blocks and d["policies"]:
        yield "POLICY", policy_table(d["policies"])
    if "domain" in blocks and "vio" in d:
        yield from vio.blocks(d["vio"])
    if ("console" in blocks or "serial" in blocks) and d["console"] is not None:
        port = d["console"].port
        svc = d.get("vcons_service") or "hypervisor"
        yield "VCONS", (["UART"] if port is None else
                        [f"NAME             {'SERVICE':<{max(17, len(svc) + 1)}}PORT",
                         f"{d.get('vcons_group', d['row']['name']):<17}"
                         f"{svc:<{max(17, len(svc) + 1)}}{port}"])
    if "domain" in blocks and d.get("vccs"):
        from .vcc import bindings_block
        yield "VCC", bindings_block(d["vccs"])
    if extended and d["ldc"]:
        yield "LDC", ["ID     CHANNEL  SERVICE  ROLE        PEER             TX-INO  "
                      "RX-INO"] + [_ldc(e) for e in d["ldc"]]


def _ldc(e) -> str:
    peer = ("hypervisor" if e.target_type == 1 else e.target_guest) + f":{e.target_channel}"
    return (f"{e.resource_id:<7}{e.channel:<9}{e.service:<9}{e.role:<12}{peer:<17}"
            f"{e.tx_ino:<#8x}{e.rx_ino:#x}")


POLICY_COLS = ("STATUS", "PRI", "MIN", "MAX", "LO", "UP", "BEGIN", "END", "RATE", "EM",
               "ATK", "DK", "NAME")


def policy_table(policies: list[Policy]) -> list[str]:
    """The POLICY block of `ldm list -o resmgmt` [M: column words from memory]."""
    def n(v, unset="-"):
        return unset if v is None else str(v)
    rows = [POLICY_COLS] + [
        ("on" if p.enable else "off", str(p.priority), n(p.vcpu_min), n(p.vcpu_max, "unl"),
         str(p.util_lower), str(p.util_upper), format_tod(p.tod_begin),
         format_tod(p.tod_end), str(p.sample_rate), str(p.elastic_margin),
         n(p.attack, "unl"), n(p.decay, "unl"), p.name) for p in policies]
    widths = [max(len(r[i]) for r in rows) for i in range(len(POLICY_COLS))]
    return [" ".join(f"{v:<{w}}" for v, w in zip(r, widths)).rstrip() for r in rows]


def devices(data: dict, kinds, all_: bool) -> list[str]:
    out: list[str] = []

    def block(title, lines):
        if out:
            out.append("")
        out.extend([title] + ["    " + x for x in lines])

    if "core" in kinds:
        block("CORE", ["ID      %FREE   CPUSET"] + [
            f"{cid:<8}{free:<8}{cpuset(p)}" for cid, free, p in data["cores"]])
        if all_ and data["split_cores"]:
            block("SPLIT CORE", ["ID      DOMAINS"] + [
                f"{cid:<8}{', '.join(names)}" for cid, names in data["split_cores"].items()])
    if "cpu" in kinds:
        block("VCPU", ["PID     %FREE   PM"] + [
            f"{pid:<8}{free:<8}no" for pid, free, _ in data["vcpus"]])
    if "memory" in kinds:
        block("MEMORY", ["PA                   SIZE            BOUND"] + [
            f"{pa:<#21x}{format_size(size):<16}{who}".rstrip()
            for pa, size, who in data["memory"]])
    return out


def constraints(cs: list) -> list[str]:
    out: list[str] = []
    for i, c in enumerate(cs):
        if i:
            out.append("")
        out += ["DOMAIN", c.name]
        for title, body in _constraint_blocks(c):
            out += ["", title] + ["    " + x for x in body]
    return out


def _constraint_blocks(c):
    yield "UUID", [c.uuid or ""]
    yield "MAC", [c.mac or ""]
    yield "HOSTID", [c.hostid or ""]
    yield "CONTROL", [f"{k}={c.property_text(k)}" for k in
                      ("failure-policy", "extended-mapin-space", "cpu-arch",
                       "rc-add-policy", "shutdown-group", "max-cores")]
    yield "DEPENDENCY", ["master=" + ",".join(c.master)]
    if c.whole_core:
        yield "CORE", (["CID"] + [str(x) for x in c.named_cores] if c.named_cores
                       else ["COUNT", str(c.core_count())])
    elif c.vcpus:
        yield "VCPU", ["COUNT", str(c.vcpus)]
    if c.named_mblocks:
        yield "MEMORY", ["PA               SIZE"] + [f"{pa:<#17x}{format_size(s)}"
                                                     for pa, s in c.named_mblocks]
    elif c.memory:
        yield "MEMORY", ["SIZE", format_size(c.memory)]
    if c.variables:
        yield "VARIABLES", [f"{k}={v}" for k, v in c.variables]
    if c.policies:
        yield "POLICY", policy_table(list(c.policies))
    if c.console_group is not None:             # ldm set-vcons group= (ldm/vcons.py)
        port = "" if c.console_port is None else str(c.console_port)
        yield "VCONS", [f"{'GROUP':<17}PORT", f"{c.console_group:<17}{port}".rstrip()]
    elif c.console_port is not None:
        yield "VCONS", ["PORT", str(c.console_port)]
