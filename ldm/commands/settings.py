"""set/remove/list-variable, add/set/remove/list-policy (reference A5, A7) and the
service processor's configurations add/set/remove/list-spconfig (A3, A5)."""
from __future__ import annotations

from .. import formats, jsonout, settings
from ..reconf import effective
from .registry import (apply, check_domains, command, json_or_p, kv, one_domain,
                       parse_opts, usage_error)


@command("set-variable", "name=value... ldom")
def _set_var(ctx, args, res, cwd=None):
    _, rest = parse_opts("set-variable", args, "")
    props, names = kv("set-variable", rest)
    dom = one_domain("set-variable", names)
    apply(ctx, settings.set_variables(ctx.config(), dom, list(props.items()), cwd=cwd),
          res)


_set_var.takes_cwd = True


@command("remove-variable", "name... ldom")
def _rm_var(ctx, args, res):
    _, rest = parse_opts("remove-variable", args, "")
    if len(rest) < 2:
        raise usage_error("remove-variable")
    apply(ctx, settings.remove_variables(ctx.config(), rest[-1], rest[:-1]), res)


@command("list-variable", "[-o json] [name...] ldom")
def _ls_var(ctx, args, res):
    opts, rest = parse_opts("list-variable", args, "o:")
    as_json, _, _ = json_or_p("list-variable", opts)
    if not rest:
        raise usage_error("list-variable")
    pairs = settings.list_variables(ctx.config(), rest[-1], rest[:-1])
    if as_json:
        res.out += jsonout.dumps({"variables": dict(pairs)})
    else:
        res.out += [f"{k}={v}" for k, v in pairs]


def _policy_operands(name, rest):
    props, names = kv(name, rest)
    policy = props.pop("name", None)
    if not policy or not names:
        raise usage_error(name)
    return policy, props, names


@command("add-policy", "[enable=yes|no] [priority=] [attack=] [decay=] "
                       "[elastic-margin=] [sample-rate=] [tod-begin=hh:mm[:ss]] "
                       "[tod-end=hh:mm[:ss]] [util-lower=] [util-upper=] [vcpu-min=] "
                       "[vcpu-max=] name=policy ldom...")
def _add_policy(ctx, args, res):
    _, rest = parse_opts("add-policy", args, "")
    policy, props, names = _policy_operands("add-policy", rest)
    apply(ctx, settings.add_policy(ctx.config(), names, policy, props), res)


@command("set-policy", "[key=value...] name=policy ldom...")
def _set_policy(ctx, args, res):
    _, rest = parse_opts("set-policy", args, "")
    policy, props, names = _policy_operands("set-policy", rest)
    apply(ctx, settings.set_policy(ctx.config(), names, policy, props), res)


@command("remove-policy", "[name=]policy... ldom")
def _rm_policy(ctx, args, res):
    _, rest = parse_opts("remove-policy", args, "")
    if len(rest) < 2:
        raise usage_error("remove-policy")
    pols = [p[5:] if p.startswith("name=") else p for p in rest[:-1]]
    apply(ctx, settings.remove_policies(ctx.config(), rest[-1], pols), res)


@command("list-policy", "[-o json] [ldom...]")
def _ls_policy(ctx, args, res):
    opts, rest = parse_opts("list-policy", args, "o:")
    as_json, _, _ = json_or_p("list-policy", opts)
    cfg = ctx.config()
    doms = [(n, effective(cfg, n).policies) for n in check_domains(cfg, rest)]
    if as_json:
        res.out += jsonout.dumps({"policies": {n: [jsonout.policy(p) for p in ps]
                                               for n, ps in doms}})
        return
    for n, ps in doms:
        if not ps and not rest:
            continue
        if res.out:
            res.out.append("")
        res.out += ["DOMAIN", n]
        if ps:
            res.out += ["", "POLICY"] + ["    " + x for x in formats.policy_table(list(ps))]


# --- service processor configurations ----------------------------------------------------

@command("add-spconfig", "config-name")
def _add_sp(ctx, args, res):
    _, rest = parse_opts("add-spconfig", args, "")
    ctx.commit_sp(ctx.sp().add(one_domain("add-spconfig", rest), ctx.config()))


@command("set-spconfig", "config-name")
def _set_sp(ctx, args, res):
    _, rest = parse_opts("set-spconfig", args, "")
    ctx.commit_sp(ctx.sp().select(one_domain("set-spconfig", rest)))


@command("remove-spconfig", "config-name")
def _rm_sp(ctx, args, res):
    _, rest = parse_opts("remove-spconfig", args, "")
    ctx.commit_sp(ctx.sp().remove(one_domain("remove-spconfig", rest)))


@command("list-spconfig", "[-o json]")
def _ls_sp(ctx, args, res):
    opts, rest = parse_opts("list-spconfig", args, "o:")
    as_json, _, _ = json_or_p("list-spconfig", opts)
    if rest:
        raise usage_error("list-spconfig")
    items = ctx.sp().listing(ctx.config())
    if as_json:
        res.out += jsonout.dumps({"configs": [dict(name=n, tag=t) for n, t in items]})
    else:
        res.out += [f"{n} {t}" if t else n for n, t in items]
