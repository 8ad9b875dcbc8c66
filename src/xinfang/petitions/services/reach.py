"""No petition may be orphaned by its own firewall (Rules 4.1, 4.3, 4.4).

Recording as involved the petition office itself, a unit above it (the top unit
is above everyone), the leaders' unit, or the first responder in person hid the
petition from everyone who must move it: the clerk who registered it got 404, a
retry with the same Idempotency-Key too, and only side exits were left.

The rule Xinfang applies (docs/rules.md, "Complaints about the office itself"):
a petition must stay readable by its first responder, who answers for it until it
is closed (Rule 4.1), and by at least one leader who reviews it (Secretary-General
or principal leader, Rule 3.2). An involvement that would hide it from either is
refused with a message saying so, and nothing is written: a complaint about the
petition office or its leadership is not this office's to handle; it is forwarded
to the superior organ outside the system. The check runs inside the transaction
that writes the involvement, through the one read policy (`visible_to`).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Role
from xinfang.core.errors import InvalidInput
from xinfang.petitions.models import Petition

REVIEWING_LEADERS = (Role.SECRETARY_GENERAL, Role.PRINCIPAL_LEADER)


def _sees(user, petition: Petition) -> bool:
    return user is not None and Petition.objects.visible_to(user).filter(pk=petition.pk).exists()


def _reviewing_leaders() -> list:
    """The active reviewing leaders with their unit and roles, one statement: visible_to reads
    both of each leader, which were otherwise a query per leader."""
    from xinfang.accounts.role_codes import prime, with_role_codes

    leaders = list(
        with_role_codes(
            get_user_model()
            .objects.filter(is_active=True, roles__role__in=REVIEWING_LEADERS)
            .select_related("unit")
            .distinct()
        )
    )
    for leader in leaders:
        prime(leader, leader.joined_role_codes)
    return leaders


def unreachable_by(petition: Petition) -> str | None:
    """Who in charge could no longer read the petition ("first_responder", "leaders"), or None."""
    if not _sees(petition.first_responder, petition):
        return "first_responder"
    leaders = _reviewing_leaders()
    if not any(_sees(leader, petition) for leader in leaders):
        return "leaders"
    return None


def unreachable_many(petition_ids, first_responder) -> dict[int, str]:
    """`unreachable_by` for many petitions with the same first responder (a ledger import): the
    same read policy, one query per person in charge instead of one per petition and person."""
    ids = set(petition_ids)
    if not ids:
        return {}
    wanted = list(ids)

    def seen_by(user, among) -> set[int]:
        found: set[int] = set()
        among = list(among)
        for start in range(0, len(among), 2000):
            found |= set(
                Petition.objects.visible_to(user)
                .filter(pk__in=among[start : start + 2000])
                .values_list("pk", flat=True)
            )
        return found

    out = dict.fromkeys(ids - seen_by(first_responder, wanted), "first_responder")
    rest = ids - set(out)
    leaders = _reviewing_leaders()
    for leader in leaders:
        if not rest:
            break
        rest -= seen_by(leader, rest)
    out.update(dict.fromkeys(rest, "leaders"))
    return out


def unreachable_message(who: str) -> str:
    if who == "first_responder":
        return _(
            "These involved units or persons include you or your own unit, so you could no longer see "
            "this petition. A complaint about the petition office itself is not handled here: forward it "
            "to the superior organ (Rules 4.1, 4.3)."
        )
    return _(
        "These involved units would hide this petition from every leader who reviews it. A complaint "
        "about the office's leadership is not handled here: forward it to the superior organ "
        "(Rules 3.2, 4.3)."
    )


def ensure_reachable(petition: Petition, *, field: str) -> None:
    """Refuse (InvalidInput under `field`, so the caller's transaction rolls back) an
    involvement that leaves nobody in charge able to read and move the petition."""
    who = unreachable_by(petition)
    if who is not None:
        raise InvalidInput({field: [unreachable_message(who)]})
