/* Virtual memory: the kernel's linear map, its TSB, and the kernel heap.

   Every real address of the domain's memory from its real base RA0 up is mapped at
   VA = KERNBASE + (RA - RA0) with 4 MB pages (layout.h): one range per memory block,
   trimmed to whole 4 MB pages (a partial page at a block's edge is not used). The
   sun4v TTE carries the real address; the hypervisor supplies the physical one.

   The TSB (translation storage buffer) is the table the hypervisor (T1: its fast MMU
   miss handler) or the chip's hardware walker (T2) searches on a TLB miss before
   trapping to the kernel: 512 direct-mapped entries of {tag, TTE} for 4 MB pages,
   entry (VA >> 22) & 511, tag VA >> 22 (context 0). vm_init fills it with the map's
   first pages; each vCPU registers it with mmu_tsb_ctx0. A miss the TSB cannot
   satisfy (a domain with more than 2 GB) reaches kmiss (trap.S), which computes the
   TTE from vm_ranges, replaces the TSB entry and loads the TLB.

   The heap hands out memory after the kernel image, zeroed, never freed (threads are
   recycled by the scheduler, buffers live as long as the domain); big buffers come
   from the top of memory down (kalloc_high), so a domain larger than what the TSB
   holds at once uses the miss path as soon as a workload touches them. */
#include "kernel.h"
#include "hcall.h"

#define TSB_ENTRIES 512

struct vmrange {
    u64 va_lo, va_hi, tte;      /* kmiss reads these three words */
};

u64 kern_delta;
struct vmrange vm_ranges[MD_MAXMBLOCKS];
u64 vm_nranges;
u64 vm_tsb;                     /* VA of the TSB; 0 until vm_init */
u64 vm_tsb_mask;

static struct hv_tsb_entry tsb[TSB_ENTRIES] __attribute__((aligned(TSB_ENTRIES * 16)));
static struct hv_tsb_descr tsb_descr __attribute__((aligned(32)));
static spinlock_t heap_lock;
static u64 heap_next;
static int heap_range;
static u64 high_next;           /* kalloc_high: the lowest address handed out so far */
static int high_range;

#define KTTE (TTE_V | TTE_CP | TTE_CV | TTE_P | TTE_X | TTE_W | TTE_4M)

void vm_init(void)
{
    u64 ra0 = KERNBASE + kern_delta;
    vm_nranges = 0;
    for (int i = 0; i < md.nmblocks; i++) {
        u64 lo = MAX(md.mblock[i].base, ra0);
        u64 hi = md.mblock[i].base + md.mblock[i].size;
        lo = ALIGN_UP(lo, KERN_PAGE_SIZE);
        hi = ALIGN_DOWN(hi, KERN_PAGE_SIZE);
        if (md.mblock[i].base + md.mblock[i].size <= ra0 || lo >= hi)
            continue;
        struct vmrange *r = &vm_ranges[vm_nranges];
        r->va_lo = lo - kern_delta;
        r->va_hi = hi - kern_delta;
        r->tte = KTTE | lo;
        vm_nranges++;
    }
    /* sort by VA (the heap walks them in order) */
    for (u64 i = 0; i < vm_nranges; i++)
        for (u64 j = i + 1; j < vm_nranges; j++)
            if (vm_ranges[j].va_lo < vm_ranges[i].va_lo) {
                struct vmrange t = vm_ranges[i];
                vm_ranges[i] = vm_ranges[j];
                vm_ranges[j] = t;
            }
    if (vm_nranges == 0 || vm_ranges[0].va_lo != KERNBASE)
        panic("the memory blocks of the machine description do not hold the kernel "
              "at real address 0x%lx", ra0);
    if ((u64)_end > KERNBASE + KERN_PAGE_SIZE)
        panic("the kernel image (0x%lx bytes) is larger than its first 4 MB page",
              (u64)_end - KERNBASE);

    for (u64 i = 0; i < vm_nranges; i++)
        for (u64 va = vm_ranges[i].va_lo; va < vm_ranges[i].va_hi; va += KERN_PAGE_SIZE) {
            u64 idx = (va >> TSB_TAG_VA_SHIFT) & (TSB_ENTRIES - 1);
            if (tsb[idx].data & TTE_V)
                continue;               /* first come; the rest go through kmiss */
            tsb[idx].data = vm_ranges[i].tte + (va - vm_ranges[i].va_lo);
            tsb[idx].tag = va >> TSB_TAG_VA_SHIFT;
        }
    tsb_descr.pgsz_idx = TTE_4M;
    tsb_descr.assoc = 1;
    tsb_descr.num_ttes = TSB_ENTRIES;
    tsb_descr.ctx_idx = 0;
    tsb_descr.pgsz_mask = 1 << TTE_4M;
    tsb_descr.tsb_base = va2ra(tsb);
    tsb_descr.resv = 0;
    vm_tsb_mask = TSB_ENTRIES - 1;
    membar_sync();
    vm_tsb = (u64)tsb;

    heap_next = ALIGN_UP((u64)_end, 8192);
    heap_range = 0;
    high_range = (int)vm_nranges - 1;
    high_next = vm_ranges[high_range].va_hi;
}

void vm_cpu_init(void)
{
    u64 st = hv_mmu_tsb_ctx0(1, va2ra(&tsb_descr));
    if (st != EOK)
        panic("mmu_tsb_ctx0 failed (status %lu)", st);
}

u64 vm_mapped_bytes(void)
{
    u64 n = 0;
    for (u64 i = 0; i < vm_nranges; i++)
        n += vm_ranges[i].va_hi - vm_ranges[i].va_lo;
    return n;
}

void *kalloc(u64 size, u64 align)
{
    u64 p = intr_off();
    spin_lock(&heap_lock);
    u64 a = ALIGN_UP(heap_next, align ? align : 8);
    while ((u64)heap_range < vm_nranges && a + size > vm_ranges[heap_range].va_hi) {
        heap_range++;
        if ((u64)heap_range < vm_nranges)
            a = ALIGN_UP(vm_ranges[heap_range].va_lo, align ? align : 8);
    }
    if ((u64)heap_range >= vm_nranges) {
        spin_unlock(&heap_lock);
        panic("out of memory: %lu bytes wanted", size);
    }
    heap_next = a + size;
    spin_unlock(&heap_lock);
    intr_restore(p);
    memset((void *)a, 0, size);
    return (void *)a;
}

/* from the top of memory down; the two ends of the heap must not meet */
static void *high_alloc(u64 size, u64 align, int may_fail);

void *kalloc_high(u64 size, u64 align) { return high_alloc(size, align, 0); }

/* the same, 0 instead of a panic when memory runs out (a program's mmap or brk), and
   not zeroed: memory no one has used yet is zero as the machine starts it (the
   hypervisor gives a domain memory no other domain had), so a program's fresh pages
   need no clearing; uvm.c clears what it hands out again */
void *kalloc_high_try(u64 size, u64 align) { return high_alloc(size, align, 1); }

static void *high_alloc(u64 size, u64 align, int may_fail)
{
    u64 p = intr_off();
    spin_lock(&heap_lock);
    if (!align)
        align = 8;
    int old_range = high_range;
    u64 old_next = high_next;
    u64 a = ALIGN_DOWN(high_next - size, align);
    while (high_range >= 0 && (a < vm_ranges[high_range].va_lo || high_next < size)) {
        high_range--;
        if (high_range >= 0) {
            high_next = vm_ranges[high_range].va_hi;
            a = ALIGN_DOWN(high_next - size, align);
        }
    }
    if (high_range < 0 || high_range < heap_range ||
        (high_range == heap_range && a < heap_next)) {
        if (may_fail) {
            high_range = old_range;     /* nothing taken */
            high_next = old_next;
            spin_unlock(&heap_lock);
            intr_restore(p);
            return 0;
        }
        spin_unlock(&heap_lock);
        panic("out of memory: %lu bytes wanted", size);
    }
    high_next = a;
    spin_unlock(&heap_lock);
    intr_restore(p);
    if (!may_fail)
        memset((void *)a, 0, size);
    return (void *)a;
}
