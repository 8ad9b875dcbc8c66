"""Reads of petitions. Every one starts from `Petition.objects.visible_to(user)`."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from xinfang.audit.access import record
from xinfang.audit.models import Event, Outcome
from xinfang.core.errors import InvalidInput
from xinfang.core.lookups import among
from xinfang.core.statements import Clock
from xinfang.petitions import hooks
from xinfang.petitions.choices import OPEN_STATUSES, Channel, Status
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import (
    Assignment,
    Deadline,
    InvolvedPerson,
    InvolvedUnit,
    Petition,
    Petitioner,
    clock_overdue,
)
from xinfang.petitions.paging import (
    COUNT_CAP,
    KEY_ORDER,
    KeysetPage,
    keyset_page,
    typed_deep,
)
from xinfang.petitions.references import hide_hidden_references
from xinfang.petitions.workflow_models import (
    AssignmentStatus,
    Coordination,
    Instruction,
    PersuasionRecord,
    PoliceReferral,
    Proposal,
    Reply,
    Report,
    Result,
    Signoff,
)

MAX_QUERY_LENGTH = 100


def _plausible(number) -> bool:
    """Could this be a petition number at all (anything else is simply not found)?"""
    return isinstance(number, str) and len(number) <= 32


def _refuse(user, number) -> None:
    """Not visible: log the refusal when the petition exists (a probe or a leak attempt),
    then answer exactly as for a petition that does not exist."""
    if _plausible(number) and Petition.objects.filter(number=number).exists():
        record("petition.read", outcome=Outcome.DENIED, object_type="petition", object_ref=number, user=user)
    raise Http404


def get_visible_petition(user, number: str, *, for_update: bool = False) -> Petition:
    """The petition `number` if `user` may see it; Http404 otherwise, the same for
    missing and hidden (nothing to learn from the answer)."""
    qs = Petition.objects.visible_to(user)
    if for_update:
        qs = qs.select_for_update()
    petition = qs.filter(number=number).first() if _plausible(number) else None
    if petition is None:
        _refuse(user, number)
    return petition


def petition_detail(user, number: str, *, records: bool = False) -> Petition:
    """One visible petition with everything its API answer shows, in a fixed number of
    queries; with `records`, what the petition page shows: also the procedure's records and
    the merged-into reference, and each relation that is often empty (_page_relations, and
    those capabilities show: hooks.petition_page_relations) read only when it has rows, as
    the petition's own statement finds (present_rows; has_rows then answers for each).

    The petition is read by the primary key of the one visible petition with this number (a
    subquery through visible_to), not with the read policy's conditions among its joins: planned
    together, the policy's two anti-joins and the joined tables made a join order search of
    seven or eight relations, 8-17 ms of PostgreSQL's planning on every view (issue 9, round
    10); as a subquery the policy is planned on its own."""
    visible = Petition.objects.visible_to(user)
    qs = Petition.objects.select_related(
        "category", "first_responder", "superior_unit", "reception"
    ).prefetch_related(
        Prefetch("petitioners", queryset=Petitioner.objects.order_by("position")),
        Prefetch("deadlines", queryset=Deadline.objects.order_by("due_at")),
    )
    optional = _page_relations(user, records=records)
    if records:
        names = (*optional, *hooks.petition_page_relations.values())
        qs = qs.annotate(present=present_rows(names))
    else:
        qs = qs.prefetch_related(*(lookup for lookups in optional.values() for lookup in lookups))
    petition = None
    if _plausible(number):
        # Unordered (one row at most): `.first()` compiled the list's ordering for nothing.
        found = qs.filter(pk=Subquery(visible.filter(number=number).order_by().values("pk"))).order_by()
        petition = next(iter(found[:1]), None)
    if petition is None:
        _refuse(user, number)
    if records:
        present = {name for bit, name in enumerate(names) if petition.present & (1 << bit)}
        petition.relations_with_rows = {name: name in present for name in names}
        for name in optional.keys() - present:
            _none_prefetched(petition, name)
        prefetch_related_objects(
            [petition],
            *(lookup for name, lookups in optional.items() if name in present for lookup in lookups),
        )
        # The petition it was merged into, by number only when the reader may see that one (a
        # statement of its own, for merged petitions only: joined and tested in the petition's
        # statement it cost every view a second petition row and the policy's subquery).
        petition.merged_into_number = None
        if petition.merged_into_id:
            merged = visible.filter(pk=petition.merged_into_id).order_by().values_list("number", flat=True)
            petition.merged_into_number = next(iter(merged), None)
        # Numbers this reader may see, read through visible_to just now: its timeline need not
        # ask about them again (visible_timeline).
        seen = {petition.number, petition.merged_into_number, *(p.number for p in petition.repeat_of.all())}
        petition.visible_references = (user, frozenset(seen - {None}))
    record("petition.view", object_type="petition", object_ref=petition.number, user=user)
    return petition


def _page_relations(user, *, records: bool) -> dict[str, list]:
    """The relations of a petition that are often empty, each with what is read of it (lookups
    for prefetch_related_objects): no assignment before a petition is assigned, no party
    involved, repeat link or attachment in most; with `records`, the eight kinds of procedure
    record (a registered petition has none)."""
    relations = {
        "assignments": [
            Prefetch(
                "assignments", queryset=Assignment.objects.select_related("unit", "handler").order_by("id")
            )
        ],
        # References to other petitions pass the read policy too (references.py, Rule 4.3).
        "repeat_of": [Prefetch("repeat_of", queryset=Petition.objects.visible_to(user).only("id", "number"))],
        "involved_units": [Prefetch("involved_units", queryset=InvolvedUnit.objects.select_related("unit"))],
        "involved_persons": [
            Prefetch("involved_persons", queryset=InvolvedPerson.objects.select_related("unit", "user"))
        ],
        "attachments": ["attachments"],
    }
    if records:
        relations.update({name: lookups for name, (_model, lookups) in _PROCEDURE_RECORDS.items()})
    return relations


def has_rows(petition: Petition, relation: str) -> bool:
    """Whether `relation` (a reverse relation of Petition, or repeat_of) has rows for this
    petition, as the petition page's statement found (petition_detail with `records`); True
    when that was not asked, so that the caller reads it."""
    return getattr(petition, "relations_with_rows", {}).get(relation, True)


def _relation_rows(name: str) -> tuple[str, str]:
    """The table holding the rows of Petition's relation `name` and its column naming the petition."""
    field = Petition._meta.get_field(name)
    if field.many_to_many:  # repeat_of: its link table
        return field.m2m_db_table(), field.m2m_column_name()
    return field.related_model._meta.db_table, field.field.column


@functools.cache
def _present_sql(names: tuple[str, ...]) -> str:
    qn = connection.ops.quote_name
    petition = f"{qn(Petition._meta.db_table)}.{qn(Petition._meta.pk.column)}"
    # Table and column names from the models' metadata, quoted; no value of a request in it.
    return " + ".join(
        f"CASE WHEN EXISTS (SELECT 1 FROM {qn(table)} WHERE {qn(table)}.{qn(column)} = {petition}) "  # noqa: S608
        f"THEN {1 << bit} ELSE 0 END"
        for bit, (table, column) in enumerate(map(_relation_rows, names))
    )


def present_rows(names: tuple[str, ...]) -> RawSQL:
    """Which of the relations `names` have rows, as one number (bit i: names[i] has some), for
    the petition read by the statement it annotates: one EXISTS probe of each relation's index.
    Written as SQL once per process: as a dozen Exists() expressions the ORM built and compiled
    them on every view, about 700 Python function calls each. It names the petition table by
    its own name, so it annotates only a statement reading petitions at the top level (not one
    used as a subquery)."""
    return RawSQL(_present_sql(names), (), output_field=IntegerField())  # noqa: S611  (names only, see above)


def _none_prefetched(petition: Petition, name: str) -> None:
    """Mark the relation `name` as read and empty, as prefetch_related leaves a relation that
    found no rows: `petition.<name>.all()` then answers [] without a query."""
    empty = getattr(petition, name).all()
    empty._result_cache = []
    empty._prefetch_done = True
    petition.__dict__.setdefault("_prefetched_objects_cache", {})[name] = empty


# The procedure's records (Rule 3), each with the people and units it names: the related name →
# its model and what the page reads of it.
_PROCEDURE_RECORDS = {
    "proposals": (Proposal, [Prefetch("proposals", queryset=Proposal.objects.select_related("by"))]),
    "instructions": (
        Instruction,
        [Prefetch("instructions", queryset=Instruction.objects.select_related("leader"))],
    ),
    "results": (
        Result,
        [
            Prefetch("results", queryset=Result.objects.select_related("submitted_by", "assignment__unit")),
            Prefetch(
                "results__signoffs", queryset=Signoff.objects.select_related("user").order_by("at", "id")
            ),
        ],
    ),
    "replies": (Reply, [Prefetch("replies", queryset=Reply.objects.select_related("by"))]),
    "reports": (
        Report,
        [Prefetch("reports", queryset=Report.objects.select_related("drafted_by", "approved_by"))],
    ),
    "coordinations": (
        Coordination,
        [
            Prefetch(
                "coordinations",
                queryset=Coordination.objects.select_related("lead_unit", "by").order_by("at"),
            ),
            "coordinations__units",
        ],
    ),
    "persuasions": (
        PersuasionRecord,
        [
            Prefetch(
                "persuasions", queryset=PersuasionRecord.objects.select_related("by").order_by("at", "id")
            )
        ],
    ),
    "police_referrals": (
        PoliceReferral,
        [Prefetch("police_referrals", queryset=PoliceReferral.objects.select_related("unit", "by"))],
    ),
}


def timeline(petition: Petition) -> QuerySet[Event]:
    # Every event is appended after the petition is saved (audit/services.append_event takes
    # the time then); the lower bound lets PostgreSQL skip the months before it instead of
    # probing each monthly partition (docs/scaling.md). A day of slack for clocks.
    since = petition.created_at - timedelta(days=1)
    return Event.objects.filter(petition=petition, at__gte=since).select_related("actor").order_by("seq")


def visible_timeline(user, petition: Petition) -> list[Event]:
    """The timeline as `user` may read it: numbers of petitions hidden from them are
    taken out of the events' data (references.py). The numbers petition_detail has read for
    this same user through visible_to (the petition's own, its visible repeat links, the one it
    was merged into) are not asked about again: a repeat's registration names its earlier
    petitions, which the page had just read."""
    known = getattr(petition, "visible_references", None)
    visible = known[1] if known is not None and known[0] is user else ()
    return hide_hidden_references(user, timeline(petition), visible=visible)


@dataclass
class PetitionFilters:
    status: str = ""
    channel: str = ""
    category: str = ""
    q: str = ""
    received_after: datetime | None = None
    received_before: datetime | None = None
    overdue: bool = False
    mine: bool = False
    # Filters capabilities registered in hooks.petition_list_filters: parameter -> parsed value.
    extra: dict = field(default_factory=dict)


def _as_datetime(value: str, *, end: bool) -> datetime | None:
    # A bare date first: parse_datetime accepts "2026-03-31" as midnight, which made
    # received_before drop the whole last day.
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        parsed = datetime.combine(day, datetime.max.time() if end else datetime.min.time())
    else:
        parsed = parse_datetime(value)
        if parsed is None:
            return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=office_tz())
    return parsed


def parse_filters(params) -> PetitionFilters:
    """Filters from query parameters; InvalidInput on values that mean nothing."""
    errors: dict[str, list] = {}
    f = PetitionFilters()
    status = params.get("status", "").strip()
    if status and status not in Status.values and status != "open":
        errors["status"] = [_("Unknown status.")]
    f.status = status
    channel = params.get("channel", "").strip()
    if channel and channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    f.channel = channel
    f.category = params.get("category", "").strip()[:32]
    q = params.get("q", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = [_("At most %(max)d characters.") % {"max": MAX_QUERY_LENGTH}]
    f.q = q.replace("\x00", "")
    for name, end in (("received_after", False), ("received_before", True)):
        raw = params.get(name, "").strip()
        if raw:
            try:
                value = _as_datetime(raw, end=end)
            except ValueError:
                value = None
            if value is None:
                errors[name] = [_("Not a valid date (use YYYY-MM-DD).")]
            setattr(f, name, value)
    for name in ("overdue", "mine"):
        raw = params.get(name, "").strip().lower()
        if raw in ("true", "1", "on", "yes"):
            setattr(f, name, True)
        elif raw not in ("", "false", "0", "off", "no"):
            errors[name] = [_("Must be true or false.")]
    _parse_extra_filters(params, f, errors)
    if errors:
        raise InvalidInput(errors)
    return f


def _parse_extra_filters(params, f: PetitionFilters, errors: dict) -> None:
    for name, flt in hooks.petition_list_filters.items():
        raw = str(params.get(name, "")).strip()
        if not raw:
            continue
        try:
            f.extra[name] = flt.parse(raw)
        except ValueError as exc:
            errors[name] = [str(exc)]


def petition_list(user, filters: PetitionFilters, *, walk: bool = False) -> QuerySet[Petition]:
    """The visible petitions the filters select, newest first (by relevance with `q`).
    `walk`: the search is known to match many rows and is read newest first (list_page), so
    it is asked to check each petition in index order rather than probe its index."""
    return _searched(user, _filtered(user, filters), filters, walk=walk)


def _searched(
    user, qs: QuerySet, filters: PetitionFilters, *, walk: bool = False, units=False, rank: bool = True
) -> QuerySet:
    """`qs` (_filtered) narrowed by the search `q` and ordered as petition_list orders it.
    `units`: the reader's handler_unit_ids when the caller has them already. `rank=False`:
    newest first even with `q` (no relevance computed), for the capped count and the
    newest-first page, which order otherwise or not at all."""
    order = ("-received_at", "-id")
    searcher = hooks.petition_search.get("search")
    if filters.q and searcher is not None:
        # The search capability narrows the (already visible, filtered) rows and ranks them.
        # A handling officer's units let the index narrow its probe to their documents (the
        # visible rows above still decide): a common term then reads their few matches, not
        # the office's.
        if units is False:
            units = Petition.objects.handler_unit_ids(user)
        qs = searcher.filter(qs, filters.q, walk=walk, units=units, rank=rank)
        if rank:
            order = ("-search_rank", *order)
    elif filters.q:
        qs = qs.filter(_text_match(filters.q))
    # No overdue flag here: as an EXISTS per row PostgreSQL hashes every overdue clock
    # to decorate one page. The caller marks the page's rows (mark_overdue).
    return qs.select_related("category", "first_responder").order_by(*order)


def _filtered(user, filters: PetitionFilters) -> QuerySet[Petition]:
    """The visible petitions every filter but `q` selects, unordered."""
    qs = Petition.objects.visible_to(user)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    if filters.received_after:
        qs = qs.filter(received_at__gte=filters.received_after)
    if filters.received_before:
        qs = qs.filter(received_at__lte=filters.received_before)
    if filters.mine:
        qs = qs.filter(first_responder=user)
    if filters.overdue:
        qs = qs.filter(Exists(overdue_deadlines().filter(petition=OuterRef("pk"))))
    for name, value in filters.extra.items():
        qs = hooks.petition_list_filters.get(name).apply(qs, value)
    return qs


# A search is ranked by relevance only up to this many matches (docs/search.md, "Bounded
# searches"): ranking sorts every match and the count read up to COUNT_CAP + 1 of them, so
# a common term (补偿: 10,000+ at 616,000 petitions) cost 1–4 s. Above it the list is newest
# first, which the database reads in index order and stops after a page, paged by key
# like the unsearched list; the count then says "more than" this number.
SEARCH_RANK_LIMIT = 1_000


@dataclass
class ListPage:
    page: KeysetPage
    cap: int  # the count is exact up to this number, "more than" it beyond
    order: str  # "" without a search; with one, "relevance" or "newest"


def list_page(
    user, filters: PetitionFilters, params, *, per_page: int, exact: bool = False, columns: tuple = ()
) -> ListPage:
    """One page of the petition list (the page and the API). With a search the count stops
    at SEARCH_RANK_LIMIT + 1 and decides the order: relevance when it is exact, newest first
    beyond. The same rows match either way, and every one stays reachable by paging.
    `exact`: an unsearched list is counted exactly (the API's contract) instead of to COUNT_CAP.
    `columns`: without a search, the page's rows are read with these fields only (`only()`):
    the HTML list shows a dozen of the petition's, its first responder's and category's columns,
    and reading every column (the letter's whole text and requests, the user's password hash)
    cost transfer and Python for nothing. A search's snippets read the text: all columns."""
    searcher = hooks.petition_search.get("search")
    if filters.q and searcher is not None:
        return _searched_page(user, filters, searcher, params, per_page=per_page)
    qs = petition_list(user, filters)
    if columns:
        qs = qs.only(*columns)
    # A handling officer's unfiltered list: their units' live assignments, built once for the
    # count and the page's keys (None for every other reader and for a filtered list).
    live = Petition.objects.handled_assignments(user) if filters == PetitionFilters() else None
    # A page typed far down is located from the list's index: read it now and count with it.
    cap = None if exact else COUNT_CAP
    count, locate = list_count(user, filters, qs, cap=cap, deep=typed_deep(params, per_page), live=live)
    if cap is None:
        cap = count
    # A handling officer (their units' few petitions among many) has their page's ids read first;
    # whether the reader is one is all that is asked here, not their assignments' queryset.
    sparse = Petition.objects.handler_unit_ids(user) is not None
    keys = _handled_list_keys(live) if live is not None else None
    page = keyset_page(
        qs, params, per_page=per_page, count=count, cap=cap, locate=locate, sparse=sparse, keys=keys
    )
    return ListPage(page=page, cap=cap, order="")


def _handled_list_keys(live: QuerySet) -> QuerySet:
    """A handling officer's unfiltered list as keys, (received_at, petition id) along their
    units' live assignments (the index assignment_unit_received, in the list's own order): every
    page of it, the first, a "next" or "previous" link's and a typed one's, is a range of that
    index, and its rows are then read by id through visible_to. Walking the petitions newest
    first instead tested each for a live assignment of the unit: for the housing bureau's first
    page at 10^5, 1,430 petitions probed for 26 rows (11 ms, 0.2 ms along the index), and more
    the smaller the unit's share. Exactly the petitions handled_ids counts (the firewall's
    involvements excluded there, as in visible_to); a petition assigned to two of the units is
    one key (DISTINCT). `live`: the officer's handled_assignments."""
    return live.values_list("received_at", "petition_id").distinct().order_by("-received_at", "-petition_id")


def _searched_page(user, filters: PetitionFilters, searcher, params, *, per_page: int) -> ListPage:
    """The search's matches are found once, up to SEARCH_RANK_LIMIT + 1 ids (what the count
    read anyway). At most the limit: those ids are ranked and the page read by id, so the
    search (document recheck, Rule 4.3 checks on every match) is not walked a second time for
    the page — for a handling officer, whose few matches hide among many documents, that
    second walk was half the time. Beyond the limit: newest first by key (docs/search.md).
    The visible, filtered rows (`listed`) are built once and narrowed for each statement:
    building the read policy's conditions costs more Python than some of the statements."""
    cap = SEARCH_RANK_LIMIT
    units = Petition.objects.handler_unit_ids(user)
    listed = _filtered(user, filters)
    found = _found(user, filters, listed, searcher, cap=cap, units=units)
    count = len(found)
    if count > cap:
        # Many matches: walking the petitions newest first finds a page of them after a few
        # hundred rows. Asked with the index probe, PostgreSQL misjudges a phrase's bigrams as
        # independent (拖欠工资: 58 rows expected, 27,971 found), fetches every match and
        # sorts them (2 s at 616,000 petitions).
        qs = _searched(user, listed, filters, walk=True, units=units, rank=False).order_by(*KEY_ORDER)
        keys = _handled_keys(qs, units) if units else _newest_keys(searcher, filters, listed)
        page = keyset_page(qs, params, per_page=per_page, count=count, cap=cap, keys=keys)
        return ListPage(page=page, cap=cap, order="newest")
    if not found:  # nothing to rank nor to read (keyset_page reads nothing for a count of 0)
        qs = _searched(user, listed, filters, units=units)
        return ListPage(
            page=keyset_page(qs, params, per_page=per_page, count=0, cap=cap), cap=cap, order="relevance"
        )
    # Still through visible_to (Rule 4.3): the ids are re-checked, one index probe each.
    ranked = searcher.annotate(_among(listed, found), filters.q)
    ranked = ranked.select_related("category", "first_responder").order_by("-search_rank", *KEY_ORDER)
    page = keyset_page(ranked, params, per_page=per_page, count=count, cap=cap)
    return ListPage(page=page, cap=cap, order="relevance")


# A handling officer's search first reads up to SEARCH_RANK_LIMIT + 1 + this many matching ids
# from the index (_found): room for matches the read policy then hides (Rule 4.3), so that
# the one statement nearly always settles the count.
FOUND_SLACK = 100


def _newest_keys(searcher, filters: PetitionFilters, listed: QuerySet) -> QuerySet | None:
    """An office-wide reader's unfiltered searched list, newest first: the page's keys from the
    searcher, which can read them along its documents in the list's order (search.query.
    newest_keys), each match tested against `listed` (visible_to); None where it cannot (the
    page then walks the petitions). A filtered list walks the petitions: the documents know
    nothing of a status or a category, and a walk along them would pass over the rows the
    filter drops as well as those the terms do."""
    newest = getattr(searcher, "newest_keys", None)
    if newest is None or filters != PetitionFilters(q=filters.q):
        return None
    return newest(filters.q, among=listed)


def _found(user, filters: PetitionFilters, listed: QuerySet, searcher, *, cap: int, units) -> list[int]:
    """The ids of up to `cap` + 1 petitions of the searched list, in no order. `listed`: the
    visible petitions the other filters select (_filtered).

    A handling officer's (`units`), where the index keeps their units (PostgreSQL): their
    units' documents holding the terms, each tested against `listed` (visible_to and the
    list's filters) as the index probe meets it, in one statement that stops at `cap` + 1
    (searcher.visible_ids). Asked as `listed` narrowed by the search, PostgreSQL hashed every
    live assignment of the unit and read every matching document before the LIMIT: a cost
    growing with the unit (2,800 assignments at 10⁵, tens of thousands at 10⁶). A phone or ID
    number (petitioners, not documents): the matches among their units' documents read from
    the index alone (searcher.matching_ids), then those ids through `listed` by primary key;
    should the index hand over its whole limit and the policy or the filters keep too few of
    them, these cannot tell the count, and the one statement is asked after all."""
    if units:
        # One statement where the searcher can test each document against `listed` as its
        # index probe meets it (search.query.visible_ids): exact, and it stops at `cap` + 1.
        visible = getattr(searcher, "visible_ids", None)
        found = visible(filters.q, limit=cap + 1, units=units, among=listed) if visible else None
        if found is not None:
            return found
    matching = getattr(searcher, "matching_ids", None)
    if units and matching is not None:
        limit = cap + 1 + FOUND_SLACK
        ids = matching(filters.q, limit=limit, units=units)
        if ids is not None:
            rows = _among(listed, ids) if ids else listed.none()
            found = list(rows.order_by().values_list("pk", flat=True)[: cap + 1])
            if len(found) > cap or len(ids) < limit:
                return found
    qs = _searched(user, listed, filters, units=units, rank=False)
    ids = qs.order_by().values_list("pk", flat=True)[: cap + 1]
    # An office-wide reader's unfiltered search of a common term: "more than `cap`" proven from
    # a sample of the index (search.query.more_than), whose cost does not grow with the office
    # as the whole posting list's does; a rare term's ids read exactly in the same statement.
    # Only whether there are more than `cap` is read from a sample, and every id of it is a
    # visible match, so a proof is as good as the count. None: read the count itself.
    sample = getattr(searcher, "more_than", None)
    if sample is not None and not units and filters == PetitionFilters(q=filters.q):
        proven = sample(ids, filters.q, cap)
        if proven is not None:
            return proven
    # The searcher may read these with more room for its index probe (search.query.read_ids:
    # a common term's bitmap kept exact at 10^6 petitions); the same rows either way.
    read = getattr(searcher, "read_ids", None)
    return read(ids) if read is not None else list(ids)


def _among(qs: QuerySet[Petition], ids: list[int]) -> QuerySet[Petition]:
    """`qs` narrowed to the petitions `ids` (up to SEARCH_RANK_LIMIT + 1 + FOUND_SLACK). On
    PostgreSQL as one array parameter, `id = ANY(…)`: as `pk__in` each id was a placeholder of
    its own, which the driver rewrote and the server planned one by one (for a thousand ids
    about a fifth of a search's Python time, and milliseconds of planning)."""
    return among(qs, "pk", ids)


def _handled_keys(qs: QuerySet, units: list[int]) -> QuerySet:
    """The (received_at, petition id) keys of the rows of `qs` (a handling officer's searched
    list walked newest first), read along their units' live assignments by the index
    assignment_unit_received, each petition checked against `qs` as it is met, until a page
    is found. Walking the petitions themselves met some thirty the officer does not see for
    each one they do (their unit holds a few percent of the office's petitions), so a term
    found in one of the unit's petitions in twenty walked 18,000 petitions for a page at
    10⁶. Every petition of `qs` has a live assignment to one of `units` (visible_to), and a
    petition assigned to two of them is one key (DISTINCT)."""
    live = Assignment.objects.filter(unit_id__in=units).exclude(status=AssignmentStatus.WITHDRAWN)
    keys = live.filter(petition_id__in=qs.order_by().values("pk")).values_list("received_at", "petition_id")
    return keys.distinct().order_by("-received_at", "-petition_id")


def list_count(
    user, filters: PetitionFilters, qs: QuerySet, *, cap: int | None, deep: bool = False, live=None
) -> tuple[int, object]:
    """The number of petitions of `qs` (petition_list(user, filters)), exact up to `cap` (None:
    exact), and the `locate` for a typed page number (paging.keyset_page).

    Unfiltered, the first `cap` + 1 rows are the newest, read in index order: a constant cost,
    so the index (whose cost grows with the months of data) is read only for an exact count.
    Filtered, the rows may be scattered over the years (a category of 2 %: half the petitions
    walked for 10,001 rows), and the index counts them from the statistics summary. A handling
    officer's unfiltered list is counted from their units' assignments (handled_ids), and for a
    deep page from the summary's rows of their units (the index again). `deep`:
    the page asked for will be located, so the index is read anyway. `live`: the reader's
    handled_assignments when the caller has built them already."""
    unfiltered = filters == PetitionFilters()
    handled = Petition.objects.handled_ids(user, live=live) if unfiltered else None
    # A handling officer's index subtracts the firewall's petitions among their assignments,
    # counted live: for a unit involved in many petitions that costs what their exact count
    # costs (docs/benchmarks.md), so it is read only to locate a deep page.
    wanted = deep or (handled is None and (cap is None or not unfiltered))
    index = list_index(user, filters) if wanted else None
    if index:
        return index.count, index.locate
    locate = _locator(user, filters)
    if handled is not None:
        return (handled if cap is None else handled[: cap + 1]).count(), locate
    if cap is None:
        return qs.count(), locate
    return count_all({"petitions": qs}, cap=cap)["petitions"], locate


def list_index(user, filters: PetitionFilters):
    """The list's exact count and row finder from a capability (hooks.petition_list_index), or
    None: then the list counts and pages over the petitions themselves."""
    finder = hooks.petition_list_index.get("index")
    return finder(user, filters) if finder is not None and not filters.q else None


def _locator(user, filters: PetitionFilters):
    """The index's `locate`, the index read only when a deep page asks for it (a handling
    officer's unfiltered list too: its keys, _handled_list_keys, are then read from the month
    the index finds the page in)."""

    def locate(offset: int):
        index = list_index(user, filters)
        return index.locate(offset) if index else None

    return locate


def mark_overdue(petitions) -> list[Petition]:
    """Set `is_overdue` on these petitions (a page) and return them as a list: one
    query over their ids, which only the per-petition clock index can answer.

    Only `petition_id IN (...)` goes to the database; whether each clock is overdue
    is decided here (clock_overdue, Deadline.is_overdue's test, as overdue_deadlines). With
    the date conditions in SQL, a planner without statistics (SQLite before ANALYZE)
    read every running overdue clock through the by-date indexes instead: 2.3–6 s a
    page at 10^5 petitions. A page's petitions have a handful of clocks each."""
    rows = list(petitions)
    late = set()
    if rows:
        now = timezone.now()
        clocks = (
            Deadline.objects.filter(petition__in=[p.pk for p in rows])
            .values_list("petition_id", "met_at", "paused_at", "due_at")
            .order_by()
        )
        late = {clock[0] for clock in clocks if clock_overdue(*clock[1:], now)}
    for petition in rows:
        petition.is_overdue = petition.pk in late
    return rows


def search_snippets(petitions, q: str) -> None:
    """Give each petition of a page `search_highlight` (plain text) and `search_snippet`
    (HTML with the terms marked) when a search capability is installed and `q` is set."""
    searcher = hooks.petition_search.get("search")
    for petition in petitions:
        text = searcher.highlight(petition, q) if (searcher and q) else ""
        petition.search_highlight = text
        petition.search_snippet = searcher.mark(text, q) if text else ""


def _text_match(q: str) -> Q:
    """Search in the number, title, problem and requests. Each word must match."""
    condition = Q()
    for word in q.split()[:8]:
        condition &= (
            Q(number__iexact=word)
            | Q(title__icontains=word)
            | Q(content__icontains=word)
            | Q(requests__icontains=word)
        )
    return condition


def overdue_deadlines() -> QuerySet[Deadline]:
    """Open, running (not paused) clocks past their end: read from the indexed columns."""
    return Deadline.objects.filter(met_at__isnull=True, paused_at__isnull=True, due_at__lt=timezone.now())


def my_work_counts(user) -> dict[str, QuerySet]:
    """The home page's "my work" numbers, as querysets for count_all."""
    visible = Petition.objects.visible_to(user)
    return {
        "open_as_first_responder": visible.filter(first_responder=user, status__in=OPEN_STATUSES),
        "registered": visible.filter(status=Status.REGISTERED),
        "open": visible.filter(status__in=OPEN_STATUSES),
        # The petition's next running deadline has passed (derived.py): a range of the open
        # petitions' index petition_open_next_due, not an EXISTS over clocks per petition.
        # A Clock: the home page keeps this statement and fills the time in on each request.
        "overdue": visible.filter(status__in=OPEN_STATUSES, next_due_at__lt=Clock(timezone.now())),
    }


# What the home page's table of my recent open petitions shows (petitions/home.html).
RECENT_COLUMNS = ("number", "received_at", "title", "status")


def my_work(user, counts: dict[str, int] | None = None) -> dict:
    """The home page's counts for the signed-in user (`counts`: already counted)."""
    numbers = counts if counts is not None else count_all(my_work_counts(user))
    return {**numbers, "recent_mine": list(recent_mine(user))}


def recent_mine(user) -> QuerySet:
    """My ten most recent open petitions, as the home page's table shows them."""
    open_mine = Petition.objects.visible_to(user).filter(first_responder=user, status__in=OPEN_STATUSES)
    # The columns the table shows, without the category it does not: a petition row has about
    # forty columns to compile, read and build objects from (issue 9).
    return open_mine.only(*RECENT_COLUMNS).order_by("-received_at", "-id")[:10]


def count_all(querysets: dict[str, QuerySet], *, cap: int | None = None) -> dict[str, int]:
    """COUNT(*) of each queryset, all in one statement:
    SELECT (SELECT COUNT(*) FROM (<q1>) c0), (SELECT COUNT(*) FROM (<q2>) c1), …

    One round trip instead of one per number (the home page ran about 13). With
    `cap`, each count stops at cap + 1 rows (exact up to `cap`; more means "over").
    Every queryset keeps its own visible_to filter; nothing is widened here."""
    if not querysets:
        return {}
    from django.db import connections

    using = next(iter(querysets.values())).db
    with connections[using].cursor() as cursor:
        cursor.execute(*count_statement(querysets, cap=cap))
        row = cursor.fetchone()
    return dict(zip(querysets, (int(n) for n in row), strict=True))


def count_statement(querysets: dict[str, QuerySet], *, cap: int | None = None) -> tuple[str, list]:
    """count_all's statement and parameters, one column per queryset in their order (the home
    page keeps it per reader: petitions/home.py)."""
    from django.db import connections

    parts, params = [], []
    connection = connections[next(iter(querysets.values())).db]
    for i, qs in enumerate(querysets.values()):
        inner = qs.order_by().values("pk")
        if cap is not None:
            inner = inner[: cap + 1]
        try:
            sql, inner_params = inner.query.get_compiler(connection=connection).as_sql()
        except EmptyResultSet:
            # A queryset that can match nothing (`.none()`, an empty `__in`): Django
            # refuses to compile it, and its count is known without asking.
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c{i})")  # noqa: S608  (compiled by Django, values as params)
        params.extend(inner_params)
    return "SELECT " + ", ".join(parts), params
