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
