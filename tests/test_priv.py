"""Hand-written bare-metal assembly tests (tests/asm/*.S, built by the Makefile with
tests/asm/baremetal.ld) for traps, register windows, privileged and hyperprivileged
behaviour, done/retry, GL/TL, RED/error state and the TLBs with partition IDs; each
program logs values to memory (bm.h LOG) that are checked here exactly. They run on the
full-system machine (sun4v/machine): a T5220 (T2) or a T2000 (T1)."""
import subprocess
from pathlib import Path

import numpy as np

from sun4v.cmt import mmu
from sun4v.cmt import state as S
from sun4v.cmt import traps
from sun4v.machine import Machine

import setup_tools

ROOT = Path(__file__).resolve().parent.parent
ASM = ROOT / "tests" / "asm"
CC = "sparc64-linux-gnu-gcc"
LOG_COUNT = 0x100000 + 0x3F8
LOG_BASE = 0x100000 + 0x400


def build(name):
    """The program build/asm/<name>, (re)built like the Makefile does when stale
    (the Makefile does not track tests/asm/bm.h)."""
    out = ROOT / "build" / "asm" / name
    deps = [ASM / f"{name}.S", ASM / "bm.h", ASM / "baremetal.ld"]
    if not out.exists() or any(d.stat().st_mtime > out.stat().st_mtime for d in deps):
        setup_tools.require_tools(CC)
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([CC, "-nostdlib", "-static", "-Wl,-T," + str(ASM / "baremetal.ld"),
                        "-Wl,-z,max-page-size=0x2000", "-o", str(out), str(ASM / f"{name}.S")],
                       check=True, capture_output=True)
    return out


PLATFORM = {"t1": "t2000", "t2": "t5220"}


def run(name, chip="t2", max_insns=200_000):
    bm = Machine(PLATFORM[chip])
    bm.load_elf(build(name))
    r = bm.run(max_insns)
    n = bm.mem.read_u64(LOG_COUNT) // 8
    log = [bm.mem.read_u64(LOG_BASE + 8 * i) for i in range(n)]
    code = r.value if r.reason == "poweroff" else r.reason
    return bm, code, log


def test_power_on_reset_state_uart_and_poweroff():
    bm, code, _ = run("bm_hello")
    assert code == 0x2A
    assert bm.hv_uart.text() == "hello, sun4v\n"
    res = [bm.mem.read_u64(0x100000 + 8 * i) for i in range(8)]
    hver = (0x3E << 48) | (0x24 << 32) | (0x20 << 24) | (3 << 16) | (6 << 8) | 7
    # TL=MAXTL, GL=MAXGL, HPSTATE=RED|HPRIV, PSTATE=PRIV|PEF, TT=POR, HVER, LSR (u/s)
    assert res == [6, 3, 0x24, 0x14, 1, hver, 0x60, 0x60]


def test_power_on_reset_t1():
    bm, code, _ = run("bm_hello", chip="t1")
    assert code == 0x2A
    res = [bm.mem.read_u64(0x100000 + 8 * i) for i in range(6)]
    assert res[2] == 0x24 | 0x800            # T1 keeps HPSTATE bit 11 (ENB) set
    assert (res[5] >> 32) & 0xFFFF == 0x23


def test_traps_vectoring_done_retry_and_privilege_checks():
    bm, code, log = run("bm_traps")
    assert code == 0x5A
    upc = log[34]
    assert 0xFFF0000000 <= upc < 0xFFF0010000     # user code ran on after its traps
    assert log[:34] == [
        0x110, 1, 1, 0x10, 0x4,        # ta 0x10 in hpriv -> HTBA+0x110<<5; PSTATE.priv off
        0x120, 1, 1, 0x14,             # ta 0x20 in priv -> TBA+0x120<<5, GL 1
        0x121, 2, 2, 0x14,             # nested ta 0x21 at TL 1 -> TL>0 half, GL 2
        0x181, 1, 1, 0x10, 0x0,        # ta 0x81 from priv -> hyperprivileged 0x181
        0x10, 1, 1, 0x10, 0x0,         # rdhpr in priv -> illegal_instruction to HV
        0x28, 6,                       # division_by_zero; handler fixes %l1, retry
        0x11, 1, 1, 0x14,              # rdpr in user -> privileged_opcode to priv
        0x37, 1, 1, 0x10, 0x0,         # ldxa ASI 0x20 in user -> privileged_action
    ]
    assert log[35:] == [0x185, 2]      # ta 0x23 -> priv -> ta 0x85 -> HV power off


def test_window_spill_fill_clean_traps():
    bm, code, log = run("bm_windows", max_insns=1_000_000)
    assert code == 0x5A
    # cleaned %l3, sum 1..40, 36 spills, 36 fills, 6 clean_window traps,
    # then CANSAVE 6, CANRESTORE 0, CLEANWIN 7, CWP 0
    assert log[:9] == [0, 820, 36, 36, 6, 6, 0, 7, 0]


def test_gl_tl_caps_global_sets_and_guest_watchdog():
    bm, code, log = run("bm_gltl")
    assert code == 0x5A
    assert log[:17] == [
        0x11, 0x33, 3, 0x44, 6,        # hpriv: GL sets, GL capped at MAXGL, TL at MAXTL
        0x11, 2, 2,                    # priv: GL 0 set; GL capped MAXPGL, TL capped MAXPTL
        0x22, 1, 0x55,                 # trap handler sees GL 1's %g4; done restores GL 0
        0x2, 3, 1, 0x10, 0x0,          # ta at TL=MAXPTL -> guest_watchdog (TT 2) to HV
        2,                             # done returned to TL 2
    ]


def test_red_state_and_error_state():
    bm, code, log = run("bm_red")
    assert code == "error_state"
    assert log == [0x140, 6, 0x24, 1]
    C = bm.S.C[0]
    assert int(C[S.EXIT_ARG0]) == 0x141 and int(C[S.TL]) == 6


def test_tlb_partitions_demap_and_mmu_faults():
    bm, code, log = run("bm_tlb")
    assert code == 0x5A
    assert log == [
        (1 << 61) | 0x10000000 | 5,    # DTLB tag read: PID 1, VA, context 5
        0x111, 0x222,                  # same VA, partition 1 and 2
        0x68, 0x10000005,              # after demap in partition 2: miss, tag access
        0x111,                         # partition 1's entry survived the demap
        0x6C,                          # store to a page without W
        0x30,                          # user load from a P page
        0x3F,                          # ASI_REAL with no real entry
        0x185, 1,
    ]


# ---- unit checks of the MMU and interrupt logic (no assembly) --------------------------
def _strand():
    st = S.StrandArrays(1)
    st.C[0, S.MODE] = S.MODE_FULL
    return st, mmu.new_mmu(1, chip="t2")


def test_translate_page_sizes_and_real_bit():
    st, M = _strand()
    C = st.C[0]
    C[S.PARTID] = 3
    C[S.PSTATE] = S.PSTATE_PRIV
    C[S.LSU_CTL] = 8
    C[S.PRIMARY_CTX] = 9
    tte = (1 << 63) | 0x40000000 | 0x40 | 3          # 4 MB page, writable
    mmu.tlb_insert(M, 0, mmu.W_D, np.uint64(0x7000000000), 3, 0, 9, np.uint64(tte), -1)
    pa, s = mmu.translate_data(C, M, None, np.uint64(0x7000123458), 0, 0x80)
    assert s == 0 and int(pa) == 0x40123458
    C[S.PRIMARY_CTX] = 8
    _, s = mmu.translate_data(C, M, None, np.uint64(0x7000123458), 0, 0x80)
    assert s == mmu.T_FAST_DATA_MISS
    _, s = mmu.translate_data(C, M, None, np.uint64(0x7000123458), 0, 0x14)  # real
    assert s == mmu.T_DATA_REAL_MISS
    C[S.HPSTATE] = S.HPSTATE_HPRIV
    pa, s = mmu.translate_data(C, M, None, np.uint64(0xFFFF_FF12_3456_7890), 0, 0x80)
    assert s == 0 and int(pa) == 0x1234567890


def test_pending_interrupt_priorities():
    st, M = _strand()
    C, SREG = st.C[0], M.sreg
    C[S.PSTATE] = S.PSTATE_PRIV | S.PSTATE_IE
    C[S.PIL] = 4
    C[S.SOFTINT] = 1 << 3
    assert traps.pending_interrupt(C, SREG) == 0            # level 3 <= PIL
    C[S.SOFTINT] = (1 << 3) | (1 << 9)
    assert traps.pending_interrupt(C, SREG) == 0x49
    C[S.QUEUE_BASE + 1] = 0x40                              # cpu mondo tail != head
    assert traps.pending_interrupt(C, SREG) == 0x7C
    C[S.PSTATE] = S.PSTATE_PRIV
    assert traps.pending_interrupt(C, SREG) == 0            # PSTATE.ie = 0
    C[S.HINTP] = 1
    assert traps.pending_interrupt(C, SREG) == 0x5E         # HV level: ie not needed
    SREG[0, 0] = 1 << 5
    assert traps.pending_interrupt(C, SREG) == 0x60         # interrupt_vector first
    C[S.HPSTATE] = S.HPSTATE_HPRIV
    assert traps.pending_interrupt(C, SREG) == 0            # hpriv with ie = 0
    C[S.HPSTATE] = S.HPSTATE_TLZ
    assert traps.pending_interrupt(C, SREG) == 0x5F         # trap_level_zero at TL 0
