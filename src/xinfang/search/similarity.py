"""Same matter, same person: similar petitions at intake (重复信访, Rule 4.5(3)).

Same matter: MinHash over character 3-shingles of the title, problem and requests (datasketch),
with locality-sensitive hashing done by the database: each petition's signature is cut into
BANDS bands of ROWS values, and each band's hash is a row of `MatterBand` (indexed by band and
key). Petitions sharing at least one band are candidates; their exact shingle Jaccard is the
score, computed from each petition's distinct shingle codes as stored beside its bands
(`MatterShingles`, written with them), so a look-up reads no candidate's text. With 16 bands of 4 rows, a pair at Jaccard 0.5 becomes a candidate with probability
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

from xinfang.core.logged import logged
from xinfang.search.models import MatterBand, MatterShingles
from xinfang.search.text import fold

SHINGLE = 3
NUM_PERM = 64
SEED = 2026
BANDS = 16
ROWS = NUM_PERM // BANDS
MIN_SCORE = 0.3  # below this, two texts share little more than boilerplate
REPEAT_SCORE = 0.5  # the same person about (nearly) the same text: a repeat petition (重复信访)
MAX_CANDIDATES = 200
# The newest petitions counted in one band of a look-up (_band_candidates): a template text's
# band holds thousands of petitions, ten times as many at 10⁶, and reading them all was most of
# a look-up's time there. 4,000 rather than 1,000: at 10⁶ a bound of 1,000 gave a poorer list
# of ten for 32 of 60 texts (4,000: 19) at about the same time (docs/search.md).
BAND_ROWS = 4_000
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
    """datasketch's affine64 permutations for (NUM_PERM, SEED), drawn as it draws them (an odd
    multiplier and an offset, from numpy's RandomState(SEED)); the tests compare them with
    datasketch's own. Drawn here because importing datasketch loads scipy: about 1.4 s of CPU
    once per process, paid by the first look-up or import after a start."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 63, NUM_PERM, dtype=_U64) * _U64(2) + _U64(1)
    b = gen.randint(0, 1 << 64, NUM_PERM, dtype=_U64)
    return a, b


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
    or digit."""
    return signatures_of_codes([shingle_codes(text) for text in texts])


def signatures_of_codes(all_codes: list[np.ndarray]) -> list[np.ndarray | None]:
    """The same from each text's shingle codes (shingle_codes; repeated or sorted alike), hashed
    in batches of about _BATCH_SHINGLES shingles."""
    a, b = _permutations()
    out: list[np.ndarray | None] = [None] * len(all_codes)
    pending: list[tuple[int, np.ndarray]] = []
    size = 0

    def flush():
        nonlocal pending, size
        if not pending:
            return
        codes = np.concatenate([c for _i, c in pending])
        starts = np.cumsum([0] + [len(c) for _i, c in pending[:-1]])
        # One row per permutation, the shingles along it: the products and each text's minimum
        # then run over contiguous memory (about four times faster than a row per shingle,
        # whose minimum strides across rows). Same values: a*h + b mod 2**64, minimum per text.
        with np.errstate(over="ignore"):  # multiplication modulo 2**64 is intended
            hashed = np.multiply.outer(a, _fmix64(codes))
            hashed += b[:, None]
        minima = np.minimum.reduceat(hashed, starts, axis=1).T.copy()
        for row, (i, _c) in enumerate(pending):
            out[i] = minima[row]
        pending, size = [], 0

    for i, codes in enumerate(all_codes):
        if len(codes):
            pending.append((i, codes))
            size += len(codes)
            if size >= _BATCH_SHINGLES:
                flush()
    flush()
    return out


# --- The stored shingles: what scoring needs, without the text --------------------------------
# A petition's distinct shingle codes, sorted, as little-endian uint64 bytes (8 per distinct
# shingle; an empty text: no bytes). The codes are the shingles themselves packed without loss
# (three code points of < 2**21 each; a shorter text is one code of its one to three points,
# never equal to a three-point code because no normalised text holds code point 0), so the
# Jaccard of two petitions' codes IS the Jaccard of their shingle sets (shingles(), jaccard()).

_STORED = np.dtype("<u8")


def distinct_codes(codes: np.ndarray) -> np.ndarray:
    """The distinct codes, sorted: np.unique's answer, without its overhead (about 40 µs a
    text, more than the sort itself, for every matter of a ledger import)."""
    codes = np.sort(codes)
    if len(codes) > 1:
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return codes


def stored_codes(codes: np.ndarray) -> bytes:
    """What `MatterShingles.codes` holds for a text whose shingle codes are `codes`."""
    return distinct_codes(codes).astype(_STORED).tobytes()


def codes_jaccard(query: np.ndarray, stored: list[bytes | memoryview | None]) -> np.ndarray:
    """The Jaccard of the query's distinct codes (sorted) with each stored set, all at once:
    one membership test over every candidate's codes and one count per candidate, instead of a
    Python set built per candidate (none stored, as for a petition not indexed: 0.0)."""
    blobs = [bytes(b) if b is not None else b"" for b in stored]
    sizes = np.array([len(b) // _STORED.itemsize for b in blobs], dtype=np.int64)
    scores = np.zeros(len(blobs))
    if not len(query) or not sizes.any():
        return scores
    codes = np.frombuffer(b"".join(blobs), dtype=_STORED)
    owner = np.repeat(np.arange(len(blobs)), sizes)
    at = np.searchsorted(query, codes).clip(max=len(query) - 1)
    common = np.bincount(owner[query[at] == codes], minlength=len(blobs))
    union = sizes + len(query) - common
    present = sizes > 0
    scores[present] = common[present] / union[present]
    return scores


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
    """(band, key) pairs of each text's signature; empty for an empty text."""
    return band_keys_of_codes([shingle_codes(text) for text in texts])


def band_keys_of_codes(all_codes: list[np.ndarray]) -> list[list[tuple[int, int]]]:
    """The same from each text's shingle codes. The bands of all the texts are mixed at once
    (the same operations as _band_hashes, on a matrix of every signature's bands): one
    signature at a time, about twenty small numpy operations a text were most of a ledger
    import's time in this function."""
    sigs = signatures_of_codes(all_codes)
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


def matter_rows(petitions) -> tuple[list[tuple[int, int, int]], list[tuple[int, bytes]]]:
    """A batch of petitions' (petition id, band, key) rows and their (petition id, stored
    codes) rows, from one normalisation of each matter text."""
    # Each matter's distinct codes serve both: a repeated shingle changes no minimum, so the
    # signatures hash each shingle once.
    codes = [distinct_codes(shingle_codes(matter_text(p.title, p.content, p.requests))) for p in petitions]
    keys = band_keys_of_codes(codes)
    bands = [(p.pk, band, key) for p, pairs in zip(petitions, keys, strict=True) for band, key in pairs]
    return bands, [(p.pk, c.astype(_STORED).tobytes()) for p, c in zip(petitions, codes, strict=True)]


# One row per petition: replaced in place when the matter's text changes (both databases know
# ON CONFLICT … DO UPDATE).
SHINGLES_UPSERT = (
    f"INSERT INTO {MatterShingles._meta.db_table} (petition_id, codes) VALUES {{values}} "  # noqa: S608 (our table)
    "ON CONFLICT (petition_id) DO UPDATE SET codes = excluded.codes"
)


def store_bands_many(petitions, *, fresh: bool = False) -> None:
    """The bands and the shingle codes of a batch: one DELETE of the old bands (none for new
    petitions), one INSERT of the bands, one upsert of the codes."""
    rows, codes = matter_rows(petitions)
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
        for start in range(0, len(codes), 400):
            chunk = codes[start : start + 400]
            cursor.execute(
                SHINGLES_UPSERT.format(values=", ".join(["(%s, %s)"] * len(chunk))),
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
    found: set[int] = set()
    if not (ids or phones or named):
        return found  # nothing typed to match: no read policy to build (a few ms of ORM)
    visible = Petition.objects.visible_to(user).values("pk")
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


_PACKED_ID_BITS = 58  # most_shared: (shares, id) in one int64 while ids stay below 2**58
_PACKED_ID_LIMIT = 1 << _PACKED_ID_BITS


def most_shared(ids: np.ndarray, limit: int) -> set[int]:
    """The `limit` petitions occurring most often in `ids` (one occurrence per band shared with
    the query), ties broken by the higher id: what `GROUP BY petition_id ORDER BY COUNT(*) DESC,
    petition_id DESC LIMIT limit` keeps, counted with numpy. The ids may come in any order."""
    ids = np.sort(np.asarray(ids, dtype=np.int64), kind="stable")
    if not len(ids) or limit <= 0:
        return set()
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    petitions = ids[starts]
    shared = np.diff(np.append(starts, len(ids)))
    if len(petitions) <= limit:
        return set(petitions.tolist())
    if petitions[0] >= 0 and petitions[-1] < _PACKED_ID_LIMIT and shared.max() < 32:
        # (shared, id) packed into one integer (at most BANDS = 16 shares, ids below 2**58):
        # one partition instead of a sort of every petition met.
        packed = (shared << _PACKED_ID_BITS) | petitions
        best = np.partition(packed, len(packed) - limit)[-limit:]
        return set((best & (_PACKED_ID_LIMIT - 1)).tolist())
    return set(petitions[np.lexsort((petitions, shared))[-limit:]].tolist())


def _band_candidates(keys: list[tuple[int, int]], exclude=None) -> set[int]:
    """Ids of the MAX_CANDIDATES petitions sharing the most bands with the text (ties: the
    newest), counting in each band only its BAND_ROWS newest petitions: 16 backward probes of
    the (band, key, petition) index, each stopping after BAND_ROWS entries, read without the
    table (index-only scans).

    The read policy is applied after, to these few ids (find_similar reads them through
    visible_to). Checking it inside this query made the database test every colliding row
    first: realistic texts share boilerplate, so a look-up's bands meet thousands of rows
    (4,488 rows of 2,031 petitions for one text at 100,000 petitions, 128 ms). Sharing more
    bands means a higher Jaccard more likely, so the best candidates are kept rather than the
    lowest ids. A caller behind the firewall may thus see fewer than MAX_CANDIDATES scored,
    never more than it may read.

    Why a bound per band: a band shared by a kind of matter's template text holds a growing
    share of the office (thousands of petitions at 10⁵, ten times as many at 10⁶), and reading
    every one of them was the look-up's time at 10⁶ (about 100,000 band rows). With the bound
    a look-up reads at most BANDS × BAND_ROWS index entries whatever the office's size; a band
    holding more counts only its newest (docs/search.md, "Similar petitions at intake").

    PostgreSQL returns the colliding petition ids as one bytea (8 bytes each, `int8send`) and
    numpy counts them (most_shared): the server's GROUP BY and sort of them took twice as long
    as the probes themselves (docs/benchmarks.md, round 9). SQLite groups in the statement."""
    if not keys:
        return set()
    # One probe per band, newest first and cut at BAND_ROWS: an index-only scan backward over
    # the band's (band, key) range. (As one IN (VALUES …) the probes could not stop early; as
    # an OR of conditions they became a bitmap scan reading a table page per row.)
    other = "" if exclude is None else "AND petition_id <> %s"
    table = MatterBand._meta.db_table
    probe = (
        f"SELECT petition_id FROM (SELECT petition_id FROM {table} "  # noqa: S608 (our table, placeholders)
        f"WHERE band = %s AND key = %s {other} ORDER BY petition_id DESC LIMIT {int(BAND_ROWS)}) AS b{{i}}"
    )
    union = " UNION ALL ".join(probe.format(i=i) for i in range(len(keys)))
    params: list[int] = []
    for band, key in keys:
        params += [band, key] if exclude is None else [band, key, exclude]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"SELECT string_agg(int8send(petition_id), '') FROM ({union}) AS found"  # noqa: S608 (built above)
            found = _binary_value(cursor, sql, params)
            return most_shared(np.frombuffer(found or b"", dtype=">i8"), MAX_CANDIDATES)
        cursor.execute(
            f"SELECT petition_id FROM ({union}) AS found "  # noqa: S608 (built above)
            "GROUP BY petition_id ORDER BY COUNT(*) DESC, petition_id DESC LIMIT %s",
            [*params, MAX_CANDIDATES],
        )
        return {row[0] for row in cursor.fetchall()}


def _binary_value(cursor, sql: str, params: list):
    """PostgreSQL: the one value of `sql`, sent by the server in binary format: a bytea of
    100,000 ids (800 kB) as raw bytes, not hex text decoded here (about 3 ms of this process's
    CPU per look-up at 10⁶ petitions). Django's cursor binds on the client, which psycopg
    cannot combine with binary results, so a psycopg cursor of the same connection (the same
    transaction) runs it, recorded as Django records its own (core/logged.py)."""
    import psycopg

    with (
        logged(cursor, sql, params),
        connection.wrap_database_errors,
        psycopg.Cursor(connection.connection) as raw,
    ):
        raw.execute(sql, params, binary=True)
        return raw.fetchone()[0]


# What a look-up reads of each candidate: the columns shown (intake.py) and the stored codes.
SHOWN_FIELDS = {"id", "number", "title", "status"}


def _shown_fields(model) -> list[str]:
    """SHOWN_FIELDS in the model's field order, as Model.from_db takes them."""
    return [f.attname for f in model._meta.concrete_fields if f.attname in SHOWN_FIELDS]


def find_similar(
    user, *, title: str = "", content: str = "", requests: str = "", petitioners=None, exclude=None
) -> list[Similar]:
    """Visible petitions about the same matter or from the same person, best first. The
    candidates are scored from their stored shingle codes (MatterShingles), read with the few
    columns shown in one statement through visible_to: no candidate's text is read or shingled
    (about half a look-up's time before, at 200 candidates). The petitions returned carry only
    SHOWN_FIELDS (any other is read on access, as for `.only()`)."""
    from xinfang.petitions.models import Petition

    codes = shingle_codes(matter_text(title, content, requests))
    query = np.unique(codes)
    keys = band_keys_of_codes([codes])[0]
    visible = Petition.objects.visible_to(user)
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
    candidates = _band_candidates(keys, exclude)
    same_person = _person_matches(user, petitioners or [])
    if exclude is not None:
        same_person.discard(exclude)
    shown = _shown_fields(Petition)
    # No ORDER BY: the results are sorted by score below (the list's default order cost a sort).
    rows = list(
        visible.filter(pk__in=candidates | same_person)
        .order_by()
        .values_list(*shown, "matter_shingles__codes")
    )
    scores = codes_jaccard(query, [row[-1] for row in rows])
    at = shown.index("id")
    kept = []  # (repeat, score, pk, same person, row): sorted, and only the best become Similar
    for row, score in zip(rows, scores.tolist(), strict=True):
        person = row[at] in same_person
        if score < MIN_SCORE and not person:
            continue
        # A repeat by the exact score, shown rounded (as before the stored codes).
        repeat = person and score >= REPEAT_SCORE
        kept.append((repeat, round(score, 3), row[at], person, row))
    kept.sort(key=lambda k: k[:3], reverse=True)
    # A model instance for the MAX_RESULTS shown only: on boilerplate-heavy data nearly all 200
    # candidates pass MIN_SCORE, and building every one was a few milliseconds (profiled).
    return [
        Similar(
            petition=Petition.from_db(visible.db, shown, row[:-1]),
            score=score,
            same_petitioner=person,
            repeat=repeat,
        )
        for repeat, score, _pk, person, row in kept[:MAX_RESULTS]
    ]


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
