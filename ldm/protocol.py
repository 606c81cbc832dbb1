"""The ldmd socket protocol: how the `ldm` command reaches a running machine's manager.

Transport: a Unix stream socket (the path given by `ldm --socket SOCKET` or
$LDMD_SOCKET). Messages are JSON lines: one UTF-8 JSON object per line, no line longer
than MAX_LINE bytes.

Request (client -> ldmd), one per command:

    {"v": 1, "id": 7, "argv": ["add-vcpu", "4", "ldg1"], "cwd": "/home/me"}

    v     protocol version (1)
    id    any integer; echoed in the response
    argv  the command line after `ldm` (strings), exactly as typed
    cwd   the client's working directory: file operands (`add-domain -i FILE`) are read
          by ldmd relative to it (same host)

Response (ldmd -> client), one per request, in order:

    {"v": 1, "id": 7, "status": 0, "stdout": "...", "stderr": "..."}

    status   the exit status the command would have offline (0 ok, 1 refused)
    stdout   what it prints on standard output ('\\n'-terminated lines)
    stderr   what it prints on standard error

A connection may carry several requests; each is answered before the next is read. A
line that is not a valid request gets a response with status 2 and the reason in stderr,
and the connection is closed. The server executes every request with `cli.execute()`,
the very code path of offline mode, against its live context (configuration, store and
the running machine's backend), one request at a time.

Client errors (nothing listening, socket missing, connection dropped, bad response) are
ClientError with the one line `ldm: cannot connect to ldmd at SOCKET: REASON` (or `ldm:
ldmd at SOCKET: REASON` once connected); the `ldm` command prints it and exits 1.
"""
from __future__ import annotations

import json
import os
import socket
import socketserver
import threading

VERSION = 1
MAX_LINE = 1 << 20


class ClientError(Exception):
    pass


class ProtocolError(ValueError):
    pass


# --- messages ------------------------------------------------------------------------------

def encode(obj: dict) -> bytes:
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


def parse_request(line: bytes) -> dict:
    """The request in `line`, checked; ProtocolError naming what is wrong."""
    try:
        req = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProtocolError(f"request is not JSON: {e}") from None
    if not isinstance(req, dict):
        raise ProtocolError("request is not a JSON object")
    if req.get("v") != VERSION:
        raise ProtocolError(f"unsupported protocol version {req.get('v')!r} "
                            f"(this ldmd speaks {VERSION})")
    argv = req.get("argv")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ProtocolError("argv must be a list of strings")
    if "cwd" in req and not isinstance(req["cwd"], str):
        raise ProtocolError("cwd must be a string")
    if "id" in req and not isinstance(req["id"], int):
        raise ProtocolError("id must be an integer")
    return req


def response(req_id, status: int, out: list[str], err: list[str]) -> dict:
    return {"v": VERSION, "id": req_id, "status": status,
            "stdout": "".join(x + "\n" for x in out),
            "stderr": "".join(x + "\n" for x in err)}


# --- client ---------------------------------------------------------------------------------

def call(path: str, argv: list[str], cwd: str | None = None, timeout: float | None = None):
    """Send one command to ldmd at `path`; returns a cli.Result."""
    from .context import Result
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        try:
            s.connect(path)
        except OSError as e:
            raise ClientError(f"ldm: cannot connect to ldmd at {path}: "
                              f"{e.strerror or e}") from None
        req = {"v": VERSION, "id": 1, "argv": list(argv)}
        if cwd is not None:
            req["cwd"] = cwd
        try:
            s.sendall(encode(req))
            line = _read_line(s)
        except (OSError, ProtocolError) as e:
            raise ClientError(f"ldm: ldmd at {path}: {getattr(e, 'strerror', None) or e}"
                              ) from None
    finally:
        s.close()
    try:
        resp = json.loads(line.decode("utf-8"))
        status = int(resp["status"])
        out, err = str(resp["stdout"]), str(resp["stderr"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise ClientError(f"ldm: ldmd at {path}: bad response: {e}") from None
    return Result(status, out.splitlines(), err.splitlines())


def _read_line(s: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            raise ProtocolError("connection closed before a response")
        buf += chunk
        if len(buf) > MAX_LINE:
            raise ProtocolError("response longer than the protocol allows")
    return buf


# --- server framing (ldmd) ------------------------------------------------------------------

class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return
            try:
                if len(line) > MAX_LINE or not line.endswith(b"\n"):
                    raise ProtocolError("request line too long or not terminated")
                req = parse_request(line)
            except ProtocolError as e:
                self.wfile.write(encode(response(None, 2, [], [f"ldmd: {e}"])))
                return
            with self.server.lock:
                res = self.server.run(req["argv"], req.get("cwd"))
            self.wfile.write(encode(response(req.get("id"), res.status, res.out, res.err)))


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """ldmd's listening socket: `run(argv, cwd) -> cli.Result` executes one command
    (requests from all connections are serialised by `lock`). `serve_forever()` in a
    thread; `shutdown()` and `server_close()` to stop (the socket file is removed)."""
    daemon_threads = True

    def __init__(self, path: str, run):
        if os.path.exists(path):
            os.unlink(path)
        self.path = path
        self.run = run
        self.lock = threading.Lock()
        super().__init__(path, _Handler)

    def server_close(self):
        super().server_close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
