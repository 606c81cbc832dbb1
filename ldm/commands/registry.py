"""The `ldm` subcommands: names and aliases (reference ldm_xscf.md A5), the registry the
handler modules fill, the operand helpers they share, and `execute()`, the one code path
of every command line (offline and in the ldmd server).

Handlers: listing.py (list-*), domains.py (life cycle, delayed reconfiguration),
resources.py (vcpu, core, memory), settings.py (variables, policies, spconfig, -V).
A handler is `fn(ctx, args, res)`: it reads and commits through `ctx` (context.py),
appends output lines to `res`, and raises LdmError to refuse.
"""
from __future__ import annotations

import getopt

from .. import __version__
from ..actions import Backend, Change
from ..config import Config
from ..context import Context, Result
from ..errors import LdmError, UsageError

HV_CONTROL_PROTOCOL = "1.1"          # hvctl (ldoms_protocols.md §1.4)
HV_MD_VERSION = "1.0"                # MD transport version 0x00010000 (sun4v.md §4)

WORD_ALIASES = {"ls": "list-domain", "list": "list-domain", "bind": "bind-domain",
                "unbind": "unbind-domain", "start": "start-domain",
                "stop": "stop-domain", "create": "add-domain",
                "destroy": "remove-domain"}
VERB_ALIASES = {"rm": "remove", "ls": "list"}
NOUN_ALIASES = {"mem": "memory", "var": "variable", "config": "spconfig",
                "dom": "domain", "vconscon": "vcc", "vconsole": "vcons"}


def canonical(word: str) -> str:
    """The subcommand a word names (A5 aliases: ls, rm-*, ls-*, mem, var, config...)."""
    if word in WORD_ALIASES:
        return WORD_ALIASES[word]
    verb, sep, noun = word.partition("-")
    if not sep:
        return word
    return f"{VERB_ALIASES.get(verb, verb)}-{NOUN_ALIASES.get(noun, noun)}"


COMMANDS: dict[str, tuple] = {}


def command(name: str, usage: str):
    def deco(fn):
        COMMANDS[name] = (fn, usage)
        return fn
    return deco


def usage_error(name: str, problem: str | None = None) -> UsageError:
    lines = ([problem] if problem else []) + [f"Usage: ldm {name} {COMMANDS[name][1]}"]
    return UsageError(*lines)


def parse_opts(name: str, args: list[str], short: str, long=()) -> tuple[dict, list[str]]:
    try:
        pairs, rest = getopt.gnu_getopt(args, short, list(long))
    except getopt.GetoptError as e:
        raise usage_error(name, f"ldm {name}: {e.msg}") from None
    opts: dict = {}
    for k, v in pairs:
        opts[k] = v
    return opts, rest


def one_domain(name: str, rest: list[str]) -> str:
    if len(rest) != 1:
        raise usage_error(name)
    return rest[0]


def kv(name: str, items: list[str]) -> tuple[dict[str, str], list[str]]:
    """Leading key=value operands, and the rest."""
    props: dict[str, str] = {}
    i = 0
    while i < len(items) and "=" in items[i]:
        k, _, v = items[i].partition("=")
        if not k:
            raise usage_error(name, f"Invalid property {items[i]!r}")
        props[k] = v
        i += 1
    return props, items[i:]


def number(text: str, what: str) -> int:
    if not text.isdigit():
        raise LdmError(f"Invalid number of {what}: {text!r}")
    return int(text)


def apply(ctx: Context, change: Change, res: Result) -> None:
    outcome = ctx.backend.apply(change)
    ctx.commit(outcome.config)
    res.out += list(outcome.out)
    res.err += list(outcome.err)
    res.status = outcome.status


def check_domains(cfg: Config, names: list[str]) -> list[str]:
    for n in names:
        cfg.domain(n)
    return names or cfg.names()


def json_or_p(name: str, opts: dict, allowed=("json",)) -> tuple[bool, bool, set]:
    fmt = opts.get("-o")
    blocks: set = set()
    as_json = False
    if fmt is not None:
        words = fmt.split(",")
        if "json" in words:
            if len(words) > 1:
                raise usage_error(name, "-o json cannot be combined with other formats")
            as_json = True
        else:
            for w in words:
                if w not in allowed:
                    raise usage_error(name, f"Invalid format {w!r}: expected one of "
                                            f"{', '.join(sorted(set(allowed)))}")
            blocks = set(words)
    if as_json and "-p" in opts:
        raise usage_error(name, "-p and -o json cannot be combined")
    return as_json, "-p" in opts, blocks


def version_lines(backend: Backend) -> list[str]:
    """`ldm -V` (A3): manager, control protocol and MD versions, then System PROM."""
    lines = [f"Logical Domains Manager (v {__version__})",
             f"        Hypervisor control protocol v {HV_CONTROL_PROTOCOL}",
             f"        Using Hypervisor MD v {HV_MD_VERSION}", "", "System PROM:"]
    v = backend.versions()
    if not v:
        return lines + ["        (no running machine)"]
    return lines + [f"        {k:<16}v. {val}" for k, val in v.items()]


def execute(argv: list[str], ctx: Context, cwd: str | None = None) -> Result:
    """Run one ldm command line (without the `ldm` word) against `ctx`."""
    res = Result()
    try:
        if not argv:
            raise UsageError(*usage_lines())
        if argv[0] in ("-V", "--version"):
            res.out += version_lines(ctx.backend)
            return res
        if argv[0] in ("-h", "--help", "help"):
            res.out += usage_lines()
            return res
        name = canonical(argv[0])
        if name not in COMMANDS:
            raise UsageError(f"Unknown command {argv[0]!r}; 'ldm --help' lists them")
        fn, _ = COMMANDS[name]
        if getattr(fn, "takes_cwd", False):
            fn(ctx, argv[1:], res, cwd=cwd)
        else:
            fn(ctx, argv[1:], res)
    except LdmError as e:
        res.err += list(e.lines)
        res.status = getattr(e, "status", 1)
    return res


def usage_lines() -> list[str]:
    out = ["Usage: ldm [--state DIR | --socket SOCKET] <command> [options] [operands]",
           "       ldm init --platform NAME [--memory SIZE] [--seed N]",
           "       ldm -V", "", "Commands:"]
    out += [f"    {n} {u}" for n, (_, u) in sorted(COMMANDS.items())]
    out += ["", "Aliases: ls/list = list-domain, bind, unbind, start, stop, create, "
                "destroy, rm-*, ls-*, mem, var, config (A5)."]
    return out
