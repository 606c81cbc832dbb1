/* Virtual disk I/O from several threads while others compute (issue 14 §2; the guest
   kernel's trap entry, sun4v/guest/trap.S, with vdc.c/vdfile.c). On a domain with
   several vCPUs a thread's system call on /dev/vdiskN waits in the kernel (the disk's
   thread, maybe on another vCPU, does the LDC exchange) while the other threads run
   deep call chains, so register windows spill and fill on every vCPU, also the
   windows of the thread that made the call: its pread/pwrite are made at the bottom
   of a recursion (DEPTH frames of its own, more from libc) so its caller windows are
   in the register file when it traps.

   vdisk_threads DISK0 DISK1 ROUNDS
       thread io0 on DISK0 and io1 on DISK1: ROUNDS times, write 1 KB of a pattern
       (round, disk) at byte ((round * 7) % 24) * 512 + 100 (unaligned: the kernel reads,
       changes and writes back), read it back, compare; then the FNV-1a hash of the
       first 16 KB. Threads deep0 and deep1: ROUNDS * 40 recursions DEPTH2 deep, each
       frame with many live values. Every line is the same on /dev/vdiskN in a domain
       and on plain files (qemu-sparc64, sun4v run), whatever the interleaving. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEPTH   12                      /* > NWINDOWS (8): spills at the call */
#define DEPTH2  40
#define LEN     1024

static const char *path[2];
static long rounds;
static char line[4][160];

static unsigned long long fnv(const unsigned char *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

struct io { int fd, disk; long round, bad; unsigned char w[LEN], r[LEN]; };

/* the transfer DEPTH frames down: the caller windows live when it traps */
static __attribute__((noinline)) long down(struct io *s, int d)
{
    if (d > 0) {
        long x = down(s, d - 1);
        __asm__ volatile("" : "+r"(x));
        return x + d;
    }
    off_t off = ((s->round * 7) % 24) * 512 + 100;
    if (pwrite(s->fd, s->w, LEN, off) != LEN)
        return -1000;
    if (pread(s->fd, s->r, LEN, off) != LEN)
        return -1000;
    return memcmp(s->w, s->r, LEN) ? -1000 : 0;
}

static void *io(void *arg)
{
    static struct io st[2];
    struct io *s = &st[(long)arg];
    s->disk = (int)(long)arg;
    s->fd = open(path[s->disk], O_RDWR);
    if (s->fd < 0) {
        snprintf(line[s->disk], sizeof(line[0]), "io%d: open failed", s->disk);
        return 0;
    }
    for (s->round = 0; s->round < rounds; s->round++) {
        for (int i = 0; i < LEN; i++)
            s->w[i] = (unsigned char)(s->round * 37 + i * (s->disk + 3) + s->disk);
        if (down(s, DEPTH) < 0)
            s->bad++;
    }
    static unsigned char all[2][16384];
    long n = pread(s->fd, all[s->disk], sizeof(all[0]), 0);
    close(s->fd);
    snprintf(line[s->disk], sizeof(line[0]), "io%d: %ld rounds, %ld bad, read %ld, fnv %016llx",
             s->disk, rounds, s->bad, n, fnv(all[s->disk], sizeof(all[0])));
    return 0;
}

/* many values live across the call: each frame a full window */
static __attribute__((noinline)) unsigned long deep(unsigned long x, int d)
{
    unsigned long a = x ^ (unsigned long)d, b = x * 3 + 1, c = x >> 3, e = x * 0x9e37,
                  f = a + c, g = b ^ e;
    if (d == 0)
        return x * 0x9e3779b97f4a7c15ULL;
    unsigned long r = deep(a + b + c, d - 1);
    return (r ^ a) + b * c + (e ^ f) + g * (unsigned long)d;
}

static void *compute(void *arg)
{
    long k = (long)arg;
    unsigned long h = (unsigned long)k + 1;
    for (long i = 0; i < rounds * 40; i++)
        h = deep(h + (unsigned long)i, DEPTH2);
    snprintf(line[2 + k], sizeof(line[0]), "deep%ld: %016lx", k, h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (rounds = atol(argv[3])) < 1) {
        fprintf(stderr, "usage: vdisk_threads DISK0 DISK1 ROUNDS\n");
        return 2;
    }
    path[0] = argv[1];
    path[1] = argv[2];
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        if (pthread_create(&t[i], 0, i < 2 ? io : compute, (void *)(i < 2 ? i : i - 2))) {
            printf("pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], 0);
    for (int i = 0; i < 4; i++)
        printf("%s\n", line[i]);
    return 0;
}
