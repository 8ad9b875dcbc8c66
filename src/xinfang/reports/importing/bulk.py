"""The bulk import: what register_petition does for one petition, done for every row of a ledger
in a few statements per thousand rows, inside the import's one transaction.

Same rows as the row-by-row path (rows.py, the reference the tests compare against): the petition
(closed matters written closed, with their outcome and dates), its petitioners sealed with the same
fields and blind indexes, involved units and persons, the reception record, the repeat links (the
same earlier petitions, same order, same limit), the registration clocks of open matters and none
for closed ones, a closed matter's reply and handling units, the record of the import. The numbers
are taken in one statement before the first petition is written, so that every petition is
written once, whole (number, queues' columns), and its search document and chain are made from
the rows in hand instead of read back; the year's numbering is locked from then until commit.
Each petition's chain starts with one event, `petition.imported` (its registration and the
file's SHA-256), sealed like any first event. The search index is written through the core's
bulk hook. The statistics summary's triggers are
paused meanwhile and the new petitions counted in one pass once written (summary_sql.count_new):
row by row they were most of the database's time. Nothing notifies anyone.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from xinfang.audit import state
from xinfang.audit.services import Context, count_started, start_chains
from xinfang.core.background_copy import background_copies
from xinfang.core.inserts import draw_ids, insert, insert_values
from xinfang.core.lookups import among_values
from xinfang.deadlines import clock_cache
from xinfang.deadlines.clocks import local_day as clock_day
from xinfang.petitions import derived
from xinfang.petitions.audit_state import describe_written
from xinfang.petitions.choices import Status
from xinfang.petitions.deadlines import office_year, registration_deadlines
from xinfang.petitions.hooks import petitions_created_in_bulk
from xinfang.petitions.models import (
    Deadline,
    InvolvedPerson,
    InvolvedUnit,
    Petition,
    Petitioner,
    ReceptionRecord,
)
from xinfang.petitions.numbering import allocate_numbers
from xinfang.petitions.services.reach import unreachable_many, unreachable_message
from xinfang.petitions.services.registration import (
    MAX_REPEAT_LINKS,
    blind_index,
    party_objects,
    unsaved_petition,
)
from xinfang.petitions.workflow_models import Assignment, Reply, live_unit_ids, with_received_at
from xinfang.reports import summary_sql
from xinfang.reports.importing.history import history_rows, import_data
from xinfang.reports.models import ImportedPetition, LedgerImport

LOOKUP = 1000  # values per IN (…) list: under SQLite's limit on bound parameters
WRITE_CHUNK = 10_000  # rows whose model instances are alive at once (memory, not statements)


def write(ctx: Context, ledger: LedgerImport, planned, digest: str) -> list[dict]:
    """Write every planned (RowResult, RegistrationInput) pair. Returns the row errors found
    once every row is written (an involvement that would hide a petition, Rule 4.3); the caller
    then rolls the whole import back.

    In chunks of WRITE_CHUNK rows, all inside the caller's one transaction: a chunk's model
    instances are dropped once written, so memory follows the chunk, not the ledger (10⁵ rows
    held about 1 GB when every row's objects lived until the end). The numbers for all rows are
    taken first, in one step, so that each petition is written once, whole: with its number and
    its queues' columns, its search document and its chain's first event from the rows in hand
    (two UPDATEs of every new petition and reading them back cost about a third of the import).
    The year's numbering is therefore locked for the whole write, as registration's lock covers
    its whole event. The COPYs go to the server from a second thread while the next rows are
    built (core/background_copy.py): the server's work and the process's overlap."""
    year = office_year(timezone.now())
    keys = [_person_keys(data) for _result, data in planned]
    # Read before anything is written, so that the batch's own petitions are not among them.
    earlier = _earlier_matches({k for pair in keys for k in pair[0]}, {k for pair in keys for k in pair[1]})
    clocks = _Clocks()
    # The petitions' ids, drawn now (PostgreSQL) so that no chunk waits on a statement for them.
    drawn = draw_ids(Petition, len(planned))
    ids: list[int] = []
    # Each petition with an involvement, for the reach check (Rule 4.3) once all are written.
    involved: dict[int, object] = {}
    # From here to commit the year's number row is locked (numbering.py).
    numbers = allocate_numbers(year, len(planned))
    # The statistics summary's triggers are paused while the new petitions and their rows are
    # written, and the petitions counted in one pass afterwards (summary_sql.pause).
    summary_sql.pause()
    # The chunks' COPYs are sent by a second thread while the next chunk's rows are built
    # (core/background_copy.py); nothing in the loop reads the database, so that nothing waits
    # for them until the loop ends.
    with background_copies(), clock_cache.held():
        for start in range(0, len(planned), WRITE_CHUNK):
            end = start + WRITE_CHUNK
            ids += _write_rows(
                ctx,
                ledger,
                digest,
                planned[start:end],
                keys[start:end],
                numbers[start:end],
                drawn[start:end] if drawn is not None else None,
                earlier,
                clocks,
                year,
                involved,
            )
    # Checked once every row is written: the importer and the reviewing leaders are office
    # readers, whose read policy is the involvements alone, all written by then.
    errors = _unreachable(involved, ctx.actor)
    if not errors:
        count_started(len(ids), max(ids, default=0))
        summary_sql.count_new(ids)
    # Not in a `finally`: after a failed statement the transaction accepts no other until it is
    # rolled back (which switches the triggers on again, pause's setting being the
    # transaction's), and this statement's error would then hide the first one (a row imported
    # by someone else meanwhile: IntegrityError, which the service answers with a sentence).
    summary_sql.resume()
    return errors


def _write_rows(
    ctx, ledger, digest: str, planned, keys, numbers, drawn, earlier, clocks, year: int, involved
):
    """One chunk's rows: everything registration writes, the search index and the chains.
    Adds the chunk's petitions with an involvement to `involved` (id: row result). Returns the
    petition ids."""
    actor = ctx.actor
    petitions = []
    for (result, data), (number, serial) in zip(planned, numbers, strict=True):
        petition = _petition(result, data, actor, year)
        petition.number, petition.serial = number, serial
        # The queues' columns (derived.py) from what is written below: the running clocks of an
        # open matter (as registration sets them), a closed matter's lead handling unit.
        if not result.closed:
            petition.next_due_at = derived.running_due(clocks.model(petition))
        elif result.handling_units:
            petition.lead_unit_id = result.handling_units[0]
        petitions.append(petition)
    insert(Petition, petitions, returning_ids=True, match_on="number", ids=drawn)
    involved.update(_involving(petitions, planned))

    people, units, persons, receptions, parties = [], [], [], [], []
    # Each petition's records with searchable text, for its search document (written_bodies).
    records: dict[int, dict[str, list]] = {}
    for petition, (_result, data) in zip(petitions, planned, strict=True):
        petitioners, involved_units, involved_persons = party_objects(petition, data)
        parties.append((petitioners, involved_units, involved_persons))
        people += petitioners
        units += involved_units
        persons += involved_persons
        texts = records[petition.pk] = {
            "petitions.Petitioner": petitioners,
            "petitions.InvolvedPerson": involved_persons,
        }
        if data.reception:
            # By id: through the one-to-one descriptor the petition would hold its reception
            # and the reception its petition, a cycle left for the cycle collector, which is
            # held off while importing (service.py): a third of the petitions kept until the end.
            reception = ReceptionRecord(
                petition_id=petition.pk,
                received_by_id=actor.pk,
                notes=data.reception.notes,
                explained=data.reception.explained,
                visitors=data.reception.visitors,
            )
            receptions.append(reception)
            texts["petitions.ReceptionRecord"] = [reception]
    insert(Petitioner, people)
    insert(InvolvedUnit, units)
    insert(InvolvedPerson, persons)
    insert(ReceptionRecord, receptions)
    # The clocks, import records and repeat links are written from plain values (no instance
    # each): nothing reads them again here.
    insert_values(
        Petition.repeat_of.through,
        ("from_petition_id", "to_petition_id"),
        ((petition.pk, pk) for petition, pk in _repeat_links(petitions, keys, earlier)),
    )
    deadlines, replies, assignments, imported = [], [], [], []
    # Each petition's live units (its search document's), from the assignments written here.
    live: dict[int, list[int]] = {}
    for petition, (result, _data) in zip(petitions, planned, strict=True):
        if not result.closed:
            # The clocks registration starts; a closed matter's never run.
            deadlines += clocks.start(petition)
        more_replies, more_assignments = history_rows(petition, result, actor)
        replies += more_replies
        records[petition.pk]["petitions.Reply"] = more_replies
        assignments += more_assignments
        units = live_unit_ids(more_assignments)
        if units:
            live[petition.pk] = units
        imported.append((petition.pk, ledger.pk, result.original_number, result.row))
    insert_values(Deadline, _Clocks.FIELDS, deadlines)
    insert(Reply, replies)
    # A raw insert: the manager's bulk_create, which copies each petition's time, is bypassed.
    insert(Assignment, with_received_at(assignments))
    insert_values(ImportedPetition, ("petition_id", "ledger_import_id", "original_number", "row"), imported)

    petitions_created_in_bulk.send(
        sender=Petition, petitions=petitions, reason="imported", records=records, units=live
    )
    start_chains(
        petitions,
        ctx,
        "petition.imported",
        {
            petition.pk: {**_registration_data(petition, data), **import_data(ledger.pk, digest, result)}
            for petition, (result, data) in zip(petitions, planned, strict=True)
        },
        # Sealed from the rows just written, as registration seals its event (no read back).
        states={
            petition.pk: state.digest(
                describe_written(
                    petition,
                    petitioners=petitioners,
                    involved_units=involved_units,
                    involved_persons=involved_persons,
                )
            )
            for petition, (petitioners, involved_units, involved_persons) in zip(
                petitions, parties, strict=True
            )
        },
        count=False,
    )
    return [p.pk for p in petitions]


class _Clocks:
    """registration_deadlines for many petitions. A clock's end depends on the day received
    (office time), the channel and the superior's date, not on the hour: each such triple is
    computed once (registration's own function) and copied, with each petition's start."""

    # The values `start` gives for each clock, in this order (insert_values); the rest are
    # a new clock's defaults (not met, not paused, no unit).
    FIELDS = ("petition_id", "name", "rule", "starts_at", "due_at", "calendar_gap")

    def __init__(self):
        self.policies = clock_cache.policies()
        self.computed: dict[tuple, list[Deadline]] = {}

    def model(self, petition: Petition) -> list[Deadline]:
        key = (petition.channel, clock_day(petition.received_at), petition.superior_due_date)
        model = self.computed.get(key)
        if model is None:
            model = self.computed[key] = registration_deadlines(petition, self.policies)
        return model

    def start(self, petition: Petition) -> list[tuple]:
        """The petition's registration clocks, as values of FIELDS."""
        return [
            (petition.pk, d.name, d.rule, petition.received_at, d.due_at, d.calendar_gap)
            for d in self.model(petition)
        ]


def check_reach(actor, planned) -> list[dict]:
    """The reach check of `write` for a dry run: the rows with an involvement are written in a
    savepoint, checked through the read policy, and rolled back."""
    subset = [(result, data) for result, data in planned if data.involved_units or data.involved_persons]
    if not subset:
        return []
    year = office_year(timezone.now())
    with transaction.atomic():
        # Rolled back below, the setting with it: the statistics would count nothing kept.
        summary_sql.pause()
        petitions = [_petition(result, data, actor, year) for result, data in subset]
        insert(Petition, petitions, returning_ids=True, match_on="number")
        insert(
            InvolvedUnit,
            (
                InvolvedUnit(petition=p, unit=u)
                for p, (_r, d) in zip(petitions, subset, strict=True)
                for u in d.involved_units
            ),
        )
        insert(
            InvolvedPerson,
            (
                InvolvedPerson(petition=p, name=x.name, unit=x.unit, user=x.user)
                for p, (_r, d) in zip(petitions, subset, strict=True)
                for x in d.involved_persons
            ),
        )
        errors = _unreachable(dict(_involving(petitions, subset)), actor)
        transaction.set_rollback(True)
    return errors


def _petition(result, data, actor, year: int) -> Petition:
    if not result.closed:
        return unsaved_petition(data, actor=actor, year=year)
    return unsaved_petition(
        data, actor=actor, year=year, status=Status.CLOSED, outcome=result.outcome, closed_at=result.closed_at
    )


def _registration_data(petition: Petition, data) -> dict:
    """What registration's own event records (less the repeat links, which the petition page
    shows through the read policy)."""
    return {
        "number": petition.number,
        "channel": data.channel,
        "category": data.category.code,
        "petitioners": len(data.petitioners),
        "involved_units": [u.pk for u in data.involved_units],
        "important": data.important,
        "urgent": data.urgent,
        "group": data.is_group,
    }


def _involving(petitions, planned):
    """(petition id, row result) of the petitions with an involvement."""
    return (
        (p.pk, result)
        for p, (result, data) in zip(petitions, planned, strict=True)
        if data.involved_units or data.involved_persons
    )


def _unreachable(involved: dict, actor) -> list[dict]:
    """ensure_reachable for every petition with an involvement (id: row result), as row errors,
    in the order of the rows."""
    errors = []
    for pk, who in sorted(unreachable_many(involved, actor).items(), key=lambda item: involved[item[0]].row):
        result = involved[pk]
        result.error("involved_units", unreachable_message(who))
        errors.extend(result.errors)
    return errors


# --- repeat links (registration's _link_repeats, for a batch) ------------------------------------


def _person_keys(data) -> tuple[list[str], list[str]]:
    ids = [k for k in (blind_index("id", p.id_number) for p in data.petitioners) if k]
    phones = [k for k in (blind_index("phone", p.phone) for p in data.petitioners) if k]
    return ids, phones


def _keep(found: list, item) -> None:
    """Keep the MAX_REPEAT_LINKS most recent (received, pk) pairs, most recent first."""
    if item in found:
        return
    found.append(item)
    found.sort(reverse=True)
    del found[MAX_REPEAT_LINKS:]


def _earlier_matches(id_keys: set[str], phone_keys: set[str]) -> dict[tuple[str, str], list]:
    """For each ("id"|"phone", key): the most recent petitions already here (not void) with a
    petitioner of that key, as (received_at, pk), newest first, at most MAX_REPEAT_LINKS."""
    found: dict[tuple[str, str], list] = {}
    for kind, field, wanted in (("id", "id_number_index", id_keys), ("phone", "phone_index", phone_keys)):
        for among in among_values(field, sorted(wanted), array_type="text", per_list=LOOKUP):
            rows = (
                Petitioner.objects.filter(among)
                .exclude(petition__status=Status.VOID)
                .values_list(field, "petition__received_at", "petition_id")
            )
            for key, received, pk in rows:
                _keep(found.setdefault((kind, key), []), (received, pk))
    return found


def _repeat_links(petitions, keys, earlier) -> list[tuple[Petition, int]]:
    """Each petition repeats the most recent earlier petitions of the same person: those already
    here and those on earlier rows of this ledger (registered before it, one by one), ordered as
    registration orders them (received, then id, newest first), at most MAX_REPEAT_LINKS."""
    links = []
    for petition, (id_keys, phone_keys) in zip(petitions, keys, strict=True):
        mine = [("id", k) for k in id_keys] + [("phone", k) for k in phone_keys]
        if not mine:
            continue
        candidates: list = []
        for key in mine:
            for item in earlier.get(key, ()):
                _keep(candidates, item)
        links += [(petition, pk) for _received, pk in candidates]
        for key in mine:
            _keep(earlier.setdefault(key, []), (petition.received_at, petition.pk))
    return links
