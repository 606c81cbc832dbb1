"""System calls of syscall-emulation mode beyond the corpus programs (tests/progs/
files_meta.c, poll_select.c and creds.c are compared with qemu-sparc64 by
test_corpus.py):

* every handler names a sparc64 system call, and the calls a static glibc program
  makes for files, directories, ids, waiting and resource usage all have one;
* poll/select on a terminal (a pseudo-terminal as stdin), under both qemu and sun4v;
* what qemu-sparc64 7.2 gets wrong, checked against the Linux rules instead: 32-bit ids
  of getresuid/getresgid/getgroups (qemu stores 16-bit ones), struct rusage's int
  tv_usec (qemu stores a long), statfs64's size check, poll's RLIMIT_NOFILE check,
  select clamping its count to the fd table (tests/se_progs/*.c and in-process calls);
* the credential rules of kernel/sys.c and commoncap.c on the model alone;
* the CPU-time model (sys_rusage) in exact figures.
"""
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sun4v.cmt import state as S
from sun4v.cmt.memory import PERM_R, PERM_W, Memory
from sun4v.se import signals as SG
from sun4v.se.linux_abi import ERRNO, SYSCALL_NAMES, SYSCALL_NUMBERS as NR
from sun4v.se.sys_creds import CAP_FS_MASK, CAP_SETUID, Credentials
from sun4v.se.sys_rusage import SYSTEM_CYCLES
from sun4v.se.syscalls import CARRY, Syscalls

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qemu_oracle import compare_runs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CC = shutil.which("sparc64-linux-gnu-gcc")
QEMU = shutil.which("qemu-sparc64")

import setup_tools  # noqa: E402


@pytest.fixture
def _cc():
    setup_tools.require_tools("sparc64-linux-gnu-gcc")


@pytest.fixture
def _tools():
    setup_tools.require_tools("sparc64-linux-gnu-gcc", "qemu-sparc64")


# `make setup` installs the cross compiler and qemu: without them these tests fail
needs_cc = pytest.mark.usefixtures("_cc")
needs_tools = pytest.mark.usefixtures("_tools")
BUF = 0x100000


# ---- the handler table ---------------------------------------------------------------------
# What a static glibc 2.36 program calls for the work of issue 9 (seen with qemu -strace:
# lseek is _llseek, select and pselect are pselect6, posix_fadvise is fadvise64_64,
# statfs/statvfs are statfs64/fstatfs64, readdir is getdents64), plus the other entries
# of the sparc64 table for the same work.
GLIBC_CALLS = """
    read write open openat close creat _llseek lseek pread64 pwrite64 readv writev
    stat lstat fstat stat64 lstat64 fstat64 fstatat64 statx statfs fstatfs statfs64
    fstatfs64 access faccessat faccessat2 chmod fchmod fchmodat chown fchown lchown
    fchownat utime utimes futimesat utimensat link linkat symlink symlinkat readlink
    readlinkat unlink unlinkat rename renameat renameat2 mkdir mkdirat rmdir mknod mknodat
    truncate ftruncate fallocate fadvise64 fadvise64_64 readahead fsync fdatasync sync
    syncfs flock sendfile sendfile64 copy_file_range getdents getdents64 chdir fchdir
    getcwd umask dup dup2 dup3 pipe pipe2 fcntl ioctl
    poll ppoll select _newselect pselect6
    getuid geteuid getgid getegid setuid setgid setreuid setregid setresuid getresuid
    setresgid getresgid setfsuid setfsgid getgroups setgroups
    getrusage times clock_gettime
""".split()


def test_every_handler_names_a_syscall():
    """A misspelt handler would never be called (the call would be ENOSYS): every
    sys_<name> method of Syscalls and its mixins must name a sparc64 system call."""
    names = set(SYSCALL_NAMES.values())
    handlers = [m for m in dir(Syscalls) if m.startswith("sys_") and callable(getattr(Syscalls, m))]
    assert len(handlers) > 100
    wrong = [m for m in handlers if m[4:] not in names]
    assert not wrong, f"handlers for no sparc64 system call: {wrong}"


def test_glibc_calls_have_handlers():
    assert all(n in SYSCALL_NUMBERS_SET for n in GLIBC_CALLS), \
        [n for n in GLIBC_CALLS if n not in SYSCALL_NUMBERS_SET]
    missing = [n for n in GLIBC_CALLS if not callable(getattr(Syscalls, "sys_" + n, None))]
    assert not missing, f"no handler for {missing}"


SYSCALL_NUMBERS_SET = set(NR)


# ---- in-process calls -------------------------------------------------------------------------
class Kernel:
    """Memory, one strand and the system-call layer without the engine (as in
    test_se_syscalls.py); the credentials model does not touch the host here."""

    def __init__(self):
        self.mem = Memory()
        self.mem.map(BUF, 0x10000, PERM_R | PERM_W)
        self.St = S.StrandArrays(1)
        self.sys = Syscalls(self.mem, self.St, SimpleNamespace(brk=0x308000,
                                                               mmap_base=0x4000802000),
                            sys.executable, signals=SG.Signals(self.mem, self.St))
        self.sys.creds.apply_host = False

    def call(self, name, *args):
        St = self.St
        St.C[0, S.PC], St.C[0, S.NPC] = 0x100100, 0x100104
        St.set_reg(0, 1, NR[name])
        for i, a in enumerate(args):
            St.set_reg(0, 8 + i, a & (2**64 - 1))
        self.sys.handle()
        err = bool(int(St.C[0, S.CCR]) & CARRY)
        v = St.get_reg(0, 8)
        return -v if err else v

    def cstr(self, addr, s):
        self.mem.write(addr, s.encode() + b"\0")
        return addr


@pytest.fixture
def k():
    return Kernel()


EINVAL, EPERM, EBADF = ERRNO["EINVAL"], ERRNO["EPERM"], ERRNO["EBADF"]


def test_statfs64_checks_the_size_and_fills_the_struct(k, tmp_path):
    """fs/statfs.c: statfs64/fstatfs64 are EINVAL unless size == sizeof(struct statfs64)
    (120 on sparc64; qemu 7.2 does not check)."""
    p = k.cstr(BUF, str(tmp_path))
    assert k.call("statfs64", p, 100, BUF + 0x1000) == -EINVAL
    assert k.call("fstatfs64", 1, 121, BUF + 0x1000) == -EINVAL
    assert k.call("statfs64", p, 120, BUF + 0x1000) == 0
    f = struct.unpack(">qqQQQQQ2iqqq4q", k.mem.read(BUF + 0x1000, 120))
    vfs = os.statvfs(tmp_path)
    assert f[1] == vfs.f_bsize and f[9] == vfs.f_namemax and f[10] == vfs.f_frsize
    assert f[2] == vfs.f_blocks and f[6] == vfs.f_ffree


def test_poll_more_fds_than_nofile_is_einval(k):
    """fs/select.c do_sys_poll: nfds > RLIMIT_NOFILE (1024 here) is EINVAL before the
    array is read (qemu 7.2 reads it first and says EFAULT)."""
    assert k.call("poll", BUF, 1025, 0) == -EINVAL
    assert k.call("poll", BUF, 0, 0) == 0


def test_select_clamps_to_the_fd_table(k):
    """core_sys_select clamps n to the fd table size (64 for a process with few fds), so
    a bit for fd 200 is not looked at; a closed fd below it is EBADF."""
    k.mem.write(BUF, bytes(128))
    k.mem.write(BUF + 24, (1 << 8).to_bytes(8, "big"))           # fd 200 = long 3 bit 8
    k.mem.write(BUF + 0x800, bytes(16))                          # zero timeout
    k.mem.write(BUF, (1).to_bytes(8, "big"))                      # and fd 0 (stdin)
    assert k.call("select", 1000, BUF, 0, 0, BUF + 0x800) in (0, 1)
    # only FDS_BYTES(64) = one long is written back: fd 200's long is left as it was
    assert k.mem.read(BUF + 24, 8) == (1 << 8).to_bytes(8, "big")
    k.mem.write(BUF, (1 << 60).to_bytes(8, "big"))               # fd 60: not open
    assert k.call("select", 64, BUF, 0, 0, BUF + 0x800) == -EBADF


def test_getdents_layouts(k, tmp_path):
    """getdents64 (d_type after d_reclen) and the old getdents (d_type in the record's
    last byte) give the same names and types, with the same record lengths."""
    (tmp_path / "file").write_text("x")
    (tmp_path / "sub").mkdir()
    os.symlink("file", tmp_path / "link")
    want = {e.name: e for e in os.scandir(tmp_path)}
    results = []
    for name in ("getdents64", "getdents"):
        fd = k.call("open", k.cstr(BUF, str(tmp_path)), 0x10000, 0)
        n = k.call(name, fd, BUF + 0x1000, 4096)
        raw = k.mem.read(BUF + 0x1000, n)
        recs = {}
        i = 0
        while i < n:
            ino, off, reclen = struct.unpack_from(">QqH", raw, i)
            if name == "getdents64":
                dtype = raw[i + 18]
                nm = raw[i + 19:i + reclen].split(b"\0")[0].decode()
            else:
                dtype = raw[i + reclen - 1]
                nm = raw[i + 18:i + reclen].split(b"\0")[0].decode()
            assert reclen % 8 == 0 and reclen >= 20 + len(nm)
            recs[nm] = (ino, dtype, reclen)
            i += reclen
        k.call("close", fd)
        assert set(recs) == set(want) | {".", ".."}
        for nm, e in want.items():
            assert recs[nm][0] == e.inode()
        assert recs["file"][1] == 8 and recs["sub"][1] == 4 and recs["link"][1] == 10
        results.append(recs)
    assert results[0] == results[1]


def test_dup3_and_pipe2_argument_checks(k):
    """fs/file.c ksys_dup3 and fs/pipe.c do_pipe2, in the kernel's order."""
    assert k.call("dup3", 1, 1, 0) == -EINVAL                   # same fd: EINVAL even without flags
    assert k.call("dup3", 1, 5, 0x4000) == -EINVAL              # O_NONBLOCK is no dup3 flag
    assert k.call("dup3", 99, 5, 0) == -EBADF
    assert k.call("dup3", 1, 1024, 0) == -EBADF                 # RLIMIT_NOFILE
    assert k.call("dup3", 1, 7, 0x400000) == 7 and 7 in k.sys.fds.cloexec
    assert k.call("pipe2", BUF, 0x8) == -EINVAL                 # O_APPEND
    assert k.call("pipe2", 8, 0) == -ERRNO["EFAULT"]
    assert sorted(k.sys.fds.host) == [0, 1, 2, 7]               # nothing left open
    assert k.call("pipe2", BUF, 0x4000 | 0x400000) == 0
    a, b = struct.unpack(">ii", k.mem.read(BUF, 8))
    assert (a, b) == (3, 4) and {a, b} <= k.sys.fds.cloexec


# ---- the credential rules -----------------------------------------------------------------------
def creds(uid, gid, caps):
    c = Credentials(apply_host=False)
    c.uid = c.euid = c.suid = c.fsuid = uid
    c.gid = c.egid = c.sgid = c.fsgid = gid
    c.groups = ()
    c.cap_permitted = c.cap_effective = caps
    return c


ALL_CAPS = (1 << 41) - 1


def test_root_dropping_and_regaining():
    c = creds(0, 0, ALL_CAPS)
    assert c.setresuid(1000, 1000, 0) == 0                      # saved uid 0 kept
    assert (c.uid, c.euid, c.suid, c.fsuid) == (1000, 1000, 0, 1000)
    assert c.cap_effective == 0 and c.cap_permitted == ALL_CAPS  # euid left 0
    assert c.setuid(1234) == -EPERM                              # not r/e/s, no CAP_SETUID
    assert c.setfsuid(0) == 1000 and c.fsuid == 0                # the saved uid
    assert c.cap_effective == ALL_CAPS & CAP_FS_MASK             # fs caps raised
    assert c.setfsuid(1000) == 0 and c.cap_effective == 0
    assert c.setuid(0) == 0                                      # the saved uid again
    assert (c.uid, c.euid, c.suid) == (1000, 0, 0)               # unprivileged setuid: euid
    assert c.cap_effective == ALL_CAPS
    assert c.setuid(0) == 0 and (c.uid, c.euid, c.suid) == (0, 0, 0)   # now privileged
    assert c.setuid(1000) == 0 and (c.uid, c.euid, c.suid) == (1000, 1000, 1000)
    assert c.cap_permitted == 0 and c.cap_effective == 0         # left 0 for good
    assert c.setuid(0) == -EPERM and c.setresuid(-1 & 0xFFFFFFFF, 0, 0xFFFFFFFF) == -EPERM
    assert c.setfsuid(0) == 1000 and c.fsuid == 1000             # refused: old id back
    assert c.setgroups([1]) == -EPERM


def test_setreuid_and_setregid_rules():
    c = creds(1000, 100, 0)
    c.suid = 2000
    assert c.setreuid(0xFFFFFFFF, 2000) == 0                     # euid to the saved uid
    assert (c.uid, c.euid, c.suid) == (1000, 2000, 2000)         # euid != old ruid: suid = euid
    assert c.setreuid(2000, 1000) == 0                           # swap
    assert (c.uid, c.euid, c.suid, c.fsuid) == (2000, 1000, 1000, 1000)
    assert c.setreuid(3000, 0xFFFFFFFF) == -EPERM
    c.sgid = 200
    assert c.setregid(0xFFFFFFFF, 200) == 0 and (c.gid, c.egid, c.sgid) == (100, 200, 200)
    assert c.setgid(300) == -EPERM and c.setgid(100) == 0 and c.egid == 100
    assert c.setresgid(0xFFFFFFFF, 0xFFFFFFFF, 5) == -EPERM
    assert c.setuid(0xFFFFFFFF) == -EINVAL and c.setgid(0xFFFFFFFF) == -EINVAL


def test_setgroups_sorted_and_getgroups_sizes(k):
    c = k.sys.creds
    c.cap_effective |= 1 << 6                                    # CAP_SETGID
    k.mem.write(BUF, struct.pack(">3I", 70000, 7, 3))
    assert k.call("setgroups", 3, BUF) == 0
    assert k.call("getgroups", 0, 0) == 3
    assert k.call("getgroups", 2, BUF + 64) == -EINVAL
    assert k.call("getgroups", -1, BUF + 64) == -EINVAL
    assert k.call("getgroups", 3, BUF + 64) == 3
    assert struct.unpack(">3I", k.mem.read(BUF + 64, 12)) == (3, 7, 70000)
    assert k.call("setgroups", 65537, BUF) == -EINVAL
    c.cap_effective = 0
    assert k.call("setgroups", 65537, BUF) == -EPERM             # the privilege first


def test_setfsuid_is_16_bit(k):
    """sparc64's setfsuid/setfsgid are sys_setfsuid16/sys_setfsgid16."""
    c = k.sys.creds
    c.cap_effective |= 1 << CAP_SETUID
    c.fsuid = 70000
    assert k.call("setfsuid", 0xFFFF) == 65534 and c.fsuid == 70000      # -1: a query
    assert k.call("setfsuid", 0x10005) == 65534 and c.fsuid == 5         # 16 bits
    assert k.call("setfsuid", 0xFFFFFFFF) == 5


# ---- programs checked against the Linux rules (qemu-sparc64 7.2 gets them wrong) ----------
def _build(tmp_path, name):
    exe = tmp_path / name
    subprocess.run([CC, "-static", "-O2", "-pthread", "-o", str(exe),
                    str(ROOT / "tests" / "se_progs" / f"{name}.c")], check=True)
    return exe


def _sun4v(exe, *args, stdin=b""):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "sun4v", "run", *args, str(exe)],
                          input=stdin, capture_output=True, timeout=600, env=env)


@needs_cc
def test_resids_are_32_bit(tmp_path):
    exe = _build(tmp_path, "resids")
    r = _sun4v(exe)
    assert r.returncode == 0, r.stderr
    u, g = os.getresuid(), os.getresgid()
    low = [65534 if v > 65535 else v for v in (os.geteuid(), os.getegid())]
    want = [f"resuid 0 {u[0]} {u[1]} {u[2]} resgid 0 {g[0]} {g[1]} {g[2]}",
            f"getresuid bad pointer -1 errno {ERRNO['EFAULT']}",
            f"fsuid {low[0]} fsgid {low[1]}"]
    if os.geteuid() == 0:
        want += ["setgroups 0", "getgroups 3: 3 7 70000", "setresgid 0",
                 f"resuid 0 {u[0]} {u[1]} {u[2]} resgid 0 70001 70002 70003",
                 "setfsgid 5 -> old 65534", "setfsgid 0x10006 (16 bits: 6) -> old 5",
                 "setfsgid 0xffff (-1) -> 6", "setresuid 0",
                 "resuid 0 70010 70011 0 resgid 0 70001 70002 70003",
                 "setfsuid -1 -> 65534", "back 0 0 0",
                 "resuid 0 0 0 0 resgid 0 0 0 0"]
    assert r.stdout.decode().splitlines() == want


RUSAGE_WANT = """\
getrusage self 0
work shows: rusage 1 clock 1 times 1
usec in range 1 1
rusage between clock readings 1
times agrees with rusage 1
thread clock <= process clock 1
clock_getcpuclockid 0 pthread_getcpuclockid 0
cpu clock ids read 1 1
clock_getres cputime 0
maxrss grew by >= 12 MiB 1, minflt grew by >= 2048 1, maxrss>0 1
unused fields zero 1
thread: its clock grew 1, its rusage grew 1
main thread < process 1
children 0: zero 1
times children zero 1
who 2: -1 errno 22
who -2: -1 errno 22
bad buffer: -1 errno 14
"""


@needs_cc
@pytest.mark.parametrize("mode", ["functional", "cycle"])
def test_rusage_relations(tmp_path, mode):
    """getrusage/times/CPU clocks agree and grow with work, threads are part of the
    process, touched memory shows (qemu 7.2 stores ru_utime.tv_usec as a long where
    sparc64 has an int, so its figures lose the microseconds)."""
    exe = _build(tmp_path, "rusage")
    r = _sun4v(exe, "--mode", mode)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == RUSAGE_WANT


def test_cpu_time_model(k):
    """User time = instructions at one cycle each, system time = SYSTEM_CYCLES per
    call, at the chip clock; the same figure from getrusage, times and clock_gettime."""
    k.sys.clock_mhz = 1400
    k.mem.write(BUF, bytes(1024))                    # pages made before the call
    k.St.C[0, S.INSNS] = 14_000_000 - 1              # + the `ta` of each call below
    assert k.call("getrusage", 0, BUF) == 0
    calls = sum(k.sys.counts.values())
    utime = 14_000_000 * 1000 // 1400                # 10 ms
    stime = calls * SYSTEM_CYCLES * 1000 // 1400
    raw = k.mem.read(BUF, 144)
    sec, usec = struct.unpack_from(">qi", raw, 0)
    assert sec * 10**9 + usec * 1000 == utime // 1000 * 1000
    sec, usec = struct.unpack_from(">qi", raw, 16)
    assert sec * 10**9 + usec * 1000 == stime // 1000 * 1000
    assert struct.unpack_from(">q", raw, 32)[0] == int(k.mem.meta[0]) * 8   # maxrss KiB
    assert struct.unpack_from(">q", raw, 64)[0] == k.mem.pages_made          # minflt
    assert k.call("clock_gettime", 2, BUF + 256) == 0
    sec, nsec = struct.unpack(">qq", k.mem.read(BUF + 256, 16))
    calls = sum(k.sys.counts.values())
    assert sec * 10**9 + nsec == ((14_000_000 + 1) * 1000 // 1400
                                  + calls * SYSTEM_CYCLES * 1000 // 1400)
    assert k.call("times", BUF + 512) > 0
    tms = struct.unpack(">4q", k.mem.read(BUF + 512, 32))
    assert tms[0] == (14_000_000 + 2) * 1000 // 1400 // 10**7 and tms[2:] == (0, 0)
    assert k.call("getrusage", 2, BUF) == -EINVAL
    # a CPU clock id of another process is refused
    assert k.call("clock_gettime", (~12345 << 3) | 2, BUF) == -EINVAL


def test_system_cycles_match_the_cycle_model():
    from sun4v.se.process import SYSCALL_CYCLES
    assert SYSTEM_CYCLES == SYSCALL_CYCLES


# ---- a terminal ---------------------------------------------------------------------------------
TTY_PROG = r'''
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>
int main(void) {
    struct pollfd p = {0, POLLIN | POLLOUT, 0};
    printf("isatty %d\n", isatty(0));
    printf("poll %d revents %#x\n", poll(&p, 1, 1000), p.revents);
    char buf[64] = {0};
    printf("read %zd '%s'\n", read(0, buf, sizeof buf - 1), strtok(buf, "\n"));
    p.events = POLLIN;
    printf("poll empty %d revents %#x\n", poll(&p, 1, 30), p.revents);
    fd_set r, w;
    FD_ZERO(&r); FD_ZERO(&w); FD_SET(0, &r); FD_SET(0, &w);
    struct timeval tv = {0, 20000};
    int n = select(1, &r, &w, NULL, &tv);
    printf("select %d r %d w %d\n", n, FD_ISSET(0, &r), FD_ISSET(0, &w));
    FD_ZERO(&w);
    tv = (struct timeval){0, 20000};
    printf("select read only %d\n", select(1, &r, NULL, NULL, &tv));
    return 0;
}
'''


@needs_tools
def test_poll_select_on_a_tty(tmp_path):
    """stdin a terminal with one line typed: readable, writable; then nothing to read."""
    src = tmp_path / "tty.c"
    src.write_text(TTY_PROG)
    exe = tmp_path / "tty"
    subprocess.run([CC, "-static", "-O2", "-o", str(exe), str(src)], check=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    results = []
    for cmd in ([QEMU, str(exe)], [sys.executable, "-m", "sun4v", "run", str(exe)]):
        master, slave = os.openpty()
        try:
            os.write(master, b"typed line\n")
            p = subprocess.run(cmd, stdin=slave, capture_output=True, timeout=600, env=env)
        finally:
            os.close(master)
            os.close(slave)
        results.append((p.stdout, p.stderr, p.returncode))
    assert b"isatty 1" in results[0][0] and b"read 11 'typed line'" in results[0][0]
    compare_runs("tty poll", results[0], results[1])
