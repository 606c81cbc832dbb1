"""Power-on reset of a strand (UA2007 §16 "Reset and RED_state"; reference/sun4v.md §1.1,
§7; gem5 faults.cc PowerOnReset):

  TL = MAXTL, GL = MAXGL, TT[MAXTL] = 1 (POR), HPSTATE = RED | HPRIV (T1 also bit 11,
  "ENB", which its hypervisor keeps set), PSTATE = PRIV | PEF, TICK.NPT = STICK.NPT = 1,
  the compare registers' interrupt disable set, SOFTINT = HINTP = 0, MMUs off (LSU_CTL =
  0), partition and contexts 0, queues empty, PC = RSTV + 0x20 = 0xFF_F000_0020, HVER of
  the chip. Chosen (undefined after POR): integer, FP and other registers are 0.

The strand's time (INSNS + IDLE in functional mode, the cycle in cycle mode) runs on
through a reset: %tick after POR is NPT | time, the same on every strand of the machine."""
import numpy as np

from ..cmt import chips
from ..cmt import state as S
from ..cmt import timebase as TB
from ..cmt.mmu import SR_IVEC, SR_POKE
from .platforms import RESET_VECTOR

NPT = 1 << 63
_KEEP = (S.STRAND_ID, S.MODE, S.INSNS, S.IDLE, S.CYCLE, S.TIMING, S.STICK_NUM,
         S.STICK_DEN, S.TRAP_COUNT)


def power_on_reset(St, mmu, s, chip):
    """Put strand s of the Strands arrays St in its power-on reset state (running)."""
    C = St.C[s]
    keep = {k: int(C[k]) for k in _KEEP}
    C[:] = 0
    for k, v in keep.items():
        C[k] = v
    St.R[s] = 0
    St.F[s] = 0
    C[S.TL] = S.MAXTL
    C[S.GL] = S.MAXGL
    C[S.TT_BASE + S.MAXTL] = 1
    C[S.HPSTATE] = S.HPSTATE_RED | S.HPSTATE_HPRIV | ((1 << 11) if chip.family == "t1" else 0)
    C[S.PSTATE] = S.PSTATE_PRIV | S.PSTATE_PEF
    C[S.HVER] = chips.hver(chip)
    C[S.PC] = RESET_VECTOR
    C[S.NPC] = RESET_VECTOR + 4
    C[S.TICK_CMPR] = C[S.STICK_CMPR] = C[S.HSTICK_CMPR] = int(TB.INT_DIS)
    now = int(TB.strand_time(C))
    C[S.TICK] = NPT
    C[S.STICK] = (NPT - int(TB.stick_count(C, np.uint64(now)))) & (2**64 - 1)
    C[S.TIMER_LAST] = now
    C[S.DEADLINE] = 0
    C[S.RUN_STATE] = S.RS_RUN
    St.reset_windows(s)
    mmu.sreg[s, SR_IVEC] = 0
    mmu.sreg[s, SR_POKE] = 0
