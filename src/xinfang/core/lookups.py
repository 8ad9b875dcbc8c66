"""A column among many values, as one array parameter on PostgreSQL.

As `field__in=values` each value is a placeholder of its own, which Django resolves and psycopg
quotes into the statement's text and then scans for placeholders: for a thousand ids about a
fifth of a search's Python time and milliseconds of planning (petitions/selectors.py), a few
seconds of CPU per 10⁵ keys for a ledger import's look-ups (reports/importing, profiled).
`column = ANY(%s::type[])` sends them as one parameter. SQLite has no arrays: there the values
go in lists, each under its limit on bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from django.db.models import BooleanField, F, Field, Func, Q, Value


class AnyOf(Func):
    """`column = ANY(%s::<array_type>[])` (PostgreSQL): a column expression, not raw SQL, so that
    its table is relabelled wherever the queryset is used."""

    template = "%(expressions)s::%(array_type)s[])"
    arg_joiner = " = ANY("
    output_field = BooleanField()

    def __init__(self, field: str, values, *, array_type: str):
        super().__init__(F(field), Value(list(values), output_field=Field()), array_type=array_type)


def among_values(field: str, values: list, *, array_type: str, per_list: int) -> Iterator:
    """Filters that together select the rows whose `field` is one of `values`: on PostgreSQL one
    AnyOf (none for no values), elsewhere `field__in` lists of at most `per_list` values."""
    if connection.vendor == "postgresql":
        if values:
            yield AnyOf(field, values, array_type=array_type)
        return
    for start in range(0, len(values), per_list):
        yield Q(**{f"{field}__in": values[start : start + per_list]})


def among(qs, field: str, values: list, *, array_type: str = "bigint"):
    """`qs` narrowed to the rows whose `field` is one of `values`: on PostgreSQL as one AnyOf,
    elsewhere as `field__in` (for lists the caller keeps within SQLite's bound parameters)."""
    if connection.vendor == "postgresql":
        return qs.filter(AnyOf(field, values, array_type=array_type))
    return qs.filter(**{f"{field}__in": values})
