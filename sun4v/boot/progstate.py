"""A domain program's host state in a checkpoint (issue 14 §3): what the host side of
its system calls (progproxy.py's ProgramProxy and its sun4v/se Syscalls) holds outside
the machine, as JSON, and the same state built again on restore.

    meta = save(px)                 # CheckpointError (one line) for what cannot be saved
    px = load(meta, dm)             # a ProgramProxy serving the restored domain

What is saved:
- the program's path, argv, environment, the proxy area's address, its state, the
  requests served so far, everything it wrote on stdout and stderr (base64);
- the process model of sun4v/se: the ids (sys_creds.Credentials), the pid it was given,
  the getrandom generator's state, the syscall counts, tid address, personality;
- the process's own file mode creation mask and current directory (progproxy.py keeps
  them per process: px_umask, px_cwd), the directory as a path;
- every open file descriptor, as the kernel's fd table has it (fs/file.c: a guest fd
  names an open file description; dup'd fds share one), each description by kind:
  "stream" (the program's stdout/stderr capture files), "file" (a regular file by
  path: its path, status flags, offset, size, sha256 and, up to FILE_MAX bytes, its
  content), "dir" (a path, re-opened with the saved status flags, the offset set back
  with lseek), "device"
  (a character device by path, e.g. /dev/null), "deleted" (an unlinked regular file:
  its content is saved and written into a new unlinked file on restore), "pipe" (an
  anonymous pipe: the data in it is saved, read out and written back, and a new pipe
  with the same data and the same ends open is made on restore).
What cannot be saved (CheckpointError, naming the domain, the guest fd and what it is):
sockets, named FIFOs, event/timer/signal/epoll fds, an unlinked file over 64 MB; and
any state of the proxy or of sun4v/se this module does not know (a new attribute that
is not empty), rather than a restore that silently differs.

Files open by path, on restore (a restored run continues exactly as the uninterrupted
one, and no file of the user's is ever written by a restore):
- the file at the path has the saved content (same size and sha256): the path is opened
  again (the program's writes reach it, as in the uninterrupted run);
- it is missing or its content differs (the uninterrupted run went on writing it, the
  user changed it): the program goes on with the checkpoint's copy -- a new unlinked
  file holding the saved content, opened with the saved flags and offset (descriptions
  of one file share one copy) -- and `notes` gets one line naming the file; the file at
  the path is left as it is, and the program's later writes stay in the copy;
- a file over FILE_MAX whose content changed: CheckpointError (its content is not in the
  checkpoint, so the restored run cannot go on as the saved one would have).
A path the program opens after the restore is the host's file as it is then.
Pending requests (REQUEST slots) are in the domain's memory, saved with the machine."""
from __future__ import annotations

import base64
import ctypes
import fcntl
import hashlib
import os
import random
import select
import stat

from ..checkpoint import CheckpointError
from ..se.sys_creds import Credentials
from .progproxy import GuestUserMemory, ProgramProxy, _Prog, _own_host_state, cwd_path

DELETED_MAX = 64 << 20                  # bytes of an unlinked file kept in a checkpoint
FILE_MAX = 64 << 20                     # bytes of a file open by path kept in one
_REOPEN_FLAGS = (os.O_ACCMODE | os.O_APPEND | os.O_NONBLOCK | os.O_DSYNC | os.O_SYNC
                 | getattr(os, "O_DIRECT", 0) | getattr(os, "O_NOATIME", 0)
                 | getattr(os, "O_PATH", 0) | os.O_DIRECTORY)

# the attributes saved (or rebuilt) here; another one that is not empty is refused
_PROXY_KNOWN = {"name", "path", "args", "dm", "on_output", "env", "area", "state",
                "status", "sys", "mem", "requests", "output", "_streams", "cwd0",
                "started_at", "children", "_mems"}
_SYS_KNOWN = {"mem", "St", "s", "exe_path", "brk_start", "brk_cur", "mmap_next", "fds",
              "signals", "rng", "counts", "warned", "tid_address", "personality", "pid",
              "start_time", "threads", "clock_ns", "creds", "clock_mhz", "usage",
              "children_usage", "process", "orig_o0", "last_failed", "handlers",
              "px_cwd", "px_umask"}
_CREDS = ("uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid", "groups",
          "cap_permitted", "cap_effective")


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _unknown(obj, known, what, name):
    for k, v in vars(obj).items():
        if k in known or v is None or (not callable(v) and not v):
            continue
        raise CheckpointError(f"domain {name}: the program's {what} state {k!r} cannot be "
                              f"saved in a checkpoint")


def _link(h: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{h}")
    except OSError:
        return "?"


_SYS_KCMP = {"x86_64": 312, "aarch64": 272, "riscv64": 272, "ppc64le": 354,
             "s390x": 343}.get(os.uname().machine)
_KCMP_FILE = 0
_libc = ctypes.CDLL(None, use_errno=True)


def _same_description(a: int, b: int) -> bool:
    """Whether host fds a and b name one open file description (a dup of the other:
    kcmp(2) KCMP_FILE; without kcmp, the same file, status flags and offset)."""
    if _SYS_KCMP is not None:
        pid = os.getpid()
        r = _libc.syscall(_SYS_KCMP, pid, pid, _KCMP_FILE, a, b)
        if r >= 0:
            return r == 0
    sa, sb = os.fstat(a), os.fstat(b)
    if (sa.st_dev, sa.st_ino) != (sb.st_dev, sb.st_ino) or \
            fcntl.fcntl(a, fcntl.F_GETFL) != fcntl.fcntl(b, fcntl.F_GETFL):
        return False
    try:
        return os.lseek(a, 0, os.SEEK_CUR) == os.lseek(b, 0, os.SEEK_CUR)
    except OSError:
        return True


def _pipe_data(h: int) -> bytes:
    """The bytes waiting in the pipe whose read end is `h`, left in it (read out, then
    written back through a new write end of the same pipe)."""
    data = bytearray()
    while select.select([h], [], [], 0)[0]:
        chunk = os.read(h, 65536)
        if not chunk:
            break
        data += chunk
    if data:
        w = os.open(f"/proc/self/fd/{h}", os.O_WRONLY)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(w, view):]
        finally:
            os.close(w)
    return bytes(data)


def _content(h: int, size: int) -> bytes:
    """The first `size` bytes of the file open as host fd `h` (pread: its offset kept)."""
    data = bytearray()
    while len(data) < size:
        chunk = os.pread(h, min(1 << 22, size - len(data)), len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _digest(h: int, size: int, data: bytes | None) -> tuple[int, str]:
    """(bytes, sha256 hex) of the file open as host fd `h` (of `data` when read)."""
    if data is not None:
        return len(data), hashlib.sha256(data).hexdigest()
    d = hashlib.sha256()
    pos = 0
    while True:
        chunk = os.pread(h, 1 << 22, pos)
        if not chunk:
            return pos, d.hexdigest()
        d.update(chunk)
        pos += len(chunk)


def _path_state(path: str):
    """(bytes, sha256) of the regular file at `path`, None when there is none."""
    try:
        h = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(h)
        if not stat.S_ISREG(st.st_mode):
            return None
        return _digest(h, st.st_size, None)
    finally:
        os.close(h)


def _describe(px, h: int, gfd: int) -> dict:
    for fd in (1, 2):
        if h == px._streams[fd][1] or _same_description(h, px._streams[fd][1]):
            return {"kind": "stream", "fd": fd}
    st = os.fstat(h)
    flags = fcntl.fcntl(h, fcntl.F_GETFL)
    link = _link(h)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        off = os.lseek(h, 0, os.SEEK_CUR)
        if st.st_nlink == 0 or link.endswith(" (deleted)"):
            if st.st_size > DELETED_MAX:
                raise CheckpointError(f"domain {px.name}: the program's fd {gfd} is an "
                                      f"unlinked file of {st.st_size} bytes (over "
                                      f"{DELETED_MAX >> 20} MB): not saved in a checkpoint")
            data = bytearray()
            while len(data) < st.st_size:
                chunk = os.pread(h, st.st_size - len(data), len(data))
                if not chunk:
                    break
                data += chunk
            return {"kind": "deleted", "flags": flags, "offset": off, "data": _b64(data)}
        rec = {"kind": "file", "path": link, "flags": flags, "offset": off}
        r = h
        if flags & os.O_ACCMODE == os.O_WRONLY:     # read through a read-only open of it
            try:
                r = os.open(f"/proc/self/fd/{h}", os.O_RDONLY)
            except OSError as e:
                raise CheckpointError(f"domain {px.name}: the program's fd {gfd} ({link}): "
                                      f"its content cannot be read for the checkpoint "
                                      f"({e.strerror})") from None
        try:
            data = _content(r, st.st_size) if st.st_size <= FILE_MAX else None
            rec["size"], rec["sha256"] = _digest(r, st.st_size, data)
        finally:
            if r != h:
                os.close(r)
        if data is not None:
            rec["data"] = _b64(data)
        return rec
    if stat.S_ISDIR(mode):
        return {"kind": "dir", "path": link, "flags": flags,
                "offset": os.lseek(h, 0, os.SEEK_CUR)}
    if stat.S_ISCHR(mode) and link.startswith("/"):
        return {"kind": "device", "path": link, "flags": flags}
    if stat.S_ISFIFO(mode) and link.startswith("pipe:"):
        acc = flags & os.O_ACCMODE
        rec = {"kind": "pipe", "pipe": st.st_ino, "flags": flags,
               "end": "r" if acc == os.O_RDONLY else "w"}
        if rec["end"] == "r":
            rec["data"] = _b64(_pipe_data(h))
        return rec
    raise CheckpointError(f"domain {px.name}: the program's fd {gfd} ({link}) cannot be "
                          f"saved in a checkpoint")


def save(px: ProgramProxy) -> dict:
    """The JSON-able host state of `px` (see the module docstring); CheckpointError (one
    line) when some of it cannot be saved. Changes nothing (a pipe's data is put back)."""
    _unknown(px, _PROXY_KNOWN, "proxy", px.name)
    if px.children:
        raise CheckpointError(f"domain {px.name}: the program has child processes "
                              f"(fork): they cannot be saved in a checkpoint")
    px._drain()
    out = {"name": px.name, "path": px.path, "args": list(px.args),
           "env": [e.decode("latin-1") if isinstance(e, bytes) else e for e in px.env],
           "env_bytes": [isinstance(e, bytes) for e in px.env],
           "area": px.area, "state": px.state, "status": px.status,
           "requests": px.requests,
           "output": {k: _b64(v) for k, v in px.output.items()},
           "cwd0": getattr(px, "cwd0", None), "started_at": px.started_at, "sys": None}
    sy = px.sys
    if sy is None:
        return out
    _unknown(sy, _SYS_KNOWN, "system call", px.name)
    if sy.threads is not None or sy.signals is not None or sy.process is not None \
            or sy.usage:
        raise CheckpointError(f"domain {px.name}: the program's sun4v/se process state "
                              f"cannot be saved in a checkpoint")
    descs, index = [], {}
    table = {}
    for gfd in sorted(sy.fds.host):
        h = sy.fds.host[gfd]
        if h not in index:
            # dup'd fds share one description: one entry, one host fd on restore
            same = next((k for k in index if _same_description(h, k)), None)
            if same is not None:
                index[h] = index[same]
            else:
                index[h] = len(descs)
                descs.append(_describe(px, h, gfd))
        table[str(gfd)] = index[h]
    rs = sy.rng.getstate()
    c = sy.creds
    out["sys"] = {
        "exe_path": sy.exe_path, "counts": dict(sy.counts), "warned": sorted(sy.warned),
        "tid_address": sy.tid_address, "personality": sy.personality, "pid": sy.pid,
        "start_time": sy.start_time, "clock_mhz": sy.clock_mhz,
        "children_usage": dict(sy.children_usage),
        "rng": [rs[0], list(rs[1]), rs[2]],
        "creds": {k: (list(getattr(c, k)) if k == "groups" else getattr(c, k))
                  for k in _CREDS},
        "files": descs, "fds": table, "cloexec": sorted(sy.fds.cloexec),
        "owned": sorted({index[h] for h in sy.fds.owned
                         if h in index and descs[index[h]]["kind"] != "stream"}),
        "max_fds": sy.fds.max_fds, "umask": sy.px_umask, "cwd": cwd_path(sy)}
    return out


def _copy_of(rec, copies, made, px, notes):
    """A host fd of the checkpoint's copy of the file `rec` describes (one copy per
    path, shared by its descriptions); CheckpointError when the content is not saved."""
    path = rec["path"]
    if path not in copies:
        if "data" not in rec:
            raise CheckpointError(f"domain {px.name}: the program's file {path} changed "
                                  f"since the checkpoint and its {rec['size']} bytes (over "
                                  f"{FILE_MAX >> 20} MB) are not in it: put the file back "
                                  f"as it was")
        tmp = ProgramProxy._tempfile()
        made.append(tmp)
        data = memoryview(_unb64(rec["data"]))
        pos = 0
        while pos < len(data):
            pos += os.pwrite(tmp, data[pos:], pos)
        copies[path] = tmp
        if notes is not None:
            notes.append(f"domain {px.name}: the program's file {path} is not as it was at "
                         f"the checkpoint: the program goes on with the checkpoint's copy "
                         f"({path} is left as it is)")
    return os.open(f"/proc/self/fd/{copies[path]}",
                   rec.get("flags", 0) & _REOPEN_FLAGS & ~os.O_DIRECTORY)


def _open(rec, px, pipes, made, copies=None, notes=None):
    k = rec["kind"]
    flags = rec.get("flags", 0) & _REOPEN_FLAGS
    copies = {} if copies is None else copies
    if k == "stream":
        return px._streams[rec["fd"]][1]
    if k == "file" and "sha256" in rec and \
            (rec["path"] in copies or _path_state(rec["path"]) != (rec["size"],
                                                                    rec["sha256"])):
        h = _copy_of(rec, copies, made, px, notes)
        made.append(h)
        os.lseek(h, rec["offset"], os.SEEK_SET)
        return h
    if k in ("file", "dir", "device"):
        h = os.open(rec["path"], flags)
        made.append(h)
        if k != "device":
            os.lseek(h, rec["offset"], os.SEEK_SET)
        return h
    if k == "deleted":
        tmp = ProgramProxy._tempfile()
        try:
            data = memoryview(_unb64(rec["data"]))
            pos = 0
            while pos < len(data):
                pos += os.pwrite(tmp, data[pos:], pos)
            h = os.open(f"/proc/self/fd/{tmp}", flags)
        finally:
            os.close(tmp)
        made.append(h)
        os.lseek(h, rec["offset"], os.SEEK_SET)
        return h
    if k == "pipe":
        if rec["pipe"] not in pipes:
            r, w = os.pipe()
            made += [r, w]
            pipes[rec["pipe"]] = [r, w, set()]
        ends = pipes[rec["pipe"]]
        h = ends[0] if rec["end"] == "r" else ends[1]
        ends[2].add(rec["end"])
        if rec["end"] == "r" and rec.get("data"):
            data = memoryview(_unb64(rec["data"]))
            while data:
                data = data[os.write(ends[1], data):]
        fcntl.fcntl(h, fcntl.F_SETFL, rec["flags"] & (os.O_NONBLOCK | os.O_APPEND))
        return h
    raise ValueError(f"unknown file kind {k!r}")


def load(meta: dict, dm, notes: list | None = None) -> ProgramProxy:
    """The ProgramProxy saved by save(), serving the domain whose memory is `dm` (a
    DomainMemory of the restored machine). The program file is not read. OSError when a
    saved path cannot be opened again, ValueError/KeyError for a malformed state,
    CheckpointError for a big file changed since (module docstring); `notes` gets a
    line per file the program goes on with from the checkpoint's copy."""
    px = ProgramProxy.__new__(ProgramProxy)
    px.name, px.path, px.args = meta["name"], meta["path"], list(meta["args"])
    px.env = [e.encode("latin-1") if b else e
              for e, b in zip(meta["env"], meta["env_bytes"])]
    px.dm = dm
    px.on_output = None
    px.area, px.state, px.status = meta["area"], meta["state"], meta["status"]
    px.requests = int(meta["requests"])
    px.output = {k: bytearray(_unb64(v)) for k, v in meta["output"].items()}
    px.cwd0 = meta["cwd0"]
    px.started_at = meta.get("started_at")
    px.sys = px.mem = None
    px.children, px._mems = {}, {}
    px._streams = {1: ["out", ProgramProxy._tempfile(), 0],
                   2: ["err", ProgramProxy._tempfile(), 0]}
    ss = meta["sys"]
    if ss is None:
        return px
    made = []
    try:
        px._make_syscalls()
        sy = px.sys
        for h in list(sy.fds.owned):                # the fresh table's /dev/null stdin
            os.close(h)
        sy.fds.owned.clear()
        pipes, copies = {}, {}
        hosts = [_open(rec, px, pipes, made, copies, notes) for rec in ss["files"]]
        for tmp in copies.values():                 # the copies live on in their fds
            os.close(tmp)
            made.remove(tmp)
        for ends in pipes.values():                 # the ends the program had closed
            for i, e in ((0, "r"), (1, "w")):
                if e not in ends[2]:
                    os.close(ends[i])
                    made.remove(ends[i])
        sy.fds.host = {int(g): hosts[i] for g, i in ss["fds"].items()}
        sy.fds.cloexec = set(int(g) for g in ss["cloexec"])
        sy.fds.owned = set(hosts[i] for i in ss["owned"])
        sy.fds.max_fds = int(ss["max_fds"])
    except BaseException:
        for h in made:
            try:
                os.close(h)
            except OSError:
                pass
        px.close()
        raise
    sy.exe_path = ss["exe_path"]
    sy.counts = dict(ss["counts"])
    sy.warned = set(ss["warned"])
    sy.tid_address, sy.personality = ss["tid_address"], ss["personality"]
    sy.pid, sy.start_time, sy.clock_mhz = ss["pid"], ss["start_time"], ss["clock_mhz"]
    sy.children_usage = dict(ss["children_usage"])
    sy.rng = random.Random()
    v, st, g = ss["rng"]
    sy.rng.setstate((v, tuple(st), g))
    c = Credentials()
    for k, val in ss["creds"].items():
        setattr(c, k, tuple(val) if k == "groups" else val)
    sy.creds = c
    old = sy.px_cwd
    try:
        _own_host_state(sy, ss["cwd"], ss["umask"])
    except OSError as e:
        px.close()
        raise CheckpointError(f"domain {px.name}: the program's working directory "
                              f"{ss['cwd']}: {e.strerror}") from None
    os.close(old)
    return px
