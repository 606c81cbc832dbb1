"""The one table of sun4v trap types: number, name, priority, the level that handles the
trap when it is raised in user or privileged mode, and its category. Every module takes
its T_* constants from here, and the trap routing of traps.py is derived from it.

Facts: UltraSPARC Architecture 2005/2007 trap table as gem5 encodes it
(src/arch/sparc/faults.cc: name, TT, priority x100, handler level per mode) and
reference/sun4v.md §1.3 (levels). Priority: lower is more urgent (UA2007 "Trap
Priority"; e.g. 3.0 for instruction_access_exception, 16.08 for cpu_mondo).

Level: "H" the hypervisor's trap table (HTBA), "P" the privileged (guest) trap table
(TBA). Every trap taken in hyperprivileged mode goes to the hypervisor; a trap for
privileged mode at TL >= MAXPTL becomes guest_watchdog (traps.py).

Category: "reset" (POR, WDR, XIR, SIR; RED-state vectors), "exception" (raised by the
instruction, precise), "interrupt" (pending state, taken between instructions), "window"
(spill/fill/clean_window), "trap" (Tcc software traps 0x100-0x1FF).

Also here: the simulator-only magic trap (`ta 0x71` in hyperprivileged mode, Legion's
LEGION_MAGICTRAP_EXIT, sun4v/hypervisor src/greatlakes/common/include/legion.h): the
machine powers off with %o0 as the power-off value. A real chip takes it as the
ordinary trap 0x171 to HTBA + 0x171 << 5."""
from collections import namedtuple

import numpy as np

TrapType = namedtuple("TrapType", "tt name priority level category")

# (tt, name, priority, level from user/privileged mode, category)
_TABLE = [
    (0x001, "power_on_reset", 0.0, "H", "reset"),
    (0x002, "watchdog_reset", 1.2, "H", "reset"),       # also guest_watchdog (sun4v)
    (0x003, "externally_initiated_reset", 1.1, "H", "reset"),
    (0x004, "software_initiated_reset", 1.3, "H", "reset"),
    (0x005, "RED_state_exception", 0.01, "H", "reset"),
    (0x007, "store_error", 2.01, "H", "exception"),
    (0x008, "instruction_access_exception", 3.0, "H", "exception"),
    (0x00A, "instruction_access_error", 4.0, "H", "exception"),
    (0x010, "illegal_instruction", 6.2, "H", "exception"),
    (0x011, "privileged_opcode", 7.0, "P", "exception"),
    (0x020, "fp_disabled", 8.0, "P", "exception"),
    (0x021, "fp_exception_ieee_754", 11.1, "P", "exception"),
    (0x022, "fp_exception_other", 11.1, "P", "exception"),
    (0x023, "tag_overflow", 14.0, "P", "exception"),
    (0x024, "clean_window", 10.1, "P", "window"),
    (0x028, "division_by_zero", 15.0, "P", "exception"),
    (0x029, "internal_processor_error", 0.04, "H", "exception"),
    (0x02A, "instruction_invalid_TSB_entry", 2.1, "H", "exception"),
    (0x02B, "data_invalid_TSB_entry", 12.03, "H", "exception"),
    (0x030, "data_access_exception", 12.01, "H", "exception"),
    (0x032, "data_access_error", 12.1, "H", "exception"),
    (0x033, "data_access_protection", 12.07, "H", "exception"),
    (0x034, "mem_address_not_aligned", 10.2, "H", "exception"),
    (0x035, "LDDF_mem_address_not_aligned", 10.1, "H", "exception"),
    (0x036, "STDF_mem_address_not_aligned", 10.1, "H", "exception"),
    (0x037, "privileged_action", 11.1, "H", "exception"),
    (0x038, "LDQF_mem_address_not_aligned", 10.1, "H", "exception"),
    (0x039, "STQF_mem_address_not_aligned", 10.1, "H", "exception"),
    (0x03E, "instruction_real_translation_miss", 2.08, "H", "exception"),
    (0x03F, "data_real_translation_miss", 12.03, "H", "exception"),
    (0x040, "interrupt_level_n", 32.0, "P", "interrupt"),     # 0x41-0x4F: level n
    (0x05E, "hstick_match", 16.01, "H", "interrupt"),
    (0x05F, "trap_level_zero", 2.02, "H", "interrupt"),
    (0x060, "interrupt_vector", 16.3, "H", "interrupt"),
    (0x061, "PA_watchpoint", 12.09, "H", "exception"),
    (0x062, "VA_watchpoint", 11.2, "P", "exception"),
    (0x064, "fast_instruction_access_MMU_miss", 2.08, "H", "exception"),
    (0x068, "fast_data_access_MMU_miss", 12.03, "H", "exception"),
    (0x06C, "fast_data_access_protection", 12.07, "H", "exception"),
    (0x076, "instruction_breakpoint", 6.1, "H", "exception"),
    (0x07C, "cpu_mondo", 16.08, "P", "interrupt"),
    (0x07D, "dev_mondo", 16.11, "P", "interrupt"),
    (0x07E, "resumable_error", 33.3, "P", "interrupt"),
    (0x080, "spill_n_normal", 9.0, "P", "window"),            # 0x80-0x9F
    (0x0A0, "spill_n_other", 9.0, "P", "window"),             # 0xA0-0xBF
    (0x0C0, "fill_n_normal", 9.0, "P", "window"),             # 0xC0-0xDF
    (0x0E0, "fill_n_other", 9.0, "P", "window"),              # 0xE0-0xFF
    (0x100, "trap_instruction", 16.02, "P", "trap"),          # 0x100-0x17F from any mode
    (0x180, "htrap_instruction", 16.02, "H", "trap"),         # 0x180-0x1FF (priv only)
]

TRAPS = {tt: TrapType(tt, name, prio, level, cat) for tt, name, prio, level, cat in _TABLE}

# ---- named constants ---------------------------------------------------------------------
T_POWER_ON_RESET = 0x001
T_WATCHDOG = 0x002                   # watchdog reset; sun4v guest_watchdog (TL > MAXPTL)
T_XIR = 0x003
T_SIR = 0x004
T_RED_STATE = 0x005
T_INSTR_ACCESS = 0x008
T_INSTR_ACCESS_ERROR = 0x00A
T_ILLEGAL = 0x010
T_PRIV_OPCODE = 0x011
T_FP_DISABLED = 0x020
T_FP_IEEE = 0x021
T_FP_OTHER = 0x022
T_TAG_OVERFLOW = 0x023
T_CLEAN_WINDOW = 0x024
T_DIV_ZERO = 0x028
T_INSTR_INVALID_TSB = 0x02A
T_DATA_INVALID_TSB = 0x02B
T_DATA_ACCESS = 0x030
T_DATA_ACCESS_ERROR = 0x032
T_UNALIGNED = 0x034
T_LDDF_UNALIGNED = 0x035
T_STDF_UNALIGNED = 0x036
T_PRIV_ACTION = 0x037
T_INSTR_REAL_MISS = 0x03E
T_DATA_REAL_MISS = 0x03F
T_INTERRUPT_LEVEL = 0x040            # + level 1..15
T_HSTICK_MATCH = 0x05E
T_TRAP_LEVEL_ZERO = 0x05F
T_INTERRUPT_VECTOR = 0x060
T_FAST_INSTR_MISS = 0x064
T_FAST_DATA_MISS = 0x068
T_FAST_DATA_PROT = 0x06C
T_CPU_MONDO = 0x07C
T_DEV_MONDO = 0x07D
T_RESUMABLE_ERROR = 0x07E
T_SPILL_LO, T_FILL_LO, T_FILL_HI = 0x080, 0x0C0, 0x0FF
T_TRAP_INSTRUCTION = 0x100           # + software trap number (ta n)
T_HTRAP_INSTRUCTION = 0x180
T_LINUX_SYSCALL = 0x16D              # ta 0x6d: Linux 64-bit system call
MAGIC_EXIT = 0x71                    # ta 0x71: Legion's magic exit (%o0 = value)
T_MAGIC_EXIT = T_TRAP_INSTRUCTION + MAGIC_EXIT


def lookup(tt):
    """The TrapType of trap number tt (0..0x1FF): ranges (interrupt levels, spill/fill,
    Tcc) resolve to their first entry. KeyError for an unassigned number."""
    if 0x041 <= tt <= 0x04F:
        return TRAPS[0x040]
    if 0x080 <= tt <= 0x0FF:
        return TRAPS[tt & ~0x1F]
    if 0x100 <= tt <= 0x17F:
        return TRAPS[0x100]
    if 0x180 <= tt <= 0x1FF:
        return TRAPS[0x180]
    return TRAPS[tt]


def name(tt):
    """A trap number's name ("trap_instruction 0x6d", "interrupt_level_14", ...)."""
    try:
        t = lookup(tt)
    except KeyError:
        return f"trap {tt:#x}"
    if t.tt == 0x040:
        return f"interrupt_level_{tt - 0x40}"
    if t.category == "trap":
        return f"{t.name} {tt - 0x100:#x}"
    if t.category == "window" and tt != 0x024:
        return f"{t.name} {tt:#x}"
    return t.name


def routing():
    """TO_HV[tt] = 1 when a trap raised in user/privileged mode goes to the hypervisor's
    table, 0 when to the privileged one (levels of the table; unassigned numbers go to
    the hypervisor, as reserved traps do)."""
    t = np.ones(0x200, dtype=np.int8)
    for tt in range(0x200):
        try:
            if lookup(tt).level == "P":
                t[tt] = 0
        except KeyError:
            pass
    return t
