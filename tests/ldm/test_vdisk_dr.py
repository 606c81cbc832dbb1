"""Virtual disks a demanding LDoms user expects (issue 14 §2): several disks per domain
(/dev/vdiskN, N = the vdisk id, each its own channel and descriptor ring), file
operations on them equal to the same operations on the backing file under `sun4v run`
(fstat, lseek, pread/pwrite, readv/writev, preadv/pwritev, unaligned writes done by
read-modify-write), and `ldm add-vdisk` / `ldm remove-vdisk` on a running domain
without a reboot (ldm/viodr.py: reconfigure, md-update, dr-vio {CONFIGURE,
UNCONFIGURE} as illumos sun4v/sys/dr_io.h defines it; the guest: sun4v/guest/vdc.c,
svc_drvio.c, vdfile.c). The program is tests/vdisk/vdisk_ops.c; `sun4v run` of it on a file is checked
against qemu-sparc64 first."""
import subprocess
import sys
from pathlib import Path

import livekit as L

BLOCK = 512
SRC = Path(__file__).resolve().parents[1] / "vdisk" / "vdisk_ops.c"


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def content(seed, n=96 * BLOCK):
    return bytes((i * seed + i // 511 + seed) & 0xFF for i in range(n))


def _exe(tmp_path):
    from setup_tools import CROSS_CC, require_tools
    require_tools(CROSS_CC)
    exe = tmp_path / "vdisk_ops"
    subprocess.run([CROSS_CC, "-static", "-O2", "-o", str(exe), str(SRC)], check=True)
    return exe


def _machine(exe, args, disks):
    """A live T5220 whose ldg1 runs `exe args`; `disks`: [(vdisk name, backing file)]
    bound at boot with ids 0, 1, ... on volumes vol0, vol1, ... of primary-vds0."""
    from ldm.live import LiveManager
    from sun4v.boot.config import parse_config
    cfg = parse_config({
        "platform": "T5220",
        "domain": [dict(name="primary", vcpus=4, memory="1G"),
                   dict(name="ldg1", vcpus=2, memory="1G", program=str(exe),
                        args=[str(a) for a in args])],
        "vds": [dict(name="primary-vds0", domain="primary",
                     volumes={f"vol{i}": str(p) for i, (_, p) in enumerate(disks)})],
        "vdisk": [dict(name=n, volume=f"vol{i}@primary-vds0", domain="ldg1")
                  for i, (n, _) in enumerate(disks)]})
    lm = LiveManager(cfg)
    out = {"out": bytearray(), "err": bytearray()}
    lm.system._on_program_output = lambda name, stream, data: out[stream].extend(data)
    return lm, out


def _run_program(lm, limit=300):
    for _ in range(limit):
        lm.advance("1ms")
        if lm.system.program_results()["ldg1"][0] in ("exited", "killed", "failed"):
            break
    return lm.system.program_results()["ldg1"]


def _live_program(tmp_path, mode):
    """ldg1 running vdisk_ops.c `mode` with disk d0 (a.img, content(37)) and b.img
    (content(91), 64 blocks) ready for a vdsdev: (lm, out, flags dir, (a, a.img),
    (b, b.img))."""
    exe = _exe(tmp_path)
    a, b = content(37), content(91, 64 * BLOCK)
    da, db = tmp_path / "a.img", tmp_path / "b.img"
    da.write_bytes(a)
    db.write_bytes(b)
    flags = tmp_path / "flags"
    flags.mkdir()
    lm, out = _machine(exe, [mode, flags], [("d0", da)])
    return lm, out, flags, (a, da), (b, db)


def _until(lm, src, text, limit):
    """Advance lm a millisecond at a time until `text` is in src() (at most `limit`
    ms): whether it came."""
    for _ in range(limit):
        if text in src():
            return True
        lm.advance("1ms")
    return False


def _sun4v_run(exe, path):
    r = subprocess.run([sys.executable, "-m", "sun4v", "run", str(exe), "ops", str(path)],
                       capture_output=True, text=True, cwd=str(L.ROOT), timeout=600)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout


def _qemu(exe, path):
    from setup_tools import QEMU, require_tools
    require_tools(QEMU)
    r = subprocess.run([QEMU, str(exe), "ops", str(path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout


def test_file_operations_equal_the_backing_file_under_sun4v_run(tmp_path):
    """The same program, the same operations: on /dev/vdisk0 in ldg1 and on a copy of
    its backing file under `sun4v run`. Same lines (fstat says a block device in the
    domain, a regular file on the host), same bytes in the two files afterwards."""
    exe = _exe(tmp_path)
    original = content(37)
    disk, copy, qcopy = (tmp_path / f"{n}.img" for n in ("disk", "copy", "qemu"))
    for p in (disk, copy, qcopy):
        p.write_bytes(original)
    lm, out = _machine(exe, ["ops", "/dev/vdisk0"], [("vdisk1", disk)])
    assert _run_program(lm) == ("exited", 0), (out, lm.console("ldg1"))
    dom = out["out"].decode().splitlines()
    host = _sun4v_run(exe, copy).splitlines()
    assert host == _qemu(exe, qcopy).splitlines()       # `sun4v run` is qemu's twin here
    assert qcopy.read_bytes() == copy.read_bytes()
    assert dom[0] == "type block, fstat(62) block, statx block"
    assert host[0] == "type regular, fstat(62) regular, statx regular"
    assert dom[1:] == host[1:], "\n".join(f"{a!r:50} {b!r}" for a, b in zip(dom, host))
    assert f"size {len(original)}" in dom
    assert f"fstat(62): 0, size {len(original)}" in dom
    assert f"statx: 0, size {len(original)}" in dom
    assert disk.read_bytes() == copy.read_bytes()
    assert disk.read_bytes() != original                # the writes reached the file
    # the values themselves, from the operations' definitions
    data = disk.read_bytes()
    big = bytes((i * 13 + 7) & 0xFF for i in range(20000))
    assert data[511:516] == big[:5] and data[0:1] == big[100:101]
    assert data[2049:2149] == big[1:101] and data[2149:3649] == big[5000:6500]
    assert data[12345:12378] == big[7:40] and data[12378:13078] == big[9:709]
    assert f"read all: {len(data)} bytes, fnv {fnv1a(data):016x}" in dom
    assert "readv matches: yes" in dom and "preadv matches: yes" in dom
    assert "lseek negative: -1 Invalid argument" in dom
    assert "pread 1000 across the end: 300" in dom and "pread at the end: 0" in dom
    assert "fstat after close: -1 Bad file descriptor" in dom


def test_two_disks_each_its_own_channel_and_content(tmp_path):
    """ldg1 with two disks of different contents: /dev/vdisk1 is the second one (id 1)
    and the program's writes land in its backing file only."""
    exe = _exe(tmp_path)
    a, b = content(37), content(91, 64 * BLOCK)
    da, db = tmp_path / "a.img", tmp_path / "b.img"
    da.write_bytes(a)
    db.write_bytes(b)
    copy = tmp_path / "b_copy.img"
    copy.write_bytes(b)
    lm, out = _machine(exe, ["ops", "/dev/vdisk1"], [("system", da), ("data", db)])
    assert _run_program(lm) == ("exited", 0), (out, lm.console("ldg1"))
    con = lm.console("ldg1")[0]
    assert "vdisk0: 96 blocks of 512 bytes (48 KB)" in con
    assert "vdisk1: 64 blocks of 512 bytes (32 KB)" in con
    dom = out["out"].decode().splitlines()
    assert f"size {len(b)}" in dom
    assert da.read_bytes() == a                         # the first disk untouched
    assert dom[1:] == _sun4v_run(exe, copy).splitlines()[1:]
    assert db.read_bytes() == copy.read_bytes() != b
    # two server ports, two channels, two rings
    ports = sorted(p.name for p in lm.channels.vds.ports.values())
    assert ports == ["vds:ldg1:data", "vds:ldg1:system"]
    chans = {p.channel for p in lm.channels.vds.ports.values()}
    assert len(chans) == 2


def test_add_and_remove_a_vdisk_while_the_program_runs(tmp_path):
    """add-vdisk on the active ldg1: the running program sees /dev/vdisk1 appear and
    uses it; remove-vdisk of the disk it holds open is refused (busy, nothing
    changed); bad input is refused in one line; once closed the disk is removed and
    the program sees it gone."""
    lm, out, flags, (a, da), (b, db) = _live_program(tmp_path, "live")

    def until(text, limit=200):
        return _until(lm, lambda: out["out"].decode(), text, limit)

    assert until("vdisk0 size"), (out, lm.console("ldg1"))
    L.ldm(lm, f"add-vdsdev {db} vol1@primary-vds0")
    before = L.ldm(lm, "list-bindings ldg1")[0]
    assert "d1" not in "\n".join(before)
    L.ldm(lm, "add-vdisk d1 vol1@primary-vds0 ldg1")
    assert until("vdisk1 pwrite"), (out, lm.console("ldg1"))
    text = out["out"].decode()
    assert f"vdisk0 size {len(a)} fnv {fnv1a(a[:4096]):016x}" in text
    assert f"vdisk1 size {len(b)} fnv {fnv1a(b[:4096]):016x}" in text
    msg = b"written on the disk added while the program ran\0"
    assert "vdisk1 pwrite: 48" in text
    assert db.read_bytes() == b[:100] + msg + b[100 + len(msg):]
    con = lm.console("ldg1")[0]
    assert "md-update: machine description read again" in con
    assert "dr-vio: vdisk1 configured" in con
    assert "reboot" not in con and lm.config().domain("ldg1").state == "active"
    listing = L.ldm(lm, "list-bindings ldg1")[0]

    # bad input: one line, a failure status, nothing changed
    for line, why in (("add-vdisk d1 vol0@primary-vds0 ldg1", "Disk d1 already exists"),
                      ("add-vdisk d2 nosuch@primary-vds0 ldg1", "Volume nosuch does not "
                                                               "exist in service"),
                      ("remove-vdisk nosuch ldg1", "Disk nosuch does not exist in LDom")):
        r = lm.execute(line.split())
        assert r.status != 0 and len(r.err) == 1 and why in r.err[0], (line, r.err)
        assert L.ldm(lm, "list-bindings ldg1")[0] == listing

    # d0 is held open by the program: busy, nothing changed
    r = lm.execute("remove-vdisk d0 ldg1".split())
    assert r.status == 1, (r.out, r.err)
    assert r.err == ["Failed to remove vdisk d0 from LDom ldg1: the guest reports it busy "
                     "(device busy); close it in the domain or use remove-vdisk -f"]
    assert L.ldm(lm, "list-bindings ldg1")[0] == listing
    assert "dr-vio: vdisk0 busy (open)" in lm.console("ldg1")[0]
    assert "vds:ldg1:d0" in {p.name for p in lm.channels.vds.ports.values()}

    (flags / "close0").write_bytes(b"")
    assert until("vdisk0 close: 0")
    L.ldm(lm, "remove-vdisk d0 ldg1")
    # the server let go of d0's port (primary's relay closed it) before ldm returned
    assert {p.name for p in lm.channels.vds.ports.values()} == {"vds:ldg1:d1"}
    assert "relay: vds:ldg1:d0 (4) closed" in lm.console("primary")[0]
    assert "d0" not in "\n".join(L.ldm(lm, "list-bindings ldg1")[0])
    assert until("vdisk0 gone")
    assert out["out"].decode().endswith("vdisk0 gone: No such device or address\n")
    con = lm.console("ldg1")[0]
    assert "dr-vio: vdisk0 unconfigured" in con
    assert "vdisk0: detached (channel 1 closed)" in con
    assert da.read_bytes() == a
    assert [n["cfg-handle"] for n in L.guest_md(lm, "ldg1").find("virtual-device")
            if n["name"] == "disk"] == [1]
    (flags / "end").write_bytes(b"")
    assert _run_program(lm) == ("exited", 0), (out, lm.console("ldg1"))


def test_forced_removal_of_an_open_disk(tmp_path):
    """remove-vdisk -f while a program holds the disk open: dr-vio FORCE_UNCONFIG
    detaches it; the program's descriptor then gets EIO (Linux: the device is gone),
    its close succeeds, and the backing file is untouched."""
    exe = _exe(tmp_path)
    a = content(37)
    da = tmp_path / "a.img"
    da.write_bytes(a)
    flags = tmp_path / "flags"
    flags.mkdir()
    lm, out = _machine(exe, ["hold", flags], [("d0", da)])
    for _ in range(200):
        if "vdisk0 open" in out["out"].decode():
            break
        lm.advance("1ms")
    assert out["out"].decode() == "vdisk0 open: yes\n", (out, lm.console("ldg1"))
    L.ldm(lm, "remove-vdisk d0 ldg1", status=1)         # busy without -f
    L.ldm(lm, "remove-vdisk -f d0 ldg1")
    assert "DISK" not in L.ldm(lm, "list-bindings ldg1")[0]
    assert lm.channels.vds.ports == {}
    (flags / "go").write_bytes(b"")
    assert _run_program(lm) == ("exited", 0), (out, lm.console("ldg1"))
    assert out["out"].decode() == ("vdisk0 open: yes\n"
                                   "pread after the removal: -1 Input/output error\n"
                                   "pwrite after the removal: -1 Input/output error\n"
                                   "close: 0\n")
    assert "dr-vio: vdisk0 unconfigured" in lm.console("ldg1")[0]
    assert da.read_bytes() == a
