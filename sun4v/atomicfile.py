"""Write-then-rename: a reader sees a saved file's old content or its new content, never a
part of either (the rule for every file sun4v saves)."""
import os
import tempfile


def write_atomic(path, text, prefix=".sun4v-"):
    """Write `text` (str, written as UTF-8, or bytes, written as they are) to `path`
    through a temporary file in the same directory, synced to disk, then renamed over
    `path`. On any error the temporary file is removed and `path` is untouched."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=directory)
    try:
        binary = isinstance(text, (bytes, bytearray))
        with os.fdopen(fd, "wb" if binary else "w",
                       **({} if binary else {"encoding": "utf-8"})) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
