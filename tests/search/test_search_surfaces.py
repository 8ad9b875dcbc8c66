"""The search on its surfaces: the API's `q` with highlights and relevance, the list page
with marked snippets, the header's search box; a fixed number of queries per page."""

import pytest
from django.test import Client

from tests.factories import registration_data
from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition


@pytest.fixture
def three(demo_org):
    users, _units = demo_org
    ctx = Context(actor=users["clerk"])

    def reg(seed, **over):
        return register_petition(ctx=ctx, data=check_registration(registration_data(seed, **over)))[0]

    in_content = reg(1, title="路灯问题", content="幸福里小区的电梯<b>坏了</b>，一直无人维修。")
    in_title = reg(2, title="幸福里电梯停运", content="反映情况。")
    other = reg(3, title="噪音扰民", content="夜间施工。")
    return users, in_content, in_title, other


@pytest.mark.django_db
def test_api_q_ranks_title_matches_first_and_carries_a_highlight(api, three):
    _users, in_content, in_title, _other = three
    response = api("clerk").get("/api/v1/petitions", q="幸福里 电梯")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["number"] for r in results] == [in_title.number, in_content.number]
    by_number = {r["number"]: r for r in results}
    assert "幸福里" in by_number[in_content.number]["highlight"]
    # Without q the list is newest first and carries no highlight.
    plain = api("clerk").get("/api/v1/petitions").json()["results"]
    assert all(r["highlight"] is None for r in plain)


@pytest.mark.django_db
def test_api_q_too_long_is_a_clear_400(api, three):
    response = api("clerk").get("/api/v1/petitions", q="字" * 101)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_list_page_marks_terms_and_escapes_text(three):
    users, in_content, _in_title, other = three
    client = Client()
    client.force_login(users["clerk"])
    page = client.get("/petitions/", {"q": "电梯"}).content.decode()
    assert in_content.number in page and other.number not in page
    assert "<mark>电梯</mark>" in page
    assert "<b>坏了</b>" not in page  # the petitioner's text is escaped
    # The header's search box is on every page for a signed-in user.
    home = client.get("/").content.decode()
    assert 'id="header-q"' in home and 'role="search"' in home


@pytest.mark.django_db
def test_query_count_of_a_searched_list_does_not_grow_with_rows(api, three, django_assert_max_num_queries):
    users, *_ = three
    client = api("clerk")
    client.get("/api/v1/petitions", q="幸福里")  # warm up (token, session caches)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/petitions", q="电梯")
    ctx = Context(actor=users["clerk"])
    for seed in range(10, 16):
        register_petition(ctx=ctx, data=check_registration(registration_data(seed, title=f"电梯{seed}")))
    with CaptureQueriesContext(connection) as large:
        client.get("/api/v1/petitions", q="电梯")
    assert len(large) == len(small)
