"""What a row of /deadlines/ and a clock's label show, in both languages, against tables written
out here: the label of each kind of clock, the due time in the office's time zone to the minute,
the overdue badge (issue 9 moved the labels, the date and the badge out of the per-row work)."""

import html as markup
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from xinfang.deadlines.display import clock_label
from xinfang.petitions.models import Deadline

SH = ZoneInfo("Asia/Shanghai")

LABELS = {
    "handling": ("Handling deadline", "办理期限"),
    "reply": ("Reply deadline", "答复期限"),
    "superior_report": ("Report-to-superior deadline", "上报期限"),
    "transfer": ("Transfer deadline", "转办期限"),
    "assignment:12": ("Assigned unit's due date", "承办单位办理期限"),
    "supervision:3": ("Supervision response due", "督办回复期限"),
    "review": ("Review deadline", "复查期限"),
    "re_review": ("Re-review deadline", "复核期限"),
    "objection": ("Objection deadline", "转办异议期限"),
    "something_else": ("something_else", "something_else"),  # an unknown name is shown as it is
}


@pytest.mark.parametrize("name", LABELS)
def test_clock_label_in_both_languages(name):
    for language, expected in zip(("en", "zh-hans"), LABELS[name], strict=True):
        with translation.override(language):
            assert clock_label(name) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "badge"), [("en", "overdue"), ("zh-hans", "超期")])
def test_overdue_rows(drive, client_for, demo_org, language, badge):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        petition = drive("assigned")
    with time_machine.travel(datetime(2026, 4, 20, 9, 0, tzinfo=SH), tick=False):
        html = client_for("clerk", HTTP_ACCEPT_LANGUAGE=language).get("/deadlines/?state=overdue&scope=all")
        html = html.content.decode()
        clocks = list(
            Deadline.objects.filter(petition=petition, met_at__isnull=True, paused_at__isnull=True).order_by(
                "due_at", "id"
            )
        )
    assert clocks  # the assigned petition's office and unit clocks have run out by then
    rows = re.findall(r"<tr>\s*<td data-label=[^>]*><a href=\"([^\"]+)\">([^<]+)</a>(.*?)</tr>", html, re.S)
    assert len(rows) == len(clocks)
    for (href, number, rest), clock in zip(rows, clocks, strict=True):
        assert href == f"/petitions/{petition.number}/" and number == petition.number
        assert f'<span class="badge badge--overdue">{badge}</span>' in rest
        cells = re.findall(r"<td data-label=\"[^\"]*\">([^<]*)</td>", rest)
        label = LABELS["assignment:12" if clock.name.startswith("assignment:") else clock.name]
        assert markup.unescape(cells[0]) == label[0 if language == "en" else 1]
        assert cells[1] == f"{clock.due_at.astimezone(SH):%Y-%m-%d %H:%M}"


# The rows as deadlines/list.html wrote them with the template engine before list_rows.rows
# (issue 9), kept here as the reference the one-pass rows must equal byte for byte.
_TEMPLATE_ROWS = (
    '{% load i18n deadline_tags petition_tags %}{% translate "Number" as col_number %}'
    '{% translate "Deadline" as col_deadline %}{% translate "Due" as col_due %}'
    '{% translate "Unit" as col_unit %}{% translate "First responder" as col_first_responder %}'
    '{% translate "Title" as col_title %}{% translate "overdue" as overdue_badge %}'
    "{% for d in clocks %}<tr>\n"
    '      <td data-label="{{ col_number }}"><a href="{% url \'petition\' d.petition.number %}">'
    "{{ d.petition.number }}</a>\n"
    '        {% if state == "overdue" %}<span class="badge badge--overdue">{{ overdue_badge }}</span>'
    "{% endif %}</td>\n"
    '      <td data-label="{{ col_deadline }}">{{ d.name|clock_label }}</td>\n'
    '      <td data-label="{{ col_due }}">{{ d.due_at|ymd_hm }}</td>\n'
    '      <td data-label="{{ col_unit }}">{{ d.unit.name|default:"—" }}</td>\n'
    '      <td data-label="{{ col_first_responder }}">{{ d.petition.first_responder.display_name }}</td>\n'
    '      <td data-label="{{ col_title }}">{{ d.petition.title }}</td>\n'
    "    </tr>{% endfor %}"
)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("state", ["overdue", "due_soon"])
def test_rows_in_one_pass_equal_the_template_rows(drive, demo_org, language, state):
    """Office and unit clocks (with and without a unit), a first responder with and without a
    name, a title with markup characters: list_rows.rows writes what the template wrote, reading
    only list_rows.COLUMNS (no statement per row)."""
    from django.db import connection
    from django.template import engines
    from django.test.utils import CaptureQueriesContext

    from xinfang.deadlines import list_rows

    users, _units = demo_org
    petitions = [drive("assigned", title='<b>"拖欠" & 工资</b>'), drive("registered")]
    users["clerk"].name = ""  # shown by username
    users["clerk"].save(update_fields=["name"])
    clocks = Deadline.objects.filter(petition__in=petitions).order_by("due_at", "id")
    assert {c.unit_id is None for c in clocks} == {True, False}
    with translation.override(language):
        expected = (
            engines["django"]
            .from_string(_TEMPLATE_ROWS)
            .render(
                {
                    "clocks": clocks.select_related("petition", "petition__first_responder", "unit"),
                    "state": state,
                }
            )
        )
        with CaptureQueriesContext(connection) as statements:
            written = list_rows.rows(
                clocks.select_related("petition__first_responder", "unit").only(*list_rows.COLUMNS),
                overdue=state == "overdue",
            )
    assert written == expected
    assert len(statements) == 1
