"""Random registrations through the API: every answer is 201 or a 4xx problem,
never a 500, and a refused one changes nothing (IN-5)."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import body
from xinfang.petitions.models import Petition

PETITIONS = "/api/v1/petitions"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "2026-02-30",
            "2026-11-26T09:30:00+08:00",
            "letter",
            "visit",
            "superior",
            "1",
            "11010519491231002X",
            "13800138000",
            "urban_construction",
            "\x00",
            "<script>",
            "=1+1",
        ]
    ),
)
ids = st.lists(
    st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from([0, 2**63 - 1, 2**63]), max_size=3
)
json_values = ids | st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = list(body())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    replaced=st.dictionaries(
        st.sampled_from(FIELDS + ["superior", "reception", "status", "number"]), json_values, max_size=5
    ),
    dropped=st.sets(st.sampled_from(FIELDS), max_size=3),
)
def test_registration_never_fails_badly(api, replaced, dropped):
    payload = {k: v for k, v in body().items() if k not in dropped}
    payload.update(replaced)
    before = Petition.objects.count()
    response = api("clerk").post(PETITIONS, payload)
    assert response.status_code in (201, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 400 and problem["detail"]
        assert Petition.objects.count() == before
    else:
        assert Petition.objects.count() == before + 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_arbitrary_bytes_are_a_clean_400(api, raw):
    client = api("clerk").client
    response = client.post(PETITIONS, raw, content_type="application/json")
    assert response.status_code in (201, 400)
    if response.status_code == 400:
        json.loads(response.content)
