"""Point functions for the what-if engine tests (tests/test_whatif_engine.py): importable
by the Dask workers (tests/ is on their sys.path: multiprocessing's spawn passes the
parent's), picklable with functools.partial."""
import os

from sun4v.whatif.engine import compute


def die_first_time(flag_dir, pt, key, version):
    """The first attempt at a point kills its own worker process (no clean-up, like a
    crash or the OOM killer), keyed by a flag file; the next attempt computes it."""
    flag = os.path.join(flag_dir, key)
    if not os.path.exists(flag):
        with open(flag, "w") as f:
            f.write(str(os.getpid()))
        os._exit(17)
    return compute(pt, key, version)


def raise_for(bad_key, pt, key, version):
    """Every attempt at point `bad_key` raises; the others compute."""
    if key == bad_key:
        raise RuntimeError(f"injected failure in point {key[:8]}")
    return compute(pt, key, version)
