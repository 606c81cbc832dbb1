"""Virtual consoles over TCP as vntsd serves them (issue 14 §2, ldm/vntsd.py): the
console server alone (telnet negotiation per RFC 854/857/858, the ~ escapes, two
clients, a client leaving, the port released on close, a port in use), then a booted
T5220 whose guests' consoles are served on their ports: the guest's output reaches the
clients, a line typed reaches the guest kernel (cons_getchar) and its answer (`uptime`,
`vcpus`: the guest's own view) comes back, and `sun4v boot` itself serves them while it
runs and releases them when it stops."""
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

from ldm.vntsd import (BACKLOG_LINES, DO, DONT, IAC, OFFER, SB, SE, WILL, WONT, Vntsd,
                       VntsdError, banner)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_range(n=8):
    """A base port p with p..p+n-1 free on 127.0.0.1 now."""
    rnd = random.Random(os.getpid() ^ int(time.time() * 1000))
    for _ in range(200):
        p = rnd.randrange(20000, 60000 - n)
        socks = []
        try:
            for q in range(p, p + n):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                socks.append(s)
                s.bind(("127.0.0.1", q))
            return p
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


class Client:
    def __init__(self, port, timeout=60):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def until(self, what: bytes, limit=60.0) -> bytes:
        """Read until `what` arrived; return everything up to and including it."""
        end = time.monotonic() + limit
        while what not in self.buf:
            self.s.settimeout(max(0.01, end - time.monotonic()))
            try:
                d = self.s.recv(4096)
            except socket.timeout:
                raise AssertionError(f"{what!r} not received; got {self.buf!r}") from None
            if not d:
                raise AssertionError(f"closed before {what!r}; got {self.buf!r}")
            self.buf += d
        i = self.buf.index(what) + len(what)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def closed(self, limit=10.0) -> bool:
        end = time.monotonic() + limit
        while time.monotonic() < end:
            self.s.settimeout(max(0.01, end - time.monotonic()))
            try:
                d = self.s.recv(4096)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            if not d:
                return True
            self.buf += d
        return False

    def send(self, data: bytes):
        self.s.sendall(data)

    def close(self):
        self.s.close()


_marks = iter(range(1, 1 << 30))


def ask(c, line: bytes, prompt: bytes, limit=1200.0) -> bytes:
    """Type `line` on the guest's console through client `c`; the guest's answer up to
    its next `prompt`. A line no backlog can hold goes first (a word unique to this
    call, which the guest's monitor answers `WORD: command not found`), again every few
    seconds while the guest still boots: what follows its answer is this line's."""
    mark = f"mark{os.getpid()}x{next(_marks)}".encode()
    end = time.monotonic() + limit
    while True:
        c.send(mark + b"\r")
        try:
            c.until(mark + b": command not found\r\n", 5)
            break
        except AssertionError as e:
            if "closed before" in str(e) or time.monotonic() > end:
                raise
    c.send(line + b"\r")
    c.until(line + b"\r\n", 120)
    return c.until(prompt, 120)


def wait_input(v, name, want: bytes, limit=10.0) -> bytes:
    got = b""
    end = time.monotonic() + limit
    while time.monotonic() < end and len(got) < len(want):
        got += v.take_input().get(name, b"")
        time.sleep(0.01)
    return got


def bindable(port) -> bool:
    """Whether a server may listen on `port` (as vntsd does: SO_REUSEADDR, so the
    TIME_WAIT of a hung-up client does not count)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        return True
    except OSError:
        return False
    finally:
        s.close()


# ---- the server alone ------------------------------------------------------------

@pytest.fixture
def server():
    v = Vntsd()
    p = free_range()
    v.listen("ldg1", p)
    yield v, p
    v.close()


def test_banner_offer_backlog_then_live_output(server):
    v, p = server
    v.output("ldg1", b"before anyone connected\n")
    c = Client(p)
    head = c.until(b"options ..\r\n")
    assert head == OFFER + banner("ldg1")
    assert head.startswith(bytes([IAC, WILL, 1, IAC, WILL, 3, IAC, DONT, 34]))
    assert b'Connecting to console "ldg1" in group "ldg1" ....' in head
    # the backlog (written before the client came, its LF made CR LF) comes first
    assert c.until(b"connected\r\n") == b"before anyone connected\r\n"
    v.output("ldg1", b"hello\r\n\xffx")
    assert c.until(b"x") == b"hello\r\n\xff\xffx"          # IAC doubled on the wire
    v.output("ldg1", b"a\nb\r")                          # a bare LF gets its CR
    v.output("ldg1", b"\nc\n")
    assert c.until(b"c\r\n") == b"a\r\nb\r\nc\r\n"
    c.close()


def test_backlog_keeps_the_last_lines_and_the_prompt(server):
    """A client connecting late gets the last BACKLOG_LINES lines, the unfinished one
    (the guest's prompt) included, and nothing older."""
    v, p = server
    for i in range(BACKLOG_LINES + 10):
        v.output("ldg1", f"line {i}\n".encode())
    v.output("ldg1", b"ldg1# ")
    c = Client(p)
    c.until(b"options ..\r\n")
    got = c.until(b"ldg1# ")
    want = b"".join(f"line {i}\r\n".encode()
                    for i in range(10, BACKLOG_LINES + 10)) + b"ldg1# "
    assert got == want
    assert v.backlog("ldg1") == want
    c.close()


def test_telnet_negotiation_is_answered_and_taken_out(server):
    v, p = server
    c = Client(p)
    c.until(b"options ..\r\n")
    # what a telnet client sends: agreement to our offers, its own offers, a
    # subnegotiation (window size), data with an IAC IAC and CR NUL
    c.send(bytes([IAC, DO, 1, IAC, DO, 3, IAC, WONT, 34, IAC, WILL, 24, IAC, WILL, 3,
                  IAC, DO, 5]) + b"ab" + bytes([IAC, SB, 31, 0, 80, 0, 24, IAC, SE])
           + b"c" + bytes([IAC, IAC]) + b"d\r\0e\r\n")
    assert wait_input(v, "ldg1", b"abc\xffd\re\r\n") == b"abc\xffd\re\r\n"
    # answers: DONT TTYPE (24) to its WILL, DO SGA to its WILL SGA, WONT STATUS (5)
    ans = c.until(bytes([IAC, WONT, 5]))
    assert ans == bytes([IAC, DONT, 24, IAC, DO, 3, IAC, WONT, 5])
    # a client refusing our echo gets it acknowledged once
    c.send(bytes([IAC, DONT, 1, IAC, DONT, 1]))
    assert c.until(bytes([IAC, WONT, 1])) == bytes([IAC, WONT, 1])
    assert c.closed(0.3) is False and c.buf == b""
    c.close()


def test_plain_client_bytes_pass_unchanged(server):
    v, p = server
    c = Client(p)
    c.until(b"options ..\r\n")
    c.send(b"uptime\nvcpus\n")                             # nc: no telnet at all
    assert wait_input(v, "ldg1", b"uptime\nvcpus\n") == b"uptime\nvcpus\n"
    c.close()


def test_escapes_at_line_start(server):
    v, p = server
    c = Client(p)
    c.until(b"options ..\r\n")
    c.send(b"a~b\r~~x\r~?")
    assert b"disconnect" in c.until(b"~~  send a ~\r\n")
    assert wait_input(v, "ldg1", b"a~b\r~x\r") == b"a~b\r~x\r"
    c.send(b"\r~.")
    assert c.closed()
    assert wait_input(v, "ldg1", b"\r", 1.0) == b"\r"
    assert v.clients("ldg1") == 0


def test_two_clients_and_one_leaving(server):
    v, p = server
    a, b = Client(p), Client(p)
    a.until(b"options ..\r\n")
    b.until(b"options ..\r\n")
    v.output("ldg1", b"both\r\n")
    assert a.until(b"both\r\n").endswith(b"both\r\n")
    assert b.until(b"both\r\n").endswith(b"both\r\n")
    a.send(b"x")
    b.send(b"y")
    got = wait_input(v, "ldg1", b"xy")
    assert sorted(got) == sorted(b"xy")
    a.close()
    for _ in range(100):
        if v.clients("ldg1") == 1:
            break
        time.sleep(0.02)
    assert v.clients("ldg1") == 1
    v.output("ldg1", b"still\r\n")
    assert b.until(b"still\r\n").endswith(b"still\r\n")
    b.send(b"z")
    assert wait_input(v, "ldg1", b"z") == b"z"
    b.close()


def test_close_releases_port_and_hangs_up():
    v = Vntsd()
    p = free_range()
    v.listen("ldg1", p)
    assert not bindable(p)
    c = Client(p)
    c.until(b"options ..\r\n")
    v.close()
    assert c.closed()
    assert bindable(p)


def test_port_in_use_is_one_line_error():
    p = free_range()
    hog = socket.socket()
    hog.bind(("127.0.0.1", p))
    hog.listen(1)
    v = Vntsd()
    try:
        with pytest.raises(VntsdError) as e:
            v.listen("ldg1", p)
        msg = str(e.value)
        assert "\n" not in msg and str(p) in msg and "ldg1" in msg and "in use" in msg
        assert v.sync({"ldg1": p, "ldg2": p + 1}) == [msg]
        assert v.ports == {"ldg2": p + 1}
    finally:
        v.close()
        hog.close()


def test_sync_follows_bindings():
    v = Vntsd()
    p = free_range()
    try:
        assert v.sync({"ldg1": p, "ldg2": p + 1, "primary": None}) == []
        assert v.ports == {"ldg1": p, "ldg2": p + 1}
        c = Client(p + 1)
        c.until(b"options ..\r\n")
        assert v.sync({"ldg1": p, "ldg2": p + 2}) == []     # ldg2 moved
        assert c.closed() and bindable(p + 1) and not bindable(p + 2)
        v.sync({"ldg1": p})                                  # ldg2 unbound
        assert v.ports == {"ldg1": p} and bindable(p + 2)
    finally:
        v.close()


# ---- a booted machine ------------------------------------------------------------

@pytest.fixture(scope="module")
def machine():
    from sun4v.boot.config import parse_config
    from sun4v.boot.system import System
    p = free_range()
    cfg = parse_config({"platform": "T5220", "vcc": {"port-range": f"{p}-{p + 7}"},
                        "domain": [dict(name="primary", vcpus=4, memory="1G"),
                                   dict(name="ldg1", vcpus=3, memory="1G"),
                                   dict(name="ldg2", vcpus=2, memory="1G",
                                        workload="int", iterations=400)]})
    s = System(cfg)
    assert s.console_ports() == {"ldg1": p, "ldg2": p + 1}
    v = Vntsd()
    assert v.sync(s.console_ports()) == []
    s.console_input = v.take_input
    stop = threading.Event()
    errors = []

    def run():
        try:
            while not stop.is_set():
                r = s.run(until=s.m.time + s.steps("2ms"), on_output=v.output)
                assert r.reason == "until", r
        except BaseException as e:          # noqa: BLE001
            errors.append(e)
    th = threading.Thread(target=run, daemon=True)
    th.start()
    # the guests up first (a cold numba cache compiles the engine for minutes)
    end = time.monotonic() + 1200
    while not all("workload" in s.console(n) for n in ("ldg1", "ldg2")):
        assert time.monotonic() < end and th.is_alive(), errors
        time.sleep(0.1)
    yield s, v, p
    stop.set()
    th.join(120)
    v.close()
    assert not errors, errors


def test_guest_answers_over_tcp(machine):
    s, v, p = machine
    c = Client(p)
    c.until(b"options ..\r\n")
    c.send(b"uptime\r\n")
    # the guest echoes (the telnet client is in remote-echo mode), answers, prompts
    out = c.until(b"ldg1# ").decode("latin-1")
    assert "uptime\r\n" in out, out
    m = re.search(r"up (\d+)\.(\d{3}) ms, (\d+) vCPUs online\r\n", out)
    assert m and int(m.group(3)) == 3, out
    assert 0 < int(m.group(1)) * 1000 + int(m.group(2)) <= s.seconds * 1e6
    c.send(b"vcpus\r")
    assert "3 vCPUs online: 0-2\r\n" in c.until(b"ldg1# ").decode()
    c.send(b"bogus\r")
    assert "bogus: command not found" in c.until(b"ldg1# ").decode()
    # what went over TCP is what the guest wrote on its console
    assert "up " in s.console("ldg1") and "bogus: command not found" in s.console("ldg1")
    assert "ldg1#" not in s.console("ldg2")
    c.close()


def test_two_clients_one_leaves_guest_undisturbed(machine):
    s, v, p = machine
    a, b = Client(p + 1), Client(p + 1)
    a.until(b"options ..\r\n")
    b.until(b"options ..\r\n")
    a.send(b"vcpus\r")
    for cl in (a, b):                        # both see the answer to a's line
        assert "2 vCPUs online: 0-1\r\n" in cl.until(b"ldg2# ").decode()
    a.close()
    time.sleep(0.2)
    b.send(b"uptime\r")
    assert "2 vCPUs online" in b.until(b"ldg2# ").decode()
    b.close()
    # the workload ran on undisturbed and its result is the definition's
    import guestkit as K
    end = time.monotonic() + 120
    while "done: result" not in s.console("ldg2") and time.monotonic() < end:
        time.sleep(0.1)
    m = re.search(r"workload int: done: result 0x([0-9a-f]+)", s.console("ldg2"))
    assert m and int(m.group(1), 16) == K.int_result(2, 400)


def _boot_cfg(tmp_path, p):
    cfg = tmp_path / "m.toml"
    cfg.write_text(f'platform = "T5220"\n[vcc]\nport-range = "{p}-{p + 7}"\n'
                   '[[domain]]\nname = "primary"\nvcpus = 4\nmemory = "1G"\n'
                   '[[domain]]\nname = "ldg1"\nvcpus = 2\nmemory = "1G"\n')
    return cfg


def _sun4v(args, **kw):
    env = dict(os.environ, SUN4V_VNTSD="1")
    return subprocess.Popen([sys.executable, "-m", "sun4v", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_sun4v_boot_serves_console_and_releases_port(tmp_path):
    p = free_range()
    proc = _sun4v(["boot", str(_boot_cfg(tmp_path, p)), "--until", "400ms"])
    # the client connects before the guest boots (the port opens before the first
    # instruction) and so sees its whole console
    try:
        end = time.monotonic() + 180
        c = None
        while c is None:
            try:
                c = Client(p)
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < end, "the console port never opened"
                time.sleep(0.1)
        c.until(b"options ..\r\n")
        c.until(b"workload idle\r\n", 1200)     # booted (a cold cache compiles first)
        c.send(b"vcpus\r\n")
        assert "2 vCPUs online: 0-1\r\n" in c.until(b"ldg1# ", 120).decode()
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert c.closed()                        # hung up when the machine stopped
    assert bindable(p)
    # the stdout console shows the session too
    mine = [x for x in out.decode().splitlines() if x.startswith("[ldg1] ")]
    i = mine.index("[ldg1] vcpus")
    assert mine[i + 1] == "[ldg1] 2 vCPUs online: 0-1", mine
    c.close()


def test_sun4v_boot_port_in_use(tmp_path):
    p = free_range()
    hog = socket.socket()
    hog.bind(("127.0.0.1", p))
    hog.listen(1)
    try:
        proc = _sun4v(["boot", str(_boot_cfg(tmp_path, p)), "--until", "1ms",
                       "--console", str(tmp_path / "cons")])
        out, err = proc.communicate(timeout=300)
    finally:
        hog.close()
    assert proc.returncode == 2
    lines = err.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sun4v: "), err
    assert f"port {p}" in lines[0] and "ldg1" in lines[0] and "in use" in lines[0]
    assert out == b"" and not (tmp_path / "cons").exists()


# ---- the [vcc] table of a boot configuration -------------------------------------

def _cfg(vcc):
    d = {"platform": "T5220", "domain": [dict(name="primary", vcpus=4, memory="1G"),
                                         dict(name="ldg1", vcpus=2, memory="1G"),
                                         dict(name="ldg2", vcpus=2, memory="1G")]}
    if vcc is not None:
        d["vcc"] = vcc
    return d


def test_boot_config_vcc_table():
    from sun4v.boot.config import BootError, parse_config
    assert parse_config(_cfg(None)).vcc is None
    assert parse_config(_cfg({"port-range": "6000-6010"})).vcc == ("primary-vcc0", 6000,
                                                                  6010)
    assert parse_config(_cfg({"port-range": "6000-6000", "name": "v0"})).vcc == \
        ("v0", 6000, 6000)
    for bad, words in (({"port-range": "6010-6000"}, "above"),
                       ({"port-range": "6000"}, "x-y"),
                       ({"port-range": "80-90"}, "1024-65535"),
                       ({"port-range": "6000-70000"}, "1024-65535"),
                       ({}, "port-range is missing"),
                       ({"port-range": "6000-6001", "ports": 1}, "unknown key 'ports'"),
                       ("6000-6001", "must be a table")):
        with pytest.raises(BootError) as e:
            parse_config(_cfg(bad))
        assert words in str(e.value) and "\n" not in str(e.value), (bad, str(e.value))


def test_boot_ports_come_from_the_vcc_range():
    from sun4v.boot.config import parse_config
    from sun4v.boot.system import System
    s = System.__new__(System)
    from sun4v.boot.system import topology_of
    from sun4v.machine import platforms
    s.topology = topology_of(platforms.platform("T5220"))
    b = s._bind(parse_config(_cfg({"port-range": "6100-6101"})))
    assert [b.get(n).console.port for n in ("primary", "ldg1", "ldg2")] == [None, 6100, 6101]
    b = s._bind(parse_config(_cfg(None)))
    assert [b.get(n).console.port for n in ("ldg1", "ldg2")] == [5000, 5001]
    from sun4v.boot.config import BootError
    with pytest.raises(BootError) as e:
        s._bind(parse_config(_cfg({"port-range": "6100-6100"})))
    assert str(e.value) == "domain ldg2: No free console port in 6100-6100"
