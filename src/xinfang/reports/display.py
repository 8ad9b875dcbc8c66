"""The timeline's sentence for an imported petition (audit/display.py registry)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from xinfang.audit.display import register
from xinfang.audit.labels import ACCESS_ACTIONS as ACCESS_LABELS
from xinfang.audit.labels import EVENT_ACTIONS as EVENT_LABELS


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


# What the auditor's screens call the reports' entries (audit/labels.py); the codes stay in the logs.
ACCESS_LABELS.update(
    {
        "petition.export": (_l("Exported a ledger of petitions"), _l("Ledger export refused")),
        "ledger.import": (_l("Imported a ledger"), _l("Ledger import refused")),
    }
)
EVENT_LABELS.update({"petition.imported": _l("Imported from a ledger")})
