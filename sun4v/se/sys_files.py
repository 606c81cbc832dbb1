"""File system calls of syscall-emulation mode (class FileCalls, a mixin of
syscalls.Syscalls): descriptors, reading and writing, metadata, links, directories,
space, synchronisation, copies.

The host carries each call out on the guest's behalf, as qemu-user does: guest fds map to
host fds (FdTable), paths are passed through (/proc/self/exe excepted), and the host
kernel's answer (result or errno) is the guest's. What differs between the sparc64 guest
and the host is converted here: structure layouts and byte order (asm/stat.h: struct
stat / stat64; asm-generic/statfs.h: struct statfs(64) with 64-bit words;
linux/stat.h: struct statx; linux/dirent.h and fs/readdir.c: linux_dirent64 and the old
linux_dirent with d_type in its last byte; linux/time_types.h: the 16-byte timespec and
the sparc64 timeval {long tv_sec; int tv_usec} padded to 16), flag numbers (asm/fcntl.h,
the *at() flags of linux/fcntl.h), and the device number encoding (mknod's `new`
kernel encoding). Checks that the kernel makes before it touches the file system are
made here in the kernel's order (fs/utimes.c, fs/pipe.c, fs/file.c dup3, fs/open.c
faccessat, fs/read_write.c sendfile and copy_file_range), so that bad arguments give the
same errno as on a sparc64 kernel.

access/faccessat/faccessat2 check with the process's real ids unless AT_EACCESS asks for
the effective ones, as Linux does: the host check runs with the host's file-system ids
set to the guest's real ids for the duration of the call (sys_creds.Credentials).
"""
import ctypes
import errno as host_errno
import fcntl
import os
import platform
import struct
import termios

from ..cmt.memory import MemFault
from .sys_poll import POLLIN
from .sysbase import (
    AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, EBADF, EFAULT, EINVAL, ENOSYS,
    ENAMETOOLONG, ENOTTY, ERANGE, ESPIPE, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL,
    F_SETFD, F_SETFL, MASK64, NOFILE_CUR, O_CLOEXEC_GUEST, TCGETS, TIOCGWINSZ, GuestError,
    _s32, _s64, guest_open_flags, host_call, host_dirfd, host_open_flags, libc_fn)

c_int, c_uint, c_long, c_char_p, c_void_p = (ctypes.c_int, ctypes.c_uint, ctypes.c_long,
                                             ctypes.c_char_p, ctypes.c_void_p)
_U32 = 0xFFFFFFFF

# sparc64 flag values (asm/fcntl.h) that the handlers below test
O_NONBLOCK_GUEST, O_DIRECT_GUEST, O_EXCL_GUEST = 0x4000, 0x100000, 0x800
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
MAX_RW_COUNT = 0x7FFFF000           # the most one read/write/sendfile moves (fs/read_write.c)
STATFS64_SIZE = 120                 # sizeof(struct statfs64) on sparc64
STATX_SIZE = 256

# host system-call numbers for getdents64 (the generic table's 61 on the newer ports)
_SYS_GETDENTS64 = {"x86_64": 217, "aarch64": 61, "riscv64": 61, "loongarch64": 61,
                   "ppc64le": 202, "ppc64": 202, "s390x": 220}.get(platform.machine())
_SYS_FACCESSAT2 = 439               # the same number on every architecture (since 5.8)

_syscall = libc_fn("syscall", c_long)      # variadic: pass ctypes values
_utimensat = libc_fn("utimensat", c_int, c_int, c_char_p, c_void_p, c_int)
_futimens = libc_fn("futimens", c_int, c_int, c_void_p)
_faccessat = libc_fn("faccessat", c_int, c_int, c_char_p, c_int, c_int)
_linkat = libc_fn("linkat", c_int, c_int, c_char_p, c_int, c_char_p, c_int)
_fchownat = libc_fn("fchownat", c_int, c_int, c_char_p, c_uint, c_uint, c_int)
_fchown = libc_fn("fchown", c_int, c_int, c_uint, c_uint)
_renameat2 = libc_fn("renameat2", c_int, c_int, c_char_p, c_int, c_char_p, c_uint)
_statfs = libc_fn("statfs", c_int, c_char_p, c_void_p)
_fstatfs = libc_fn("fstatfs", c_int, c_int, c_void_p)
_fallocate = libc_fn("fallocate", c_int, c_int, c_int, ctypes.c_int64, ctypes.c_int64)
_readahead = libc_fn("readahead", ctypes.c_ssize_t, c_int, ctypes.c_int64, ctypes.c_size_t)
_syncfs = libc_fn("syncfs", c_int, c_int)
try:
    _statx = libc_fn("statx", c_int, c_int, c_char_p, c_int, c_uint, c_void_p)
except AttributeError:              # a C library older than glibc 2.28
    _statx = None

# struct statfs / statfs64 of a 64-bit kernel: 7 words, fsid (2 ints), 3 words, 4 spare
_STATFS = "qqQQQQQ2iqqq4q"
# struct statx (linux/stat.h) field by field up to the spare words: the byte swap
_STATX = "IIQIIIHHQQQQ" + "qIi" * 4 + "IIIIQII" + "QIIIIII" + "8Q"


def pack_stat64(st):
    """struct stat64 of the sparc64 kernel (fstatat64, fstat64, stat64, lstat64): 144 B."""
    def ns(t):
        return int(t) & MASK64
    fields = [
        (st.st_dev, 8), (st.st_ino, 8), (st.st_nlink, 8),
        (st.st_mode, 4), (st.st_uid, 4), (st.st_gid, 4), (0, 4),
        (st.st_rdev, 8), (st.st_size, 8), (st.st_blksize, 8), (st.st_blocks, 8),
        (ns(st.st_atime), 8), (st.st_atime_ns % 1_000_000_000, 8),
        (ns(st.st_mtime), 8), (st.st_mtime_ns % 1_000_000_000, 8),
        (ns(st.st_ctime), 8), (st.st_ctime_ns % 1_000_000_000, 8),
        (0, 8), (0, 8), (0, 8)]
    return b"".join((v & ((1 << (8 * n)) - 1)).to_bytes(n, "big") for v, n in fields)


def pack_stat(st):
    """The sparc64 kernel's plain struct stat (fstat, stat, lstat): 104 B."""
    fields = [
        (st.st_dev, 4), (0, 4), (st.st_ino, 8), (st.st_mode, 4), (st.st_nlink, 2), (0, 2),
        (st.st_uid, 4), (st.st_gid, 4), (st.st_rdev, 4), (0, 4), (st.st_size, 8),
        (int(st.st_atime), 8), (int(st.st_mtime), 8), (int(st.st_ctime), 8),
        (st.st_blksize, 8), (st.st_blocks, 8), (0, 8), (0, 8)]
    return b"".join((v & ((1 << (8 * n)) - 1)).to_bytes(n, "big") for v, n in fields)


class FdTable:
    """Guest file descriptors → host file descriptors. 0, 1, 2 are the host's own; others
    are allocated lowest-free as Linux does, so fd numbers agree with qemu's."""

    def __init__(self):
        self.host = {0: 0, 1: 1, 2: 2}
        self.cloexec = set()
        self.owned = set()          # host fds we opened (closed on close)
        self.max_fds = 64           # the kernel's fd table size (select clamps nfds to it)

    def install(self, fd, hfd, cloexec=False):
        """Guest fd `fd` (free) now stands for host fd `hfd`."""
        self.host[fd] = hfd
        self.owned.add(hfd)
        if cloexec:
            self.cloexec.add(fd)
        else:
            self.cloexec.discard(fd)
        # fs/file.c expand_fdtable: 64 (NR_OPEN_DEFAULT) slots, then 128 << k (64-bit)
        while fd >= self.max_fds:
            self.max_fds = 128 if self.max_fds < 128 else self.max_fds * 2

    def get(self, fd):
        h = self.host.get(fd)
        if h is None:
            raise GuestError(EBADF)
        return h

    def lowest_free(self, start=0):
        fd = start
        while fd in self.host:
            fd += 1
        return fd

    def add(self, hfd, start=0, cloexec=False):
        fd = self.lowest_free(start)
        self.install(fd, hfd, cloexec)
        return fd

    def fork_copy(self):
        """The table a fork gives the child when the host process itself does not fork
        (a logical domain's processes, sun4v/boot/progproxy.py): each host descriptor
        dup'ed once (guest fds that shared one still share its copy), so that the child
        and the parent share the open files, offsets and pipe ends as after fork(2),
        and each closes its own. The copy owns all of them."""
        t = FdTable()
        dups = {}
        t.host = {}
        for fd, h in self.host.items():
            if h not in dups:
                dups[h] = os.dup(h)
            t.host[fd] = dups[h]
        t.cloexec = set(self.cloexec)
        t.owned = set(dups.values())
        t.max_fds = self.max_fds
        return t

    def close(self, fd):
        h = self.get(fd)
        del self.host[fd]
        self.cloexec.discard(fd)
        if h in self.owned and h not in self.host.values():
            self.owned.discard(h)
            os.close(h)
        # closing the guest's 0/1/2 leaves the host's open (the simulator still needs them)


class FileCalls:
    """The file system calls (mixin of syscalls.Syscalls: uses self.fds, self.mem,
    self.path, self.dirfd, self.check_range, self.signals, self.creds, and
    self.when_ready of sys_poll for a read that would block)."""

    # ---- reading and writing, opening, stat ------------------------------------------------
    def sys_read(self, fd, buf, count, *_):
        h = self.fds.get(_s32(fd))
        count = min(count, 1 << 24)
        self.check_range(buf, count, write=True)

        def read():
            data = os.read(h, count)
            self.mem.write(buf, data)
            return len(data)
        # nothing to read yet (a pipe, a terminal): the thread waits (sys_poll.when_ready)
        return self.when_ready(h, POLLIN, read) if count else read()

    def sys_pread64(self, fd, buf, count, offset, *_):
        h = self.fds.get(_s32(fd))
        count = min(count, 1 << 24)
        self.check_range(buf, count, write=True)
        data = os.pread(h, count, offset)
        self.mem.write(buf, data)
        return len(data)

    def sys_write(self, fd, buf, count, *_):
        h = self.fds.get(_s32(fd))
        self.check_range(buf, count)
        data = self.mem.read(buf, count)
        return self._write_all(h, data)

    def _write_all(self, h, data):
        done = 0
        while done < len(data):
            try:
                n = os.write(h, data[done:])
            except OSError as e:
                if e.errno == host_errno.EPIPE and self.signals is not None:
                    self.signals.send(13)          # SIGPIPE, as the kernel sends it
                if done:
                    return done
                raise
            if n <= 0:
                break
            done += n
        return done

    def sys_pwrite64(self, fd, buf, count, offset, *_):
        h = self.fds.get(_s32(fd))
        return os.pwrite(h, self.mem.read(buf, count), offset)

    def iovecs(self, iov, cnt):
        if cnt > 1024:
            raise GuestError(EINVAL)
        out = []
        for i in range(cnt):
            base = self.mem.read_u64(iov + 16 * i)
            ln = self.mem.read_u64(iov + 16 * i + 8)
            out.append((base, ln))
        return out

    def sys_writev(self, fd, iov, cnt, *_):
        h = self.fds.get(_s32(fd))
        data = b"".join(self.mem.read(b, n) for b, n in self.iovecs(iov, cnt))
        return self._write_all(h, data)

    def sys_readv(self, fd, iov, cnt, *_):
        h = self.fds.get(_s32(fd))
        vecs = self.iovecs(iov, cnt)

        def read():
            total = 0
            for b, n in vecs:
                self.check_range(b, n, write=True)
                data = os.read(h, n)
                self.mem.write(b, data)
                total += len(data)
                if len(data) < n:
                    break
            return total
        return self.when_ready(h, POLLIN, read) if any(n for _b, n in vecs) else read()

    def sys_preadv(self, fd, iov, cnt, pos, *_):
        """preadv (Linux fs/read_write.c): the iovecs filled from byte `pos` (the
        64-bit kernel takes pos_l whole) until a short read; EINVAL for pos < 0."""
        h = self.fds.get(_s32(fd))
        vecs = self.iovecs(iov, cnt)
        if pos & (1 << 63):
            raise GuestError(EINVAL)
        total = 0
        for b, n in vecs:
            self.check_range(b, n, write=True)
            data = os.pread(h, min(n, 1 << 24), pos + total)
            self.mem.write(b, data)
            total += len(data)
            if len(data) < n:
                break
        return total

    def sys_pwritev(self, fd, iov, cnt, pos, *_):
        """pwritev: the iovecs written at byte `pos` one after the other."""
        h = self.fds.get(_s32(fd))
        vecs = self.iovecs(iov, cnt)
        if pos & (1 << 63):
            raise GuestError(EINVAL)
        return os.pwrite(h, b"".join(self.mem.read(b, n) for b, n in vecs), pos)

    def sys_openat(self, dirfd, path, flags, mode, *_):
        p = self.path(path)
        dfd = self.dirfd(dirfd)
        h = os.open(p, host_open_flags(flags) | os.O_CLOEXEC, mode & 0o7777, dir_fd=dfd)
        return self.fds.add(h, cloexec=bool(flags & O_CLOEXEC_GUEST))

    def sys_open(self, path, flags, mode, *_):
        return self.sys_openat(AT_FDCWD & MASK64, path, flags, mode)

    def sys_creat(self, path, mode, *_):
        return self.sys_open(path, 0x1 | 0x200 | 0x400, mode)

    def sys_close(self, fd, *_):
        self.fds.close(_s32(fd))
        return 0

    def sys_lseek(self, fd, offset, whence, *_):
        h = self.fds.get(_s32(fd))
        try:
            return os.lseek(h, _s64(offset), whence)
        except OSError as e:
            if e.errno == host_errno.ESPIPE:
                return -ESPIPE
            raise

    def sys__llseek(self, fd, high, low, result, whence, *_):
        """fs/read_write.c llseek (what glibc's lseek uses on sparc64): the offset is
        high << 32 | low, the new position is stored at `result`."""
        h = self.fds.get(_s32(fd))
        whence &= _U32
        if whence > 4:                      # SEEK_MAX (SEEK_HOLE)
            return -EINVAL
        try:
            pos = os.lseek(h, _s64((high << 32) | low), whence)
        except OSError as e:
            if e.errno == host_errno.ESPIPE:
                return -ESPIPE
            raise
        self.check_range(result, 8, write=True)
        self.mem.write_u64(result, pos)
        return 0

    def _stat(self, dirfd, path, flags):
        if flags & AT_EMPTY_PATH and (path == 0 or self.mem.read_cstr(path, 2) == b""):
            return os.fstat(self.fds.get(_s32(dirfd)))
        p = self.path(path)
        return os.stat(p, dir_fd=self.dirfd(dirfd),
                       follow_symlinks=not flags & AT_SYMLINK_NOFOLLOW)

    def sys_fstatat64(self, dirfd, path, buf, flags, *_):
        st = self._stat(dirfd, path, flags)
        self.mem.write(buf, pack_stat64(st))
        return 0

    def sys_fstat64(self, fd, buf, *_):
        self.mem.write(buf, pack_stat64(os.fstat(self.fds.get(_s32(fd)))))
        return 0

    def sys_stat64(self, path, buf, *_):
        return self.sys_fstatat64(AT_FDCWD & MASK64, path, buf, 0)

    def sys_lstat64(self, path, buf, *_):
        return self.sys_fstatat64(AT_FDCWD & MASK64, path, buf, AT_SYMLINK_NOFOLLOW)

    def sys_fstat(self, fd, buf, *_):
        self.mem.write(buf, pack_stat(os.fstat(self.fds.get(_s32(fd)))))
        return 0

    def sys_stat(self, path, buf, *_):
        self.mem.write(buf, pack_stat(os.stat(self.path(path))))
        return 0

    def sys_lstat(self, path, buf, *_):
        self.mem.write(buf, pack_stat(os.lstat(self.path(path))))
        return 0

    def sys_ioctl(self, fd, req, arg, *_):
        h = self.fds.get(_s32(fd))
        req &= 0xFFFFFFFF
        if req == TCGETS:
            try:
                iflag, oflag, cflag, lflag, _isp, _osp, cc = termios.tcgetattr(h)
            except termios.error:
                return -ENOTTY
            ccb = bytes((c[0] if isinstance(c, bytes) else c) & 0xFF for c in cc[:17])
            self.mem.write(arg, iflag.to_bytes(4, "big") + oflag.to_bytes(4, "big")
                           + cflag.to_bytes(4, "big") + lflag.to_bytes(4, "big")
                           + b"\0" + ccb.ljust(17, b"\0") + bytes(2))
            return 0
        if req == TIOCGWINSZ:
            try:
                sz = os.get_terminal_size(h)
            except OSError:
                return -ENOTTY
            self.mem.write(arg, sz.lines.to_bytes(2, "big") + sz.columns.to_bytes(2, "big")
                           + bytes(4))
            return 0
        return -ENOTTY

    def sys_fcntl(self, fd, cmd, arg, *_):
        fd = _s32(fd)
        h = self.fds.get(fd)
        if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
            nh = os.dup(h)
            return self.fds.add(nh, start=arg, cloexec=cmd == F_DUPFD_CLOEXEC)
        if cmd == F_GETFD:
            return 1 if fd in self.fds.cloexec else 0
        if cmd == F_SETFD:
            if arg & 1:
                self.fds.cloexec.add(fd)
            else:
                self.fds.cloexec.discard(fd)
            return 0
        if cmd == F_GETFL:
            return guest_open_flags(fcntl.fcntl(h, fcntl.F_GETFL))
        if cmd == F_SETFL:
            fcntl.fcntl(h, fcntl.F_SETFL, host_open_flags(arg) & (os.O_APPEND | os.O_NONBLOCK))
            return 0
        return -EINVAL

    def sys_dup(self, fd, *_):
        return self.fds.add(os.dup(self.fds.get(_s32(fd))))

    def sys_dup2(self, old, new, *_):
        if _s32(old) == _s32(new):
            self.fds.get(_s32(old))
            return _s32(new)
        return self.sys_dup3(old, new, 0)

    def sys_pipe(self, *_):
        # sparc returns the two descriptors in %o0 and %o1
        r, w = os.pipe2(os.O_CLOEXEC)
        a = self.fds.add(r)
        b = self.fds.add(w)
        self.set_reg(9, b)
        return a

    def sys_getcwd(self, buf, size, *_):
        cwd = os.getcwdb() + b"\0"
        if len(cwd) > size:
            return -ERANGE
        self.mem.write(buf, cwd)
        return len(cwd)

    def sys_readlinkat(self, dirfd, path, buf, size, *_):
        raw = self.mem.read_cstr(path, 4097)
        if raw == b"/proc/self/exe":
            target = os.fsencode(self.exe_path)
        else:
            target = os.readlink(raw, dir_fd=self.dirfd(dirfd))
        target = target[:size]
        self.mem.write(buf, target)
        return len(target)

    def sys_readlink(self, path, buf, size, *_):
        return self.sys_readlinkat(AT_FDCWD & MASK64, path, buf, size)

    def sys_unlinkat(self, dirfd, path, flags, *_):
        p = self.path(path)
        if flags & 0x200:
            os.rmdir(p, dir_fd=self.dirfd(dirfd))
        else:
            os.unlink(p, dir_fd=self.dirfd(dirfd))
        return 0

    def sys_unlink(self, path, *_):
        return self.sys_unlinkat(AT_FDCWD & MASK64, path, 0)

    def sys_mkdirat(self, dirfd, path, mode, *_):
        os.mkdir(self.path(path), mode, dir_fd=self.dirfd(dirfd))
        return 0

    def sys_mkdir(self, path, mode, *_):
        return self.sys_mkdirat(AT_FDCWD & MASK64, path, mode)

    def sys_renameat(self, od, op, nd, np_, *_):
        os.rename(self.path(op), self.path(np_), src_dir_fd=self.dirfd(od),
                  dst_dir_fd=self.dirfd(nd))
        return 0

    def sys_rename(self, op, np_, *_):
        return self.sys_renameat(AT_FDCWD & MASK64, op, AT_FDCWD & MASK64, np_)

    def sys_umask(self, mask, *_):
        return os.umask(mask & 0o777)

    def sys_chdir(self, path, *_):
        os.chdir(self.path(path))
        return 0

    # ---- descriptors ------------------------------------------------------------------------
    def sys_dup3(self, old, new, flags, *_):
        """fs/file.c ksys_dup3: flags other than O_CLOEXEC, and old == new, are EINVAL;
        a new fd outside RLIMIT_NOFILE is EBADF; then the old fd must be open."""
        old, new = _s32(old), new & _U32
        if flags & _U32 & ~O_CLOEXEC_GUEST:
            return -EINVAL
        if old == new:
            return -EINVAL
        if new >= NOFILE_CUR:
            return -EBADF
        h = self.fds.get(old)
        nh = os.dup(h)
        if new in self.fds.host:
            self.fds.close(new)
        self.fds.install(new, nh, cloexec=bool(flags & O_CLOEXEC_GUEST))
        return new

    def sys_pipe2(self, fds, flags, *_):
        """fs/pipe.c do_pipe2: flags beyond O_CLOEXEC, O_NONBLOCK, O_DIRECT (packet mode)
        and O_NOTIFICATION_PIPE (= O_EXCL) are EINVAL; when the fd pair cannot be stored
        both ends are closed again and the call fails with EFAULT."""
        flags &= _U32
        if flags & ~(O_CLOEXEC_GUEST | O_NONBLOCK_GUEST | O_DIRECT_GUEST | O_EXCL_GUEST):
            return -EINVAL
        hflags = os.O_CLOEXEC
        if flags & O_NONBLOCK_GUEST:
            hflags |= os.O_NONBLOCK
        if flags & O_DIRECT_GUEST:
            hflags |= os.O_DIRECT
        if flags & O_EXCL_GUEST:
            hflags |= os.O_EXCL
        try:
            self.check_range(fds, 8, write=True)
        except GuestError:
            return -EFAULT
        r, w = os.pipe2(hflags)
        cl = bool(flags & O_CLOEXEC_GUEST)
        a = self.fds.add(r, cloexec=cl)
        b = self.fds.add(w, cloexec=cl)
        self.mem.write(fds, a.to_bytes(4, "big") + b.to_bytes(4, "big"))
        return 0

    # ---- access checks ------------------------------------------------------------------------
    def sys_faccessat2(self, dirfd, path, mode, flags, *_):
        """fs/open.c do_faccessat: the real uid/gid unless AT_EACCESS (then the effective
        ones, i.e. the file-system ids). The host kernel checks mode and flags."""
        flags = _s32(flags)
        if flags & AT_EMPTY_PATH and (path == 0 or self._cstr(path, 2) == b""):
            p = b""
        else:
            p = self.path(path)
        d = host_dirfd(self.dirfd(dirfd))
        mode = _s32(mode)
        if flags & AT_EACCESS:
            return self._host_access(d, p, mode, flags)
        with self.creds.checking_as_real():
            return self._host_access(d, p, mode, flags | AT_EACCESS)

    @staticmethod
    def _host_access(d, p, mode, flags):
        """The host's faccessat2; a host kernel older than 5.8 has none: its faccessat
        through the C library then (which cannot check an empty path)."""
        try:
            return host_call(_syscall, c_long(_SYS_FACCESSAT2), c_long(d), c_char_p(p),
                             c_long(mode), c_long(flags))
        except OSError as e:
            if e.errno != host_errno.ENOSYS or flags & AT_EMPTY_PATH:
                raise
        return host_call(_faccessat, d, p, mode, flags)

    def sys_faccessat(self, dirfd, path, mode, *_):
        return self.sys_faccessat2(dirfd, path, mode, 0)

    def sys_access(self, path, mode, *_):
        return self.sys_faccessat2(AT_FDCWD & MASK64, path, mode, 0)

    # ---- metadata: mode, owner, times -----------------------------------------------------------
    def _cstr(self, addr, limit=4097):
        """A string argument as the guest wrote it (no /proc/self/exe translation)."""
        if addr == 0:
            raise GuestError(EFAULT)
        return self.mem.read_cstr(addr, limit)

    def sys_fchmodat(self, dirfd, path, mode, *_):
        os.chmod(self.path(path), mode & 0xFFFF, dir_fd=self.dirfd(dirfd))
        return 0

    def sys_chmod(self, path, mode, *_):
        return self.sys_fchmodat(AT_FDCWD & MASK64, path, mode)

    def sys_fchmod(self, fd, mode, *_):
        os.fchmod(self.fds.get(_s32(fd)), mode & 0xFFFF)
        return 0

    def sys_fchownat(self, dirfd, path, uid, gid, flags, *_):
        """Ids are 32-bit (-1: leave unchanged); the host checks the flags."""
        flags = _s32(flags)
        if flags & AT_EMPTY_PATH and (path == 0 or self._cstr(path, 2) == b""):
            p = b""
        else:
            p = self.path(path)
        host_call(_fchownat, host_dirfd(self.dirfd(dirfd)), p, uid & _U32, gid & _U32, flags)
        return 0

    def sys_chown(self, path, uid, gid, *_):
        return self.sys_fchownat(AT_FDCWD & MASK64, path, uid, gid, 0)

    def sys_lchown(self, path, uid, gid, *_):
        return self.sys_fchownat(AT_FDCWD & MASK64, path, uid, gid, AT_SYMLINK_NOFOLLOW)

    def sys_fchown(self, fd, uid, gid, *_):
        host_call(_fchown, self.fds.get(_s32(fd)), uid & _U32, gid & _U32)
        return 0

    def _utimes(self, dirfd, path, times, flags):
        """fs/utimes.c do_utimes: `times` None (now) or two (sec, nsec) pairs. A NULL path
        with a real dirfd changes the file of that fd (flags must then be 0)."""
        ts = None
        if times is not None:
            ts = (ctypes.c_long * 4)(times[0][0], times[0][1], times[1][0], times[1][1])
        dirfd = _s32(dirfd)
        if path == 0 and dirfd != AT_FDCWD:
            if flags:
                return -EINVAL
            host_call(_futimens, self.fds.get(dirfd), ts)
            return 0
        if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
            return -EINVAL
        if flags & AT_EMPTY_PATH and path != 0 and self._cstr(path, 2) == b"":
            if dirfd == AT_FDCWD:
                p, d = b".", AT_FDCWD
            else:
                host_call(_futimens, self.fds.get(dirfd), ts)
                return 0
        else:
            p, d = self.path(path), host_dirfd(self.dirfd(dirfd))
        host_call(_utimensat, d, p, ts, flags & AT_SYMLINK_NOFOLLOW)
        return 0

    def sys_utimensat(self, dirfd, path, tsp, flags, *_):
        """struct __kernel_timespec[2] {s64 tv_sec; long tv_nsec}; both UTIME_OMIT: done
        before the path is even looked at."""
        times = None
        if tsp:
            raw = self.mem.read(tsp, 32)
            times = [(_s64(int.from_bytes(raw[i:i + 8], "big")),
                      _s64(int.from_bytes(raw[i + 8:i + 16], "big"))) for i in (0, 16)]
            if times[0][1] == UTIME_OMIT and times[1][1] == UTIME_OMIT:
                return 0
        return self._utimes(dirfd, path, times, _s32(flags))

    def _timevals(self, tvp):
        """struct __kernel_old_timeval[2] of sparc64 {long tv_sec; int tv_usec; pad}: EINVAL
        for a tv_usec outside [0, 1000000) (do_futimesat)."""
        if not tvp:
            return None
        raw = self.mem.read(tvp, 32)
        out = []
        for i in (0, 16):
            sec = _s64(int.from_bytes(raw[i:i + 8], "big"))
            usec = _s32(int.from_bytes(raw[i + 8:i + 12], "big"))
            if not 0 <= usec < 1_000_000:
                raise GuestError(EINVAL)
            out.append((sec, usec * 1000))
        return out

    def sys_futimesat(self, dirfd, path, tvp, *_):
        return self._utimes(dirfd, path, self._timevals(tvp), 0)

    def sys_utimes(self, path, tvp, *_):
        return self._utimes(AT_FDCWD & MASK64, path, self._timevals(tvp), 0)

    def sys_utime(self, path, ubuf, *_):
        """struct utimbuf {long actime; long modtime}."""
        times = None
        if ubuf:
            raw = self.mem.read(ubuf, 16)
            times = [(_s64(int.from_bytes(raw[0:8], "big")), 0),
                     (_s64(int.from_bytes(raw[8:16], "big")), 0)]
        return self._utimes(AT_FDCWD & MASK64, path, times, 0)

    # ---- names: links, nodes, renames, directories ---------------------------------------------
    def sys_linkat(self, od, op, nd, np_, flags, *_):
        flags = _s32(flags)
        src = (b"" if flags & AT_EMPTY_PATH and op != 0 and self._cstr(op, 2) == b""
               else self.path(op))
        host_call(_linkat, host_dirfd(self.dirfd(od)), src, host_dirfd(self.dirfd(nd)),
                  self.path(np_), flags)
        return 0

    def sys_link(self, op, np_, *_):
        return self.sys_linkat(AT_FDCWD & MASK64, op, AT_FDCWD & MASK64, np_, 0)

    def sys_symlinkat(self, target, nd, linkpath, *_):
        t = self._cstr(target)
        if len(t) >= 4096:                  # getname: PATH_MAX with its NUL
            return -ENAMETOOLONG
        os.symlink(t, self.path(linkpath), dir_fd=self.dirfd(nd))
        return 0

    def sys_symlink(self, target, linkpath, *_):
        return self.sys_symlinkat(target, AT_FDCWD & MASK64, linkpath)

    def sys_mknodat(self, dirfd, path, mode, dev, *_):
        """mode is a umode_t (file type and permissions; type 0 is a regular file), dev the
        kernel's `new` encoding (fs/namei.c, include/linux/kdev_t.h)."""
        dev &= _U32
        major = (dev & 0xFFF00) >> 8
        minor = (dev & 0xFF) | ((dev >> 12) & 0xFFF00)
        os.mknod(self.path(path), mode & 0xFFFF, os.makedev(major, minor),
                 dir_fd=self.dirfd(dirfd))
        return 0

    def sys_mknod(self, path, mode, dev, *_):
        return self.sys_mknodat(AT_FDCWD & MASK64, path, mode, dev)

    def sys_renameat2(self, od, op, nd, np_, flags, *_):
        host_call(_renameat2, host_dirfd(self.dirfd(od)), self.path(op),
                  host_dirfd(self.dirfd(nd)), self.path(np_), flags & _U32)
        return 0

    def sys_rmdir(self, path, *_):
        os.rmdir(self.path(path))
        return 0

    def sys_fchdir(self, fd, *_):
        os.fchdir(self.fds.get(_s32(fd)))
        return 0

    def _host_dents(self, fd, buf, count):
        """Records of the host's getdents64 on the guest fd (at most `count` bytes), and the
        directory offset before the call (to go back when they cannot be stored)."""
        h = self.fds.get(_s32(fd))
        if _SYS_GETDENTS64 is None:
            raise GuestError(ENOSYS)
        n = min(count & _U32, 1 << 20)
        hbuf = ctypes.create_string_buffer(max(n, 1))
        try:
            pos = os.lseek(h, 0, os.SEEK_CUR)
        except OSError:
            pos = None
        got = host_call(_syscall, c_long(_SYS_GETDENTS64), c_long(h), hbuf, c_long(n))
        return h, pos, hbuf.raw[:got]

    def _store_dents(self, h, pos, buf, out):
        try:
            self.check_range(buf, len(out), write=True)
            self.mem.write(buf, bytes(out))
        except (GuestError, MemFault):
            if pos is not None:
                os.lseek(h, pos, os.SEEK_SET)
            return -EFAULT
        return len(out)

    def _dents(self, fd, buf, count, old):
        """getdents64 (struct linux_dirent64 {u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type;
        char d_name[]}) or the old getdents (struct linux_dirent {unsigned long d_ino,
        d_off; u16 d_reclen; char d_name[]; ...; u8 d_type at d_reclen - 1}). A record has
        the same length in both (ALIGN(20 + namelen, 8)), so the host's answer for the
        same count is the guest's. Bytes the kernel does not write (the padding after a
        name) keep the guest buffer's contents."""
        h, pos, raw = self._host_dents(fd, buf, count)
        if not raw:
            return 0
        try:
            out = bytearray(self.mem.read(buf, len(raw)))
        except MemFault:
            if pos is not None:
                os.lseek(h, pos, os.SEEK_SET)
            return -EFAULT
        i = 0
        while i < len(raw):
            ino, off, reclen, dtype = struct.unpack_from("=QqHB", raw, i)
            name = raw[i + 19:i + reclen].split(b"\0", 1)[0]
            hdr = struct.pack(">QqH", ino, off, reclen)
            if old:
                rec = hdr + name + b"\0"
                out[i:i + len(rec)] = rec
                out[i + reclen - 1] = dtype
            else:
                rec = hdr + bytes([dtype]) + name + b"\0"
                out[i:i + len(rec)] = rec
            i += reclen
        return self._store_dents(h, pos, buf, out)

    def sys_getdents64(self, fd, buf, count, *_):
        return self._dents(fd, buf, count, old=False)

    def sys_getdents(self, fd, buf, count, *_):
        return self._dents(fd, buf, count, old=True)

    # ---- size, space, synchronisation -------------------------------------------------------
    def sys_truncate(self, path, length, *_):
        os.truncate(self.path(path), _s64(length))
        return 0

    def sys_ftruncate(self, fd, length, *_):
        os.ftruncate(self.fds.get(_s32(fd)), _s64(length))
        return 0

    def sys_fallocate(self, fd, mode, offset, length, *_):
        host_call(_fallocate, self.fds.get(_s32(fd)), _s32(mode), _s64(offset), _s64(length))
        return 0

    def sys_fadvise64_64(self, fd, offset, length, advice, *_):
        os.posix_fadvise(self.fds.get(_s32(fd)), _s64(offset), _s64(length), _s32(advice))
        return 0

    def sys_fadvise64(self, fd, offset, length, advice, *_):
        return self.sys_fadvise64_64(fd, offset, length, advice)

    def sys_readahead(self, fd, offset, count, *_):
        host_call(_readahead, self.fds.get(_s32(fd)), _s64(offset), count)
        return 0

    def sys_fsync(self, fd, *_):
        os.fsync(self.fds.get(_s32(fd)))
        return 0

    def sys_fdatasync(self, fd, *_):
        os.fdatasync(self.fds.get(_s32(fd)))
        return 0

    def sys_syncfs(self, fd, *_):
        host_call(_syncfs, self.fds.get(_s32(fd)))
        return 0

    def sys_sync(self, *_):
        os.sync()
        return 0

    def sys_flock(self, fd, op, *_):
        fcntl.flock(self.fds.get(_s32(fd)), _s32(op))
        return 0

    # ---- file systems ---------------------------------------------------------------------------
    def _put_statfs(self, buf, raw):
        v = struct.unpack("=" + _STATFS, raw[:STATFS64_SIZE])
        self.check_range(buf, STATFS64_SIZE, write=True)
        self.mem.write(buf, struct.pack(">" + _STATFS, *v[:12], 0, 0, 0, 0))
        return 0

    def sys_statfs(self, path, buf, *_):
        raw = ctypes.create_string_buffer(STATFS64_SIZE + 64)
        host_call(_statfs, self.path(path), raw)
        return self._put_statfs(buf, raw.raw)

    def sys_fstatfs(self, fd, buf, *_):
        raw = ctypes.create_string_buffer(STATFS64_SIZE + 64)
        host_call(_fstatfs, self.fds.get(_s32(fd)), raw)
        return self._put_statfs(buf, raw.raw)

    def sys_statfs64(self, path, size, buf, *_):
        if size != STATFS64_SIZE:
            return -EINVAL
        return self.sys_statfs(path, buf)

    def sys_fstatfs64(self, fd, size, buf, *_):
        if size != STATFS64_SIZE:
            return -EINVAL
        return self.sys_fstatfs(fd, buf)

    def sys_statx(self, dirfd, path, flags, mask, buf, *_):
        """struct statx (linux/stat.h): the host's, byte-swapped field by field; the host
        kernel checks flags and mask."""
        if _statx is None:
            return -ENOSYS
        flags = _s32(flags)
        if path == 0:
            p = None
        elif flags & AT_EMPTY_PATH and self._cstr(path, 2) == b"":
            p = b""
        else:
            p = self.path(path)
        raw = ctypes.create_string_buffer(STATX_SIZE)
        host_call(_statx, host_dirfd(self.dirfd(dirfd)), p, flags, mask & _U32, raw)
        self.check_range(buf, STATX_SIZE, write=True)
        self.mem.write(buf, struct.pack(">" + _STATX, *struct.unpack("=" + _STATX, raw.raw)))
        return 0

    # ---- copies between files -------------------------------------------------------------------
    def _get_off(self, addr):
        return _s64(self.mem.read_u64(addr)) if addr else None

    def sys_sendfile64(self, out_fd, in_fd, offp, count, *_):
        """fs/read_write.c: from `*offp` (then stored back advanced, the file position
        untouched) or from the file position; at most MAX_RW_COUNT bytes."""
        ho = self.fds.get(_s32(out_fd))
        hi = self.fds.get(_s32(in_fd))
        off = self._get_off(offp)
        if off is not None and off < 0:
            return -EINVAL
        try:
            n = os.sendfile(ho, hi, off, min(count, MAX_RW_COUNT))
        except OSError as e:
            if e.errno == host_errno.EPIPE and self.signals is not None:
                self.signals.send(13)           # SIGPIPE, as a pipe write sends it
            raise
        if offp:
            self.mem.write_u64(offp, off + n)
        return n

    def sys_sendfile(self, out_fd, in_fd, offp, count, *_):
        return self.sys_sendfile64(out_fd, in_fd, offp, count)

    def sys_copy_file_range(self, fd_in, offp_in, fd_out, offp_out, length, flags):
        hi = self.fds.get(_s32(fd_in))
        ho = self.fds.get(_s32(fd_out))
        off_in, off_out = self._get_off(offp_in), self._get_off(offp_out)
        if flags & _U32:
            return -EINVAL
        n = os.copy_file_range(hi, ho, min(length, MAX_RW_COUNT), off_in, off_out)
        if n > 0:
            if offp_in:
                self.mem.write_u64(offp_in, off_in + n)
            if offp_out:
                self.mem.write_u64(offp_out, off_out + n)
        return n
