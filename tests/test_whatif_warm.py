"""What-if points forked from a warmed-up checkpoint (issue 14 §3, sun4v/whatif/warm.py):
the first point of a machine saves its warm-up; a point with the same machine forks
from the file instead of booting (its row is the uninterrupted run's), also one that
measures a different time; a corrupt file is replaced; a study keeps the files in
DIR/warm."""
from __future__ import annotations

import os

import pytest

from sun4v.boot.system import System
from sun4v.whatif import scenario
from sun4v.whatif.point import run_point
from sun4v.whatif.warm import ENV, warm_key


def _point(**study):
    # functional mode: the fork is the same in both (and a cycle-mode domain needs a
    # longer warm-up to come up)
    sc = scenario.parse({"study": {"mode": "functional", "warmup": "2.5ms", "time": "1ms",
                                   "samples": 2,
                                   **study},
                         "control": {"vcpus": 2, "memory": "1G"},
                         "workload": [{"name": "w", "kind": "mix", "threads": 4,
                                       "duty": 40, "work": 2000}],
                         "platform": [{"name": "T2000"}],
                         "sweep": {"vcpus": [2]}})
    return scenario.expand(sc)[0]


def test_points_fork_from_the_warm_up(tmp_path, monkeypatch):
    pt = _point()
    longer = _point(time="1.5ms", samples=3)
    assert warm_key(pt) == warm_key(longer)              # the same machine
    monkeypatch.delenv(ENV, raising=False)
    base, base_longer = run_point(pt), run_point(longer)  # booted, no cache
    monkeypatch.setenv(ENV, str(tmp_path / "warm"))
    first = run_point(pt)                                 # boots, saves its warm-up
    path = tmp_path / "warm" / f"{warm_key(pt)}.ckpt"
    assert path.exists() and first == base
    booted = []
    real_init = System.__init__

    def counting_init(self, *a, **k):
        booted.append(1)
        real_init(self, *a, **k)
    monkeypatch.setattr(System, "__init__", counting_init)
    assert run_point(pt) == base                          # forked: the same row
    assert run_point(longer) == base_longer               # another measurement, forked
    assert booted == []
    path.write_bytes(b"not a checkpoint")                 # replaced, the row unchanged
    assert run_point(pt) == base and booted == [1]
    assert path.read_bytes()[:2] == b"PK"
    assert run_point(pt) == base and booted == [1]
    assert base["domains"][1]["throughput"] > 0
