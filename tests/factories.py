"""Test data: synthetic registrations from the benchmark's generator, and a helper
that registers them through the service layer (check, then register)."""

from __future__ import annotations

from bench.generator import PetitionGenerator, demo_unit_ids

from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

__all__ = [
    "WANG_WU",
    "PetitionGenerator",
    "generator",
    "letter_from_wang_wu",
    "register",
    "registration_data",
]


def generator(seed: int = 1, **options) -> PetitionGenerator:
    """A generator bound to the demo organisation in the test database."""
    return PetitionGenerator(seed, units=demo_unit_ids(), **options)


def registration_data(seed: int = 1, **overrides) -> dict:
    """One valid registration dict (API shape), with `overrides` applied on top."""
    return {**generator(seed).registration(), **overrides}


def register(user, data: dict | None = None, *, seed: int = 1, **options):
    """Register `data` (or a generated petition) as `user`; returns the petition."""
    data = data if data is not None else generator(seed).registration()
    petition, _created = register_petition(ctx=Context(actor=user), data=check_registration(data), **options)
    return petition


# One petitioner whose every letter is a repeat of the earlier ones (same ID number and phone):
# the scenarios of Rule 4.3's references to other petitions.
WANG_WU = {"name": "王五", "id_number": "11010519491231002X", "phone": "13800138000"}


def letter_from_wang_wu(user, **extra):
    """A plain letter by 王五 registered by `user`, `extra` on top of its fields."""
    from django.utils import timezone

    data = {
        "channel": "letter",
        "received_at": timezone.now().isoformat(),
        "title": "事项",
        "content": "内容",
        "category": "labour_social_security",
        "petitioners": [WANG_WU],
    }
    return register(user, data | extra)
