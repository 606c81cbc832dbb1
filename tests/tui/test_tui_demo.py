"""`make demo` without a terminal (as in CI, or piped): the scripted scenario on the real
T5220 of ldm/tui/demo.toml must print `ldm list`, add 8 vCPUs to ldg1 live (the guest's
console says it configured each of them), show them in `ldm list`, measure ldg1's
throughput before and after (16 threads on 4 vCPUs, then on 12: the guest's work
counters must rise about three times as fast), give them back, and exit 0."""
import re
import subprocess
import sys
from pathlib import Path

import livekit_path  # noqa: F401  (tests/ldm on sys.path)
import livekit

ROOT = Path(__file__).resolve().parents[2]


def _ncpu(out: str, name: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(
        rf"^{name} +active +\S+ +\S+ +(\d+) ", out, re.M)]


def test_make_demo_without_a_terminal_runs_the_scenario():
    livekit.require_built(livekit.KERNEL, livekit.HV_ELF)
    r = subprocess.run([sys.executable, "-m", "ldm.tui.demo", "--measure", "0.5ms"],
                       cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert r.stderr == ""
    steps = re.findall(r"^\$ ldm (.*)$", out, re.M)
    assert steps == ["list", "add-vcpu 8 ldg1", "list", "remove-vcpu 8 ldg1", "list"]
    assert out.count("NAME             STATE      FLAGS   CONS    VCPU  MEMORY   UTIL"
                     "  UPTIME") == 3
    assert _ncpu(out, "ldg1") == [4, 12, 4]
    assert _ncpu(out, "ldg2") == [4, 4, 4]
    # the guest's own words, per vCPU, between the command and the next list
    add = out.split("$ ldm add-vcpu 8 ldg1")[1].split("$ ldm list")[0]
    assert [int(x) for x in re.findall(r"ldg1 console \| dr-cpu: configure cpu (\d+): "
                                       r"ok", add)] == list(range(4, 12))
    assert "ldg1 console | dr-cpu: 12 vCPUs online" in add
    rem = out.split("$ ldm remove-vcpu 8 ldg1")[1]
    assert "ldg1 console | dr-cpu: 4 vCPUs online" in rem
    m = re.search(r"ldg1 throughput .*: ([\d,]+) on 4 vCPUs before, ([\d,]+) on 12 vCPUs "
                  r"after", out)
    assert m, out
    before, after = (int(x.replace(",", "")) for x in m.groups())
    assert before > 0 and 2.5 < after / before < 3.2
