import threading

from django.db import connections

from xinfang.notifications.models import Notification
from xinfang.petitions.models import Petition
from xinfang.petitions.querysets import PetitionQuerySet

# The header count's statement per (database alias, reader): see unread_count. Cleared when it
# reaches this many readers, so a long-lived process keeps at most this many short texts.
_KEPT_READERS = 2048
_COMPILED: dict[tuple, tuple[str, tuple]] = {}
_LOCK = threading.Lock()


def inbox(user, *, unread_only=False):
    """The user's notifications, only for petitions they can still see."""
    qs = _readable(user, unread_only=unread_only)
    return qs.select_related("petition").order_by("-created_at", "-id")


def unread_count(user) -> int:
    """The header's number on every page: inbox(user, unread_only=True) counted.

    The statement is sent on every call (nothing read from the tables is kept: a notification
    read or written, or a petition hidden by Rule 4.3 since, shows at once), but its text is
    compiled once per reader. Building the read policy and compiling it into the count was
    about 3,500 Python function calls on every page (issue 9), and what it compiles to depends
    only on the database and on what the policy reads of the user (`PetitionQuerySet.reader`:
    the kind of reader, the user's id, their unit and the units above it), the user's id being
    also the recipient. A user whose roles or unit change is another reader, so gets another
    statement; two users never share one."""
    reader = PetitionQuerySet.reader(user)
    if reader is None:
        # A reader who may read no petition: the policy is empty, and Django counts nothing
        # without asking the database.
        return _readable(user, unread_only=True).count()
    using = Notification.objects.all().db  # the router's choice, as count() would make it
    key = (using, reader)
    compiled = _COMPILED.get(key)
    if compiled is None:
        readable = _readable(user, unread_only=True).using(using).order_by().values("pk")
        inner, params = readable.query.get_compiler(using=using).as_sql()
        compiled = (f"SELECT COUNT(*) FROM ({inner}) unread", tuple(params))  # noqa: S608  (compiled by Django, values as params)
        with _LOCK:
            if len(_COMPILED) >= _KEPT_READERS:
                _COMPILED.clear()
            _COMPILED[key] = compiled
    with connections[using].cursor() as cursor:
        cursor.execute(*compiled)
        return cursor.fetchone()[0]


def _readable(user, *, unread_only: bool):
    """The user's notifications whose petition they may read now (visible_to): a petition
    reassigned away or hidden by Rule 4.3 since takes its notifications out of the inbox and
    the count."""
    conditions = {"recipient": user, "petition__in": Petition.objects.visible_to(user)}
    if unread_only:
        conditions["read_at__isnull"] = True
    return Notification.objects.filter(**conditions)
