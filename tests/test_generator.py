"""The synthetic petition generator (bench/generator.py) makes valid, varied,
deterministic registrations."""

from collections import Counter
from datetime import datetime, timedelta

import pytest
from bench.generator import OFFICE_TZ, PetitionGenerator, real_messages

from tests.factories import generator
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.validators import id_number_problem

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=OFFICE_TZ)
UNITS = {"HOUSING": 7, "LABOUR": 8, "POLICE": 9, "SUPERIOR": 10}


def test_same_seed_same_petitions():
    a = list(PetitionGenerator(5, now=NOW, units=UNITS).registrations(50))
    b = list(PetitionGenerator(5, now=NOW, units=UNITS).registrations(50))
    c = list(PetitionGenerator(6, now=NOW, units=UNITS).registrations(50))
    assert a == b
    assert a != c


def test_the_mix_looks_like_an_office():
    batch = list(PetitionGenerator(1, now=NOW, units=UNITS).registrations(3000))
    channels = Counter(r["channel"] for r in batch)
    assert channels.most_common(1)[0][0] == "letter"
    assert set(channels) == {"letter", "visit", "call", "online", "superior", "assistance"}
    assert all(r.get("reception", {}).get("notes") for r in batch if r["channel"] in ("visit", "call"))
    superior = [r for r in batch if r["channel"] == "superior"]
    assert all(r["superior"]["unit"] == UNITS["SUPERIOR"] and r["superior"]["due_date"] for r in superior)
    assert any(len(r["petitioners"]) >= 5 for r in batch)  # group petitions
    assert any(r.get("involved_units") for r in batch)
    assert any(r["anonymous"] and not r["petitioners"] for r in batch)
    ids = Counter(p["id_number"] for r in batch for p in r["petitioners"] if p["id_number"])
    assert any(n > 1 for n in ids.values())  # repeat petitioners
    assert len({r["category"] for r in batch}) >= 8
    assert len({r["title"] for r in batch}) > 500


def test_people_are_well_formed():
    batch = list(PetitionGenerator(2, now=NOW, units=UNITS).registrations(1000))
    people = [p for r in batch for p in r["petitioners"]]
    for p in people:
        if p["id_number"]:
            assert id_number_problem(p["id_number"], today=NOW.date()) is None, p["id_number"]
            # The sequence digit's parity follows the person's sex; the name's length is plausible.
        assert 2 <= len(p["name"]) <= 4
        assert not p["phone"] or (len(p["phone"]) == 11 and p["phone"].startswith("1"))
    for r in batch:
        received = datetime.fromisoformat(r["received_at"])
        assert NOW - timedelta(days=301) <= received < NOW


def test_without_units_no_superior_or_involved_units():
    batch = list(PetitionGenerator(3, now=NOW).registrations(500))
    assert not any(r["channel"] in ("superior", "assistance") or r.get("involved_units") for r in batch)


@pytest.mark.django_db
def test_every_generated_petition_passes_the_registration_checks(demo_org):
    for data in generator(4).registrations(400):
        check_registration(data)


def test_real_messages_are_optional(tmp_path):
    assert real_messages(tmp_path) == []
