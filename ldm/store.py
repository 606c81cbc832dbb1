"""The state directory of offline mode (and, later, of ldmd): the manager's configuration
and the service processor's saved configurations, each one JSON file written atomically
(sun4v/atomicfile.py: temporary file in the same directory, fsync, rename), so a kill at
any moment leaves the previous file whole and readable. Commands hold an exclusive lock
(flock on `lock`) for their read-modify-write; temporary files a killed writer left
behind are removed under that lock.

    DIR/ldmd.json       the running (or, offline, next power-on) configuration (config.py)
    DIR/spconfig.json   the SP store (spconfig.py)
    DIR/lock            the lock file

The default directory is $LDM_STATE, else ~/.local/state/sun4v-ldm.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os

from sun4v.atomicfile import write_atomic

from .config import Config
from .errors import LdmError
from .spconfig import SpStore

CONFIG_FILE, SP_FILE, LOCK_FILE = "ldmd.json", "spconfig.json", "lock"
TMP_PREFIX = ".ldm-"


class StoreError(LdmError):
    """The state directory is missing, unreadable or corrupt (one line)."""


def default_dir() -> str:
    env = os.environ.get("LDM_STATE")
    if env:
        return env
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".local", "state")
    return os.path.join(base, "sun4v-ldm")


class Store:
    def __init__(self, directory: str):
        self.dir = os.path.abspath(directory)

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def exists(self) -> bool:
        return os.path.exists(self.path(CONFIG_FILE)) and os.path.exists(self.path(SP_FILE))

    @contextlib.contextmanager
    def locked(self):
        try:
            fd = os.open(self.path(LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(f"Cannot use state directory {self.dir}: "
                             f"{e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._clean_temporaries()
            yield self
        finally:
            os.close(fd)

    def _clean_temporaries(self) -> None:
        for f in os.listdir(self.dir):
            if f.startswith(TMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(self.path(f))

    # --- create --------------------------------------------------------------------
    def create(self, factory: Config) -> None:
        """A new store holding `factory` as both the running configuration and the SP's
        factory-default. StoreError if one exists already."""
        try:
            os.makedirs(self.dir, exist_ok=True)
        except OSError as e:
            raise StoreError(f"Cannot create state directory {self.dir}: "
                             f"{e.strerror}") from None
        with self.locked():
            if os.path.exists(self.path(CONFIG_FILE)) or os.path.exists(self.path(SP_FILE)):
                raise StoreError(f"A configuration already exists in {self.dir}")
            # the SP store first: a store without ldmd.json is not "existing" yet
            self.save_sp(SpStore.initial(factory))
            self.save_config(factory)

    # --- read / write --------------------------------------------------------------
    def _read(self, name: str) -> dict:
        p = self.path(name)
        try:
            with open(p, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            raise StoreError(f"No saved configuration in {self.dir}: run 'ldm init "
                             f"--platform NAME' first (or give --state DIR)") from None
        except OSError as e:
            raise StoreError(f"Cannot read {p}: {e.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise StoreError(f"{p} is corrupt: {e}") from None

    def load_config(self) -> Config:
        d = self._read(CONFIG_FILE)
        try:
            cfg = Config.from_dict(d)
        except (KeyError, TypeError, ValueError) as e:
            raise StoreError(f"{self.path(CONFIG_FILE)} is corrupt: {e}") from None
        errs = cfg.problems()
        if errs:
            raise StoreError(f"{self.path(CONFIG_FILE)} is inconsistent: {errs[0]}")
        return cfg

    def load_sp(self) -> SpStore:
        d = self._read(SP_FILE)
        try:
            return SpStore.from_dict(d)
        except (KeyError, TypeError, ValueError, LdmError) as e:
            raise StoreError(f"{self.path(SP_FILE)} is corrupt: {e}") from None

    def save_config(self, cfg: Config) -> None:
        self._write(CONFIG_FILE, cfg.to_dict())

    def save_sp(self, sp: SpStore) -> None:
        self._write(SP_FILE, sp.to_dict())

    def _write(self, name: str, d: dict) -> None:
        try:
            write_atomic(self.path(name), json.dumps(d, indent=1, sort_keys=True) + "\n",
                         prefix=TMP_PREFIX)
        except OSError as e:
            raise StoreError(f"Cannot write {self.path(name)}: {e.strerror}") from None
