"""The petition page: what it shows, the firewall, attachments, language."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.web.conftest import PDF_BYTES, VALID_ID
from xinfang.audit.services import Context
from xinfang.documents.models import Attachment
from xinfang.documents.services import add_attachment


def test_the_page_shows_the_registration_deadlines_and_timeline(client_for, make_petition, demo_org):
    _users, units = demo_org
    petition = make_petition(
        title="噪音扰民",
        important=True,
        urgent=True,
        petitioners=[{"name": "王五", "id_number": VALID_ID, "phone": "13800138000"}],
        involved_units=[units["HOUSING"].pk],
    )
    html = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
    assert petition.number in html and "噪音扰民" in html
    assert "badge--important" in html and "badge--urgent" in html
    assert "市住房和城乡建设局" in html  # involved units are shown to the office, marked confidential
    # Masked on the page, even for the office; revealing is an explicit, logged request.
    assert VALID_ID not in html and "1101**********002X" in html and "138****8000" in html
    assert f'hx-get="/petitions/{petition.number}/personal-data/"' in html
    assert "办理期限" in html and "答复期限" in html
    assert "张丽 登记了信访事项，统一编号" in html and "并成为首问责任人" in html
    assert f'href="/petitions/{petition.number}/edit/"' in html


def test_repeat_petitions_link_to_the_earlier_one(client_for, make_petition):
    first = make_petition(petitioners=[{"name": "王五", "id_number": VALID_ID}])
    second = make_petition(petitioners=[{"name": "王五", "id_number": VALID_ID}])
    html = client_for("clerk").get(f"/petitions/{second.number}/").content.decode()
    assert f'<a href="/petitions/{first.number}/">{first.number}</a>' in html


def test_a_petition_that_involves_the_viewer_is_not_found(client_for, make_petition, demo_org):
    """Rule 4.3: the Secretary-General's unit is involved, so he gets the same 404 as
    for a petition that does not exist; the attachment and the edit page too."""
    _users, units = demo_org
    petition = make_petition(involved_units=[units["SECGEN"].pk])
    attachment = add_attachment(
        ctx=Context(actor=demo_org[0]["clerk"]),
        petition=petition,
        upload=SimpleUploadedFile("a.pdf", PDF_BYTES),
    )
    secgen = client_for("secgen")
    missing = secgen.get("/petitions/XF-2000-000999/")
    hidden = secgen.get(f"/petitions/{petition.number}/")
    assert hidden.status_code == missing.status_code == 404

    def main(response):  # the page body: the header carries per-request CSRF tokens
        return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]

    assert main(hidden) == main(missing)
    assert petition.title not in hidden.content.decode()
    assert secgen.get(f"/petitions/{petition.number}/edit/").status_code == 404
    assert secgen.get(f"/petitions/{petition.number}/attachments/{attachment.pk}/").status_code == 404
    assert secgen.post(f"/petitions/{petition.number}/attachments/", {}).status_code == 404
    assert petition.number not in secgen.get("/petitions/").content.decode()
    assert client_for("clerk").get(f"/petitions/{petition.number}/").status_code == 200


def test_administrators_see_no_petition(client_for, make_petition):
    petition = make_petition()
    for username in ("admin", "auditor", "housing"):
        assert client_for(username).get(f"/petitions/{petition.number}/").status_code == 404


def test_attachment_download_is_always_a_download(client_for, make_petition, demo_org):
    petition = make_petition()
    attachment = add_attachment(
        ctx=Context(actor=demo_org[0]["clerk"]),
        petition=petition,
        upload=SimpleUploadedFile("材料.pdf", PDF_BYTES),
    )
    response = client_for("clerk2").get(f"/petitions/{petition.number}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES
    other = make_petition()
    # Another petition's id under this number is simply not found.
    assert (
        client_for("clerk").get(f"/petitions/{other.number}/attachments/{attachment.pk}/").status_code == 404
    )


def test_upload_with_htmx_swaps_the_attachment_list(client_for, make_petition):
    petition = make_petition()
    client = client_for("clerk")
    url = f"/petitions/{petition.number}/attachments/"
    response = client.post(
        url, {"file": SimpleUploadedFile("扫描件.pdf", PDF_BYTES)}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section class="panel" id="attachments">') and "扫描件.pdf" in html
    refused = client.post(
        url, {"file": SimpleUploadedFile("x.pdf", b"<html></html>")}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 400
    assert "“x.pdf”: 不接受此类文件" in refused.content.decode()
    assert Attachment.objects.count() == 1
    empty = client.post(url, {}, headers={"HX-Request": "true"})
    assert empty.status_code == 400 and "请选择要上传的文件" in empty.content.decode()


def test_upload_without_htmx_redirects_back(client_for, make_petition):
    petition = make_petition()
    client = client_for("clerk")
    response = client.post(
        f"/petitions/{petition.number}/attachments/", {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)}
    )
    assert response.status_code == 302 and response["Location"] == f"/petitions/{petition.number}/"
    assert "附件已添加" in client.get(response["Location"]).content.decode()


def test_an_oversized_upload_is_a_413_with_a_message(client_for, make_petition, settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    petition = make_petition()
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (1024 * 1024 + 200 * 1024))
    response = client_for("clerk").post(
        f"/petitions/{petition.number}/attachments/", {"file": big}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 413
    assert "文件超过 1 MB 的上限" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_timeline_names_attachments(client_for, make_petition, demo_org):
    petition = make_petition()
    add_attachment(
        ctx=Context(actor=demo_org[0]["clerk2"]),
        petition=petition,
        upload=SimpleUploadedFile("照片.pdf", PDF_BYTES),
    )
    html = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
    assert "李强 添加了附件“照片.pdf”。" in html


def test_detail_query_count_is_fixed(client_for, make_petition, demo_org, django_assert_num_queries):
    _users, units = demo_org
    petition = make_petition(
        petitioners=[{"name": "甲"}, {"name": "乙"}],
        involved_units=[units["HOUSING"].pk, units["LABOUR"].pk],
        involved_persons=[{"name": "某人", "unit": units["HOUSING"].pk}],
    )
    for name in ("a.pdf", "b.pdf"):
        add_attachment(
            ctx=Context(actor=demo_org[0]["clerk"]),
            petition=petition,
            upload=SimpleUploadedFile(name, PDF_BYTES),
        )
    client = client_for("clerk")
    client.get(f"/petitions/{petition.number}/")
    with django_assert_num_queries(10):
        # 1 the session with its user, the user's unit (firewall, header) and roles in one
        # statement (accounts/sessions.py); 2 the petition with category, first responder,
        # superior unit and reception record, read by the id of the one visible petition with
        # this number (the read policy as a subquery), and which of its often empty relations
        # have rows (PAGE_RELATIONS: repeat links, assignments, involved units and persons,
        # attachments, the eight kinds of procedure record, official documents, supervisions;
        # one EXISTS each, in the same statement); then only those that have rows, here:
        # 3 petitioners, 4 involved units with their units, 5 involved persons with unit and
        # user, 6 attachments; and always 7 deadlines; 8 the access log entry for the view;
        # 9 the timeline with actors; 10 the header's unread notifications. Not read, having no
        # rows: the repeat links, the assignments (a registered petition has none), the
        # procedure's records, the deadline panel's supervisions and the documents panel's
        # official documents (15 -> 11, issue 9 round 10; 11 -> 10 with the user read in the
        # session's statement, round 13).
        client.get(f"/petitions/{petition.number}/")


def test_detail_query_count_through_the_whole_procedure(client_for, drive, django_assert_num_queries):
    """Every record of a finished procedure is read in a fixed number of queries,
    however many there are."""
    petition = drive("archived")
    client = client_for("clerk")
    client.get(f"/petitions/{petition.number}/")
    with django_assert_num_queries(13):
        # The session with its user, the petition (2); petitioners, deadlines and the
        # assignments (5); the records this procedure left: proposals, instructions, results
        # with their sign-offs, replies (10); the access log entry, the timeline and the
        # header's count (13). The units the timeline's events name are those of the
        # assignments, already read: no statement for their names (21 -> 14: no involved units
        # or persons, repeat links, attachments, supervisions or official documents to read,
        # and the units' names reused; 14 -> 13 with the user read in the session's statement).
        # No action is possible on an archived petition, so none is checked.
        client.get(f"/petitions/{petition.number}/")


def test_language_switch_and_accept_language(client_for, make_petition):
    petition = make_petition()
    client = client_for("clerk")
    assert "登记信息" in client.get(f"/petitions/{petition.number}/").content.decode()
    english = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en").get(f"/petitions/{petition.number}/")
    assert "Registration" in english.content.decode() and "登记信息" not in english.content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": f"/petitions/{petition.number}/"})
    assert response.status_code == 302 and response["Location"] == f"/petitions/{petition.number}/"
    html = client.get(f"/petitions/{petition.number}/").content.decode()
    assert 'lang="en"' in html and "Handling deadline" in html and "registered the petition as" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "办理期限" in client.get(f"/petitions/{petition.number}/").content.decode()


def test_detail_query_count_of_a_closed_petition(client_for, drive, django_assert_num_queries):
    """A closed petition can take the portal's two rating actions (rework, answer the rating),
    each offered only while an unsatisfactory rating waits. Whether one waits is asked once, and
    only of a reader who may take them (a leader): it was asked twice, of everyone."""
    petition = drive("closed")
    url = f"/petitions/{petition.number}/"
    for username, queries in (("clerk", 13), ("secgen", 14)):
        client = client_for(username)
        client.get(url)
        with django_assert_num_queries(queries):
            # The 13 of test_detail_query_count_through_the_whole_procedure (15 with the two
            # rating checks); for the leader, 14: whether an unsatisfactory rating waits.
            client.get(url)


def test_the_page_reads_every_record_that_exists_and_none_that_does_not(drive, demo_org, client_for):
    """The petition page reads only the kinds of procedure record that exist; what it has in hand
    for each kind equals a plain read of that kind's table (the oracle), and the page shows it."""
    from xinfang.petitions.selectors import petition_detail
    from xinfang.petitions.workflow_models import (
        Coordination,
        Instruction,
        PersuasionRecord,
        PoliceReferral,
        Proposal,
        Reply,
        Report,
        Result,
    )

    kinds = {
        "proposals": Proposal,
        "instructions": Instruction,
        "results": Result,
        "replies": Reply,
        "reports": Report,
        "coordinations": Coordination,
        "persuasions": PersuasionRecord,
        "police_referrals": PoliceReferral,
    }
    clerk = demo_org[0]["clerk"]
    shown = {"reported": "查处报告正文", "persuaded": "耐心劝导", "referred_to_police": "多次劝导无效"}
    for state in ("registered", "reported", "persuaded", "referred_to_police", "archived"):
        petition = drive(state)
        read = petition_detail(clerk, petition.number, records=True)
        for name, model in kinds.items():
            expected = sorted(model.objects.filter(petition=petition).values_list("pk", flat=True))
            assert sorted(r.pk for r in getattr(read, name).all()) == expected, (state, name)
        if state in shown:
            html = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
            assert shown[state] in html, state
    assert PersuasionRecord.objects.exists() and Report.objects.exists() and PoliceReferral.objects.exists()
