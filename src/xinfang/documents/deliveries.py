"""Recording how and when an outgoing document reached its addressee (post, in person,
electronically), with an optional scan of the signed 送达回证. A delivery is an event in the
petition's chain; the scan is stored as an attachment of the petition (attachment rules)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Role
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Forbidden, InvalidInput
from xinfang.documents.models import Delivery, DeliveryMethod, GeneratedDocument
from xinfang.documents.services import add_attachment
from xinfang.petitions.models import Petition


def check_delivery(data) -> dict:
    if not isinstance(data, Mapping):
        raise InvalidInput({"non_field_errors": [_("Expected an object with method and delivered_at.")]})
    errors: dict[str, list] = {}
    method = data.get("method")
    if method not in DeliveryMethod.values:
        errors["method"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(DeliveryMethod.values)}]
    raw = data.get("delivered_at")
    delivered_at = None
    if raw in (None, ""):
        delivered_at = timezone.now()
    else:
        delivered_at = parse_datetime(raw) if isinstance(raw, str) else None
        if delivered_at is None:
            errors["delivered_at"] = [_("Give a date and time such as 2026-11-30T10:00+08:00.")]
        else:
            if timezone.is_naive(delivered_at):
                delivered_at = timezone.make_aware(delivered_at)
            if delivered_at > timezone.now() + timedelta(minutes=5):
                errors["delivered_at"] = [_("A delivery cannot lie in the future.")]
    texts = {}
    for key, limit in (("recipient", 100), ("note", 500)):
        value = data.get(key) or ""
        if not isinstance(value, str) or len(value) > limit:
            errors[key] = [_("At most %(max)d characters of text.") % {"max": limit}]
        else:
            texts[key] = value.strip()
    if errors:
        raise InvalidInput(errors)
    return {"method": method, "delivered_at": delivered_at, **texts}


def record_delivery(
    *, ctx: Context, petition: Petition, document: GeneratedDocument, data, scan=None
) -> Delivery:
    """The caller has established that the petition and the document are visible to ctx.actor.
    Petition clerks record deliveries (they send the documents out)."""
    if not ctx.actor.has_role(Role.CLERK):
        raise Forbidden(_("Petition clerks record deliveries."))
    values = check_delivery(data)
    if document.doc_type == "registration_form":
        raise InvalidInput(
            {"document": [_("The registration form is the office's own record; it is not delivered.")]}
        )
    attachment = add_attachment(ctx=ctx, petition=petition, upload=scan) if scan is not None else None
    with transaction.atomic():
        locked = Petition.objects.select_for_update(of=("self",)).get(pk=petition.pk)
        delivery = Delivery.objects.create(
            document=document, scan=attachment, recorded_by=ctx.actor, **values
        )
        append_event(
            locked,
            ctx,
            "document.delivered",
            {
                "document": document.pk,
                "reference": document.reference,
                "method": delivery.method,
                "delivered_at": delivery.delivered_at.isoformat(),
                "recipient": delivery.recipient,
                "scan": attachment.pk if attachment else None,
            },
        )
    return delivery
