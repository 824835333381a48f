from ingest.text import detect_language, fold, to_script, tokenize


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
