"""Word features for the category suggestions: jieba's segmentation, over a dictionary trimmed to
the words the model knows.

Character n-grams see 幸福 and 福里 in 幸福里 alike; words tell them apart, and on the real
citizen messages a view of the segmented words beside the character n-grams raised the category
model's macro-F1 by about half a point (docs/benchmarks.md, round 21). Search does not use words
(docs/search.md: a segmentation loses the substrings across its boundaries); only the model does.

jieba's own dictionary of 349,000 words costs a process about 80 MB and a second or two to load,
which a web worker answering the registration form's suggestions should not pay. So the model
keeps a dictionary of its own: the words jieba found in the training texts, with jieba's
frequencies and its total, so a word costs the same in both. Training segments with jieba's full
dictionary, keeps those words, and segments the texts again with the trimmed one, and the model
learns from that second cut, the one prediction makes. The two cuts differ in places (on the real
messages 84 % of the training texts were cut the same: where a run of single characters, such
as 我村, is a word of the full dictionary jieba keeps the characters apart, and without that word
its HMM joins them), which is why the model learns the trimmed one; the figures of round 21 are
this pipeline's. Words outside the trimmed dictionary could not be features anyway: the
vectorizer knows only the words of its training.
"""

from __future__ import annotations

import threading

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from xinfang.search.scorer import TrimmedCut, jieba_module

_full_lock = threading.Lock()


def full_dictionary():
    """jieba's default tokenizer, loaded once per process (training only)."""
    jieba = jieba_module()
    with _full_lock:
        jieba.dt.check_initialized()
    return jieba.dt


class Words(BaseEstimator, TransformerMixin):
    """TF-IDF over the words of one part of the text (`part`, a function of the text, such as
    suggest.title_part). Fitted, `cut_` holds the trimmed dictionary and cuts with it."""

    def __init__(self, part=None, min_df: int = 1):
        self.part = part
        self.min_df = min_df

    def fit(self, texts, y=None):
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts, y=None):
        # Each text is cut twice here (with jieba's dictionary, then the trimmed one), not three
        # times as fit() then transform() would.
        full = full_dictionary()
        found: set[str] = set()
        for text in texts:
            found.update(full.lcut(self._of(text)))
        # Only real dictionary words: those its HMM makes up for unknown runs are made up again
        # by the trimmed one, which has the same HMM.
        self.cut_ = TrimmedCut({w: full.FREQ[w] for w in found if full.FREQ.get(w)}, full.total)
        self.vectorizer_ = TfidfVectorizer(analyzer=self._words, sublinear_tf=True, min_df=self.min_df)
        return self.vectorizer_.fit_transform(texts)

    def transform(self, texts):
        return self.vectorizer_.transform(texts)

    def _of(self, text: str) -> str:
        return self.part(text) if self.part is not None else text

    def _words(self, text: str) -> list[str]:
        return self.cut_(self._of(text))
