"""A linear SVM over naive-Bayes-weighted features (NB-SVM), for the suggestions.

For each label, every feature is first scaled by how much more often it occurs in that label's
petitions than in the others (the log-ratio of the two smoothed feature totals), then a binary
linear SVM separates the label from the rest on the scaled features. A character pair that is
typical of one category thus starts with a large weight, and the SVM only corrects it: on the
real citizen messages this beat the plain one-vs-rest SVM on the same features by half a point of
macro-F1 at the same cost (docs/benchmarks.md, round 5).

The scaling is folded into the coefficients after training, so the stored model is one dense
coefficient row per label, as large as the plain SVM's, and predicting is one sparse product.
Only scikit-learn and numpy are used; the class is pickled with the model, by this module's path.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import LinearSVC


class NBSVM(ClassifierMixin, BaseEstimator):
    """alpha: the smoothing added to each feature total (small: the features are TF-IDF
    values, not counts); C and class_weight are those of each binary LinearSVC."""

    def __init__(self, alpha: float = 0.1, C: float = 1.0, class_weight="balanced"):
        self.alpha = alpha
        self.C = C
        self.class_weight = class_weight

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("NBSVM needs at least two labels")
        # With two labels one separator is enough (scikit-learn's convention: one margin, for
        # the second label); otherwise one per label against the rest.
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        coefs, intercepts = [], []
        for label in targets:
            mine = y == label
            ratio = np.log(self._share(X[mine]) / self._share(X[~mine]))
            svm = LinearSVC(C=self.C, class_weight=self.class_weight)
            svm.fit(X.multiply(ratio).tocsr(), mine.astype(np.int8))
            coefs.append(svm.coef_.ravel() * ratio)
            intercepts.append(svm.intercept_[0])
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.asarray(intercepts)
        return self

    def _share(self, X):
        totals = np.asarray(X.sum(axis=0)).ravel() + self.alpha
        return totals / totals.sum()

    def decision_function(self, X):
        margins = np.asarray(X @ self.coef_.T) + self.intercept_
        return margins.ravel() if len(self.classes_) == 2 else margins

    def predict(self, X):
        margins = self.decision_function(X)
        if len(self.classes_) == 2:
            return self.classes_[(margins > 0).astype(int)]
        return self.classes_[margins.argmax(axis=1)]
