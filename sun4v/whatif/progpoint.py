"""Programs as what-if workloads (issue 14 §1: `sun4v whatif` accepts a domain program).

A scenario's [[workload]] may be a static sparc64 Linux program instead of a built-in
guest workload:

    [[workload]]
    name = "batch"
    program = "build/progs/threads_work.O2"     # relative: to the scenario file
    args = ["{threads}", "40000"]               # "{threads}": the domain's thread count
    threads = 4                                 # summed over the domain's workloads,
                                                # x the sweep's intensity
    memory = "1G"

The domain runs it under the guest kernel (sun4v/boot: `program`/`args` of a
[[domain]]); its vCPUs default to its threads, as for built-in workloads. Workloads
share a domain only when they run the same program with the same arguments.

Throughput of a program: completed runs per simulated second, 1 / runtime, where the
runtime is the simulated time from the program's start (the host's first poll that
sees it loaded and running, within POLL_US: progproxy.py) to its end (the last vCPU of
its domain stopping: the guest kernel stops the domain when the program exits; the
hypervisor's %stick of the stop). That is what a capacity planner trusts for a batch
job: how long one run takes on this platform and layout, whatever the instruction mix;
instructions are reported beside it. Unit: "runs". The point measures from the start of
the first program to the end of the last (study.warmup does not apply: the programs
start when their guests have booted), the built-in workloads of other domains over the
same span; utilisation samples every study.time / study.samples of it. A program that
does not exit with status 0, or has not ended after MAX_RUNTIME of simulated time, makes
the point fail (PointError, one line): its runs would not be the work asked for.
"""
from __future__ import annotations

import os

MAX_RUNTIME = 2.0                       # simulated seconds a point's programs may take
START_STEP = "50us"                     # how often to look for the programs' start
WORKLOAD_KEYS = ("program", "args", "threads")


def program_workload(where, name, t, err):
    """The parameters of a program [[workload]] table `t` (scenario.py _workload):
    {"program": absolute path, "args": tuple, "threads": int}; err(where, text) raises
    the scenario's one-line error."""
    from ..boot.progproxy import ProgramError, check_program
    w = f"workload {name}"
    kind = t.get("kind", "program")
    if kind != "program":
        err(where, f"{w}: give a kind or a program, not both")
    prog = t["program"]
    if not isinstance(prog, str) or not prog:
        err(where, f"{w}.program: a file name")
    if not os.path.isabs(prog):
        prog = os.path.join(os.path.dirname(os.path.abspath(where)), prog)
    try:
        check_program(prog)
    except ProgramError as e:
        err(where, f"{w}.program: {e}")
    args = t.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        err(where, f"{w}.args: a list of strings")
    threads = t.get("threads", 1)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        err(where, f"{w}.threads: a positive integer, got {threads!r}")
    for k in t:
        if k not in WORKLOAD_KEYS + ("name", "kind", "memory", "avg_util", "peak_util",
                                     "source"):
            err(where, f"{w}.{k}: not a key of a program workload "
                       f"({', '.join(WORKLOAD_KEYS)})")
    return {"program": os.path.normpath(prog), "args": tuple(args), "threads": threads}


def domain_params(wls, intensity):
    """A program domain's parameters from its source workloads (the same program and
    arguments): threads summed, x intensity (at least 1), "{threads}" in the arguments
    replaced by that count."""
    p = wls[0].params
    threads = max(1, int(round(sum(int(w.params["threads"]) for w in wls) * intensity)))
    return {"program": p["program"],
            "args": [a.replace("{threads}", str(threads)) for a in p["args"]],
            "threads": threads}


def domain_config(d):
    """The DomainConfig of a point's domain dict (point.py boot_config)."""
    from ..boot.config import DomainConfig
    if d["workload"] != "program":
        return DomainConfig(d["name"], d["vcpus"], d["cores"], d["memory"], d["workload"],
                            dict(d["params"]))
    p = d["params"]
    return DomainConfig(d["name"], d["vcpus"], d["cores"], d["memory"], "program", {},
                        None, p["program"], tuple(p["args"]))


def _end_time(sysm, name):
    """Machine time at which the domain's last vCPU stopped (the hypervisor's stop
    %stick, counted back from a strand's %stick now)."""
    gid = sysm.bindings.get(name).gid
    vs = [v for v in sysm.hv.vcpus(gid) if v.start_stick]
    stop = max((v.stop_stick for v in vs if v.stop_stick), default=0)
    if not stop:
        return sysm.m.time
    now = sysm.stick_now(vs[0].strand)
    back = (now - stop) * sysm.platform.clock_hz / sysm.platform.stick_hz
    return sysm.m.time - int(round(back))


def run_program_point(pt: dict) -> dict:
    """run_point for a point with program domains (see the module docstring)."""
    from ..boot.config import BootConfig, BootError
    from ..boot.system import System
    from .point import PointError, _Probe, _result, boot_config
    try:
        cfg = boot_config(pt)
        cfg = BootConfig(cfg.platform, tuple(domain_config(d) for d in pt["domains"]),
                         cfg.source)
        sysm = System(cfg, mode=pt["mode"])
    except (BootError, ValueError) as e:
        raise PointError(f"cannot build the machine: {e}") from None
    try:
        return _measure(pt, sysm, PointError, _Probe, _result)
    finally:
        sysm.close()


def _measure(pt, sysm, PointError, _Probe, _result):
    hz = sysm.platform.clock_hz
    progs = sysm.programs
    limit = int(MAX_RUNTIME * hz)
    step = sysm.steps(START_STEP)

    def run(until):
        r = sysm.run(until=until, stop_when_programs_end=False)
        if r.reason not in ("until", "halted", "stopped"):
            raise PointError(f"the run ended at {sysm.seconds * 1e3:.3f} ms: {r.reason} "
                             f"{r.detail}".strip())
        return r
    while not all(px.started_at is not None or px.result()[0] in ("exited", "killed",
                                                                  "failed")
                  for px in progs.values()):
        if sysm.m.time >= limit:
            raise PointError("the domains' programs did not start")
        run(sysm.m.time + step)
    t0 = min((px.started_at for px in progs.values() if px.started_at is not None),
             default=sysm.m.time)
    probe = _Probe(sysm)
    snaps = [probe.take()]
    interval = max(1, int(round(pt["time"] / pt["samples"] * hz)))
    while not sysm.programs_ended():
        if sysm.m.time - t0 >= limit:
            raise PointError(f"the programs have not ended after {MAX_RUNTIME:g} s "
                             f"of simulated time")
        r = run(sysm.m.time + interval)
        snaps.append(probe.take())
        if r.reason != "until" and not sysm.programs_ended():
            raise PointError(f"the machine stopped ({r.reason}) before the programs ended")
    if len(snaps) < 2:
        snaps.append(probe.take())
    runtimes = {}
    for name, px in progs.items():
        state, status = px.result()
        if (state, status) != ("exited", 0):
            what = {"exited": f"exit status {status}",
                    "killed": f"killed by signal {status}"}.get(state, f"{state} {status}")
            raise PointError(f"domain {name}: program {os.path.basename(px.path)}: {what}")
        start = px.started_at if px.started_at is not None else t0
        runtimes[name] = max(1, _end_time(sysm, name) - start) / hz
    span = (max(_end_time(sysm, n) for n in progs) - t0) / hz
    res = _result(dict(pt, time=span), sysm, snaps)
    for d in res["domains"]:
        if d["name"] in runtimes:
            rt = runtimes[d["name"]]
            d.update(unit="runs", throughput=round(1 / rt, 3), runtime_s=round(rt, 9),
                     state="exited", exit_status=0)
    res["measured_s"] = round(span, 9)
    return res
