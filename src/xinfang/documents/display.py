"""The timeline's sentences for official documents (audit.display's registry)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from xinfang.audit.display import register
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
