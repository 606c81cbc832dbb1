"""Make the Sun-origin MD fixtures: the binary Sun's mdgen writes for a published
configuration, rebuilt from mdgen's own text output of that configuration.

    python tests/md/make_fixtures.py HV.txt OUT-hv.bin
    python tests/md/make_fixtures.py GUEST.txt OUT-guest.bin --data GUEST.desc

HV.txt / GUEST.txt are `mdgen --text` outputs (the same node list, in the same order,
that `mdgen --binary` writes; data properties appear there as XXXXXXXX, so their values
come from the .desc source given with --data, written in mdgen's { ... } syntax).  See
README.md for the files used.

The writer follows mdgen's output_bin.c step by step and shares no code with
sun4v/hypervisor_fw/md.py, so the tests compare two independent readings of it:
  1. each node is at element offset = sum over earlier nodes of (2 + #properties);
     NODE's value: the next node's offset, for the last node the LIST_END offset;
  2. names: a list of chunks; a name (with its NUL) reuses an equal earlier chunk,
     else is appended; node type first, then each property name;
  3. data: before each string / data value, a zero chunk pads the block to a multiple
     of 8; each value is its own chunk (no reuse); strings carry their NUL;
  4. the name block gets a zero chunk up to a multiple of 16; the data block none;
  5. header: 0x10000, 16 * (elements + 1), name size, data size; all big-endian;
     name_len = strlen; unused fields zero.
mdgen's data rule (mdparse.c parse_data): a number is stored big-endian in as few bytes
as hold it (at least one), a string with its NUL.
"""
import argparse
import re
import struct


def parse_mdgen_text(text):
    """[(type, label, [(kind, name, value)])] from `mdgen --text` output."""
    nodes = []
    for m in re.finditer(r"node (\S+) (\S+) \{\n(.*?)^\}\n", text, re.S | re.M):
        props = []
        for line in m.group(3).splitlines():
            pm = re.fullmatch(r"\t(\S+) (=|->) (.*);", line)
            assert pm, line
            name, op, v = pm.groups()
            if op == "->":
                props.append(("arc", name, v))
            elif v == "XXXXXXXX":
                props.append(("data", name, None))
            elif v.startswith('"'):
                assert v.endswith('"') and "\\" not in v
                props.append(("str", name, v[1:-1]))
            else:
                props.append(("int", name, int(v, 16)))
        nodes.append((m.group(1), m.group(2), props))
    assert sum(1 for _ in re.finditer(r"^node ", text, re.M)) == len(nodes)
    return nodes


def parse_desc_data(text):
    """{(node label, property): bytes} for the `name = { ... };` lines of a .desc."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out, label = {}, None
    for line in text.splitlines():
        m = re.match(r"\s*node\s+(\S+)\s+(\S+)\s*\{", line)
        if m:
            label = m.group(2)
            continue
        m = re.match(r"\s*(\S+)\s*=\s*\{(.*)\}\s*;", line)
        if m:
            buf = bytearray()
            for item in re.findall(r'"[^"]*"|[^,\s]+', m.group(2)):
                if item.startswith('"'):
                    buf += item[1:-1].encode() + b"\0"
                else:
                    v = int(item, 0)
                    n = 7
                    while n > 0 and (v >> (8 * n)) == 0:
                        n -= 1
                    buf += bytes((v >> (8 * k)) & 0xFF for k in range(n, -1, -1))
            out[(label, m.group(1))] = bytes(buf)
    return out


class Block:
    def __init__(self):
        self.chunks = []          # [bytes, offset]
        self.total = 0

    def add(self, b):
        c = [bytes(b), self.total]
        self.chunks.append(c)
        self.total += len(b)
        return c


def mdgen_binary(nodes, data_values):
    offset = 0
    node_off = {}
    for _, label, props in nodes:
        node_off[label] = offset
        offset += 2 + len(props)
    list_end = offset

    names, data = Block(), Block()

    def insert_name(s):
        b = s.encode() + b"\0"
        for c in names.chunks:
            if c[0] == b:
                return c
        return names.add(b)

    def insert_data(b):
        if data.total % 8:
            data.add(bytes(8 - data.total % 8))
        return data.add(b)

    plan = []
    for typ, label, props in nodes:
        entry = [insert_name(typ), []]
        for kind, name, value in props:
            nc = insert_name(name)
            if kind == "str":
                dc = insert_data(value.encode() + b"\0")
            elif kind == "data":
                dc = insert_data(data_values[(label, name)])
            else:
                dc = None
            entry[1].append((kind, name, value, nc, dc))
        plan.append(entry)
    if names.total % 16:
        names.add(bytes(16 - names.total % 16))

    out = bytearray(struct.pack(">IIII", 0x10000, 16 * (list_end + 1), names.total,
                                data.total))
    labels = [label for _, label, _ in nodes]
    for k, (nc, props) in enumerate(plan):
        nxt = node_off[labels[k + 1]] if k + 1 < len(labels) else list_end
        out += struct.pack(">BBHIQ", ord("N"), len(nc[0]) - 1, 0, nc[1], nxt)
        for kind, name, value, pc, dc in props:
            if kind == "int":
                out += struct.pack(">BBHIQ", ord("v"), len(pc[0]) - 1, 0, pc[1], value)
            elif kind == "arc":
                out += struct.pack(">BBHIQ", ord("a"), len(pc[0]) - 1, 0, pc[1],
                                   node_off[value])
            else:
                tag = ord("s") if kind == "str" else ord("d")
                out += struct.pack(">BBHIII", tag, len(pc[0]) - 1, 0, pc[1], len(dc[0]),
                                   dc[1])
        out += struct.pack(">BBHIQ", ord("E"), 0, 0, 0, 0)
    out += bytes(16)                                        # LIST_END
    for c in names.chunks + data.chunks:
        out += c[0]
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("text", help="mdgen --text output")
    ap.add_argument("out", help="binary fixture to write")
    ap.add_argument("--data", help=".desc source with the data-property values")
    a = ap.parse_args()
    with open(a.text) as f:
        nodes = parse_mdgen_text(f.read())
    values = {}
    if a.data:
        with open(a.data) as f:
            values = parse_desc_data(f.read())
    wanted = {(label, name) for _, label, props in nodes for kind, name, _ in props
              if kind == "data"}
    missing = wanted - set(values)
    assert not missing, f"no value for data properties {sorted(missing)}"
    blob = mdgen_binary(nodes, values)
    with open(a.out, "wb") as f:
        f.write(blob)
    print(f"{a.out}: {len(nodes)} nodes, {len(blob)} bytes")


if __name__ == "__main__":
    main()
