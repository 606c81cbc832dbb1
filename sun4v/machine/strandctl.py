"""Strand control as the chips do it (reference/sun4v.md §5, §7; sun4v/hypervisor ontario
iob.h and hprivregs.h, huron asi.h, cmp.h and main.s):

- Interrupt dispatch, INT_VEC_DIS format (T1: a store to the IOB's INT_VEC_DIS; T1 and
  T2: stxa to ASI 0x73): type 17:16, target strand from bit 8, vector 5:0.
    0 interrupt  the vector's bit in the target's receive register (ASI 0x72; the jitted
                 code posts it itself for ASI 0x73): interrupt_vector (0x60) there
    1 reset      the target takes a reset: vector 1 power-on reset (the strand restarts
                 at the reset vector), 2 watchdog, 3 externally initiated reset (RED-state
                 traps 0x02/0x03); other vectors do nothing
    2 idle       the target is parked: it stops until a resume
    3 resume     a parked target runs on; one that has not run since power-on reset
                 starts at the reset vector (T1: how the hypervisor's master strand starts
                 the others, ontario main.s)
  The target field is the strand's id: bits 12:8 on T1, 13:8 on T2. T2+ with two or four
  sockets: bits 15:8, the socket in 15:14 (chosen; the T2+ supplement was not found),
  and a strand addresses every socket's strands that way.
- T2 ASI 0x41, the chip's CMP registers (hyperprivileged; each chip's own, for a T2+):
    0x00 CORE_AVAILABLE, 0x10 CORE_ENABLE_STATUS (read: the chip's strands, one bit each)
    0x20 CORE_ENABLE, 0x30 XIR_STEERING, 0x38 TICK_ENABLE (stored; time always runs)
    0x50 CORE_RUNNING_RW (read: running strands; write: 1 runs, 0 parks)
    0x58 CORE_RUNNING_STATUS (read), 0x60 CORE_RUNNING_W1S (write 1s: run),
    0x68 CORE_RUNNING_W1C (write 1s: park); W1S/W1C read as the status
  "Running" is a strand that is not parked or waiting for its start (a self-halted strand
  still counts as running). After power-on reset only the boot strand (0) runs; a W1S of a
  strand that never ran starts it at the reset vector (T2: huron main.s starts the others
  with W1S, then an INT_VEC_DIS resume through ASI 0x73).
- Self halt: T1 `wr %asr26` with ACTIVE clear, T2 `wrhpr %hpr30` (the engine sets
  RS_HALT; the run loop wakes the strand on an interrupt)."""
from ..cmt import state as S
from ..cmt import traps
from ..cmt.mmu import SR_IVEC, SR_POKE
from ..cmt.traptypes import T_DATA_ACCESS, T_WATCHDOG, T_XIR
from .reset import power_on_reset

TYPE_INTERRUPT, TYPE_RESET, TYPE_IDLE, TYPE_RESUME = 0, 1, 2, 3
CMP_CORE_AVAILABLE, CMP_CORE_ENABLE_STATUS, CMP_CORE_ENABLE = 0x00, 0x10, 0x20
CMP_XIR_STEERING, CMP_TICK_ENABLE = 0x30, 0x38
CMP_CORE_RUNNING_RW, CMP_CORE_RUNNING_STATUS = 0x50, 0x58
CMP_CORE_RUNNING_W1S, CMP_CORE_RUNNING_W1C = 0x60, 0x68


class StrandControl:
    def __init__(self, machine):
        self.m = machine
        chip = machine.chip
        self.sps = chip.strands_per_socket
        self.stored = {}            # (socket, CMP register) -> value

    # ---- one strand ---------------------------------------------------------------
    def post(self, t, vector):
        """Interrupt vector to strand t (interrupt_vector there; wakes it if halted)."""
        if 0 <= t < self.m.nstrands:
            self.m.mmu.sreg[t, SR_IVEC] |= 1 << (vector & 0x3F)
            self.m.mmu.sreg[t, SR_POKE] = 1
            if self.m.cm is not None:       # cycle mode: the sleepers are swept
                self.m.cm.poked()

    def park(self, t):
        C = self.m.S.C[t]
        if int(C[S.RUN_STATE]) in (S.RS_RUN, S.RS_HALT):
            C[S.RUN_STATE] = S.RS_PARK

    def resume(self, t):
        C = self.m.S.C[t]
        st = int(C[S.RUN_STATE])
        if st == S.RS_PARK:
            C[S.RUN_STATE] = S.RS_RUN
            C[S.DEADLINE] = 0
        elif st == S.RS_WAIT:
            power_on_reset(self.m.S, self.m.mmu, t, self.m.chip)

    def reset(self, t, kind):
        if kind == 1:
            power_on_reset(self.m.S, self.m.mmu, t, self.m.chip)
        elif kind in (T_WATCHDOG, T_XIR):
            St = self.m.S
            St.C[t, S.RUN_STATE] = S.RS_RUN
            traps.take_trap(St.R[t], St.RM[t], St.C[t], kind)
            St.C[t, S.DEADLINE] = 0

    def running(self, t):
        return int(self.m.S.C[t, S.RUN_STATE]) in (S.RS_RUN, S.RS_HALT)

    # ---- interrupt dispatch -------------------------------------------------------
    def dispatch(self, src, value):
        """An INT_VEC_DIS-format dispatch by strand src (IOB store or ASI 0x73)."""
        kind = (value >> 16) & 3
        t = (value >> 8) & self.m.vcid_mask
        vec = value & 0x3F
        if t >= self.m.nstrands:
            return
        if kind == TYPE_INTERRUPT:
            self.post(t, vec)
        elif kind == TYPE_RESET:
            self.reset(t, vec)
        elif kind == TYPE_IDLE:
            self.park(t)
        else:
            self.resume(t)

    # ---- T2 CMP registers (ASI 0x41) ------------------------------------------------
    def _mask(self, socket):
        base = socket * self.sps
        return sum(1 << i for i in range(self.sps) if self.running(base + i))

    def cmp_read(self, src, va):
        """(value, trap type or 0) of an ldxa from ASI 0x41 by strand src."""
        sock = src // self.sps
        every = (1 << self.sps) - 1
        if va in (CMP_CORE_AVAILABLE, CMP_CORE_ENABLE_STATUS):
            return every, 0
        if va in (CMP_CORE_ENABLE, CMP_XIR_STEERING, CMP_TICK_ENABLE):
            default = 1 if va == CMP_TICK_ENABLE else (every if va == CMP_CORE_ENABLE else 0)
            return self.stored.get((sock, va), default), 0
        if va in (CMP_CORE_RUNNING_RW, CMP_CORE_RUNNING_STATUS, CMP_CORE_RUNNING_W1S,
                  CMP_CORE_RUNNING_W1C):
            return self._mask(sock), 0
        return 0, T_DATA_ACCESS

    def cmp_write(self, src, va, value):
        """Trap type or 0 of an stxa to ASI 0x41 by strand src."""
        sock = src // self.sps
        base = sock * self.sps
        if va in (CMP_CORE_ENABLE, CMP_XIR_STEERING, CMP_TICK_ENABLE):
            self.stored[(sock, va)] = value
            return 0
        if va not in (CMP_CORE_RUNNING_RW, CMP_CORE_RUNNING_W1S, CMP_CORE_RUNNING_W1C):
            return T_DATA_ACCESS
        for i in range(self.sps):
            bit = (value >> i) & 1
            t = base + i
            if va == CMP_CORE_RUNNING_W1S and bit:
                self.resume(t)
            elif va == CMP_CORE_RUNNING_W1C and bit:
                self.park(t)
            elif va == CMP_CORE_RUNNING_RW:
                if bit and not self.running(t):
                    self.resume(t)
                elif not bit and self.running(t):
                    self.park(t)
        return 0
