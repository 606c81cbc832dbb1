"""Virtual disk services and disks: add-vds, remove-vds, add-vdsdev, remove-vdsdev,
add-vdisk, remove-vdisk (reference ldm_xscf.md A5; the model and the messages are
ldm/vio.py). Aliases: vdiskserver = vds, vdiskserverdevice = vdsdev (A5).
list-services (services.py) shows ldm/vio.py's VDS block after the VCC one."""
from __future__ import annotations

from .. import vio, viodr
from ..actions import Change
from ..errors import LdmError
from .registry import NOUN_ALIASES, apply, command, kv, parse_opts, usage_error

NOUN_ALIASES.setdefault("vdiskserver", "vds")
NOUN_ALIASES.setdefault("vdiskserverdevice", "vdsdev")


def _change(ctx, res, after):
    cfg = ctx.config()
    apply(ctx, Change(cfg, after.check()), res)


@command("add-vds", "vds-name ldom")
def _add_vds(ctx, args, res):
    _, rest = parse_opts("add-vds", args, "")
    if len(rest) != 2:
        raise usage_error("add-vds")
    _change(ctx, res, vio.add_vds(ctx.config(), rest[0], rest[1]))


@command("remove-vds", "[-f] vds-name")
def _remove_vds(ctx, args, res):
    opts, rest = parse_opts("remove-vds", args, "f")
    if len(rest) != 1:
        raise usage_error("remove-vds")
    _change(ctx, res, vio.remove_vds(ctx.config(), rest[0], "-f" in opts))


@command("add-vdsdev", "[-f] [options={ro,slice,excl}] [mpgroup=grp] backend vol@vds")
def _add_vdsdev(ctx, args, res, cwd=None):
    opts, rest = parse_opts("add-vdsdev", args, "fq")
    props, rest = kv("add-vdsdev", rest)
    if len(rest) != 2:
        raise usage_error("add-vdsdev")
    bad = set(props) - {"options", "mpgroup"}
    if bad:
        raise usage_error("add-vdsdev", f"Invalid property {sorted(bad)[0]!r}")
    options = tuple(o for o in props.get("options", "").split(",") if o)
    _change(ctx, res, vio.add_vdsdev(ctx.config(), rest[0], rest[1], options,
                                     props.get("mpgroup", ""), "-f" in opts, cwd))


_add_vdsdev.takes_cwd = True


@command("remove-vdsdev", "[-f] vol@vds")
def _remove_vdsdev(ctx, args, res):
    opts, rest = parse_opts("remove-vdsdev", args, "f")
    if len(rest) != 1:
        raise usage_error("remove-vdsdev")
    _change(ctx, res, vio.remove_vdsdev(ctx.config(), rest[0], "-f" in opts))


@command("add-vdisk", "[timeout=s] [id=n] disk-name vol@vds ldom")
def _add_vdisk(ctx, args, res):
    _, rest = parse_opts("add-vdisk", args, "")
    props, rest = kv("add-vdisk", rest)
    if len(rest) != 3:
        raise usage_error("add-vdisk")
    bad = set(props) - {"timeout", "id"}
    if bad:
        raise usage_error("add-vdisk", f"Invalid property {sorted(bad)[0]!r}")
    nums = {}
    for k in ("timeout", "id"):
        if k in props:
            if not props[k].isdigit():
                raise LdmError(f"Invalid {k} {props[k]!r}: expected a number")
            nums[k] = int(props[k])
    apply(ctx, viodr.add_vdisk(ctx.config(), rest[0], rest[1], rest[2],
                               nums.get("timeout"), nums.get("id")), res)


@command("remove-vdisk", "[-f] disk-name ldom")
def _remove_vdisk(ctx, args, res):
    opts, rest = parse_opts("remove-vdisk", args, "f")
    if len(rest) != 2:
        raise usage_error("remove-vdisk")
    apply(ctx, viodr.remove_vdisk(ctx.config(), rest[0], rest[1], "-f" in opts), res)
