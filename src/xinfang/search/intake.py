"""What the registration form and `POST /api/v1/suggestions` ask at intake: similar visible
petitions and suggested category and unit, for a (partial) registration."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from xinfang.core.errors import Forbidden, InvalidInput
from xinfang.search.similarity import find_similar
from xinfang.search.suggest import suggest

LIMITS = {"title": 200, "content": 20000, "requests": 5000}
MAX_PETITIONERS = 50


def read_intake(data: Mapping) -> dict:
    """Types and lengths of the partial registration; InvalidInput names each bad field."""
    if not isinstance(data, Mapping):
        raise InvalidInput({"": [_("Send a JSON object.")]})
    errors: dict[str, list] = {}
    clean: dict = {}
    for name, limit in LIMITS.items():
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = [_("Must be text.")]
            continue
        if len(value) > limit:
            errors[name] = [_("At most %(max)d characters.") % {"max": limit}]
            continue
        clean[name] = value.replace("\x00", "").strip()
    petitioners = data.get("petitioners") or []
    if not isinstance(petitioners, list) or not all(isinstance(p, Mapping) for p in petitioners):
        errors["petitioners"] = [_("Must be a list of persons.")]
    elif len(petitioners) > MAX_PETITIONERS:
        errors["petitioners"] = [_("At most %(max)d persons.") % {"max": MAX_PETITIONERS}]
    else:
        clean["petitioners"] = [
            {k: str(p.get(k) or "")[:200] for k in ("name", "id_number", "phone", "address")}
            for p in petitioners
        ]
    if errors:
        raise InvalidInput(errors)
    return clean


def intake_suggestions(user, data: Mapping) -> dict:
    """Similar petitions (only visible ones) and suggestions for a registration being typed."""
    from xinfang.petitions.services.registration import may_register

    if not may_register(user):
        raise Forbidden(_("Only petition office staff and leaders register petitions."))
    clean = read_intake(data)
    similar = find_similar(
        user,
        title=clean.get("title", ""),
        content=clean.get("content", ""),
        requests=clean.get("requests", ""),
        petitioners=clean.get("petitioners", []),
    )
    answer = suggest(
        title=clean.get("title", ""), content=clean.get("content", ""), requests=clean.get("requests", "")
    )
    answer["similar"] = [
        {
            "number": s.petition.number,
            "title": s.petition.title,
            "status": s.petition.status,
            "score": s.score,
            "same_petitioner": s.same_petitioner,
            "repeat": s.repeat,
        }
        for s in similar
    ]
    return {k: answer[k] for k in ("categories", "units", "similar", "model")}
