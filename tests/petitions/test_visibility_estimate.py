"""The planner's estimate of the Rule 4.3 read policy (issue 9).

Written as NOT (EXISTS … OR EXISTS …), the firewall was filtered through two subplans at
PostgreSQL's default selectivity, so the visible set was estimated at a quarter of its rows
and every list, count and dashboard under it was planned for the wrong size. As two NOT
EXISTS it is an anti-join the planner estimates from the statistics. This checks the
estimate, not a time: the oracle is the real count of the same query.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.factories import generator
from xinfang.petitions.models import InvolvedUnit, Petition
from xinfang.petitions.services.registration import register_petition

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's planner estimates"),
]


def _estimate(qs) -> float:
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"]


def test_the_visible_set_is_estimated_near_its_size(demo_org):
    from xinfang.audit.services import Context
    from xinfang.petitions.services.checks import check_registration

    users, units = demo_org
    gen = generator(5)
    ctx = Context(actor=users["clerk"])
    for _ in range(60):
        register_petition(ctx=ctx, data=check_registration(gen.registration()))
    # A few petitions about the petition office itself: the clerk must not see them.
    for petition in Petition.objects.order_by("pk")[:4]:
        InvolvedUnit.objects.get_or_create(petition=petition, unit=units["GENERAL"])
    with connection.cursor() as cursor:
        for table in ("petitions_petition", "petitions_involvedunit", "petitions_involvedperson"):
            cursor.execute(f"ANALYZE {table}")
    for name in ("clerk", "secgen", "deputy"):
        qs = Petition.objects.visible_to(users[name])
        real = qs.count()
        assert real >= 50, name
        # Within a third of the truth (the OR form estimated about a quarter of it).
        assert real * 2 / 3 <= _estimate(qs) <= real * 3 / 2, (name, real, _estimate(qs))
