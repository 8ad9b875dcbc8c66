"""The documents panel of the petition page, registered in petitions.hooks.petition_panels:
the documents the reader may read, with their 文号, versions, files and deliveries, and a
form for each type the reader may make at this step (and only for them)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import get_language

from xinfang.accounts.models import Role
from xinfang.documents.generation import may_generate, visible_documents
from xinfang.documents.models import DeliveryMethod, PdfStatus
from xinfang.documents.types import REGISTRY
from xinfang.petitions.actors import Facts
from xinfang.petitions.selectors import has_rows
from xinfang.petitions.workflow_models import AssignmentStatus


def _offers(user, petition, facts):
    """The types the reader may make now, each with the units it may go to."""
    involved = None
    offers = []
    for doc_type in REGISTRY.values():
        if not may_generate(user, petition, doc_type, facts):
            continue
        units = []
        if doc_type.per_unit:
            if involved is None:
                involved = set(petition.involved_units.values_list("unit_id", flat=True))
            units = [
                a.unit
                for a in facts.live_assignments
                if a.kind in doc_type.assignment_kinds
                and a.status != AssignmentStatus.WITHDRAWN
                and not involved & set(a.unit.ancestor_ids)
            ]
            if not units:
                continue
        offers.append(
            {
                "type": doc_type,
                "label": doc_type.label(get_language() or "zh-hans"),
                "units": units,
                "extra": [
                    (name, required, str(label)) for name, (required, _m, label) in doc_type.extra.items()
                ],
            }
        )
    return offers


def panel_context(request, petition, *, errors=None, notice=None) -> dict:
    user = request.user
    facts = Facts(user, petition)
    documents = []
    if has_rows(petition, "official_documents"):  # the petition page's statement found some
        documents = list(visible_documents(user, petition).prefetch_related("deliveries"))
    language = get_language() or "zh-hans"
    for document in documents:
        doc_type = REGISTRY.get(document.doc_type)
        document.type_label = doc_type.label(language) if doc_type else document.doc_type
    return {
        "petition": petition,
        "documents": documents,
        "offers": _offers(user, petition, facts),
        "pending": any(d.pdf_status == PdfStatus.PENDING for d in documents),
        "may_deliver": user.has_role(Role.CLERK),
        "delivery_methods": DeliveryMethod.choices,
        "sendable": [d for d in documents if d.doc_type != "registration_form"],
        "errors": errors or [],
        "notice": notice,
    }


def render_panel(request, petition) -> str:
    context = panel_context(request, petition)
    if not context["documents"] and not context["offers"]:
        return ""
    return render_to_string("documents/_panel.html", context, request=request)
