"""Reading a query and turning it into a filter on a petition queryset.

A query is up to MAX_TERMS terms separated by spaces, each a substring to find (AND), with
"double quotes" keeping a phrase together. Each term is looked up in the index (candidates
holding all of the term's keys: its bigrams, and the trigrams of its runs of three or more
digits), then rechecked as a substring of the folded document (unless the term is its own key:
one or two characters, or three digits), so the answer is exactly "every term is a
substring of something the reader may see". An 18-character
ID number or a valid phone number also matches its petitioner through the blind index, since
those are sealed and never copied into the documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection, connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xinfang.core.logged import several_statements
from xinfang.search.models import SearchDocument
from xinfang.search.text import fold, grams, token

MAX_TERMS = 8
SNIPPET_BEFORE = 24
SNIPPET_LENGTH = 90

_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")

# The memory PostgreSQL may give the bitmap of a capped search's index probe (read_ids). A
# bitmap keeps one entry of about 64 bytes per table page holding a match; past work_mem (4 MB
# by default: some 65,000 pages) it turns "lossy", keeping whole ranges of pages, and every row
# of those pages is then rechecked by unpacking its compressed gram array (about 10 µs a row).
# At 10^6 petitions the documents fill some 220,000 pages and `电` is on about 125,000 of them:
# lossy at 4 MB. 32 MB keeps the bitmap of any one key exact up to about 2 million documents;
# the memory is taken only as the bitmap grows (docs/benchmarks.md, round 11).
PROBE_WORK_MEM = "32MB"

# How many entries of a common key's posting list the sampled probe of a capped count keeps
# (more_than: `gin_fuzzy_search_limit`), and how many documents the statistics must expect to
# hold the key for it to be sampled. Four times SEARCH_RANK_LIMIT + 1, so that the sample of
# an office-wide reader nearly always holds enough visible matches to prove the count "more
# than"; when it does not, the exact count is read after it.
SAMPLE_ENTRIES = 4_000


@dataclass(frozen=True)
class Term:
    text: str  # as typed (used for ranking on the raw columns)
    folded: str  # what is looked up in the documents


def parse(q: str) -> list[Term]:
    """Terms of `q`: words, and "phrases" (an unclosed quote runs to the end). Empty
    phrases are dropped; repeated terms count once."""
    return list(_parsed(q or ""))


@lru_cache(maxsize=256)
def _parsed(q: str) -> tuple[Term, ...]:
    # A page's snippets parse the same `q` twice per row (highlight, mark): parsed once.
    terms: list[Term] = []
    for match in _TERM.finditer(q or ""):
        text = (match.group(1) if match.group(1) is not None else match.group(2) or "").strip()
        text = " ".join(text.split())  # a phrase matches with single spaces, as typed
        if not text or any(t.text == text for t in terms):
            continue
        terms.append(Term(text=text, folded=fold(text)))
        if len(terms) == MAX_TERMS:
            break
    return tuple(terms)


def _candidates(terms: list[Term], *, walk: bool = False, units=None) -> QuerySet:
    """Ids of documents holding every one of `terms`: the index narrows (all the terms' keys
    in one probe, so two common terms together select few rows), LIKE decides (a term that is its
    own key, one or two characters or three digits, is decided by the probe itself:
    exact_by_keys). With `walk`
    only LIKE, the exact condition: the caller reads petitions in index order and stops after
    a page, checking each one's document by its key (the list's newest-first plan).

    `units` (PostgreSQL): the reader sees only petitions with a live assignment to one of these
    units (a handling officer's), so the same probe also asks for documents listing one of them
    (`units`, index.py): a common term then yields the unit's few matches instead of the
    office's 35,000 at 10⁶, each of which was checked against the assignments. Only a
    narrowing: the caller's visible_to queryset still decides."""
    docs = SearchDocument.objects.all()
    if not walk:
        if connection.vendor == "postgresql" and not units:
            docs = _like_first(docs, terms)
        docs = _holding_keys(docs, terms, units=units)
    for term in terms:
        if walk or not exact_by_keys(term):
            docs = docs.filter(body__contains=term.folded)
    return docs.values("petition_id")


def _holding_keys(docs: QuerySet, terms: list[Term], *, units=None) -> QuerySet:
    """`docs` narrowed to those holding every index key of `terms` (text.grams), in one probe
    of the index (and, with `units` on PostgreSQL, listing one of them)."""
    keys = sorted(set().union(*(grams(term.folded) for term in terms)))
    if connection.vendor == "postgresql":
        # `grams` and `units` are the columns under the GIN index (migrations 0001, 0003, 0005).
        if units:
            condition = RawSQL(
                "grams @> %s::text[] AND units && %s::bigint[]",
                (keys, sorted(units)),
                output_field=BooleanField(),
            )
        else:
            condition = RawSQL("grams @> %s::text[]", (keys,), output_field=BooleanField())
        return docs.filter(condition)
    match = " AND ".join(f'"{token(k)}"' for k in keys)
    return docs.filter(
        RawSQL(
            "petition_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)",
            (match,),
            output_field=BooleanField(),
        )
    )


def index_candidates(q: str) -> QuerySet:
    """The petition ids the index probe alone yields for `q` (every key of every term, no
    substring test, no read policy): the candidates the LIKE recheck then decides. For the
    tests and the bench, which compare them with the documents holding the terms."""
    terms = parse(q)
    return _holding_keys(SearchDocument.objects.all(), terms).values_list("petition_id", flat=True)


def _like_first(docs: QuerySet, terms: list[Term]) -> QuerySet:
    """An office-wide reader's probe (PostgreSQL) also asks each term that is its own key (one
    or two characters, three digits: exact_by_keys) by LIKE, written *before* the gram
    condition. Not for the rows: for such a term the two conditions hold for exactly the same
    documents. For the plan: a term in a sixth or more of the documents is counted by walking
    their primary key and testing each one, and PostgreSQL, seeing two conditions of the same
    cost, tests them in the order written. `grams @>` unpacks the row's compressed gram array
    (about 7 µs); LIKE reads the body, mostly stored inline, and rejects most rows first: that
    walk took a half to a third of the time (docs/benchmarks.md, round 11). Where the probe is
    a bitmap (rarer terms) the LIKE is one more test per fetched row, a few milliseconds for the
    count's 1,001. A handling officer's probe (`units`) is always such a bitmap and is left as
    it is."""
    for term in terms:
        if exact_by_keys(term):
            docs = docs.filter(body__contains=term.folded)
    return docs


def exact_by_keys(term: Term) -> bool:
    """Does holding the term's index key already mean holding the term? For a term of one or
    two characters, or of three ASCII digits, its key is the term itself (text.grams), and a
    document's keys are every character, every pair of adjacent characters and every three
    adjacent digits of the same folded body, written in the same statement (index.py): so the
    probe is the whole condition and the LIKE recheck would only re-read each candidate's body
    to say yes again (a 1- or 2-character term is the common, many-match case). Longer terms
    need it: their keys may lie apart."""
    return grams(term.folded) == {term.folded}


def matching_ids(q: str, *, limit: int, units) -> list[int] | None:
    """Ids of at most `limit` petitions matching every term of `q` among the documents listing
    one of `units` (a handling officer's, as in `search`), with no read policy: fewer than
    `limit` ids means every match of theirs is there. The caller filters them by visible_to.
    None where the index keeps no units (SQLite): the probe would be the office's matches."""
    from xinfang.petitions.models import Petition

    if connection.vendor != "postgresql" or not units:
        return None
    found = search(Petition.objects.all(), q, units=units, rank=False).order_by().values_list("pk", flat=True)
    return list(found[:limit])


def visible_ids(q: str, *, limit: int, units, among: QuerySet) -> list[int] | None:
    """Ids of at most `limit` petitions of `among` matching every term of `q`, in no order, in
    one statement: fewer than `limit` means every match. `among`: the reader's visible petitions
    the list's other filters select (a handling officer's, every one of which has a live
    assignment to one of `units`), which decides; the documents listing one of `units` only
    narrow the probe, as in `search`. None where the index keeps no units (SQLite) and for a
    phone or ID number (their petitioners are not in the documents): the caller then reads
    matching_ids.

    Each document the probe yields is tested against `among` by a scalar subquery (its
    petition's primary key, the live assignment, Rule 4.3's involvements: a few index probes),
    as the bitmap heap scan meets it, so the statement stops after `limit` visible matches.
    Read as matching_ids and then those ids through `among` (`id = ANY(…)`), the same rows
    cost two statements, the ids sent back, and a second plan that read the primary key once
    per id; and when the policy hid too many of them a third statement. A scalar subquery is
    never turned into a join, so PostgreSQL cannot hash the unit's live assignments instead
    (the single statement's plan before round 8)."""
    if connection.vendor != "postgresql" or not units:
        return None
    terms = parse(q)
    if not terms or any(_personal_matches(term) is not None for term in terms):
        return None
    docs = _candidates(terms, units=units).annotate(visible=among.probe("petition_id"))
    found = docs.filter(visible__isnull=False).values_list("petition_id", flat=True)
    return list(found[:limit])


def newest_keys(q: str, *, among: QuerySet) -> QuerySet | None:
    """The (received_at, petition id) keys of the petitions of `among` matching every term of
    `q`, newest first (-received_at, -petition_id): the keys of a searched list's newest-first
    page (paging.keyset_page `keys`), read along the documents' own received order (migration
    0008), each body tested where it lies, and only a match tested against `among` (the
    reader's visible petitions, visible_to) by a scalar subquery. None on SQLite and for a
    phone or ID number (their petitioners are not in the documents): the caller walks the
    petitions instead (search(walk=True)).

    Why: that walk went down the petitions' received-order index and probed each petition's
    document by key, about 18 µs a petition at 10⁶; a term in 1 % of the documents meets some
    2,300 of them before a page of 26 (45 ms). Here each row passed over is a step of the
    documents' index and a substring test of a body on a page read in order.

    The test is `strpos(body, term) > 0`, the same condition as `body LIKE '%term%'`, written
    so that PostgreSQL guesses a third of the rows pass (its default for an inequality it has
    no statistics for) and walks the index for a page; for a LIKE it guesses a handful and
    would read every match and sort them, which is the plan this replaces for a term it
    misjudges. The caller asks only when the count has found more than SEARCH_RANK_LIMIT
    matches, so the walk is short."""
    if connection.vendor != "postgresql":
        return None
    terms = parse(q)
    if not terms or any(_personal_matches(term) is not None for term in terms):
        return None
    docs = SearchDocument.objects.all()
    for term in terms:
        docs = docs.filter(RawSQL("strpos(body, %s) > 0", (term.folded,), output_field=BooleanField()))
    docs = docs.annotate(visible=among.probe("petition_id")).filter(visible__isnull=False)
    return docs.values_list("received_at", "petition_id").order_by("-received_at", "-petition_id")


def read_ids(ids: QuerySet) -> list:
    """The values of `ids` (a flat values_list of a searched queryset, cut by a LIMIT: the
    count of a searched list), on PostgreSQL read with PROBE_WORK_MEM for that one statement,
    so that the bitmap of a common key's index probe stays exact. Same rows, same plan (the
    plans compared at 4 and 32 MB were identical); only the bitmap's memory differs.

    Sent as one message with the statement (`SET LOCAL …; SELECT …; SET LOCAL … TO DEFAULT`):
    outside a transaction the three run in the implicit transaction of that message, inside one
    the last puts the setting back for the statements that follow. One round trip and one
    statement in the query counts. With server-side binding (no several statements in one
    message) the setting is sent on its own in a transaction of its own."""
    return _read_with(ids, {"work_mem": f"'{PROBE_WORK_MEM}'"})


def more_than(ids: QuerySet, q: str, limit: int) -> list | None:
    """The capped count `ids` (up to `limit` + 1 ids of the petitions matching `q` among an
    office-wide reader's unfiltered list), read from a sample of the index where the term's
    key is known to be common: the ids found when they are exact (no sample taken) or prove
    "more than `limit`" (a sample holding more than `limit`), None otherwise (a sample that
    proves nothing: the caller reads the count itself, read_ids) and for any other query (no
    statement sent).

    Why: the count of a common key reads the key's whole posting list into a bitmap of table
    pages and sorts it before fetching a row (`电`: 17,100 entries at 10⁵, ten times as many at
    10⁶, the part of a common term's search that grows with the office). PostgreSQL's
    `gin_fuzzy_search_limit` keeps a random SAMPLE_ENTRIES of a key's entries instead, so the
    bitmap stays that small whatever the office's size. Every row of the sample is still a
    match (the sample only drops entries; the term's LIKE, visible_to and the list's filters
    still decide each row), so `limit` + 1 rows found prove "more than `limit`", which is all
    the count says then.

    Whether to sample is decided in the same message, from the planner's statistics of the
    documents' keys (`pg_stats.most_common_elems`): only a key expected in at least
    SAMPLE_ENTRIES documents is sampled, so a rare term's count is read exactly, once, as
    before (and with PROBE_WORK_MEM). Only a probe of one key is sampled (one term of one or
    two characters, the common case): with several keys each would be sampled apart and their
    intersection shrink with every key."""
    if connection.vendor != "postgresql":
        return None
    terms = parse(q)
    if len(terms) != 1 or not exact_by_keys(terms[0]) or _personal_matches(terms[0]) is not None:
        return None
    (key,) = grams(terms[0].folded)
    table = SearchDocument._meta.db_table
    decide = (
        "SELECT set_config('gin_fuzzy_search_limit', CASE WHEN COALESCE(("
        "SELECT f.freq * c.reltuples FROM pg_stats s JOIN pg_class c ON c.oid = %s::regclass, "
        "unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS f(elem, freq) "
        "WHERE s.schemaname = current_schema() AND s.tablename = %s AND s.attname = 'grams' "
        "AND f.elem = %s), 0) >= %s THEN %s ELSE '0' END, true)",
        [table, table, key, SAMPLE_ENTRIES, str(int(SAMPLE_ENTRIES))],
    )
    sampled, found = _read_with(
        ids,
        {"work_mem": f"'{PROBE_WORK_MEM}'", "gin_fuzzy_search_limit": None},
        decide=decide,
    )
    if sampled != "0" and len(found) <= limit:
        return None  # a sample short of the limit proves nothing
    return found


def _read_with(ids: QuerySet, settings: dict[str, str | None], decide=None):
    """The values of `ids` (a flat values_list) on PostgreSQL, read with these settings for that
    one statement (read_ids: one message, `SET LOCAL` before and `TO DEFAULT` after; a setting
    of None is only put back after, `decide` setting it: (sql, params) of a one-value SELECT,
    run before the statement, whose value is returned with the rows)."""
    alias = ids.db
    conn = connections[alias]
    if conn.vendor != "postgresql":
        return list(ids)
    sql, params = ids.query.get_compiler(using=alias).as_sql()
    before = [f"SET LOCAL {name} = {value}" for name, value in settings.items() if value is not None]
    after = [f"SET LOCAL {name} TO DEFAULT" for name in settings]
    decided = None
    with conn.cursor() as cursor:
        if several_statements(cursor):
            first, first_params = decide if decide else ("", [])
            cursor.execute(
                "; ".join([*before, *([first] if decide else []), sql, *after]), [*first_params, *params]
            )
            for _setting in before:
                cursor.nextset()
            if decide:
                decided = cursor.fetchone()[0]
                cursor.nextset()
            rows = [row[0] for row in cursor.fetchall()]
            return (decided, rows) if decide else rows
    with transaction.atomic(using=alias), conn.cursor() as cursor:
        for statement in before:
            cursor.execute(statement)
        if decide:
            cursor.execute(*decide)
            decided = cursor.fetchone()[0]
        cursor.execute(sql, params)
        rows = [row[0] for row in cursor.fetchall()]
        for statement in after:
            cursor.execute(statement)
        return (decided, rows) if decide else rows


def _personal_matches(term: Term) -> QuerySet | None:
    """An ID number or phone typed whole finds its petitioners through the blind index."""
    from xinfang.petitions.models import Petitioner
    from xinfang.petitions.services.registration import blind_index
    from xinfang.petitions.validators import is_valid_phone, normalize_id_number, normalize_phone

    id_number = normalize_id_number(term.text)
    if _ID_NUMBER.match(id_number):
        key = blind_index("id", id_number)
        return Petitioner.objects.filter(id_number_index=key).values("petition_id")
    phone = normalize_phone(term.text)
    if phone.isdigit() and is_valid_phone(phone):
        key = blind_index("phone", phone)
        return Petitioner.objects.filter(phone_index=key).values("petition_id")
    return None


def _rank(terms: list[Term]):
    """Relevance: a whole petition number first, then terms found in the number or the title;
    the list then falls back to newest first. Computed on the raw columns of the page's rows."""
    score = Value(0)
    for term in terms:
        score = (
            score
            + Case(When(number__iexact=term.text, then=Value(100)), default=Value(0))
            + Case(When(number__icontains=term.text, then=Value(5)), default=Value(0))
            + Case(When(title__icontains=term.text, then=Value(3)), default=Value(0))
        )
    return score


def search(queryset: QuerySet, q: str, *, walk: bool = False, units=None, rank: bool = True) -> QuerySet:
    """Keep the rows of `queryset` (already restricted by visible_to and the list filters)
    that match every term of `q`, with `search_rank` to order by. Never widens `queryset`.
    `walk` selects the same rows without the text index; `units`, when every row of
    `queryset` has a live assignment to one of them, narrows the index probe (_candidates).
    `rank=False`: no `search_rank`, for a caller that orders otherwise or only counts (the
    list's capped count, its newest-first page): building the rank's conditions was about a
    millisecond of Python per statement, for a value nothing read."""
    terms = parse(q)
    if not terms:
        return queryset.annotate(search_rank=Value(0, output_field=IntegerField())) if rank else queryset
    plain = []
    for term in terms:
        personal = _personal_matches(term)
        if personal is None:
            plain.append(term)
        else:
            # One subquery (a UNION) rather than an OR of two: the database can then start from
            # the few ids it yields instead of hashing every document holding the digits.
            queryset = queryset.filter(
                pk__in=_candidates([term], units=units).order_by().union(personal.order_by())
            )
    if plain and walk:
        queryset = queryset.filter(_walked(plain))
    elif plain:
        queryset = queryset.filter(pk__in=_candidates(plain, units=units))
    return annotate(queryset, q, rank=rank)


def _walked(terms: list[Term]) -> Subquery:
    """Each row's own document tested by LIKE for every one of `terms`, as a condition the
    database evaluates row by row (the list's newest-first page: `walk`).

    A scalar subquery, not `pk IN (documents …)`: PostgreSQL turns an IN into a join and plans
    it from its estimate of the LIKE, which it cannot make for a substring (10 rows expected
    for a 5-character term with 1,529 matches at 10⁵). After an ANALYZE that drew that estimate
    it scanned every document and sorted the matches instead of walking the received-order
    index for a page (300 ms for 26 rows at 10⁵, against a few ms; ten times as much at 10⁶),
    although the count has just shown the matches to be many. A scalar subquery is never
    turned into a join: the page is the walk down the index, each petition's document read by
    its key, until the page is full."""
    docs = SearchDocument.objects.filter(petition=OuterRef("pk"))
    condition = Q()
    for term in terms:
        condition &= Q(body__contains=term.folded)
    found = docs.annotate(found=ExpressionWrapper(condition, output_field=BooleanField()))
    return Subquery(found.values("found")[:1], output_field=BooleanField())


def annotate(queryset: QuerySet, q: str, *, rank: bool = True) -> QuerySet:
    """`search_rank` and `search_body` on rows already known to match `q` (e.g. a page of
    ids a search found): the ranking and the snippets without asking the index again. The
    page's snippets read the document from the same query (no query per row). `rank=False`:
    `search_body` only (search)."""
    terms = parse(q)
    if not terms:
        return queryset.annotate(search_rank=Value(0, output_field=IntegerField())) if rank else queryset
    # A subquery, not a join: PostgreSQL then reads the document of the page's rows only, after
    # the sort and the limit (26 of 436 for a handling officer's `电` at 10⁵: 21 ms, 29–42 ms
    # with the join reading every ranked row's document).
    body = SearchDocument.objects.filter(petition=OuterRef("pk")).values("body")[:1]
    if not rank:
        return queryset.annotate(search_body=Subquery(body))
    return queryset.annotate(search_rank=_rank(terms), search_body=Subquery(body))


def _snippet(text: str, start: int, length: int) -> str:
    begin = max(0, start - SNIPPET_BEFORE)
    end = min(len(text), begin + SNIPPET_LENGTH)
    piece = " ".join(text[begin:end].split())
    return ("…" if begin > 0 else "") + piece + ("…" if end < len(text) else "")


def highlight(petition, q: str) -> str:
    """A short plain-text snippet around the first term found in the problem, the requests
    or (failing those) the rest of the petition's searchable text; "" when none is found
    (e.g. a match by ID number or phone, which is never shown)."""
    terms = parse(q)
    if not terms:
        return ""
    fields = [petition.content, petition.requests]
    body = getattr(petition, "search_body", None)
    if body is None:
        body = SearchDocument.objects.filter(petition_id=petition.pk).values_list("body", flat=True).first()
    fields.append(body or "")
    for text in fields:
        folded = fold(text)
        # Show the original characters where folding kept the length (always so for Chinese).
        shown = text if len(folded) == len(text) else folded
        for term in terms:
            at = folded.find(term.folded)
            if at >= 0:
                return _snippet(shown, at, len(term.folded))
    return ""


def mark(snippet: str, q: str) -> SafeString:
    """The snippet as HTML with each term in <mark>, everything else escaped."""
    terms = sorted({t.folded for t in parse(q)}, key=len, reverse=True)
    if not snippet or not terms:
        return escape(snippet)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(snippet):
        out.append(escape(snippet[last : m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(escape(snippet[last:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece escaped above)


class Searcher:
    """What the core's `petition_search` registry holds (petitions/hooks.py)."""

    def filter(
        self, queryset: QuerySet, q: str, walk: bool = False, units=None, rank: bool = True
    ) -> QuerySet:
        return search(queryset, q, walk=walk, units=units, rank=rank)

    def annotate(self, queryset: QuerySet, q: str) -> QuerySet:
        return annotate(queryset, q)

    def matching_ids(self, q: str, *, limit: int, units) -> list[int] | None:
        return matching_ids(q, limit=limit, units=units)

    def visible_ids(self, q: str, *, limit: int, units, among: QuerySet) -> list[int] | None:
        return visible_ids(q, limit=limit, units=units, among=among)

    def read_ids(self, ids: QuerySet) -> list:
        return read_ids(ids)

    def newest_keys(self, q: str, *, among: QuerySet) -> QuerySet | None:
        return newest_keys(q, among=among)

    def more_than(self, ids: QuerySet, q: str, limit: int) -> list | None:
        return more_than(ids, q, limit)

    def highlight(self, petition, q: str) -> str:
        return highlight(petition, q)

    def mark(self, snippet: str, q: str) -> SafeString:
        return mark(snippet, q)
