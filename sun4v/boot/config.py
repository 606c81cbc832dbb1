"""The `sun4v boot` configuration: TOML (issue 11 §4).

    platform = "T5220"                 # a catalogue name (sun4v platforms)
    [[domain]]                         # the first domain is the control domain: primary
    name = "primary"
    vcpus = 8                          # or: cores = 1 (whole cores)
    memory = "4G"
    workload = "int"                   # a built-in workload of the guest kernel
    threads = 8                        # ... and its parameters
    [[domain]]
    name = "ldg1"
    ...

Keys of a [[domain]] table: name, vcpus or cores, memory, workload (one of WORKLOADS;
default "idle"), `program` and `args` (a static sparc64 Linux program the guest kernel
runs instead of a workload, with its arguments: issue 14 §1; a relative path is taken
from the configuration's directory when it exists there) and `image` (a raw guest image
to run instead of the project's guest kernel: the hypervisor's test guests); every
other key is a parameter of the workload
(an integer, a float, a string or a boolean), handed to the guest in its MD's
`workload` node.  A top-level [vcc] table (`port-range = "5000-5100"`, `name`) is the
control domain's virtual console concentrator: the guests' console ports come from its
range (default 5000-5100), and vntsd serves them while the machine runs.  Bad input raises BootError with one line naming the problem."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field

from ldm.constraints import PRIMARY, NAME_RE
from ldm.errors import LdmError
from ldm.units import parse_size

WORKLOADS = ("int", "mem", "fp", "mix", "idle")
MAX_DOMAINS = 8                     # one guest UART each (the platform has up to 8)
DOMAIN_KEYS = ("name", "vcpus", "cores", "memory", "workload", "image", "program", "args")


class BootError(Exception):
    """Bad input to `sun4v boot`, in one line."""


@dataclass(frozen=True)
class DomainConfig:
    name: str
    vcpus: int = 0
    cores: int = 0
    memory: int = 0
    workload: str = "idle"
    params: dict = field(default_factory=dict)
    image: str | None = None
    program: str | None = None          # a static sparc64 program (workload "program")
    args: tuple = ()


@dataclass(frozen=True)
class BootConfig:
    platform: str
    domains: tuple
    source: str = "<config>"
    vcc: tuple | None = None            # (name, first port, last port): the [vcc] table


def _domain(t: dict, i: int, where: str) -> DomainConfig:
    if not isinstance(t, dict):
        raise BootError(f"{where}: [[domain]] {i + 1} is not a table")
    name = t.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise BootError(f"{where}: domain {i + 1}: name must be a domain name (a letter, "
                        f"then letters, digits or _ . + -), got {name!r}")
    if i == 0 and name != PRIMARY:
        raise BootError(f"{where}: the first domain is the control domain and must be "
                        f"named {PRIMARY!r}, not {name!r}")
    if i > 0 and name == PRIMARY:
        raise BootError(f"{where}: domain {name}: only the first domain is {PRIMARY}")
    vcpus, cores = t.get("vcpus", 0), t.get("cores", 0)
    for key, v in (("vcpus", vcpus), ("cores", cores)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise BootError(f"{where}: domain {name}: {key} must be a positive integer")
    if bool(vcpus) == bool(cores):
        raise BootError(f"{where}: domain {name}: give vcpus or cores (one of them)")
    mem = t.get("memory")
    if mem is None:
        raise BootError(f"{where}: domain {name}: memory is missing (e.g. memory = \"4G\")")
    try:
        size = parse_size(str(mem)) if not isinstance(mem, int) else mem
    except LdmError as e:
        raise BootError(f"{where}: domain {name}: {e}") from None
    if size <= 0:
        raise BootError(f"{where}: domain {name}: memory must be positive")
    workload = t.get("workload", "idle")
    image = t.get("image")
    if image is not None and not isinstance(image, str):
        raise BootError(f"{where}: domain {name}: image must be a file name")
    program = t.get("program")
    args = t.get("args", [])
    if program is not None:
        if not isinstance(program, str) or not program:
            raise BootError(f"{where}: domain {name}: program must be a file name")
        if "workload" in t:
            raise BootError(f"{where}: domain {name}: give a workload or a program, "
                            f"not both")
        if image is not None:
            raise BootError(f"{where}: domain {name}: a program runs on the guest "
                            f"kernel, not on an image")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise BootError(f"{where}: domain {name}: args must be a list of strings")
        if not os.path.isabs(program) and where != "<config>":
            cand = os.path.join(os.path.dirname(os.path.abspath(where)), program)
            program = cand if os.path.exists(cand) else program
        from .progproxy import ProgramError, check_program
        try:
            check_program(program)
        except ProgramError as e:
            raise BootError(f"{where}: domain {name}: program {e}") from None
        workload = "program"
    elif "args" in t:
        raise BootError(f"{where}: domain {name}: args without a program")
    if image is None and program is None and workload not in WORKLOADS:
        raise BootError(f"{where}: domain {name}: unknown workload {workload!r} "
                        f"(known: {', '.join(WORKLOADS)})")
    params = {}
    for k, v in t.items():
        if k in DOMAIN_KEYS:
            continue
        if not isinstance(v, (int, float, str, bool)):
            raise BootError(f"{where}: domain {name}: parameter {k} must be a number, "
                            f"a string or a boolean")
        params[k] = v
    if image is not None and not os.path.isabs(image) and where != "<config>":
        base = os.path.dirname(os.path.abspath(where))
        cand = os.path.join(base, image)
        image = cand if os.path.exists(cand) else image
    return DomainConfig(name, vcpus, cores, size, str(workload), params, image, program,
                        tuple(args))


def parse_config(data: dict, where: str = "<config>") -> BootConfig:
    plat = data.get("platform")
    if not isinstance(plat, str):
        raise BootError(f"{where}: platform is missing (e.g. platform = \"T5220\")")
    doms = data.get("domain")
    if not isinstance(doms, list) or not doms:
        raise BootError(f"{where}: no [[domain]] table")
    unknown = sorted(set(data) - {"platform", "domain", "vcc"})
    if unknown:
        raise BootError(f"{where}: unknown key {unknown[0]!r} (top-level keys: platform, "
                        f"domain, vcc)")
    if len(doms) > MAX_DOMAINS:
        raise BootError(f"{where}: {len(doms)} domains; at most {MAX_DOMAINS} (one guest "
                        f"UART each)")
    out = tuple(_domain(t, i, where) for i, t in enumerate(doms))
    names = [d.name for d in out]
    for n in names:
        if names.count(n) > 1:
            raise BootError(f"{where}: domain {n} is defined twice")
    return BootConfig(plat, out, where, _vcc(data.get("vcc"), where))


def _vcc(t, where: str):
    """The [vcc] table: `port-range = "5000-5100"` and an optional `name` (default
    primary-vcc0), as `ldm add-vcc port-range=x-y name primary` (ldm/vcc.py)."""
    from ldm.vcc import DEFAULT_NAME, parse_port_range
    if t is None:
        return None
    if not isinstance(t, dict):
        raise BootError(f"{where}: vcc must be a table ([vcc] with port-range = \"x-y\")")
    bad = sorted(set(t) - {"name", "port-range"})
    if bad:
        raise BootError(f"{where}: vcc: unknown key {bad[0]!r} (keys: name, port-range)")
    name = t.get("name", DEFAULT_NAME)
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise BootError(f"{where}: vcc: name must be a service name, got {name!r}")
    if "port-range" not in t:
        raise BootError(f"{where}: vcc: port-range is missing (e.g. port-range = "
                        f"\"5000-5100\")")
    try:
        lo, hi = parse_port_range(t["port-range"])
    except LdmError as e:
        raise BootError(f"{where}: vcc: {e}") from None
    return (name, lo, hi)


def load_config(path: str) -> BootConfig:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise BootError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BootError(f"{path}: is a directory") from None
    except PermissionError:
        raise BootError(f"{path}: permission denied") from None
    except tomllib.TOMLDecodeError as e:
        raise BootError(f"{path}: not valid TOML ({e})") from None
    except UnicodeDecodeError:
        raise BootError(f"{path}: not a text file") from None
    return parse_config(data, path)
