/* The program's address space: ranges of 8 KB pages (struct uspace, prog.h), each
   backed by contiguous kernel memory, in the program's MMU context (PROG_CTX).

   The kernel's 4 MB pages carry TTE_P (privileged) and are in context 0, the
   program's in its own context: user mode reaches only its own pages; the kernel
   reaches them through its linear map (uvm_kva), its window handlers through the
   secondary context (ASI_AIUS). A TLB miss in the program's context reaches umiss
   (trap.S), which walks the address space of the vCPU's running program; the ranges
   are few (the ELF segments, the heap's pieces, the stack, the mmaps), so a linear walk
   is enough. A range's TTE: V (clear for PROT_NONE), CP, CV, W for PROT_WRITE, X for
   PROT_EXEC; the Linux sparc64 page size, 8 KB.

   Memory comes from the top of the domain's memory (kalloc_high_try) or from the free
   list of what munmap gave back (first fit), zeroed, as Linux gives anonymous pages.
   The pages are mapped in the program's own MMU context (PROG_CTX, prog.h), never in
   the kernel's. Changes take uspace_lock; after an unmap or a protection change this
   vCPU's TLB drops the context's entries (mmu_demap_ctx), and every other online vCPU running a
   thread of the program is sent a cpu mondo that makes it do the same (prog.c). */
#include "kernel.h"
#include "hcall.h"
#include "prog.h"
#include "proc.h"

struct uspace uspace;                   /* the first process's */
#define US (*curproc()->us)             /* the running process's */
static spinlock_t uspace_lock;

#define LX_ENOMEM  12
#define LX_EFAULT  14

/* ---- backing memory: first fit over what was given back -------------------------- */
#define NFREE 256
static struct { u64 kva, len; } freel[NFREE];
static int nfree;

static u64 backing_alloc(u64 len)
{
    for (int i = 0; i < nfree; i++)
        if (freel[i].len >= len) {
            u64 kva = freel[i].kva;
            freel[i].kva += len;
            freel[i].len -= len;
            if (freel[i].len == 0)
                freel[i] = freel[--nfree];
            memset((void *)kva, 0, len);        /* it held the program's data */
            return kva;
        }
    return (u64)kalloc_high_try(len, UPAGE_SIZE);  /* fresh: zero (vm.c) */
}

static void backing_free(u64 kva, u64 len)
{
    for (int i = 0; i < nfree; i++) {           /* join a neighbour */
        if (freel[i].kva + freel[i].len == kva) {
            freel[i].len += len;
            return;
        }
        if (kva + len == freel[i].kva) {
            freel[i].kva = kva;
            freel[i].len += len;
            return;
        }
    }
    if (nfree < NFREE) {
        freel[nfree].kva = kva;
        freel[nfree].len = len;
        nfree++;
    }                                           /* else lost: the table is full */
}

static u64 tte_of(u64 kva, int prot)
{
    u64 t = TTE_CP | TTE_CV | TTE_8K | va2ra((void *)kva);
    if (prot & (UPROT_R | UPROT_W | UPROT_X))
        t |= TTE_V;
    if (prot & UPROT_W)
        t |= TTE_W;
    if (prot & UPROT_X)
        t |= TTE_X;
    return t;
}

static int prot_of(const struct urange *r)
{
    if (!(r->tte & TTE_V))
        return 0;
    return UPROT_R | ((r->tte & TTE_W) ? UPROT_W : 0) | ((r->tte & TTE_X) ? UPROT_X : 0);
}

/* ---- the table (uspace_lock held) -------------------------------------------------- */
static int find(u64 va)
{
    for (u64 i = 0; i < US.n; i++)
        if (US.r[i].va_lo <= va && va < US.r[i].va_hi)
            return (int)i;
    return -1;
}

static int insert(u64 lo, u64 hi, u64 tte, u64 kva)
{
    u64 n = US.n, i = 0;
    if (n >= UR_MAX)
        return -LX_ENOMEM;
    while (i < n && US.r[i].va_lo < lo)
        i++;
    /* grow the table at its end first so that umiss never sees a half-moved entry
       beyond n; entries move up one by one (each whole before n grows) */
    for (u64 j = n; j > i; j--)
        US.r[j] = US.r[j - 1];
    US.r[i].va_lo = lo;
    US.r[i].va_hi = hi;
    US.r[i].tte = tte;
    US.r[i].kva = kva;
    membar_sync();
    US.n = n + 1;
    return 0;
}

static void remove_at(int i)
{
    for (u64 j = (u64)i; j + 1 < US.n; j++)
        US.r[j] = US.r[j + 1];
    membar_sync();
    US.n--;
}

/* split the range holding va so that one ends at va (nothing to do at an edge) */
static int split_at(u64 va)
{
    int i = find(va);
    if (i < 0 || US.r[i].va_lo == va)
        return 0;
    struct urange *r = &US.r[i];
    u64 off = va - r->va_lo;
    u64 hi = r->va_hi, tte = r->tte + off, kva = r->kva + off;
    if (US.n >= UR_MAX)
        return -LX_ENOMEM;
    r->va_hi = va;
    return insert(va, hi, tte, kva);
}

void uvm_demap_local(void)
{
    hv_call(MMU_DEMAP_CTX, 0, 0, curproc()->ctx, MAP_ITLB | MAP_DTLB, 0, 0, 0, 0);
}

static void tlb_flush(void)
{
    uvm_demap_local();
    prog_tlb_shootdown();
}

/* a thread of the program about to run on vCPU c (sched_lock held, interrupts off):
   its address space is the one umiss walks there, its context the secondary one now
   and the primary one in user mode (trap_exit) */
void uvm_switch(struct cpu *c, struct thread *next)
{
    if (!next->user)
        return;
    struct proc *p = next->user->proc;
    c->uspace = (u64)p->us;
    c->uctx = p->ctx;
    __asm__ __volatile__("stxa %0, [%1] %2" : : "r"(p->ctx), "r"(0x10UL),
                         "i"(ASI_MMU_CONTEXTID) : "memory");
}

/* ---- the calls ------------------------------------------------------------------------ */
int uvm_map(u64 va, u64 len, int prot)
{
    len = ALIGN_UP(len, UPAGE_SIZE);
    u64 p = intr_off();
    spin_lock(&uspace_lock);
    u64 kva = backing_alloc(len);
    int r = -LX_ENOMEM;
    if (kva) {
        r = insert(va, va + len, tte_of(kva, prot), kva);
        if (r)
            backing_free(kva, len);
    }
    spin_unlock(&uspace_lock);
    intr_restore(p);
    return r;
}

int uvm_unmap(u64 va, u64 len)
{
    len = ALIGN_UP(len, UPAGE_SIZE);
    u64 p = intr_off();
    spin_lock(&uspace_lock);
    int r = split_at(va);
    if (!r)
        r = split_at(va + len);
    int any = 0;
    for (u64 i = 0; !r && i < US.n;) {
        struct urange *u = &US.r[i];
        if (u->va_lo >= va && u->va_hi <= va + len) {
            backing_free(u->kva, u->va_hi - u->va_lo);
            remove_at((int)i);
            any = 1;
        } else {
            i++;
        }
    }
    spin_unlock(&uspace_lock);
    intr_restore(p);
    if (any)
        tlb_flush();
    return r;
}

int uvm_protect(u64 va, u64 len, int prot)
{
    len = ALIGN_UP(len, UPAGE_SIZE);
    u64 p = intr_off();
    spin_lock(&uspace_lock);
    int r = 0;
    /* all of it mapped? */
    for (u64 a = va; a < va + len;) {
        int i = find(a);
        if (i < 0) {
            r = -LX_ENOMEM;
            break;
        }
        a = US.r[i].va_hi;
    }
    if (!r)
        r = split_at(va);
    if (!r)
        r = split_at(va + len);
    if (!r)
        for (u64 i = 0; i < US.n; i++) {
            struct urange *u = &US.r[i];
            if (u->va_lo >= va && u->va_hi <= va + len)
                u->tte = tte_of(u->kva, prot);
        }
    spin_unlock(&uspace_lock);
    intr_restore(p);
    if (!r)
        tlb_flush();
    return r;
}

u64 uvm_mapped_end(u64 va, u64 len)
{
    u64 end = 0;
    for (u64 i = 0; i < US.n; i++) {
        struct urange *u = &US.r[i];
        if (u->va_lo < va + len && va < u->va_hi && u->va_hi > end)
            end = u->va_hi;
    }
    return end;
}

int uvm_is_free(u64 va, u64 len) { return uvm_mapped_end(va, len) == 0; }

int uvm_prot(u64 va)
{
    int i = find(va);
    return i < 0 ? -1 : prot_of(&US.r[i]);
}

/* the brk heap: the range starting at lo now ends at hi (created, resized or
   removed), backed by the reservation at kva */
int uvm_set_range(u64 lo, u64 hi, u64 kva, int prot)
{
    u64 p = intr_off();
    spin_lock(&uspace_lock);
    int i = find(lo), r = 0, shrunk = 0;
    if (i >= 0 && US.r[i].va_lo != lo)
        r = -LX_ENOMEM;
    else if (i >= 0 && hi <= lo) {
        remove_at(i);
        shrunk = 1;
    } else if (i >= 0) {
        shrunk = hi < US.r[i].va_hi;
        US.r[i].va_hi = hi;
    } else if (hi > lo) {
        r = insert(lo, hi, tte_of(kva, prot), kva);
    }
    spin_unlock(&uspace_lock);
    intr_restore(p);
    if (shrunk)
        tlb_flush();
    return r;
}

void *uvm_kva_any(u64 va, u64 len)
{
    int i = find(va);
    if (i < 0 || len > US.r[i].va_hi - va)
        return 0;
    return (void *)(US.r[i].kva + (va - US.r[i].va_lo));
}

void *uvm_kva(u64 va, u64 len, int write)
{
    int i = find(va);
    if (i < 0 || len > US.r[i].va_hi - va)
        return 0;
    int prot = prot_of(&US.r[i]);
    if (!(prot & UPROT_R) || (write && !(prot & UPROT_W)))
        return 0;
    return (void *)(US.r[i].kva + (va - US.r[i].va_lo));
}

static int copy(u64 va, void *buf, u64 len, int out)
{
    while (len) {
        int i = find(va);
        if (i < 0)
            return -LX_EFAULT;
        u64 n = MIN(len, US.r[i].va_hi - va);
        void *k = uvm_kva(va, n, out);
        if (!k)
            return -LX_EFAULT;
        if (out)
            memcpy(k, buf, n);
        else
            memcpy(buf, k, n);
        va += n;
        buf = (char *)buf + n;
        len -= n;
    }
    return 0;
}

int uvm_copyin(void *dst, u64 va, u64 len) { return copy(va, dst, len, 0); }
int uvm_copyout(u64 va, const void *src, u64 len) { return copy(va, (void *)src, len, 1); }

/* ---- processes (proc.c) ----------------------------------------------------------------- */
/* dst: a copy of the running process's address space, every range in fresh memory of
   its own (the brk heap starting at heap_lo in the reservation at heap_kva); 0 or
   -LX_ENOMEM (dst then holds nothing) */
int uvm_fork(struct uspace *dst, u64 heap_lo, u64 heap_kva)
{
    u64 p = intr_off();
    spin_lock(&uspace_lock);
    int r = 0;
    dst->n = 0;
    for (u64 i = 0; i < US.n; i++) {
        struct urange *s = &US.r[i];
        u64 len = s->va_hi - s->va_lo;
        u64 kva = s->va_lo == heap_lo ? heap_kva : backing_alloc(len);
        if (!kva) {
            r = -LX_ENOMEM;
            break;
        }
        memcpy((void *)kva, (void *)s->kva, len);
        dst->r[i].va_lo = s->va_lo;
        dst->r[i].va_hi = s->va_hi;
        dst->r[i].tte = tte_of(kva, prot_of(s));
        dst->r[i].kva = kva;
        dst->n = i + 1;
    }
    spin_unlock(&uspace_lock);
    intr_restore(p);
    if (r)
        uvm_free_all(dst, heap_lo);
    return r;
}

/* an ended process's address space: its memory back to the free list (the heap's
   reservation at heap_lo is the caller's) */
void uvm_free_all(struct uspace *us, u64 heap_lo)
{
    u64 p = intr_off();
    spin_lock(&uspace_lock);
    for (u64 i = 0; i < us->n; i++)
        if (us->r[i].va_lo != heap_lo)
            backing_free(us->r[i].kva, us->r[i].va_hi - us->r[i].va_lo);
    us->n = 0;
    spin_unlock(&uspace_lock);
    intr_restore(p);
}

/* memory a process no longer needs (a heap reservation it outgrew), to the free list */
void uvm_give_back(u64 kva, u64 len)
{
    u64 p = intr_off();
    spin_lock(&uspace_lock);
    backing_free(kva, len);
    spin_unlock(&uspace_lock);
    intr_restore(p);
}
