/* File metadata, links, directories, space and copies: the system calls behind them
 * (chmod/fchmod/fchmodat, chown family, utime/utimes/futimesat/utimensat, link/linkat,
 * symlink/symlinkat, rmdir, truncate/ftruncate, rename/renameat2, mknod(at) FIFOs,
 * statfs/fstatfs(64), statx, fchdir, getdents/getdents64, fsync/fdatasync/sync/syncfs,
 * flock, fadvise64, fallocate, readahead, sendfile, copy_file_range, access/faccessat2).
 * Prints results and errno values only: no inode numbers, times of day or pids.
 * Works in a temporary directory it creates and removes. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

static void r(const char *what, long v) {
    if (v < 0)
        printf("%-28s -1 errno %d\n", what, errno);
    else
        printf("%-28s %ld\n", what, v);
    errno = 0;
}

static void show_times(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) { r("lstat", -1); return; }
    printf("  %s atime %ld.%09ld mtime %ld.%09ld\n", path, (long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void show_mode(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) { r("lstat", -1); return; }
    printf("  %s mode %o size %lld nlink %ld\n", path, st.st_mode, (long long)st.st_size,
           (long)st.st_nlink);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) { r("opendir", -1); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char buf[300];
        snprintf(buf, sizeof buf, "%s:%d", e->d_name, e->d_type);
        names[n++] = strdup(buf);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("  readdir %s:", path);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

/* the raw calls with a small buffer: several calls, records checked field by field */
struct ld64 { unsigned long long ino; long long off; unsigned short reclen; unsigned char type; char name[]; };
struct ld { unsigned long ino; unsigned long off; unsigned short reclen; char name[]; };

static void raw_dents(const char *path, int old) {
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    char buf[128];
    int calls = 0, total = 0, bad = 0;
    char names[512] = "";
    for (;;) {
        memset(buf, 0x5a, sizeof buf);
        long n = syscall(old ? SYS_getdents : SYS_getdents64, fd, buf, sizeof buf);
        if (n < 0) { r(old ? "getdents" : "getdents64", n); break; }
        if (n == 0) break;
        calls++;
        for (long i = 0; i < n;) {
            const char *name;
            unsigned short reclen;
            int type;
            if (old) {
                struct ld *d = (struct ld *)(buf + i);
                reclen = d->reclen;
                name = d->name;
                type = buf[i + reclen - 1];
            } else {
                struct ld64 *d = (struct ld64 *)(buf + i);
                reclen = d->reclen;
                name = d->name;
                type = d->type;
            }
            if (reclen % 8 || reclen < strlen(name) + 20) bad++;
            if (name[0] != '.') {
                char one[64];
                snprintf(one, sizeof one, " %s:%d", name, type);
                if (strlen(names) + strlen(one) < sizeof names) strcat(names, one);
            }
            total++;
            i += reclen;
        }
    }
    /* a buffer too small for one record */
    lseek(fd, 0, SEEK_SET);
    r(old ? "getdents tiny buffer" : "getdents64 tiny buffer",
      syscall(old ? SYS_getdents : SYS_getdents64, fd, buf, 8));
    r("getdents64 on a file", syscall(SYS_getdents64, 0 + open("f", O_RDONLY), buf, 128));
    close(fd);
    printf("  %s: calls>1 %d entries %d bad %d names%s\n", old ? "getdents" : "getdents64",
           calls > 1, total, bad, names);
}

int main(void) {
    char dir[] = "/tmp/sun4v_filesXXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    if (chdir(dir) < 0) { perror("chdir"); return 1; }
    umask(022);

    /* mode */
    int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0666);
    r("write", write(fd, "0123456789abcdef", 16));
    show_mode("f");
    r("chmod 0640", chmod("f", 0640));
    r("fchmod 04751", fchmod(fd, 04751));
    show_mode("f");
    r("fchmodat 0600", fchmodat(AT_FDCWD, "f", 0600, 0));
    show_mode("f");
    r("chmod missing", chmod("nope", 0600));
    r("fchmod bad fd", fchmod(99, 0600));

    /* owner: to ourselves, and -1 for unchanged */
    r("chown self", chown("f", getuid(), getgid()));
    r("fchown -1 -1", fchown(fd, -1, -1));
    r("lchown self", lchown("f", geteuid(), -1));
    r("fchownat bad flag", fchownat(AT_FDCWD, "f", -1, -1, 0x4));
    r("fchownat nofollow", fchownat(AT_FDCWD, "f", -1, -1, AT_SYMLINK_NOFOLLOW));

    /* times */
    struct utimbuf ub = {1000000000, 1100000000};
    r("utime", utime("f", &ub));
    show_times("f");
    struct timeval tv[2] = {{1200000000, 250000}, {1300000000, 999999}};
    r("utimes", utimes("f", tv));
    show_times("f");
    struct timeval badtv[2] = {{1, 1000000}, {2, 0}};
    r("utimes usec 1000000", utimes("f", badtv));
    r("futimes", futimes(fd, tv));
    r("futimesat", syscall(SYS_futimesat, AT_FDCWD, "f", tv));
    struct timespec ts[2] = {{1400000000, 123456789}, {0, UTIME_OMIT}};
    r("utimensat omit mtime", utimensat(AT_FDCWD, "f", ts, 0));
    show_times("f");
    struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    r("utimensat both omit missing", utimensat(AT_FDCWD, "missing", both_omit, 0));
    struct timespec badns[2] = {{1, 1000000000}, {1, 0}};
    r("utimensat bad nsec", utimensat(AT_FDCWD, "f", badns, 0));
    r("utimensat bad flags", utimensat(AT_FDCWD, "f", ts, 0x8));
    struct timespec ts2[2] = {{1500000000, 5}, {1600000000, 6}};
    r("futimens", futimens(fd, ts2));
    show_times("f");
    r("utimensat fd flags", syscall(SYS_utimensat, fd, NULL, ts2, AT_SYMLINK_NOFOLLOW));
    r("utimensat NULL path cwd", syscall(SYS_utimensat, AT_FDCWD, NULL, ts2, 0));
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    r("utimensat now", utimensat(AT_FDCWD, "f", now, 0));
    struct stat st;
    stat("f", &st);
    printf("  now is after 2020: %d\n", st.st_mtim.tv_sec > 1577836800);

    /* links */
    r("link", link("f", "hard"));
    show_mode("f");
    r("link exists", link("f", "hard"));
    r("symlink", symlink("f", "soft"));
    r("symlink to /proc/self/exe", symlink("/proc/self/exe", "exe_link"));
    char lb[64] = {0};
    r("readlink exe_link", readlink("exe_link", lb, sizeof lb - 1));
    printf("  exe_link -> %s\n", lb);
    r("linkat follow", linkat(AT_FDCWD, "soft", AT_FDCWD, "hard2", AT_SYMLINK_FOLLOW));
    r("linkat nofollow", linkat(AT_FDCWD, "soft", AT_FDCWD, "soft2", 0));
    r("linkat bad flags", linkat(AT_FDCWD, "f", AT_FDCWD, "x", 0x1));
    show_mode("hard2");
    show_mode("soft2");
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    r("symlinkat", symlinkat("hard", dfd, "soft3"));
    memset(lb, 0, sizeof lb);
    r("readlinkat", readlinkat(dfd, "soft3", lb, sizeof lb - 1));
    printf("  soft3 -> %s\n", lb);
    struct timespec lts[2] = {{1700000000, 0}, {1700000001, 0}};
    r("utimensat nofollow link", utimensat(dfd, "soft3", lts, AT_SYMLINK_NOFOLLOW));
    show_times("soft3");

    /* directories */
    r("mkdir d", mkdir("d", 0755));
    r("mkdir d/e", mkdir("d/e", 0700));
    r("rmdir d (not empty)", rmdir("d"));
    r("rmdir f (not a dir)", rmdir("f"));
    r("rmdir missing", rmdir("missing"));
    r("rmdir d/e", rmdir("d/e"));
    int dd = open("d", O_RDONLY | O_DIRECTORY);
    r("fchdir d", fchdir(dd));
    char cwd[256];
    printf("  cwd ends with /d: %d\n", getcwd(cwd, sizeof cwd) && !strcmp(strrchr(cwd, '/'), "/d"));
    r("fchdir back", fchdir(dfd));
    r("fchdir on a file", fchdir(fd));
    r("rmdir d", rmdir("d"));
    close(dd);

    /* FIFOs and nodes */
    r("mkfifo", mkfifo("fifo", 0600));
    r("mknod fifo", mknod("fifo2", S_IFIFO | 0640, 0));
    r("mknodat regular", mknodat(dfd, "reg", 0644, 0));
    r("mknod dir type", mknod("dirnode", S_IFDIR | 0755, 0));
    r("mknod exists", mknod("fifo", S_IFIFO | 0600, 0));
    show_mode("fifo");
    show_mode("fifo2");
    show_mode("reg");

    /* sizes */
    r("truncate 5", truncate("f", 5));
    show_mode("f");
    r("truncate -1", truncate("f", -1));
    r("ftruncate 3", ftruncate(fd, 3));
    r("ftruncate -1", ftruncate(fd, -1));
    int ro = open("f", O_RDONLY);
    r("ftruncate read-only fd", ftruncate(ro, 1));
    r("truncate a dir", truncate(".", 0));
    show_mode("f");
    r("fallocate 0..100", fallocate(fd, 0, 0, 100));
    show_mode("f");
    r("fallocate keep size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 200));
    show_mode("f");
    r("fallocate bad len", fallocate(fd, 0, 0, 0));
    r("posix_fallocate 300", posix_fallocate(fd, 0, 300));
    show_mode("f");

    /* renames */
    r("rename f g", rename("f", "g"));
    r("rename missing", rename("f", "g"));
    r("renameat2 noreplace", renameat2(AT_FDCWD, "g", AT_FDCWD, "hard", RENAME_NOREPLACE));
    r("renameat2 exchange", renameat2(AT_FDCWD, "g", AT_FDCWD, "reg", RENAME_EXCHANGE));
    show_mode("g");
    show_mode("reg");
    r("renameat2 bad flags", renameat2(AT_FDCWD, "g", AT_FDCWD, "h", 0x100));
    r("renameat2 noreplace+exchange", renameat2(AT_FDCWD, "g", AT_FDCWD, "reg", 3));
    r("renameat back", renameat(dfd, "reg", dfd, "f"));

    /* file systems */
    struct statfs sf, sf2;
    r("statfs", statfs(".", &sf));
    r("fstatfs", fstatfs(fd, &sf2));
    printf("  statfs same fs %d bsize>0 %d namelen %ld blocks>=bfree %d type-same %d\n",
           sf.f_fsid.__val[0] == sf2.f_fsid.__val[0] && sf.f_fsid.__val[1] == sf2.f_fsid.__val[1],
           sf.f_bsize > 0, (long)sf.f_namelen, sf.f_blocks >= sf.f_bfree, sf.f_type == sf2.f_type);
    struct statvfs sv;
    r("statvfs", statvfs(".", &sv));
    printf("  statvfs namemax %lu frsize>0 %d\n", sv.f_namemax, sv.f_frsize > 0);
    r("statfs missing", statfs("missing", &sf));
    r("fstatfs bad fd", fstatfs(77, &sf));

    /* statx against stat */
    struct statx sx;
    struct stat st2;
    r("statx", statx(AT_FDCWD, "hard", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
    lstat("hard", &st2);
    printf("  statx agrees with lstat: mode %d ino %d size %d nlink %d uid %d mtime %d blocks %d\n",
           sx.stx_mode == st2.st_mode, sx.stx_ino == st2.st_ino, sx.stx_size == (unsigned long long)st2.st_size,
           sx.stx_nlink == st2.st_nlink, sx.stx_uid == st2.st_uid,
           sx.stx_mtime.tv_sec == st2.st_mtim.tv_sec && sx.stx_mtime.tv_nsec == (unsigned)st2.st_mtim.tv_nsec,
           sx.stx_blocks == (unsigned long long)st2.st_blocks);
    printf("  statx basic mask %d dev agrees %d\n", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS,
           makedev(sx.stx_dev_major, sx.stx_dev_minor) == st2.st_dev);
    r("statx empty path fd", statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
    printf("  size %llu\n", (unsigned long long)sx.stx_size);
    r("statx symlink", statx(AT_FDCWD, "soft", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
    printf("  symlink type %d\n", S_ISLNK(sx.stx_mode));
    r("statx bad flags", statx(AT_FDCWD, "f", 0x6000, STATX_BASIC_STATS, &sx));
    r("statx missing", statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx));

    /* directory listings */
    list_dir(".");
    raw_dents(".", 0);
    raw_dents(".", 1);

    /* synchronisation and hints */
    int p[2];
    pipe(p);
    r("fsync", fsync(fd));
    r("fdatasync", fdatasync(fd));
    r("fsync pipe", fsync(p[0]));
    r("fdatasync bad fd", fdatasync(88));
    sync();
    printf("  sync done\n");
    r("syncfs", syncfs(fd));
    r("posix_fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    r("posix_fadvise pipe", posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL));
    r("posix_fadvise bad advice", posix_fadvise(fd, 0, 0, 99));
    r("readahead", readahead(fd, 0, 4096));
    r("readahead pipe", readahead(p[0], 0, 10));

    /* locks: a second open file description conflicts */
    int fd2 = open("f", O_RDWR);
    r("flock ex", flock(fd, LOCK_EX));
    r("flock ex nb other", flock(fd2, LOCK_EX | LOCK_NB));
    r("flock sh nb other", flock(fd2, LOCK_SH | LOCK_NB));
    r("flock un", flock(fd, LOCK_UN));
    r("flock sh nb other now", flock(fd2, LOCK_SH | LOCK_NB));
    r("flock bad op", flock(fd, 77));
    r("flock bad fd", flock(66, LOCK_EX));

    /* copies */
    lseek(fd, 0, SEEK_SET);
    ftruncate(fd, 0);
    write(fd, "The quick brown fox jumps over the lazy dog", 43);
    int out = open("copy", O_CREAT | O_RDWR | O_TRUNC, 0644);
    off_t off = 4;
    r("sendfile from offset", sendfile(out, fd, &off, 5));
    printf("  offset now %lld, file position %lld\n", (long long)off, (long long)lseek(fd, 0, SEEK_CUR));
    lseek(fd, 10, SEEK_SET);
    r("sendfile from position", sendfile(out, fd, NULL, 6));
    printf("  file position %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    r("sendfile to pipe", sendfile(p[1], fd, NULL, 100));
    char pb[128] = {0};
    r("read pipe", read(p[0], pb, sizeof pb - 1));
    printf("  pipe got '%s'\n", pb);
    off = -1;
    r("sendfile negative offset", sendfile(out, fd, &off, 5));
    r("sendfile bad fd", sendfile(out, 55, NULL, 5));
    loff_t oi = 16, oo = 100;
    r("copy_file_range offsets", copy_file_range(fd, &oi, out, &oo, 3, 0));
    printf("  offsets now %lld %lld\n", (long long)oi, (long long)oo);
    r("copy_file_range flags", copy_file_range(fd, &oi, out, &oo, 3, 1));
    lseek(fd, 40, SEEK_SET);
    r("copy_file_range position", copy_file_range(fd, NULL, out, NULL, 10, 0));
    char cb[128] = {0};
    r("pread copy", pread(out, cb, sizeof cb - 1, 0));
    for (int i = 0; i < 110; i++) if (!cb[i]) cb[i] = '.';
    printf("  copy '%s'\n", cb);
    close(out);

    /* access checks */
    chmod("copy", 0640);
    r("access F_OK", access("copy", F_OK));
    r("access R_OK|W_OK", access("copy", R_OK | W_OK));
    r("access X_OK", access("copy", X_OK));
    r("access missing", access("missing", F_OK));
    r("access bad mode", access("copy", 0x10));
    r("faccessat eaccess", faccessat(AT_FDCWD, "copy", R_OK, AT_EACCESS));
    r("faccessat2 bad flags", syscall(439, AT_FDCWD, "copy", R_OK, 0x4));
    r("faccessat2 empty path", syscall(439, dfd, "", R_OK, AT_EMPTY_PATH));
    r("faccessat nofollow dangling", (symlink("nowhere", "dangle"),
      faccessat(AT_FDCWD, "dangle", F_OK, AT_SYMLINK_NOFOLLOW)));
    r("access dangling", access("dangle", F_OK));
    r("euidaccess", euidaccess("copy", W_OK));
    r("access through a file", access("copy/x", F_OK));

    /* clean up */
    const char *files[] = {"g", "f", "hard", "hard2", "soft", "soft2", "soft3", "exe_link",
                           "fifo", "fifo2", "copy", "dangle"};
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        if (unlink(files[i]) < 0) printf("unlink %s: errno %d\n", files[i], errno);
    close(fd); close(fd2); close(ro); close(p[0]); close(p[1]);
    r("chdir /", chdir("/"));
    r("rmdir tmp", rmdir(dir));
    return 0;
}
