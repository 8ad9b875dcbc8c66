"""The stored suggestion model (search/scorer.py) scores as the trained pipeline does."""

import pickle
from pathlib import Path

import numpy as np
import pytest

from tests.search.conftest import in_a_new_process
from xinfang.search.scorer import Scorer, char_ngrams
from xinfang.search.suggest import _text, build_classifier

HISTORY = {
    "housing": [
        "小区电梯长期故障无人维修",
        "物业收费不合理要求退还",
        "房屋漏水开发商不处理",
        "楼道堆放杂物存在隐患",
    ],
    "labour": ["公司拖欠工资三个月", "工地老板拖欠农民工工资", "单位不给缴纳社会保险", "劳动合同到期不续签"],
    "traffic": ["公交车不按站点停靠", "道路施工导致交通拥堵", "路口红绿灯时间过短", "出租车拒载乘客"],
}


def _fit(labels):
    texts, targets = [], []
    for label in labels:
        for n, title in enumerate(HISTORY[label]):
            texts.append(_text(title, f"{title}，请有关部门  尽快处理。第{n}次反映 ABC"))
            targets.append(label)
    return build_classifier().fit(texts, targets)


ASKED = [
    _text("电梯故障", "小区电梯又坏了，物业不管"),
    _text("", "拖欠   工资\t\t要求支付 abc"),
    _text("天气", "今天天气晴朗"),  # nothing the model knows
    _text("", ""),
]


def test_char_ngrams_are_scikit_learn_s():
    from sklearn.feature_extraction.text import CountVectorizer

    analyzer = CountVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False).build_analyzer()
    for text in ("幸福里  小区\t\n电梯", "a", "", "  "):
        assert sorted(char_ngrams(text, 1, 3)) == sorted(analyzer(text))


@pytest.mark.parametrize("labels", [("housing", "labour", "traffic"), ("housing", "labour")])
def test_margins_equal_the_pipeline_s(labels):
    pipeline = _fit(labels)
    scorer = Scorer.from_pipeline(pipeline)
    expected = pipeline.decision_function(ASKED)  # the oracle: scikit-learn itself
    got = scorer.decision_function(ASKED)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, rtol=0, atol=1e-12)
    assert list(scorer.classes_) == list(pipeline.classes_)


def test_a_stored_scorer_scores_without_scikit_learn(tmp_path: Path):
    pipeline = _fit(("housing", "labour", "traffic"))
    (tmp_path / "scorer.pkl").write_bytes(pickle.dumps(Scorer.from_pipeline(pipeline)))
    expected = pipeline.decision_function(ASKED).tolist()
    script = (
        "import pickle, sys, django\n"
        "django.setup()  # as a web worker: the model's text functions live beside Django's models\n"
        f"s = pickle.loads(open({str(tmp_path / 'scorer.pkl')!r}, 'rb').read())\n"
        f"got = s.decision_function({ASKED!r}).tolist()\n"
        f"assert all(abs(a - b) < 1e-12 for r, e in zip(got, {expected!r}) for a, b in zip(r, e)), got\n"
        "assert not any(m == 'sklearn' or m.startswith(('sklearn.', 'scipy.')) for m in sys.modules), 'imported'\n"
    )
    result = in_a_new_process(script, django=True)
    assert result.returncode == 0, result.stderr


def test_a_pipeline_of_another_shape_is_refused():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    texts = [t for titles in HISTORY.values() for t in titles]
    labels = [k for k, titles in HISTORY.items() for _t in titles]
    words = make_pipeline(TfidfVectorizer(analyzer="word"), LinearSVC()).fit(texts, labels)
    with pytest.raises(ValueError):
        Scorer.from_pipeline(words)
