"""Pinned query counts for the petition list and detail API (no N+1).

Each count is written out query by query. The same count must hold however many
petitions, petitioners, parties, repeats and attachments there are: the tests
measure a small and a large case and pin both to the same number.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import generator, register
from xinfang.accounts.models import ApiToken
from xinfang.documents.models import Attachment

pytestmark = pytest.mark.django_db

# Every API request starts with:
#   1. the bearer token, with its user, the user's unit (select_related) and the user's roles
#      (a joined column, accounts/role_codes.py; visible_to and the serializers reuse them)
# The token's last_used_at is written at most once a minute; the tests touch it
# beforehand so that this optional UPDATE is not part of the measured requests.
AUTH_QUERIES = 1

LIST_QUERIES = AUTH_QUERIES + 3
#   3. COUNT(*) of the visible, filtered petitions (pagination); with `q`, the ids of
#      the matches instead, up to 1,001 (issue 10: they decide the order, and the page
#      is then read by them rather than by searching again — the same count of queries)
#   4. the page: petitions + category + first responder, with the Rule 4.3
#      firewall as EXISTS subqueries in the same statement
#   5. the overdue clocks of the page's petitions only (issue 9: the flag as an
#      EXISTS per row made PostgreSQL hash every overdue clock in the database).
#      An empty page skips it, hence the separate pin below.

DETAIL_QUERIES = AUTH_QUERIES + 11
#   3. the petition + category, first responder, superior unit, reception record, merged into
#   4. petitioners (ordered by position)
#   5. involved units + their unit
#   6. involved persons + unit and user account
#   7. deadlines
#   8. earlier petitions it repeats (number only)
#   9. assignments + unit and handler
#  10. attachments
#  11. the access log entry for the view (DESIGN.md §5)
#  12. the access log entry for the personal data in the answer
#  13. whether a persuasion talk is on record: the clerk's allowed_actions lists
#      conclude_persuasion only then (petitions/guards.py)


@pytest.fixture
def api(demo_org):
    users, _units = demo_org
    token, raw = ApiToken.issue(users["clerk"])
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _petitions(users, count: int, seed: int = 1):
    return [register(users["clerk"], data) for data in generator(seed).registrations(count)]


@pytest.mark.parametrize("count", [5, 30])
def test_list_query_count_does_not_grow_with_petitions(api, demo_org, django_assert_num_queries, count):
    users, _units = demo_org
    _petitions(users, count)
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get("/api/v1/petitions?page_size=50")
    assert response.status_code == 200
    assert response.json()["count"] == count
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize(
    "query", ["?status=registered&channel=letter", "?q=请求", "?overdue=true", "?page=2&page_size=10"]
)
def test_filtered_list_query_count(api, demo_org, django_assert_num_queries, query):
    users, _units = demo_org
    _petitions(users, 25)
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get(f"/api/v1/petitions{query}")
    assert response.status_code == 200


def test_an_empty_page_reads_no_clocks(api, demo_org, django_assert_num_queries):
    with django_assert_num_queries(LIST_QUERIES - 2):  # the count; no page rows, no clocks
        response = api.get("/api/v1/petitions")
    assert response.json()["count"] == 0


def _plain_letter(users):
    data = generator(21).registration()
    data.update(channel="letter", anonymous=False, involved_units=[], involved_persons=[])
    data.pop("superior", None)
    data.pop("reception", None)
    data["petitioners"] = data["petitioners"][:1] or generator(22).petitioners("letter")
    return register(users["clerk"], data)


def _everything(users, units):
    """A visit by six people about two departments and two named officials, by people
    who petitioned three times before, with four attachments."""
    gen = generator(23)
    people = [gen._petitioner(gen.person(), i < 2) for i in range(6)]
    for _ in range(3):  # earlier petitions by the same people: repeat links
        earlier = gen.registration()
        earlier.update(channel="letter", petitioners=[people[0]], anonymous=False)
        earlier.pop("superior", None)
        earlier.pop("reception", None)
        register(users["clerk"], earlier)
    data = gen.registration()
    data.update(
        channel="visit",
        anonymous=False,
        petitioners=people,
        involved_units=[units["HOUSING"].pk, units["LABOUR"].pk],
        involved_persons=[
            {"name": "赵敏", "unit": units["HOUSING"].pk, "user": "housing"},
            {"name": "孙磊", "unit": units["LABOUR"].pk, "user": "labour"},
        ],
        reception={"notes": "六人来访反映情况。", "explained": "已解释有关政策。", "visitors": 6},
    )
    data.pop("superior", None)
    petition = register(users["clerk"], data)
    for i in range(4):
        Attachment.objects.create(
            petition=petition,
            file=f"attachments/test/{i}",
            name=f"材料{i}.pdf",
            size=100 + i,
            sha256="0" * 64,
            content_type="application/pdf",
            uploaded_by=users["clerk"],
        )
    return petition


def test_detail_query_count_is_fixed(api, demo_org, django_assert_num_queries):
    # For one petition a lazy relation costs one query like a prefetch does; what the
    # pin catches is a relation reached per row (a person's user, a unit's name).
    users, units = demo_org
    plain = _plain_letter(users)
    rich = _everything(users, units)

    with django_assert_num_queries(DETAIL_QUERIES):
        small = api.get(f"/api/v1/petitions/{plain.number}")
    with django_assert_num_queries(DETAIL_QUERIES):
        large = api.get(f"/api/v1/petitions/{rich.number}")

    assert small.status_code == large.status_code == 200
    small, large = small.json(), large.json()
    assert (len(small["petitioners"]), len(large["petitioners"])) == (1, 6)
    assert len(large["involved_units"]) == 2 and len(large["involved_persons"]) == 2
    assert [p["user"] for p in large["involved_persons"]] == ["housing", "labour"]
    assert len(large["flags"]["repeat_of"]) == 3
    assert len(large["attachments"]) == 4
    assert large["reception"]["visitors"] == 6
    assert small["attachments"] == [] and small["reception"] is None


def test_missing_petition_costs_no_more_than_a_found_one(api, demo_org, django_assert_max_num_queries):
    # The look-up, and whether the number exists at all: a hidden one is a refusal to log.
    with django_assert_max_num_queries(AUTH_QUERIES + 2):
        response = api.get("/api/v1/petitions/XF-1999-000001")
    assert response.status_code == 404
