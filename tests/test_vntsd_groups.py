"""vntsd's console groups and backlog over real sockets (ldm/vntsd.py; `ldm set-vcons
group=`, ldm/vcons.py): consoles of one group share its port; a client connecting to a
group of several gets vntsd's prompt `HOST-vnts-GROUP: h, l, c{id}, n{name}, q:`, lists
the consoles (`DOMAIN ID`, `DOMAIN NAME`, `DOMAIN STATE` in columns of 20, 30, 25),
connects by number or by name, and `~.` brings it back to the prompt; a console removed
sends its clients back to the prompt, or hangs them up when its group has one left."""
import socket

import pytest

from ldm.vntsd import HELP, OFFER, Vntsd, VntsdError, banner, prompt
from test_vntsd import Client, bindable, free_range, wait_input

EOL = b"\r\n"
HOST = socket.gethostname()


def _row(no, name, state):
    return f"{no:<20}{name:<30}{state:<25}".encode() + EOL


@pytest.fixture
def sp():
    """Group SP (ldg1 id 0, ldg2 id 1) on port p, ldg3 alone on p + 1."""
    v = Vntsd()
    p = free_range()
    assert v.sync({"ldg1": (p, "SP"), "ldg2": (p, "SP"), "ldg3": p + 1,
                   "primary": None}) == []
    assert v.ports == {"ldg1": p, "ldg2": p, "ldg3": p + 1}
    assert v.groups() == {"SP": (p, ["ldg1", "ldg2"]), "ldg3": (p + 1, ["ldg3"])}
    v.output("ldg1", b"ldg1 boot\nldg1# ")
    v.output("ldg2", b"ldg2 boot\nldg2# ")
    yield v, p
    v.close()


def test_prompt_text():
    assert prompt("SP", "t5220") == b"t5220-vnts-SP: h, l, c{id}, n{name}, q:"
    assert prompt("SP", "h" * 60) == b"vnts: h, l, c{id}, n{name}, q:"


def test_group_prompt_list_connect_and_leave(sp):
    v, p = sp
    c = Client(p)
    pr = prompt("SP")
    assert c.until(pr) == OFFER + EOL + pr
    assert pr == f"{HOST}-vnts-SP: h, l, c{{id}}, n{{name}}, q:".encode()
    c.send(b"l")
    assert c.until(pr) == b"l" + EOL + (
        f"{'DOMAIN ID':<20}{'DOMAIN NAME':<30}{'DOMAIN STATE':<25}".encode() + EOL
        + _row(0, "ldg1", "online") + _row(1, "ldg2", "online") + EOL + pr)
    # c{id}: the command letter and the operand are echoed; then the banner (group SP)
    # and ldg2's backlog, its prompt included
    c.send(b"c1\r\n")
    assert c.until(b"ldg2# ") == b"c1" + EOL + banner("ldg2", "SP") + \
        b"ldg2 boot\r\nldg2# "
    c.send(b"vcpus\r")
    assert wait_input(v, "ldg2", b"vcpus\r") == b"vcpus\r"
    assert v.take_input() == {}                               # ldg1 got nothing
    v.output("ldg1", b"not for this client\n")
    v.output("ldg2", b"2\n")
    assert c.until(b"2\r\n") == b"2\r\n"
    # ~. at a line start: back to the group's prompt, not disconnected
    c.send(b"~.")
    assert c.until(pr) == EOL + EOL + pr
    assert v.clients("ldg2") == 0
    # n{name}, a second client on ldg1: the list says connected
    c.send(b"n ldg1\r")
    assert c.until(b"client\r\n").endswith(banner("ldg1", "SP") + b"ldg1 boot\r\n"
                                            b"ldg1# not for this client\r\n")
    d = Client(p)
    d.until(pr)
    d.send(b"L")                                              # letters in either case
    got = d.until(pr)
    assert _row(0, "ldg1", "connected") in got and _row(1, "ldg2", "online") in got
    d.send(b"q")
    assert d.until(b"q" + EOL) == b"q" + EOL and d.closed()
    c.close()


def test_help_and_bad_selections(sp):
    v, p = sp
    c = Client(p)
    pr = prompt("SP")
    c.until(pr)
    c.send(b"h")
    assert c.until(pr) == b"h" + EOL + HELP + EOL + pr
    c.send(b"c7\r")                                 # no console 7: the help again
    assert c.until(pr) == b"c7" + EOL + HELP + EOL + pr
    c.send(b"nnosuch\r")
    assert c.until(pr) == b"nnosuch" + EOL + HELP + EOL + pr
    c.send(b"cx\x7f0\r")                            # a rubbed-out character
    assert c.until(b"options ..\r\n") == b"cx\b \b0" + EOL + banner("ldg1", "SP")
    c.close()


def test_a_group_of_one_connects_at_once(sp):
    v, p = sp
    c = Client(p + 1)
    assert c.until(b"options ..\r\n") == OFFER + banner("ldg3")
    c.send(b"~.")
    assert c.closed()


def test_removed_console_sends_clients_back(sp):
    v, p = sp
    v.listen("ldg4", p, "SP")                       # the group grows: three consoles
    pr = prompt("SP")
    a, b = Client(p), Client(p)
    a.until(pr)
    b.until(pr)
    a.send(b"c1\r")
    a.until(b"ldg2# ")
    b.send(b"c3\r")                                 # ids: ldg3 has 2, ldg4 3
    b.until(b"options ..\r\n")
    v.drop("ldg2")                                  # two left: a back at the prompt
    assert a.until(pr).endswith(EOL + pr)
    assert a.closed(0.3) is False
    v.sync({"ldg1": (p, "SP"), "ldg3": p + 1})      # ldg4 gone: one left, b hung up
    assert b.closed()
    assert a.closed(0.3) is False                   # a was not on ldg4
    a.send(b"l")
    got = a.until(pr)
    assert _row(0, "ldg1", "online") in got and b"ldg4" not in got
    v.sync({"ldg3": p + 1})                         # the group's last console gone
    assert a.closed() and bindable(p)
    a.close()
    b.close()


def test_group_port_conflicts_are_one_line(sp):
    v, p = sp
    with pytest.raises(VntsdError) as e:
        v.listen("ldg5", p + 2, "SP")
    assert "\n" not in str(e.value) and f"its group SP is served on port {p}" in \
        str(e.value)
    with pytest.raises(VntsdError) as e:
        v.listen("ldg5", p + 1, "other")
    assert f"console group ldg3 has it" in str(e.value)
    assert "ldg5" not in v.ports
