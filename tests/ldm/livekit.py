"""Helpers of the live manager's tests (tests/ldm/test_live_*.py): booting a machine with
its manager, running `ldm` commands on it, and checking the manager against what the
machine really has, read independently of the manager:

- the hypervisor's own tables (sun4v/boot/hvstate.py: guests and vCPUs with their
  strands and states, read from the firmware's memory);
- the machine descriptions in the hypervisor's MD area (decoded from physical memory);
- each guest kernel's counters page (the vCPUs it has online, workload progress).
"""
from __future__ import annotations

import struct
import sys
from pathlib import Path

from setup_tools import ROOT, require_built

from ldm import mdarea
from ldm.live import LiveManager
from sun4v.boot.config import parse_config
from sun4v.guest.hostif import Counters, GuestError
from sun4v.hypervisor_fw import md as MDC

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # tests/ (guestkit)
import guestkit  # noqa: E402

KERNEL = ROOT / "build" / "fw" / "guest.bin"
HV_ELF = ROOT / "build" / "fw" / "hv.elf"


def boot(domains, platform="T5220", ready="40ms", **kw) -> LiveManager:
    """A LiveManager on `platform` with `domains` ({name, vcpus|cores, memory,
    workload, params...}, primary first), run until its channels are up."""
    require_built(KERNEL)
    require_built(HV_ELF)
    cfg = parse_config({"platform": platform, "domain": [dict(d) for d in domains]})
    lm = LiveManager(cfg, **kw)
    assert lm.wait_ready(ready), "the manager's channels did not come up"
    return lm


def ldm(lm, line: str, status: int = 0):
    """Run `ldm LINE` on the live manager; check its exit status; (out, err) lines."""
    r = lm.execute(line.split())
    assert r.status == status, (line, r.status, r.out, r.err)
    return r.out, r.err


# ---- what the machine has, read without the manager ----------------------------------
def hv_vcpus(lm) -> dict[str, dict[int, tuple[int, str]]]:
    """domain -> {vid: (strand, state)} from the hypervisor's vCPU table."""
    by_gid = {g.gid: g.name for g in lm.system.hv.guests()}
    out: dict = {}
    for v in lm.system.hv.vcpus():
        out.setdefault(by_gid.get(v.guest, f"gid {v.guest}"), {})[v.vid] = (v.strand, v.state)
    return out


def hv_guests(lm) -> dict[str, str]:
    return {g.name: g.state for g in lm.system.hv.guests()}


def guest_md(lm, name: str) -> MDC.MD:
    """The guest MD of `name` in the hypervisor's MD area (the set it accepted last)."""
    gid = lm.config().bindings.get(name).gid
    k = lm.mdarea.active
    pa = mdarea.guest_pa(k, gid) if k != mdarea.BOOT else \
        __import__("ldm.mdwriter", fromlist=["guest_md_pa"]).guest_md_pa(gid)
    head = lm.m.mem.read(pa, MDC.HEADER_SIZE)
    _, a, b, c = struct.unpack(">IIII", head)
    return MDC.decode(lm.m.mem.read(pa, MDC.HEADER_SIZE + a + b + c))


def md_vids(lm, name: str) -> set[int]:
    return {n["id"] for n in guest_md(lm, name).find("cpu")}


def counters(lm, name: str) -> dict:
    return Counters(lm._memory(name)).read()


def online_vids(lm, name: str) -> set[int]:
    return {v for v, c in counters(lm, name)["cpus"].items() if c["state"] == "online"}


def progress(lm, name: str) -> int:
    return sum(c["progress"] for c in counters(lm, name)["cpus"].values())


def check(lm, settle: bool = True):
    """The invariants of a running machine and its manager:
    - no strand in two domains (the hypervisor's vCPU table);
    - the hypervisor's bindings are the manager's: for every bound domain the same
      (vid, strand) pairs, nothing else configured;
    - every guest's vCPU set is its MD's: the cpu nodes of the guest MD in the MD area
      are the manager's vids, and an active guest kernel has exactly those online;
    - the hypervisor's guest states are the manager's (active = running)."""
    cfg = lm.config()
    hv = hv_vcpus(lm)
    strands = [s for vs in hv.values() for s, _ in vs.values()]
    assert len(strands) == len(set(strands)), f"a strand in two vCPUs: {hv}"
    bound = {d.name: {v.vid: v.pid for v in d.vcpus} for d in cfg.bindings.domains}
    assert {n: {v: s for v, (s, _) in vs.items()} for n, vs in hv.items()} == bound, \
        (hv, bound)
    states = hv_guests(lm)
    assert set(states) == set(bound), (states, bound)
    for d in cfg.domains:
        if d.name not in bound:
            continue
        assert states[d.name] == ("running" if d.state == "active" else "stopped"), \
            (d.name, d.state, states[d.name])
        assert md_vids(lm, d.name) == set(bound[d.name]), d.name
        if d.state == "active" and settle:
            try:
                assert online_vids(lm, d.name) == set(bound[d.name]), \
                    (d.name, online_vids(lm, d.name), bound[d.name])
            except GuestError:
                pass                                # a guest still booting


int_result = guestkit.int_result
mix_result = guestkit.mix_result


def stop_ldmd_when_logged(p, log, text, limit=600):
    """Wait (at most `limit` host seconds) until the `sun4v boot --ldmd` process `p`
    has written `text` into its --ldmd-log `log` while it runs, then stop it with
    SIGTERM (also when the caller's block raised): (stdout, stderr); it must exit 0."""
    import signal
    import time
    try:
        deadline = time.time() + limit
        while time.time() < deadline and p.poll() is None:
            if log.exists() and text in log.read_text():
                break
            time.sleep(0.5)
        assert p.poll() is None, p.communicate()
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    return out, err
