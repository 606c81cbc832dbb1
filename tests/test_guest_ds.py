"""Domain services of the guest kernel, driven from the host: the domain manager's end
(ldm/ldc.py, ldm/ds.py) speaks to a guest's domain-services channel through the
control domain's relay and the hypervisor's LDC path, and the tests check the guest's
packets byte for byte against the protocol (reference/ldoms_protocols.md §1.2-1.3:
LDC link layer, DS 1.0, dr-cpu with illumos's results and reason strings), and the
effects (vCPUs stopped and started in the hypervisor, the machine description read
again, the domain stopped)."""
import struct

import guestkit as K
from ldm import ds as DS
from ldm.ldc import ACK, CTRL, DATA, INFO, NACK, RDX, RTR, RTS, START, STOP, VERS, make, parse


def boot(ldg1=None):
    return K.system("T2000", [
        dict(name="primary", vcpus=2, memory="1G"),
        dict(ldg1 or dict(vcpus=4, memory="1G"), name="ldg1"),
    ])


def ds_msg(type_, body):
    return struct.pack(">II", type_, len(body)) + body


def data_pkt(seqid, ackid, msg):
    assert len(msg) <= 48
    return make(DATA, INFO, env=START | STOP | len(msg), seqid=seqid, ackid=ackid, data=msg)


def test_handshake_and_registration_bytes():
    s = boot()
    ds = K.DsSession(s, "ldg1")
    assert ds.connect()
    got = [p for d, p in ds.link.log if d == "in"]
    reg = [ds_msg(DS.REG_REQ, struct.pack(">QHH", (i << 32) | (i + 1), 1, minor) +
                  name.encode() + b"\0")
           for i, (name, minor) in enumerate((("md-update", 0), ("dr-cpu", 1),
                                             ("domain-shutdown", 0), ("dr-vio", 0)))]
    want = [
        make(CTRL, ACK, VERS, vers=(1, 0)),                     # VERS 1.0 accepted
        make(CTRL, INFO, RTR, env=3, seqid=0),                  # RTS answered, mode 3
        data_pkt(1, 1, ds_msg(DS.INIT_REQ, struct.pack(">HH", 1, 0))),
        make(DATA, ACK, seqid=2, ackid=3),                      # our INIT_ACK (seqid 3)
        data_pkt(3, 3, reg[0]),
        data_pkt(4, 3, reg[1]),
        data_pkt(5, 3, reg[2]),
    ]
    assert got[:len(want)] == want, [parse(p)[:6] for p in got[:len(want)]]
    assert ds.mgr.versions == {"md-update": (1, 0), "dr-cpu": (1, 1),
                               "domain-shutdown": (1, 0), "dr-vio": (1, 0)}
    assert ds.run(lambda: K.counters(s, "ldg1")["ds_state"] == "registered")
    assert "ds: services registered: md-update 1.0 dr-cpu 1.1 domain-shutdown 1.0 " \
        "dr-vio 1.0" in \
        s.console("ldg1")


def test_version_nack_then_handshake():
    """LDC 2.0 is refused with a NACK offering 1.0; a packet out of sequence on an up
    link is refused with a DATA NACK and dropped."""
    s = boot()
    ds = K.DsSession(s, "ldg1")
    ch = ds.channel
    got = []

    def take():
        for c, p in ds.relay.receive():
            if c == ch and not isinstance(p, tuple):
                got.append(p)
        return bool(got)
    ds.relay.send(ch, make(CTRL, INFO, VERS, vers=(2, 0)))
    assert K.run_until(s, take, step="200us", limit="50ms")
    assert got == [make(CTRL, NACK, VERS, vers=(1, 0))]
    assert ds.connect()
    K.run_until(s, lambda: ds.pump() or False, step="200us", limit="2ms")  # the ACKs
    # out of sequence: seqid two ahead
    seq = ds.link.snd_nxt + 2
    before = len(ds.link.log)
    ds.relay.send(ch, data_pkt(seq, ds.link.rcv_nxt, b"\0" * 8))
    got.clear()
    assert K.run_until(s, take, step="200us", limit="50ms")
    p = parse(got[0])
    assert (p.type, p.stype, p.ctrl, p.seqid, p.ackid) == \
        (DATA, NACK, 0, ds.link.rcv_nxt + 1, ds.link.snd_nxt)
    assert len(ds.link.log) == before


def test_dr_cpu():
    s = boot(dict(vcpus=4, memory="1G", workload="int", iterations=30000, bind=1))
    ds = K.DsSession(s, "ldg1")
    assert ds.connect()
    gid = s.bindings.get("ldg1").gid

    def hv_state(vid):
        return {v.vid: v.state for v in s.hv.vcpus(gid)}[vid]

    def recs(rep):
        return [(r.cpu, r.result_name, r.status_name, r.string) for r in rep.records]

    rep = ds.dr_cpu(DS.DR_STATUS, [0, 1, 2, 3, 7])
    assert rep.type == DS.DR_STATUS
    assert recs(rep) == [(0, "ok", "configured", ""), (1, "ok", "configured", ""),
                         (2, "ok", "configured", ""), (3, "ok", "configured", ""),
                         (7, "ok", "not present", "")]
    # the workers are bound, one to each vCPU
    rep = ds.dr_cpu(DS.DR_UNCONFIGURE, [3])
    assert rep.type == DS.DR_OK
    assert recs(rep) == [(3, "blocked", "configured", "cpu has bound thread")]
    assert hv_state(3) == "running"
    rep = ds.dr_cpu(DS.DR_FORCE_UNCONFIG, [3])
    assert recs(rep) == [(3, "ok", "unconfigured", "")]
    assert hv_state(3) == "stopped"
    assert K.counters(s, "ldg1")["cpus"][3]["state"] == "offline"
    assert recs(ds.dr_cpu(DS.DR_STATUS, [3])) == [(3, "ok", "unconfigured", "")]
    # unconfiguring an unconfigured vCPU succeeds
    assert recs(ds.dr_cpu(DS.DR_UNCONFIGURE, [3])) == [(3, "ok", "unconfigured", "")]
    rep = ds.dr_cpu(DS.DR_CONFIGURE, [3, 9])
    assert recs(rep) == [(3, "ok", "configured", ""), (9, "not in MD", "not present", "")]
    assert hv_state(3) == "running"
    # the last online vCPU of the processor set stays, even forced; the others carry
    # bound workers (vCPU 3's was unbound by the forced unconfigure)
    rep = ds.dr_cpu(DS.DR_UNCONFIGURE, [3, 0, 1, 2])
    assert recs(rep) == [(3, "ok", "unconfigured", ""),
                         (0, "blocked", "configured", "cpu has bound thread"),
                         (1, "blocked", "configured", "cpu has bound thread"),
                         (2, "blocked", "configured", "last online cpu in processor set 0")]
    rep = ds.dr_cpu(DS.DR_FORCE_UNCONFIG, [0, 1, 2])
    assert recs(rep) == [(0, "ok", "unconfigured", ""), (1, "ok", "unconfigured", ""),
                         (2, "blocked", "configured", "last online cpu in processor set 0")]
    assert [hv_state(v) for v in range(4)] == ["stopped", "stopped", "running", "stopped"]
    # string offsets count from the start of the reply's header, strings end with NUL
    raw = ds.mgr.log[-1]
    assert raw[1] == DS.DATA
    reply = raw[2][8:]
    off = struct.unpack(">I", reply[16 + 2 * 16 + 12:16 + 3 * 16])[0]
    assert reply[off:] == b"last online cpu in processor set 0\0"
    # back to four vCPUs; the workload, moved around, still computes the right thing
    assert recs(ds.dr_cpu(DS.DR_CONFIGURE, [0, 1, 3])) == \
        [(0, "ok", "configured", ""), (1, "ok", "configured", ""), (3, "ok", "configured", "")]
    assert K.run_until(s, lambda: K.counters(s, "ldg1")["state"] == "done", step="2ms",
                       limit="300ms")
    c = K.counters(s, "ldg1")
    assert c["result"] == K.int_result(4, 30000)
    assert c["cpus_online"] == 4 and c["dr_ops"] == 9
    con = s.console("ldg1")
    assert "dr-cpu: unconfigure cpu 3: blocked: cpu has bound thread\n" in con
    assert "dr-cpu: force unconfigure cpu 3: ok\n" in con
    assert "dr-cpu: configure cpu 9: not in MD\n" in con


def test_md_update_nack_and_malformed():
    s = boot()
    ds = K.DsSession(s, "ldg1")
    assert ds.connect()
    assert K.counters(s, "ldg1")["md_reads"] == 1
    req = ds.mgr.md_update()
    assert ds.reply("md-update") == struct.pack(">QI", req, 0)
    assert K.counters(s, "ldg1")["md_reads"] == 2
    assert "md-update: machine description read again (generation 1, 4 vCPUs)" in \
        s.console("ldg1")
    # DATA for a handle the guest never registered
    ds.mgr._send(DS.DATA, struct.pack(">Q", 0xDEAD) + b"\0" * 8)
    assert ds.run(lambda: bool(ds.mgr.nacks))
    assert ds.mgr.nacks == [(0xDEAD, DS.INV_HDL)]
    # dr-cpu requests that cannot be read: no records, an unknown type
    for body in (struct.pack(">QII", 77, DS.DR_CONFIGURE, 0),
                 struct.pack(">QIII", 78, 0x58, 1, 0)):
        ds.mgr.send_data("dr-cpu", body)
        req = struct.unpack(">Q", body[:8])[0]
        assert ds.reply("dr-cpu") == struct.pack(">QII", req, DS.DR_ERROR, 0)
    # and a good one still works
    assert ds.dr_cpu(DS.DR_STATUS, [1]).records[0].status_name == "configured"


def test_domain_shutdown():
    s = boot(dict(vcpus=2, memory="1G", workload="mix", requests=0, work=2000))
    ds = K.DsSession(s, "ldg1")
    assert ds.connect()
    gid = s.bindings.get("ldg1").gid
    req = ds.mgr.domain_shutdown(ms_delay=2)
    assert ds.reply("domain-shutdown") == struct.pack(">QI", req, 0) + b"\0"

    def stopped():
        return {g.gid: g.state for g in s.hv.guests()}[gid] == "stopped"
    assert K.run_until(s, stopped, step="500us", limit="50ms")
    con = s.console("ldg1")
    assert "domain-shutdown: requested by the domain manager (in 2 ms)\n" in con
    assert con.endswith("domain-shutdown: stopping\n")
    assert K.counters(s, "ldg1")["state"] == "shutdown"
    assert {g.gid: g.state for g in s.hv.guests()}[0] == "running"


def test_relay_carries_hvctl():
    """The relay moves the hvctl channel's raw packets too: the hypervisor answers the
    manager's hello with its challenge, and the response connects (sun4v/hvctl.h)."""
    s = boot()
    ds = K.DsSession(s, "ldg1")
    ports = {n: c for c, n in ds.relay.ports()}
    assert set(ports) == {"hvctl", "ds:primary", "ds:ldg1"}
    ch = ports["hvctl"]
    got = []

    def take():
        for c, p in ds.relay.receive():
            if c == ch and not isinstance(p, tuple):
                got.append(p)
        return bool(got)
    hello = struct.pack(">HHHHHH", 0, 5, 0, 0, 1, 1).ljust(64, b"\0")
    ds.relay.send(ch, hello)
    assert K.run_until(s, take, step="200us", limit="20ms")
    op, seqn, _, status = struct.unpack(">HHHH", got[0][:8])
    code, major, minor = struct.unpack(">QHH", got[0][8:20])
    assert (op, seqn, status, major, minor) == (1, 5 + 1 + 2909, 0, 1, 1)
    got.clear()
    resp = struct.pack(">HHHHQ", 2, 6, 0, 0, code ^ 0xBADBEEF20 ^ 0x12CAFE42A).ljust(64, b"\0")
    ds.relay.send(ch, resp)
    assert K.run_until(s, take, step="200us", limit="20ms")
    op, seqn, _, status = struct.unpack(">HHHH", got[0][:8])
    assert (op, status) == (2, 0)
