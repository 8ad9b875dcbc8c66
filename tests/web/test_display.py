"""Timeline sentences and masking of personal data on the petition page."""

from __future__ import annotations

from django.utils import translation

from tests.web.conftest import VALID_ID
from xinfang.audit.display import _SENTENCES, describe, register
from xinfang.audit.models import Event
from xinfang.petitions.masking import mask_address, mask_id_number, mask_phone, petitioner_rows
from xinfang.petitions.views.pages import _petitioners


def test_masks():
    assert mask_id_number(VALID_ID) == "1101**********002X"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_address("某市某区幸福路1号") == "某市某区幸福…"
    assert mask_address("") == "" and mask_phone("") == "" and mask_id_number("") == ""


def test_the_api_uses_the_same_masks():
    from xinfang.petitions.api import serializers

    assert serializers.petitioner_rows is petitioner_rows


def test_readers_without_the_right_get_masked_personal_data(make_petition, demo_org):
    users, _units = demo_org
    petition = make_petition(
        petitioners=[
            {"name": "王五", "id_number": VALID_ID, "phone": "13800138000", "address": "某市某区幸福路1号"}
        ]
    )
    # The page masks for everyone; the entitled reveal explicitly (petitioner_rows(reveal=True)).
    assert _petitioners(users["clerk"], petition)[0]["id_number"] == "1101**********002X"
    full = petitioner_rows(users["clerk"], petition, reveal=True)[0]
    masked = petitioner_rows(users["housing"], petition, reveal=True)[0]
    assert full["id_number"] == VALID_ID and full["phone"] == "13800138000"
    assert masked["id_number"] == "1101**********002X" and masked["phone"] == "138****8000"
    assert masked["address"] == "某市某区幸福…" and masked["name"] == "王五"


def test_sentences_in_both_languages_and_unknown_actions(make_petition):
    petition = make_petition()
    registered = Event.objects.get(petition=petition)
    with translation.override("en"):
        assert describe(registered).startswith("张丽 registered the petition as XF-")
    with translation.override("zh-hans"):
        assert "登记了信访事项" in describe(registered)
    unknown = Event(petition=petition, action="petition.future_action", data={}, actor=registered.actor)
    broken = Event(petition=petition, action="petition.corrected", data={"fields": None}, actor=None)
    with translation.override("zh-hans"):
        assert describe(unknown) == "张丽：petition.future_action"
        assert describe(broken) == "系统：petition.corrected"


def test_later_actions_register_their_sentences(make_petition):
    petition = make_petition()

    @register("test.waved")
    def _waved(event, actor):
        return f"{actor} waved"

    try:
        event = Event(petition=petition, action="test.waved", data={}, actor=None)
        with translation.override("zh-hans"):
            assert describe(event) == "系统 waved"
    finally:
        _SENTENCES.pop("test.waved")
