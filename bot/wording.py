"""One rule for which language a reader is written to, and one lookup into a table of words.

Each domain owns its words (``bot/questions/wording.py``, ``bot/telegram/texts.py``, ...): tables
keyed by language, ``{"zh-Hans": ..., "zh-Hant": ..., "en": ...}``. Every lookup into them goes
through ``pick`` (the entry) or ``say`` (the entry with its placeholders filled), so a reader whose
language is unknown (rows made before people chose one, a client that sends ``fr``, no reader at
all) gets the same language everywhere:

1. the reader's language, when the table has it;
2. else the configured default (``CHANGEBOT_DEFAULT_LANGUAGE``, ``Settings.default_language``);
3. else Simplified Chinese, the language every table is written in first.

There is no step that converts one Chinese script into the other: every table is written in all
three languages (``tests/bot/test_wording.py`` checks the domains' tables), so a zh-Hant reader
never falls through to a Simplified entry. The console's tables are built converted instead
(``bot/web/console_text.py``).

The default is process-wide, set once at start-up from the one ``Settings``
(``set_default_language`` in the CLI's settings, ``create_app`` and ``build_application``), rather
than passed in: it is a single fact about the deployment, read by nearly every domain function
that words something, and threading it through all of them would add a parameter to each for a
value that never differs within a process. Domain code never builds a ``Settings`` to find it.

This module sits below every package in ``bot`` and imports none of them (``tests/test_layers.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, TypeVar, cast

from ingest.text import LANGUAGES, Language

FALLBACK: Final[Language] = "zh-Hans"
"""The last resort when a table has neither the reader's language nor the configured default."""

_Key = TypeVar("_Key", bound=str)
_Entry = TypeVar("_Entry")

_default: Language = FALLBACK


class WordingError(LookupError):
    """A table cannot word this: it has none of the languages tried, or a placeholder is missing.
    A bug in the table or its caller, never the reader's doing."""


def set_default_language(language: str) -> None:
    """Make ``language`` the configured default for this process (called once at start-up).

    Raises:
        ValueError: ``language`` is not one the bot speaks.
    """
    global _default
    if language not in LANGUAGES:
        raise ValueError(f"the default language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    _default = language


def default_language() -> Language:
    """The configured default language (Simplified Chinese until start-up sets another)."""
    return _default


def reader_language(language: str | None) -> Language:
    """The language to write to a reader of ``language``: theirs when the bot speaks it, else the
    configured default."""
    return language if language in LANGUAGES else _default


def pick(table: Mapping[_Key, _Entry], language: str | None, /) -> _Entry:
    """The entry of ``table`` for a reader of ``language``, by the rule in the module docstring.

    Raises:
        WordingError: the table has none of the languages tried.
    """
    # A table keyed by ``Language`` (a Literal) is still looked up by any str: the reader's language
    # comes from the database or a client.
    entries = cast(Mapping[str, _Entry], table)
    tried = (reader_language(language), _default, FALLBACK)
    for candidate in tried:
        if candidate in entries:
            return entries[candidate]
    wanted, has = ", ".join(dict.fromkeys(tried)), ", ".join(entries) or "nothing"
    raise WordingError(f"a wording table has none of {wanted} (it has {has})")


def say(table: Mapping[_Key, str], language: str | None, /, **values: object) -> str:
    """The words of ``table`` for a reader of ``language``, with ``values`` in its placeholders
    (none given: the entry as written, braces and all).

    Raises:
        WordingError: the table has none of the languages tried, or the entry names a placeholder
            that ``values`` does not fill.
    """
    template = pick(table, language)
    if not values:
        return template
    try:
        return template.format(**values)
    except KeyError as missing:
        given = ", ".join(sorted(values))
        raise WordingError(
            f"the wording {template!r} needs {{{missing.args[0]}}}, and only {given} was given"
        ) from None
