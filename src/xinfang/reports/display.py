"""The timeline's sentence for an imported petition (audit/display.py registry)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from xinfang.audit.display import register


@register("petition.imported")
def _imported(event, actor: str) -> str:
    data = event.data
    if data.get("closed"):
        text = _(
            "%(actor)s imported this closed matter from a ledger (original number %(number)s, row %(row)s, "
            "file SHA-256 %(sha)s…); its clocks were not started."
        )
    else:
        text = _(
            "%(actor)s imported this matter from a ledger (original number %(number)s, row %(row)s, "
            "file SHA-256 %(sha)s…)."
        )
    return text % {
        "actor": actor,
        "number": data.get("original_number", ""),
        "row": data.get("row", ""),
        "sha": str(data.get("sha256", ""))[:12],
    }
