"""core/text.line_problem against the rule written out character by character: Unicode's
control characters (category Cc, looked up in unicodedata) and the bidirectional marks."""

import sys
import unicodedata

from xinfang.core.text import line_problem

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def refused(ch: str) -> bool:
    return ch in BIDI or unicodedata.category(ch) == "Cc"


def test_every_character_is_refused_exactly_when_the_rule_says():
    wrong = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if (line_problem(chr(code)) is not None) != refused(chr(code))
    ]
    assert wrong == []


def test_the_first_refused_character_is_the_one_named():
    assert "U+202E" in str(line_problem("abc\u202egpj\x07.exe"))
    assert "U+0007" in str(line_problem("abc\x07gpj\u202e.exe"))
    assert "U+000A" in str(line_problem("名字\n第二行"))
    assert line_problem("张三 (李四)·王五") is None
    assert line_problem("") is None
