"""Masking of petitioners' personal data for readers who may see the petition but
not who wrote it in full (DESIGN.md §5). Shared by the pages and the API so that
both show exactly the same thing."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    return f"{value[:4]}{'*' * 10}{value[-4:]}" if len(value) >= 8 else ("*" * len(value))


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else ("*" * len(value))


def mask_address(value: str) -> str:
    return f"{value[:6]}…" if value else ""


def petitioner_rows(user, petition, *, reveal: bool) -> list[dict]:
    """The petitioners as `user` may read them. Unmasked only when `reveal` is asked
    for and the user is entitled (permissions.can_see_personal_data); every unmasked
    answer is written to the access log (DESIGN.md §5)."""
    from xinfang.audit.access import record
    from xinfang.petitions.permissions import can_see_personal_data

    full = reveal and can_see_personal_data(user, petition)
    people = list(petition.petitioners.all())
    if full and any(p.id_number or p.phone or p.address for p in people):
        record("petition.personal_data", object_type="petition", object_ref=petition.number, user=user)
    return [
        {
            "name": p.name,
            "id_number": p.id_number if full else mask_id_number(p.id_number),
            "phone": p.phone if full else mask_phone(p.phone),
            "address": p.address if full else mask_address(p.address),
            "work_unit": p.work_unit,
            "is_representative": p.is_representative,
        }
        for p in people
    ]
