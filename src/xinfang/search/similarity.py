"""Same matter, same person: similar petitions at intake (重复信访, Rule 4.5(3)).

Same matter: MinHash over character 3-shingles of the title, problem and requests (datasketch),
with locality-sensitive hashing done by the database: each petition's signature is cut into
BANDS bands of ROWS values, and each band's hash is a row of `MatterBand` (indexed by band and
key). Petitions sharing at least one band are candidates; their exact shingle Jaccard is the
score. With 16 bands of 4 rows, a pair at Jaccard 0.5 becomes a candidate with probability
1 - (1 - 0.5^4)^16 ≈ 0.64 and one at 0.7 with 0.98 (docs/search.md has the measured recall).

Same person: the blind index (ID number, phone) or the same name and address. Only petitions
the caller may see are ever returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.db import connection
from django.db.models import Q

from xinfang.search.models import MatterBand
from xinfang.search.text import fold

SHINGLE = 3
NUM_PERM = 64
SEED = 2026
BANDS = 16
ROWS = NUM_PERM // BANDS
MIN_SCORE = 0.3  # below this, two texts share little more than boilerplate
REPEAT_SCORE = 0.5  # the same person about (nearly) the same text: a repeat petition (重复信访)
MAX_CANDIDATES = 200
MAX_RESULTS = 10


_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


def _normalise(text: str) -> str:
    """Letters and digits only, folded: punctuation, spaces and layout do not make a text new.
    (`\\w` is exactly the Unicode letters and digits plus "_", so this keeps the L* and N*
    categories, as one regular expression instead of a Python loop over every character.)"""
    return _NOT_LETTER_OR_DIGIT.sub("", fold(text))


def shingles(text: str) -> set[str]:
    text = _normalise(text)
    if len(text) <= SHINGLE:
        return {text} if text else set()
    return {text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def matter_text(title: str, content: str, requests: str = "") -> str:
    return "\n".join((title or "", content or "", requests or ""))


# --- MinHash, many texts at once --------------------------------------------------------------
# A shingle of three code points (each < 2**21) is packed exactly into one 63-bit integer, so
# hashing a text's shingles is a few numpy operations instead of a SHA-1 call per shingle. The
# signature is then datasketch's "affine64" MinHash with that integer as the hash input (the
# MurmurHash3 finalizer, then a*h + b mod 2**64 per permutation, minimum per text) — the tests
# check it against datasketch itself. Duplicate shingles need no removal: they do not change a
# minimum.

_U64 = np.uint64
_FMIX = (_U64(33), _U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53))
_BATCH_SHINGLES = 8192  # shingles hashed at once: 8,192 × 64 × 8 bytes = 4 MiB, stays in cache


def _fmix64(h: np.ndarray) -> np.ndarray:
    shift, m1, m2 = _FMIX
    h = h ^ (h >> shift)
    h = h * m1
    h = h ^ (h >> shift)
    h = h * m2
    return h ^ (h >> shift)


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    from datasketch import MinHash

    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine64").permutations
    return a.astype(_U64), b.astype(_U64)


def shingle_codes(text: str) -> np.ndarray:
    """The 3-shingles of the normalised text as packed integers (a shorter text: one code)."""
    points = np.frombuffer(_normalise(text).encode("utf-32-le"), dtype=np.uint32).astype(_U64)
    if len(points) <= SHINGLE:
        code = 0
        for point in points.tolist():
            code = (code << 21) | point
        return np.array([code] if len(points) else [], dtype=_U64)
    return (points[:-2] << _U64(42)) | (points[1:-1] << _U64(21)) | points[2:]


def signatures(texts: list[str]) -> list[np.ndarray | None]:
    """The MinHash signature (NUM_PERM uint64) of each text; None for a text with no letter
    or digit. Texts are hashed in batches of about _BATCH_SHINGLES shingles."""
    a, b = _permutations()
    out: list[np.ndarray | None] = [None] * len(texts)
    pending: list[tuple[int, np.ndarray]] = []
    size = 0

    def flush():
        nonlocal pending, size
        if not pending:
            return
        codes = np.concatenate([c for _i, c in pending])
        starts = np.cumsum([0] + [len(c) for _i, c in pending[:-1]])
        with np.errstate(over="ignore"):  # multiplication modulo 2**64 is intended
            hashed = _fmix64(codes)[:, None] * a + b
        minima = np.minimum.reduceat(hashed, starts, axis=0)
        for row, (i, _c) in enumerate(pending):
            out[i] = minima[row]
        pending, size = [], 0

    for i, text in enumerate(texts):
        codes = shingle_codes(text)
        if len(codes):
            pending.append((i, codes))
            size += len(codes)
            if size >= _BATCH_SHINGLES:
                flush()
    flush()
    return out


def _band_hashes(signature: np.ndarray) -> list[tuple[int, int]]:
    """(band, key) of each band of ROWS values: the values mixed into one hash, as a signed
    63-bit integer that fits every database's BIGINT."""
    rows = signature.reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = np.zeros(BANDS, dtype=_U64)
        for r in range(ROWS):
            h = _fmix64(h * _U64(0x9E3779B97F4A7C15) + rows[:, r])
    return list(enumerate((h >> _U64(1)).tolist()))


def band_keys_many(texts: list[str]) -> list[list[tuple[int, int]]]:
    """(band, key) pairs of each text's signature; empty for an empty text. The bands of all
    the texts are mixed at once (the same operations as _band_hashes, on a matrix of every
    signature's bands): one signature at a time, about twenty small numpy operations a text
    were most of a ledger import's time in this function."""
    sigs = signatures(texts)
    present = [sig for sig in sigs if sig is not None]
    if not present:
        return [[] for _sig in sigs]
    rows = np.stack(present).reshape(len(present), BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = np.zeros((len(present), BANDS), dtype=_U64)
        for r in range(ROWS):
            h = _fmix64(h * _U64(0x9E3779B97F4A7C15) + rows[:, :, r])
    keys = iter((h >> _U64(1)).tolist())
    return [[] if sig is None else list(enumerate(next(keys))) for sig in sigs]


def band_keys(text: str) -> list[tuple[int, int]]:
    return band_keys_many([text])[0]


def band_rows(petitions) -> list[tuple[int, int, int]]:
    """(petition id, band, key) rows of a batch of petitions."""
    keys = band_keys_many([matter_text(p.title, p.content, p.requests) for p in petitions])
    return [(p.pk, band, key) for p, pairs in zip(petitions, keys, strict=True) for band, key in pairs]


def store_bands_many(petitions, *, fresh: bool = False) -> None:
    """The same for a batch: one DELETE (none for new petitions) and one INSERT."""
    rows = band_rows(petitions)
    # Plain SQL: on the registration path the ORM's bulk_create cost more than the insert.
    table = MatterBand._meta.db_table
    with connection.cursor() as cursor:
        if not fresh:
            ids = [p.pk for p in petitions]
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(f"DELETE FROM {table} WHERE petition_id IN ({marks})", ids)  # noqa: S608 (our table, placeholders)
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (petition_id, band, key) VALUES {values}",  # noqa: S608 (our table, placeholders)
                [v for row in chunk for v in row],
            )


@dataclass
class Similar:
    petition: object
    score: float
    same_petitioner: bool
    repeat: bool


def _person_matches(user, petitioners: list[dict]) -> set[int]:
    """Visible petitions of the same person: ID number or phone (blind index), or name + address."""
    from xinfang.petitions.models import Petition, Petitioner
    from xinfang.petitions.services.registration import blind_index
    from xinfang.petitions.validators import normalize_id_number, normalize_phone

    ids, phones, named = [], [], {}
    for person in petitioners or []:
        if not isinstance(person, dict):
            continue
        id_number = normalize_id_number(str(person.get("id_number") or ""))
        phone = normalize_phone(str(person.get("phone") or ""))
        if id_number:
            ids.append(blind_index("id", id_number))
        if phone:
            phones.append(blind_index("phone", phone))
        name = str(person.get("name") or "").strip()
        address = _normalise(str(person.get("address") or ""))
        if name and address:
            named[name] = address
    visible = Petition.objects.visible_to(user).values("pk")
    found: set[int] = set()
    if ids or phones:
        found |= set(
            Petitioner.objects.filter(petition__in=visible)
            .filter(Q(id_number_index__in=ids) | Q(phone_index__in=phones))
            .values_list("petition_id", flat=True)[:MAX_CANDIDATES]
        )
    if named:
        # Addresses are sealed: compare them after opening, among the few with the same name.
        for row in Petitioner.objects.filter(petition__in=visible, name__in=list(named))[:MAX_CANDIDATES]:
            if _normalise(row.address or "") == named.get(row.name):
                found.add(row.petition_id)
    return found


def _band_candidates(keys: list[tuple[int, int]], exclude=None) -> set[int]:
    """Ids of the MAX_CANDIDATES petitions sharing the most bands with the text: 16 probes of
    the (band, key, petition) index, read without the table (an index-only scan).

    The read policy is applied after, to these few ids (find_similar reads them through
    visible_to). Checking it inside this query made the database test every colliding row
    first: realistic texts share boilerplate, so a look-up's bands meet thousands of rows
    (4,488 rows of 2,031 petitions for one text at 100,000 petitions, 128 ms). Sharing more
    bands means a higher Jaccard more likely, so the best candidates are kept rather than the
    lowest ids. A caller behind the firewall may thus see fewer than MAX_CANDIDATES scored,
    never more than it may read."""
    if not keys:
        return set()
    # (band, key) IN (VALUES …): one index-only probe per band. The same pairs as an OR of
    # conditions became a bitmap scan, which reads the table's page of every row (1,883
    # pages, 32 ms, for the text above; 2.8 ms this way).
    pairs = ", ".join(["(CAST(%s AS smallint), CAST(%s AS bigint))"] * len(keys))
    params: list[int] = [value for pair in keys for value in pair]
    other = ""
    if exclude is not None:
        other, params = "AND petition_id <> %s ", [*params, exclude]
    sql = (
        f"SELECT petition_id FROM {MatterBand._meta.db_table} "  # noqa: S608 (our table, placeholders)
        f"WHERE (band, key) IN (VALUES {pairs}) {other}"
        "GROUP BY petition_id ORDER BY COUNT(*) DESC, petition_id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, MAX_CANDIDATES])
        return {row[0] for row in cursor.fetchall()}


def find_similar(
    user, *, title: str = "", content: str = "", requests: str = "", petitioners=None, exclude=None
) -> list[Similar]:
    """Visible petitions about the same matter or from the same person, best first."""
    from xinfang.petitions.models import Petition

    text = matter_text(title, content, requests)
    query = shingles(text)
    keys = band_keys(text)
    visible = Petition.objects.visible_to(user)
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
    candidates = _band_candidates(keys, exclude)
    same_person = _person_matches(user, petitioners or [])
    if exclude is not None:
        same_person.discard(exclude)
    rows = visible.filter(pk__in=candidates | same_person).only(
        "pk", "number", "title", "content", "requests", "status"
    )
    results = []
    for petition in rows:
        score = jaccard(query, shingles(matter_text(petition.title, petition.content, petition.requests)))
        person = petition.pk in same_person
        if score < MIN_SCORE and not person:
            continue
        results.append(
            Similar(
                petition=petition,
                score=round(score, 3),
                same_petitioner=person,
                repeat=person and score >= REPEAT_SCORE,
            )
        )
    results.sort(key=lambda s: (s.same_petitioner and s.repeat, s.score, s.petition.pk), reverse=True)
    return results[:MAX_RESULTS]


@dataclass
class Cluster:
    petitions: list  # oldest first
    people: int  # distinct petitioners (by ID/phone blind index, else name)

    @property
    def several_people(self) -> bool:
        return self.people >= 2


def recurring_clusters(user, *, since, min_size: int = 2, limit: int = 50) -> list[Cluster]:
    """Groups of visible petitions received since `since` about the same matter (sharing a
    MinHash band and then at least MIN_SCORE Jaccard with another member), largest first."""
    from xinfang.petitions.models import Petition, Petitioner

    visible = Petition.objects.visible_to(user).filter(received_at__gte=since)
    rows = MatterBand.objects.filter(petition__in=visible.values("pk")).values_list(
        "band", "key", "petition_id"
    )
    buckets: dict[tuple[int, int], list[int]] = {}
    for band, key, pk in rows:
        buckets.setdefault((band, key), []).append(pk)
    pairs = {
        (min(a, b), max(a, b))
        for ids in buckets.values()
        if 1 < len(ids) <= 500
        for a in ids
        for b in ids
        if a != b
    }
    if not pairs:
        return []
    ids = {pk for pair in pairs for pk in pair}
    petitions = {
        p.pk: p
        for p in visible.filter(pk__in=ids).only(
            "pk", "number", "title", "content", "requests", "status", "received_at"
        )
    }
    texts = {pk: shingles(matter_text(p.title, p.content, p.requests)) for pk, p in petitions.items()}
    parent = {pk: pk for pk in petitions}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        if a in texts and b in texts and jaccard(texts[a], texts[b]) >= MIN_SCORE:
            parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for pk in petitions:
        groups.setdefault(find(pk), []).append(pk)
    members = [g for g in groups.values() if len(g) >= min_size]
    people: dict[int, set[str]] = {}
    all_ids = [pk for g in members for pk in g]
    for pid, name, id_key, phone_key in Petitioner.objects.filter(petition_id__in=all_ids).values_list(
        "petition_id", "name", "id_number_index", "phone_index"
    ):
        people.setdefault(pid, set()).add(id_key or phone_key or f"name:{name}")
    clusters = []
    for g in members:
        ordered = sorted((petitions[pk] for pk in g), key=lambda p: (p.received_at, p.pk))
        persons = set().union(*(people.get(pk, set()) for pk in g))
        clusters.append(Cluster(petitions=ordered, people=len(persons)))
    clusters.sort(key=lambda c: (len(c.petitions), c.people), reverse=True)
    return clusters[:limit]
