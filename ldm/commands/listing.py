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


@command("list-events", "[-o json] [-n count] [-k kind[,kind...]] [ldom...]")
def _list_events(ctx, args, res):
    """The running manager's event log (beyond the real tool): dr-cpu requests with
    their per-vCPU results, vCPUs a guest refused (blocked), DRM policy decisions and
    why, delayed reconfiguration notices, domains starting and stopping, mismatches
    between the manager and the hypervisor. Offline: nothing runs, so no events."""
    opts, rest = parse_opts("list-events", args, "o:n:k:")
    as_json, _, _ = json_or_p("list-events", opts)
    cfg = ctx.config()
    names = set(rest)
    for n in rest:
        cfg.domain(n)
    count = opts.get("-n")
    if count is not None and not count.isdigit():
        raise LdmError(f"Invalid count {count!r}")
    kinds = set(opts["-k"].split(",")) if "-k" in opts else None
    events = getattr(ctx.backend, "events", lambda: [])()
    sel = [e for e in events if (not names or e.domain in names) and
           (kinds is None or e.kind in kinds)]
    if count is not None:
        sel = sel[-int(count):] if int(count) else []
    if as_json:
        res.out += jsonout.dumps({"events": [dict(seq=e.seq, time=e.time, kind=e.kind,
                                                  domain=e.domain, text=e.text,
                                                  data=e.data) for e in sel]})
        return
    if not getattr(ctx.backend, "live", False):
        res.out.append("No running machine: no events (ldm --socket SOCKET list-events)")
        return
    res.out.append(f"{'TIME':>12}  {'KIND':<8} {'LDOM':<16} EVENT")
    for e in sel:
        res.out.append(f"{e.time * 1e3:9.3f} ms  {e.kind:<8} {e.domain or '-':<16} "
                       f"{e.text}")
