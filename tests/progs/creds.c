/* User and group ids: get/set of real, effective, saved and file-system ids, groups,
 * and what they decide (who owns a new file, what may be opened, access() with the real
 * ids against AT_EACCESS with the effective ones). As root the program drops to uid and
 * gid 65534 keeping a saved uid of 0, checks, and comes back; as another user it checks
 * what an unprivileged process may not do. Ids are printed only relative to the start
 * (same / 65534 / 0), so the output depends on being root or not, nothing else. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOBODY 65534

static uid_t uid0;
static gid_t gid0;

static void r(const char *what, long v) {
    if (v < 0)
        printf("%-32s -1 errno %d\n", what, errno);
    else
        printf("%-32s %ld\n", what, v);
    errno = 0;
}

static const char *rel(unsigned v, unsigned start) {
    static char b[4][16];
    static int k;
    k = (k + 1) % 4;
    if (v == start) return "start";
    if (v == NOBODY) return "nobody";
    if (v == 0) return "root";
    snprintf(b[k], sizeof b[k], "other");
    return b[k];
}

static void ids(const char *when) {
    /* getresuid/getresgid and the gid list of getgroups are checked by
       tests/test_se_files.py: qemu-sparc64 7.2 stores them as 16-bit ids */
    int fsu = setfsuid(-1), fsg = setfsgid(-1);
    printf("  %s: uid %s euid %s fsuid %s | gid %s egid %s fsgid %s | groups %d\n", when,
           rel(getuid(), uid0), rel(geteuid(), uid0), rel(fsu, uid0), rel(getgid(), gid0),
           rel(getegid(), gid0), rel(fsg, gid0), getgroups(0, NULL));
}

static void owner(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) { r("stat", -1); return; }
    printf("  %s owned by %s:%s\n", path, rel(st.st_uid, uid0), rel(st.st_gid, gid0));
}

static void try_open(const char *what, const char *path) {
    int fd = open(path, O_RDONLY);
    r(what, fd < 0 ? -1 : 0);
    if (fd >= 0) close(fd);
}

int main(void) {
    uid0 = getuid();
    gid0 = getgid();
    ids("start");
    int n = getgroups(0, NULL);
    gid_t *g = calloc(n + 1, sizeof *g);
    r("getgroups count agrees", getgroups(n, g) == n ? 0 : -1);
    if (n > 0) r("getgroups too small", getgroups(n - 1, g) == -1 && errno == EINVAL ? 0 : 1);
    errno = 0;
    r("getgroups negative", syscall(SYS_getgroups, -1, g));
    r("setuid -1", syscall(SYS_setuid, -1));
    r("setgid -1", syscall(SYS_setgid, -1));
    r("setresuid no change", setresuid(-1, -1, -1));
    r("setreuid no change", setreuid(-1, -1));
    r("setuid to self", setuid(uid0));
    r("setgid to self", setgid(gid0));
    r("setregid to self", setregid(gid0, gid0));
    ids("after no-ops");

    char dir[] = "/tmp/sun4v_credsXXXXXX";
    if (!mkdtemp(dir) || chdir(dir) < 0) { perror("tmpdir"); return 1; }
    chmod(".", 0777);
    int fd = open("secret", O_CREAT | O_WRONLY, 0600);
    write(fd, "s", 1);
    close(fd);

    if (uid0 != 0) {
        /* an unprivileged process */
        r("setuid 0", setuid(0));
        r("setresuid other", setresuid(-1, 0, -1));
        r("setreuid other", setreuid(0, -1));
        r("setgid 0", setgid(0));
        r("setgroups", setgroups(0, NULL));
        r("setfsuid 0 (refused)", setfsuid(0) == (int)uid0 ? 0 : 1);
        ids("unprivileged");
        owner("secret");
        try_open("open own file", "secret");
        r("access own file", access("secret", R_OK));
    } else {
        r("chown the directory to nobody", chown(dir, NOBODY, NOBODY));
        r("setgroups none", setgroups(0, NULL));
        r("getgroups now", getgroups(0, NULL));
        gid_t two[2] = {7, 3};
        r("setgroups 7 3", setgroups(2, two));
        gid_t back[4] = {0};
        r("getgroups", getgroups(4, back));
        r("setgroups bad pointer", setgroups(2, (gid_t *)8));
        r("setgroups too many", syscall(SYS_setgroups, 70000, two));
        r("setgroups none again", setgroups(0, NULL));
        r("setresgid nobody, saved root", setresgid(NOBODY, NOBODY, 0));
        r("setresuid nobody, saved root", setresuid(NOBODY, NOBODY, 0));
        ids("dropped");
        try_open("open root's 0600 file", "secret");
        r("access it", access("secret", R_OK));
        r("chown needs privilege", chown("secret", NOBODY, -1));
        r("setgroups needs privilege", setgroups(0, NULL));
        r("setuid other (not r/e/s)", setuid(1234));
        fd = open("mine", O_CREAT | O_WRONLY, 0644);
        r("create a file", fd < 0 ? -1 : 0);
        close(fd);
        owner("mine");
        r("chmod own file", chmod("mine", 0600));
        r("chown own file to self", chown("mine", NOBODY, NOBODY));
        r("setfsuid 0 (saved uid)", setfsuid(0) == NOBODY ? 0 : 1);
        ids("fsuid root");
        try_open("open with fsuid root", "secret");
        r("access (real ids)", access("secret", R_OK));
        r("faccessat AT_EACCESS", faccessat(AT_FDCWD, "secret", R_OK, AT_EACCESS));
        fd = open("fsfile", O_CREAT | O_WRONLY, 0644);
        close(fd);
        owner("fsfile");
        r("setfsuid back", setfsuid(NOBODY) == 0 ? 0 : 1);
        r("seteuid 0 (saved)", seteuid(0));
        ids("euid root");
        try_open("open as euid root", "secret");
        r("access (real nobody)", access("secret", R_OK));
        r("faccessat AT_EACCESS", faccessat(AT_FDCWD, "secret", R_OK, AT_EACCESS));
        r("setfsuid nobody", setfsuid(NOBODY) == 0 ? 0 : 1);
        try_open("open with fsuid nobody", "secret");
        r("setfsuid 0", setfsuid(0) == NOBODY ? 0 : 1);
        r("setfsgid 0", setfsgid(0) == NOBODY ? 0 : 1);
        ids("fs root");
        r("setreuid 0 nobody", setreuid(0, NOBODY));
        ids("after setreuid");
        r("setreuid -1 0", setreuid(-1, 0));
        ids("after setreuid -1 0");
        r("setresuid all root", setresuid(0, 0, 0));
        r("setresgid all root", setresgid(0, 0, 0));
        ids("root again");
        r("setuid nobody (all ids)", setuid(NOBODY));
        ids("nobody for good");
        r("setuid 0 refused", setuid(0));
        r("seteuid 0 refused", seteuid(0));
        r("setfsuid 0 refused", setfsuid(0) == NOBODY ? 0 : 1);
        ids("still nobody");
        try_open("open root's file", "secret");
        r("unlink in a 0777 dir", unlink("mine"));
    }
    /* clean up: possible as root only if root could come back; as nobody the 0777
       directory still allows removing its files except the sticky case */
    unlink("secret");
    unlink("mine");
    unlink("fsfile");
    chdir("/");
    r("rmdir", rmdir(dir));
    return 0;
}
