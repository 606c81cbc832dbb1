"""Hypercall fuzzing (issue 11 §5): a guest makes 3000 random hypercalls (random
function numbers and arguments, random software traps, the hyper-fast MMU traps and
core calls) beside a domain that keeps computing.  Every status must be an architected
one, the hypervisor must neither panic nor hang (the fuzzer finishes within its
budget), and the other domain must finish with its usual result."""
import pytest

from hvkit import boot, result_of


@pytest.mark.parametrize("plat, seed", [("T2000", 7), ("T5220", 11)])
def test_random_hypercalls_get_architected_errors_only(plat, seed):
    s, r = boot(plat, [("primary", {"vcpus": 4, "memory": "1G", "image": "basic",
                                    "iterations": 8000}),
                       ("fuzz", {"vcpus": 2, "memory": "256M", "image": "fuzz",
                                 "calls": 3000, "seed": seed})], max_insns=100_000_000)
    assert r.reason == "stopped" and not s.hv.panicked, s.hv_console()
    text = s.console("fuzz")
    assert "fuzz: 3000 calls, 0 bad statuses;" in text, text[-500:]
    st = {d["name"]: d for d in s.domain_stats()}
    assert st["fuzz"]["exit_code"] == 0
    assert result_of(s.console("primary"))[:2] == ("8000", "4")
    # the statuses it got are a spread of the architected codes, not one answer
    hist = text.split("bad statuses;")[1].split()
    assert len(hist) >= 5
