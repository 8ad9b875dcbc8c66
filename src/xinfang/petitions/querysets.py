"""The one read policy for petitions (DESIGN.md §5). Every list, count, search,
export, download and API view starts from `Petition.objects.visible_to(user)`."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery


class PetitionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Petitions `user` may read. Deny by default: a user without a role that
        grants reading sees nothing, and `is_superuser` grants nothing."""
        reader = self.reader(user)
        if reader is None:
            return self.none()
        qs = self
        if reader[0] == "handler":
            # Handlers see what is assigned to their unit (or a unit above it, which
            # hands work down), and nothing that involves them.
            qs = qs.filter(self._assigned_to(user))
        return qs._outside_firewall(user)

    @staticmethod
    def reader(user) -> tuple[str, int, tuple[int, ...]] | None:
        """Everything the read policy reads of `user`, as (kind, user id, unit ids): "office"
        for the office's roles, "handler" for a handling officer with a unit; the unit ids are
        the user's unit and those above it. None for a reader who may read no petition. The
        policy kept on a user object (PetitionManager.visible_to) is used again only while the
        object's reader stays the one it was built for."""
        from xinfang.accounts.models import OFFICE_ROLES, Role

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return None
        if user.has_role(Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN):
            # 三员分立: an administrator reads no petition, whatever other role it was given.
            return None
        if user.has_role(*OFFICE_ROLES):
            return ("office", user.pk, tuple(user.unit.ancestor_ids) if user.unit_id else ())
        if user.has_role(Role.HANDLER) and user.unit_id:
            return ("handler", user.pk, tuple(user.unit.ancestor_ids))
        # Administrators never read petition content (三员分立).
        return None

    @staticmethod
    def _assigned_to(user) -> Q:
        from xinfang.petitions.workflow_models import Assignment, AssignmentStatus

        live = Assignment.objects.filter(petition=OuterRef("pk"), unit_id__in=user.unit.ancestor_ids).exclude(
            status=AssignmentStatus.WITHDRAWN
        )
        return Q(Exists(live))

    @staticmethod
    def _involvements(user) -> list:
        """Rule 4.3's conditions as the involvement rows that hide a petition: those naming the
        user, and those naming the user's unit or a unit above it. Both forms of the firewall
        below are built from them."""
        from xinfang.petitions.models import InvolvedPerson, InvolvedUnit

        rows = [InvolvedPerson.objects.filter(user=user)]
        unit_ids = user.unit.ancestor_ids if user.unit_id else []
        if unit_ids:
            rows.append(InvolvedUnit.objects.filter(unit_id__in=unit_ids))
        return rows

    def probe(self, key: str = "petition_id") -> Subquery:
        """The petition of these whose id is the outer row's `key`, else NULL: a scalar subquery,
        one index probe per outer row. Over visible_to(user), the read policy tested row by row
        (a clock, an assignment, a petition found by another index): PostgreSQL never turns a
        scalar subquery into a join, where as `key IN (visible)` it planned from a guessed share
        of passing rows and hashed every visible petition instead of stopping after the few a
        capped count or a page needs (deadlines/selectors.deadline_list, petitions/queues.py)."""
        return Subquery(self.filter(pk=OuterRef(key)).order_by().values("pk")[:1])

    def handled_ids(self, user, live=None):
        """For a handling officer, the ids of exactly the petitions `visible_to(user)` returns,
        read from their units' live assignments alone (a values queryset of `petition_id`);
        None for every other reader. The handler's unfiltered list counts these: joined back to
        the petitions, the count probed a petition per assignment (46 ms at 10^5 for 2,800
        petitions), while here it reads the assignment index and the few involvements. `live`:
        the user's handled_assignments, when the caller has built them already."""
        if live is None:
            live = self.handled_assignments(user)
        return None if live is None else live.values("petition_id").distinct().order_by()

    def handled_assignments(self, user):
        """For a handling officer, their units' live assignments of the petitions
        `visible_to(user)` returns (a petition assigned to two of their units appears twice);
        None for every other reader."""
        from xinfang.petitions.workflow_models import Assignment, AssignmentStatus

        units = self.handler_unit_ids(user)
        if units is None:
            return None
        live = Assignment.objects.filter(unit_id__in=units).exclude(status=AssignmentStatus.WITHDRAWN)
        for rows in self._involvements(user):
            live = live.exclude(Exists(rows.filter(petition=OuterRef("petition_id"))))
        return live

    @staticmethod
    def handler_unit_ids(user) -> list[int] | None:
        """For a handling officer, the units whose live assignments make a petition visible to
        them (their unit and the units above it): every petition `visible_to(user)` returns has
        a live assignment to one of them. None for every other reader. Read from `reader`, the
        same decision visible_to takes, so the two cannot disagree on who is a handler."""
        reader = PetitionQuerySet.reader(user)
        return list(reader[2]) if reader is not None and reader[0] == "handler" else None

    def _outside_firewall(self, user):
        """Rule 4.3: without the petitions that involve the user's unit, a unit above it, or
        the user.

        Two separate NOT EXISTS conditions, not NOT (EXISTS … OR EXISTS …): the same rows,
        but PostgreSQL turns only a top-level NOT EXISTS into an anti-join it can estimate.
        The OR form was filtered through two subplans at the planner's default selectivity,
        so every list under the firewall was estimated at a quarter of its rows (issue 9:
        25k estimated, 100k real), which pushed plans past the JIT thresholds and chose
        nested loops over open petitions."""
        qs = self
        for rows in self._involvements(user):
            qs = qs.exclude(Exists(rows.filter(petition=OuterRef("pk"))))
        return qs

    @classmethod
    def firewalled(cls, user) -> Q:
        """Rule 4.3 as a condition: the petitions that involve the user's unit, a unit above
        it, or the user, i.e. exactly those `_outside_firewall` removes. The statistics
        summary counts them to subtract them (reports/summary.py); a test checks the two
        partition every petition.

        As `id IN (the involvements' petition ids, UNION ALL)`, not EXISTS … OR EXISTS …: the
        OR form can only be checked row by row, a sequential scan of every petition (68 ms at
        10^5 petitions, growing with them); the ids are found through the involvements' own
        indexes and the petitions through their primary key."""
        return Q(pk__in=cls.firewall_ids(user))

    @classmethod
    def firewall_ids(cls, user):
        """The ids of the petitions Rule 4.3 hides from `user`, as the involvements that hide
        them, UNION ALL (a petition may be there more than once): `firewalled`'s set, and what
        the reports join with a unit's assignments (reports/unit_list_index.py,
        reports/summary_live._firewalled_assigned)."""
        ids = None
        for rows in cls._involvements(user):
            rows = rows.order_by().values("petition_id")
            ids = rows if ids is None else ids.union(rows, all=True)
        return ids

    def open(self):
        from xinfang.petitions.choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)


class PetitionManager(models.Manager.from_queryset(PetitionQuerySet)):
    def visible_to(self, user):
        """`Petition.objects.visible_to(user)`: the read policy built once per user object and
        handed out as a fresh copy on each call.

        A page asked for it up to six times (the home page's queues and counts, the header's
        unread notifications), and putting its conditions together (three EXISTS for a handling
        officer) cost 2,000–3,000 Python function calls each time. The request's user is loaded
        for each request, so this lives no longer than the request; and it is kept together
        with what it was built from (`reader`: the kind of reader, the user, their units), so a
        user object whose roles or unit change gets a new one, exactly as rebuilding would.
        The policy is conditions in SQL, evaluated by the database on each read: nothing read
        from the tables is kept. `visible_to` on a queryset (not the manager) builds as before."""
        reader = PetitionQuerySet.reader(user)
        if reader is None:
            return self.get_queryset().none()
        kept = getattr(user, _KEPT_POLICY, None)
        if kept is None or kept[0] != (reader, self._db):
            kept = ((reader, self._db), self.get_queryset().visible_to(user))
            setattr(user, _KEPT_POLICY, kept)
        return kept[1].all()


# The attribute of the user object that keeps its read policy (PetitionManager.visible_to).
_KEPT_POLICY = "_petition_read_policy"
