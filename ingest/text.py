"""Text folding, tokenisation and language detection shared by the index and the answerer.

The index is built from *folded* text (NFKC, Simplified script, case-folded) so that a question in
Traditional Chinese finds a passage written in Simplified and the other way round. The same
functions run on documents and on questions: if they drifted apart, lexical search would silently
stop matching, which is why both sides import them from here.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Final, Literal

import jieba
import opencc

Language = Literal["zh-Hans", "zh-Hant", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh-Hans", "zh-Hant", "en")
CHINESE: Final[frozenset[str]] = frozenset({"zh-Hans", "zh-Hant"})  # either script


def readable_in(language: str) -> frozenset[str]:
    """The passage languages a reader of ``language`` reads: either Chinese script (shown in theirs), or English."""
    return CHINESE if language in CHINESE else frozenset({language})


jieba.setLogLevel(logging.WARNING)

# Words of this domain that jieba's general dictionary splits apart ("服务中台" -> 服务/中/台).
# Keeping them whole makes lexical matches sharper; sub-words still come from cut_for_search.
_DOMAIN_WORDS: Final = (
    "服务中台",
    "变革办公室",
    "关键用户",
    "使用率",
    "试点门店",
    "推广节奏",
    "变革管理",
    "变革阻力",
    "认知阻力",
    "情感阻力",
    "行为阻力",
    "预警灯",
    "红灯",
    "黄灯",
    "绿灯",
    "橙灯",
    "复盘",
    "降本增效",
    "痛点",
    "区域经理",
    "区域教练",
    "店长",
    "分批推广",
    "全面铺开",
    "快速见效",
)
for _word in _DOMAIN_WORDS:
    jieba.add_word(_word, freq=20000)

_T2S: Final = opencc.OpenCC("t2s")
_S2T: Final = opencc.OpenCC("s2tw")

_CJK_RE: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE: Final = re.compile(r"[A-Za-z]{2,}")
_TOKEN_OK_RE: Final = re.compile(r"[\w\u3400-\u9fff%]", re.UNICODE)


def _read_words(name: str) -> frozenset[str]:
    text = resources.files("ingest").joinpath(name).read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() if not line.startswith("#") for word in line.split())


# Function words that carry no topic. Questions are full of them ("我们店…", "非得…"), and
# counting them would make an off-topic question look half-covered by any passage.
_ZH_STOPWORDS: Final = _read_words("stopwords_zh.txt")
# Question words that say what kind of answer is wanted ("培训要多久" against "培训算不算上班时间"):
# kept as tokens so ranking can tell such questions apart, but not topic, so coverage skips them.
_ZH_INTENT_WORDS: Final = _read_words("intent_words_zh.txt")
_ZH_INTENT_SYNONYMS: Final = {
    word: frozenset(line.split())
    for line in resources.files("ingest")
    .joinpath("intent_words_zh.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if not line.startswith("#")
    for word in line.split()
}
# Cut whole the intent words jieba's dictionary lacks ("什么时候" would come out as 什么/时候, both
# stopwords), and the Cantonese ones it knows too rarely to cut whole (边个 as 边/个, 我哋 as 我/哋).
for _word in sorted(_ZH_INTENT_WORDS):
    if len(_word) > 1 and not jieba.get_FREQ(_word):
        jieba.add_word(_word)
for _word in sorted(_ZH_INTENT_WORDS | _ZH_STOPWORDS):
    if len(_word) > 1 and jieba.lcut(_word, HMM=False) != [_word]:
        jieba.suggest_freq(_word, tune=True)
_EN_STOPWORDS: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "there",
        "here",
        "not",
        "no",
        "yes",
        "so",
        "than",
        "then",
        "too",
        "very",
        "just",
        "about",
        "into",
        "over",
        "under",
        "again",
        "any",
        "all",
        "some",
        "each",
        "much",
        "many",
        "more",
        "most",
        "other",
        "such",
        "only",
        "own",
        "same",
        "up",
        "down",
        "out",
        "off",
        "get",
        "got",
        "please",
        "tell",
        "know",
        "hi",
        "hello",
        "thanks",
        "thank",
        "ok",
        "okay",
        # What is left of a contraction once the apostrophe splits it ("what's", "we're", "don't").
        "s",
        "re",
        "ll",
        "ve",
        "d",
        "t",
        "m",
    ]
)


# Changes to segmentation, stopwords or intent words change every token in the lexical index; the
# manifest records this so the next ingest rebuilds it even when no file changed.
TOKENIZER_VERSION: Final = hashlib.sha256(
    "\n".join(
        [
            *sorted(_ZH_STOPWORDS),
            "|",
            *sorted(_ZH_INTENT_WORDS),
            "|",
            *sorted(_EN_STOPWORDS),
            "|",
            *_DOMAIN_WORDS,
            "|",
            jieba.__version__,
            "intent words whole",
            "translations from cc-cedict",
        ]
    ).encode()
).hexdigest()[:12]


def is_intent_word(token: str) -> bool:
    """Whether ``token`` (as ``tokenize`` returns it) asks what kind of answer is wanted: 多久, 谁, 哪里…

    Intent words rank like any other token but are not topic: coverage leaves them out.
    """
    return token in _ZH_INTENT_WORDS


def intent_synonyms(token: str) -> frozenset[str]:
    """The intent words that ask what ``token`` asks ("多久" for "多长时间"); empty for other tokens."""
    return _ZH_INTENT_SYNONYMS.get(token, frozenset())


def normalise(text: str) -> str:
    """NFKC and tidy whitespace: the form text is displayed and compared in."""
    return unicodedata.normalize("NFKC", text).strip()


def fold(text: str) -> str:
    """Fold text for matching: NFKC, Traditional -> Simplified, case-folded."""
    return str(_T2S.convert(unicodedata.normalize("NFKC", text))).casefold()


_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
# NFKC (applied when files are loaded) turns Chinese full-width punctuation into ASCII; that is
# right for matching but reads badly in a Chinese answer. Next to Han characters it goes back.
_CLOSES = "”’」』）》"  # a Chinese quotation or bracket that ends right before the punctuation
_CJK_PUNCTUATION: Final = tuple(
    (re.compile(pattern), replacement)
    for half, replacement in ((",", "，"), (";", "；"), (":", "："), (r"\?", "？"), ("!", "！"))
    for pattern in (
        rf"(?<=[{_HAN}{_CLOSES}]){half}",
        # After a number or a percentage only when Chinese follows: "2周,会" but "80%, ServiceHub", "10:30".
        rf"(?<=[0-9%]){half}(?= ?[{_HAN}])",
    )
) + (
    (re.compile(rf"\((?=[{_HAN}])"), "（"),
    (re.compile(rf"(?<=[{_HAN}])\)"), "）"),
)
# Taiwan-style conversion writes 臺 (服務中臺, 平臺); staff, product names and Hong Kong write 台.
_EVERYDAY_TRADITIONAL: Final = str.maketrans({"臺": "台"})
# The conversion knows "三周" is weeks (三週) but not "8周": after a numeral it is weeks too.
_WEEKS_AFTER_DIGITS: Final = re.compile(r"([0-9] ?)周")


def restore_cjk_punctuation(text: str) -> str:
    """Full-width commas, colons, question marks… again where they follow (or open on) Chinese."""
    for pattern, replacement in _CJK_PUNCTUATION:
        text = pattern.sub(replacement, text)
    return text


def to_script(text: str, language: str) -> str:
    """Render Chinese text in the asker's script, with Chinese punctuation; other languages pass through."""
    if language == "zh-Hant":
        traditional = str(_S2T.convert(text)).translate(_EVERYDAY_TRADITIONAL)
        return restore_cjk_punctuation(_WEEKS_AFTER_DIGITS.sub(r"\1週", traditional))
    if language == "zh-Hans":
        return restore_cjk_punctuation(str(_T2S.convert(text)))
    return text


def detect_language(text: str, *, default: Language = "zh-Hans") -> Language:
    """Guess zh-Hans, zh-Hant or en from the characters used.

    Chinese wins as soon as CJK characters make up a fair share of the letters, because staff
    mix product names ("ServiceHub") into Chinese sentences. Between the scripts, any character
    that changes under Traditional -> Simplified conversion marks the text as Traditional.
    """
    cjk = _CJK_RE.findall(text)
    latin_letters = sum(len(word) for word in _LATIN_WORD_RE.findall(text))
    if not cjk:
        return "en" if latin_letters else default
    # One CJK character carries about as much as a three-letter word.
    if latin_letters > 3 * 3 * len(cjk):
        return "en"
    han = "".join(cjk)
    simplified = _T2S.convert(han)
    if simplified != han:
        return "zh-Hant"
    traditional = _S2T.convert(han)
    if traditional != han:
        return "zh-Hans"
    # Every character is the same in both scripts: nothing to tell them apart.
    return default if default != "en" else "zh-Hans"


def light_stem(word: str) -> str:
    # Plural folding only: enough for "stores"/"store", "lights"/"light" without a stemmer dependency.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _search_words(folded: str) -> Iterator[str]:
    """``jieba.cut_for_search``, except that an intent word comes out whole: its sub-words are
    topic words ("多长时间" would also give 时间, and "培训得多长时间" would match "培训算不算上班时间"
    on its topic)."""
    dictionary = jieba.dt
    for word in dictionary.cut(folded):
        if word not in _ZH_INTENT_WORDS:
            for size in (2, 3):
                if len(word) > size:
                    for start in range(len(word) - size + 1):
                        gram = word[start : start + size]
                        if dictionary.FREQ.get(gram):
                            yield gram
        yield word


@lru_cache(maxsize=4096)
def _tokenize_cached(folded: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for raw in _search_words(folded):
        token = raw.strip()
        if not token or not _TOKEN_OK_RE.search(token):
            continue
        if token in _ZH_STOPWORDS or token in _EN_STOPWORDS:
            continue
        if token.isascii() and token.isalpha():
            token = light_stem(token)
        tokens.append(token)
    return tuple(tokens)


def tokenize(text: str) -> list[str]:
    """Tokens for lexical search: folded, segmented with jieba, stopwords removed, intent words kept."""
    return list(_tokenize_cached(fold(text)))
