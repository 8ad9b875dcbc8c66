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

import hashlib
import struct
import unicodedata
from dataclasses import dataclass

from django.db.models import Q

from xinfang.search.models import MatterBand
from xinfang.search.text import fold

SHINGLE = 3
NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
MIN_SCORE = 0.3  # below this, two texts share little more than boilerplate
REPEAT_SCORE = 0.5  # the same person about (nearly) the same text: a repeat petition (重复信访)
MAX_CANDIDATES = 200
MAX_RESULTS = 10


def _normalise(text: str) -> str:
    """Letters and digits only, folded: punctuation, spaces and layout do not make a text new."""
    return "".join(c for c in fold(text) if unicodedata.category(c)[0] in "LN")


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


def band_keys(shingle_set: set[str]) -> list[tuple[int, int]]:
    """(band, key) pairs of the MinHash signature; empty for an empty text."""
    if not shingle_set:
        return []
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=2026)
    minhash.update_batch([s.encode("utf-8") for s in sorted(shingle_set)])
    return _bands(minhash.hashvalues)


def band_keys_many(shingle_sets: list[set[str]]) -> list[list[tuple[int, int]]]:
    """band_keys for many texts: the same keys, with the permutations drawn once for all of
    them (drawing them is most of the cost of one signature)."""
    from datasketch import MinHash

    filled = [i for i, shingle_set in enumerate(shingle_sets) if shingle_set]
    hashes = MinHash.bulk(
        ([s.encode("utf-8") for s in sorted(shingle_sets[i])] for i in filled), num_perm=NUM_PERM, seed=2026
    )
    out: list[list[tuple[int, int]]] = [[] for _ in shingle_sets]
    for i, minhash in zip(filled, hashes, strict=True):
        out[i] = _bands(minhash.hashvalues)
    return out


def _bands(hashvalues) -> list[tuple[int, int]]:
    values = [int(v) for v in hashvalues]
    keys = []
    for band in range(BANDS):
        chunk = struct.pack(f"<{ROWS}Q", *values[band * ROWS : (band + 1) * ROWS])
        # A signed 63-bit key fits every database's BIGINT.
        key = int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little") >> 1
        keys.append((band, key))
    return keys


def store_bands(petition, *, fresh: bool = False) -> None:
    """Kept by the petition_text_changed receiver, in the writing transaction."""
    keys = band_keys(shingles(matter_text(petition.title, petition.content, petition.requests)))
    if not fresh:
        MatterBand.objects.filter(petition_id=petition.pk).delete()
    MatterBand.objects.bulk_create(MatterBand(petition_id=petition.pk, band=b, key=k) for b, k in keys)


def store_bands_many(petitions, *, fresh: bool = False) -> None:
    """The same for a batch (rebuild_search_index, imports)."""
    petitions = list(petitions)
    signatures = band_keys_many([shingles(matter_text(p.title, p.content, p.requests)) for p in petitions])
    rows = [(p.pk, b, k) for p, keys in zip(petitions, signatures, strict=True) for b, k in keys]
    if not fresh:
        MatterBand.objects.filter(petition_id__in=[p.pk for p in petitions]).delete()
    _insert_bands(rows)


def _insert_bands(rows: list[tuple[int, int, int]], batch: int = 300) -> None:
    """Multi-row INSERTs of (petition id, band, key): sixteen rows a petition, where building a
    model instance for each costs more than writing it. 300 rows bind 900 values, under
    SQLite's limit."""
    from django.db import connection

    table = connection.ops.quote_name(MatterBand._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(
                f"INSERT INTO {table} (petition_id, band, key) VALUES "  # noqa: S608 (name from _meta)
                + ", ".join(["(%s, %s, %s)"] * len(chunk)),
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


def find_similar(
    user, *, title: str = "", content: str = "", requests: str = "", petitioners=None, exclude=None
) -> list[Similar]:
    """Visible petitions about the same matter or from the same person, best first."""
    from xinfang.petitions.models import Petition

    query = shingles(matter_text(title, content, requests))
    keys = band_keys(query)
    visible = Petition.objects.visible_to(user)
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
    band_match = Q()
    for band, key in keys:
        band_match |= Q(band=band, key=key)
    candidates: set[int] = set()
    if keys:
        candidates = set(
            MatterBand.objects.filter(band_match, petition__in=visible.values("pk"))
            .values_list("petition_id", flat=True)
            .distinct()[:MAX_CANDIDATES]
        )
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
