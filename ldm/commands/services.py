"""Virtual console concentrators: add-vcc, set-vcc, remove-vcc (reference ldm_xscf.md
A5; `vconscon` is the long noun) and list-services (A4's VCC record), ldm/vcc.py."""
from __future__ import annotations

from .. import vcc
from .registry import apply, command, json_or_p, kv, parse_opts, usage_error


def _range(name, props):
    r = props.pop("port-range", None)
    if r is None or props:
        bad = next(iter(props), None)
        raise usage_error(name, f"Invalid property {bad!r}" if bad else
                          "port-range=x-y is required")
    return r


@command("add-vcc", "port-range=x-y vcc-name ldom")
def _add_vcc(ctx, args, res):
    _, rest = parse_opts("add-vcc", args, "")
    props, names = kv("add-vcc", rest)
    r = _range("add-vcc", props)
    if len(names) != 2:
        raise usage_error("add-vcc")
    apply(ctx, vcc.add_vcc(ctx.config(), names[0], names[1], r), res)


@command("set-vcc", "port-range=x-y vcc-name")
def _set_vcc(ctx, args, res):
    _, rest = parse_opts("set-vcc", args, "")
    props, names = kv("set-vcc", rest)
    r = _range("set-vcc", props)
    if len(names) != 1:
        raise usage_error("set-vcc")
    apply(ctx, vcc.set_vcc(ctx.config(), names[0], r), res)


@command("remove-vcc", "vcc-name")
def _rm_vcc(ctx, args, res):
    _, rest = parse_opts("remove-vcc", args, "")
    if len(rest) != 1:
        raise usage_error("remove-vcc")
    apply(ctx, vcc.remove_vcc(ctx.config(), rest[0]), res)


@command("list-services", "[-e] [-p] [-o json] [ldom...]")
def _ls_services(ctx, args, res):
    """The VCC block, then the other services' (the virtual disk services' when that
    module is there: ldm/vio.py services_lines / services_parseable)."""
    from .. import jsonout, parseable
    opts, rest = parse_opts("list-services", args, "epo:")
    as_json, parse, _ = json_or_p("list-services", opts)
    cfg = ctx.config()
    for n in rest:
        cfg.domain(n)
    ldoms = set(rest) or None
    others = _others()
    if as_json:
        res.out += jsonout.dumps({"services": {"vcc": [
            dict(v.to_dict(), clients=[{"domain": d, "port": p}
                                       for d, p in vcc.clients(cfg, v)])
            for v in cfg.vccs if ldoms is None or v.ldom in ldoms]}})
        return
    if parse:
        res.out.append(parseable.VERSION)
        res.out += vcc.services_parseable(cfg, ldoms)
        for m in others:
            res.out += m.services_parseable(cfg, ldoms)
        return
    blocks = [b for b in [vcc.services_lines(cfg, ldoms)] +
              [m.services_lines(cfg, ldoms) for m in others] if b]
    for i, b in enumerate(blocks):
        res.out += ([""] if i else []) + b


def _others():
    try:
        from .. import vio
    except ImportError:
        return []
    return [vio] if hasattr(vio, "services_lines") else []
