"""sun4v: a simulator of Sun's SPARC CMT (sun4v, Logical Domains) and hard-partitioned
(M-series, E10000) servers."""
import hashlib
import os
from pathlib import Path

__version__ = "0.1.0"


def _numba_cache_dir():
    """Point numba's on-disk cache at a directory keyed by the engine's source text.

    numba re-validates a cached function only against its own file, not against the
    functions and constants it pulls from other modules; keying the whole cache by a hash
    of every engine source keeps a stale compiled engine from ever being loaded."""
    if os.environ.get("SUN4V_NUMBA_CACHE_SET"):
        return
    h = hashlib.sha256()
    pkg = Path(__file__).parent
    for p in sorted(pkg.glob("cmt/*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    base = os.environ.get("SUN4V_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sun4v")
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(base, "numba-" + h.hexdigest()[:16])
    os.environ["SUN4V_NUMBA_CACHE_SET"] = "1"


_numba_cache_dir()
