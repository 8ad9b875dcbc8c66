"""Search per API.md: every term a substring of something the reader may see (recall 1.0
against a LIKE oracle written out in conftest.py), AND of terms, phrases, whole ID numbers and
phones through the blind index, any part of a number, every list filter, the read policy."""

import io

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import registration_data
from tests.search.conftest import like_oracle
from xinfang.audit.services import Context
from xinfang.petitions.models import Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.search.models import SearchDocument
from xinfang.search.query import parse


@pytest.fixture
def corpus(demo_org, drive):
    """Generated registrations, petitions through the procedure (findings, replies, outcomes,
    persuasion, police referral, reception notes), and one hidden from clerk2."""
    users, _units = demo_org
    clerk = Context(actor=users["clerk"])
    made = []
    for seed in range(1, 19):
        data = registration_data(seed)
        made.append(register_petition(ctx=clerk, data=check_registration(data))[0])
    made.append(drive("result_submitted", title="电梯故障", content="幸福里小区3号楼电梯经常停运"))
    made.append(drive("closed", channel="visit", title="Lift broken 电梯", content="ABC 大厦 lift"))
    made.append(drive("persuaded", title="反复来访"))
    made.append(drive("referred_to_police", title="扰乱秩序"))
    hidden = registration_data(99, involved_persons=[{"name": "周某", "user": "clerk2"}])
    hidden["title"] = "举报周某 100%_确认"
    made.append(register_petition(ctx=clerk, data=check_registration(hidden))[0])
    return users, made


def _texts():
    """Every searchable string of the corpus, to draw substrings from."""
    return [
        *Petition.objects.values_list("title", flat=True),
        *Petition.objects.values_list("content", flat=True),
        *Petition.objects.values_list("number", flat=True),
        *SearchDocument.objects.values_list("body", flat=True),
    ]


@pytest.mark.django_db
def test_recall_against_the_like_oracle(corpus, search_ids):
    """Hypothesis: random 1-4 character terms (Chinese, Latin, digits, LIKE's % and _) and
    substrings of the corpus, one to three ANDed, for three readers; the search answers exactly
    what the oracle does (so recall 1.0 and no false hit), on SQLite and PostgreSQL alike."""
    users, _made = corpus
    texts = [t for t in _texts() if t]
    alphabet = sorted({c for t in texts for c in t if not c.isspace() and c != '"'} | set("aZ9%_"))

    @st.composite
    def substrings(draw):
        text = draw(st.sampled_from(texts))
        start = draw(st.integers(0, max(0, len(text) - 1)))
        length = draw(st.integers(1, 6))
        return text[start : start + length]

    term = st.one_of(st.text(alphabet=alphabet, min_size=1, max_size=4), substrings()).filter(
        lambda t: t.strip() and not any(c.isspace() or c == '"' for c in t)
    )

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        terms=st.lists(term, min_size=1, max_size=3), reader=st.sampled_from(["clerk", "clerk2", "housing"])
    )
    def check(terms, reader):
        user = users[reader]
        expected = set.intersection(*(like_oracle(user, t) for t in terms))
        assert search_ids(user, " ".join(terms)) == expected

    check()


@pytest.mark.django_db
def test_one_and_two_character_chinese_terms(corpus, search_ids):
    users, made = corpus
    clerk = users["clerk"]
    for term in ("电", "梯", "补偿", "电梯", "里", "幸福里"):
        found = search_ids(clerk, term)
        assert found == like_oracle(clerk, term)
    assert made[18].pk in search_ids(clerk, "幸福里 电梯")


@pytest.mark.django_db
def test_terms_are_anded_and_phrases_kept_together(corpus, search_ids):
    users, made = corpus
    clerk = users["clerk"]
    lift = made[19]  # "ABC 大厦 lift"
    assert lift.pk in search_ids(clerk, "abc LIFT")
    assert lift.pk in search_ids(clerk, '"abc 大厦"')
    assert lift.pk not in search_ids(clerk, '"abc lift"')  # not adjacent
    assert search_ids(clerk, "电梯 不存在的词") == set()


@pytest.mark.django_db
def test_findings_replies_outcomes_and_reception_notes_are_searchable(corpus, search_ids):
    users, made = corpus
    clerk = users["clerk"]
    assert made[18].pk in search_ids(clerk, "已修复路灯")  # findings/result
    assert made[19].pk in search_ids(clerk, "已书面答复")  # reply
    assert made[19].pk in search_ids(clerk, "问题已解决")  # outcome
    assert made[19].pk in search_ids(clerk, "解释了处理流程")  # reception record
    assert made[20].pk in search_ids(clerk, "耐心劝导")  # persuasion notes
    assert made[21].pk in search_ids(clerk, "扰乱秩序")  # police referral


@pytest.mark.django_db
def test_any_part_of_a_number(corpus, search_ids):
    users, made = corpus
    clerk = users["clerk"]
    target = made[5]
    tail = target.number[-6:]
    assert target.pk in search_ids(clerk, tail)
    assert search_ids(clerk, target.number) == {target.pk}


@pytest.mark.django_db
def test_whole_id_number_and_phone_match_through_the_blind_index(corpus, search_ids):
    users, made = corpus
    clerk = users["clerk"]
    target = made[3]
    person = target.petitioners.first()
    assert person.id_number and person.phone
    assert target.pk in search_ids(clerk, person.id_number.lower())
    assert target.pk in search_ids(clerk, person.phone)
    # Sealed data is never in the documents: part of a phone finds nothing by it.
    assert not SearchDocument.objects.filter(body__contains=person.phone).exists()
    assert target.pk not in search_ids(clerk, person.phone[:7])


@pytest.mark.django_db
def test_hidden_petitions_are_never_found_nor_counted(corpus, search_ids):
    users, made = corpus
    hidden = made[22]
    assert hidden.pk in search_ids(users["clerk"], "100%_确认")
    assert search_ids(users["clerk2"], "100%_确认") == set()
    assert search_ids(users["clerk2"], "周某") == set()
    # LIKE's own wildcards are plain characters in a term.
    assert hidden.pk not in search_ids(users["clerk"], "100%%")


@pytest.mark.django_db
def test_combined_with_every_list_filter(corpus, search_ids):
    users, made = corpus
    clerk = users["clerk"]
    closed = made[19]
    assert search_ids(clerk, "电梯", status="closed") == {closed.pk}
    assert search_ids(clerk, "电梯", channel="visit") == {closed.pk}
    assert closed.pk not in search_ids(clerk, "电梯", channel="letter")
    assert search_ids(clerk, "电梯", category=closed.category.code) >= {closed.pk}
    assert search_ids(clerk, "电梯", received_after="2999-01-01") == set()
    assert search_ids(clerk, "电梯", mine="true") >= {closed.pk}
    assert search_ids(clerk, "电梯", overdue="true") == set()


@pytest.mark.django_db
def test_index_follows_corrections_in_the_same_transaction(api, demo_org, search_ids):
    users, _units = demo_org
    clerk = users["clerk"]
    petition = register_petition(ctx=Context(actor=clerk), data=check_registration(registration_data(7)))[0]
    assert search_ids(clerk, "独一无二的词") == set()
    response = api("clerk").patch(f"/api/v1/petitions/{petition.number}", {"title": "独一无二的词"})
    assert response.status_code == 200, response.content
    assert search_ids(clerk, "独一无二的词") == {petition.pk}
    # A refused correction (invalid) leaves the index as it was.
    response = api("clerk").patch(
        f"/api/v1/petitions/{petition.number}", {"title": "", "content": "另一个词"}
    )
    assert response.status_code == 400
    assert search_ids(clerk, "另一个词") == set()


@pytest.mark.django_db
def test_rebuild_command_restores_a_lost_index(corpus, search_ids):
    users, made = corpus
    clerk = users["clerk"]
    before = search_ids(clerk, "电梯")
    SearchDocument.objects.all().delete()
    assert search_ids(clerk, "电梯") == set()
    call_command("rebuild_search_index", stdout=io.StringIO())
    assert search_ids(clerk, "电梯") == before
    assert SearchDocument.objects.count() == len(made)


def test_query_parser():
    assert [t.text for t in parse('补偿  "幸福 里"  abc 补偿 "未闭合')] == [
        "补偿",
        "幸福 里",
        "abc",
        "未闭合",
    ]
    assert [t.folded for t in parse("ABC")] == ["abc"]
    assert parse('  ""  ') == []
    assert len(parse(" ".join(str(i) for i in range(20)))) == 8
