"""What a one-line text (a name, title, address, unit) may hold."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

# Characters a one-line field never needs and an attacker uses: control characters
# (line breaks forge log lines and labels, ESC drives terminals) and the bidirectional
# formatting marks that make "abc\u202egpj.exe" display as "abcexe.jpg".
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# Every character line_problem refuses, for one search instead of a look at each character
# (a ledger import checks hundreds of thousands of names and titles): the control characters
# (Unicode's category Cc is exactly U+0000–U+001F and U+007F–U+009F, a set Unicode never
# changes) and the marks above.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(_BIDI_CONTROLS)) + "]")


def line_problem(value: str):
    """Why `value` cannot be a one-line field (a name, title, address, unit), or None."""
    found = _REFUSED.search(value)
    if found is None:
        return None
    ch = found.group()
    if ch in _BIDI_CONTROLS:
        return _("Must not contain direction-changing characters (U+%(code)04X).") % {"code": ord(ch)}
    return _("Must be one line without control characters (U+%(code)04X).") % {"code": ord(ch)}
