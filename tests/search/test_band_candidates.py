"""The similar look-up's candidates: the petitions sharing the most MinHash bands with the text,
ties broken by the newer petition, at most MAX_CANDIDATES, each band counting only its
BAND_ROWS newest petitions. PostgreSQL counts them in numpy from the colliding ids
(`most_shared`), SQLite in its statement; on both databases the candidates must be those a
brute-force count over every band row (written out here, without the look-up's code) keeps."""

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import registration_data
from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.search import similarity
from xinfang.search.models import MatterBand


def reference_best(occurrences, limit: int) -> set[int]:
    """The `limit` ids occurring most often, the higher id first among equals: by hand."""
    counts = Counter(occurrences)
    ranked = sorted(counts, key=lambda pk: (-counts[pk], -pk))
    return set(ranked[:limit])


# Small ids (many ties) and ids at and past 2**58, where most_shared can no longer pack the
# count beside the id and sorts instead.
IDS = st.sampled_from([*range(1, 13), 2**58 - 1, 2**58, 2**62 + 5])


@settings(max_examples=200, deadline=None)
@given(occurrences=st.lists(IDS, max_size=60), limit=st.integers(min_value=0, max_value=14))
def test_most_shared_keeps_what_a_count_by_hand_keeps(occurrences, limit):
    ids = np.array(occurrences, dtype=">i8")  # as the database sends them (int8send)
    assert similarity.most_shared(ids, limit) == reference_best(occurrences, limit)


def test_most_shared_breaks_ties_by_the_newer_petition():
    # 7 and 9 share three bands, 3, 4 and 8 two: the two best are 9 and 7; of the next three,
    # 8 is kept before 4 and 3.
    ids = np.array([3, 7, 9, 4, 7, 9, 8, 3, 7, 9, 4, 8], dtype=">i8")
    assert similarity.most_shared(ids, 2) == {7, 9}
    assert similarity.most_shared(ids, 3) == {7, 8, 9}
    assert similarity.most_shared(ids, 4) == {4, 7, 8, 9}
    assert similarity.most_shared(np.array([], dtype=">i8"), 5) == set()


def _reference_hits(rows, keys, exclude, per_band: int) -> list[int]:
    """Of `rows` (every band row of every petition, read back) the rows equal to one of the
    text's (band, key) pairs, each band's `per_band` highest petition ids (the newest)."""
    hits = []
    for pair in set(keys):
        bucket = sorted((pk for pk, band, key in rows if (band, key) == pair and pk != exclude), reverse=True)
        hits += bucket[:per_band]
    return hits


def _reference_candidates(rows, keys, exclude, limit: int, per_band: int) -> set[int]:
    return reference_best(_reference_hits(rows, keys, exclude, per_band), limit)


@pytest.mark.django_db
def test_candidates_are_those_of_a_brute_force_count(demo_org, monkeypatch):
    users, _units = demo_org
    ctx = Context(actor=users["clerk"])
    texts = []
    # Generated petitions: their matters come from a few templates per category, so their
    # bands collide in many ways; and a few copies of earlier texts, sharing all sixteen.
    for seed in range(1, 41):
        data = registration_data(seed)
        if seed % 8 == 0:
            data = {**data, **{k: texts[seed // 3][k] for k in ("title", "content", "requests")}}
        texts.append(data)
        register_petition(ctx=ctx, data=check_registration(data))
    queries = [
        similarity.band_keys(similarity.matter_text(t["title"], t["content"], t["requests"])) for t in texts
    ]
    petitions = sorted(MatterBand.objects.values_list("petition_id", flat=True).distinct())
    rows = list(MatterBand.objects.values_list("petition_id", "band", "key"))
    ties_at_the_cut = bands_cut = 0
    for per_band in (2, 5, similarity.BAND_ROWS):
        monkeypatch.setattr(similarity, "BAND_ROWS", per_band)
        for limit in (1, 2, 3, 5, 8, 200):
            monkeypatch.setattr(similarity, "MAX_CANDIDATES", limit)
            for i, keys in enumerate(queries):
                for exclude in (None, petitions[i]):
                    want = _reference_candidates(rows, keys, exclude, limit, per_band)
                    assert similarity._band_candidates(keys, exclude) == want, (per_band, limit, i, exclude)
                    ranked = sorted(
                        Counter(_reference_hits(rows, keys, exclude, per_band)).values(), reverse=True
                    )
                    ties_at_the_cut += len(ranked) > limit and ranked[limit - 1] == ranked[limit]
                    full = _reference_hits(rows, keys, exclude, len(petitions))
                    bands_cut += len(full) > len(_reference_hits(rows, keys, exclude, per_band))
    # The tie rule was exercised: cuts falling among petitions sharing as many bands; and some
    # bands held more petitions than the bound, so that the bound was exercised too.
    assert ties_at_the_cut >= 10
    assert bands_cut >= 10
    assert similarity._band_candidates([], None) == set()
