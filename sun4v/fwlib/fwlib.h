/*
 * fwlib: the freestanding C library both firmware images link (the hypervisor in
 * sun4v/hypervisor_fw and the guest kernel in sun4v/guest): string functions, a small
 * formatter, the machine description reader, spinlocks and atomic counters.
 *
 * Built with the firmware flags (-mflat -ffreestanding -fno-builtin, big-endian SPARC
 * V9), so it needs no register-window traps and no C library.  SPARC is big-endian, as
 * the MD and the LDoms protocols are, so values are used as they are in memory.
 */
#ifndef FWLIB_H
#define FWLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* ---- string.c ----------------------------------------------------------------------- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
size_t strlcpy(char *dst, const char *src, size_t size);

/* ---- format.c: printf-style formatting ----------------------------------------------
 * Conversions: %d %i %u %x %X %o %c %s %p %%, flags '-' '0' ' ' '+' '#', a width and a
 * precision (digits or '*'), length modifiers l ll z h hh.  Output goes one character
 * at a time to `out(arg, c)`; the return value is the number of characters produced. */
typedef void (*fw_out_t)(void *arg, int c);
int fw_vformat(fw_out_t out, void *arg, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- mdread.c: reading a machine description in memory ------------------------------
 * Every access is bounds-checked against the sizes in the header and the length given
 * to md_init, so a malformed MD makes a lookup fail, never a wild access.  Nodes are
 * element indices (>= 0); -1 means "none".  Names are compared exactly. */
struct md {
    const uint8_t   *base;          /* the header */
    const uint8_t   *elems;         /* node block */
    const char      *names;         /* name block */
    const uint8_t   *data;          /* data block */
    uint32_t        nelems;         /* elements in the node block */
    uint32_t        name_sz;
    uint32_t        data_sz;
    uint32_t        size;           /* header + blocks, bytes */
};

/* 0, or -1 when buf (8-byte aligned) holding at most maxlen bytes is not a well-formed
   MD: transport version, block sizes, a LIST_END, every NODE's next index, names
   inside the name block, data inside the data block, arcs to NODE elements. */
int md_init(struct md *md, const void *buf, size_t maxlen);
int md_node_first(const struct md *md);
int md_node_next(const struct md *md, int node);
/* the next node (after `node`, or the first with node < 0) called `name` */
int md_find_node(const struct md *md, int node, const char *name);
int md_node_count(const struct md *md, const char *name);
int md_node_is(const struct md *md, int node, const char *name);
const char *md_node_name(const struct md *md, int node, uint32_t *len);
int md_get_val(const struct md *md, int node, const char *name, uint64_t *val);
int md_get_str(const struct md *md, int node, const char *name, const char **str);
int md_get_data(const struct md *md, int node, const char *name, const void **data,
                uint32_t *len);
/* arcs called `arc` ("fwd", "back") out of `node`: *cursor starts at 0; returns the
   next target node (optionally only targets called `name`, else NULL), or -1 */
int md_next_arc(const struct md *md, int node, const char *arc, const char *name,
                int *cursor);

/* ---- spinlocks and atomics (casx; TSO memory model) --------------------------------- */
typedef volatile uint64_t spinlock_t;

/* Index of the lowest set bit of x, 64 for 0.  Plain C on purpose: GCC's
 * __builtin_ctz* calls libgcc's __ctzdi2, which is not built -mflat and would run a
 * `save` in the hypervisor on the guest's register windows (a spill trap when the
 * guest has no clean window). */
static inline int fw_ctz64(uint64_t x)
{
    int n = 0;
    if (!x)
        return 64;
    if (!(x & 0xffffffffUL)) { n += 32; x >>= 32; }
    if (!(x & 0xffffUL)) { n += 16; x >>= 16; }
    if (!(x & 0xffUL)) { n += 8; x >>= 8; }
    if (!(x & 0xfUL)) { n += 4; x >>= 4; }
    if (!(x & 0x3UL)) { n += 2; x >>= 2; }
    if (!(x & 0x1UL))
        n += 1;
    return n;
}

static inline uint64_t atomic_cas_64(volatile uint64_t *p, uint64_t old, uint64_t new_)
{
    __asm__ __volatile__("casx [%2], %3, %0"
                         : "=r"(new_), "+m"(*p)
                         : "r"(p), "r"(old), "0"(new_)
                         : "memory");
    return new_;
}

static inline uint64_t atomic_add_64(volatile uint64_t *p, uint64_t d)
{
    uint64_t old, seen;
    for (old = *p;; old = seen) {
        seen = atomic_cas_64(p, old, old + d);
        if (seen == old)
            return old + d;
    }
}

static inline uint64_t atomic_swap_64(volatile uint64_t *p, uint64_t v)
{
    uint64_t old, seen;
    for (old = *p;; old = seen) {
        seen = atomic_cas_64(p, old, v);
        if (seen == old)
            return old;
    }
}

static inline void membar_sync(void)
{
    __asm__ __volatile__("membar #Sync" ::: "memory");
}

static inline int spin_trylock(spinlock_t *l)
{
    return atomic_cas_64(l, 0, 1) == 0;
}

static inline void spin_lock(spinlock_t *l)
{
    while (!spin_trylock(l))
        while (*l)
            ;
}

static inline void spin_unlock(spinlock_t *l)
{
    __asm__ __volatile__("membar #StoreStore | #LoadStore" ::: "memory");
    *l = 0;
}

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))

#endif /* FWLIB_H */
