"""The `ldm` subcommands (see registry.py); importing this package registers them all."""
from . import domains, listing, resources, services, settings, vcons, vio  # noqa: F401  (register)
from .registry import COMMANDS, canonical, execute, usage_lines, version_lines

__all__ = ["COMMANDS", "canonical", "execute", "usage_lines", "version_lines",
           "domains", "listing", "resources", "services", "settings"]
