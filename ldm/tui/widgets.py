"""The TUI's widgets: the live `ldm list` table, the strand map, the per-domain trends
(sparklines), a console pane per domain, the DR/event log, the status line and the `:`
command line.  Each takes plain values from model.py; none talks to the machine.

Layouts: `ldm list` columns as reference ldm_xscf.md A3 (NAME STATE FLAGS CONS VCPU
MEMORY UTIL UPTIME; UTIL is time not yielded to the hypervisor, UPTIME simulated);
the strand map's numbering is the machine's (ldm/topology.py: pid = cid *
strands_per_core + strand).
"""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Log, RichLog, Static, TabbedContent, Tabs, \
    TabPane

from ..formats import HEADER as LIST_HEADER, util_text
from ..units import format_size, format_uptime
from .consinput import ConsoleInput
from .cmdline import History, apply_completion
from .model import Event, History as Trend, Rates, Snapshot

# one colour per domain, in the order of the snapshot (primary first)
PALETTE = ("#4f8fe6", "#e6904f", "#6fbf4f", "#b46fe6", "#d9c84a", "#4fd0d0",
           "#e65f8f", "#a0a070")
FREE = "#3a3a3a"
BASE = Color.parse("#1c1c1c")


def domain_colours(names: list[str]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def shade(colour: str, util: float | None) -> str:
    """The domain's colour darkened for low utilisation: 35 % of it at 0 %, all of it
    at 100 % (None, a stopped vCPU: 35 %)."""
    u = 0.0 if util is None else max(0.0, min(100.0, util)) / 100.0
    return BASE.blend(Color.parse(colour), 0.35 + 0.65 * u).hex


def time_text(seconds: float) -> str:
    """Simulated time as the status line shows it: 12.500 ms, 1.250000 s."""
    if seconds < 1.0:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds:.6f} s"


def rate_text(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    for scale, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= scale:
            return f"{x / scale:.1f}{p} {unit}/s"
    return f"{x:.0f} {unit}/s"


# --- the ldm list table ----------------------------------------------------------------

def list_cells(d) -> tuple[str, ...]:
    """One `ldm list` row's cells (formats.row_line's fields)."""
    return (d.name, d.state, d.flags, d.cons,
            "" if d.ncpu is None else str(d.ncpu),
            "" if d.mem is None else format_size(d.mem),
            util_text(d.util), format_uptime(d.uptime))


class DomainTable(DataTable):
    """`ldm list`, live: rows keyed by domain name, cells updated in place."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        for h in LIST_HEADER:
            self.add_column(h, key=h)

    def show(self, snap: Snapshot) -> None:
        names = snap.names()
        have = [str(k.value) for k in self.rows]
        for gone in [n for n in have if n not in names]:
            self.remove_row(gone)
        for d in snap.domains:
            cells = list_cells(d)
            if d.name in have:
                for h, v in zip(LIST_HEADER, cells):
                    if str(self.get_cell(d.name, h)) != v:
                        self.update_cell(d.name, h, v, update_width=True)
            else:
                self.add_row(*cells, key=d.name)

    @property
    def selected(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:                                  # noqa: BLE001 (no rows)
            return None
        return str(key.value)

    def select(self, name: str) -> None:
        for i, k in enumerate(self.rows):
            if k.value == name:
                self.move_cursor(row=i)
                return


# --- the strand map ---------------------------------------------------------------------

class StrandMap(Widget):
    """Cores x strands: each strand a cell showing the vCPU id it runs, coloured by its
    domain and shaded by its utilisation over the last interval; free strands grey;
    split cores (strands of two domains or more) marked `split`."""

    snapshot: reactive[Snapshot | None] = reactive(None, layout=True)
    utils: reactive[tuple] = reactive(())

    def get_content_width(self, container, viewport) -> int:
        return max((t.cell_len for t in self.render().split("\n")), default=1)

    def get_content_height(self, container, viewport, width) -> int:
        return len(self.render().split("\n"))

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("no machine", style="dim")
        colours = domain_colours(snap.names())
        split = snap.split_cores()
        utils = self.utils or tuple(s.util for s in snap.strands)
        w = 3 if snap.cores * snap.strands_per_core > 100 else 2
        t = Text()
        t.append("core " + " " * 2)
        for i in range(snap.strands_per_core):
            t.append(f"{i:>{w}} ", style="dim")
        t.append("\n")
        for cid in range(snap.cores):
            t.append(f"{cid:>4}   ", style="bold" if cid in split else "")
            owners: list[str] = []
            for s in snap.core_strands(cid):
                if s.owner is None:
                    t.append("·" * w, style=f"{FREE} on #262626")
                else:
                    u = utils[s.pid] if s.pid < len(utils) else s.util
                    bg = shade(colours[s.owner], u)
                    label = "" if s.vid is None else str(s.vid)
                    t.append(f"{label:>{w}}", style=f"bold #f0f0f0 on {bg}")
                    if s.owner not in owners:
                        owners.append(s.owner)
                t.append(" ")
            t.append(" ")
            for n in owners:
                t.append(n, style=colours[n])
                t.append(" ")
            if cid in split:
                t.append("split", style="bold reverse #e05050")
            t.append("\n")
        t.append("\n")
        for n in snap.names():
            t.append("  ", style=f"on {colours[n]}")
            t.append(f" {n}  ")
        t.append("  ", style=f"on {FREE}")
        t.append(" free")
        return t


# --- trends ---------------------------------------------------------------------------

BARS = " ▁▂▃▄▅▆▇█"


class Spark(Widget):
    """A sparkline on a scale from 0: utilisation against 100 %, throughput against
    the highest sample shown (Textual's Sparkline scales from the lowest sample to the
    highest, which would draw a steady 90 % as a floor and a 10 % dip as a collapse).
    The newest samples fill the width from the right."""

    data: reactive[tuple] = reactive(())
    ceiling: reactive[float | None] = reactive(None)

    def __init__(self, colour: str, ceiling: float | None = None, **kw):
        super().__init__(**kw)
        self.colour = colour
        self.set_reactive(Spark.ceiling, ceiling)

    def render(self) -> Text:
        width = max(1, self.size.width)
        xs = list(self.data)[-width:]
        top = self.ceiling if self.ceiling is not None else max(xs, default=0.0)
        cells = []
        for x in xs:
            k = 0 if top <= 0 else int(round(min(1.0, max(0.0, x / top)) * 8))
            cells.append(BARS[k] if k or x <= 0 else BARS[1])
        return Text(" " * (width - len(xs)) + "".join(cells), style=self.colour)


class Trends(Vertical):
    """Per domain: utilisation (percent of vCPU time not yielded) and workload
    throughput (units per simulated second) over the last samples, as sparklines with
    the latest value."""

    names: reactive[tuple[str, ...]] = reactive((), recompose=True)

    def compose(self) -> ComposeResult:
        colours = domain_colours(list(self.names))
        for i, n in enumerate(self.names):
            with Horizontal(classes="trend"):
                yield Label(Text(f"{n:<10}", style=colours[n]), classes="trend-name")
                yield Spark("#6fbf4f", 100.0, id=f"util-{i}", classes="util")
                yield Label("", id=f"utilv-{i}", classes="trend-value")
                yield Spark("#e6b04f", None, id=f"thr-{i}", classes="thr")
                yield Label("", id=f"thrv-{i}", classes="trend-value thr-value")

    def show(self, trend: Trend, rates: dict[str, Rates], units: dict[str, str]) -> None:
        for i, n in enumerate(self.names):
            try:
                us = self.query_one(f"#util-{i}", Spark)
                ts = self.query_one(f"#thr-{i}", Spark)
            except Exception:                              # noqa: BLE001 (recomposing)
                return
            us.data = tuple(trend.util.get(n, ()))
            ts.data = tuple(trend.throughput.get(n, ()))
            r = rates.get(n)
            self.query_one(f"#utilv-{i}", Label).update(
                "" if r is None or r.util is None else f"{r.util:5.1f}%")
            self.query_one(f"#thrv-{i}", Label).update(
                "" if r is None else rate_text(r.throughput, units.get(n, "units")))


# --- consoles -------------------------------------------------------------------------

class Consoles(TabbedContent):
    """A console pane (the domain's guest UART) per domain, one tab each."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.panes: dict[str, str] = {}        # domain -> pane id

    def pane_log(self, name: str) -> Log | None:
        pid = self.panes.get(name)
        if pid is None:
            return None
        return self.get_pane(pid).query_one(Log)

    async def ensure(self, names: list[str]) -> None:
        added = False
        for n in names:
            if n not in self.panes:
                pid = f"console-{len(self.panes)}"
                self.panes[n] = pid
                await self.add_pane(TabPane(n, Log(highlight=False, max_lines=2000),
                                            ConsoleInput(n), id=pid))
                added = True
        if added:
            self.call_after_refresh(self._underline_active)

    def _underline_active(self) -> None:
        """Textual's tabs place the active tab's underline when the tab is added, which
        can be before the labels have their widths (the underline then stays empty
        until the tab changes): place it again once the tabs are laid out."""
        for tabs in self.query(Tabs):
            place = getattr(tabs, "_highlight_active", None)
            if place is not None:
                place(animate=False)

    def write(self, name: str, text: str) -> None:
        log = self.pane_log(name)
        if log is not None and text:
            log.write(text)

    def text(self, name: str) -> str:
        log = self.pane_log(name)
        return "" if log is None else "\n".join(log.lines)

    def show_domain(self, name: str) -> None:
        if name in self.panes:
            self.active = self.panes[name]

    def input(self, name: str):
        """The input line of `name`'s pane (ldm/tui/consinput.py), or None."""
        pid = self.panes.get(name)
        return None if pid is None else self.get_pane(pid).query_one(ConsoleInput)


# --- the event log --------------------------------------------------------------------

KIND_STYLE = {"dr": "bold #7fb0ff", "blocked": "bold #ff9040", "policy": "bold #d0a0ff",
              "delayed": "bold #ffd060", "state": "bold #80d080", "hv": "bold #60c0c0",
              "info": "dim", "error": "bold #ff6060", "command": "bold #c0c0c0"}
RESULT_STYLE = {"ok": "#80d080", "blocked": "bold #ff9040", "failure": "bold #ff6060",
                "not responding": "bold #ff6060", "not in MD": "#ff6060"}


def event_lines(e: Event) -> list[Text]:
    """An event as log lines: `  12.500 ms dr     ldg1 ...` then one line per vCPU."""
    head = Text()
    head.append(f"{time_text(e.time):>12} ", style="dim")
    head.append(f"{e.kind:<8}", style=KIND_STYLE.get(e.kind, ""))
    if e.domain:
        head.append(f"{e.domain} ", style="bold")
    head.append(e.text)
    out = [head]
    for r in e.results:
        t = Text(" " * 20)
        t.append(f"vCPU {r.vid:<3}")
        if r.pid is not None:
            t.append(f" strand {r.pid:<3}", style="dim")
        t.append(" ")
        t.append(r.result, style=RESULT_STYLE.get(r.result, ""))
        if r.status:
            t.append(f", {r.status}", style="dim")
        if r.reason:
            t.append(f": {r.reason}")
        out.append(t)
    return out


class EventLog(RichLog):
    """The DR/event log: the manager's events and the commands typed with their
    output, oldest first.  Lines are wrapped to the pane's width, again when it
    changes (the first events arrive while the layout is still settling)."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self._texts: list[Text] = []
        self._wrapped_at = 0

    def write(self, content, *a, **kw):                      # noqa: D102
        if isinstance(content, Text) and self._size_known:     # (deferred: again later)
            self._texts.append(content)
            del self._texts[:-(self.max_lines or 5000)]
        return super().write(content, *a, **kw)

    def on_resize(self, event) -> None:
        w = self.scrollable_content_region.width
        if w and self._wrapped_at and w != self._wrapped_at and self._texts:
            texts, self._texts = self._texts, []
            self.clear()
            for t in texts:
                self.write(t)
        self._wrapped_at = w

    def add_event(self, e: Event) -> None:
        for line in event_lines(e):
            self.write(line)

    def add_command(self, line: str, out: str, err: str, status: int) -> None:
        """A command that ran at once (the TUI's own words, a line that did not
        parse): its line, then what it printed."""
        self.command_started(line)
        self.command_done(line, out, err, status)

    def command_started(self, line: str, status: int = 0) -> None:
        """`$ LINE` when the command is sent: the events it causes come after it."""
        t = Text("$ ", style="bold #c0c0c0")
        t.append(line, style="bold")
        if status:
            t.append(f"   (exit status {status})", style="#ff6060")
        self.write(t)

    def command_done(self, line: str, out: str, err: str, status: int) -> None:
        """What the command printed, and its line again with the status when it
        failed (other lines may have come between)."""
        for x in out.splitlines():
            self.write(Text(x))
        for x in err.splitlines():
            self.write(Text(x, style="#ff8080"))
        if status:
            self.command_started(line, status)


# --- status line ---------------------------------------------------------------------

class StatusLine(Static):
    """Platform, simulated time, run state and speed, the selected domain."""

    def show(self, platform: str, time: float | None, paused: bool, speed: str,
             rate: float | None, selected: str | None, live: bool) -> None:
        t = Text()
        t.append(f" {platform} ", style="bold reverse")
        t.append("  simulated ")
        t.append(time_text(time) if time is not None else "-", style="bold")
        t.append("  ")
        if not live:
            t.append("attached", style="bold #80b0ff")
        elif paused:
            t.append("paused", style="bold reverse #ffd060")
        else:
            t.append("running", style="bold #80d080")
            t.append(f"  speed {speed}")
            if rate is not None:
                t.append(f" ({rate * 1e3:.2f} ms/s)", style="dim")
        if selected:
            t.append("  selected ")
            t.append(selected, style="bold")
        self.update(t)


# --- the command line ----------------------------------------------------------------

class CommandLine(Input):
    """`:` opens it; Enter runs the line (CommandLine.Submitted), Escape closes it,
    Up / Down walk the history, Tab completes subcommands and domain names (the
    candidates appear as a notification when there are several)."""

    BINDINGS = [
        Binding("escape", "close", "Close", show=False),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
        Binding("tab", "complete", "Complete", show=False, priority=True),
    ]

    class Closed(Message):
        pass

    class Entered(Message):
        def __init__(self, line: str):
            super().__init__()
            self.line = line

    def __init__(self, **kw):
        super().__init__(placeholder="ldm command (add-vcpu 4 ldg1), or quit, pause, "
                                     "resume, speed N, help", **kw)
        self.history = History()
        self.domains: list[str] = []
        self.candidates: list[str] = []

    def action_close(self) -> None:
        self.value = ""
        self.history.reset()
        self.post_message(self.Closed())

    def action_history(self, step: int) -> None:
        line = self.history.prev() if step < 0 else self.history.next()
        if line is not None:
            self.value = line
            self.cursor_position = len(line)

    def action_complete(self) -> None:
        new, self.candidates = apply_completion(self.value, self.domains)
        if new != self.value:
            self.value = new
            self.cursor_position = len(new)
        elif len(self.candidates) > 1:
            self.notify("  ".join(self.candidates), title="completions", timeout=4)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value
        self.history.add(line)
        self.value = ""
        self.post_message(self.Entered(line))


class Panel(Vertical):
    """A bordered panel with a title (styled in ldm.tcss)."""

    def __init__(self, *children, title: str = "", **kw):
        super().__init__(*children, **kw)
        self.border_title = title
