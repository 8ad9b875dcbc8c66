"""What a one-line text (a name, title, address, unit) may hold."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext_lazy as _

# Characters a one-line field never needs and an attacker uses: control characters
# (line breaks forge log lines and labels, ESC drives terminals) and the bidirectional
# formatting marks that make "abc\u202egpj.exe" display as "abcexe.jpg".
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def line_problem(value: str):
    """Why `value` cannot be a one-line field (a name, title, address, unit), or None."""
    for ch in value:
        if ch in _BIDI_CONTROLS:
            return _("Must not contain direction-changing characters (U+%(code)04X).") % {"code": ord(ch)}
        if unicodedata.category(ch) == "Cc":
            return _("Must be one line without control characters (U+%(code)04X).") % {"code": ord(ch)}
    return None
