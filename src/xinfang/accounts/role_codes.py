"""A user's roles read with the user, in the statement that loads them for a request.

Every page and API call checks roles (`User.has_role`); read on their own they were one more
round trip per request, after the session's or the token's user. Here they come as a
comma-joined column of the same statement and fill `User.role_codes` before anything asks.
"""

from __future__ import annotations

from django.db.models import Aggregate, CharField, OuterRef, Subquery


class _JoinedCodes(Aggregate):
    """The role codes of one user joined by commas (codes never contain one)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def with_role_codes(queryset, user_field: str = "pk"):
    """`queryset` annotated with `joined_role_codes`: the roles of the user at `user_field`."""
    from xinfang.accounts.models import UserRole

    codes = (
        UserRole.objects.filter(user_id=OuterRef(user_field))
        .order_by()
        .values("user_id")
        .annotate(codes=_JoinedCodes("role"))
        .values("codes")
    )
    return queryset.annotate(joined_role_codes=Subquery(codes, output_field=CharField()))


def prime(user, joined: str | None) -> None:
    """Fill the user's cached `role_codes` from the joined column, as the property would."""
    codes = frozenset(c for c in (joined or "").split(",") if c)
    user.__dict__["role_codes"] = codes if user.pk and user.is_active else frozenset()
