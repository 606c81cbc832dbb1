"""`-o json`: the listing commands' data as one JSON document for scripts (beyond the
real tool). Keys are ldm's own words; sizes in bytes, addresses as integers, uptime in
seconds, util in percent (null when no machine runs). Shapes:

    list / list-domain      {"domains": [ROW, ...]}
    list -l / list-bindings {"domains": [ROW + DETAIL, ...]}
    list-devices            {"cores": [{"cid", "free", "cpuset"}], "vcpus": [{"pid",
                             "free", "bound"}], "memory": [{"pa", "size", "bound"}],
                             "split_cores": {"CID": [names]}}
    list-constraints        {"domains": [CONSTRAINTS, ...]}
    list-spconfig           {"configs": [{"name", "tag"}]}
    list-variable           {"variables": {name: value}}
    list-policy             {"policies": {domain: [POLICY, ...]}}

ROW = {"name", "state", "flags", "flag_words", "cons", "ncpu", "mem", "util",
"uptime", "softstate"}; DETAIL adds "uuid", "mac", "hostid", "control" {key: value},
"master" [..], "cores" [{"cid", "cpuset"}], "vcpus" [{"vid", "pid", "cid", "util"}],
"memory" [{"ra", "pa", "size"}], "variables" {..}, "policies" [..], "console"
{"port"} (null port = UART), "ldc" [{"id", "channel", "service", "role", "peer",
"peer_channel", "tx_ino", "rx_ino"}].
"""
from __future__ import annotations

import json


def dumps(obj) -> list[str]:
    return json.dumps(obj, indent=1, sort_keys=True).splitlines()


def policy(p) -> dict:
    return dict(p.items())


def detail(d: dict) -> dict:
    out = dict(d["row"])
    out.update(uuid=d["uuid"], mac=d["mac"], hostid=d["hostid"],
               control=dict(d["control"]), master=d["master"],
               cores=[dict(cid=c, cpuset=p) for c, p in d["cores"]],
               vcpus=[dict(vid=v, pid=p, cid=c, util=u) for v, p, c, u in d["vcpus"]],
               memory=[dict(ra=ra, pa=pa, size=s) for ra, pa, s in d["memory"]],
               variables=dict(d["variables"]),
               policies=[policy(p) for p in d["policies"]],
               console=None if d["console"] is None else dict(port=d["console"].port),
               ldc=[dict(id=e.resource_id, channel=e.channel, service=e.service,
                         role=e.role,
                         peer="hypervisor" if e.target_type == 1 else e.target_guest,
                         peer_channel=e.target_channel, tx_ino=e.tx_ino, rx_ino=e.rx_ino)
                    for e in d["ldc"]])
    return out


def devices(data: dict) -> dict:
    return dict(cores=[dict(cid=c, free=f, cpuset=p) for c, f, p in data["cores"]],
                vcpus=[dict(pid=p, free=f, bound=w) for p, f, w in data["vcpus"]],
                memory=[dict(pa=pa, size=s, bound=w) for pa, s, w in data["memory"]],
                split_cores={str(c): list(n) for c, n in data["split_cores"].items()})


def constraints(c) -> dict:
    d = dict(name=c.name, uuid=c.uuid, mac=c.mac, hostid=c.hostid,
             control={k: c.property_text(k) for k in
                      ("failure-policy", "extended-mapin-space", "cpu-arch",
                       "rc-add-policy", "shutdown-group", "threading", "max-cores")},
             master=list(c.master), whole_core=c.whole_core,
             memory=c.memory_size(), mblocks=[list(b) for b in c.named_mblocks],
             variables=dict(c.variables), policies=[policy(p) for p in c.policies],
             console_port=c.console_port, console_group=c.console_group)
    if c.whole_core:
        d.update(cores=c.core_count(), cids=list(c.named_cores))
    else:
        d.update(vcpus=c.vcpus)
    return d
