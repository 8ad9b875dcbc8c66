"""Pages of the petition list by key, not by OFFSET (issue 9).

The list is ordered by (received_at, id), newest first. Page N by OFFSET makes the
database walk and throw away (N − 1) × size rows under the Rule 4.3 firewall: a
deep page cost 0.9 s at 10⁵ petitions. The "next" and "previous" links therefore
carry the key of the row they continue from (`after` / `before`, see `cursor`),
and the page is "the next `size` rows past that key" — an index range scan,
whatever the depth. A page number typed or linked without a key still works, so
the page-number interface stays as it was: near the top by OFFSET, from LOCATE_FROM
rows down from the list's index where one answers (hooks.petition_list_index: the
day the page starts in, from the statistics summary's counts, and the rows of that
day above it), else by OFFSET.

The count is exact up to COUNT_CAP and "more than" beyond it: an exact count
walks every visible petition, and a list needs only to say it is long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from xinfang.core.errors import InvalidInput

COUNT_CAP = 10_000
# From this many rows above a typed page on, its start is asked of `locate` (the list's index,
# a few milliseconds) rather than read past by OFFSET (about 2 µs a row under the firewall).
LOCATE_FROM = 2_500
# The order keys continue (selectors.petition_list without a search).
KEY_ORDER = ("-received_at", "-id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What `locate` answers for an offset past the last row: the page is empty, nothing to read
# (by OFFSET, a number typed past the end of a list counted "more than" walked every row).
PAST_END = "past the end"


def cursor(petition) -> str:
    """The key of a row as a URL-safe token: microseconds since 1970 and the id."""
    micros = (petition.received_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{petition.pk}"


def parse_cursor(raw: str, name: str) -> tuple[datetime, int] | None:
    if not raw:
        return None
    micros, _sep, pk = raw.partition(".")
    try:
        key = (_EPOCH + timedelta(microseconds=int(micros)), int(pk))
    except (ValueError, OverflowError):
        raise InvalidInput({name: [_("Not a valid page link; open the list again.")]}) from None
    if key[1] < 1:
        raise InvalidInput({name: [_("Not a valid page link; open the list again.")]})
    return key


def _reader(qs: QuerySet, sparse: bool, keyed_by: bool = False):
    """read(part, start, stop): rows start..stop of `part` (a narrowing of `qs`). When the
    reader sees few petitions, the walk down the received-order index to find them reads the
    ids alone (index only) and then the page's rows by id, through `qs` again (its read
    policy included): walking whole rows fetched every petition passed over from the table
    (1,557 rows for a handler's 25 at 10^5: 15.6 ms, 2.4 ms by ids). `keyed_by`: `part` is a
    narrowing of the caller's `keys` instead, (received_at, id) pairs; the rows are read by id
    the same way."""

    def read(part: QuerySet, start: int, stop: int) -> list:
        if keyed_by:
            ids = [pk for _at, pk in part[start:stop]]
        elif not sparse:
            return list(part[start:stop])
        else:
            ids = list(part.values_list("pk", flat=True)[start:stop])
        found = {p.pk: p for p in qs.filter(pk__in=ids)} if ids else {}
        return [found[pk] for pk in ids if pk in found]

    return read


def page_number(params) -> int:
    try:
        return max(1, int(params.get("page", 1)))
    except (TypeError, ValueError, OverflowError):
        return 1


def typed_deep(params, per_page: int) -> bool:
    """Does `params` ask for a page by its number (no key) at least LOCATE_FROM rows down?"""
    keyed = params.get("after", "").strip() or params.get("before", "").strip()
    return not keyed and (page_number(params) - 1) * per_page >= LOCATE_FROM


@dataclass
class KeysetPaginator:
    count: int
    per_page: int
    exact: bool

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))


@dataclass
class KeysetPage:
    """What the list templates read from a Django Page, plus the keys for the links."""

    object_list: list
    number: int
    paginator: KeysetPaginator
    has_next: bool
    next_cursor: str = ""
    previous_cursor: str = ""
    extra: dict = field(default_factory=dict)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous() or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def keyset_page(
    qs: QuerySet,
    params,
    *,
    per_page: int,
    count: int,
    cap: int = COUNT_CAP,
    locate=None,
    sparse: bool = False,
    keys: QuerySet | None = None,
) -> KeysetPage:
    """One page of `qs` (ordered newest first by received_at, id) from the query
    parameters `page`, `after` and `before`; `count` was counted up to `cap` + 1.
    `locate(offset) -> (bound, skip) | PAST_END | None`: where the row at `offset` is
    (hooks.petition_list_index), so that a typed page number need not walk the rows above it.
    `sparse`: the reader sees few of the petitions (a handler), see `_reader`.
    `keys`: where the rows' keys are found instead of walking `qs` (a handling officer's list and
    search: along their units' assignments, selectors._handled_list_keys and _handled_keys): every
    page, typed or linked, is then a range of them; (received_at, petition_id) pairs,
    one per row of `qs`, ordered (-received_at, -petition_id); the page's rows are read by id."""
    number = page_number(params)
    after = parse_cursor(params.get("after", "").strip(), "after")
    before = None if after else parse_cursor(params.get("before", "").strip(), "before")
    paginator = KeysetPaginator(count=count, per_page=per_page, exact=count <= cap)
    # A key continues only the list's own order. Results ordered otherwise (by relevance,
    # when searching) are paged by number, and their links carry no key.
    keyed = tuple(qs.query.order_by) == KEY_ORDER
    if not keyed:
        after = before = None
    along = keys if (keyed and keys is not None) else None
    read = _reader(qs, sparse and keyed, keyed_by=along is not None)
    source, id_name = (along, "petition_id") if along is not None else (qs, "id")
    if after:
        moment, pk = after
        # The bound `received_at <= moment` alone is what the index can seek to; the OR
        # that breaks ties on the id is only a filter. Without the bound PostgreSQL read
        # the index from the newest row and filtered every row above the key (3.3 s for
        # a page half-way down 616,000 petitions, 0.3 ms with it).
        older = source.filter(received_at__lte=moment)
        rows = read(
            older.filter(Q(received_at__lt=moment) | Q(received_at=moment, **{f"{id_name}__lt": pk})),
            0,
            per_page + 1,
        )
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        number = max(number, 2)
    elif before:
        moment, pk = before
        newer = source.filter(received_at__gte=moment).filter(  # the seekable bound, as above
            Q(received_at__gt=moment) | Q(received_at=moment, **{f"{id_name}__gt": pk})
        )
        rows = read(newer.order_by("received_at", id_name), 0, per_page)[::-1]
        has_next = True  # the row the link came from follows
        if len(rows) < per_page:  # reached the top: this is the first page
            number = 1
    elif count == 0:
        rows, has_next = [], False  # nothing to read
    else:
        if paginator.exact:
            number = min(number, paginator.num_pages)  # past the end shows the last page
        offset = (number - 1) * per_page
        deep = offset >= LOCATE_FROM
        # With keys of the list's own (`along`), the located page is a range of them too.
        located = locate(offset) if (locate is not None and keyed and deep) else None
        if located == PAST_END:
            rows = []
        elif located:
            # Only the rows of the page's own day above it are skipped, not every row above
            # the page (2.4 s half-way down 616,000 petitions by OFFSET).
            bound, skip = located
            rows = read(source.filter(received_at__lt=bound), skip, skip + per_page + 1)
        else:
            rows = read(source, offset, offset + per_page + 1)
        has_next = len(rows) > per_page
        rows = rows[:per_page]
    if number > 1 and not rows and not before:
        has_next = False
    return KeysetPage(
        object_list=rows,
        number=number,
        paginator=paginator,
        has_next=has_next,
        next_cursor=cursor(rows[-1]) if keyed and rows and has_next else "",
        previous_cursor=cursor(rows[0]) if keyed and rows and number > 1 else "",
    )
