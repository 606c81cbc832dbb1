/* Guest real addresses (reference/sun4v.md §3): every RA range a guest passes must lie
   inside one of its own memory blocks, else ENORADDR; its PA is RA - realbase +
   membase of that block.  mem_scrub zeroes, mem_sync has nothing to do (memory is
   coherent): both take 8 KB aligned ranges and do at most MEM_CHUNK per call, returning
   the length done (Sun's memscrub_max). */
#include "hv.h"

#define MEM_CHUNK   (1UL << 20)

int ra2pa(struct guest *g, uint64_t ra, uint64_t len, uint64_t *pa)
{
    if (len == 0)
        len = 1;
    if (ra + len < ra)
        return -1;
    for (uint32_t i = 0; i < g->nmblocks; i++) {
        struct mblock *m = g->mblocks[i];
        if (ra >= m->ra && ra + len <= m->ra + m->size) {
            *pa = ra - m->ra + m->pa;
            return 0;
        }
    }
    return -1;
}

/* the 8 bytes at pa are memory (a bus error there is caught, not fatal) */
int pa_readable(uint64_t pa)
{
    struct strand *s = this_strand();
    s->probe = 1;
    membar_sync();
    (void)*(volatile uint64_t *)(pa & ~7UL);
    membar_sync();
    int ok = s->probe == 1;
    s->probe = 0;
    return ok;
}

static uint64_t mem_check(struct guest *g, uint64_t ra, uint64_t len, uint64_t *pa)
{
    if ((ra | len) & 0x1fff)
        return EBADALIGN;
    if (len == 0)
        return EINVAL;
    if (ra2pa(g, ra, len, pa))
        return ENORADDR;
    return EOK;
}

uint64_t mem_scrub(struct guest *g, uint64_t ra, uint64_t len, uint64_t *done)
{
    uint64_t pa, st = mem_check(g, ra, len, &pa);
    *done = 0;
    if (st != EOK)
        return st;
    uint64_t n = len > MEM_CHUNK ? MEM_CHUNK : len;
    memset((void *)pa, 0, n);
    *done = n;
    return EOK;
}

uint64_t mem_sync(struct guest *g, uint64_t ra, uint64_t len, uint64_t *done)
{
    uint64_t pa, st = mem_check(g, ra, len, &pa);
    *done = 0;
    if (st != EOK)
        return st;
    membar_sync();
    *done = len > MEM_CHUNK ? MEM_CHUNK : len;
    return EOK;
}
