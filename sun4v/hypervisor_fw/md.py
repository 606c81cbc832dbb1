"""The sun4v Machine Description (MD): named nodes with ordered properties (integers,
strings, data, arcs to other nodes), and its binary transport format, decoded and encoded
byte-exactly.

Facts (reference/sun4v.md §4): Sun's hypervisor `include/md/md_impl.h` and mdgen
`support/mdgen/output_bin.c`; Linux `arch/sparc/kernel/mdesc.c`; OpenBSD
`usr.sbin/ldomctl/mdesc.c`.

Binary form: a 16-byte header of big-endian u32s (transport_version 0x00010000,
node_blk_sz, name_blk_sz, data_blk_sz), then the node block, the name block and the data
block, nothing after.  The node block is a list of 16-byte elements addressed by index:
tag u8, name_len u8 (strlen of the name), reserved u16, name_offset u32 (into the name
block), and 8 bytes: a u64 (PROP_VAL value; PROP_ARC and NODE: an element index) or
{data_len u32, data_offset u32} (PROP_STR, NUL included; PROP_DATA).  A node is NODE,
its properties, NODE_END; NODE's u64 is the index of the next NODE (the last node's, of
LIST_END); LIST_END ends the list; NOOP elements are skipped.

The canonical layout, the one `encode` writes when the MD carries no `layout`, is the one
Sun's mdgen writes: each distinct name once in the name block, in order of first use (a
NODE's name before its properties'), the name block zero-padded to a multiple of 16 (so
the data block starts 16-byte aligned); every string and data value its own copy at the
next multiple of 8 of the data block (zero filler, no padding after the last); the
reserved fields and everything after the tag of NODE_END and LIST_END zero.

Other writers lay out the same content differently (OpenBSD's ldomctl shares equal data
and aligns it to 16); `decode` records how such bytes differ from the canonical layout in
`MD.layout` (a `Layout`), and `encode` reproduces them, so decode-then-encode gives back
the input, byte for byte, for every input `decode` accepts.

Strings and names are bytes in the MD; here they are `str` mapped byte-for-byte (Latin-1),
so every byte survives a round trip.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

TRANSPORT_VERSION = 0x00010000
HEADER_SIZE = 16
ELEMENT_SIZE = 16

# element tags (md_impl.h DT_*, mdesc.c MD_*)
LIST_END = 0x00
NODE = 0x4E          # 'N'
NODE_END = 0x45      # 'E'
NOOP = 0x20          # ' '
PROP_ARC = 0x61      # 'a'
PROP_VAL = 0x76      # 'v'
PROP_STR = 0x73      # 's'
PROP_DATA = 0x64     # 'd'
PROP_TAGS = (PROP_ARC, PROP_VAL, PROP_STR, PROP_DATA)
TAG_NAMES = {LIST_END: "LIST_END", NODE: "NODE", NODE_END: "NODE_END", NOOP: "NOOP",
             PROP_ARC: "PROP_ARC", PROP_VAL: "PROP_VAL", PROP_STR: "PROP_STR",
             PROP_DATA: "PROP_DATA"}

ARC_FWD = "fwd"      # arc names of the sun4v MDs (an arc may have any name)
ARC_BACK = "back"

NAME_BLOCK_ALIGN = 16    # mdgen pads the name block so the data block is 16 B aligned
DATA_ALIGN = 8           # mdgen puts each string / data value at a multiple of 8
U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1
ALIGNMENTS = (1, 2, 4, 8, 16)    # the placement rules a Layout can name

_HEADER = struct.Struct(">IIII")
_ELEMENT = struct.Struct(">BBHIQ")


class MDError(ValueError):
    """A machine description that cannot be decoded or encoded; the message is one line
    naming the problem (and the element index or offset where there is one)."""


def _latin1(s: str, what: str) -> bytes:
    if not isinstance(s, str):
        raise MDError(f"{what} must be a str, not {type(s).__name__}")
    try:
        b = s.encode("latin-1")
    except UnicodeEncodeError:
        raise MDError(f"{what} {s!r} has characters outside Latin-1 (bytes 0-255)") from None
    if b"\0" in b:
        raise MDError(f"{what} {s!r} contains a NUL")
    return b


def _name_bytes(name: str, what: str) -> bytes:
    b = _latin1(name, what)
    if len(b) > 255:
        raise MDError(f"{what} {name[:20]!r}... is {len(b)} bytes long; name_len holds "
                      f"at most 255")
    return b


def string_list(strings: Iterable[str]) -> bytes:
    """The PROP_DATA form of a list of strings: each string followed by a NUL (how
    `compatible` and `isalist` are stored)."""
    return b"".join(_latin1(s, "string") + b"\0" for s in strings)


def split_strings(data: bytes) -> list[str]:
    """The strings of a PROP_DATA string list (MDError if it does not end with a NUL)."""
    if not data.endswith(b"\0"):
        raise MDError("data is not a string list (no NUL at its end)")
    return [s.decode("latin-1") for s in data[:-1].split(b"\0")]


class Prop(NamedTuple):
    """One property of a node.  `tag` says what `value` is: PROP_VAL an int
    (0..2**64-1), PROP_STR a str, PROP_DATA bytes, PROP_ARC the target Node."""
    name: str
    tag: int
    value: object


def make_prop(name: str, value) -> Prop:
    """The property for a Python value: int -> PROP_VAL, str -> PROP_STR, bytes ->
    PROP_DATA, list/tuple of str -> PROP_DATA string list, Node -> PROP_ARC."""
    _name_bytes(name, "property name")
    if isinstance(value, Node):
        return Prop(name, PROP_ARC, value)
    if isinstance(value, bool):
        raise MDError(f"property {name!r}: give an int, not a bool")
    if isinstance(value, int):
        if not 0 <= value <= U64_MAX:
            raise MDError(f"property {name!r}: {value} does not fit in 64 bits unsigned")
        return Prop(name, PROP_VAL, value)
    if isinstance(value, str):
        _latin1(value, f"property {name!r} string")
        return Prop(name, PROP_STR, value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Prop(name, PROP_DATA, bytes(value))
    if isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        return Prop(name, PROP_DATA, string_list(value))
    raise MDError(f"property {name!r}: cannot store a {type(value).__name__}")


class Node:
    """A node: its `name` (the MD's node type: "cpu", "mblock", ...) and its properties
    in order (`props`, a list of Prop).  Arcs are properties whose value is another Node
    of the same MD.  Nodes compare by identity."""
    __slots__ = ("name", "props")

    def __init__(self, name: str, props: Iterable = ()):
        _name_bytes(name, "node name")
        self.name = name
        self.props: list[Prop] = []
        for p in props:
            if isinstance(p, Prop):
                self.props.append(p)
            else:
                self.add(*p)

    def __repr__(self):
        return f"<Node {self.name} ({len(self.props)} properties)>"

    def add(self, name: str, value) -> Prop:
        """Append a property (see make_prop for the value types); returns it."""
        p = make_prop(name, value)
        self.props.append(p)
        return p

    def set(self, name: str, value) -> Prop:
        """Replace the value of the first non-arc property `name` in place, or append it."""
        p = make_prop(name, value)
        for i, q in enumerate(self.props):
            if q.name == name and q.tag != PROP_ARC:
                self.props[i] = p
                return p
        self.props.append(p)
        return p

    def remove(self, name: str) -> int:
        """Remove every property (arcs included) called `name`; returns how many."""
        n = len(self.props)
        self.props = [p for p in self.props if p.name != name]
        return n - len(self.props)

    def get(self, name: str, default=None):
        """The value of the first non-arc property `name`, else `default`."""
        for p in self.props:
            if p.name == name and p.tag != PROP_ARC:
                return p.value
        return default

    def __getitem__(self, name: str):
        for p in self.props:
            if p.name == name and p.tag != PROP_ARC:
                return p.value
        raise KeyError(f"{self.name} node has no property {name!r}")

    def __contains__(self, name: str) -> bool:
        return any(p.name == name and p.tag != PROP_ARC for p in self.props)

    def values(self, name: str) -> list:
        """Every non-arc value called `name`, in order."""
        return [p.value for p in self.props if p.name == name and p.tag != PROP_ARC]

    def strings(self, name: str) -> list[str]:
        """Property `name` as a list of strings: a PROP_DATA string list split at its
        NULs, or a PROP_STR as one string (KeyError if absent, MDError if not text)."""
        v = self[name]
        if isinstance(v, str):
            return [v]
        if isinstance(v, bytes):
            return split_strings(v)
        raise MDError(f"{self.name} property {name!r} is an integer, not strings")

    def arcs(self, name: str = ARC_FWD) -> list[Node]:
        """The targets of this node's arcs called `name`, in order."""
        return [p.value for p in self.props if p.tag == PROP_ARC and p.name == name]

    @property
    def fwd(self) -> list[Node]:
        return self.arcs(ARC_FWD)

    @property
    def back(self) -> list[Node]:
        return self.arcs(ARC_BACK)


def link(parent: Node, child: Node) -> None:
    """Arcs both ways, the sun4v MD convention: parent "fwd" -> child, child "back" ->
    parent (OpenBSD ldomctl md_link_node)."""
    parent.add(ARC_FWD, child)
    child.add(ARC_BACK, parent)


@dataclass
class Layout:
    """How an MD's bytes differ from the canonical (mdgen) layout; `MD.layout` None means
    canonical.  Element indices are those of the encoded node block.

    noops: indices of NOOP elements; raw: element index -> its 16 bytes, for elements
    whose ignored fields (reserved; all but the tag of NODE_END / LIST_END / NOOP) are not
    zero; node_tail: node-block bytes after LIST_END.
    name_block / data_block: the whole block (padding included) when not canonical, else
    None.  Each name (with its NUL) / string or data value is then at the offset given in
    name_at / data_at for its element, else where the rule puts it: with *_shared, where
    an equal one was first placed; otherwise at the first multiple of *_align at or after
    the end of everything placed before it (in element order)."""
    noops: tuple = ()
    raw: dict = field(default_factory=dict)
    node_tail: bytes = b""
    name_block: bytes | None = None
    name_shared: bool = True
    name_align: int = 1
    name_at: dict = field(default_factory=dict)
    data_block: bytes | None = None
    data_shared: bool = False
    data_align: int = DATA_ALIGN
    data_at: dict = field(default_factory=dict)


class MD:
    """A machine description: `nodes` in order (the order of the node block) and
    `layout` (None: canonical; see Layout).  Build one with add_node / Node.add / link,
    or with decode()."""
    __slots__ = ("nodes", "layout")

    def __init__(self, nodes: Iterable[Node] = (), layout: Layout | None = None):
        self.nodes: list[Node] = list(nodes)
        self.layout = layout

    def __repr__(self):
        return f"<MD {len(self.nodes)} nodes{'' if self.layout is None else ', layout'}>"

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    def add_node(self, name: str, props: Iterable = ()) -> Node:
        """Append a new node (props: Prop or (name, value) pairs); returns it."""
        n = Node(name, props)
        self.nodes.append(n)
        return n

    def find(self, name: str) -> list[Node]:
        """Every node called `name`, in order."""
        return [n for n in self.nodes if n.name == name]

    def find_one(self, name: str) -> Node:
        """The one node called `name` (MDError if there are none or several)."""
        found = self.find(name)
        if len(found) != 1:
            raise MDError(f"{len(found)} nodes called {name!r}, expected one")
        return found[0]

    @property
    def root(self) -> Node:
        """The first node called "root" (MDError if there is none)."""
        for n in self.nodes:
            if n.name == "root":
                return n
        raise MDError("no root node")

    def walk(self, start: Node | None = None, arc: str = ARC_FWD) -> list[Node]:
        """The nodes reachable from `start` (default: root) through arcs called `arc`,
        start included, each once, depth first in arc order."""
        start = self.root if start is None else start
        seen, order, stack = {start}, [], [start]
        while stack:
            n = stack.pop()
            order.append(n)
            for t in reversed(n.arcs(arc)):
                if t not in seen:
                    seen.add(t)
                    stack.append(t)
        return order

    def remove_node(self, node: Node) -> None:
        """Remove `node` and every arc that points to it."""
        self.nodes.remove(node)
        for n in self.nodes:
            n.props = [p for p in n.props if not (p.tag == PROP_ARC and p.value is node)]

    def element_index(self) -> dict[Node, int]:
        """Node -> index of its NODE element in the encoded node block."""
        return _plan(self.nodes, self.layout.noops if self.layout else ())[1]

    def same_content(self, other: MD) -> bool:
        """Same nodes in the same order with the same properties (arcs to nodes at the
        same positions); the layout is not compared."""
        if len(self.nodes) != len(other.nodes):
            return False
        pos_a = {n: i for i, n in enumerate(self.nodes)}
        pos_b = {n: i for i, n in enumerate(other.nodes)}
        for a, b in zip(self.nodes, other.nodes):
            if a.name != b.name or len(a.props) != len(b.props):
                return False
            for p, q in zip(a.props, b.props):
                if p.name != q.name or p.tag != q.tag:
                    return False
                if p.tag == PROP_ARC:
                    if pos_a.get(p.value, -1) != pos_b.get(q.value, -2):
                        return False
                elif p.value != q.value:
                    return False
        return True


# ---- encoding -----------------------------------------------------------------------------
def _plan(nodes, noops=()):
    """The node block as a list of (tag, node, prop) in index order, NOOPs at `noops`;
    and node -> index of its NODE element."""
    noop_set = set(noops)
    elems, index = [], {}

    def place(tag, node, prop):
        while len(elems) in noop_set:
            elems.append((NOOP, None, None))
        elems.append((tag, node, prop))

    for node in nodes:
        if not isinstance(node, Node):
            raise MDError(f"MD.nodes holds a {type(node).__name__}, not a Node")
        if node in index:
            raise MDError(f"the same {node.name} node is in the MD twice")
        place(NODE, node, None)
        index[node] = len(elems) - 1
        for p in node.props:
            place(p.tag, node, p)
        place(NODE_END, node, None)
    place(LIST_END, None, None)
    late = [i for i in noop_set if i >= len(elems)]
    if late:
        raise MDError(f"layout: NOOP at element {min(late)} lies past the LIST_END "
                      f"(element {len(elems) - 1})")
    return elems, index


def _payload(p: Prop, where: str) -> bytes:
    """The data-block bytes of a PROP_STR / PROP_DATA property."""
    if p.tag == PROP_STR:
        return _latin1(p.value, f"{where}: string") + b"\0"
    if not isinstance(p.value, (bytes, bytearray)):
        raise MDError(f"{where}: PROP_DATA value must be bytes, not {type(p.value).__name__}")
    return bytes(p.value)


def _items(elems):
    """(index, name bytes + NUL) of every named element and (index, payload) of every
    string / data property, in element order."""
    names, data = [], []
    for i, (tag, node, p) in enumerate(elems):
        if tag == NODE:
            names.append((i, _name_bytes(node.name, f"element {i}: node name") + b"\0"))
        elif p is not None:
            where = f"element {i} ({node.name} property {p.name!r})"
            names.append((i, _name_bytes(p.name, f"{where}: name") + b"\0"))
            if p.tag in (PROP_STR, PROP_DATA):
                data.append((i, _payload(p, where)))
    return names, data


def _canonical_names(items):
    table, buf, offs = {}, bytearray(), []
    for _, s in items:
        off = table.get(s)
        if off is None:
            off = table[s] = len(buf)
            buf += s
        offs.append(off)
    buf += bytes(-len(buf) % NAME_BLOCK_ALIGN)
    return bytes(buf), offs


def _canonical_data(items):
    buf, offs = bytearray(), []
    for _, s in items:
        buf += bytes(-len(buf) % DATA_ALIGN)
        offs.append(len(buf))
        buf += s
    return bytes(buf), offs


class _Rule:
    """Walks items in order: the default offset of each (Layout's placement rule) given
    the actual offsets of those before it."""

    def __init__(self, shared, align):
        self.shared, self.align, self.cursor, self.seen = shared, align, 0, {}

    def default(self, payload):
        if self.shared and payload in self.seen:
            return self.seen[payload]
        return -(-self.cursor // self.align) * self.align

    def placed(self, payload, off):
        self.cursor = max(self.cursor, off + len(payload))
        self.seen.setdefault(payload, off)


def _check_rule(shared, align, what):
    if not isinstance(shared, bool):
        raise MDError(f"layout: {what}-sharing must be 0 or 1")
    if align not in ALIGNMENTS:
        raise MDError(f"layout: {what}-align must be one of {', '.join(map(str, ALIGNMENTS))}")


def _place(items, block, shared, align, at, what):
    """Offsets of `items` in a recorded `block`, checking each is really there."""
    _check_rule(shared, align, what)
    indices = {i for i, _ in items}
    stray = sorted(set(at) - indices)
    if stray:
        raise MDError(f"layout: {what} @{stray[0]}: element {stray[0]} has no {what}")
    rule, offs = _Rule(shared, align), []
    for i, s in items:
        off = at[i] if i in at else rule.default(s)
        if not (isinstance(off, int) and 0 <= off and block[off:off + len(s)] == s):
            shown = s[:-1] if what == "name" else s
            raise MDError(f"layout: element {i}: {what} {shown[:40]!r} is not at offset "
                          f"{off:#x} of the recorded {what} block")
        rule.placed(s, off)
        offs.append(off)
    return offs


def _fit_rule(items, offs, candidates):
    """The (shared, align) rule that needs the fewest explicit offsets, and those."""
    best = None
    for shared, align in candidates:
        rule, at = _Rule(shared, align), {}
        for (i, s), off in zip(items, offs):
            if rule.default(s) != off:
                at[i] = off
            rule.placed(s, off)
        if best is None or len(at) < len(best[2]):
            best = (shared, align, at)
    return best


_NAME_RULES = [(True, 1)] + [(s, a) for s in (True, False) for a in ALIGNMENTS
                             if (s, a) != (True, 1)]
_DATA_RULES = [(False, 8), (True, 16)] + [(s, a) for s in (True, False) for a in ALIGNMENTS
                                          if (s, a) not in ((False, 8), (True, 16))]


def encode(md: MD) -> bytes:
    """The binary form of `md`: canonical (mdgen) layout when md.layout is None, else the
    layout it records (MDError if the content no longer fits that layout: set
    md.layout = None to write the canonical layout)."""
    L = md.layout if md.layout is not None else Layout()
    if not isinstance(L, Layout):
        raise MDError("MD.layout must be a Layout or None")
    elems, index = _plan(md.nodes, L.noops)
    names, data = _items(elems)

    if L.name_block is None:
        if L.name_at or (L.name_shared, L.name_align) != (True, 1):
            raise MDError("layout: name offsets or rule given without a name block")
        name_block, name_offs = _canonical_names(names)
    else:
        name_block = bytes(L.name_block)
        name_offs = _place(names, name_block, L.name_shared, L.name_align, L.name_at, "name")
    if L.data_block is None:
        if L.data_at or (L.data_shared, L.data_align) != (False, DATA_ALIGN):
            raise MDError("layout: data offsets or rule given without a data block")
        data_block, data_offs = _canonical_data(data)
    else:
        data_block = bytes(L.data_block)
        data_offs = _place(data, data_block, L.data_shared, L.data_align, L.data_at, "data")
    name_off = {i: off for (i, _), off in zip(names, name_offs)}
    data_off = {i: off for (i, _), off in zip(data, data_offs)}
    data_len = {i: len(s) for i, s in data}

    node_idx = [i for i, e in enumerate(elems) if e[0] == NODE] + [len(elems) - 1]
    next_node = dict(zip(node_idx, node_idx[1:]))
    out = bytearray()
    for i, (tag, node, p) in enumerate(elems):
        if tag == NODE:
            val = next_node[i]
            nlen = len(node.name.encode("latin-1"))
        elif p is None:
            out += _ELEMENT.pack(tag, 0, 0, 0, 0)
            continue
        else:
            nlen = len(p.name.encode("latin-1"))
            if tag == PROP_VAL:
                val = p.value
                if isinstance(val, bool) or not isinstance(val, int) or not 0 <= val <= U64_MAX:
                    raise MDError(f"element {i}: {node.name} property {p.name!r}: PROP_VAL "
                                  f"value must be an int 0..2**64-1, not {val!r}")
            elif tag == PROP_ARC:
                if p.value not in index:
                    raise MDError(f"element {i}: {node.name} arc {p.name!r} points to a "
                                  f"node that is not in this MD")
                val = index[p.value]
            elif tag in (PROP_STR, PROP_DATA):
                if data_len[i] > U32_MAX or data_off[i] > U32_MAX:
                    raise MDError(f"element {i}: {node.name} property {p.name!r} is too "
                                  f"large for the MD format")
                val = data_len[i] << 32 | data_off[i]
            else:
                raise MDError(f"element {i}: {node.name} property {p.name!r} has unknown "
                              f"tag {tag!r}")
        if name_off[i] > U32_MAX:
            raise MDError(f"element {i}: name offset beyond 4 GiB")
        out += _ELEMENT.pack(tag, nlen, 0, name_off[i], val)

    for i, raw in sorted(L.raw.items()):
        if not (isinstance(i, int) and 0 <= i < len(elems)):
            raise MDError(f"layout: raw @{i}: no element {i}")
        raw = bytes(raw)
        mine = bytes(out[i * ELEMENT_SIZE:(i + 1) * ELEMENT_SIZE])
        if elems[i][0] in (NODE_END, LIST_END, NOOP):
            fits = raw[:1] == mine[:1]          # nothing but the tag is read
        else:
            fits = raw[:2] + raw[4:] == mine[:2] + mine[4:]     # all but reserved
        if len(raw) != ELEMENT_SIZE or not fits:
            raise MDError(f"layout: raw @{i} does not fit element {i} "
                          f"({TAG_NAMES.get(elems[i][0], '?')})")
        out[i * ELEMENT_SIZE:(i + 1) * ELEMENT_SIZE] = raw
    tail = bytes(L.node_tail)
    if len(tail) % ELEMENT_SIZE:
        raise MDError("layout: node-block-tail must be a multiple of 16 bytes")
    out += tail

    sizes = (len(out), len(name_block), len(data_block))
    if max(sizes) > U32_MAX:
        raise MDError("MD too large: a block exceeds 4 GiB")
    return _HEADER.pack(TRANSPORT_VERSION, *sizes) + bytes(out) + name_block + data_block


# ---- decoding -----------------------------------------------------------------------------
def decode(blob) -> MD:
    """The MD in `blob` (bytes-like).  Raises MDError (one line) for anything that is not
    a well-formed MD: short or long input, bad transport version, block sizes that do not
    match, unknown tags, properties outside a node, missing NODE_END or LIST_END, NODE
    next-indices that skip or miss a node, names or data outside their blocks or with a
    wrong length, strings without their NUL, arcs to elements that are not NODEs.
    encode() of the result gives back `blob` exactly."""
    buf = bytes(blob)
    n = len(buf)
    if n < HEADER_SIZE:
        raise MDError(f"truncated: {n} bytes, shorter than the {HEADER_SIZE}-byte header")
    version, node_sz, name_sz, data_sz = _HEADER.unpack_from(buf)
    if version != TRANSPORT_VERSION:
        raise MDError(f"transport version {version:#010x}, expected {TRANSPORT_VERSION:#010x}")
    if node_sz % ELEMENT_SIZE:
        raise MDError(f"node block size {node_sz:#x} is not a multiple of {ELEMENT_SIZE}")
    total = HEADER_SIZE + node_sz + name_sz + data_sz
    if total > n:
        raise MDError(f"truncated: the header's block sizes add up to {total} bytes, the "
                      f"input has {n}")
    if total < n:
        raise MDError(f"{n - total} bytes after the data block (the header's block sizes "
                      f"add up to {total} bytes)")
    nb = buf[HEADER_SIZE:HEADER_SIZE + node_sz]
    names = buf[HEADER_SIZE + node_sz:HEADER_SIZE + node_sz + name_sz]
    data = buf[HEADER_SIZE + node_sz + name_sz:total]

    # 1. structure: walk the elements up to LIST_END
    rows, node_at, noops, raw = [], [], [], {}
    current, end = None, None
    for i in range(node_sz // ELEMENT_SIZE):
        row = _ELEMENT.unpack_from(nb, i * ELEMENT_SIZE)
        tag, nlen, resv, noff, val = row
        if tag == LIST_END:
            if current is not None:
                raise MDError(f"element {i}: LIST_END inside the node at element {current} "
                              f"(no NODE_END)")
            end = i
        elif tag == NODE:
            if current is not None:
                raise MDError(f"element {i}: NODE inside the node at element {current} "
                              f"(no NODE_END)")
            current = i
            node_at.append(i)
        elif tag == NODE_END:
            if current is None:
                raise MDError(f"element {i}: NODE_END outside any node")
            current = None
        elif tag in PROP_TAGS:
            if current is None:
                raise MDError(f"element {i}: {TAG_NAMES[tag]} outside any node")
        elif tag == NOOP:
            noops.append(i)
        else:
            raise MDError(f"element {i}: unknown tag {tag:#04x}")
        ignored = nb[i * ELEMENT_SIZE + 1:(i + 1) * ELEMENT_SIZE] if tag in (
            LIST_END, NODE_END, NOOP) else nb[i * ELEMENT_SIZE + 2:i * ELEMENT_SIZE + 4]
        if any(ignored):
            raw[i] = nb[i * ELEMENT_SIZE:(i + 1) * ELEMENT_SIZE]
        rows.append(row)
        if end is not None:
            break
    if end is None:
        where = f" (node at element {current} not closed)" if current is not None else ""
        raise MDError(f"node block has no LIST_END{where}")
    node_set = set(node_at)
    for k, i in enumerate(node_at):
        want = node_at[k + 1] if k + 1 < len(node_at) else end
        if rows[i][4] != want:
            what = "next node" if k + 1 < len(node_at) else "LIST_END"
            raise MDError(f"element {i}: NODE's next index is {rows[i][4]}, but the {what} "
                          f"is element {want}")

    # 2. names, values, data
    def name_of(i, nlen, noff):
        if noff + nlen >= name_sz:
            raise MDError(f"element {i}: name at offset {noff:#x} (length {nlen}) runs past "
                          f"the name block ({name_sz:#x} bytes)")
        s = names[noff:noff + nlen]
        if b"\0" in s or names[noff + nlen] != 0:
            raise MDError(f"element {i}: name length {nlen} does not match the NUL-terminated "
                          f"name at offset {noff:#x}")
        return s.decode("latin-1")

    md, nodes, arcs = MD(), {}, []
    name_offs, data_offs = [], []
    node = None
    for i, (tag, nlen, resv, noff, val) in enumerate(rows):
        if tag == NODE:
            node = Node(name_of(i, nlen, noff))
            name_offs.append(noff)
            nodes[i] = node
            md.nodes.append(node)
        elif tag in PROP_TAGS:
            name = name_of(i, nlen, noff)
            name_offs.append(noff)
            if tag == PROP_VAL:
                node.props.append(Prop(name, tag, val))
            elif tag == PROP_ARC:
                if val not in node_set:
                    raise MDError(f"element {i}: arc {name!r} points to element {val}, which "
                                  f"is not a NODE")
                arcs.append((node, len(node.props), val))
                node.props.append(Prop(name, tag, None))
            else:
                dlen, doff = val >> 32, val & U32_MAX
                kind = "string" if tag == PROP_STR else "data"
                if doff + dlen > data_sz:
                    raise MDError(f"element {i}: {kind} {name!r} at data offset {doff:#x} "
                                  f"(length {dlen:#x}) runs past the data block "
                                  f"({data_sz:#x} bytes)")
                d = data[doff:doff + dlen]
                data_offs.append(doff)
                if tag == PROP_DATA:
                    node.props.append(Prop(name, tag, d))
                else:
                    if not d.endswith(b"\0"):
                        raise MDError(f"element {i}: string {name!r} has no NUL terminator")
                    if b"\0" in d[:-1]:
                        raise MDError(f"element {i}: string {name!r} has a NUL inside it")
                    node.props.append(Prop(name, tag, d[:-1].decode("latin-1")))
    for node, k, target in arcs:
        node.props[k] = node.props[k]._replace(value=nodes[target])

    # 3. canonical?  Otherwise record how the bytes differ.
    if encode(md) == buf:
        return md
    elems, _ = _plan(md.nodes, noops)
    name_items, data_items = _items(elems)
    L = Layout(noops=tuple(noops), raw=raw, node_tail=nb[(end + 1) * ELEMENT_SIZE:])
    if (names, name_offs) != _canonical_names(name_items):
        L.name_block = names
        L.name_shared, L.name_align, L.name_at = _fit_rule(name_items, name_offs, _NAME_RULES)
    if (data, data_offs) != _canonical_data(data_items):
        L.data_block = data
        L.data_shared, L.data_align, L.data_at = _fit_rule(data_items, data_offs, _DATA_RULES)
    md.layout = L
    again = encode(md)
    assert again == buf, "MD layout not reproduced (codec bug)"
    return md
