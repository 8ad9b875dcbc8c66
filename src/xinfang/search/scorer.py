"""The suggestion model as web workers use it: the trained pipeline's numbers, scored with numpy.

Training builds a scikit-learn pipeline (suggest.build_classifier: TF-IDF views joined, then the
NB-SVM); a web worker only needs its margins for one text at a time. Unpickling the pipeline
imports scikit-learn and SciPy's sparse matrices into the worker, about 80 MB before the model
itself: a worker that had answered one registration form's suggestions held 212 MB where every
page of bench/pages.py stays under 125 (docs/benchmarks.md, round 21). So `train` stores this
instead: per view its vocabulary, IDF weights and weight in the union, and the classifier's
coefficients; scoring a text is a count of its terms and a dot product per label, with the same
arithmetic as the pipeline (tests/search/test_scorer.py holds the two equal). Training still
uses scikit-learn; a model stored before this form is still a pipeline and still loads.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# scikit-learn's character analyzer folds each run of two or more blanks into one space first.
_BLANKS = re.compile(r"\s\s+")


def jieba_module():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it logs its dictionary loading at DEBUG/INFO
    return jieba


def trimmed_tokenizer(dictionary: dict[str, int], total: int):
    """A jieba tokenizer over `dictionary` ({word: frequency}) with jieba's `total`, built in
    memory as jieba builds its own (gen_pfdict): every word with its frequency and each of its
    prefixes at 0, so the graph of words over a sentence is the same."""
    tokenizer = jieba_module().Tokenizer()
    freq: dict[str, int] = {}
    for word, count in dictionary.items():
        freq[word] = count
        for end in range(1, len(word)):
            freq.setdefault(word[:end], 0)
    tokenizer.FREQ, tokenizer.total = freq, total
    tokenizer.initialized = True
    return tokenizer


class TrimmedCut:
    """Cuts text into words as jieba does over `dictionary` ({word: frequency}) with jieba's
    `total`, blanks left out. The tokenizer is built on first use and never pickled (it holds a
    lock): training's Words and the stored Scorer share this one object."""

    def __init__(self, dictionary: dict[str, int], total: int):
        self.dictionary = dictionary
        self.total = total
        self._tokenizer = None

    def __call__(self, text: str) -> list[str]:
        if self._tokenizer is None:
            self._tokenizer = trimmed_tokenizer(self.dictionary, self.total)
        return [w for w in self._tokenizer.lcut(text) if not w.isspace()]

    def __getstate__(self):
        return {"dictionary": self.dictionary, "total": self.total}

    def __setstate__(self, state):
        self.__init__(**state)


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """The terms of scikit-learn's "char" analyzer (its _char_ngrams), in its order."""
    text = _BLANKS.sub(" ", text)
    return [text[i : i + n] for n in range(low, min(high, len(text)) + 1) for i in range(len(text) - n + 1)]


@dataclass
class View:
    """One TF-IDF view of the union: its terms (character n-grams of `part(text)`, or the words
    of it as the trimmed dictionary cuts them), their columns and IDF, and its weight."""

    part: Callable[[str], str]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weight: float
    offset: int  # the view's first column in the joined features
    sublinear: bool = True
    ngrams: tuple[int, int] | None = None  # character views
    words: TrimmedCut | None = None  # word views

    def terms(self, text: str) -> list[str]:
        if self.ngrams is not None:
            return char_ngrams(self.part(text), *self.ngrams)
        return self.words(self.part(text))

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the text in the joined features: counts, 1 + log if sublinear,
        times IDF, scaled to unit length, times the view's weight."""
        counts = Counter(t for t in self.terms(text) if t in self.vocabulary)
        if not counts:
            return np.empty(0, dtype=np.int64), np.empty(0)
        columns = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[columns]
        length = math.sqrt(float(values @ values))
        if length > 0:
            values = values / length
        return columns + self.offset, values * self.weight


@dataclass
class Scorer:
    """decision_function and classes_ as the pipeline has them (suggest._top reads those)."""

    views: list[View]
    classes_: np.ndarray
    coef: np.ndarray  # one row per label (one row in all for two labels), one column per feature
    intercept: np.ndarray

    def decision_function(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            margins = self.intercept.copy()  # float64 already (from_pipeline)
            for view in self.views:
                columns, values = view.features(text)
                if len(columns):
                    margins += self.coef[:, columns] @ values
            rows.append(margins)
        result = np.vstack(rows) if rows else np.empty((0, len(self.intercept)))
        return result.ravel() if len(self.classes_) == 2 else result

    @classmethod
    def from_pipeline(cls, pipeline) -> Scorer:
        """The numbers of a fitted suggest.build_classifier() pipeline. Anything else in it is
        refused rather than scored differently."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        from xinfang.search.words import Words

        union, classifier = pipeline[0], pipeline[-1]
        if len(pipeline) != 2 or not isinstance(union, FeatureUnion):
            raise ValueError("expected the union of the views and the classifier")
        weights = union.transformer_weights or {}
        views, offset = [], 0
        for name, part in union.transformer_list:
            vectorizer = part.vectorizer_ if isinstance(part, Words) else part
            if (
                not isinstance(vectorizer, TfidfVectorizer)
                or vectorizer.norm != "l2"
                or not vectorizer.use_idf
            ):
                raise ValueError(f"view {name}: not a TF-IDF view with unit length")
            view = View(
                part=part.part if isinstance(part, Words) else vectorizer.preprocessor,
                vocabulary=dict(vectorizer.vocabulary_),
                idf=np.asarray(vectorizer.idf_, dtype=np.float64),
                weight=float(weights.get(name, 1.0)),
                offset=offset,
                sublinear=bool(vectorizer.sublinear_tf),
            )
            if isinstance(part, Words):
                if part.part is None:
                    raise ValueError(f"view {name}: words of the whole raw text are not scored")
                view.words = part.cut_
            elif vectorizer.analyzer == "char" and vectorizer.preprocessor is not None:
                view.ngrams = tuple(vectorizer.ngram_range)
            else:
                raise ValueError(f"view {name}: only character n-grams after a preprocessor")
            views.append(view)
            offset += len(view.idf)
        return cls(
            views=views,
            classes_=np.asarray(classifier.classes_),
            coef=np.asarray(classifier.coef_, dtype=np.float64),
            intercept=np.asarray(classifier.intercept_, dtype=np.float64),
        )
