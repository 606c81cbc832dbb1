"""The TUI's main screens pinned as SVG snapshots (pytest-textual-snapshot; the files
are under __snapshots__/ next to this file; `pytest --snapshot-update` rewrites them
after a change a human has looked at).  Everything on them is fixed: the fake
controller's identities come from `ldm init --seed 7` and its clock is simulated; the
real machine (the demo T5220) is deterministic in simulated time, and every screen is
taken with the machine paused at a fixed simulated time (the status line shows no host
rate then)."""
import asyncio

from fakectl import FakeController
from test_tui_app import SIZE, cell, settle, type_line

from ldm.tui.app import LdmApp
from ldm.tui.screens import ConfirmScreen


def _paused_at(app, t):
    return lambda: app.paused and app.snapshot is not None and \
        app.snapshot.time >= t - 1e-9


def _shoot(snap_compare, app, run_before):
    async def then_still(pilot):
        await run_before(pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.1)
    # no animations (the tabs' underline slides): the picture must not depend on when
    # it is taken
    app.animation_level = "none"
    try:
        return snap_compare(app, terminal_size=SIZE, run_before=then_still)
    finally:
        app.wait_machine(60)


def test_main_screen_after_add_vcpu(snap_compare, tmp_path):
    ctl = FakeController(str(tmp_path / "state"))
    app = LdmApp(ctl, sample=0.5e-3, pause_at=3e-3)

    async def run_before(pilot):
        await settle(pilot, app, _paused_at(app, 3e-3))
        await type_line(pilot, "add-vcpu 4 ldg1")
        await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "12")
        await pilot.press("down")                      # select ldg1
        await pilot.pause(0.2)
    assert _shoot(snap_compare, app, run_before)


def test_help_screen(snap_compare, tmp_path):
    app = LdmApp(FakeController(str(tmp_path / "state")), sample=0.5e-3, pause_at=1e-3)

    async def run_before(pilot):
        await settle(pilot, app, _paused_at(app, 1e-3))
        await pilot.press("question_mark")
        await pilot.pause(0.2)
    assert _shoot(snap_compare, app, run_before)


def test_blocked_removal_offers_force(snap_compare, tmp_path):
    ctl = FakeController(str(tmp_path / "state"), block_reason="cpu has bound threads")
    app = LdmApp(ctl, sample=0.5e-3, pause_at=1e-3)

    async def run_before(pilot):
        await settle(pilot, app, _paused_at(app, 1e-3))
        await type_line(pilot, "remove-vcpu 2 ldg1")
        await settle(pilot, app, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause(0.2)
    assert _shoot(snap_compare, app, run_before)


def test_live_demo_machine_after_add_vcpu(snap_compare):
    """The real demo machine, paused 0.5 ms after its services came up, then `add-vcpu
    4 ldg1` typed: the table, the map, ldg1's console, the DR log."""
    import livekit_path  # noqa: F401  (tests/ldm on sys.path)
    import livekit
    from ldm.tui.cli import DEMO_CONFIG
    from ldm.tui.live import LiveController
    livekit.require_built(livekit.KERNEL)
    ctl = LiveController.boot(DEMO_CONFIG)
    try:
        assert ctl.lm.wait_ready("60ms")
        t = ctl.lm.time + 0.5e-3
        app = LdmApp(ctl, sample=0.25e-3, pause_at=t)

        async def run_before(pilot):
            await settle(pilot, app, _paused_at(app, t), timeout=120)
            await type_line(pilot, "add-vcpu 4 ldg1")
            await settle(pilot, app, lambda: cell(app, "ldg1", "VCPU") == "8",
                         timeout=120)
            await settle(pilot, app, lambda: "dr-cpu: 8 vCPUs online" in
                         app.query_one("#consoles").text("ldg1"), timeout=60)
            await pilot.press("down", "c")               # ldg1's console
            # the command's notifications (none expected) and toasts settle
            await asyncio.sleep(0.3)
        assert _shoot(snap_compare, app, run_before)
    finally:
        ctl.close()
