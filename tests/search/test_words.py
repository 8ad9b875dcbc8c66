"""The suggestions' word features (search/words.py): jieba's cut, from a trimmed dictionary."""

import pickle
from pathlib import Path

import jieba

from tests.search.conftest import in_a_new_process
from xinfang.search.words import Words

TEXTS = [
    "幸福里小区电梯长期故障无人维修，请求有关部门尽快处理",
    "反映某公司拖欠农民工工资三个月，要求依法支付",
    "学校周边道路施工噪音扰民，夜间施工严重影响居民休息",
    "小区物业收费不合理，业主委员会成立受阻",
    # Sentences whose cut depends on the words' costs (the frequencies and jieba's total).
    "结婚的和尚未结婚的都来了",
    "南京市长江大桥附近的乒乓球拍卖完了",
    "他说的确实在理，研究生命起源要从实际出发",
]


def test_the_trimmed_dictionary_cuts_these_training_texts_as_jieba_does():
    # Not every text (search/words.py says where the two differ), but these, chosen with words
    # whose cut depends on their costs, must come out as jieba's own cut them.
    words = Words(min_df=1).fit(TEXTS)
    for text in TEXTS:
        # The oracle: jieba's own default dictionary, blanks dropped as the features drop them.
        expected = [w for w in jieba.lcut(text) if not w.isspace()]
        assert words._words(text) == expected
    assert len(words.cut_.dictionary) < 100  # not jieba's 349,000 words


def test_a_new_text_of_known_words_is_cut_by_jieba_s_costs():
    # 和尚 and 尚未 are both known from the training, so 和尚未 can be cut two ways: the
    # frequencies and jieba's total carried in the model decide, as jieba's own dictionary does.
    words = Words(min_df=1).fit(["寺里的和尚在念经", "他尚未结婚", "我和你", "结婚的人"])
    for text in ("结婚的和尚未结婚的", "和尚未念经"):
        assert words._words(text) == jieba.lcut(text)


def test_only_words_of_the_training_are_features_and_unknown_words_count_nothing():
    words = Words(min_df=1).fit(TEXTS)
    vocabulary = words.vectorizer_.vocabulary_
    assert {"电梯", "拖欠", "噪音", "物业"} <= set(vocabulary)
    unseen = words.transform(["天气晴朗适合郊游"])
    assert unseen.nnz == 0
    seen = words.transform(["电梯故障"])
    assert {vocabulary["电梯"], vocabulary["故障"]} == set(seen.indices)


def test_a_stored_model_cuts_alike_without_jieba_s_full_dictionary(tmp_path: Path):
    words = Words(min_df=1).fit(TEXTS)
    (tmp_path / "words.pkl").write_bytes(pickle.dumps(words))
    expected = words.transform(TEXTS).toarray().tolist()
    # A new process, as a web worker: it must not load jieba's full dictionary to cut text.
    script = (
        "import pickle, sys, jieba\n"
        f"w = pickle.loads(open({str(tmp_path / 'words.pkl')!r}, 'rb').read())\n"
        f"got = w.transform({TEXTS!r}).toarray().tolist()\n"
        f"assert got == {expected!r}, got\n"
        "assert not jieba.dt.initialized\n"
    )
    result = in_a_new_process(script, django=False)
    assert result.returncode == 0, result.stderr
