/*
 * The sun4v Machine Description (MD) binary format, and the node and property names of
 * the guest MD that the hypervisor hands a guest through mach_desc.
 *
 * Facts: reference/sun4v.md §4 (header, elements, tags, guest and hypervisor MD nodes);
 * Sun's hypervisor include/md/md_impl.h, Linux arch/sparc/kernel/mdesc.c.  The writer is
 * ldm/mdwriter.py (Python); sun4v/fwlib/mdread.c reads MDs in firmware.
 *
 * Layout (big-endian): header (16 B) | node block | name block | data block.  The node
 * block is an array of 16-byte elements addressed by index; a node is NODE, its
 * properties, NODE_END; NODE's value is the index of the next node; LIST_END ends it.
 *
 * Guest MD written by ldm/mdwriter.py (arcs: "fwd" parent -> child, "back" child ->
 * parent):
 *   root          content-version "1.0", md-generation#
 *   platform      name "SUNW,<platform>", banner-name, stick-frequency (Hz),
 *                 watchdog-resolution, watchdog-max-timeout (ms), max-cpus, hostid,
 *                 serial#, domaining-enabled; sun4v-domain-name (the domain's name)
 *   cpus -> cpu   id (vCPU id), clock-frequency, compatible "SUNW,UltraSPARC-T1"|"-T2",
 *                 isalist, nwins, mmu-type "sun4v", mmu-#va-bits, mmu-#context-bits,
 *                 mmu-max-#tsbs, mmu-page-size-list (bit n: 8 KB << 3n),
 *                 q-cpu-mondo-#bits, q-dev-mondo-#bits, q-resumable-#bits,
 *                 q-nonresumable-#bits (log2 of the maximum entries)
 *   memory -> mblock       base (real address), size
 *   virtual-devices        cfg-handle 0x100 -> virtual-device "console" (ino)
 *   channel-devices        cfg-handle = LDC devhandle (0x200)
 *     -> domain-services-port  id -> channel-endpoint id (channel), tx-ino, rx-ino
 *     -> virtual-device-port "hvctl" (control domain)  -> channel-endpoint
 *   workload      name, and the workload's parameters as properties (sun4v boot)
 */
#ifndef SUN4V_MD_H
#define SUN4V_MD_H

#define MD_TRANSPORT_VERSION    0x00010000
#define MD_HEADER_SIZE          16
#define MD_ELEMENT_SIZE         16
#define MD_ALIGNMENT            16      /* mach_desc buffer alignment */

/* element tags */
#define MDET_LIST_END           0x00
#define MDET_NODE               0x4e    /* 'N' */
#define MDET_NODE_END           0x45    /* 'E' */
#define MDET_NOOP               0x20    /* ' ' */
#define MDET_PROP_ARC           0x61    /* 'a' */
#define MDET_PROP_VAL           0x76    /* 'v' */
#define MDET_PROP_STR           0x73    /* 's' */
#define MDET_PROP_DATA          0x64    /* 'd' */

#ifndef __ASSEMBLER__
struct md_header {
    unsigned int    transport_version;
    unsigned int    node_blk_sz;
    unsigned int    name_blk_sz;
    unsigned int    data_blk_sz;
};

struct md_element {
    unsigned char   tag;
    unsigned char   name_len;
    unsigned short  resv;
    unsigned int    name_offset;
    union {
        unsigned long val;              /* PROP_VAL; NODE, PROP_ARC: element index */
        struct {
            unsigned int len;
            unsigned int offset;        /* into the data block */
        } y;
    } d;
};
#endif

#endif /* SUN4V_MD_H */
