"""Category and handling unit suggested from the office's own history (scikit-learn).

A model is trained on the registered petitions of this office (title, problem and requests ->
category; the same text -> the lead unit of its assignment), stored as a versioned row in the
database so every web process reads the same one, and retrained by `manage.py
train_suggestions` or the scheduled task (search/tasks.py). No network is needed: the model is
a TF-IDF over character n-grams and words with a linear classifier (search/nbsvm.py), trained on
the office's own rows and stored as the numbers web workers score with (search/scorer.py). With
too little history there is simply no model, and no suggestion.

The clerk always confirms: the form preselects the best category, nothing is saved by it.
"""

from __future__ import annotations

import io
import pickle
import threading

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from xinfang.search.models import SuggestionModel
from xinfang.search.scorer import Scorer

MIN_EXAMPLES = 20  # fewer registered petitions than this: no model, no suggestion
MAX_EXAMPLES = 50_000  # the newest ones; enough for a stable model, bounded training time
TOP = 3

_cache_lock = threading.Lock()
_cache: dict[str, object] = {}


def _text(title: str, content: str, requests: str = "") -> str:
    """What the model reads: the title on the first line, then the problem and the requests
    (title_part and whole_text take it apart again inside the pipeline)."""
    return f"{' '.join((title or '').split())}\n{content} {requests}"


def title_part(text: str) -> str:
    return text.partition("\n")[0].lower()


def whole_text(text: str) -> str:
    # The title is short and telling: it counts twice here, besides its own features.
    title, _, rest = text.partition("\n")
    return f"{title} {title} {rest}".lower()


def build_classifier():
    """The pipeline shared by training and the evaluation (docs/benchmarks.md has the figures
    of every alternative measured): TF-IDF over character 1-2 grams of the whole text plus,
    at half weight, character 1-3 grams of the title alone, and the words of both (jieba's
    segmentation, search/words.py) at 0.6 and 0.3; a class-balanced linear SVM over
    naive-Bayes-weighted features (NB-SVM), so the characters and words typical of one category
    count more from the start and rare categories are not drowned. Words beside the characters
    raised macro-F1 on the real messages from 0.893 to 0.903 (round 21); words alone, with a
    plain SVM, had measured no better than the characters (round 4)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline

    from xinfang.search.nbsvm import NBSVM
    from xinfang.search.words import Words

    features = FeatureUnion(
        [
            (
                "title",
                TfidfVectorizer(
                    analyzer="char", ngram_range=(1, 3), sublinear_tf=True, preprocessor=title_part
                ),
            ),
            (
                "text",
                TfidfVectorizer(
                    analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2, preprocessor=whole_text
                ),
            ),
            ("words", Words(whole_text, min_df=2)),
            ("title_words", Words(title_part)),
        ],
        transformer_weights={"title": 0.5, "text": 1.0, "words": 0.6, "title_words": 0.3},
    )
    return make_pipeline(features, NBSVM(alpha=0.1, C=1.0, class_weight="balanced"))


def _fit(texts: list[str], labels: list) -> object | None:
    if len(texts) < MIN_EXAMPLES or len(set(labels)) < 2:
        return None
    model = build_classifier()
    model.fit(texts, labels)
    return model


def training_rows() -> tuple[list[str], list[str], list[str], list[int]]:
    """(texts, category codes) of registered petitions, and (texts, lead unit ids) of those that
    were assigned; voided registrations are mistakes and teach nothing."""
    from xinfang.petitions.choices import Status
    from xinfang.petitions.models import Assignment, Petition

    lead = (
        Assignment.objects.filter(petition=OuterRef("pk"), role="lead").order_by("id").values("unit_id")[:1]
    )
    rows = (
        Petition.objects.exclude(status=Status.VOID)
        .order_by("-id")
        .annotate(first_lead_unit=Subquery(lead))
        .values_list("title", "content", "requests", "category__code", "first_lead_unit")[:MAX_EXAMPLES]
    )
    texts, categories, unit_texts, units = [], [], [], []
    for title, content, requests, category, unit in rows:
        text = _text(title, content, requests)
        texts.append(text)
        categories.append(category)
        if unit is not None:
            unit_texts.append(text)
            units.append(unit)
    return texts, categories, unit_texts, units


def train() -> SuggestionModel | None:
    """Train on the current history and store a new version; None when there is too little."""
    texts, categories, unit_texts, units = training_rows()
    category_model = _fit(texts, categories)
    if category_model is None:
        return None
    unit_model = _fit(unit_texts, units)
    with transaction.atomic():
        record = SuggestionModel.objects.create(
            trained_at=timezone.now(),
            examples=len(texts),
            unit_examples=len(unit_texts) if unit_model is not None else 0,
            categories=_dump(Scorer.from_pipeline(category_model)),
            units=_dump(Scorer.from_pipeline(unit_model)) if unit_model is not None else b"",
        )
        # Only the newest few are kept: older ones are of no use once replaced.
        stale = SuggestionModel.objects.order_by("-version").values_list("version", flat=True)[3:]
        SuggestionModel.objects.filter(version__in=list(stale)).delete()
    return record


def _dump(model) -> bytes:
    buffer = io.BytesIO()
    pickle.dump(model, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return buffer.getvalue()


def _load(blob: bytes):
    # The blob was written by `train` in this database; it is never taken from a request. It is
    # a Scorer (search/scorer.py), or the scikit-learn pipeline itself if it was trained before.
    return pickle.loads(bytes(blob)) if blob else None  # noqa: S301


def current() -> tuple[SuggestionModel | None, object | None, object | None]:
    """The newest stored model, unpickled once per process and version."""
    record = SuggestionModel.objects.order_by("-version").defer("categories", "units").first()
    if record is None:
        return None, None, None
    with _cache_lock:
        if _cache.get("version") != record.version:
            full = SuggestionModel.objects.get(pk=record.pk)
            _cache.clear()
            _cache.update(version=record.version, categories=_load(full.categories), units=_load(full.units))
        return record, _cache["categories"], _cache["units"]


def _top(model, text: str) -> list[tuple[object, float]]:
    """Best labels with a score in 0..1: a softmax of the SVM's margins (a confidence to rank
    and preselect by, not a calibrated probability)."""
    import numpy as np

    if model is None:
        return []
    margins = np.atleast_1d(model.decision_function([text])[0])
    if len(model.classes_) == 2:  # one margin for the second class
        margins = np.array([-margins[0], margins[0]])
    scores = np.exp(margins * 3 - (margins * 3).max())
    scores /= scores.sum()
    ranked = sorted(zip(model.classes_, scores, strict=True), key=lambda cp: cp[1], reverse=True)
    return [(label, round(float(p), 3)) for label, p in ranked[:TOP]]


def suggest(*, title: str = "", content: str = "", requests: str = "") -> dict:
    """Best categories and units for this text, with the model that said so."""
    from xinfang.accounts.models import Unit
    from xinfang.petitions.models import Category

    record, category_model, unit_model = current()
    if record is None or not (title or content).strip():
        return {"categories": [], "units": [], "model": model_info(record)}
    text = _text(title, content, requests)
    active = set(Category.objects.filter(active=True).values_list("code", flat=True))
    categories = [{"code": code, "score": s} for code, s in _top(category_model, text) if code in active]
    known_units = set(Unit.objects.values_list("pk", flat=True))
    units = [{"id": int(uid), "score": s} for uid, s in _top(unit_model, text) if uid in known_units]
    return {"categories": categories, "units": units, "model": model_info(record)}


def model_info(record: SuggestionModel | None) -> dict:
    if record is None:
        return {"version": None, "trained_at": None, "examples": 0}
    return {
        "version": record.version,
        "trained_at": record.trained_at.isoformat(),
        "examples": record.examples,
    }
