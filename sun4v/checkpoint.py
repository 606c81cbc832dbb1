"""The checkpoint file: a machine's whole state in one file (issue 14 §3).

A checkpoint is a numpy `.npz` archive (numpy.savez_compressed: a zip of `.npy` arrays,
read back with allow_pickle=False, so a file never runs code):

  __header__  uint8 array: JSON {"format": "sun4v-checkpoint", "format_version": 1,
              "sun4v": the project version, "sha256": the digest of everything else}
  __meta__    uint8 array: JSON of the scalar state (devices, host side, configuration)
  NAME        one array per piece of array state (strands, MMU, memory pages, consoles)

The digest covers the meta JSON and every array's name, dtype, shape and bytes in name
order, so any change to the content after writing is seen (the zip's own CRCs catch
most damage first). Files are written atomically (atomicfile.write_atomic: a reader sees
the old file or the new one). Reading checks, in order: the file opens and is an npz, the
header names this format and version and this project version (the state layout is the
project's own), the digest matches; anything else raises CheckpointError with one line.

    write(path, arrays, meta)        # arrays: {name: ndarray}, meta: JSON-able dict
    arrays, meta = read(path)        # CheckpointError on a missing/corrupt/foreign file
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
import zlib

import numpy as np

from . import __version__
from .atomicfile import write_atomic

FORMAT = "sun4v-checkpoint"
FORMAT_VERSION = 1
_HEADER, _META = "__header__", "__meta__"


class CheckpointError(Exception):
    """A checkpoint that cannot be written or read, in one line."""


def _digest(arrays: dict, meta_bytes: bytes) -> str:
    h = hashlib.sha256()
    h.update(meta_bytes)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"\0{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _json_bytes(obj) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, sort_keys=True).encode(), dtype=np.uint8)


def write(path: str, arrays: dict, meta: dict) -> None:
    """Write `arrays` ({name: ndarray}) and `meta` (JSON-able) to `path` atomically.
    CheckpointError when the file cannot be written (the old file is left as it was)."""
    for name in arrays:
        if name.startswith("__") or "/" in name:
            raise ValueError(f"array name {name!r} is reserved")
    meta_arr = _json_bytes(meta)
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "sun4v": __version__,
              "sha256": _digest(arrays, meta_arr.tobytes())}
    buf = io.BytesIO()
    np.savez_compressed(buf, **{_HEADER: _json_bytes(header), _META: meta_arr}, **arrays)
    try:
        write_atomic(path, buf.getvalue(), prefix=".sun4v-ckpt-")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(path, 0o666 & ~mask)           # as open() would make it, not mkstemp's 0600
    except OSError as e:
        raise CheckpointError(f"{path}: cannot write the checkpoint ({e.strerror or e})") \
            from None


def read(path: str) -> tuple[dict, dict]:
    """(arrays, meta) of the checkpoint at `path`; CheckpointError (one line) when it is
    missing, unreadable, not a checkpoint, of another format or project version, or its
    content does not match its digest."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a directory") from None
    except OSError as e:
        raise CheckpointError(f"{path}: {e.strerror or e}") from None
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            names = list(z.files)
            if _HEADER not in names or _META not in names:
                raise CheckpointError(f"{path}: not a sun4v checkpoint (no header)")
            header = json.loads(z[_HEADER].tobytes().decode())
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise CheckpointError(f"{path}: not a sun4v checkpoint")
            fv, pv = header.get("format_version"), header.get("sun4v")
            if fv != FORMAT_VERSION or pv != __version__:
                raise CheckpointError(
                    f"{path}: checkpoint format {fv} of sun4v {pv}; this is sun4v "
                    f"{__version__}, which reads format {FORMAT_VERSION} of its own version")
            meta_bytes = z[_META].tobytes()
            arrays = {n: z[n] for n in names if n not in (_HEADER, _META)}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError,
            UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint "
                              f"({type(e).__name__}: {e})".splitlines()[0]) from None
    if _digest(arrays, meta_bytes) != header.get("sha256"):
        raise CheckpointError(f"{path}: corrupt checkpoint (its content does not match "
                              f"its sha256)")
    try:
        meta = json.loads(meta_bytes.decode())
    except (ValueError, UnicodeDecodeError):
        raise CheckpointError(f"{path}: corrupt checkpoint (its state is not JSON)") from None
    return arrays, meta
