"""Typing into a domain's console from the TUI (ldm/tui/consinput.py): `i` puts the
cursor on the selected domain's console line; a line typed there and sent with Enter
reaches the REAL guest kernel's cons_getchar on the demo T5220 (ldm/tui/demo.toml), whose
echo and answer to `vcpus` (its own view: 4 vCPUs online) appear in the console pane.
With a controller that carries no console (an attached ldmd, here the fake) the app says
so in one notification, and Escape leaves the line."""
import pytest
from fakectl import FakeController
from test_tui_app import SIZE, settle

from ldm.tui.app import LdmApp
from ldm.tui.cli import DEMO_CONFIG
from ldm.tui.consinput import ConsoleInput
from ldm.tui.live import LiveController
from ldm.tui.widgets import Consoles, DomainTable

import livekit_path  # noqa: E402,F401  (tests/ldm on sys.path)
import livekit  # noqa: E402

pytestmark = pytest.mark.asyncio


async def test_vcpus_typed_in_the_console_pane_is_answered_by_the_guest():
    livekit.require_built(livekit.KERNEL)
    livekit.require_built(livekit.HV_ELF)
    ctl = LiveController.boot(DEMO_CONFIG)
    try:
        assert ctl.lm.wait_ready("60ms"), "the demo machine's services did not come up"
        app = LdmApp(ctl, sample=0.25e-3)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app, lambda: app.snapshot is not None, timeout=120)
            cons = app.query_one(Consoles)
            # the guest kernel up (it prints nothing for its console until typed to)
            await settle(pilot, app, lambda: "services registered" in cons.text("ldg1"),
                         timeout=300)
            before = cons.text("ldg1")
            assert "vCPUs online:" not in before and "ldg1# " not in before
            await pilot.press("down")                   # ldg1 (primary is first)
            await pilot.press("i")
            line = cons.input("ldg1")
            assert app.focused is line and cons.active == cons.panes["ldg1"]
            await pilot.press("v", "c", "p", "u", "s")  # `p` and `c` are keys of the app
            assert line.value == "vcpus"
            assert not app.paused                       # ... taken by the line here
            await pilot.press("enter")
            assert line.value == ""
            await settle(pilot, app, lambda: "4 vCPUs online: 0-3" in cons.text("ldg1"),
                         timeout=120)
            after = cons.text("ldg1")[len(before):]
            # the guest's echo of the line, its answer, its prompt again
            assert after.index("vcpus") < after.index("4 vCPUs online: 0-3") < \
                after.rindex("ldg1# ")
            await pilot.press("escape")
            assert isinstance(app.focused, DomainTable)
            await pilot.press("q")
        assert app.wait_machine(60)
    finally:
        ctl.close()


async def test_a_controller_without_consoles_says_so(tmp_path):
    app = LdmApp(FakeController(str(tmp_path / "state")), sample=0.5e-3, pause_at=1e-3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app, lambda: app.paused and app.snapshot is not None)
        await pilot.press("down", "i")
        line = app.query_one(Consoles).input("ldg1")
        assert isinstance(line, ConsoleInput) and app.focused is line
        await pilot.press("l", "s", "enter")
        await pilot.pause(0.1)
        notes = [n.message for n in app._notifications]
        assert any("ldg1's console takes no input here" in m for m in notes), notes
    app.wait_machine(60)
