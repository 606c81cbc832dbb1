"""The `sun4v` command: one subcommand per job (DESIGN.md, "Commands").

Subcommands register in COMMANDS: name -> (add_arguments(parser), run(args) -> status).
Other modules add theirs with register() (the lead's `bench` lives in sun4v/bench.py).
Bad input gives one line `sun4v: <problem>` on stderr and exit status 2, never a traceback.
"""
import argparse
import os
import sys

COMMANDS = {}


def register(name, help, add_arguments, run):
    COMMANDS[name] = (help, add_arguments, run)


class UsageError(Exception):
    """Bad input named in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        message = message.replace("PROG, ARGS", "PROG")
        sys.stderr.write(f"sun4v: {message}\n")
        sys.exit(2)


# ---- run --------------------------------------------------------------------------------
def _run_args(p):
    p.add_argument("--chip", metavar="CHIP", default=None,
                   help="chip to model: t1, t2 (default) or t2plus; naming it also passes "
                        "that chip's Linux AT_HWCAP to the program instead of the generic one")
    p.add_argument("--mode", choices=["functional", "cycle"], default="functional",
                   help="functional (fast, default) or cycle (cycle-level CMT timing); "
                        "program output and exit status are the same in both")
    p.add_argument("--strands", type=int, metavar="N",
                   help="strands the program's threads may use (default: all of the "
                        "chip's); a thread beyond them makes clone fail with EAGAIN")
    p.add_argument("--max-insns", type=int, metavar="N",
                   help="stop after N instructions (exit status 124); traps the kernel "
                        "side handles without the instruction completing count too")
    p.add_argument("--stats", metavar="FILE",
                   help="write run statistics as JSON to FILE, or a summary to stderr for -")
    p.add_argument("--trace", action="store_true",
                   help="print every executed instruction on stderr; register dump on a "
                        "fatal trap")
    p.add_argument("prog", metavar="PROG", help="static sparc64 Linux ELF executable")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="arguments passed to the program untouched")


def check_output_path(path, what="--stats"):
    """UsageError unless `path` can be written: its directory exists and is writable, and
    an existing FILE is a writable regular file. Checked before anything runs."""
    d = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{what} {path}: is a directory")
    if not os.path.isdir(d):
        raise UsageError(f"{what} {path}: directory {d} does not exist")
    if not os.access(d, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: directory {d} is not writable")
    if os.path.lexists(path):
        if not os.path.isfile(path):
            raise UsageError(f"{what} {path}: not a regular file")
        if not os.access(path, os.W_OK):
            raise UsageError(f"{what} {path}: file is not writable")


def check_chip_strands(chip, strands):
    """UsageError unless `chip` is known and `strands` (None: all) fits it; returns the
    chip's strand count."""
    from .cmt import chips
    if chip not in chips.CHIPS:
        raise UsageError(f"unknown chip {chip!r} (known: {', '.join(sorted(chips.CHIPS))})")
    total = chips.total_strands(chip)
    if strands is not None and not 1 <= strands <= total:
        raise UsageError(f"--strands {strands}: {chips.chip(chip)['name']} has {total} "
                         f"strands (1 to {total})")
    return total


def _run(a):
    from .se import loader
    from .se.process import Process
    from .se.signals import die_by_signal
    chip = a.chip or "t2"
    check_chip_strands(chip, a.strands)
    if a.max_insns is not None and a.max_insns <= 0:
        raise UsageError("--max-insns must be a positive number")
    if a.stats and a.stats != "-":
        check_output_path(a.stats)
    hwcap = None
    if a.chip:
        hwcap = loader.CHIP_HWCAP.get(a.chip, loader.CHIP_HWCAP["t2"])   # T2+ is a T2 die
    proc = Process(a.prog, a.args, chip=chip, max_insns=a.max_insns, trace=a.trace,
                   hwcap=hwcap, mode=a.mode, strands=a.strands)
    status = proc.run()
    if a.stats:
        try:
            proc.write_stats(a.stats)
        except OSError as e:
            os.write(2, f"sun4v: cannot write stats to {a.stats}: {e.strerror}\n".encode())
    if status < 0:
        die_by_signal(-status)
    return status


register("run", "run a static sparc64 Linux program (syscall emulation)", _run_args, _run)


# ---- entry point ---------------------------------------------------------------------------
def build_parser():
    p = _Parser(prog="sun4v", description="Simulator of Sun SPARC CMT (sun4v) servers.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help, add_arguments, _run_fn) in COMMANDS.items():
        sp = sub.add_parser(name, help=help, description=help)
        add_arguments(sp)
    return p


def _load_plugins():
    """Subcommands that live in their own modules, when those modules exist."""
    import importlib
    for mod in ("sun4v.bench", "sun4v.validate", "sun4v.cosim.command",
                "sun4v.hypervisor_fw.md_command", "sun4v.machine.command",
                "sun4v.boot.command", "sun4v.whatif.command"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    _load_plugins()
    parser = build_parser()
    # `sun4v run [opts] PROG ARGS...`: everything after PROG belongs to the program, even
    # words that look like options; argparse's REMAINDER handles that once PROG is seen.
    a = parser.parse_args(argv)
    if not a.command:
        parser.print_help(sys.stderr)
        return 2
    from .se.loader import LoadError
    try:
        return COMMANDS[a.command][2](a)
    except (LoadError, UsageError) as e:
        sys.stderr.write(f"sun4v: {e}\n")
        return 2
    except OSError as e:
        name = f"{e.filename}: " if e.filename else ""
        sys.stderr.write(f"sun4v: {name}{e.strerror or e}\n")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
