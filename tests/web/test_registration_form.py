"""The registration form after issue 8: required fields marked, an error summary whose
items link to their fields, each message tied to its field (aria-describedby), the
involved units as tick boxes and the category searchable (the browser side is in
tests/e2e/test_register_letter.py)."""

from __future__ import annotations

import re

from tests.web.conftest import BAD_CHECKSUM_ID, letter_post


def _html(response):
    return response.content.decode()


def test_required_fields_are_marked(client_for):
    html = _html(client_for("clerk").get("/petitions/new/"))
    for field in ("id_received_at", "id_category_search", "id_title", "id_content"):
        label = re.search(rf'<label for="{field}">(.*?)</label>', html, re.S).group(1)
        assert 'class="required"' in label, field
    assert 'class="required"' not in re.search(r'<label for="id_requests">(.*?)</label>', html, re.S).group(1)


def test_errors_link_to_their_fields_and_are_tied_to_them(client_for):
    post = letter_post(title="", **{"petitioners-0-id_number": BAD_CHECKSUM_ID})
    response = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en").post("/petitions/new/", post)
    assert response.status_code == 400
    html = _html(response)
    summary = re.search(r'<ul class="error-summary">(.*?)</ul>', html, re.S).group(1)
    assert re.search(r'<a href="#id_title">Title: [^<]+</a>', summary)
    assert re.search(r'<a href="#petitioners-0-id_number">Petitioner 1 · ID number: [^<]+</a>', summary)
    for field in ("id_title", "petitioners-0-id_number"):
        tag = re.search(rf'<(?:input|textarea)[^>]* id="{field}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag and f'aria-describedby="{field}-errors"' in tag
        assert f'<ul class="field-errors" id="{field}-errors">' in html
    # The cursor goes to the first field to correct (app.js), not to the channel.
    assert not re.search(r'<input type="radio"[^>]* autofocus', html)


def test_involved_units_are_tick_boxes_and_are_kept(client_for, demo_org):
    _users, units = demo_org
    client = client_for("clerk")
    html = _html(client.get("/petitions/new/"))
    assert "<select" not in re.search(
        r'<fieldset class="field checklist[^"]*" id="id_involved_units".*?</fieldset>', html, re.S
    ).group(0)
    assert f'type="checkbox" name="involved_units" value="{units["HOUSING"].pk}"' in html
    post = letter_post(title="", involved_units=[str(units["HOUSING"].pk), str(units["LABOUR"].pk)])
    again = _html(client.post("/petitions/new/", post))
    for code in ("HOUSING", "LABOUR"):
        assert f'name="involved_units" value="{units[code].pk}" checked' in again
    ok = client.post("/petitions/new/", letter_post(involved_units=[str(units["HOUSING"].pk)]))
    assert ok.status_code == 302


def test_the_category_has_a_search_box(client_for):
    html = _html(client_for("clerk").get("/petitions/new/"))
    assert re.search(
        r'<input type="search" id="id_category_search"[^>]* data-filter-select="id_category"', html
    )
