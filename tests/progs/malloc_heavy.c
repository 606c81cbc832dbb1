/* Heap stress: many sizes, realloc growth and shrink, interleaved frees,
 * a linked list with sorting, and a chained hash map with resizing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static uint32_t seed = 12345;

/* Only sampled bytes of a block are written and checked (keeps big blocks cheap):
 * the first and last 16 bytes and every 251st byte in between. */
static size_t next_sample(size_t k, size_t len)
{
    if (k + 1 < 16 || k + 1 + 16 >= len) return k + 1;
    size_t m = (k / 251 + 1) * 251, tail = len - 16;
    return m < tail ? m : tail;
}
#define FOR_SAMPLES(k, len) for (size_t k = 0; k < (len); k = next_sample(k, (len)))
static uint32_t rnd(void) { seed = seed * 1664525u + 1013904223u; return seed >> 8; }

struct node { struct node *next; int key; char name[12]; };

static struct node *merge(struct node *a, struct node *b)
{
    struct node head, *t = &head;
    while (a && b) {
        if (a->key <= b->key) { t->next = a; a = a->next; }
        else { t->next = b; b = b->next; }
        t = t->next;
    }
    t->next = a ? a : b;
    return head.next;
}

static struct node *msort(struct node *l)
{
    if (!l || !l->next) return l;
    struct node *slow = l, *fast = l->next;
    while (fast && fast->next) { slow = slow->next; fast = fast->next->next; }
    struct node *r = slow->next;
    slow->next = NULL;
    return merge(msort(l), msort(r));
}

struct entry { struct entry *next; char *key; long value; };
struct map { struct entry **b; size_t nb, n; };

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ULL; }
    return h;
}

static void map_grow(struct map *m)
{
    size_t nb = m->nb ? m->nb * 2 : 8;
    struct entry **b = calloc(nb, sizeof *b);
    for (size_t i = 0; i < m->nb; i++)
        for (struct entry *e = m->b[i], *nx; e; e = nx) {
            nx = e->next;
            size_t k = hash(e->key) & (nb - 1);
            e->next = b[k]; b[k] = e;
        }
    free(m->b);
    m->b = b; m->nb = nb;
}

static void map_put(struct map *m, const char *key, long v)
{
    if (m->n >= m->nb) map_grow(m);
    size_t k = hash(key) & (m->nb - 1);
    for (struct entry *e = m->b[k]; e; e = e->next)
        if (!strcmp(e->key, key)) { e->value += v; return; }
    struct entry *e = malloc(sizeof *e);
    e->key = strdup(key); e->value = v; e->next = m->b[k]; m->b[k] = e;
    m->n++;
}

static long *map_get(struct map *m, const char *key)
{
    if (!m->nb) return NULL;
    for (struct entry *e = m->b[hash(key) & (m->nb - 1)]; e; e = e->next)
        if (!strcmp(e->key, key)) return &e->value;
    return NULL;
}

int main(void)
{
    enum { SLOTS = 512 };
    static unsigned char *blk[SLOTS];
    static size_t len[SLOTS];
    unsigned long check = 0;
    int live = 0, maxlive = 0;

    for (int round = 0; round < 6000; round++) {
        int i = rnd() % SLOTS;
        if (blk[i] && (rnd() & 3) == 0) {
            FOR_SAMPLES(k, len[i])
                if (blk[i][k] != (unsigned char)(i + k)) { printf("corrupt %d\n", i); return 1; }
            free(blk[i]); blk[i] = NULL; live--;
        } else if (blk[i]) {
            size_t small = rnd() & 1;   /* separate statements: defined call order */
            size_t nl = 1 + rnd() % (small ? 64 : 9000);
            unsigned char *p = realloc(blk[i], nl);
            if (!p) return 2;
            size_t keep = nl < len[i] ? nl : len[i];
            FOR_SAMPLES(k, len[i])
                if (k < keep && p[k] != (unsigned char)(i + k)) { printf("realloc lost %d\n", i); return 1; }
            FOR_SAMPLES(k, nl)                 /* the sample set depends on the length */
                p[k] = (unsigned char)(i + k);
            blk[i] = p; len[i] = nl;
        } else {
            size_t nl = 1 + rnd() % (round % 300 == 0 ? 300000 : 700);
            blk[i] = malloc(nl); len[i] = nl;
            FOR_SAMPLES(k, nl)
                blk[i][k] = (unsigned char)(i + k);
            live++;
            if (live > maxlive) maxlive = live;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (blk[i]) { check += len[i] * (i + 1); free(blk[i]); }
    }
    printf("blocks: maxlive=%d check=%lu\n", maxlive, check);

    struct node *list = NULL;
    for (int i = 0; i < 3000; i++) {
        struct node *n = malloc(sizeof *n);
        n->key = (int)(rnd() % 100000) - 50000;
        snprintf(n->name, sizeof n->name, "n%d", i);
        n->next = list; list = n;
    }
    list = msort(list);
    int idx = 0, sorted = 1, prev = -1000000;
    for (struct node *n = list; n; n = n->next, idx++) {
        if (n->key < prev) sorted = 0;
        prev = n->key;
        if (idx % 500 == 0) printf("list[%d] = %d %s\n", idx, n->key, n->name);
    }
    printf("list sorted=%d count=%d\n", sorted, idx);
    while (list) { struct node *nx = list->next; free(list); list = nx; }

    struct map m = {0};
    char word[32];
    for (int i = 0; i < 6000; i++) {
        snprintf(word, sizeof word, "w%u", rnd() % 1500);
        map_put(&m, word, i % 7);
    }
    long sum = 0; size_t longest = 0;
    for (size_t i = 0; i < m.nb; i++) {
        size_t chainlen = 0;
        for (struct entry *e = m.b[i]; e; e = e->next) { sum += e->value; chainlen++; }
        if (chainlen > longest) longest = chainlen;
    }
    long *w7 = map_get(&m, "w7"), *wx = map_get(&m, "nothere");
    printf("map n=%zu buckets=%zu sum=%ld longest=%zu w7=%ld missing=%s\n",
           m.n, m.nb, sum, longest, w7 ? *w7 : -1L, wx ? "found" : "null");
    for (size_t i = 0; i < m.nb; i++)
        for (struct entry *e = m.b[i], *nx; e; e = nx) { nx = e->next; free(e->key); free(e); }
    free(m.b);

    char *s = NULL; size_t sl = 0;
    for (int i = 0; i < 400; i++) {
        char piece[16];
        int pl = snprintf(piece, sizeof piece, "%d,", i * i);
        s = realloc(s, sl + pl + 1);
        memcpy(s + sl, piece, pl + 1);
        sl += pl;
    }
    printf("string len %zu tail %s\n", sl, s + sl - 20);
    free(s);
    return (int)(sum % 128);
}
