import pytest

from tests.api.conftest import api  # noqa: F401  (the API client fixture)
from tests.workflow.conftest import drive  # noqa: F401  (the same path through the procedure)
from xinfang.petitions.models import InvolvedPerson, Petition, Petitioner, ReceptionRecord
from xinfang.petitions.workflow_models import PersuasionRecord, PoliceReferral, Reply, Result


def like_oracle(user, term: str):
    """Ids of visible petitions where `term` is a case-insensitive LIKE substring of a field a
    reader may see: written out field by field, independently of the search code."""
    from django.db.models import Q

    def ids(model, *fields):
        cond = Q()
        for f in fields:
            cond |= Q(**{f"{f}__icontains": term})
        return model.objects.filter(cond).values("petition_id")

    own = Q()
    for f in (
        "number",
        "title",
        "content",
        "requests",
        "superior_reference",
        "outcome",
        "archive_number",
        "void_reason",
    ):
        own |= Q(**{f"{f}__icontains": term})
    cond = (
        own
        | Q(pk__in=ids(Petitioner, "name", "work_unit"))
        | Q(pk__in=ids(InvolvedPerson, "name"))
        | Q(pk__in=ids(ReceptionRecord, "notes", "explained"))
        | Q(pk__in=ids(Result, "findings", "result"))
        | Q(pk__in=ids(Reply, "content"))
        | Q(pk__in=ids(PersuasionRecord, "notes"))
        | Q(pk__in=ids(PoliceReferral, "reason"))
    )
    return set(Petition.objects.visible_to(user).filter(cond).values_list("pk", flat=True))


@pytest.fixture
def search_ids():
    """Ids the list's search answers for `q` (any filters), as the page and the API use it."""
    from xinfang.petitions.selectors import parse_filters, petition_list

    def _search(user, q, **filters):
        return set(petition_list(user, parse_filters({"q": q, **filters})).values_list("pk", flat=True))

    return _search
