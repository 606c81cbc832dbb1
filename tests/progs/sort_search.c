/* qsort and bsearch on ints, doubles, strings and structs (stable tie-break). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec { int key; int seq; char tag[8]; };

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_int_desc(const void *a, const void *b) { return cmp_int(b, a); }
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static unsigned st = 2463534242u;
static unsigned rnd(void) { st ^= st << 13; st ^= st >> 17; st ^= st << 5; return st; }

int main(void)
{
    enum { N = 20000 };
    static int a[N];
    static double d[2000];
    static struct rec r[3000];
    long sum = 0;

    for (int i = 0; i < N; i++) a[i] = (int)(rnd() % 200000) - 100000;
    qsort(a, N, sizeof a[0], cmp_int);
    int ok = 1;
    for (int i = 1; i < N; i++) if (a[i - 1] > a[i]) ok = 0;
    printf("ints sorted=%d min=%d max=%d median=%d\n", ok, a[0], a[N - 1], a[N / 2]);
    int hits = 0;
    for (int k = -100000; k < 100000; k += 997) {
        int *p = bsearch(&k, a, N, sizeof a[0], cmp_int);
        if (p) { hits++; sum += *p; }
    }
    printf("bsearch hits=%d sum=%ld\n", hits, sum);
    qsort(a, N, sizeof a[0], cmp_int_desc);
    printf("desc first=%d last=%d\n", a[0], a[N - 1]);

    for (int i = 0; i < 2000; i++) d[i] = (double)(int)(rnd() % 100000) / 7.0 - 5000.0;
    qsort(d, 2000, sizeof d[0], cmp_dbl);
    printf("doubles %.6f %.6f %.6f\n", d[0], d[1000], d[1999]);

    const char *words[] = {"pear", "apple", "fig", "banana", "kiwi", "cherry", "date",
                           "elderberry", "grape", "honeydew", "lime", "mango", "nectarine",
                           "orange", "papaya", "quince", "raspberry", "strawberry", "tangerine",
                           "ugli", "vanilla", "watermelon", "apple", "Zucchini", "zebra"};
    int nw = sizeof words / sizeof words[0];
    qsort(words, nw, sizeof words[0], cmp_str);
    for (int i = 0; i < nw; i++) printf("%s%c", words[i], i + 1 < nw ? ' ' : '\n');
    const char *key = "mango";
    const char **found = bsearch(&key, words, nw, sizeof words[0], cmp_str);
    printf("mango at %ld\n", found ? (long)(found - words) : -1L);
    key = "missing";
    printf("missing -> %s\n", bsearch(&key, words, nw, sizeof words[0], cmp_str) ? "found" : "NULL");

    for (int i = 0; i < 3000; i++) {
        r[i].key = rnd() % 50;
        r[i].seq = i;
        snprintf(r[i].tag, sizeof r[i].tag, "t%d", i % 1000);
    }
    qsort(r, 3000, sizeof r[0], cmp_rec);
    ok = 1;
    for (int i = 1; i < 3000; i++) if (cmp_rec(&r[i - 1], &r[i]) >= 0) ok = 0;
    printf("recs ordered=%d first=%d/%d/%s last=%d/%d/%s\n", ok, r[0].key, r[0].seq, r[0].tag,
           r[2999].key, r[2999].seq, r[2999].tag);
    for (int i = 0; i < 3000; i += 300) printf("r[%d]=%d,%d ", i, r[i].key, r[i].seq);
    printf("\n");
    return hits % 100;
}
