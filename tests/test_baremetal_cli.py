"""`sun4v baremetal` and `sun4v platforms` as a firmware engineer uses them: exit status
(the power-off value, or 124 budget / 125 halted / 126 error state), the hypervisor UART
on stdout, raw images loaded at physical addresses, statistics, tracing, in functional
and cycle mode; bad input gives one line on stderr and status 2."""
import json
import subprocess
import sys

import pytest

import bmbuild
from sun4v.machine import PLATFORMS
from sun4v.machine import platforms as P


def sun4v(*args, **kw):
    return subprocess.run([sys.executable, "-m", "sun4v", *map(str, args)],
                          capture_output=True, text=True, timeout=600, **kw)


def test_hello_powers_off_with_its_value():
    r = sun4v("baremetal", "--platform", "t2000", bmbuild.asm("bm_hello"))
    assert (r.returncode, r.stdout, r.stderr) == (0x2A, "hello, sun4v\n", "")


def test_raw_image_loaded_into_the_boot_rom(tmp_path):
    """The reset code as a raw image at the boot ROM (the way Legion loads reset.bin)."""
    elf = bmbuild.asm("bm_hello")
    raw = tmp_path / "reset.bin"
    subprocess.run(["sparc64-linux-gnu-objcopy", "-O", "binary", str(elf), str(raw)],
                   check=True)
    r = sun4v("baremetal", "--platform", "t5220", "--load", f"{raw}@0xfff0000000")
    assert (r.returncode, r.stdout) == (0x2A, "hello, sun4v\n")


@pytest.mark.parametrize("mode", ["functional", "cycle"])
@pytest.mark.parametrize("prog,status,words", [
    (("c", "spin"), 124, "instruction limit 1000 reached"),
    (("asm", "bm_halt"), 125, "machine halted"),
    (("asm", "bm_red"), 126, "entered error state (trap 0x141"),
])
def test_other_ends_have_their_own_status(prog, status, words, mode):
    path = getattr(bmbuild, prog[0])(prog[1])
    r = sun4v("baremetal", "--platform", "t5220", "--mode", mode, "--max-insns", 1000, path)
    assert r.returncode == status
    assert r.stderr.startswith("sun4v: ") and words in r.stderr and r.stderr.count("\n") == 1


def test_stats_and_trace(tmp_path):
    st = tmp_path / "stats.json"
    r = sun4v("baremetal", "--platform", "t2000", "--stats", st, bmbuild.c("smp"))
    assert r.returncode == 32 and r.stdout == "strands: 32\n"
    d = json.loads(st.read_text())
    assert d["platform"] == "t2000" and d["strands_total"] == 32
    assert len(d["strands"]) == 32 and d["exit"] == {"reason": "poweroff", "value": 32,
                                                     "strand": 0}
    assert d["instructions"] == sum(s["instructions"] for s in d["strands"])
    r = sun4v("baremetal", "--platform", "t2000", "--trace", bmbuild.asm("bm_hello"))
    lines = r.stderr.splitlines()
    assert r.returncode == 0x2A
    assert lines[0].startswith("[0] 0xfff0000020: ") and "ba " in lines[0]
    assert any("ta %xcc, 0x71" in x for x in lines[-2:])


def test_cycle_mode_stats_and_trace(tmp_path):
    """--mode cycle: the same program output and exit; --stats FILE gives the cycle
    model's statistics of the whole machine, --stats - a summary, --trace every
    instruction."""
    st = tmp_path / "stats.json"
    r = sun4v("baremetal", "--platform", "t5220", "--mode", "cycle", "--stats", st,
              bmbuild.c("smp"))
    assert (r.returncode, r.stdout, r.stderr) == (64, "strands: 64\n", "")
    d = json.loads(st.read_text())
    assert (d["mode"], d["platform"], d["chip"], d["clock_mhz"]) == ("cycle", "t5220", "t2",
                                                                      1400)
    assert d["exit"] == {"reason": "poweroff", "value": 64, "strand": 0}
    assert len(d["strands"]) == 64
    assert d["instructions"] == sum(s["instructions"] for s in d["strands"])
    assert d["simulated_seconds"] == d["cycles"] / 1.4e9 and d["cycles"] > d["instructions"]
    for k in ("ipc", "cores", "ccx", "l1i", "l1d", "l2", "itlb", "dtlb", "memory",
              "hv_uart_bytes", "memory_pages_touched"):
        assert k in d, k
    for s in d["strands"][1:]:
        assert s["state"] == "halted" and s["core"] == s["id"] // 8
        assert {"running", "ready", "wait_not_started", "wait_halted"} <= set(s["cycles"])
    r = sun4v("baremetal", "--platform", "t2000", "--mode", "cycle", "--stats", "-",
              bmbuild.c("pingpong"))
    lines = r.stderr.splitlines()
    assert r.returncode == (10 + 100 * 10) & 0xFF
    assert lines[0] == "platform t2000 (t1), cycle, 1200 MHz"
    assert lines[1].startswith("instructions ") and "IPC" in lines[1]
    assert lines[2] == "exit poweroff 0x3f2"
    assert "halted" in lines[3] and "not_started" in lines[3]
    assert lines[4].split()[:2] == ["0", "0"] and lines[5].split()[:2] == ["1", "0"]
    assert any(x.split()[0] == "itlb" for x in lines)
    r = sun4v("baremetal", "--platform", "t2000", "--mode", "cycle", "--trace",
              bmbuild.asm("bm_hello"))
    lines = r.stderr.splitlines()
    assert (r.returncode, r.stdout) == (0x2A, "hello, sun4v\n")
    assert lines[0].startswith("[0] 0xfff0000020: ") and "ba " in lines[0]
    assert any("ta %xcc, 0x71" in x for x in lines[-2:])


def test_bad_input_one_line_status_2(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(17 << 20))
    text = tmp_path / "notes.txt"
    text.write_text("not an ELF\n")
    hello = bmbuild.asm("bm_hello")
    cases = [
        (["--platform", "t9999", hello], "unknown platform 't9999'"),
        (["--platform", "t2000", "--memory", "16M", "--load", f"{big}@0"],
         "do not fit the Sun Fire T2000's memory"),
        (["--platform", "t2000", "--load", f"{text}@0x9800000000"], "overlap the iob device"),
        (["--platform", "t5220", "--load", f"{text}@0x8000000000"], "overlap the ncu device"),
        (["--platform", "t2000", "--load", f"{text}"], "expected FILE@PA"),
        (["--platform", "t2000", "--load", f"{text}@0xZZ"], "is not an address"),
        (["--platform", "t2000", "--load", f"{tmp_path}/missing@0x0"], "No such file"),
        (["--platform", "t2000", text], "not an ELF file"),
        (["--platform", "t2000"], "nothing to run"),
        (["--platform", "t2000", "--mode", "cycle", "--quantum", "10", hello],
         "--quantum applies to functional mode"),
        (["--platform", "t2000", "--memory", "lots", hello], "not a size"),
    ]
    for args, words in cases:
        r = sun4v("baremetal", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stdout == "" and r.stderr.count("\n") == 1, (args, r.stderr)
        assert r.stderr.startswith("sun4v: ") and words in r.stderr, (args, r.stderr)


def test_platform_catalogue():
    r = sun4v("platforms", "-p")
    rows = [dict(kv.split("=", 1) for kv in line.split("|")[1:])
            for line in r.stdout.splitlines()]
    assert r.returncode == 0 and [x["name"] for x in rows] == list(PLATFORMS)
    by = {x["name"]: x for x in rows}
    # chips and sockets: T1 4 strands/core, T2/T2+ 8; T5x40 two or four T2+ sockets
    assert (by["t2000"]["chip"], by["t2000"]["strands"]) == ("t1", "32")
    assert (by["t5220"]["chip"], by["t5220"]["strands"]) == ("t2", "64")
    assert (by["t5240"]["sockets"], by["t5240"]["strands"]) == ("2", "128")
    assert (by["t5440"]["sockets"], by["t5440"]["strands"]) == ("4", "256")
    assert by["t2000"]["interrupt_unit"] == "iob" and by["t5440"]["interrupt_unit"] == "ncu"
    r = sun4v("platforms", "-p", "T5440")
    regions = {d["name"]: d for d in (dict(kv.split("=", 1) for kv in line.split("|")[1:])
                                      for line in r.stdout.splitlines()[1:])}
    # the Legion map (reference/sun4v.md §7)
    assert regions["boot_rom"]["base"] == "0xfff0000000"
    assert regions["hv_uart"]["base"] == "0xfff0c2c000"
    assert regions["tod"]["base"] == "0xfff0c1fff8"
    assert regions["guest_uart0"]["base"] == "0x1f10000000"
    assert regions["hv_md"]["base"] == "0x1f12080000"
    assert regions["ncu"]["base"] == "0x8000000000"
    r = sun4v("platforms", "t9999")
    assert r.returncode == 2 and r.stderr.startswith("sun4v: unknown platform")


def test_platforms_are_values():
    p = P.platform("t5220").replace(memory=1 << 30).with_chip(cores=4, clock_mhz=1200)
    assert p.strands == 32 and p.chip.clock_mhz == 1200 and "custom" not in PLATFORMS
    assert P.platform("t5220").strands == 64
    assert p.stick_ratio == (7, 6)                          # 1.4 GHz stick, 1.2 GHz clock
    with pytest.raises(ValueError, match="unknown platform parameter"):
        p.replace(sockts=2)
    with pytest.raises(ValueError, match="does not fit below the I/O space"):
        p.replace(memory=600 << 30)
    # RAM from 0 around the Legion device window at 124 GB
    assert [(r.base, r.size) for r in P.platform("t5240").ram_ranges()] == \
        [(0, 124 << 30), (128 << 30, 132 << 30)]
