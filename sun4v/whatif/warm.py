"""What-if points forked from a warmed-up checkpoint (issue 14 §3: "What-if studies can
fork points from a warmed-up checkpoint").

A point's warm-up (power-on to study.warmup: the firmware, the guests' boot, the
workloads starting) depends only on its machine: the platform, the domains with their
workloads, the mode, the warm-up time and the seed. run_point saves the machine at the
end of the warm-up to WARM_DIR/KEY.ckpt (sun4v/checkpoint.py, written atomically; KEY:
warm_key) and any point with the same machine forks from that file instead of booting
again: a restored run continues exactly as the uninterrupted one (System.restore), so
its row is the same. Points differing only in what is measured (study.time, samples:
a longer study after a --quick one, another sampling) share the warm-up.

WARM_DIR is the study's DIR/warm (run_study sets the environment variable
SUN4V_WHATIF_WARM for its workers; a remote Dask worker without it, or with a directory
it cannot write, boots every point: the cache is never needed for a result). A file
that cannot be read (corrupt, another project version) is replaced."""
from __future__ import annotations

import hashlib
import json
import os

ENV = "SUN4V_WHATIF_WARM"
MACHINE_KEYS = ("platform", "domains", "mode", "warmup", "seed")


def warm_key(pt: dict, version: str | None = None) -> str:
    """20 hex digits naming the point's warmed-up machine (MACHINE_KEYS and the project
    version, hashed)."""
    from .store import project_version
    body = {k: pt.get(k) for k in MACHINE_KEYS}
    text = json.dumps(body, sort_keys=True) + "|" + (version or project_version())
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def warm_path(pt: dict) -> str | None:
    d = os.environ.get(ENV)
    return os.path.join(d, warm_key(pt) + ".ckpt") if d else None


def warmed_system(pt: dict, build, warmup_steps: int):
    """(System at the end of the point's warm-up, whether it was forked from a saved
    one). build() makes the point's System at power-on; its run to warmup_steps is
    returned as the BootResult of the warm-up (None when forked)."""
    from ..boot.system import System
    from ..checkpoint import CheckpointError
    path = warm_path(pt)
    if path and os.path.exists(path):
        try:
            s = System.restore(path)
            if s.m.time == warmup_steps and s.m.mode == pt["mode"]:
                return s, None
        except CheckpointError:
            pass                                # rebuilt and saved again below
    s = build()
    r = s.run(until=warmup_steps)
    if path and r.reason == "until":
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s.checkpoint(path)
        except (CheckpointError, OSError):
            pass                                # the cache is an optimisation only
    return s, r
