"""A descriptor stays bound to the disk instance it opened (issue 14 §2; sun4v/guest/
vdfile.c, vdc.c vdc_gen). `ldm remove-vdisk -f` of a disk a program holds open, then
`ldm add-vdisk id=0` of another volume with the same id: the old descriptor keeps
getting EIO (as Linux' does once its gendisk is gone: a new disk of the same name is
another device), neither reads nor writes the new disk, and its close does not count
against the new disk; a new open of /dev/vdisk0 reaches the new disk. The program is
tests/vdisk/vdisk_ops.c `readd`."""
import livekit as L
from test_vdisk_dr import _live_program, _run_program, _until, fnv1a


def test_a_descriptor_does_not_reach_a_disk_added_again_with_the_same_id(tmp_path):
    lm, out, flags, (a, da), (b, db) = _live_program(tmp_path, "readd")

    def until(text, src=lambda: out["out"].decode(), limit=300):
        return _until(lm, src, text, limit)

    assert until("vdisk0 open"), (out, lm.console("ldg1"))
    assert out["out"].decode() == "vdisk0 open: yes\n"
    L.ldm(lm, "remove-vdisk -f d0 ldg1")
    L.ldm(lm, f"add-vdsdev {db} vol1@primary-vds0")
    L.ldm(lm, "add-vdisk id=0 d0new vol1@primary-vds0 ldg1")
    assert [n["cfg-handle"] for n in L.guest_md(lm, "ldg1").find("virtual-device")
            if n["name"] == "disk"] == [0]
    assert until("dr-vio: vdisk0 configured", lambda: lm.console("ldg1")[0])
    (flags / "go").write_bytes(b"")
    assert until("old pread after close"), (out, lm.console("ldg1"))
    msg = b"written through the new descriptor\0"
    assert out["out"].decode().splitlines() == [
        "vdisk0 open: yes",
        "old pread: -1 Input/output error",
        "old pwrite: -1 Input/output error",
        "old fstat: -1 Input/output error",
        "new pread: 4096",
        f"new size {len(b)} fnv {fnv1a(b[:4096]):016x}",
        f"new pwrite: {len(msg)}",
        "old close: 0",
        "old pread after close: -1 Bad file descriptor"]
    assert da.read_bytes() == a                         # the removed disk untouched
    assert db.read_bytes() == b[:200] + msg + b[200 + len(msg):]   # one write only
    # the new descriptor holds the new disk: the old one's close took nothing from it
    r = lm.execute("remove-vdisk d0new ldg1".split())
    assert r.status == 1 and "busy" in r.err[0], (r.out, r.err)
    (flags / "end").write_bytes(b"")
    assert _run_program(lm) == ("exited", 0), (out, lm.console("ldg1"))
    assert out["out"].decode().endswith("new close: 0\n")
    L.ldm(lm, "remove-vdisk d0new ldg1")                # closed: no longer busy
    assert db.read_bytes() == b[:200] + msg + b[200 + len(msg):]
