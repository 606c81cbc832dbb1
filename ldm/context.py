"""What an `ldm` command runs against: a Context gives the configuration and the SP
store and takes their new values; its backend carries changes out (actions.py). Offline:
StoreContext over a state directory. The ldmd server supplies its own context (same
methods) over its live configuration and the running machine's backend.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .actions import Backend, OfflineBackend
from .config import Config
from .errors import LdmError
from .spconfig import SpStore
from .store import Store, default_dir


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



class NoStoreContext:
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
