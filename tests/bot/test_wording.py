"""The one rule for which language a reader is written to (``bot.wording``), the domains' tables it
relies on being complete, and a scan that keeps the old per-module fallbacks from coming back."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from bot.wording import (
    FALLBACK,
    WordingError,
    default_language,
    pick,
    reader_language,
    say,
    set_default_language,
)
from ingest.text import LANGUAGES

BOT = Path(__file__).resolve().parents[2] / "bot"

GREETING = {"zh-Hans": "你好，{name}", "zh-Hant": "你好，{name}", "en": "Hello, {name}"}
BUTTON = {"zh-Hans": "简体", "zh-Hant": "繁體", "en": "English"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reader_gets_their_own_language(language: str) -> None:
    assert pick(BUTTON, language) == BUTTON[language]
    assert reader_language(language) == language


@pytest.mark.parametrize("language", [None, "", "fr", "zh", "ZH-HANS", "zh-CN"])
def test_an_unknown_language_reads_as_the_default(language: str | None) -> None:
    assert pick(BUTTON, language) == "简体"
    assert reader_language(language) == "zh-Hans"


def test_the_configured_default_is_honoured() -> None:
    set_default_language("en")

    assert default_language() == "en"
    assert pick(BUTTON, "fr") == "English"
    assert pick(BUTTON, None) == "English"
    assert reader_language("fr") == "en"
    assert pick(BUTTON, "zh-Hant") == "繁體"  # a known language stays the reader's own


def test_a_table_without_the_readers_language_or_the_default_falls_back_to_simplified() -> None:
    set_default_language("en")

    assert pick({"zh-Hans": "简体", "zh-Hant": "繁體"}, "fr") == "简体"
    assert pick({"zh-Hans": "简体"}, "zh-Hant") == "简体"


def test_an_unknown_default_is_refused() -> None:
    with pytest.raises(ValueError, match="must be one of zh-Hans, zh-Hant, en, not 'fr'"):
        set_default_language("fr")
    assert default_language() == "zh-Hans"


def test_say_fills_the_placeholders() -> None:
    assert say(GREETING, "en", name="Ann") == "Hello, Ann"
    assert say(GREETING, "zh-Hant", name="安") == "你好，安"


def test_say_without_values_gives_the_entry_as_written() -> None:
    assert say(GREETING, "en") == "Hello, {name}"


def test_a_missing_placeholder_names_it() -> None:
    with pytest.raises(WordingError, match=r"needs \{name\}, and only nickname was given"):
        say(GREETING, "en", nickname="Ann")


def test_a_table_with_none_of_the_languages_tried_says_what_it_has() -> None:
    set_default_language("zh-Hant")

    with pytest.raises(WordingError, match="has none of en, zh-Hant, zh-Hans \\(it has fr\\)"):
        pick({"fr": "Bonjour"}, "en")


def test_a_wording_error_is_a_lookup_error() -> None:
    # A missing entry is a bug, as a KeyError was: code that catches LookupError still does.
    assert issubclass(WordingError, LookupError)
    assert FALLBACK == "zh-Hans"


# --- the tables the rule relies on ------------------------------------------------------------

# Built from other tables (its Traditional wording is converted when the module loads):
# ``CONSOLE``, the table looked up, is checked like any other.
_SOURCES_OF_BUILT_TABLES = {("bot.web.console_text", "_VALUES")}


def _modules_with_tables() -> list[str]:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        if "migrations" in path.parts or path == BOT / "wording.py":
            continue
        if re.search(r"""["']zh-Hans["']\s*:""", path.read_text(encoding="utf-8")):
            found.append(".".join(path.relative_to(BOT.parent).with_suffix("").parts))
    return found


def _language_tables(value: object, where: str) -> list[tuple[str, Mapping[str, object]]]:
    """``value`` when it is a table keyed by language, else the tables one level inside it."""
    if not isinstance(value, Mapping):
        return []
    if "zh-Hans" in value:
        return [(where, value)]
    return [(f"{where}[{key!r}]", inner) for key, inner in value.items()
            if isinstance(inner, Mapping) and "zh-Hans" in inner]  # fmt: skip


def test_the_scan_finds_the_domains_tables() -> None:
    modules = _modules_with_tables()
    for expected in ("bot.answering.messages", "bot.questions.wording", "bot.broadcasts.wording",
                     "bot.scheduling.wording", "bot.rollout.wording", "bot.surveys.wording",
                     "bot.telegram.texts", "bot.web.console_text"):  # fmt: skip
        assert expected in modules


@pytest.mark.parametrize("module", _modules_with_tables())
def test_every_table_has_every_language_and_the_same_entries_in_each(module: str) -> None:
    """Why ``pick`` never converts one Chinese script into the other: no table lacks one."""
    loaded = importlib.import_module(module)
    incomplete = []
    for name, value in vars(loaded).items():
        if (module, name) in _SOURCES_OF_BUILT_TABLES:
            continue
        for where, table in _language_tables(value, name):
            if set(table) != set(LANGUAGES):
                incomplete.append(f"{where} has {sorted(table)}")
                continue
            entries = [table[language] for language in LANGUAGES]
            if (
                all(isinstance(entry, Mapping) for entry in entries)
                and len({frozenset(e) for e in entries}) > 1
            ):
                incomplete.append(f"{where}: the languages have different entries")
    assert incomplete == []


# --- no copies of the fallback ----------------------------------------------------------------

# Each an old way of choosing a language for a reader, found in bot/ before ``bot.wording``.
# Tables themselves (``"zh-Hans": ...``), one table spread, drilled or iterated into another as it
# is built (``**BAND_NAMES["zh-Hans"]``, ``DECLINE["zh-Hans"]["button"]``,
# ``CONSOLE["zh-Hans"].items()``) and mapping a client's locale to a script (``"zh-Hant" if ...
# else "zh-Hans"``) are not fallbacks, and do not match.
FALLBACKS: dict[str, re.Pattern[str]] = {
    "a .get() whose default is the Simplified entry": re.compile(
        r"""\.get\([^()\n]*,\s*[\w.]+\[\s*["']zh-Hans["']\s*\]\s*\)"""
    ),
    "a .get() whose default is Simplified Chinese": re.compile(
        r"""\.get\([^()\n]*,\s*["']zh-Hans["']\s*\)"""
    ),
    "'x if x in TABLE else zh-Hans'": re.compile(r"""\bin\s+[\w.]+\s+else\s+["']zh-Hans["']"""),
    "a next() over the languages defaulting to Simplified": re.compile(
        r"""\bnext\(.*\bLANGUAGES\b.*,\s*["']zh-Hans["']\s*\)"""
    ),
    "a bare 'return zh-Hans'": re.compile(r"""\breturn\s+["']zh-Hans["']\s*$""", re.MULTILINE),
    "the Simplified entry picked by hand": re.compile(
        r"""(?<!\*\*)\b[\w.]+\[\s*["']zh-Hans["']\s*\](?!\s*\[|\.items\(\))"""
    ),
    "a parameter or field defaulting to Simplified Chinese": re.compile(
        r"""(?<!default_)\blanguage:\s*str\s*=\s*["']zh-Hans["']|\bField\(\s*["']zh-Hans["']"""
    ),
    "a private language helper": re.compile(r"""\bdef\s+_language\("""),
    "a private list of the languages": re.compile(r"""^\s*_LANGUAGES\b\s*[:=]""", re.MULTILINE),
}

OLD_LINES = [
    'words = HANDOVER.get(language, HANDOVER["zh-Hans"])',
    '"gap_reasons": GAP_REASON.get(language_of(request), GAP_REASON["zh-Hans"]),',
    'labels = _LANGUAGES.get(language, "zh-Hans")',
    'language = str(context.get("lang", "zh-Hans"))',
    'language = person.language if person.language in LANGUAGES else "zh-Hans"',
    'return language if language in MUST_READ_HEADER else "zh-Hans"',
    'return next((language for language in LANGUAGES if language == person.language), "zh-Hans")',
    '    return "zh-Hans"',
    'text=texts["zh-Hans"],',
    "summary = f\"{REMINDER_NOTE['zh-Hans']}\\n\\n{original.text}\"",
    'language: str = "zh-Hans",',
    'language: str = Field("zh-Hans", pattern="^(zh-Hans|zh-Hant|en)$")',
    "def _language(person: Person) -> Language:",
    '_LANGUAGES: Final = ("zh-Hans", "zh-Hant", "en")',
]

TABLE_LINES = [
    '    "zh-Hans": "📣 本周成功故事",',
    'COMPANY: Final = {"zh-Hans": "全公司", "zh-Hant": "全公司", "en": "the company"}',
    '        **BAND_NAMES["zh-Hans"], **DIMENSION_NAMES["zh-Hans"],',
    '        "decline": DECLINE["zh-Hans"]["button"],',
    'CONSOLE["zh-Hant"] = {key: _traditional(value) for key, value in CONSOLE["zh-Hans"].items()}',
    'return "zh-Hant" if any(tag in code for tag in ("tw", "hk", "mo", "hant")) else "zh-Hans"',
    'language: Mapped[str] = mapped_column(String(10), default="zh-Hans")',
    'FALLBACK: Final[Language] = "zh-Hans"',
    'default_language: Literal["zh-Hans", "zh-Hant", "en"] = "zh-Hans"',
]


def _fallbacks_in(source: str) -> list[str]:
    return [name for name, pattern in FALLBACKS.items() if pattern.search(source)]


@pytest.mark.parametrize("line", OLD_LINES)
def test_the_scan_catches_each_old_fallback(line: str) -> None:
    assert _fallbacks_in(line) != []


@pytest.mark.parametrize("line", TABLE_LINES)
def test_the_scan_leaves_tables_alone(line: str) -> None:
    assert _fallbacks_in(line) == []


def test_no_module_chooses_a_readers_language_itself() -> None:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        if path == BOT / "wording.py" or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found += [f"{path.relative_to(BOT.parent)}:{number}: {name}" for name in _fallbacks_in(line)]
    assert found == [], "use bot.wording (pick, say, reader_language, default_language) instead"
