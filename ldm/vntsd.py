"""vntsd: the virtual network terminal server daemon -- each guest domain's console on
a TCP port of 127.0.0.1 (the domain's port, the vcc's port range; reference
ldm_xscf.md A3: CONS = the vcc TCP port), for `telnet localhost PORT` or `nc`.

    v = Vntsd()
    v.listen("ldg1", 5000)            # VntsdError: the port cannot be served
    v.listen("ldg2", 5001, group="SP")    # console groups: one port, several consoles
    v.listen("ldg3", 5001, group="SP")
    v.output("ldg1", b"...")          # the guest wrote on its console (any thread)
    v.take_input()                    # {"ldg1": b"uptime\\r"}: what clients typed
    v.sync({"ldg1": 5000, "ldg2": (5001, "SP"), ...})   # follow bindings
    v.close()                         # every port released, every client hung up

As Solaris's vntsd does (its manual page and its sources' console selection: a group
per port, one or more consoles per group, telnet clients):
- output lines end in CR LF (a bare LF gets its CR, RFC 854's network end of line);
- a client connecting to a group of one console is connected to it at once; to a group
  of several it gets the group's prompt `HOST-vnts-GROUP: h, l, c{id}, n{name}, q:`
  (`vnts: ...` when that is 72 characters or more), where `l` lists the consoles
  (`DOMAIN ID` / `DOMAIN NAME` / `DOMAIN STATE`, columns of 20, 30 and 25, the state
  `online` or `connected`), `c{id}` / `n{name}` (then Return) connects to one, `q`
  quits and anything else prints the help; the command letter is echoed;
- connected, a client gets the banner `Connecting to console "NAME" in group "GROUP"
  ....` / `Press ~? for control options ..`, then the console's recent output (its
  last BACKLOG_LINES lines, the line being written included, so that a client connecting
  late sees the prompt: this project's choice, where Solaris's vcc keeps its own
  buffer), then the output from then on;
- the telnet options that put a telnet client in character mode with the remote echo
  (IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC DONT LINEMODE; RFC 857, 858, 1184)
  are offered on connection; the client's negotiation (IAC DO/DONT/WILL/WONT, IAC SB ..
  IAC SE) is answered or taken out of the data (an option we did not offer is refused,
  RFC 854's rule for unknown options: no answer to an answer), IAC IAC is a data 0xFF,
  CR NUL is CR; a client that speaks no telnet (nc) sends plain bytes;
- at the start of a line `~.` leaves the console: back to the group's prompt when the
  group has other consoles, else the client is disconnected; `~?` lists the escapes,
  `~~` sends one `~`;
- every connected client sees the output and may type (the guest sees the bytes in
  arrival order); a client leaving disturbs nothing else; a console removed sends its
  clients back to the prompt (or hangs them up when its group has one console left).

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
BACKLOG_LINES = 24              # a terminal's screen of recent output for a new client
BACKLOG_MAX = 8192              # bytes, at most
EOL = b"\r\n"

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
NOP, BRK, IP, AYT = 241, 243, 244, 246
OPT_ECHO, OPT_SGA, OPT_LINEMODE = 1, 3, 34
OFFER = bytes([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DONT, OPT_LINEMODE])
ESCAPES = (b"~.  leave the console (back to the group's prompt, or disconnect)\r\n"
           b"~?  this list\r\n"
           b"~~  send a ~\r\n")


def enabled() -> bool:
    """Whether machines serve their consoles over TCP: yes, unless the environment has
    SUN4V_VNTSD=0 (or off, no): the test suite, which runs many machines at once."""
    return os.environ.get("SUN4V_VNTSD", "1").lower() not in ("0", "off", "no")


class VntsdError(LdmError):
    """A console port that cannot be served (in use, not permitted)."""


def banner(name: str, group: str | None = None) -> bytes:
    """What a client connected to console `name` of `group` (default: its own) gets
    first."""
    return (f'Connecting to console "{name}" in group "{group or name}" ....\r\n'
            f"Press ~? for control options ..\r\n").encode()


def prompt(group: str, host: str | None = None) -> bytes:
    """The console selection prompt of a group of several consoles (vntsd's)."""
    host = socket.gethostname() if host is None else host
    p = f"{host}-vnts-{group}: h, l, c{{id}}, n{{name}}, q:"
    if len(p) >= 72:
        p = "vnts: h, l, c{id}, n{name}, q:"
    return p.encode()


HELP = (b"h -- this help\r\n"
        b"l -- list of consoles\r\n"
        b"q -- quit\r\n"
        b"c{id}, n{name} -- connect to a console of domain {id} or domain {name}\r\n")
LIST_HEAD = f"{'DOMAIN ID':<20}{'DOMAIN NAME':<30}{'DOMAIN STATE':<25}".encode() + EOL


def list_line(cons_no: int, name: str, state: str) -> bytes:
    return f"{cons_no:<20}{name:<30}{state:<25}".encode() + EOL


class _Group:
    def __init__(self, name, port, sock):
        self.name = name
        self.port = port
        self.sock = sock
        self.members: list[str] = []        # console (domain) names, in joining order


class _Client:
    def __init__(self, sock, group):
        self.sock = sock
        self.group = group          # the _Group whose port it connected to
        self.name = None            # the console it is connected to (None: selecting)
        self.mode = "select"        # select (a command letter), line (c/n operand), console
        self.cmd = ""
        self.line = bytearray()
        self.out = bytearray()
        self.state = "data"         # telnet parser: data, iac, opt, sb, sb_iac
        self.verb = 0
        self.line_start = True      # for the ~ escapes
        self.tilde = False
        self.last_cr = False
        self.cr_console = False     # the last CR went to the console (not the selection)
        self.closing = False
        self.will = {OPT_ECHO, OPT_SGA}     # the options we do (offered on connection)


def _nvt(data: bytes) -> bytes:
    return bytes(data).replace(b"\xff", b"\xff\xff")        # IAC as data


class Vntsd:
    """The console server (see the module docstring). Thread-safe."""

    def __init__(self, host: str = HOST):
        self.host = host
        self._lock = threading.Lock()
        self._sel = selectors.DefaultSelector()
        self._groups: dict[str, _Group] = {}
        self.ports: dict[str, int] = {}         # console -> port
        self._group_of: dict[str, str] = {}     # console -> group name
        self._cons_no: dict[str, int] = {}      # console -> its id in the group lists
        self._clients: list[_Client] = []
        self._input: dict[str, bytearray] = {}
        self._last: dict[str, int] = {}      # the last byte output on each console
        self._backlog: dict[str, bytearray] = {}
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self._sel.register(self._r, selectors.EVENT_READ, ("wake", None))
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="vntsd", daemon=True)
        self._thread.start()

    # ---- the machine's side -------------------------------------------------------
    def listen(self, name: str, port: int, group: str | None = None) -> None:
        """Serve domain `name`'s console on 127.0.0.1:`port` in console group `group`
        (default: its own, named `name`). VntsdError (one line) when the port cannot be
        bound (another program has it, or it is privileged), when the group is served
        on another port, or when another group has the port."""
        group = group or name
        with self._lock:
            if self.ports.get(name) == port and self._group_of.get(name) == group:
                return
        self.drop(name)
        with self._lock:
            g = self._groups.get(group)
            if g is not None and g.port != port:
                raise VntsdError(f"Cannot serve the console of {name} on {self.host} "
                                 f"port {port}: its group {group} is served on port "
                                 f"{g.port}")
            other = next((x for x in self._groups.values()
                          if x.port == port and x.name != group), None)
            if other is not None:
                raise VntsdError(f"Cannot serve the console of {name} on {self.host} "
                                 f"port {port}: console group {other.name} has it")
            if g is not None:
                self._join(g, name)
                return
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
            g = _Group(group, port, s)
            self._groups[group] = g
            self._sel.register(s, selectors.EVENT_READ, ("listen", g))
            self._join(g, name)
        self._wake()

    def _join(self, g, name):
        g.members.append(name)
        self.ports[name] = g.port
        self._group_of[name] = g.name
        self._cons_no.setdefault(name, len(self._cons_no))
        self._input.setdefault(name, bytearray())

    def drop(self, name: str) -> None:
        """Stop serving `name`'s console: its clients go back to their group's prompt
        (hung up when one console or none is left); the group's port is released when
        it was the last console."""
        with self._lock:
            gname = self._group_of.pop(name, None)
            self.ports.pop(name, None)
            g = self._groups.get(gname) if gname is not None else None
            if g is None:
                return
            g.members.remove(name)
            if not g.members:
                del self._groups[gname]
                self._sel.unregister(g.sock)
                g.sock.close()
                for c in self._clients:
                    if c.group is g:
                        c.closing = True
            else:
                for c in self._clients:
                    if c.name == name and not c.closing:
                        self._leave(c)
        self._wake()

    def sync(self, ports: dict) -> list[str]:
        """Serve exactly the consoles in `ports` ({name: port, (port, group) or None}):
        new ones listened on, moved ones (port or group changed) re-listened, gone ones
        dropped. Returns the one-line errors of the consoles that could not be served
        (those are not served)."""
        want = {}
        for name, v in ports.items():
            if v is None:
                continue
            port, group = (v, None) if isinstance(v, int) else v
            want[name] = (int(port), group or name)
        for name in list(self.ports):
            if (self.ports[name], self._group_of.get(name)) != want.get(name):
                self.drop(name)
        errs = []
        for name, (port, group) in want.items():
            try:
                self.listen(name, port, group)
            except VntsdError as e:
                errs.append(str(e))
        return errs

    def output(self, name: str, data: bytes) -> None:
        """The guest wrote `data` on its console: to every client of `name`, and to its
        backlog (the last BACKLOG_LINES lines, for clients connecting later)."""
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
            bl = self._backlog.setdefault(name, bytearray())
            bl += out
            n = bl.count(b"\n")
            if n > BACKLOG_LINES:
                cut = 0
                for _ in range(n - BACKLOG_LINES):
                    cut = bl.index(b"\n", cut) + 1
                del bl[:cut]
            if len(bl) > BACKLOG_MAX:
                del bl[:len(bl) - BACKLOG_MAX]
            data = _nvt(out)
            any_ = False
            for c in self._clients:
                if c.name == name and not c.closing:
                    c.out += data
                    if len(c.out) > MAX_PENDING:
                        del c.out[:len(c.out) - MAX_PENDING]
                    any_ = True
        if any_:
            self._wake()

    def backlog(self, name: str) -> bytes:
        """The recent output of `name`'s console a new client gets (CR LF line ends)."""
        with self._lock:
            return bytes(self._backlog.get(name, b""))

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

    def groups(self) -> dict[str, tuple[int, list[str]]]:
        """{group: (port, [console names])} served now."""
        with self._lock:
            return {g.name: (g.port, list(g.members)) for g in self._groups.values()}

    def close(self) -> None:
        """Release every port and hang up every client (the machine stopped)."""
        if self._closed:
            return
        self._closed = True
        self._wake()
        self._thread.join(5)
        with self._lock:
            for g in self._groups.values():
                g.sock.close()
            self._groups.clear()
            self.ports.clear()
            self._group_of.clear()
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

    def _accept(self, ls, g):
        try:
            sock, _ = ls.accept()
        except OSError:
            return
        sock.setblocking(False)
        c = _Client(sock, g)
        c.out += OFFER
        with self._lock:
            if self._groups.get(g.name) is not g:
                sock.close()
                return
            self._enter(c)
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
                self._telnet(c, data)

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

    # ---- console selection (vntsd's group prompt) ------------------------------------
    def _enter(self, c):
        """A client arriving (or leaving a console) in its group: straight to the
        console of a group of one, else the group's prompt."""
        m = c.group.members
        if len(m) == 1:
            self._connect(c, m[0])
        else:
            self._prompt(c)

    def _leave(self, c):
        """The client leaves its console (`~.`, or the console was removed)."""
        c.name = None
        if len(c.group.members) > 1:
            self._prompt(c)
        else:
            c.closing = True

    def _prompt(self, c):
        c.name, c.mode = None, "select"
        c.out += EOL + prompt(c.group.name)

    def _connect(self, c, name):
        c.name, c.mode = name, "console"
        c.line_start, c.tilde = True, False
        c.out += banner(name, c.group.name) + _nvt(self._backlog.get(name, b""))

    def _select_char(self, c, b):
        if c.mode == "select":
            if b in (0, 9, 10, 13, 32):
                return                          # Return between commands: nothing
            c.out += _nvt(bytes([b]))           # the command letter is echoed
            ch = chr(b).lower()
            if ch == "l":
                c.out += EOL + LIST_HEAD
                for n in c.group.members:
                    busy = any(x.name == n and not x.closing for x in self._clients)
                    c.out += list_line(self._cons_no[n], n,
                                       "connected" if busy else "online")
                self._prompt(c)
            elif ch == "q":
                c.out += EOL
                c.closing = True
            elif ch in ("c", "n"):
                c.mode, c.cmd, c.line = "line", ch, bytearray()
            else:
                c.out += EOL + HELP
                self._prompt(c)
            return
        # "line": the operand of c / n, up to Return
        if b in (10, 13):
            c.out += EOL
            text = c.line.decode("latin-1").strip()
            want = None
            if c.cmd == "c" and text.isdigit():
                want = next((n for n in c.group.members
                             if self._cons_no[n] == int(text)), None)
            elif c.cmd == "n":
                want = text if text in c.group.members else None
            if want is None:
                c.out += HELP
                self._prompt(c)
            else:
                self._connect(c, want)
        elif b in (8, 127):
            if c.line:
                c.line.pop()
                c.out += b"\b \b"
        elif b:
            c.line.append(b)
            c.out += _nvt(bytes([b]))

    # ---- telnet (RFC 854) and the escapes ------------------------------------------
    def _telnet(self, c, data: bytes) -> None:
        """Takes the client's bytes: negotiation answered into c.out, data to the
        console selection or (connected) to the console's input."""
        typed = None
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

    def _char(self, c, b, _unused=None):
        if c.last_cr and b in (0, 10):              # CR NUL / CR LF: the CR was enough
            c.last_cr = False
            if b == 0 or not c.cr_console:     # the selection's Return: CR LF is one
                return
        c.last_cr = b == 13
        c.cr_console = c.mode == "console"
        if c.closing:
            return
        if c.mode != "console":
            self._select_char(c, b)
            return
        typed = self._input.setdefault(c.name, bytearray())
        if c.tilde:
            c.tilde = False
            if b == ord("."):
                c.out += EOL
                self._leave(c)
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
