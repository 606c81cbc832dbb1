/* The dr-cpu service: the domain manager adds and removes this domain's vCPUs while it
   runs (reference ldoms_protocols.md §1.3, sun4v.md §6; FWARC 2008/623; illumos
   usr/src/uts/sun4v/io/dr_cpu.c, whose behaviour this follows).

   Request: {u64 req_num, u32 msg_type, u32 num_records} + u32 vCPU ids. Reply
   {req_num, 'o' (STATUS: 'S'), num_records} + one record per requested id, in order,
   {u32 cpu, u32 result, u32 status, u32 string_offset} + the strings; an offset counts
   from the start of the reply's header, 0 = none. A request that cannot be read
   (too short, no records, more than MAXCPUS, unknown type) gets {req_num, 'e', 0}.

   CONFIGURE ('C'): the vCPU must be in the machine description (md-update comes
   first): else NOT_IN_MD / NOT_PRESENT. The kernel starts it (cpu_start) and waits for
   it to come online: OK / CONFIGURED; cpu_start refused: FAILURE / UNCONFIGURED; no
   sign of life: NOT_RESPONDING / UNCONFIGURED. Already online: OK / CONFIGURED.
   UNCONFIGURE ('U') and FORCE_UNCONFIG ('F'): first the checks, before anything moves:
     - the processor set: removing the last online vCPU of the set (all vCPUs are in
       set 0) is BLOCKED / CONFIGURED, "last online cpu in processor set 0", even when
       forced (counted in request order: the vCPU that would be the last one fails);
     - (not forced) threads bound to the vCPU: BLOCKED / CONFIGURED, "cpu has bound
       thread" or "cpu has bound threads". Forced, they are unbound.
   Then the vCPU leaves: its threads go to the others, another vCPU stops it with
   cpu_stop: OK / UNCONFIGURED (or FAILURE / CONFIGURED). Not online: OK / UNCONFIGURED.
   STATUS ('S'): OK with CONFIGURED (online), UNCONFIGURED (in the MD, not online) or
   NOT_PRESENT (not in the MD). */
#include "dsvc.h"
#include "ldcl.h"
#include <sun4v/ds.h>

#define MAXSTR 64

struct rec {
    u32 cpu, result, status;
    char str[MAXSTR];
};

static struct rec recs[MAXCPUS];
static u8 reply[16 + MAXCPUS * 16 + MAXCPUS * MAXSTR];

static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }

static void send_error(struct ds_service *s, u64 req)
{
    u8 r[16];
    memcpy(r, &req, 8);
    put32(r + 8, DR_CPU_ERROR);
    put32(r + 12, 0);
    ds_send_data(s, r, sizeof(r));
}

static void send_reply(struct ds_service *s, u64 req, u32 type, u32 n)
{
    u32 off = 16 + 16 * n;
    memcpy(reply, &req, 8);
    put32(reply + 8, type);
    put32(reply + 12, n);
    for (u32 i = 0; i < n; i++) {
        u8 *e = reply + 16 + 16 * i;
        put32(e, recs[i].cpu);
        put32(e + 4, recs[i].result);
        put32(e + 8, recs[i].status);
        put32(e + 12, 0);
        if (recs[i].str[0]) {
            u32 k = (u32)strlen(recs[i].str) + 1;
            put32(e + 12, off);
            memcpy(reply + off, recs[i].str, k);
            off += k;
        }
    }
    ds_send_data(s, reply, off);
}

static int online(u32 id) { return id < MAXCPUS && cpus[id].state == CPU_ONLINE; }

static void configure(struct rec *r)
{
    if (r->cpu >= MAXCPUS || !md.cpu_in_md[r->cpu]) {
        r->result = DR_CPU_RES_NOT_IN_MD;
        r->status = DR_CPU_STAT_NOT_PRESENT;
        return;
    }
    int e = cpu_start_vcpu((int)r->cpu, 1);
    r->result = e == 0 ? DR_CPU_RES_OK
              : e == -1 ? DR_CPU_RES_FAILURE : DR_CPU_RES_CPU_NOT_RESPONDING;
    r->status = e == 0 ? DR_CPU_STAT_CONFIGURED : DR_CPU_STAT_UNCONFIGURED;
}

/* illumos dr_cpu_check_cpus: the processor-set check always, bound threads unless forced */
static void check_unconfigure(u32 n, int force)
{
    int left = cpus_online();
    for (u32 i = 0; i < n; i++) {
        struct rec *r = &recs[i];
        if (!online(r->cpu))
            continue;
        if (--left == 0) {
            r->result = DR_CPU_RES_BLOCKED;
            r->status = DR_CPU_STAT_CONFIGURED;
            snprintf(r->str, MAXSTR, "last online cpu in processor set %d", 0);
        }
    }
    if (force)
        return;
    for (u32 i = 0; i < n; i++) {
        struct rec *r = &recs[i];
        if (r->result != DR_CPU_RES_OK || !online(r->cpu))
            continue;
        int b = sched_bound_threads((int)r->cpu);
        if (b) {
            r->result = DR_CPU_RES_BLOCKED;
            r->status = DR_CPU_STAT_CONFIGURED;
            snprintf(r->str, MAXSTR, "cpu has bound thread%s", b > 1 ? "s" : "");
        }
    }
}

static void unconfigure(struct rec *r, int force)
{
    if (!online(r->cpu)) {
        r->result = DR_CPU_RES_OK;
        r->status = DR_CPU_STAT_UNCONFIGURED;
        return;
    }
    if (force)
        sched_unbind((int)r->cpu);
    if (cpu_stop_vcpu((int)r->cpu) == 0) {
        ldc_retarget((int)r->cpu);
        r->result = DR_CPU_RES_OK;
        r->status = DR_CPU_STAT_UNCONFIGURED;
    } else {
        r->result = DR_CPU_RES_FAILURE;
        r->status = DR_CPU_STAT_CONFIGURED;
    }
}

static const char *const result_names[] = {
    "ok", "failure", "blocked", "not responding", "not in MD",
};

static void drcpu_data(struct ds_service *s, const u8 *p, u32 len)
{
    u64 req = 0;
    u32 type, n;
    COUNTERS->dr_ops++;
    if (len < 16) {
        if (len >= 8)
            memcpy(&req, p, 8);
        send_error(s, req);
        return;
    }
    memcpy(&req, p, 8);
    memcpy(&type, p + 8, 4);
    memcpy(&n, p + 12, 4);
    if (n == 0 || n > MAXCPUS || len < 16 + 4 * n ||
        (type != DR_CPU_CONFIGURE && type != DR_CPU_UNCONFIGURE &&
         type != DR_CPU_FORCE_UNCONFIG && type != DR_CPU_STATUS)) {
        kprintf("dr-cpu: malformed request (type 0x%x, %u records, %u bytes)\n", type, n, len);
        send_error(s, req);
        return;
    }
    for (u32 i = 0; i < n; i++) {
        memset(&recs[i], 0, sizeof(recs[i]));
        memcpy(&recs[i].cpu, p + 16 + 4 * i, 4);
    }
    if (type == DR_CPU_STATUS) {
        for (u32 i = 0; i < n; i++)
            recs[i].status = online(recs[i].cpu) ? DR_CPU_STAT_CONFIGURED
                           : recs[i].cpu < MAXCPUS && md.cpu_in_md[recs[i].cpu]
                           ? DR_CPU_STAT_UNCONFIGURED : DR_CPU_STAT_NOT_PRESENT;
        send_reply(s, req, DR_CPU_STATUS, n);
        return;
    }
    int force = type == DR_CPU_FORCE_UNCONFIG;
    if (type != DR_CPU_CONFIGURE)
        check_unconfigure(n, force);
    for (u32 i = 0; i < n; i++) {
        struct rec *r = &recs[i];
        if (r->result != DR_CPU_RES_OK)
            continue;
        if (type == DR_CPU_CONFIGURE)
            configure(r);
        else
            unconfigure(r, force);
    }
    for (u32 i = 0; i < n; i++)
        kprintf("dr-cpu: %s cpu %u: %s%s%s\n",
                type == DR_CPU_CONFIGURE ? "configure" : force ? "force unconfigure"
                : "unconfigure", recs[i].cpu,
                recs[i].result < 5 ? result_names[recs[i].result] : "?",
                recs[i].str[0] ? ": " : "", recs[i].str);
    kprintf("dr-cpu: %d vCPUs online\n", cpus_online());
    send_reply(s, req, DR_CPU_OK, n);
}

struct ds_service svc_drcpu = {
    .name = DS_SVC_DR_CPU, .major = 1, .minor = 1, .data = drcpu_data,
};
