"""The XSCF state file: the whole service-processor state as JSON, written atomically
(temporary file in the same directory, fsync, os.replace) so a crash mid-write keeps the
previous state; a file that cannot be read or parsed raises StateError with one line.
"""
from __future__ import annotations

import json

from ..atomicfile import write_atomic
from .boards import PSB
from .catalogue import platform
from .dcl import DCL
from .domain import Domain
from .system import System, XsbState
from .traffic import TrafficSetting

FORMAT = "sun4v-xscf-state"
VERSION = 1


class StateError(Exception):
    """The state file is missing a part, corrupt or unreadable (one-line message)."""


def to_dict(sys: System) -> dict:
    return dict(
        format=FORMAT, version=VERSION, platform=sys.model.name, seed=sys.seed,
        runs=sys.runs, clock=sys.clock,
        psbs=[sys.psbs[s].to_dict() for s in sorted(sys.psbs)],
        xsbs={x: sys.xsb_state[x].to_dict() for x in sorted(sys.xsb_state)},
        dcls=[sys.dcls[d].to_dict() for d in sorted(sys.dcls)],
        domains=[sys.domains[d].to_dict() for d in sorted(sys.domains)],
        traffic={str(d): t.to_dict() for d, t in sorted(sys.traffic.items())},
        crossbar=sys.xbar.to_dict(),
        log=[list(e) for e in sys.log],
    )


def from_dict(d: dict) -> System:
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise StateError("not an xscf state file")
    if d.get("version") != VERSION:
        raise StateError(f"unsupported state file version {d.get('version')!r}")
    try:
        model = platform(d["platform"])
        sys = System(model, seed=int(d["seed"]))
        sys.runs = int(d["runs"])
        sys.clock = int(d["clock"])
        psbs = [PSB.from_dict(p) for p in d["psbs"]]
        if sorted(p.slot for p in psbs) != list(range(model.slots)):
            raise ValueError("board slots do not match the platform")
        sys.psbs = {p.slot: p for p in psbs}
        sys.xsb_state = {}
        sys.refresh_xsbs()
        if set(d["xsbs"]) != set(sys.xsbs):
            raise ValueError("XSB list does not match the board division")
        sys.xsb_state = {x: XsbState(**v) for x, v in d["xsbs"].items()}
        sys.dcls = {int(c["did"]): DCL.from_dict(c) for c in d["dcls"]}
        doms = [Domain.from_dict(x) for x in d["domains"]]
        if sorted(x.did for x in doms) != list(range(model.max_domains)):
            raise ValueError("domain list does not match the platform")
        sys.domains = {x.did: x for x in doms}
        sys.traffic = {int(k): TrafficSetting.from_dict(v) for k, v in d["traffic"].items()}
        sys.xbar.load(d["crossbar"])
        sys.log = [list(e) for e in d["log"]]
    except StateError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise StateError(f"corrupt state: {type(e).__name__}: {e}") from None
    errs = sys.check_invariants()
    if errs:
        raise StateError(f"inconsistent state: {errs[0]}")
    return sys


def dumps(sys: System) -> str:
    return json.dumps(to_dict(sys), indent=1, sort_keys=True) + "\n"


def load(path: str) -> System:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise StateError(f"cannot read state file {path}: {e.strerror or e}") from None
    try:
        d = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StateError(f"state file {path} is corrupt: {e}") from None
    try:
        return from_dict(d)
    except StateError as e:
        raise StateError(f"state file {path}: {e}") from None


def save(sys: System, path: str) -> None:
    """Write atomically: a reader sees the old file or the new one, never a mix."""
    text = dumps(sys)
    write_atomic(path, text, prefix=".xscf-state-")
