"""Extension points of the core (CONVENTIONS 18, 19).

Capabilities built on top of petitions (search, documents, reports, portal) hook in here from
their ``AppConfig.ready()``; petitions itself never imports them. Two kinds of hook:

- signals, for "something happened, react inside the same transaction";
- registries, for "kinds of things" the core's pages and API list without knowing who added them
  (panels on the petition page, documents a petitioner may download, extra list filters...).

Keep each hook small and documented: it is a contract between the core and the capabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.dispatch import Signal

# Sent by the core's services inside the writing transaction, after a petition's searchable text
# changed (registration, corrections, reception notes, findings, results, replies, merges...).
# Keyword arguments: ``petition`` (the saved Petition) and ``reason`` (a short code such as
# "registered", "corrected", "result_submitted"). Receivers run in the same transaction, so an
# index they keep can never disagree with the rows it describes.
petition_text_changed = Signal()

# Sent once, inside the writing transaction, for many petitions created together (a ledger import)
# instead of `petition_text_changed` per petition, so that a receiver can write its rows in bulk.
# Keyword arguments: ``petitions`` (a list of saved Petitions with their final numbers; their
# parties, reception records and replies are written), ``reason`` ("imported") and ``records``
# (None, or {petition id: {model label: rows}}: every record with searchable text written with
# each petition, by kind ("petitions.Petitioner", "petitions.ReceptionRecord"...), each kind's
# rows in the order written; a kind not named has none), which a receiver may use instead of
# reading them back; optionally ``units`` ({petition id: ids of the units holding a live
# assignment, ascending}; a petition not named has none), likewise.
petitions_created_in_bulk = Signal()
# Sent once per registration, inside its transaction, right after the petition's unified number
# was allocated. Registration sends ``petition_text_changed`` (reason "registered") BEFORE the
# number is taken, while the petition still carries its provisional number (numbering.py), so that
# indexing its text never runs under the year's number lock; this signal then tells a receiver
# that only the number changed. Keyword arguments: ``petition`` (now with its real ``number``) and
# ``provisional`` (the number it carried before). Receivers run inside the number's lock: keep
# them to one statement, and on PostgreSQL RETURN it as ``(sql, params)`` (one data-modifying
# statement, no RETURNING) instead of running it: registration sends it as part of the statement
# that writes the registration's event, so the lock costs no round trip for it. A receiver that
# wrote by itself returns None.
petition_numbered = Signal()

# Sent inside the writing transaction after the set of units holding a live (not withdrawn)
# assignment of some petitions may have changed: the workflow's `acting` sends it after every
# action in transitions.UNIT_ACTIONS (assign, coordinate). Keyword arguments: ``petition_ids``.
# A receiver that keeps the units beside an index (search narrows a handling officer's search to
# their units' documents) rewrites them here, so that they never disagree with the assignments
# read by visible_to. Writers that add assignments with the petitions' text (the ledger import)
# are covered by the two signals above, whose receivers read the assignments as they stand.
petition_units_changed = Signal()


class Registry:
    """An ordered set of named entries that capabilities add in ``ready()``.

    Registering the same name twice replaces the entry (a re-imported app must not show a
    panel twice); ``items()`` keeps the order of first registration.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, Any] = {}
        # Counts the changes: what was built from the entries (the home page's kept statements,
        # petitions/home.py) is keyed on it, so an entry added or removed is seen at once.
        self.version = 0

    def register(self, key: str, value: Any) -> Any:
        self._entries[key] = value
        self.version += 1
        return value

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)
        self.version += 1

    def get(self, key: str, default: Any = None) -> Any:
        return self._entries.get(key, default)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self._entries.items()))

    def values(self) -> Iterator[Any]:
        return iter(list(self._entries.values()))

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


# Panels on the petition page: key -> callable(request, petition) -> rendered HTML (str) or "".
# The callable decides for itself whether the reader may see what it shows (visible_to).
petition_panels: Registry = Registry("petition_panels")

# Documents addressed to the petitioner, offered on the public portal's status page:
# key -> callable(petition) -> list of objects with ``name`` and an ``open()`` returning bytes.
public_documents: Registry = Registry("public_documents")

PanelRenderer = Callable[[Any, Any], str]

# Rows a capability shows on the petition page, by the name of their relation to Petition (the
# related_name of their ForeignKey): key -> relation name. The page asks in the petition's own
# statement whether each has rows for the petition (issue 9: one EXISTS probe each instead of a
# statement that finds nothing), and the capability skips its read when
# ``selectors.has_rows(petition, relation)`` says there are none.
petition_page_relations: Registry = Registry("petition_page_relations")

# --- Issue 9 (performance): the home page's counts in one statement ------------------------
# key -> callable(user) -> dict[name, QuerySet]: counts a capability shows on the home page,
# each queryset already limited to what the user may see (visible_to). The home view counts
# them together with its own in ONE statement (selectors.count_all) and passes the numbers to
# the templates as ``home_counts[key][name]``; a capability's template tag reads them there
# (and counts by itself where the home view did not run).
# The home page compiles these once per reader and sends the text again (petitions/home.py): a
# queryset must depend only on the user's read policy (`PetitionQuerySet.reader`), roles and
# active flag, with any time in it written as `core.statements.Clock`, filled on each request.
home_counters: Registry = Registry("home_counters")

# --- Search (issue 10) -----------------------------------------------------------------------
# The text search behind the list's `q`: key "search" -> an object with
#   ``filter(queryset, q, walk=False, units=None, rank=True) -> queryset``  (keeps only rows
#                                         matching every term of `q` and annotates ``search_rank``
#                                         for ordering, unless `rank` is False (the caller orders
#                                         newest first or only counts: called so only then);
#                                         never widens `queryset`; `walk`: the same rows, for a
#                                         caller that reads many matches in index order, so check
#                                         each row rather than probe the text index; `units`: ids
#                                         of units one of which holds a live assignment of every
#                                         row of `queryset` (a handling officer's, from
#                                         Petition.objects.handler_unit_ids), a hint the index may
#                                         narrow its probe with — `queryset` still decides)
#   ``annotate(queryset, q) -> queryset`` (``search_rank`` and the snippet's text on rows already
#                                         known to match: the list ranks a page of found ids)
#   ``highlight(petition, q) -> str``    (a short plain-text snippet around the first match)
#   ``matching_ids(q, *, limit, units) -> list[int] | None`` (optional: up to `limit` ids of
#                                         petitions matching `q` among the documents of `units`,
#                                         no read policy applied, fewer than `limit` meaning all
#                                         of them; None where the index cannot narrow by units.
#                                         A handling officer's list counts from these, filtered
#                                         by visible_to, selectors._found)
#   ``visible_ids(q, *, limit, units, among) -> list[int] | None`` (optional: up to `limit` ids
#                                         of petitions of `among` (the reader's visible, filtered
#                                         petitions, each with a live assignment to one of
#                                         `units`) matching `q`, fewer meaning all of them; None
#                                         where the searcher does not read this query so — then
#                                         matching_ids. A handling officer's count, selectors._found)
#   ``read_ids(ids) -> list``            (optional: the values of `ids`, a flat values_list of a
#                                         searched queryset cut by a LIMIT, read as the index
#                                         needs it — the same rows as list(ids); the capped
#                                         count of a searched list, selectors._found)
#   ``more_than(ids, q, limit) -> list | None`` (optional: the values of `ids`, either all of
#                                         them or more than `limit` of them read from a sample
#                                         of the index, proving the capped count "more than";
#                                         None when a sample proves nothing or the searcher
#                                         does not read this query so — then read_ids. An
#                                         office-wide reader's unfiltered search only)
# Without an entry the core falls back to its own substring scan of a few fields.
petition_search: Registry = Registry("petition_search")

# The similar-petitions panel on the registration form: key -> callable(request) -> HTML ("" if
# nothing to show). The registration template includes whatever is registered, in order.
registration_panels: Registry = Registry("registration_panels")
# --- end search ------------------------------------------------------------------------------

# --- Extra filters of the petition list (added for reports, issue 12) --------------------------
# Query parameter name -> ListFilter. Statistics link every number to the list with the same
# filters, so the list (page, pagination links and API alike) must accept the reports' filters
# (handling unit, involved unit, group, repeat...) without the core knowing them. The core parses
# each registered parameter with ``parse(raw)`` (a ValueError's message becomes the user's error
# for that field) and narrows the visible queryset with ``apply(queryset, value)``.
petition_list_filters: Registry = Registry("petition_list_filters")

# --- Where the list's rows fall (issue 9) ---------------------------------------------------
# Key "index" -> callable(user, filters) -> an object with ``count`` (the exact number of visible
# petitions the filters select) and ``locate(offset) -> (bound, skip) | None`` (the row at `offset`
# of the list, newest first, is the `skip`-th of the visible, filtered petitions received before
# `bound`), or None when it cannot answer exactly for this reader and these filters. The list then
# counts and pages without walking every petition above a deep page. The reports capability
# answers it from its statistics summary; without an entry the core counts and pages by itself.
petition_list_index: Registry = Registry("petition_list_index")

# --- Added for the public portal (issue 13); other capabilities may use them too -------------
# Work queues a capability adds to people's home pages: key -> callable(user) -> Queue or None.
# The callable starts from Petition.objects.visible_to(user) like the core's own queues. As for
# home_counters, the home page keeps its count and quick links per reader: the same rule applies.
petition_queues: Registry = Registry("petition_queues")

# Background jobs the deadline worker queues on every pass: key -> a django-tasks Task. Each must
# be idempotent (several workers may run it at once; a worker that was down catches up).
periodic_tasks: Registry = Registry("periodic_tasks")

# Workflow actions a capability adds (e.g. the portal's answers to an unsatisfactory rating) are
# registered with `petitions.actions.register_action`: they join the one action framework (same
# lock, refusal, event and permission path) without being rows of the core's own table.

# --- Statistics sections (issue 13 item 5: "ratings feed the statistics") ----------------------
# Sections a capability adds to the statistics page (/statistics/) without the reports app knowing
# it: key -> callable(request, petitions, list_params) -> rendered HTML ("" to show nothing).
# `petitions` is the visible, filtered queryset the page counts (petition_list(user, filters):
# visible_to() already applied, same period and filters as the page); `list_params` are the petition
# list's query parameters for those filters, so a number can link to the list with one more filter.
statistics_sections: Registry = Registry("statistics_sections")
# --- end statistics sections -------------------------------------------------------------------

# Fields a capability adds to the statistics API's answer (GET /api/v1/statistics), e.g. the
# portal's satisfaction: key -> callable(petitions) -> a JSON-able value, given the visible,
# filtered petitions the answer counts (petition_list(user, filters)).
statistics_fields: Registry = Registry("statistics_fields")
