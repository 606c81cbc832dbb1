"""Reconfiguration through the control protocol (issue 11 §2; reference
ldoms_protocols.md §1.4, sun4v.md §6): a manager guest in the control domain
(tests/guests/manager.c) drives the hypervisor over hvctl with machine descriptions the
ldm binder and MD writer made for each step, writing them into the hypervisor's MD area
with ldc_copy.  Steps and what the hypervisor must answer:

  A  ldg1 (running) gets a third vCPU              ok; the new vCPU exists, STOPPED
  B  ldg1's running vCPU 1 moved to another strand badmd: vCPU, rebind not allowed
  C  ldg1's memory changed while it runs           badmd: memory, guest active
  D  ldg1 destroyed while it runs                  badmd: guest, guest active
     guest_stop ldg1                               ok; a new_res_stat says STOPPED
  D  ldg1 destroyed (stopped)                      ok; its guest is unconfigured
  E  ldg3 created (2 vCPUs, ldg1's strands reused) ok; STOPPED
     guest_start ldg3                              ok; it boots and prints its result
     guest_start ldg2 (running) / stop guest 9     eillegal guest active / einval
     utilisation of ldg2                           lifespan, wall clock, yielded cycles
  F  delayed reconfiguration of primary (+1 vCPU)  ok; get_hvconfig reports it;
     cancel_reconf                                 gone; again, then the manager exits:
                                                   the hypervisor applies F when
                                                   primary stops (primary has 3 vCPUs)
     guest_panic primary                           einval (not the control domain)
     guest_panic ldg2                              ok: a forced-panic report and trap
                                                   0x7F; basic.c exits on it (STOPPED)
     guest_stop ldg2                               eillegal, guest stopped
"""
import struct
from dataclasses import replace

from hvkit import HV_ELF, guest, result_of

from ldm import binder, mdwriter
from ldm.bindings import Vcpu
from ldm.constraints import Constraints
from ldm.units import M
from sun4v.boot import System
from sun4v.boot.config import parse_config
from sun4v.boot.system import IMAGE_BASE, machine_info, topology_of
from sun4v.machine import platforms

ST_OK, ST_BADMD, ST_EINVAL, ST_EILLEGAL = 0, 4, 7, 8
RES_GUEST, RES_VCPU, RES_MEMORY = 0, 1, 2
E_GUEST_INVALID_ID, E_GUEST_ACTIVE, E_VCPU_REBIND_NA, E_MBLOCK_GUEST_ACTIVE = 1, 4, 16, 26
OP_RECONF, OP_START, OP_STOP, OP_DELAYED_RECONF, OP_PANIC, OP_CANCEL = 4, 5, 6, 7, 10, 13
WAIT_ASYNC, VCPU_STATE, GUEST_STATE, DELAYED, UTIL = 100, 101, 102, 103, 104
SET_OFFSET = 0x10_0000
MANAGER_SIZE = 0x20_0000
HVMD_SLOT = 0x1_0000
GUEST_STOPPED, GUEST_NORMAL, GUEST_UNCONFIGURED = 0, 2, 0xFF
INVALID_GID = 0xFFFF_FFFF


def _bind(topo, asks):
    from ldm.bindings import Bindings
    b = Bindings(topo)
    for name, kw in asks:
        b = binder.bind(b, Constraints(name=name, **kw))
    return b


def test_reconfigure_through_hvctl(tmp_path):
    plat = platforms.platform("t5220")
    topo = topology_of(plat)
    info = machine_info(plat)
    asks = [("primary", dict(vcpus=2, memory=512 * M)), ("ldg1", dict(vcpus=2, memory=256 * M)),
            ("ldg2", dict(vcpus=1, memory=256 * M))]
    b0 = _bind(topo, asks)
    basic = guest("basic")
    basic_size = (len(open(basic, "rb").read()) + 0x1FFF) & ~0x1FFF
    basic_rom = IMAGE_BASE + MANAGER_SIZE
    uart = [platforms.GUEST_UART0 + i * platforms.GUEST_UART_STEP for i in range(3)]
    img = {"primary": mdwriter.DomainImage(IMAGE_BASE, MANAGER_SIZE, uart[0], {"name": "idle"}),
           "ldg1": mdwriter.DomainImage(basic_rom, basic_size, uart[1],
                                        {"name": "int", "iterations": 10**9, "yield": 200}),
           "ldg2": mdwriter.DomainImage(basic_rom, basic_size, uart[2],
                                        {"name": "int", "iterations": 10**9, "yield": 200}),
           "ldg3": mdwriter.DomainImage(basic_rom, basic_size, uart[1],
                                        {"name": "int", "iterations": 700, "yield": 100})}

    # the variants, each from the one the hypervisor will have accepted before it
    A = binder.resize_cpus(b0, Constraints(name="ldg1", vcpus=3, memory=256 * M))
    new_pid = sorted(set(A.get("ldg1").pids()) - set(b0.get("ldg1").pids()))[0]
    d1 = A.get("ldg1")
    free = sorted(set(range(topo.strands)) - set(A.strand_owner()))
    moved = tuple(Vcpu(v.vid, free[-1]) if v.vid == 1 else v for v in d1.vcpus)
    B = A.with_domain(replace(d1, vcpus=moved))
    mb = d1.mblocks[0]
    C = A.with_domain(replace(d1, mblocks=(replace(mb, size=mb.size - 128 * M),)))
    D = binder.unbind(A, "ldg1")
    E = binder.bind(D, Constraints(name="ldg3", vcpus=2, memory=256 * M))
    assert E.get("ldg3").gid == b0.get("ldg1").gid
    F = binder.resize_cpus(E, Constraints(name="primary", vcpus=3, memory=512 * M))

    blobs, hvpa = [], {}
    gslot = [0]

    def add_version(tag, b):
        names = [d.name for d in b.domains]
        mdpa = {}
        for n in names:
            mdpa[n] = mdwriter.HV_MDAREA_BASE + 0x10_0000 + gslot[0] * mdwriter.GUEST_MD_SLOT
            gslot[0] += 1
        s = mdwriter.write_all(b, info, {n: img[n] for n in names}, generation=2, mdpa=mdpa)
        hvpa[tag] = mdwriter.HV_MDAREA_BASE + (1 + len(hvpa)) * HVMD_SLOT
        blobs.append((hvpa[tag], s.hv))
        for n in names:
            blobs.append(s.guests[n])

    for tag, b in (("A", A), ("B", B), ("C", C), ("D", D), ("E", E), ("F", F)):
        add_version(tag, b)
    g1, g2, g3 = b0.get("ldg1").gid, b0.get("ldg2").gid, E.get("ldg3").gid
    steps = [
        (OP_RECONF, hvpa["A"], 0, ST_OK, 0, 0),
        (VCPU_STATE, new_pid, 1, ST_OK, 0, 0),
        (OP_RECONF, hvpa["B"], 0, ST_BADMD, RES_VCPU, E_VCPU_REBIND_NA),
        (OP_RECONF, hvpa["C"], 0, ST_BADMD, RES_MEMORY, E_MBLOCK_GUEST_ACTIVE),
        (OP_RECONF, hvpa["D"], 0, ST_BADMD, RES_GUEST, E_GUEST_ACTIVE),
        (OP_STOP, g1, 0, ST_OK, 0, 0),
        (WAIT_ASYNC, g1, GUEST_STOPPED, 0, 0, 0),
        (OP_RECONF, hvpa["D"], 0, ST_OK, 0, 0),
        (GUEST_STATE, g1, GUEST_UNCONFIGURED, ST_OK, 0, 0),
        (OP_RECONF, hvpa["E"], 0, ST_OK, 0, 0),
        (GUEST_STATE, g3, GUEST_STOPPED, ST_OK, 0, 0),
        (OP_START, g3, 0, ST_OK, 0, 0),
        (WAIT_ASYNC, g3, GUEST_NORMAL, 0, 0, 0),
        (OP_START, g2, 0, ST_EILLEGAL, 0, E_GUEST_ACTIVE),
        (OP_STOP, 9, 0, ST_EINVAL, 0, E_GUEST_INVALID_ID),
        (UTIL, g2, 0, 0, 0, 0),
        (OP_DELAYED_RECONF, hvpa["F"], 0, ST_OK, 0, 0),
        (DELAYED, 0, hvpa["F"], 0, 0, 0),
        (OP_CANCEL, 0, 0, ST_OK, 0, 0),
        (DELAYED, INVALID_GID, 0, 0, 0, 0),
        (OP_DELAYED_RECONF, hvpa["F"], 0, ST_OK, 0, 0),
        (OP_PANIC, 0, 0, ST_EINVAL, 0, E_GUEST_INVALID_ID),  # not the control domain
        (OP_PANIC, g2, 0, ST_OK, 0, 0),
        (WAIT_ASYNC, g2, GUEST_STOPPED, 0, 0, 0),               # basic.c exits on it
        (OP_STOP, g2, 0, ST_EILLEGAL, 0, 5),                   # stopped: guest stopped
    ]
    # the manager set: header, blob table, steps, blobs
    head = 3 * 8 + len(blobs) * 24 + len(steps) * 48
    table, data = [], b""
    off = (head + 63) & ~63
    for pa, blob in blobs:
        table.append(struct.pack(">QQQ", pa, off + len(data), len(blob)))
        data += blob + bytes((-len(blob)) % 64)
    mset = struct.pack(">QQQ", 0x4D47525345540000, len(blobs), len(steps)) + b"".join(table)
    mset += b"".join(struct.pack(">QQQQQQ", *s) for s in steps)
    mset += bytes(off - len(mset)) + data
    assert len(mset) <= MANAGER_SIZE - SET_OFFSET
    code = open(guest("manager"), "rb").read()
    assert len(code) <= SET_OFFSET
    image = code + bytes(SET_OFFSET - len(code)) + mset
    image += bytes(MANAGER_SIZE - len(image))
    mgr = tmp_path / "manager.bin"
    mgr.write_bytes(image)

    cfg = parse_config({"platform": "T5220", "domain": [
        {"name": "primary", "vcpus": 2, "memory": "512M", "image": str(mgr)},
        {"name": "ldg1", "vcpus": 2, "memory": "256M", "image": basic, "iterations": 10**9,
         "yield": 200},
        {"name": "ldg2", "vcpus": 1, "memory": "256M", "image": basic, "iterations": 10**9,
         "yield": 200}]})
    s = System(cfg, hv_elf=str(HV_ELF))
    assert s.bindings == b0
    assert s.images["ldg1"].rombase == basic_rom
    r = s.run(max_insns=400_000_000)
    text = s.console("primary")
    assert r.reason == "stopped" and not s.hv.panicked, (r, s.hv_console(), text)
    assert [ln for ln in text.splitlines() if ln.startswith("FAIL")] == [], text
    assert f"manager: {4 + len(steps)} steps, 0 failed" in text, text
    # ldg3 booted on ldg1's old console and finished
    u1 = s.m.guest_uarts[1].text()
    assert "ldg3: sun4v test guest, 2 vCPUs, 256 MB" in u1
    assert result_of(u1[u1.index("ldg3:"):])[:2] == ("700", "2")
    # the delayed reconfiguration was applied when primary stopped: 3 vCPUs
    assert len(s.hv.vcpus(0)) == 3
    assert {v.strand for v in s.hv.vcpus(g3)} == set(E.get("ldg3").pids())
    assert s.hv.guest(g1).name == "ldg3"
    # the panic: a nonresumable_error trap the basic guest did not expect
    assert "unexpected trap 0x7f" in s.console("ldg2")
    assert s.hv.guest(g2).exit_code == 0xEE
    # the hypervisor accepted F: the active MD is F's
    assert s.hv.active_hvmd == hvpa["F"]
