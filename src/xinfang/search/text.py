"""What a petition's search document holds, and how text is cut into index keys.

Everything here is pure Python and database-agnostic: the same folding is applied to the
documents and to the query terms, so "term is a substring of the folded document" is the single
test both databases answer (the index only narrows the rows that test runs on).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection

# Separates the fields of a document. A query term never contains a newline (terms are split on
# whitespace and phrases come from a one-line box), so no term can match across two fields.
FIELD_SEPARATOR = "\n"


def fold(text: str) -> str:
    """Case-fold character by character (str.casefold has no context rules, unlike lower()
    and its final sigma), so a substring of the original stays a substring of the folded text."""
    return text.casefold()


# ASCII digits: the characters of petition numbers, dates, amounts and the like. Only these get
# trigram keys (digit_trigrams): ten symbols make every digit pair common (each in about one
# document in seven, and the year's pairs in all of them), so a digit bigram barely narrows,
# while a Chinese character pair is already selective. Other scripts' digits (fullwidth ０–９,
# superscripts, …) keep bigrams: rare in the documents, and `str.isdigit` would key them too.
# (A regular expression finds the runs: a Python test of every character of a document cost
# more than the rest of its keys.)
_DIGIT_RUN = re.compile(r"[0-9]{3,}", re.ASCII)


def digit_trigrams(text: str) -> set[str]:
    """Every three consecutive ASCII digits of `text`. Every trigram of a substring is a trigram
    of the text, so a document holding a term holds all of the term's digit trigrams."""
    return {run[i : i + 3] for run in _DIGIT_RUN.findall(text) for i in range(len(run) - 2)}


def grams(term: str) -> set[str]:
    """The index keys every document containing `term` must have: its character bigrams, or
    the character itself for a one-character term. Needing all of them loses no match
    (each bigram of a substring is a bigram of the document), so recall stays 1.0; the
    substring recheck then removes documents that hold the bigrams in another order.

    Where the term has three or more ASCII digits in a row, those digits are asked by their
    trigrams instead of their bigrams: each trigram's pairs are bigrams of every document
    holding it, so the bigrams inside a digit run would only add long posting lists to read
    (a term like `040209` read 412 index pages for 238 candidates by its bigrams at 10⁵,
    docs/benchmarks.md round 15; its trigrams hold one). The bigrams that touch the run's
    ends (`-0` in `-040209`) are still asked."""
    if len(term) == 1:
        return {term}
    trigrams = digit_trigrams(term)
    covered = {i for i in range(len(term) - 2) if term[i : i + 3] in trigrams}
    # A pair at i lies inside the trigram starting at i or at i - 1.
    pairs = {term[i : i + 2] for i in range(len(term) - 1) if i not in covered and i - 1 not in covered}
    return pairs | trigrams


def document_grams(body: str) -> set[str]:
    """Every unigram and bigram of a (folded) document, and every trigram of ASCII digits
    (digit_trigrams): the keys PostgreSQL's grams and SQLite's FTS5 row hold."""
    keys = set(body)
    keys.update(body[i : i + 2] for i in range(len(body) - 1))
    keys.update(digit_trigrams(body))
    return keys


def token(gram: str) -> str:
    """An index key as a plain ASCII word for SQLite's FTS5 tokenizer: "u" + hex code point
    for a unigram, "b" + hex + "x" + hex for a bigram, "t" + three hex code points joined by
    "x" for a digit trigram. Spelling keys this way means no tokenizer rule (punctuation,
    spaces, digits, case) can split or merge them."""
    if len(gram) == 1:
        return f"u{ord(gram):x}"
    if len(gram) == 2:
        return f"b{ord(gram[0]):x}x{ord(gram[1]):x}"
    return f"t{ord(gram[0]):x}x{ord(gram[1]):x}x{ord(gram[2]):x}"


def fts_keys(body: str) -> str:
    """The SQLite FTS5 row of a document: its keys as words, in a fixed order (a contentless
    table deletes a row by being given the very same text again)."""
    return " ".join(sorted(token(g) for g in document_grams(body)))


def join_fields(parts: Iterable[str]) -> str:
    return FIELD_SEPARATOR.join(p for p in parts if p)


# (app label.model, fields) of the records whose text a reader may see beside the petition's
# own. The first three are all that exists when a petition is registered.
_RELATED_FIELDS = (
    ("petitions.Petitioner", ("name", "work_unit")),
    ("petitions.InvolvedPerson", ("name",)),
    ("petitions.ReceptionRecord", ("notes", "explained")),
    ("petitions.Result", ("findings", "result")),
    ("petitions.Reply", ("content",)),
    ("petitions.PersuasionRecord", ("notes",)),
    ("petitions.PoliceReferral", ("reason",)),
)


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def _own_texts(p) -> list[str]:
    return [
        p.number,
        p.title,
        p.content,
        p.requests,
        p.superior_reference,
        p.outcome,
        p.archive_number,
        p.void_reason,
    ]


def registered_body(petition) -> str | None:
    """The folded text `petition_bodies(..., registration_only=True)` reads, built from the rows
    registration has just written and attached to `petition` (its petitioners and involved
    persons as prefetched, its reception cached, as services/registration._remember leaves
    them): no query. None when any of them is not attached. tests/search checks it against
    the text read back."""
    cache = getattr(petition, "_prefetched_objects_cache", {})
    reception = petition._meta.get_field("reception")
    if "petitioners" not in cache or "involved_persons" not in cache or not reception.is_cached(petition):
        return None
    petitioners, persons = list(cache["petitioners"]), list(cache["involved_persons"])
    if any(r.pk is None for r in petitioners + persons):
        return None
    record = reception.get_cached_value(petition)
    kinds = (
        sorted(petitioners, key=lambda r: r.pk),
        sorted(persons, key=lambda r: r.pk),
        [record] if record else [],
    )
    return _body(petition, dict(zip((label for label, _fields in _RELATED_FIELDS[:3]), kinds, strict=True)))


def _body(petition, records: dict[str, list]) -> str:
    """The folded text of `petition` and its `records` ({model label: rows in id order}; a kind
    not given has none), as petition_bodies reads it: its own texts, then by kind, then by record,
    with the same fields (_RELATED_FIELDS)."""
    texts = _own_texts(petition)
    for label, fields in _RELATED_FIELDS:
        for row in records.get(label, ()):
            texts += [getattr(row, name) or "" for name in fields]
    return fold(join_fields(texts))


def written_bodies(petitions: list, records: dict[int, dict[str, list]]) -> dict[int, str]:
    """petition_bodies of petitions just created, from the records written with them and still
    in hand (`records[petition id]`: {model label: rows in id order}, every kind of
    _RELATED_FIELDS that was written; the ledger import's): no query. tests/reports compare the
    documents with those of petitions registered one by one."""
    return {p.pk: _body(p, records.get(p.pk, {})) for p in petitions}


def petition_bodies(petitions: list, *, registration_only: bool = False) -> dict[int, str]:
    """The folded text a reader may see of each petition, for the index: one query for the
    whole batch, so registering and rebuilding cost the same.

    Personal data that is sealed in the database (ID numbers, phones, addresses) is not copied
    here: ID numbers and phones are found exactly through their blind index instead.
    Proposals, instructions and internal reports are not searchable: handling officers of a
    department do not see them.
    """
    parts: dict[int, list[str]] = {p.pk: _own_texts(p) for p in petitions}
    ids = list(parts)
    related = _RELATED_FIELDS[:3] if registration_only else _RELATED_FIELDS
    # One statement for every kind of record (UNION ALL), in a fixed order: by petition, kind,
    # then record. On the registration path this replaced one ORM query per kind, whose
    # compilation cost more than the database's work.
    selects, params = [], []
    width = max(len(fields) for _label, fields in related)
    marks = ", ".join(["%s"] * len(ids))
    for kind, (label, fields) in enumerate(related):
        model = _model(label)
        meta = model._meta
        columns = [f"COALESCE({meta.get_field(f).column}, '')" for f in fields]
        columns += ["''"] * (width - len(fields))
        selects.append(
            # Identifiers come from the models' own metadata; every value is a placeholder.
            f"SELECT {meta.get_field('petition').column} AS pid, {kind} AS kind, {meta.pk.column} AS rid, "  # noqa: S608
            f"{', '.join(f'{c} AS f{i}' for i, c in enumerate(columns))} "
            f"FROM {meta.db_table} WHERE {meta.get_field('petition').column} IN ({marks})"
        )
        params += ids
    sql = " UNION ALL ".join(selects) + " ORDER BY pid, kind, rid"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for petition_id, kind, _rid, *values in cursor.fetchall():
            parts[petition_id].extend(values[: len(related[kind][1])])
    return {pk: fold(join_fields(texts)) for pk, texts in parts.items()}
