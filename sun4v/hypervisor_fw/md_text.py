"""The text form of a Machine Description, in the style of Sun's mdgen sources (.desc)
and mdlint dumps: `to_text(md)` and `from_text(text)`; encode(from_text(to_text(md))) is
byte-identical to encode(md).

    // comments run to the end of the line, or /* ... */
    node cpu@42 {
        id = 0x0;                                     PROP_VAL (decimal also accepted)
        mmu-type = "sun4v";                           PROP_STR (\\" \\\\ \\xNN \\n \\t \\r \\0)
        compatible = { "SUNW,UltraSPARC-T1", "sun4v" };        PROP_DATA: each string + NUL
        address-ranges = { x"000000c810000000", 0x7f, 0xff };  hex bytes; numbers as mdgen
        back -> cpus@37;                              PROP_ARC to the node labelled cpus@37
    }

A node is labelled NAME@N; in a dump N is the index of its NODE element, and an arc names
its target by that label (the name must be the target's).  In text written by hand the
numbers are only labels.  Inside { } a number is big-endian in as few bytes as hold it
(at least one: mdgen's rule); x"..." is bytes as written.  Names that are not plain words
are written as strings.  When the MD's bytes are not in the canonical (mdgen) layout, the
dump ends with a `layout { ... }` section holding what md.Layout holds, so the rebuilt
binary is the same byte for byte; element numbers there are node-block indices.  Delete
that section to get the canonical layout after editing the content.

Facts: reference/sun4v.md §4; mdgen's .desc syntax (HV support/mdgen/mdparse.c).
"""
from __future__ import annotations

import re

from .md import (MD, PROP_ARC, PROP_STR, PROP_VAL, U64_MAX, Layout, MDError, Node, Prop,
                 encode, make_prop)

# ---- writing ------------------------------------------------------------------------------
_PLAIN = re.compile(r"(?:[A-Za-z0-9_#$%&'()*+.:<>?!^|~`\[\]]|-(?!>))+\Z")
_LINE = 96


def _quote(b: bytes) -> str:
    out = []
    for c in b:
        if c == 0x22:
            out.append('\\"')
        elif c == 0x5C:
            out.append("\\\\")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append(f"\\x{c:02x}")
    return '"' + "".join(out) + '"'


def _name(name: str) -> str:
    if _PLAIN.match(name) and name not in ("node", "layout"):
        return name
    return _quote(name.encode("latin-1"))


def _data(b: bytes, indent: str, strings: bool = True, lead: int = 0) -> str:
    """{ ... } for PROP_DATA bytes: a string list when it is one, else x"..." groups of
    8 bytes; on one line when it fits after `lead` characters."""
    if strings and b and b.endswith(b"\0") and all(0x20 <= c < 0x7F for c in b if c):
        items = [_quote(s) for s in b[:-1].split(b"\0")]
        per_line = None
    else:
        items = [f'x"{b[k:k + 8].hex()}"' for k in range(0, len(b), 8)]
        per_line = 4
    if not items:
        return "{ }"
    one = "{ " + ", ".join(items) + " }"
    if len(one) + len(indent) * 4 + lead <= _LINE:
        return one
    if per_line is None:
        lines = items
    else:
        lines = [", ".join(items[k:k + per_line]) for k in range(0, len(items), per_line)]
    inner = indent + "\t"
    return "{\n" + ",\n".join(inner + ln for ln in lines) + "\n" + indent + "}"


def to_text(md: MD) -> str:
    """The text form of `md` (see the module docstring)."""
    blob = encode(md)               # also checks that md is encodable as it stands
    index = md.element_index()
    sizes = [int.from_bytes(blob[k:k + 4], "big") for k in (4, 8, 12)]
    out = [f"// sun4v machine description: {len(md.nodes)} nodes, {sizes[0] // 16} elements",
           f"// blocks: node {sizes[0]:#x}, name {sizes[1]:#x}, data {sizes[2]:#x} bytes; "
           + ("canonical (mdgen) layout" if md.layout is None else "layout recorded below"),
           ""]
    for node in md.nodes:
        out.append(f"node {_name(node.name)}@{index[node]} {{")
        for p in node.props:
            n = _name(p.name)
            if p.tag == PROP_ARC:
                out.append(f"\t{n} -> {_name(p.value.name)}@{index[p.value]};")
            elif p.tag == PROP_VAL:
                out.append(f"\t{n} = {p.value:#x};")
            elif p.tag == PROP_STR:
                out.append(f"\t{n} = {_quote(p.value.encode('latin-1'))};")
            else:
                out.append(f"\t{n} = {_data(p.value, chr(9), lead=len(n) + 4)};")
        out.append("}")
    L = md.layout
    if L is not None:
        out += ["", "layout {"]
        out += [f"\tnoop @{i};" for i in L.noops]
        out += [f"\traw @{i} = {_data(b, chr(9), False)};" for i, b in sorted(L.raw.items())]
        if L.node_tail:
            out.append(f"\tnode-block-tail = {_data(L.node_tail, chr(9), False)};")
        for what, block, shared, align, at in (
                ("name", L.name_block, L.name_shared, L.name_align, L.name_at),
                ("data", L.data_block, L.data_shared, L.data_align, L.data_at)):
            if block is None:
                continue
            out.append(f"\t{what}-block = {_hex_block(block)};")
            out.append(f"\t{what}-sharing = {int(shared)};")
            out.append(f"\t{what}-align = {align};")
            out += [f"\t{what} @{i} = {off:#x};" for i, off in sorted(at.items())]
        out.append("}")
    return "\n".join(out) + "\n"


def _hex_block(b: bytes) -> str:
    if not b:
        return "{ }"
    rows = [", ".join(f'x"{b[k:k + 8].hex()}"' for k in range(r, min(r + 32, len(b)), 8))
            for r in range(0, len(b), 32)]
    return "{\n" + ",\n".join("\t\t" + r for r in rows) + "\n\t}"


# ---- reading ------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\f\v]+) | (?P<newline>\n) | (?P<comment>//[^\n]*) |
    (?P<block>/\*.*?\*/) |
    (?P<hex>x"[^"\n]*") | (?P<string>"(?:[^"\\\n]|\\.)*") |
    (?P<arrow>->) | (?P<punct>[{}=;,@]) |
    (?P<word>(?:[^\s{}=;,"@/-]|-(?!>))+)
""", re.VERBOSE | re.DOTALL)
_ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, '"': 0x22, "\\": 0x5C}


class _Tok:
    __slots__ = ("kind", "text", "line", "value")

    def __init__(self, kind, text, line, value=None):
        self.kind, self.text, self.line, self.value = kind, text, line, value


def _unquote(body: str, line: int) -> bytes:
    out, k = bytearray(), 0
    while k < len(body):
        c = body[k]
        if c != "\\":
            code = ord(c)
            if code > 0xFF:
                raise MDError(f"line {line}: character {c!r} is outside Latin-1")
            out.append(code)
            k += 1
            continue
        e = body[k + 1]
        if e == "x":
            h = body[k + 2:k + 4]
            if not re.fullmatch(r"[0-9a-fA-F]{2}", h):
                raise MDError(f"line {line}: \\x needs two hex digits")
            out.append(int(h, 16))
            k += 4
        elif e in _ESCAPES:
            out.append(_ESCAPES[e])
            k += 2
        else:
            raise MDError(f"line {line}: unknown escape \\{e}")
    return bytes(out)


def _tokens(text: str) -> list[_Tok]:
    toks, line, pos = [], 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            if text.startswith("/*", pos):
                raise MDError(f"line {line}: comment /* not closed")
            if text[pos] == '"' or text.startswith('x"', pos):
                raise MDError(f"line {line}: string not closed on its line")
            raise MDError(f"line {line}: unexpected character {text[pos]!r}")
        kind, s = m.lastgroup, m.group()
        if kind == "hex":
            h = s[2:-1]
            if not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", h):
                raise MDError(f"line {line}: x\"...\" needs pairs of hex digits")
            toks.append(_Tok("data", s, line, bytes.fromhex(h)))
        elif kind == "string":
            toks.append(_Tok("string", s, line, _unquote(s[1:-1], line)))
        elif kind in ("arrow", "punct", "word"):
            toks.append(_Tok(s if kind != "word" else "word", s, line))
        line += s.count("\n")
        pos = m.end()
    toks.append(_Tok("end", "end of text", line))
    return toks


def _int(tok: _Tok, what: str) -> int:
    if tok.kind == "word":
        t = tok.text
        try:
            if re.fullmatch(r"0[xX][0-9a-fA-F]+", t):
                return int(t, 16)
            if re.fullmatch(r"[0-9]+", t):
                return int(t, 10)
        except ValueError:
            pass
    raise MDError(f"line {tok.line}: expected {what}, found {tok.text!r}")


class _Parser:
    def __init__(self, text):
        self.toks, self.k = _tokens(text), 0

    def peek(self):
        return self.toks[self.k]

    def next(self):
        t = self.toks[self.k]
        if t.kind != "end":
            self.k += 1
        return t

    def expect(self, kind, what=None):
        t = self.next()
        if t.kind != kind:
            raise MDError(f"line {t.line}: expected {what or repr(kind)}, found {t.text!r}")
        return t

    def name(self, what):
        t = self.next()
        if t.kind == "word":
            return t.text
        if t.kind == "string":
            return t.value.decode("latin-1")
        raise MDError(f"line {t.line}: expected {what}, found {t.text!r}")

    def label(self, what):
        name = self.name(what)
        self.expect("@", f"'@' and a number after {name}")
        return name, _int(self.next(), "a node number after '@'")

    def data(self):
        """{ items } -> bytes (the '{' already taken)."""
        out = bytearray()
        while True:
            t = self.next()
            if t.kind == "}":
                return bytes(out)
            if t.kind == "string":
                out += t.value + b"\0"
            elif t.kind == "data":
                out += t.value
            elif t.kind == "word":
                v = _int(t, "a string, number or x\"..\" in { }")
                if v > U64_MAX:
                    raise MDError(f"line {t.line}: {t.text} does not fit in 64 bits")
                out += v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
            else:
                raise MDError(f"line {t.line}: expected a string, number or x\"..\" in "
                              f"{{ }}, found {t.text!r}")
            t = self.peek()
            if t.kind == ",":
                self.next()
            elif t.kind == "end":
                raise MDError(f"line {t.line}: '{{' not closed")

    def block_value(self):
        self.expect("=", "'='")
        self.expect("{", "'{'")
        b = self.data()
        self.expect(";", "';'")
        return b

    def int_value(self, what):
        self.expect("=", "'='")
        v = _int(self.next(), what)
        self.expect(";", "';'")
        return v


def _checked(line, make, *args):
    """make(*args), its MDError prefixed with the line."""
    try:
        return make(*args)
    except MDError as e:
        raise MDError(f"line {line}: {e}") from None


def _arc_prop(name):
    make_prop(name, 0)                 # checks the name
    return Prop(name, PROP_ARC, None)


def from_text(text: str) -> MD:
    """The MD written in `text` (MDError naming the line for anything wrong)."""
    p = _Parser(text)
    nodes, labels, layout = [], {}, None
    pending = []             # (node, prop position, name, target name, target number, line)
    while True:
        t = p.next()
        if t.kind == "end":
            break
        if t.kind == "word" and t.text == "node":
            name, num = p.label("a node name")
            if num in labels:
                raise MDError(f"line {t.line}: node number @{num} used twice (also line "
                              f"{labels[num][1]})")
            node = _checked(t.line, Node, name)
            labels[num] = (node, t.line)
            nodes.append(node)
            p.expect("{", "'{'")
            while p.peek().kind != "}":
                if p.peek().kind == "end":
                    raise MDError(f"line {p.peek().line}: node {name}@{num} not closed")
                pline = p.peek().line
                pname = p.name("a property name or '}'")
                op = p.next()
                if op.kind == "->":
                    tname, tnum = p.label("the arc's target node")
                    pending.append((node, len(node.props), pname, tname, tnum, pline))
                    node.props.append(_checked(pline, _arc_prop, pname))
                elif op.kind == "=":
                    v = p.next()
                    if v.kind == "string":
                        value = v.value.decode("latin-1")
                    elif v.kind == "{":
                        value = p.data()
                    else:
                        value = _int(v, f"a value for {pname}")
                    node.props.append(_checked(pline, make_prop, pname, value))
                else:
                    raise MDError(f"line {op.line}: expected '=' or '->' after {pname}, "
                                  f"found {op.text!r}")
                p.expect(";", f"';' after property {pname}")
            p.next()
        elif t.kind == "word" and t.text == "layout":
            if layout is not None:
                raise MDError(f"line {t.line}: a second layout section")
            layout = _layout(p)
        else:
            raise MDError(f"line {t.line}: expected 'node' or 'layout', found {t.text!r}")
    for node, k, pname, tname, tnum, line in pending:
        if tnum not in labels:
            raise MDError(f"line {line}: arc {pname} -> {tname}@{tnum}: no node @{tnum}")
        target = labels[tnum][0]
        if target.name != tname:
            raise MDError(f"line {line}: arc {pname} -> {tname}@{tnum}: node @{tnum} is "
                          f"{target.name!r}")
        node.props[k] = Prop(pname, PROP_ARC, target)
    return MD(nodes, layout)


def _layout(p: _Parser) -> Layout:
    L = Layout()
    seen = set()
    p.expect("{", "'{' after layout")
    while True:
        t = p.next()
        if t.kind == "}":
            return L
        if t.kind != "word":
            raise MDError(f"line {t.line}: expected a layout entry, found {t.text!r}")
        key = t.text
        if key in ("noop", "raw", "name", "data"):
            p.expect("@", f"'@' after {key}")
            i = _int(p.next(), "an element number")
            if (key, i) in seen:
                raise MDError(f"line {t.line}: layout {key} @{i} given twice")
            seen.add((key, i))
            if key == "noop":
                p.expect(";", "';'")
                L.noops += (i,)
            elif key == "raw":
                L.raw[i] = p.block_value()
            else:
                getattr(L, f"{key}_at")[i] = p.int_value("an offset")
            continue
        if key in seen:
            raise MDError(f"line {t.line}: layout {key} given twice")
        seen.add(key)
        if key == "node-block-tail":
            L.node_tail = p.block_value()
        elif key in ("name-block", "data-block"):
            setattr(L, key.replace("-", "_"), p.block_value())
        elif key in ("name-sharing", "data-sharing"):
            v = p.int_value("0 or 1")
            if v not in (0, 1):
                raise MDError(f"line {t.line}: {key} must be 0 or 1")
            setattr(L, key.replace("-sharing", "_shared"), bool(v))
        elif key in ("name-align", "data-align"):
            setattr(L, key.replace("-", "_"), p.int_value("an alignment"))
        else:
            raise MDError(f"line {t.line}: unknown layout entry {key!r}")
