"""`ldm tui`: the Logical Domains Manager as a terminal UI over a running machine
(issue 12 §4).  The machine runs in a worker thread while you work: it advances
simulated time in fixed samples, and after each one posts the machine's snapshot, new
console text and the manager's new events back to the UI as a message.  Commands typed
on the `:` line (real ldm syntax), chosen in the command palette or bound to keys run in
worker threads too; their output and the manager's events go to the event log.

    app = LdmApp(controller, sample=0.25e-3)   # controller.Controller
    app.run()

Determinism: samples are taken every `sample` simulated seconds, so the table, the map,
the sparklines and the consoles at a simulated time are the same on every run of the
same configuration; `pause_at` stops the machine at a simulated time (the snapshot
tests and the demo use it).
"""
from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass, field

from rich.console import Console
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Header
from textual.worker import get_current_worker

from .cmdline import CommandLineError, TUI_WORDS, parse
from .controller import Controller, Reply
from .model import Event, History, Rates, Snapshot, interval_rates, strand_rates
from .palette import LdmCommands
from .screens import ConfirmScreen, HelpScreen
from .widgets import CommandLine, Consoles, DomainTable, EventLog, Panel, StatusLine, \
    StrandMap, Trends

# simulation speed: target simulated seconds per host second (None: as fast as the
# host runs the machine)
SPEEDS = (("0.1ms/s", 1e-4), ("0.25ms/s", 2.5e-4), ("0.5ms/s", 5e-4),
          ("1ms/s", 1e-3), ("max", None))


@dataclass
class Tick(Message):
    """The machine after one sample: snapshot, rates over the interval, per-strand
    utilisation, console text that appeared (domain -> text), new events, and the
    simulated seconds per host second of the last sample (None when not known)."""
    snapshot: Snapshot
    rates: dict[str, Rates]
    strand_utils: tuple
    consoles: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    rate: float | None = None
    interval: bool = False             # a new sample (simulated time advanced)


@dataclass
class CommandDone(Message):
    line: str
    reply: Reply


@dataclass
class MachineFailed(Message):
    reason: str


class LdmApp(App):
    """The TUI over `controller` (controller.Controller).

    sample:    simulated seconds per sample (one table/map/sparkline update)
    pause_at:  simulated time at which the machine pauses (None: runs until paused)
    speed:     index into SPEEDS (default: max)
    """

    CSS_PATH = "ldm.tcss"
    TITLE = "ldm"
    COMMANDS = App.COMMANDS | {LdmCommands}
    BINDINGS = [
        Binding("colon", "command_line", "Command"),
        Binding("plus", "vcpu(1)", "+vCPU"),
        Binding("minus", "vcpu(-1)", "-vCPU"),
        Binding("s", "start", "Start"),
        Binding("x", "stop", "Stop"),
        Binding("c", "console", "Console", show=False),
        Binding("i", "console_input", "Type to console", show=False),
        Binding("p", "pause", "Pause"),
        Binding("left_square_bracket", "speed(-1)", "Slower", show=False),
        Binding("right_square_bracket", "speed(1)", "Faster", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    paused: reactive[bool] = reactive(False)
    speed: reactive[int] = reactive(len(SPEEDS) - 1)
    selected: reactive[str | None] = reactive(None)
    rate: reactive[float | None] = reactive(None)

    def __init__(self, controller: Controller, sample: float = 0.25e-3,
                 pause_at: float | None = None, speed: int | None = None,
                 history: int = 60):
        super().__init__()
        self.controller = controller
        self.sample = sample
        self.pause_at = pause_at
        self.history = History(size=history)
        self.rates: dict[str, Rates] = {}
        self._go = threading.Event()
        self._refresh = threading.Event()
        self.machine_done = threading.Event()
        self._machine_started = False
        self._seen_event = 0
        self._speed_now = len(SPEEDS) - 1 if speed is None else speed
        self._busy_lines: list[str] = []
        self._asked: set[int] = set()
        self.commands_running = 0          # sent and not answered yet
        self.sub_title = controller.platform
        if speed is not None:
            self.set_reactive(LdmApp.speed, speed)

    # --- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="")
        yield StatusLine(id="status")
        with Horizontal(id="top"):
            yield Panel(DomainTable(id="domains"), title="ldm list", id="domains-panel")
            yield Panel(StrandMap(id="map"), title="strands", id="map-panel")
        yield Panel(Trends(id="trends"), title="utilisation · throughput",
                    id="trends-panel")
        with Horizontal(id="bottom"):
            yield Panel(Consoles(id="consoles"), title="consoles", id="consoles-panel")
            yield Panel(EventLog(id="events", wrap=True, markup=False, max_lines=5000,
                                 min_width=20),
                        title="DR / events", id="events-panel")
        yield CommandLine(id="cmdline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DomainTable).focus()
        if self.controller.live and (self.pause_at is None or self.pause_at > 0):
            self.paused = False
            self._go.set()
        elif self.controller.live:
            self.paused = True
        self._show_status()
        self._machine_started = True
        self._machine()

    # --- the machine worker -----------------------------------------------------------
    @work(thread=True, exclusive=True, group="machine", name="machine")
    def _machine(self) -> None:
        """The machine's loop: advance one sample of simulated time (or, paused, serve
        commands and wait), then post a Tick with what changed."""
        w = get_current_worker()
        ctrl = self.controller
        cursors: dict[str, int] = {}
        try:
            prev: Snapshot | None = None
            snap = ctrl.snapshot()
            self._post_tick(prev, snap, None, cursors, False)
            while not w.is_cancelled:
                rate = None
                interval = False
                if ctrl.live and not self._go.is_set():
                    ran = ctrl.idle(0.05)
                    if not ran and not self._refresh.is_set():
                        continue
                    self._refresh.clear()
                    snap = ctrl.snapshot()           # same interval, after a command
                else:
                    self._refresh.clear()
                    step = self.sample
                    if self.pause_at is not None and ctrl.live:
                        left = self.pause_at - snap.time
                        if left <= self.sample * 1e-6:
                            self._go.clear()
                            self.call_from_thread(self._paused_at)
                            continue
                        step = min(step, left)
                    t0 = time.monotonic()
                    ctrl.advance(step)
                    prev, snap = snap, ctrl.snapshot()
                    host = time.monotonic() - t0
                    interval = snap.time > prev.time or not ctrl.live
                    if ctrl.live and host > 0:
                        rate = (snap.time - prev.time) / host
                self._post_tick(prev, snap, rate, cursors, interval)
                target = SPEEDS[self._speed_now][1]
                if rate and target and rate > target:
                    time.sleep((snap.time - prev.time) / target
                               - (snap.time - prev.time) / rate)
        except Exception as e:                              # noqa: BLE001
            self.post_message(MachineFailed(f"{e}"))
        finally:
            ctrl.release()
            self.machine_done.set()

    def _post_tick(self, prev, snap, rate, cursors, interval) -> None:
        ctrl = self.controller
        consoles = {}
        for n in snap.names():
            text, cursors[n] = ctrl.console(n, cursors.get(n, 0))
            if text:
                consoles[n] = text
        evs, self._seen_event = ctrl.events(self._seen_event)
        self.post_message(Tick(snap, interval_rates(prev, snap),
                               tuple(strand_rates(prev, snap)), consoles, evs, rate,
                               interval))

    def _paused_at(self) -> None:
        self.paused = True

    async def on_tick(self, m: Tick) -> None:
        snap = m.snapshot
        consoles = self.query_one(Consoles)
        await consoles.ensure(snap.names())
        for n, text in m.consoles.items():
            consoles.write(n, text)
        log = self.query_one(EventLog)
        for e in m.events:
            log.add_event(e)
            self._notify_event(e)
        self.rates = m.rates
        if m.interval:
            self.history.add(m.rates)
        self.query_one(StrandMap).utils = m.strand_utils
        self.rate = m.rate
        self.snapshot = snap

    def on_machine_failed(self, m: MachineFailed) -> None:
        self.paused = True
        self.query_one(EventLog).add_event(
            Event(0, self.snapshot.time if self.snapshot else 0.0, "error",
                  f"the machine stopped: {m.reason}"))
        self.notify(m.reason, title="machine stopped", severity="error", timeout=10)

    # --- reactive state -> widgets ------------------------------------------------------
    def watch_snapshot(self, snap: Snapshot | None) -> None:
        if snap is None:
            return
        table = self.query_one(DomainTable)
        table.show(snap)
        if self.selected is None or snap.domain(self.selected) is None:
            self.selected = table.selected
        self.query_one(StrandMap).snapshot = snap
        trends = self.query_one(Trends)
        names = tuple(snap.names())
        if trends.names != names:
            trends.names = names
            self.call_after_refresh(self._show_trends)
        else:
            self._show_trends()
        self.query_one(CommandLine).domains = list(names)
        self._show_status()

    def _show_trends(self) -> None:
        snap = self.snapshot
        units = {d.name: d.work_unit for d in snap.domains} if snap else {}
        self.query_one(Trends).show(self.history, self.rates, units)

    def _show_status(self) -> None:
        snap = self.snapshot
        self.query_one(StatusLine).show(
            self.controller.platform,
            snap.time if snap and self.controller.live else None, self.paused,
            SPEEDS[self.speed][0], self.rate, self.selected, self.controller.live)

    def watch_paused(self, paused: bool) -> None:
        if paused:
            self._go.clear()
        else:
            self._go.set()
        self._show_status()

    def watch_speed(self, speed: int) -> None:
        self._speed_now = speed
        self._show_status()

    def watch_selected(self, name: str | None) -> None:
        self._show_status()

    @on(DataTable.RowHighlighted, "#domains")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        self.selected = str(event.row_key.value)

    # --- commands ------------------------------------------------------------------------
    def run_line(self, line: str) -> None:
        """Run one command line as typed on the `:` line."""
        try:
            p = parse(line)
        except CommandLineError as e:
            self.query_one(EventLog).add_command(line, "", f"{e}\n", 1)
            return
        if p.kind == "empty":
            return
        if p.kind == "tui":
            self._tui_word(line, list(p.argv))
            return
        self.query_one(EventLog).command_started(line)
        self.commands_running += 1
        self._execute(line, list(p.argv))

    @work(thread=True, group="commands")
    def _execute(self, line: str, argv: list[str]) -> None:
        reply = self.controller.execute(argv)
        self.post_message(CommandDone(line, reply))

    def on_command_done(self, m: CommandDone) -> None:
        self._refresh.set()
        self.commands_running -= 1
        self.query_one(EventLog).command_done(m.line, m.reply.out, m.reply.err,
                                              m.reply.status)
        if m.reply.status:
            self._failed(m.line, m.reply)

    def _failed(self, line: str, reply: Reply) -> None:
        first = (reply.err.strip().splitlines() or [f"exit status {reply.status}"])[0]
        self.notify(first, title=line, severity="error", timeout=6)

    def _tui_word(self, line: str, argv: list[str]) -> None:
        w = argv[0]
        log = self.query_one(EventLog)
        if w == "quit":
            self.action_quit()
        elif w == "help":
            self.action_help()
        elif w in ("pause", "resume"):
            if not self.controller.live:
                log.add_command(line, "", "an attached machine runs at its own pace\n", 1)
            else:
                self.paused = w == "pause"
                if w == "resume":
                    self.pause_at = None
                log.add_command(line, "", "", 0)
        elif w == "speed":
            names = [n for n, _ in SPEEDS]
            arg = argv[1] if len(argv) > 1 else ""
            if arg not in names:
                log.add_command(line, "", f"speed: one of {', '.join(names)}\n", 1)
            else:
                self.speed = names.index(arg)
                log.add_command(line, f"speed {arg}\n", "", 0)
        else:                                             # pragma: no cover
            log.add_command(line, "", f"{w}: {TUI_WORDS.get(w, 'unknown')}\n", 1)

    # --- events -> notifications ---------------------------------------------------------
    def _notify_event(self, e: Event) -> None:
        if e.kind == "policy":
            self.notify(e.text, title=f"policy · {e.domain or ''}", timeout=6)
        elif e.kind == "blocked":
            self.notify(e.text, title=f"removal blocked · {e.domain or ''}",
                        severity="warning", timeout=8)
        elif e.kind == "delayed":
            self.notify(e.text, title=f"delayed reconfiguration · {e.domain or ''}",
                        severity="warning", timeout=8)
        elif e.kind == "error":
            self.notify(e.text, title=e.domain or "error", severity="error", timeout=8)
        force = e.forceable()
        if force and e.seq not in self._asked:
            self._asked.add(e.seq)
            why = "; ".join(sorted({r.reason for r in force if r.reason})) or "blocked"
            vids = ", ".join(str(r.vid) for r in force)
            line = f"remove-vcpu -f {len(force)} {e.domain}"
            self.push_screen(
                ConfirmScreen(f"{e.domain} refused to give up vCPU {vids} ({why}).",
                              f"Force it?  ldm {line}"),
                lambda yes: self.run_line(line) if yes else None)

    # --- actions ---------------------------------------------------------------------
    def action_command_line(self) -> None:
        cl = self.query_one(CommandLine)
        cl.add_class("open")
        cl.focus()

    @on(CommandLine.Entered)
    def _entered(self, m: CommandLine.Entered) -> None:
        self._close_command_line()
        self.run_line(m.line)

    @on(CommandLine.Closed)
    def _closed(self, m: CommandLine.Closed) -> None:
        self._close_command_line()

    def _close_command_line(self) -> None:
        self.query_one(CommandLine).remove_class("open")
        self.query_one(DomainTable).focus()

    def action_vcpu(self, n: int) -> None:
        if self.selected:
            self.run_line(f"{'add' if n > 0 else 'remove'}-vcpu {abs(n)} {self.selected}")

    def action_start(self) -> None:
        if self.selected:
            self.ask_start(self.selected)

    def action_stop(self) -> None:
        if self.selected:
            self.ask_stop(self.selected)

    def ask_start(self, name: str) -> None:
        d = self.snapshot.domain(name) if self.snapshot else None
        lines = ([f"bind-domain {name}"] if d is not None and d.state == "inactive"
                 else []) + [f"start-domain {name}"]
        self.push_screen(ConfirmScreen(f"Start {name}?", "  then  ".join(
            f"ldm {x}" for x in lines)),
            lambda yes: self._run_lines(lines) if yes else None)

    def ask_stop(self, name: str) -> None:
        self.push_screen(ConfirmScreen(f"Stop {name}?", f"ldm stop-domain {name}"),
                         lambda yes: self.run_line(f"stop-domain {name}") if yes else None)

    def _run_lines(self, lines: list[str]) -> None:
        self.commands_running += 1
        self._run_lines_worker(lines)

    @work(thread=True, group="commands")
    def _run_lines_worker(self, lines: list[str]) -> None:
        """The lines one after the other, until one fails (each logged when sent)."""
        log = self.query_one(EventLog)
        try:
            for line in lines:
                self.call_from_thread(log.command_started, line)
                reply = self.controller.execute(parse(line).argv)
                self.call_from_thread(log.command_done, line, reply.out, reply.err,
                                      reply.status)
                if reply.status:
                    self.call_from_thread(self._failed, line, reply)
                    return
        finally:
            self.call_from_thread(self._lines_done)

    def _lines_done(self) -> None:
        self._refresh.set()
        self.commands_running -= 1

    def show_console(self, name: str) -> None:
        self.query_one(Consoles).show_domain(name)

    def action_console(self) -> None:
        if self.selected:
            self.show_console(self.selected)

    def action_console_input(self) -> None:
        """`i`: the selected domain's console, the cursor on its input line."""
        if self.selected:
            self.show_console(self.selected)
            line = self.query_one(Consoles).input(self.selected)
            if line is not None:
                line.focus()

    def send_console(self, name: str, data: bytes) -> bool:
        """Bytes typed in `name`'s console pane: to the domain's console (the live
        machine's guest UART). False, with a notification, when the controller carries
        no console (an attached ldmd)."""
        send = getattr(self.controller, "send_console", None)
        ok = send is not None and send(name, data)
        if not ok:
            self.notify(f"{name}'s console takes no input here: only the machine run by "
                        f"this TUI (ldm tui [CONFIG]) has its consoles",
                        severity="warning", timeout=4)
        self._refresh.set()
        return bool(ok)

    def leave_console(self) -> None:
        """Escape on a console's input line: back to the domain table."""
        self.query_one(DomainTable).focus()

    def action_pause(self) -> None:
        if self.controller.live:
            if self.paused:
                self.pause_at = None
            self.paused = not self.paused

    def action_speed(self, step: int) -> None:
        self.speed = max(0, min(len(SPEEDS) - 1, self.speed + step))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.workers.cancel_group(self, "machine")
        self._go.set()
        self.exit()

    def wait_machine(self, timeout: float = 30.0) -> bool:
        """After the app has exited: wait for the machine worker to leave its loop (it
        finishes the sample it is running); True when it has."""
        if not self._machine_started:
            return True
        return self.machine_done.wait(timeout)

    def export_text(self) -> str:
        """The screen as plain text (export_screenshot's rendering without colour):
        for the README's text screenshot and the tests."""
        width, height = self.size
        console = Console(width=width, height=height, file=io.StringIO(),
                          force_terminal=True, color_system=None, record=True,
                          legacy_windows=False, safe_box=False)
        console.print(self.screen._compositor.render_update(
            full=True, screen_stack=self._background_screens, simplify=True))
        return console.export_text()
