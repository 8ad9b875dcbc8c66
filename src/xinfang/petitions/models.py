"""Petitions and what is registered with them (Rules 2.1, 3.1, 4.1, 4.2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit
from xinfang.core.choices import ChoiceLabels
from xinfang.core.fields import EncryptedTextField
from xinfang.petitions.choices import OPEN_STATUSES, TO_ARCHIVE_STATUSES, Channel, Status
from xinfang.petitions.masking import MaskedCopyField
from xinfang.petitions.querysets import PetitionManager

# In a fixed order: the partial indexes' condition must read the same in every migration.
OPEN_STATUS_LIST = sorted(s.value for s in OPEN_STATUSES)


class Category(models.Model):
    """A managed list of petition categories (问题分类), seeded with the usual ones."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def localized_name(self, language: str) -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name


class NumberSequence(models.Model):
    """The last number handed out per prefix and year (Rule 3.1 统一编号).

    Incremented inside the registering transaction, so a rolled-back registration
    gives its number back and the series stays gapless.
    """

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="unique_number_sequence")]


class Petition(ChoiceLabels, models.Model):
    number = models.CharField(_("petition number"), max_length=32, unique=True)
    year = models.PositiveSmallIntegerField()
    serial = models.PositiveIntegerField()
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.REGISTERED)
    received_at = models.DateTimeField(_("received at"))
    anonymous = models.BooleanField(_("anonymous"), default=False)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("problem raised"), max_length=20000)
    requests = models.TextField(_("requests"), max_length=5000, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    important = models.BooleanField(_("important"), default=False)
    urgent = models.BooleanField(_("urgent"), default=False)
    is_group = models.BooleanField(_("group petition"), default=False)
    superior_unit = models.ForeignKey(
        Unit,
        verbose_name=_("superior or requesting organ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    superior_reference = models.CharField(_("superior's reference number"), max_length=64, blank=True)
    superior_due_date = models.DateField(_("superior's due date"), null=True, blank=True)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first responder"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    repeat_of = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="repeats", verbose_name=_("repeat of")
    )
    # Where the procedure ended (Rule 4.4: every petition has an outcome).
    outcome = models.TextField(_("outcome"), max_length=10000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    archive_number = models.CharField(_("archive number"), max_length=64, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    void_reason = models.TextField(_("reason for voiding"), max_length=5000, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_petitions",
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the queues and /outstanding/ sort and filter by, kept by petitions/derived.py from the
    # assignments and clocks (issue 9): the live lead assignment's unit, and the earliest end of
    # the running clocks ("overdue" is next_due_at < now). Never set by hand. No index of its
    # own on lead_unit: the open petitions' partial indexes below carry it.
    lead_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Who signs the current result (the newest not sent back), kept the same way for the signing
    # queue (queues._to_sign): its submitter (empty: no current result), the unit of its
    # assignment, and that unit again only while the assignment is not withdrawn.
    result_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    result_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    result_live_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    objects = PetitionManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(condition=models.Q(serial__gte=1), name="petition_serial_positive"),
            models.UniqueConstraint(
                fields=["archive_number"],
                condition=~models.Q(archive_number=""),
                name="unique_archive_number",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="petition_status_received"),
            models.Index(fields=["first_responder", "status"], name="petition_responder_status"),
            models.Index(fields=["-received_at", "-id"], name="petition_received_order"),
            # The columns the live statistics group a petition by, looked up by id
            # (reports/statistics_onepass.py: a handling officer's 8,000 petitions of a year
            # among 10^6, each a visit to a different table page of rows that hold the letter's
            # text). From this narrow index the same look-ups read a fraction of the pages
            # (docs/benchmarks.md, round 20). PostgreSQL only in effect: SQLite has no INCLUDE.
            models.Index(
                fields=["id"],
                include=["received_at", "is_group", "channel", "status", "category"],
                name="petition_statistics_columns",
            ),
            # The open petitions by their next running deadline: /outstanding/'s order (overdue
            # first, since they end earliest), and "overdue" as a range of it.
            models.Index(
                fields=["next_due_at", "received_at", "id"],
                condition=models.Q(status__in=OPEN_STATUS_LIST),
                name="petition_open_next_due",
            ),
            # /outstanding/'s two summaries in one pass over this index alone (responder, unit,
            # overdue; the id for the Rule 4.3 anti-joins), not over the table.
            models.Index(
                fields=["first_responder", "lead_unit", "next_due_at", "id"],
                condition=models.Q(status__in=OPEN_STATUS_LIST),
                name="petition_open_work",
            ),
            # The results waiting for signatures with everything the signing queue decides by
            # (queues._to_sign): its count reads this index, not each petition's results.
            models.Index(
                fields=["result_live_unit", "result_by", "result_unit", "lead_unit", "first_responder", "id"],
                condition=models.Q(status="result_submitted"),
                name="petition_results_to_sign",
            ),
            # The open petitions by status and channel: every queue count of the home pages that is
            # a status (and the superior's channel) reads this index alone, a few pages for the
            # 1,000 rows a capped count stops at. Through petition_status_received each row was a
            # visit to the table (the clerk's ten counts, 118 ms at 10^6, most of it these), and
            # the superior's replied petitions were found by reading every replied one.
            models.Index(
                fields=["status", "channel", "id"],
                condition=models.Q(status__in=OPEN_STATUS_LIST),
                name="petition_open_status",
            ),
            # The open petitions by id alone: the office's /deadlines/ list tests each clock's petition
            # for "open and visible" by a probe of this index (and the two Rule 4.3 indexes), not a
            # visit to the table row, as it walks the running clocks in order (deadlines/selectors.py).
            models.Index(
                fields=["id"],
                condition=models.Q(status__in=OPEN_STATUS_LIST),
                name="petition_open_id",
            ),
            # The clerk's "to archive" queue newest first. Through petition_received_order the
            # preview walked every newer petition still open before the first ended one (54,875
            # rows, 173 ms at 10^6, where the recent petitions are the open ones).
            models.Index(
                fields=["-received_at", "-id"],
                condition=models.Q(status__in=sorted(s.value for s in TO_ARCHIVE_STATUSES)),
                name="petition_to_archive_order",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class Petitioner(models.Model):
    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="petitioners")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=50)
    # Sealed in the database (core/crypto.py); max_length is the limit of the plain value.
    id_number = EncryptedTextField(_("ID number"), max_length=18, blank=True, purpose="petitioner.id_number")
    phone = EncryptedTextField(_("phone"), max_length=30, blank=True, purpose="petitioner.phone")
    address = EncryptedTextField(_("address"), max_length=200, blank=True, purpose="petitioner.address")
    # The three above as the masked screens and the ledger show them, sealed in one value and
    # derived from them on every write (petitions/masking.py): one value to open per row.
    masked = MaskedCopyField(_("masked copy"), purpose="petitioner.masked")
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    is_representative = models.BooleanField(_("representative"), default=False)
    # Keyed hashes (HMAC) of the normalised ID number and phone: exact look-ups for
    # repeat detection without searching the personal data itself.
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["petition_id", "position"]
        verbose_name = _("petitioner")
        verbose_name_plural = _("petitioners")

    def __str__(self):
        return self.name


class InvolvedUnit(models.Model):
    """A unit the petition complains about (Rule 4.3): it must never see the petition."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="involved_units")
    # Indexed as (unit, petition) below, which serves every look-up by unit too.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="involvements", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["petition", "unit"], name="unique_involved_unit")]
        indexes = [
            # A unit's involvements as petition ids, read from the index alone: the firewall's
            # petitions among a handling officer's (Rule 4.3; reports/unit_list_index.py,
            # reports/summary_live._firewalled_assigned) join them with the unit's assignments,
            # and a unit complained about often has tens of thousands (the housing bureau
            # 45,000 at 10⁶: docs/benchmarks.md, round 19).
            models.Index(fields=["unit", "petition"], name="involved_unit_petitions"),
        ]


class InvolvedPerson(models.Model):
    """A person the petition complains about; linked to their account when they have one."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="involved_persons")
    name = models.CharField(_("name"), max_length=50)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="involvements"
    )

    class Meta:
        ordering = ["id"]


class ReceptionRecord(models.Model):
    """Rule 4.2: what was said at a visit or on a call, and what was explained."""

    petition = models.OneToOneField(Petition, on_delete=models.PROTECT, related_name="reception")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("conversation notes"), max_length=20000)
    explained = models.TextField(_("policies and laws explained"), max_length=10000, blank=True)
    visitors = models.PositiveSmallIntegerField(_("number of visitors"), null=True, blank=True)


class Deadline(models.Model):
    """A clock on a petition (Rule 4.6): due by `due_at`, met when its end event happens."""

    # Looked up by petition through deadline_petition_open_due below (and unique_deadline_name),
    # which lead with it: an index of the petition alone would be a third copy of that key.
    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="deadlines", db_index=False)
    name = models.CharField(max_length=40)
    rule = models.CharField(max_length=16)
    starts_at = models.DateTimeField()
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    # A paused clock (Rule 4.6 extensions and pauses, docs/deadlines.md) is never overdue;
    # resuming moves `due_at` on by the time it stood still.
    paused_at = models.DateTimeField(null=True, blank=True)
    # The unit that must act for per-unit clocks (assignments, supervision); empty for the office's own.
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Years the due date was computed without holiday data (weekends only): shown as a warning.
    calendar_gap = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["petition", "name"], name="unique_deadline_name")]
        indexes = [
            models.Index(fields=["met_at", "due_at"], name="deadline_open_due"),
            models.Index(fields=["unit", "met_at", "due_at"], name="deadline_unit_open_due"),
            # "Does this petition have an overdue clock?" per row of a list: without it SQLite
            # walks every open overdue deadline for each row (2.4 s a page at 35,000 petitions).
            # On PostgreSQL it also carries the rest of what the live statistics count of each
            # petition's clocks (reports/statistics_onepass.py): a handling officer's page read
            # 16,000 clocks of 8,000 petitions one table page each, most of them outside the
            # shared buffers; from this index alone they cost a third of that (docs/benchmarks.md,
            # round 20). SQLite has no INCLUDE and builds the three key columns alone.
            models.Index(
                fields=["petition", "met_at", "due_at"],
                include=["name", "unit", "paused_at"],
                name="deadline_petition_open_due",
            ),
            # The running clocks in the /deadlines/ list's own order (due, then id): its page and
            # its capped count read them in order and stop, instead of sorting every overdue
            # clock of years of open matters (issue 9; tens of thousands at 10^5 petitions).
            # The petition last, after the unique id (the order is unchanged): the office's capped
            # count reads no clock row, only this index and a probe per petition.
            models.Index(
                fields=["due_at", "id", "petition"],
                condition=models.Q(met_at__isnull=True, paused_at__isnull=True),
                name="deadline_running_due",
            ),
            # The office's own running clocks (no unit) of each petition: "my clocks overdue / due
            # soon" on the home page and /deadlines/ probe it per petition of the first responder
            # without visiting the table (through deadline_petition_open_due every clock was read
            # to check it is not paused and not a unit's).
            models.Index(
                fields=["petition", "due_at"],
                condition=models.Q(met_at__isnull=True, paused_at__isnull=True, unit__isnull=True),
                name="deadline_office_running",
            ),
            # The same clocks by their end: "due within three days" is a short range of it, joined to
            # the first responder's petitions, where deadline_open_due read every clock of the
            # window (the units' and paused ones too) in the table.
            models.Index(
                fields=["due_at", "petition"],
                condition=models.Q(met_at__isnull=True, paused_at__isnull=True, unit__isnull=True),
                name="deadline_office_running_due",
            ),
        ]

    def is_overdue(self, now) -> bool:
        """Open, running and past its last moment. The same test as `selectors.overdue_deadlines`."""
        return clock_overdue(self.met_at, self.paused_at, self.due_at, now)


def clock_overdue(met_at, paused_at, due_at, now) -> bool:
    """Deadline.is_overdue on a clock's columns read as plain values (a list page's flags read
    50-odd clocks without making a model object of each)."""
    return met_at is None and paused_at is None and due_at < now


class IdempotencyKey(models.Model):
    """Maps a client's Idempotency-Key to the petition its first request created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")]


# The procedure's records live in their own module; importing them here registers them.
from xinfang.petitions.workflow_models import (  # noqa: E402,F401
    Assignment,
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
