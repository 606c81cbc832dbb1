/* The hypervisor control protocol on the control domain's hvctl channel
   (include/sun4v/hvctl.h; reference/ldoms_protocols.md §1.4, sun4v.md §6; behaviour
   and order from Sun's hypervisor common/src/hvcontrol.c).

   One 64-byte packet per message, big-endian (this machine's own byte order).  States
   UNCONNECTED -> (hello) CHALLENGED -> (response with the right code) CONNECTED; a hello
   in any state starts over; a command with the wrong sequence number gets bad_seqn and
   drops the connection, as does a failed response (eauth).  Operations: get_hvconfig,
   reconfigure (now) and guest_delayed_reconf (checked now, applied when that guest
   stops, exits or resets; cancel_reconf drops it), guest_start (refused unless the
   guest is STOPPED), guest_stop (NORMAL/SUSPENDED; a stopped guest is eillegal, a
   resetting one stop_failed; the stop runs on a strand of that guest and the manager
   hears of it by a new_res_stat message), guest_panic (not of the control domain: a
   forced-panic error report on a running vCPU's non-resumable error queue and its
   nonresumable_error trap, as Sun's guest_panic) and
   get_res_stat (guest state, soft state, tod, utilisation; vCPU state with its yielded
   cycles: ldm's UTIL). */
#include "hv.h"

static uint64_t lcg_state = 0x2909;

static uint64_t rand64(void)
{
    lcg_state = lcg_state * 6364136223846793005UL + read_stick() + 1442695040888963407UL;
    return lcg_state >> 8;
}

static void reply(struct hvctl_msg *r, uint32_t status)
{
    r->hdr.status = (uint16_t)status;
    r->hdr.seqn = config.hvctl_hv_seq++;
    if (status == HVCTL_ST_BAD_SEQN || status == HVCTL_ST_EAUTH)
        config.hvctl_state = HVCTL_STATE_UNCONNECTED;
    hvctl_send(r);
}

static void hello(const struct hvctl_msg *m, struct hvctl_msg *r)
{
    config.hvctl_zeus_seq = (uint16_t)(m->hdr.seqn + 1);
    config.hvctl_hv_seq = (uint16_t)(config.hvctl_zeus_seq + HVCTL_SEQ_OFFSET);
    if (m->msg.hello.major != HVCTL_VERSION_MAJOR) {
        r->hdr.op = HVCTL_OP_HELLO;
        r->msg.hello.major = HVCTL_VERSION_MAJOR;
        r->msg.hello.minor = HVCTL_VERSION_MINOR;
        config.hvctl_state = HVCTL_STATE_UNCONNECTED;
        reply(r, HVCTL_ST_ENOTSUPP);
        return;
    }
    config.hvctl_rand = rand64();
    r->hdr.op = HVCTL_OP_CHALLENGE;
    r->msg.clnge.code = HVCTL_HV_CHALLENGE_K ^ config.hvctl_rand;
    r->msg.clnge.major = HVCTL_VERSION_MAJOR;
    r->msg.clnge.minor = HVCTL_VERSION_MINOR;
    config.hvctl_state = HVCTL_STATE_CHALLENGED;
    reply(r, HVCTL_ST_OK);
}

static struct guest *guest_of(uint32_t gid)
{
    if (gid >= NGUESTS || guests[gid].state == GUEST_STATE_UNCONFIGURED)
        return 0;
    return &guests[gid];
}

static uint32_t op_guest_start(const struct hvctl_msg *m, struct hvctl_msg *r)
{
    struct guest *g = guest_of(m->msg.guestop.guestid);
    r->msg.guestop.guestid = m->msg.guestop.guestid;
    if (!g) {
        r->msg.guestop.code = HVCTL_E_GUEST_INVALID_ID;
        return HVCTL_ST_EINVAL;
    }
    if (g->state != GUEST_STATE_STOPPED) {
        r->msg.guestop.code = HVCTL_E_GUEST_ACTIVE;
        return HVCTL_ST_EILLEGAL;
    }
    if (guest_start(g) != 0) {
        r->msg.guestop.code = HVCTL_E_GUEST_NOCPUS;
        return HVCTL_ST_EINVAL;
    }
    return HVCTL_ST_OK;
}

/* a strand carrying a vCPU of g that can drive its exit */
static int exit_strand(struct guest *g)
{
    for (uint32_t vid = 0; vid < NVCPUS; vid++) {
        struct vcpu *v = g->vcpus[vid];
        if (v && (v->state == CPU_STATE_RUNNING || v->state == CPU_STATE_STOPPED))
            return (int)v->strand->id;
    }
    return -1;
}

static uint32_t op_guest_stop(const struct hvctl_msg *m, struct hvctl_msg *r, int panic)
{
    struct guest *g = guest_of(m->msg.guestop.guestid);
    r->msg.guestop.guestid = m->msg.guestop.guestid;
    if (!g) {
        r->msg.guestop.code = HVCTL_E_GUEST_INVALID_ID;
        return HVCTL_ST_EINVAL;
    }
    if (panic && config.hvctl_ep.peer_guest == g) {
        r->msg.guestop.code = HVCTL_E_GUEST_INVALID_ID;
        return HVCTL_ST_EINVAL;
    }
    spin_lock(&g->lock);
    uint32_t st = g->state;
    if (st == GUEST_STATE_STOPPED) {
        spin_unlock(&g->lock);
        r->msg.guestop.code = HVCTL_E_GUEST_STOPPED;
        return HVCTL_ST_EILLEGAL;
    }
    if (st == GUEST_STATE_RESETTING) {
        spin_unlock(&g->lock);
        return HVCTL_ST_STOP_FAILED;
    }
    if (st == GUEST_STATE_EXITING) {
        spin_unlock(&g->lock);
        return HVCTL_ST_OK;
    }
    if (panic) {
        /* a forced-panic error report to a running vCPU (Sun's guest_panic) */
        struct vcpu *pv = 0;
        for (uint32_t vid = 0; vid < NVCPUS && !pv; vid++)
            if (g->vcpus[vid] && g->vcpus[vid]->state == CPU_STATE_RUNNING)
                pv = g->vcpus[vid];
        spin_unlock(&g->lock);
        if (!pv) {
            r->msg.guestop.code = HVCTL_E_GUEST_NOCPUS;
            return HVCTL_ST_EINVAL;
        }
        xcall_send(pv->strand->id, XC_PANIC_VCPU, (uint64_t)pv);
        return HVCTL_ST_OK;
    }
    int t = exit_strand(g);
    if (t < 0) {
        spin_unlock(&g->lock);
        return HVCTL_ST_STOP_FAILED;
    }
    g->state = GUEST_STATE_EXITING;
    spin_unlock(&g->lock);
    xcall_send((uint32_t)t, XC_STOP_GUEST, (uint64_t)g);
    return HVCTL_ST_OK;
}

static uint64_t yield_delta(struct vcpu *v, uint64_t now, uint64_t *last)
{
    uint64_t count = v->yield_count, cur = v->yield_start;
    if (cur && cur < now)
        count += now - cur;
    uint64_t d = count - *last;
    *last = count;
    return d;
}

static uint32_t op_res_stat(const struct hvctl_msg *m, struct hvctl_msg *r)
{
    const struct hvctl_res_status *q = &m->msg.resstat;
    struct hvctl_res_status *a = &r->msg.resstat;
    uint64_t now = read_stick();
    a->res = q->res;
    a->resid = q->resid;
    a->infoid = q->infoid;
    if (q->res == HVCTL_RES_GUEST) {
        struct guest *g = q->resid < NGUESTS ? &guests[q->resid] : 0;
        if (!g) {
            a->code = HVCTL_E_GUEST_INVALID_ID;
            return HVCTL_ST_EINVAL;
        }
        switch (q->infoid) {
        case HVCTL_INFO_GUEST_STATE:
            ((struct hvctl_rs_guest_state *)a->data)->state = g->state;
            g->async_busy = 0;
            return HVCTL_ST_OK;
        case HVCTL_INFO_GUEST_SOFT_STATE: {
            struct hvctl_rs_guest_soft_state *ss = (void *)a->data;
            ss->soft_state = (uint8_t)g->soft_state;
            memcpy(ss->soft_state_str, g->soft_state_str, SOFT_STATE_SIZE);
            return HVCTL_ST_OK;
        }
        case HVCTL_INFO_GUEST_TOD:
            ((struct hvctl_rs_guest_tod *)a->data)->tod = g->tod_offset;
            return HVCTL_ST_OK;
        case HVCTL_INFO_GUEST_UTILISATION: {
            struct hvctl_rs_guest_util *u = (void *)a->data;
            u->lifespan = g->start_stick ? now - g->start_stick : 0;
            u->wallclock_delta = u->active_delta = now - g->util_last;
            u->stopped_cycles = 0;
            u->yielded_cycles = 0;
            for (uint32_t vid = 0; vid < NVCPUS; vid++)
                if (g->vcpus[vid])
                    u->yielded_cycles += yield_delta(g->vcpus[vid], now,
                                                     &g->vcpus[vid]->last_yield_guest);
            g->util_last = now;
            return HVCTL_ST_OK;
        }
        default:
            a->code = HVCTL_E_INVALID_INFOID;
            return HVCTL_ST_EINVAL;
        }
    }
    if (q->res == HVCTL_RES_VCPU) {
        if (q->resid >= NVCPUS || vcpus[q->resid].state == CPU_STATE_UNCONFIGURED) {
            a->code = HVCTL_E_VCPU_INVALID_ID;
            return HVCTL_ST_EINVAL;
        }
        if (q->infoid != HVCTL_INFO_VCPU_STATE) {
            a->code = HVCTL_E_INVALID_INFOID;
            return HVCTL_ST_EINVAL;
        }
        struct vcpu *v = &vcpus[q->resid];
        struct hvctl_rs_vcpu_state *vs = (void *)a->data;
        vs->state = (uint8_t)v->state;
        vs->lifespan = v->start_stick ? now - v->start_stick : 0;
        vs->wallclock_delta = vs->active_delta = v->util_last ? now - v->util_last : 0;
        uint64_t d = yield_delta(v, now, &v->last_yield_vcpu);
        vs->yielded_cycles = d > vs->active_delta ? vs->active_delta : d;
        v->util_last = now;
        return HVCTL_ST_OK;
    }
    if (q->res <= HVCTL_RES_NETWORK)
        return HVCTL_ST_ENOTSUPP;
    return HVCTL_ST_EINVAL;
}

static uint32_t op_reconfig(const struct hvctl_msg *m, struct hvctl_msg *r, int delayed)
{
    struct hvctl_rc_fail fail;
    memset(&fail, 0, sizeof(fail));
    uint64_t mdp = m->msg.reconfig.hvmdp;
    uint32_t gid = m->msg.reconfig.guestid;
    if (config.del_reconf_gid != HVCTL_INVALID_GID && !(delayed && gid == config.del_reconf_gid))
        return HVCTL_ST_EILLEGAL;           /* one delayed reconfiguration at a time */
    if (delayed && !guest_of(gid))
        return HVCTL_ST_EINVAL;
    int st = reconfigure(mdp, &fail, !delayed);
    if (st != HVCTL_ST_OK) {
        fail.hvmdp = mdp;
        r->msg.rcfail = fail;
        return (uint32_t)st;
    }
    if (delayed) {
        config.parse_hvmd = mdp;
        config.del_reconf_gid = gid;
    }
    return HVCTL_ST_OK;
}

void hvctl_receive(const uint64_t *pkt)
{
    const struct hvctl_msg *m = (const struct hvctl_msg *)pkt;
    struct hvctl_msg r;
    memset(&r, 0, sizeof(r));
    r.hdr.op = m->hdr.op;
    spin_lock(&config.hvctl_lock);
    if (m->hdr.op == HVCTL_OP_HELLO) {
        hello(m, &r);
        spin_unlock(&config.hvctl_lock);
        return;
    }
    if (config.hvctl_state == HVCTL_STATE_UNCONNECTED) {
        reply(&r, HVCTL_ST_EAUTH);
        spin_unlock(&config.hvctl_lock);
        return;
    }
    if (m->hdr.seqn != config.hvctl_zeus_seq) {
        reply(&r, HVCTL_ST_BAD_SEQN);
        spin_unlock(&config.hvctl_lock);
        return;
    }
    config.hvctl_zeus_seq++;
    if (config.hvctl_state == HVCTL_STATE_CHALLENGED) {
        if (m->hdr.op != HVCTL_OP_RESPONSE ||
            (m->msg.clnge.code ^ HVCTL_ZEUS_CHALLENGE_K) != config.hvctl_rand) {
            reply(&r, HVCTL_ST_EAUTH);
        } else {
            config.hvctl_state = HVCTL_STATE_CONNECTED;
            reply(&r, HVCTL_ST_OK);
        }
        spin_unlock(&config.hvctl_lock);
        return;
    }
    uint32_t st;
    switch (m->hdr.op) {
    case HVCTL_OP_GET_HVCONFIG:
        r.msg.hvcnf.hv_membase = HV_MEMBASE;
        r.msg.hvcnf.hv_memsize = HV_MEMSIZE;
        r.msg.hvcnf.hvmdp = config.active_hvmd;
        r.msg.hvcnf.del_reconf_gid = config.del_reconf_gid;
        r.msg.hvcnf.del_reconf_hvmdp =
            config.del_reconf_gid != HVCTL_INVALID_GID ? config.parse_hvmd : 0;
        st = HVCTL_ST_OK;
        break;
    case HVCTL_OP_RECONFIGURE:
        st = op_reconfig(m, &r, 0);
        break;
    case HVCTL_OP_GUEST_DELAYED_RECONF:
        st = op_reconfig(m, &r, 1);
        break;
    case HVCTL_OP_CANCEL_RECONF:
        config.del_reconf_gid = HVCTL_INVALID_GID;
        config.parse_hvmd = 0;
        st = HVCTL_ST_OK;
        break;
    case HVCTL_OP_GUEST_START:
        st = op_guest_start(m, &r);
        break;
    case HVCTL_OP_GUEST_STOP:
        st = op_guest_stop(m, &r, 0);
        break;
    case HVCTL_OP_GUEST_PANIC:
        st = op_guest_stop(m, &r, 1);
        break;
    case HVCTL_OP_GET_RES_STAT:
        st = op_res_stat(m, &r);
        break;
    default:
        st = HVCTL_ST_ENOTSUPP;
        break;
    }
    reply(&r, st);
    spin_unlock(&config.hvctl_lock);
}

/* new_res_stat to the manager when g's state changes (not for the control domain's
   own stops: its manager is going with it) */
void hvctl_guest_state_notify(struct guest *g)
{
    if (config.hvctl_state != HVCTL_STATE_CONNECTED || config.hvctl_ep.peer_guest == g)
        return;
    struct hvctl_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.hdr.op = HVCTL_OP_NEW_RES_STAT;
    msg.hdr.seqn = config.hvctl_hv_seq++;
    msg.msg.resstat.res = HVCTL_RES_GUEST;
    msg.msg.resstat.resid = g->gid;
    msg.msg.resstat.infoid = HVCTL_INFO_GUEST_STATE;
    ((struct hvctl_rs_guest_state *)msg.msg.resstat.data)->state = g->state;
    hvctl_send(&msg);
}
