/* The manager test guest: plays the LDoms manager (ldmd) of the control domain against
   the hypervisor over the hvctl channel (include/sun4v/hvctl.h; reference
   ldoms_protocols.md §1.4, sun4v.md §6): handshake, get_hvconfig, writing new machine
   descriptions into the hypervisor's MD area with ldc_copy, and a scripted sequence of
   reconfigure / guest_start / guest_stop / delayed reconfiguration / get_res_stat with
   the status and failure record each must give.

   The MDs and the script come with the image: the test (tests/hv/test_hv_reconf.py)
   appends a "manager set" at image offset 1 MB (VA 0x4010_0000): u64 magic 'MGRSET\0\0',
   u64 number of blobs, u64 number of steps, then per blob {u64 pa, u64 offset, u64 size}
   (offset from the set's start), per step {u64 op, u64 arg (MD pa, or guest id),
   u64 aux (guest id of a delayed reconfiguration, or resource id), u64 status,
   u64 res, u64 code} (status/res/code: what the reply must say), then the blobs.
   Pseudo-ops beyond the hvctl ones: 100 = wait for the asynchronous state message of
   guest `arg` saying `aux`; 101 = get_res_stat of vCPU `arg`: its state must be `aux`;
   102 = get_res_stat of guest `arg`: its state must be `aux`; 103 = get_hvconfig: the
   delayed reconfiguration's guest must be `arg` and its MD `aux`; 104 = guest `arg`'s
   utilisation: lifespan and wall clock > 0, yielded <= wall clock.
   Prints "ok step N ..." / "FAIL step N ..." and "manager: N steps, F failed". */
#include "rt.h"
#include <sun4v/hvctl.h>

#define SET_VA      (LINK_BASE + 0x100000UL)
#define SET_MAGIC   0x4d47525345540000UL        /* "MGRSET\0\0" */
#define OP_WAIT_ASYNC   100
#define OP_VCPU_STATE   101
#define OP_GUEST_STATE  102
#define OP_DELAYED      103
#define OP_UTIL         104

extern char __end[];
static int steps, failures;
static unsigned long txq[8 * 32] __attribute__((aligned(2048)));
static unsigned long rxq[8 * 32] __attribute__((aligned(2048)));
static unsigned long tx_tail, rx_head;
static int ch = -1;
static uint16_t seq = 1;
static struct hvctl_msg async_msgs[16];
static int nasync;

int guest_trap(unsigned long tt, unsigned long tpc, unsigned long tl)
{
    return rt_unexpected_trap(tt, tpc, tl);
}

void secondary_main(unsigned long vid)
{
    rt_idle(100000);
}

static void send(struct hvctl_msg *m)
{
    m->hdr.seqn = seq++;
    memcpy(&txq[tx_tail / 8], m, 64);
    tx_tail = (tx_tail + 64) % sizeof(txq);
    HC2(LDC_TX_SET_QTAIL, ch, tx_tail);
}

/* the next message from the hypervisor (asynchronous state messages are kept aside
   unless `async` asks for one) */
static struct hvctl_msg *recv(int async)
{
    static struct hvctl_msg m;
    for (int tries = 0; tries < 2000; tries++) {
        struct hv_ret r = HC1(LDC_RX_GET_STATE, ch);
        if (r.r2 != rx_head) {
            memcpy(&m, &rxq[rx_head / 8], 64);
            rx_head = (rx_head + 64) % sizeof(rxq);
            HC2(LDC_RX_SET_QHEAD, ch, rx_head);
            if (m.hdr.op == HVCTL_OP_NEW_RES_STAT && !async) {
                if (nasync < 16)
                    async_msgs[nasync++] = m;
                continue;
            }
            return &m;
        }
        if (async) {
            for (int i = 0; i < nasync; i++)
                if (async_msgs[i].hdr.op == HVCTL_OP_NEW_RES_STAT) {
                    m = async_msgs[i];
                    async_msgs[i].hdr.op = 0xffff;
                    return &m;
                }
        }
        yield_for(2000);
    }
    return 0;
}

static struct hvctl_msg *command(struct hvctl_msg *m)
{
    send(m);
    return recv(0);
}

#define CHECK(cond, ...) do {                                                       \
        steps++;                                                                    \
        if (cond) {                                                                 \
            printf("ok step %d ", steps);                                           \
        } else {                                                                    \
            failures++;                                                             \
            printf("FAIL step %d ", steps);                                         \
        }                                                                           \
        printf(__VA_ARGS__);                                                        \
        printf("\n");                                                               \
    } while (0)

int main(unsigned long real_base)
{
    rt_real_base = real_base;
    htrap(0xff, API_GROUP_CORE, 1, 1, 0, API_SET_VERSION);
    htrap(0xff, API_GROUP_LDC, 1, 0, 0, API_SET_VERSION);
    if (rt_read_md() != 0)
        guest_exit(0xe2);
    if ((unsigned long)__end > SET_VA) {
        printf("the manager's image runs into its set\n");
        return 0xe3;
    }
    for (int n = md_find_node(&rt_md, -1, "virtual-device-port"); n >= 0;
         n = md_find_node(&rt_md, n, "virtual-device-port")) {
        const char *s;
        uint64_t id;
        if (!md_get_str(&rt_md, n, "vldc-svc-name", &s) && !strcmp(s, "hvctl") &&
            !md_get_val(&rt_md, n, "id", &id))
            ch = (int)id;
    }
    const uint64_t *set = (const uint64_t *)SET_VA;
    if (ch < 0 || set[0] != SET_MAGIC) {
        printf("no hvctl channel (%d) or no manager set\n", ch);
        return 0xe4;
    }
    uint64_t nblobs = set[1], nsteps = set[2];
    const uint64_t *blob = set + 3, *step = blob + 3 * nblobs;
    printf("%s: manager, %lu MDs, %lu steps\n", rt_domain_name(), nblobs, nsteps);
    HC3(LDC_TX_QCONF, ch, ra_of(txq), 32);
    HC3(LDC_RX_QCONF, ch, ra_of(rxq), 32);

    /* handshake */
    struct hvctl_msg m, *r;
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_HELLO;
    m.msg.hello.major = HVCTL_VERSION_MAJOR;
    m.msg.hello.minor = HVCTL_VERSION_MINOR;
    r = command(&m);
    CHECK(r && r->hdr.op == HVCTL_OP_CHALLENGE, "hello -> challenge");
    uint64_t code = r ? r->msg.clnge.code : 0;
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_RESPONSE;
    m.msg.clnge.code = code ^ HVCTL_HV_CHALLENGE_K ^ HVCTL_ZEUS_CHALLENGE_K;
    r = command(&m);
    CHECK(r && r->hdr.status == HVCTL_ST_OK, "response accepted");
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_GET_HVCONFIG;
    r = command(&m);
    CHECK(r && r->hdr.status == 0 && r->msg.hvcnf.hvmdp == HV_MDAREA_BASE,
          "get_hvconfig: active MD %#lx", r ? r->msg.hvcnf.hvmdp : 0);

    /* the new MDs into the hypervisor's MD area */
    int copied = 1;
    for (uint64_t i = 0; i < nblobs; i++) {
        const uint64_t *b = blob + 3 * i;
        struct hv_ret c = hcall(LDC_COPY, ch, LDC_COPY_OUT, b[0],
                                ra_of((const char *)set + b[1]), (b[2] + 7) & ~7UL);
        copied &= c.status == EOK;
    }
    CHECK(copied, "ldc_copy of %lu MDs into the MD area", nblobs);

    for (uint64_t i = 0; i < nsteps; i++) {
        const uint64_t *st = step + 6 * i;
        uint64_t op = st[0], arg = st[1], aux = st[2];
        memset(&m, 0, sizeof(m));
        if (op == OP_WAIT_ASYNC) {
            for (int k = 0; k < 8; k++) {   /* other guests' messages do not count */
                r = recv(1);
                if (!r || r->msg.resstat.resid == arg)
                    break;
            }
            uint64_t state = r ? ((struct hvctl_rs_guest_state *)r->msg.resstat.data)->state : 99;
            CHECK(r && r->msg.resstat.resid == arg && state == aux,
                  "async new_res_stat: guest %lu state %lu", r ? (unsigned long)r->msg.resstat.resid
                  : 99UL, state);
            continue;
        }
        if (op == OP_VCPU_STATE || op == OP_GUEST_STATE || op == OP_UTIL) {
            m.hdr.op = HVCTL_OP_GET_RES_STAT;
            m.msg.resstat.res = op == OP_VCPU_STATE ? HVCTL_RES_VCPU : HVCTL_RES_GUEST;
            m.msg.resstat.resid = (uint32_t)arg;
            m.msg.resstat.infoid = op == OP_UTIL ? HVCTL_INFO_GUEST_UTILISATION : 0;
            r = command(&m);
            if (op == OP_UTIL) {
                struct hvctl_rs_guest_util *u = (void *)r->msg.resstat.data;
                CHECK(r->hdr.status == 0 && u->lifespan > 0 && u->wallclock_delta > 0 &&
                      u->yielded_cycles <= u->wallclock_delta,
                      "guest %lu utilisation: lifespan %lu wall %lu yielded %lu", arg,
                      u->lifespan, u->wallclock_delta, u->yielded_cycles);
            } else {
                uint64_t state = op == OP_VCPU_STATE ?
                    ((struct hvctl_rs_vcpu_state *)r->msg.resstat.data)->state :
                    ((struct hvctl_rs_guest_state *)r->msg.resstat.data)->state;
                CHECK(r->hdr.status == st[3] && (st[3] != 0 || state == aux),
                      "%s %lu: status %u state %lu", op == OP_VCPU_STATE ? "vCPU" : "guest",
                      arg, r->hdr.status, state);
            }
            continue;
        }
        if (op == OP_DELAYED) {
            m.hdr.op = HVCTL_OP_GET_HVCONFIG;
            r = command(&m);
            CHECK(r->msg.hvcnf.del_reconf_gid == (uint32_t)arg &&
                  r->msg.hvcnf.del_reconf_hvmdp == aux,
                  "get_hvconfig: delayed reconfiguration of guest %#x, MD %#lx",
                  r->msg.hvcnf.del_reconf_gid, r->msg.hvcnf.del_reconf_hvmdp);
            continue;
        }
        m.hdr.op = (uint16_t)op;
        if (op == HVCTL_OP_RECONFIGURE || op == HVCTL_OP_GUEST_DELAYED_RECONF) {
            m.msg.reconfig.hvmdp = arg;
            m.msg.reconfig.guestid = (uint32_t)aux;
        } else {
            m.msg.guestop.guestid = (uint32_t)arg;
        }
        r = command(&m);
        if (!r) {
            CHECK(0, "op %lu: no reply", op);
            continue;
        }
        int good = r->hdr.status == st[3];
        if (st[3] == HVCTL_ST_BADMD && op == HVCTL_OP_RECONFIGURE)
            good = good && r->msg.rcfail.res == st[4] && r->msg.rcfail.code == st[5];
        else if (st[3] != HVCTL_ST_OK && op != HVCTL_OP_RECONFIGURE &&
                 op != HVCTL_OP_GUEST_DELAYED_RECONF && op != HVCTL_OP_CANCEL_RECONF)
            good = good && r->msg.guestop.code == st[5];
        CHECK(good, "op %lu (%#lx): status %u res %u code %u", op, arg, r->hdr.status,
              r->msg.rcfail.res, r->msg.rcfail.code);
    }
    printf("manager: %d steps, %d failed\n", steps, failures);
    return failures;
}
