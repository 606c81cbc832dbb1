/* /dev/vdiskN for domain programs: the guest kernel serves its virtual disks (vdc.c;
   N = the vdisk id, the disk node's cfg-handle) as files itself, never through the
   host proxy. openat of "/dev/vdiskN" gives a file descriptor from VDF_BASE up (the
   host's descriptors stay below it); read, write, pread64, pwrite64, readv, writev,
   preadv, pwritev, lseek, _llseek, fstat, fstat64, fstatat64 (AT_EMPTY_PATH, or the
   path /dev/vdiskN), statx, fsync, fdatasync and close on it are done here with the
   disk's blocks (a partial block is read, changed and written back: every write
   reaches the disk, and so the backing file, before the call returns). The size is
   the disk's; a read at the end returns 0, a write past it ENOSPC.
   Linux semantics (fs/read_write.c, fs/stat.c): EBADF for a write on a descriptor
   opened O_RDONLY, EINVAL for a negative position or more than UIO_MAXIOV (1024)
   iovecs, ENXIO when the domain has no such disk (or it did not come up within
   VDF_OPEN_WAIT_US of the open: its server is not there), EIO on a descriptor whose
   disk was taken away (remove-vdisk -f), also once a disk of the same id was added
   again: a descriptor stays bound to the disk instance it opened (vdc_gen), a new
   open reaches the new disk. readv/writev stop at the first short transfer and
   return the bytes done (an error only when nothing was).
   stat: a block device as Linux shows one (S_IFBLK | 0660, st_rdev = major 0 (sunvdc's
   major is dynamic), minor N << 3 (its PARTITION_SHIFT)), except st_size = the
   disk's size in bytes; st_blksize = the disk's block size, st_blocks in 512-byte
   units. An open descriptor holds the disk: dr-vio UNCONFIGURE refuses it as busy. */
#include "kernel.h"
#include "prog.h"
#include "vdc.h"

#define VDF_BASE    1000
#define VDF_MAX     8
#define VDF_CHUNK   8192
#define VDF_OPEN_WAIT_US 500000         /* a disk still coming up at open: wait so long */
#define UIO_MAXIOV  1024

#define NR_read     3
#define NR_write    4
#define NR_close    6
#define NR_lseek    19
#define NR_fstat    62
#define NR_fstat64  63
#define NR_pread64  67
#define NR_pwrite64 68
#define NR_fsync    95
#define NR_readv    120
#define NR_writev   121
#define NR_llseek   236
#define NR_fdatasync 253
#define NR_openat   284
#define NR_fstatat64 289
#define NR_preadv   324
#define NR_pwritev  325
#define NR_statx    360

#define AT_EMPTY_PATH 0x1000

#define E_BADF      9
#define E_NXIO      6
#define E_INVAL     22
#define E_NOSPC     28
#define E_IO        5
#define E_FAULT     14
#define E_MFILE     24

static struct { int open, wr, unit; u64 gen, pos; } files[VDF_MAX];   /* gen: vdc_gen */
static u8 *chunk;
static volatile u32 vdf_lock;

static void lock(void)
{
    while (__sync_lock_test_and_set(&vdf_lock, 1))
        sleep_us(20);
}
static void unlock(void) { __sync_lock_release(&vdf_lock); }

static u64 disk_bytes(int unit, u64 gen)
{
    return vdc_blocks(unit, gen) * vdc_block_size(unit, gen);
}

/* len bytes at byte `off` of disk `unit` instance `gen` <-> the program's `va` (lock
   held) */
static long rw(int unit, u64 gen, int write, u64 va, u64 len, u64 off)
{
    u64 size = disk_bytes(unit, gen), bs = vdc_block_size(unit, gen), done = 0;
    if (!size)
        return -E_IO;
    if (off >= size)
        return write && len ? -E_NOSPC : 0;
    len = MIN(len, size - off);
    while (done < len) {
        u64 pos = off + done;
        u64 blk = pos / bs, in = pos % bs;
        u64 n = MIN(len - done, VDF_CHUNK - in);
        u64 nblk = (in + n + bs - 1) / bs;
        int st;
        if (!write || in || n % bs) {       /* reads, and partial blocks of writes */
            st = vdc_read(unit, gen, blk, chunk, nblk);
            if (st)
                return done ? (long)done : -E_IO;
        }
        if (write) {
            if (uvm_copyin(chunk + in, va + done, n))
                return done ? (long)done : -E_FAULT;
            st = vdc_write(unit, gen, blk, chunk, nblk);
            if (st)
                return done ? (long)done : -E_IO;
        } else if (uvm_copyout(va + done, chunk + in, n)) {
            return done ? (long)done : -E_FAULT;
        }
        done += n;
    }
    return (long)done;
}

/* the iovecs {u64 base, u64 len} at `iov` one after the other from `off` (lock held) */
static long rwv(int unit, u64 gen, int write, u64 iov, u64 cnt, u64 off)
{
    if (cnt > UIO_MAXIOV)
        return -E_INVAL;
    long total = 0;
    for (u64 k = 0; k < cnt; k++) {
        u64 v[2];
        if (uvm_copyin(v, iov + 16 * k, 16))
            return total ? total : -E_FAULT;
        if ((long)v[1] < 0)
            return total ? total : -E_INVAL;
        if (!v[1])
            continue;
        long r = rw(unit, gen, write, v[0], v[1], off + (u64)total);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((u64)r < v[1])
            break;
    }
    return total;
}

/* "/dev/vdiskN" at `va`: N, else -1 */
static int disk_path(u64 va)
{
    char p[24];
    for (u64 i = 0; i < sizeof(p); i++) {
        if (uvm_copyin(&p[i], va + i, 1))
            return -1;
        if (p[i])
            continue;
        if (strncmp(p, "/dev/vdisk", 10) || !p[10] || (p[10] == '0' && p[11]))
            return -1;
        int n = 0;
        for (const char *c = p + 10; *c; c++) {
            if (*c < '0' || *c > '9' || n > 100000)
                return -1;
            n = n * 10 + (*c - '0');
        }
        return n;
    }
    return -1;
}

/* struct stat (fstat), stat64 (fstat64, fstatat64) of the sparc64 kernel and statx */
struct kstat {
    u32 dev, pad0;
    u64 ino;
    u32 mode;
    u16 nlink, pad1;
    u32 uid, gid, rdev, pad2;
    i64 size, atime, mtime, ctime, blksize, blocks;
    u64 unused[2];
};
struct kstat64 {
    u64 dev, ino, nlink;
    u32 mode, uid, gid, pad0;
    u64 rdev;
    i64 size, blksize, blocks;
    i64 atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    u64 unused[3];
};
struct kstatx {
    u32 mask, blksize;
    u64 attributes;
    u32 nlink, uid, gid;
    u16 mode, pad0;
    u64 ino, size, blocks, attributes_mask;
    struct { i64 sec; u32 nsec; u32 pad; } atime, btime, ctime, mtime;
    u32 rdev_major, rdev_minor, dev_major, dev_minor;
    u64 spare[14];
};
_Static_assert(sizeof(struct kstat) == 104, "struct stat of sparc64 is 104 bytes");
_Static_assert(sizeof(struct kstat64) == 144, "struct stat64 of sparc64 is 144 bytes");
_Static_assert(sizeof(struct kstatx) == 256, "struct statx is 256 bytes");

#define S_IFBLK_RW  0060660
#define STATX_BASIC 0x7ff

static long put_stat(int unit, u64 gen, u64 nr, u64 va)
{
    u64 size = disk_bytes(unit, gen), bs = vdc_block_size(unit, gen);
    u32 minor = (u32)unit << 3;
    if (!bs)
        return -E_IO;
    if (nr == NR_fstat) {
        struct kstat st;
        memset(&st, 0, sizeof(st));
        st.ino = 1000 + (u64)unit;
        st.mode = S_IFBLK_RW;
        st.nlink = 1;
        st.rdev = minor;
        st.size = (i64)size;
        st.blksize = (i64)bs;
        st.blocks = (i64)(size / 512);
        return uvm_copyout(va, &st, sizeof(st)) ? -E_FAULT : 0;
    }
    if (nr == NR_statx) {
        struct kstatx st;
        memset(&st, 0, sizeof(st));
        st.mask = STATX_BASIC;
        st.blksize = (u32)bs;
        st.nlink = 1;
        st.mode = (u16)S_IFBLK_RW;
        st.ino = 1000 + (u64)unit;
        st.size = size;
        st.blocks = size / 512;
        st.rdev_minor = minor;
        return uvm_copyout(va, &st, sizeof(st)) ? -E_FAULT : 0;
    }
    struct kstat64 st;
    memset(&st, 0, sizeof(st));
    st.ino = 1000 + (u64)unit;
    st.nlink = 1;
    st.mode = S_IFBLK_RW;
    st.rdev = minor;
    st.size = (i64)size;
    st.blksize = (i64)bs;
    st.blocks = (i64)(size / 512);
    return uvm_copyout(va, &st, sizeof(st)) ? -E_FAULT : 0;
}

static long vdf_open(int unit, u64 flags)
{
    u64 gen;
    if (!vdc_present(unit) || !vdc_wait_ready(unit, VDF_OPEN_WAIT_US) ||
        !(gen = vdc_gen(unit)))
        return -E_NXIO;
    if (!chunk)
        chunk = kalloc(VDF_CHUNK, 8192);
    lock();
    for (int i = 0; i < VDF_MAX; i++)
        if (!files[i].open) {
            files[i].open = 1;
            files[i].wr = (flags & 3) != 0;         /* O_WRONLY 1, O_RDWR 2 */
            files[i].unit = unit;
            files[i].gen = gen;
            files[i].pos = 0;
            vdc_hold(unit, gen, 1);
            unlock();
            return VDF_BASE + i;
        }
    unlock();
    return -E_MFILE;
}

static int ours(long fd) { return fd >= VDF_BASE && fd < VDF_BASE + VDF_MAX; }

/* the program's system call nr if it is about a disk: *handled = 1 and the result */
long vdfile_syscall(u64 nr, const u64 *a, int *handled)
{
    *handled = 0;
    if (nr == NR_openat) {
        int unit = disk_path(a[1]);
        if (unit < 0)
            return 0;
        *handled = 1;
        return vdf_open(unit, a[2]);
    }
    if (nr == NR_fstatat64 || nr == NR_statx) {
        u64 flags = nr == NR_statx ? a[2] : a[3];
        u64 buf = nr == NR_statx ? a[4] : a[2];
        char c = 1;
        int unit = disk_path(a[1]);
        if (unit >= 0) {
            *handled = 1;
            return vdc_ready(unit) ? put_stat(unit, 0, nr, buf) : -2;  /* ENOENT */
        }
        if (!ours((long)(int)a[0]) || !(flags & AT_EMPTY_PATH) ||
            uvm_copyin(&c, a[1], 1) || c)
            return 0;
    }
    long fd = (long)(int)a[0];
    if (!ours(fd))
        return 0;
    int i = (int)(fd - VDF_BASE);
    switch (nr) {
    case NR_read: case NR_write: case NR_pread64: case NR_pwrite64: case NR_close:
    case NR_lseek: case NR_llseek: case NR_fsync: case NR_fdatasync: case NR_fstat:
    case NR_fstat64: case NR_fstatat64: case NR_statx: case NR_readv: case NR_writev:
    case NR_preadv: case NR_pwritev:
        break;
    default:
        return 0;                               /* the host says EBADF */
    }
    *handled = 1;
    if (!files[i].open)
        return -E_BADF;
    long r = 0;
    int unit = files[i].unit;
    u64 gen = files[i].gen;             /* the disk instance it opened, only that one */
    lock();
    switch (nr) {
    case NR_close:
        files[i].open = 0;
        vdc_hold(unit, gen, -1);
        break;
    case NR_fsync: case NR_fdatasync:
        r = vdc_block_size(unit, gen) ? 0 : -E_IO; /* every write is on the disk already */
        break;
    case NR_fstat: case NR_fstat64:
        r = put_stat(unit, gen, nr, a[1]);
        break;
    case NR_fstatat64:
        r = put_stat(unit, gen, nr, a[2]);
        break;
    case NR_statx:
        r = put_stat(unit, gen, nr, a[4]);
        break;
    case NR_read: case NR_write: case NR_readv: case NR_writev: {
        int w = nr == NR_write || nr == NR_writev;
        if (w && !files[i].wr) {
            r = -E_BADF;
            break;
        }
        r = nr == NR_read || nr == NR_write ? rw(unit, gen, w, a[1], a[2], files[i].pos)
                                            : rwv(unit, gen, w, a[1], a[2], files[i].pos);
        if (r > 0)
            files[i].pos += (u64)r;
        break;
    }
    case NR_pread64: case NR_pwrite64: case NR_preadv: case NR_pwritev: {
        int w = nr == NR_pwrite64 || nr == NR_pwritev;
        if (w && !files[i].wr)
            r = -E_BADF;
        else if ((long)a[3] < 0)
            r = -E_INVAL;
        else if (nr == NR_pread64 || nr == NR_pwrite64)
            r = rw(unit, gen, w, a[1], a[2], a[3]);
        else
            r = rwv(unit, gen, w, a[1], a[2], a[3]);
        break;
    }
    case NR_lseek: case NR_llseek: {
        long off = nr == NR_lseek ? (long)a[1] : (long)((a[1] << 32) | (a[2] & 0xffffffffUL));
        u64 whence = nr == NR_lseek ? a[2] : a[4];
        long base = whence == 0 ? 0 : whence == 1 ? (long)files[i].pos :
                    whence == 2 ? (long)disk_bytes(unit, gen) : -1;
        if (base < 0 || base + off < 0) {
            r = -E_INVAL;
            break;
        }
        u64 npos = (u64)(base + off);
        if (nr == NR_llseek) {
            if (uvm_copyout(a[3], &npos, 8)) {
                r = -E_FAULT;
                break;
            }
            r = 0;
        } else {
            r = (long)npos;
        }
        files[i].pos = npos;
        break;
    }
    }
    unlock();
    return r;
}
