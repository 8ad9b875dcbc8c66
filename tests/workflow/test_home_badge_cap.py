"""Issue 9: the home page's numbers are badges counted up to HOME_COUNT_CAP, shown as "99+"
beyond (with a tooltip saying so in the reader's language); the queue page behind a badge still
counts and lists every petition. The expected numbers come from oracles outside the code under
test: a plain SQL count with Rule 4.3 written out for an office reader, and the row-by-row
decision of test_home_count_oracle for a handling officer; the badge rule is the product's
("the number up to the cap, the cap and a plus beyond")."""

from __future__ import annotations

import random
import re

import pytest
from django.db import connection
from django.test import Client

from tests.workflow.test_home_count_oracle import _handler_oracle, _scatter_clocks
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.views import pages

pytestmark = pytest.mark.django_db

TOOLTIP = {
    "zh-hans": "超过 {cap}，点开可查看全部",
    "en": "More than {cap}: open it to see them all",
}


def _badge(n: int, cap: int):
    return n if n <= cap else f"{cap}+"


def _plain_count(user, condition: str, params: list) -> int:
    """Petitions meeting `condition` that an office reader sees: none naming the reader, their
    unit or a unit above it (Rule 4.3), in plain SQL."""
    units = list(user.unit.ancestor_ids) if user.unit_id else []
    sql = (
        f"SELECT COUNT(*) FROM petitions_petition p WHERE {condition}"  # noqa: S608 - the test's own text
        " AND NOT EXISTS (SELECT 1 FROM petitions_involvedperson i WHERE i.petition_id = p.id AND i.user_id = %s)"
    )
    params = [*params, user.pk]
    if units:
        marks = ", ".join(["%s"] * len(units))
        sql += (
            " AND NOT EXISTS (SELECT 1 FROM petitions_involvedunit u"
            f" WHERE u.petition_id = p.id AND u.unit_id IN ({marks}))"
        )
        params += units
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _clerk_oracle(clerk) -> dict:
    open_marks = ", ".join(["%s"] * len(OPEN_STATUSES))
    return {
        "to_propose": _plain_count(clerk, "p.status = %s", ["registered"]),
        "work.registered": _plain_count(clerk, "p.status = %s", ["registered"]),
        "work.open": _plain_count(clerk, f"p.status IN ({open_marks})", list(OPEN_STATUSES)),
        "work.open_as_first_responder": _plain_count(
            clerk, f"p.first_responder_id = %s AND p.status IN ({open_marks})", [clerk.pk, *OPEN_STATUSES]
        ),
    }


def _shown(response) -> dict:
    numbers = {q["name"]: q["count"] for q in response.context["queues"]}
    numbers.update({f"work.{k}": v for k, v in response.context["home_counts"]["work"].items()})
    return numbers


def _card(html: str, queue: str) -> tuple[str | None, str]:
    """The tooltip (None without one) and the number of a queue's card."""
    match = re.search(
        rf'data-queue="{queue}">\s*<span class="card__count"(?: title="([^"]*)")?>([^<]+)</span>', html
    )
    assert match, queue
    return match.group(1), match.group(2)


def test_badges_up_to_the_cap_and_beyond_it_while_the_queue_counts_all(drive, demo_org):
    users, _units = demo_org
    clerk = users["clerk"]
    cap = pages.HOME_COUNT_CAP
    for _ in range(cap):
        drive("registered")
    client = Client()
    client.force_login(clerk)

    expected = _clerk_oracle(clerk)
    assert expected["to_propose"] == cap  # at the cap: the number itself
    response = client.get("/")
    shown = _shown(response)
    assert {k: shown[k] for k in expected} == {k: _badge(n, cap) for k, n in expected.items()}
    assert _card(response.content.decode(), "to_propose") == (None, str(cap))

    drive("registered")  # one past the cap
    expected = _clerk_oracle(clerk)
    assert expected["to_propose"] == cap + 1
    for language, tooltip in TOOLTIP.items():
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(clerk)
        response = client.get("/")
        shown = _shown(response)
        assert {k: shown[k] for k in expected} == {k: _badge(n, cap) for k, n in expected.items()}
        assert shown["to_propose"] == f"{cap}+"
        html = response.content.decode()
        assert _card(html, "to_propose") == (tooltip.format(cap=cap), f"{cap}+")
        # The "my work" cards past the cap carry the same tooltip.
        assert html.count(f'title="{tooltip.format(cap=cap)}">{cap}+</span>') == 1 + sum(
            isinstance(shown[k], str) for k in expected if k.startswith("work.")
        )

    # The queue behind the badge counts and lists every petition, not the cap.
    queue = client.get("/queues/to_propose/")
    assert queue.context["page"].paginator.count == expected["to_propose"] == cap + 1
    assert queue.context["page"].paginator.num_pages == -(-(cap + 1) // 25)


@pytest.mark.parametrize("seed", [3, 2028])
def test_a_handling_officers_badges_past_a_small_cap_equal_the_oracle(drive, demo_org, monkeypatch, seed):
    """The same rule for a handling officer's queues (counted along their unit's assignments) and
    the deadlines' two cards, with the cap lowered so that a few petitions cross it."""
    from django.utils import timezone

    from xinfang.petitions.models import InvolvedUnit

    users, units = demo_org
    rng = random.Random(seed)
    petitions = [drive(rng.choice(["assigned", "assigned", "result_submitted"])) for _ in range(7)]
    InvolvedUnit.objects.create(petition=rng.choice(petitions), unit=units["HOUSING"])
    _scatter_clocks(rng)
    crossed = set()
    for cap in (1, 2, 4):
        monkeypatch.setattr(pages, "HOME_COUNT_CAP", cap)
        client = Client()
        client.force_login(users["housing"])
        response = client.get("/")
        shown = {q["name"]: q["count"] for q in response.context["queues"]}
        shown.update({f"deadlines.{k}": n for k, n in response.context["home_counts"]["deadlines"].items()})
        expected = _handler_oracle(users["housing"], timezone.now(), timezone.localdate())
        assert {k: shown[k] for k in expected} == {k: _badge(n, cap) for k, n in expected.items()}, cap
        crossed |= {k for k, n in expected.items() if n > cap}
        # The queue page still counts all of them.
        queue = client.get("/queues/assigned_to_my_unit/")
        assert queue.context["page"].paginator.count == expected["assigned_to_my_unit"]
    assert "assigned_to_my_unit" in crossed  # the mix crosses the cap at least once
