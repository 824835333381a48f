from importlib import resources

from ingest.text import detect_language, fold, intent_synonyms, is_intent_word, to_script, tokenize


def test_fold_maps_traditional_to_simplified_and_casefolds() -> None:
    assert fold("服務中台 ServiceHub") == "服务中台 servicehub"
    assert fold("ＡＢＣ１２３") == "abc123"  # NFKC folds full-width forms


def test_to_script_renders_in_the_askers_script() -> None:
    assert to_script("为什么要换新系统", "zh-Hant") == "為什麼要換新系統"
    assert to_script("為什麼要換新系統", "zh-Hans") == "为什么要换新系统"
    assert to_script("Why change?", "en") == "Why change?"
    # NFKC made the punctuation ASCII when the file was loaded; Chinese answers get it back.
    assert (
        to_script("连续2周红灯,会通知区域经理;(必要时)暂缓?", "zh-Hans")
        == "连续2周红灯，会通知区域经理；（必要时）暂缓？"
    )
    assert to_script("使用率:80%, ServiceHub (new)", "zh-Hans") == "使用率：80%, ServiceHub (new)"


def test_detect_language() -> None:
    assert detect_language("我们店什么时候上线？") == "zh-Hans"
    assert detect_language("我們店什麼時候上線？") == "zh-Hant"
    assert detect_language("When does my store switch over?") == "en"
    assert detect_language("ServiceHub 的培训要多久") == "zh-Hans"
    # Characters identical in both scripts: the default decides.
    assert detect_language("上午", default="zh-Hant") == "zh-Hant"
    assert detect_language("🙂🙂", default="en") == "en"


def test_tokenize_drops_stopwords_and_folds_scripts_alike() -> None:
    simplified = tokenize("我们店什么时候上线服务中台？")
    traditional = tokenize("我們店什麼時候上線服務中台？")
    assert simplified == traditional
    assert "服务中台" in simplified
    assert "什么" not in simplified and "我们" not in simplified
    assert tokenize("What do the warning lights mean?") == ["warning", "light", "mean"]
    assert tokenize("！？。…") == []


def test_tokenize_keeps_intent_words() -> None:
    # The question word is what tells "how long is training" from "is training paid time".
    assert tokenize("培訓要多久？") == ["培训", "多久"]
    assert tokenize("谁负责复盘") == ["谁", "负责", "复盘"]
    # jieba's dictionary lacks 什么时候; it comes out whole, not as the stopwords 什么 and 时候.
    assert tokenize("我們店什麼時候上線") == ["店", "什么时候", "上线"]
    assert is_intent_word("多久") and is_intent_word("什么时候")
    assert not is_intent_word("培训") and not is_intent_word("什么")


def test_an_intent_word_comes_out_whole_without_topic_sub_words() -> None:
    # jieba's search mode would also give 时间 and 长时间, topic words that "培训算不算上班时间" has.
    assert tokenize("培训得多长时间") == ["培训", "多长时间"]
    assert tokenize("培训时间多长") == ["培训", "时间", "多长"]  # here 时间 is the question's own word
    assert intent_synonyms("多长时间") >= {"多久", "几耐"} and "什么时候" not in intent_synonyms("多久")
    assert intent_synonyms("培训") == frozenset()


def test_every_intent_word_survives_tokenize() -> None:
    # A word also on the stopword list, or one jieba cuts into stopwords, would silently stop
    # counting for ranking. (Alone, jieba may cut "哪种" as 哪/种; 哪 still carries the intent.)
    text = resources.files("ingest").joinpath("intent_words_zh.txt").read_text(encoding="utf-8")
    words = [word for line in text.splitlines() if not line.startswith("#") for word in line.split()]
    assert words
    for word in words:
        assert is_intent_word(word), word
        assert any(is_intent_word(token) for token in tokenize(word)), word


def test_contractions_leave_no_one_letter_words() -> None:
    assert tokenize("what's the wifi password? we're at the store, I'll wait") == [
        "wifi",
        "password",
        "store",
        "wait",
    ]


def test_chinese_punctuation_comes_back_after_numbers_and_quotes_but_not_inside_numbers() -> None:
    assert to_script("连续2周,会通知", "zh-Hans") == "连续2周，会通知"
    assert to_script("培训3天,然后上岗", "zh-Hans") == "培训3天，然后上岗"
    assert to_script("叫“服务中台”,以后用它?", "zh-Hans") == "叫“服务中台”，以后用它？"
    assert to_script("10:30开会,1,000元", "zh-Hans") == "10:30开会，1,000元"
    assert to_script("使用率:80%, ServiceHub", "zh-Hans") == "使用率：80%, ServiceHub"


def test_traditional_keeps_the_everyday_tai_of_product_names() -> None:
    assert to_script("服务中台和平台", "zh-Hant") == "服務中台和平台"


def test_traditional_writes_weeks_after_a_numeral_as_the_conversion_does_after_a_word() -> None:
    assert to_script("试点8周,前两周每周复盘", "zh-Hant") == "試點8週，前兩週每週復盤"
    assert to_script("周边门店", "zh-Hant") == "周邊門店"
    assert to_script("近 8 周趋势", "zh-Hant") == "近 8 週趨勢"
