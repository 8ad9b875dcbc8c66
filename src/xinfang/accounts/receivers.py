"""Signal receivers of the accounts app, connected in AccountsConfig.ready()."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from xinfang.accounts.models import User
from xinfang.accounts.services import end_access


@receiver(post_save, sender=User, dispatch_uid="xinfang-inactive-user-loses-access")
def _inactive_user_loses_access(sender, instance, raw=False, **kwargs):
    # Every save of an inactive user, not only the change: cheap (two indexed statements),
    # and it also catches an account disabled by a path that skipped the service.
    if not raw and not instance.is_active:
        end_access(user=instance, reason="disabled")
