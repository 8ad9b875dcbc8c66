"""The registration form: every channel, petitioner rows, attachments, errors in place."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.web.conftest import BAD_CHECKSUM_ID, PDF_BYTES, VALID_ID, letter_post
from xinfang.documents.models import Attachment
from xinfang.petitions.models import NumberSequence, Petition


def _number(year=None):
    return f"XF-{year or timezone.localdate().year}-000001"


def test_the_form_is_keyboard_friendly(client_for):
    html = client_for("clerk").get("/petitions/new/").content.decode()
    assert re.search(r'value="letter"[^>]* checked autofocus', html)
    assert 'accesskey="s"' in html
    assert "data-ctrl-enter" in html
    assert '<template id="petitioner-template">' in html and "petitioners-__prefix__-name" in html
    assert 'name="petitioners-0-name"' in html
    assert 'type="datetime-local"' in html
    assert 'type="file" id="id_files" name="files" multiple' in html
    # Categories are shown by their Chinese name, English when the page is English.
    assert "城乡建设" in html
    english = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en").get("/petitions/new/").content.decode()
    assert "Urban and rural construction" in english


def test_register_a_letter_with_two_petitioners_and_an_attachment(client_for, demo_org):
    _users, units = demo_org
    post = letter_post(
        **{
            "petitioners-3-name": "赵六",  # indexes need not be contiguous (rows removed in the browser)
            "petitioners-3-is_representative": "1",
            "involved_units": [str(units["HOUSING"].pk)],
            "involved_persons-0-name": "某科长",
            "involved_persons-0-unit": str(units["HOUSING"].pk),
            "involved_persons-0-user": "housing",
            "important": "1",
            "files": SimpleUploadedFile("来信扫描.pdf", PDF_BYTES, content_type="application/pdf"),
        }
    )
    client = client_for("clerk")
    response = client.post("/petitions/new/", post)
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert response["Location"] == f"/petitions/{petition.number}/"
    assert petition.number == _number()
    assert petition.channel == "letter" and petition.important
    assert [p.name for p in petition.petitioners.all()] == ["王五", "赵六"]
    assert petition.petitioners.get(name="赵六").is_representative
    assert petition.petitioners.get(name="王五").id_number == VALID_ID
    assert [iu.unit.code for iu in petition.involved_units.all()] == ["HOUSING"]
    assert petition.involved_persons.get().user.username == "housing"
    attachment = Attachment.objects.get()
    assert attachment.petition == petition and attachment.name == "来信扫描.pdf"
    page = client.get(response["Location"]).content.decode()
    assert petition.number in page and "来信扫描.pdf" in page
    assert f"信访事项已登记，统一编号 {petition.number}" in page


def _visit(**extra):
    return letter_post(
        **{
            "channel": "visit",
            "reception-notes": "来访人情绪稳定，陈述了情况。",
            "reception-explained": "解释了相关政策。",
            "reception-visitors": "2",
        }
        | extra
    )


@pytest.mark.parametrize("channel", ["visit", "call"])
def test_register_a_visit_or_call_with_its_reception_record(client_for, channel):
    response = client_for("clerk").post("/petitions/new/", _visit(channel=channel))
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert petition.channel == channel
    assert petition.reception.notes.startswith("来访人") and petition.reception.visitors == 2


def test_a_visit_without_reception_notes_is_refused_in_place(client_for):
    response = client_for("clerk").post("/petitions/new/", letter_post(channel="visit"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "此项必填" in html
    # The reception block is shown (not hidden) because the channel needs it.
    assert 'id="reception-block" data-channels="call visit">' in html
    assert not Petition.objects.exists()


def test_register_online(client_for):
    assert client_for("clerk").post("/petitions/new/", letter_post(channel="online")).status_code == 302
    assert Petition.objects.get().channel == "online"


@pytest.mark.parametrize("channel", ["superior", "assistance"])
def test_register_matters_from_a_superior_or_assistance_requests(client_for, demo_org, channel):
    _users, units = demo_org
    due = (timezone.localdate() + timezone.timedelta(days=20)).isoformat()
    post = letter_post(
        channel=channel,
        **{
            "superior-unit": str(units["SUPERIOR"].pk),
            "superior-reference": "市信转〔2026〕12号",
            "superior-due_date": due,
        },
    )
    response = client_for("clerk").post("/petitions/new/", post)
    assert response.status_code == 302, response.content.decode()
    petition = Petition.objects.get()
    assert petition.superior_unit == units["SUPERIOR"] and petition.superior_due_date.isoformat() == due
    assert petition.deadlines.filter(name="superior_report").exists()


def test_superior_matter_without_due_date_is_refused_in_place(client_for, demo_org):
    _users, units = demo_org
    post = letter_post(
        channel="superior", **{"superior-unit": str(units["SUPERIOR"].pk), "superior-reference": "12"}
    )
    response = client_for("clerk").post("/petitions/new/", post)
    assert response.status_code == 400
    assert "请填写上级要求的办结日期" in response.content.decode()


def test_field_errors_are_shown_in_place_and_input_kept(client_for):
    future = timezone.localtime(timezone.now() + timezone.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    post = letter_post(
        title="",
        received_at=future,
        **{
            "petitioners-0-id_number": BAD_CHECKSUM_ID,
            "petitioners-1-name": "钱七",
            "petitioners-1-phone": "12345",
        },
    )
    response = client_for("clerk").post("/petitions/new/", post)
    html = response.content.decode()
    assert response.status_code == 400
    assert "身份证号校验位不正确" in html
    assert "收到时间不能晚于当前时间" in html
    assert "此项必填" in html
    assert "电话号码无效" in html
    # The user's input is kept.
    assert f'value="{BAD_CHECKSUM_ID}"' in html
    assert 'value="钱七"' in html and f'value="{future}"' in html
    assert "小区路灯坏了三个月无人修理。" in html
    # Each error sits next to its field: the ID number error is inside the first row.
    first_row = html.split('name="petitioners-1-name"')[0].rsplit('name="petitioners-0-name"', 1)[1]
    assert "身份证号校验位不正确" in first_row and "电话号码无效" not in first_row
    assert not Petition.objects.exists()


def test_nothing_at_all_gives_errors_not_a_500(client_for):
    response = client_for("clerk").post("/petitions/new/", {"petitioners-99999-name": "x", "channel": "nope"})
    assert response.status_code == 400
    assert not Petition.objects.exists()


def test_a_refused_file_registers_nothing(client_for):
    disguised = SimpleUploadedFile(
        "scan.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )
    good = SimpleUploadedFile("ok.pdf", PDF_BYTES, content_type="application/pdf")
    response = client_for("clerk").post("/petitions/new/", letter_post(files=[good, disguised]))
    assert response.status_code == 400
    assert "“scan.pdf”：不接受此类文件" in response.content.decode()
    assert not Petition.objects.exists()
    assert not Attachment.objects.exists()


def test_a_file_refused_by_the_service_rolls_the_registration_back(client_for, monkeypatch):
    """If store_upload refuses a file the page's own check let through, nothing is registered
    and the files stored before it are gone."""
    from xinfang.core.errors import InvalidInput
    from xinfang.documents import services

    real = services.store_upload
    calls, stored = [], []

    def refuse_second(*, ctx, upload, year):
        calls.append(upload.name)
        if len(calls) == 2:
            raise InvalidInput({"file": ["refused"]})
        attachment = real(ctx=ctx, upload=upload, year=year)
        stored.append(attachment.file.name)
        return attachment

    monkeypatch.setattr("xinfang.petitions.views.registration.store_upload", refuse_second)
    files = [SimpleUploadedFile("a.pdf", PDF_BYTES), SimpleUploadedFile("b.pdf", PDF_BYTES)]
    response = client_for("clerk").post("/petitions/new/", letter_post(files=files))
    assert response.status_code == 400
    assert "“b.pdf”: refused" in response.content.decode()
    assert not Petition.objects.exists() and not Attachment.objects.exists()
    assert not NumberSequence.objects.filter(last__gt=0).exists()
    assert len(stored) == 1
    assert not default_storage.exists(stored[0])


def test_a_file_refused_when_recorded_rolls_the_registration_and_its_files_back(client_for, monkeypatch):
    """A refusal after the petition is registered (in its transaction) gives the number back
    and removes every file stored for it."""
    from xinfang.core.errors import Conflict
    from xinfang.documents import services

    real = services.record_attachment
    stored = []

    def refuse_second(*, ctx, petition, attachment):
        stored.append(attachment.file.name)
        if len(stored) == 2:
            raise Conflict("refused")
        return real(ctx=ctx, petition=petition, attachment=attachment)

    monkeypatch.setattr("xinfang.petitions.views.registration.record_attachment", refuse_second)
    files = [SimpleUploadedFile("a.pdf", PDF_BYTES), SimpleUploadedFile("b.pdf", PDF_BYTES)]
    response = client_for("clerk").post("/petitions/new/", letter_post(files=files))
    assert response.status_code == 409
    assert not Petition.objects.exists() and not Attachment.objects.exists()
    assert not NumberSequence.objects.filter(last__gt=0).exists()
    assert len(stored) == 2
    assert not any(default_storage.exists(name) for name in stored)


def test_no_file_is_written_while_the_number_is_locked(client_for, monkeypatch):
    """The year's number stays locked from the moment it is taken until the page's transaction
    commits: the files are written before (issue 9)."""
    from django.core.files.storage import FileSystemStorage

    from xinfang.petitions.services import registration

    taken, writes = [], []
    real_allocate, real_save = registration.allocate_number, FileSystemStorage._save

    def allocate(*args, **kwargs):
        taken.append(True)
        return real_allocate(*args, **kwargs)

    def save(self, name, content):
        writes.append("locked" if taken else "before")
        return real_save(self, name, content)

    monkeypatch.setattr(registration, "allocate_number", allocate)
    monkeypatch.setattr(FileSystemStorage, "_save", save)
    files = [SimpleUploadedFile("a.pdf", PDF_BYTES), SimpleUploadedFile("b.pdf", PDF_BYTES)]
    response = client_for("clerk").post("/petitions/new/", letter_post(files=files))
    assert response.status_code == 302
    assert writes == ["before", "before"]
    petition = Petition.objects.get()
    names = sorted(a.file.name for a in Attachment.objects.filter(petition=petition))
    assert len(names) == 2 and all(n.startswith(f"attachments/{petition.year}/") for n in names)
    assert all(default_storage.exists(n) for n in names)


def test_registering_needs_a_petition_role(client_for):
    for username in ("admin", "auditor", "housing"):
        client = client_for(username)
        assert client.get("/petitions/new/").status_code == 403
        assert client.post("/petitions/new/", letter_post()).status_code == 403
    assert not Petition.objects.exists()


def test_correcting_a_registration(client_for, make_petition):
    petition = make_petition(title="原标题", petitioners=[{"name": "王五", "id_number": VALID_ID}])
    client = client_for("clerk")
    page = client.get(f"/petitions/{petition.number}/edit/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="原标题"' in html and f'value="{VALID_ID}"' in html
    # Posting the form unchanged changes nothing and logs nothing.
    form = {
        "channel": "letter",
        "received_at": timezone.localtime(petition.received_at).strftime("%Y-%m-%dT%H:%M"),
        "title": "原标题",
        "content": "问题内容",
        "category": "urban_construction",
        "petitioners-0-name": "王五",
        "petitioners-0-id_number": VALID_ID,
    }
    assert client.post(f"/petitions/{petition.number}/edit/", form).status_code == 302
    assert petition.events.count() == 1
    petition.refresh_from_db()
    received = petition.received_at
    response = client.post(f"/petitions/{petition.number}/edit/", form | {"title": "更正后的标题"})
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.title == "更正后的标题" and petition.received_at == received
    event = petition.events.order_by("-seq").first()
    assert event.action == "petition.corrected" and event.data["fields"] == ["title"]
    page = client.get(f"/petitions/{petition.number}/").content.decode()
    assert "更正了登记信息：标题" in page
    bad = client.post(
        f"/petitions/{petition.number}/edit/", form | {"petitioners-0-id_number": BAD_CHECKSUM_ID}
    )
    assert bad.status_code == 400 and "身份证号校验位不正确" in bad.content.decode()


def test_correcting_after_registration_is_a_conflict(client_for, make_petition):
    petition = make_petition()
    Petition.objects.filter(pk=petition.pk).update(status="proposed")  # as the propose service will
    client = client_for("clerk")
    response = client.get(f"/petitions/{petition.number}/edit/")
    assert response.status_code == 409
    assert "登记信息只能在提出拟办意见之前更正" in response.content.decode()
    form = {
        "channel": "letter",
        "title": "新",
        "content": "x",
        "category": "urban_construction",
        "received_at": "2026-01-01T09:00",
        "petitioners-0-name": "王五",
    }
    response = client.post(f"/petitions/{petition.number}/edit/", form)
    assert response.status_code == 409


def test_a_sender_on_a_letter_is_refused_where_it_was_typed(client_for, demo_org):
    _users, units = demo_org
    post = letter_post(**{"superior-unit": str(units["SUPERIOR"].pk)})
    response = client_for("clerk").post("/petitions/new/", post)
    html = response.content.decode()
    assert response.status_code == 400
    assert "只有上级交办和协查事项才有交办机关" in html
    # The block is shown (not hidden) so the message can be read and the input removed.
    assert 'id="superior-block" data-channels="assistance superior">' in html
    assert not Petition.objects.exists()
