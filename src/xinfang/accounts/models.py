"""The organisation (Rule 1): units as a tree, users who belong to a unit and hold roles."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from xinfang.core.statements import KeptModels
from xinfang.core.text import line_problem


class UnitKind(models.TextChoices):
    PETITION_OFFICE = "petition_office", _("petition office")
    LEADERSHIP = "leadership", _("leadership")
    DEPARTMENT = "department", _("department")
    EXTERNAL = "external", _("external unit")
    SUPERIOR = "superior", _("superior organ")
    PUBLIC_SECURITY = "public_security", _("public security")


class Role(models.TextChoices):
    CLERK = "clerk", _("petition clerk")
    SECRETARY_GENERAL = "secretary_general", _("Secretary-General")
    PRINCIPAL_LEADER = "principal_leader", _("principal leader")
    DEPUTY_SECRETARY_GENERAL = "deputy_secretary_general", _("Deputy Secretary-General")
    HANDLER = "handler", _("handling officer")
    AUDIT_ADMIN = "audit_admin", _("audit administrator")
    SYSTEM_ADMIN = "system_admin", _("system administrator")


# Roles that read and work petitions across the organisation (subject to the Rule 4.3 firewall).
OFFICE_ROLES = frozenset(
    {Role.CLERK, Role.SECRETARY_GENERAL, Role.PRINCIPAL_LEADER, Role.DEPUTY_SECRETARY_GENERAL}
)
LEADER_ROLES = frozenset({Role.SECRETARY_GENERAL, Role.PRINCIPAL_LEADER, Role.DEPUTY_SECRETARY_GENERAL})


class Unit(models.Model):
    """An organisation or one of its departments; units form a tree.

    `path` holds the ids from the root down ("/1/4/9/") so that "this unit or any
    unit beneath it" is one indexed prefix match, and the ancestors of a unit are
    read from its own row without a recursive query.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    leader_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader in charge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="units_in_charge",
        help_text=_("The leader (分管领导) who signs results off with this unit's handlers (Rule 3.3)."),
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self.pk is None:
                super().save(*args, **kwargs)  # the path needs the new row's id
                args, kwargs = (), {}
            old_path = self.path
            parent_path = Unit.objects.get(pk=self.parent_id).path if self.parent_id else "/"
            self.path = f"{parent_path}{self.pk}/"
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                # Moving a unit moves its whole subtree, in one statement.
                Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1))
                )

    @property
    def ancestor_ids(self) -> list[int]:
        """This unit's id and those of every unit above it."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def clean(self):
        from django.core.exceptions import ValidationError

        problems = {f: p for f in ("code", "name") if (p := line_problem(getattr(self, f) or ""))}
        if problems:
            raise ValidationError(problems)
        if self.pk and self.parent_id:
            parent = self.parent
            if parent.pk == self.pk or f"/{self.pk}/" in parent.path:
                raise ValidationError({"parent": _("A unit cannot be placed beneath itself.")})


class User(AbstractUser):
    """A member of staff. `is_superuser` grants nothing in Xinfang's own screens: roles do."""

    name = models.CharField(_("full name"), max_length=50, blank=True)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.username

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        problems = {f: p for f in ("username", "name") if (p := line_problem(getattr(self, f) or ""))}
        if problems:
            raise ValidationError(problems)

    @cached_property
    def role_codes(self) -> frozenset[str]:
        if not self.pk or not self.is_active:
            return frozenset()
        return frozenset(self.roles.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes.intersection(roles))

    @property
    def is_office_staff(self) -> bool:
        return self.has_role(*OFFICE_ROLES)

    @property
    def display_name(self) -> str:
        return self.name or self.username


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_user_role")]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self):
        return self.get_role_display()


class RoleRequest(models.Model):
    """A petition role granted in the admin screens waits here for a second system
    administrator's approval; only the approval creates the UserRole (accounts/roles.py)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    requested_by = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    approved = models.BooleanField(_("approved"), null=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("role grant awaiting approval")
        verbose_name_plural = _("role grants awaiting approval")

    def __str__(self):
        return f"{self.user} → {self.get_role_display()}"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


@functools.cache
def _token_lookup() -> models.QuerySet:
    """The unexpiring part of every API request's token look-up: not revoked, with its user,
    the user's unit and roles (role_codes.py). Putting this queryset together (the roles'
    subquery above all) cost as much Python as compiling it to SQL; it is built once and
    cloned per request, which leaves the statement as it was."""
    from xinfang.accounts.role_codes import with_role_codes

    return with_role_codes(
        ApiToken.objects.filter(revoked_at__isnull=True).select_related("user", "user__unit"), "user_id"
    )


def _live_token_by_key() -> models.QuerySet:
    from xinfang.core.statements import Arg, Clock, first_of

    return first_of(
        _token_lookup().filter(
            key_hash=Arg("key", ApiToken._meta.get_field("key_hash")), expires_at__gt=Clock(None)
        )
    )


_TOKEN = KeptModels(_live_token_by_key)


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; it expires and can be revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    @classmethod
    def issue(cls, user: User) -> tuple[ApiToken, str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=_hash_token(raw),
            expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
        )
        return token, raw

    @classmethod
    def find_live(cls, raw: str) -> ApiToken | None:
        from xinfang.accounts.role_codes import prime

        # live(), its clock and key added to the look-up built once, and the whole statement
        # compiled once per database (core/statements.py): the same SQL as
        # `_token_lookup().filter(key_hash=…, expires_at__gt=now).first()`, sent with this call's
        # key and clock.
        found = _TOKEN.get(timezone.now(), key=_hash_token(raw))
        token = found[0] if found else None
        if token is not None:
            prime(token.user, token.joined_role_codes)
        return token

    def revoke(self) -> None:
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


class LoginState(models.Model):
    """Failed sign-ins counted per typed user name, for the lock-out (docs/security.md).

    The key is a keyed hash of the name, not the name: people type their password
    into the user-name box, and names that do not exist get a row too, so the
    lock-out behaves the same whether or not the account exists.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sign-in state")
        verbose_name_plural = _("sign-in states")


class PasswordHistory(models.Model):
    """The hashes of a user's latest passwords, the current one included (no reuse)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("previous password")
        verbose_name_plural = _("previous passwords")


class UserSession(AbstractBaseSession):
    """Django's session row plus the user it belongs to (set by accounts.sessions.SessionStore).

    With the user on the row, ending every session of an account is one indexed
    DELETE, whatever the session key has been cycled to since sign-in.
    """

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):
        from xinfang.accounts.sessions import SessionStore

        return SessionStore
