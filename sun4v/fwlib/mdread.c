/* Reading a sun4v machine description in memory (fwlib.h; format: sun4v/md.h,
   reference/sun4v.md §4).  md_init checks the whole MD once, so the lookups after it
   only follow indices and offsets already known to be inside the blocks. */
#include "fwlib.h"
#include <sun4v/md.h>

#define E(md, i)        ((md)->elems + (size_t)(i) * MD_ELEMENT_SIZE)
#define TAG(md, i)      (E(md, i)[0])
#define NLEN(md, i)     (E(md, i)[1])
#define NOFF(md, i)     (*(const uint32_t *)(E(md, i) + 4))
#define VAL(md, i)      (*(const uint64_t *)(E(md, i) + 8))
#define DLEN(md, i)     (*(const uint32_t *)(E(md, i) + 8))
#define DOFF(md, i)     (*(const uint32_t *)(E(md, i) + 12))

static int name_ok(const struct md *md, uint32_t i)
{
    return (uint64_t)NOFF(md, i) + NLEN(md, i) < md->name_sz;
}

int md_init(struct md *md, const void *buf, size_t maxlen)
{
    const uint32_t *h = buf;
    memset(md, 0, sizeof(*md));
    if (((uintptr_t)buf & 7) || maxlen < MD_HEADER_SIZE)
        return -1;
    if (h[0] != MD_TRANSPORT_VERSION || (h[1] % MD_ELEMENT_SIZE) || h[1] == 0)
        return -1;
    uint64_t total = (uint64_t)MD_HEADER_SIZE + h[1] + h[2] + h[3];
    if (total > maxlen)
        return -1;
    md->base = buf;
    md->elems = (const uint8_t *)buf + MD_HEADER_SIZE;
    md->names = (const char *)md->elems + h[1];
    md->data = (const uint8_t *)md->names + h[2];
    md->nelems = h[1] / MD_ELEMENT_SIZE;
    md->name_sz = h[2];
    md->data_sz = h[3];
    md->size = (uint32_t)total;
    /* nodes: NODE at 0, each NODE's next index beyond it and a NODE or the LIST_END,
       properties until a NODE_END */
    uint32_t i = 0;
    int ended = 0;
    while (i < md->nelems) {
        uint8_t t = TAG(md, i);
        if (t == MDET_LIST_END) {
            ended = 1;
            break;
        }
        if (t != MDET_NODE || !name_ok(md, i))
            return -1;
        uint64_t nx = VAL(md, i);
        if (nx <= i || nx >= md->nelems)
            return -1;
        if (TAG(md, nx) != MDET_NODE && TAG(md, nx) != MDET_LIST_END)
            return -1;
        uint32_t j;
        for (j = i + 1; j < nx; j++) {
            t = TAG(md, j);
            if (t == MDET_NODE_END)
                break;
            if (t == MDET_NOOP)
                continue;
            if (!name_ok(md, j))
                return -1;
            if (t == MDET_PROP_VAL)
                continue;
            if (t == MDET_PROP_ARC) {
                uint64_t tg = VAL(md, j);
                if (tg >= md->nelems || TAG(md, tg) != MDET_NODE)
                    return -1;
                continue;
            }
            if (t == MDET_PROP_STR || t == MDET_PROP_DATA) {
                if ((uint64_t)DOFF(md, j) + DLEN(md, j) > md->data_sz)
                    return -1;
                if (t == MDET_PROP_STR &&
                    (DLEN(md, j) == 0 || md->data[DOFF(md, j) + DLEN(md, j) - 1] != 0))
                    return -1;
                continue;
            }
            return -1;
        }
        if (j >= nx)
            return -1;          /* no NODE_END before the next node */
        i = (uint32_t)nx;
    }
    return ended ? 0 : -1;
}

int md_node_first(const struct md *md)
{
    return md->nelems && TAG(md, 0) == MDET_NODE ? 0 : -1;
}

int md_node_next(const struct md *md, int node)
{
    if (node < 0 || (uint32_t)node >= md->nelems || TAG(md, node) != MDET_NODE)
        return -1;
    uint64_t nx = VAL(md, node);
    return TAG(md, nx) == MDET_NODE ? (int)nx : -1;
}

static int name_is(const struct md *md, uint32_t i, const char *name)
{
    size_t n = strlen(name);
    return NLEN(md, i) == n && memcmp(md->names + NOFF(md, i), name, n) == 0;
}

int md_node_is(const struct md *md, int node, const char *name)
{
    return node >= 0 && (uint32_t)node < md->nelems && TAG(md, node) == MDET_NODE &&
        name_is(md, (uint32_t)node, name);
}

const char *md_node_name(const struct md *md, int node, uint32_t *len)
{
    if (node < 0 || (uint32_t)node >= md->nelems || TAG(md, node) != MDET_NODE)
        return 0;
    if (len)
        *len = NLEN(md, node);
    return md->names + NOFF(md, node);
}

int md_find_node(const struct md *md, int node, const char *name)
{
    int n = node < 0 ? md_node_first(md) : md_node_next(md, node);
    for (; n >= 0; n = md_node_next(md, n))
        if (name == 0 || name_is(md, (uint32_t)n, name))
            return n;
    return -1;
}

int md_node_count(const struct md *md, const char *name)
{
    int k = 0;
    for (int n = md_find_node(md, -1, name); n >= 0; n = md_find_node(md, n, name))
        k++;
    return k;
}

/* element index of the first property `name` with tag `tag` of `node`, or -1 */
static int find_prop(const struct md *md, int node, const char *name, uint8_t tag)
{
    if (node < 0 || (uint32_t)node >= md->nelems || TAG(md, node) != MDET_NODE)
        return -1;
    for (uint32_t j = (uint32_t)node + 1; j < md->nelems; j++) {
        uint8_t t = TAG(md, j);
        if (t == MDET_NODE_END || t == MDET_NODE || t == MDET_LIST_END)
            return -1;
        if (t == tag && name_is(md, j, name))
            return (int)j;
    }
    return -1;
}

int md_get_val(const struct md *md, int node, const char *name, uint64_t *val)
{
    int j = find_prop(md, node, name, MDET_PROP_VAL);
    if (j < 0)
        return -1;
    *val = VAL(md, j);
    return 0;
}

int md_get_str(const struct md *md, int node, const char *name, const char **str)
{
    int j = find_prop(md, node, name, MDET_PROP_STR);
    if (j < 0)
        return -1;
    *str = (const char *)md->data + DOFF(md, j);
    return 0;
}

int md_get_data(const struct md *md, int node, const char *name, const void **data,
                uint32_t *len)
{
    int j = find_prop(md, node, name, MDET_PROP_DATA);
    if (j < 0)
        j = find_prop(md, node, name, MDET_PROP_STR);
    if (j < 0)
        return -1;
    *data = md->data + DOFF(md, j);
    *len = DLEN(md, j);
    return 0;
}

int md_next_arc(const struct md *md, int node, const char *arc, const char *name,
                int *cursor)
{
    if (node < 0 || (uint32_t)node >= md->nelems || TAG(md, node) != MDET_NODE)
        return -1;
    uint32_t j = (uint32_t)node + 1 + (uint32_t)*cursor;
    for (; j < md->nelems; j++) {
        uint8_t t = TAG(md, j);
        if (t == MDET_NODE_END || t == MDET_NODE || t == MDET_LIST_END)
            break;
        if (t == MDET_PROP_ARC && name_is(md, j, arc)) {
            uint64_t tg = VAL(md, j);
            if (name == 0 || name_is(md, (uint32_t)tg, name)) {
                *cursor = (int)(j - (uint32_t)node);
                return (int)tg;
            }
        }
    }
    *cursor = (int)(j - (uint32_t)node);
    return -1;
}
