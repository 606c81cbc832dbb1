"""The `ldm` command: Oracle VM Server for SPARC syntax, aliases and output formats
(reference ldm_xscf.md A3-A7) against a running machine's ldmd or a saved configuration.

    ldm [--state DIR | --socket SOCKET] SUBCOMMAND [options] [operands]
    ldm init --platform NAME [--memory SIZE] [--seed N] [--state DIR]
    ldm tui [CONFIG.toml | --attach SOCKET]      (the terminal UI: ldm/tui/cli.py)
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

from . import products
from .commands import execute
from .config import factory_default
from .context import NoStoreContext, Result, StoreContext
from .errors import LdmError, UsageError
from .protocol import ClientError, call
from .store import Store, default_dir
from .units import parse_size


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
    if argv and argv[0] == "tui":
        from .tui.cli import main as tui_main
        return tui_main(argv[1:])
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
            try:
                res = call(socket, argv, cwd=os.getcwd())
            except ClientError as e:
                res = Result(1, [], [str(e)])
        elif argv and argv[0] in ("-V", "--version", "-h", "--help", "help"):
            res = execute(argv, NoStoreContext())
        else:
            store = Store(state or default_dir())
            if not store.exists():
                res = execute(argv, NoStoreContext(store))
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


if __name__ == "__main__":
    sys.exit(main())
