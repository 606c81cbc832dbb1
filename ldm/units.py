"""Sizes, times of day and uptimes as `ldm` reads and prints them (reference ldm_xscf.md
A3: MEMORY in the largest whole unit, `32544M`, `4G`; UPTIME as `9m`, `2h 16m`,
`7d 19h 43m`; A5/A7: sizes `size[unit]`, tod `hh:mm[:ss]`)."""
import re

from .errors import LdmError

K, M, G, T = 1 << 10, 1 << 20, 1 << 30, 1 << 40
_UNITS = {"": 1, "b": 1, "k": K, "kb": K, "m": M, "mb": M, "g": G, "gb": G, "t": T, "tb": T}
_SIZE = re.compile(r"^\s*(\d+)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str, what: str = "memory size") -> int:
    """`4G`, `512M`, `4096k`, `1073741824` (bytes) -> bytes. Units K/M/G/T are powers of
    1024, upper or lower case, optionally followed by B. LdmError on anything else."""
    m = _SIZE.match(text or "")
    if not m or m.group(2).lower() not in _UNITS:
        raise LdmError(f"Invalid {what}: {text!r}")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def format_size(nbytes: int) -> str:
    """Bytes in the largest unit that divides them: 4G, 32544M, 64K, 100 (bytes as `B`)."""
    for unit, size in (("T", T), ("G", G), ("M", M), ("K", K)):
        if nbytes and nbytes % size == 0:
            return f"{nbytes // size}{unit}"
    return f"{nbytes}B" if nbytes else "0"


def format_uptime(seconds: int | float | None) -> str:
    """`ldm list` UPTIME: days, hours and minutes with zero fields left out (`3d 55m`);
    under a minute, seconds (`42s`). None -> ''."""
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    parts = [f"{d}d"] if d else []
    if h:
        parts.append(f"{h}h")
    if m or not parts:
        parts.append(f"{m}m")
    return " ".join(parts)


_TOD = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_tod(text: str, key: str) -> int:
    """`hh:mm[:ss]` -> seconds after midnight (A7 tod-begin / tod-end)."""
    m = _TOD.match(text)
    if not m:
        raise LdmError(f"Invalid {key} value {text!r}: expected hh:mm[:ss]")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        raise LdmError(f"Invalid {key} value {text!r}: expected hh:mm[:ss]")
    return h * 3600 + mi * 60 + s


def format_tod(seconds: int) -> str:
    h, rem = divmod(seconds, 3600)
    return f"{h:02d}:{rem // 60:02d}:{rem % 60:02d}"
