"""Linux sparc64 system calls and signals in syscall-emulation mode: the carry/errno
convention, brk and mmap bookkeeping, file descriptors, signal frames; and end-to-end runs
of small static programs under `sun4v run` compared with qemu-sparc64."""
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sun4v.cmt import state as S
from sun4v.cmt.memory import PAGE_SIZE, PERM_R, PERM_W, PERM_X, Memory
from sun4v.se import signals as SG
from sun4v.se.linux_abi import ERRNO, SYSCALL_NUMBERS as NR
from sun4v.se.syscalls import CARRY, SyscallExit, Syscalls, pack_stat64

import setup_tools

ROOT = Path(__file__).resolve().parents[1]
CC = shutil.which("sparc64-linux-gnu-gcc")
QEMU = shutil.which("qemu-sparc64")
BRK0 = 0x308000
MMAP0 = 0x4000802000
STACK = 0x4000700000
TA_PC = 0x100100


class Kernel:
    """Memory + one strand + the syscall layer, without the engine."""

    def __init__(self):
        self.mem = Memory()
        self.mem.map(0x100000, 0x8000, PERM_R | PERM_W)
        self.mem.map(STACK - 0x10000, 0x20000, PERM_R | PERM_W)
        self.St = S.StrandArrays(1)
        prog = SimpleNamespace(brk=BRK0, mmap_base=MMAP0)
        self.sig = SG.Signals(self.mem, self.St)
        self.sys = Syscalls(self.mem, self.St, prog, sys.executable, signals=self.sig)
        self.St.set_reg(0, 14, STACK - 2047)
        self.St.C[0, S.FPRS] = S.FPRS_FEF

    def call(self, name, *args):
        """Trap with syscall `name`; returns (o0, carry)."""
        St = self.St
        St.C[0, S.PC] = TA_PC
        St.C[0, S.NPC] = TA_PC + 4
        St.C[0, S.CCR] = 0x11 if len(args) % 2 else 0x00      # carry state must not leak
        St.set_reg(0, 1, NR[name] if isinstance(name, str) else name)
        for i, a in enumerate(args):
            St.set_reg(0, 8 + i, a)
        self.sys.handle()
        carry = int(St.C[0, S.CCR]) & CARRY
        assert carry in (0, CARRY)
        return St.get_reg(0, 8), bool(carry)


@pytest.fixture
def k():
    return Kernel()


def test_trap_completes_to_npc(k):
    before = int(k.St.C[0, S.INSNS])
    k.call("getpid")
    assert k.St.C[0, S.PC] == TA_PC + 4 and k.St.C[0, S.NPC] == TA_PC + 8
    assert int(k.St.C[0, S.INSNS]) == before + 1


def test_success_clears_carry_error_sets_it(k):
    assert k.call("getpid", 0) == (os.getpid(), False)      # CCR had carry set before
    assert k.call("close", 77) == (ERRNO["EBADF"], True)
    assert k.call("write", 99, 0x100000, 1) == (9, True)


def test_write_to_fd(k):
    r, w = os.pipe()
    k.sys.fds.host[5] = w
    k.mem.write(0x100000, b"hello, sparc\n")
    assert k.call("write", 5, 0x100000, 13) == (13, False)
    assert os.read(r, 100) == b"hello, sparc\n"
    # writev gathers iovecs
    k.mem.write(0x101000, (0x100000).to_bytes(8, "big") + (5).to_bytes(8, "big")
                + (0x100007).to_bytes(8, "big") + (6).to_bytes(8, "big"))
    assert k.call("writev", 5, 0x101000, 2) == (11, False)
    assert os.read(r, 100) == b"hello" + b"sparc\n"
    # an unmapped buffer is EFAULT, not a crash
    assert k.call("write", 5, 0x900000, 4) == (ERRNO["EFAULT"], True)
    os.close(r)
    os.close(w)


def test_open_read_lseek_fstat_close(k, tmp_path):
    f = tmp_path / "data.txt"
    f.write_bytes(b"0123456789")
    k.mem.write(0x100000, str(f).encode() + b"\0")
    fd, err = k.call("openat", (-100) & (2**64 - 1), 0x100000, 0, 0)
    assert not err and fd == 3                       # lowest free guest descriptor
    assert k.call("read", fd, 0x102000, 4) == (4, False)
    assert k.mem.read(0x102000, 4) == b"0123"
    assert k.call("lseek", fd, 8, 0) == (8, False)
    assert k.call("read", fd, 0x102000, 100) == (2, False)
    assert k.call("fstatat64", fd, 0x103000, 0x103100, 0x1000)[1] is False  # AT_EMPTY_PATH
    raw = k.mem.read(0x103100, 144)
    assert int.from_bytes(raw[48:56], "big") == 10                  # st_size
    assert int.from_bytes(raw[24:28], "big") == os.stat(f).st_mode   # st_mode
    assert k.call("close", fd) == (0, False)
    assert k.call("close", fd) == (ERRNO["EBADF"], True)
    k.mem.write(0x100000, b"/nonexistent/x\0")
    assert k.call("openat", (-100) & (2**64 - 1), 0x100000, 0, 0) == (ERRNO["ENOENT"], True)


def test_stat64_layout():
    st = os.stat(sys.executable)
    raw = pack_stat64(st)
    assert len(raw) == 144
    assert int.from_bytes(raw[8:16], "big") == st.st_ino
    assert int.from_bytes(raw[88:96], "big") == int(st.st_mtime)


def test_brk_grows_and_shrinks(k):
    assert k.call("brk", 0) == (BRK0, False)
    assert k.call("brk", BRK0 + 20000) == (BRK0 + 20000, False)
    k.mem.write(BRK0 + 19999, b"x")
    # sparc64 Linux: brk memory gets VM_DATA_DEFAULT_FLAGS, read/write/execute
    assert k.mem.page_perm(BRK0 + 16384) == PERM_R | PERM_W | PERM_X
    assert k.call("brk", 0) == (BRK0 + 20000, False)
    assert k.call("brk", BRK0 + 100) == (BRK0 + 100, False)
    assert not k.mem.is_mapped(BRK0 + PAGE_SIZE)
    assert k.call("brk", BRK0 - PAGE_SIZE) == (BRK0 + 100, False)   # below start: no change


def test_mmap_munmap_mprotect(k):
    a, err = k.call("mmap", 0, 100000, 3, 0x22, 2**64 - 1, 0)
    assert not err and a == MMAP0                 # qemu's placement: right above the stack
    k.mem.write(a + 99999, b"z")
    b, _ = k.call("mmap", 0, PAGE_SIZE, 1, 0x22, 2**64 - 1, 0)
    assert b == a + 13 * PAGE_SIZE
    assert k.mem.page_perm(b) == PERM_R
    assert k.call("munmap", a, 100000) == (0, False)
    assert not k.mem.is_mapped(a)
    assert k.call("mprotect", a, PAGE_SIZE, 3) == (ERRNO["ENOMEM"], True)
    assert k.call("mprotect", b, PAGE_SIZE, 3) == (0, False)
    assert k.mem.page_perm(b) == PERM_R | PERM_W
    fixed = 0x50000000
    assert k.call("mmap", fixed, PAGE_SIZE, 3, 0x32, 2**64 - 1, 0) == (fixed, False)
    assert k.call("mmap", 0, 0, 3, 0x22, 2**64 - 1, 0) == (ERRNO["EINVAL"], True)


def test_personality_read_implies_exec(k):
    """personality(READ_IMPLIES_EXEC): PROT_READ mappings and mprotects become executable
    (mm/mmap.c do_mmap, mm/mprotect.c); 0xffffffff only queries (kernel/exec_domain.c)."""
    a, _ = k.call("mmap", 0, PAGE_SIZE, 3, 0x22, 2**64 - 1, 0)
    assert k.mem.page_perm(a) == PERM_R | PERM_W                 # PER_LINUX: no exec
    assert k.call("personality", 0xFFFFFFFF) == (0, False)
    assert k.call("personality", 0x0400000) == (0, False)
    assert k.call("personality", 0xFFFFFFFF) == (0x0400000, False)
    b, _ = k.call("mmap", 0, PAGE_SIZE, 3, 0x22, 2**64 - 1, 0)
    assert k.mem.page_perm(b) == PERM_R | PERM_W | PERM_X
    assert k.call("mprotect", a, PAGE_SIZE, 1) == (0, False)
    assert k.mem.page_perm(a) == PERM_R | PERM_X
    c, _ = k.call("mmap", 0, PAGE_SIZE, 2, 0x22, 2**64 - 1, 0)   # write-only: not read
    assert k.mem.page_perm(c) == PERM_W
    assert k.call("personality", 0) == (0x0400000, False)
    assert k.call("mprotect", a, PAGE_SIZE, 1) == (0, False)
    assert k.mem.page_perm(a) == PERM_R


def test_mremap_moves_contents(k):
    a, _ = k.call("mmap", 0, PAGE_SIZE, 3, 0x22, 2**64 - 1, 0)
    k.call("mmap", a + PAGE_SIZE, PAGE_SIZE, 3, 0x32, 2**64 - 1, 0)   # block growth in place
    k.mem.write(a, b"keep")
    n, err = k.call("mremap", a, PAGE_SIZE, 4 * PAGE_SIZE, 1, 0)
    assert not err and n != a and k.mem.read(n, 4) == b"keep"


def test_file_backed_mmap(k, tmp_path):
    f = tmp_path / "m.bin"
    f.write_bytes(b"MAPPED" + bytes(100))
    k.mem.write(0x100000, str(f).encode() + b"\0")
    fd, _ = k.call("openat", (-100) & (2**64 - 1), 0x100000, 0, 0)
    a, err = k.call("mmap", 0, 106, 1, 0x02, fd, 0)
    assert not err and k.mem.read(a, 6) == b"MAPPED"


def test_unknown_syscall_enosys_reported_once(k, capfd):
    assert k.call(9999 % 4096 + 1000) == (ERRNO["ENOSYS"], True)
    assert k.call(9999 % 4096 + 1000) == (ERRNO["ENOSYS"], True)
    assert k.call("vhangup") == (ERRNO["ENOSYS"], True)
    err = capfd.readouterr().err
    assert err.count("unimplemented syscall") == 2
    assert "sun4v: unimplemented syscall 76 (vhangup)" in err


def test_uname_and_identity(k):
    assert k.call("uname", 0x100000) == (0, False)
    fields = [k.mem.read_cstr(0x100000 + 65 * i) for i in range(5)]
    assert fields[0] == b"Linux" and fields[4] == b"sparc64"
    assert fields[2] == os.uname().release.encode()           # qemu passes the host's
    assert k.call("getuid")[0] == os.getuid()
    assert k.call("set_tid_address", 0x100000)[0] == os.getpid()
    assert k.call("set_robust_list", 0, 24) == (ERRNO["ENOSYS"], True)   # as qemu


def test_getrandom_deterministic():
    outs = []
    for _ in range(2):
        k = Kernel()
        assert k.call("getrandom", 0x100000, 32, 0) == (32, False)
        outs.append(k.mem.read(0x100000, 32))
    assert outs[0] == outs[1] and outs[0] != bytes(32)


def test_ioctl_tcgets_on_non_tty(k):
    r, w = os.pipe()
    k.sys.fds.host[6] = w
    assert k.call("ioctl", 6, 0x40245408, 0x100000) == (ERRNO["ENOTTY"], True)
    os.close(r)
    os.close(w)


def test_readlink_proc_self_exe(k):
    k.mem.write(0x100000, b"/proc/self/exe\0")
    n, err = k.call("readlinkat", (-100) & (2**64 - 1), 0x100000, 0x101000, 4096)
    assert not err and k.mem.read(0x101000, n) == os.path.realpath(sys.executable).encode()


def test_exit_group_raises(k):
    with pytest.raises(SyscallExit) as e:
        k.call("exit_group", 3)
    assert e.value.status == 3


def test_prlimit_stack(k):
    assert k.call("prlimit64", 0, 3, 0, 0x100000) == (0, False)
    assert k.mem.read_u64(0x100000) > 0


# ---- signals -------------------------------------------------------------------------
HANDLER, RESTORER = 0x100800, 0x100900


def _sigaction(k, sig, flags=0, mask=0, handler=HANDLER):
    k.mem.write(0x103000, handler.to_bytes(8, "big") + flags.to_bytes(8, "big")
                + bytes(8) + mask.to_bytes(8, "big"))
    return k.call("rt_sigaction", sig, 0x103000, 0, RESTORER - 8, 8)


def test_signal_frame_and_sigreturn_roundtrip(k):
    assert _sigaction(k, SG.SIGNUM["SIGUSR1"], flags=SG.SA_SIGINFO) == (0, False)
    for n in range(1, 32):
        if n != 14:
            k.St.set_reg(0, n, 0x1000 + n)
    k.St.C[0, S.Y] = 0x1234
    k.St.set_freg(0, 3, 0xDEADBEEF)
    k.call("kill", os.getpid(), 30)
    o_regs = [k.St.get_reg(0, n) for n in range(8, 16)]
    pc, npc, ccr = int(k.St.C[0, S.PC]), int(k.St.C[0, S.NPC]), int(k.St.C[0, S.CCR])
    k.sig.deliver_pending()
    sf = k.St.get_reg(0, 14) + 2047
    assert sf % 16 == 0 and sf + 528 + 280 <= STACK
    assert k.St.C[0, S.PC] == HANDLER and k.St.C[0, S.NPC] == HANDLER + 4
    assert k.St.get_reg(0, 8) == 30
    assert k.St.get_reg(0, 9) == sf + SG.SF_INFO == k.St.get_reg(0, 10)
    assert k.St.get_reg(0, 15) == RESTORER - 8
    assert k.mem.read_u32(sf + SG.SF_INFO) == 30
    assert k.mem.read_u32(sf + SG.SF_INFO + 8) == 0                   # SI_USER
    assert k.mem.read_u64(sf + SG.SF_SS) == 0x1000 + 16               # window save area
    assert k.sig.blocked & (1 << 29)                                  # SIGUSR1 blocked
    # the handler clobbers state, returns into the restorer: ta 0x6d with %g1 = 101
    k.St.set_reg(0, 3, 0)
    k.St.C[0, S.Y] = 0
    k.St.set_freg(0, 3, 0)
    k.call("rt_sigreturn")
    assert [k.St.get_reg(0, n) for n in range(9, 16) if n != 14] == \
        [o for i, o in enumerate(o_regs[1:], 9) if i != 14]
    assert k.St.get_reg(0, 3) == 0x1003 and k.St.get_reg(0, 14) == STACK - 2047
    assert (int(k.St.C[0, S.PC]), int(k.St.C[0, S.NPC])) == (pc, npc)
    assert int(k.St.C[0, S.CCR]) == ccr and k.St.C[0, S.Y] == 0x1234
    assert k.St.get_freg(0, 3) == 0xDEADBEEF
    assert not k.sig.blocked


def test_resethand_and_nodefer(k):
    _sigaction(k, 30, flags=SG.SA_RESETHAND | SG.SA_NODEFER)
    k.call("kill", os.getpid(), 30)
    k.sig.deliver_pending()
    assert not k.sig.blocked & (1 << 29)
    assert k.sig.actions[30].handler == SG.SIG_DFL


def test_blocked_signal_stays_pending(k):
    _sigaction(k, 30)
    k.mem.write_u64(0x104000, 1 << 29)
    assert k.call("rt_sigprocmask", SG.SIG_BLOCK, 0x104000, 0, 8) == (0, False)
    k.call("kill", os.getpid(), 30)
    k.sig.deliver_pending()
    assert k.St.C[0, S.PC] == TA_PC + 4                    # not delivered
    k.call("rt_sigprocmask", SG.SIG_UNBLOCK, 0x104000, 0x104008, 8)
    assert k.mem.read_u64(0x104008) == 1 << 29
    k.sig.deliver_pending()
    assert k.St.C[0, S.PC] == HANDLER


def test_default_actions(k):
    k.call("kill", os.getpid(), SG.SIGNUM["SIGCHLD"])      # ignored by default
    k.sig.deliver_pending()
    k.call("tgkill", os.getpid(), os.getpid(), SG.SIGABRT)
    with pytest.raises(SG.ProcessKilled) as e:
        k.sig.deliver_pending()
    assert e.value.sig == SG.SIGABRT and e.value.core


@pytest.mark.parametrize("tt,sig,code", [
    (0x10, "SIGILL", SG.ILL_ILLOPC), (0x11, "SIGILL", SG.ILL_PRVOPC),
    (0x28, "SIGFPE", SG.FPE_INTDIV), (0x34, "SIGBUS", SG.BUS_ADRALN),
    (0x23, "SIGEMT", SG.EMT_TAGOVF), (0x101, "SIGTRAP", SG.TRAP_BRKPT),
    (0x105, "SIGILL", SG.ILL_ILLTRP), (0x37, "SIGILL", SG.ILL_PRVOPC),
])
def test_trap_to_signal(k, tt, sig, code):
    from sun4v.se import faults
    k.St.C[0, S.PC] = TA_PC
    k.St.C[0, S.EXIT_ARG1] = 0x10
    _row, s, c, _addr, trapno = faults.classify(tt, k.St, 0, k.mem)
    assert (SG.SIGNAMES[s], c) == (sig, code)
    assert trapno == (5 if tt == 0x105 else 0)


def test_trap_to_signal_fp_and_segv_accerr(k):
    from sun4v.se import faults
    C = k.St.C
    C[0, S.PC] = TA_PC
    # do_fpe_common: si_code from cexc when FSR.ftt = IEEE_754_exception (invalid first
    # when several flags are set), else FPE_FLTUNK
    C[0, S.FSR] = (1 << 14) | 0x02                          # ftt IEEE, cexc DZ
    assert faults.classify(0x21, k.St, 0, k.mem)[1:3] == (SG.SIGFPE, SG.FPE_FLTDIV)
    C[0, S.FSR] = (1 << 14) | 0x19                          # cexc NV|OF|NX
    assert faults.classify(0x21, k.St, 0, k.mem)[1:3] == (SG.SIGFPE, SG.FPE_FLTINV)
    C[0, S.FSR] = 0x02                                      # ftt 0: not an IEEE trap
    assert faults.classify(0x21, k.St, 0, k.mem)[1:3] == (SG.SIGFPE, SG.FPE_FLTUNK)
    C[0, S.FSR] = (3 << 14) | 0x02                          # fp_exception_other, ftt 3
    assert faults.classify(0x22, k.St, 0, k.mem)[1:3] == (SG.SIGFPE, SG.FPE_FLTUNK)
    C[0, S.FSR] = (1 << 14) | 0x02                          # an enabled IEEE trap of an
    assert faults.classify(0x22, k.St, 0, k.mem)[1:3] == (SG.SIGFPE, SG.FPE_FLTDIV)
    # ... emulated FPop: illegal_instruction and fp_exception_other go to mathemu first
    assert faults.row(0x10).action == faults.row(0x22).action == faults.MATHEMU
    k.mem.protect(0x100000, PAGE_SIZE, PERM_R)
    k.mem.write_u32(TA_PC, 0xC0700000 | (8 << 14))          # stx %g0, [%o0]
    k.St.set_reg(0, 8, 0x100040)
    C[0, S.EXIT_ARG1], C[0, S.EXIT_ARG2] = 0x100040, 1
    assert faults.classify(0x30, k.St, 0, k.mem)[1:4] == (SG.SIGSEGV, SG.SEGV_ACCERR,
                                                          0x100040)
    assert faults.row(0x103).action == faults.COMPLETE                # flushw trap


def test_host_signal_mapping():
    import signal
    assert SG.host_signal_for(SG.SIGBUS) == signal.SIGBUS
    assert SG.host_signal_for(SG.SIGNUM["SIGUSR1"]) == signal.SIGUSR1
    assert SG.host_signal_for(SG.SIGNUM["SIGCHLD"]) == signal.SIGCHLD


# ---- end to end ---------------------------------------------------------------------------
needs_tools = pytest.mark.usefixtures("cross_tools")


@pytest.fixture
def cross_tools():
    """`make setup` installs them: a missing one fails the test."""
    setup_tools.require_tools(setup_tools.CROSS_CC, setup_tools.QEMU)

FREESTANDING = r'''
typedef unsigned long u64;
static long sc(long n, long a, long b, long c, long d, long e) {
  register long g1 asm("g1") = n; register long o0 asm("o0") = a;
  register long o1 asm("o1") = b; register long o2 asm("o2") = c;
  register long o3 asm("o3") = d; register long o4 asm("o4") = e;
  asm volatile("ta 0x6d\n\tbcs,a,pn %%xcc, 1f\n\tsub %%g0, %%o0, %%o0\n1:"
               : "+r"(o0), "+r"(o1) : "r"(g1), "r"(o2), "r"(o3), "r"(o4) : "memory", "cc");
  return o0;
}
static long slen(const char *s) { long n = 0; while (s[n]) n++; return n; }
static void out(const char *s) { sc(4, 1, (long)s, slen(s), 0, 0); }
static void num(long v) { char b[24]; int i = 23; b[i] = 0; int neg = v < 0; if (neg) v = -v;
  do { b[--i] = '0' + v % 10; v /= 10; } while (v); if (neg) b[--i] = '-'; out(b + i); }
extern void restorer(void);
asm(".globl restorer\nrestorer:\n\tmov 101, %g1\n\tta 0x6d\n");
static volatile int hits;
static void handler(int sig) { hits++; out("handler "); num(sig); out("\n"); }
struct ksa { u64 handler, flags, restorer, mask; };
int cmain(long argc, char **argv) {
  out("argc "); num(argc); out(" last "); out(argv[argc - 1]); out("\n");
  long b0 = sc(17, 0, 0, 0, 0, 0), b1 = sc(17, b0 + 100000, 0, 0, 0, 0);
  ((volatile char *)b0)[99999] = 5;
  out("brk grew "); num(b1 - b0); out("\n");
  long m = sc(71, 0, 65536, 3, 0x22, -1);
  ((volatile long *)m)[100] = 42;
  out("mmap "); num(((volatile long *)m)[100]); out(" munmap "); num(sc(73, m, 65536, 0, 0, 0));
  out("\nbad fd "); num(sc(4, 99, (long)"x", 1, 0, 0)); out("\n");
  struct ksa sa; sa.handler = (u64)handler; sa.flags = 0; sa.restorer = 0; sa.mask = 0;
  out("sigaction "); num(sc(102, 30, (long)&sa, 0, (long)restorer - 8, 8)); out("\n");
  long pid = sc(20, 0, 0, 0, 0, 0);
  sc(37, pid, 30, 0, 0, 0); sc(37, pid, 30, 0, 0, 0);
  out("hits "); num(hits); out("\n");
  if (argc > 2) *(volatile int *)8 = 1;
  return 40 + hits;
}
asm(".globl _start\n_start:\n\tldx [%sp+2047+128], %o0\n\tcall cmain\n"
    "\tadd %sp, 2047+136, %o1\n\tmov 1, %g1\n\tta 0x6d\n");
'''

LIBC = r'''
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  char *p = malloc(1000); strcpy(p, "heap"); printf("hello %s %d %s\n", p, argc, argv[argc - 1]);
  printf("%.3f\n", 2.0 / 3.0);
  if (argc > 2) abort();
  return 3;
}
'''


def _build(tmp_path, name, src, *flags):
    c = tmp_path / f"{name}.c"
    c.write_text(src)
    exe = tmp_path / name
    subprocess.run([CC, "-static", "-O2", *flags, "-o", str(exe), str(c)], check=True)
    return str(exe)


def _both(exe, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    q = subprocess.run([QEMU, exe, *args], capture_output=True, timeout=60)
    s = subprocess.run([sys.executable, "-m", "sun4v", "run", exe, *args],
                       capture_output=True, timeout=600, env=env)
    return q, s


@needs_tools
@pytest.mark.parametrize("args", [("one", "-x"), ("one", "two", "segv")])
def test_freestanding_program_matches_qemu(tmp_path, args):
    exe = _build(tmp_path, "fs", FREESTANDING, "-nostdlib", "-ffreestanding", "-fno-builtin")
    q, s = _both(exe, *args)
    assert (s.stdout, s.returncode) == (q.stdout, q.returncode)
    assert s.stderr == q.stderr


@needs_tools
@pytest.mark.parametrize("args", [("a",), ("a", "abort")])
def test_libc_program_matches_qemu(tmp_path, args):
    exe = _build(tmp_path, "hello", LIBC)
    q, s = _both(exe, *args)
    assert (s.stdout, s.returncode) == (q.stdout, q.returncode)
    assert s.stderr == q.stderr


@needs_tools
def test_stats_and_limit(tmp_path):
    exe = _build(tmp_path, "fs", FREESTANDING, "-nostdlib", "-ffreestanding", "-fno-builtin")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    stats = tmp_path / "st.json"
    r = subprocess.run([sys.executable, "-m", "sun4v", "run", "--stats", str(stats), exe],
                       capture_output=True, timeout=600, env=env)
    assert r.returncode == 42
    import json
    st = json.loads(stats.read_text())
    assert st["instructions"] > 100 and st["syscalls"]["rt_sigreturn"] == 2
    assert st["exit_status"] == 42 and st["chip"] == "t2"
    r = subprocess.run([sys.executable, "-m", "sun4v", "run", "--max-insns", "50", exe],
                       capture_output=True, timeout=600, env=env)
    assert r.returncode == 124
    assert r.stderr == b"sun4v: instruction limit 50 reached\n"
    r = subprocess.run([sys.executable, "-m", "sun4v", "run", "--trace", exe, "a", "b"],
                       capture_output=True, timeout=600, env=env)
    assert r.returncode == -11
    err = r.stderr.decode()
    assert "<_start>: ldx [%sp + 0x87f], %o0" in err or "<_start>" in err
    assert "unexpected trap 0x30" in err and "%i4-7:" in err


def test_getcontext_setcontext_roundtrip(k):
    """glibc's setjmp is `ta 0x6e` (getcontext) and longjmp `ta 0x6f` (setcontext)."""
    St, C = k.St, k.St.C
    uc = 0x104000
    for n in range(1, 32):
        if n != 14:
            St.set_reg(0, n, 0x2000 + n)
    St.set_reg(0, 8, uc)
    C[0, S.PC], C[0, S.NPC] = TA_PC, TA_PC + 4
    C[0, S.CCR] = 0x44
    k.sig.blocked = 1 << 4
    assert k.sig.get_context()
    assert (int(C[0, S.PC]), int(C[0, S.NPC])) == (TA_PC + 4, TA_PC + 8)
    assert k.mem.read_u64(uc + SG.UC_SIGMASK) == 1 << 4
    assert k.mem.read_u64(uc + SG.UC_GREGS + 8) == TA_PC + 4          # MC_PC
    assert k.mem.read_u64(uc + SG.UC_FP) == 0x2000 + 30                # caller's %fp
    # longjmp(buf, 5) from elsewhere: %g1 = value is stored into MC_G1 by glibc
    k.mem.write_u64(uc + SG.UC_GREGS + 4 * 8, 5)
    for n in range(1, 32):
        if n != 14:
            St.set_reg(0, n, 0x9000 + n)
    St.set_reg(0, 8, uc)
    St.set_reg(0, 9, 1)                                                # restore the mask
    k.sig.blocked = 0
    C[0, S.CCR] = 0
    assert k.sig.set_context()
    assert (int(C[0, S.PC]), int(C[0, S.NPC])) == (TA_PC + 4, TA_PC + 8)
    assert St.get_reg(0, 1) == 5 and St.get_reg(0, 7) == 0x9007        # %g7 kept
    assert St.get_reg(0, 15) == 0x2000 + 15 and St.get_reg(0, 14) == STACK - 2047
    assert St.get_reg(0, 30) == 0x2000 + 30 and St.get_reg(0, 31) == 0x2000 + 31
    assert int(C[0, S.CCR]) == 0x44 and k.sig.blocked == 1 << 4


def test_sysinfo_and_affinity(k):
    assert k.call("sysinfo", 0x100000) == (0, False)
    assert k.mem.read_u64(0x100000 + 32) > 0                           # totalram
    n, err = k.call("sched_getaffinity", 0, 128, 0x101000)
    assert not err and n % 8 == 0
    mask = k.mem.read_u64(0x101000)
    assert bin(mask).count("1") == min(len(os.sched_getaffinity(0)), 64)
