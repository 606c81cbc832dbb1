"""Processes (class ProcessCalls, a mixin of syscalls.Syscalls): fork, vfork, clone (new
threads are threads.py's; a clone without CLONE_VM is a new process), wait4, waitpid,
waitid, execve and execveat.

A new process is a new host process: the simulator forks itself, as qemu-user does, and
the child goes on simulating with the child's registers; guest pids are host pids, so
wait4/waitid are the host's, with wait statuses and signal numbers translated (sparc
numbers differ); the struct rusage they report for a child that ended is the one the
child simulator sent in sys_rusage's CPU-time model (what the parent's getrusage
RUSAGE_CHILDREN then adds up), zeros for a stopped or continued child. Facts from Linux arch/sparc/kernel/process.c (sparc_fork, sparc_vfork,
sparc_clone: the child's stack is the caller's unless clone names one) and process_64.c
copy_thread (the child returns %o0 = the parent's pid -- current->pid, the calling
thread's id -- and %o1 = 1; the parent %o0 = the child's pid, %o1 = 0; glibc's fork and
clone wrappers turn %o1 into the 0 a child sees); kernel/fork.c (CLONE_PARENT_SETTID is
written in the parent after the copy, CLONE_CHILD_SETTID in the child; the vfork parent
sleeps until the child execs or exits; a fork child has no pending signals and no
timers); kernel/exit.c (wait4 options and statuses, waitid's siginfo: si_signo SIGCHLD,
si_code CLD_*, si_pid, si_uid, si_status, zeros when WNOHANG finds nothing);
fs/exec.c, binfmt_elf.c and binfmt_script.c (execve's errors and what survives it:
pid, open files without close-on-exec, the signal mask, pending signals, ignored
dispositions, interval timers; not: caught dispositions, the alternate stack, POSIX
timers, other threads). Choices: clone with CLONE_VM but not a thread (posix_spawn's
CLONE_VM|CLONE_VFORK) runs as a vfork, as qemu does; other sharing flags (CLONE_FILES,
CLONE_FS, ...) without CLONE_VM get EINVAL (qemu's answer). execve runs a static sparc64
program in the same simulator; a dynamically linked one cannot run here: ENOENT when its
interpreter does not exist (Linux's answer), ELIBBAD when it is no sparc64 ELF, ENOEXEC
(and one line on stderr) when it is one. A `#!` script runs its interpreter, which must
itself be such a program.
"""
import os
import stat as host_stat
import struct
import sys

from ..cmt.memory import MemFault
from . import signals as SG
from .linux_abi import ERRNO
from .sys_rusage import child_figures, no_children, pack_rusage
from .sysbase import NO_RETURN, GuestError, _s32, guest_errno
from .threads import (CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID,
                      CLONE_SETTLS, CLONE_THREAD, CLONE_VM, CSIGNAL, clone_stackframe)
from .waits import CHILD, Wait

CLONE_VFORK, CLONE_SIGHAND = 0x4000, 0x800
CLONE_DETACHED, CLONE_IO = 0x400000, 0x80000000
_FORK_FLAGS = (CSIGNAL | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID
               | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_IO | CLONE_VFORK)

WNOHANG, WUNTRACED, WSTOPPED, WEXITED, WCONTINUED = 1, 2, 2, 4, 8
WNOWAIT, WNOTHREAD, WALL, WCLONE = 0x01000000, 0x20000000, 0x40000000, 0x80000000
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3
AT_FDCWD, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW = -100, 0x1000, 0x100

E = ERRNO
RUSAGE_SIZE = 144
MAX_ARG_STRLEN = 32 * 8192              # one argument or environment string (fs/exec.c)
MAX_EXEC_ARGS = 0x7FFFFFFF
MAX_EXEC_TOTAL = (8 << 20) // 4       # a quarter of the 8 MB stack limit (fs/exec.c)
EM_SPARCV9, PT_INTERP = 43, 3


def _err(e):
    return GuestError(e)


def _host_errno(exc):
    return guest_errno(exc)


def guest_wait_status(st):
    """A host wait status as the guest reads it (signal numbers translated)."""
    if os.WIFEXITED(st):
        return (os.WEXITSTATUS(st) & 0xFF) << 8
    if os.WIFSIGNALED(st):
        g = SG.guest_signal_for(os.WTERMSIG(st)) or os.WTERMSIG(st)
        return g | (0x80 if os.WCOREDUMP(st) else 0)
    if os.WIFSTOPPED(st):
        g = SG.guest_signal_for(os.WSTOPSIG(st)) or os.WSTOPSIG(st)
        return (g << 8) | 0x7F
    if os.WIFCONTINUED(st):
        return 0xFFFF
    return st


# ---- execve: which file runs -------------------------------------------------------------
def _elf_check(path, data):
    """0 when `data` (the file's bytes) is a static sparc64 executable this simulator
    runs, else the errno Linux gives (see the module text)."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return E["ENOEXEC"]
    if data[4] != 2 or data[5] != 2:            # ELFCLASS64, big-endian
        return E["ENOEXEC"]
    e_type, e_machine = struct.unpack_from(">HH", data, 16)
    if e_machine != EM_SPARCV9 or e_type not in (2, 3):
        return E["ENOEXEC"]
    phoff, = struct.unpack_from(">Q", data, 32)
    phentsize, phnum = struct.unpack_from(">HH", data, 54)
    if phentsize != 56 or phoff + 56 * phnum > len(data):
        return E["ENOEXEC"]
    for i in range(phnum):
        p_type, _f, p_off = struct.unpack_from(">IIQ", data, phoff + 56 * i)
        if p_type == PT_INTERP:
            p_filesz, = struct.unpack_from(">Q", data, phoff + 56 * i + 32)
            interp = data[p_off:p_off + p_filesz].rstrip(b"\0")
            try:
                with open(interp, "rb") as f:
                    head = f.read(64)
            except FileNotFoundError:
                return E["ENOENT"]
            except OSError as e:
                return _host_errno(e)
            if len(head) < 20 or head[:4] != b"\x7fELF" or head[5] != 2 or \
                    struct.unpack_from(">H", head, 18)[0] != EM_SPARCV9:
                return E["ELIBBAD"]
            os.write(2, f"sun4v: execve {os.fsdecode(path)}: dynamically linked "
                        f"programs do not run in sun4v (link with -static)\n".encode())
            return E["ENOEXEC"]
    if e_type != 2:
        os.write(2, f"sun4v: execve {os.fsdecode(path)}: a position-independent "
                    f"executable does not run in sun4v (link with -static)\n".encode())
        return E["ENOEXEC"]
    return 0


def resolve_exec(path, argv):
    """The static ELF that execve(path, argv) runs and its argv (a `#!` script runs its
    interpreter with the script's path), or raise GuestError."""
    for _depth in range(5):                     # binfmt_script nests at most 4 deep
        try:
            st = os.stat(path)
        except OSError as e:
            raise _err(_host_errno(e)) from None
        if not host_stat.S_ISREG(st.st_mode) or not os.access(path, os.X_OK):
            raise _err(E["EACCES"])
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise _err(_host_errno(e)) from None
        if data[:2] == b"#!":
            line = data[2:256].split(b"\n", 1)[0].strip(b" \t\r")
            if not line:
                raise _err(E["ENOEXEC"])
            parts = line.split(None, 1)
            interp = parts[0]
            argv = [interp] + parts[1:2] + [path] + argv[1:]
            path = interp
            continue
        err = _elf_check(path, data)
        if err:
            raise _err(err)
        return path, argv
    raise _err(E["ELOOP"])


class ProcessCalls:
    """fork, vfork, clone, wait4, waitpid, waitid, execve, execveat (mixin of
    syscalls.Syscalls: uses self.process -- the Process running the program --,
    self.threads, self.signals, self.mem, self.St, self.s, self.block)."""

    # ---- new processes -----------------------------------------------------------------------
    def sys_fork(self, *_):
        return self._fork(SG.SIGCHLD, 0, 0, 0, 0)

    def sys_vfork(self, *_):
        return self._fork(CLONE_VFORK | CLONE_VM | SG.SIGCHLD, 0, 0, 0, 0)

    def sys_clone(self, flags, newsp, ptid, tls, ctid, *_):
        flags &= 0xFFFFFFFF
        if flags & CLONE_THREAD:
            if not flags & CLONE_VM or not flags & CLONE_SIGHAND:
                return -E["EINVAL"]
            if self.threads is None:
                return -E["ENOSYS"]
            mask = self.signals.blocked if self.signals is not None else 0
            return self.threads.clone(self.s, flags, newsp, ptid, tls, ctid, mask)
        if flags & CLONE_VFORK:
            flags &= ~CLONE_VM                  # posix_spawn's vfork: a fork that waits
        if flags & CLONE_VM or flags & ~_FORK_FLAGS:
            return -E["EINVAL"]
        return self._fork(flags, newsp, ptid, tls, ctid)

    def _fork(self, flags, newsp, ptid, tls, ctid):
        proc = self.process
        if proc is None:
            return -E["ENOSYS"]
        St, s, mem = self.St, self.s, self.mem
        parent_tid = self.threads.tid_of(s) if self.threads is not None else self.pid
        regs = None
        if newsp:
            regs = [St.get_reg(s, n) for n in range(32)]
            if not clone_stackframe(mem, regs, newsp):
                return -E["EFAULT"]
        vfork = bool(flags & CLONE_VFORK)
        pipe = os.pipe() if vfork else None
        proc.before_fork()
        try:
            pid = os.fork()
        except OSError as e:
            if pipe:
                os.close(pipe[0]), os.close(pipe[1])
            proc.fork_failed()
            return -_host_errno(e)
        if pid == 0:
            # ---- the child -------------------------------------------------------------
            proc.after_fork_child(flags & CSIGNAL, pipe[1] if pipe else None)
            if pipe:
                os.close(pipe[0])
            if regs is not None:
                for n in (14, 30):
                    St.set_reg(s, n, regs[n])
            if flags & CLONE_SETTLS:
                St.set_reg(s, 7, tls)
            t = self.threads.threads[s] if self.threads is not None else None
            if flags & CLONE_CHILD_SETTID:
                try:
                    mem.write_u32(ctid, self.pid)
                except MemFault:
                    pass
            if t is not None:
                t.clear_tid = ctid if flags & CLONE_CHILD_CLEARTID else 0
            St.set_reg(s, 9, 1)                 # %o1 = 1: "you are the child"
            return parent_tid                   # %o0 = the parent's pid
        # ---- the parent --------------------------------------------------------------------
        proc.after_fork_parent(pid)
        if pipe:
            os.close(pipe[1])
            while True:                         # the child execs or exits: EOF
                try:
                    if not os.read(pipe[0], 64):
                        break
                except InterruptedError:
                    continue
            os.close(pipe[0])
        if flags & CLONE_PARENT_SETTID:
            try:
                mem.write_u32(ptid, pid)
            except MemFault:
                pass
        St.set_reg(s, 9, 0)                     # %o1 = 0 in the parent
        return pid

    # ---- waiting for children --------------------------------------------------------------
    def _wait_now(self, attempt, nohang, restart=Wait.RESTART_SA):
        """Run `attempt()` (a result, or None when no child is ready); when nothing is
        ready and the caller may wait, block until a child changes state or a signal
        interrupts (ERESTARTSYS: restarted after an SA_RESTART handler)."""
        r = attempt()
        if r is not None or nohang:
            return 0 if r is None else r
        w = Wait(CHILD, restart=restart)
        w.check = attempt
        return self.block(w)

    def _reap_unwaited(self):
        """With SIGCHLD ignored or SA_NOCLDWAIT, a child that ended leaves no zombie
        (kernel/signal.c do_notify_parent): reap the host's zombies before looking, so a
        wait never reports a child whose SIGCHLD the run loop has not handled yet; the
        wait then blocks until no children are left and fails with ECHILD."""
        if self.process is None or self.signals is None:
            return
        act = self.signals.actions[SG.SIGCHLD]
        if act.handler == SG.SIG_IGN or act.flags & SG.SA_NOCLDWAIT:
            self.process.autoreap()

    def sys_wait4(self, pid, status, options, rusage, *_):
        pid = _s32(pid)
        options &= 0xFFFFFFFF
        if options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE):
            return -E["EINVAL"]
        if pid == -(1 << 31):
            return -E["ESRCH"]
        host_opts = WNOHANG | (options & (WUNTRACED | WCONTINUED))
        if options & WCLONE and not options & WALL:
            # only children whose exit signal is not SIGCHLD: the simulator's children
            # always report with SIGCHLD
            attempt = (lambda: -E["ECHILD"])
        else:
            def attempt():
                self._reap_unwaited()
                try:
                    wpid, st, _ru = os.wait4(pid, host_opts)
                except ChildProcessError:
                    return -E["ECHILD"]
                except OSError as e:
                    return -_host_errno(e)
                if wpid == 0:
                    return None
                figures = no_children()         # a stopped or continued child: unknown
                if (os.WIFEXITED(st) or os.WIFSIGNALED(st)) and self.process is not None:
                    figures = child_figures(self.process.child_usage(wpid, reaped=True))
                    self.add_child_usage(figures)
                try:
                    if status:
                        self.mem.write_u32(status, guest_wait_status(st))
                    if rusage:
                        self.mem.write(rusage, pack_rusage(**figures))
                except MemFault:
                    return -E["EFAULT"]
                return wpid
        return self._wait_now(attempt, bool(options & WNOHANG))

    def sys_waitpid(self, pid, status, options, *_):
        return self.sys_wait4(pid, status, options, 0)

    def sys_waitid(self, idtype, ident, infop, options, rusage, *_):
        idtype &= 0xFFFFFFFF
        ident = _s32(ident)
        options &= 0xFFFFFFFF
        if options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | WNOTHREAD
                       | WALL | WCLONE):
            return -E["EINVAL"]
        if not options & (WEXITED | WSTOPPED | WCONTINUED):
            return -E["EINVAL"]
        if idtype == P_ALL:
            ident = 0
        elif idtype in (P_PID, P_PGID):
            if ident <= 0 and not (idtype == P_PGID and ident == 0):
                return -E["EINVAL"]
            if idtype == P_PGID and ident == 0:
                ident = os.getpgrp()
        else:
            return -E["EINVAL"]            # P_PIDFD: pidfds are not modelled

        def put(code, pid, uid, st):
            if infop:
                self.mem.write_u32(infop, SG.SIGCHLD if pid else 0)
                self.mem.write_u32(infop + 4, 0)
                self.mem.write_u32(infop + 8, code)
                self.mem.write_u32(infop + 16, pid)
                self.mem.write_u32(infop + 20, uid)
                self.mem.write_u32(infop + 24, st)

        found = []

        def attempt():
            self._reap_unwaited()
            try:
                r = os.waitid(idtype, ident, (options & (WEXITED | WSTOPPED | WCONTINUED))
                              | WNOHANG | WNOWAIT)
            except ChildProcessError:
                return -E["ECHILD"]
            except OSError as e:
                return -_host_errno(e)
            if r is None:
                return None
            ended = r.si_code in (SG.CLD_EXITED, SG.CLD_KILLED, SG.CLD_DUMPED)
            figures = no_children()             # a stopped or continued child: unknown
            if ended and self.process is not None:
                figures = child_figures(self.process.child_usage(
                    r.si_pid, reaped=not options & WNOWAIT))
            if not options & WNOWAIT:
                # consume the event; a child that ended is reaped
                w = {SG.CLD_STOPPED: WUNTRACED, SG.CLD_TRAPPED: WUNTRACED,
                     SG.CLD_CONTINUED: WCONTINUED}.get(r.si_code, 0)
                try:
                    os.wait4(r.si_pid, w | WNOHANG)
                except ChildProcessError:
                    pass
                if ended:
                    self.add_child_usage(figures)
            if r.si_code == SG.CLD_EXITED:
                status = r.si_status
            else:
                status = SG.guest_signal_for(r.si_status) or r.si_status
            found.append(r.si_pid)
            try:
                put(r.si_code, r.si_pid, r.si_uid, status)
                if rusage:
                    self.mem.write(rusage, pack_rusage(**figures))
            except MemFault:
                return -E["EFAULT"]
            return 0

        r = self._wait_now(attempt, bool(options & WNOHANG))
        if r == 0 and not found:
            try:                    # WNOHANG and nothing ready: the fields are zeroed
                put(0, 0, 0, 0)
            except MemFault:
                return -E["EFAULT"]
        return r

    # ---- execve ---------------------------------------------------------------------------
    def _strings(self, addr):
        """A NULL-terminated array of C strings in guest memory (argv, envp)."""
        out = []
        if not addr:
            return out
        total = 0
        while True:
            p = self.mem.read_u64(addr + 8 * len(out))
            if not p:
                return out
            sv = self.mem.read_cstr(p, MAX_ARG_STRLEN + 1)
            if len(sv) > MAX_ARG_STRLEN:
                raise _err(E["E2BIG"])
            total += len(sv) + 1 + 8
            if total > MAX_EXEC_TOTAL or len(out) >= MAX_EXEC_ARGS:
                raise _err(E["E2BIG"])
            out.append(sv)

    def sys_execve(self, path, argv, envp, *_):
        return self._execve(self.path(path), argv, envp)

    def sys_execveat(self, dirfd, path, argv, envp, flags, *_):
        dirfd = _s32(dirfd)
        flags &= 0xFFFFFFFF
        if flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW):
            return -E["EINVAL"]
        name = self.mem.read_cstr(path, 4097) if path else b""
        if not name:
            if not flags & AT_EMPTY_PATH:
                return -E["ENOENT"]
            h = self.fds.get(dirfd)
            p = os.fsencode(os.readlink(f"/proc/self/fd/{h}"))
        elif name.startswith(b"/") or dirfd == AT_FDCWD:
            p = self.path(path)
        else:
            h = self.fds.get(dirfd)
            p = os.path.join(os.fsencode(os.readlink(f"/proc/self/fd/{h}")), name)
        if flags & AT_SYMLINK_NOFOLLOW and os.path.islink(p):
            return -E["ELOOP"]
        return self._execve(p, argv, envp)

    def _execve(self, path, argv_addr, envp_addr):
        argv = self._strings(argv_addr)
        envp = self._strings(envp_addr)
        run_path, run_argv = resolve_exec(path, argv)
        if self.process is None:
            return -E["ENOSYS"]
        self.process.exec_image(run_path, run_argv, envp, execfn=path)
        return NO_RETURN


def flush_host_buffers():
    """Python-level output buffers, written before fork so that nothing is written
    twice."""
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except (OSError, ValueError, AttributeError):
            pass
