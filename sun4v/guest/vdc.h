/* The virtual disk client (vdc.c): the vDisk protocol over an LDC channel in
   unreliable mode, as Linux's vdc and illumos' vdc speak it. Messages are VIO
   messages (one LDC packet each, 56 bytes at most), big-endian, byte layout of Linux
   arch/sparc/include/asm/vio.h (= illumos sys/vio_mailbox.h, sys/vdsk_mailbox.h):

   tag (8)       u8 type (CTRL 1, DATA 2, ERR 4), u8 stype (INFO 1, ACK 2, NACK 4),
                 u16 stype_env (VER_INFO 1, ATTR_INFO 2, DRING_REG 3, DRING_UNREG 4,
                 RDX 5, PKT_DATA 0x40, DESC_DATA 0x41, DRING_DATA 0x42), u32 sid
   VER_INFO      tag, u16 major, u16 minor, u8 dev_class (DISK 3, DISK_SERVER 4), pad
   ATTR_INFO     tag, u8 xfer_mode (DRING 3), u8 vdisk_type (SLICE 1, DISK 2),
                 u8 vdisk_mtype (1.1: FIXED 1), u8 resv, u32 vdisk_block_size,
                 u64 operations (bit 1 << op), u64 vdisk_size (blocks),
                 u64 max_xfer_size (blocks), u32 phys_block_size, u32 resv, u64 resv
   DRING_REG     tag, u64 dring_ident, u32 num_descr, u32 descr_size, u16 options
                 (TX_DRING 1), u16 resv, u32 ncookies, {u64 addr, u64 size} cookies[]
   RDX           tag, u64 resv[6]
   DRING_DATA    tag, u64 seq, u64 dring_ident, u32 start_idx, u32 end_idx, u8 state
                 (ACTIVE 1, STOPPED 2), pad
   descriptor    u8 state (FREE 1, READY 2, ACCEPTED 3, DONE 4), u8 ack, u16, u32,
                 u64 req_id, u8 operation (BREAD 1, BWRITE 2, FLUSH 3), u8 slice
                 (0xff: the whole disk), u16 resv, u32 status (an errno), u64 offset
                 (blocks), u64 size (bytes), u32 ncookies, u32 resv, cookies[] */
#ifndef GUEST_VDC_H
#define GUEST_VDC_H

#include "types.h"

#define VIO_TYPE_CTRL       0x01
#define VIO_TYPE_DATA       0x02
#define VIO_TYPE_ERR        0x04
#define VIO_SUBTYPE_INFO    0x01
#define VIO_SUBTYPE_ACK     0x02
#define VIO_SUBTYPE_NACK    0x04
#define VIO_VER_INFO        0x0001
#define VIO_ATTR_INFO       0x0002
#define VIO_DRING_REG       0x0003
#define VIO_DRING_UNREG     0x0004
#define VIO_RDX             0x0005
#define VIO_DRING_DATA      0x0042
#define VDEV_DISK           0x03
#define VDEV_DISK_SERVER    0x04
#define VIO_DRING_MODE      0x03
#define VIO_TX_DRING        0x0001
#define VIO_DP_ACTIVE       0x01
#define VIO_DP_STOPPED      0x02
#define VIO_DESC_FREE       0x01
#define VIO_DESC_READY      0x02
#define VIO_DESC_ACCEPTED   0x03
#define VIO_DESC_DONE       0x04
#define VD_DISK_TYPE_SLICE  0x01
#define VD_DISK_TYPE_DISK   0x02
#define VD_MEDIA_TYPE_FIXED 0x01
#define VD_OP_BREAD         0x01
#define VD_OP_BWRITE        0x02
#define VD_OP_FLUSH         0x03
#define VD_SLICE_NONE       0xff

struct vio_tag {
    u8 type;
    u8 stype;
    u16 stype_env;
    u32 sid;
};

struct vio_ver_info {
    struct vio_tag tag;
    u16 major, minor;
    u8 dev_class;
    u8 resv1[3];
    u64 resv2[5];
};

struct vio_disk_attr_info {
    struct vio_tag tag;
    u8 xfer_mode, vdisk_type, vdisk_mtype, resv1;
    u32 vdisk_block_size;
    u64 operations;
    u64 vdisk_size;
    u64 max_xfer_size;
    u32 phys_block_size, resv2;
    u64 resv3[1];
};

struct vio_dring_register {
    struct vio_tag tag;
    u64 dring_ident;
    u32 num_descr, descr_size;
    u16 options, resv;
    u32 ncookies;
    u64 cookie_addr, cookie_size;       /* one cookie */
};

struct vio_rdx {
    struct vio_tag tag;
    u64 resv[6];
};

struct vio_dring_data {
    struct vio_tag tag;
    u64 seq;
    u64 dring_ident;
    u32 start_idx, end_idx;
    u8 state, pad1;
    u16 pad2;
    u32 pad3;
    u64 pad4[2];
};

struct vio_disk_desc {
    u8 state, ack;
    u16 pad1;
    u32 pad2;
    u64 req_id;
    u8 operation, slice;
    u16 resv1;
    u32 status;
    u64 offset;
    u64 size;
    u32 ncookies, resv2;
    u64 cookie_addr, cookie_size;       /* one cookie */
};

_Static_assert(sizeof(struct vio_ver_info) == 56, "VER_INFO is 56 bytes");
_Static_assert(sizeof(struct vio_disk_attr_info) == 56, "ATTR_INFO is 56 bytes");
_Static_assert(sizeof(struct vio_dring_register) == 48, "DRING_REG is 48 bytes");
_Static_assert(sizeof(struct vio_rdx) == 56, "RDX is 56 bytes");
_Static_assert(sizeof(struct vio_dring_data) == 56, "DRING_DATA is 56 bytes");
_Static_assert(sizeof(struct vio_disk_desc) == 64, "a descriptor is 64 bytes");

/* The disks as the rest of the kernel uses them, by unit = the vdisk id (cfg-handle)
   and gen = the disk instance (vdc_gen: every attach of a disk, also one of an id
   removed with remove-vdisk -f and added again, has a new one; 0 = whichever disk
   `unit` is now): 0 / nothing / EIO when there is no such disk, it is not ready, or
   it is no longer instance `gen`. */
#define VDC_MAX             8           /* disks served at once */
#define VDC_BUSY            1           /* vdc_unconfigure: open descriptors */
#define VDC_NOT_PRESENT     2           /* vdc_unconfigure: no such disk */
int vdc_present(int unit);              /* in the machine description (maybe not ready) */
int vdc_ready(int unit);
int vdc_wait_ready(int unit, u64 us);   /* a disk coming up: 1 once it is ready */
u64 vdc_gen(int unit);                  /* the ready disk's instance, never 0; 0: none */
u64 vdc_blocks(int unit, u64 gen);
u32 vdc_block_size(int unit, u64 gen);
/* whole blocks at block `blk`; 0, or -errno (EIO: the server failed it or the disk is
   gone, ETIMEDOUT) */
int vdc_read(int unit, u64 gen, u64 blk, void *buf, u64 nblocks);
int vdc_write(int unit, u64 gen, u64 blk, const void *buf, u64 nblocks);
/* an open descriptor of instance `gen` more (+1) or less (-1); nothing once the disk
   is another instance */
void vdc_hold(int unit, u64 gen, int delta);
/* detach a disk (the dr-vio UNCONFIGURE): 0 done, VDC_BUSY (open descriptors and not
   `force`), VDC_NOT_PRESENT */
int vdc_unconfigure(int unit, int force);
void vdc_md_changed(void);              /* attach new disks of the MD, detach gone ones */
void vdc_start(void);
/* vdfile.c: a program's system call on /dev/vdiskN (*handled = 1), else *handled = 0 */
long vdfile_syscall(u64 nr, const u64 *a, int *handled);

#endif
