"""Linux sparc64 system calls for syscall-emulation mode: the program's `ta 0x6d` traps
exit the engine and are carried out here on the host.

ABI (arch/sparc/kernel/syscalls.S, entry.S): number in %g1, arguments in %o0-%o5, result in
%o0; success clears the carry bits of icc and xcc, failure sets them and returns the
positive errno (SunOS numbering, linux_abi.ERRNO). The trap returns to TNPC. Structure
layouts from the sparc64 uapi headers (asm/stat.h, asm/signal.h, asm/termbits.h); the
process address space (brk, mmap placement) follows qemu-sparc64 7.2 so that addresses
agree with the oracle (see loader.py).
"""
import errno as host_errno
import os
import random
import sys
import time

from ..cmt import state as S
from ..cmt.memory import PAGE_SIZE, PERM_R, PERM_W, PERM_X, MemFault
from .linux_abi import ERRNO, SYSCALL_NAMES
from .sys_process import ProcessCalls
from .sys_signals import SignalCalls
from .sys_timers import TimerCalls
from .threads import BLOCK
from .waits import WaitCalls

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
        self.host[fd] = hfd
        self.owned.add(hfd)
        if cloexec:
            self.cloexec.add(fd)
        return fd

    def close(self, fd):
        h = self.get(fd)
        del self.host[fd]
        self.cloexec.discard(fd)
        if h in self.owned and h not in self.host.values():
            self.owned.discard(h)
            os.close(h)
        # closing the guest's 0/1/2 leaves the host's open (the simulator still needs them)


class Syscalls(ProcessCalls, SignalCalls, TimerCalls, WaitCalls):
    """The Linux process model behind the system calls of one program: address space
    bookkeeping (brk, mmap), file descriptors, identity and time; processes, signals and
    timers in the mixins (sys_process.py, sys_signals.py, sys_timers.py)."""

    def __init__(self, mem, St, prog, exe_path, signals=None, strand=0, seed=0x5104):
        self.mem = mem
        self.St = St
        self.s = strand
        self.exe_path = os.path.realpath(exe_path)
        self.brk_start = prog.brk
        self.brk_cur = prog.brk
        self.mmap_next = prog.mmap_base
        self.fds = FdTable()
        self.signals = signals
        self.rng = random.Random(seed)
        self.counts = {}
        self.warned = set()
        self.tid_address = 0
        self.pid = os.getpid()
        self.start_time = time.time()
        self.threads = None         # threads.ThreadGroup when the process may have threads
        self.clock_ns = None        # cycle mode: () -> simulated ns since the chip started
        self.sleep_ns = 0           # cycle mode: what the last nanosleep asked for
        self.process = None         # the Process running the program (fork, execve)
        self.orig_o0 = 0            # the last system call's first argument ...
        self.last_failed = False    # ... and whether it failed
        self.handlers = {}
        for n, name in SYSCALL_NAMES.items():
            h = getattr(self, "sys_" + name, None)
            if h is not None:
                self.handlers[n] = h

    # ---- register access ------------------------------------------------------------
    def reg(self, n):
        return self.St.get_reg(self.s, n)

    def set_reg(self, n, v):
        self.St.set_reg(self.s, n, v)

    def args(self):
        return [self.reg(8 + i) for i in range(6)]

    # ---- the entry point ------------------------------------------------------------
    def handle(self):
        """Carry out the syscall the strand trapped on (PC at the `ta`). Completes the trap
        (PC = NPC, result and carry) unless the call ends the process or replaces the
        register state (rt_sigreturn). May raise SyscallExit."""
        C = self.St.C
        s = self.s
        num = self.reg(1)
        name = SYSCALL_NAMES.get(num, f"syscall_{num}")
        self.counts[name] = self.counts.get(name, 0) + 1
        # the trap instruction retires; Linux returns to TNPC
        npc = int(C[s, S.NPC])
        C[s, S.PC] = npc
        C[s, S.NPC] = (npc + 4) & MASK64
        C[s, S.INSNS] += 1
        args = self.args()
        self.orig_o0 = args[0]
        self.last_failed = False
        h = self.handlers.get(num)
        if h is None:
            if num not in self.warned:
                self.warned.add(num)
                os.write(2, f"sun4v: unimplemented syscall {num} ({name})\n".encode())
            result = -ENOSYS
        else:
            try:
                result = h(*args)
            except GuestError as e:
                result = -e.err
            except MemFault:
                result = -EFAULT
            except OSError as e:
                result = -guest_errno(e)
        if result is NO_RETURN or result is BLOCK:
            return
        ccr = int(C[s, S.CCR])
        if result < 0:
            self.last_failed = True
            self.set_reg(8, -result)
            C[s, S.CCR] = ccr | CARRY
        else:
            self.set_reg(8, result)
            C[s, S.CCR] = ccr & ~CARRY

    # ---- helpers ----------------------------------------------------------------------
    def path(self, addr):
        if addr == 0:
            raise GuestError(EFAULT)
        p = self.mem.read_cstr(addr, 4097)
        if len(p) > 4096:
            raise GuestError(ENAMETOOLONG)
        if p == b"/proc/self/exe":
            return os.fsencode(self.exe_path)
        return p

    def dirfd(self, fd):
        fd = _s32(fd)
        if fd == AT_FDCWD:
            return None
        return self.fds.get(fd)

    def check_range(self, addr, n, write=False):
        """EFAULT unless [addr, addr+n) is mapped (and writable when write)."""
        if n <= 0:
            return
        for pg in range(addr & ~(PAGE_SIZE - 1), addr + n, PAGE_SIZE):
            perm = self.mem.page_perm(pg)
            if perm < 0 or (write and not perm & PERM_W) or (not write and not perm & PERM_R):
                raise GuestError(EFAULT)

    def range_free(self, addr, length):
        return self.mem.mapped_pages(addr, length) == 0

    # ---- process and identity -----------------------------------------------------------
    def sys_exit(self, status, *_):
        if self.threads is None:
            raise SyscallExit(status & 0xFF)
        last = self.threads.exit_thread(self.s, status & 0xFF)
        if last is not None:
            raise SyscallExit(last)
        return NO_RETURN

    def sys_exit_group(self, status, *_):
        raise SyscallExit(status & 0xFF)

    def sys_getpid(self, *_):
        return self.pid

    def sys_gettid(self, *_):
        return self.pid if self.threads is None else self.threads.tid_of(self.s)

    def sys_getppid(self, *_):
        return os.getppid()

    def sys_getuid(self, *_):
        return os.getuid()

    def sys_geteuid(self, *_):
        return os.geteuid()

    def sys_getgid(self, *_):
        return os.getgid()

    def sys_getegid(self, *_):
        return os.getegid()

    def sys_set_tid_address(self, addr, *_):
        self.tid_address = addr
        if self.threads is None:
            return self.pid
        t = self.threads.threads[self.s]
        t.clear_tid = addr
        return t.tid

    def sys_set_robust_list(self, head, length, *_):
        if self.threads is None:
            return -ENOSYS      # a kernel without threads, as qemu-sparc64 7.2 answers
        if length != 24:        # sizeof(struct robust_list_head)
            return -EINVAL
        self.threads.threads[self.s].robust_list = head
        return 0

    def sys_rseq(self, *_):
        return -ENOSYS          # as qemu-sparc64 7.2

    def sys_uname(self, buf, *_):
        u = os.uname()
        fields = [b"Linux", os.fsencode(u.nodename), os.fsencode(u.release),
                  os.fsencode(u.version), UNAME_MACHINE, b"(none)"]
        self.check_range(buf, 65 * 6, write=True)
        self.mem.write(buf, b"".join(f[:64].ljust(65, b"\0") for f in fields))
        return 0

    def sys_prlimit64(self, pid, resource, new, old, *_):
        if pid not in (0, self.pid):
            return -ESRCH
        if old:
            if resource == RLIMIT_STACK:
                import resource as R
                cur, mx = R.getrlimit(R.RLIMIT_STACK)
            elif resource == RLIMIT_NOFILE:
                cur, mx = 1024, 4096
            else:
                cur, mx = -1, -1
            cur = RLIM_INFINITY if cur < 0 else cur
            mx = RLIM_INFINITY if mx < 0 else mx
            self.mem.write(old, cur.to_bytes(8, "big") + mx.to_bytes(8, "big"))
        return 0

    def sys_getrlimit(self, resource, old, *_):
        return self.sys_prlimit64(0, resource, 0, old)

    def sys_setrlimit(self, *_):
        return 0

    def sys_sched_getaffinity(self, pid, size, mask, *_):
        if size < 8:
            return -EINVAL
        # the host's CPUs, as qemu passes them; a cpumask is an array of big-endian longs
        bits = 0
        for cpu in os.sched_getaffinity(0):
            bits |= 1 << cpu
        n = max(8, ((bits.bit_length() + 63) // 64) * 8)
        if size < n:
            return -EINVAL
        words = [(bits >> (64 * i)) & MASK64 for i in range(n // 8)]
        self.mem.write(mask, b"".join(w.to_bytes(8, "big") for w in words))
        return n

    def sys_sysinfo(self, buf, *_):
        """struct sysinfo (same field layout on both 64-bit ABIs, big-endian here): the
        host's figures, as qemu passes them."""
        import ctypes
        raw = ctypes.create_string_buffer(112)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.sysinfo(raw) != 0:
            return -EIO
        r = raw.raw
        le = sys.byteorder
        words = [int.from_bytes(r[8 * i:8 * i + 8], le) for i in range(10)]
        procs = int.from_bytes(r[80:82], le)
        high = [int.from_bytes(r[88 + 8 * i:96 + 8 * i], le) for i in range(2)]
        unit = int.from_bytes(r[104:108], le)
        out = (b"".join(w.to_bytes(8, "big") for w in words) + procs.to_bytes(2, "big")
               + bytes(6) + b"".join(h.to_bytes(8, "big") for h in high)
               + unit.to_bytes(4, "big") + bytes(4))
        self.mem.write(buf, out)
        return 0

    def sys_sched_yield(self, *_):
        return 0

    def sys_futex(self, uaddr, op, val, timeout, uaddr2, val3):
        if self.threads is not None:
            return self.threads.futex(self.s, uaddr, op, val, timeout, uaddr2, val3)
        cmd = op & 0x7F
        if cmd == FUTEX_WAKE:
            return 0
        if cmd == FUTEX_WAIT:
            if self.mem.read_u32(uaddr) != val & 0xFFFFFFFF:
                return -EAGAIN
            # a single-threaded program would wait forever: report the deadlock
            return -ERRNO["EDEADLK"]
        return -ENOSYS

    def sys_madvise(self, *_):
        return 0

    def sys_getrusage(self, who, buf, *_):
        self.mem.write(buf, bytes(144))
        return 0

    # ---- time ---------------------------------------------------------------------------
    def now_ns(self):
        """Realtime in ns: the host's, or in cycle mode the simulated clock."""
        if self.clock_ns is not None:
            return SIM_EPOCH_NS + self.clock_ns()
        return time.time_ns()

    def sys_clock_gettime(self, clk, tp, *_):
        if self.clock_ns is not None:
            t = self.clock_ns() + (0 if clk in (1, 2, 3, 4, 6, 7) else SIM_EPOCH_NS)
        elif clk in (1, 4, 6, 7):          # MONOTONIC, MONOTONIC_RAW, _COARSE, BOOTTIME
            t = time.monotonic_ns()
        elif clk in (2, 3):                # PROCESS/THREAD_CPUTIME_ID
            t = time.process_time_ns()
        else:
            t = time.time_ns()
        self.mem.write(tp, (t // 10**9).to_bytes(8, "big") + (t % 10**9).to_bytes(8, "big"))
        return 0

    def sys_clock_getres(self, clk, tp, *_):
        if tp:
            self.mem.write(tp, (0).to_bytes(8, "big") + (1).to_bytes(8, "big"))
        return 0

    def sys_gettimeofday(self, tv, tz, *_):
        t = self.now_ns()
        if tv:
            # struct timeval on sparc64: tv_sec long, tv_usec int (+pad)
            self.mem.write(tv, (t // 10**9).to_bytes(8, "big")
                           + ((t % 10**9) // 1000).to_bytes(4, "big") + bytes(4))
        if tz:
            self.mem.write(tz, bytes(8))
        return 0

    def sys_times(self, buf, *_):
        if buf:
            self.mem.write(buf, bytes(32))
        if self.clock_ns is not None:
            return self.clock_ns() // 10**7 + 1
        return int((time.time() - self.start_time) * 100) + 1

    def sys_getrandom(self, buf, n, flags, *_):
        n = min(n, 1 << 25)
        self.check_range(buf, n, write=True)
        self.mem.write(buf, self.rng.randbytes(n))
        return n

    # ---- memory ---------------------------------------------------------------------------
    def sys_brk(self, addr, *_):
        if addr == 0 or addr < self.brk_start:
            return self.brk_cur
        old_top = (self.brk_cur + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        new_top = (addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        if new_top > old_top:
            if not self.range_free(old_top, new_top - old_top):
                return self.brk_cur
            self.mem.map(old_top, new_top - old_top, PERM_R | PERM_W)
        elif new_top < old_top:
            self.mem.unmap(new_top, old_top - new_top)
        self.brk_cur = addr
        return addr

    def find_free(self, length, hint=0):
        """qemu's placement: the hint if that range is free, else the first free range at
        or above the next-mmap cursor, which then moves past it."""
        if hint and hint % PAGE_SIZE == 0 and self.range_free(hint, length):
            return hint
        addr = self.mmap_next
        while True:
            end = self.mem.mapped_end(addr, length)
            if not end:
                break
            addr = end                  # every start below overlaps that page
        self.mmap_next = addr + length
        return addr

    @staticmethod
    def perm_of(prot):
        return ((PERM_R if prot & 1 else 0) | (PERM_W if prot & 2 else 0)
                | (PERM_X if prot & 4 else 0))

    def sys_mmap(self, addr, length, prot, flags, fd, offset):
        fd = _s32(fd)
        if length == 0 or addr % PAGE_SIZE or offset % PAGE_SIZE:
            return -EINVAL
        length = (length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        if length >= 1 << 44:
            return -ENOMEM
        data = b""
        if not flags & MAP_ANONYMOUS:
            hfd = self.fds.get(fd)
            data = os.pread(hfd, length, offset)
        if flags & MAP_FIXED:
            where = addr
            self.mem.unmap(where, length)
        else:
            where = self.find_free(length, addr)
        self.mem.map(where, length, self.perm_of(prot))
        if data:
            self.mem.write(where, data)
        return where

    def sys_munmap(self, addr, length, *_):
        if addr % PAGE_SIZE or length == 0:
            return -EINVAL
        self.mem.unmap(addr, (length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
        return 0

    def sys_mprotect(self, addr, length, prot, *_):
        if addr % PAGE_SIZE:
            return -EINVAL
        length = (length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        if not self.mem.protect(addr, length, self.perm_of(prot)):
            return -ENOMEM
        return 0

    def sys_mremap(self, old, old_len, new_len, flags, new_addr, *_):
        if old % PAGE_SIZE:
            return -EINVAL
        old_len = (old_len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        new_len = (new_len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        if new_len == 0:
            return -EINVAL
        perm = self.mem.page_perm(old)
        if perm < 0:
            return -EFAULT
        if new_len <= old_len:
            if new_len < old_len:
                self.mem.unmap(old + new_len, old_len - new_len)
            return old
        if self.range_free(old + old_len, new_len - old_len) and not flags & MREMAP_FIXED:
            self.mem.map(old + old_len, new_len - old_len, perm)
            return old
        if not flags & MREMAP_MAYMOVE:
            return -ENOMEM
        data = self.mem.read(old, old_len)
        if flags & MREMAP_FIXED:
            where = new_addr
            self.mem.unmap(where, new_len)
        else:
            where = self.find_free(new_len)
        self.mem.map(where, new_len, perm)
        self.mem.write(where, data)
        self.mem.unmap(old, old_len)
        return where

    # ---- files ----------------------------------------------------------------------------
    def sys_read(self, fd, buf, count, *_):
        h = self.fds.get(_s32(fd))
        count = min(count, 1 << 24)
        self.check_range(buf, count, write=True)
        data = os.read(h, count)
        self.mem.write(buf, data)
        return len(data)

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
        total = 0
        for b, n in self.iovecs(iov, cnt):
            self.check_range(b, n, write=True)
            data = os.read(h, n)
            self.mem.write(b, data)
            total += len(data)
            if len(data) < n:
                break
        return total

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

    def sys_statx(self, *_):
        return -ENOSYS          # glibc falls back to fstatat64

    def sys_ioctl(self, fd, req, arg, *_):
        h = self.fds.get(_s32(fd))
        req &= 0xFFFFFFFF
        if req == TCGETS:
            import termios
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
            import fcntl
            return guest_open_flags(fcntl.fcntl(h, fcntl.F_GETFL))
        if cmd == F_SETFL:
            import fcntl
            fcntl.fcntl(h, fcntl.F_SETFL, host_open_flags(arg) & (os.O_APPEND | os.O_NONBLOCK))
            return 0
        return -EINVAL

    def sys_dup(self, fd, *_):
        return self.fds.add(os.dup(self.fds.get(_s32(fd))))

    def sys_dup3(self, old, new, flags, *_):
        old, new = _s32(old), _s32(new)
        h = self.fds.get(old)
        if old == new:
            return -EINVAL if flags else new
        if new < 0 or new > 65535:
            return -EBADF
        if new in self.fds.host:
            self.fds.close(new)
        nh = os.dup(h)
        self.fds.host[new] = nh
        self.fds.owned.add(nh)
        if flags & O_CLOEXEC_GUEST:
            self.fds.cloexec.add(new)
        return new

    def sys_dup2(self, old, new, *_):
        if _s32(old) == _s32(new):
            self.fds.get(_s32(old))
            return _s32(new)
        return self.sys_dup3(old, new, 0)

    def sys_pipe2(self, fds, flags, *_):
        r, w = os.pipe2(os.O_CLOEXEC | (os.O_NONBLOCK if flags & 0x4000 else 0))
        cl = bool(flags & O_CLOEXEC_GUEST)
        a = self.fds.add(r, cloexec=cl)
        b = self.fds.add(w, cloexec=cl)
        self.mem.write(fds, a.to_bytes(4, "big") + b.to_bytes(4, "big"))
        return 0

    def sys_pipe(self, *_):
        # sparc returns the two descriptors in %o0 and %o1
        r, w = os.pipe2(os.O_CLOEXEC)
        a = self.fds.add(r)
        b = self.fds.add(w)
        self.set_reg(9, b)
        return a

    def sys_faccessat(self, dirfd, path, mode, *_):
        p = self.path(path)
        if not os.access(p, mode & 7, dir_fd=self.dirfd(dirfd)):
            if not os.path.lexists(os.path.join(b".", p)) and not os.path.exists(p):
                return -ENOENT
            return -EACCES
        return 0

    def sys_faccessat2(self, dirfd, path, mode, flags, *_):
        return self.sys_faccessat(dirfd, path, mode)

    def sys_access(self, path, mode, *_):
        return self.sys_faccessat(AT_FDCWD & MASK64, path, mode)

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

    def sys_ftruncate(self, fd, length, *_):
        os.ftruncate(self.fds.get(_s32(fd)), length)
        return 0

    def sys_fsync(self, fd, *_):
        self.fds.get(_s32(fd))
        return 0

    def sys_umask(self, mask, *_):
        return os.umask(mask & 0o777)

    def sys_chdir(self, path, *_):
        os.chdir(self.path(path))
        return 0

    def sys_getdents64(self, fd, buf, count, *_):
        return -ENOSYS

    # ---- signals (the state lives in signals.Signals) ----------------------------------------
    def sys_rt_sigaction(self, sig, act, oact, restorer, sigsetsize, *_):
        return self.signals.sigaction(sig, act, oact, restorer, sigsetsize)

    def sys_rt_sigprocmask(self, how, nset, oset, sigsetsize, *_):
        return self.signals.sigprocmask(how, nset, oset, sigsetsize)

    def sys_sigaltstack(self, ss, oss, *_):
        return self.signals.sigaltstack(ss, oss, self.reg(14))

    def sys_rt_sigreturn(self, *_):
        self.signals.sigreturn()
        return NO_RETURN

    def sys_rt_sigpending(self, setp, size, *_):
        self.mem.write_u64(setp, self.signals.pending_mask(self.signals.current_tid())
                           & self.signals.blocked)
        return 0
