/* The id calls whose results qemu-sparc64 7.2 gets wrong (it treats sparc64's ids as
 * 16-bit): getresuid/getresgid store 32-bit ids, getgroups 32-bit gids in ascending
 * order, and only setfsuid/setfsgid are the 16-bit calls (sys_setfsuid16: 0xFFFF means
 * -1, an old id above 65535 comes back as 65534). tests/test_se_files.py computes the
 * expected output from the Linux rules and the ids the test runs with. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static void resids(void) {
    unsigned u[3] = {1, 1, 1}, g[3] = {1, 1, 1};
    long a = syscall(SYS_getresuid, &u[0], &u[1], &u[2]);
    long b = syscall(SYS_getresgid, &g[0], &g[1], &g[2]);
    printf("resuid %ld %u %u %u resgid %ld %u %u %u\n", a, u[0], u[1], u[2], b, g[0], g[1], g[2]);
}

int main(void) {
    resids();
    unsigned r[3];
    errno = 0;
    long e = syscall(SYS_getresuid, r, (void *)8, r + 2);
    printf("getresuid bad pointer %ld errno %d\n", e, errno);
    printf("fsuid %ld fsgid %ld\n", syscall(SYS_setfsuid, -1L), syscall(SYS_setfsgid, -1L));
    if (geteuid() != 0)
        return 0;
    unsigned gl[3] = {70000, 7, 3}, out[4] = {0};
    printf("setgroups %ld\n", syscall(SYS_setgroups, 3, gl));
    long n = syscall(SYS_getgroups, 4, out);
    printf("getgroups %ld: %u %u %u\n", n, out[0], out[1], out[2]);
    printf("setresgid %ld\n", syscall(SYS_setresgid, 70001, 70002, 70003));
    resids();
    printf("setfsgid 5 -> old %ld\n", syscall(SYS_setfsgid, 5L));
    printf("setfsgid 0x10006 (16 bits: 6) -> old %ld\n", syscall(SYS_setfsgid, 0x10006L));
    printf("setfsgid 0xffff (-1) -> %ld\n", syscall(SYS_setfsgid, 0xffffL));
    printf("setresuid %ld\n", syscall(SYS_setresuid, 70010, 70011, 0));
    resids();
    printf("setfsuid -1 -> %ld\n", syscall(SYS_setfsuid, -1L));
    printf("back %ld %ld %ld\n", syscall(SYS_setresuid, 0, 0, 0), syscall(SYS_setresgid, 0, 0, 0),
           syscall(SYS_setgroups, 0, (void *)0));
    resids();
    return 0;
}
