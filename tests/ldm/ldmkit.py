"""Helpers for the ldm tests (imported as `ldmkit`): platforms built here with the real products' core, strand
and memory counts (the binder's protocol, ldm/topology.py), and an `ldm` session over a
state directory that checks refused commands change nothing."""
import os

from ldm.commands import execute
from ldm.context import StoreContext
from ldm.config import factory_default
from ldm.store import Store
from ldm.topology import Topology
from ldm.units import G, M

RESERVED = ((0, 128 * M),)


def platform(name, sockets, cores, strands, memory):
    """A platform value: `memory` bytes spread over the sockets, socket s at
    s * 0x20_0000_0000, the first 128 MB reserved for the firmware."""
    per = memory // sockets
    return Topology(name, sockets, cores, strands,
                    tuple((s * 0x20_0000_0000, per) for s in range(sockets)), RESERVED)


# the products (data sheets: T1 8 cores x 4 strands, T2/T2+ 8 x 8)
T2000 = platform("T2000", 1, 8, 4, 32 * G)
T5220 = platform("T5220", 1, 8, 8, 32 * G)
T5240 = platform("T5240", 2, 8, 8, 64 * G)
T5440 = platform("T5440", 4, 8, 8, 128 * G)


class Session:
    """`ldm` commands against a state directory: run(line) -> (status, out, err)."""

    def __init__(self, directory, topology=T5220, seed=0):
        self.store = Store(directory)
        self.store.create(factory_default(topology, seed))

    def files(self):
        out = {}
        for f in sorted(os.listdir(self.store.dir)):
            with open(os.path.join(self.store.dir, f), "rb") as fh:
                out[f] = fh.read()
        return out

    def run(self, line, cwd=None):
        argv = line.split() if isinstance(line, str) else list(line)
        with self.store.locked():
            res = execute(argv, StoreContext(self.store), cwd=cwd)
        return (res.status, "".join(x + "\n" for x in res.out),
                "".join(x + "\n" for x in res.err))

    def ok(self, line, cwd=None):
        st, out, err = self.run(line, cwd)
        assert st == 0, f"{line!r} failed: {err}"
        assert err == "", err
        return out

    def fails(self, line, *words, exact=None):
        """The command is refused: status 1, a message on stderr (containing `words`,
        or equal to `exact`), nothing on stdout, and the state directory unchanged."""
        before = self.files()
        st, out, err = self.run(line)
        assert st == 1, f"{line!r} should fail; out={out!r}"
        assert out == "" and err and "Traceback" not in err, (out, err)
        for w in words:
            assert w in err, f"{w!r} not in {err!r}"
        if exact is not None:
            assert err == exact, err
        assert self.files() == before, "a refused command changed the saved state"
        return err

    def config(self):
        return self.store.load_config()


