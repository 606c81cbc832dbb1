"""`sun4v boot CONFIG.toml [--mode functional|cycle] [--until TIME | --insns N]
[--console DIR] [--stats FILE|-] [--quantum Q] [--checkpoint-at TIME FILE]
[--ldmd SOCKET [--ldmd-log FILE] [--ldmd-state DIR]]`,
`sun4v boot --restore FILE [--until TIME | --insns N] [--console DIR] [--stats FILE|-]
[--checkpoint-at TIME FILE] [--ldmd SOCKET ...]` and `sun4v boot --example PLATFORM`
(issue 11 §4, 12 §1, 14 §3).

With --ldmd SOCKET the Logical Domains Manager runs with the machine (ldm/live.py):
the machine runs until stopped (Ctrl-C, SIGTERM, or --until TIME) in a worker thread,
and `ldm --socket SOCKET ...` (or LDMD_SOCKET=SOCKET ldm ...) changes it while it runs;
--ldmd-log FILE appends the manager's event log (DR requests and results, policy
actions, delayed reconfiguration) to FILE; --ldmd-state DIR keeps the service
processor's saved configurations in DIR/spconfig.json across runs (written atomically,
ldm/store.py). --insns does not apply then. A domain's
program writes to its console and --console DIR's NAME.out / NAME.err as without the
manager; its end is a manager event (`ldm list-events`, the --ldmd-log line "program
NAME: PATH: exit status N") and the machine runs on until stopped.

Builds the machine of the configuration (config.py, system.py), runs it from power-on
reset until every domain has stopped, the simulated time TIME ("20ms") or N
instructions, then prints a summary: per domain its state, vCPUs and their strands,
memory, utilisation (time not yielded to the hypervisor, from the hypervisor's yielded
%stick ticks), hypercalls, traps and exit code, then for each domain that runs a
program (`program = "PATH"`, issue 14 §1) the line `program NAME: PATH: exit status N`
(or `killed by signal N`, `not started`, `stopped with its domain before its end`,
`still running`).  Consoles: each domain's
console (its guest UART) goes to stdout as "[name] line", or with --console DIR to
DIR/NAME.log (the hypervisor's own console to DIR/hypervisor.log); a domain program's
stdout and stderr appear on its console and, with --console DIR, alone in DIR/NAME.out
and DIR/NAME.err.  --stats FILE writes the machine's
statistics with the per-domain, per-strand and per-core figures as JSON (`-`: stdout,
after the summary).

--mode cycle runs the machine on the cycle-level model (Machine(mode="cycle"): every
strand of every core in the thread select, caches, crossbar, DRAM; TIME is then exact
in cycles). The summary adds the cycles, the machine's IPC and each domain's CPI; the
JSON is the cycle model's: per strand its cycles running, ready and waiting by reason,
per core IPC and pipe utilisation, l1i/l1d/l2/itlb/dtlb/memory/ccx counters (L2 misses,
miss rates, per core and per bank rows), and per domain "cycle": instructions, awake
cycles, CPI and its strands' cycles by reason. --quantum applies to functional mode.

Checkpoints (sun4v/checkpoint.py): --checkpoint-at TIME FILE saves the whole machine
when the simulated time reaches TIME, then the run goes on as asked; --restore FILE
builds the machine saved there and runs on from its time (TIME and --until are machine
times, counted from power-on). A restored run continues exactly as the uninterrupted one:
its consoles are printed (or written to DIR) from the beginning, so they equal the
uninterrupted run's byte for byte, and so do its instruction counts and summary.

With --ldmd, --checkpoint-at TIME FILE saves the machine and the manager (ldm/livestate.py:
its configuration, bindings, pending delayed reconfiguration, SP configurations,
variables, events, the LDC channels it holds, the virtual disk server) at the first safe
point at or after TIME (the end of a manager slice with no command, DR exchange, hvctl
request or disk request in flight; "ldmd: checkpoint FILE written at T ms" on stderr,
and in the summary); `--restore FILE --ldmd SOCKET2` serves the restored manager on
SOCKET2 (`ldm --socket SOCKET2 list` shows what it showed then) and goes on exactly as
the saved run for the same commands at the same simulated times. A checkpoint of a
machine run with the manager is restored only with --ldmd, one without only without
(one line, exit status 2); so is one whose virtual disk backing file is missing or has
changed since (the disks' content is not in the checkpoint), or with --ldmd-state DIR
holding other saved configurations than the checkpoint's (an empty DIR gets them).

Consoles over TCP (ldm/vntsd.py, as Solaris's vntsd serves them): while the machine runs,
each guest domain's console is served on 127.0.0.1 at the domain's console port (the
[vcc] table's port-range, default 5000-5100; `ldm list` shows it as CONS): `telnet
127.0.0.1 5000` or `nc 127.0.0.1 5000` shows its output from then on, and what is typed
reaches the guest (the hypervisor's cons_getchar; the guest kernel echoes it and answers
`help`, `uptime`, `vcpus`). A port another program holds is a one-line error (exit
status 2, nothing run); with --ldmd, a domain bound later whose port cannot be served
gets a one-line notice on stderr and in the event log. The ports are released when the
machine stops. SUN4V_VNTSD=0 in the environment serves no console (the test suite runs
many machines at once).

Exit status: 0 when the run ends (every domain stopped, every domain program ended,
the time or the instruction limit reached); 1 when the hypervisor panics or a strand enters error state; 2 for bad
input (a missing or invalid configuration, more vCPUs or memory than the platform has,
an unknown workload or platform; a missing, corrupt, truncated or wrong-version
checkpoint; a checkpoint or --until time not after the start), one line on stderr, and
nothing is written; 1 also when the run ends before the checkpoint time (no checkpoint is
written)."""
import json
import os
import sys
import time

from ..cli import UsageError, check_output_path, register
from .config import BootError, load_config

EXAMPLES = os.path.join(os.path.dirname(__file__), "examples")


def _args(p):
    p.add_argument("config", nargs="?", metavar="CONFIG.toml", help="the domains to boot")
    p.add_argument("--example", metavar="PLATFORM",
                   help="print an example configuration for PLATFORM's family and exit")
    p.add_argument("--mode", choices=["functional", "cycle"], default=None,
                   help="functional (default) or cycle (a restored run: the "
                        "checkpoint's)")
    p.add_argument("--restore", metavar="FILE",
                   help="run on from the checkpoint FILE instead of a configuration")
    p.add_argument("--checkpoint-at", nargs=2, metavar=("TIME", "FILE"),
                   help="save the whole machine to FILE at simulated time TIME (e.g. "
                        "10ms), then run on")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--until", metavar="TIME", help="stop at simulated time TIME (e.g. 20ms)")
    g.add_argument("--insns", type=int, metavar="N", help="stop after N instructions")
    p.add_argument("--console", metavar="DIR", help="write consoles to DIR/NAME.log")
    p.add_argument("--stats", metavar="FILE", help="statistics as JSON to FILE (- stdout)")
    p.add_argument("--quantum", type=int, metavar="Q",
                   help="steps each strand runs per round (default 1000)")
    p.add_argument("--ldmd", metavar="SOCKET",
                   help="run the domain manager with the machine, serving `ldm` on the "
                        "Unix socket SOCKET, until stopped")
    p.add_argument("--ldmd-log", metavar="FILE",
                   help="with --ldmd: append the manager's event log to FILE")
    p.add_argument("--ldmd-state", metavar="DIR",
                   help="with --ldmd: the service processor's store of saved "
                        "configurations (add/list/remove-spconfig) in DIR/spconfig.json, "
                        "kept across runs (default: in memory)")


def _example(name):
    from ..machine import platforms
    try:
        p = platforms.platform(name)
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    fam = {"t1": "t2000", "t2": "t5220", "t2plus": "t5240"}[p.family]
    with open(os.path.join(EXAMPLES, fam + ".toml")) as f:
        text = f.read()
    sys.stdout.write(text.replace(f'platform = "{fam.upper()}"', f'platform = "{p.key.upper()}"'))
    return 0


def id_ranges(ids) -> str:
    """Strand, vCPU or core numbers as ranges: [0, 1, 2, 5, 7, 8] -> "0-2,5,7-8"
    (`ids` ascending)."""
    out, start, prev = [], None, None
    for p in list(ids) + [None]:
        if start is None:
            start = prev = p
        elif p is not None and p == prev + 1:
            prev = p
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = p
    return ",".join(out)


def _size(n):
    for unit, k in (("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << k and n % (1 << k) == 0:
            return f"{n >> k}{unit}"
    return str(n)


class _Consoles:
    """Console bytes of each domain -> stdout lines "[name] text" or DIR/NAME.log."""

    def __init__(self, names, directory, programs=()):
        self.dir = directory
        self.partial = {n: b"" for n in names}
        self.files = {}
        self.streams = {}
        if directory:
            for n in names:
                self.files[n] = open(os.path.join(directory, n + ".log"), "wb")
            for n in programs:
                for st in ("out", "err"):
                    self.streams[n, st] = open(os.path.join(directory, f"{n}.{st}"), "wb")

    def program(self, name, stream, data):
        """A domain program's stdout ("out") or stderr ("err"): on its console, and
        alone in DIR/NAME.out / NAME.err."""
        f = self.streams.get((name, stream))
        if f is None and self.dir:              # a program of a domain bound later
            f = self.streams[name, stream] = open(
                os.path.join(self.dir, f"{name}.{stream}"), "wb")
        if f is not None:
            f.write(data)
            f.flush()
        self(name, data)

    def __call__(self, name, data):
        data = data.replace(b"\r\n", b"\n")
        if name not in self.partial:            # a domain bound while the machine runs
            self.partial[name] = b""
            if self.dir:
                self.files[name] = open(os.path.join(self.dir, name + ".log"), "wb")
        if self.dir:
            self.files[name].write(data)
            self.files[name].flush()
            return
        buf = self.partial[name] + data
        *lines, rest = buf.split(b"\n")
        self.partial[name] = rest
        for ln in lines:
            sys.stdout.write(f"[{name}] {ln.decode('latin-1')}\n")
        sys.stdout.flush()

    def close(self, hv_text):
        for name, rest in self.partial.items():
            if rest:
                sys.stdout.write(f"[{name}] {rest.decode('latin-1')}\n")
        for f in list(self.files.values()) + list(self.streams.values()):
            f.close()
        if self.dir:
            with open(os.path.join(self.dir, "hypervisor.log"), "w") as f:
                f.write(hv_text)


def _vntsd(ports):
    """A console server listening on every guest's port, or None (SUN4V_VNTSD=0, or
    no guest has a port). UsageError (one line, exit 2) when a port cannot be served."""
    from ldm.vntsd import Vntsd, enabled
    if not ports or not enabled():
        return None
    vt = Vntsd()
    errs = vt.sync(ports)
    if errs:
        vt.close()
        raise UsageError(f"boot: {errs[0]}")
    return vt


class _Tee:
    """Console output to the printed/written consoles and to vntsd's clients."""

    def __init__(self, cons, vt):
        self.cons, self.vt = cons, vt

    def __call__(self, name, data):
        self.cons(name, data)
        self.vt.output(name, data)

    def program(self, name, stream, data):
        self.cons.program(name, stream, data)
        self.vt.output(name, data.replace(b"\n", b"\r\n"))

    def close(self, hv_text):
        self.cons.close(hv_text)


def summary(sysm, result, host_s):
    """The run's summary lines; cycle mode adds the cycles and the machine's IPC, and
    each domain's CPI (cycles its strands were awake per instruction they retired)."""
    p = sysm.platform
    cyc = sysm.m.mode == "cycle"
    lines = [f"sun4v boot: {p.key.upper()} ({p.name}), {len(sysm.cfg.domains)} domains, "
             f"{sysm.m.mode}; {result.reason}"
             + (f": {result.detail}" if result.detail else ""),
             f"simulated {sysm.seconds * 1e3:.3f} ms, {sysm.m.insns_run:,} instructions, "
             + (f"{sysm.m.time:,} cycles (IPC {sysm.m.insns_run / max(1, sysm.m.time):.3f}), "
                if cyc else "")
             + f"{host_s:.1f} s host"]
    hdr = f"{'DOMAIN':<10} {'STATE':<12} {'VCPUS':>5}  {'STRANDS':<14} {'MEMORY':>6} " \
          f"{'UTIL':>6} {'HCALLS':>8} {'TRAPS':>8} {'EXIT':>5}" + (f" {'CPI':>6}" if cyc else "")
    lines.append(hdr)
    for d in sysm.domain_stats():
        ex = "" if d["state"] != "stopped" else str(d["exit_code"])
        cpi = ""
        if cyc:
            c = d["cycle"]["cpi"]
            cpi = f" {c:>6.2f}" if c else f" {'-':>6}"
        lines.append(f"{d['name']:<10} {d['state']:<12} {len(d['vcpus']):>5}  "
                     f"{id_ranges(d['strands']):<14} {_size(d['memory']):>6} "
                     f"{100 * d['util']:>5.1f}% {d['hcalls']:>8,} {d['traps']:>8,} {ex:>5}"
                     + cpi)
    for name, (state, status) in sysm.program_results().items():
        path = sysm.programs[name].path         # (a domain bound later: its variable)
        what = {"exited": f"exit status {status}", "killed": f"killed by signal {status}",
                "failed": f"not started (errno {status})",
                "stopped": "stopped with its domain before its end"}.get(state,
                                                                        f"still {state}")
        lines.append(f"program {name}: {path}: {what}")
    return "\n".join(lines) + "\n"


def _stats(sysm, result, host_s):
    st = sysm.stats()
    st["reason"] = result.reason
    st["host_seconds"] = round(host_s, 3)
    if sysm.m.mode == "cycle":
        return st                       # the cycle model's per-strand and per-core rows
    spc = sysm.platform.chip.strands_per_core
    cores = {}
    for s in st["strands"]:
        c = cores.setdefault(s["id"] // spc, {"core": s["id"] // spc, "instructions": 0,
                                              "idle_steps": 0, "traps": 0})
        c["instructions"] += s["instructions"]
        c["idle_steps"] += s["idle_steps"]
        c["traps"] += s["traps"]
    st["cores"] = [cores[k] for k in sorted(cores)]
    return st


def _parse_time(sysm, text, what):
    try:
        return sysm.steps(text)
    except ValueError as e:
        raise UsageError(f"{what} {text}: {e}") from None


def _run(a):
    from ldm.errors import LdmError

    from ..checkpoint import CheckpointError
    from .system import System
    if a.example:
        return _example(a.example)
    if a.restore and a.config:
        raise UsageError("boot: give a configuration or --restore FILE, not both")
    if not a.config and not a.restore:
        raise UsageError("boot: give a configuration (CONFIG.toml), --restore FILE, or "
                         "--example PLATFORM")
    if a.restore and a.quantum is not None:
        raise UsageError("--quantum: a restored run keeps the checkpoint's quantum")
    ck_path = None
    if a.checkpoint_at:
        ck_path = a.checkpoint_at[1]
        check_output_path(ck_path, "--checkpoint-at")
    if a.insns is not None and a.insns <= 0:
        raise UsageError("--insns must be a positive number")
    if a.quantum is not None and a.quantum <= 0:
        raise UsageError("--quantum must be a positive number")
    if a.mode == "cycle" and a.quantum is not None:
        raise UsageError("--quantum applies to functional mode (the cycle model has no "
                         "rounds: every strand is in the thread select every cycle)")
    if a.stats and a.stats != "-":
        check_output_path(a.stats)
    if a.console:
        parent = os.path.dirname(os.path.abspath(a.console))
        if os.path.exists(a.console) and not os.path.isdir(a.console):
            raise UsageError(f"--console {a.console}: not a directory")
        if not os.path.isdir(parent):
            raise UsageError(f"--console {a.console}: directory {parent} does not exist")
    try:
        if a.restore:
            sysm = System.restore(a.restore)
            managed = "ldmd" in sysm.restored_extra
            if managed != bool(a.ldmd):
                sysm.close()
                raise UsageError(
                    f"--restore {a.restore}: a checkpoint of a machine run with the domain "
                    f"manager: restore it with --ldmd SOCKET" if managed else
                    f"--restore {a.restore}: a checkpoint of a machine run without the "
                    f"domain manager: restore it without --ldmd")
            if managed:
                from ldm import livestate
                try:
                    livestate.preflight(sysm.restored_extra["ldmd"], a.ldmd_state)
                except CheckpointError as e:
                    sysm.close()
                    raise UsageError(f"{a.restore}: {e}") from None
                except LdmError as e:
                    sysm.close()
                    raise UsageError(str(e)) from None
                except (KeyError, ValueError, TypeError, AttributeError) as e:
                    sysm.close()
                    raise UsageError(f"{a.restore}: not a domain manager's checkpoint "
                                     f"({type(e).__name__}: {e})") from None
            if a.mode is not None and a.mode != sysm.m.mode:
                raise UsageError(f"--mode {a.mode}: {a.restore} is a {sysm.m.mode}-mode "
                                 f"checkpoint")
        else:
            cfg = load_config(a.config)
            if cfg.vio is not None and cfg.vio.vdisks and not a.ldmd:
                raise UsageError(f"{a.config}: its virtual disks are served by the domain "
                                 f"manager: run it with --ldmd SOCKET")
            sysm = System(cfg, mode=a.mode or "functional", quantum=a.quantum)
    except BootError as e:
        raise UsageError(str(e)) from None
    except CheckpointError as e:
        raise UsageError(str(e)) from None
    cfg = sysm.cfg
    start = sysm.m.time
    now = f"{start / sysm.platform.clock_hz * 1e3:.3f} ms"
    until = _parse_time(sysm, a.until, "--until") if a.until else None
    if until is not None and until <= start:
        raise UsageError(f"--until {a.until}: the machine is at {now} already")
    ck_at = _parse_time(sysm, a.checkpoint_at[0], "--checkpoint-at") if ck_path else None
    if ck_at is not None:
        if ck_at <= start:
            raise UsageError(f"--checkpoint-at {a.checkpoint_at[0]}: the machine is at "
                             f"{now} already")
        if until is not None and ck_at > until:
            raise UsageError(f"--checkpoint-at {a.checkpoint_at[0]}: after --until "
                             f"{a.until}")
    if a.ldmd_log and not a.ldmd:
        raise UsageError("--ldmd-log needs --ldmd SOCKET")
    if a.ldmd_state and not a.ldmd:
        raise UsageError("--ldmd-state needs --ldmd SOCKET")
    for note in getattr(sysm, "restore_notes", ()):
        sys.stderr.write(f"sun4v: boot: {a.restore}: {note}\n")
    vt = None if a.ldmd else _vntsd(sysm.console_ports())
    if a.console:
        os.makedirs(a.console, exist_ok=True)
    if a.ldmd:
        if not a.restore:
            sysm.close()                # the manager builds its own (its programs' files)
            sysm = None
        return _run_ldmd(a, cfg, until, sysm, ck_at)
    cons = _Consoles([d.name for d in cfg.domains], a.console, list(sysm.programs))
    if a.restore:
        sysm.replay_output(cons, cons.program)          # consoles from the beginning
    if vt is not None:
        sysm.console_input = vt.take_input
        cons = _Tee(cons, vt)
    t0 = time.time()
    saved = None
    try:
        if ck_at is not None:
            insns0 = sysm.m.insns_run
            r = sysm.run(until=ck_at, max_insns=a.insns, on_output=cons,
                             on_program=cons.program)
            if r.reason == "until":
                sysm.checkpoint(ck_path)
                saved = sysm.seconds
                left = None if a.insns is None else a.insns - (sysm.m.insns_run - insns0)
                if until is None or sysm.m.time < until:
                    r = sysm.run(until=until, max_insns=left, on_output=cons,
                             on_program=cons.program)
        else:
            r = sysm.run(until=until, max_insns=a.insns, on_output=cons,
                             on_program=cons.program)
    except KeyboardInterrupt:
        cons.close(sysm.hv_console())
        sysm.close()
        return 130
    except CheckpointError as e:
        cons.close(sysm.hv_console())
        sys.stderr.write(f"sun4v: {e}\n")
        return 1
    finally:
        if vt is not None:
            vt.close()
    host = time.time() - t0
    sysm._emit(cons)
    cons.close(sysm.hv_console())
    sysm.close()
    sys.stdout.write(summary(sysm, r, host))
    if a.restore:
        sys.stdout.write(f"restored from {a.restore} at {now}\n")
    if saved is not None:
        sys.stdout.write(f"checkpoint {ck_path} written at {saved * 1e3:.3f} ms\n")
    if a.stats:
        data = json.dumps(_stats(sysm, r, host), indent=1)
        if a.stats == "-":
            sys.stdout.write(data + "\n")
        else:
            tmp = a.stats + ".tmp"
            with open(tmp, "w") as f:
                f.write(data + "\n")
            os.replace(tmp, a.stats)
    if r.reason in ("panic", "error", "poweroff"):
        sys.stderr.write(f"sun4v: {r.reason}: {r.detail}\n")
        return 1
    if ck_path and saved is None:
        sys.stderr.write(f"sun4v: boot: the run ended ({r.reason}) at "
                         f"{sysm.seconds * 1e3:.3f} ms, before --checkpoint-at "
                         f"{a.checkpoint_at[0]}: no checkpoint written\n")
        return 1
    return 0


def _run_ldmd(a, cfg, until, restored=None, ck_at=None):
    """The machine with its domain manager serving `ldm` on a Unix socket; `restored`:
    the System of --restore FILE (its manager state is in it); ck_at: --checkpoint-at's
    machine time (the checkpoint is written at the first safe point from then on,
    ldm/livestate.py)."""
    import signal
    import threading

    from ldm.errors import LdmError
    from ldm.live import LiveManager
    from ldm.vntsd import enabled as vntsd_on
    if a.insns is not None:
        raise UsageError("--insns does not apply with --ldmd (use --until TIME)")
    if a.ldmd_log:
        check_output_path(a.ldmd_log, "--ldmd-log")
    parent = os.path.dirname(os.path.abspath(a.ldmd))
    if not os.path.isdir(parent):
        raise UsageError(f"--ldmd {a.ldmd}: directory {parent} does not exist")
    if os.path.exists(a.ldmd) and not _is_socket(a.ldmd):
        raise UsageError(f"--ldmd {a.ldmd}: exists and is not a socket")
    names = [d.name for d in cfg.domains]
    cons = _Consoles(names, a.console, [d.name for d in cfg.domains if d.program])

    def notice(line):
        print(f"ldmd: {line}", file=sys.stderr, flush=True)
    try:
        if restored is not None:
            from ..checkpoint import CheckpointError
            try:
                lm = LiveManager.from_restored(
                    restored, a.restore, log_file=a.ldmd_log, on_console=cons,
                    sp_dir=a.ldmd_state, vntsd=vntsd_on(), on_notice=notice,
                    on_program=cons.program)
            except CheckpointError as e:
                raise UsageError(str(e)) from None
            restored.replay_output(cons, cons.program)      # consoles from the start
            for name in lm.uart_of:
                if name not in restored._seen:              # bound by the manager
                    with lm._lock:
                        data = bytes(lm._consoles.get(name, b""))
                    if data:
                        cons(name, data)
        else:
            lm = LiveManager(cfg, mode=a.mode or "functional", quantum=a.quantum,
                             log_file=a.ldmd_log, on_console=cons, sp_dir=a.ldmd_state,
                             vntsd=vntsd_on(), on_notice=notice, on_program=cons.program)
    except (BootError, LdmError) as e:
        raise UsageError(str(e)) from None
    t_restored = lm.time
    ck_path = a.checkpoint_at[1] if ck_at is not None else None
    if ck_at is not None:
        lm.checkpoint_at(ck_at / lm.platform.clock_hz, ck_path)
    try:
        server = lm.serve(a.ldmd)
    except OSError as e:
        raise UsageError(f"--ldmd {a.ldmd}: {e.strerror or e}") from None
    stop = threading.Event()
    old = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, name="ldmd-socket", daemon=True).start()
    sys.stderr.write(f"ldmd: serving ldm on {a.ldmd} (ldm --socket {a.ldmd} list); "
                     f"Ctrl-C stops the machine\n")
    sys.stderr.flush()
    t0 = time.time()
    lm.start()
    said = False
    try:
        while not stop.is_set() and lm.ended is None:
            if ck_path and not said and lm.checkpoint_result is not None:
                said = True
                t, err = lm.checkpoint_result
                notice(f"checkpoint {ck_path} written at {t * 1e3:.3f} ms" if err is None
                       else f"checkpoint {ck_path}: {err}")
            if until is not None and lm.m.time >= until:
                break
            stop.wait(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, old)
        server.shutdown()
        server.server_close()
        lm.close()
    if ck_path and not said and lm.checkpoint_result is not None:
        t, err = lm.checkpoint_result           # written as the worker stopped
        notice(f"checkpoint {ck_path} written at {t * 1e3:.3f} ms" if err is None
               else f"checkpoint {ck_path}: {err}")
    host = time.time() - t0
    cons.close(lm.system.hv_console())
    from .system import BootResult
    r = lm.ended or BootResult("until" if until is not None and lm.m.time >= until
                               else "stopped by the user", lm.m.time)
    sys.stdout.write(summary(lm.system, r, host))
    if restored is not None:
        sys.stdout.write(f"restored from {a.restore} at "
                         f"{t_restored * 1e3:.3f} ms\n")
    ck = getattr(lm, "checkpoint_result", None) if ck_path else None
    if ck is not None and ck[1] is None:
        sys.stdout.write(f"checkpoint {ck_path} written at {ck[0] * 1e3:.3f} ms\n")
    if r.reason in ("panic", "error", "poweroff"):
        sys.stderr.write(f"sun4v: {r.reason}: {r.detail}\n")
        return 1
    if ck_path and (ck is None or ck[1] is not None):
        sys.stderr.write(f"sun4v: boot: {ck[1]}\n" if ck is not None else
                         f"sun4v: boot: the run ended at {lm.time * 1e3:.3f} ms, before a "
                         f"safe point at or after --checkpoint-at {a.checkpoint_at[0]}: "
                         f"no checkpoint written\n")
        return 1
    return 0


def _is_socket(path):
    import stat
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


register("boot", "boot logical domains on a platform (firmware hypervisor + guests)", _args,
         _run)
