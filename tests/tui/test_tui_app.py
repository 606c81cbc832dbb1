"""The TUI's screens and keys driven with Textual's pilot over FakeController (the real
ldm command over an offline store, a made-up clock, consoles and DR log): the `:` line
with ldm syntax, history and completion; single-key actions and their confirmations;
the force offered for a blocked removal; help, pause, speed and the command palette.
The same app over a real machine: test_tui_live.py."""
import asyncio

import pytest
from fakectl import FakeController
from textual.widgets import Button

from ldm.tui.app import SPEEDS, LdmApp
from ldm.tui.screens import ConfirmScreen, HelpScreen
from ldm.tui.widgets import CommandLine, Consoles, DomainTable, EventLog, StrandMap

pytestmark = pytest.mark.asyncio
SIZE = (140, 45)


async def settle(pilot, app, until=lambda: True, timeout=10.0):
    """Let the worker threads and the message queue run until `until()`."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        await pilot.pause(0.02)
        if until():
            await pilot.pause(0.05)
            return
    raise AssertionError("the app did not get there in time")


async def started(pilot, app):
    await settle(pilot, app, lambda: app.paused and app.snapshot is not None
                 and app.snapshot.time >= app.pause_at - 1e-9)


async def type_line(pilot, line):
    await pilot.press("colon")
    await pilot.press(*[{" ": "space"}.get(c, c) for c in line])
    await pilot.press("enter")


def cell(app, name, col):
    return str(app.query_one(DomainTable).get_cell(name, col))


def log_text(app):
    return "\n".join(s.text for s in app.query_one(EventLog).lines)


@pytest.fixture
def ctl(tmp_path):
    return FakeController(str(tmp_path / "state"))


async def test_command_line_runs_ldm_syntax_and_updates_table_and_map(ctl):
    app = LdmApp(ctl, sample=0.5e-3, pause_at=2e-3)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app)
        assert cell(app, "ldg1", "VCPU") == "8"
        await type_line(pilot, "ldm add-vcpu 4 ldg1")
        await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "12")
        assert ctl.commands[-1] == ["add-vcpu", "4", "ldg1"]
        # the map: the four new vCPUs on the next free core's strands 24-27
        snap = app.query_one(StrandMap).snapshot
        assert [(s.owner, s.vid) for s in snap.strands[24:28]] == \
            [("ldg1", v) for v in (8, 9, 10, 11)]
        assert snap.split_cores() == {}
        text = app.export_text()
        assert "ldg1     active  -n----  5000  12" in text
        # the DR event with its per-vCPU results is in the log
        assert "configure 4 vCPUs" in log_text(app)
        assert "vCPU 11" in log_text(app)
        # the command line closed and the table has the focus back
        assert not app.query_one(CommandLine).has_class("open")
        assert app.focused is app.query_one(DomainTable)
        # an error: the manager's words on the log and a notification, nothing changed
        await type_line(pilot, "add-vcpu 4 nosuch")
        await settle(pilot, app, lambda: "nosuch" in log_text(app))
        assert "(exit status 1)" in log_text(app)
        assert cell(app, "ldg1", "VCPU") == "12"


async def test_history_and_tab_completion(ctl):
    app = LdmApp(ctl, sample=0.5e-3, pause_at=1e-3)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app)
        await type_line(pilot, "list-devices -a")
        await settle(pilot, app, lambda: len(ctl.commands) == 1)
        await pilot.press("colon")
        cl = app.query_one(CommandLine)
        await pilot.press("up")
        assert cl.value == "list-devices -a"
        await pilot.press("escape")
        assert not cl.has_class("open")
        await pilot.press("colon")
        assert cl.value == ""
        await pilot.press(*"add-vcp")
        await pilot.press("tab")
        assert cl.value == "add-vcpu "
        await pilot.press("2", "space", "l", "tab")
        assert cl.value == "add-vcpu 2 ldg"
        await pilot.press("2", "tab", "enter")
        await settle(pilot, app, lambda: cell(app, "ldg2", "VCPU") == "10")
        assert ctl.commands[-1] == ["add-vcpu", "2", "ldg2"]


async def test_keys_on_the_selected_domain_and_confirmations(ctl):
    app = LdmApp(ctl, sample=0.5e-3, pause_at=1e-3)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app)
        await pilot.press("down")                     # primary -> ldg1
        assert app.selected == "ldg1"
        await pilot.press("plus")
        await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "9")
        await pilot.press("minus", "minus")
        await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "7")
        assert ctl.commands == [["add-vcpu", "1", "ldg1"], ["remove-vcpu", "1", "ldg1"],
                                ["remove-vcpu", "1", "ldg1"]]
        # stop asks first; "n" leaves the domain alone
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Stop ldg1?" in app.export_text()
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.pause(0.2)
        assert ctl.commands[-1] == ["remove-vcpu", "1", "ldg1"]
        await pilot.press("x", "y")
        await settle(pilot, app, lambda: cell(app, "ldg1", "STATE") == "bound")
        assert ctl.commands[-1] == ["stop-domain", "ldg1"]
        # start: the Yes button works as the key does
        await pilot.press("s")
        yes = app.screen.query_one("#yes", Button)
        yes.press()
        await settle(pilot, app, lambda: cell(app, "ldg1", "STATE") == "active")
        assert ctl.commands[-1] == ["start-domain", "ldg1"]


async def test_blocked_removal_offers_force(tmp_path):
    ctl = FakeController(str(tmp_path / "state"), block_reason="cpu has bound threads")
    app = LdmApp(ctl, sample=0.5e-3, pause_at=1e-3)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app)
        await type_line(pilot, "remove-vcpu 2 ldg1")
        await settle(pilot, app, lambda: isinstance(app.screen, ConfirmScreen))
        text = app.export_text()
        assert "ldg1 refused to give up vCPU 6, 7 (cpu has bound threads)" in text
        assert "ldm remove-vcpu -f 2 ldg1" in text
        await pilot.press("y")
        await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "6")
        assert ctl.commands[-1] == ["remove-vcpu", "-f", "2", "ldg1"]
        assert "blocked" in log_text(app) and "force unconfigure 2 vCPUs" in log_text(app)


async def test_help_pause_speed_and_console(ctl):
    app = LdmApp(ctl, sample=0.5e-3, pause_at=2e-3)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "time not yielded to the hypervisor" in app.export_text()
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        # the console pane shows what the fake's ldg1 wrote, one line per ms
        cons = app.query_one(Consoles)
        assert "workload int: tick 2 ms" in cons.text("ldg1")
        await pilot.press("down", "c")
        assert cons.active == cons.panes["ldg1"]
        # p resumes: simulated time moves on; p again pauses it
        t = app.snapshot.time
        await pilot.press("p")
        await settle(pilot, app, lambda: app.snapshot.time > t + 2e-3)
        await pilot.press("p")
        await pilot.pause(0.2)
        t = app.snapshot.time
        await pilot.pause(0.3)
        assert app.snapshot.time == t and app.paused
        assert "paused" in app.export_text()
        await pilot.press("left_square_bracket")
        assert app.speed == len(SPEEDS) - 2
        await type_line(pilot, "speed 0.1ms/s")
        await settle(pilot, app, lambda: app.speed == 0)
        await type_line(pilot, "speed warp")
        await settle(pilot, app, lambda: "speed: one of" in log_text(app))


async def test_command_palette_runs_the_same_actions(ctl):
    app = LdmApp(ctl, sample=0.5e-3, pause_at=1e-3)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.press(*"add-vcpu 1 ldg2")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, app, lambda: cell(app, "ldg2", "VCPU") == "9")
        assert ctl.commands[-1] == ["add-vcpu", "1", "ldg2"]
