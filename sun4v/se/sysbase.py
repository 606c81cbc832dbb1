"""What the system-call modules share: the sparc64 ABI constants they use (errno numbers
in the SunOS numbering of asm/errno.h, open flags of asm/fcntl.h, *at() flags of
linux/fcntl.h), the guest/host conversions, the exceptions a handler raises, and the
host C library for the calls Python's os module does not offer (utimensat, renameat2,
statx, statfs, fallocate, getdents64, setfsuid: what qemu-user passes to the host).
"""
import ctypes
import errno as host_errno
import os

from ..cmt import state as S
from .linux_abi import ERRNO

MASK64 = (1 << 64) - 1
CARRY = S.CC_C | (S.CC_C << 4)

# errno values in the guest's numbering
EPERM, ENOENT, ESRCH, EINTR, EIO, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT = (
    1, 2, 3, 4, 5, 9, 11, 12, 13, 14)
EEXIST, ENOTDIR, EISDIR, EINVAL, EMFILE, ENOTTY, ESPIPE, ERANGE = 17, 20, 21, 22, 24, 25, 29, 34
ENOSYS = ERRNO["ENOSYS"]
ENAMETOOLONG = ERRNO["ENAMETOOLONG"]
_HOST_TO_GUEST_ERRNO = {getattr(host_errno, name): num for name, num in ERRNO.items()
                        if hasattr(host_errno, name)}

# sparc64 open flags (asm/fcntl.h) → host os.O_* flags
_OPEN_FLAGS = [
    (0x0008, os.O_APPEND), (0x0200, os.O_CREAT), (0x0400, os.O_TRUNC), (0x0800, os.O_EXCL),
    (0x2000, os.O_DSYNC), (0x4000, os.O_NONBLOCK), (0x8000, os.O_NOCTTY),
    (0x10000, os.O_DIRECTORY), (0x20000, os.O_NOFOLLOW), (0x400000, os.O_CLOEXEC),
    (0x200000, getattr(os, "O_NOATIME", 0)), (0x1000000, getattr(os, "O_PATH", 0)),
]
O_CLOEXEC_GUEST = 0x400000
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_EMPTY_PATH = 0x1000
MAP_FIXED, MAP_ANONYMOUS = 0x10, 0x20
PROT_READ, PROT_EXEC = 1, 4
READ_IMPLIES_EXEC = 0x0400000           # personality flag (uapi linux/personality.h)
MREMAP_MAYMOVE, MREMAP_FIXED = 1, 2
TCGETS, TIOCGWINSZ = 0x40245408, 0x40087468
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC = 0, 1, 2, 3, 4, 1030
FUTEX_WAIT, FUTEX_WAKE = 0, 1
RLIMIT_STACK, RLIMIT_NOFILE, RLIMIT_AS = 3, 6, 9      # sparc: NOFILE 6, NPROC 7
RLIM_INFINITY = MASK64
UNAME_MACHINE = b"sparc64"

# Values a handler returns instead of a result.
NO_RETURN = object()        # the handler set PC/NPC itself (rt_sigreturn) or the thread ended
# BLOCK (threads.py): the thread sleeps in a futex; its result is written when it wakes

# Simulated time in cycle mode (chosen, deterministic): the realtime clock starts at this
# epoch, 2000-01-01T00:00:00Z, when the chip's cycle counter is 0; the monotonic and CPU
# clocks start at 0. Time advances with the simulated cycles at the chip's clock rate.
SIM_EPOCH_NS = 946_684_800 * 10**9


class SyscallExit(Exception):
    """The program called exit/exit_group."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class GuestError(Exception):
    """A syscall fails with this guest errno."""

    def __init__(self, err):
        super().__init__(err)
        self.err = err


def guest_errno(e):
    """Guest errno for a host OSError."""
    return _HOST_TO_GUEST_ERRNO.get(e.errno, EIO)


def host_open_flags(flags):
    out = flags & 3
    for g, h in _OPEN_FLAGS:
        if flags & g:
            out |= h
    return out


def guest_open_flags(hflags):
    out = hflags & 3
    for g, h in _OPEN_FLAGS:
        if h and hflags & h:
            out |= g
    return out


def _s64(x):
    x &= MASK64
    return x - (1 << 64) if x >> 63 else x


def _s32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >> 31 else x


# *at() flags (include/uapi/linux/fcntl.h; the same on sparc)
AT_REMOVEDIR = 0x200
AT_EACCESS = 0x200
AT_SYMLINK_FOLLOW = 0x400
NOFILE_CUR, NOFILE_MAX = 1024, 4096     # the RLIMIT_NOFILE this process model reports

_LIBC = ctypes.CDLL(None, use_errno=True)


def libc_fn(name, restype, *argtypes):
    """The host C library's function `name` with its prototype (ctypes)."""
    fn = getattr(_LIBC, name)
    fn.restype = restype
    if argtypes:
        fn.argtypes = argtypes
    return fn


def host_call(fn, *args):
    """Call a host C function that returns -1 and sets errno on failure: its result, or
    OSError(errno) (turned into the guest's errno by Syscalls.handle)."""
    r = fn(*args)
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def host_dirfd(d):
    """A host directory fd for the *at() C functions: Syscalls.dirfd's None is AT_FDCWD."""
    return AT_FDCWD if d is None else d
