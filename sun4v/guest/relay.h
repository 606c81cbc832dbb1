/* The control domain's relay to the host: LDC packets of the channels the domain
   manager owns (the hypervisor control channel `hvctl` and the manager's end of every
   domain's domain-services channel: the `virtual-device-port` nodes of its guest MD)
   are moved, unchanged, between those channels and two rings in the control domain's
   memory that the host (the Python domain manager) reads and writes. The relay does
   not speak the link protocol: the host does (as ldmd does on a real control domain).

   Where: RA0 + RELAY_OFFSET (layout.h: 0xC000), 16 KB, in the control domain. All
   fields big-endian u64 unless said otherwise.

     0x0000 magic        RELAY_MAGIC once the relay runs
     0x0008 version      1
     0x0010 nports       port slots in use (<= RELAY_MAXPORTS); a slot whose name is
                         empty is closed (its channel left the machine description)
     0x0018 stage_ra     real address of the staging buffer (for copy requests)
     0x0020 stage_size   its size in bytes
     0x0028 resyncs      times the ports were matched to a new machine description
     0x0030 started      %stick when this relay started: a new boot of the control
                         domain has a new value (the host's channels start over)
     0x0040 + 64 * i     port i: u64 channel, u64 rx packets, u64 tx packets,
                         char name[40] (the port's vldc-svc-name, NUL-terminated)
     0x1000 ring "to guest"  (the host produces, the relay consumes)
     0x2800 ring "to host"   (the relay produces, the host consumes)
   A ring: u64 head (consumer's count), u64 tail (producer's count), u64 nslots, then at
   +0x40 nslots slots of 128 bytes: u64 channel, u64 resv, the 64-byte packet, padding.
   Slot of count k = k % nslots. The producer writes the slot, then tail = k + 1; the
   consumer reads the slot, then head = k + 1. Full when tail - head == nslots.

   The relay thread looks at the "to guest" ring every RELAY_POLL_US microseconds of
   simulated time, and at once when a relayed channel interrupts; for RELAY_BUSY_US
   after a packet went either way, every RELAY_FAST_US (a conversation, such as a
   dr-cpu request or a reconfigure, goes on within microseconds, as with an interrupt;
   a quiet relay costs its domain almost nothing).

   Copy requests (the domain manager writing machine descriptions into the
   hypervisor's MD area, as ldmd does with ldc_copy on the hvctl channel): the host
   writes the bytes into the staging buffer, then puts on the "to guest" ring a slot
   with resv = RELAY_COPY and channel = the channel to copy on, whose packet holds
   {u64 dir (LDC_COPY_IN 0 / LDC_COPY_OUT 1), u64 cookie, u64 offset in the staging
   buffer, u64 length, u64 tag}. The relay makes the ldc_copy hypercall and answers on
   the "to host" ring with a slot of resv = RELAY_COPY_DONE whose packet holds
   {u64 status (the hypercall's), u64 bytes copied, u64 tag}. A request outside the
   staging buffer or for a channel the relay does not own gets status EINVAL.

   A reboot request (the domain manager rebooting the control domain, as ldmd asks
   its own operating system to reboot): a "to guest" slot with resv = RELAY_REBOOT; the
   relay consumes it and the kernel reboots (svc_reboot_now: mach_sir).

   The relayed channels follow the machine description: after an md-update the relay
   opens the ports that appeared (announcing their first state) and closes those that
   left (their slot's name becomes empty). */
#ifndef GUEST_RELAY_H
#define GUEST_RELAY_H

#include "types.h"

#define RELAY_MAGIC     0x5334565252454c31UL   /* "S4VRREL1" */
#define RELAY_MAXPORTS  60
#define RELAY_PORTS     0x40
#define RELAY_TO_GUEST  0x1000
#define RELAY_TO_HOST   0x2800
#define RELAY_RING_SIZE 0x1800
#define RELAY_SLOTS     ((RELAY_RING_SIZE - 0x40) / 128)    /* 47 */
#define RELAY_POLL_US   100
#define RELAY_FAST_US   10
#define RELAY_BUSY_US   300
#define RELAY_COPY      1                      /* "to guest" slot resv: a copy request */
#define RELAY_REBOOT    2                      /* "to guest" slot resv: reboot */
#define RELAY_COPY_DONE 0x100                  /* "to host" slot resv: its answer */
#define RELAY_STAGE_SIZE (1UL << 20)

struct relay_port {
    volatile u64 channel;
    volatile u64 rx;
    volatile u64 tx;
    char name[40];
};

struct relay_slot {
    volatile u64 channel;
    volatile u64 resv;
    u8 pkt[64];
    u8 pad[48];
};

struct relay_ring {
    volatile u64 head;
    volatile u64 tail;
    volatile u64 nslots;
    u64 resv[5];
    struct relay_slot slot[RELAY_SLOTS];
};

struct relay_area {
    volatile u64 magic;
    volatile u64 version;
    volatile u64 nports;
    volatile u64 stage_ra;
    volatile u64 stage_size;
    volatile u64 resyncs;
    volatile u64 started;
    u64 resv[1];
    struct relay_port port[RELAY_MAXPORTS];
};

#endif
