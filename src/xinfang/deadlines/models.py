"""Deadline policies, the official calendar, extensions and pauses, reminders sent,
and supervision (Rules 4.4, 4.6; DESIGN.md §6). The clocks themselves are
`petitions.Deadline` rows: indexed `due_at`/`met_at` columns that every overdue
list reads directly, so correctness never waits for the worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit
from xinfang.petitions.choices import Channel
from xinfang.petitions.models import Deadline, Petition


class Profile(models.TextChoices):
    DEFAULT = "default", _("Petition Work Rules (seed)")
    NATIONAL = "national", _("National regulation (信访工作条例)")


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")
    MONTHS = "months", _("calendar months")
    FIXED_DATE = "fixed_date", _("a date given with the matter")


class Clock(models.TextChoices):
    HANDLING = "handling", _("Handling (office)")
    TRANSFER = "transfer", _("Transfer after instruction")
    REPLY = "reply", _("Reply to the petitioner")
    SUPERIOR_REPORT = "superior_report", _("Report to the superior")
    ASSIGNMENT = "assignment", _("Assigned unit's due date")
    SUPERVISION = "supervision", _("Response to supervision")
    REVIEW = "review", _("Review (复查)")
    RE_REVIEW = "re_review", _("Re-review (复核)")
    OBJECTION = "objection", _("Objection to a wrong transfer")
    # Issue 13: the office's decision on an online submission (accept, decline, link as a repeat).
    INTAKE = "intake", _("Online intake (accept or decline)")


class DeadlinePolicy(models.Model):
    """How long one clock runs, for one profile and channel ("" = every channel).

    Versioned: a change supersedes the current row (`superseded_at`) and adds a
    new one, so the history of every policy stays readable. Rows are never
    edited in place or deleted (docs/deadlines.md).
    """

    profile = models.CharField(_("profile"), max_length=16, choices=Profile.choices)
    clock = models.CharField(_("clock"), max_length=24, choices=Clock.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("counted in"), max_length=16, choices=PeriodUnit.choices)
    roll_forward = models.BooleanField(
        _("a last day on a rest day moves to the next working day"), default=True
    )
    rule = models.CharField(_("rule"), max_length=80)
    max_extension_days = models.PositiveIntegerField(_("longest extension (days)"), default=0)
    extension_needs_notice = models.BooleanField(
        _("an extension must be notified to the petitioner"), default=False
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    reason = models.TextField(_("reason for the change"), max_length=2000, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        ordering = ["profile", "clock", "channel", "-version"]
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "clock", "channel"],
                condition=models.Q(superseded_at__isnull=True),
                name="one_current_deadline_policy",
            ),
            models.UniqueConstraint(
                fields=["profile", "clock", "channel", "version"], name="unique_deadline_policy_version"
            ),
        ]

    def __str__(self):
        return f"{self.get_profile_display()} · {self.get_clock_display()} · {self.amount} {self.get_unit_display()}"


class CalendarSource(models.TextChoices):
    PACKAGE = "package", _("official calendar package")
    MANUAL = "manual", _("entered by the administrator")


class CalendarYear(models.Model):
    """A year whose official holiday schedule is known. Years without a row count
    weekends only, and the pages say so."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=8, choices=CalendarSource.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to "Monday to Friday": a public holiday or a make-up working day (调休)."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    source = models.CharField(_("source"), max_length=8, choices=CalendarSource.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return self.date.isoformat()


class ChangeKind(models.TextChoices):
    EXTENSION = "extension", _("extension")
    PAUSE = "pause", _("pause")
    RESUME = "resume", _("resume")


class DeadlineChange(models.Model):
    """An extension, pause or resumption of one clock, approved by a leader."""

    deadline = models.ForeignKey(Deadline, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    days = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=5000)
    petitioner_notice = models.TextField(_("notice to the petitioner"), max_length=5000, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    due_before = models.DateTimeField()
    due_after = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("due soon")
    OVERDUE = "overdue", _("overdue")


class Reminder(models.Model):
    """One reminder sent about one clock. The unique constraint is what makes the
    sweep idempotent: a second run, or a second worker, inserts nothing and so
    sends nothing. `due_at` is part of the key so that an extended clock is
    reminded about again."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deadline", "kind", "due_at"], name="unique_reminder"),
        ]


class SupervisionKind(models.TextChoices):
    REMINDER = "reminder", _("reminder (催办)")
    SUPERVISION = "supervision", _("formal supervision notice (督办)")


class Supervision(models.Model):
    """催办/督办: the office presses an assigned unit, with a date for its response."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="supervisions")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=SupervisionKind.choices)
    message = models.TextField(_("message"), max_length=5000)
    due_date = models.DateField(_("response due"))
    deadline = models.OneToOneField(Deadline, null=True, on_delete=models.PROTECT, related_name="supervision")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    response = models.TextField(_("response"), max_length=10000, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["unit", "responded_at"], name="supervision_unit_open")]
