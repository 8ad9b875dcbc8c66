"""The NB-SVM behind the suggestions (search/nbsvm.py), against values worked out apart from it."""

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from sklearn.svm import LinearSVC

from xinfang.search.nbsvm import NBSVM

# Four features; labels a, b, c each own one feature, the fourth is shared by all.
X = csr_matrix(
    np.array(
        [
            [1.0, 0, 0, 1],
            [0.8, 0, 0, 1],
            [0, 1.0, 0, 1],
            [0, 0.9, 0, 1],
            [0, 0, 1.0, 1],
            [0, 0, 0.7, 1],
        ]
    )
)
Y = np.array(["a", "a", "b", "b", "c", "c"])


def test_ratio_by_hand_and_margins_equal_an_svm_on_the_scaled_features():
    model = NBSVM(alpha=0.5, C=1.0).fit(X, Y)
    # For label a: totals over its rows (1.8, 0, 0, 2) + 0.5 = (2.3, .5, .5, 2.5), sum 5.8;
    # over the others (0, 1.9, 1.7, 4) + 0.5 = (.5, 2.4, 2.2, 4.5), sum 9.6.
    ratio_a = np.log((np.array([2.3, 0.5, 0.5, 2.5]) / 5.8) / (np.array([0.5, 2.4, 2.2, 4.5]) / 9.6))
    oracle = LinearSVC(C=1.0, class_weight="balanced").fit(X.multiply(ratio_a).tocsr(), Y == "a")
    new = csr_matrix(np.array([[0.5, 0.2, 0.0, 1.0], [0.0, 0.0, 0.3, 1.0]]))
    expected = oracle.decision_function(new.multiply(ratio_a).tocsr())
    assert model.decision_function(new)[:, 0] == pytest.approx(expected, abs=1e-6)
    assert list(model.predict(new)) == ["a", "c"]


def test_two_labels_give_one_margin_for_the_second():
    y = np.array(["x", "x", "y", "y", "y", "x"])
    model = NBSVM().fit(X, y)
    margins = model.decision_function(X)
    assert margins.shape == (6,)
    assert list(model.predict(X)) == ["y" if m > 0 else "x" for m in margins]
    assert list(model.classes_) == ["x", "y"]


def test_one_label_is_refused():
    with pytest.raises(ValueError):
        NBSVM().fit(X, np.array(["a"] * 6))
