"""Address space identifiers (UltraSPARC Architecture 2007 §10, T1/T2 supplements): which
ASIs name memory, and how (endianness, no-fault, as-if-user, twin 16-byte, block 64-byte,
secondary context, real address). Everything else is an internal register ASI handled
by the MMU/strand register code (mmu.py)."""
import numpy as np

A_LE = 1          # little-endian
A_NF = 2          # no-fault load
A_AIU = 4         # as if user (privileged code accessing user mappings)
A_TWIN = 8        # ldtxa: 16-byte twin load into rd, rd+1
A_BLK = 16        # 64-byte block load/store (FP ldda/stda)
A_SEC = 32        # secondary context
A_REAL = 64       # real address (bypass VA->RA)
A_MEM = 128       # names memory at all
A_NUC = 256       # nucleus context
A_PRIV = 512      # restricted: privileged only (ASI < 0x80)
A_HPRIV = 1024    # hyperprivileged only (0x30..0x7F)
A_PST = 2048      # partial store (stda with mask)
A_SHORT = 4096    # 8/16-bit FP load/store (FL8/FL16)

ASI_P = 0x80
ASI_PRIMARY_NOFAULT = 0x82

_MEM_ASIS = {
    0x04: A_NUC, 0x0C: A_NUC | A_LE,
    0x10: A_AIU, 0x11: A_AIU | A_SEC, 0x18: A_AIU | A_LE, 0x19: A_AIU | A_SEC | A_LE,
    0x14: A_REAL, 0x15: A_REAL, 0x1C: A_REAL | A_LE, 0x1D: A_REAL | A_LE,
    0x16: A_AIU | A_BLK, 0x17: A_AIU | A_SEC | A_BLK,
    0x1E: A_AIU | A_BLK | A_LE, 0x1F: A_AIU | A_SEC | A_BLK | A_LE,
    0x22: A_TWIN | A_AIU, 0x23: A_TWIN | A_AIU | A_SEC, 0x26: A_TWIN | A_REAL,
    0x27: A_TWIN | A_NUC, 0x2A: A_TWIN | A_AIU | A_LE, 0x2B: A_TWIN | A_AIU | A_SEC | A_LE,
    0x2E: A_TWIN | A_REAL | A_LE, 0x2F: A_TWIN | A_NUC | A_LE,
    0x80: 0, 0x81: A_SEC, 0x82: A_NF, 0x83: A_SEC | A_NF,
    0x88: A_LE, 0x89: A_SEC | A_LE, 0x8A: A_NF | A_LE, 0x8B: A_SEC | A_NF | A_LE,
    0xE2: A_TWIN, 0xE3: A_TWIN | A_SEC, 0xEA: A_TWIN | A_LE, 0xEB: A_TWIN | A_SEC | A_LE,
    0xE0: A_BLK, 0xE1: A_BLK | A_SEC,
    0xF0: A_BLK, 0xF1: A_BLK | A_SEC, 0xF8: A_BLK | A_LE, 0xF9: A_BLK | A_SEC | A_LE,
}
for _a in range(0xC0, 0xC6):
    _MEM_ASIS[_a] = A_PST | (A_SEC if _a & 1 else 0)
    _MEM_ASIS[_a + 8] = A_PST | A_LE | (A_SEC if _a & 1 else 0)
for _a in range(0xD0, 0xD4):
    _MEM_ASIS[_a] = A_SHORT | (A_SEC if _a & 1 else 0)
    _MEM_ASIS[_a + 8] = A_SHORT | A_LE | (A_SEC if _a & 1 else 0)


def _build():
    t = np.zeros(256, dtype=np.int64)
    for a in range(256):
        f = 0
        if a in _MEM_ASIS:
            f = _MEM_ASIS[a] | A_MEM
        if a < 0x80:
            f |= A_PRIV
        if 0x30 <= a < 0x80:
            f |= A_HPRIV
        t[a] = f
    return t


ASI_FLAGS = _build()
