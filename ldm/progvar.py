"""A domain's program given by its variables (issue 14 §1): on a running machine,

    ldm set-variable program=/abs/path/prog ldg3
    ldm set-variable program-args="4 2000" ldg3
    ldm bind ldg3; ldm start ldg3

makes ldg3's guest kernel run the static sparc64 Linux program PATH with those
arguments, as a `[[domain]]` table's `program = "PATH"`, `args = [...]` does at boot
(sun4v/boot/config.py; the domains of the boot configuration with a program get these
two variables too, ldm/live.py initial_config).

- `program`: the program's file; a relative name is taken from the directory `ldm` was
  run in, and stored absolute. Checked when set (and again at bind and at each start):
  a file that does not exist or is not a static sparc64 ELF executable is refused with
  sun4v/se/loader.py's one line (ProgramError), nothing changed.
- `program-args`: the program's arguments (argv[1:]), split as a POSIX shell splits
  words (shlex): `program-args="a 'b c'"` gives two arguments, `a` and `b c`. Without
  it the program runs without arguments.
- The guest kernel's workload (its MD's workload node, ldm/mdwriter.py) is fixed when
  the domain is bound: `program` is set or removed while the domain is inactive; a bound
  domain's `program-args` (and the file behind `program`) apply at its next start.
- A domain runs a workload or a program, not both (`workload` and `program` refused
  together, as in the boot configuration).
- Each start of the domain runs the program from the beginning, with a new host-side
  proxy (sun4v/boot/progproxy.py); unbinding the domain drops it.
"""
from __future__ import annotations

import os
import shlex

from .errors import LdmError

PROGRAM = "program"
ARGS = "program-args"
WORKLOAD = "program"                    # the guest kernel's workload name (config.py)


def resolve(value: str, cwd: str | None) -> str:
    """The `program` value as stored: absolute (relative names from `cwd`)."""
    if value and not os.path.isabs(value):
        value = os.path.join(cwd or os.getcwd(), value)
    return os.path.normpath(value) if value else value


def split_args(text: str | None) -> list[str]:
    """program-args as argv[1:] (shlex, POSIX rules); LdmError for unbalanced quotes."""
    if text is None:
        return []
    try:
        return shlex.split(text)
    except ValueError as e:
        raise LdmError(f"Invalid value of {ARGS}: {text!r} ({e})") from None


def check_file(path: str) -> None:
    """LdmError (one line) unless `path` is a static sparc64 ELF executable."""
    from sun4v.boot.progproxy import ProgramError, check_program
    try:
        check_program(path)
    except ProgramError as e:
        raise LdmError(f"Invalid value of {PROGRAM}: {e}") from None


def program_of(constraints) -> tuple[str, list[str]] | None:
    """(path, argv[1:]) of a domain's variables, or None when it has no program."""
    path = constraints.variable(PROGRAM)
    if path is None:
        return None
    return path, split_args(constraints.variable(ARGS))


def check_change(name: str, state: str, before, after) -> None:
    """LdmError (one line) for a variable change the program rules above refuse:
    `before`/`after` the domain's constraints, `state` its state (ldm/domain.py)."""
    from .domain import INACTIVE
    p0, p1 = before.variable(PROGRAM), after.variable(PROGRAM)
    if p1 != p0:
        if state != INACTIVE:
            raise LdmError(f"LDom {name} is {state}: its program is fixed when it is bound "
                           f"(unbind it to change {PROGRAM})")
    if p1 is not None:
        if p1 != p0:
            if not p1:
                raise LdmError(f"Invalid value of {PROGRAM}: give the program's file")
            check_file(p1)
        wl = after.variable("workload")
        if wl is not None and wl not in ("idle", WORKLOAD):
            raise LdmError(f"LDom {name}: a domain runs a workload or a program, not both "
                           f"(workload={wl}; remove-variable workload {name})")
    split_args(after.variable(ARGS))
