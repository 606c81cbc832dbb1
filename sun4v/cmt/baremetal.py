"""Bare-metal entry: load an ELF at physical addresses into a full-system engine and start
strand 0 at power-on reset in hyperprivileged RED state, as the chip does (UA2007 §16
"reset", reference/sun4v.md §1, §7); plus the Python-side devices a bare-metal program
needs: a 16550 UART at PA 0x1F_1000_0000 (QEMU niagara map) and a power-off register.

Design:
- POR state: TL = MAXTL, GL = MAXGL, HPSTATE = RED | HPRIV (| bit 11 "ENB" on T1),
  PSTATE = PRIV | PEF, TT[MAXTL] = 1 (POR), MMUs off (LSU_CTL = 0), PC = RSTVADDR + 0x20
  (0xFF_F000_0020, the POR slot of the RED-state vector table), HVER per chip.
- The ELF is loaded by program header physical address (p_paddr). Programs are normally
  linked with their RED-state vector table at 0xFF_F000_0000 (tests/asm/baremetal.ld), so
  the POR slot is their own code. If no segment covers RSTVADDR + 0x20, an 8-instruction
  reset stub is written there that jumps to the ELF entry point.
- Devices: UART (16550 registers at byte offsets 0-7: THR/RBR, IER, IIR/FCR, LCR, MCR,
  LSR = 0x60 | data-ready, MSR, SCR) and a power-off register at PA 0x1F_1100_0000 (not
  on the real machine: a simulator convenience in an unused hole of the niagara map);
  any store to it stops the machine with the stored value as exit code. A strand halt
  (T2 `wrhpr %hpr30`, T1 %asr26 ACTIVE clear) also stops it, with exit code 0.
- MMIO accesses exit the jitted loop (EXIT_MMIO); `BareMetal.mmio` decodes the faulting
  load/store in Python (isa.decode), performs the device access, writes rd (zero/sign
  extension by instruction, little-endian ASIs swapped) and retires the instruction.
"""
from elftools.elf.elffile import ELFFile
import numpy as np

from . import chips
from . import isa
from . import mmu
from . import state as S
from .asi import A_LE, ASI_FLAGS
from .engine import Engine
from .memory import KIND_READ, KIND_WRITE

RSTVADDR = 0xFF_F000_0000
POR_VECTOR = RSTVADDR + 0x20
UART_BASE = 0x1F_1000_0000
POWER_BASE = 0x1F_1100_0000
HVER = {name: chips.hver(name) for name in chips.CHIPS}   # per chip (chips.hver)

# exit codes of BareMetal.run other than a power-off value
EXIT_HALTED = 0
EXIT_ERROR_STATE = -1
EXIT_BUDGET = -2
EXIT_UNIMPL = -3
EXIT_OTHER = -4

# loads/stores Python can perform on a device: name -> (size, signed, store)
_MMIO_OPS = {}
for _n, _sz in (("b", 1), ("h", 2), ("w", 4), ("x", 8)):
    for _a in ("", "a"):
        _MMIO_OPS[f"st{_n}{_a}"] = (_sz, False, True)
        _MMIO_OPS[f"ld{'u' if _n in 'bhw' else ''}{_n}{_a}"] = (_sz, False, False)
        if _n in "bhw":
            _MMIO_OPS[f"lds{_n}{_a}"] = (_sz, True, False)


class PowerOff(Exception):
    def __init__(self, code):
        super().__init__(f"power off ({code})")
        self.code = code


class Uart16550:
    """Output-only 16550 (input from `rx`, a bytes queue, if given)."""

    def __init__(self, rx=b""):
        self.out = bytearray()
        self.rx = bytearray(rx)
        self.regs = bytearray(8)

    def read(self, off, size):
        v = 0
        for k in range(size):
            v = (v << 8) | self._read8(off + k)
        return v

    def write(self, off, size, value):
        for k in range(size):
            self._write8(off + k, (value >> (8 * (size - 1 - k))) & 0xFF)

    def _read8(self, off):
        dlab = self.regs[3] & 0x80
        if off == 0 and not dlab:
            return self.rx.pop(0) if self.rx else 0
        if off == 5:
            return 0x60 | (1 if self.rx else 0)
        if off == 2:
            return 0x01
        return self.regs[off] if off < 8 else 0

    def _write8(self, off, b):
        if off == 0 and not self.regs[3] & 0x80:
            self.out.append(b)
        elif off < 8:
            self.regs[off] = b

    def text(self):
        return self.out.decode("latin-1")


class PowerControl:
    def read(self, off, size):
        return 0

    def write(self, off, size, value):
        raise PowerOff(value)


def _sx(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class BareMetal:
    """A full-system engine with physical memory, a UART and a power-off register."""

    def __init__(self, elf_path=None, chip="t2", nstrands=1):
        self.chip = chip
        self.engine = Engine(nstrands, mode=S.MODE_FULL, chip=chip)
        self.engine.mmu = mmu.new_mmu(nstrands, chip=chip)
        self.S = self.engine.S
        self.mem = self.engine.mem
        self.uart = Uart16550()
        self.mem.add_mmio(UART_BASE, 0x100, self.uart)
        self.mem.add_mmio(POWER_BASE, 0x100, PowerControl())
        for s in range(nstrands):
            self.power_on_reset(s)
            if s:
                self.S.C[s, S.HALTED] = 1
        self.entry = None
        if elf_path is not None:
            self.load_elf(elf_path)

    def power_on_reset(self, s):
        C = self.S.C[s]
        C[S.TL] = S.MAXTL
        C[S.GL] = S.MAXGL
        C[S.HPSTATE] = S.HPSTATE_RED | S.HPSTATE_HPRIV | ((1 << 11) if self.chip == "t1" else 0)
        C[S.PSTATE] = S.PSTATE_PRIV | S.PSTATE_PEF
        C[S.TT_BASE + S.MAXTL] = 1
        C[S.LSU_CTL] = 0
        C[S.HVER] = HVER[self.chip]
        C[S.PC] = POR_VECTOR
        C[S.NPC] = POR_VECTOR + 4
        C[S.HALTED] = 0
        self.S.reset_windows(s)

    def load_elf(self, path):
        with open(path, "rb") as f:
            elf = ELFFile(f)
            if elf.elfclass != 64 or elf["e_machine"] != "EM_SPARCV9":
                raise ValueError(f"{path}: not a 64-bit SPARC ELF")
            covered = False
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD":
                    continue
                pa, data = seg["p_paddr"], seg.data()
                if data:
                    self.mem.write(pa, data)
                if seg["p_memsz"] > len(data):
                    self.mem.write(pa + len(data), bytes(seg["p_memsz"] - len(data)))
                if pa <= POR_VECTOR < pa + seg["p_memsz"]:
                    covered = True
            self.entry = elf["e_entry"]
        if not covered:
            self.mem.write(POR_VECTOR, reset_stub(self.entry))

    # ---- running ----------------------------------------------------------------
    def run(self, max_insns=10_000_000, strand=0):
        """Run strand 0 until power-off, halt, error state or the budget; returns the
        exit code (power-off value, or one of the EXIT_* values above)."""
        C = self.S.C[strand]
        start = int(C[S.INSNS])
        self.exit_reason = None
        while True:
            left = max_insns - (int(C[S.INSNS]) - start)
            if left <= 0:
                self.exit_reason = "budget"
                return EXIT_BUDGET
            code = self.engine.run(strand, left)
            if code == S.EXIT_MMIO:
                try:
                    self.mmio(strand)
                except PowerOff as p:
                    self.exit_reason = "poweroff"
                    self._retire(C)
                    return p.code
                continue
            if code == S.EXIT_HALT:
                self.exit_reason = "halt"
                return EXIT_HALTED
            if code == S.EXIT_ERROR_STATE:
                self.exit_reason = "error_state"
                return EXIT_ERROR_STATE
            if code == S.EXIT_BUDGET:
                self.exit_reason = "budget"
                return EXIT_BUDGET
            if code == S.EXIT_UNIMPL:
                self.exit_reason = f"unimplemented {int(C[S.EXIT_ARG0]):#010x} at {int(C[S.PC]):#x}"
                return EXIT_UNIMPL
            self.exit_reason = f"exit {code:#x}"
            return EXIT_OTHER

    @staticmethod
    def _retire(C):
        C[S.PC] = C[S.NPC]
        C[S.NPC] = C[S.NPC] + np.uint64(4)
        C[S.INSNS] += np.uint64(1)

    def mmio(self, strand):
        """Perform the load/store at PC that exited with EXIT_MMIO, and retire it."""
        St, C = self.S, self.S.C[strand]
        M, MMU = self.mem.M, self.engine.mmu
        pa, st = mmu.translate_fetch(C, MMU, M, np.uint64(C[S.PC]))
        word = self.mem.read_u32(int(pa))
        ins = isa.decode(word)
        if ins is None or ins.name not in _MMIO_OPS:
            raise RuntimeError(f"unsupported MMIO access by {isa.disasm(word)} at {int(C[S.PC]):#x}")
        size, signed, store = _MMIO_OPS[ins.name]
        get = lambda n: St.get_reg(strand, n)  # noqa: E731
        va = get(isa.field(word, "rs1"))
        va += isa.field(word, "simm13") if isa.field(word, "i") else get(isa.field(word, "rs2"))
        va &= (1 << 64) - 1
        asi = 0x80
        if ins.name.endswith("a"):
            asi = int(C[S.ASI]) if isa.field(word, "i") else isa.field(word, "asi")
        pa, st = mmu.translate_data(C, MMU, M, np.uint64(va), KIND_WRITE if store else KIND_READ, asi)
        base, dev = self.mem.mmio_device(int(pa))
        if dev is None:
            raise RuntimeError(f"no device at PA {int(pa):#x}")
        le = bool(ASI_FLAGS[asi] & A_LE)
        rd = isa.field(word, "rd")
        if store:
            v = get(rd) & ((1 << (8 * size)) - 1)
            if le:
                v = int.from_bytes(v.to_bytes(size, "big"), "little")
            dev.write(int(pa) - base, size, v)
        else:
            v = dev.read(int(pa) - base, size)
            if le:
                v = int.from_bytes(v.to_bytes(size, "big"), "little")
            if signed:
                v = _sx(v, 8 * size)
            St.set_reg(strand, rd, v)
        self._retire(C)


def _sethi(rd, imm22):
    return (rd << 25) | (4 << 22) | (imm22 & 0x3FFFFF)


def _or_imm(rd, rs1, simm13):
    return (2 << 30) | (rd << 25) | (2 << 19) | (rs1 << 14) | (1 << 13) | (simm13 & 0x1FFF)


def reset_stub(entry):
    """8 instructions (the POR slot): setx entry, %g1, %g2; jmp %g2; nop."""
    words = [
        _sethi(1, entry >> 42),                       # sethi %uhi(entry), %g1
        _or_imm(1, 1, (entry >> 32) & 0x3FF),         # or %g1, %ulo(entry), %g1
        (2 << 30) | (1 << 25) | (0x25 << 19) | (1 << 14) | (1 << 13) | (1 << 12) | 32,  # sllx
        _sethi(2, (entry >> 10) & 0x3FFFFF),          # sethi %hi(entry), %g2
        _or_imm(2, 2, entry & 0x3FF),                 # or %g2, %lo(entry), %g2
        (2 << 30) | (2 << 25) | (2 << 19) | (1 << 14) | 2,           # or %g1, %g2, %g2
        (2 << 30) | (0x38 << 19) | (2 << 14) | (1 << 13),            # jmpl %g2, %g0
        0x01000000,                                                   # nop
    ]
    return b"".join(w.to_bytes(4, "big") for w in words)


def run_baremetal(elf_path, max_insns=10_000_000, chip="t2"):
    """Load and run a bare-metal ELF on strand 0: (exit code, UART output, strand arrays)."""
    bm = BareMetal(elf_path, chip=chip)
    code = bm.run(max_insns)
    return code, bm.uart.text(), bm.S
