"""The firmware hypervisor's own tables, read from a running machine's memory: the
guests (state, partition, name, exit code) and vCPUs (state, strand, hypercalls, traps,
MMU misses, yielded and lifetime %stick ticks).  The hypervisor publishes where they are
with its ELF symbols (`guests`, `vcpus`, `strands`, `config`) and the table `hv_layout`
(sizes and field offsets, sun4v/hypervisor_fw/src/main.c), so nothing here hard-codes
the C structures.  Reading never stops or changes the machine."""
from __future__ import annotations

from dataclasses import dataclass

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

LAYOUT_MAGIC = 0x73756E3476687600
LAYOUT_FIELDS = (
    "magic", "nguests", "guest_size", "g_state", "g_partid", "g_name", "g_exit_code",
    "g_start_stick", "nvcpus", "vcpu_size", "v_state", "v_vid", "v_guest", "v_strand",
    "v_yield_count", "v_yield_start", "v_start_stick", "v_hcalls", "v_traps", "v_misses",
    "v_stop_stick", "nstrands", "strand_size", "s_id", "c_panicked", "c_active_hvmd",
    "c_hvctl_state")
GUEST_STATES = {0: "stopped", 1: "resetting", 2: "running", 3: "suspended", 4: "exiting",
                0xFF: "unconfigured"}
CPU_STATES = {0: "invalid", 1: "stopped", 2: "running", 3: "error", 4: "suspended",
              5: "unconfigured", 6: "stopping", 7: "starting"}


def elf_symbols(path, names):
    """name -> address of the ELF's symbols `names` (KeyError names a missing one)."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        out = {}
        for sec in elf.iter_sections():
            if isinstance(sec, SymbolTableSection):
                for s in sec.iter_symbols():
                    if s.name in names:
                        out[s.name] = s["st_value"]
    missing = [n for n in names if n not in out]
    if missing:
        raise KeyError(f"{path}: no symbol {missing[0]}")
    return out


@dataclass(frozen=True)
class VcpuState:
    res_id: int
    vid: int
    state: str
    strand: int
    guest: int
    hcalls: int
    traps: int
    misses: int
    yield_count: int
    yield_start: int
    start_stick: int
    stop_stick: int


@dataclass(frozen=True)
class GuestState:
    gid: int
    name: str
    state: str
    partid: int
    exit_code: int


SYMBOLS = ("guests", "vcpus", "strands", "config", "hv_layout")


class HvState:
    """The hypervisor's tables of `machine`, found with the symbols of `hv_elf`, or with
    `symbols` ({name: address} of SYMBOLS, as `sym` holds them: a checkpoint keeps
    them, so a restored machine needs no ELF file)."""

    def __init__(self, machine, hv_elf=None, symbols=None):
        self.m = machine
        if symbols is not None:
            sym = {n: int(symbols[n]) for n in SYMBOLS}
        else:
            sym = elf_symbols(hv_elf, list(SYMBOLS))
        self.sym = sym
        mem = machine.mem
        vals = [mem.read_u64(sym["hv_layout"] + 8 * i) for i in range(len(LAYOUT_FIELDS))]
        self.L = dict(zip(LAYOUT_FIELDS, vals))
        if self.L["magic"] != LAYOUT_MAGIC:
            raise ValueError(f"{hv_elf or 'hv_layout'}: hv_layout is not the hypervisor's "
                             f"layout table")

    def _u64(self, a):
        return self.m.mem.read_u64(a)

    def _u32(self, a):
        return self.m.mem.read_u32(a)

    @property
    def panicked(self):
        return bool(self._u32(self.sym["config"] + self.L["c_panicked"]))

    @property
    def active_hvmd(self):
        """Physical address of the HV MD the hypervisor accepted last."""
        return self._u64(self.sym["config"] + self.L["c_active_hvmd"])

    @property
    def hvctl_state(self):
        return self._u32(self.sym["config"] + self.L["c_hvctl_state"])

    def guest(self, gid) -> GuestState:
        L = self.L
        a = self.sym["guests"] + gid * L["guest_size"]
        raw = self.m.mem.read(a + L["g_name"], 32)
        name = raw.split(b"\0", 1)[0].decode("latin-1")
        st = self._u32(a + L["g_state"])
        return GuestState(gid, name, GUEST_STATES.get(st, f"state {st}"),
                          self._u32(a + L["g_partid"]), self._u64(a + L["g_exit_code"]))

    def guests(self):
        out = []
        for gid in range(self.L["nguests"]):
            g = self.guest(gid)
            if g.state != "unconfigured":
                out.append(g)
        return out

    def vcpu(self, res_id) -> VcpuState:
        L = self.L
        a = self.sym["vcpus"] + res_id * L["vcpu_size"]
        st = self._u32(a + L["v_state"])
        gaddr = self._u64(a + L["v_guest"])
        saddr = self._u64(a + L["v_strand"])
        gid = (gaddr - self.sym["guests"]) // L["guest_size"] if gaddr else -1
        sid = (saddr - self.sym["strands"]) // L["strand_size"] if saddr else -1
        return VcpuState(res_id, self._u32(a + L["v_vid"]), CPU_STATES.get(st, str(st)),
                         sid, gid, self._u64(a + L["v_hcalls"]), self._u64(a + L["v_traps"]),
                         self._u64(a + L["v_misses"]), self._u64(a + L["v_yield_count"]),
                         self._u64(a + L["v_yield_start"]), self._u64(a + L["v_start_stick"]),
                         self._u64(a + L["v_stop_stick"]))

    def vcpus(self, gid=None):
        out = []
        for r in range(self.L["nvcpus"]):
            v = self.vcpu(r)
            if v.state != "unconfigured" and (gid is None or v.guest == gid):
                out.append(v)
        return sorted(out, key=lambda v: (v.guest, v.vid))
