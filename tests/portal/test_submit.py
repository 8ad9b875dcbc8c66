"""Submitting on the public portal (issue 13 §2, "Bad input"): the form, the slip with the query
code and secret, every refusal in place with nothing stored, the CAPTCHA, the honeypot and the
rate limits per address and per phone."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests.api.conftest import PDF, PNG
from tests.portal.conftest import form, solved_captcha
from xinfang.documents.models import Attachment
from xinfang.portal import codes
from xinfang.portal.models import Submission, SubmissionFile, SubmissionStatus

pytestmark = pytest.mark.django_db


def post(client, data, files=None):
    payload = dict(data)
    if files is not None:
        payload["files"] = files
    return client.post("/portal/submit", payload)


def test_pages_are_in_chinese_by_default_and_complete_in_english(citizen):
    client = citizen()
    for path, chinese, english in [
        ("/portal/", "个人信息", "personal data"),
        ("/portal/submit", "提交", "Submit"),
        ("/portal/status", "查询码", "Query code"),
    ]:
        page = client.get(path).content.decode()
        assert chinese in page, path
        english_page = client.get(path, headers={"Accept-Language": "en"}).content.decode()
        assert english in english_page, path


def test_a_citizen_submits_and_gets_the_code_and_secret_once(citizen):
    client = citizen()
    response = post(client, form(**solved_captcha()), [SimpleUploadedFile("scan.pdf", PDF)])
    assert response.status_code == 200
    page = response.content.decode()
    submission = Submission.objects.get()
    assert f'id="query-code" class="code">{submission.query_code}<' in page
    secret = page.split('id="query-secret" class="code">')[1].split("<")[0]
    assert len(secret) == codes.SECRET_LENGTH and secret not in submission.secret_hash
    assert codes.secret_matches(submission.secret_hash, secret)
    assert "no-store" in response["Cache-Control"]  # the slip is never kept by a cache
    assert submission.status == SubmissionStatus.PENDING
    assert submission.files.count() == 1 and submission.files.get().content_type == "application/pdf"
    # Sealed at rest, as on registration: the raw column holds no plain ID number or phone.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM portal_submission")
        raw = " ".join(cursor.fetchone())
    assert "11010519491231002X" not in raw and "13800138000" not in raw
    assert submission.due_at > submission.submitted_at
    assert not Attachment.objects.exists()  # only accepted submissions become petitions' files


def test_anonymous_submission_needs_no_personal_data(citizen):
    response = post(citizen(), form(anonymous="on", name="", id_number="", phone="", **solved_captcha()))
    assert response.status_code == 200
    submission = Submission.objects.get()
    assert submission.anonymous and submission.name == "" and submission.phone == ""


BIG = "很" * 20001

# (form overrides, files, field with the message, a word of the Chinese message)
BAD = [
    ({"id_number": "110105194912310021"}, None, "id_number", "校验"),
    ({"phone": "12345"}, None, "phone", "电话"),
    ({"phone": ""}, None, "phone", "电话"),
    ({"content": BIG}, None, "content", "20000"),
    ({"content": ""}, None, "content", "必填"),
    ({"title": ""}, None, "title", "必填"),
    ({"content": "路灯<script>alert(1)</script>"}, None, "content", "HTML"),
    ({"requests": '<img src=x onerror="a()">'}, None, "requests", "HTML"),
    ({"consent": None}, None, "consent", "同意"),
    ({"category": "no-such"}, None, "category", "分类"),
    ({}, [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(6)], "files", "5"),
    ({}, [SimpleUploadedFile("page.pdf", b"<html><script>x</script></html>")], "files", "不接受"),
    ({}, [SimpleUploadedFile("empty.pdf", b"")], "files", "空"),
]


@pytest.mark.parametrize(
    ("overrides", "files", "field", "word"), BAD, ids=[b[2] + str(i) for i, b in enumerate(BAD)]
)
def test_bad_input_is_refused_in_place_and_nothing_is_stored(citizen, overrides, files, field, word):
    response = post(citizen(), form(**overrides, **solved_captcha()), files)
    assert response.status_code == 400
    page = response.content.decode()
    errors = page.split(f'id="{field}-errors"')[1].split("</ul>")[0]
    assert word in errors, errors
    assert not Submission.objects.exists() and not SubmissionFile.objects.exists()
    # What was typed comes back, so nothing has to be typed again.
    if overrides.get("title", "x") and field != "title":
        assert "小区路灯损坏" in page


@override_settings(MAX_UPLOAD_BYTES=1024)
def test_an_oversized_file_is_refused(citizen):
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2048)
    response = post(citizen(), form(**solved_captcha()), [big])
    assert response.status_code == 400 and "1 MB" not in response.content.decode()[:0]
    assert "big.png" in response.content.decode().split('id="files-errors"')[1]
    assert not Submission.objects.exists()


def test_a_wrong_or_reused_captcha_is_refused(citizen):
    client = citizen()
    challenge = solved_captcha()
    response = post(client, form(captcha_key=challenge["captcha_key"], captcha="wrong"))
    assert response.status_code == 400 and 'id="captcha-errors"' in response.content.decode()
    # One attempt per picture: the right answer after a wrong one is refused too.
    response = post(client, form(**challenge))
    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_the_demo_answer_passes_only_in_demo_mode(citizen, settings):
    challenge = {"captcha_key": solved_captcha()["captcha_key"], "captcha": "PASSED"}
    assert post(citizen(), form(**challenge)).status_code == 400
    settings.PORTAL_DEMO_CAPTCHA = True
    challenge = {"captcha_key": solved_captcha()["captcha_key"], "captcha": "PASSED"}
    assert post(citizen(), form(**challenge)).status_code == 200
    assert Submission.objects.count() == 1


def test_demo_captcha_follows_demo_mode_only():
    from django.conf import settings

    assert settings.PORTAL_DEMO_CAPTCHA is False  # the test environment is not demo mode


def test_the_honeypot_refuses_robots(citizen):
    response = post(citizen(), form(website="http://spam.example", **solved_captcha()))
    assert response.status_code == 400
    assert not Submission.objects.exists()


@override_settings(PORTAL_SUBMISSIONS_PER_ADDRESS_HOUR=3)
def test_a_burst_from_one_address_is_refused_without_slowing_others(citizen):
    spammer = citizen("192.0.2.66")
    phones = ["13800138001", "13800138002", "13800138003", "13800138004"]
    answers = [post(spammer, form(phone=p, id_number="", **solved_captcha())).status_code for p in phones]
    assert answers == [200, 200, 200, 429]
    assert Submission.objects.count() == 3
    # Someone else, from another address, is served at once.
    assert post(citizen("192.0.2.77"), form(phone="13900139000", **solved_captcha())).status_code == 200


@override_settings(PORTAL_SUBMISSIONS_PER_PHONE_DAY=2)
def test_submissions_per_phone_are_limited_across_addresses(citizen):
    answers = [post(citizen(f"192.0.2.{i}"), form(**solved_captcha())).status_code for i in range(1, 4)]
    assert answers == [200, 200, 429]
    assert Submission.objects.count() == 2


def test_csp_forbids_inline_script_on_portal_pages(citizen):
    client = citizen()
    for path in ["/portal/", "/portal/submit", "/portal/status"]:
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        page = response.content.decode()
        assert "<script>" not in page and "onclick" not in page
        # No staff page is reused: the staff base's navigation is absent.
        assert "site-nav" not in page and "/petitions/" not in page
