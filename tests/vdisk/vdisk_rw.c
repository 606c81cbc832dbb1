/* A domain program using its virtual disk as a file (issue 14 §2): /dev/vdisk0 is
   served by the guest kernel (sun4v/guest/vdfile.c), not by the host.
   Prints the disk's size, a hash of its first 1024 bytes, writes a string across a
   block boundary (offset 700) and a 512-byte pattern at 4096 (pwrite), reads both
   back, and checks that a read-only descriptor refuses writes (EBADF). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned long long fnv(const unsigned char *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    while (n--)
        h = (h ^ *p++) * 0x100000001b3ULL;
    return h;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/dev/vdisk0";
    static unsigned char buf[1024], pat[512], back[512];
    const char msg[] = "hello from a program in ldg1, across a block boundary";
    int fd = open(path, O_RDWR);
    if (fd < 0) {
        printf("open %s: %s\n", path, strerror(errno));
        return 1;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    printf("size %lld\n", (long long)size);
    lseek(fd, 0, SEEK_SET);
    if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
        printf("read: %s\n", strerror(errno));
        return 1;
    }
    printf("fnv1a %016llx\n", fnv(buf, sizeof(buf)));
    if (lseek(fd, 700, SEEK_SET) != 700 || write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
        printf("write: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < 512; i++)
        pat[i] = (unsigned char)(i * 3 + 1);
    if (pwrite(fd, pat, sizeof(pat), 4096) != (ssize_t)sizeof(pat) || fsync(fd)) {
        printf("pwrite: %s\n", strerror(errno));
        return 1;
    }
    char got[sizeof(msg)];
    if (pread(fd, got, sizeof(got), 700) != (ssize_t)sizeof(got) ||
        pread(fd, back, sizeof(back), 4096) != (ssize_t)sizeof(back)) {
        printf("pread: %s\n", strerror(errno));
        return 1;
    }
    printf("read back: %s\n", memcmp(got, msg, sizeof(msg)) || memcmp(back, pat, 512) ?
           "differs" : "same");
    printf("read at the end: %ld\n", (long)pread(fd, buf, 16, size));
    close(fd);
    int ro = open(path, O_RDONLY);
    long w = write(ro, "x", 1);
    printf("write on O_RDONLY: %ld %s\n", w, w < 0 ? strerror(errno) : "");
    close(ro);
    return 0;
}
