"""The C program corpus (tests/progs/*.c, built at -O0 and -O2) under `sun4v run` and
under qemu-sparc64: stdout, stderr and exit status must be identical, except for the
self-checking programs of QEMU_WRONG (qemu 7.2 gets them wrong: sun4v must pass their
checks against the manual, qemu must fail them).  Also: bad input to `sun4v run` gives one
line on stderr, exit status 2 and no traceback."""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qemu_oracle import (  # noqa: E402
    CROSS_CC, OPT_LEVELS, compare_runs, corpus_binary, corpus_names, ensure_corpus,
    require_tools, run_qemu, run_sun4v,
)

# Programs run with particular arguments / stdin (every program also runs bare).
EXTRA_CASES = {
    "args": [
        ("args-stdin", ["hello", "two words", "", "--stdin", "\u00fcn\u00efcode", "-x=1"],
         b"first line\nsecond line\n\x00\xff binary \t tail without newline"),
        ("args-many", [str(i) * (i % 7 + 1) for i in range(40)], b""),
    ],
}


# Programs that check themselves against the manuals and on which qemu 7.2 is wrong: sun4v
# must pass the program's own checks (exit 0, no "differ" count but 0); qemu must fail
# them, which shows the checks are live. program -> (qemu's deviation, summary line prefix)
QEMU_WRONG = {
    "vis_mul8x16": ("qemu 7.2 computes fmul8ulx16 with fmul8sux16's rounded >> 8",
                    b"fmul8sux16: "),
}


def _cases():
    for name in corpus_names():
        yield pytest.param(name, (), b"", id=name)
        for case_id, args, stdin in EXTRA_CASES.get(name, ()):
            yield pytest.param(name, tuple(args), stdin, id=case_id)


@pytest.fixture(scope="session")
def corpus():
    ensure_corpus()


@pytest.mark.parametrize("opt", OPT_LEVELS)
@pytest.mark.parametrize("name,args,stdin", list(_cases()))
def test_program_matches_qemu(corpus, name, args, stdin, opt):
    binary = corpus_binary(name, opt)
    expected = run_qemu(binary, args, stdin)
    got = run_sun4v(binary, args, stdin)
    if name in QEMU_WRONG:
        why, prefix = QEMU_WRONG[name]
        out, err, rc = got
        summary = [l for l in out.splitlines() if l.startswith(prefix)]
        assert rc == 0 and err == b"" and len(summary) == 1, (rc, out, err)
        counts = [int(w.split(b"/")[0]) for w in summary[0].split() if b"/" in w]
        assert counts and not any(counts), f"{binary.name} under sun4v: {summary[0]!r}"
        assert expected[2] != 0, f"{binary.name}: qemu now passes its checks ({why}?)"
        return
    compare_runs(f"{binary.name} {' '.join(args)}".strip(), expected, got)


@pytest.mark.parametrize("opts", [("--chip", "t1"), ("--chip", "t2"), ("--stats", "STATS")],
                         ids=["chip-t1", "chip-t2", "stats-file"])
def test_options_do_not_change_output(corpus, tmp_path, opts):
    """--chip and --stats FILE leave the program's own output alone; the stats file is written."""
    stats = tmp_path / "stats.txt"
    opts = tuple(str(stats) if o == "STATS" else o for o in opts)
    binary = corpus_binary("demo", "O2")
    compare_runs(f"{binary.name} with {' '.join(opts)}", run_qemu(binary),
                 run_sun4v(binary, extra_opts=opts))
    if "--stats" in opts:
        assert stats.exists() and stats.stat().st_size > 0, "--stats FILE wrote nothing"


def test_corpus_runs_under_qemu(corpus):
    """Sanity check of the corpus itself (needs no simulator): every program runs under
    qemu quickly, prints plenty, and -O0 and -O2 builds agree."""
    for name in corpus_names():
        results = []
        for opt in OPT_LEVELS:
            binary = corpus_binary(name, opt)
            out, err, rc = run_qemu(binary)
            out = out.replace(str(binary).encode(), b"PROG")  # args.c prints argv[0]
            assert len(out) > 20, f"{name}.{opt} printed almost nothing: {out!r} {err!r}"
            assert b"Traceback" not in err
            results.append((out, err, rc))
        assert results[0] == results[1], f"{name}: -O0 and -O2 builds disagree under qemu"


# --------------------------------------------------------------------------- bad input
def _elf_header_32bit_sparc() -> bytes:
    """A minimal big-endian ELFCLASS32 EM_SPARC executable with one PT_LOAD."""
    ehsize, phentsize = 52, 32
    code = struct.pack(">III", 0x82102001, 0x90102000, 0x91d02010)  # mov 1,%g1; mov 0,%o0; ta 0x10
    entry = 0x10000 + ehsize + phentsize
    ident = b"\x7fELF" + bytes([1, 2, 1, 0]) + bytes(8)
    eh = ident + struct.pack(">HHIIIIIHHHHHH", 2, 2, 1, entry, ehsize, 0, 0, ehsize, phentsize,
                             1, 40, 0, 0)
    size = ehsize + phentsize + len(code)
    ph = struct.pack(">IIIIIIII", 1, 0, 0x10000, 0x10000, size, size, 5, 0x10000)
    return eh + ph + code


def _has_pt_interp(path: Path) -> bool:
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    e = ">" if data[5] == 2 else "<"
    phoff, = struct.unpack_from(e + "Q", data, 32)
    phentsize, phnum = struct.unpack_from(e + "HH", data, 54)
    return any(struct.unpack_from(e + "I", data, phoff + i * phentsize)[0] == 3
               for i in range(phnum))


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    """Hand-made bad inputs; the 32-bit and the dynamic ELF are built with the cross
    compiler (`make setup` installs it, with the C library a dynamic link needs; a
    32-bit ELF header is written by hand when the compiler has no -m32)."""
    require_tools()
    d = tmp_path_factory.mktemp("badinput")
    files = {"missing": d / "no_such_program"}
    text = d / "notes.txt"
    text.write_text("this is a text file, not an ELF executable\n")
    text.chmod(0o755)
    files["text"] = text
    empty = d / "empty"
    empty.write_bytes(b"")
    files["empty"] = empty

    elf32 = d / "prog32"
    src = d / "start32.S"
    src.write_text("\t.text\n\t.globl _start\n_start:\n\tmov 1, %g1\n\tmov 0, %o0\n\tta 0x10\n")
    r = subprocess.run([CROSS_CC, "-m32", "-nostdlib", "-static", "-o", str(elf32), str(src)],
                       capture_output=True)
    if r.returncode or elf32.read_bytes()[4:5] != b"\x01":     # no 32-bit multilib: by hand
        elf32.unlink(missing_ok=True)
        elf32.write_bytes(_elf_header_32bit_sparc())
        elf32.chmod(0o755)
    files["elf32"] = elf32

    src = d / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void){puts("dynamic");return 0;}\n')
    dyn = d / "hello_dynamic"
    r = subprocess.run([CROSS_CC, "-O2", "-o", str(dyn), str(src)], capture_output=True)
    assert r.returncode == 0 and _has_pt_interp(dyn), \
        f"the cross compiler did not build a dynamic ELF: {r.stderr.decode(errors='replace')}"
    files["dynamic"] = dyn
    return files


# case -> words of which at least one must appear (lower case) in the error line
BAD_INPUT_WORDS = {
    "missing": ("no such file", "not found", "does not exist", "cannot open", "can't open",
                "no_such_program"),
    "text": ("elf",),
    "empty": ("elf", "empty", "short", "truncated"),
    "elf32": ("32", "elfclass", "64-bit", "sparc64", "class"),
    "dynamic": ("dynamic", "interp", "static", "ld-linux", "shared"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT_WORDS))
def test_bad_input(bad_inputs, case):
    path = bad_inputs[case]
    out, err, rc = run_sun4v(path, ["arg1"], timeout=60)
    text = err.decode("utf-8", errors="replace")
    assert "Traceback" not in text, f"traceback for {case} input:\n{text}"
    assert rc == 2, f"exit status {rc} (want 2) for {case} input; stderr:\n{text}"
    lines = text.splitlines()
    assert len(lines) == 1, f"want exactly one line on stderr for {case} input, got:\n{text}"
    low = lines[0].lower()
    assert any(w in low for w in BAD_INPUT_WORDS[case]), (
        f"error line for {case} input does not name the problem: {lines[0]!r}")
    assert out == b"", f"unexpected stdout for {case} input: {out!r}"


def test_bad_input_references_under_qemu(bad_inputs):
    """The hand-made inputs really are what they claim (qemu refuses all of them)."""
    for case in ("text", "elf32", "dynamic"):
        out, err, rc = run_qemu(bad_inputs[case])
        assert rc != 0 and out == b"", (case, rc, out, err)
