"""add/set/remove-vcpu (with -c), add/set/remove-core (count or cid=), add/set/remove-
memory (size or mblock=, --auto-adj) (reference A5, A6)."""
from __future__ import annotations

from .. import resources
from ..errors import LdmError
from ..units import parse_size
from .registry import apply, command, number, parse_opts, usage_error


def _vcpu_cmd(op):
    name = f"{op}-vcpu"

    def run(ctx, args, res):
        opts, rest = parse_opts(name, args, "cf" if op == "remove" else "c")
        if len(rest) != 2:
            raise usage_error(name)
        force = "-f" in opts
        if "-c" in opts:
            ch = resources.cores(ctx.config(), rest[1], op, number(rest[0], "cores"),
                                 force=force)
        else:
            ch = resources.vcpus(ctx.config(), rest[1], op, number(rest[0], "vCPUs"),
                                 force=force)
        apply(ctx, ch, res)
    usage = ("[-c] [-f] number ldom" if op == "remove" else "[-c] number ldom")
    command(name, usage)(run)


def _core_cmd(op):
    name = f"{op}-core"

    def run(ctx, args, res):
        opts, rest = parse_opts(name, args, "f" if op == "remove" else "")
        if len(rest) != 2:
            raise usage_error(name)
        what, dom = rest
        if what.startswith("cid="):
            try:
                cids = tuple(int(x) for x in what[4:].split(","))
            except ValueError:
                raise LdmError(f"Invalid core list {what[4:]!r}") from None
            ch = resources.cores(ctx.config(), dom, op, cids=cids, force="-f" in opts)
        else:
            ch = resources.cores(ctx.config(), dom, op, number(what, "cores"),
                                 force="-f" in opts)
        apply(ctx, ch, res)
    command(name, ("[-f] " if op == "remove" else "") + "(number | cid=ID[,ID...]) ldom")(
        run)


def _memory_cmd(op):
    name = f"{op}-memory"

    def run(ctx, args, res):
        opts, rest = parse_opts(name, args, "", ("auto-adj",))
        if len(rest) != 2:
            raise usage_error(name)
        what, dom = rest
        if what.startswith("mblock="):
            blocks = []
            for part in what[7:].split(","):
                pa, sep, size = part.partition(":")
                try:
                    blocks.append((int(pa, 0), parse_size(size)))
                except ValueError:
                    raise LdmError(f"Invalid mblock {part!r}: expected PA:size") from None
                if not sep:
                    raise LdmError(f"Invalid mblock {part!r}: expected PA:size")
            ch, notice = resources.memory(ctx.config(), dom, op, mblocks=blocks)
        else:
            ch, notice = resources.memory(ctx.config(), dom, op, parse_size(what),
                                          auto_adj="--auto-adj" in opts)
        if notice:
            res.out.append(notice)
        apply(ctx, ch, res)
    command(name, "[--auto-adj] (size[unit] | mblock=PA:size[,...]) ldom")(run)


for _op in ("add", "set", "remove"):
    _vcpu_cmd(_op)
    _core_cmd(_op)
    _memory_cmd(_op)
