"""`ldm set-vcons [port=[N]] [group=[G]] [service=VCC] ldom` (also `set-vconsole`):
a guest's virtual console, its TCP port and vntsd group (ldm/vcons.py)."""
from __future__ import annotations

from .. import vcons
from .registry import apply, command, kv, parse_opts, usage_error


@command("set-vcons", "[port=[port-num]] [group=group] [service=vcc-server] ldom")
def _set_vcons(ctx, args, res):
    _, rest = parse_opts("set-vcons", args, "")
    props, names = kv("set-vcons", rest)
    bad = next((k for k in props if k not in vcons.PROPS), None)
    if bad is not None:
        raise usage_error("set-vcons", f"Invalid property {bad!r}")
    if not props or len(names) != 1:
        raise usage_error("set-vcons")
    apply(ctx, vcons.set_vcons(ctx.config(), names[0], props), res)
