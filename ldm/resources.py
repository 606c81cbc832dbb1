"""vCPU, core and memory operations (reference ldm_xscf.md A5: add/set/remove-vcpu,
add/set/remove-core, add/set/remove-memory; A6: whole-core and memory rules).

CPUs: a domain has either a vCPU count or whole cores (`set-core` / `set-vcpu -c`
switches it to whole cores, `set-vcpu` back; switching is not dynamic: a bound guest is
rebound, an active guest refuses it, primary takes it by delayed reconfiguration; a
domain with a DRM policy cannot switch, A7). vCPU and core counts change dynamically on
an active domain (dr-cpu). A whole-core domain never has more cores than max-cores (A6).

Memory: amounts are added or removed in multiples of GRANULE (256 MB); a request that is
not is refused with the nearest request that is (A6: "...would remove 28448MB, which is
not a multiple of 256MB ... ldm set-mem 4128M primary"), or adjusted with `--auto-adj`.
Memory is not changed dynamically: an active guest refuses it (memory DR is not
modelled), primary takes it by delayed reconfiguration.
"""
from __future__ import annotations

from .actions import Change
from .binder import GRANULE
from .config import Config
from .constraints import PRIMARY
from .domain import ACTIVE
from .errors import LdmError
from .manager import check_fit
from .reconf import commit, effective, guard_other
from .units import format_size

OPS = ("add", "set", "remove")


def vcpus(cfg: Config, name: str, op: str, n: int, force: bool = False) -> Change:
    """add/set/remove-vcpu N (vCPU mode)."""
    cfg.domain(name)
    guard_other(cfg, name)
    c = effective(cfg, name)
    spc = cfg.topology.strands_per_core
    if c.whole_core and op != "set":
        raise LdmError(f"LDom {name} is configured with whole cores: use {op}-core, "
                       f"or set-vcpu to assign vCPUs instead")
    _positive(n, "vCPUs")
    cur = c.vcpu_count(spc)
    new = {"add": cur + n, "set": n, "remove": cur - n}[op]
    if new < 1:
        raise LdmError(f"LDom {name} must keep at least one vCPU: it has {cur}")
    switch = c.whole_core
    if switch:
        _check_switch(cfg, name, c)
    nc = c.with_vcpus(new)
    check_fit(cfg, nc)
    return commit(cfg, nc, dynamic=not switch, force=force)


def cores(cfg: Config, name: str, op: str, n: int = 0, cids=(), force: bool = False
          ) -> Change:
    """add/set/remove-core N, or cid=ID[,ID] (named cores), and -c of the vcpu commands."""
    cfg.domain(name)
    guard_other(cfg, name)
    c = effective(cfg, name)
    switch = not c.whole_core and (c.vcpus > 0 or op == "set")
    if not c.whole_core and c.vcpus > 0 and op != "set":
        raise LdmError(f"LDom {name} is not configured with whole cores: use "
                       f"set-core to assign whole cores instead of vCPUs")
    if cids:
        have = set(c.named_cores)
        if c.whole_core and c.cores and not c.named_cores and op != "set":
            raise LdmError(f"LDom {name} has unnamed cores: use set-core cid=... to "
                           f"name all of them")
        want = set(cids)
        if len(want) != len(cids):
            raise LdmError("A core is listed twice")
        if op == "add":
            if want & have:
                raise LdmError(f"Core {min(want & have)} is already assigned to {name}")
            named = have | want
        elif op == "remove":
            if want - have:
                raise LdmError(f"Core {min(want - have)} is not assigned to {name}")
            named = have - want
        else:
            named = want
        if not named:
            raise LdmError(f"LDom {name} must keep at least one core")
        nc = c.with_cores(named=tuple(named))
    else:
        _positive(n, "cores")
        if c.named_cores and op != "set":
            raise LdmError(f"LDom {name} has named cores: use {op}-core cid=...")
        cur = c.core_count() if c.whole_core else 0
        new = {"add": cur + n, "set": n, "remove": cur - n}[op]
        if new < 1:
            raise LdmError(f"LDom {name} must keep at least one core: it has {cur}")
        nc = c.with_cores(new)
    if switch:
        _check_switch(cfg, name, c)
    check_fit(cfg, nc)
    return commit(cfg, nc, dynamic=not switch, force=force)


def memory(cfg: Config, name: str, op: str, size: int = 0, mblocks=(),
           auto_adj: bool = False) -> tuple[Change, str | None]:
    """add/set/remove-memory SIZE or mblock=PA:size[,...]. Returns the change and the
    notice of an --auto-adj adjustment (or None)."""
    dom = cfg.domain(name)
    guard_other(cfg, name)
    c = effective(cfg, name)
    if name != PRIMARY and dom.state == ACTIVE:
        raise LdmError(f"LDom {name} is active: its memory can only be changed while it "
                       f"is bound or inactive (memory dynamic reconfiguration is not "
                       f"supported)")
    notice = None
    if mblocks:
        if c.memory and not c.named_mblocks and op != "set":
            raise LdmError(f"LDom {name} has memory given by size: use set-memory "
                           f"mblock=... to name all of its blocks")
        have = set(c.named_mblocks)
        want = set(mblocks)
        if op == "add":
            if want & have:
                raise LdmError(f"mblock {_mb(min(want & have))} is already assigned to "
                               f"{name}")
            blocks = have | want
        elif op == "remove":
            if want - have:
                raise LdmError(f"mblock {_mb(min(want - have))} is not assigned to "
                               f"{name}")
            blocks = have - want
        else:
            blocks = want
        _check_overlap(sorted(blocks))
        if not blocks:
            raise LdmError(f"LDom {name} must keep some memory")
        nc = c.with_memory(mblocks=tuple(blocks))
    else:
        if c.named_mblocks and op != "set":
            raise LdmError(f"LDom {name} has named memory blocks: use {op}-memory "
                           f"mblock=...")
        if size <= 0:
            raise LdmError("Invalid memory size: it must be more than 0")
        cur = c.memory_size()
        delta = {"add": size, "set": size - cur, "remove": -size}[op]
        if delta % GRANULE:
            fixed = _adjust(delta)
            arg = {"add": fixed, "set": cur + fixed, "remove": -fixed}[op]
            if not auto_adj:
                verb = "add" if delta > 0 else "remove"
                raise LdmError(
                    f"The requested change would {verb} {format_size(abs(delta))} "
                    f"{'to' if delta > 0 else 'from'} LDom {name}, which is not a "
                    f"multiple of {format_size(GRANULE)}.",
                    f"Use 'ldm {op}-mem {format_size(arg)} {name}' instead, or add "
                    f"--auto-adj.")
            notice = (f"The request was adjusted to {format_size(arg)} "
                      f"({format_size(GRANULE)} multiples)")
            delta = fixed
        new = cur + delta
        if new < GRANULE:
            raise LdmError(f"LDom {name} must keep at least {format_size(GRANULE)} of "
                           f"memory")
        nc = c.with_memory(new)
    check_fit(cfg, nc)
    return commit(cfg, nc, dynamic=False), notice


def _adjust(delta: int) -> int:
    """The nearest GRANULE multiple: additions grow, removals shrink (never to 0)."""
    if delta > 0:
        return -(-delta // GRANULE) * GRANULE
    fixed = -((-delta) // GRANULE) * GRANULE
    return fixed or -GRANULE


def _check_switch(cfg: Config, name: str, c) -> None:
    if c.policies:
        raise LdmError(f"LDom {name} has DRM policies: whole cores cannot be switched "
                       f"on or off while a policy exists")
    dom = cfg.domain(name)
    if name != PRIMARY and dom.state == ACTIVE:
        raise LdmError(f"LDom {name} is active: switching between vCPUs and whole cores "
                       f"needs it stopped")


def _check_overlap(blocks) -> None:
    for (a, s), (b, _) in zip(blocks, blocks[1:]):
        if a + s > b:
            raise LdmError(f"mblocks {_mb((a, s))} and {_mb((b, _))} overlap")


def _mb(block) -> str:
    return f"{block[0]:#x}:{format_size(block[1])}"


def _positive(n: int, what: str) -> None:
    if n < 1:
        raise LdmError(f"Invalid number of {what}: {n}")
