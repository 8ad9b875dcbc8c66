"""The output serializers build their fields from the model once per class: each instance
must still get fields of its own, bound to it, and the same fields DRF would build."""

from __future__ import annotations

from rest_framework import serializers

from xinfang.petitions.api.serializers import PetitionDetail, PetitionSummary


def _described(fields) -> list[tuple[str, str, str]]:
    return [(name, type(field).__name__, repr(field)) for name, field in fields.items()]


def test_each_instance_has_its_own_bound_fields():
    for cls in (PetitionDetail, PetitionSummary):
        first, second = cls(None), cls(None)
        for name, field in first.fields.items():
            other = second.fields[name]
            assert field is not other
            assert field.parent is first and other.parent is second
            assert field.field_name == other.field_name == name


def test_the_fields_are_those_drf_builds_from_the_model():
    for cls in (PetitionDetail, PetitionSummary):
        cls(None).fields  # noqa: B018 (the template exists from here on)
        built_by_drf = serializers.ModelSerializer.get_fields(cls(None))
        assert _described(cls(None).get_fields()) == _described(built_by_drf)
