"""vntsd: the virtual network terminal server daemon -- each guest domain's console on
a TCP port of 127.0.0.1 (the domain's port, the vcc's port range; reference
ldm_xscf.md A3: CONS = the vcc TCP port), for `telnet localhost PORT` or `nc`.

    v = Vntsd()
    v.listen("ldg1", 5000)            # VntsdError: the port cannot be served
    v.output("ldg1", b"...")          # the guest wrote on its console (any thread)
    v.take_input()                    # {"ldg1": b"uptime\\r"}: what clients typed
    v.sync({"ldg1": 5000, ...})       # follow bindings: listen / stop as they change
    v.close()                         # every port released, every client hung up

As Solaris's vntsd does (its manual page: one console per guest, a group per port,
telnet clients):
- output lines end in CR LF (a bare LF gets its CR, RFC 854's network end of line);
- a client connecting gets the banner `Connecting to console "NAME" in group "NAME"
  ....` / `Press ~? for control options ..`, then the console's output from then on
  (the console is a terminal, not a log: nothing is replayed);
- the telnet options that put a telnet client in character mode with the remote echo
  (IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC DONT LINEMODE; RFC 857, 858, 1184)
  are offered on connection; the client's negotiation (IAC DO/DONT/WILL/WONT, IAC SB ..
  IAC SE) is answered or taken out of the data (an option we did not offer is refused,
  RFC 854's rule for unknown options: no answer to an answer), IAC IAC is a data 0xFF,
  CR NUL is CR; a client that speaks no telnet (nc) sends plain bytes;
- at the start of a line `~.` disconnects the client, `~?` lists the escapes, `~~`
  sends one `~`;
- every connected client sees the output and may type (the guest sees the bytes in
  arrival order); a client leaving disturbs nothing else.

The sockets are served by one I/O thread (selectors); output is queued per client and
written by that thread, so the machine never waits for a slow client (one holding more
than MAX_PENDING unsent bytes loses the oldest). Input waits for take_input(), which the
machine's run loop calls between slices and feeds to the guest's console (its UART
receive FIFO, read by the hypervisor's cons_getchar)."""
from __future__ import annotations

import errno
import os
import selectors
import socket
import threading

from .errors import LdmError

HOST = "127.0.0.1"
MAX_PENDING = 1 << 20

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
NOP, BRK, IP, AYT = 241, 243, 244, 246
OPT_ECHO, OPT_SGA, OPT_LINEMODE = 1, 3, 34
OFFER = bytes([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DONT, OPT_LINEMODE])
ESCAPES = (b"~.  disconnect from the console\r\n"
           b"~?  this list\r\n"
           b"~~  send a ~\r\n")


def enabled() -> bool:
    """Whether machines serve their consoles over TCP: yes, unless the environment has
    SUN4V_VNTSD=0 (or off, no): the test suite, which runs many machines at once."""
    return os.environ.get("SUN4V_VNTSD", "1").lower() not in ("0", "off", "no")


class VntsdError(LdmError):
    """A console port that cannot be served (in use, not permitted)."""


def banner(name: str) -> bytes:
    return (f'Connecting to console "{name}" in group "{name}" ....\r\n'
            f"Press ~? for control options ..\r\n").encode()


class _Client:
    def __init__(self, sock, name):
        self.sock = sock
        self.name = name
        self.out = bytearray()
        self.state = "data"         # telnet parser: data, iac, opt, sb, sb_iac
        self.verb = 0
        self.line_start = True      # for the ~ escapes
        self.tilde = False
        self.last_cr = False
        self.closing = False
        self.will = {OPT_ECHO, OPT_SGA}     # the options we do (offered on connection)


class Vntsd:
    """The console server (see the module docstring). Thread-safe."""

    def __init__(self, host: str = HOST):
        self.host = host
        self._lock = threading.Lock()
        self._sel = selectors.DefaultSelector()
        self._listeners: dict[str, socket.socket] = {}
        self.ports: dict[str, int] = {}
        self._clients: list[_Client] = []
        self._input: dict[str, bytearray] = {}
        self._last: dict[str, int] = {}      # the last byte output on each console
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self._sel.register(self._r, selectors.EVENT_READ, ("wake", None))
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="vntsd", daemon=True)
        self._thread.start()

    # ---- the machine's side -------------------------------------------------------
    def listen(self, name: str, port: int) -> None:
        """Serve domain `name`'s console on 127.0.0.1:`port`. VntsdError (one line) when
        the port cannot be bound (another program has it, or it is privileged)."""
        with self._lock:
            if self.ports.get(name) == port:
                return
        self.drop(name)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((self.host, port))
            s.listen(8)
        except OSError as e:
            s.close()
            why = os.strerror(e.errno) if e.errno else str(e)
            if e.errno == errno.EADDRINUSE:
                why = "the port is in use by another program"
            raise VntsdError(f"Cannot serve the console of {name} on {self.host} port "
                             f"{port}: {why}") from None
        s.setblocking(False)
        with self._lock:
            self._listeners[name] = s
            self.ports[name] = port
            self._input.setdefault(name, bytearray())
            self._sel.register(s, selectors.EVENT_READ, ("listen", name))
        self._wake()

    def drop(self, name: str) -> None:
        """Stop serving `name`'s console: its port is released, its clients hung up."""
        with self._lock:
            s = self._listeners.pop(name, None)
            self.ports.pop(name, None)
            if s is not None:
                self._sel.unregister(s)
                s.close()
            for c in self._clients:
                if c.name == name:
                    c.closing = True
        self._wake()

    def sync(self, ports: dict) -> list[str]:
        """Serve exactly the consoles in `ports` ({name: port or None}): new ones
        listened on, moved ones re-listened, gone ones dropped. Returns the one-line
        errors of the ports that could not be served (those consoles are not served)."""
        errs = []
        for name in [n for n in self.ports if ports.get(n) is None]:
            self.drop(name)
        for name, port in ports.items():
            if port is None or self.ports.get(name) == port:
                continue
            try:
                self.listen(name, port)
            except VntsdError as e:
                errs.append(str(e))
        return errs

    def output(self, name: str, data: bytes) -> None:
        """The guest wrote `data` on its console: to every client of `name`."""
        if not data:
            return
        data = bytes(data)
        with self._lock:
            # the network's end of line is CR LF (RFC 854, the NVT): a bare LF (the
            # guest kernel's kprintf) becomes CR LF, as a tty's ONLCR would make it
            prev = self._last.get(name, 0)
            out = bytearray()
            for b in data:
                if b == 10 and prev != 13:
                    out.append(13)
                out.append(b)
                prev = b
            self._last[name] = prev
            data = bytes(out).replace(b"\xff", b"\xff\xff")     # IAC as data
            any_ = False
            for c in self._clients:
                if c.name == name and not c.closing:
                    c.out += data
                    if len(c.out) > MAX_PENDING:
                        del c.out[:len(c.out) - MAX_PENDING]
                    any_ = True
        if any_:
            self._wake()

    def take_input(self) -> dict[str, bytes]:
        """{name: bytes typed since the last call} for the consoles that got any."""
        with self._lock:
            got = {n: bytes(b) for n, b in self._input.items() if b}
            for n in got:
                self._input[n].clear()
        return got

    def clients(self, name: str) -> int:
        """How many clients are connected to `name`'s console."""
        with self._lock:
            return sum(1 for c in self._clients if c.name == name and not c.closing)

    def close(self) -> None:
        """Release every port and hang up every client (the machine stopped)."""
        if self._closed:
            return
        self._closed = True
        self._wake()
        self._thread.join(5)
        with self._lock:
            for s in self._listeners.values():
                s.close()
            self._listeners.clear()
            self.ports.clear()
            for c in self._clients:
                c.sock.close()
            self._clients.clear()
        self._sel.close()
        self._r.close()
        self._w.close()

    # ---- the I/O thread -----------------------------------------------------------
    def _wake(self):
        try:
            self._w.send(b"x")
        except OSError:
            pass                        # the wake-up pipe is full (a wake-up is pending)

    def _serve(self):
        while not self._closed:
            with self._lock:
                self._update_interest()
            for key, ev in self._sel.select(1.0):
                kind, who = key.data
                if kind == "wake":
                    try:
                        while self._r.recv(4096):
                            pass
                    except OSError:
                        pass
                elif kind == "listen":
                    self._accept(key.fileobj, who)
                else:
                    if ev & selectors.EVENT_READ:
                        self._read(who)
                    if ev & selectors.EVENT_WRITE:
                        self._write(who)

    def _update_interest(self):
        for c in list(self._clients):
            if c.closing and not c.out:
                self._hang_up(c)
                continue
            want = selectors.EVENT_READ | (selectors.EVENT_WRITE if c.out else 0)
            if c.closing:
                want = selectors.EVENT_WRITE
            try:
                if self._sel.get_key(c.sock).events != want:
                    self._sel.modify(c.sock, want, ("client", c))
            except (KeyError, ValueError):
                pass

    def _hang_up(self, c):
        try:
            self._sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        if c in self._clients:
            self._clients.remove(c)

    def _accept(self, ls, name):
        try:
            sock, _ = ls.accept()
        except OSError:
            return
        sock.setblocking(False)
        c = _Client(sock, name)
        c.out += OFFER + banner(name)
        with self._lock:
            if self._listeners.get(name) is not ls:
                sock.close()
                return
            self._clients.append(c)
            self._sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE,
                               ("client", c))

    def _read(self, c):
        try:
            data = c.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        with self._lock:
            if not data:                # the client left
                self._hang_up(c)
                return
            if not c.closing:
                typed = self._telnet(c, data)
                if typed and c.name in self._listeners:
                    self._input.setdefault(c.name, bytearray()).extend(typed)

    def _write(self, c):
        with self._lock:
            if not c.out:
                return
            try:
                n = c.sock.send(c.out)
            except BlockingIOError:
                return
            except OSError:
                self._hang_up(c)
                return
            del c.out[:n]

    # ---- telnet (RFC 854) and the escapes ------------------------------------------
    def _telnet(self, c, data: bytes) -> bytes:
        """The bytes the guest gets from `data`; answers negotiation into c.out."""
        typed = bytearray()
        for b in data:
            st = c.state
            if st == "data":
                if b == IAC:
                    c.state = "iac"
                else:
                    self._char(c, b, typed)
            elif st == "iac":
                if b == IAC:
                    c.state = "data"
                    self._char(c, IAC, typed)
                elif b in (DO, DONT, WILL, WONT):
                    c.verb, c.state = b, "opt"
                elif b == SB:
                    c.state = "sb"
                else:                               # NOP, BRK, IP, AYT, GA ...: dropped
                    c.state = "data"
            elif st == "opt":
                c.state = "data"
                self._negotiate(c, c.verb, b)
            elif st == "sb":
                if b == IAC:
                    c.state = "sb_iac"
            elif st == "sb_iac":
                c.state = "data" if b == SE else "sb"
        return bytes(typed)

    @staticmethod
    def _negotiate(c, verb, opt):
        # we offered WILL ECHO / WILL SGA: DO for them is the agreement, no answer;
        # DONT for them is acknowledged once (WONT); DO for anything else is refused. The client's WILL SGA we accept
        # (character mode both ways); any other WILL is refused (DONT). DONT / WONT
        # need no answer (RFC 854: an option is off unless agreed).
        if verb == DO and opt not in c.will:
            c.out += bytes([IAC, WONT, opt])
        elif verb == DONT and opt in c.will:        # the client refuses an offer
            c.will.discard(opt)
            c.out += bytes([IAC, WONT, opt])
        elif verb == WILL and opt == OPT_SGA:
            c.out += bytes([IAC, DO, opt])
        elif verb == WILL:
            c.out += bytes([IAC, DONT, opt])

    def _char(self, c, b, typed):
        if c.last_cr and b in (0, 10):              # CR NUL / CR LF: the CR was enough
            c.last_cr = False
            if b == 0:
                return
        c.last_cr = b == 13
        if c.tilde:
            c.tilde = False
            if b == ord("."):
                c.out += b"\r\n"
                c.closing = True
                return
            if b == ord("?"):
                c.out += ESCAPES
                return
            if b != ord("~"):
                typed.append(ord("~"))
            typed.append(b)
            c.line_start = False
            return
        if b == ord("~") and c.line_start:
            c.tilde = True
            return
        typed.append(b)
        c.line_start = b in (10, 13)
