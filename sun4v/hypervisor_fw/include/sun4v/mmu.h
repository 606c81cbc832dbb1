/*
 * sun4v MMU interface: TTE format, page sizes, TSB descriptors and entries, the MMU
 * fault status area and its fault types.  Shared by the hypervisor and the guest kernel.
 *
 * Facts: reference/sun4v.md §3 (TTE data, TSB descriptor, fault status area, page
 * sizes of T1/T2); Sun's hypervisor include/sun4v/mmu.h, Linux
 * arch/sparc/include/asm/pgtable_64.h and hypervisor.h.  Written from those facts.
 */
#ifndef SUN4V_MMU_H
#define SUN4V_MMU_H

/* ---- sun4v TTE data ------------------------------------------------------------------- */
#define TTE_V                   (1UL << 63)     /* valid */
#define TTE_NFO                 (1UL << 62)     /* no-fault only */
#define TTE_SOFT2_SHIFT         56              /* 61:56 software */
#define TTE_RA_SHIFT            13              /* 55:13 real page number */
#define TTE_RA_MASK             0x00ffffffffffe000UL
#define TTE_IE                  (1UL << 12)     /* invert endianness */
#define TTE_E                   (1UL << 11)     /* side effect */
#define TTE_CP                  (1UL << 10)     /* cacheable physically */
#define TTE_CV                  (1UL << 9)      /* cacheable virtually */
#define TTE_P                   (1UL << 8)      /* privileged */
#define TTE_X                   (1UL << 7)      /* executable */
#define TTE_W                   (1UL << 6)      /* writable */
#define TTE_SZ_MASK             0xfUL           /* 3:0 page size */

/* page sizes: size = 8 KB << 3n */
#define TTE_8K                  0
#define TTE_64K                 1
#define TTE_512K                2
#define TTE_4M                  3
#define TTE_32M                 4
#define TTE_256M                5
#define TTE_2G                  6
#define TTE_16G                 7
#define TTE_PAGE_SHIFT(sz)      (13 + 3 * (sz))
/* the page sizes the T1 and T2 MMUs take (others: EBADPGSZ / fault type PAGESIZE) */
#define TTE_VALID_SIZES         ((1 << TTE_8K) | (1 << TTE_64K) | (1 << TTE_4M) | \
                                 (1 << TTE_256M))

/* ---- TSB ------------------------------------------------------------------------------ */
/* TSB tag: context 60:48, VA[63:22] in 41:0 */
#define TSB_TAG_CTX_SHIFT       48
#define TSB_TAG_VA_SHIFT        22
#define TSB_ENTRY_SIZE          16              /* tag, data */
#define TSB_CTX_SHARED          0xffffffffU     /* ctx_idx: tag carries the context */
#define TSB_MIN_ENTRIES         512             /* T2 hardware walk: 512 << n entries */
#define MAX_TSBS_T1             2               /* TSBs per context type */
#define MAX_TSBS_T2             4
#define MAX_TSBS                4

#ifndef __ASSEMBLER__
/* TSB descriptor (mmu_tsb_ctx0 / mmu_tsb_ctxnon0), 32 bytes, 16 B aligned list */
struct hv_tsb_descr {
    unsigned short  pgsz_idx;       /* page size of the index (TTE_8K ...) */
    unsigned short  assoc;          /* associativity: 1 */
    unsigned int    num_ttes;       /* entries, a power of two */
    unsigned int    ctx_idx;        /* 0 primary, 1 secondary, TSB_CTX_SHARED */
    unsigned int    pgsz_mask;      /* page sizes the TSB holds, one bit each */
    unsigned long   tsb_base;       /* real address, aligned to its size */
    unsigned long   resv;
};

struct hv_tsb_entry {
    unsigned long   tag;
    unsigned long   data;
};

/* MMU fault status area, 0x80 bytes, 64 B aligned (mmu_fault_area_conf) */
struct hv_fault_area {
    unsigned long   i_type;         /* 0x00 */
    unsigned long   i_addr;         /* 0x08 */
    unsigned long   i_ctx;          /* 0x10 */
    unsigned long   i_resv[5];
    unsigned long   d_type;         /* 0x40 */
    unsigned long   d_addr;         /* 0x48 */
    unsigned long   d_ctx;          /* 0x50 */
    unsigned long   d_resv[5];
};
#endif

#define TSB_DESCR_SIZE          32
#define TSB_DESCR_ALIGNMENT     16
#define MMU_FAULT_AREA_SIZE     0x80
#define MMU_FAULT_AREA_ALIGNMENT 64
#define MMU_FAULT_AREA_IFT      0x00
#define MMU_FAULT_AREA_IADDR    0x08
#define MMU_FAULT_AREA_ICTX     0x10
#define MMU_FAULT_AREA_DFT      0x40
#define MMU_FAULT_AREA_DADDR    0x48
#define MMU_FAULT_AREA_DCTX     0x50

/* fault types (i_type / d_type) */
#define MMU_FT_FASTMISS         0x1
#define MMU_FT_FASTPROT         0x2
#define MMU_FT_MISS             0x3
#define MMU_FT_INVALIDRA        0x4
#define MMU_FT_PRIV             0x5
#define MMU_FT_PROT             0x6
#define MMU_FT_NFO              0x7
#define MMU_FT_SO               0x8
#define MMU_FT_VARANGE          0x9
#define MMU_FT_BADASI           0xa
#define MMU_FT_NCATOMIC         0xb
#define MMU_FT_PRIVACTION       0xc
#define MMU_FT_WATCHPOINT       0xd
#define MMU_FT_ALIGN            0xe
#define MMU_FT_PAGESIZE         0xf
#define MMU_FT_INVTSBENTRY      0x10

/* contexts and virtual addresses */
#define NCTXS                   8192            /* 13-bit contexts */
#define VA_BITS                 48              /* VA[63:48] must be a sign extension */

/* mmu_enable */
#define MMU_ENABLE_OFF          0
#define MMU_ENABLE_ON           1

#endif /* SUN4V_MMU_H */
