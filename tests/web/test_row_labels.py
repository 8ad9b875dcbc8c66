"""Pages that list many rows: the labels a phone shows beside each cell, and the choice labels.

The column names are translated once per table (not once per row) and the choice labels come
from a dictionary built once per field (xinfang.core.choices); both must still say exactly what
the translation catalogue and the choices say, in each language. The expectations are computed
here from gettext and the choices' own labels, not from the code under test.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Petition

pytestmark = pytest.mark.django_db

# Each page and the English names of the columns of its table of rows.
PAGES = {
    "/petitions/": [
        "Number",
        "Received",
        "Channel",
        "Title",
        "Category",
        "Status",
        "First responder",
        "Flags",
    ],
    "/queues/to_propose/": ["Number", "Received", "Channel", "Title", "Status", "Flags"],
    "/outstanding/": ["Number", "Status", "Next due", "First responder", "Title"],
    "/deadlines/?state=due_soon&within_hours=1440": [
        "Number",
        "Deadline",
        "Due",
        "Unit",
        "First responder",
        "Title",
    ],
    "/": ["Number", "Received", "Title", "Status"],
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("path", list(PAGES))
def test_every_cell_is_labelled_with_its_translated_column(path, language, make_petition, client_for):
    make_petition()
    make_petition()
    client = client_for("clerk", HTTP_ACCEPT_LANGUAGE=language)
    html = client.get(path).content.decode()
    with translation.override(language):
        expected = [translation.gettext(name) for name in PAGES[path]]
    table = html[html.rfind("<table", 0, html.index("data-label=")) :]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', table[: table.index("</thead>")])
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") : table.index("</tbody>")], re.S)
    assert headers == expected
    assert len(rows) >= 2, "both petitions are listed"
    for row in rows:
        assert re.findall(r'<td data-label="([^"]*)"', row) == expected


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_are_the_choices_own_in_each_language(language):
    petition = Petition()
    for field, choices in (("status", Status), ("channel", Channel)):
        for member in choices:
            setattr(petition, field, member.value)
            with translation.override(language):
                shown = getattr(petition, f"get_{field}_display")()
                assert shown == str(member.label)
    # A value that is no longer a choice (an old row) shows as stored, as Django's own does.
    petition.status = "retired_status"
    assert petition.get_status_display() == "retired_status"
