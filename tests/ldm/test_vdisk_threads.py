"""Virtual disk I/O from a multi-threaded program on a domain with 4 vCPUs (issue 14
§2): threads doing pwrite/pread on /dev/vdisk0 and /dev/vdisk1 (each call made 12
frames down, so its caller windows are in the register file when it traps) while
two others recurse 40 frames deep (windows spill and fill on every vCPU). A system
call on a disk waits in the guest kernel while the disk's thread, maybe on another
vCPU, does the LDC exchange: the kernel's C (-mflat) runs in the trapped window and
may use %i6 freely, so unless trap entry flushes the program's windows first
(sun4v/guest/trap.S) a later flushw (the wait's thread switch) spills a caller
window to a clobbered %sp: mem_address_not_aligned at TL 2 in the spill handler, a
guest panic. Checked against qemu-sparc64: the same lines, the same bytes in the
backing files as in copies the program wrote under qemu. The program is
tests/vdisk/vdisk_threads.c."""
import subprocess

import pytest

from test_vdisk_dr import BLOCK, content

SRC = __import__("pathlib").Path(__file__).resolve().parents[1] / "vdisk" / "vdisk_threads.c"
ROUNDS = 12


def _exe(tmp_path):
    from setup_tools import CROSS_CC, require_tools
    require_tools(CROSS_CC)
    exe = tmp_path / "vdisk_threads"
    subprocess.run([CROSS_CC, "-static", "-O2", "-pthread", "-o", str(exe), str(SRC)],
                   check=True)
    return exe


def _qemu(exe, a, b):
    from setup_tools import QEMU, require_tools
    require_tools(QEMU)
    r = subprocess.run([QEMU, str(exe), str(a), str(b), str(ROUNDS)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout


@pytest.mark.parametrize("mode", ["functional",
                                  pytest.param("cycle", marks=pytest.mark.slow)])
def test_disk_io_threads_beside_deep_recursion_on_four_vcpus(tmp_path, mode):
    from ldm.live import LiveManager
    from sun4v.boot.config import parse_config
    exe = _exe(tmp_path)
    imgs = {}
    for n, seed in (("a", 37), ("b", 91)):
        for kind in ("disk", "qemu"):
            p = tmp_path / f"{n}_{kind}.img"
            p.write_bytes(content(seed, 48 * BLOCK))
            imgs[n, kind] = p
    want = _qemu(exe, imgs["a", "qemu"], imgs["b", "qemu"])
    assert "0 bad" in want and want.count("\n") == 4
    cfg = parse_config({
        "platform": "T5220",
        "domain": [dict(name="primary", vcpus=2, memory="1G"),
                   dict(name="ldg1", vcpus=4, memory="1G", program=str(exe),
                        args=["/dev/vdisk0", "/dev/vdisk1", str(ROUNDS)])],
        "vds": [dict(name="primary-vds0", domain="primary",
                     volumes={"vol0": str(imgs["a", "disk"]),
                              "vol1": str(imgs["b", "disk"])})],
        "vdisk": [dict(name="d0", volume="vol0@primary-vds0", domain="ldg1"),
                  dict(name="d1", volume="vol1@primary-vds0", domain="ldg1")]})
    lm = LiveManager(cfg, mode=mode)
    out = bytearray()
    lm.system._on_program_output = lambda name, stream, data: out.extend(data)
    for _ in range(2000):
        lm.advance("1ms")
        if lm.system.program_results()["ldg1"][0] in ("exited", "killed", "failed"):
            break
    con = lm.console("ldg1")[0]
    assert "panic" not in con and "fatal trap" not in con, con[-2000:]
    assert lm.system.program_results()["ldg1"] == ("exited", 0), (bytes(out), con[-2000:])
    assert out.decode() == want
    for n in ("a", "b"):
        assert imgs[n, "disk"].read_bytes() == imgs[n, "qemu"].read_bytes()

