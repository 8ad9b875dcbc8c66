"""What the reports app keeps: imports of old ledgers, and background ledger exports."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.petitions.models import Petition

# The summary tables' key in the order of their key indexes (the fold's look-ups): the columns
# compared by equality first, the unit (NULL for "no unit") last.
FOLD_KEY = (
    "grain",
    "day",
    "scope",
    "clock",
    "channel",
    "category_id",
    "status",
    "is_group",
    "is_repeat",
    "unit_id",
)


class LedgerImport(models.Model):
    """One imported file. Its SHA-256 is unique: importing the same file again creates nothing."""

    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField()
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")

    def __str__(self):
        return self.filename


class ImportedPetition(models.Model):
    """Where an imported petition came from: its number in the old ledger (a reference only;
    the petition has a Xinfang number like any other) and its row in the file."""

    petition = models.OneToOneField(Petition, on_delete=models.PROTECT, related_name="imported_from")
    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.PROTECT, related_name="petitions")
    original_number = models.CharField(_("original number"), max_length=64, unique=True)
    row = models.PositiveIntegerField()


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class LedgerExport(models.Model):
    """A large ledger export written by the worker; only the person who asked may download it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=8)
    params = models.JSONField(default=dict)
    language = models.CharField(max_length=16, default="zh-hans")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0


class StatCount(models.Model):
    """The statistics summary (reports/summary.py): counts of petitions and of decided clocks per
    office-time day (grain "d"), month (grain "m", `day` = the 1st) and year (grain "y", `day` =
    1 January), channel, category,
    status and group flag; clock rows also per clock and unit. PostgreSQL only: database triggers
    append one signed delta row per change (so no two writers ever wait on one counter row) and
    `compact_statistics` folds the deltas; `rebuild_statistics` recomputes everything."""

    grain = models.CharField(max_length=1)
    day = models.DateField()
    channel = models.CharField(max_length=16)
    category_id = models.BigIntegerField()
    status = models.CharField(max_length=24)
    is_group = models.BooleanField()
    # A repeat petition: one with a link in Petition.repeat_of (reports/filters.py `_repeat`),
    # which may come after registration (summary_sql's trigger on the links moves its rows).
    is_repeat = models.BooleanField(default=False)
    # Scope "" counts the petition itself; "unit" once per handling unit and "involved" once per
    # involved unit, `unit_id` then being that unit (NULL: the petitions without one). "all",
    # "unit:all" and "involved:all" are their roll-ups: the same sums without channel,
    # category, status, group and repeat flag (summary_rollup_sql.py).
    scope = models.CharField(max_length=16, default="")
    clock = models.CharField(max_length=40, default="")  # "" for the petitions' own rows
    # The clock's own unit on by "" clock rows; the counted unit on by "unit"/"involved" rows.
    unit_id = models.BigIntegerField(null=True)
    petitions = models.IntegerField(default=0)
    # Of `petitions`: those with a met clock and none met late. The standard report's "on time"
    # is these less the ones overdue now (StatDue.settled).
    settled = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)  # clocks met by their due time
    late = models.IntegerField(default=0)  # clocks met after their due time
    # An appended delta not folded yet (what the triggers and count_new insert, the database's
    # default); the fold replaces a key's rows by one row that is not (summary_fold_sql.py).
    pending = models.BooleanField(db_default=True)

    class Meta:
        indexes = [
            # The fold's look-ups (summary_fold_sql.py): the pending rows, and the folded rows of
            # a key (unit last: NULL units are compared with IS NOT DISTINCT FROM, which an index
            # cannot look up). Partial, so that the triggers, which append pending rows, write
            # one narrow index more and never this wide one. (It replaced an index on (grain,
            # day) that no read used: every read asks for one scope.)
            models.Index(fields=["id"], condition=models.Q(pending=True), name="statcount_pending"),
            models.Index(fields=[*FOLD_KEY], condition=models.Q(pending=False), name="statcount_key"),
            # Every read asks for one scope ("" the petitions, or one kind of unit) over a period.
            models.Index(fields=["scope", "grain", "day"], name="statcount_scope_grain_day"),
            # The petition list's count and deep pages read only the petitions' own rows of a
            # scope, month by month or day by day (list_index.py). Among the clock and unit rows
            # of `statcount_grain_day` they were 1 row in 18 (0.3–0.9 s for a count at 10^5);
            # with the counted columns included the sum is read from the index alone.
            models.Index(
                fields=["grain", "scope", "day"],
                include=["channel", "category_id", "status", "is_group", "unit_id", "petitions"],
                condition=models.Q(clock=""),
                name="statcount_petition_rows",
            ),
            # A list filtered by status (and perhaps more) reads the petitions' month rows of that
            # status alone: along statcount_petition_rows it read every month row of the scope
            # and kept 1 in 12 (filtered lists' count, docs/benchmarks.md round 15). Month rows
            # only: the days are read a month at a time, the years not at all.
            models.Index(
                fields=["scope", "status", "day"],
                include=["channel", "category_id", "is_group", "is_repeat", "unit_id", "petitions"],
                condition=models.Q(clock="", grain="m"),
                name="statcount_month_status",
            ),
        ]


class StatDue(models.Model):
    """The running clocks in the statistics summary (reports/summary_due_sql.py), keyed like
    StatCount plus `due`, the office-time day a clock falls due (one day, 0001-01-01, for every
    day before yesterday): `petitions` counts the petitions under the due day of their earliest
    running clock ("" clock rows), `clocks` the running clocks of a kind under their own due
    day, `on_time`/`late` the met clocks of a kind under their petition's first running due
    day. Overdue now = the rows due before today + today's clocks counted live."""

    grain = models.CharField(max_length=1)
    day = models.DateField()
    channel = models.CharField(max_length=16)
    category_id = models.BigIntegerField()
    status = models.CharField(max_length=24)
    is_group = models.BooleanField()
    is_repeat = models.BooleanField(default=False)
    scope = models.CharField(max_length=16, default="")
    clock = models.CharField(max_length=40, default="")
    unit_id = models.BigIntegerField(null=True)
    due = models.DateField()
    petitions = models.IntegerField(default=0)
    settled = models.IntegerField(default=0)  # of `petitions`, as StatCount.settled
    clocks = models.IntegerField(default=0)
    # The met clocks of the petitions with a running one, under the petition's first running due
    # day (not the clock's own, unlike `clocks`): the on-time rate of the petitions overdue now.
    on_time = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    pending = models.BooleanField(db_default=True)  # as StatCount.pending

    class Meta:
        indexes = [
            models.Index(fields=["scope", "grain", "day"], name="statdue_scope_grain_day"),
            # As StatCount's; and the folded rows not under the one past due day (running clocks
            # due from yesterday on, and days that have become past since), for the fold to
            # re-file the past ones.
            models.Index(fields=["id"], condition=models.Q(pending=True), name="statdue_pending"),
            models.Index(fields=[*FOLD_KEY, "due"], condition=models.Q(pending=False), name="statdue_key"),
            models.Index(
                fields=["due"], condition=models.Q(pending=False, due__gt=date(1, 1, 1)), name="statdue_due"
            ),
        ]
