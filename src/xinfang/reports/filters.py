"""Filters the reports add to the petition list (hooks.petition_list_filters).

A statistics number links to the list "with the same filters": the core list knows status,
channel, category, dates and overdue; these add the handling unit, the involved unit, group and
repeat petitions. Each narrows a queryset that already went through visible_to().
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit
from xinfang.petitions import hooks
from xinfang.petitions.models import InvolvedUnit, Petition
from xinfang.petitions.workflow_models import Assignment, AssignmentStatus

TRUE_WORDS = ("true", "1", "on", "yes")
FALSE_WORDS = ("false", "0", "off", "no")


def parse_unit(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise ValueError(gettext("Not a unit."))
    return int(raw)


def parse_bool(raw: str) -> bool:
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(gettext("Must be true or false."))


def live_assignments():
    """Assignments that still stand (a withdrawn one no longer makes the unit a handler)."""
    return Assignment.objects.exclude(status=AssignmentStatus.WITHDRAWN)


def live_assignments_received(units, after=None, before=None):
    """The live assignments of `units` whose petitions were received between `after` and
    `before` (None: unbounded), read from the index assignment_unit_received: an assignment
    keeps its petition's received_at (workflow_models.Assignment)."""
    rows = live_assignments().filter(unit_id__in=units)
    if after is not None:
        rows = rows.filter(received_at__gte=after)
    if before is not None:
        rows = rows.filter(received_at__lte=before)
    return rows


def _unit_name(raw: str) -> str:
    try:
        return Unit.objects.filter(pk=parse_unit(raw)).values_list("name", flat=True).first() or raw
    except ValueError:
        return raw


def _yes_no(raw: str) -> str:
    try:
        return gettext("yes") if parse_bool(raw) else gettext("no")
    except ValueError:
        return raw


@dataclass(frozen=True)
class ListFilter:
    label: Promise
    parse: object  # callable(raw) -> value, ValueError with the user's message
    apply: object  # callable(queryset, value) -> queryset
    describe: object  # callable(raw) -> what the list shows for the active filter


def _assigned(qs: QuerySet, unit_id: int) -> QuerySet:
    return qs.filter(Exists(live_assignments().filter(petition=OuterRef("pk"), unit_id=unit_id)))


def _involved(qs: QuerySet, unit_id: int) -> QuerySet:
    return qs.filter(Exists(InvolvedUnit.objects.filter(petition=OuterRef("pk"), unit_id=unit_id)))


def _group(qs: QuerySet, value: bool) -> QuerySet:
    return qs.filter(is_group=value)


def _repeat(qs: QuerySet, value: bool) -> QuerySet:
    repeats = Exists(Petition.repeat_of.through.objects.filter(from_petition=OuterRef("pk")))
    return qs.filter(repeats) if value else qs.exclude(repeats)


LIST_FILTERS = {
    # API.md already names `assigned_unit` as a list filter of GET /api/v1/petitions.
    "assigned_unit": ListFilter(_("Handling unit"), parse_unit, _assigned, _unit_name),
    "involved_unit": ListFilter(_("Involved unit"), parse_unit, _involved, _unit_name),
    "group": ListFilter(_("Group petition"), parse_bool, _group, _yes_no),
    "repeat": ListFilter(_("Repeat petition"), parse_bool, _repeat, _yes_no),
}


def register_list_filters() -> None:
    for name, flt in LIST_FILTERS.items():
        hooks.petition_list_filters.register(name, flt)
