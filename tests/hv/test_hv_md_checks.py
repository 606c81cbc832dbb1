"""The hypervisor never trusts its machine description (issue 11 §2; reference sun4v.md
§4, ldoms_protocols.md §1.4 for the failure record): a hypervisor MD with a bad node is
refused at power-on with {status, resource, code} and the machine stops with the
hypervisor's panic code, instead of configuring anything from it.  Each case takes a
good MD written by ldm and breaks one thing."""
import pytest

from hvkit import config, HV_ELF

from ldm import mdwriter
from sun4v.boot import System
from sun4v.hypervisor_fw import md as MDC

ST_BADMD, ST_MDNOTSUPP = 4, 5
GUEST, VCPU, MEMORY, LDC, CONSOLE, GUESTMD = 0, 1, 2, 5, 6, 9
E_BASE_TOO_SMALL, E_MISSING_PROPERTY = 6, 2
E_VCPU_INVALID_STRAND, E_VCPU_INVALID_PARTTAG = 10, 15
E_MBLOCK_PARANGE, E_MBLOCK_RARANGE = 21, 23
E_LDC_ILLEGAL, E_CONS_UARTBASE = 52, 65


def system():
    cfg = config("T2000", [("primary", {"vcpus": 4, "memory": "512M", "image": "basic"}),
                           ("ldg1", {"vcpus": 2, "memory": "256M", "image": "basic"}),
                           ("ldg2", {"vcpus": 2, "memory": "256M", "image": "basic"})])
    return System(cfg, hv_elf=str(HV_ELF))


def _guest(md, name):
    return [g for g in md.find("guest") if g["name"] == name][0]


def _of(md, name, kind):
    return [n for n in _guest(md, name).fwd if n.name == kind]


def cpu_beyond_the_machine(md):
    _of(md, "ldg1", "cpu")[0].set("pid", 32)


def two_vcpus_one_strand(md):
    _of(md, "ldg1", "cpu")[0].set("pid", _of(md, "ldg2", "cpu")[0]["pid"])


def partid_not_the_guests(md):
    _of(md, "ldg1", "cpu")[1].set("partid", 6)


def same_partition_on_a_shared_core(md):
    # ldg2 moves onto ldg1's core (strands 4-7: ldg1 has 4, 5) with ldg1's partition
    for c, pid in zip(_of(md, "ldg2", "cpu"), (6, 7)):
        c.set("pid", pid)
        c.set("resource_id", pid)
        c.set("partid", _guest(md, "ldg1")["pid"])
    _guest(md, "ldg2").set("pid", _guest(md, "ldg1")["pid"])


def memory_over_the_hypervisor(md):
    _of(md, "ldg1", "mblock")[0].set("membase", 0x200000)


def memory_of_two_guests(md):
    _of(md, "ldg2", "mblock")[0].set("membase", _of(md, "ldg1", "mblock")[0]["membase"])


def memory_in_the_device_windows(md):
    _of(md, "ldg1", "mblock")[0].set("membase", 0x1F_0000_0000)


def memory_that_is_not_there(md):
    _of(md, "ldg1", "mblock")[0].set("membase", 0x60_0000_0000)     # beyond 64 GB


def real_range_beyond_40_bits(md):
    _of(md, "ldg1", "mblock")[0].set("realbase", (1 << 40) - 0x2000)


def rom_larger_than_base_memory(md):
    _of(md, "ldg2", "mblock")[0].set("memsize", 0x4000)       # the image is larger


def guest_md_outside_the_md_area(md):
    _guest(md, "ldg1").set("mdpa", 0x100000)


def console_not_a_uart(md):
    _of(md, "ldg1", "console")[0].set("uartbase", 0xFF_F0C2_C000)     # the HV's UART


def channel_peer_that_does_not_answer(md):
    _of(md, "ldg1", "ldc_endpoint")[0].set("target_channel", 17)


def guest_without_rom(md):
    _guest(md, "ldg1").remove("rombase")


CASES = [
    (cpu_beyond_the_machine, ST_BADMD, VCPU, E_VCPU_INVALID_STRAND),
    (two_vcpus_one_strand, ST_BADMD, VCPU, E_VCPU_INVALID_STRAND),
    (partid_not_the_guests, ST_BADMD, VCPU, E_VCPU_INVALID_PARTTAG),
    (same_partition_on_a_shared_core, ST_BADMD, VCPU, E_VCPU_INVALID_PARTTAG),
    (memory_over_the_hypervisor, ST_BADMD, MEMORY, E_MBLOCK_PARANGE),
    (memory_of_two_guests, ST_BADMD, MEMORY, E_MBLOCK_PARANGE),
    (memory_in_the_device_windows, ST_BADMD, MEMORY, E_MBLOCK_PARANGE),
    (memory_that_is_not_there, ST_BADMD, MEMORY, E_MBLOCK_PARANGE),
    (real_range_beyond_40_bits, ST_BADMD, MEMORY, E_MBLOCK_RARANGE),
    (rom_larger_than_base_memory, ST_BADMD, GUEST, E_BASE_TOO_SMALL),
    (guest_md_outside_the_md_area, ST_BADMD, GUESTMD, E_MISSING_PROPERTY),
    (console_not_a_uart, ST_BADMD, CONSOLE, E_CONS_UARTBASE),
    (channel_peer_that_does_not_answer, ST_BADMD, LDC, E_LDC_ILLEGAL),
    (guest_without_rom, ST_BADMD, GUEST, E_MISSING_PROPERTY),
]


@pytest.mark.parametrize("breaks, status, res, code", CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_hypervisor_md_is_refused(breaks, status, res, code):
    s = system()
    md = MDC.decode(s.mds.hv)
    breaks(md)
    s.m.load_image(MDC.encode(md), mdwriter.HV_MD_ROM)
    r = s.run(max_insns=20_000_000)
    assert r.reason == "panic", (r, s.hv_console())
    msg = s.hv_console()
    assert f"the hypervisor MD is refused: status {status}, resource {res}, code {code}" \
        in msg, msg
    assert "started" not in msg                 # no guest was started from it


def test_the_good_md_and_unknown_content_versions():
    s = system()
    r = s.run(max_insns=20_000_000)
    assert r.reason in ("stopped", "budget") and "3 guests configured" in s.hv_console()
    s = system()
    md = MDC.decode(s.mds.hv)
    md.root.set("content-version", 0x2_0000_0000)
    s.m.load_image(MDC.encode(md), mdwriter.HV_MD_ROM)
    r = s.run(max_insns=20_000_000)
    assert r.reason == "panic" and f"refused: status {ST_MDNOTSUPP}" in s.hv_console()
    s = system()
    s.m.load_image(b"\x00\x01\x00\x00" + bytes(60), mdwriter.HV_MD_ROM)     # no blocks
    r = s.run(max_insns=20_000_000)
    assert r.reason == "panic" and "no valid hypervisor MD" in s.hv_console()
