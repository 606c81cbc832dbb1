"""Chip parameter sets: UltraSPARC T1, T2 and T2+ as values (reference/cmt_microarch.md §1;
OpenSPARC T1 Microarchitecture Specification; HVER and MMU sizes reference/sun4v.md §1.1,
§3). Values marked "chosen" are not published; they are this model's choice and say so.

A chip is a frozen `Chip` value: every model (the engine's MMU, the cycle-level timing
model, the caches, the full-system machine) takes one, so a chip with changed parameters
(`CHIPS["t2"].replace(clock_mhz=1600, l2_size=8 << 20)`) can be passed anywhere without
registering a name. `chip(x)` accepts a value or one of the names in CHIPS. Item access
(`c["clock_mhz"]`) reads a field, as the dicts of earlier versions did.

`sockets` is the number of chips the model connects (T2+ only: the coherency units join
2 or 4 of them); a platform (sun4v/machine/platforms.py) sets it. `timing_params(c)`
flattens a chip into the int64 array the jitted cycle loop reads (indices P_*).
`hver(c)` is the chip's HVER register (manufacturer 0x3e, implementation, mask, MAXGL,
MAXTL, MAXWIN)."""
import dataclasses
from dataclasses import dataclass

import numpy as np

from . import state as S


@dataclass(frozen=True)
class Chip:
    key: str                    # short name: t1, t2, t2plus
    name: str
    family: str                 # "t1" or "t2": MMU formats, strand control, CMP registers
    clock_mhz: int
    cores: int
    strands_per_core: int
    groups_per_core: int
    hver_impl: int              # HVER.impl: 0x23 T1, 0x24 T2/T2+ (reference §1.1)
    hver_mask: int              # HVER.mask: chosen 0x20 (mask revision 2.0)
    # pipeline and switch behaviour (Spec §2.3)
    load_use: int
    branch_wait: int
    switch_wait: int
    taken_branch_penalty: int
    mul_latency: int
    mul_issue_interval: int
    div_latency: int
    fpu_per_chip: bool
    fpu_xbar_latency: int
    fpu_issue_interval: int
    fadd_latency: int
    fmul_latency: int
    fmul_issue_interval: int
    fdivs_latency: int
    fdivd_latency: int
    # caches
    l1i_size: int
    l1i_ways: int
    l1i_line: int
    l1d_size: int
    l1d_ways: int
    l1d_line: int
    l2_size: int
    l2_banks: int
    l2_ways: int
    l2_line: int
    l2_bank_shift: int
    l2_latency: int
    l2_ilatency: int
    l2_miss_buffers: int
    store_buffer: int
    # memory
    dram_latency: int
    dram_channels: int
    dram_line_cycles: int
    dram_write_queue: int
    dram_channel_shift: int
    home_shift: int
    # TLBs
    itlb: int
    dtlb: int
    tlb_miss: int
    # full system (the cycle model running a whole machine, sun4v/machine)
    trap_cycles: int
    io_latency: int
    # crossbar
    ccx_queue: int
    ccx_min_grant: int
    # multi-socket
    remote_latency: int
    sockets: int

    def __getitem__(self, field):
        try:
            return getattr(self, field)
        except AttributeError:
            raise KeyError(field) from None

    def replace(self, **changes):
        """This chip with some parameters changed; ValueError names an unknown one."""
        bad = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if bad:
            raise ValueError(f"unknown chip parameter(s): {', '.join(bad)}")
        return dataclasses.replace(self, **changes)

    @property
    def strands_per_socket(self):
        return self.cores * self.strands_per_core

    @property
    def total_strands(self):
        return self.cores * self.strands_per_core * self.sockets


T1 = Chip(
    key="t1",
    name="UltraSPARC T1",
    family="t1",
    clock_mhz=1200,
    cores=8, strands_per_core=4, groups_per_core=1,
    hver_impl=0x23, hver_mask=0x20,
    # pipeline and switch behaviour (Spec §2.3)
    load_use=3,                 # load result usable 3 cycles after issue
    branch_wait=2,              # branch resolved in D: strand waits (switch insn)
    switch_wait=2,              # other switch instructions (save/restore, rd/wr...)
    taken_branch_penalty=0,     # T1 has no predictor; the wait covers it
    mul_latency=5, mul_issue_interval=2,
    div_latency=72,             # chosen: non-restoring 64-bit divide, ~1 bit/cycle
    fpu_per_chip=True,          # one FPU reached over the crossbar
    # The FPU as the strands see it, calibrated to the T2000's STREAM (reference §2):
    # one thread pays ~29 cycles for a dependent fmuld (scale - copy, ~26 for add's
    # faddd), i.e. the FPU's 4/7 cycles plus a crossbar round trip of two-packet PCX
    # requests through the FPU/IOB arbiter and the CPX return; 32 threads get about
    # one FP operation per 12 cycles out of the chip's FPU (scale, add and triad alike).
    fpu_xbar_latency=22,        # chosen (calibrated): PCX+CPX round trip to the FPU
    fpu_issue_interval=12,      # chosen (calibrated): chip-wide cycles per FP op
    fadd_latency=4, fmul_latency=7, fmul_issue_interval=2,
    fdivs_latency=32, fdivd_latency=61,
    # caches
    l1i_size=16 * 1024, l1i_ways=4, l1i_line=32,
    l1d_size=8 * 1024, l1d_ways=4, l1d_line=16,
    l2_size=3 * 1024 * 1024, l2_banks=4, l2_ways=12, l2_line=64,
    l2_bank_shift=6,            # bank = PA[7:6]
    l2_latency=23, l2_ilatency=22,
    l2_miss_buffers=16,
    store_buffer=8,
    # memory
    dram_latency=110,           # chosen: ~90 ns at 1.2 GHz, closed page
    dram_channels=4,
    # Effective channel occupancy per 64 B line, not the DDR2 burst (12 cycles at the
    # 25 GB/s peak): closed page (activate + precharge per access) and read/write
    # turnaround. Chosen (calibrated) so that 32 threads of STREAM copy saturate at
    # the T2000's 3.5 GB/s counted, i.e. ~5.2 GB/s of DRAM traffic with the write
    # allocate and write-back.
    dram_line_cycles=56,
    dram_write_queue=8,         # write queue per channel (Spec §8.1)
    dram_channel_shift=6,
    # home socket of a line on multi-socket parts: PA[home_shift] (caches.py; chosen)
    home_shift=13,
    # TLBs (Spec §2.3.9, §2.4.4)
    # tlb_miss: syscall emulation only, where no miss handler runs (chosen: a software
    # TSB walk). In full system a miss is the architectural trap to the hypervisor, whose
    # handler runs and is timed like any code (cycle.py "TLB misses").
    itlb=64, dtlb=64, tlb_miss=200,
    # full system: a trap or interrupt refills the pipe from the trap vector (Spec §2.3:
    # "trap: flush, then wait until the trap PC is ready"); chosen: the six stages F S D
    # E M W. A device (or IOB/NCU, CMP register) access goes through the crossbar and
    # back; chosen, not published.
    trap_cycles=6, io_latency=150,
    # crossbar (Spec §3)
    ccx_queue=2, ccx_min_grant=2,
    remote_latency=0, sockets=1,
)

T2 = Chip(
    key="t2",
    name="UltraSPARC T2",
    family="t2",
    clock_mhz=1400,
    cores=8, strands_per_core=8, groups_per_core=2,
    hver_impl=0x24, hver_mask=0x20,
    load_use=3,
    branch_wait=0,
    switch_wait=2,
    taken_branch_penalty=6,     # predict not taken; mispredict 5-7 (reference)
    mul_latency=5, mul_issue_interval=1,
    div_latency=72,             # chosen
    fpu_per_chip=False,         # one FGU per core
    fpu_xbar_latency=0, fpu_issue_interval=1,
    fadd_latency=6, fmul_latency=6, fmul_issue_interval=1,
    fdivs_latency=19, fdivd_latency=33,     # chosen from the FGU's 12-stage pipe
    l1i_size=16 * 1024, l1i_ways=8, l1i_line=32,
    l1d_size=8 * 1024, l1d_ways=4, l1d_line=16,
    l2_size=4 * 1024 * 1024, l2_banks=8, l2_ways=16, l2_line=64,
    l2_bank_shift=6,            # bank = PA[8:6]
    l2_latency=20, l2_ilatency=20,
    l2_miss_buffers=16,
    store_buffer=8,
    dram_latency=156,           # 176 measured load-to-use (McNiagara) minus the L2's 20
    dram_channels=4,            # 4 MCUs, each two FB-DIMM channels in lock step
    dram_line_cycles=8,         # 10.6 GB/s per MCU at 1.4 GHz: 64 B per ~8 cycles
    dram_write_queue=8,         # chosen, as on the T1
    dram_channel_shift=7,       # MCU = PA[8:7]: each MCU serves 2 L2 banks (inferred)
    home_shift=13,              # chosen: T2+ memory interleaved across sockets by 8 KB
    itlb=64, dtlb=128,
    tlb_miss=190,               # syscall emulation: stands for the hardware tablewalk
    trap_cycles=8,              # chosen: the eight stages F C P D E M B W refilled
    io_latency=150,             # chosen, as on the T1
    ccx_queue=2, ccx_min_grant=2,
    remote_latency=0, sockets=1,
)

# T2+ (Victoria Falls): the T2 die with coherency units; 2 MCUs per socket; remote memory
# reached over the coherence planes. The remote latency is chosen (not published).
T2PLUS = T2.replace(key="t2plus", name="UltraSPARC T2+", dram_channels=2, sockets=2,
                    remote_latency=90,
                    dram_channel_shift=8)     # 2 MCUs, 4 banks each: MCU = PA[8] (inferred)

CHIPS = {"t1": T1, "t2": T2, "t2plus": T2PLUS}

_P_KEYS = [
    "cores", "strands_per_core", "groups_per_core", "load_use", "branch_wait",
    "switch_wait", "taken_branch_penalty", "mul_latency", "mul_issue_interval",
    "div_latency", "fpu_per_chip", "fpu_xbar_latency", "fpu_issue_interval",
    "fadd_latency", "fmul_latency",
    "fmul_issue_interval", "fdivs_latency", "fdivd_latency", "l1i_size", "l1i_ways",
    "l1i_line", "l1d_size", "l1d_ways", "l1d_line", "l2_size", "l2_banks", "l2_ways",
    "l2_line", "l2_bank_shift", "l2_latency", "l2_ilatency", "l2_miss_buffers",
    "store_buffer", "dram_latency", "dram_channels", "dram_line_cycles", "dram_write_queue",
    "dram_channel_shift", "itlb", "dtlb", "tlb_miss", "ccx_queue", "ccx_min_grant",
    "remote_latency", "sockets", "trap_cycles", "io_latency",
]
for _i, _k in enumerate(_P_KEYS):
    globals()["P_" + _k.upper()] = _i
N_PARAMS = len(_P_KEYS)


def chip(x):
    """The Chip value of `x` (a Chip, or a name in CHIPS); KeyError names the known chips."""
    if isinstance(x, Chip):
        return x
    try:
        return CHIPS[x]
    except (KeyError, TypeError):
        raise KeyError(f"unknown chip {x!r} (known: {', '.join(sorted(CHIPS))})") from None


def timing_params(x):
    c = chip(x)
    return np.array([int(c[k]) for k in _P_KEYS], dtype=np.int64)


def total_strands(x):
    return chip(x).total_strands


def hver(x):
    """HVER of the chip's strands: manuf[63:48] 0x3e, impl[47:32], mask[31:24],
    MAXGL[18:16], MAXTL[15:8], MAXWIN[4:0] (reference/sun4v.md §1.1)."""
    c = chip(x)
    return (0x3E << 48) | (c.hver_impl << 32) | (c.hver_mask << 24) | (S.MAXGL << 16) | \
        (S.MAXTL << 8) | (S.NWINDOWS - 1)
