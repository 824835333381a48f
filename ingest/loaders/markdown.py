"""Markdown with optional YAML front matter: ATX headings make sections, syntax noise goes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any, Final

import yaml

from ingest.clean import clean_text
from ingest.documents import Block, LoaderError
from ingest.loaders.common import ParsedFile, SectionPath, decode_text, normalise_language, parse_doc_type

_FRONT_MATTER_RE: Final = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
# Front-matter keys that become metadata (title, lang and type become fields of the document),
# and those that hold lists, written either as [a, b] or as "a, b".
_METADATA_KEYS: Final = ("tags", "unit", "date", "audience")
_LIST_KEYS: Final = frozenset({"tags", "audience"})

_FENCE_RE: Final = re.compile(r"^(```|~~~)")
_HEADING_RE: Final = re.compile(r"^(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_THEMATIC_BREAK_RE: Final = re.compile(r"^(?:[-*_=][ \t]*){3,}$")
_TABLE_RULE_RE: Final = re.compile(r"^\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?$")
_LINK_DEFINITION_RE: Final = re.compile(r"^\[[^\]]+\]:[ \t]*\S+.*$")
_HTML_COMMENT_RE: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_BLOCKQUOTE_RE: Final = re.compile(r"^(?:>[ \t]?)+")

# Inline noise, applied in this order. A URL in parentheses may itself hold one level of parentheses.
_URL: Final = r"\((?:[^()\n]|\([^()\n]*\))*\)"
_INLINE_RULES: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(rf"!\[[^\]\n]*\](?:{_URL}|\[[^\]\n]*\])"), ""),  # images: their URL is all noise
    (re.compile(rf"\[([^\]\n]+)\]{_URL}"), r"\1"),  # inline links keep their text
    (re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]"), r"\1"),  # reference links
    (re.compile(r"\[\^[^\]\n]+\]"), ""),  # footnote markers
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),  # inline HTML tags
    (re.compile(r"(`+)(.+?)\1"), r"\2"),  # inline code
    (re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong, strikethrough
    # *emphasis* may sit inside a word, which is how Chinese text uses it (这是*重点*).
    (re.compile(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)"), r"\1"),
    # _emphasis_ only at word edges, so snake_case names and 第_3_頁 survive.
    (re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])"), r"\1"),
)
# Backslash escapes: the escaped character is hidden from the rules above, then restored.
_ESCAPE_RE: Final = re.compile(r"\\([!-/:-@\[-`{-~])")
_ESCAPE_BASE: Final = 0xE000


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Separate YAML front matter (between ``---`` lines at the very top) from the body."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # The YAML starts on the file's second line.
        where = f" near line {mark.line + 2}" if mark is not None else ""
        raise LoaderError(f"the front matter is not valid YAML{where}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LoaderError("the front matter must be 'key: value' lines")
    return data, text[match.end() :]


def _metadata_value(value: Any, *, is_list: bool) -> str:
    items = value if isinstance(value, list | tuple) else [value]
    texts = [item.isoformat() if isinstance(item, date) else clean_text(str(item)) for item in items]
    if is_list:
        texts = [part.strip() for text in texts for part in text.split(",")]
    return ",".join(text for text in texts if text)


def strip_inline(line: str) -> str:
    """Drop inline Markdown syntax from one line, keeping the words a reader sees."""
    hidden: list[str] = []

    def _hide(match: re.Match[str]) -> str:
        hidden.append(match.group(1))
        return chr(_ESCAPE_BASE + len(hidden) - 1)

    line = _ESCAPE_RE.sub(_hide, line)
    for pattern, replacement in _INLINE_RULES:
        line = pattern.sub(replacement, line)
    for index, original in enumerate(hidden):
        line = line.replace(chr(_ESCAPE_BASE + index), original)
    return line


def _table_row(line: str) -> str:
    # Pipes become spaces: "| 周 | 使用率 |" is indexed as "周 使用率".
    cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
    return " ".join(strip_inline(cell.replace("\\|", "|")) for cell in cells if cell)


def _body_lines(body: str, *, path: SectionPath) -> Iterator[tuple[str, str]]:
    # Yields (section, line) with headings consumed into ``path``; blank lines mark paragraphs.
    in_fence = False
    for line in body.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            yield str(path), line
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            text = clean_text(strip_inline(heading.group(2) or ""))
            if text:
                path.enter(level=len(heading.group(1)), text=text)
            continue
        if _THEMATIC_BREAK_RE.match(line) or _TABLE_RULE_RE.match(line) or _LINK_DEFINITION_RE.match(line):
            continue
        line = _BLOCKQUOTE_RE.sub("", line)
        yield str(path), _table_row(line) if line.startswith("|") else strip_inline(line)


def _first_h1(body: str) -> str:
    in_fence = False
    for line in body.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence and (heading := _HEADING_RE.match(line)) and len(heading.group(1)) == 1:
            text = clean_text(strip_inline(heading.group(2) or ""))
            if text:
                return text
    return ""


def parse(data: bytes) -> ParsedFile:
    """Read a Markdown file: front matter, title, and one block per section."""
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    front, body = split_front_matter(text)
    body = clean_text(_HTML_COMMENT_RE.sub("", body))
    title = clean_text(str(front.get("title") or "")) or _first_h1(body)
    parsed = ParsedFile(
        title=title,
        lang=normalise_language(front.get("lang"), where="front matter 'lang'"),
        declared_type=parse_doc_type(front["type"], where="front matter 'type'")
        if front.get("type")
        else None,
        metadata={
            key: value
            for key in _METADATA_KEYS
            if front.get(key) is not None
            and (value := _metadata_value(front[key], is_list=key in _LIST_KEYS))
        },
    )
    runs: list[tuple[str, list[str]]] = []
    for section, line in _body_lines(body, path=SectionPath(title=title)):
        if not runs or runs[-1][0] != section:
            runs.append((section, []))
        runs[-1][1].append(line)
    for section, lines in runs:
        block = clean_text("\n".join(lines))
        if block:
            parsed.blocks.append(Block(text=block, section=section))
    return parsed
