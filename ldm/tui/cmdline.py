"""The TUI's command line (opened with `:` as in vi and k9s): real `ldm` syntax with or
without the leading `ldm`, the TUI's own few words, history and tab completion.

    parse("ldm add-vcpu 4 ldg1")      -> Parsed("ldm", ["add-vcpu", "4", "ldg1"])
    parse("speed 2")                  -> Parsed("tui", ["speed", "2"])
    complete("add-vcpu 4 l", ["primary", "ldg1", "ldg2"]) -> ["ldg1", "ldg2"]

Subcommand names and aliases are the ldm command's own (ldm.commands: registry and
A5 aliases), property keys those of ldm.constraints and ldm.policy.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass

from ..commands import COMMANDS
from ..commands.registry import WORD_ALIASES, canonical
from ..constraints import DOMAIN_PROPERTIES
from ..policy import KEYS as POLICY_KEYS

# the TUI's own words (not ldm subcommands): word -> help
TUI_WORDS = {
    "quit": "leave the TUI (the machine stops with it)",
    "pause": "pause the machine",
    "resume": "let the machine run again",
    "speed": "speed FACTOR: simulated time per host second relative to the default "
             "(0.25 .. 4)",
    "help": "the help screen",
}
TUI_ALIASES = {"q": "quit", "q!": "quit", "run": "resume"}

SUBCOMMANDS = sorted(set(COMMANDS) | set(WORD_ALIASES) | {"-V"})

_KEYS = {"add-domain": tuple(DOMAIN_PROPERTIES), "set-domain": tuple(DOMAIN_PROPERTIES),
         "add-policy": POLICY_KEYS + ("name",), "set-policy": POLICY_KEYS + ("name",)}
_NO_DOMAIN = {"list-devices", "list-spconfig", "add-spconfig", "set-spconfig",
              "remove-spconfig"}


class CommandLineError(ValueError):
    """A command line that cannot be split into words (one line)."""


@dataclass(frozen=True)
class Parsed:
    """kind: "ldm" (argv for the manager, without the `ldm` word), "tui" (argv[0] one
    of TUI_WORDS) or "empty"."""
    kind: str
    argv: tuple[str, ...] = ()


def split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as e:
        raise CommandLineError(f"cannot read the command line: {e}") from None


def parse(text: str) -> Parsed:
    """What a typed line asks for; CommandLineError for unbalanced quotes.  `ldm X`
    is always the manager's X; a bare TUI word (quit, pause, resume, speed, help) is the
    TUI's; anything else goes to the manager, which words its own errors."""
    words = split(text)
    if not words:
        return Parsed("empty")
    if words[0] == "ldm":
        return Parsed("ldm", tuple(words[1:])) if len(words) > 1 else Parsed("empty")
    w = TUI_ALIASES.get(words[0], words[0])
    if w in TUI_WORDS:
        return Parsed("tui", (w, *words[1:]))
    return Parsed("ldm", tuple(words))


def complete(text: str, domains: list[str]) -> list[str]:
    """Completions of the last word of `text` (the word being typed; "" after a
    space): subcommands and TUI words as the first word (after an optional `ldm`),
    then domain names and, for add/set-domain and add/set-policy, `key=` properties.
    Sorted, without duplicates."""
    ends_blank = text[-1:].isspace() if text else True
    try:
        words = split(text)
    except CommandLineError:
        return []
    if ends_blank:
        words.append("")
    prefix = words[-1]
    before = words[:-1]
    lead = bool(before) and before[0] == "ldm"
    if lead:
        before = before[1:]
    if not before:
        pool = list(SUBCOMMANDS) + ([] if lead else list(TUI_WORDS))
    else:
        cmd = canonical(before[0])
        if cmd not in COMMANDS or cmd in _NO_DOMAIN or "=" in prefix:
            return []
        pool = [n for n in domains if n not in before[1:]]
        if not prefix.startswith("-"):
            pool += [k + "=" for k in _KEYS.get(cmd, ())]
    return sorted({c for c in pool if c.startswith(prefix)})


def common_prefix(words: list[str]) -> str:
    if not words:
        return ""
    a, b = min(words), max(words)
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return a[:n]


def apply_completion(text: str, domains: list[str]) -> tuple[str, list[str]]:
    """The line after Tab: the last word extended to the candidates' common prefix (a
    space added when one candidate is left and it is not a `key=`), and the candidates."""
    cands = complete(text, domains)
    if not cands:
        return text, []
    ends_blank = text[-1:].isspace() if text else True
    cur = "" if ends_blank else split(text)[-1]
    ext = common_prefix(cands)
    if len(cands) == 1 and not ext.endswith("="):
        ext += " "
    return text + ext[len(cur):], cands


class History:
    """Lines entered, oldest first (no immediate repeats), walked with prev() / next()
    from the end as a shell's Up / Down; reset() after a line is entered."""

    def __init__(self, size: int = 200):
        self.size = size
        self.lines: list[str] = []
        self.pos = 0

    def add(self, line: str) -> None:
        line = line.strip()
        if line and (not self.lines or self.lines[-1] != line):
            self.lines.append(line)
            del self.lines[:-self.size]
        self.reset()

    def reset(self) -> None:
        self.pos = len(self.lines)

    def prev(self) -> str | None:
        if self.pos == 0:
            return None
        self.pos -= 1
        return self.lines[self.pos]

    def next(self) -> str:
        """The following line, or "" past the newest."""
        if self.pos < len(self.lines):
            self.pos += 1
        return self.lines[self.pos] if self.pos < len(self.lines) else ""
