"""Issue 9: the petition list's rows written by petitions/list_rows.py instead of a template
per row. Oracle: the row template the list used before, kept here verbatim and rendered by
Django's template engine on the same petitions, in both languages, with and without a
search, with every flag and with text that must be escaped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.list_rows import list_rows, options
from xinfang.petitions.models import Category, Petition

pytestmark = pytest.mark.django_db

# petitions/htmx/results.html's rows before issue 9's round 11, as they were.
OLD_ROWS = Template(
    """{% load i18n %}{% translate "Number" as col_number %}{% translate "Received" as col_received %}"""
    """{% translate "Channel" as col_channel %}{% translate "Title" as col_title %}"""
    """{% translate "Category" as col_category %}{% translate "Status" as col_status %}"""
    """{% translate "First responder" as col_first_responder %}{% translate "Flags" as col_flags %}"""
    """{% for p in rows %}
      <tr>
        <td data-label="{{ col_number }}"><a href="{% url 'petition' p.number %}">{{ p.number }}</a></td>
        <td data-label="{{ col_received }}">{{ p.received_at|date:"Y-m-d H:i" }}</td>
        <td data-label="{{ col_channel }}">{{ p.get_channel_display }}</td>
        <td data-label="{{ col_title }}">{{ p.title }}{% if search_order and p.search_snippet %}<div class="snippet">{{ p.search_snippet }}</div>{% endif %}</td>
        <td data-label="{{ col_category }}">{% if LANGUAGE_CODE == "en" and p.category.name_en %}{{ p.category.name_en }}{% else %}{{ p.category.name }}{% endif %}</td>
        <td data-label="{{ col_status }}"><span class="status status--{{ p.status }}">{{ p.get_status_display }}</span></td>
        <td data-label="{{ col_first_responder }}">{{ p.first_responder.display_name }}</td>
        <td data-label="{{ col_flags }}">
          {% if p.important %}<span class="badge badge--important">{% translate "important" %}</span>{% endif %}
          {% if p.urgent %}<span class="badge badge--urgent">{% translate "urgent" %}</span>{% endif %}
          {% if p.is_overdue %}<span class="badge badge--overdue">{% translate "overdue" %}</span>{% endif %}
        </td>
      </tr>
    {% endfor %}"""
)


def _old(rows, *, language: str, search_order: str) -> str:
    context = {"rows": rows, "search_order": search_order, "LANGUAGE_CODE": language}
    return OLD_ROWS.render(Context(context))


@pytest.fixture
def petitions(make_petition, demo_org):
    users, _units = demo_org
    base = timezone.now() - timedelta(days=3)
    made = [
        make_petition(title="普通事项", received_at=(base + timedelta(minutes=7)).isoformat()),
        make_petition(
            title='<script>alert("x")</script> & 楼上漏水',
            important=True,
            urgent=True,
            received_at=(base - timedelta(days=400, minutes=1)).isoformat(),
            category="labour_social_security",
        ),
        make_petition(title='It\'s "quoted"', category="other"),
    ]
    rows = list(
        Petition.objects.filter(pk__in=[p.pk for p in made]).select_related("category", "first_responder")
    )
    rows[1].channel = "superior"  # a label of its own in both languages
    rows[2].channel = "online"
    rows[0].is_overdue = True
    rows[1].is_overdue = False
    rows[2].is_overdue = True
    rows[2].status = "assigned"  # a status label other than the first's
    # A category without an English name shows its Chinese name in English too.
    rows[2].category = Category(code="x", name="无英文名<b>", name_en="")
    rows[1].first_responder.name = ""  # the user name stands in for an empty display name
    return rows


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_rows_are_what_the_row_template_wrote(petitions, language):
    with translation.override(language):
        expected = _old(petitions, language=language, search_order="")
        assert "".join(list_rows(petitions, searched=False)) == expected


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("order", ["relevance", "newest"])
def test_a_searchs_rows_carry_their_snippets(petitions, language, order):
    petitions[0].search_snippet = mark_safe("…楼上<mark>漏水</mark>…")  # the search's HTML  # noqa: S308
    petitions[1].search_snippet = ""  # a match by a field never shown: no snippet
    petitions[2].search_snippet = "plain <text> & more"  # not marked safe: escaped
    with translation.override(language):
        expected = _old(petitions, language=language, search_order=order)
        got = "".join(list_rows(petitions, searched=True))
    assert got == expected
    assert "<mark>漏水</mark>" in got and "plain &lt;text&gt; &amp; more" in got
    with translation.override(language):  # unsearched, a snippet left on a row is not shown
        assert "".join(list_rows(petitions, searched=False)) == _old(
            petitions, language=language, search_order=""
        )


def test_a_number_reverse_would_quote_goes_through_reverse(petitions):
    petitions[0].number = "信访 2026-1"  # not a number the office issues; shown as reverse() gives it
    petitions[1].number = 'XF-2026-"1"'
    expected = _old(petitions, language="zh-hans", search_order="")
    assert "".join(list_rows(petitions, searched=False)) == expected
    assert "%E4%BF%A1%E8%AE%BF%202026-1" in expected


def test_rows_follow_the_current_time_zone(petitions):
    office = "".join(list_rows(petitions, searched=False))
    with timezone.override("America/New_York"):
        expected = _old(petitions, language="zh-hans", search_order="")
        got = "".join(list_rows(petitions, searched=False))
    assert got == expected
    assert got != office  # twelve or thirteen hours apart: every received time differs


def test_the_list_page_shows_the_rows(client_for, petitions):
    html = client_for("clerk").get("/petitions/").content.decode()
    for p in petitions:
        assert f'<a href="/petitions/{p.number}/">{p.number}</a>' in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 楼上漏水" in html
    assert html.count("<tr>") == 1 + len(petitions)  # the head's row and one per petition


# list.html's loop for a filter's choices before round 11, as it was.
OLD_OPTIONS = Template(
    """{% for code, label in choices %}<option value="{{ code }}"{% if selected == code %} selected{% endif %}>"""
    """{{ label }}</option>{% endfor %}"""
)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_filter_options_are_what_the_loop_wrote(language):
    categories = [("housing", "住房"), ("a&b", 'A "quoted" <b>')]
    with translation.override(language):
        for choices in (Status.choices, Channel.choices, categories):
            for selected in ("", choices[0][0], choices[-1][0], "not-a-code"):
                expected = OLD_OPTIONS.render(Context({"choices": choices, "selected": selected}))
                assert options(choices, selected) == expected
    assert " selected>A &quot;quoted&quot; &lt;b&gt;</option>" in options(categories, "a&b")
