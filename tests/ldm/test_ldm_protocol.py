"""The ldmd socket protocol (ldm/protocol.py): the client's one-line error when nothing
listens, and a server speaking it, run here over a saved configuration with the very
code path of offline mode (cli.execute)."""
import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from ldm import protocol, xmlio
from ldm.constraints import Constraints
from ldm.commands import execute
from ldm.context import StoreContext

LDM = [sys.executable, "-m", "ldm.cli"]


def test_nothing_listening_gives_one_clear_line(tmp_path):
    path = str(tmp_path / "ldmd.sock")
    r = subprocess.run(LDM + ["--socket", path, "list"], capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == f"ldm: cannot connect to ldmd at {path}: No such file or directory\n"
    # a stale socket file: connection refused
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()
    env = dict(os.environ, LDMD_SOCKET=path)
    r = subprocess.run(LDM + ["ls"], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert r.stderr == f"ldm: cannot connect to ldmd at {path}: Connection refused\n"


@pytest.fixture
def server(carved, tmp_path):
    path = str(tmp_path / "ldmd.sock")

    def run(argv, cwd):
        with carved.store.locked():
            return execute(argv, StoreContext(carved.store), cwd=cwd)
    srv = protocol.Server(path, run)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield path, carved
    srv.shutdown()
    srv.server_close()
    assert not os.path.exists(path)


def test_commands_through_the_socket_match_offline(server):
    path, ldm = server
    offline = ldm.ok("list -l ldg1")
    r = protocol.call(path, ["list", "-l", "ldg1"])
    assert r.status == 0 and "\n".join(r.out) + "\n" == offline and r.err == []
    r = protocol.call(path, ["add-vcpu", "2", "ldg1"])
    assert r.status == 0
    assert len(ldm.config().bindings.get("ldg1").vcpus) == 14
    r = protocol.call(path, ["bind", "nosuch"])
    assert (r.status, r.err) == (1, ["LDom nosuch does not exist"])


def test_the_console_script_through_the_socket(server, tmp_path):
    path, ldm = server
    r = subprocess.run(LDM + ["--socket", path, "list-spconfig"], capture_output=True,
                       text=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, "factory-default [next poweron]\n",
                                                  "")
    # a relative file operand is read from the client's directory
    (tmp_path / "c.xml").write_text(xmlio.dumps([Constraints("ldg7", vcpus=1)]))
    r = subprocess.run(LDM + ["--socket", path, "add-domain", "-i", "c.xml"],
                       capture_output=True, text=True, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "ldg7" in ldm.config().names()


def test_several_requests_on_one_connection_and_bad_requests(server):
    path, _ = server
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rwb")
    for i, argv in enumerate((["ls", "ldg2"], ["ls", "nosuch"])):
        f.write(protocol.encode({"v": 1, "id": i, "argv": argv}))
        f.flush()
        resp = json.loads(f.readline())
        assert resp["id"] == i and resp["status"] == i
    f.write(b'{"v": 9, "argv": []}\n')
    f.flush()
    resp = json.loads(f.readline())
    assert resp["status"] == 2 and "unsupported protocol version 9" in resp["stderr"]
    assert f.readline() == b""                      # and the connection is closed
    s.close()


@pytest.mark.parametrize("line, message", [
    (b"not json\n", "request is not JSON"),
    (b"[1]\n", "not a JSON object"),
    (b'{"v": 1, "argv": "ls"}\n', "argv must be a list of strings"),
    (b'{"v": 1, "argv": [], "cwd": 3}\n', "cwd must be a string"),
])
def test_request_validation(line, message):
    with pytest.raises(protocol.ProtocolError, match=message):
        protocol.parse_request(line)
