"""Computed points, kept in the study's output directory (issue 13 §2: a re-run reuses
points already computed, keyed by their parameters and the project version).

DIR/points/KEY.json holds one point's row; KEY is a hash of the point's parameters
(everything `run_point` reads) and `project_version()`.  Files are written
write-then-rename (sun4v/atomicfile.py), so an interrupted study leaves whole points or
none; a file that does not parse is computed again."""
from __future__ import annotations

import functools
import hashlib
import json
import os

from .report import write_atomic

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# what a point's numbers depend on: the simulator, the binder and MD writer, the
# firmware and the guest kernel (their built images), the point runner
VERSION_SOURCES = ("sun4v/cmt", "sun4v/machine", "sun4v/boot", "sun4v/guest",
                   "sun4v/hypervisor_fw", "sun4v/fwlib", "ldm", "sun4v/whatif/point.py")
VERSION_FILES = ("build/fw/hv.elf", "build/fw/guest.bin")


@functools.lru_cache(maxsize=1)
def project_version() -> str:
    """"<package version>+<12 hex digits>": the package version and a hash of the
    sources and firmware images a point's result depends on."""
    try:
        from importlib.metadata import version
        v = version("sun4v")
    except Exception:
        v = "0"
    h = hashlib.sha256()
    paths = []
    for rel in VERSION_SOURCES:
        full = os.path.join(ROOT, rel)
        if os.path.isfile(full):
            paths.append(full)
            continue
        for d, dirs, files in os.walk(full):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            for f in sorted(files):
                if f.endswith((".py", ".c", ".h", ".S", ".ld")):
                    paths.append(os.path.join(d, f))
    paths += [os.path.join(ROOT, f) for f in VERSION_FILES]
    for p in sorted(paths):
        h.update(os.path.relpath(p, ROOT).encode())
        try:
            with open(p, "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(b"<missing>")
    return f"{v}+{h.hexdigest()[:12]}"


def point_key(pt: dict, version: str | None = None) -> str:
    """The cache key of a point: its parameters (the scenario's name aside) and the
    project version, hashed (20 hex digits)."""
    body = {k: v for k, v in pt.items() if k != "scenario"}
    text = json.dumps(body, sort_keys=True) + "|" + (version or project_version())
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class Store:
    def __init__(self, directory: str):
        self.dir = os.path.join(directory, "points")
        os.makedirs(self.dir, exist_ok=True)

    def path(self, key):
        return os.path.join(self.dir, key + ".json")

    def get(self, key):
        """The stored row of `key`, or None (absent, unreadable, or a failed point)."""
        try:
            with open(self.path(key)) as f:
                row = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(row, dict) or row.get("key") != key or row.get("error"):
            return None
        return row

    def put(self, row):
        write_atomic(self.path(row["key"]), json.dumps(row, sort_keys=True) + "\n")
