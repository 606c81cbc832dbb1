"""A DRM policy's time-of-day window on a running machine (reference ldm_xscf.md A7:
"The policy is active only between tod-begin and tod-end"). The time of day is the
machine's own TOD clock (ldm/drm.py: unscaled, LiveManager.tod()); the test sets that
clock as its owner would (one 8-byte store to the TOD device, as the hypervisor's
`tod` register takes it) and checks that a busy domain's policy acts only while the
clock reads inside [tod-begin, tod-end], both ends included."""
import livekit as L

DAY0 = 1_700_000_000 - 1_700_000_000 % 86400        # a midnight, UTC


def set_clock(lm, hh, mm, ss):
    lm.m.tod.write(0, 8, DAY0 + hh * 3600 + mm * 60 + ss, 0)
    assert lm.tod() == hh * 3600 + mm * 60 + ss


def vcpus(lm, name="ldg1"):
    return len(L.hv_vcpus(lm)[name])


def test_policy_acts_only_inside_its_time_of_day_window():
    lm = L.boot([dict(name="primary", vcpus=4, memory="1G"),
                 dict(name="ldg1", vcpus=4, memory="1G", workload="int", threads=8,
                      iterations=100_000_000)])
    set_clock(lm, 8, 59, 59)                 # one second before the window opens
    L.ldm(lm, "add-policy util-upper=60 util-lower=20 vcpu-min=2 vcpu-max=8 attack=2 "
              "decay=1 sample-rate=1 tod-begin=09:00 tod-end=17:00 name=office ldg1")
    lm.advance("5ms")                        # five sample periods (drm_scale 1e-3)
    assert lm.tod() == 8 * 3600 + 59 * 60 + 59
    assert vcpus(lm) == 4                    # busy, but outside the window
    assert not [e for e in lm.events() if e.kind == "policy"]

    set_clock(lm, 9, 0, 0)                   # tod-begin: inside
    lm.advance("5ms")
    assert vcpus(lm) == 8                    # grew by attack 2, twice, to vcpu-max
    L.check(lm)
    why = [e.text for e in lm.events() if e.kind == "policy"]
    assert any("policy office: utilisation" in t and "add 2 vCPUs (4 -> 6): done" in t
               for t in why), why

    L.ldm(lm, "set-vcpu 4 ldg1")
    seq = lm.events()[-1].seq
    set_clock(lm, 17, 0, 1)                  # one second after tod-end
    lm.advance("5ms")
    assert vcpus(lm) == 4
    assert not [e for e in lm.events(seq) if e.kind == "policy"]

    set_clock(lm, 17, 0, 0)                  # tod-end itself: inside
    lm.advance("5ms")
    assert vcpus(lm) > 4
    L.check(lm)
