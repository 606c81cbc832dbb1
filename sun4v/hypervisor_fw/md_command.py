"""`sun4v md`: machine descriptions as text and back.

  sun4v md dump FILE             print the binary MD in FILE as text (md_text's form)
  sun4v md build TEXT -o FILE    write the binary MD that TEXT describes (- reads stdin);
                                 FILE is replaced atomically (write, fsync, rename)

A dumped MD rebuilt is byte-identical.  Bad input: one line `sun4v: ...` on stderr, exit
status 2.  Format: sun4v/hypervisor_fw/md.py, md_text.py; reference/sun4v.md §4.
"""
from __future__ import annotations

import sys

from ..atomicfile import write_atomic
from ..cli import UsageError, check_output_path, register
from .md import MDError, decode, encode
from .md_text import from_text, to_text


def add_arguments(p):
    sub = p.add_subparsers(dest="md_action", metavar="ACTION", required=True)
    d = sub.add_parser("dump", help="print a binary MD as text",
                       description="Print the binary machine description in FILE as text "
                                   "(nodes labelled NAME@INDEX, their properties and arcs; "
                                   "a layout section when the bytes are not in mdgen's "
                                   "layout).")
    d.add_argument("file", metavar="FILE", help="binary MD (e.g. an mdgen .bin)")
    b = sub.add_parser("build", help="make a binary MD from text",
                       description="Write the binary machine description described by TEXT "
                                   "(the form `sun4v md dump` prints).")
    b.add_argument("text", metavar="TEXT", help="text form of the MD, - for standard input")
    b.add_argument("-o", "--output", metavar="FILE", required=True,
                   help="binary MD to write (replaced atomically)")


def run(a) -> int:
    if a.md_action == "dump":
        with open(a.file, "rb") as f:
            blob = f.read()
        try:
            text = to_text(decode(blob))
        except MDError as e:
            raise UsageError(f"{a.file}: {e}") from None
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    check_output_path(a.output, "-o")
    if a.text == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(a.text, "rb") as f:
            raw = f.read()
    name = "<stdin>" if a.text == "-" else a.text
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{name}: not UTF-8 text (byte {e.start})") from None
    try:
        blob = encode(from_text(text))
    except MDError as e:
        raise UsageError(f"{name}: {e}") from None
    write_atomic(a.output, blob, prefix=".sun4v-md-")
    return 0


register("md", "machine descriptions: dump a binary MD as text, build one from text",
         add_arguments, run)
