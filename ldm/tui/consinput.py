"""The console pane's input line: what the user types there goes to the domain's
console, as a terminal attached to it would send it (a line ends in CR, the Return key
of a terminal), reaching the guest kernel's cons_getchar; the guest's echo and answer
appear in the pane above (its console output).

`i` (the app's console_input action) shows the selected domain's console and puts the
cursor here (a click on the line does too); Enter sends the line; Escape leaves the line (back to the domain table). The line
is sent through the app's `send_console(domain, bytes)` (ldm/tui/app.py), which the live
machine's controller serves (LiveController.send_console -> LiveManager.type_console);
an attached ldmd (`--attach`) carries no console, which the app says in one line."""
from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class ConsoleInput(Input):
    """The input line of domain `domain`'s console pane."""

    DEFAULT_CSS = """
    ConsoleInput {
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    ConsoleInput:focus {
        border: none;
        background: $accent 20%;
    }
    """
    BINDINGS = [Binding("escape", "leave", "Leave", show=False)]

    def __init__(self, domain: str, **kw):
        super().__init__(placeholder=f"type to {domain}'s console (Enter sends the line)",
                         **kw)
        self.domain = domain

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value
        self.value = ""
        send = getattr(self.app, "send_console", None)
        if send is not None:
            send(self.domain, line.encode("latin-1", "replace") + b"\r")

    def action_leave(self) -> None:
        self.value = ""
        leave = getattr(self.app, "leave_console", None)
        if leave is not None:
            leave()
