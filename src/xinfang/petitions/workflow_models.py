"""Records of the Rule 3 procedure: what each step produced, by whom, when.

The petition's `status` says where it stands; these rows say what was decided
on the way (the leader's instruction verbatim, the result that was signed, the
reply given). They are appended and superseded, never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit
from xinfang.petitions.models import Petition


class Proposal(models.Model):
    """拟办意见 (Rule 3.2): the clerk's proposed handling."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="proposals")
    opinion = models.TextField(_("proposed handling"), max_length=5000)
    important = models.BooleanField(_("important"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class Instruction(models.Model):
    """批示 (Rule 3.2): a leader's instruction, recorded verbatim."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="instructions")
    text = models.TextField(_("instruction"), max_length=5000)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=32)  # the role the leader instructed in
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("lead unit")
    ASSIST = "assist", _("assisting unit")


class AssignmentKind(models.TextChoices):
    TRANSFER = "transfer", _("transfer (the unit replies directly)")
    ASSIGNMENT = "assignment", _("assignment (the unit reports back)")


class AssignmentStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    IN_PROGRESS = "in_progress", _("in progress")
    RESULT_SUBMITTED = "result_submitted", _("result submitted")
    WITHDRAWN = "withdrawn", _("withdrawn")


def live_unit_ids(assignments) -> list[int]:
    """The units of the live (not withdrawn) ones among a petition's `assignments`, ascending:
    the units its search document lists. One rule for the rows a writer holds (the ledger
    import) and for what search.index.live_units reads back."""
    return sorted(a.unit_id for a in assignments if a.status != AssignmentStatus.WITHDRAWN)


def with_received_at(assignments) -> list:
    """The assignments with their petition's `received_at` filled in where it is missing: from
    the petition object when it is at hand, else read for the rest (5,000 ids a query)."""
    rows = list(assignments)
    missing = [a for a in rows if a.received_at is None]
    wanted = sorted({a.petition_id for a in missing if not Assignment.petition.is_cached(a)})
    received = {}
    for start in range(0, len(wanted), 5_000):  # a bounded number of parameters per query
        chunk = wanted[start : start + 5_000]
        received.update(Petition.objects.filter(pk__in=chunk).values_list("pk", "received_at"))
    for a in missing:
        a.received_at = (
            a.petition.received_at if Assignment.petition.is_cached(a) else received[a.petition_id]
        )
    return rows


class AssignmentManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        return super().bulk_create(with_received_at(objs), *args, **kwargs)


class Assignment(models.Model):
    """转办/交办 to one unit (Rule 2.2), lead or assisting, with its own status."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=8, choices=AssignmentRole.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=AssignmentKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.RECEIVED
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    share_contact = models.BooleanField(_("share the petitioner's contact details"), default=False)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handling officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("note from the assisting unit"), max_length=10000, blank=True)
    # The petition's `received_at`, copied when the assignment is written (save, bulk_create):
    # a handling officer's list is their units' live assignments in the petition list's own
    # order, read and paged from the index assignment_unit_received alone (issue 9). The
    # petition's time is corrected only while it is registered, before any assignment; the
    # correction copies it again all the same (services/registration.py).
    received_at = models.DateTimeField(editable=False)

    objects = AssignmentManager()

    class Meta:
        ordering = ["-role", "id"]  # lead first
        constraints = [
            # One live assignment per unit; a withdrawn one may be followed by a new one.
            models.UniqueConstraint(
                fields=["petition", "unit"],
                condition=~models.Q(status="withdrawn"),
                name="unique_live_assignment",
            ),
            models.UniqueConstraint(
                fields=["petition"],
                condition=models.Q(role="lead") & ~models.Q(status="withdrawn"),
                name="one_live_lead_assignment",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status"], name="assignment_unit_status"),
            # A handling officer's visible petitions are their unit's live assignments
            # (visible_to): the list's count reads them from here, index only. Without it
            # PostgreSQL scanned all of `unique_live_assignment` (petition first) for the unit.
            models.Index(
                fields=["unit", "petition"],
                condition=~models.Q(status="withdrawn"),
                name="assignment_unit_live",
            ),
            # A handling officer's list, newest first, as (received_at, petition) keys: a page
            # typed deep down is located by counting along it (selectors._locator).
            models.Index(
                fields=["unit", "-received_at", "-petition"],
                condition=~models.Q(status="withdrawn"),
                name="assignment_unit_received",
            ),
            # A handling officer's "assigned to my unit" and "due within three days" queues: the
            # unit's assignments still owing work, newest first, with their due date. The queues'
            # first rows are the first entries that pass the read policy's probe, and their counts
            # read this index alone (queues._along_assignments, issue 9).
            models.Index(
                fields=["unit", "-received_at", "-petition", "due_date"],
                condition=models.Q(status__in=["received", "in_progress"]),
                name="assignment_unit_working",
            ),
            # The live assisting units, few beside the leads: the "joint handling to coordinate"
            # queue asks for them per petition (queues._two_units_or_more, issue 9).
            models.Index(
                fields=["petition"],
                condition=models.Q(role="assist") & ~models.Q(status="withdrawn"),
                name="assignment_live_assist",
            ),
        ]

    def save(self, *args, **kwargs):
        if self.received_at is None:
            with_received_at([self])
        super().save(*args, **kwargs)


class Result(models.Model):
    """查处 (Rule 3.3): findings and handling result, by the lead unit or the office."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="results")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    findings = models.TextField(_("findings"), max_length=20000)
    result = models.TextField(_("handling result"), max_length=20000)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    # Set when a leader sends the result back; a superseded result is kept, not signed.
    sent_back_at = models.DateTimeField(null=True, blank=True)
    sent_back_reason = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["submitted_at", "id"]


class SignoffCapacity(models.TextChoices):
    HANDLER = "handler", _("handling officer")
    LEADER = "leader", _("leader in charge")


class Signoff(models.Model):
    """签字确认 (Rule 3.3): one signature on a result, after re-entering the password."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="signoffs")
    capacity = models.CharField(max_length=8, choices=SignoffCapacity.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["result", "capacity"], name="unique_signoff_capacity")]


class ReplyMethod(models.TextChoices):
    ORAL = "oral", _("oral")
    WRITTEN = "written", _("written")
    NONE = "none", _("no reply possible")


class Reply(models.Model):
    """答复 (Rule 3.4): what the petitioner was told, how and when."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="replies")
    method = models.CharField(_("method"), max_length=8, choices=ReplyMethod.choices)
    content = models.TextField(_("content"), max_length=20000)
    replied_at = models.DateTimeField(_("replied at"))
    on_the_spot = models.BooleanField(default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["replied_at", "id"]


class Report(models.Model):
    """查处报告 (Rule 3.4): drafted by a clerk, approved by a leader, sent to the superior."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="reports")
    text = models.TextField(_("investigation report"), max_length=50000)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["drafted_at", "id"]


class Coordination(models.Model):
    """Rule 4.5(3): joint handling of several units, led by one, coordinated by the
    deputy Secretary-General in charge."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="coordinations")
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    units = models.ManyToManyField(Unit, related_name="+")
    note = models.TextField(_("coordination note"), max_length=10000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)


class PersuasionRecord(models.Model):
    """Rule 4.5(1): a conversation persuading a petitioner to stop (息访)."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="persuasions")
    notes = models.TextField(_("notes"), max_length=20000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)


class PoliceReferral(models.Model):
    """Rule 4.5(1): referral to public security when persuasion failed."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="police_referrals")
    reason = models.TextField(_("reason"), max_length=10000)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
