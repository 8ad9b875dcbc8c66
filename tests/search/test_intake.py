"""Similar petitions and suggestions at intake (API.md `POST /api/v1/suggestions`), the panel
on the registration form and the recurring-matters view."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import registration_data
from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.search.models import SuggestionModel
from xinfang.search.similarity import jaccard, shingles
from xinfang.search.suggest import train

LIFT = "幸福里小区3号楼的电梯从上个月开始经常停运，老人上下楼非常困难，物业一直推诿不修。"
REPOST = "【转发】" + LIFT + "希望有关部门尽快处理！"


def _reg(users, who="clerk", **over):
    data = registration_data(over.pop("seed", 1), **over)
    return register_petition(ctx=Context(actor=users[who]), data=check_registration(data))[0]


def test_shingle_jaccard_by_hand():
    assert shingles("电梯停运") == {"电梯停", "梯停运"}
    assert shingles("电梯，停运!") == shingles("电梯停运")  # punctuation is not a new text
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), {"a"}) == 0.0


@pytest.mark.django_db
def test_reposts_and_same_person_are_found_and_only_visible_ones(api, demo_org):
    users, _units = demo_org
    original = _reg(users, seed=2, title="电梯停运", content=LIFT)
    person = original.petitioners.first()
    hidden = _reg(
        users, seed=3, title="电梯停运", content=LIFT, involved_persons=[{"name": "某人", "user": "clerk2"}]
    )
    unrelated = _reg(users, seed=4, title="噪音扰民", content="工地夜间施工噪音严重，影响休息。")
    body = {
        "title": "电梯停运",
        "content": REPOST,
        "petitioners": [{"name": person.name, "id_number": person.id_number, "phone": ""}],
    }
    answer = api("clerk").post("/api/v1/suggestions", body)
    assert answer.status_code == 200, answer.content
    similar = {s["number"]: s for s in answer.json()["similar"]}
    assert original.number in similar and hidden.number in similar
    assert unrelated.number not in similar
    assert similar[original.number]["same_petitioner"] is True
    assert similar[original.number]["repeat"] is True
    assert similar[hidden.number]["same_petitioner"] is False
    assert 0.3 <= similar[hidden.number]["score"] <= 1
    # clerk2 is involved in `hidden`: never shown to them.
    for_clerk2 = api("clerk2").post("/api/v1/suggestions", body).json()["similar"]
    assert hidden.number not in {s["number"] for s in for_clerk2}
    assert original.number in {s["number"] for s in for_clerk2}


@pytest.mark.django_db
def test_same_name_and_address_is_the_same_person(api, demo_org):
    users, _units = demo_org
    data = registration_data(5)
    data["petitioners"] = [{"name": "赵六", "address": "通川区朝阳路1号"}]
    earlier = register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(data))[0]
    body = {
        "title": "完全不同的事",
        "content": "另一件事情。",
        "petitioners": [{"name": "赵六", "address": "通川区 朝阳路1号"}],
    }
    similar = api("clerk").post("/api/v1/suggestions", body).json()["similar"]
    assert [(s["number"], s["same_petitioner"]) for s in similar] == [(earlier.number, True)]
    body["petitioners"][0]["address"] = "别处"
    assert api("clerk").post("/api/v1/suggestions", body).json()["similar"] == []


@pytest.mark.django_db
def test_suggestions_with_empty_history_bad_input_and_refusal(api, demo_org):
    answer = api("clerk").post("/api/v1/suggestions", {"title": "电梯", "content": LIFT})
    assert answer.status_code == 200
    assert answer.json() == {
        "categories": [],
        "units": [],
        "similar": [],
        "model": {"version": None, "trained_at": None, "examples": 0},
    }
    bad = api("clerk").post("/api/v1/suggestions", {"title": 5, "petitioners": "x"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"title", "petitioners"}
    assert api("clerk").post("/api/v1/suggestions", ["x"]).status_code == 400
    assert api("housing").post("/api/v1/suggestions", {"title": "电梯"}).status_code == 403


@pytest.mark.django_db
def test_trained_model_suggests_the_category_of_similar_history(api, demo_org):
    users, _units = demo_org
    for i in range(12):
        _reg(
            users,
            seed=10 + i,
            title=f"电梯故障{i}",
            content=f"小区电梯坏了第{i}次，物业不修。",
            category="urban_construction",
        )
        _reg(
            users,
            seed=40 + i,
            title=f"拖欠工资{i}",
            content=f"公司拖欠工资{i}个月，老板失联。",
            category="labour_social_security",
        )
    assert train() is not None
    answer = api("clerk").post(
        "/api/v1/suggestions", {"title": "电梯又坏了", "content": "电梯停运，物业不管。"}
    )
    body = answer.json()
    assert body["categories"][0]["code"] == "urban_construction"
    assert (
        body["model"]["examples"] == 24 and body["model"]["version"] == SuggestionModel.objects.get().version
    )
    labour = api("clerk").post("/api/v1/suggestions", {"title": "讨薪", "content": "单位拖欠工资半年"}).json()
    assert labour["categories"][0]["code"] == "labour_social_security"


@pytest.mark.django_db
def test_too_little_history_trains_nothing(demo_org):
    users, _units = demo_org
    _reg(users, seed=1)
    assert train() is None
    assert not SuggestionModel.objects.exists()


@pytest.mark.django_db
def test_registration_page_has_the_panel_and_it_fills_in(demo_org):
    users, _units = demo_org
    earlier = _reg(users, seed=2, title="电梯停运", content=LIFT)
    client = Client()
    client.force_login(users["clerk"])
    page = client.get("/petitions/new/").content.decode()
    assert 'id="similar-panel"' in page and "search/intake.js" in page
    panel = client.post(
        "/search/intake-panel/", {"title": "电梯停运", "content": REPOST}, headers={"HX-Request": "true"}
    )
    assert panel.status_code == 200
    assert earlier.number in panel.content.decode()
    # Not office staff: refused.
    other = Client()
    other.force_login(users["housing"])
    assert other.post("/search/intake-panel/", {"title": "x"}).status_code == 403


@pytest.mark.django_db
def test_recurring_matters_groups_several_people(demo_org):
    users, _units = demo_org
    now = timezone.now().isoformat()
    a = _reg(users, seed=2, title="电梯停运", content=LIFT, received_at=now)
    b = _reg(users, seed=3, title="电梯停运", content=REPOST, received_at=now)
    c = _reg(users, seed=4, title="噪音扰民", content="工地夜间施工噪音严重，影响休息。", received_at=now)
    client = Client()
    client.force_login(users["clerk"])
    page = client.get("/search/recurring/", {"days": 30}).content.decode()
    assert a.number in page and b.number in page
    assert c.number not in page
    assert "4.5(3)" in page
    other = Client()
    other.force_login(users["housing"])
    assert other.get("/search/recurring/").status_code == 403


@pytest.mark.django_db
def test_the_candidates_sharing_most_bands_are_kept(demo_org, monkeypatch, django_assert_num_queries):
    """More colliding petitions than MAX_CANDIDATES: the look-up keeps those sharing the most
    bands, so a copy registered last is found. (It kept the lowest ids before, which at
    100,000 petitions meant whichever old petitions shared one band of boilerplate.)"""
    from xinfang.search import similarity
    from xinfang.search.similarity import band_keys, find_similar, matter_text

    users, _units = demo_org
    text = LIFT + "小区居民多次向物业反映，物业称电梯维修需要业主委员会同意动用维修基金。"
    # Older petitions each sharing part of the text: found as candidates (they share a band)
    # but below the copy, which shares all sixteen.
    older = [text[: len(text) - cut] + "另外还有停车位被占用的问题" for cut in (12, 16, 20)]
    wanted = set(band_keys(matter_text("电梯停运", text, "修电梯")))
    for variant in older:
        assert set(band_keys(matter_text("电梯停运", variant, "修电梯"))) & wanted  # the precondition
    for seed, variant in enumerate(older, start=10):
        _reg(users, seed=seed, title="电梯停运", content=variant, requests="修电梯")
    copy = _reg(users, seed=20, title="电梯停运", content=text, requests="修电梯")
    monkeypatch.setattr(similarity, "MAX_CANDIDATES", 2)
    # 1. the band probes (grouped, best first); 2. the candidates' text through visible_to
    with django_assert_num_queries(2):
        found = find_similar(users["clerk"], title="电梯停运", content=text, requests="修电梯")
    assert found[0].petition.pk == copy.pk and found[0].score == 1.0


@pytest.mark.django_db
@pytest.mark.parametrize(("exact", "repeat"), [(0.49996, False), (0.5, True)])
def test_a_repeat_is_decided_by_the_exact_score_not_the_rounded_one(demo_org, monkeypatch, exact, repeat):
    # 0.49996 is shown as 0.5 (three decimals) but is below REPEAT_SCORE: not a repeat.
    import numpy as np

    from xinfang.search import similarity

    users, _units = demo_org
    earlier = _reg(users, seed=6, title="电梯停运", content=LIFT)
    person = earlier.petitioners.first()
    monkeypatch.setattr(similarity, "codes_jaccard", lambda query, stored: np.full(len(stored), exact))
    found = similarity.find_similar(
        users["clerk"],
        title="电梯停运",
        content=LIFT,
        petitioners=[{"name": person.name, "id_number": person.id_number}],
    )
    assert [(s.petition.pk, s.score, s.same_petitioner, s.repeat) for s in found] == [
        (earlier.pk, 0.5, True, repeat)
    ]
