"""Virtual disks on a running machine (issue 14 §2): a vdisk bound before its domain
starts, served by the service domain's side (ldm/vds.py, through primary's relay) over
an LDC channel that crosses the firmware hypervisor, used by the guest kernel's virtual
disk client (sun4v/guest/vdc.c) in its self-test (workload parameter `vdisk` = N
blocks: read, write pattern, read back).

The vDisk messages are checked byte by byte against the layout of Linux
arch/sparc/include/asm/vio.h (= illumos sys/vio_mailbox.h, sys/vdsk_mailbox.h):
tag {u8 type, u8 stype, u16 stype_env, u32 sid}; VER_INFO {u16 major, u16 minor, u8
dev_class}; ATTR_INFO {u8 xfer_mode, vdisk_type, vdisk_mtype, resv, u32 block size, u64
operations, u64 size, u64 max_xfer, u32 phys block size}; DRING_REG {u64 ident, u32
num_descr, u32 descr_size, u16 options, u16 resv, u32 ncookies, cookies {u64 addr, u64
size}}; RDX."""
import os
import re
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import livekit as L

BLOCK = 512


def pattern(i):
    """Block i as the guest's self-test writes it (vdc.c pattern())."""
    return bytes((i * 131 + j * 7 + 0x5a) & 0xFF for j in range(BLOCK))


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


SETUP = ("add-vds primary-vds0 primary", "add-vdsdev {disk} vol1@primary-vds0",
         "add-domain ldg1", "add-vcpu 4 ldg1", "add-memory 1G ldg1",
         "set-variable vdisk={n} ldg1", "add-vdisk vdisk1 vol1@primary-vds0 ldg1",
         "bind ldg1", "start ldg1")


def _machine(disk, n):
    lm = L.boot([dict(name="primary", vcpus=4, memory="1G")])
    for line in SETUP:
        L.ldm(lm, line.format(disk=disk, n=n))
    return lm


def _run_until(lm, words, limit=40):
    for _ in range(limit):
        lm.advance("1ms")
        text = lm.console("ldg1")[0]
        if any(w in text for w in words):
            return text
    return lm.console("ldg1")[0]


def test_handshake_then_blocks_written_and_read_back(tmp_path):
    disk = tmp_path / "disk.img"
    original = bytes((i * 37 + i // 512) & 0xFF for i in range(64 * BLOCK))
    disk.write_bytes(original)
    lm = _machine(disk, 4)
    text = _run_until(lm, ("read back", "failed", "refused"))
    assert "vdisk0: 64 blocks of 512 bytes (32 KB), vDisk protocol 1.1, dring 1" in text
    # the reads came from the backing file: the hash the guest printed is the file's
    h = re.search(r"vdisk0: read 4 blocks: fnv1a 0x([0-9a-f]{16})", text)
    assert h and int(h.group(1), 16) == fnv1a(original[:4 * BLOCK]), text
    assert [f"vdisk0: block {i} written" in text for i in range(4)] == [True] * 4
    assert "vdisk0: 4 blocks read back: match" in text
    data = disk.read_bytes()
    assert data[:4 * BLOCK] == b"".join(pattern(i) for i in range(4))
    assert data[4 * BLOCK:] == original[4 * BLOCK:]          # nothing else touched
    # the handshake as it crossed the channel
    port = next(p for p in lm.channels.vds.ports.values() if p.name == "vds:ldg1:vdisk1")
    msgs = port.handshake
    assert [d for d, _ in msgs] == ["in", "out"] * 4
    tags = [struct.unpack_from(">BBHI", m) for _, m in msgs]
    sid = tags[0][3]
    assert [t[:3] for t in tags] == [(1, 1, 1), (1, 2, 1), (1, 1, 2), (1, 2, 2),
                                     (1, 1, 3), (1, 2, 3), (1, 1, 5), (1, 2, 5)]
    assert {t[3] for t in tags} == {sid}
    m = [x for _, x in msgs]
    assert [len(x) for x in m] == [56, 56, 56, 56, 48, 48, 56, 56]
    assert struct.unpack_from(">HHB", m[0], 8) == (1, 1, 3)       # VER 1.1, DISK
    assert struct.unpack_from(">HHB", m[1], 8) == (1, 1, 4)       # ACK, DISK_SERVER
    # ATTR: DRING mode, block size 512, max transfer 16 blocks
    assert struct.unpack_from(">BBBBIQQQ", m[2], 8) == (3, 0, 0, 0, 512, 0, 0, 16)
    # ACK: a whole disk, fixed media, 512, BREAD|BWRITE|FLUSH, 64 blocks, 16
    assert struct.unpack_from(">BBBBIQQQI", m[3], 8) == (3, 2, 1, 0, 512, 0b1110, 64, 16,
                                                         512)
    # DRING_REG: ident 0, 32 descriptors of 64 bytes, TX ring, one cookie (map table
    # entry 0, offset 0) of 2048 bytes; ACK: ident 1
    assert struct.unpack_from(">QIIHHIQQ", m[4], 8) == (0, 32, 64, 1, 0, 1, 0, 2048)
    assert struct.unpack_from(">QIIHHIQQ", m[5], 8) == (1, 32, 64, 1, 0, 1, 0, 2048)
    assert m[6][8:] == m[7][8:] == bytes(48)
    assert (port.reads, port.writes) == (5, 4)


def test_a_backend_gone_before_start_is_refused(tmp_path):
    """The backend checked at add-vdsdev disappears before the domain starts: the
    server refuses the attributes (NACK) and the guest says so; the manager logs why."""
    disk = tmp_path / "gone.img"
    disk.write_bytes(bytes(16 * BLOCK))
    lm = L.boot([dict(name="primary", vcpus=4, memory="1G")])
    for line in SETUP[:-1]:
        L.ldm(lm, line.format(disk=disk, n=2))
    disk.unlink()
    L.ldm(lm, "start ldg1")
    text = _run_until(lm, ("refused", "read back"))
    assert "vdisk0: the server refused the attributes (its backend is not usable)" in text
    assert "written" not in text
    assert any("attributes refused" in e.text and "No such file or directory" in e.text
               for e in lm.events())


CHILD = textwrap.dedent("""
    import sys
    sys.path[:0] = [{root!r}, {tests!r}, {ldmtests!r}]
    import livekit as L
    from test_vdisk_live import SETUP
    def cons(name, data):
        if name == "ldg1":
            sys.stdout.write(data.decode("latin-1"))
            sys.stdout.flush()
    lm = L.boot([dict(name="primary", vcpus=4, memory="1G")], on_console=cons)
    for line in SETUP:
        L.ldm(lm, line.format(disk={disk!r}, n=24))
    while True:
        lm.advance("100us")
""")


def test_a_kill_after_acknowledged_writes_loses_none(tmp_path):
    """SIGKILL of the process right after the guest printed acknowledged writes: every
    block the guest saw acknowledged is in the backing file (write-through)."""
    disk = tmp_path / "kill.img"
    disk.write_bytes(bytes(64 * BLOCK))
    here = Path(__file__).resolve().parent
    code = CHILD.format(root=str(L.ROOT), tests=str(here.parent), ldmtests=str(here),
                        disk=str(disk))
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=str(L.ROOT))
    seen, out = set(), []
    try:
        for raw in p.stdout:
            line = raw.decode("latin-1")
            out.append(line)
            m = re.match(r"vdisk0: block (\d+) written", line)
            if m:
                seen.add(int(m.group(1)))
                if len(seen) == 6:
                    os.kill(p.pid, signal.SIGKILL)
                    break
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    assert len(seen) == 6, ("".join(out), p.stderr.read().decode()[-2000:])
    assert p.returncode == -signal.SIGKILL
    data = disk.read_bytes()
    for i in sorted(seen):
        assert data[i * BLOCK:(i + 1) * BLOCK] == pattern(i), f"block {i} lost"


def _program_machine(tmp_path, disk):
    from setup_tools import CROSS_CC, require_tools
    from ldm.live import LiveManager
    from sun4v.boot.config import parse_config
    require_tools(CROSS_CC)
    src = Path(__file__).resolve().parents[1] / "vdisk" / "vdisk_rw.c"
    exe = tmp_path / "vdisk_rw"
    subprocess.run([CROSS_CC, "-static", "-O2", "-o", str(exe), str(src)], check=True)
    cfg = parse_config({
        "platform": "T5220",
        "domain": [dict(name="primary", vcpus=4, memory="1G"),
                   dict(name="ldg1", vcpus=2, memory="1G", program=str(exe))],
        "vds": [dict(name="primary-vds0", domain="primary", volumes={"vol1": str(disk)})],
        "vdisk": [dict(name="vdisk1", volume="vol1@primary-vds0", domain="ldg1")]})
    lm = LiveManager(cfg)
    out = {"out": bytearray(), "err": bytearray()}
    lm.system._on_program_output = lambda name, stream, data: out[stream].extend(data)
    return lm, out


def test_a_program_uses_the_disk_as_a_file(tmp_path):
    """A static program in ldg1 opens /dev/vdisk0 (served by its guest kernel over the
    vdisk, bound at boot from the configuration's [[vds]] and [[vdisk]] tables): size,
    reads, a write across a block boundary, pwrite, read-back, EOF, EBADF."""
    disk = tmp_path / "prog.img"
    original = bytes((i * 37 + i // 512) & 0xFF for i in range(64 * BLOCK))
    disk.write_bytes(original)
    lm, out = _program_machine(tmp_path, disk)
    for _ in range(80):
        lm.advance("1ms")
        if lm.system.program_results()["ldg1"][0] == "exited":
            break
    assert lm.system.program_results()["ldg1"] == ("exited", 0), (out, lm.console("ldg1"))
    msg = b"hello from a program in ldg1, across a block boundary\0"
    assert out["out"].decode() == (
        "size 32768\n"
        f"fnv1a {fnv1a(original[:1024]):016x}\n"
        "read back: same\n"
        "read at the end: 0\n"
        "write on O_RDONLY: -1 Bad file descriptor\n")
    want = bytearray(original)
    want[700:700 + len(msg)] = msg
    want[4096:4608] = bytes((i * 3 + 1) & 0xFF for i in range(512))
    assert disk.read_bytes() == bytes(want)


def _boot_with_a_vdisk(tmp_path, image):
    """`sun4v boot` of a T5220 whose ldg1 has vdisk1 on vol1 = image (relative to the
    configuration's directory), for 1 ms: (the configuration's path, the process)."""
    cfg = tmp_path / "vd.toml"
    cfg.write_text(textwrap.dedent(f"""
        platform = "T5220"
        [[domain]]
        name = "primary"
        vcpus = 4
        memory = "1G"
        [[domain]]
        name = "ldg1"
        vcpus = 4
        memory = "1G"
        [[vds]]
        name = "primary-vds0"
        domain = "primary"
        volumes = {{ vol1 = "{image}" }}
        [[vdisk]]
        name = "vdisk1"
        volume = "vol1@primary-vds0"
        domain = "ldg1"
        """))
    return cfg, subprocess.run([sys.executable, "-m", "sun4v", "boot", str(cfg), "--until",
                                "1ms"], capture_output=True, text=True, cwd=str(L.ROOT))


def test_a_boot_configuration_with_a_missing_backend(tmp_path):
    """`sun4v boot` refuses it: one line, exit status 2."""
    cfg, r = _boot_with_a_vdisk(tmp_path, "missing.img")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [
        f"sun4v: {cfg}: Path {tmp_path / 'missing.img'} is not valid on service domain "
        f"primary: No such file or directory"], r.stderr


def test_virtual_disks_need_the_domain_manager(tmp_path):
    """Without --ldmd nobody serves the disk: `sun4v boot` says so (one line, exit 2)."""
    (tmp_path / "d.img").write_bytes(bytes(4096))
    cfg, r = _boot_with_a_vdisk(tmp_path, "d.img")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [f"sun4v: {cfg}: its virtual disks are served by the "
                                     f"domain manager: run it with --ldmd SOCKET"]
