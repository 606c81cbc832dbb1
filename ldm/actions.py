"""What a change needs from a running machine, and the backend that carries it out.

The manager computes every change as data: the configuration before, the one after, the
notices to print, and the ordered actions a running machine must perform to get there
(DESIGN.md "The Logical Domains chain"; ldoms_protocols.md §1.3 ordering rules):

    Reconfigure()                    hvctl reconfigure with the hypervisor MD of `after`
    MdUpdate(domain)                 DS md-update: the guest re-reads its MD
    DrConfigure(domain, vids)        dr-cpu CONFIGURE  (after Reconfigure + MdUpdate)
    DrUnconfigure(domain, vids, force)  dr-cpu UNCONFIGURE / FORCE_UNCONFIG (before
                                     Reconfigure; then MdUpdate)
    GuestStart(domain) / GuestStop(domain, force) / GuestReboot(domain)
                                     hvctl guest_start / guest_stop (a reboot of the
                                     control domain applies its delayed reconfiguration)
    DelayedReconfigure(domain)       hvctl guest_delayed_reconf with the MD of the
                                     pending configuration
    CancelReconfigure(domain)        hvctl cancel_reconf
    SetVariables(domain)             var-config over the domain's DS channel

A `Backend` turns a `Change` into an `Outcome`: the configuration that holds afterwards
(`change.after` on success; for a DR request the guest carried out only in part, a
consistent configuration with what it did), the lines for stdout and stderr and the exit
status. The running machine's backend (issue 12 §3) plugs in here; `OfflineBackend`
serves a saved configuration with no machine running.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Reconfigure:
    pass


@dataclass(frozen=True)
class MdUpdate:
    domain: str


@dataclass(frozen=True)
class DrConfigure:
    domain: str
    vids: tuple[int, ...]


@dataclass(frozen=True)
class DrUnconfigure:
    domain: str
    vids: tuple[int, ...]
    force: bool = False


@dataclass(frozen=True)
class GuestStart:
    domain: str


@dataclass(frozen=True)
class GuestStop:
    domain: str
    force: bool = False


@dataclass(frozen=True)
class GuestReboot:
    domain: str


@dataclass(frozen=True)
class DelayedReconfigure:
    domain: str


@dataclass(frozen=True)
class CancelReconfigure:
    domain: str


@dataclass(frozen=True)
class SetVariables:
    domain: str


@dataclass(frozen=True)
class Change:
    before: object                     # Config
    after: object                      # Config
    actions: tuple = ()
    out: tuple[str, ...] = ()          # notices for stdout


@dataclass(frozen=True)
class Outcome:
    config: object                     # the Config that holds now
    out: tuple[str, ...] = ()
    err: tuple[str, ...] = ()
    status: int = 0


@dataclass(frozen=True)
class DomainStatus:
    """What only a running machine knows about an active domain: utilisation (percent
    of time not yielded to the hypervisor, ldoms_protocols.md §1.4/§2 item 7), uptime in
    simulated seconds, the guest's soft state, and per-vCPU utilisation by vid."""
    util: float
    uptime: int
    softstate: str = ""
    vcpu_util: dict = field(default_factory=dict)


class Backend(Protocol):
    live: bool

    def apply(self, change: Change) -> Outcome: ...

    def status(self, name: str) -> DomainStatus | None: ...

    def versions(self) -> dict[str, str]: ...


class OfflineBackend:
    """No machine runs: the store's configuration is what the next power-on starts.

    Nothing is executed, so nothing is claimed to have run. A real ldm changes an active
    domain whose operating system is not running (at the OpenBoot prompt) directly,
    without the DR agent; a powered-off machine's domains run no operating system, so
    offline, changes to active domains are recorded in the configuration in the same
    way. Starting, stopping and rebooting record the state the next power-on will have,
    and say so."""
    live = False

    def apply(self, change: Change) -> Outcome:
        out = list(change.out)
        for a in change.actions:
            if isinstance(a, GuestStart):
                out.append(f"LDom {a.domain} recorded as active: it starts at the next "
                           f"power-on (no running machine)")
            elif isinstance(a, GuestStop):
                out.append(f"LDom {a.domain} recorded as bound: it does not start at "
                           f"the next power-on (no running machine)")
            elif isinstance(a, GuestReboot):
                if change.before.delayed and not change.after.delayed:
                    out.append(f"The delayed reconfiguration of LDom {a.domain} is "
                               f"applied: it starts with its new configuration at the "
                               f"next power-on (no running machine)")
                else:
                    out.append(f"LDom {a.domain} is not running (no running machine): "
                               f"nothing to reboot")
        return Outcome(change.after, tuple(out))

    def status(self, name: str) -> DomainStatus | None:
        return None

    def versions(self) -> dict[str, str]:
        return {}
