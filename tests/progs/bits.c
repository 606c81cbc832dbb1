/* Bit tricks: popcount, clz/ctz, parity, byte swaps, rotations, bit reversal,
 * and a CRC-32 and FNV hash over generated data. */
#include <stdio.h>
#include <stdint.h>

static inline uint64_t rotl64(uint64_t x, int r) { return (x << (r & 63)) | (x >> ((64 - r) & 63)); }
static inline uint32_t rotr32(uint32_t x, int r) { return (x >> (r & 31)) | (x << ((32 - r) & 31)); }

static uint32_t bitrev32(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    return __builtin_bswap32(x);
}

static int popcount_slow(uint64_t x) { int c = 0; while (x) { x &= x - 1; c++; } return c; }

static uint32_t crc_table[256];
static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

int main(void)
{
    static const uint64_t v[] = {0, 1, 2, 3, 0x80, 0xff, 0x8000000000000000ULL, 0xffffffffffffffffULL,
                                 0x0123456789abcdefULL, 0xf0f0f0f00f0f0f0fULL, 0x100000000ULL,
                                 0x7fffffffULL, 0xdeadbeefULL, 0x5555555555555555ULL};
    int errs = 0;
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint64_t x = v[i];
        int pc = __builtin_popcountll(x);
        if (pc != popcount_slow(x)) errs++;
        printf("%016llx pop=%2d par=%d clz=%2d ctz=%2d bswap64=%016llx bswap32=%08x bswap16=%04x\n",
               (unsigned long long)x, pc, __builtin_parityll(x), x ? __builtin_clzll(x) : 64,
               x ? __builtin_ctzll(x) : 64, (unsigned long long)__builtin_bswap64(x),
               __builtin_bswap32((uint32_t)x), __builtin_bswap16((uint16_t)x));
        printf("    rotl 13=%016llx rotl 51=%016llx rotr32 7=%08x rev=%08x ffs=%d clz32=%d\n",
               (unsigned long long)rotl64(x, 13), (unsigned long long)rotl64(x, 51),
               rotr32((uint32_t)x, 7), bitrev32((uint32_t)x), __builtin_ffsll((long long)x),
               (uint32_t)x ? __builtin_clz((uint32_t)x) : 32);
    }
    uint64_t s = 0x243f6a8885a308d3ULL, acc = 0;
    long popsum = 0;
    for (int i = 0; i < 100000; i++) {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        uint64_t r = s * 0x2545f4914f6cdd1dULL;
        popsum += __builtin_popcountll(r);
        acc += rotl64(r, i) ^ __builtin_bswap64(r >> (i & 7));
        acc ^= (uint64_t)__builtin_ctzll(r | 0x8000000000000000ULL) << (i & 31);
        /* next power of two, isolate lowest bit, clear lowest bit */
        uint32_t w = (uint32_t)r;
        uint64_t np = w ? 1ULL << (32 - __builtin_clz(w)) : 1; /* 2^32 possible */
        acc += np + (w & -w) + (w & (w - 1));
    }
    printf("popsum=%ld acc=%016llx\n", popsum, (unsigned long long)acc);
    crc_init();
    static unsigned char data[65536];
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (unsigned char)((i * 131) ^ (i >> 5));
    printf("crc32(\"123456789\")=%08x\n", crc32((const unsigned char *)"123456789", 9));
    uint32_t c = 0;
    for (int k = 0; k < 4; k++) c ^= crc32(data + k, sizeof data - k);
    printf("crc32(data)=%08x\n", c);
    struct { unsigned a : 3, b : 7, c : 12; signed d : 5; } bf = {5, 100, 4000, -9};
    bf.a += 4; bf.b ^= 0x55; bf.d -= 10;
    printf("bitfields a=%u b=%u c=%u d=%d\n", bf.a, bf.b, bf.c, bf.d);
    return errs + (int)(c & 0x1f);
}
