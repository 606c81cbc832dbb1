"""The hypercall conformance guest (tests/guests/conform.c) as the control domain of a
T2000 and of a T5220: every hypercall with valid arguments (status and effect) and with
each kind of bad argument (the architected error: ENOCPU, ENORADDR, EINVAL, EBADTRAP,
EBADALIGN, EWOULDBLOCK, EBADPGSZ, EBADTSB, ETOOMANY, ENOMAP, ECHANNEL, ENOTSUPPORTED),
and the MMU miss paths (T1 in firmware, T2 by the chip's table walk) the guest sees
through its TSBs and fault status area; console input typed before the boot is read
back with cons_getchar and cons_read.  Expected values are the reference's
(sun4v.md §1.4, §2, §3, §5, §6)."""
import pytest

from hvkit import HV_ELF, config, fail_lines, ok_lines

from sun4v.boot import System

EXPECTED_CHECKS = 179


@pytest.mark.parametrize("plat", ["T2000", "T5220"])
def test_every_hypercall_valid_and_invalid(plat):
    s = System(config(plat, [("primary", {"vcpus": 4, "memory": "1G", "image": "conform"}),
                             ("ldg1", {"vcpus": 2, "memory": "256M", "image": "basic",
                                       "iterations": 500})]), hv_elf=str(HV_ELF))
    s.m.feed(s.m.guest_uarts[0], b"hi")         # typed on primary's console
    r = s.run(max_insns=200_000_000)
    text = s.console("primary")
    assert r.reason == "stopped" and not s.hv.panicked, text[-2000:]
    assert fail_lines(text) == []
    assert len(ok_lines(text)) == EXPECTED_CHECKS
    assert f"conformance: {EXPECTED_CHECKS} checks, 0 failed" in text
    prim = [d for d in s.domain_stats() if d["name"] == "primary"][0]
    assert prim["exit_code"] == 0
    # a neighbour ran undisturbed
    assert "ldg1: result 500 iterations on 2 vCPUs" in s.console("ldg1")
