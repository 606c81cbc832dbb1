"""Rebooting the control domain on a running machine (`ldm stop-domain -r primary`):
its pending delayed reconfiguration takes effect then (reference ldm_xscf.md A6: "It
takes effect after the next reboot"; ldoms_protocols.md §1.4: the hypervisor applies
the stored MD when that guest resets, then starts it from its first vCPU). The reboot
goes the real way: the manager's request crosses primary's relay, primary's kernel
makes the mach_sir hypercall, the firmware resets primary with the new hypervisor MD and
guest MD, the kernel boots again and starts its relay, and the manager's channels start
over on it. Checked against the hypervisor's own tables, the guest MDs in its MD area,
primary's kernel (its banner and counters) and the other guest, which runs on."""
import livekit as L
from ldm import hvctl as H


def flags(lm, name):
    out, _ = L.ldm(lm, "list")
    return next(ln.split()[2] for ln in out if ln.split()[0] == name)


def row(lm, name):
    out, _ = L.ldm(lm, "list")
    return next(ln.split() for ln in out if ln.split()[0] == name)


def banners(lm, name):
    text = lm._consoles[name].decode("latin-1")
    return [ln for ln in text.splitlines() if ln.startswith(f"domain {name}:")]


def boot():
    return L.boot([dict(name="primary", vcpus=4, memory="1G"),
                   dict(name="ldg1", vcpus=4, memory="1G", workload="int", threads=4,
                        iterations=100_000_000)])


def test_reboot_applies_primarys_delayed_reconfiguration():
    lm = boot()
    L.ldm(lm, "start-reconf primary")
    L.ldm(lm, "remove-vcpu 2 primary")
    L.ldm(lm, "set-memory 2G primary")
    assert flags(lm, "primary") == "-ndc--"
    assert len(L.hv_vcpus(lm)["primary"]) == 4          # nothing changed yet
    lm.advance("1ms")
    ldg1 = L.counters(lm, "ldg1")
    p0 = L.progress(lm, "ldg1")

    seen = []                       # ldg1's work done, at every service of the reboot
    service = lm._service

    def watch():
        seen.append((L.hv_guests(lm)["ldg1"], L.progress(lm, "ldg1")))
        service()
    lm._service = watch
    out, err = L.ldm(lm, "stop-domain -r primary")
    lm._service = service
    assert len(seen) > 20
    assert {st for st, _ in seen} == {"running"}
    work = [w for _, w in seen]
    assert work == sorted(work) and work[-1] > work[0]
    assert out == ["LDom primary rebooted",
                   "The delayed reconfiguration of LDom primary is applied: it has 2 "
                   "vCPUs and 2G of memory"]
    assert err == []
    # the manager: the d flag gone, the new vCPUs and memory
    assert flags(lm, "primary") == "-n-c--"
    r = row(lm, "primary")
    assert (r[4], r[5]) == ("2", "2G")
    assert not lm.snapshot()["delayed"]
    # the hypervisor: primary on strands 0 and 1 only (its vCPU table, read from the
    # firmware's memory), the MD it runs is the manager's, nothing pending
    assert L.hv_vcpus(lm)["primary"] == {0: (0, "running"), 1: (1, "running")}
    L.check(lm)                  # bindings = hypervisor = guest MDs = vCPUs online
    assert lm.hvconfig["del_reconf_gid"] == H.INVALID_GID
    mem = sum(n["size"] for n in L.guest_md(lm, "primary").find("mblock"))
    assert mem == 2 << 30
    # primary's kernel booted again and saw its new MD
    assert banners(lm, "primary") == ["domain primary: 4 vCPUs (0-3), 1024 MB memory",
                                      "domain primary: 2 vCPUs (0-1), 2048 MB memory"]
    assert L.online_vids(lm, "primary") == {0, 1}
    # ldg1 ran on throughout: never reset (one boot, the same boot time), its work
    # went on, it is still running its workload
    assert len(banners(lm, "ldg1")) == 1
    after = L.counters(lm, "ldg1")
    assert after["boot_stick"] == ldg1["boot_stick"]
    assert after["state"] == "running"
    assert L.progress(lm, "ldg1") > p0
    texts = [e.text for e in lm.events() if e.kind == "delayed"]
    assert texts[-1] == ("delayed reconfiguration of LDom primary applied at its reboot: "
                         "2 vCPUs, 2G memory")
    # the channels were built again through the new relay: live DR of a guest works,
    # and other domains may change again
    L.ldm(lm, "add-vcpu 2 ldg1")
    L.check(lm)
    assert L.online_vids(lm, "ldg1") == set(range(6))
    p1 = L.progress(lm, "ldg1")
    lm.advance("1ms")
    assert L.progress(lm, "ldg1") > p1


def test_reboot_with_nothing_pending_is_a_plain_reboot():
    lm = boot()
    active = lm.mdarea.active
    before = L.hv_vcpus(lm)
    p0 = L.progress(lm, "ldg1")
    out, err = L.ldm(lm, "stop-domain -r primary")
    assert (out, err) == (["LDom primary rebooted"], [])
    assert flags(lm, "primary") == "-n-c--"
    assert lm.mdarea.active == active                 # no new MD
    assert {n: {v: s for v, (s, _) in vs.items()} for n, vs in L.hv_vcpus(lm).items()} \
        == {n: {v: s for v, (s, _) in vs.items()} for n, vs in before.items()}
    assert banners(lm, "primary") == ["domain primary: 4 vCPUs (0-3), 1024 MB memory"] * 2
    L.check(lm)
    assert len(banners(lm, "ldg1")) == 1
    assert L.progress(lm, "ldg1") > p0
    # stopping (not rebooting) the control domain stays refused
    _, err = L.ldm(lm, "stop-domain primary", status=1)
    assert "reboot it with 'ldm stop-domain -r primary'" in err[-1]
    L.ldm(lm, "remove-vcpu 1 ldg1")
    L.check(lm)
    assert L.online_vids(lm, "ldg1") == {0, 1, 2}


def test_primary_rebooting_by_itself_applies_the_pending_change():
    """primary's operating system reboots without the manager asking (here: the reboot
    request put on its relay's ring directly, as its own `reboot` would): the
    hypervisor applies the pending change as it resets primary, and the manager, on its
    new channels, reads the hypervisor's configuration and follows."""
    lm = boot()
    L.ldm(lm, "start-reconf primary")
    L.ldm(lm, "remove-vcpu 1 primary")
    assert lm.channels.relay.reboot()
    lm.advance("30ms")
    assert lm.wait_ready("20ms")
    lm.advance("1ms")
    assert flags(lm, "primary") == "-n-c--"
    assert row(lm, "primary")[4] == "3"
    L.check(lm)
    assert banners(lm, "primary")[-1] == "domain primary: 3 vCPUs (0-2), 1024 MB memory"
    assert any(e.text == "LDom primary rebooted by itself: its channels are up again"
               for e in lm.events())
    L.ldm(lm, "add-vcpu 1 ldg1")
    L.check(lm)
