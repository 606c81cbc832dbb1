"""Architectural state of a CMT chip's strands as flat numpy arrays with named indices.

Register file layout follows SPARC V9 / UltraSPARC Architecture 2007 (NWINDOWS=8,
MAXGL=3, MAXTL=6); privileged/hyperprivileged register set from reference/sun4v.md §1.

Layout, per strand s:
  R[s, :]   uint64  physical integer registers: GL sets of 8 globals, then NWINDOWS
                    windows of 16 (locals r16-23 at w*16+0..7, ins r24-31 at w*16+8..15;
                    the outs r8-15 of window w are the ins of window (w+1) % NWINDOWS),
                    then ZERO_SLOT (reads of %g0, always 0) and SINK_SLOT (writes to %g0).
  RM[s, :]  int32   current register map: RM[s, n] is the physical index read for r<n>,
                    RM[s, 32+n] the index written. Copied from MAPS whenever CWP or GL
                    changes, so the hot loop reads a register with two loads.
  C[s, :]   uint64  control, privileged, hyperprivileged and per-trap-level registers,
                    plus engine bookkeeping (instruction counter, run state, time, next
                    interrupt deadline, exit payloads).
  F[s, :]   uint32  64 single-precision FP words %f0..%f63, stored at index n ^ 1, so that
                    F.view(float32)[n ^ 1] is %f<n> and F.view(float64)[k] is the double
                    whose even register number is 2*k (both host-native, no swapping).
"""
from collections import namedtuple

import numpy as np

NWINDOWS = 8
MAXGL = 3
MAXPGL = 2
MAXTL = 6
MAXPTL = 2

N_GLOBAL_SLOTS = 8 * (MAXGL + 1)          # 32
WIN_BASE = N_GLOBAL_SLOTS                  # first windowed slot
ZERO_SLOT = WIN_BASE + 16 * NWINDOWS       # 160
SINK_SLOT = ZERO_SLOT + 1                  # 161
NREG_PHYS = SINK_SLOT + 1                  # 162

# ---- control register indices into C[s, :] -----------------------------------------
_names = """
PC NPC Y CCR ASI FPRS FSR GSR
PSTATE TL PIL CWP CANSAVE CANRESTORE CLEANWIN OTHERWIN WSTATE GL
TBA HPSTATE HTBA HINTP HVER HSTICK_CMPR SOFTINT
TICK STICK TICK_CMPR STICK_CMPR
PRIMARY_CTX SECONDARY_CTX PARTID LSU_CTL
STRAND_ID RUN_STATE MODE
INSNS EXIT_ARG0 EXIT_ARG1 EXIT_ARG2 TRAP_COUNT
LAST_EA CYCLE TIMING
IDLE DEADLINE TIMER_LAST STICK_NUM STICK_DEN
IO_PA IO_VA IO_SIZE IO_FLAGS IO_DATA IO_REG IO_ASI
I_TAG_ACCESS D_TAG_ACCESS D_SFAR I_SFSR D_SFSR
""".split()
for _i, _n in enumerate(_names):
    globals()[_n] = _i
TPC_BASE = len(_names)                       # TPC[tl] at TPC_BASE + tl, tl = 1..MAXTL
TNPC_BASE = TPC_BASE + MAXTL + 1
TSTATE_BASE = TNPC_BASE + MAXTL + 1
TT_BASE = TSTATE_BASE + MAXTL + 1
HTSTATE_BASE = TT_BASE + MAXTL + 1
SCRATCH_BASE = HTSTATE_BASE + MAXTL + 1       # 8 guest scratchpad registers (ASI 0x20)
HSCRATCH_BASE = SCRATCH_BASE + 8              # 8 hyperprivileged scratchpads (ASI 0x4F)
QUEUE_BASE = HSCRATCH_BASE + 8                # 8 queue head/tail registers (ASI 0x25)
NCTL = QUEUE_BASE + 8
CTL_NAMES = list(_names)

# Time (interrupts.py): a strand's time is INSNS + IDLE in functional mode (one step per
# retired instruction, IDLE = steps credited while halted, parked or not started) and
# CYCLE in cycle mode. %tick = TICK + time, %stick = STICK + time * STICK_NUM / STICK_DEN
# (TICK and STICK are offsets set by writes). DEADLINE is the value of INSNS (functional)
# or CYCLE (cycle mode) at which the run loop must run the full interrupt check: the
# earliest enabled compare-register match, 0 when something may have made an interrupt
# deliverable, DEADLINE_NEVER when nothing can. TIMER_LAST is the time up to which the
# compare registers have been checked.
DEADLINE_NEVER = 0xFFFFFFFFFFFFFFFF

# RUN_STATE values (the machine's run loop skips strands that are not RS_RUN)
RS_RUN = 0        # running
RS_HALT = 1       # self-halted (T1 %asr26 ACTIVE cleared, T2 wrhpr %hpr30): wakes when an
#                   interrupt is pending for it (vector, timer match, queue not empty)
RS_PARK = 2       # parked by another strand (T1 IOB idle, T2 CORE_RUNNING W1C): only a
#                   resume (IOB resume, CORE_RUNNING W1S) restarts it
RS_WAIT = 3       # not started since power-on reset: waits for a resume or a reset
RS_ERROR = 4      # error state (a trap at TL = MAXTL): stopped until a reset
RUN_STATE_NAMES = ["running", "halted", "parked", "waiting for reset", "error state"]

# IO_* slots: an access the jitted code hands to Python (EXIT_MMIO): a load/store to a
# device (IO_ASI = 0, IO_PA its physical address) or to an internal register ASI Python
# models (IO_ASI = the ASI, IO_VA the register's address). IO_SIZE bytes; IO_DATA the
# store data (register value, low IO_SIZE bytes); IO_REG the register a load writes (a
# physical slot of R, or the FP register number with IOF_FP).
IOF_STORE = 1     # a store (else a load)
IOF_SIGNED = 2    # sign-extend the loaded value
IOF_LE = 4        # little-endian ASI: swap the bytes
IOF_FP = 8        # the register is FP: single (size 4) or double (size 8) %f<IO_REG>

# TIMING values: what %tick counts. Functional mode: retired instructions (one per
# cycle); cycle mode: the chip clock, kept in C[CYCLE] by the cycle-level model.
TIMING_FUNCTIONAL = 0
TIMING_CYCLE = 1

# MODE values: how traps that leave the program are handled.
MODE_SE = 0       # syscall emulation: user-level traps exit to Python (the "kernel")
MODE_FULL = 1     # full system: every trap is taken architecturally

# ---- PSTATE / HPSTATE bits (reference/sun4v.md §1.1) -------------------------------
PSTATE_IE = 1 << 1
PSTATE_PRIV = 1 << 2
PSTATE_AM = 1 << 3
PSTATE_PEF = 1 << 4
PSTATE_MM_SHIFT = 6
PSTATE_TLE = 1 << 8
PSTATE_CLE = 1 << 9
PSTATE_TCT = 1 << 12
HPSTATE_TLZ = 1 << 0
HPSTATE_HPRIV = 1 << 2
HPSTATE_RED = 1 << 5
HPSTATE_IBE = 1 << 10

FPRS_DL = 1
FPRS_DU = 2
FPRS_FEF = 4

# CCR: xcc in bits 7:4, icc in bits 3:0, each N Z V C from bit 3 down to bit 0.
CC_C = 1
CC_V = 2
CC_Z = 4
CC_N = 8

# ---- engine return codes --------------------------------------------------------------
# An execute function returns ADVANCE (pc <- npc, npc <- npc + 4), PC_SET (it wrote PC
# and NPC itself), a trap type 1..0x1FF to raise, or an EXIT_* code (>= EXIT_BASE) that
# the run loop hands back to Python with the instruction not retired.
ADVANCE = 0
PC_SET = -1
EXIT_BASE = 0x1000
EXIT_BUDGET = EXIT_BASE + 0      # instruction budget used up
EXIT_SYSCALL = EXIT_BASE + 1     # SE mode: Linux syscall trap (ta 0x6d); EXIT_ARG0 = tt
EXIT_TRAP = EXIT_BASE + 2        # SE mode: a trap the "kernel" handles (signal); EXIT_ARG0=tt, ARG1=fault addr
EXIT_HALT = EXIT_BASE + 3        # the strand halted (run_strand); no strand can run (machine)
EXIT_MMIO = EXIT_BASE + 4        # access to a Python-modelled device; EXIT_ARG0=pa ARG1=size|store<<8 ARG2=data
EXIT_MEMGROW = EXIT_BASE + 5     # physical page pool exhausted: Python grows it and resumes
EXIT_UNIMPL = EXIT_BASE + 6      # instruction the engine does not implement; EXIT_ARG0 = word
EXIT_ERROR_STATE = EXIT_BASE + 7 # strand entered error state (trap at TL = MAXTL)
EXIT_BREAK = EXIT_BASE + 8       # breakpoint hit
EXIT_SELECT = EXIT_BASE + 9      # cycle model: a thread group's pick is asked of Python (cosim)
EXIT_POWEROFF = EXIT_BASE + 10   # magic exit trap (ta 0x71, hyperprivileged); EXIT_ARG0 = %o0
EXIT_ATTENTION = EXIT_BASE + 11  # machine loop: the attention flag was set (safe point)
EXIT_EVENT = EXIT_BASE + 12      # machine loop: a device event is due (round boundary)
EXIT_UNTIL = EXIT_BASE + 13      # machine loop: the requested machine time is reached


def _register_maps():
    """MAPS[gl * NWINDOWS + cwp] is the register map (see RM above) of window cwp with
    global set gl; changing CWP or GL copies one row."""
    maps = np.zeros(((MAXGL + 1) * NWINDOWS, 64), dtype=np.int32)
    for gl in range(MAXGL + 1):
        for cwp in range(NWINDOWS):
            m = maps[gl * NWINDOWS + cwp]
            outw = (cwp + 1) % NWINDOWS
            for n in range(8):
                m[n] = gl * 8 + n
                m[8 + n] = WIN_BASE + outw * 16 + 8 + n        # outs: ins of window cwp+1
                m[16 + n] = WIN_BASE + cwp * 16 + n            # locals
                m[24 + n] = WIN_BASE + cwp * 16 + 8 + n        # ins
            m[32:] = m[:32]
            m[0] = ZERO_SLOT
            m[32] = SINK_SLOT
    return maps


MAPS = _register_maps()


# The strand arrays as the jitted code takes them (whole machine, or one strand's rows)
Strands = namedtuple("Strands", "R RM C F")


class StrandArrays:
    """The numpy arrays holding all strands of a machine (or of one chip)."""

    def __init__(self, nstrands: int):
        self.nstrands = nstrands
        self.R = np.zeros((nstrands, NREG_PHYS), dtype=np.uint64)
        self.RM = np.zeros((nstrands, 64), dtype=np.int32)
        self.C = np.zeros((nstrands, NCTL), dtype=np.uint64)
        self.F = np.zeros((nstrands, 64), dtype=np.uint32)
        self.C[:, DEADLINE] = DEADLINE_NEVER
        self.C[:, STICK_NUM] = 1
        self.C[:, STICK_DEN] = 1
        for s in range(nstrands):
            self.C[s, STRAND_ID] = s
            self.reset_windows(s)

    @property
    def bundle(self):
        return Strands(self.R, self.RM, self.C, self.F)

    def row(self, s):
        """Strand s's rows, as run_strand takes them."""
        return Strands(self.R[s], self.RM[s], self.C[s], self.F[s])

    def reset_windows(self, s):
        C = self.C
        C[s, CWP] = 0
        C[s, CANSAVE] = NWINDOWS - 2
        C[s, CANRESTORE] = 0
        C[s, OTHERWIN] = 0
        C[s, CLEANWIN] = NWINDOWS - 1
        self.sync_map(s)

    def sync_map(self, s):
        self.RM[s] = MAPS[int(self.C[s, GL]) * NWINDOWS + int(self.C[s, CWP])]

    # -- convenient access by architectural register number (Python side) --
    def get_reg(self, s, n):
        return int(self.R[s, self.RM[s, n]])

    def set_reg(self, s, n, value):
        self.R[s, self.RM[s, 32 + n]] = np.uint64(value & 0xFFFFFFFFFFFFFFFF)

    def get_freg(self, s, n):
        """Single-precision word %f<n> as an int."""
        return int(self.F[s, n ^ 1])

    def set_freg(self, s, n, value):
        self.F[s, n ^ 1] = np.uint32(value & 0xFFFFFFFF)
