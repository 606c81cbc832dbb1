/* System calls given addresses the program does not own (unmapped here; in a logical
   domain, the guest kernel's own memory at 0x40000000): EFAULT, and nothing read from or
   written to them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    static const unsigned long addrs[] = {0x40000000UL, 0x40008000UL, 0x40010000UL, 0x1000UL};
    int fd = open("/proc/self/exe", O_RDONLY);
    for (int i = 0; i < 4; i++) {
        errno = 0;
        long w = write(1, (const void *)addrs[i], 16);
        int we = errno;
        errno = 0;
        long r = read(fd, (void *)addrs[i], 16);
        int re = errno;
        printf("%#lx: write %ld (%s), read %ld (%s)\n", addrs[i], w, strerror(we), r,
               strerror(re));
    }
    close(fd);
    return 0;
}
