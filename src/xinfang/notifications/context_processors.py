from functools import cached_property


class _Unread:
    """The header's unread count, read only if a template shows it (fragments do not)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        from xinfang.notifications.selectors import unread_count

        return unread_count(self.user)


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": _Unread(user)}
