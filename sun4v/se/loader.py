"""Loads a static sparc64 Linux ELF into syscall-emulation memory and lays out its initial
stack, auxiliary vector and registers as Linux and qemu-sparc64 (linux-user) do.

Facts from Linux fs/binfmt_elf.c (create_elf_tables), arch/sparc/include/asm/processor_64.h
(start_thread: %sp = argc address - 128 - 2047, PC = entry, all other registers 0) and
qemu 7.2 linux-user/elfload.c, checked by running probe programs under qemu-sparc64.

Address layout: qemu-sparc64's, not Linux's (Linux puts the stack top at STACK_TOP64 =
0x7ff00000000 plus randomisation), so that programs printing addresses agree with the
oracle. qemu maps the stack (8 MB, or the host's RLIMIT_STACK soft limit when that is
larger, with one 8 KB guard page below it) at the bottom of its mmap area, 0x4000000000,
so the stack top is 0x4000802000 for 8 MB; anonymous mmaps follow directly above it.
From the top down: an 8-byte NUL slot, the executable name (AT_EXECFN), the environment
strings, the argument strings; then 16 AT_RANDOM bytes (16-byte aligned) and below them,
16-byte aligned, argc, argv[], NULL, envp[], NULL, and the auxv pairs in qemu's order.
The environment is the host's as qemu passes it: qemu's envlist reverses the order.

Protections are Linux's: each PT_LOAD segment gets its p_flags, the stack is executable
when PT_GNU_STACK has PF_X (or is absent; see ElfImage.exec_stack), as a GCC nested
function's trampoline needs (qemu-sparc64 7.2 does the same for PT_GNU_STACK).

AT_HWCAP: 0x1f = FLUSH|STBAR|SWAP|MULDIV|V9, the value qemu-sparc64 passes. Debian's static
glibc 2.36 for sparc64 is built without the sparc64 multiarch string routines: memcpy,
memset etc. are the fixed UltraSPARC versions (VIS faligndata/alignaddr and block
loads/stores through ASI 0xf0 whatever AT_HWCAP says); the only ifunc chosen by AT_HWCAP in
libc.a is __cpu_relax (HWCAP_SPARC_PAUSE 0x1000000 selects `wr %asr27`, otherwise three
`rd %ccr`). So the generic value is the default; `chip_hwcap=True` passes the bits Linux
reports on the chip (CHIP_HWCAP), which selects the same routines with this glibc.
"""
import os
import resource
import struct

from ..cmt import state as S
from ..cmt.memory import PAGE_SIZE, PERM_R, PERM_W, PERM_X

STACK_BIAS = 2047
REGWIN_SIZE = 128                      # struct reg_window (16 x 8 bytes)
MMAP_BASE = 0x4000000000               # qemu TASK_UNMAPPED_BASE for a 64-bit guest
DEFAULT_STACK_SIZE = 8 << 20           # qemu guest_stack_size
GUARD_SIZE = PAGE_SIZE
RANDOM_BYTES = bytes(range(0x5A, 0x5A + 16))   # AT_RANDOM: fixed for determinism

EM_SPARCV9 = 43
PT_LOAD, PT_INTERP, PT_PHDR, PT_TLS = 1, 3, 6, 7
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ = 0, 3, 4, 5, 6
AT_BASE, AT_FLAGS, AT_ENTRY = 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 16, 17
AT_SECURE, AT_RANDOM, AT_EXECFN = 23, 25, 31

# glibc sysdeps/sparc/bits/hwcap.h
HWCAP_FLUSH, HWCAP_STBAR, HWCAP_SWAP, HWCAP_MULDIV, HWCAP_V9 = 1, 2, 4, 8, 16
HWCAP_ULTRA3, HWCAP_BLKINIT, HWCAP_N2 = 0x20, 0x40, 0x80
HWCAP_MUL32, HWCAP_DIV32, HWCAP_FSMULD, HWCAP_V8PLUS = 0x100, 0x200, 0x400, 0x800
HWCAP_POPC, HWCAP_VIS, HWCAP_VIS2, HWCAP_ASI_BLK_INIT = 0x1000, 0x2000, 0x4000, 0x8000
GENERIC_HWCAP = HWCAP_FLUSH | HWCAP_STBAR | HWCAP_SWAP | HWCAP_MULDIV | HWCAP_V9
_NIAGARA = (GENERIC_HWCAP | HWCAP_ULTRA3 | HWCAP_BLKINIT | HWCAP_MUL32 | HWCAP_DIV32
            | HWCAP_FSMULD | HWCAP_V8PLUS | HWCAP_VIS | HWCAP_VIS2 | HWCAP_ASI_BLK_INIT)
# What Linux (arch/sparc/kernel/setup_64.c, init_sparc64_elf_hwcap) reports per chip.
CHIP_HWCAP = {"t1": _NIAGARA, "t2": _NIAGARA | HWCAP_N2 | HWCAP_POPC}


_MACHINES = {2: "SPARC (32-bit)", 3: "i386", 18: "SPARC32PLUS", 40: "ARM", 62: "x86-64",
             183: "AArch64", 243: "RISC-V", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64",
             22: "S/390"}


class LoadError(Exception):
    """The program cannot be loaded; the message is one line naming the problem."""


class Segment:
    def __init__(self, vaddr, memsz, filesz, offset, flags):
        self.vaddr, self.memsz, self.filesz, self.offset, self.flags = (
            vaddr, memsz, filesz, offset, flags)

    @property
    def perm(self):
        return ((PERM_R if self.flags & PF_R else 0) | (PERM_W if self.flags & PF_W else 0)
                | (PERM_X if self.flags & PF_X else 0))


class ElfImage:
    """The parts of a static ELF executable the loader needs."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path, "rb") as f:
                self.data = f.read()
        except FileNotFoundError:
            raise LoadError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise LoadError(f"{path}: is a directory") from None
        except OSError as e:
            raise LoadError(f"{path}: {e.strerror}") from None
        d = self.data
        if len(d) < 16 or d[:4] != b"\x7fELF":
            raise LoadError(f"{path}: not an ELF file")
        if d[4] == 1:
            raise LoadError(f"{path}: 32-bit ELF not supported: sun4v runs sparc64 "
                            "(ELFCLASS64) programs")
        if d[4] != 2:
            raise LoadError(f"{path}: corrupt ELF header (bad class {d[4]})")
        if len(d) < 64:
            raise LoadError(f"{path}: corrupt ELF header (truncated)")
        endian = ">" if d[5] == 2 else "<"
        e_type, e_machine = struct.unpack_from(endian + "HH", d, 16)
        if d[5] != 2 or e_machine != EM_SPARCV9:
            name = _MACHINES.get(e_machine, f"machine {e_machine}")
            raise LoadError(f"{path}: ELF for {name}, not SPARC V9 (sparc64)")
        (_ver, self.entry, self.phoff, self.shoff, _flags, _ehsize, self.phentsize,
         self.phnum, _shentsize, _shnum, _shstrndx) = struct.unpack_from(">IQQQIHHHHHH", d, 20)
        if self.phentsize != 56 or self.phnum == 0 or self.phoff + 56 * self.phnum > len(d):
            raise LoadError(f"{path}: corrupt ELF program headers")
        phdrs = [struct.unpack_from(">IIQQQQQQ", d, self.phoff + 56 * i)
                 for i in range(self.phnum)]
        for p_type, _fl, p_offset, _va, _pa, p_filesz, _msz, _al in phdrs:
            if p_type == PT_INTERP:
                interp = d[p_offset:p_offset + p_filesz].rstrip(b"\0").decode(errors="replace")
                raise LoadError(f"{path}: dynamically linked ELF (PT_INTERP {interp}): "
                                "link with -static")
        if e_type != 2:
            kind = {1: "relocatable object", 3: "shared object or PIE",
                    4: "core file"}.get(e_type, f"type {e_type}")
            raise LoadError(f"{path}: ELF {kind}, not a static executable: link with -static")
        self.segments = []
        self.phdr_vaddr = None
        self.stack_flags = None             # p_flags of PT_GNU_STACK, None when absent
        for i, (p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz,
                _align) in enumerate(phdrs):
            if p_type == PT_PHDR:
                self.phdr_vaddr = p_vaddr
            if p_type == PT_GNU_STACK:
                self.stack_flags = p_flags
            if p_type == PT_LOAD:
                if p_filesz > p_memsz or p_offset + p_filesz > len(d):
                    raise LoadError(f"{path}: corrupt ELF segment {i}")
                if p_memsz:
                    self.segments.append(Segment(p_vaddr, p_memsz, p_filesz, p_offset, p_flags))
        if not self.segments:
            raise LoadError(f"{path}: ELF has no loadable segments")
        if self.phdr_vaddr is None:
            # The headers lie inside the first segment when it maps file offset 0.
            first = min(self.segments, key=lambda s: s.vaddr)
            self.phdr_vaddr = first.vaddr - first.offset + self.phoff

    @property
    def exec_stack(self):
        """Whether Linux maps this program's stack executable (fs/binfmt_elf.c
        load_elf_binary, setup_arg_pages): PT_GNU_STACK decides (PF_X: executable, else
        not); without PT_GNU_STACK the stack gets VM_STACK_DEFAULT_FLAGS, which on sparc64
        (VM_DATA_DEFAULT_FLAGS, arch/sparc/include/asm/page_64.h) include VM_EXEC. sparc64
        defines no elf_read_implies_exec, so no ELF turns on READ_IMPLIES_EXEC."""
        return self.stack_flags is None or bool(self.stack_flags & PF_X)

    def symbols(self):
        """Sorted list of (address, size, name) of function and object symbols."""
        try:
            from elftools.elf.elffile import ELFFile
            import io
            elf = ELFFile(io.BytesIO(self.data))
            tab = elf.get_section_by_name(".symtab")
            if tab is None:
                return []
            out = []
            for sym in tab.iter_symbols():
                if sym.name and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT",
                                                            "STT_NOTYPE"):
                    if sym["st_shndx"] != "SHN_UNDEF" and sym["st_value"]:
                        out.append((sym["st_value"], sym["st_size"], sym.name))
            out.sort()
            return out
        except Exception:      # symbols are a convenience for --trace only
            return []


def stack_size():
    """qemu's guest stack size: 8 MB, or the host's finite soft RLIMIT_STACK if larger."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_STACK)
    if soft != resource.RLIM_INFINITY and soft > DEFAULT_STACK_SIZE:
        return (soft + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
    return DEFAULT_STACK_SIZE


def host_environment():
    """The environment the simulator was started with (before Python or sun4v touched it),
    in the order qemu-sparc64 gives it to the guest (reversed)."""
    try:
        with open("/proc/self/environ", "rb") as f:
            env = [e for e in f.read().split(b"\0") if e]
    except OSError:
        env = [k + b"=" + v for k, v in os.environb.items()]
    return list(reversed(env))


class LoadedProgram:
    """Result of load(): where things went."""

    def __init__(self, image, entry, sp, argc_addr, brk, stack_low, stack_top, mmap_base,
                 argv, envp):
        self.image, self.entry, self.sp, self.argc_addr = image, entry, sp, argc_addr
        self.brk, self.stack_low, self.stack_top = brk, stack_low, stack_top
        self.mmap_base = mmap_base
        self.argv, self.envp = argv, envp


def _align_down(x, a):
    return x & ~(a - 1)


def _align_up(x, a):
    return (x + a - 1) & ~(a - 1)


def load(mem, path, argv, envp=None, hwcap=None, stack_bytes=None, uid=None, gid=None,
         execfn=None):
    """Load the ELF at `path` into `mem` (a syscall-emulation Memory), build the initial
    stack for argv (list of str/bytes, argv[0] included) and envp (list of b"K=V"; default
    host_environment()); AT_EXECFN names `execfn` (default argv[0]: qemu's choice for the
    first program; execve passes the file name, as Linux does). Returns a LoadedProgram."""
    image = ElfImage(path)
    if envp is None:
        envp = host_environment()
    argv = [a if isinstance(a, bytes) else os.fsencode(a) for a in argv]
    envp = [e if isinstance(e, bytes) else os.fsencode(e) for e in envp]

    end = 0
    for seg in image.segments:
        lo = _align_down(seg.vaddr, PAGE_SIZE)
        hi = _align_up(seg.vaddr + seg.memsz, PAGE_SIZE)
        mem.map(lo, hi - lo, seg.perm | (mem.page_perm(lo) if mem.is_mapped(lo) else 0))
        mem.write(seg.vaddr, image.data[seg.offset:seg.offset + seg.filesz])
        end = max(end, seg.vaddr + seg.memsz)
    brk = _align_up(end, PAGE_SIZE)

    size = stack_bytes or stack_size()
    stack_low = MMAP_BASE + GUARD_SIZE
    top = stack_low + size
    mem.map(stack_low, size, PERM_R | PERM_W | (PERM_X if image.exec_stack else 0))

    # strings, top down
    p = top - 8
    if execfn is None:
        execfn = argv[0] if argv else os.fsencode(path)
    elif not isinstance(execfn, bytes):
        execfn = os.fsencode(execfn)

    def push_str(s):
        nonlocal p
        p -= len(s) + 1
        mem.write(p, s + b"\0")
        return p

    execfn_addr = push_str(execfn)
    env_addrs = [push_str(e) for e in reversed(envp)][::-1]
    arg_addrs = [push_str(a) for a in reversed(argv)][::-1]
    sp = _align_down(p, 16) - 16
    random_addr = sp
    mem.write(random_addr, RANDOM_BYTES)

    uid = os.getuid() if uid is None else uid
    gid = os.getgid() if gid is None else gid
    auxv = [(AT_PHDR, image.phdr_vaddr), (AT_PHENT, 56), (AT_PHNUM, image.phnum),
            (AT_PAGESZ, PAGE_SIZE), (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, image.entry),
            (AT_UID, uid), (AT_EUID, os.geteuid() if uid == os.getuid() else uid),
            (AT_GID, gid), (AT_EGID, os.getegid() if gid == os.getgid() else gid),
            (AT_HWCAP, GENERIC_HWCAP if hwcap is None else hwcap), (AT_CLKTCK, 100),
            (AT_RANDOM, random_addr), (AT_SECURE, 0), (AT_EXECFN, execfn_addr),
            (AT_NULL, 0)]
    words = [len(argv)] + arg_addrs + [0] + env_addrs + [0]
    for k, v in auxv:
        words += [k, v]
    sp = _align_down(sp - 8 * len(words), 16)
    mem.write(sp, b"".join(w.to_bytes(8, "big") for w in words))
    return LoadedProgram(image, image.entry, sp - REGWIN_SIZE - STACK_BIAS, sp, brk,
                         stack_low, top, top, argv, envp)


def init_registers(St, s, prog):
    """Registers of a new Linux process (start_thread): all zero but %sp, PC/NPC at the
    entry, user mode with the FPU enabled, %asi = ASI_PNF (0x82), fresh windows."""
    St.R[s, :] = 0
    St.F[s, :] = 0
    C = St.C
    C[s, S.GL] = 0
    C[s, S.TL] = 0
    C[s, S.PC] = prog.entry
    C[s, S.NPC] = prog.entry + 4
    C[s, S.Y] = 0
    C[s, S.CCR] = 0
    C[s, S.ASI] = 0x82
    C[s, S.FSR] = 0
    C[s, S.FPRS] = S.FPRS_FEF
    C[s, S.PSTATE] = S.PSTATE_PEF | S.PSTATE_IE
    C[s, S.WSTATE] = 0
    C[s, S.MODE] = S.MODE_SE
    St.reset_windows(s)
    St.set_reg(s, 14, prog.sp)
