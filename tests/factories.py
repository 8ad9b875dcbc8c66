"""Test data: synthetic registrations from the benchmark's generator, and a helper
that registers them through the service layer (check, then register)."""

from __future__ import annotations

from bench.generator import PetitionGenerator, demo_unit_ids

from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

__all__ = ["PetitionGenerator", "generator", "register", "registration_data"]


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
