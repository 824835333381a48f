"""What the format loaders share: their result shape, decoding, languages and heading paths."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Final

from charset_normalizer import from_bytes

from ingest.clean import looks_binary
from ingest.documents import Block, DocType, FaqEntry, LoaderError

LANGUAGES: Final = ("zh-Hans", "zh-Hant", "en")
# What people write in a `lang:` field, folded to the three codes the index filters on; a chunk
# tagged "zh-CN" would silently drop out of every language-filtered search.
_LANGUAGE_ALIASES: Final = {
    "zh-hans": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-hans-cn": "zh-Hans",
    "zh": "zh-Hans",
    "zh-hant": "zh-Hant",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant-tw": "zh-Hant",
    "zh-hant-hk": "zh-Hant",
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
}

# Chinese knowledge files that are not UTF-8 are GBK/GB18030 or Big5; Western spreadsheets export
# cp1252. Limiting detection to these keeps short Chinese files from being read as Korean or Japanese.
_LEGACY_ENCODINGS: Final = ["gb18030", "big5", "cp1252"]
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CJK_RE: Final = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


@dataclass(slots=True)
class ParsedFile:
    """What a format loader read from one file; ``load_file`` adds the source, type and fallbacks."""

    title: str = ""
    lang: str = ""
    declared_type: DocType | None = None
    blocks: list[Block] = field(default_factory=list)
    faqs: list[FaqEntry] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


def decode_text(data: bytes, *, declared: str = "") -> str:
    """Decode a text file: a BOM, else UTF-8, else the ``declared`` encoding, else the likeliest one."""
    if looks_binary(data):
        raise LoaderError("the file looks binary, not text; check that it was saved in the right format")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise LoaderError(f"the text is not valid {encoding.upper()}: {exc.reason}") from exc
    # Valid UTF-8 is almost never an accident, so it wins even over a declared encoding (pages are
    # often re-saved as UTF-8 and keep their old <meta charset>).
    for encoding in ("utf-8", declared):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    best = from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is None:
        raise LoaderError("the text encoding could not be recognised; save the file as UTF-8")
    return str(best)


def normalise_language(value: object, *, where: str) -> str:
    """A ``lang`` value as zh-Hans, zh-Hant or en ("" when absent); anything else is an error."""
    if value is None or value == "":
        return ""
    key = str(value).strip().lower().replace("_", "-")
    if key not in _LANGUAGE_ALIASES:
        raise LoaderError(f"{where}: unknown language {value!r}; use one of {', '.join(LANGUAGES)}")
    return _LANGUAGE_ALIASES[key]


def parse_doc_type(value: object, *, where: str) -> DocType:
    """A declared ``type`` as a DocType; anything else is an error."""
    try:
        return DocType(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in DocType)
        raise LoaderError(f"{where}: unknown type {value!r}; use one of {allowed}") from None


def join_lines(first: str, second: str) -> str:
    """Join two pieces of one sentence: no space between Chinese text, one space between words."""
    if not first or not second:
        return first + second
    if _CJK_RE.match(first[-1]) or _CJK_RE.match(second[0]):
        return first + second
    return f"{first} {second}"


class SectionPath:
    """The heading path while a loader walks a document in reading order."""

    def __init__(self, *, title: str = "") -> None:
        self.title = title
        self._headings: list[tuple[int, str]] = []

    def __str__(self) -> str:
        return " > ".join(text for _, text in self._headings)

    def enter(self, *, level: int, text: str) -> None:
        """Move to a heading of ``level`` (1 = top)."""
        self._headings = [(lvl, name) for lvl, name in self._headings if lvl < level]
        # A level-1 heading equal to the title names the document, not a section: citations
        # should read "Title > Section", not "Title > Title > Section".
        if level == 1 and text == self.title:
            return
        self._headings.append((level, text))


_CLAUSE_END_RE: Final = re.compile(r"[。！？!?；;，,：:\n]")
MAX_DERIVED_TITLE: Final = 30


def first_clause(text: str) -> str:
    """The first clause of ``text`` (up to its first sentence or clause mark or line end), cut to
    ``MAX_DERIVED_TITLE`` characters with "…": what a file that names itself nowhere is called."""
    clause = _CLAUSE_END_RE.split(text.strip(), maxsplit=1)[0].strip()
    if len(clause) > MAX_DERIVED_TITLE:
        clause = clause[: MAX_DERIVED_TITLE - 1].rstrip() + "…"
    return clause
