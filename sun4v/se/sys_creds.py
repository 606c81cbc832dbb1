"""User and group identity of a syscall-emulation process (class CredentialCalls, a mixin
of syscalls.Syscalls, and the Credentials it keeps).

The sparc64 calls (arch/sparc/kernel/syscalls/syscall.tbl, 64-bit entries): getuid,
geteuid, getgid, getegid, setuid, setgid, setreuid, setregid, setresuid, getresuid,
setresgid, getresgid, getgroups, setgroups take and give 32-bit ids; setfsuid and
setfsgid are the 16-bit calls (sys_setfsuid16/sys_setfsgid16: the argument is an
unsigned short, 0xFFFF meaning -1, and an old id above 65535 comes back as the overflow
id 65534). There are no *32 variants in the 64-bit table.

Rules (kernel/sys.c, kernel/groups.c, security/commoncap.c cap_task_fix_setuid): a
process with CAP_SETUID may set any uid; without it each new real id must be the old real
or effective id (setreuid) and each new id one of the old real, effective or saved ids
(setresuid, setuid to the real or saved id). The file-system id follows the effective
id. Capabilities follow the uids as the kernel's "setuid fixup" does: leaving uid 0 in
all of real, effective and saved clears the permitted and effective sets; an effective
uid leaving 0 clears the effective set, one coming back to 0 restores it from the
permitted set; a file-system uid leaving (coming back to) 0 drops (raises) the file
system capabilities (CAP_FS_MASK). Groups need CAP_SETGID; setgroups stores them
sorted, as getgroups then returns them. An id of -1 (0xFFFFFFFF) means "unchanged";
setuid(-1) is EINVAL.

Choice (documented): the ids live in this model, started from the host's (the process
the simulator runs in); getters answer from it, so a program sees its own changes as it
would on Linux, and the simulator's own host identity (real, effective and saved ids,
which it needs to write its statistics, load code, and end itself with the guest's
signal) never changes. What Linux decides with the ids is file access, and that is made
to agree: whenever the guest's file-system uid, gid or groups change, the simulator's
host thread takes the same file-system uid/gid (setfsuid/setfsgid, which touch nothing
but file permission checks and the file system capabilities) and, when the host process
may (root), the same supplementary groups. Files the guest creates then belong to the
guest's ids and permission checks are the host kernel's own, as under qemu-user (which
passes the calls to the host and really changes its ids). restore_host() gives the host
thread its own ids back when the program ends. Signals sent to other processes are not
modelled, so the ids decide nothing else. qemu-sparc64 7.2 differs from Linux for ids
above 65535 (it handles sparc64's ids as 16-bit); this model follows the kernel.
"""
import ctypes
import os
from contextlib import contextmanager

from .sysbase import EFAULT, EINVAL, EPERM, GuestError, libc_fn

U32 = 0xFFFFFFFF
NO_ID = U32                       # (uid_t)-1: "unchanged"
OVERFLOW_ID = 65534               # high2lowuid(): /proc/sys/kernel/overflowuid
NGROUPS_MAX = 65536

# capability bits (include/uapi/linux/capability.h)
CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID = 0, 1, 2, 3, 4
CAP_SETGID, CAP_SETUID, CAP_LINUX_IMMUTABLE, CAP_MKNOD, CAP_MAC_OVERRIDE = 6, 7, 9, 27, 32
# include/linux/capability.h CAP_FS_MASK: what a file-system uid change drops or raises
CAP_FS_MASK = sum(1 << c for c in (CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                   CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MKNOD,
                                   CAP_MAC_OVERRIDE))

_setfsuid = libc_fn("setfsuid", ctypes.c_int, ctypes.c_uint)
_setfsgid = libc_fn("setfsgid", ctypes.c_int, ctypes.c_uint)


def host_caps():
    """(permitted, effective) capability masks of the host process, from
    /proc/self/status (CapPrm, CapEff); without it: everything for root, else nothing."""
    prm = eff = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapPrm:"):
                    prm = int(line.split()[1], 16)
                elif line.startswith("CapEff:"):
                    eff = int(line.split()[1], 16)
    except OSError:
        pass
    if prm is None or eff is None:
        prm = eff = (1 << 41) - 1 if os.geteuid() == 0 else 0
    return prm, eff


class Credentials:
    """The ids and capabilities of the guest process (struct cred, in part).

    uid, euid, suid, fsuid, gid, egid, sgid, fsgid: ints (0..2**32-2); groups: sorted
    tuple; cap_permitted, cap_effective: capability bit masks. With apply_host the host
    thread's file-system ids and groups follow the guest's (see the module text)."""

    def __init__(self, apply_host=True):
        self.uid, self.euid, self.suid = os.getresuid()
        self.gid, self.egid, self.sgid = os.getresgid()
        self.fsuid, self.fsgid = self.euid, self.egid
        self.groups = tuple(sorted(os.getgroups()))
        self.cap_permitted, self.cap_effective = host_caps()
        self.apply_host = apply_host
        self.host_ids = (self.fsuid, self.fsgid, self.groups)      # as the host had them
        self.applied = self.host_ids

    def capable(self, cap):
        return bool(self.cap_effective >> cap & 1)

    # ---- the host side ------------------------------------------------------------------
    def _apply(self, fsuid, fsgid, groups):
        if not self.apply_host:
            self.applied = (fsuid, fsgid, groups)
            return
        a_uid, a_gid, a_groups = self.applied
        if groups != a_groups:
            os.setgroups(list(groups))
        if fsgid != a_gid:
            _setfsgid(fsgid)
        if fsuid != a_uid:
            _setfsuid(fsuid)
        self.applied = (fsuid, fsgid, groups)

    def sync_host(self):
        """The host thread's file-system ids and groups := the guest's."""
        self._apply(self.fsuid, self.fsgid, self.groups)

    def restore_host(self):
        """The host thread's own file-system ids and groups back (the program ended)."""
        self._apply(*self.host_ids)

    @contextmanager
    def checking_as_real(self):
        """access()/faccessat() without AT_EACCESS: the check is made with the real uid and
        gid as the file-system ids (fs/open.c access_override_creds)."""
        self._apply(self.uid, self.gid, self.groups)
        try:
            yield
        finally:
            self.sync_host()

    # ---- capability fixups (security/commoncap.c) ---------------------------------------
    def _fix_uids(self, old_uid, old_euid, old_suid):
        """cap_emulate_setxuid after a change of real/effective/saved uid."""
        if 0 in (old_uid, old_euid, old_suid) and 0 not in (self.uid, self.euid, self.suid):
            self.cap_permitted = 0
            self.cap_effective = 0
        if old_euid == 0 and self.euid != 0:
            self.cap_effective = 0
        if old_euid != 0 and self.euid == 0:
            self.cap_effective = self.cap_permitted

    def _fix_fsuid(self, old_fsuid):
        if old_fsuid == 0 and self.fsuid != 0:
            self.cap_effective &= ~CAP_FS_MASK
        if old_fsuid != 0 and self.fsuid == 0:
            self.cap_effective |= self.cap_permitted & CAP_FS_MASK

    # ---- uid --------------------------------------------------------------------------
    def setuid(self, uid):
        if uid == NO_ID:
            return -EINVAL
        old = (self.uid, self.euid, self.suid)
        if self.capable(CAP_SETUID):
            self.uid = self.suid = uid
        elif uid != self.uid and uid != self.suid:
            return -EPERM
        self.euid = self.fsuid = uid
        self._fix_uids(*old)
        self.sync_host()
        return 0

    def setreuid(self, ruid, euid):
        old = (self.uid, self.euid, self.suid)
        cap = self.capable(CAP_SETUID)
        if ruid != NO_ID and ruid not in (self.uid, self.euid) and not cap:
            return -EPERM
        if euid != NO_ID and euid not in old and not cap:
            return -EPERM
        new_uid = self.uid if ruid == NO_ID else ruid
        new_euid = self.euid if euid == NO_ID else euid
        if ruid != NO_ID or (euid != NO_ID and euid != self.uid):
            self.suid = new_euid
        self.uid, self.euid, self.fsuid = new_uid, new_euid, new_euid
        self._fix_uids(*old)
        self.sync_host()
        return 0

    def setresuid(self, ruid, euid, suid):
        old = (self.uid, self.euid, self.suid)
        if ((ruid == NO_ID or ruid == self.uid)
                and (euid == NO_ID or (euid == self.euid and euid == self.fsuid))
                and (suid == NO_ID or suid == self.suid)):
            return 0
        if not self.capable(CAP_SETUID) and any(
                x != NO_ID and x not in old for x in (ruid, euid, suid)):
            return -EPERM
        if ruid != NO_ID:
            self.uid = ruid
        if euid != NO_ID:
            self.euid = euid
        if suid != NO_ID:
            self.suid = suid
        self.fsuid = self.euid
        self._fix_uids(*old)
        self.sync_host()
        return 0

    def setfsuid(self, uid):
        """sys_setfsuid: returns the old file-system uid, whether or not it changed."""
        old = self.fsuid
        if uid == NO_ID:
            return old
        if uid in (self.uid, self.euid, self.suid, self.fsuid) or self.capable(CAP_SETUID):
            if uid != old:
                self.fsuid = uid
                self._fix_fsuid(old)
                self.sync_host()
        return old

    # ---- gid --------------------------------------------------------------------------
    def setgid(self, gid):
        if gid == NO_ID:
            return -EINVAL
        if self.capable(CAP_SETGID):
            self.gid = self.sgid = gid
        elif gid != self.gid and gid != self.sgid:
            return -EPERM
        self.egid = self.fsgid = gid
        self.sync_host()
        return 0

    def setregid(self, rgid, egid):
        old = (self.gid, self.egid, self.sgid)
        cap = self.capable(CAP_SETGID)
        if rgid != NO_ID and rgid not in (self.gid, self.egid) and not cap:
            return -EPERM
        if egid != NO_ID and egid not in old and not cap:
            return -EPERM
        new_gid = self.gid if rgid == NO_ID else rgid
        new_egid = self.egid if egid == NO_ID else egid
        if rgid != NO_ID or (egid != NO_ID and egid != self.gid):
            self.sgid = new_egid
        self.gid, self.egid, self.fsgid = new_gid, new_egid, new_egid
        self.sync_host()
        return 0

    def setresgid(self, rgid, egid, sgid):
        old = (self.gid, self.egid, self.sgid)
        if ((rgid == NO_ID or rgid == self.gid)
                and (egid == NO_ID or (egid == self.egid and egid == self.fsgid))
                and (sgid == NO_ID or sgid == self.sgid)):
            return 0
        if not self.capable(CAP_SETGID) and any(
                x != NO_ID and x not in old for x in (rgid, egid, sgid)):
            return -EPERM
        if rgid != NO_ID:
            self.gid = rgid
        if egid != NO_ID:
            self.egid = egid
        if sgid != NO_ID:
            self.sgid = sgid
        self.fsgid = self.egid
        self.sync_host()
        return 0

    def setfsgid(self, gid):
        old = self.fsgid
        if gid == NO_ID:
            return old
        if gid in (self.gid, self.egid, self.sgid, self.fsgid) or self.capable(CAP_SETGID):
            if gid != old:
                self.fsgid = gid
                self.sync_host()
        return old

    def setgroups(self, groups):
        if not self.capable(CAP_SETGID):
            return -EPERM
        self.groups = tuple(sorted(groups))
        self.sync_host()
        return 0


def _id16(v):
    """low2highuid(): a 16-bit id argument, 0xFFFF meaning -1."""
    v &= 0xFFFF
    return NO_ID if v == 0xFFFF else v


def _low(v):
    """high2lowuid(): an id as a 16-bit answer."""
    return OVERFLOW_ID if v > 0xFFFF else v


class CredentialCalls:
    """The identity system calls (mixin of syscalls.Syscalls: uses self.creds, self.mem,
    self.check_range)."""

    def sys_getuid(self, *_):
        return self.creds.uid

    def sys_geteuid(self, *_):
        return self.creds.euid

    def sys_getgid(self, *_):
        return self.creds.gid

    def sys_getegid(self, *_):
        return self.creds.egid

    def sys_setuid(self, uid, *_):
        return self.creds.setuid(uid & U32)

    def sys_setgid(self, gid, *_):
        return self.creds.setgid(gid & U32)

    def sys_setreuid(self, ruid, euid, *_):
        return self.creds.setreuid(ruid & U32, euid & U32)

    def sys_setregid(self, rgid, egid, *_):
        return self.creds.setregid(rgid & U32, egid & U32)

    def sys_setresuid(self, ruid, euid, suid, *_):
        return self.creds.setresuid(ruid & U32, euid & U32, suid & U32)

    def sys_setresgid(self, rgid, egid, sgid, *_):
        return self.creds.setresgid(rgid & U32, egid & U32, sgid & U32)

    def _put_ids(self, ptrs, ids):
        """put_user of each id in turn: the first that cannot be stored fails the call."""
        for p, v in zip(ptrs, ids):
            self.check_range(p, 4, write=True)
            self.mem.write_u32(p, v)
        return 0

    def sys_getresuid(self, rp, ep, sp, *_):
        c = self.creds
        return self._put_ids((rp, ep, sp), (c.uid, c.euid, c.suid))

    def sys_getresgid(self, rp, ep, sp, *_):
        c = self.creds
        return self._put_ids((rp, ep, sp), (c.gid, c.egid, c.sgid))

    def sys_setfsuid(self, uid, *_):
        return _low(self.creds.setfsuid(_id16(uid)))

    def sys_setfsgid(self, gid, *_):
        return _low(self.creds.setfsgid(_id16(gid)))

    def sys_getgroups(self, size, lst, *_):
        """kernel/groups.c: size < 0 is EINVAL; 0 asks for the count; a list too small for
        the groups is EINVAL."""
        size = size & U32
        size = size - (1 << 32) if size >> 31 else size
        if size < 0:
            return -EINVAL
        groups = self.creds.groups
        if size:
            if len(groups) > size:
                return -EINVAL
            self.check_range(lst, 4 * len(groups), write=True)
            self.mem.write(lst, b"".join(g.to_bytes(4, "big") for g in groups))
        return len(groups)

    def sys_setgroups(self, size, lst, *_):
        """Needs CAP_SETGID (checked first); more than NGROUPS_MAX is EINVAL."""
        size &= U32
        if not self.creds.capable(CAP_SETGID):
            return -EPERM
        if size > NGROUPS_MAX:
            return -EINVAL
        try:
            self.check_range(lst, 4 * size)
            raw = self.mem.read(lst, 4 * size)
        except GuestError:
            return -EFAULT
        return self.creds.setgroups([int.from_bytes(raw[4 * i:4 * i + 4], "big")
                                     for i in range(size)])
