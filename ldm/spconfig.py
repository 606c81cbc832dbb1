"""The service processor's saved configurations (reference ldm_xscf.md A3
`list-spconfig`, A5 add/set/remove-spconfig; older names add-config/list-config).

- `factory-default` always exists and is listed first; it cannot be removed.
- `add-spconfig NAME` saves the running configuration as NAME and selects it for the
  next power-on; `set-spconfig NAME` selects a saved one; `remove-spconfig NAME` deletes
  one (if it was selected, factory-default is selected again).
- The selected configuration is tagged ` [current]` while the running state still
  matches the configuration the machine last booted from or saved; after any change, or
  when another configuration is selected, it is tagged ` [next poweron]` (A3).
- At most MAX_CONFIGS configurations, factory-default included (the SP's limit [M]).
- `power_on()`: what the next power-on loads: the selected configuration with the
  control domain's pending delayed reconfiguration applied (it reboots at power-on).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .config import Config
from .errors import LdmError
from .reconf import apply_pending

FACTORY = "factory-default"
MAX_CONFIGS = 8
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
CURRENT, NEXT = "[current]", "[next poweron]"
FORMAT = "sun4v-ldm-spconfig"
VERSION = 1


@dataclass(frozen=True)
class SpStore:
    configs: tuple[tuple[str, dict], ...]       # (name, Config.to_dict()), factory first
    selected: str = FACTORY
    current: str | None = FACTORY               # last booted from or saved as
    current_digest: str | None = None

    @classmethod
    def initial(cls, factory: Config) -> "SpStore":
        return cls(((FACTORY, factory.to_dict()),), FACTORY, FACTORY, factory.digest())

    def names(self) -> list[str]:
        return [n for n, _ in self.configs]

    def get(self, name: str) -> dict:
        for n, d in self.configs:
            if n == name:
                return d
        raise LdmError(f"The configuration {name} does not exist")

    # --- operations ----------------------------------------------------------------
    def add(self, name: str, running: Config) -> "SpStore":
        if not NAME_RE.match(name):
            raise LdmError(f"Invalid configuration name {name!r}")
        if name in self.names():
            raise LdmError(f"The configuration {name} already exists")
        if len(self.configs) >= MAX_CONFIGS:
            raise LdmError(f"The service processor holds at most {MAX_CONFIGS} "
                           f"configurations: remove one first")
        return replace(self, configs=self.configs + ((name, running.to_dict()),),
                       selected=name, current=name, current_digest=running.digest())

    def select(self, name: str) -> "SpStore":
        self.get(name)
        return replace(self, selected=name)

    def remove(self, name: str) -> "SpStore":
        if name == FACTORY:
            raise LdmError(f"The {FACTORY} configuration cannot be removed")
        self.get(name)
        return replace(self, configs=tuple(c for c in self.configs if c[0] != name),
                       selected=FACTORY if self.selected == name else self.selected,
                       current=None if self.current == name else self.current)

    def listing(self, running: Config) -> list[tuple[str, str]]:
        """(name, tag) in order; the tag is '' except on the selected configuration."""
        out = []
        for n in self.names():
            tag = ""
            if n == self.selected:
                same = n == self.current and running.digest() == self.current_digest
                tag = CURRENT if same else NEXT
            out.append((n, tag))
        return out

    def power_on(self) -> tuple[Config, "SpStore"]:
        """The configuration the machine starts with, and the store after booting it."""
        cfg = apply_pending(Config.from_dict(self.get(self.selected))).check()
        return cfg, replace(self, current=self.selected, current_digest=cfg.digest())

    # --- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict:
        return dict(format=FORMAT, version=VERSION, selected=self.selected,
                    current=self.current, current_digest=self.current_digest,
                    configs=[dict(name=n, config=d) for n, d in self.configs])

    @classmethod
    def from_dict(cls, d: dict) -> "SpStore":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ValueError("not an spconfig store")
        if d.get("version") != VERSION:
            raise ValueError(f"unsupported spconfig store version {d.get('version')!r}")
        configs = tuple((str(c["name"]), c["config"]) for c in d["configs"])
        sp = cls(configs, str(d["selected"]), d.get("current"), d.get("current_digest"))
        names = sp.names()
        if not names or names[0] != FACTORY or len(set(names)) != len(names):
            raise ValueError("configuration list is corrupt")
        if sp.selected not in names:
            raise ValueError(f"selected configuration {sp.selected!r} is missing")
        for n, c in configs:
            Config.from_dict(c).check()
        return sp
