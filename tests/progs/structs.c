/* Struct copies: large structs passed and returned by value, small structs in
 * registers, arrays of structs, nested structs, struct assignment. */
#include <stdio.h>
#include <string.h>

struct small { int a; short b; char c; };
struct pair { double x, y; };
struct mixed { char tag; double d; int i; float f; long l; };
struct big { long v[40]; char name[33]; struct pair p[3]; };

static struct small mk_small(int a) { struct small s = {a, (short)(a * 3), (char)(a + 'A')}; return s; }
static struct pair add_pair(struct pair a, struct pair b) { struct pair r = {a.x + b.x, a.y * b.y}; return r; }
static struct mixed tweak(struct mixed m) { m.tag++; m.d *= 2; m.i -= 7; m.f /= 4; m.l <<= 3; return m; }

static struct big make_big(int seed)
{
    struct big b;
    memset(&b, 0, sizeof b);
    for (int i = 0; i < 40; i++) b.v[i] = (long)seed * i - i * i;
    snprintf(b.name, sizeof b.name, "big-%d-%s", seed, seed & 1 ? "odd" : "even");
    for (int i = 0; i < 3; i++) { b.p[i].x = seed + i * 0.5; b.p[i].y = seed - i * 0.25; }
    return b;
}

static long sum_big(struct big b)          /* by value: callee modifies its copy */
{
    long s = 0;
    for (int i = 0; i < 40; i++) { s += b.v[i]; b.v[i] = 0; }
    return s + (long)(b.p[2].x * 4) + (long)strlen(b.name);
}

static struct big reverse_big(struct big b)
{
    for (int i = 0; i < 20; i++) { long t = b.v[i]; b.v[i] = b.v[39 - i]; b.v[39 - i] = t; }
    struct pair t = b.p[0]; b.p[0] = b.p[2]; b.p[2] = t;
    return b;
}

struct outer { struct small s; struct pair pr[2]; struct { int k; char w[5]; } in; };

int main(void)
{
    long total = 0;
    for (int i = 0; i < 5; i++) {
        struct small s = mk_small(i * 11);
        printf("small %d %d %c\n", s.a, s.b, s.c);
        total += s.a + s.b + s.c;
    }
    struct pair p = {1.5, 2.0}, q = {0.25, -3.0};
    for (int i = 0; i < 4; i++) { p = add_pair(p, q); printf("pair %.4f %.4f\n", p.x, p.y); }
    struct mixed m = {'a', 1.25, 100, 8.0f, 5};
    for (int i = 0; i < 3; i++) {
        m = tweak(m);
        printf("mixed %c %.3f %d %.3f %ld\n", m.tag, m.d, m.i, m.f, m.l);
    }
    struct big b = make_big(7), c;
    long s1 = sum_big(b);
    printf("sum_big %ld (original v[5] still %ld) name=%s\n", s1, b.v[5], b.name);
    c = reverse_big(b);
    printf("reversed v[0]=%ld v[39]=%ld p0.x=%.2f b.v[0]=%ld\n", c.v[0], c.v[39], c.p[0].x, b.v[0]);
    total += s1 + c.v[0];

    struct big arr[6];
    for (int i = 0; i < 6; i++) arr[i] = make_big(i * 3 + 1);
    struct big tmp = arr[0];
    for (int i = 0; i < 5; i++) arr[i] = arr[i + 1];
    arr[5] = tmp;
    for (int i = 0; i < 6; i++) {
        printf("arr[%d] %s v[39]=%ld sum=%ld\n", i, arr[i].name, arr[i].v[39], sum_big(arr[i]));
        total += arr[i].v[39];
    }
    struct outer o1 = {{1, 2, 'x'}, {{1, 2}, {3, 4}}, {9, "abcd"}}, o2;
    o2 = o1;
    o2.in.w[1] = 'Z';
    o2.pr[1].y = 44;
    printf("outer o1 %s %.0f o2 %s %.0f equal-prefix=%d\n", o1.in.w, o1.pr[1].y, o2.in.w,
           o2.pr[1].y, memcmp(&o1.s, &o2.s, sizeof o1.s) == 0);
    struct small smalls[100];
    for (int i = 0; i < 100; i++) smalls[i] = mk_small(i);
    long ss = 0;
    for (int i = 0; i < 100; i++) ss += smalls[99 - i].a * smalls[i].b + smalls[i].c;
    printf("smalls %ld\n", ss);
    total += ss;
    printf("total %ld\n", total);
    return (int)(total % 251);
}
