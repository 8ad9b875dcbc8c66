import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import api  # noqa: F401  (the API client fixture)
from tests.factories import registration_data
from tests.workflow.conftest import drive  # noqa: F401  (the same path through the procedure)
from xinfang.audit.services import Context
from xinfang.petitions.models import InvolvedPerson, Petition, Petitioner, ReceptionRecord
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.petitions.workflow_models import PersuasionRecord, PoliceReferral, Reply, Result


def like_oracle(user, term: str):
    """Ids of visible petitions where `term` is a case-insensitive LIKE substring of a field a
    reader may see: written out field by field, independently of the search code."""
    from django.db.models import Q

    def ids(model, *fields):
        cond = Q()
        for f in fields:
            cond |= Q(**{f"{f}__icontains": term})
        return model.objects.filter(cond).values("petition_id")

    own = Q()
    for f in (
        "number",
        "title",
        "content",
        "requests",
        "superior_reference",
        "outcome",
        "archive_number",
        "void_reason",
    ):
        own |= Q(**{f"{f}__icontains": term})
    cond = (
        own
        | Q(pk__in=ids(Petitioner, "name", "work_unit"))
        | Q(pk__in=ids(InvolvedPerson, "name"))
        | Q(pk__in=ids(ReceptionRecord, "notes", "explained"))
        | Q(pk__in=ids(Result, "findings", "result"))
        | Q(pk__in=ids(Reply, "content"))
        | Q(pk__in=ids(PersuasionRecord, "notes"))
        | Q(pk__in=ids(PoliceReferral, "reason"))
    )
    return set(Petition.objects.visible_to(user).filter(cond).values_list("pk", flat=True))


def newest_first(ids) -> list[str]:
    """The numbers of the petitions `ids` in the list's newest-first order (received_at, id
    descending): the order a searched list past the ranking limit is expected in."""
    rows = Petition.objects.filter(pk__in=ids).order_by("-received_at", "-id")
    return list(rows.values_list("number", flat=True))


@pytest.fixture
def search_ids():
    """Ids the list's search answers for `q` (any filters), as the page and the API use it."""
    from xinfang.petitions.selectors import parse_filters, petition_list

    def _search(user, q, **filters):
        return set(petition_list(user, parse_filters({"q": q, **filters})).values_list("pk", flat=True))

    return _search


# The bounded searches (test_bounded_order.py, test_api_bounded.py).
TERM = "排污"


@pytest.fixture
def six(demo_org):
    """Five petitions holding TERM (one only in its title) and one without it."""
    users, _units = demo_org
    ctx = Context(actor=users["clerk"])
    made = []
    for seed in range(1, 6):
        over = {"content": f"工厂{TERM}问题，第{seed}次反映。"}
        if seed == 1:  # the oldest registration: TERM in the title only
            over = {"title": f"{TERM}扰民", "content": "夜间施工。"}
        made.append(register_petition(ctx=ctx, data=check_registration(registration_data(seed, **over)))[0])
    register_petition(
        ctx=ctx, data=check_registration(registration_data(9, title="路灯", content="路灯坏了。"))
    )
    return users, made


def in_a_new_process(script: str, *, django: bool):
    """Runs `script` in a new Python process, as a web worker starts, with the project's source
    on the path: with this run's environment (settings, database) when it will set up Django,
    else with nothing but the path. Returns the finished process."""
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src} if django else {"PYTHONPATH": src}
    return subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
