/* The showcase workload: N-queens, a prime sieve, a matrix multiply, a Mandelbrot
 * set in ASCII and word frequencies — each printing a checkable result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int queens(int n, int row, unsigned cols, unsigned d1, unsigned d2)
{
    if (row == n) return 1;
    int count = 0;
    unsigned avail = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (avail) {
        unsigned bit = avail & -avail;
        avail ^= bit;
        count += queens(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return count;
}

static int sieve(int limit, int *last)
{
    char *comp = calloc(limit + 1, 1);
    int count = 0;
    for (int i = 2; i <= limit; i++) {
        if (comp[i]) continue;
        count++; *last = i;
        for (long j = (long)i * i; j <= limit; j += i) comp[j] = 1;
    }
    free(comp);
    return count;
}

#define N 48
static double A[N][N], B[N][N], C[N][N];

int main(void)
{
    printf("== N-queens ==\n");
    int total = 0;
    for (int n = 4; n <= 9; n++) {
        int s = queens(n, 0, 0, 0, 0);
        total += s;
        printf("%d-queens: %d solutions\n", n, s);
    }
    printf("== sieve ==\n");
    int last = 0;
    int primes = sieve(300000, &last);
    printf("primes below 300000: %d (largest %d)\n", primes, last);

    printf("== matrix multiply %dx%d ==\n", N, N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * 7 + j * 3) % 11) - 5;
            B[i][j] = (double)((i + 2 * j) % 5) * 0.5;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) s += A[i][k] * B[k][j];
            C[i][j] = s;
        }
    double trace = 0, sum = 0;
    for (int i = 0; i < N; i++) { trace += C[i][i]; for (int j = 0; j < N; j++) sum += C[i][j]; }
    printf("trace %.2f sum %.2f C[3][5] %.2f\n", trace, sum, C[3][5]);

    printf("== mandelbrot ==\n");
    long iters = 0;
    for (int y = -10; y <= 10; y++) {
        char line[72];
        for (int x = 0; x < 70; x++) {
            double cr = -2.2 + x * 0.045, ci = y * 0.11, zr = 0, zi = 0;
            int k = 0;
            while (k < 200 && zr * zr + zi * zi < 4) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci; zr = t; k++;
            }
            iters += k;
            line[x] = " .:-=+*#%@"[k >= 200 ? 9 : k % 9];
        }
        line[70] = 0;
        printf("%s\n", line);
    }
    printf("mandelbrot iterations %ld\n", iters);

    printf("== word frequencies ==\n");
    const char *text = "the quick brown fox jumps over the lazy dog the dog barks "
                       "and the fox runs away quick quick brown dog";
    char words[32][16]; int counts[32], nw = 0;
    char buf[256];
    strcpy(buf, text);
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
        int i;
        for (i = 0; i < nw; i++) if (!strcmp(words[i], w)) { counts[i]++; break; }
        if (i == nw) { strcpy(words[nw], w); counts[nw++] = 1; }
    }
    for (int i = 0; i < nw; i++)
        if (counts[i] > 1) printf("%-6s %d\n", words[i], counts[i]);
    printf("checksum %d\n", (total + primes) % 100);
    return 0;
}
