"""The TUI's modal screens: the help screen (`?`) and the confirmation asked before
starting or stopping a domain and before forcing a blocked vCPU removal."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from .cmdline import TUI_WORDS

KEYS = (
    (":", "command line: any ldm command (add-vcpu 4 ldg1, list-bindings ldg1, ...), "
          "with or without `ldm`; Tab completes, Up/Down walk the history"),
    ("+ / -", "add / remove one vCPU of the selected domain (dr-cpu, live)"),
    ("s", "start the selected domain (binds it first when inactive); asks first"),
    ("x", "stop the selected domain; asks first"),
    ("c", "show the selected domain's console"),
    ("i", "type to the selected domain's console (Enter sends the line, Esc leaves)"),
    ("p", "pause / resume the machine"),
    ("[ / ]", "slower / faster simulation"),
    ("ctrl+p", "command palette: the same actions, searchable"),
    ("?", "this help"),
    ("q", "quit (the machine stops with the TUI)"),
)

NOTES = (
    ("UTIL", "time not yielded to the hypervisor: a guest that never yields shows "
             "100 % (ldm list; the sparklines show it per sample interval)"),
    ("FLAGS", "s starting/stopping · n normal, t transition, d degraded · d delayed "
              "reconfiguration pending · c control domain · v I/O service"),
    ("map", "one cell per strand, the vCPU id it runs, coloured by domain and "
            "brighter when busier; `split` marks a core shared by two domains"),
    ("blocked", "the guest refused a vCPU: `cpu has bound threads` can be forced "
                "(remove-vcpu -f), the last online vCPU cannot"),
    ("delayed", "memory and whole-core changes to primary wait for its reboot: `d` "
                "in FLAGS, other domains refused until then or cancel-reconf primary"),
)


def _table(rows, key_width: int) -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold #ffd060", width=key_width, no_wrap=True)
    t.add_column()
    for k, v in rows:
        t.add_row(k, v)
    return t


class HelpScreen(ModalScreen[None]):
    """Keys, the command line's words and what the columns mean."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Label(Text("ldm tui — keys", style="bold"))
            yield Static(_table(KEYS, 8))
            yield Label(Text("\ncommand line words besides ldm's", style="bold"))
            yield Static(_table(sorted(TUI_WORDS.items()), 8))
            yield Label(Text("\nwhat you see", style="bold"))
            yield Static(_table(NOTES, 8))
            yield Label(Text("\nEscape closes this screen.", style="dim"))


class ConfirmScreen(ModalScreen[bool]):
    """A question with Yes / No (keys y / n, Escape = no); dismisses with the answer."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)",
                                                             "No")]

    def __init__(self, question: str, detail: str = ""):
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label(Text(self.question, style="bold"), id="question")
            if self.detail:
                yield Static(self.detail, id="detail")
            with Horizontal(id="buttons"):
                yield Button("Yes (y)", variant="primary", id="yes")
                yield Button("No (n)", id="no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")
