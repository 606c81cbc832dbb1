"""The state directory: atomic writes that survive a kill at any moment, locking that
serialises concurrent `ldm` commands, and corrupt or missing files named in one line."""
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ldm.config import factory_default
from ldm.spconfig import SpStore
from ldm.store import Store, StoreError

from ldmkit import T5440

WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from ldm.config import factory_default
    from ldm.spconfig import SpStore
    from ldm.store import Store
    from ldmkit import T5440
    store = Store({dir!r})
    cfg = factory_default(T5440)
    versions = [SpStore.initial(cfg)]
    for i in range(7):
        versions.append(versions[-1].add(f"config{{i}}", cfg))
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        store.save_sp(versions[i % len(versions)])
        store.save_config(cfg if i % 2 else factory_default(T5440, seed=i % 3))
""")


def _versions():
    cfg = factory_default(T5440)
    vs = [SpStore.initial(cfg)]
    for i in range(7):
        vs.append(vs[-1].add(f"config{i}", cfg))
    return vs, {factory_default(T5440, seed=s).digest() for s in range(3)}


def test_a_kill_at_any_moment_leaves_a_readable_store(tmp_path):
    """A writer replaces both files in a loop with big (T5440, up to eight configuration)
    documents; it is SIGKILLed at random moments; every time, both files load and are
    one of the versions written, never a mix or a fragment."""
    d = tmp_path / "state"
    store = Store(str(d))
    store.create(factory_default(T5440))
    sp_versions, cfg_digests = _versions()
    sp_dicts = [json.dumps(v.to_dict(), sort_keys=True) for v in sp_versions]
    tests = os.path.dirname(__file__)
    script = WRITER.format(tests=tests, dir=str(d))
    rng = random.Random(1234)
    seen = set()
    for _ in range(12):
        p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert p.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.25))
        p.send_signal(signal.SIGKILL)
        p.wait()
        sp = store.load_sp()                    # never raises: a whole file is there
        assert json.dumps(sp.to_dict(), sort_keys=True) in sp_dicts
        assert store.load_config().digest() in cfg_digests
        seen.add(len(sp.configs))
        with store.locked():                    # leftovers of the killed writer go
            pass
        assert not [f for f in os.listdir(d) if f.startswith(".ldm-")]
    assert len(seen) > 1                        # the kills did land at different times


def test_concurrent_commands_are_serialised(tmp_path):
    """Two processes each add 15 domains at the same time: with the lock no update is
    lost."""
    d = str(tmp_path / "state")
    Store(d).create(factory_default(T5440))
    code = ("import sys; from ldm.cli import main\n"
            "for i in range(15):\n"
            "    assert main(['--state', sys.argv[1], 'add-domain', sys.argv[2] + str(i)])"
            " == 0\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, d, p]) for p in ("a", "b")]
    assert [p.wait() for p in procs] == [0, 0]
    names = Store(d).load_config().names()
    assert len(names) == 31 and "a14" in names and "b14" in names


def test_missing_corrupt_and_inconsistent_files(tmp_path):
    store = Store(str(tmp_path / "s"))
    with pytest.raises(StoreError, match="No saved configuration in .*ldm init"):
        store.load_config()
    store.create(factory_default(T5440))
    with pytest.raises(StoreError, match="already exists"):
        store.create(factory_default(T5440))
    path = store.path("ldmd.json")
    good = open(path).read()
    with open(path, "w") as f:
        f.write(good[: len(good) // 2])
    with pytest.raises(StoreError, match="ldmd.json is corrupt"):
        store.load_config()
    d = json.loads(good)
    d["bindings"]["domains"][0]["vcpus"].append([999, 0])     # strand 0 twice
    with open(path, "w") as f:
        json.dump(d, f)
    with pytest.raises(StoreError, match="is inconsistent: .*strand|inconsistent: .*vCPUs"):
        store.load_config()
    with open(store.path("spconfig.json"), "w") as f:
        f.write('{"format": "something else"}')
    with pytest.raises(StoreError, match="spconfig.json is corrupt: not an spconfig"):
        store.load_sp()


def test_commands_on_a_corrupt_store_fail_with_one_line(tmp_path):
    from ldm.cli import main
    d = str(tmp_path / "s")
    Store(d).create(factory_default(T5440))
    with open(os.path.join(d, "ldmd.json"), "w") as f:
        f.write("{")
    r = subprocess.run([sys.executable, "-m", "ldm.cli", "--state", d, "list"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "ldmd.json is corrupt" in r.stderr
    assert main(["--state", d, "-V"]) == 0
