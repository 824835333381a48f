"""Normalise loaded text for display and indexing: Unicode, whitespace, scraped-page debris.

Much of the change team's knowledge arrives as pages saved from document-sharing sites. Those
carry download prompts, copyright banners, "page 3" title lines and pinyin glosses inserted after
characters (``發(fā)展`` for ``發展``). Left in, they pollute search (every chunk matches "下載")
and read badly when quoted, so every loader sends its text through ``clean_text`` once.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# CJK ideographs: the unified blocks, extension A, compatibility ideographs and the supplementary
# planes (extensions B onwards), where pinyin glosses attach.
_HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# ü counts as marked: a gloss like "(lü)" is pinyin, and no English word in brackets has it.
_TONED: Final = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
_SYLLABLE: Final = f"[a-z{_TONED}]+"

# A bracketed gloss right after a Han character, e.g. 發(fā), 規(guī), 創(chuàng), 創（chuàng）. The
# lookahead demands a tone-marked vowel, which is what tells pinyin from "服务中台(ServiceHub)".
_PINYIN_RE: Final = re.compile(
    rf"(?<=[{_HAN}])[(（]\s*(?=[a-z{_TONED} ]*[{_TONED}])({_SYLLABLE}(?: {_SYLLABLE})*)\s*[)）]"
)

# Whole lines that are document-sharing-site furniture, never content. Each pattern covers both
# Simplified and Traditional spellings ([载載]) because the same sites serve both scripts. They
# run on a line after it is normalised and its pinyin removed ("繼續(xù)" is "繼續" by then), and
# they are anchored to the whole line so a sentence that merely mentions downloading survives.
BOILERPLATE_LINES: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(pattern)
    for pattern in (
        # Paywall teaser: "已閱讀5頁,還剩39頁未讀 繼續免費閱讀".
        r"^已[阅閱][读讀]\s*\d+\s*[页頁].{0,40}$",
        r"^[继繼][续續](?:免[费費])?[阅閱][读讀]$",
        # Download buttons: "下載本文檔", "免費下載", "點擊下載".
        r"^(?:[点點][击擊])?(?:免[费費])?下[载載](?:本文[档檔]|[该該此]文[档檔]|文[档檔]|全文)?$",
        # The host's copyright banner: "版權說明:本文檔由用戶提供並上傳...".
        r"^版[权權][说說]明\s*:.*$",
        r"^文[档檔][简簡]介$",
        # One line per scanned page, named after the document: "實踐障礙解決方案的推廣經驗_第3頁".
        r"^.{1,80}_第\s*\d+\s*[页頁]$",
        # Page counters from printed pages: "第 3 頁", "第3页 共12页".
        r"^第\s*\d+\s*[页頁](?:\s*[,/]?\s*共\s*\d+\s*[页頁])?$",
        # The footer: "溫馨提示" followed by numbered site rules ("1. 本站所有資源如無特殊說明…").
        r"^[温溫]馨提示$",
        r"^(?:[•·]\s*)?\d+\s*[.、]\s*(?:本站|人人文[库庫][网網]|未[经經][权權]益所有人同意|下[载載]文件中如有侵[权權]).*$",
        # The comment box under the document: "評論", "0/150", "提交評論".
        r"^(?:提交)?[评評][论論]$",
        r"^0\s*/\s*\d{2,4}$",
        # Blog reposting notice: "未經允許不得轉載:似水流年 » …".
        r"^未[经經]允[许許]不得[转轉][载載].*$",
    )
)
# Boilerplate lines are short; longer lines are content and skip the pattern checks.
_BOILERPLATE_MAX_LENGTH: Final = 200

# Characters that carry no text: C0/C1 controls other than newline, format characters (zero-width
# spaces and joiners, bidi marks, soft hyphens, BOMs, tag characters), private-use glyphs that icon
# fonts leave behind, and lone surrogates from badly decoded bytes.
_INVISIBLE_RE: Final = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\ue000-\uf8ff"
    "\U000e0000-\U000e007f\U000f0000-\U0010ffff]"
)
# Every way a line can end: CRLF, CR, vertical tab, form feed (page breaks), NEL, LS, PS.
_LINE_BREAK_RE: Final = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_SPACES_RE: Final = re.compile(r"[^\S\n]+")
_BLANK_LINES_RE: Final = re.compile(r"\n{3,}")

# Bytes that never occur in text files; tab, newlines, form feed and escape do.
_TEXT_CONTROL_BYTES: Final = frozenset(b"\t\n\r\x0c\x1b")
_BINARY_SAMPLE: Final = 8192
_BINARY_CONTROL_SHARE: Final = 0.05
# Text encodings whose bytes legitimately contain NULs, recognised by their byte-order mark.
_WIDE_BOMS: Final = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def looks_binary(data: bytes) -> bool:
    """Whether bytes look like a binary file: NUL bytes or many control characters in the first 8 KB."""
    if data.startswith(_WIDE_BOMS):
        return False
    sample = data[:_BINARY_SAMPLE]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in _TEXT_CONTROL_BYTES)
    return controls / len(sample) > _BINARY_CONTROL_SHARE


def remove_pinyin(text: str) -> str:
    """Drop pinyin glosses that follow Han characters: ``發(fā)展`` becomes ``發展``."""
    return _PINYIN_RE.sub("", text)


def is_boilerplate(line: str) -> bool:
    """Whether a normalised line is document-sharing-site furniture."""
    return len(line) <= _BOILERPLATE_MAX_LENGTH and any(p.match(line) for p in BOILERPLATE_LINES)


def clean_text(text: str) -> str:
    """Normalise text for display and indexing: NFKC, no invisible characters, pinyin or site boilerplate, tidy whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = _LINE_BREAK_RE.sub("\n", text)
    text = _INVISIBLE_RE.sub("", text)
    text = remove_pinyin(text)
    lines: list[str] = []
    for raw in text.split("\n"):
        # Tabs and runs of spaces become one space; indentation carries no meaning once a loader
        # has read the structure, and it would show as ragged quotes.
        line = _SPACES_RE.sub(" ", raw).strip()
        if line and is_boilerplate(line):
            continue
        lines.append(line)
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip("\n")
