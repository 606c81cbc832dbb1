"""The host's end of a domain program's system calls (issue 14 §1): the proxy area of
the guest kernel (sun4v/guest/prog.h), served with the syscall-emulation layer
(sun4v/se) exactly as `sun4v run` serves the same calls.

    px = ProgramProxy("ldg1", "build/progs/hello.O2", ["a"], dm, on_output)
    px.poll()             # serve the REQUEST slots (System calls it every POLL_US)
    px.state, px.status   # "running" / "exited" (status) / "killed" (signal) / "failed"
    px.started_at         # machine time of the first poll that saw it loaded and running

The guest kernel owns memory, threads, futexes and exit; what reaches the host is files,
the clock (the domain's simulated time, on which the guest kernel's sleeps and timers run:
Syscalls.clock_ns), ids and PROG_OP_INFO (the program's path, argv, environment, ids,
stack size, AT_HWCAP: what sun4v/se/loader.py would put on the stack). Addresses in a request are
virtual: the program's, translated with the guest's `struct uspace` (each range: va_lo,
va_hi, TTE, the kernel's VA of va_lo), or -- in the kernel's own requests only (the
slot's `kernel` word) -- the kernel's linear map (KERNBASE + RA - RA0); a program passing
a kernel address gets EFAULT, as from Linux.

Processes: the slot names the calling process (pid) and its address space (the real
address of its struct uspace). The first process's system calls are served by
self.sys; a fork in the domain (PROG_OP_FORK: parent pid, child pid) gives the child a
Syscalls of its own whose descriptor table is the parent's copied as fork(2) copies it
(sun4v/se FdTable.fork_copy: each host descriptor dup'ed); PROG_OP_EXIT closes an
ended child's descriptors (a pipe's write end closes with it: the reader sees EOF);
PROG_OP_EXEC checks an execve as `sun4v run` does (sys_process.resolve_exec) and
closes the close-on-exec descriptors.
Each process has its own working directory and file mode creation mask (as each Linux
process: fork copies them, chdir/umask in one process leave the others' as they were):
the host's are process-wide, so each Syscalls carries its own (px_cwd: an O_PATH
descriptor of the directory; px_umask), installed in the host process for each of its
calls and the host's put back after it (the simulator's own directory never moves).

The program's stdout and stderr (guest fds 1 and 2) are files of the host
(`out`/`err`, an open file descriptor each, default unlinked temporary files); what the
program writes there goes to `on_output(name, stream, bytes)` ("out" or "err") after
each poll, in order. stdin is /dev/null (a domain's program has no terminal).

Errors: ProgramError (one line) for a program that cannot be run (missing, not a static
sparc64 ELF: sun4v/se/loader.py's checks)."""
from __future__ import annotations

import copy
import fcntl
import os
import select
import stat
import struct
import tempfile

from ..cmt import state as S
from ..cmt.memory import PERM_R, PERM_W, PERM_X, MemFault, WordAccess
from ..guest.hostif import GuestError
from ..se import loader as L
from ..se import mathemu
from ..se.linux_abi import SYSCALL_NAMES
from ..se.sysbase import GuestError as SysGuestError, guest_errno
from ..se.sys_process import resolve_exec
from ..se.syscalls import Syscalls

PROG_MAGIC = 0x53345650524F4731         # "S4VPROG1" (prog.h)
COUNTERS_PROG_AREA = 0x8000 + 0x78      # counters.h: prog_area
KERNBASE = 0x4000_0000                  # layout.h
SLOTS = 0x100
SLOT_SIZE = 128
SL_FREE, SL_REQUEST, SL_DONE, SL_CLAIMED = 0, 1, 2, 3
PS_NAMES = {0: "loading", 1: "running", 2: "exited", 3: "killed", 4: "failed"}
PROG_OP_INFO = 0x10000
PROG_OP_MATHEMU = 0x10001
PROG_OP_FORK = 0x10002
PROG_OP_EXIT = 0x10003
PROG_OP_EXEC = 0x10004
FPEMU_WORDS = 77                        # prog.h struct fpemu_rec
TTE_V, TTE_W, TTE_X = 1 << 63, 1 << 6, 1 << 7
POLL_US = 2                             # prog.h's guest side polls at the same period
POLL_MAX_FACTOR = 500                   # idle: the period doubles up to 1 ms
ENOSYS, EFAULT = 90, 14
NR_READ, NR_READV = 3, 120
NR_CHDIR, NR_FCHDIR = 12, 176
_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC


def _own_host_state(sy, cwd=".", umask=None):
    """Give process `sy` its own working directory (cwd: a path, opened O_PATH) and
    umask (None: the host's now)."""
    sy.px_cwd = os.open(cwd, _DIR_FLAGS)
    if umask is None:
        umask = os.umask(0)
        os.umask(umask)
    sy.px_umask = umask


def cwd_path(sy) -> str:
    """Process sy's working directory, a path (its O_PATH descriptor's, via /proc)."""
    return os.readlink(f"/proc/self/fd/{sy.px_cwd}")


class ProgramError(Exception):
    """A domain program that cannot be run, in one line."""


def check_program(path: str) -> None:
    """ProgramError unless `path` is a static sparc64 ELF executable (the checks of
    `sun4v run`, sun4v/se/loader.py)."""
    try:
        L.ElfImage(path)
    except L.LoadError as e:
        raise ProgramError(str(e)) from None


class _Prog:
    """What Syscalls wants of a loaded program: the guest kernel owns brk and mmap."""
    brk = 0
    mmap_base = L.MMAP_BASE


class GuestUserMemory(WordAccess):
    """The program's virtual memory as sun4v/se's Memory offers it (read, write, the
    u32/u64 forms, read_cstr, page_perm, mapped_pages), through the domain's memory."""

    def __init__(self, dm, uspace_ra):
        self.dm = dm
        self.uspace_ra = uspace_ra
        self.ranges = []
        self.kernel_ok = False              # the kernel's own request (prog.h: kernel)
        self.kern_hi = KERNBASE + sum(size for _ra, _pa, size in dm.blocks)

    def refresh(self):
        n = self.dm.read_u64(self.uspace_ra)
        raw = self.dm.read(self.uspace_ra + 16, 32 * n) if n else b""
        self.ranges = [struct.unpack_from(">QQQQ", raw, 32 * i) for i in range(n)]

    def _find(self, va):
        for lo, hi, tte, kva in self.ranges:
            if lo <= va < hi:
                return lo, hi, tte, kva
        return None

    def _ra(self, va):
        """(RA, bytes to the end of what is contiguous there, perm) or MemFault."""
        r = self._find(va)
        if r is not None:
            lo, hi, tte, kva = r
            perm = 0
            if tte & TTE_V:
                perm = PERM_R | (PERM_W if tte & TTE_W else 0) | (PERM_X if tte & TTE_X else 0)
            return kva - KERNBASE + self.dm.real_base + (va - lo), hi - va, perm
        if self.kernel_ok and KERNBASE <= va < self.kern_hi:
            return va - KERNBASE + self.dm.real_base, self.kern_hi - va, PERM_R | PERM_W
        raise MemFault(va)

    def read(self, addr, n):
        out = bytearray()
        while n > 0:
            ra, room, _ = self._ra(addr)
            k = min(n, room)
            out += self.dm.read(ra, k)
            addr += k
            n -= k
        return bytes(out)

    def write(self, addr, data, create=False):
        data = bytes(data)
        pos = 0
        while pos < len(data):
            ra, room, _ = self._ra(addr)
            k = min(len(data) - pos, room)
            self.dm.m.mem.write(self.dm.pa(ra, k), data[pos:pos + k])
            addr += k
            pos += k

    def read_cstr(self, addr, limit=1 << 20):
        out = bytearray()
        while len(out) < limit:
            ra, room, _ = self._ra(addr)
            chunk = self.dm.read(ra, min(room, 4096 - (addr & 4095)))
            z = chunk.find(b"\0")
            if z >= 0:
                return bytes(out + chunk[:z])
            out += chunk
            addr += len(chunk)
        return bytes(out)

    def page_perm(self, addr):
        try:
            return self._ra(addr)[2]
        except MemFault:
            return -1

    def mapped_pages(self, addr, size):
        return sum(1 for lo, hi, _t, _k in self.ranges if lo < addr + size and addr < hi)


class ProgramProxy:
    """The host side of one domain's program (see the module docstring)."""

    def __init__(self, name, path, args, dm, on_output=None, env=None, out=None, err=None):
        check_program(path)
        self.name = name
        self.path = path
        self.args = [str(a) for a in args]
        self.dm = dm
        self.on_output = on_output
        self.env = L.host_environment() if env is None else list(env)
        self.area = None                    # RA of the proxy area once the guest set it up
        self.state = "booting"
        self.status = None
        self.sys = None
        self.mem = None
        self.children = {}                  # pid -> Syscalls of a process it forked
        self._mems = {}                     # struct uspace RA -> GuestUserMemory
        self.requests = 0
        self.output = {"out": bytearray(), "err": bytearray()}   # all of it, in order
        self.cwd0 = os.getcwd()             # its directory (a checkpoint's, progstate.py)
        self.started_at = None              # machine time the host first saw it running
        self._streams = {}
        for fd, stream, given in ((1, "out", out), (2, "err", err)):
            hfd = given if given is not None else self._tempfile()
            self._streams[fd] = [stream, hfd, 0]

    @staticmethod
    def _tempfile():
        fd, p = tempfile.mkstemp(prefix="sun4v-prog-")
        os.unlink(p)
        return fd

    # ---- the area --------------------------------------------------------------------
    def _find_area(self):
        try:
            ra = self.dm.read_u64(self.dm.real_base + COUNTERS_PROG_AREA)
            if not ra or self.dm.read_u64(ra) != PROG_MAGIC:
                return False
        except GuestError:
            return False
        self.area = ra
        self._make_syscalls()
        return True

    def _make_syscalls(self):
        """The program's sun4v/se process model over the area at self.area: a fresh fd
        table (stdin /dev/null, stdout and stderr the capture files)."""
        uspace_ra = self.dm.read_u64(self.area + 0x20)
        self.mem = GuestUserMemory(self.dm, uspace_ra)
        self._mems = {uspace_ra: self.mem}
        self.children = {}
        St = S.StrandArrays(1)
        self.sys = Syscalls(self.mem, St, _Prog(), self.path)
        # the program's clocks are the domain's simulated time (its sleeps and timers
        # run on it in the guest kernel), as `sun4v run` in cycle mode: the same
        # program gives the same clock-derived output at every run
        m = self.dm.m
        self.sys.clock_ns = lambda: m.time * 10**9 // m.platform.clock_hz
        stdin = os.open(os.devnull, os.O_RDONLY)
        self.sys.fds.host = {0: stdin, 1: self._streams[1][1], 2: self._streams[2][1]}
        self.sys.fds.owned.add(stdin)
        _own_host_state(self.sys)

    def poll(self, on_output=None):
        """Serve every REQUEST slot (slot order), then pass new output on (to
        on_output, else the one given at construction). Returns False once the program
        has ended (nothing more to poll)."""
        if on_output is not None:
            self.on_output = on_output
        if self.state == "stopped":
            return False
        if self.area is None and not self._find_area():
            return True
        st = self.dm.read_u64(self.area + 0x10)
        self.state = PS_NAMES.get(st, str(st))
        if st >= 1 and self.started_at is None:
            self.started_at = self.dm.m.time    # loaded: its first instruction is near
        if st >= 2:
            self.status = self.dm.read_u64(self.area + 0x18)
        n = self.dm.read_u64(self.area + 0x28)
        for i in range(n):
            slot = self.area + SLOTS + SLOT_SIZE * i
            if self.dm.read_u64(slot) != SL_REQUEST:
                continue
            nr = self.dm.read_u64(slot + 8)
            args = self.dm.read_words(slot + 16, 6)
            kernel, pid, us = self.dm.read_words(slot + 0x50, 3)
            sy = self.children.get(pid, self.sys)
            mem = self._mem(us)
            mem.refresh()
            mem.kernel_ok = kernel == 1
            sy.mem = mem
            # the program's file-system ids for the call, the simulator's own after it
            # (sys_creds.py: setfsuid/setfsgid of this host thread)
            sy.creds.sync_host()
            host = self._enter(sy)
            try:
                ret = self._serve(sy, mem, nr, args)
            finally:
                self._leave(sy, nr, host)
                sy.creds.restore_host()
            if ret is None:                 # would block: look again at the next poll;
                self.dm.write_u64(slot + 0x68, 1)   # a signal may end it (prog.h: waiting)
                continue
            self.dm.write_u64(slot + 0x40, ret & (2**64 - 1))
            self.dm.write_u64(slot, SL_DONE)
            self.requests += 1
        self._drain()
        return st < 2

    @staticmethod
    def _enter(sy):
        """Install process sy's working directory and umask in the host process for one
        call -> the host's (a descriptor of its directory, its umask), for _leave."""
        here = os.open(".", _DIR_FLAGS)
        os.fchdir(sy.px_cwd)
        return here, os.umask(sy.px_umask)

    @staticmethod
    def _leave(sy, nr, host):
        """After sy's call `nr`: keep what it changed (chdir, fchdir, umask) as sy's, put
        the host's back."""
        here, mask = host
        if nr in (NR_CHDIR, NR_FCHDIR):
            new = os.open(".", _DIR_FLAGS)
            os.close(sy.px_cwd)
            sy.px_cwd = new
        sy.px_umask = os.umask(mask)
        os.fchdir(here)
        os.close(here)

    def _mem(self, uspace_ra):
        """The memory of the process whose struct uspace is at uspace_ra."""
        if not uspace_ra:
            return self.mem
        m = self._mems.get(uspace_ra)
        if m is None:
            m = self._mems[uspace_ra] = GuestUserMemory(self.dm, uspace_ra)
        return m

    def _fork(self, ppid, cpid):
        """PROG_OP_FORK: process cpid, forked by ppid, gets a copy of its parent's
        descriptor table (and its ids, its executable's path)."""
        parent = self.children.get(ppid, self.sys)
        child = Syscalls(self.mem, S.StrandArrays(1), _Prog(), self.path)
        child.clock_ns = parent.clock_ns
        child.fds = parent.fds.fork_copy()
        child.creds = copy.copy(parent.creds)
        child.exe_path = parent.exe_path
        child.pid = cpid
        child.px_cwd = os.dup(parent.px_cwd)        # fork(2): the same directory, umask
        child.px_umask = parent.px_umask
        self.children[cpid] = child
        return 0

    def _exit(self, pid):
        """PROG_OP_EXIT: process pid ended; its descriptors close."""
        child = self.children.pop(pid, None)
        if child is None:
            return -3                       # ESRCH
        for h in child.fds.owned:
            try:
                os.close(h)
            except OSError:
                pass
        child.fds.owned.clear()
        child.fds.host.clear()
        os.close(child.px_cwd)
        return 0

    def _would_block(self, sy, nr, args):
        """A read that would wait for data (a pipe, a terminal): never in the host's
        thread (the machine would stop with it); the request stays until data comes."""
        if nr not in (NR_READ, NR_READV):
            return False
        h = sy.fds.host.get(args[0] & 0xFFFFFFFF)
        if h is None:
            return False
        try:
            if stat.S_ISREG(os.fstat(h).st_mode) or \
                    fcntl.fcntl(h, fcntl.F_GETFL) & os.O_NONBLOCK:
                return False                # (a non-blocking one: EAGAIN at once)
            return not select.select([h], [], [], 0)[0]
        except (OSError, ValueError):
            return False

    def _serve(self, sy, mem, nr, args):
        """The answer (value or -errno) of process `sy`'s call (its memory `mem`), or
        None for a call that has to wait."""
        if nr == PROG_OP_INFO:
            return self._info(mem, args[0], args[1])
        if nr == PROG_OP_MATHEMU:
            return self._mathemu(mem, args[0], args[1])
        if nr == PROG_OP_FORK:
            return self._fork(args[0], args[1])
        if nr == PROG_OP_EXIT:
            return self._exit(args[0])
        if nr == PROG_OP_EXEC:
            try:
                return self._exec(sy, mem, *args[:5])
            except SysGuestError as e:
                return -e.err
            except MemFault:
                return -EFAULT
        if self._would_block(sy, nr, args):
            return None
        h = sy.handlers.get(nr)
        name = SYSCALL_NAMES.get(nr, f"syscall_{nr}")
        sy.counts[name] = sy.counts.get(name, 0) + 1
        if h is None:
            return -ENOSYS
        try:
            r = h(*args)
        except SysGuestError as e:
            return -e.err
        except MemFault:
            return -EFAULT
        except OSError as e:
            return -guest_errno(e)
        except (AttributeError, TypeError, RuntimeError):
            # a call that needs sun4v/se's own process model (its signals, a blocking
            # wait, its threads), which a domain program does not have
            return -ENOSYS
        if not isinstance(r, int):          # BLOCK / NO_RETURN: a wait the domain
            return -ENOSYS                  # program cannot do through the host
        return r

    def _info(self, mem, buf, size):
        argv = [os.fsencode(self.path)] + [os.fsencode(a) for a in self.args]
        env = [e if isinstance(e, bytes) else os.fsencode(e) for e in self.env]
        return self._image_info(mem, buf, size, os.fsencode(self.path), argv[0], argv, env)

    @staticmethod
    def _image_info(mem, buf, size, path, execfn, argv, env):
        """prog.h's PROG_OP_INFO answer at buf: what the guest's loader needs to run
        `path` (the file it opens) with argv and env; its length, or -E2BIG."""
        head = struct.pack(">8Q", len(argv), len(env), os.getuid(), os.geteuid(),
                           os.getgid(), os.getegid(), L.stack_size(), L.GENERIC_HWCAP)
        strings = [path, execfn] + argv + env
        data = head + b"".join(s + b"\0" for s in strings)
        if len(data) > size:
            return -7                       # E2BIG
        try:
            mem.write(buf, data)
        except MemFault:
            return -EFAULT
        return len(data)

    def _exec(self, sy, mem, buf, size, path, argv, envp):
        """PROG_OP_EXEC: process sy's execve(path, argv, envp) (its addresses), checked
        as `sun4v run` checks it (sys_process.resolve_exec: a static sparc64 ELF, or a
        `#!` script's interpreter); then, as its point of no return, the descriptors
        with close-on-exec close and the answer for the guest's loader is written at
        buf (the PROG_OP_INFO format). The length, or -errno (nothing changed)."""
        p = sy.path(path)
        run_path, run_argv = resolve_exec(p, sy._strings(argv))
        n = self._image_info(mem, buf, size, run_path, p, run_argv, sy._strings(envp))
        if n < 0:
            return n
        for fd in sorted(sy.fds.cloexec):
            sy.fds.close(fd)
        sy.exe_path = os.path.realpath(run_path)
        return n

    def _mathemu(self, mem, rec, size):
        """PROG_OP_MATHEMU (guest fpemu.c): the FP instruction the chip trapped at the
        record's PC, completed (or refused, with Linux's signals) by sun4v/se/mathemu.py
        on the user state the record holds, exactly as `sun4v run` completes it."""
        if size != 8 * FPEMU_WORDS:
            return -22                      # EINVAL
        try:
            w = list(struct.unpack(f">{FPEMU_WORDS}Q", mem.read(rec, 8 * FPEMU_WORDS)))
        except MemFault:
            return -EFAULT
        tt, pc, npc, fsr, fprs = w[0:5]
        St = S.StrandArrays(1)
        St.sync_map(0)
        for n in range(1, 32):
            St.set_reg(0, n, w[6 + n])
        C = St.C[0]
        C[S.PC], C[S.NPC], C[S.FSR], C[S.FPRS], C[S.ASI] = pc, npc, fsr, fprs, w[76]
        for i in range(32):                 # %d(2i): %f(2i) high, %f(2i+1) low
            St.set_freg(0, 2 * i, w[38 + i] >> 32)
            St.set_freg(0, 2 * i + 1, w[38 + i])
        mem.kernel_ok = False               # the instruction's accesses are the program's
        try:
            sigs = mathemu.handle_trap(St, 0, mem, tt)
        finally:
            mem.kernel_ok = True
        w[1], w[2], w[3], w[4] = (int(C[S.PC]), int(C[S.NPC]), int(C[S.FSR]),
                                  int(C[S.FPRS]))
        for i in range(32):
            w[38 + i] = (St.get_freg(0, 2 * i) << 32) | St.get_freg(0, 2 * i + 1)
        w[5] = len(sigs[:2])
        for k, (sig, code, addr) in enumerate(sigs[:2]):
            w[70 + 3 * k:73 + 3 * k] = [sig, code & (2**64 - 1), addr & (2**64 - 1)]
        mem.write(rec, struct.pack(f">{FPEMU_WORDS}Q", *w))
        return 0

    def _drain(self):
        for fd in (1, 2):
            rec = self._streams[fd]
            stream, hfd, off = rec
            while True:
                data = os.pread(hfd, 65536, off)
                if not data:
                    break
                off += len(data)
                self.output[stream] += data
                if self.on_output is not None:
                    self.on_output(self.name, stream, data)
            rec[2] = off

    def close(self):
        self._drain()
        for fd in (1, 2):
            try:
                os.close(self._streams[fd][1])
            except OSError:
                pass
        for pid in list(self.children):
            self._exit(pid)
        if self.sys is not None:
            for h in list(self.sys.fds.owned) + [self.sys.px_cwd]:
                try:
                    os.close(h)
                except OSError:
                    pass

    def stopped(self) -> bool:
        """Its domain was stopped (`ldm stop`) before the program ended: from now on
        its state is "stopped" (no status) and the guest's area is not read again (the
        next start makes a fresh proxy). Its output so far is passed on. False when the
        program had ended already."""
        if self.result()[0] in ("exited", "killed", "failed"):
            return False
        self._drain()
        self.area, self.state, self.status = None, "stopped", None
        return True

    def result(self):
        """(state, status): ("exited", N), ("killed", SIG), ("failed", errno),
        ("stopped", None) when its domain was stopped first, or the state of a program
        that has not ended."""
        if self.area is not None:
            st = self.dm.read_u64(self.area + 0x10)
            self.state = PS_NAMES.get(st, str(st))
            if st >= 2:
                self.status = self.dm.read_u64(self.area + 0x18)
        return self.state, self.status
