"""The /deadlines/ table's rows as HTML, written in one pass (issue 9).

The clerk's list shows 50 clocks a page; its template resolved about fifteen variables a row
through the template engine's lookup chain (the petition's number twice, its first responder's
name through two relations, the unit's name with a default), a `{% url %}` and two filters:
about 4,800 lookups a page, close to half of the page's Python. Here a row is one format string
filled with values escaped once, and the page reads only the columns the rows show (COLUMNS)
instead of three whole rows (clock, petition, first responder) and the unit for each clock.
The page shows exactly what the template showed (tests/deadlines/test_list_rows.py compares the
two on the same clocks); the table's head and everything around the rows stay in
`deadlines/list.html`.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from xinfang.deadlines.display import clock_label
from xinfang.petitions.list_rows import petition_address

# What rows() reads of a clock, for `.only()`: the page's order also reads due_at and id. Any
# other field read from a row would cost a statement per row (the page's statements are pinned).
COLUMNS = (
    "name",
    "due_at",
    "petition__number",
    "petition__title",
    "petition__first_responder__name",
    "petition__first_responder__username",
    "unit__name",
)

# The row as deadlines/list.html wrote it, whitespace included, so that the page's bytes do not
# change. Every value is escaped before it is put in.
_ROW = (
    "<tr>\n"
    '      <td data-label="{col_number}"><a href="{url}">{number}</a>\n'
    "        {badge}</td>\n"
    '      <td data-label="{col_deadline}">{label}</td>\n'
    '      <td data-label="{col_due}">{due}</td>\n'
    '      <td data-label="{col_unit}">{unit}</td>\n'
    '      <td data-label="{col_first_responder}">{responder}</td>\n'
    '      <td data-label="{col_title}">{title}</td>\n'
    "    </tr>"
)


def rows(clocks, *, overdue: bool) -> SafeString:
    """The `<tr>` of each clock (select_related petition, its first responder and the unit), in
    the request's language and time zone, joined; `overdue`: the list is of overdue clocks, so
    each row carries the badge."""
    labels = {
        "col_number": escape(_("Number")),
        "col_deadline": escape(_("Deadline")),
        "col_due": escape(_("Due")),
        "col_unit": escape(_("Unit")),
        "col_first_responder": escape(_("First responder")),
        "col_title": escape(_("Title")),
    }
    badge = f'<span class="badge badge--overdue">{escape(_("overdue"))}</span>' if overdue else ""
    address = petition_address()
    zone = timezone.get_current_timezone()
    written = []
    for clock in clocks:
        petition = clock.petition
        responder = petition.first_responder
        unit = clock.unit
        written.append(
            _ROW.format(
                **labels,
                url=address(petition.number),
                number=escape(petition.number),
                badge=badge,
                label=escape(clock_label(clock.name)),
                due=clock.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if clock.due_at else "",
                unit=escape(unit.name) if unit is not None and unit.name else "—",
                responder=escape(responder.display_name) if responder is not None else "",
                title=escape(petition.title),
            )
        )
    return mark_safe("".join(written))  # noqa: S308 - every value above is escaped
