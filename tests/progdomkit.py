"""Running a static sparc64 program in a logical domain (issue 14 §1) for the tests:
`sun4v boot` in-process with one domain whose `program` is the binary, the program's
stdout/stderr and exit status collected as `sun4v run` reports them."""
from __future__ import annotations

import os

from sun4v.boot import System
from sun4v.boot.config import parse_config


def boot_program(binary, args=(), vcpus=2, memory="1G", platform="T5220",
                 until="2s", domain="primary", extra_domains=(), mode="functional"):
    """Boot `platform` with `domain` running `binary args` -> (stdout, stderr, status,
    System); mode "functional" or "cycle" (the machine's). status: the exit status, or -SIG when a signal ended it (as the tests'
    `sun4v run` subprocess reports it), or None when it did not end by `until`."""
    doms = []
    if domain != "primary":
        doms.append({"name": "primary", "vcpus": 1, "memory": "512M"})
    doms.append({"name": domain, "vcpus": vcpus, "memory": memory,
                 "program": os.fspath(binary), "args": [str(a) for a in args]})
    doms += list(extra_domains)
    cfg = parse_config({"platform": platform, "domain": doms})
    s = System(cfg, mode=mode)
    out = {"out": bytearray(), "err": bytearray()}

    def on_program(name, stream, data):
        if name == domain:
            out[stream] += data

    s.run(until=s.steps(until), on_program=on_program)
    s.close()
    state, status = s.program_results()[domain]
    rc = status if state == "exited" else -status if state == "killed" else None
    return bytes(out["out"]), bytes(out["err"]), rc, s


def build_program(tmp_path, name, src, *flags):
    """A static sparc64 program from the C text `src`, built with the cross compiler
    (`make setup` installs it: a missing one fails the test): tmp_path/name."""
    import subprocess
    import setup_tools
    setup_tools.require_tools(setup_tools.CROSS_CC)
    c = tmp_path / f"{name}.c"
    c.write_text(src)
    exe = tmp_path / name
    subprocess.run([setup_tools.CROSS_CC, "-static", "-O2", *flags, "-o", str(exe), str(c)],
                   check=True)
    return exe
