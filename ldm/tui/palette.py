"""The command palette's ldm actions (ctrl+p): the single-key actions on every domain,
the listing commands, pause and speed, and any typed ldm command line."""
from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .cmdline import CommandLineError, parse


class LdmCommands(Provider):
    """Hits: "add-vcpu 1 ldg1", "stop-domain ldg2", "list-bindings ldg1", ..., the
    machine's pause/resume and speed, and "run: ldm ..." for a query that is itself a
    command line."""

    def _actions(self):
        app = self.app
        snap = app.snapshot
        names = snap.names() if snap is not None else []
        yield ("list-domain", "ldm list: the domains", partial(app.run_line, "list"))
        yield ("list-devices -a", "every core, strand and memory range with its owner",
               partial(app.run_line, "list-devices -a"))
        yield ("list-spconfig", "the service processor's configurations",
               partial(app.run_line, "list-spconfig"))
        yield ("list-policy", "the DRM policies", partial(app.run_line, "list-policy"))
        for n in names:
            d = snap.domain(n)
            yield (f"add-vcpu 1 {n}", f"give {n} one more vCPU (live dr-cpu)",
                   partial(app.run_line, f"add-vcpu 1 {n}"))
            yield (f"remove-vcpu 1 {n}", f"take one vCPU from {n} (live dr-cpu)",
                   partial(app.run_line, f"remove-vcpu 1 {n}"))
            if d is not None and d.state != "active":
                yield (f"start-domain {n}", f"start {n} (asks first)",
                       partial(app.ask_start, n))
            else:
                yield (f"stop-domain {n}", f"stop {n} (asks first)",
                       partial(app.ask_stop, n))
            yield (f"list-bindings {n}", f"{n}'s vCPUs, strands, memory, channels",
                   partial(app.run_line, f"list-bindings {n}"))
            yield (f"console {n}", f"show {n}'s console", partial(app.show_console, n))
        if app.controller.live:
            yield ("resume" if app.paused else "pause",
                   "let the machine run" if app.paused else "stop simulated time",
                   app.action_pause)
            yield ("speed faster", "more simulated time per second",
                   partial(app.action_speed, 1))
            yield ("speed slower", "less simulated time per second",
                   partial(app.action_speed, -1))
        yield ("help", "keys and what the columns mean", app.action_help)

    async def discover(self) -> Hits:
        for title, help_, cb in self._actions():
            yield DiscoveryHit(title, cb, help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_, cb in self._actions():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), cb, help=help_)
        try:
            p = parse(query)
        except CommandLineError:
            return
        if p.kind == "ldm" and len(p.argv) > 1:
            line = " ".join(p.argv)
            yield Hit(0.5, f"run: ldm {line}", partial(self.app.run_line, line),
                      help="run this ldm command line")
