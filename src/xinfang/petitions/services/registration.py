"""Registering petitions (Rules 2.1, 3.1, 4.1) and correcting a registration."""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.audit import state
from xinfang.audit.services import (
    Context,
    append_event,
    append_prepared,
    count_chain_step,
    prepare_first_event,
)
from xinfang.core.errors import Conflict, Forbidden
from xinfang.core.inserts import insert_one
from xinfang.core.statements import KeptStatements
from xinfang.petitions import derived
from xinfang.petitions.audit_state import describe_written
from xinfang.petitions.choices import Status
from xinfang.petitions.deadlines import office_year, registration_deadlines, restart_registration_clocks
from xinfang.petitions.hooks import petition_numbered, petition_text_changed
from xinfang.petitions.models import (
    Assignment,
    Deadline,
    IdempotencyKey,
    InvolvedPerson,
    InvolvedUnit,
    Petition,
    Petitioner,
    ReceptionRecord,
)
from xinfang.petitions.numbering import (
    TAKEN,
    allocate_number,
    end_sent_with_commit,
    provisional_number,
    release_before_flush,
    send_with_commit,
    wait_until_durable,
)
from xinfang.petitions.services.checks import RegistrationInput, check_registration
from xinfang.petitions.services.reach import ensure_reachable

# How many earlier petitions by the same person are linked as "repeat of".
MAX_REPEAT_LINKS = 20


@lru_cache(maxsize=4)
def _index_hmac(key: str):
    """The HMAC keyed once: each value then costs a copy of it (the key's padding and the two
    inner hashes are not computed again), less than half of keying it anew per value (two per
    petitioner at registration, two per petitioner and row in a ledger import)."""
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def blind_index(kind: str, value: str) -> str:
    """Keyed hash for exact look-ups of personal data (empty stays empty)."""
    if not value:
        return ""
    keyed = _index_hmac(settings.INDEX_KEY).copy()
    keyed.update(f"{kind}:{value}".encode())
    return keyed.hexdigest()


def may_register(user) -> bool:
    """Any member of staff of the petition office or its leadership may register; the
    registering user becomes the first responder (Rule 4.1)."""
    from xinfang.accounts.models import OFFICE_ROLES

    return user.is_authenticated and user.has_role(*OFFICE_ROLES)


def fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def register_petition(
    *, ctx: Context, data: RegistrationInput, idempotency_key: str = "", request_fingerprint: str = ""
) -> tuple[Petition, bool]:
    """Register a petition and return it with `created` (False when an Idempotency-Key
    repeats an earlier request: that request's petition is returned unchanged).

    The caller validated `data` with check_registration; permission is checked here
    because every door (page, API, command) must agree on it.
    """
    if not may_register(ctx.actor):
        raise Forbidden(_("Only petition office staff and leaders register petitions."))
    if idempotency_key:
        existing = _replay(ctx.actor, idempotency_key, request_fingerprint)
        if existing:
            return existing, False
    # Only when this block is the outermost does its COMMIT follow the last statement at once.
    commit_follows = not transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic():
            petition = _create(
                ctx,
                data,
                idempotency_key=idempotency_key,
                request_fingerprint=request_fingerprint,
                commit_follows=commit_follows,
            )
    except IntegrityError:
        # Two requests with one key raced: the other committed first; answer as it did.
        existing = _replay(ctx.actor, idempotency_key, request_fingerprint) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    finally:
        end_sent_with_commit()  # left already by the commit's first callback, unless it failed
    return petition, True


def _replay(user, key: str, request_fingerprint: str) -> Petition | None:
    record = IdempotencyKey.objects.filter(user=user, key=key).select_related("petition").first()
    if record is None:
        return None
    if request_fingerprint and record.fingerprint and record.fingerprint != request_fingerprint:
        raise IdempotencyMismatch()
    if release_before_flush():
        # The first request may still be waiting for the disk after its COMMIT (numbering.py):
        # its petition is not answered for before it is on disk, here either.
        wait_until_durable()
    return record.petition


class IdempotencyMismatch(Conflict):
    status = 422
    default_message = _("This Idempotency-Key was already used for a different petition.")


def _create(
    ctx: Context,
    data: RegistrationInput,
    *,
    idempotency_key: str = "",
    request_fingerprint: str = "",
    commit_follows: bool = False,
) -> Petition:
    """Write the registration, then take the number LAST.

    The number's row lock lasts until commit (numbering.py), so everything that does
    not need the number is written first, under a provisional number: the petition, the
    Idempotency-Key's claim, its parties, the reception record, repeat links, clocks and the
    search index (sent `petition_text_changed` now, `petition_numbered` once the number is
    known). Inside the lock: the number (written into the petition by the same statement on
    PostgreSQL, with the count of chains), then the index's copy of it, the event, its
    chain head and the count's seal in one statement, then the COMMIT, which on PostgreSQL
    releases the row before the disk's wait (numbering.py: the wait comes after it). The
    event's state digest is computed from the rows written here, not read back
    (audit_state.describe_written). Whatever the service read or wrote stays on the
    returned petition (the 201 answer is built from it, `petition_from_registration`)."""
    now = timezone.now()
    year = office_year(now)
    petition = unsaved_petition(data, actor=ctx.actor, year=year)
    provisional = petition.number
    # The clocks are computed first so that the petition row carries its next deadline from its
    # INSERT (derived.py), without an UPDATE; they are written below, where they were.
    clocks = registration_deadlines(petition)
    petition.next_due_at = derived.running_due(clocks)
    # As petition.save(force_insert=True), from an INSERT built once (core/inserts.py).
    insert_one(petition, returning_pk=True)
    if idempotency_key:
        # Claimed first, before the number: a second request with the same key waits here on the
        # key's unique index (not in the number's queue) until this one ends, then fails into a
        # replay without ever taking a number (register_petition).
        IdempotencyKey.objects.create(
            user=ctx.actor, key=idempotency_key, fingerprint=request_fingerprint, petition=petition
        )
    petitioners, involved_units, involved_persons = _write_parties(petition, data)
    if data.involved_units or data.involved_persons:
        # Only an involvement can hide a petition from the office staff who registered it
        # and from the leaders (services/reach.py): without one there is nothing to ask.
        ensure_reachable(petition, field="involved_units" if data.involved_units else "involved_persons")
    reception = None
    if data.reception:
        reception = ReceptionRecord.objects.create(
            petition=petition,
            received_by=ctx.actor,
            notes=data.reception.notes,
            explained=data.reception.explained,
            visitors=data.reception.visitors,
        )
    repeats = _link_repeats(petition, data)
    deadlines = Deadline.objects.bulk_create(clocks)
    _remember(
        petition,
        petitioners=petitioners,
        involved_units=involved_units,
        involved_persons=involved_persons,
        reception=reception,
        deadlines=deadlines,
        repeats=repeats,
    )
    # Indexed under the provisional number, outside the lock (receivers may read the
    # relations remembered above instead of the database).
    petition_text_changed.send(sender=Petition, petition=petition, reason="registered")
    # Everything of the event that does not need the number is built now, outside the lock: its
    # payload, the sealed state's text and the hash's input, with stand-ins for the number and
    # the serial (random strings, as the provisional number is) filled in once they are known.
    serial_slot, state_slot = provisional_number(), provisional_number()
    described = describe_written(
        petition,
        petitioners=petitioners,
        involved_units=involved_units,
        involved_persons=involved_persons,
    )
    described["petition"]["number"], described["petition"]["serial"] = provisional, serial_slot
    seal = state.digest_later(described, (provisional, serial_slot))
    prepared = prepare_first_event(
        petition,
        ctx,
        "petition.registered",
        {
            "number": provisional,
            "channel": data.channel,
            "category": data.category.code,
            "petitioners": len(data.petitioners),
            "involved_units": [u.pk for u in data.involved_units],
            "important": data.important,
            "urgent": data.urgent,
            "group": data.is_group,
            "repeat_of": [n for _pk, n in repeats],
        },
        state_digest=state_slot,
        slots=(provisional, state_slot),
    )
    # From here to commit the year's number row is locked: two statements on PostgreSQL. The
    # first takes the number, writes it into the petition and counts the new chain (the count's
    # row lock after the number's); the second writes the event, its head, the count's seal
    # and what the receivers of petition_numbered returned (the search index's number). Between
    # them only what needs the number: the search document's new grams, the two substitutions
    # and the HMACs.
    number, serial, chains = allocate_number(
        year, petition_id=petition.pk, then=count_chain_step(petition.pk, after=TAKEN)
    )
    petition.number, petition.serial = number, serial
    writes = [
        write
        for _receiver, write in petition_numbered.send(
            sender=Petition, petition=petition, provisional=provisional
        )
        if write
    ]
    sealed = seal({provisional: number, serial_slot: serial})
    if commit_follows:
        send_with_commit()  # the last statement goes with the COMMIT: one round trip in the lock
    append_prepared(
        prepared,
        {provisional: number, state_slot: sealed},
        chains=chains,
        writes=writes,
        read=not commit_follows,
    )
    return petition


def _cached(petition, name: str, rows):
    """The relation's own queryset (filtered to this petition, as any later
    `.filter()` on it must be) answering `.all()` from `rows`, as prefetch_related
    leaves it."""
    qs = getattr(petition, name).all()
    qs._result_cache = list(rows)
    qs._prefetch_done = True
    return qs


def _remember(petition, *, petitioners, involved_units, involved_persons, reception, deadlines, repeats):
    """Attach what registration wrote to the petition in the shape petition_detail's
    select_related/prefetch_related would, so the 201 answer (PetitionDetail) reads
    nothing back. Only rows just written or read in this transaction are used."""
    # Cached even when None: "no reception record" must not cost a query either.
    Petition._meta.get_field("reception").set_cached_value(petition, reception)
    cache = {
        "petitioners": _cached(petition, "petitioners", petitioners),
        "involved_units": _cached(petition, "involved_units", involved_units),
        "involved_persons": _cached(petition, "involved_persons", involved_persons),
        "deadlines": _cached(petition, "deadlines", sorted(deadlines, key=lambda d: d.due_at)),
        "repeat_of": _cached(petition, "repeat_of", [Petition(pk=pk, number=n) for pk, n in repeats]),
        "assignments": _cached(petition, "assignments", []),
        # A new petition has no procedure records yet: the answer's allowed actions ask.
        "persuasions": _cached(petition, "persuasions", []),
        "attachments": _cached(petition, "attachments", []),
    }
    petition._prefetched_objects_cache = cache


def unsaved_petition(
    data: RegistrationInput, *, actor, year: int, status: str = Status.REGISTERED, **fields
) -> Petition:
    """The petition a checked registration describes, unsaved, under a provisional number
    (its serial is replaced with the real one in the registering transaction). Registration
    and the ledger import build it here, so that both copy the same fields; `fields`: what
    the caller sets besides (an imported closed matter's status and outcome)."""
    return Petition(
        number=provisional_number(),
        year=year,
        serial=1,
        channel=data.channel,
        status=status,
        received_at=data.received_at,
        anonymous=data.anonymous,
        title=data.title,
        content=data.content,
        requests=data.requests,
        category=data.category,
        important=data.important,
        urgent=data.urgent,
        is_group=data.is_group,
        superior_unit=data.superior_unit,
        superior_reference=data.superior_reference,
        superior_due_date=data.superior_due_date,
        first_responder=actor,
        **fields,
    )


def party_objects(petition: Petition, data: RegistrationInput) -> tuple[list, list, list]:
    """The petitioners (sealed, with their blind indexes), involved units and involved persons
    of a registration, unsaved: written here one petition at a time and by the ledger import
    many at a time (reports/importing/bulk.py), so both seal personal data the same way."""
    petitioners = [
        Petitioner(
            petition=petition,
            position=i,
            name=p.name,
            id_number=p.id_number,
            phone=p.phone,
            address=p.address,
            work_unit=p.work_unit,
            is_representative=p.is_representative,
            id_number_index=blind_index("id", p.id_number),
            phone_index=blind_index("phone", p.phone),
        )
        for i, p in enumerate(data.petitioners)
    ]
    units = [InvolvedUnit(petition=petition, unit=u) for u in data.involved_units]
    persons = [
        InvolvedPerson(petition=petition, name=p.name, unit=p.unit, user=p.user)
        for p in data.involved_persons
    ]
    return petitioners, units, persons


def _write_parties(petition: Petition, data: RegistrationInput) -> tuple[list, list, list]:
    petitioners, units, persons = party_objects(petition, data)
    return (
        Petitioner.objects.bulk_create(petitioners),
        InvolvedUnit.objects.bulk_create(units),
        InvolvedPerson.objects.bulk_create(persons),
    )


def _earlier_by_person(petition_id, id_keys: list[str], phone_keys: list[str]):
    """Earlier petitions (not void) with a petitioner of one of these blind indexes, most recent
    first, as (pk, number), at most MAX_REPEAT_LINKS."""
    from django.db.models import Q

    match = Q(petitioners__id_number_index__in=id_keys) | Q(petitioners__phone_index__in=phone_keys)
    return (
        Petition.objects.filter(match)
        .exclude(pk=petition_id)
        .exclude(status=Status.VOID)
        .order_by("-received_at", "-id")
        .values_list("pk", "number")
        .distinct()[:MAX_REPEAT_LINKS]
    )


# PostgreSQL: the look-up of _earlier_by_person as a WITH item, the links inserted from it (in its
# order, so their ids rise as bulk_create's would), the petitions found returned.
_LINK_REPEATS = (
    'WITH "earlier" AS ({earlier}), "linked" AS ('
    'INSERT INTO "{table}" ("from_petition_id", "to_petition_id") '
    'SELECT %s, "pk" FROM "earlier" ORDER BY "received_at" DESC, "pk" DESC) '
    'SELECT "pk", "number" FROM "earlier" ORDER BY "received_at" DESC, "pk" DESC'
)
# Its text and parameters by shape (how many ID numbers, how many phones): the ORM built and
# compiled the same statement for every registration (about a tenth of its CPU, profiled); now
# once per shape and process, with stand-ins marking where this call's values go.
_KEPT_REPEATS = KeptStatements(64)
_KEY_STAND_IN = "\x00xinfang-key-{}"
_PETITION_STAND_IN = -7_340_287_105_519


def _repeats_statement(id_keys: list[str], phone_keys: list[str]) -> tuple[str, list, list] | None:
    """(sql, params, where) for the PostgreSQL statement: `where[i]` is the index into
    [*id_keys, *phone_keys, petition id] of the value params[i] stands for (-1: a constant)."""
    shape = (connection.alias, len(id_keys), len(phone_keys))
    kept = _KEPT_REPEATS.get(shape)
    if kept is None:
        values = [_KEY_STAND_IN.format(i) for i in range(len(id_keys) + len(phone_keys))]
        values.append(_PETITION_STAND_IN)
        earlier = _earlier_by_person(values[-1], values[: len(id_keys)], values[len(id_keys) : -1])
        sql, params = earlier.query.sql_with_params()
        sql = _LINK_REPEATS.format(earlier=sql, table=Petition.repeat_of.through._meta.db_table)
        params = [*params, _PETITION_STAND_IN]
        where = [values.index(p) if p in values else -1 for p in params]
        # Every value must stand exactly where the ORM put it; otherwise keep nothing (the ORM
        # builds it each time, below).
        if sorted(i for i in where if i >= 0) != sorted(
            [*range(len(values) - 1), len(values) - 1, len(values) - 1]
        ):
            return None
        kept = _KEPT_REPEATS.put(shape, (sql, params, where))
    return kept


def _link_repeats(petition: Petition, data: RegistrationInput) -> list[tuple[int, str]]:
    """Earlier petitions by the same person (same ID number or phone) are marked as
    ones this petition repeats (重复信访), most recent first, as (pk, number). The
    keys come from the input, not from re-reading the rows just written. Runs before
    the number is taken: it reads, and must not hold the numbering lock."""
    id_keys = [k for k in (blind_index("id", p.id_number) for p in data.petitioners) if k]
    phone_keys = [k for k in (blind_index("phone", p.phone) for p in data.petitioners) if k]
    if not id_keys and not phone_keys:
        return []
    through = Petition.repeat_of.through
    if connection.vendor == "postgresql":
        kept = _repeats_statement(id_keys, phone_keys)
        if kept is not None:
            sql, constants, where = kept
            values = [*id_keys, *phone_keys, petition.pk]
            params = [values[w] if w >= 0 else c for c, w in zip(constants, where, strict=True)]
        else:
            sql, params = _earlier_by_person(petition.pk, id_keys, phone_keys).query.sql_with_params()
            sql = _LINK_REPEATS.format(earlier=sql, table=through._meta.db_table)
            params = [*params, petition.pk]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(pk, number) for pk, number in cursor.fetchall()]
    earlier = list(_earlier_by_person(petition.pk, id_keys, phone_keys))
    # The link rows directly: `repeat_of.add` first reads which links exist (none can,
    # the petition is new) and costs a second statement.
    through.objects.bulk_create(
        through(from_petition_id=petition.pk, to_petition_id=pk) for pk, _n in earlier
    )
    return earlier


# --- Correcting a registration (PATCH while registered) -------------------------

CORRECTABLE = (
    "channel",
    "received_at",
    "anonymous",
    "title",
    "content",
    "requests",
    "category",
    "important",
    "urgent",
    "petitioners",
    "involved_units",
    "involved_persons",
    "superior",
    "reception",
)
# Changes to these are logged by field name only: the event log carries no personal data.
PERSONAL = {"petitioners", "reception"}


def registration_as_data(petition: Petition) -> dict:
    """The petition's registration in the shape check_registration accepts."""
    reception = getattr(petition, "reception", None)
    return {
        "channel": petition.channel,
        "received_at": petition.received_at,
        "anonymous": petition.anonymous,
        "title": petition.title,
        "content": petition.content,
        "requests": petition.requests,
        "category": petition.category.code,
        "important": petition.important,
        "urgent": petition.urgent,
        "petitioners": [
            {
                "name": p.name,
                "id_number": p.id_number,
                "phone": p.phone,
                "address": p.address,
                "work_unit": p.work_unit,
                "is_representative": p.is_representative,
            }
            for p in petition.petitioners.all()
        ],
        "involved_units": [iu.unit_id for iu in petition.involved_units.all()],
        "involved_persons": [
            {"name": p.name, "unit": p.unit_id, "user": p.user.username if p.user_id else None}
            for p in petition.involved_persons.select_related("user")
        ],
        "superior": (
            {
                "unit": petition.superior_unit_id,
                "reference": petition.superior_reference,
                "due_date": petition.superior_due_date,
            }
            if petition.superior_unit_id
            else None
        ),
        "reception": (
            {"notes": reception.notes, "explained": reception.explained, "visitors": reception.visitors}
            if reception
            else None
        ),
    }


def _comparable(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def correct_registration(*, ctx: Context, petition: Petition, changes: dict) -> Petition:
    """Correct registration fields while the petition is still `registered` (logged).

    The merged registration is validated as a whole, as at registration.
    """
    if not may_register(ctx.actor):
        raise Forbidden(_("Only petition office staff and leaders correct registrations."))
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        from xinfang.core.errors import InvalidInput

        raise InvalidInput({k: [_("This field cannot be changed here.")] for k in unknown})
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.status != Status.REGISTERED:
            raise Conflict(_("A registration can only be corrected before the proposed handling is made."))
        before = registration_as_data(locked)
        merged = {**before, **changes}
        data = check_registration(merged, now=timezone.now())
        changed = [
            k for k in CORRECTABLE if k in changes and _comparable(before[k]) != _comparable(merged[k])
        ]
        if not changed:
            return locked
        for name in (
            "channel",
            "received_at",
            "anonymous",
            "title",
            "content",
            "requests",
            "category",
            "important",
            "urgent",
        ):
            setattr(locked, name, getattr(data, name))
        locked.superior_unit = data.superior_unit
        locked.superior_reference = data.superior_reference
        locked.superior_due_date = data.superior_due_date
        locked.is_group = data.is_group
        locked.save()
        if {"petitioners", "involved_units", "involved_persons"} & set(changed):
            # Parties are replaced wholesale: they are part of the registration, not history.
            locked.petitioners.all().delete()
            locked.involved_units.all().delete()
            locked.involved_persons.all().delete()
            _write_parties(locked, data)
            ensure_reachable(locked, field="involved_units" if data.involved_units else "involved_persons")
        if "reception" in changed or "channel" in changed:
            ReceptionRecord.objects.filter(petition=locked).delete()
            if data.reception:
                ReceptionRecord.objects.create(
                    petition=locked,
                    received_by=ctx.actor,
                    notes=data.reception.notes,
                    explained=data.reception.explained,
                    visitors=data.reception.visitors,
                )
        if "received_at" in changed:
            # Each assignment carries its petition's time (the handling officers' list order).
            # None exists while the petition is registered, short of an imported history.
            Assignment.objects.filter(petition=locked).update(received_at=locked.received_at)
        if {"received_at", "superior", "channel"} & set(changed):
            try:
                restart_registration_clocks(locked)
            except ProtectedError:
                # A leader's extension or pause of a clock stands on the clock as it runs;
                # restarting the clock would void that approval. Refused, and the whole
                # correction with it (the transaction rolls back what was written above).
                raise Conflict(
                    _(
                        "The received time, channel or superior's details can no longer be corrected: "
                        "a leader has already extended or paused this petition's time limits."
                    )
                ) from None
        append_event(
            locked,
            ctx,
            "petition.corrected",
            {
                "fields": changed,
                "changes": {
                    k: {"old": _comparable(before[k]), "new": _comparable(merged[k])}
                    for k in changed
                    if k not in PERSONAL
                },
            },
        )
        petition_text_changed.send(sender=Petition, petition=locked, reason="corrected")
    return locked
