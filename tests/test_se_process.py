"""Processes, signals and timers in syscall-emulation mode, end to end: static sparc64
programs (tests/se_progs/*.c, built here) under `sun4v run`, compared with qemu-sparc64
where qemu is right and with the Linux kernel's behaviour (named per case) where it is
not. The corpus programs tests/progs/process_wait.c, signals_timers.c and
fault_signals.c are compared with qemu in test_corpus.py; here they also run in cycle
mode."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qemu_oracle import (  # noqa: E402
    CROSS_CC, ROOT, compare_runs, corpus_binary, ensure_corpus,
    require_tools, run_qemu, run_sun4v, sun4v_command,
)

SE_PROGS = Path(__file__).resolve().parent / "se_progs"
OPTS = ("O0", "O2")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(name, opt) -> path of tests/se_progs/<name>.c built static at -<opt>."""
    require_tools()
    d = tmp_path_factory.mktemp("se_process")
    done = {}

    def b(name, opt="O2"):
        if (name, opt) not in done:
            out = d / f"{name}.{opt}"
            subprocess.run([CROSS_CC, "-static", f"-{opt}", "-o", str(out),
                            str(SE_PROGS / f"{name}.c"), "-lm"], check=True,
                           capture_output=True)
            done[name, opt] = out
        return done[name, opt]
    return b


# ---- fork and wait ---------------------------------------------------------------------------
@pytest.mark.parametrize("opt", OPTS)
def test_fork_wait_case(build, opt):
    """../shared/cases/fork_wait.c: glibc fork + waitpid and the raw fork system call.
    Every line is qemu's except one: the raw child's %o0 is the parent's pid (Linux
    arch/sparc/kernel/process_64.c copy_thread: u_regs[UREG_I0] = current->pid), where
    qemu 7.2 returns 0."""
    exe = build("fork_wait", opt)
    q_out, q_err, q_rc = run_qemu(exe)
    s_out, s_err, s_rc = run_sun4v(exe)
    raw = b"raw child: %o1=1, %o0 is parent pid: "
    assert raw + b"0\n" in q_out                         # qemu's value (wrong)
    assert raw + b"1\n" in s_out, s_out                  # the kernel's
    compare_runs(exe.name, (q_out.replace(raw + b"0", raw + b"1"), q_err, q_rc),
                 (s_out, s_err, s_rc))


def test_fork_in_cycle_mode():
    """The corpus's process program (forks, waits, signals between processes) gives
    qemu's output in cycle mode too."""
    ensure_corpus()
    exe = corpus_binary("process_wait", "O2")
    compare_runs(exe.name + " (cycle mode)", run_qemu(exe),
                 run_sun4v(exe, extra_opts=("--mode", "cycle")))


# ---- signals when the stack is bad --------------------------------------------------------
STACK_OVERFLOW_OUT = (b"big: caught signal 11, handler on altstack: 1\n"
                      b"tiny: caught signal 11, handler on altstack: 1\n")


@pytest.mark.parametrize("opt", OPTS)
def test_stack_overflow_on_altstack(build, opt):
    """../shared/cases/stack_overflow_altstack.c: SIGSEGV from a stack overflow is caught
    on the alternate stack, also when the fault is a register window spill; Linux keeps
    the windows it cannot write in the signal frame (signal_64.c setup_rt_frame,
    __siginfo_rwin_t) so the handler starts with clean windows. qemu agrees."""
    exe = build("stack_overflow_altstack", opt)
    # the limit turns a regression (a fault loop) into a failure instead of a hang
    got = run_sun4v(exe, extra_opts=("--max-insns", "20000000"))
    assert got == (STACK_OVERFLOW_OUT, b"", 0), got
    compare_runs(exe.name, run_qemu(exe), got)


@pytest.mark.parametrize("opt", OPTS)
def test_handler_makes_the_stack_usable_and_returns(build, opt):
    """The handler returns after making the faulting stack writable: the register
    windows Linux kept in the signal frame go back to the stack at rt_sigreturn
    (sigutil_64.c restore_rwin_state), so a recursion interrupted by a window spill
    fault goes on and sums right. (qemu 7.2 drops the spill and crashes: SIGSEGV.)"""
    exe = build("stack_regrow", opt)
    got = run_sun4v(exe, extra_opts=("--max-insns", "5000000"))
    want = b"".join(b"%s: sum 8002000 (expected 8002000), faults 1, si_code SEGV_ACCERR 1\n"
                    % name for name in (b"tiny", b"big"))
    assert got == (want, b"", 0), got


def test_fault_loop_ends_at_max_insns(build):
    """A handler that cannot run one instruction (its address is unmapped): the program
    only traps. Without a limit it ends when the frames fill the stack (SIGSEGV, as
    under qemu); the budget counts trapping attempts, so --max-insns stops it first."""
    exe = build("fault_loop")
    full = run_sun4v(exe, extra_opts=("--stats", "-"))
    assert full[2] == -signal.SIGSEGV and full[0] == b"looping\n"
    assert full[2] == run_qemu(exe)[2]
    stats = full[1].decode()
    insns = int(stats.split("sun4v: ")[1].split()[0])
    # far below the ~10000 trapping attempts the loop makes before the stack is full
    limit = insns + 2000
    for mode in ("functional", "cycle"):
        out, err, rc = run_sun4v(exe, extra_opts=("--mode", mode, "--max-insns", str(limit)))
        assert (out, rc) == (b"looping\n", 124), (mode, out, err, rc)
        assert err == f"sun4v: instruction limit {limit} reached\n".encode()


# ---- the trap -> signal table ---------------------------------------------------------------
# Rows qemu 7.2 gets wrong, with what Linux gives (tests/se_progs/fault_signals_kernel.c).
# qemu: "unhandled" = it stops with "Unhandled trap" instead of signalling.
FAULT_ROWS = [
    # (line, kernel source, qemu 7.2)
    ("sdivx by zero              SIGFPE code 1 addr as expected trapno 0", "do_div0", "unhandled"),
    ("udiv by zero               SIGFPE code 1 addr as expected trapno 0", "do_div0", "unhandled"),
    ("rdpr %pstate               SIGILL code 5 addr as expected trapno 0", "do_privop",
     "ILL_ILLOPC"),
    ("wrpr %pil                  SIGILL code 5 addr as expected trapno 0", "do_privop",
     "ILL_ILLOPC"),
    ("done                       SIGILL code 5 addr as expected trapno 0", "do_privop",
     "ILL_ILLOPC"),
    ("ta 5                       SIGILL code 4 addr as expected trapno 5",
     "bad_trap: ILL_ILLTRP, si_trapno = tt - 0x100", "unhandled"),
    ("ta 1 (breakpoint)          SIGTRAP code 1 addr as expected trapno 0",
     "sparc_breakpoint: TRAP_BRKPT", "unhandled"),
    ("ta 2 (divide by zero)      SIGFPE code 1 addr as expected trapno 0", "do_div0",
     "unhandled"),
    ("taddcctv overflow          SIGEMT code 1 addr as expected trapno 0",
     "do_tof: EMT_TAGOVF", "unhandled"),
    ("jmpl misaligned            SIGBUS code 1 addr as expected trapno 0",
     "sun4v_do_mna: BUS_ADRALN at the target", "unhandled"),
    ("ldxa invalid ASI 0x85      SIGILL code 3 addr as expected trapno 0",
     "sun4v_data_access_exception: HV_FAULT_TYPE_INV_ASI -> ILL_ILLADR", "unhandled"),
    ("stxa no-fault ASI 0x82     SIGILL code 3 addr as expected trapno 0",
     "sun4v_data_access_exception: a store through a no-fault ASI is an invalid ASI",
     "unhandled"),
    ("ldxa restricted ASI 0x14   SIGILL code 5 addr as expected trapno 0",
     "do_privact: ILL_PRVOPC", "unhandled"),
    ("ldxa no-fault unmapped     no signal", "handle_ld_nf", "agrees"),
    ("  no-fault load gave 0", "handle_ld_nf", "agrees"),
    ("lddf at 8n+4               no signal", "handle_lddfmna: two word loads", "agrees"),
    ("  lddf at 8n+4 read 3.14", "handle_lddfmna", "agrees"),
    ("stdf at 8n+4               no signal", "handle_stdfmna", "agrees"),
    ("  stdf at 8n+4 wrote 40040000 00000000", "handle_stdfmna", "agrees"),
    ("lddf at 8n+4 unmapped      SIGSEGV code 1 addr as expected trapno 0",
     "handle_lddfmna -> data access exception at the address", "agrees"),
    ("fdivd by zero (TEM.DZ)     SIGFPE code 3 addr as expected trapno 0",
     "do_fpieee -> do_fpe_common: FPE_FLTDIV from FSR.cexc", "unhandled"),
    ("flushw, window at bad %sp  SIGSEGV code 1 addr as expected trapno 0",
     "spill_fixup_dax -> do_sparc64_fault: SEGV_MAPERR, si_addr computed from the "
     "instruction at TPC (flushw: r[0] + r[0] = 0)", "SIGBUS"),
    ("ta 3 (flush windows)       no signal", "FLUSH_WINDOW_TRAP", "unhandled"),
    ("ta 0x11 getpid             no signal", "LINUX_64BIT_SYSCALL_TRAP (tl0_oldlinux64)",
     "unhandled"),
    ("  ta 0x11 getpid matches: 1", "LINUX_64BIT_SYSCALL_TRAP", "unhandled"),
]


@pytest.mark.parametrize("opt", OPTS)
def test_fault_signals_as_the_kernel_gives_them(build, opt):
    """One row per trap (faults.FAULTS): the signal, si_code, si_addr and si_trapno a
    handler with SA_SIGINFO sees, as the kernel function named in FAULT_ROWS makes
    them (qemu 7.2 is wrong for most of these: see the rows)."""
    exe = build("fault_signals_kernel", opt)
    out, err, rc = run_sun4v(exe)
    want = "".join(line + "\n" for line, _k, _q in FAULT_ROWS)
    assert (out.decode(), err, rc) == (want, b"", 0)


# ---- execve -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exec_files(build, tmp_path_factory):
    d = tmp_path_factory.mktemp("exec")
    child = build("exec_child")
    (d / "notes.txt").write_text("just text\n")
    (d / "notes.txt").chmod(0o755)
    (d / "noexec").write_text("#!/bin/sh\n")
    (d / "noexec").chmod(0o644)
    (d / "script").write_text(f"#!{child} --pid\nnot read by anything\n")
    (d / "script").chmod(0o755)
    src = d / "dyn.c"
    src.write_text("int main(void) { return 0; }\n")
    r = subprocess.run([CROSS_CC, "-O2", "-o", str(d / "dynamic"), str(src)],
                       capture_output=True)
    if r.returncode:
        (d / "dynamic").unlink(missing_ok=True)
    shutil.copy("/bin/true" if os.path.exists("/bin/true") else sys.executable, d / "x86")
    return child, d


def test_execve(build, exec_files):
    """execve as fs/exec.c, binfmt_elf.c, binfmt_script.c do it (qemu 7.2 cannot run a
    sparc64 program's exec of another one without binfmt_misc, so the kernel is the
    reference): the errors (nothing changes), then what survives the exec and what does
    not, a #! script, vfork + exec."""
    child, d = exec_files
    exe = build("exec_parent")
    out, err, rc = run_sun4v(exe, [child, d])
    text = out.decode().replace(str(d), "DIR").replace(str(child), "CHILD")
    dyn_interp = Path("/lib64/ld-linux.so.2")
    lines = [
        "execve (missing file)         -> -1 No such file or directory",
        "execve (a directory)          -> -1 Permission denied",
        "execve (text, no #!)          -> -1 Exec format error",
        "execve (no execute permission) -> -1 Permission denied",
    ]
    if (d / "dynamic").exists():
        # its interpreter, /lib64/ld-linux.so.2, is not on this host: ENOENT as Linux
        assert not dyn_interp.exists()
        lines.append("execve (dynamically linked)   -> -1 No such file or directory")
    lines += [
        "execve (another machine's ELF) -> -1 Exec format error",
        "execve (bad argv pointer) -> -1 Bad address",
        "still here, pid unchanged",
    ]
    inherited = [
        "child: close-on-exec fd 5 closed 1 (EBADF 1), fd 6 open 1",
        "child: SIGUSR1 SIG_DFL, SIGUSR2 SIG_IGN, SIGTERM SIG_DFL",
        "child: SIGINT still blocked 1, SIGQUIT blocked 0",
        "child: alternate stack disabled 1",
    ]
    lines += ["child: argc 4 [exec_child] [--pid] [PID] [last arg]",
              "child: 2 environment strings, EXEC_TEST=yes",
              "child: AT_EXECFN CHILD",
              "child: same pid as before exec 1"] + inherited + [
        "child: SIGINT still pending 1",
        "parent: exec'd child exited 23",
        "child: argc 4 [CHILD] [--pid] [DIR/script] [extra]",
        "child: 1 environment strings, EXEC_TEST=script",
        "child: AT_EXECFN DIR/script",
        "child: same pid as before exec 0"] + inherited + [
        "child: SIGINT still pending 0",
        "parent: script child exited 23",
        "child: argc 1 [vforked]",
        "child: 0 environment strings, EXEC_TEST=(null)",
        "child: AT_EXECFN CHILD"] + inherited + [
        "child: SIGINT still pending 0",
        "parent: vfork+exec child exited 23",
    ]
    got = text.splitlines()
    got = [g if not g.startswith("child: argc 4 [exec_child] [--pid] [") else
           "child: argc 4 [exec_child] [--pid] [PID] [last arg]" for g in got]
    assert got == lines, "\n".join(got)
    assert rc == 0
    assert b"Traceback" not in err


# ---- signals from outside -------------------------------------------------------------------
def _start(exe, *args):
    cmd = [*sun4v_command(), str(exe), *args]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))
    line = p.stdout.readline()
    assert line == b"ready\n", (line, p.stderr.read() if p.poll() is not None else b"")
    time.sleep(0.2)
    return p


def test_host_signal_reaches_the_guest_handler(build):
    """kill -TERM of the simulator is a guest SIGTERM: the program's handler runs (with
    the sender's pid in si_pid) while the program waits in pause()."""
    exe = build("host_signals")
    p = _start(exe, "handle")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert out == b"caught signal 15, si_code SI_USER 1, sender is my parent 1\n", err
    assert p.returncode == 0


def test_host_signal_default_action_ends_the_simulator(build):
    """Without a handler SIGINT's default action ends the program, and the simulator
    ends by that signal (no Python KeyboardInterrupt), as qemu does."""
    exe = build("host_signals")
    p = _start(exe)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert (p.returncode, err) == (-signal.SIGINT, b"")


# ---- timers in cycle mode -------------------------------------------------------------------
def test_timers_cycle_mode_deterministic(tmp_path):
    """signals_timers.c (alarm, pause, itimers, POSIX timers, sigsuspend, sigtimedwait,
    nanosleep) gives qemu's output in cycle mode, where every wait is simulated time:
    waiting skips ahead instead of spinning, and two runs count the same cycles."""
    ensure_corpus()
    exe = corpus_binary("signals_timers", "O2")
    want = run_qemu(exe)
    cycles = []
    for i in range(2):
        stats = tmp_path / f"st{i}.json"
        got = run_sun4v(exe, extra_opts=("--mode", "cycle", "--stats", str(stats)))
        compare_runs(exe.name + " (cycle mode)", want, got)
        st = json.loads(stats.read_text())
        cycles.append((st["cycles"], st["instructions"]))
        # the program sleeps 5 s in nanosleep until an alarm interrupts it after 20 ms,
        # and in several short waits: far less than a second of simulated time
        assert st["simulated_seconds"] < 1.0
    assert cycles[0] == cycles[1]


# ---- waits that signals, timers, threads and children end -----------------------------------
@pytest.mark.parametrize("mode", ["functional", "cycle"])
def test_interrupted_waits_in_both_modes(mode):
    """interrupted_waits.c (corpus, compared with qemu there): a read from an empty pipe,
    poll, ppoll, select and pause, ended by a timer, a child's signal or write, or
    another thread's write -- qemu's output in both modes (the host holds the signals
    the guest catches, so these waits are blocked calls the run loop ends, not host
    calls that would sleep through them). In cycle mode each process has its own
    simulated clock: the child that writes after sleeping 400 ms may write before the
    parent's 20 ms timer fires, so the SA_RESTART line may show no handler run."""
    ensure_corpus()
    exe = corpus_binary("interrupted_waits", "O2")
    want = run_qemu(exe)
    got = run_sun4v(exe, extra_opts=("--mode", mode), timeout=120)
    if mode == "cycle":
        line = b"read, timer, SA_RESTART: 1 'y' hits "
        assert line + b"1\n" in want[0]
        got = (got[0].replace(line + b"0\n", line + b"1\n"),) + got[1:]
    compare_runs(f"{exe.name} ({mode} mode)", want, got)


CHILD_USAGE_OUT = """\
fork child starts below its parent's time: 1
grandchild's time > 0: 1
wait4 rusage = child's own + its waited child's: 1
RUSAGE_CHILDREN = wait4's figures: 1 1
times children = RUSAGE_CHILDREN: 1
minflt > 0 1 maxrss > 0 1
second child adds: 1, status 3
ppoll interrupted: -1 EINTR 1, time left written 1
"""


@pytest.mark.parametrize("mode", ["functional", "cycle"])
def test_children_usage_and_ppoll_time_left(build, mode):
    """Linux's rules where qemu 7.2 departs from them (child_usage.c names them): wait4
    reports a reaped child's own use plus its reaped children's, in the simulated
    CPU-time model, and the parent's RUSAGE_CHILDREN and times() add the same figures;
    a fork child starts with no CPU time; a ppoll a signal interrupts writes back the
    time left."""
    exe = build("child_usage")
    out, err, rc = run_sun4v(exe, extra_opts=("--mode", mode), timeout=120)
    assert (rc, err) == (0, b""), err
    assert out.decode() == CHILD_USAGE_OUT
