/* String and memory functions: lengths and copies on misaligned buffers of many
 * lengths, overlapping memmove, strstr, strtok, strtol/strtoul/strtod. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <ctype.h>

static unsigned long h = 5381;
static void mixb(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) h = h * 33 ^ p[i];
}

int main(void)
{
    static unsigned char src[600], dst[600], ref[600];
    for (int i = 0; i < 600; i++) src[i] = (unsigned char)(i * 7 + 3);

    /* memcpy / memset / memcmp at every alignment and many lengths */
    int bad = 0;
    for (int so = 0; so < 8; so++)
        for (int doff = 0; doff < 8; doff++)
            for (int n = 0; n < 300; n += (n < 40 ? 1 : 13)) {
                memset(dst, 0xaa, 320);
                memcpy(dst + doff, src + so, n);
                for (int i = 0; i < doff + n + 8; i++) {
                    unsigned char want = (i >= doff && i < doff + n) ? src[so + i - doff] : 0xaa;
                    if (dst[i] != want) bad++;
                }
                if (memcmp(dst + doff, src + so, n) != 0) bad++;
                memset(dst + so, so * 16 + doff, n);
                mixb(dst + n, 24);
            }
    printf("memcpy/memset mismatches=%d hash=%lx\n", bad, h);

    /* overlapping memmove both directions */
    bad = 0;
    for (int shift = -9; shift <= 9; shift++)
        for (int n = 0; n < 200; n += 7) {
            for (int i = 80; i < 320; i++) dst[i] = ref[i] = (unsigned char)(i ^ 0x5a);
            memmove(dst + 100 + shift, dst + 100, n);
            for (int i = n - 1; i >= 0 && shift > 0; i--) ref[100 + shift + i] = ref[100 + i];
            for (int i = 0; i < n && shift <= 0; i++) ref[100 + shift + i] = ref[100 + i];
            if (memcmp(dst + 80, ref + 80, 240)) bad++;
            mixb(dst + 90 + n / 2, 32);
        }
    printf("memmove mismatches=%d hash=%lx\n", bad, h);

    /* strlen/strcpy/strcmp/strchr at odd alignments */
    char s[300], t[300];
    for (int off = 0; off < 8; off++)
        for (int n = 0; n < 100; n += 3) {
            for (int i = 0; i < n; i++) s[off + i] = 'a' + (i * 5 + off) % 26;
            s[off + n] = 0;
            strcpy(t + (7 - off), s + off);
            size_t l = strlen(t + (7 - off));
            int c = strcmp(t + (7 - off), s + off);
            char *p = strchr(s + off, 'q');
            char *rp = strrchr(s + off, 'e');
            h = h * 31 + l * 3 + (c != 0) + (p ? p - (s + off) : 999) + (rp ? rp - s : 77);
            if (l != (size_t)n || c) bad++;
        }
    printf("str* errors=%d hash=%lx\n", bad, h);
    printf("strcmp: %d %d %d %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0,
           strcmp("", "") == 0, strncmp("hello", "help", 3) == 0);
    printf("strcasecmp: %d, strncasecmp: %d\n", strcasecmp("HeLLo", "hello"),
           strncasecmp("ABCx", "abcy", 3));

    const char *hay = "the quick brown fox jumps over the lazy dog; the end";
    printf("strstr: %ld %ld %s %ld\n", (long)(strstr(hay, "the") - hay),
           (long)(strstr(hay + 1, "the") - hay), strstr(hay, "dog"),
           strstr(hay, "cat") ? 1L : -1L);
    printf("strspn=%zu strcspn=%zu strpbrk=%s\n", strspn(hay, "theq "), strcspn(hay, "xyz"),
           strpbrk(hay, "jz"));

    char line[] = "alpha, beta;gamma  delta,,epsilon;;;zeta";
    int tok = 0;
    for (char *p = strtok(line, ",; "); p; p = strtok(NULL, ",; "))
        printf("token %d: '%s' (%zu)\n", tok++, p, strlen(p));

    const char *nums[] = {"0", "42", "-17", "  +99abc", "0x1f", "0777", "2147483647",
                          "-2147483648", "9223372036854775807", "99999999999999999999",
                          "-9223372036854775809", "z", "1010", "  -0x10"};
    for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char *end;
        errno = 0;
        long v = strtol(nums[i], &end, 0);
        int e1 = errno;
        errno = 0;
        unsigned long u = strtoul(nums[i], NULL, 16);
        int e2 = errno;
        long b2 = strtol(nums[i], NULL, 2);
        printf("strtol('%s') = %ld rest='%s' erange=%d | hex %lu erange=%d | bin %ld | atoi %d\n",
               nums[i], v, end, e1 == ERANGE, u, e2 == ERANGE, b2, atoi(nums[i]));
    }
    const char *fl[] = {"3.14159", "-2.5e-3", "1e308", "1e309", "0x1.8p3", "inf", "-nan",
                        "  12.5xyz", ".5", "1e-320", "abc"};
    for (unsigned i = 0; i < sizeof fl / sizeof fl[0]; i++) {
        char *end;
        errno = 0;
        double v = strtod(fl[i], &end);
        printf("strtod('%s') = %.17g rest='%s' erange=%d\n", fl[i], v, end, errno == ERANGE);
    }
    char up[64];
    int k = 0;
    for (const char *p = "Mixed Case 123 _x!"; *p; p++) up[k++] = toupper((unsigned char)*p);
    up[k] = 0;
    printf("upper: %s isdigit('7')=%d isspace('\\t')=%d\n", up, !!isdigit('7'), !!isspace('\t'));
    char *dup = strdup(hay);
    strcat(strncpy(s, "prefix-", sizeof s), dup + 4);
    printf("cat: %s\n", s);
    free(dup);
    printf("final hash %lx\n", h);
    return (int)(h % 64) + bad;
}
