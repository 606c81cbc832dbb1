"""The TUI's command line without the app: ldm syntax with or without `ldm`, the TUI's
own words, completion of subcommands (the ldm command's registry and aliases), domain
names and property keys, and the history."""
import pytest

from ldm.commands import COMMANDS
from ldm.policy import KEYS as POLICY_KEYS
from ldm.tui.cmdline import CommandLineError, History, Parsed, apply_completion, \
    complete, parse

DOMS = ["primary", "ldg1", "ldg2"]


def test_parse_ldm_syntax_with_and_without_the_ldm_word():
    assert parse("add-vcpu 4 ldg1") == Parsed("ldm", ("add-vcpu", "4", "ldg1"))
    assert parse("ldm add-vcpu 4 ldg1") == Parsed("ldm", ("add-vcpu", "4", "ldg1"))
    assert parse("  ldm   ls  ") == Parsed("ldm", ("ls",))
    assert parse("set-variable 'boot-file=-v kernel' ldg1").argv == \
        ("set-variable", "boot-file=-v kernel", "ldg1")


def test_parse_tui_words_and_empty_lines():
    assert parse("q") == Parsed("tui", ("quit",))
    assert parse("speed max") == Parsed("tui", ("speed", "max"))
    assert parse("run") == Parsed("tui", ("resume",))
    assert parse("") == Parsed("empty")
    assert parse("ldm") == Parsed("empty")
    # `ldm help` is ldm's help, not the TUI's help screen
    assert parse("ldm help") == Parsed("ldm", ("help",))


def test_parse_unbalanced_quote_is_one_line_error():
    with pytest.raises(CommandLineError, match="cannot read the command line"):
        parse("set-variable 'boot-file=x ldg1")


def test_complete_first_word_is_a_subcommand_or_alias():
    assert complete("add-vcp", DOMS) == ["add-vcpu"]
    assert complete("add-v", DOMS) == ["add-vcc", "add-vcpu", "add-vdisk", "add-vds", "add-vdsdev"]
    assert complete("ldm destr", DOMS) == ["destroy"]
    assert "list-bindings" in complete("list-b", DOMS)
    assert complete("sto", DOMS) == ["stop", "stop-domain"]
    # every registered subcommand is offered on an empty line
    offered = complete("", DOMS)
    assert set(COMMANDS) <= set(offered) and "quit" in offered
    # after `ldm` only ldm's words
    assert "quit" not in complete("ldm ", DOMS)


def test_complete_domain_names_and_keys():
    assert complete("add-vcpu 4 l", DOMS) == ["ldg1", "ldg2"]
    assert complete("add-vcpu 4 ", DOMS) == ["ldg1", "ldg2", "primary"]
    assert complete("ldm stop ldg1 ", DOMS) == ["ldg2", "primary"]   # not twice
    assert complete("add-policy util-u", DOMS) == ["util-upper="]
    assert set(complete("set-policy ", DOMS)) >= {k + "=" for k in POLICY_KEYS}
    assert complete("list-devices ", DOMS) == []
    assert complete("add-vcpu 4 ldg1 'x", DOMS) == []             # unbalanced: nothing
    assert complete("frobnicate ", DOMS) == []


def test_apply_completion_extends_to_common_prefix():
    assert apply_completion("add-vcpu 4 l", DOMS) == ("add-vcpu 4 ldg", ["ldg1", "ldg2"])
    assert apply_completion("add-vcpu 4 ldg1", DOMS)[0] == "add-vcpu 4 ldg1 "
    assert apply_completion("add-vcp", DOMS)[0] == "add-vcpu "
    assert apply_completion("add-vd", DOMS) == ("add-vd", ["add-vdisk", "add-vds", "add-vdsdev"])
    assert apply_completion("add-policy util-l", DOMS)[0] == "add-policy util-lower="
    assert apply_completion("zzz", DOMS) == ("zzz", [])


def test_history_walks_like_a_shell():
    h = History(size=3)
    for line in ("list", "add-vcpu 4 ldg1", "add-vcpu 4 ldg1", "ls -l", "list-devices"):
        h.add(line)
    assert h.lines == ["add-vcpu 4 ldg1", "ls -l", "list-devices"]   # size 3, no repeat
    assert h.prev() == "list-devices"
    assert h.prev() == "ls -l"
    assert h.prev() == "add-vcpu 4 ldg1"
    assert h.prev() is None
    assert h.next() == "ls -l"
    assert h.next() == "list-devices"
    assert h.next() == ""
    h.add("   ")
    assert len(h.lines) == 3
