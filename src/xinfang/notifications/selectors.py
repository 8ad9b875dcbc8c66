from xinfang.notifications.models import Notification
from xinfang.petitions.models import Petition


def inbox(user, *, unread_only=False):
    """The user's notifications, only for petitions they can still see."""
    qs = _readable(user, unread_only=unread_only)
    return qs.select_related("petition").order_by("-created_at", "-id")


def unread_count(user) -> int:
    """The header's number on every page: inbox(user, unread_only=True) counted, built in one
    filter without the inbox's ordering and joined petition, which a count does not use."""
    return _readable(user, unread_only=True).count()


def _readable(user, *, unread_only: bool):
    """The user's notifications whose petition they may read now (visible_to): a petition
    reassigned away or hidden by Rule 4.3 since takes its notifications out of the inbox and
    the count."""
    conditions = {"recipient": user, "petition__in": Petition.objects.visible_to(user)}
    if unread_only:
        conditions["read_at__isnull"] = True
    return Notification.objects.filter(**conditions)
