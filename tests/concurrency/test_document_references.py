"""文号 under concurrency: threads generating documents of one type at once get one gapless
series, and a failed generation gives its number back. Committed for real so that every
generation runs in its own transaction (PostgreSQL row locks; SQLite's write lock)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.concurrency.test_numbering import run_threads
from xinfang.audit.services import Context
from xinfang.documents.generation import generate
from xinfang.documents.models import GeneratedDocument, ReferenceSequence
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 6
EACH = 3


def _petitions(clerk, count):
    from tests.conftest import letter

    return [
        register_petition(ctx=Context(actor=clerk), data=check_registration(letter()))[0]
        for _ in range(count)
    ]


def test_threads_get_one_gapless_series(demo_org):
    users, _units = demo_org
    from xinfang.accounts.models import User

    petitions = _petitions(users["clerk"], THREADS)

    def work(i):
        clerk = User.objects.get(username="clerk" if i % 2 else "clerk2")
        return [
            generate(
                ctx=Context(actor=clerk), petition=petitions[i], data={"type": "acceptance_notice"}
            ).serial
            for _ in range(EACH)
        ]

    run_threads(THREADS, work)
    year = timezone.localdate().year
    rows = list(GeneratedDocument.objects.order_by("serial").values_list("serial", "reference"))
    total = THREADS * EACH
    assert [s for s, _r in rows] == list(range(1, total + 1))
    assert [r for _s, r in rows] == [f"达市政协信受〔{year}〕{n}号" for n in range(1, total + 1)]
    assert ReferenceSequence.objects.get(doc_type="acceptance_notice", year=year).last == total
    # Each petition's versions count 1..EACH whatever the interleaving.
    for petition in petitions:
        versions = (
            GeneratedDocument.objects.filter(petition=petition)
            .order_by("version")
            .values_list("version", flat=True)
        )
        assert list(versions) == list(range(1, EACH + 1))


def test_a_failed_generation_gives_its_number_back(demo_org, monkeypatch):
    users, _units = demo_org
    (petition,) = _petitions(users["clerk"], 1)
    ctx = Context(actor=users["clerk"])
    generate(ctx=ctx, petition=petition, data={"type": "registration_form"})

    from xinfang.documents import generation

    def broken(master, values):
        raise generation.RenderError("boom")

    monkeypatch.setattr(generation, "render_docx", broken)
    from xinfang.core.errors import Conflict

    with pytest.raises(Conflict):
        generate(ctx=ctx, petition=petition, data={"type": "registration_form"})
    monkeypatch.undo()
    again = generate(ctx=ctx, petition=petition, data={"type": "registration_form"})
    assert again.serial == 2 and again.version == 2
