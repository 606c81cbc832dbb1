"""Console groups on the running machine (`ldm set-vcons group=`, ldm/vcons.py, served by
ldm/vntsd.py): two guests in group SP share one port; a client picks each guest's
console at vntsd's prompt, by name and by number, and each guest's kernel answers
`vcpus` with its own view; `~.` goes back to the prompt; a client connecting after the
guest is up sees its prompt at once (the backlog)."""
import time

from setup_tools import ROOT, require_built
from test_vntsd import Client, ask, bindable, free_range

from ldm.live import LiveManager
from ldm.vntsd import prompt
from sun4v.boot.config import parse_config

KERNEL = ROOT / "build" / "fw" / "guest.bin"


def test_live_console_group():
    require_built(KERNEL)
    p = free_range()
    cfg = parse_config({"platform": "T5220", "vcc": {"port-range": f"{p}-{p + 7}"},
                        "domain": [dict(name="primary", vcpus=4, memory="1G")]})
    lm = LiveManager(cfg, vntsd=True)
    try:
        assert lm.wait_ready("40ms")
        lm.start()
        for line in ("add-domain ldg1", "add-vcpu 2 ldg1", "add-memory 1G ldg1",
                     f"set-vcons port={p + 4} group=SP service=primary-vcc0 ldg1",
                     "add-domain ldg2", "add-vcpu 3 ldg2", "add-memory 1G ldg2",
                     "set-vcons group=SP ldg2",
                     "bind-domain ldg1", "bind-domain ldg2",
                     "start-domain ldg1", "start-domain ldg2"):
            r = lm.execute(line.split())
            assert r.status == 0, (line, r.err)
        rows = {x.split()[0]: x.split() for x in lm.execute(["list"]).out[1:]}
        assert rows["primary"][2] == "-n-cv-"           # it serves the vcc
        assert rows["ldg1"][3] == rows["ldg2"][3] == str(p + 4)
        end = time.monotonic() + 30
        while bindable(p + 4) and time.monotonic() < end:
            time.sleep(0.05)
        pr = prompt("SP")
        c = Client(p + 4)
        try:
            c.until(pr)
            c.send(b"nldg2\r")
            c.until(b"options ..\r\n")
            assert b"3 vCPUs online: 0-2\r\n" in ask(c, b"vcpus", b"ldg2# ")
            c.send(b"~.")
            c.until(pr)
            c.send(b"l")
            got = c.until(pr).decode()
            assert f"{0:<20}{'ldg1':<30}{'online':<25}" in got
            assert f"{1:<20}{'ldg2':<30}{'online':<25}" in got
            c.send(b"c0\r")
            c.until(b"options ..\r\n")
            assert b"2 vCPUs online: 0-1\r\n" in ask(c, b"vcpus", b"ldg1# ")
        finally:
            c.close()
        # a late client: ldg1's prompt is there before anything is typed (the backlog)
        d = Client(p + 4)
        try:
            d.until(pr)
            d.send(b"c0\r")
            d.until(b"options ..\r\n")
            got = d.until(b"2 vCPUs online: 0-1\r\nldg1# ", 30)     # nothing typed
            assert b"services registered" in got          # the older lines first
        finally:
            d.close()
    finally:
        lm.close()
    assert bindable(p + 4)
