/* File operations on a virtual disk (issue 14 §2; sun4v/guest/vdfile.c), checked
   against the same operations on the backing file under `sun4v run`.

   vdisk_ops ops PATH     fstat (and the plain fstat 62, statx), lseek, read, pread, pwrite, readv, writev, preadv,
                          pwritev, writes and reads not aligned to the block size,
                          the end of the disk; prints each result. Every line but the
                          `type` one (a block device in a domain, a regular file under
                          `sun4v run`) is the same on /dev/vdiskN and on a copy of its
                          backing file, and so are the bytes the two end with.
   vdisk_ops live DIR     a program that lives through `ldm add-vdisk` and
                          `ldm remove-vdisk`: holds /dev/vdisk0 open, waits for
                          /dev/vdisk1 to appear and uses it, closes /dev/vdisk0 once
                          DIR/close0 exists, waits until /dev/vdisk0 is gone, and
                          ends once DIR/end exists.
   vdisk_ops hold DIR     holds /dev/vdisk0 open; once DIR/go exists, reads and
                          writes on it (after `ldm remove-vdisk -f`: EIO) and closes.
   vdisk_ops readd DIR    holds /dev/vdisk0 open; once DIR/go exists (the disk was
                          removed with -f and a new one added with the same id),
                          reads, writes and fstats the old descriptor (EIO: it stays
                          bound to the disk it opened), opens /dev/vdisk0 again (the
                          new disk: its size and first 4 KB), writes through the new
                          descriptor, closes the old one, and keeps the new one open
                          until DIR/end exists. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static unsigned long long fnv(const unsigned char *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    while (n--)
        h = (h ^ *p++) * 0x100000001b3ULL;
    return h;
}

static void say(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, r);
}

static unsigned char big[20000], back[20000];

static const char *kind(unsigned mode)
{
    return S_ISBLK(mode) ? "block" : S_ISREG(mode) ? "regular" : "other";
}

static int ops(const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0) {
        printf("open %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        printf("fstat: %s\n", strerror(errno));
        return 1;
    }
    /* the sparc64 kernel's plain fstat (62): struct stat, st_mode at 16, st_size at 40 */
    unsigned char raw[104];
    unsigned rmode = 0;
    long long rsize = -1;
    long rr = syscall(62, fd, raw);
    memcpy(&rmode, raw + 16, 4);
    memcpy(&rsize, raw + 40, 8);
    struct statx sx;
    long xr = statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx);
    printf("type %s, fstat(62) %s, statx %s\n", kind(st.st_mode), kind(rmode),
           kind(sx.stx_mode));
    printf("size %lld\n", (long long)st.st_size);
    printf("fstat(62): %ld, size %lld\n", rr, rsize);
    printf("statx: %ld, size %llu\n", xr, (unsigned long long)sx.stx_size);
    long long size = st.st_size;
    say("lseek end", lseek(fd, 0, SEEK_END));
    say("lseek set 3", lseek(fd, 3, SEEK_SET));
    say("lseek cur +1000", lseek(fd, 1000, SEEK_CUR));
    say("lseek negative", lseek(fd, -5000, SEEK_CUR));
    /* an unaligned read and a hash of it */
    long r = read(fd, big, 777);
    say("read 777 at 1003", r);
    printf("fnv %016llx\n", fnv(big, 777));
    say("position", lseek(fd, 0, SEEK_CUR));
    /* unaligned writes: inside one block, across blocks, across the 8 KB chunk */
    for (int i = 0; i < (int)sizeof(big); i++)
        big[i] = (unsigned char)(i * 13 + 7);
    say("pwrite 5 at 511", pwrite(fd, big, 5, 511));
    say("pwrite 1 at 0", pwrite(fd, big + 100, 1, 0));
    say("pwrite 3000 at 8000", pwrite(fd, big + 200, 3000, 8000));
    say("pwrite 10000 at 4097", pwrite(fd, big + 300, 10000, 4097));
    /* writev with three pieces (one empty) at the position */
    lseek(fd, 2049, SEEK_SET);
    struct iovec wv[3] = {{big + 1, 100}, {big, 0}, {big + 5000, 1500}};
    say("writev 1600 at 2049", writev(fd, wv, 3));
    say("position", lseek(fd, 0, SEEK_CUR));
    /* readv back what writev wrote, into two pieces */
    lseek(fd, 2049, SEEK_SET);
    struct iovec rv[2] = {{back, 123}, {back + 123, 1477}};
    say("readv 1600", readv(fd, rv, 2));
    printf("readv matches: %s\n",
           !memcmp(back, big + 1, 100) && !memcmp(back + 100, big + 5000, 1500) ? "yes" : "no");
    struct iovec pw[2] = {{big + 7, 33}, {big + 9, 700}};
    say("pwritev 733 at 12345", pwritev(fd, pw, 2, 12345));
    struct iovec pr[1] = {{back, 733}};
    say("preadv 733 at 12345", preadv(fd, pr, 1, 12345));
    printf("preadv matches: %s\n",
           !memcmp(back, big + 7, 33) && !memcmp(back + 33, big + 9, 700) ? "yes" : "no");
    /* the end: a read across it is short, a read at it returns 0 */
    say("pread 1000 across the end", pread(fd, back, 1000, size - 300));
    printf("fnv %016llx\n", fnv(back, 300));
    say("pread at the end", pread(fd, back, 10, size));
    /* the whole content, read in odd pieces */
    lseek(fd, 0, SEEK_SET);
    unsigned long long h = 0xcbf29ce484222325ULL;
    long total = 0;
    for (;;) {
        r = read(fd, back, 999);
        if (r <= 0)
            break;
        for (long i = 0; i < r; i++)
            h = (h ^ back[i]) * 0x100000001b3ULL;
        total += r;
    }
    printf("read all: %ld bytes, fnv %016llx\n", total, h);
    say("fsync", fsync(fd));
    say("close", close(fd));
    say("fstat after close", fstat(fd, &st));
    return 0;
}

static void nap(void)
{
    struct timespec ts = {0, 200000};
    nanosleep(&ts, 0);
}

static int live(const char *dir)
{
    static unsigned char buf[4096];
    char flag[512];
    int fd0 = open("/dev/vdisk0", O_RDWR);
    if (fd0 < 0) {
        printf("open /dev/vdisk0: %s\n", strerror(errno));
        return 1;
    }
    struct stat st;
    fstat(fd0, &st);
    pread(fd0, buf, sizeof(buf), 0);
    printf("vdisk0 size %lld fnv %016llx\n", (long long)st.st_size, fnv(buf, sizeof(buf)));
    fflush(stdout);
    int fd1;
    errno = 0;
    while ((fd1 = open("/dev/vdisk1", O_RDWR)) < 0 && errno == ENXIO)
        nap();
    if (fd1 < 0) {
        printf("open /dev/vdisk1: %s\n", strerror(errno));
        return 1;
    }
    fstat(fd1, &st);
    pread(fd1, buf, sizeof(buf), 0);
    printf("vdisk1 size %lld fnv %016llx\n", (long long)st.st_size, fnv(buf, sizeof(buf)));
    const char msg[] = "written on the disk added while the program ran";
    printf("vdisk1 pwrite: %ld\n", (long)pwrite(fd1, msg, sizeof(msg), 100));
    close(fd1);
    fflush(stdout);
    snprintf(flag, sizeof(flag), "%s/close0", dir);
    while (access(flag, F_OK))
        nap();
    printf("vdisk0 close: %d\n", close(fd0));
    fflush(stdout);
    while ((fd0 = open("/dev/vdisk0", O_RDONLY)) >= 0) {
        close(fd0);
        nap();
    }
    printf("vdisk0 gone: %s\n", strerror(errno));
    fflush(stdout);
    snprintf(flag, sizeof(flag), "%s/end", dir);
    while (access(flag, F_OK))
        nap();
    return 0;
}

/* /dev/vdisk0 opened (said on stdout), then the host's go: the file DIR/go */
static int open_then_wait(const char *dir)
{
    char flag[512];
    int fd = open("/dev/vdisk0", O_RDWR);
    printf("vdisk0 open: %s\n", fd >= 0 ? "yes" : strerror(errno));
    fflush(stdout);
    snprintf(flag, sizeof(flag), "%s/go", dir);
    while (access(flag, F_OK))
        nap();
    return fd;
}

static int hold(const char *dir)
{
    char b[16];
    int fd = open_then_wait(dir);
    say("pread after the removal", pread(fd, b, sizeof(b), 0));
    say("pwrite after the removal", pwrite(fd, b, sizeof(b), 0));
    say("close", close(fd));
    return 0;
}

static int readd(const char *dir)
{
    static unsigned char buf[4096];
    char flag[512], b[16] = "stale descriptor";
    struct stat st;
    int fd = open_then_wait(dir);
    say("old pread", pread(fd, buf, sizeof(buf), 0));
    say("old pwrite", pwrite(fd, b, sizeof(b), 0));
    say("old fstat", fstat(fd, &st));
    int fd2 = open("/dev/vdisk0", O_RDWR);
    if (fd2 < 0) {
        printf("new open: %s\n", strerror(errno));
        return 1;
    }
    fstat(fd2, &st);
    say("new pread", pread(fd2, buf, sizeof(buf), 0));
    printf("new size %lld fnv %016llx\n", (long long)st.st_size, fnv(buf, sizeof(buf)));
    const char msg[] = "written through the new descriptor";
    say("new pwrite", pwrite(fd2, msg, sizeof(msg), 200));
    say("old close", close(fd));
    say("old pread after close", pread(fd, buf, sizeof(buf), 0));
    fflush(stdout);
    snprintf(flag, sizeof(flag), "%s/end", dir);
    while (access(flag, F_OK))
        nap();
    say("new close", close(fd2));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "ops"))
        return ops(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "live"))
        return live(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "hold"))
        return hold(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "readd"))
        return readd(argv[2]);
    printf("usage: vdisk_ops ops PATH | live DIR | hold DIR | readd DIR\n");
    return 2;
}
