"""Node and property names of the two machine descriptions of a sun4v machine: the
hypervisor MD (what the firmware hypervisor is told: guests, strands, memory, LDC
endpoints) and the guest MD (what one domain sees through the mach_desc hypercall).

Facts: reference/sun4v.md §4 — guest MD: Linux arch/sparc/kernel/mdesc.c and
arch/sparc/mm/init_64.c, illumos dr_cpu.c, Sun's OpenSPARC T1 common.pdesc; hypervisor
MD: Sun's hypervisor common/src/mdsup.c and res_vcpu.c, common.hdesc.  The property lists
of both are those of Sun's published T1 "legion" configuration
(qemu-sun4v-dist-pkg t1_legion_2g_hv.desc / t1_legion_2g_guest.desc, the fixtures in
tests/md/), which carry every property sun4v.md §4 names.
"""
from enum import StrEnum

from . import md as _md

ARC_FWD = _md.ARC_FWD        # "fwd": parent -> child
ARC_BACK = _md.ARC_BACK      # "back": child -> parent


class GuestNode(StrEnum):
    """Node names of a guest MD."""
    ROOT = "root"                          # fwd arcs to the top-level nodes
    PLATFORM = "platform"
    CPUS = "cpus"
    CPU = "cpu"
    EXEC_UNIT = "exec-unit"
    CACHE = "cache"
    TLB = "tlb"
    MEMORY = "memory"
    MBLOCK = "mblock"
    VIRTUAL_DEVICES = "virtual-devices"
    VIRTUAL_DEVICE = "virtual-device"
    CHANNEL_DEVICES = "channel-devices"
    VIRTUAL_DEVICE_PORT = "virtual-device-port"
    DOMAIN_SERVICES_PORT = "domain-services-port"
    CHANNEL_ENDPOINTS = "channel-endpoints"
    CHANNEL_ENDPOINT = "channel-endpoint"


class GuestProp(StrEnum):
    """Property names of a guest MD (GUEST_MD says which node has which)."""
    CONTENT_VERSION = "content-version"
    RESET_REASON = "reset-reason"
    MD_GENERATION = "md-generation#"
    NAME = "name"
    BANNER_NAME = "banner-name"
    HOSTID = "hostid"
    MAC_ADDRESS = "mac-address"
    SERIAL = "serial#"
    STICK_FREQUENCY = "stick-frequency"
    WATCHDOG_RESOLUTION = "watchdog-resolution"          # ms
    WATCHDOG_MAX_TIMEOUT = "watchdog-max-timeout"        # ms
    MAX_CPUS = "max-cpus"
    DOMAINING_ENABLED = "domaining-enabled"
    ID = "id"
    PID = "pid"
    CLOCK_FREQUENCY = "clock-frequency"
    COMPATIBLE = "compatible"                            # string list
    ISALIST = "isalist"                                  # string list
    NWINS = "nwins"
    MMU_TYPE = "mmu-type"
    MMU_VA_BITS = "mmu-#va-bits"
    MMU_MAX_TSBS = "mmu-max-#tsbs"
    MMU_CONTEXT_BITS = "mmu-#context-bits"
    MMU_SHARED_CONTEXTS = "mmu-#shared-contexts"
    MMU_PAGE_SIZE_LIST = "mmu-page-size-list"            # bit n: page size 8 KB << 3n
    Q_CPU_MONDO_BITS = "q-cpu-mondo-#bits"               # log2 of queue entries
    Q_DEV_MONDO_BITS = "q-dev-mondo-#bits"
    Q_RESUMABLE_BITS = "q-resumable-#bits"
    Q_NONRESUMABLE_BITS = "q-nonresumable-#bits"
    TYPE = "type"                                        # string list ("instn", "data")
    LEVEL = "level"
    SIZE = "size"
    LINE_SIZE = "line-size"
    ASSOCIATIVITY = "associativity"
    ENTRIES = "entries"
    PAGE_SIZE_LIST = "page-size-list"
    MEMORY_GENERATION_ID = "memory-generation-id#"
    BASE = "base"
    ADDRESS_CONGRUENCE_OFFSET = "address-congruence-offset"
    CFG_HANDLE = "cfg-handle"
    DEVICE_TYPE = "device-type"
    PROBE_LIST = "probe-list"
    INO = "ino"
    INTR = "intr"
    CHANNEL = "channel#"
    FCODE_DRIVER_NAME = "fcode-driver-name"
    MY_SPACE = "my-space"
    INTERRUPT_PRIORITIES = "interrupt-priorities"            # data: one byte per level
    VLDC_SVC_NAME = "vldc-svc-name"
    TX_INO = "tx-ino"
    RX_INO = "rx-ino"


G, GP = GuestNode, GuestProp
GUEST_MD = {
    G.ROOT: (GP.CONTENT_VERSION, GP.RESET_REASON, GP.MD_GENERATION),
    G.PLATFORM: (GP.BANNER_NAME, GP.NAME, GP.WATCHDOG_RESOLUTION, GP.WATCHDOG_MAX_TIMEOUT,
                 GP.MAX_CPUS, GP.MAC_ADDRESS, GP.HOSTID, GP.SERIAL, GP.STICK_FREQUENCY,
                 GP.DOMAINING_ENABLED),
    G.CPUS: (),
    G.CPU: (GP.ID, GP.PID, GP.SERIAL, GP.ISALIST, GP.CLOCK_FREQUENCY, GP.COMPATIBLE,
            GP.NWINS, GP.MMU_TYPE, GP.Q_CPU_MONDO_BITS, GP.Q_DEV_MONDO_BITS,
            GP.Q_RESUMABLE_BITS, GP.Q_NONRESUMABLE_BITS, GP.MMU_MAX_TSBS,
            GP.MMU_CONTEXT_BITS, GP.MMU_SHARED_CONTEXTS, GP.MMU_PAGE_SIZE_LIST,
            GP.MMU_VA_BITS),
    G.EXEC_UNIT: (GP.TYPE,),
    G.CACHE: (GP.LEVEL, GP.TYPE, GP.LINE_SIZE, GP.SIZE, GP.ASSOCIATIVITY),
    G.TLB: (GP.LEVEL, GP.TYPE, GP.ENTRIES, GP.ASSOCIATIVITY, GP.PAGE_SIZE_LIST),
    G.MEMORY: (GP.MEMORY_GENERATION_ID,),
    G.MBLOCK: (GP.BASE, GP.SIZE, GP.ADDRESS_CONGRUENCE_OFFSET),
    G.VIRTUAL_DEVICES: (GP.NAME, GP.CFG_HANDLE, GP.PROBE_LIST, GP.COMPATIBLE,
                        GP.DEVICE_TYPE),
    G.VIRTUAL_DEVICE: (GP.NAME, GP.DEVICE_TYPE, GP.INTR, GP.INO, GP.CHANNEL, GP.CFG_HANDLE,
                       GP.COMPATIBLE, GP.FCODE_DRIVER_NAME, GP.MY_SPACE,
                       GP.INTERRUPT_PRIORITIES),
    G.CHANNEL_DEVICES: (GP.NAME, GP.DEVICE_TYPE, GP.COMPATIBLE, GP.CFG_HANDLE),
    G.VIRTUAL_DEVICE_PORT: (GP.NAME, GP.ID, GP.VLDC_SVC_NAME),
    G.DOMAIN_SERVICES_PORT: (GP.ID,),
    G.CHANNEL_ENDPOINTS: (),
    G.CHANNEL_ENDPOINT: (GP.ID, GP.TX_INO, GP.RX_INO),
}
"""Guest MD: node name -> its property names (arcs not listed: every node but root has a
back arc to its parent, parents fwd arcs to their children)."""


class HvNode(StrEnum):
    """Node names of the hypervisor MD."""
    ROOT = "root"
    PLATFORM = "platform"
    GUESTS = "guests"
    GUEST = "guest"
    VIRTUAL_DEVICES = "virtual_devices"
    CHANNEL_DEVICES = "channel_devices"
    CPUS = "cpus"
    CPU = "cpu"
    MEMORY = "memory"
    MBLOCK = "mblock"
    MAUS = "maus"
    CWQS = "cwqs"
    DEVICES = "devices"
    PCIE_BUS = "pcie_bus"
    LDC_ENDPOINTS = "ldc_endpoints"
    LDC_ENDPOINT = "ldc_endpoint"
    CONSOLES = "consoles"
    CONSOLE = "console"
    FRAG_SPACE = "frag_space"
    FRAG_MBLOCK = "frag_mblock"
    SNET = "snet"


class HvProp(StrEnum):
    """Property names of the hypervisor MD (HV_MD says which node has which)."""
    CONTENT_VERSION = "content-version"
    STICK_FREQUENCY = "stick-frequency"
    HVUART = "hvuart"
    TOD = "tod"
    NAME = "name"
    GID = "gid"
    RESOURCE_ID = "resource_id"
    PID = "pid"                  # guest: partition ID; cpu: physical strand
    VID = "vid"                  # cpu: the guest's virtual cpu id
    PARTID = "partid"
    MDPA = "mdpa"                # guest: PA of its guest MD
    ROMBASE = "rombase"
    ROMSIZE = "romsize"
    NVBASE = "nvbase"
    NVSIZE = "nvsize"
    DISKPA = "diskpa"
    TOD_OFFSET = "tod-offset"
    RESET_REASON = "reset-reason"
    PERFCTRACCESS = "perfctraccess"
    PERFCTRHTACCESS = "perfctrhtaccess"
    RNGCTLACCESSIBLE = "rngctlaccessible"
    DIAGPRIV = "diagpriv"
    CFGHANDLE = "cfghandle"
    MEMBASE = "membase"
    MEMSIZE = "memsize"
    REALBASE = "realbase"
    CHANNEL = "channel"
    TARGET_TYPE = "target_type"
    TARGET_GUEST = "target_guest"
    TARGET_CHANNEL = "target_channel"
    TX_INO = "tx-ino"
    RX_INO = "rx-ino"
    SERVER_NAME = "server_name"
    SERVER_LDOM_NAME = "server_ldom_name"
    SERVER_INSTANCE = "server_instance"
    CLIENT_LDOM_NAME = "client_ldom_name"
    SVC_ID = "svc_id"
    INO = "ino"
    UARTBASE = "uartbase"
    FRAGSIZE = "fragsize"
    BASE = "base"
    SIZE = "size"
    SNET_INO = "snet_ino"
    SNET_PA = "snet_pa"


H, HP = HvNode, HvProp
HV_MD = {
    H.ROOT: (HP.CONTENT_VERSION, HP.STICK_FREQUENCY, HP.HVUART, HP.TOD),
    H.PLATFORM: (HP.STICK_FREQUENCY,),
    H.GUESTS: (),
    H.GUEST: (HP.NAME, HP.GID, HP.RESOURCE_ID, HP.PID, HP.TOD_OFFSET, HP.RESET_REASON,
              HP.PERFCTRACCESS, HP.PERFCTRHTACCESS, HP.RNGCTLACCESSIBLE, HP.DIAGPRIV,
              HP.MDPA, HP.ROMBASE, HP.ROMSIZE, HP.NVBASE, HP.NVSIZE, HP.DISKPA),
    H.VIRTUAL_DEVICES: (HP.CFGHANDLE,),
    H.CHANNEL_DEVICES: (HP.CFGHANDLE,),
    H.CPUS: (),
    H.CPU: (HP.PID, HP.VID, HP.RESOURCE_ID, HP.GID, HP.PARTID),
    H.MEMORY: (),
    H.MBLOCK: (HP.MEMBASE, HP.MEMSIZE, HP.REALBASE, HP.RESOURCE_ID),
    H.MAUS: (),
    H.CWQS: (),
    H.DEVICES: (),
    H.PCIE_BUS: (HP.RESOURCE_ID, HP.CFGHANDLE, HP.GID),
    H.LDC_ENDPOINTS: (),
    H.LDC_ENDPOINT: (HP.TARGET_TYPE, HP.CHANNEL, HP.RESOURCE_ID, HP.TX_INO, HP.RX_INO,
                     HP.TARGET_GUEST, HP.TARGET_CHANNEL, HP.SERVER_NAME,
                     HP.SERVER_LDOM_NAME, HP.SERVER_INSTANCE, HP.CLIENT_LDOM_NAME,
                     HP.SVC_ID),
    H.CONSOLES: (),
    H.CONSOLE: (HP.INO, HP.RESOURCE_ID, HP.UARTBASE),
    H.FRAG_SPACE: (HP.FRAGSIZE,),
    H.FRAG_MBLOCK: (HP.BASE, HP.SIZE),
    H.SNET: (HP.SNET_INO, HP.RESOURCE_ID, HP.SNET_PA),
}
"""Hypervisor MD: node name -> its property names (every node but root has a back arc to
its list node; root has fwd arcs to the lists, a guest to its own cpus, mblocks,
ldc_endpoints, console, virtual_devices and channel_devices)."""

HV_CONTENT_VERSION = 0x1_0000_0000     # root content-version in the LDoms-era HV MD
GUEST_CONTENT_VERSION = "1.0"          # root content-version (a string) in the guest MD
HV_VIRTUAL_DEVICES_CFGHANDLE = 0x100
HV_CHANNEL_DEVICES_CFGHANDLE = 0x200
LDC_TARGET_GUEST = 0                   # ldc_endpoint target_type
LDC_TARGET_HYPERVISOR = 1
SVC_ID_HVCTL = 1                       # svc_id of the hypervisor's end of the hvctl channel
HVCTL_SERVER_NAME = "hvctl"

del G, GP, H, HP
