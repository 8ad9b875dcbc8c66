from xinfang.notifications.models import Notification
from xinfang.petitions.models import Petition


def inbox(user, *, unread_only=False):
    """The user's notifications, only for petitions they can still see."""
    qs = Notification.objects.filter(recipient=user, petition__in=Petition.objects.visible_to(user))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("petition").order_by("-created_at", "-id")


def unread_count(user) -> int:
    return inbox(user, unread_only=True).count()
