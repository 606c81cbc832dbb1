"""Linux sparc64 system calls for syscall-emulation mode: the program's `ta 0x6d` traps
exit the engine and are carried out here on the host.

ABI (arch/sparc/kernel/syscalls.S, entry.S): number in %g1, arguments in %o0-%o5, result in
%o0; success clears the carry bits of icc and xcc, failure sets them and returns the
positive errno (SunOS numbering, linux_abi.ERRNO). The trap returns to TNPC. Structure
layouts from the sparc64 uapi headers (asm/stat.h, asm/signal.h, asm/termbits.h); the
process address space (brk, mmap placement) follows qemu-sparc64 7.2 so that addresses
agree with the oracle (see loader.py).
"""
import os
import random
import sys
import time

from ..cmt import state as S
from ..cmt.memory import PAGE_SIZE, PERM_R, PERM_W, PERM_X, MemFault
from .linux_abi import ERRNO, SYSCALL_NAMES
from .sys_creds import CredentialCalls, Credentials
from .sys_files import FdTable, FileCalls, pack_stat, pack_stat64  # noqa: F401 (re-exported)
from .sys_poll import PollCalls
from .sys_process import ProcessCalls
from .sys_rusage import ResourceCalls
from .sys_signals import SignalCalls
from .sys_timers import TimerCalls
from .sysbase import (  # noqa: F401 (CARRY, SyscallExit: re-exported)
    AT_FDCWD, CARRY, EAGAIN, EFAULT, EINVAL, EIO, ENAMETOOLONG, ENOMEM, ENOSYS, ESRCH,
    FUTEX_WAIT, FUTEX_WAKE, MAP_ANONYMOUS, MAP_FIXED, MASK64, MREMAP_FIXED, MREMAP_MAYMOVE,
    NO_RETURN, NOFILE_CUR, NOFILE_MAX, PROT_EXEC, PROT_READ, READ_IMPLIES_EXEC,
    RLIMIT_NOFILE, RLIMIT_STACK, RLIM_INFINITY, SIM_EPOCH_NS, UNAME_MACHINE, GuestError,
    SyscallExit, _s32, guest_errno)
from .threads import BLOCK
from .waits import WaitCalls


class Syscalls(FileCalls, CredentialCalls, ProcessCalls, SignalCalls, TimerCalls,
               PollCalls, ResourceCalls, WaitCalls):
    """The Linux process model behind the system calls of one program: address space
    bookkeeping (brk, mmap), identity and time here; the rest in the mixins: files
    (sys_files.py), ids (sys_creds.py), processes (sys_process.py), sending and waiting
    for signals (sys_signals.py), timers and sleeps (sys_timers.py), waiting for file
    descriptors (sys_poll.py), CPU time and resource use (sys_rusage.py), and the
    blocked-call machinery they share (waits.py)."""

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
        self.personality = 0         # PER_LINUX; see sys_personality
        self.pid = os.getpid()
        self.start_time = time.time()
        self.threads = None         # threads.ThreadGroup when the process may have threads
        self.clock_ns = None        # cycle mode: () -> simulated ns since the chip started
        self.creds = Credentials()      # sys_creds: the guest's ids (host fs ids follow)
        self.clock_mhz = 1400           # the chip's clock (Process sets it): CPU time
        self.usage = {}                 # sys_rusage: tid -> Usage
        self.children_usage = dict(utime_ns=0, stime_ns=0, maxrss_kb=0, minflt=0, nvcsw=0)
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
        self.account_syscall(name)
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
            self.account_syscall(name, result)
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
                cur, mx = NOFILE_CUR, NOFILE_MAX     # as dup3, poll check it
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

    # ---- time ---------------------------------------------------------------------------
    def now_ns(self):
        """Realtime in ns: the host's, or in cycle mode the simulated clock."""
        if self.clock_ns is not None:
            return SIM_EPOCH_NS + self.clock_ns()
        return time.time_ns()

    def sys_clock_gettime(self, clk, tp, *_):
        t = self.cpu_clock_ns(clk)         # CPU-time clocks: sys_rusage
        if t is not None:
            if t < 0:
                return t
        elif self.clock_ns is not None:
            t = self.clock_ns() + (0 if clk in (1, 4, 6, 7) else SIM_EPOCH_NS)
        elif clk in (1, 4, 6, 7):          # MONOTONIC, MONOTONIC_RAW, _COARSE, BOOTTIME
            t = time.monotonic_ns()
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
            # brk memory gets VM_DATA_DEFAULT_FLAGS (mm/mmap.c do_brk_flags), which on
            # sparc64 include VM_EXEC (arch/sparc/include/asm/page_64.h): the heap is
            # executable under Linux (qemu-user maps it without PROT_EXEC)
            self.mem.map(old_top, new_top - old_top, PERM_R | PERM_W | PERM_X)
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

    def perm_of(self, prot):
        """Page protection for mmap/mprotect's prot. With the READ_IMPLIES_EXEC
        personality PROT_READ implies PROT_EXEC (mm/mmap.c do_mmap, mm/mprotect.c)."""
        if prot & PROT_READ and self.personality & READ_IMPLIES_EXEC:
            prot |= PROT_EXEC
        return ((PERM_R if prot & 1 else 0) | (PERM_W if prot & 2 else 0)
                | (PERM_X if prot & 4 else 0))

    def sys_personality(self, persona, *_):
        """kernel/exec_domain.c: returns the old personality; 0xffffffff only queries."""
        old = self.personality
        if persona & 0xFFFFFFFF != 0xFFFFFFFF:
            self.personality = persona & 0xFFFFFFFF
        return old

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
