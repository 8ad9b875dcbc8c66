"""The timeline's sentences for official documents (audit.display's registry)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from xinfang.audit.display import register
from xinfang.audit.labels import ACCESS_ACTIONS as ACCESS_LABELS
from xinfang.audit.labels import EVENT_ACTIONS as EVENT_LABELS
from xinfang.audit.models import Event
from xinfang.documents.models import DeliveryMethod
from xinfang.documents.types import get_type


def _type_name(code) -> str:
    doc_type = get_type(code)
    return doc_type.name if doc_type else str(code)


@register("document.generated")
def _generated(event: Event, actor: str) -> str:
    return _("%(actor)s generated %(type)s %(reference)s (version %(version)s).") % {
        "actor": actor,
        "type": _type_name(event.data.get("type")),
        "reference": event.data.get("reference", ""),
        "version": event.data.get("version", ""),
    }


@register("document.delivered")
def _delivered(event: Event, actor: str) -> str:
    method = event.data.get("method")
    label = DeliveryMethod(method).label if method in DeliveryMethod.values else method
    return _("%(actor)s recorded that %(reference)s was delivered %(method)s.") % {
        "actor": actor,
        "reference": event.data.get("reference", ""),
        "method": label,
    }


# What the auditor's screens call the documents' entries (audit/labels.py); the codes stay in the logs.
ACCESS_LABELS.update(
    {
        "document.download": (
            _l("Downloaded an official document"),
            _l("Tried to download a document it may not see"),
        ),
        "document.master_uploaded": (_l("Uploaded a document master"), _l("Document master upload refused")),
        "document.master_reverted": (
            _l("Restored a default document master"),
            _l("Document master restore refused"),
        ),
    }
)
EVENT_LABELS.update(
    {
        "document.generated": _l("Official document generated"),
        "document.delivered": _l("Delivery of a document recorded"),
    }
)
