"""Helpers of the firmware hypervisor's tests: configurations of test guests
(tests/guests, built by `make progs` into build/fw/guests) and booting them."""
from __future__ import annotations

import re

from setup_tools import ROOT, require_built

from sun4v.boot import System
from sun4v.boot.config import parse_config

FW = ROOT / "build" / "fw"
HV_ELF = FW / "hv.elf"


def guest(name):
    return str(require_built(FW / "guests" / f"{name}.bin"))


def config(platform, domains):
    """A BootConfig: domains = [(name, {"vcpus"/"cores": .., "memory": .., "image": ..,
    params...}), ...]; `image` is a test guest's name."""
    require_built(HV_ELF)
    doms = []
    for name, d in domains:
        d = dict(d)
        d["name"] = name
        d["image"] = guest(d["image"])
        doms.append(d)
    return parse_config({"platform": platform, "domain": doms})


def boot(platform, domains, max_insns=200_000_000, **kw):
    s = System(config(platform, domains), hv_elf=str(HV_ELF), **kw)
    r = s.run(max_insns=max_insns)
    return s, r


def ok_lines(text):
    return [ln for ln in text.splitlines() if ln.startswith("ok ")]


def fail_lines(text):
    return [ln for ln in text.splitlines() if ln.startswith("FAIL")]


def result_of(text):
    m = re.search(r"result (\d+) iterations on (\d+) vCPUs, checksum ([0-9a-f]{16})", text)
    return m.groups() if m else None
