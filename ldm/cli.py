"""The `ldm` command: Oracle VM Server for SPARC syntax, aliases and output formats
(reference ldm_xscf.md A3-A7) against a running machine's ldmd or a saved configuration.

    ldm [--state DIR | --socket SOCKET] SUBCOMMAND [options] [operands]
    ldm init --platform NAME [--memory SIZE] [--seed N] [--state DIR]
    ldm -V

Where it acts: `--socket SOCKET` (or $LDMD_SOCKET) sends the command to a running
machine's ldmd (protocol.py); otherwise `ldm` edits the saved configuration in the state
directory (`--state DIR`, else $LDM_STATE, else ~/.local/state/sun4v-ldm), created by
`ldm init` with the factory-default configuration of the chosen platform. Offline, the
configuration is what the next power-on starts (actions.OfflineBackend says what that
means for start, stop and active domains). `--state` wins over $LDMD_SOCKET.

Errors go to stderr in the real tool's words where the reference has them, the exit
status is 1 and nothing is changed. `-o json` (list commands) is beyond the real tool.
`execute()` is the one code path: the offline command and the ldmd server both call it.
"""
from __future__ import annotations

import getopt
import os
import sys
from dataclasses import dataclass, field
from typing import Protocol

from . import __version__, formats, jsonout, manager, parseable, products, resources
from . import settings, view, xmlio
from .actions import Backend, Change, OfflineBackend
from .config import Config, factory_default
from .errors import LdmError, UsageError
from .spconfig import SpStore
from .store import Store, default_dir
from .units import parse_size

HV_CONTROL_PROTOCOL = "1.1"          # hvctl (ldoms_protocols.md §1.4)
HV_MD_VERSION = "1.0"                # MD transport version 0x00010000 (sun4v.md §4)


# --- what a command runs against --------------------------------------------------------

class Context(Protocol):
    """The configuration a command reads and changes, and the backend that carries out
    changes. Offline: StoreContext. The ldmd server supplies its own (same methods)."""
    backend: Backend

    def config(self) -> Config: ...

    def commit(self, cfg: Config) -> None: ...

    def sp(self) -> SpStore: ...

    def commit_sp(self, sp: SpStore) -> None: ...


class StoreContext:
    """A saved configuration in a state directory (the caller holds store.locked())."""

    def __init__(self, store: Store, backend: Backend | None = None):
        self.store = store
        self.backend = backend or OfflineBackend()
        self._cfg = None
        self._sp = None

    def config(self) -> Config:
        if self._cfg is None:
            self._cfg = self.store.load_config()
        return self._cfg

    def commit(self, cfg: Config) -> None:
        if cfg != self.config():
            self.store.save_config(cfg)
            self._cfg = cfg

    def sp(self) -> SpStore:
        if self._sp is None:
            self._sp = self.store.load_sp()
        return self._sp

    def commit_sp(self, sp: SpStore) -> None:
        self.store.save_sp(sp)
        self._sp = sp


@dataclass
class Result:
    status: int = 0
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)


# --- command names and aliases (A5) -------------------------------------------------------

WORD_ALIASES = {"ls": "list-domain", "list": "list-domain", "bind": "bind-domain",
                "unbind": "unbind-domain", "start": "start-domain",
                "stop": "stop-domain", "create": "add-domain",
                "destroy": "remove-domain"}
VERB_ALIASES = {"rm": "remove", "ls": "list"}
NOUN_ALIASES = {"mem": "memory", "var": "variable", "config": "spconfig",
                "dom": "domain", "bindings": "bindings", "constraints": "constraints"}


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


def _opts(name: str, args: list[str], short: str, long=()) -> tuple[dict, list[str]]:
    try:
        pairs, rest = getopt.gnu_getopt(args, short, list(long))
    except getopt.GetoptError as e:
        raise usage_error(name, f"ldm {name}: {e.msg}") from None
    opts: dict = {}
    for k, v in pairs:
        opts[k] = v
    return opts, rest


def _one_domain(name: str, rest: list[str]) -> str:
    if len(rest) != 1:
        raise usage_error(name)
    return rest[0]


def _kv(name: str, items: list[str]) -> tuple[dict[str, str], list[str]]:
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


def _number(text: str, what: str) -> int:
    if not text.isdigit():
        raise LdmError(f"Invalid number of {what}: {text!r}")
    return int(text)


def _apply(ctx: Context, change: Change, res: Result) -> None:
    outcome = ctx.backend.apply(change)
    ctx.commit(outcome.config)
    res.out += list(outcome.out)
    res.err += list(outcome.err)
    res.status = outcome.status


def _check_domains(cfg: Config, names: list[str]) -> list[str]:
    for n in names:
        cfg.domain(n)
    return names or cfg.names()


def _json_or_p(name: str, opts: dict, allowed=("json",)) -> tuple[bool, bool, set]:
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


# --- listing --------------------------------------------------------------------------------

@command("list-domain", "[-e] [-l] [-o format] [-p] [ldom...]")
def _list_domain(ctx, args, res):
    opts, rest = _opts("list-domain", args, "elo:pS")
    as_json, parse, blocks = _json_or_p("list-domain", opts,
                                        formats.FORMATS + ("json",))
    cfg = ctx.config()
    names = _check_domains(cfg, rest)
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
    opts, rest = _opts("list-bindings", args, "epo:")
    as_json, parse, _ = _json_or_p("list-bindings", opts)
    cfg = ctx.config()
    details = [view.detail(cfg, n, ctx.backend.status(n))
               for n in _check_domains(cfg, rest)]
    if as_json:
        res.out += jsonout.dumps({"domains": [jsonout.detail(d) for d in details]})
    elif parse:
        res.out += parseable.long_listing(details, formats.BLOCKS, "-e" in opts)
    else:
        res.out += formats.long_listing(details, formats.BLOCKS, "-e" in opts)


@command("list-devices", "[-a] [-p] [-o json] [cpu] [core] [memory]")
def _list_devices(ctx, args, res):
    opts, rest = _opts("list-devices", args, "apo:S")
    as_json, parse, _ = _json_or_p("list-devices", opts)
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
    opts, rest = _opts("list-constraints", args, "xpo:")
    as_json, parse, _ = _json_or_p("list-constraints", opts)
    if "-x" in opts and (as_json or parse):
        raise usage_error("list-constraints", "-x cannot be combined with -p or -o")
    cfg = ctx.config()
    from .reconf import effective
    cs = [effective(cfg, n) for n in _check_domains(cfg, rest)]
    if "-x" in opts:
        res.out += xmlio.dumps(cs).rstrip("\n").split("\n")
    elif as_json:
        res.out += jsonout.dumps({"domains": [jsonout.constraints(c) for c in cs]})
    elif parse:
        res.out += parseable.constraints(cs)
    else:
        res.out += formats.constraints(cs)


# --- domains ----------------------------------------------------------------------------

@command("add-domain", "-i file | [property=value...] ldom...")
def _add_domain(ctx, args, res, cwd=None):
    opts, rest = _opts("add-domain", args, "i:")
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
        _apply(ctx, manager.add_domains(cfg, xmlio.loads(text, opts["-i"])), res)
        return
    props, names = _kv("add-domain", rest)
    if not names:
        raise usage_error("add-domain")
    _apply(ctx, manager.add_domains(cfg, [(n, props) for n in names]), res)


@command("set-domain", "property=value... ldom")
def _set_domain(ctx, args, res):
    _, rest = _opts("set-domain", args, "")
    props, names = _kv("set-domain", rest)
    _apply(ctx, manager.set_domain(ctx.config(), _one_domain("set-domain", names), props),
           res)


@command("remove-domain", "-a | ldom...")
def _remove_domain(ctx, args, res):
    opts, rest = _opts("remove-domain", args, "a")
    if ("-a" in opts) == bool(rest):
        raise usage_error("remove-domain")
    _apply(ctx, manager.remove_domains(ctx.config(), rest, "-a" in opts), res)


@command("bind-domain", "ldom")
def _bind(ctx, args, res):
    _, rest = _opts("bind-domain", args, "")
    _apply(ctx, manager.bind_domain(ctx.config(), _one_domain("bind-domain", rest)), res)


@command("unbind-domain", "ldom")
def _unbind(ctx, args, res):
    _, rest = _opts("unbind-domain", args, "")
    _apply(ctx, manager.unbind_domain(ctx.config(), _one_domain("unbind-domain", rest)),
           res)


@command("start-domain", "-a | ldom...")
def _start(ctx, args, res):
    opts, rest = _opts("start-domain", args, "a")
    if ("-a" in opts) == bool(rest):
        raise usage_error("start-domain")
    _apply(ctx, manager.start_domains(ctx.config(), rest, "-a" in opts), res)


@command("stop-domain", "[-f] [-r] (-a | ldom...)")
def _stop(ctx, args, res):
    opts, rest = _opts("stop-domain", args, "afr")
    if ("-a" in opts) == bool(rest):
        raise usage_error("stop-domain")
    _apply(ctx, manager.stop_domains(ctx.config(), rest, "-a" in opts, "-f" in opts,
                                     "-r" in opts), res)


@command("start-reconf", "ldom")
def _start_reconf(ctx, args, res):
    _, rest = _opts("start-reconf", args, "")
    _apply(ctx, manager.start_reconf(ctx.config(), _one_domain("start-reconf", rest)), res)


@command("cancel-reconf", "ldom")
def _cancel_reconf(ctx, args, res):
    _, rest = _opts("cancel-reconf", args, "")
    _apply(ctx, manager.cancel_reconf(ctx.config(), _one_domain("cancel-reconf", rest)),
           res)


@command("cancel-operation", "reconf ldom")
def _cancel_operation(ctx, args, res):
    _, rest = _opts("cancel-operation", args, "")
    if len(rest) != 2:
        raise usage_error("cancel-operation")
    if rest[0] != "reconf":
        raise LdmError(f"cancel-operation {rest[0]}: only reconf is supported "
                       f"(migration and memory DR are not modelled)")
    _apply(ctx, manager.cancel_reconf(ctx.config(), rest[1]), res)


# --- resources ---------------------------------------------------------------------------

def _vcpu_cmd(op):
    name = f"{op}-vcpu"

    def run(ctx, args, res):
        opts, rest = _opts(name, args, "cf" if op == "remove" else "c")
        if len(rest) != 2:
            raise usage_error(name)
        force = "-f" in opts
        if "-c" in opts:
            ch = resources.cores(ctx.config(), rest[1], op, _number(rest[0], "cores"),
                                 force=force)
        else:
            ch = resources.vcpus(ctx.config(), rest[1], op, _number(rest[0], "vCPUs"),
                                 force=force)
        _apply(ctx, ch, res)
    usage = ("[-c] [-f] number ldom" if op == "remove" else "[-c] number ldom")
    command(name, usage)(run)


def _core_cmd(op):
    name = f"{op}-core"

    def run(ctx, args, res):
        opts, rest = _opts(name, args, "f" if op == "remove" else "")
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
            ch = resources.cores(ctx.config(), dom, op, _number(what, "cores"),
                                 force="-f" in opts)
        _apply(ctx, ch, res)
    command(name, ("[-f] " if op == "remove" else "") + "(number | cid=ID[,ID...]) ldom")(
        run)


def _memory_cmd(op):
    name = f"{op}-memory"

    def run(ctx, args, res):
        opts, rest = _opts(name, args, "", ("auto-adj",))
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
        _apply(ctx, ch, res)
    command(name, "[--auto-adj] (size[unit] | mblock=PA:size[,...]) ldom")(run)


for _op in ("add", "set", "remove"):
    _vcpu_cmd(_op)
    _core_cmd(_op)
    _memory_cmd(_op)


# --- variables and policies --------------------------------------------------------------

@command("set-variable", "name=value... ldom")
def _set_var(ctx, args, res):
    _, rest = _opts("set-variable", args, "")
    props, names = _kv("set-variable", rest)
    dom = _one_domain("set-variable", names)
    _apply(ctx, settings.set_variables(ctx.config(), dom, list(props.items())), res)


@command("remove-variable", "name... ldom")
def _rm_var(ctx, args, res):
    _, rest = _opts("remove-variable", args, "")
    if len(rest) < 2:
        raise usage_error("remove-variable")
    _apply(ctx, settings.remove_variables(ctx.config(), rest[-1], rest[:-1]), res)


@command("list-variable", "[-o json] [name...] ldom")
def _ls_var(ctx, args, res):
    opts, rest = _opts("list-variable", args, "o:")
    as_json, _, _ = _json_or_p("list-variable", opts)
    if not rest:
        raise usage_error("list-variable")
    pairs = settings.list_variables(ctx.config(), rest[-1], rest[:-1])
    if as_json:
        res.out += jsonout.dumps({"variables": dict(pairs)})
    else:
        res.out += [f"{k}={v}" for k, v in pairs]


def _policy_operands(name, rest):
    props, names = _kv(name, rest)
    policy = props.pop("name", None)
    if not policy or not names:
        raise usage_error(name)
    return policy, props, names


@command("add-policy", "[enable=yes|no] [priority=] [attack=] [decay=] "
                       "[elastic-margin=] [sample-rate=] [tod-begin=hh:mm[:ss]] "
                       "[tod-end=hh:mm[:ss]] [util-lower=] [util-upper=] [vcpu-min=] "
                       "[vcpu-max=] name=policy ldom...")
def _add_policy(ctx, args, res):
    _, rest = _opts("add-policy", args, "")
    policy, props, names = _policy_operands("add-policy", rest)
    _apply(ctx, settings.add_policy(ctx.config(), names, policy, props), res)


@command("set-policy", "[key=value...] name=policy ldom...")
def _set_policy(ctx, args, res):
    _, rest = _opts("set-policy", args, "")
    policy, props, names = _policy_operands("set-policy", rest)
    _apply(ctx, settings.set_policy(ctx.config(), names, policy, props), res)


@command("remove-policy", "[name=]policy... ldom")
def _rm_policy(ctx, args, res):
    _, rest = _opts("remove-policy", args, "")
    if len(rest) < 2:
        raise usage_error("remove-policy")
    pols = [p[5:] if p.startswith("name=") else p for p in rest[:-1]]
    _apply(ctx, settings.remove_policies(ctx.config(), rest[-1], pols), res)


@command("list-policy", "[-o json] [ldom...]")
def _ls_policy(ctx, args, res):
    opts, rest = _opts("list-policy", args, "o:")
    as_json, _, _ = _json_or_p("list-policy", opts)
    cfg = ctx.config()
    from .reconf import effective
    doms = [(n, effective(cfg, n).policies) for n in _check_domains(cfg, rest)]
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
    _, rest = _opts("add-spconfig", args, "")
    ctx.commit_sp(ctx.sp().add(_one_domain("add-spconfig", rest), ctx.config()))


@command("set-spconfig", "config-name")
def _set_sp(ctx, args, res):
    _, rest = _opts("set-spconfig", args, "")
    ctx.commit_sp(ctx.sp().select(_one_domain("set-spconfig", rest)))


@command("remove-spconfig", "config-name")
def _rm_sp(ctx, args, res):
    _, rest = _opts("remove-spconfig", args, "")
    ctx.commit_sp(ctx.sp().remove(_one_domain("remove-spconfig", rest)))


@command("list-spconfig", "[-o json]")
def _ls_sp(ctx, args, res):
    opts, rest = _opts("list-spconfig", args, "o:")
    as_json, _, _ = _json_or_p("list-spconfig", opts)
    if rest:
        raise usage_error("list-spconfig")
    items = ctx.sp().listing(ctx.config())
    if as_json:
        res.out += jsonout.dumps({"configs": [dict(name=n, tag=t) for n, t in items]})
    else:
        res.out += [f"{n} {t}" if t else n for n, t in items]


# --- version ----------------------------------------------------------------------------

def version_lines(backend: Backend) -> list[str]:
    """`ldm -V` (A3): manager, control protocol and MD versions, then System PROM."""
    lines = [f"Logical Domains Manager (v {__version__})",
             f"        Hypervisor control protocol v {HV_CONTROL_PROTOCOL}",
             f"        Using Hypervisor MD v {HV_MD_VERSION}", "", "System PROM:"]
    v = backend.versions()
    if not v:
        return lines + ["        (no running machine)"]
    return lines + [f"        {k:<16}v. {val}" for k, val in v.items()]


# --- the one entry point -------------------------------------------------------------------

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
        fn = COMMANDS[name][0]
        if fn is _add_domain:
            fn(ctx, argv[1:], res, cwd=cwd)
        else:
            fn(ctx, argv[1:], res)
    except LdmError as e:
        res.err += list(e.lines)
        res.status = 1
    return res


def usage_lines() -> list[str]:
    out = ["Usage: ldm [--state DIR | --socket SOCKET] <command> [options] [operands]",
           "       ldm init --platform NAME [--memory SIZE] [--seed N]",
           "       ldm -V", "", "Commands:"]
    out += [f"    {n} {u}" for n, (_, u) in sorted(COMMANDS.items())]
    out += ["", "Aliases: ls/list = list-domain, bind, unbind, start, stop, create, "
                "destroy, rm-*, ls-*, mem, var, config (A5)."]
    return out


# --- the console script ------------------------------------------------------------------

def _init(store_dir: str, args: list[str]) -> Result:
    res = Result()
    try:
        try:
            pairs, rest = getopt.gnu_getopt(args, "", ["platform=", "memory=", "seed="])
        except getopt.GetoptError as e:
            raise UsageError(f"ldm init: {e.msg}") from None
        opts = dict(pairs)
        if rest or "--platform" not in opts:
            raise UsageError("Usage: ldm init --platform NAME [--memory SIZE] [--seed N]",
                             f"Platforms: {', '.join(products.names())}")
        seed = opts.get("--seed", "0")
        if not seed.isdigit():
            raise UsageError(f"ldm init: invalid seed {seed!r}")
        mem = parse_size(opts["--memory"]) if "--memory" in opts else None
        topo = products.topology(opts["--platform"], mem)
        Store(store_dir).create(factory_default(topo, int(seed)))
        res.out.append(f"Created the factory-default configuration of a {topo.name} in "
                       f"{os.path.abspath(store_dir)}")
    except LdmError as e:
        res.err += list(e.lines)
        res.status = 1
    return res


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    state = socket = None
    while argv and argv[0].startswith("--") and argv[0].split("=")[0] in ("--state",
                                                                         "--socket"):
        opt, eq, val = argv.pop(0).partition("=")
        if not eq:
            if not argv:
                print(f"ldm: {opt} needs a value", file=sys.stderr)
                return 1
            val = argv.pop(0)
        if opt == "--state":
            state = val
        else:
            socket = val
    if state and socket:
        print("ldm: give either --state or --socket, not both", file=sys.stderr)
        return 1
    if not state and not socket:
        socket = os.environ.get("LDMD_SOCKET") or None
    try:
        if argv and argv[0] == "init":
            if socket:
                res = Result(1, [], ["ldm init creates an offline configuration: it "
                                     "cannot be used with --socket / LDMD_SOCKET"])
            else:
                res = _init(state or default_dir(), argv[1:])
        elif socket:
            from .protocol import ClientError, call
            try:
                res = call(socket, argv, cwd=os.getcwd())
            except ClientError as e:
                res = Result(1, [], [str(e)])
        elif argv and argv[0] in ("-V", "--version", "-h", "--help", "help"):
            res = execute(argv, _NoStoreContext())
        else:
            store = Store(state or default_dir())
            if not store.exists():
                res = execute(argv, _NoStoreContext(store))
            else:
                with store.locked():
                    res = execute(argv, StoreContext(store), cwd=os.getcwd())
    except LdmError as e:
        res = Result(1, [], list(e.lines))
    except Exception as e:                               # noqa: BLE001
        if os.environ.get("LDM_DEBUG"):
            raise
        res = Result(70, [], [f"ldm: internal error: {type(e).__name__}: {e}"])
    try:
        for line in res.out:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:                # `ldm list | head`: the reader went away
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    for line in res.err:
        print(line, file=sys.stderr)
    return res.status


class _NoStoreContext:
    """No saved configuration: -V and --help work, everything else says how to create
    one."""
    backend = OfflineBackend()

    def __init__(self, store: Store | None = None):
        self.store = store

    def _missing(self):
        d = self.store.dir if self.store else default_dir()
        return LdmError(f"No saved configuration in {d}: run 'ldm init --platform NAME' "
                        f"first (or give --state DIR, or --socket SOCKET for a running "
                        f"machine)")

    def config(self):
        raise self._missing()

    def sp(self):
        raise self._missing()

    def commit(self, cfg):
        raise self._missing()

    def commit_sp(self, sp):
        raise self._missing()


if __name__ == "__main__":
    sys.exit(main())
