"""Errors of the manager: each carries the lines the real `ldm` prints on stderr (reference
ldm_xscf.md A6, where the reference has the words) and leaves the configuration unchanged."""


class LdmError(Exception):
    """A refused command. `lines` go to stderr; the exit status is 1."""

    def __init__(self, *lines: str):
        if not lines:
            raise ValueError("LdmError needs a message")
        self.lines = tuple(lines)
        super().__init__("\n".join(lines))


class UsageError(LdmError):
    """Bad command line (unknown subcommand, option or operand)."""
