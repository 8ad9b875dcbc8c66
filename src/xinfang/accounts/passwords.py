"""Password rules of 等级保护 level 3 (Rule set in docs/security.md): character classes,
no reuse of recent passwords, and the age after which a password must be changed.

Both validators are listed in AUTH_PASSWORD_VALIDATORS, so every way of setting a
password that validates (admin forms, the change-password page, `changepassword`)
applies them; `password_changed` is Django's hook after a new password is saved.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digit and other (symbol, space, Chinese…) occur."""
    return len(
        {
            "upper"
            if char.isupper()
            else "lower"
            if char.islower()
            else "digit"
            if char.isdigit()
            else "other"
            for char in password
        }
    )


class CharacterClassesValidator:
    """At least `min_classes` of: upper-case letters, lower-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _(
            "Your password must contain at least %(count)d of these four kinds of character: "
            "upper-case letters, lower-case letters, digits and other characters such as symbols."
        ) % {"count": self.min_classes}


class PasswordHistoryValidator:
    """Not the current password nor one of the `remembered` before it."""

    def __init__(self, remembered: int = 5):
        self.remembered = remembered

    def _recent(self, user):
        if user is None or user.pk is None:
            return []
        return list(user.password_history.values_list("password", flat=True)[: self.remembered])

    def validate(self, password, user=None):
        # The history holds the current password too; `user.password` may not be there yet
        # for users created before the history existed.
        hashes = self._recent(user)
        if user is not None and user.pk is not None and user.has_usable_password():
            hashes.append(user.password)
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        from xinfang.accounts.models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        keep = user.password_history.values_list("pk", flat=True)[: self.remembered]
        user.password_history.exclude(pk__in=list(keep)).delete()

    def get_help_text(self):
        return ngettext(
            "Your password must differ from your last password.",
            "Your password must differ from your last %(count)d passwords.",
            self.remembered,
        ) % {"count": self.remembered}


def password_changed_at(user):
    """When the current password was set: the newest history row, else when the account was made."""
    latest = user.password_history.values_list("created_at", flat=True).first()
    return latest or user.date_joined


def password_expired(user, now=None) -> bool:
    """True when XINFANG_PASSWORD_MAX_AGE_DAYS is on and the password is older than that."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days or not user.has_usable_password():
        return False
    return (now or timezone.now()) - password_changed_at(user) > timedelta(days=days)
