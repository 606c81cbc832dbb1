/* /dev/vdisk0 for domain programs: the guest kernel serves the virtual disk (vdc.c) as
   a file itself, never through the host proxy. openat of "/dev/vdisk0" gives a file
   descriptor from VDF_BASE up (the host's descriptors stay below it); read, write,
   pread64, pwrite64, lseek, _llseek, fsync, fdatasync and close on it are done here
   with the disk's blocks (a partial block is read, changed and written back: every
   write reaches the disk, and so the backing file, before the call returns). The
   size is the disk's; a read at the end returns 0, a write past it ENOSPC.
   Linux semantics (fs/read_write.c): EBADF for a write on a descriptor opened
   O_RDONLY, EINVAL for a negative position, ENXIO when the domain has no disk (or it
   did not come up within VDF_OPEN_WAIT_US of the open: its server is not there). */
#include "kernel.h"
#include "prog.h"
#include "vdc.h"

#define VDF_BASE    1000
#define VDF_MAX     8
#define VDF_CHUNK   8192
#define VDF_OPEN_WAIT_US 500000         /* a disk still coming up at open: wait so long */

#define NR_read     3
#define NR_write    4
#define NR_close    6
#define NR_lseek    19
#define NR_pread64  67
#define NR_pwrite64 68
#define NR_fsync    95
#define NR_llseek   236
#define NR_fdatasync 253
#define NR_openat   284

#define E_BADF      9
#define E_NXIO      6
#define E_INVAL     22
#define E_NOSPC     28
#define E_IO        5
#define E_FAULT     14
#define E_MFILE     24

static struct { int open, wr; u64 pos; } files[VDF_MAX];
static u8 *chunk;
static volatile u32 vdf_lock;

static void lock(void)
{
    while (__sync_lock_test_and_set(&vdf_lock, 1))
        sleep_us(20);
}
static void unlock(void) { __sync_lock_release(&vdf_lock); }

static u64 disk_bytes(void) { return vdc_blocks() * vdc_block_size(); }

/* len bytes at byte `off` of the disk <-> the program's `va` (lock held) */
static long rw(int write, u64 va, u64 len, u64 off)
{
    u64 size = disk_bytes(), bs = vdc_block_size(), done = 0;
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
            st = vdc_read(blk, chunk, nblk);
            if (st)
                return done ? (long)done : -E_IO;
        }
        if (write) {
            if (uvm_copyin(chunk + in, va + done, n))
                return done ? (long)done : -E_FAULT;
            st = vdc_write(blk, chunk, nblk);
            if (st)
                return done ? (long)done : -E_IO;
        } else if (uvm_copyout(va + done, chunk + in, n)) {
            return done ? (long)done : -E_FAULT;
        }
        done += n;
    }
    return (long)done;
}

static int is_disk_path(u64 va)
{
    char p[16];
    for (u64 i = 0; i < sizeof(p); i++) {
        if (uvm_copyin(&p[i], va + i, 1))
            return 0;
        if (!p[i])
            return strcmp(p, "/dev/vdisk0") == 0;
    }
    return 0;
}

/* the program's system call nr if it is about the disk: *handled = 1 and the result */
long vdfile_syscall(u64 nr, const u64 *a, int *handled)
{
    *handled = 0;
    if (nr == NR_openat) {
        if (!is_disk_path(a[1]))
            return 0;
        *handled = 1;
        if (!vdc_wait_ready(VDF_OPEN_WAIT_US))
            return -E_NXIO;
        if (!chunk)
            chunk = kalloc(VDF_CHUNK, 8192);
        for (int i = 0; i < VDF_MAX; i++)
            if (!files[i].open) {
                files[i].open = 1;
                files[i].wr = (a[2] & 3) != 0;      /* O_WRONLY 1, O_RDWR 2 */
                files[i].pos = 0;
                return VDF_BASE + i;
            }
        return -E_MFILE;
    }
    long fd = (long)(int)a[0];
    if (fd < VDF_BASE || fd >= VDF_BASE + VDF_MAX)
        return 0;
    int i = (int)(fd - VDF_BASE);
    switch (nr) {
    case NR_read: case NR_write: case NR_pread64: case NR_pwrite64: case NR_close:
    case NR_lseek: case NR_llseek: case NR_fsync: case NR_fdatasync:
        break;
    default:
        return 0;                               /* the host says EBADF */
    }
    *handled = 1;
    if (!files[i].open)
        return -E_BADF;
    long r = 0;
    lock();
    switch (nr) {
    case NR_close:
        files[i].open = 0;
        break;
    case NR_fsync: case NR_fdatasync:
        break;                                  /* every write is on the disk already */
    case NR_read: case NR_write: {
        int w = nr == NR_write;
        if (w && !files[i].wr) {
            r = -E_BADF;
            break;
        }
        r = rw(w, a[1], a[2], files[i].pos);
        if (r > 0)
            files[i].pos += (u64)r;
        break;
    }
    case NR_pread64: case NR_pwrite64: {
        int w = nr == NR_pwrite64;
        if (w && !files[i].wr)
            r = -E_BADF;
        else if ((long)a[3] < 0)
            r = -E_INVAL;
        else
            r = rw(w, a[1], a[2], a[3]);
        break;
    }
    case NR_lseek: case NR_llseek: {
        long off = nr == NR_lseek ? (long)a[1] : (long)((a[1] << 32) | (a[2] & 0xffffffffUL));
        u64 whence = nr == NR_lseek ? a[2] : a[4];
        long base = whence == 0 ? 0 : whence == 1 ? (long)files[i].pos :
                    whence == 2 ? (long)disk_bytes() : -1;
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
