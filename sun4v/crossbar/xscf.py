"""The XSCF shell of the simulated M-series / E10000 service processor.

``xscf [--platform MODEL] [--state FILE] [-c "cmd; cmd" | SCRIPT]``.  Command names,
options and output columns follow the XSCF (reference part B4/B5); ``settraffic``,
``runtraffic``, ``showtraffic``, ``showxbar``, ``osctl``, ``installfru`` and ``removefru``
are simulator extensions (``help`` marks them).
"""
from __future__ import annotations

import argparse
import getopt
import json
import os
import shlex
import sys as _sys
from typing import Callable

from . import config, dr, state
from .boards import BoardError, parse_psb
from .catalogue import PLATFORMS, platform
from .domain import RUNNING
from .system import System, XscfError
from .traffic import TrafficSetting
from .xbar import NO_DOMAIN

DEFAULT_PLATFORM = "M5000"
MAX_RUN_CYCLES = 2_000_000


class UsageError(XscfError):
    pass


# --- small parsing helpers ------------------------------------------------------------------

def _int(text: str, what: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise XscfError(f"invalid {what} '{text}'") from None


def _did(text: str) -> int:
    return _int(text, "DID")


def _lsb(text: str) -> int:
    return _int(text, "LSB")


def _yn(opts: dict) -> bool:
    """False when the operator answered no in advance (-n)."""
    return "-n" not in opts


def _opts(args: list[str], spec: str, usage: str) -> tuple[dict, list[str]]:
    try:
        pairs, rest = getopt.gnu_getopt(args, spec)
    except getopt.GetoptError as e:
        raise UsageError(f"{e.msg}; usage: {usage}") from None
    return {k: v for k, v in pairs}, rest


# --- the shell ------------------------------------------------------------------------------

class Shell:
    """Runs XSCF command lines against a System; saves it after every change."""

    def __init__(self, system: System, state_path: str | None = None,
                 out=None, err=None):
        self.sys = system
        self.state_path = state_path
        self.out = out or _sys.stdout
        self.err = err or _sys.stderr
        self.failures = 0
        self.exit_requested = False
        self.echo = False             # print "XSCF> command" before running it

    def p(self, line: str = "") -> None:
        self.out.write(line.rstrip() + "\n")

    def run_line(self, line: str) -> int:
        """Run one line (several commands may be separated by ';'). Returns the status."""
        status = 0
        for part in line.split(";"):
            part = part.strip()
            if not part or part.startswith("#"):
                continue
            try:
                argv = shlex.split(part, comments=True)
            except ValueError as e:
                self.err.write(f"xscf: {e}: {part}\n")
                self.failures += 1
                status = 1
                continue
            if argv:
                if self.echo:
                    self.out.write(f"XSCF> {part}\n")
                    self.out.flush()
                st = self.execute(argv)
                status = status or st
            if self.exit_requested:
                break
        return status

    def execute(self, argv: list[str]) -> int:
        name, args = argv[0], argv[1:]
        entry = COMMANDS.get(name)
        if entry is None:
            self.err.write(f"xscf: {name}: command not found (try help)\n")
            self.failures += 1
            return 1
        before = state.dumps(self.sys)
        try:
            entry.fn(self, args)
        except XscfError as e:
            self.sys = state.from_dict(json.loads(before))
            self.err.write(f"{name}: {e}\n")
            self.failures += 1
            return 1
        except Exception as e:          # a bug must not leave a half-done state or a traceback
            self.sys = state.from_dict(json.loads(before))
            self.err.write(f"{name}: internal error: {type(e).__name__}: {e}\n")
            self.failures += 1
            return 1
        if self.state_path:
            after = state.dumps(self.sys)
            if after != before:
                try:
                    state.save(self.sys, self.state_path)
                except OSError as e:
                    self.err.write(f"{name}: cannot save state file {self.state_path}: "
                                   f"{e.strerror or e}\n")
                    self.failures += 1
                    return 1
        return 0


class Command:
    def __init__(self, fn: Callable, usage: str, about: str, extension: bool = False):
        self.fn, self.usage, self.about, self.extension = fn, usage, about, extension


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, about: str, extension: bool = False):
    def wrap(fn):
        COMMANDS[name] = Command(fn, usage, about, extension)
        return fn
    return wrap


def _fmt_did_lsb(did: int, lsb: int | None) -> str:
    return f"{did:02d}({lsb:02d})" if lsb is not None else f"{did:02d}(--)"


# --- display commands -----------------------------------------------------------------------

SHOWBOARDS_FMT = "{:<4} {:1} {:<8} {:<11} {:<4} {:<4} {:<4} {:<7} {:<8} {}"


@command("showboards", "showboards [-a] [-d DID] [-c sp] [XSB]",
         "show XSB status (DID(LSB) SP = system board pool)")
def cmd_showboards(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    opts, rest = _opts(args, "ad:c:", COMMANDS["showboards"].usage)
    if len(rest) > 1:
        raise UsageError("at most one XSB operand")
    view_did = None
    if "-d" in opts:
        view_did = _did(opts["-d"])
        s.check_did(view_did)
    if "-c" in opts and opts["-c"] != "sp":
        raise UsageError(f"invalid -c {opts['-c']} (only -c sp)")
    xids = sorted(s.xsbs)
    if rest:
        xids = [s.parse_xsb(rest[0])]
    elif view_did is not None:
        dcl = s.dcls.get(view_did)
        xids = [x for x in xids if (dcl and dcl.lsb_of(x) is not None)
                or s.st(x).owner == view_did or s.st(x).reserved_for == view_did]
    if "-c" in opts:
        xids = [x for x in xids if s.st(x).owner is None and s.st(x).reserved_for is None]
    sh.p(SHOWBOARDS_FMT.format("XSB", "R", "DID(LSB)", "Assignment", "Pwr", "Conn", "Conf",
                               "Test", "Fault", "COD"))
    sh.p(SHOWBOARDS_FMT.format("----", "-", "--------", "-----------", "----", "----", "----",
                               "-------", "--------", "----"))
    yn = {True: "y", False: "n"}
    for x in xids:
        st = s.st(x)
        r = "*" if (st.reserved_delete or st.reserved_for is not None) else ""
        if st.owner is not None:
            didl = _fmt_did_lsb(st.owner, s.lsb_of(st.owner, x))
            assign = "Assigned"
            if view_did is not None and st.owner != view_did:
                assign = "Unavailable"
        elif st.reserved_for is not None:
            didl = _fmt_did_lsb(st.reserved_for, s.lsb_of(st.reserved_for, x))
            assign = "Available"
            if view_did is not None and st.reserved_for != view_did:
                assign = "Unavailable"
        else:
            didl, assign = "SP", "Available"
        if st.fault != "Normal" or st.test == "Failed":
            assign = "Unavailable"
        sh.p(SHOWBOARDS_FMT.format(x, r, didl, assign, yn[st.pwr], yn[st.conn], yn[st.conf],
                                   st.test, st.fault, "n"))


def _domain_status(s: System, did: int) -> str:
    if not s.configured(did) and not s.domains[did].up:
        return "-"
    return s.domains[did].status


@command("showdcl", "showdcl [-v] -d DID | -a", "show domain component lists")
def cmd_showdcl(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    opts, rest = _opts(args, "vad:", COMMANDS["showdcl"].usage)
    if rest or ("-a" in opts) == ("-d" in opts):
        raise UsageError(f"usage: {COMMANDS['showdcl'].usage}")
    if "-d" in opts:
        dids = [_did(opts["-d"])]
        s.check_did(dids[0])
    else:
        dids = [d for d in sorted(s.domains) if s.configured(d)]
    verbose = "-v" in opts
    if verbose:
        fmt = "{:<5} {:<5} {:<5} {:<8} {:<8} {:<8} {:<8} {}"
        sh.p(fmt.format("DID", "LSB", "XSB", "Status", "No-Mem", "No-IO", "Float",
                        "Cfg-policy"))
    else:
        fmt = "{:<5} {:<5} {:<5} {}"
        sh.p(fmt.format("DID", "LSB", "XSB", "Status"))
    tf = {True: "True", False: "False"}
    for d in dids:
        dcl = s.dcls.get(d)
        status = _domain_status(s, d)
        if verbose:
            sh.p(fmt.format(f"{d:02d}", "", "", status, "", "", "",
                            (dcl.policy if dcl else "fru").upper()))
        else:
            sh.p(fmt.format(f"{d:02d}", "", "", status))
        for lsb, e in (dcl.sorted_entries() if dcl else []):
            if verbose:
                sh.p(fmt.format("", f"{lsb:02d}", e.xsb, "", tf[e.no_mem], tf[e.no_io],
                                tf[e.floating], ""))
            else:
                sh.p(fmt.format("", f"{lsb:02d}", e.xsb, ""))


@command("showdomainstatus", "showdomainstatus -a | -d DID", "show domain status words")
def cmd_showdomainstatus(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    opts, rest = _opts(args, "ad:", COMMANDS["showdomainstatus"].usage)
    if rest or ("-a" in opts) == ("-d" in opts):
        raise UsageError(f"usage: {COMMANDS['showdomainstatus'].usage}")
    if "-d" in opts:
        dids = [_did(opts["-d"])]
        s.check_did(dids[0])
    else:
        dids = sorted(s.domains)
    sh.p(f"{'DID':<11} Domain Status")
    for d in dids:
        sh.p(f"{d:02d}{'':<9} {_domain_status(s, d)}")


@command("showfru", "showfru [-a] sb [N]", "show PSB division (XSB mode) and memory mirror")
def cmd_showfru(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    opts, rest = _opts(args, "a", COMMANDS["showfru"].usage)
    if not rest and "-a" in opts:
        rest = ["sb"]
    if not rest or rest[0] != "sb" or len(rest) > 2:
        raise UsageError(f"usage: {COMMANDS['showfru'].usage}")
    try:
        slots = [parse_psb(rest[1], s.model)] if len(rest) == 2 else sorted(s.psbs)
    except BoardError as e:
        raise XscfError(str(e)) from None
    sh.p(f"{'Device':<8}{'Location':<12}{'XSB Mode':<16}Memory Mirror Mode")
    for slot in slots:
        psb = s.psbs[slot]
        if psb.cmu:
            sh.p(f"{'sb':<8}{slot:02d}{'':<10}{psb.mode:<16}{'yes' if psb.mirror else 'no'}")
        else:
            sh.p(f"{'sb':<8}{slot:02d}{'':<10}{'-':<16}-")


@command("showhardconf", "showhardconf [-v]",
         "show the installed hardware (summary); -v adds crossbar timing and chosen facts")
def cmd_showhardconf(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    m = s.model
    opts, rest = _opts(args, "v", COMMANDS["showhardconf"].usage)
    if rest:
        raise UsageError(f"usage: {COMMANDS['showhardconf'].usage}")
    up = any(d.up for d in s.domains.values())
    sh.p(f"{m.marketing_name};")
    sh.p(f"    + Model:{m.name}; System_Power:{'On' if up else 'Off'}; "
         f"Max_Domains:{m.max_domains}; Max_XSB_per_Domain:{m.max_xsbs_per_domain};")
    for d in sorted(s.domains):
        if s.configured(d) or s.domains[d].up:
            sh.p(f"    Domain#{d} Domain_Status:{s.domains[d].status};")
    unit = {"CMU": "CMU", "SB": "SB", "MBU_A": "PSB", "MBU_B": "PSB"}[m.board_unit]
    if m.board_unit.startswith("MBU"):
        sh.p(f"    {m.board_unit} Status:Normal;")
    for slot in sorted(s.psbs):
        psb = s.psbs[slot]
        ind = "        " if m.board_unit.startswith("MBU") else "    "
        if psb.cmu:
            mem_gb = psb.dimms * m.dimm_mb / 1024
            mem = f"{mem_gb:g} GB"
            sh.p(f"{ind}{unit}#{slot} Status:Normal; Mode:{psb.mode}; "
                 f"Mirror:{'yes' if psb.mirror else 'no'}; Memory_Size:{mem}; "
                 f"DIMMs:{psb.dimms};")
            for c in range(psb.cpus):
                sh.p(f"{ind}    CPU#{c} Status:Normal; Type:{m.cpu.name}; "
                     f"Freq:{m.cpu.ghz:.3f} GHz; Core:{m.cpu.cores}; Strand:{m.cpu.strands};")
        elif psb.iou:
            sh.p(f"{ind}{unit}#{slot} Status:Not installed; (IOU#{slot} alone does not "
                 "form a PSB)")
        else:
            sh.p(f"{ind}{unit}#{slot} Status:Not installed;")
        if psb.iou and m.family == "M":
            sh.p(f"{ind}IOU#{slot} Status:Normal;")
    for x in m.xbar_units:
        sh.p(f"    {x} Status:Normal;")
    if "-v" in opts:
        t = m.xbar
        sh.p(f"    + Crossbar: {m.ports} ports; filter:{m.filter_mode}; "
             f"clock:{t.clock_mhz} MHz; {t.port_bytes_per_cycle} B/port/cycle; "
             f"latency:{t.latency_cycles} cycles; queue:{t.queue_depth};")
        for note in m.chosen:
            sh.p(f"    + Chosen: {note};")


@command("showlogs", "showlogs [-r] [event|power|dr|isolation|config|os]",
         "show the event log (power, DR, isolation, configuration)")
def cmd_showlogs(sh: Shell, args: list[str]) -> None:
    opts, rest = _opts(args, "r", COMMANDS["showlogs"].usage)
    kinds = {"event": None, "power": "Power", "dr": "DR", "isolation": "Isolation",
             "config": "Config", "os": "OS", "traffic": "Traffic"}
    if len(rest) > 1 or (rest and rest[0] not in kinds):
        raise UsageError(f"usage: {COMMANDS['showlogs'].usage}")
    want = kinds[rest[0]] if rest else None
    rows = [e for e in sh.sys.log if want is None or e[1] == want]
    if "-r" in opts:
        rows = rows[::-1]
    sh.p(f"{'Date':<27} {'Type':<10} Message")
    for date, kind, msg in rows:
        sh.p(f"{date:<27} {kind:<10} {msg}")


# --- configuration commands -----------------------------------------------------------------

@command("setdcl", "setdcl -d DID -a LSB=XSB [LSB=XSB ...] | -d DID -r LSB [LSB ...] | "
         "-d DID -s OPTION=VALUE [LSB ...]",
         "edit a DCL; options policy=fru|xsb|system, no-mem, no-io, floating =true|false")
def cmd_setdcl(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["setdcl"].usage
    opts, rest = _opts(args, "d:ars:", usage)
    if "-d" not in opts or sum(k in opts for k in ("-a", "-r", "-s")) != 1:
        raise UsageError(f"usage: {usage}")
    did = _did(opts["-d"])
    if "-a" in opts:
        if not rest:
            raise UsageError("give LSB=XSB pairs")
        pairs = []
        for r in rest:
            if "=" not in r:
                raise UsageError(f"invalid operand '{r}' (expected LSB=XSB)")
            l, x = r.split("=", 1)
            pairs.append((_lsb(l), s.parse_xsb(x)))
        config.setdcl_add(s, did, pairs)
    elif "-r" in opts:
        if not rest:
            raise UsageError("give the LSB numbers to remove")
        config.setdcl_remove(s, did, [_lsb(r) for r in rest])
    else:
        if "=" not in opts["-s"]:
            raise UsageError(f"invalid -s {opts['-s']} (expected OPTION=VALUE)")
        opt, val = opts["-s"].split("=", 1)
        config.setdcl_option(s, did, opt.lower(), val, [_lsb(r) for r in rest])


@command("setupfru", "setupfru [-m y|n] [-x 1|4] sb N",
         "divide a PSB into one Uni-XSB (-x 1) or four Quad-XSBs (-x 4); memory mirror")
def cmd_setupfru(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["setupfru"].usage
    opts, rest = _opts(args, "m:x:", usage)
    if len(rest) != 2 or rest[0] != "sb" or not ("-m" in opts or "-x" in opts):
        raise UsageError(f"usage: {usage}")
    mode = None
    if "-x" in opts:
        mode = {"1": "Uni", "4": "Quad"}.get(opts["-x"])
        if mode is None:
            raise UsageError(f"invalid -x {opts['-x']} (1 or 4)")
    mirror = None
    if "-m" in opts:
        mirror = {"y": True, "n": False}.get(opts["-m"])
        if mirror is None:
            raise UsageError(f"invalid -m {opts['-m']} (y or n)")
    try:
        slot = parse_psb(rest[1], s.model)
    except BoardError as e:
        raise XscfError(str(e)) from None
    config.setupfru(s, slot, mode, mirror)


# --- DR commands ----------------------------------------------------------------------------

def _xsbs(s: System, rest: list[str]) -> list[str]:
    return [s.parse_xsb(r) for r in rest]


@command("addboard", "addboard [-y|-n] [-q] [-f] [-c assign|configure|reserve] -d DID XSB ...",
         "add XSBs to a domain (default -c configure)")
def cmd_addboard(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["addboard"].usage
    opts, rest = _opts(args, "ynqfc:d:v", usage)
    if "-d" not in opts or not rest:
        raise UsageError(f"usage: {usage}")
    did = _did(opts["-d"])
    xids = _xsbs(s, rest)
    mode = opts.get("-c", "configure")
    if not _yn(opts):
        return
    msgs = dr.addboard(s, did, xids, mode, force="-f" in opts)
    if "-q" not in opts:
        verb = {"assign": "assigned to", "configure": "configured into",
                "reserve": "reserved for"}[mode]
        for x in xids:
            st = s.st(x)
            if mode == "configure" and not st.conn:
                continue
            sh.p(f"XSB#{x} {verb} DID {did:02d} as LSB#{s.lsb_of(did, x):02d}.")
        for m in msgs:
            sh.p(m)


@command("deleteboard", "deleteboard [-y|-n] [-q] [-f] [-c disconnect|unassign|reserve] XSB ...",
         "delete XSBs from their domain (default -c disconnect)")
def cmd_deleteboard(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["deleteboard"].usage
    opts, rest = _opts(args, "ynqfc:v", usage)
    if not rest:
        raise UsageError(f"usage: {usage}")
    xids = _xsbs(s, rest)
    mode = opts.get("-c", "disconnect")
    if not _yn(opts):
        return
    owners = {x: s.st(x).owner for x in xids}
    msgs = dr.deleteboard(s, xids, mode, force="-f" in opts)
    if "-q" not in opts:
        for m in msgs:
            sh.p(m)
        verb = {"disconnect": "disconnected from", "unassign": "unassigned from",
                "reserve": "reserved for deletion from"}[mode]
        for x in xids:
            if owners[x] is not None:
                sh.p(f"XSB#{x} {verb} DID {owners[x]:02d}.")
            else:
                sh.p(f"XSB#{x}: reservation cancelled.")


@command("moveboard", "moveboard [-y|-n] [-q] [-f] [-c assign|configure|reserve] -d DID XSB",
         "move an XSB from its domain to another (default -c configure)")
def cmd_moveboard(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["moveboard"].usage
    opts, rest = _opts(args, "ynqfc:d:v", usage)
    if "-d" not in opts or len(rest) != 1:
        raise UsageError(f"usage: {usage}")
    did = _did(opts["-d"])
    x = s.parse_xsb(rest[0])
    mode = opts.get("-c", "configure")
    if not _yn(opts):
        return
    src = s.st(x).owner
    msgs = dr.moveboard(s, did, x, mode, force="-f" in opts)
    if "-q" not in opts:
        for m in msgs:
            sh.p(m)
        sh.p(f"XSB#{x} moved from DID {src:02d} to DID {did:02d} ({mode}).")


# --- power commands -------------------------------------------------------------------------

def _power_targets(sh: Shell, args: list[str], spec: str, usage: str):
    opts, rest = _opts(args, spec, usage)
    if rest or ("-a" in opts) == ("-d" in opts):
        raise UsageError(f"usage: {usage}")
    if "-d" in opts:
        did = _did(opts["-d"])
        sh.sys.check_did(did)
        return opts, [did], False
    return opts, sorted(sh.sys.domains), True


@command("poweron", "poweron [-y|-n] [-q] -d DID | -a",
         "power a domain on (applies reservations, boots to Running)")
def cmd_poweron(sh: Shell, args: list[str]) -> None:
    usage = COMMANDS["poweron"].usage
    opts, dids, all_ = _power_targets(sh, args, "ynqad:", usage)
    s = sh.sys
    if all_:
        dids = [d for d in dids if s.configured(d) and not s.domains[d].up]
        if not dids:
            sh.p("No domain to power on.")
            return
    if not _yn(opts):
        return
    for d in dids:
        s.poweron(d)
        if "-q" not in opts:
            sh.p(f"DID {d:02d}: powered on, {s.domains[d].status}.")


@command("poweroff", "poweroff [-y|-n] [-q] [-f] -d DID | -a",
         "shut a domain down and power it off (applies reservations)")
def cmd_poweroff(sh: Shell, args: list[str]) -> None:
    usage = COMMANDS["poweroff"].usage
    opts, dids, all_ = _power_targets(sh, args, "ynqfad:", usage)
    s = sh.sys
    if all_:
        dids = [d for d in dids if s.domains[d].up]
        if not dids:
            sh.p("No domain to power off.")
            return
    if not _yn(opts):
        return
    for d in dids:
        s.poweroff(d)
        if "-q" not in opts:
            sh.p(f"DID {d:02d}: powered off.")


@command("reset", "reset [-y|-n] [-q] -d DID por|panic|xir",
         "reset a domain (por, xir: reboot; panic: request a panic)")
def cmd_reset(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["reset"].usage
    opts, rest = _opts(args, "ynqd:", usage)
    if "-d" not in opts or len(rest) != 1 or rest[0] not in ("por", "panic", "xir"):
        raise UsageError(f"usage: {usage}")
    did = _did(opts["-d"])
    if not _yn(opts):
        return
    s.reset(did, rest[0])
    if "-q" not in opts:
        sh.p(f"DID {did:02d}: reset {rest[0]}, {s.domains[did].status}.")


# --- simulator extensions -------------------------------------------------------------------

@command("settraffic", "settraffic -d DID [-r RATE] [-w WRITE%] [-i INTR%] [-o IO%] "
         "[-a LO-HI] [-t XSB|none] | settraffic -d DID off",
         "set the per-CPU traffic generators of a domain (RATE per 100 cycles; -a in MB)",
         extension=True)
def cmd_settraffic(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["settraffic"].usage
    opts, rest = _opts(args, "d:r:w:i:o:a:t:", usage)
    if "-d" not in opts:
        raise UsageError(f"usage: {usage}")
    did = _did(opts["-d"])
    s.check_did(did)
    if rest == ["off"]:
        if did not in s.traffic:
            raise XscfError(f"DID {did:02d} has no traffic set")
        del s.traffic[did]
        s.event("Traffic", f"DID {did:02d}: traffic off")
        return
    if rest:
        raise UsageError(f"usage: {usage}")
    t = TrafficSetting(**s.traffic[did].to_dict()) if did in s.traffic else TrafficSetting()
    for flag, field_, lo, hi in (("-r", "rate", 0, 100), ("-w", "write_pct", 0, 100),
                                 ("-i", "intr_pct", 0, 100), ("-o", "io_pct", 0, 100)):
        if flag in opts:
            v = _int(opts[flag], field_)
            if not lo <= v <= hi:
                raise XscfError(f"{flag} {v} is out of range ({lo}-{hi})")
            setattr(t, field_, v)
    if t.write_pct + t.intr_pct + t.io_pct > 100:
        raise XscfError("write, interrupt and I/O percentages add up to more than 100")
    if "-a" in opts:
        lo_s, _, hi_s = opts["-a"].partition("-")
        lo_v = _int(lo_s, "address range start")
        hi_v = None if hi_s in ("", "end") else _int(hi_s, "address range end")
        if lo_v < 0 or (hi_v is not None and hi_v <= lo_v):
            raise XscfError(f"invalid address range {opts['-a']} (LO-HI in MB, LO < HI)")
        t.lo_mb, t.hi_mb = lo_v, hi_v
    if "-t" in opts:
        t.target = None if opts["-t"] == "none" else s.parse_xsb(opts["-t"])
    s.traffic[did] = t
    s.event("Traffic", f"DID {did:02d}: {t.describe()}")


def _rate_table(sh: Shell, stats_before: dict, cycles: int) -> None:
    s = sh.sys
    xb = s.xbar
    mhz = xb.t.clock_mhz
    sh.p(f"{'DID':<4} {'CPUs':<5} {'Sent':<10} {'Delivered':<10} {'Blocked':<8} "
         f"{'Stalled':<8} {'MB/s':<10} Avg-lat")
    for did in sorted(set(xb.stats) | set(d for d in s.traffic if s.domains[d].running)):
        st = xb.stats.get(did)
        if st is None:
            continue
        b = stats_before.get(did, {})
        def dv(f):
            return getattr(st, f) - b.get(f, 0)
        cpus = sum(len(s.xsb(x).cpus) for x in s.connected_xsbs(did))
        mbs = dv("bytes") * mhz / cycles if cycles else 0.0
        lat = dv("latency") / dv("delivered") if dv("delivered") else 0.0
        sh.p(f"{did:02d}   {cpus:<5} {dv('sent'):<10} {dv('delivered'):<10} "
             f"{dv('blocked'):<8} {dv('stalled'):<8} {mbs:<10.1f} {lat:.1f}")


@command("runtraffic", "runtraffic [-n CYCLES]",
         "run the traffic generators for CYCLES crossbar cycles (default 10000), then drain",
         extension=True)
def cmd_runtraffic(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    opts, rest = _opts(args, "n:", COMMANDS["runtraffic"].usage)
    if rest:
        raise UsageError(f"usage: {COMMANDS['runtraffic'].usage}")
    n = _int(opts.get("-n", "10000"), "cycle count")
    if not 1 <= n <= MAX_RUN_CYCLES:
        raise XscfError(f"cycle count must be 1..{MAX_RUN_CYCLES}")
    if not s.traffic_active():
        raise XscfError("no running domain has traffic set (use settraffic)")
    before = {d: st.to_dict() for d, st in s.xbar.stats.items()}
    iso = {k: list(v) for k, v in s.xbar.isolation.items()}
    eng = s.traffic_engine()
    eng.run(n)
    drained = eng.drain()
    s.record_isolation(iso)
    sent = sum(st.sent for st in s.xbar.stats.values()) - sum(b.get("sent", 0)
                                                               for b in before.values())
    s.event("Traffic", f"ran {n} cycles, {sent} transactions sent, drained in {drained} cycles")
    t = s.xbar.t
    sh.p(f"Ran {n} crossbar cycles ({n / t.clock_mhz:.3f} us at {t.clock_mhz} MHz), "
         f"drained in {drained} cycles.")
    _rate_table(sh, before, n + drained)


@command("showtraffic", "showtraffic", "show traffic settings and crossbar counters",
         extension=True)
def cmd_showtraffic(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    _opts(args, "", COMMANDS["showtraffic"].usage)
    if args:
        raise UsageError(f"usage: {COMMANDS['showtraffic'].usage}")
    xb = s.xbar
    t = xb.t
    sh.p(f"Crossbar: {xb.n} ports, {t.clock_mhz} MHz, {t.port_bytes_per_cycle} B/port/cycle, "
         f"latency {t.latency_cycles} cycles, filter {xb.unit.mode}; cycle {xb.cycle}")
    for did, st in sorted(s.traffic.items()):
        sh.p(f"DID {did:02d} traffic: {st.describe()}"
             f"{'' if s.domains[did].running else ' (domain not running)'}")
    _rate_table(sh, {}, xb.cycle)
    sh.p(f"In flight: {xb.in_flight()}; blocked (isolation): {xb.total_blocked}; "
         f"cross-domain deliveries: {xb.cross_domain_deliveries}")


@command("showxbar", "showxbar", "show each crossbar port's domain register and mask",
         extension=True)
def cmd_showxbar(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    if args:
        raise UsageError(f"usage: {COMMANDS['showxbar'].usage}")
    port_xsb = {x.port: x.id for x in s.xsbs.values()}
    u = s.xbar.unit
    width = (u.ports + 3) // 4
    sh.p(f"{'Port':<5} {'XSB':<5} {'DID':<4} Mask")
    for p in range(u.ports):
        did = u.domain[p]
        sh.p(f"{p:<5} {port_xsb.get(p, '-'):<5} "
             f"{'SP' if did == NO_DOMAIN else f'{did:02d}':<4} 0x{u.mask[p]:0{width}x}")


@command("osctl", "osctl -d DID [bind-cpu|unbind-cpu|io-busy|io-idle XSB | services on|off]",
         "show or change the domain OS state that DR depends on", extension=True)
def cmd_osctl(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["osctl"].usage
    opts, rest = _opts(args, "d:", usage)
    if "-d" not in opts or len(rest) not in (0, 2):
        raise UsageError(f"usage: {usage}")
    did = _did(opts["-d"])
    dom = s.check_did(did)
    if rest:
        config.osctl(s, did, rest[0], rest[1])
        return
    os_ = dom.os
    sh.p(f"DID {did:02d} {dom.status}")
    if dom.status != RUNNING:
        return
    sh.p(f"DR services (dscp, dcs, sckmd): {'online' if os_.services_online else 'offline'}")
    sh.p(f"Kernel memory: XSB#{os_.kernel_xsb}")
    sh.p("Memory: " + ", ".join(f"range {slot:02d} on XSB#{x}"
                                for slot, x in sorted(os_.mem_map.items())))
    sh.p(f"CPUs with bound work: {', '.join(sorted(os_.bound_cpus)) or '-'}")
    sh.p(f"I/O in use: {', '.join(sorted(os_.io_busy)) or '-'}")


@command("installfru", "installfru cmu|iou N [cpus=C] [dimms=D]",
         "install a CMU or IOU in slot N (field engineer)", extension=True)
def cmd_installfru(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    usage = COMMANDS["installfru"].usage
    if len(args) < 2:
        raise UsageError(f"usage: {usage}")
    try:
        slot = parse_psb(args[1], s.model)
    except BoardError as e:
        raise XscfError(str(e)) from None
    kw = {}
    for a in args[2:]:
        k, _, v = a.partition("=")
        if k not in ("cpus", "dimms") or not v:
            raise UsageError(f"usage: {usage}")
        kw[k] = _int(v, k)
    config.installfru(s, args[0].lower(), slot, **kw)


@command("removefru", "removefru cmu|iou N", "remove a CMU or IOU from slot N (field engineer)",
         extension=True)
def cmd_removefru(sh: Shell, args: list[str]) -> None:
    s = sh.sys
    if len(args) != 2:
        raise UsageError(f"usage: {COMMANDS['removefru'].usage}")
    try:
        slot = parse_psb(args[1], s.model)
    except BoardError as e:
        raise XscfError(str(e)) from None
    config.removefru(s, args[0].lower(), slot)


@command("help", "help [COMMAND]", "list commands, or show one command's usage")
def cmd_help(sh: Shell, args: list[str]) -> None:
    if args:
        c = COMMANDS.get(args[0])
        if c is None:
            raise XscfError(f"no such command '{args[0]}'")
        sh.p(f"Usage: {c.usage}")
        sh.p(f"  {c.about}{' (simulator extension)' if c.extension else ''}")
        return
    sh.p(f"XSCF commands ({sh.sys.model.marketing_name}, {sh.sys.model.name}):")
    for name, c in COMMANDS.items():
        if not c.extension and name not in ("help", "exit"):
            sh.p(f"  {name:<17} {c.about}")
    sh.p("Simulator extensions:")
    for name, c in COMMANDS.items():
        if c.extension:
            sh.p(f"  {name:<17} {c.about}")
    sh.p("  help [COMMAND], exit")


@command("exit", "exit", "leave the shell")
def cmd_exit(sh: Shell, args: list[str]) -> None:
    sh.exit_requested = True


COMMANDS["quit"] = COMMANDS["exit"]


# --- entry point ----------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xscf",
        description="XSCF shell of a simulated SPARC Enterprise M-series or Sun Enterprise "
                    "10000 service processor.",
        epilog=f"Platforms: {', '.join(PLATFORMS)} (default {DEFAULT_PLATFORM}). "
               "Type 'help' at the XSCF> prompt for the commands.")
    p.add_argument("--platform", metavar="MODEL", help="server model")
    p.add_argument("--state", metavar="FILE",
                   help="state file: loaded at start, saved after every change")
    p.add_argument("--seed", type=int, default=1, help="traffic generator seed (new state)")
    p.add_argument("-c", dest="commands", metavar="CMDS",
                   help="run these commands (separated by ';') and exit")
    p.add_argument("--echo", action="store_true",
                   help="in -c/SCRIPT mode, print each command after the XSCF> prompt")
    p.add_argument("--demo", action="store_true",
                   help="run the built-in demo session (M8000 unless --platform is given)")
    p.add_argument("script", nargs="?", help="file of commands to run")
    return p


DEMO_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo.xscf")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    err = _sys.stderr
    if sum(x is not None and x is not False for x in (args.commands, args.script,
                                                       args.demo or None)) > 1:
        err.write("xscf: give only one of -c CMDS, SCRIPT or --demo\n")
        return 2
    if args.demo:
        args.script, args.echo = DEMO_SCRIPT, True
        args.platform = args.platform or "M8000"
    try:
        if args.state and os.path.exists(args.state):
            system = state.load(args.state)
            if args.platform and platform(args.platform).name != system.model.name:
                err.write(f"xscf: state file {args.state} is for the {system.model.name}, "
                          f"not the {platform(args.platform).name}\n")
                return 2
        else:
            system = System(platform(args.platform or DEFAULT_PLATFORM), seed=args.seed)
    except state.StateError as e:
        err.write(f"xscf: {e}\n")
        return 2
    except KeyError as e:
        err.write(f"xscf: {e.args[0]}\n")
        return 2
    script = None
    if args.script:
        try:
            with open(args.script, encoding="utf-8") as f:
                script = f.read()
        except (OSError, UnicodeDecodeError) as e:
            err.write(f"xscf: cannot read script {args.script}: "
                      f"{getattr(e, 'strerror', None) or e}\n")
            return 2
    sh = Shell(system, args.state)
    sh.echo = args.echo
    try:
        if args.commands is not None or script is not None:
            text = args.commands if args.commands is not None else script
            for line in text.splitlines():
                sh.run_line(line)
                _sys.stdout.flush()
                if sh.exit_requested:
                    break
            return 1 if sh.failures else 0
        return _interactive(sh)
    except KeyboardInterrupt:
        err.write("\n")
        return 130
    except BrokenPipeError:
        return 1


def _interactive(sh: Shell) -> int:
    tty = _sys.stdin.isatty()
    if tty:
        try:
            import readline  # noqa: F401  (line editing and history at the prompt)
        except ImportError:
            pass
    while not sh.exit_requested:
        try:
            if tty:
                line = input("XSCF> ")
            else:
                _sys.stdout.write("XSCF> ")
                _sys.stdout.flush()
                line = _sys.stdin.readline()
                if not line:
                    _sys.stdout.write("\n")
                    break
        except EOFError:
            _sys.stdout.write("\n")
            break
        except KeyboardInterrupt:
            _sys.stdout.write("\n")
            continue
        sh.run_line(line)
        _sys.stdout.flush()
    return 0 if tty or not sh.failures else 1


if __name__ == "__main__":
    _sys.exit(main())
