"""Full-system boot of logical domains (`sun4v boot`): a TOML configuration of domains
(config.py) is bound by the ldm binder, written as machine descriptions (ldm/mdwriter.py)
and run on a Machine with the project's firmware hypervisor (system.py); command.py is
the command line.  hvstate.py reads the hypervisor's own tables from the machine's
memory (guest and vCPU states, hypercall and trap counts, yielded cycles)."""
from .config import BootConfig, BootError, DomainConfig, load_config
from .system import System

__all__ = ["BootConfig", "BootError", "DomainConfig", "System", "load_config"]
