"""Normalise loaded text: Unicode, whitespace, scraped-page boilerplate, inline pinyin.

Knowledge often arrives as pages saved from document-sharing sites. Those carry download
prompts, copyright banners, "page 3" title lines, and pinyin glosses inserted after characters
(``發(fā)展`` for ``發展``). Left in, they pollute search (every chunk matches "下载") and read badly
when quoted, so they go here, once, for every loader.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# A parenthesised gloss of latin letters with at least one tone-marked vowel, right after a
# CJK character. The tone mark is what separates pinyin from ordinary "(ServiceHub)".
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN_RE: Final = re.compile(
    rf"(?<=[\u3400-\u9fff])[(（]\s*(?=[a-zü{_TONED}\s]*[{_TONED}])[a-zü{_TONED}]+(?:\s+[a-zü{_TONED}]+)*\s*[)）]"
)

# Whole lines that are download-site furniture, in either script.
_BOILERPLATE_LINES: Final = tuple(
    re.compile(pattern)
    for pattern in (
        r"^已[阅閱][读讀]\s*\d+\s*[页頁].*[未剩].*$",  # "已閱讀5頁,還剩39頁未讀 繼續免費閱讀"
        r"^[继繼][续續]免[费費][阅閱][读讀]\s*$",
        r"^下[载載]本文[档檔]\s*$",
        r"^[版][权權][说說]明\s*[:：].*$",  # copyright banner of the hosting site
        r"^文[档檔][简簡]介\s*$",
        r"^.{2,80}_第\s*\d+\s*[页頁]\s*$",  # "<document title>_第3頁"
        r"^[本该該]文[档檔][为為]?.*(上[传傳]|下[载載]).*$",
        r"^(点击|點擊).{0,10}(下载|下載|阅读|閱讀).*$",
    )
)

_ZERO_WIDTH_RE: Final = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES_RE: Final = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES_RE: Final = re.compile(r"\n{3,}")


def looks_binary(data: bytes) -> bool:
    """Whether bytes look like a binary file rather than text (NUL bytes or many control characters)."""
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return controls / len(sample) > 0.1


def remove_pinyin(text: str) -> str:
    """Drop pinyin glosses that follow Chinese characters: ``發(fā)展`` -> ``發展``."""
    return _PINYIN_RE.sub("", text)


def clean_text(text: str) -> str:
    """Normalise text for display and indexing.

    NFKC, no zero-width or control characters, Unix line ends, no pinyin glosses, no
    download-site boilerplate lines, single spaces, at most one blank line in a row.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH_RE.sub("", text)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch) != "Cc" else " " for ch in text)
    text = remove_pinyin(text)
    lines = []
    for line in text.split("\n"):
        line = _SPACES_RE.sub(" ", line).strip()
        if any(pattern.match(line) for pattern in _BOILERPLATE_LINES):
            continue
        lines.append(line)
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()
