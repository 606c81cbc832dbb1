"""The execution engine: a numba-compiled fetch/decode/execute loop over flat state arrays
that runs a strand until a budget or an exit only Python can handle (DESIGN.md, "The
execution engine"; the KVM run-loop pattern).

Decoding uses a direct-mapped cache keyed by the whole instruction word, filled from the
declarative table in isa.py on a miss; a word decodes the same wherever it lies, so stores
to code need no invalidation.

Full system: each strand checks one number per instruction, C[INSNS] against its
interrupt deadline C[DEADLINE] (timebase.py); when reached, traps.service runs the full
interrupt check. A strand that halts or parks returns EXIT_HALT to the machine's run loop
(sun4v/machine/runloop.py), which runs all strands of a machine through run_strand."""
from collections import namedtuple

import numpy as np
from numba import njit

from . import chips
from . import isa as I
from . import memory as MEM
from . import mmu
from . import state as S
from . import traps
from . import windows
from .exec_fp import exec_fp
from .exec_int import exec_alu, exec_branch, exec_ctrl, exec_muldiv, exec_state
from .exec_mem import exec_mem
from .exec_priv import exec_priv
from .traptypes import (T_CLEAN_WINDOW, T_FILL_HI, T_FILL_LO, T_FP_DISABLED, T_ILLEGAL,
                        T_INSTR_ACCESS, T_INSTR_ACCESS_ERROR, T_LINUX_SYSCALL,
                        T_MAGIC_EXIT, T_SPILL_LO, T_UNALIGNED)

DC_BITS = 16
DC_SIZE = 1 << DC_BITS
_DC_MUL = np.uint64(0x9E3779B1)
_NO_PAGE = np.uint64(0xFFFFFFFFFFFFFFFF)

CLS_ALU = I.CLS_ALU
CLS_MULDIV = I.CLS_MULDIV
CLS_BRANCH = I.CLS_BRANCH
CLS_CTRL = I.CLS_CTRL
CLS_MEM = I.CLS_MEM
CLS_STATE = I.CLS_STATE
CLS_PRIV = I.CLS_PRIV

# the decode cache as the jitted code takes it
Decode = namedtuple("Decode", "key ids")


def new_decode_cache():
    """Empty decode cache: every key is the word 0xFFFFFFFF, with that word's decoding."""
    ins = I.decode(0xFFFFFFFF)
    key = np.full(DC_SIZE, 0xFFFFFFFF, dtype=np.uint32)
    ids = np.full(DC_SIZE, ins.id if ins else 0, dtype=np.int32)
    return Decode(key, ids)


@njit(cache=True, nogil=True, _nrt=False)
def decode_slow(word):
    for k in range(I.DEC_MASK.shape[0]):
        if (word & I.DEC_MASK[k]) == I.DEC_VALUE[k]:
            return I.DEC_ID[k]
    return 0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def decode(DC, word):
    h = np.int64(((np.uint64(word) * _DC_MUL) >> np.uint64(16)) & np.uint64(DC_SIZE - 1))
    if DC.key[h] == word:
        return DC.ids[h]
    iid = decode_slow(word)
    DC.key[h] = word
    DC.ids[h] = iid
    return iid


@njit(cache=True, nogil=True, _nrt=False)
def se_trap(R, RM, C, M, tt):
    """A trap in syscall-emulation mode: window traps and lazy FPU enable are done here as
    the Linux kernel does them (then the instruction is retried); everything else exits to
    Python (the rest of the kernel). Returns 0 to retry, or an EXIT_* code."""
    if tt >= T_SPILL_LO and tt < T_FILL_LO:
        bad = windows.se_spill(R, C, M)
        if bad:
            C[S.EXIT_ARG0] = 0x30
            C[S.EXIT_ARG1] = bad - np.uint64(1)
            C[S.EXIT_ARG2] = 1
            return S.EXIT_TRAP
        return 0
    if tt >= T_FILL_LO and tt <= T_FILL_HI:
        bad = windows.se_fill(R, C, M)
        if bad:
            C[S.EXIT_ARG0] = 0x30
            C[S.EXIT_ARG1] = bad - np.uint64(1)
            C[S.EXIT_ARG2] = 0
            return S.EXIT_TRAP
        return 0
    if tt == T_CLEAN_WINDOW:
        windows.se_clean(R, C)
        return 0
    if tt == T_FP_DISABLED and C[S.FPRS] & np.uint64(S.FPRS_FEF) == np.uint64(0):
        C[S.FPRS] |= np.uint64(S.FPRS_FEF)
        C[S.PSTATE] |= np.uint64(S.PSTATE_PEF)
        return 0
    C[S.EXIT_ARG0] = tt
    if tt == T_LINUX_SYSCALL:
        return S.EXIT_SYSCALL
    return S.EXIT_TRAP


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def dispatch_in(R, RM, C, F, M, MMU, inst, iid, se):
    """Execute one decoded instruction: the execute function of its class. `se`:
    syscall-emulation mode, a constant in each mode's engine (run_strand_se/_fs)."""
    cls = I.ID_CLASS[iid]
    if cls == CLS_ALU:
        return exec_alu(R, RM, C, inst, iid)
    if cls == CLS_MEM:
        return exec_mem(R, RM, C, M, MMU, inst, iid, se)
    if cls == CLS_BRANCH:
        return exec_branch(R, RM, C, inst, iid)
    if cls == CLS_CTRL:
        return exec_ctrl(R, RM, C, inst, iid)
    if cls == CLS_MULDIV:
        return exec_muldiv(R, RM, C, inst, iid)
    if cls == CLS_STATE:
        return exec_state(R, RM, C, inst, iid)
    if cls == CLS_PRIV:
        return exec_priv(R, RM, C, inst, iid)
    if cls == 0:
        return T_ILLEGAL
    return exec_fp(R, RM, C, F, M, MMU, inst, iid)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def dispatch(R, RM, C, F, M, MMU, inst, iid):
    """dispatch_in for the strand's own mode (C[MODE])."""
    return dispatch_in(R, RM, C, F, M, MMU, inst, iid, C[S.MODE] == S.MODE_SE)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def complete(R, RM, C, M, r, se):
    """Retire an executed instruction or take its trap. Returns (retired 0/1, exit):
    exit is 0 to go on, or the EXIT_* code to hand to Python."""
    if r == S.ADVANCE:
        C[S.PC] = C[S.NPC]
        C[S.NPC] += np.uint64(4)
        return 1, 0
    if r == S.PC_SET:
        return 1, 0
    if r >= S.EXIT_BASE:
        return 0, r
    if se:
        x = se_trap(R, RM, C, M, r)
    elif r == T_MAGIC_EXIT and C[S.HPSTATE] & np.uint64(S.HPSTATE_HPRIV):
        # the simulator's power-off (Legion's magic exit trap): retire, value in %o0
        C[S.EXIT_ARG0] = R[RM[8]]
        C[S.PC] = C[S.NPC]
        C[S.NPC] += np.uint64(4)
        return 1, S.EXIT_POWEROFF
    else:
        x = traps.take_trap(R, RM, C, r)
    if x != 0:
        return 0, x
    return 0, 0


@njit(cache=True, nogil=True, _nrt=False)
def fetch(C, M, MMU, pc, se):
    """(instruction word, status, physical address) at pc: status 0, a trap type, or
    EXIT_MEMGROW. In full system an address with no memory, or a device, is
    instruction_access_error. (The cycle model fetches through this.)"""
    if pc & np.uint64(3):
        C[S.EXIT_ARG1] = pc
        return np.uint32(0), T_UNALIGNED, pc
    if se:
        pa = pc
    else:
        pa, st = mmu.translate_fetch(C, MMU, M, pc)
        if st != 0:
            C[S.EXIT_ARG1] = pc
            return np.uint32(0), st, pa
    v, st = MEM.load(M, pa, 4, MEM.KIND_FETCH)
    if st == MEM.GROW:
        return np.uint32(0), S.EXIT_MEMGROW, pa
    if st != 0:
        C[S.EXIT_ARG1] = pc
        return np.uint32(0), T_INSTR_ACCESS if se else T_INSTR_ACCESS_ERROR, pa
    return np.uint32(v), 0, pa


@njit(cache=True, nogil=True, _nrt=False)
def run_strand(St, M, MMU, DC, budget):
    """Run one strand (St: its rows of the Strands arrays) for at most `budget`
    instructions (run_strand_se or run_strand_fs, by C[MODE]). Returns an EXIT_* code;
    retired instructions are added to C[INSNS]."""
    if St.C[S.MODE] == S.MODE_SE:
        return run_strand_se(St, M, MMU, DC, budget)
    return run_strand_fs(St, M, MMU, DC, budget)


@njit(cache=True, nogil=True, _nrt=False)
def run_strand_se(St, M, MMU, DC, budget):
    """run_strand of a strand in syscall-emulation mode."""
    return _run(St, M, MMU, DC, budget, True)


@njit(cache=True, nogil=True, _nrt=False)
def run_strand_fs(St, M, MMU, DC, budget):
    """run_strand of a strand in full-system mode."""
    return _run(St, M, MMU, DC, budget, False)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _run(St, M, MMU, DC, budget, se):
    """The engine's loop, compiled once per mode (`se` a constant: each mode's engine
    holds only its own paths, which keeps both fast).
    Full system: before each instruction, C[INSNS] >= C[DEADLINE] runs the interrupt
    check (traps.service); a strand that is not running returns EXIT_HALT.

    The page being fetched from is kept across instructions (one compare per
    instruction while the PC stays in it). Full system: it is looked up again after
    anything that may change the fetch translation: a trap taken (complete), and what
    sets C[DEADLINE] = 0 (done/retry, wrpr %pstate/%tl, wrhpr %hpstate, stores to
    LSU_CTL, the primary context, the partition ID, the ITLB: mmu.py "FETCH_CHANGE");
    another strand's TLB changes happen between calls (the machine runs its strands one
    at a time) and reach the strand's translation cache (mmu.xc_flush_core)."""
    R, RM, C, F = St
    start = C[S.INSNS]
    end = start + np.uint64(budget)
    keep = se or MMU.cfg[mmu.CFG_XC_OFF] == 0
    words = M.words
    code_vpn = _NO_PAGE
    code_base = np.int64(0)
    result = S.EXIT_BUDGET
    while C[S.INSNS] < end:
        # ---- full system: interrupts, timers, halting (one compare when not due) ------
        if not se and C[S.INSNS] >= C[S.DEADLINE]:
            code_vpn = _NO_PAGE
            x = traps.service(R, RM, C, MMU.sreg)
            if x != 0:
                result = x
                break
        pc = C[S.PC]
        # ---- fetch --------------------------------------------------------------
        if pc & np.uint64(3):
            C[S.EXIT_ARG1] = pc
            r = T_UNALIGNED
        else:
            vpn = pc >> np.uint64(MEM.PAGE_SHIFT)
            st = 0
            if vpn != code_vpn:
                if se:
                    slot = MEM.page_slot(M, pc, MEM.KIND_FETCH)
                    if slot < 0:
                        st = slot if slot == MEM.GROW else T_INSTR_ACCESS
                else:
                    slot, _, st = mmu.xc_fetch(C, MMU, M, pc)
                    if st < 0 and st != MEM.GROW:
                        st = T_INSTR_ACCESS_ERROR       # no memory there, or a device
                if st == 0:
                    code_base = slot * MEM.WORDS_PER_PAGE
                    if keep:
                        code_vpn = vpn
                elif st == MEM.GROW:
                    result = S.EXIT_MEMGROW
                    break
                else:
                    C[S.EXIT_ARG1] = pc
                    r = st
            if st == 0:
                wv = words[code_base + np.int64((pc >> np.uint64(3)) & np.uint64(1023))]
                if pc & np.uint64(4):
                    word = np.uint32(wv & np.uint64(0xFFFFFFFF))
                else:
                    word = np.uint32(wv >> np.uint64(32))
                iid = decode(DC, word)
                r = dispatch_in(R, RM, C, F, M, MMU, np.int64(word), iid, se)
        # ---- retire or trap -----------------------------------------------------------
        retired, x = complete(R, RM, C, M, r, se)
        C[S.INSNS] += np.uint64(retired)      # kept current: rd %tick reads it
        if retired == 0:
            code_vpn = _NO_PAGE                 # a trap: another privilege, TL, vector
            if x != 0:
                result = x
                break
        elif x != 0:
            result = x
            break
    return result


class Engine:
    """A chip's strands, memory and MMU, and the run loop of one strand (syscall
    emulation; the full-system machine is sun4v/machine)."""

    def __init__(self, nstrands=1, mem=None, mode=S.MODE_SE, chip="t2"):
        self.chip = chips.chip(chip)
        self.mode = mode
        self.S = S.StrandArrays(nstrands)
        self.mem = mem if mem is not None else MEM.Memory(alloc_on_touch=(mode == S.MODE_FULL))
        self.mmu = mmu.new_mmu(nstrands, chip=self.chip)
        self.dc = new_decode_cache()
        for s in range(nstrands):
            self.S.C[s, S.MODE] = mode
            self.S.C[s, S.HVER] = chips.hver(chip)     # the chip's own behaviour keys on it

    def run(self, strand=0, max_insns=1 << 62):
        """Run `strand` until an exit; returns the EXIT_* code. Page-pool growth is handled
        here and never reaches the caller."""
        St = self.S
        while True:
            before = int(St.C[strand, S.INSNS])
            run = run_strand_se if int(St.C[strand, S.MODE]) == S.MODE_SE else run_strand_fs
            code = run(St.row(strand), self.mem.M, self.mmu, self.dc, max_insns)
            if code != S.EXIT_MEMGROW:
                return code
            self.mem.grow()
            max_insns -= int(St.C[strand, S.INSNS]) - before
            if max_insns <= 0:
                return S.EXIT_BUDGET

    def step(self, strand=0):
        return self.run(strand, 1)
