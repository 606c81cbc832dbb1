"""list-domain (list, ls), list-bindings, list-devices, list-constraints (reference A3,
A4): human, `-p` parseable, `-o json`, `-x` XML."""
from __future__ import annotations

from .. import formats, jsonout, parseable, view, xmlio
from ..errors import LdmError
from ..reconf import effective
from .registry import check_domains, command, json_or_p, parse_opts, usage_error


@command("list-domain", "[-e] [-l] [-o format] [-p] [ldom...]")
def _list_domain(ctx, args, res):
    opts, rest = parse_opts("list-domain", args, "elo:pS")
    as_json, parse, blocks = json_or_p("list-domain", opts,
                                        formats.FORMATS + ("json",))
    cfg = ctx.config()
    names = check_domains(cfg, rest)
    long = "-l" in opts or "-e" in opts or bool(blocks)
    blocks = blocks or set(formats.BLOCKS)
    status = ctx.backend.status
    if long:
        details = [view.detail(cfg, n, status(n)) for n in names]
        if as_json:
            res.out += jsonout.dumps({"domains": [jsonout.detail(d) for d in details]})
        elif parse:
            res.out += parseable.long_listing(details, blocks, "-e" in opts)
        else:
            res.out += formats.long_listing(details, blocks, "-e" in opts)
        return
    rows = [view.row(cfg, n, status(n)) for n in names]
    if as_json:
        res.out += jsonout.dumps({"domains": rows})
    elif parse:
        res.out += parseable.domain_list(rows)
    else:
        res.out += formats.domain_list(rows)


@command("list-bindings", "[-e] [-p] [-o json] [ldom...]")
def _list_bindings(ctx, args, res):
    opts, rest = parse_opts("list-bindings", args, "epo:")
    as_json, parse, _ = json_or_p("list-bindings", opts)
    cfg = ctx.config()
    details = [view.detail(cfg, n, ctx.backend.status(n))
               for n in check_domains(cfg, rest)]
    if as_json:
        res.out += jsonout.dumps({"domains": [jsonout.detail(d) for d in details]})
    elif parse:
        res.out += parseable.long_listing(details, formats.BLOCKS, "-e" in opts)
    else:
        res.out += formats.long_listing(details, formats.BLOCKS, "-e" in opts)


@command("list-devices", "[-a] [-p] [-o json] [cpu] [core] [memory]")
def _list_devices(ctx, args, res):
    opts, rest = parse_opts("list-devices", args, "apo:S")
    as_json, parse, _ = json_or_p("list-devices", opts)
    for k in rest:
        if k not in ("cpu", "core", "memory"):
            raise LdmError(f"Invalid device type {k!r}: expected cpu, core or memory "
                           f"(I/O and crypto units are not modelled)")
    kinds = rest or ["core", "cpu", "memory"]
    data = view.devices(ctx.config(), "-a" in opts)
    if as_json:
        res.out += jsonout.dumps(jsonout.devices(data))
    elif parse:
        res.out += parseable.devices(data, kinds)
    else:
        res.out += formats.devices(data, kinds, "-a" in opts)


@command("list-constraints", "[-x] [-p] [-o json] [ldom...]")
def _list_constraints(ctx, args, res):
    opts, rest = parse_opts("list-constraints", args, "xpo:")
    as_json, parse, _ = json_or_p("list-constraints", opts)
    if "-x" in opts and (as_json or parse):
        raise usage_error("list-constraints", "-x cannot be combined with -p or -o")
    cfg = ctx.config()
    cs = [effective(cfg, n) for n in check_domains(cfg, rest)]
    if "-x" in opts:
        res.out += xmlio.dumps(cs).rstrip("\n").split("\n")
    elif as_json:
        res.out += jsonout.dumps({"domains": [jsonout.constraints(c) for c in cs]})
    elif parse:
        res.out += parseable.constraints(cs)
    else:
        res.out += formats.constraints(cs)
