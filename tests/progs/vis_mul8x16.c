/* VIS partitioned 8x16 multiplies checked against the manual's definitions (from the
 * shared case vis_fmul8ulx16.c), and the 16x16 -> upper 16 bits idiom built from them
 * (fmul8sux16 + fmul8ulx16 + fpadd16, UltraSPARC User's Manual Code Example 13-1).
 *   FMUL8SUx16: signed upper byte of each 16-bit element of rs1 x the signed element of
 *               rs2, the 24-bit product's upper 16 bits rounded ((p + 0x80) >> 8).
 *   FMUL8ULx16: unsigned lower byte x the signed element, the 24-bit product sign-extended
 *               to 32 bits, its upper 16 bits (p >> 16, no rounding).
 * Prints the mismatches (at most 3 per instruction) and a summary; exits 1 on any
 * mismatch.  qemu 7.2 computes fmul8ulx16 with fmul8sux16's formula, so under qemu this
 * program reports 169 fmul8ulx16 mismatches (tests/test_corpus.py checks both).
 * The instructions are given as .word: the Makefile assembles for plain V9, which has
 * no VIS mnemonics. */
#include <stdio.h>
#include <stdint.h>

static uint64_t run3(uint64_t a, uint64_t b, uint64_t *ul, uint64_t *sum)
{
    uint64_t su;
    asm volatile("ldd [%3], %%f2\n\tldd [%4], %%f36\n\t"
                 ".word 0x99b086c5\n\t"          /* fmul8sux16 %f2, %f36, %f12 */
                 ".word 0x9db086e5\n\t"          /* fmul8ulx16 %f2, %f36, %f14 */
                 ".word 0xa1b30a0e\n\t"          /* fpadd16    %f12, %f14, %f16 */
                 "std %%f12, [%0]\n\tstd %%f14, [%1]\n\tstd %%f16, [%2]"
                 : : "r"(&su), "r"(ul), "r"(sum), "r"(&a), "r"(&b)
                 : "memory", "f2", "f3", "f12", "f13", "f14", "f15", "f16", "f17", "f36",
                   "f37");
    return su;
}

static uint64_t exp_su(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (int i = 0; i < 4; i++) {
        int s8 = (int8_t)(a >> (16 * i + 8));
        int s16 = (int16_t)(b >> (16 * i));
        r |= (uint64_t)(uint16_t)((s8 * s16 + 0x80) >> 8) << (16 * i);
    }
    return r;
}

static uint64_t exp_ul(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (int i = 0; i < 4; i++) {
        int u8 = (a >> (16 * i)) & 0xff;
        int s16 = (int16_t)(b >> (16 * i));
        r |= (uint64_t)(uint16_t)((u8 * s16) >> 16) << (16 * i);
    }
    return r;
}

static uint64_t add16(uint64_t x, uint64_t y)
{
    uint64_t r = 0;
    for (int i = 0; i < 4; i++)
        r |= (uint64_t)(uint16_t)((x >> (16 * i)) + (y >> (16 * i))) << (16 * i);
    return r;
}

int main(void)
{
    static const uint16_t v[] = {0x0000, 0x0001, 0x00ff, 0x0080, 0x7f7f, 0x8080, 0xffff,
                                 0x1234, 0xedcc, 0x7fff, 0x8000, 0x01ff, 0xff01};
    int n = sizeof v / sizeof v[0];
    unsigned bad_su = 0, bad_ul = 0, bad_sum = 0, total = 0;
    uint64_t hash = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            uint64_t a = (uint64_t)v[i] << 48 | (uint64_t)v[(i + 2) % n] << 32 |
                         (uint64_t)v[(i + 5) % n] << 16 | v[(i + 7) % n];
            uint64_t b = (uint64_t)v[j] << 48 | (uint64_t)v[(j + 3) % n] << 32 |
                         (uint64_t)v[(j + 6) % n] << 16 | v[(j + 9) % n];
            uint64_t ul, sum, su = run3(a, b, &ul, &sum);
            uint64_t e_su = exp_su(a, b), e_ul = exp_ul(a, b);
            total++;
            hash = hash * 31 + (su ^ (ul << 1) ^ (sum << 2));
            if (su != e_su && bad_su++ < 3)
                printf("fmul8sux16 %016llx,%016llx = %016llx, manual %016llx\n",
                       (unsigned long long)a, (unsigned long long)b,
                       (unsigned long long)su, (unsigned long long)e_su);
            if (ul != e_ul && bad_ul++ < 3)
                printf("fmul8ulx16 %016llx,%016llx = %016llx, manual %016llx\n",
                       (unsigned long long)a, (unsigned long long)b,
                       (unsigned long long)ul, (unsigned long long)e_ul);
            if (sum != add16(e_su, e_ul) && bad_sum++ < 3)
                printf("16x16 idiom %016llx,%016llx = %016llx, manual %016llx\n",
                       (unsigned long long)a, (unsigned long long)b,
                       (unsigned long long)sum, (unsigned long long)add16(e_su, e_ul));
        }
    printf("fmul8sux16: %u/%u differ; fmul8ulx16: %u/%u differ; 16x16 idiom: %u/%u differ\n",
           bad_su, total, bad_ul, total, bad_sum, total);
    printf("result hash %016llx\n", (unsigned long long)hash);
    return bad_su || bad_ul || bad_sum;
}
