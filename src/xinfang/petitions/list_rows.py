"""The petition list's table rows and filter choices as HTML, written in one pass (issue 9).

The list page is read all day; its rows were the largest part of its template: per row a
`{% url %}` (a reverse with its resolver lookups), a `date` filter (Django's DateFormat), two
choice labels, the category's language test, the first responder and three flags, each
variable resolved through the template engine's lookup chain — about 200 Python calls a row,
5,000 for a page of 25. Here a row is one format string filled with values escaped once; the
page shows exactly what the template showed (tests/web/test_list_rows.py compares the two
on the same petitions). The table's head and everything around the rows stay in
`petitions/htmx/results.html`.

The one address per row is built from a single reverse() of the petition page: a petition
number is letters, digits and hyphens, which reverse() leaves as they are; any other number
goes through reverse() itself.
"""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Characters reverse() leaves unquoted in a path segment, the only ones the fast path takes.
_PLAIN = re.compile(r"[A-Za-z0-9._~-]+")
_PLACEHOLDER = "XF-0000-000000"

# What list_rows reads of a petition (selectors.list_page's `columns`): the fields below, and
# mark_overdue and the page's keys read the id and received_at. Any other field read from a row
# would cost a statement per row (tests/web/test_pages.py pins the page's statements).
COLUMNS = (
    "number",
    "received_at",
    "channel",
    "title",
    "status",
    "important",
    "urgent",
    "category__name",
    "category__name_en",
    "first_responder__name",
    "first_responder__username",
)

# The row as petitions/htmx/results.html wrote it, whitespace included, so that the page's
# bytes do not change. Every value is escaped before it is put in.
_ROW = (
    "\n      <tr>\n"
    '        <td data-label="{col_number}"><a href="{url}">{number}</a></td>\n'
    '        <td data-label="{col_received}">{received}</td>\n'
    '        <td data-label="{col_channel}">{channel}</td>\n'
    '        <td data-label="{col_title}">{title}{snippet}</td>\n'
    '        <td data-label="{col_category}">{category}</td>\n'
    '        <td data-label="{col_status}"><span class="status status--{status}">{status_label}</span></td>\n'
    '        <td data-label="{col_first_responder}">{responder}</td>\n'
    '        <td data-label="{col_flags}">\n'
    "          {important}\n"
    "          {urgent}\n"
    "          {overdue}\n"
    "        </td>\n"
    "      </tr>\n    "
)


def petition_address():
    """number -> the petition page's address, escaped for an attribute."""
    prefix, _sep, suffix = reverse("petition", args=[_PLACEHOLDER]).partition(_PLACEHOLDER)
    prefix, suffix = escape(prefix), escape(suffix)

    def address(number: str) -> str:
        if _PLAIN.fullmatch(number):
            return f"{prefix}{number}{suffix}"
        return escape(reverse("petition", args=[number]))

    return address


def _category_name(category, english: bool) -> str:
    if category is None:
        return ""
    return escape(category.name_en if english and category.name_en else category.name)


def list_rows(petitions, *, searched: bool) -> list[SafeString]:
    """The `<tr>` of each petition (with `is_overdue` set, selectors.mark_overdue), in the
    request's language and time zone. `searched`: the list is a search's, so a row shows its
    `search_snippet` (HTML, selectors.search_snippets) under the title."""
    english = get_language() == "en"
    labels = {
        "col_number": escape(_("Number")),
        "col_received": escape(_("Received")),
        "col_channel": escape(_("Channel")),
        "col_title": escape(_("Title")),
        "col_category": escape(_("Category")),
        "col_status": escape(_("Status")),
        "col_first_responder": escape(_("First responder")),
        "col_flags": escape(_("Flags")),
    }
    important = f'<span class="badge badge--important">{escape(_("important"))}</span>'
    urgent = f'<span class="badge badge--urgent">{escape(_("urgent"))}</span>'
    overdue = f'<span class="badge badge--overdue">{escape(_("overdue"))}</span>'
    address = petition_address()
    rows = []
    for p in petitions:
        category = p.category
        responder = p.first_responder
        snippet = getattr(p, "search_snippet", "") if searched else ""
        rows.append(
            mark_safe(  # noqa: S308 - every value below is escaped
                _ROW.format(
                    **labels,
                    url=address(p.number),
                    number=escape(p.number),
                    received=timezone.localtime(p.received_at).strftime("%Y-%m-%d %H:%M"),
                    channel=escape(p.get_channel_display()),
                    title=escape(p.title),
                    # search_snippet is HTML already (the search's mark(): terms in <mark>).
                    snippet=f'<div class="snippet">{conditional_escape(snippet)}</div>' if snippet else "",
                    category=_category_name(category, english),
                    status=escape(p.status),
                    status_label=escape(p.get_status_display()),
                    responder=escape(responder.display_name) if responder is not None else "",
                    important=important if p.important else "",
                    urgent=urgent if p.urgent else "",
                    overdue=overdue if p.is_overdue else "",
                )
            )
        )
    return rows


def options(choices, selected: str) -> SafeString:
    """The `<option>`s of a filter's `<select>`, `selected` marked: what list.html's loop wrote
    per choice (about 60 Python calls each, 35 choices on every full page) in one join."""
    return mark_safe(  # noqa: S308 - codes and labels are escaped
        "".join(
            f'<option value="{escape(code)}"{" selected" if selected == code else ""}>{escape(label)}</option>'
            for code, label in choices
        )
    )
