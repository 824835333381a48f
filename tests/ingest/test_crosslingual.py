"""The dictionary that lets an English question find a Chinese passage by its words."""

from __future__ import annotations

from ingest.crosslingual import Lexicon, cedict

LINES = [
    "# CC-CEDICT",
    "試點 试点 [shi4 dian3] /test point/to carry out trial/pilot scheme/",
    "門店 门店 [men2 dian4] /store; shop/",
    "駕駛員 驾驶员 [jia4 shi3 yuan2] /pilot; driver/",
    "班 班 [ban1] /team/class/squad/work shift/CL:個|个[ge4]/surname Ban/",
    "餑餑 饽饽 [bo1 bo5] /a kind of steamed bun made of flour mixed with water and dough/",
    "a broken line",
]


def test_short_senses_translate_both_scripts_to_simplified_tokens() -> None:
    lexicon = Lexicon.parse(LINES)
    assert set(lexicon.chinese_for("pilot")) == {"试点", "驾驶员"}
    assert lexicon.chinese_for("store") == ("门店",)
    assert lexicon.chinese_for("shift") == ("班",)
    # Pointers to other entries and surnames are not senses; long descriptions are not glosses.
    assert lexicon.chinese_for("ban") == ()
    assert lexicon.chinese_for("steamed") == ()
    assert lexicon.chinese_for("to") == ()


def test_a_generation_keeps_only_translations_into_the_library_s_words() -> None:
    table = Lexicon.parse(LINES).translations(["试点", "排班", "班"])
    assert table == {"test": ("试点",), "point": ("试点",), "trial": ("试点",), "pilot": ("试点",),
                     "carry": ("试点",), "scheme": ("试点",), "team": ("班",), "class": ("班",),
                     "squad": ("班",), "work": ("班",), "shift": ("班",)}  # fmt: skip


def test_the_packaged_dictionary_is_read() -> None:
    lexicon = cedict()
    assert "试点" in lexicon.chinese_for("pilot")
    assert "反馈" in lexicon.chinese_for("feedback")
    assert "门店" in lexicon.chinese_for("store")
