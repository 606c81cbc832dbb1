"""add-domain, set-domain, remove-domain, bind/unbind/start/stop-domain, start-reconf,
cancel-reconf (reference A1, A5, A6)."""
from __future__ import annotations

import os

from .. import manager, xmlio
from ..errors import LdmError
from .registry import apply, command, kv, one_domain, parse_opts, usage_error


@command("add-domain", "-i file | [property=value...] ldom...")
def _add_domain(ctx, args, res, cwd=None):
    """-i FILE is read relative to `cwd` (the caller's directory)."""
    opts, rest = parse_opts("add-domain", args, "i:")
    cfg = ctx.config()
    if "-i" in opts:
        if rest:
            raise usage_error("add-domain", "-i takes no other operands")
        path = opts["-i"]
        if cwd and not os.path.isabs(path):
            path = os.path.join(cwd, path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise LdmError(f"Cannot read {opts['-i']}: {e.strerror}") from None
        apply(ctx, manager.add_domains(cfg, xmlio.loads(text, opts["-i"])), res)
        return
    props, names = kv("add-domain", rest)
    if not names:
        raise usage_error("add-domain")
    apply(ctx, manager.add_domains(cfg, [(n, props) for n in names]), res)


@command("set-domain", "property=value... ldom")
def _set_domain(ctx, args, res):
    _, rest = parse_opts("set-domain", args, "")
    props, names = kv("set-domain", rest)
    apply(ctx, manager.set_domain(ctx.config(), one_domain("set-domain", names), props),
           res)


@command("remove-domain", "-a | ldom...")
def _remove_domain(ctx, args, res):
    opts, rest = parse_opts("remove-domain", args, "a")
    if ("-a" in opts) == bool(rest):
        raise usage_error("remove-domain")
    apply(ctx, manager.remove_domains(ctx.config(), rest, "-a" in opts), res)


@command("bind-domain", "ldom")
def _bind(ctx, args, res):
    _, rest = parse_opts("bind-domain", args, "")
    apply(ctx, manager.bind_domain(ctx.config(), one_domain("bind-domain", rest)), res)


@command("unbind-domain", "ldom")
def _unbind(ctx, args, res):
    _, rest = parse_opts("unbind-domain", args, "")
    apply(ctx, manager.unbind_domain(ctx.config(), one_domain("unbind-domain", rest)),
           res)


@command("start-domain", "-a | ldom...")
def _start(ctx, args, res):
    opts, rest = parse_opts("start-domain", args, "a")
    if ("-a" in opts) == bool(rest):
        raise usage_error("start-domain")
    apply(ctx, manager.start_domains(ctx.config(), rest, "-a" in opts), res)


@command("stop-domain", "[-f] [-r] (-a | ldom...)")
def _stop(ctx, args, res):
    opts, rest = parse_opts("stop-domain", args, "afr")
    if ("-a" in opts) == bool(rest):
        raise usage_error("stop-domain")
    apply(ctx, manager.stop_domains(ctx.config(), rest, "-a" in opts, "-f" in opts,
                                     "-r" in opts), res)


@command("start-reconf", "ldom")
def _start_reconf(ctx, args, res):
    _, rest = parse_opts("start-reconf", args, "")
    apply(ctx, manager.start_reconf(ctx.config(), one_domain("start-reconf", rest)), res)


@command("cancel-reconf", "ldom")
def _cancel_reconf(ctx, args, res):
    _, rest = parse_opts("cancel-reconf", args, "")
    apply(ctx, manager.cancel_reconf(ctx.config(), one_domain("cancel-reconf", rest)),
           res)


@command("cancel-operation", "reconf ldom")
def _cancel_operation(ctx, args, res):
    _, rest = parse_opts("cancel-operation", args, "")
    if len(rest) != 2:
        raise usage_error("cancel-operation")
    if rest[0] != "reconf":
        raise LdmError(f"cancel-operation {rest[0]}: only reconf is supported "
                       f"(migration and memory DR are not modelled)")
    apply(ctx, manager.cancel_reconf(ctx.config(), rest[1]), res)


_add_domain.takes_cwd = True
