"""`ldm tui [CONFIG | --attach SOCKET]`: bad input is one line and exit status 2,
before any machine is booted or screen drawn (ldm/tui/cli.py); without a terminal it
says so (make demo then runs the script)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ldm.tui.cli import TuiError, build

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv, words", [
    (["nosuch.toml"], "nosuch.toml: no such file"),
    (["--sample", "0s"], "--sample 0s: time '0s' must be positive"),
    (["--sample", "xyz"], "--sample xyz: time 'xyz'"),
    (["--pause-at", "0s"], "--pause-at 0s: time '0s' must be positive"),
    (["--speed", "warp"], "invalid choice: 'warp'"),
    (["a.toml", "b.toml"], "unrecognized arguments: b.toml"),
    (["--attach", "/nonexistent/ldmd.sock"], "cannot connect to ldmd at "
                                             "/nonexistent/ldmd.sock"),
    (["--attach", "s", "--ldmd", "t"], "--attach SOCKET takes no configuration"),
])
def test_bad_input_is_one_line(argv, words):
    with pytest.raises(TuiError) as e:
        build(argv)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_a_configuration_the_machine_cannot_bind(tmp_path):
    cfg = tmp_path / "big.toml"
    cfg.write_text('platform = "T5220"\n[[domain]]\nname = "primary"\nvcpus = 100\n'
                   'memory = "1G"\n')
    with pytest.raises(TuiError, match="Not enough free vCPUs for primary: 100 needed, "
                                       "64 free"):
        build([str(cfg)])


def _ldm(*argv):
    exe = os.path.join(os.path.dirname(sys.executable), "ldm")      # the console script
    return subprocess.run([exe, *argv], cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def test_without_a_terminal_and_help():
    r = _ldm("tui")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("ldm tui: needs a terminal on stdin and stdout")
    r = _ldm("tui", "--help")
    assert r.returncode == 0 and "--attach SOCKET" in r.stdout
