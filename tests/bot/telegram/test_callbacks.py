"""Callback data (bot/telegram/callbacks.py): every kind encodes and parses back, fits in Telegram's
64 bytes at its extremes, and nothing forged or garbled parses. The source scan at the end keeps
every other module from building or splitting callback data again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from telegram import InlineKeyboardMarkup
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler

from bot.answering.service import MAX_SUGGESTIONS
from bot.questions.gaps import faq_action, reply_action
from bot.telegram.broadcast_sender import broadcast_keyboard
from bot.telegram.callbacks import (
    KINDS,
    MAX_DATA_BYTES,
    MAX_ID,
    BroadcastReaction,
    CadencePreset,
    Callback,
    CallbackDataError,
    CancelBroadcast,
    CancelVisionSeries,
    Feedback,
    GapAnswerWithFaq,
    GapReply,
    GapSaveFaq,
    LanguageChoice,
    MorePassage,
    Reaction,
    StoryAction,
    StoryChoice,
    StoryReview,
    SuggestionPick,
    SurveyAnswer,
    SurveyDecline,
    SurveyRestart,
    SurveyStart,
    Verdict,
    VisionCadence,
    VisionConfirm,
    parse,
    pattern_for,
)
from bot.telegram.handlers import (
    account,
    asking,
    broadcasts,
    dialogues,
    errors,
    gaps,
    managers,
    onboarding,
    scheduled,
    stories,
    story_review,
    surveys,
    vision,
)
from ingest.chunk import _chunk_id

BOT = Path(__file__).resolve().parents[3] / "bot"
CHUNK = "0123456789abcdef0123"
LONGEST_CHUNK = CHUNK + "-999"

EXAMPLES: list[Callback] = [
    SurveyStart(12),
    SurveyRestart(12),
    SurveyDecline(12),
    SurveyAnswer.rating(12, 0, 1),
    SurveyAnswer.rating(12, 3, 5),
    SurveyAnswer.option(12, 4, 0),
    SurveyAnswer.option(12, 4, 11),
    SurveyAnswer.skip(12, 8),
    LanguageChoice("zh-Hans"),
    LanguageChoice("zh-Hant"),
    LanguageChoice("en"),
    BroadcastReaction(7, Reaction.CLAP),
    BroadcastReaction(7, Reaction.ACKNOWLEDGE),
    StoryReview(3, approve=True),
    StoryReview(3, approve=False),
    *(StoryAction(3, choice) for choice in StoryChoice),
    *(Feedback(41, verdict) for verdict in Verdict),
    SuggestionPick(41, 0),
    SuggestionPick(41, MAX_SUGGESTIONS - 1),
    MorePassage(41),
    CancelBroadcast(5),
    CancelVisionSeries(5),
    *(VisionCadence(cadence) for cadence in CadencePreset),
    VisionConfirm(save=True),
    VisionConfirm(save=False),
    GapReply(41),
    GapSaveFaq(41),
    GapAnswerWithFaq(41, CHUNK),
    GapAnswerWithFaq(41, CHUNK + "-2"),
]

# Each kind with the largest values it can carry.
EXTREMES: list[Callback] = [
    SurveyStart(MAX_ID),
    SurveyRestart(MAX_ID),
    SurveyDecline(MAX_ID),
    SurveyAnswer.option(MAX_ID, 99, 99),
    SurveyAnswer.skip(MAX_ID, 99),
    LanguageChoice("zh-Hant"),
    BroadcastReaction(MAX_ID, Reaction.ACKNOWLEDGE),
    StoryReview(MAX_ID, approve=False),
    *(StoryAction(MAX_ID, choice) for choice in StoryChoice),
    *(Feedback(MAX_ID, verdict) for verdict in Verdict),
    SuggestionPick(MAX_ID, MAX_SUGGESTIONS - 1),
    MorePassage(MAX_ID),
    CancelBroadcast(MAX_ID),
    CancelVisionSeries(MAX_ID),
    VisionCadence(CadencePreset.EVERY_OTHER_WEEK),
    VisionConfirm(save=False),
    GapReply(MAX_ID),
    GapSaveFaq(MAX_ID),
    GapAnswerWithFaq(MAX_ID, LONGEST_CHUNK),
]

# What the handlers matched before issue 14, one pattern per prefix: a press none of these took was
# answered "stale", and must still be refused.
OLD_HANDLER_PATTERNS = [
    re.compile(r"^sv:(\d{1,12}):(?:(go|re)|(\d{1,2}):([1-5]|o\d{1,2}|s))$"),
    re.compile(r"^lang:(zh-Hans|zh-Hant|en)$"),
    re.compile(r"^bc:(\d{1,12}):(c|a)$"),
    re.compile(r"^stv:(\d{1,12}):(ok|no)$"),
    re.compile(r"^sty:(\d{1,12}):(now|sch|sub|del|t1|t2)$"),
    re.compile(r"^fb:(\d{1,12}):(h|n|p)$"),
    re.compile(r"^sg:(\d{1,12}):([0-9])$"),
    re.compile(r"^mo:(\d{1,12})$"),
    re.compile(r"^bcx:(b|v):(\d{1,12})$"),
    re.compile(r"^vis:(weekly|twice|weekdays)$"),
    re.compile(r"^gap:(\d{1,12}):(r|f|q[0-9a-f]{20}(?:-\d{1,3})?)$"),
]

GARBAGE_PARTS = [
    "", "x", "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1", "1_000", "١٢", "１", "9" * 13,
    "H", "OK", "Go", "o", "o100", "q", "q" + CHUNK.upper(), "%s", "\n", "é",
]  # fmt: skip

FORGED = [
    None, "", ":", "::", "x" * 64, "x" * 65, "'; DROP TABLE people; --", "\ud800", "fb:1:h\n", "\nfb:1:h",
    "fb:1:h ", " fb:1:h", "FB:1:h", "fb:1:x", "fb:01:h", "fb:0:h", "fb:-1:h", "fb:1000000000000:h",
    "fb:1:h:extra", "fb:1", "fb", "lang:fr", "lang:EN", "lang:zh-hans", "lang:", "sg:1:9",
    f"sg:1:{MAX_SUGGESTIONS}", "sg:x:0", "sg:1:00", "sv:1:go:", "sv:1:20:6", "sv:1:0:o100", "sv:1:0:o01",
    "sv:1:100:1", "sv:1:0:0", "sv:1:0:S", "sv:1:restart", "sv:1:NO", "sv:1:no:1", "sv:0:no", "sv:01:no", "bcx:x:1", "bcx:b:v", "bcx:1:b", "vis:daily",
    "vis:weekly:1", "gap:1:q", "gap:1:q" + CHUNK[:-1], "gap:1:q" + CHUNK + "-0", "gap:1:q" + CHUNK + "-1000",
    "gap:1:q" + CHUNK + "0", "gap:1:" + "q" * 60, "gap:1:rf", "stv:1:yes", "sty:1:now ", "bc:1:ca", "mo:",
    "mo:1:more", "unknown:1", "sv:" + "1" * 61,
]  # fmt: skip


def _mutations(data: str) -> list[str]:
    """Every way of breaking one valid data: a part replaced, dropped or added, the prefix changed."""
    parts = data.split(":")
    broken = [":".join(parts[:-1]), data + ":1", data + ":", "x" + data, data.upper()]
    for position in range(len(parts)):
        for garbage in GARBAGE_PARTS:
            broken.append(":".join([*parts[:position], garbage, *parts[position + 1 :]]))
    return broken


def _old_handlers_refused(data: str | None) -> bool:
    return data is None or not any(pattern.match(data) for pattern in OLD_HANDLER_PATTERNS)


def test_the_examples_cover_every_kind() -> None:
    assert {type(example) for example in EXAMPLES} == set(KINDS)
    assert {type(extreme) for extreme in EXTREMES} == set(KINDS)


@pytest.mark.parametrize("button", EXAMPLES, ids=repr)
def test_every_kind_parses_back_to_itself(button: Callback) -> None:
    data = button.data
    assert parse(data) == button
    assert type(button).from_data(data) == button
    assert re.match(pattern_for(type(button)), data)
    # ...and only its own kind claims it.
    assert all(kind.from_data(data) is None for kind in KINDS if kind is not type(button))


@pytest.mark.parametrize("button", EXTREMES, ids=repr)
def test_data_fits_in_telegrams_64_bytes_at_the_extremes(button: Callback) -> None:
    assert len(button.data.encode()) <= MAX_DATA_BYTES
    assert parse(button.data) == button


@pytest.mark.parametrize(
    "unbuildable",
    [
        SurveyStart(0),
        SurveyStart(MAX_ID + 1),
        SurveyRestart(-1),
        SurveyDecline(0),
        SurveyAnswer.rating(1, 0, 6),
        SurveyAnswer.rating(1, 100, 1),
        SurveyAnswer.option(1, 0, 100),
        SurveyAnswer(1, 0, "x"),
        BroadcastReaction(0, Reaction.CLAP),
        SuggestionPick(1, MAX_SUGGESTIONS),
        SuggestionPick(1, -1),
        MorePassage(MAX_ID + 1),
        GapAnswerWithFaq(1, "not-a-chunk"),
        GapAnswerWithFaq(1, CHUNK + ":r"),
        GapAnswerWithFaq(1, CHUNK + "-1000"),
    ],
    ids=repr,
)
def test_a_button_whose_values_its_data_cannot_carry_is_not_built(unbuildable: Callback) -> None:
    with pytest.raises(CallbackDataError):
        _ = unbuildable.data


@pytest.mark.parametrize("forged", FORGED, ids=repr)
def test_forged_and_garbled_data_is_refused(forged: str | None) -> None:
    assert parse(forged) is None


def test_nothing_the_old_handlers_refused_parses_and_what_parses_is_canonical() -> None:
    candidates = [*FORGED, *(broken for example in EXAMPLES for broken in _mutations(example.data))]
    refused_before = [data for data in candidates if _old_handlers_refused(data)]
    assert len(refused_before) > 1000  # the mutations do reach the old patterns' corners
    assert [data for data in refused_before if parse(data) is not None] == []
    for data in candidates:
        found = parse(data)
        assert found is None or found.data == data


def test_the_escalation_actions_the_domain_stores_are_the_callback_data_the_bot_parses() -> None:
    seen: dict[str, int] = {}
    # Real chunk ids, as ingest makes them: a passage, and the same passage repeated in one file.
    first, repeat = (_chunk_id("faqs/x.yaml", "培训", "培训要多久？", seen) for _ in range(2))
    assert repeat == f"{first}-1"
    for question_id in (1, 41, MAX_ID):
        assert parse(reply_action(question_id)) == GapReply(question_id)
        for chunk_id in (first, repeat, LONGEST_CHUNK):
            stored = faq_action(question_id, chunk_id)
            assert parse(stored) == GapAnswerWithFaq(question_id, chunk_id)
            assert len(stored.encode()) <= MAX_DATA_BYTES


def _callback_data(keyboard: InlineKeyboardMarkup | None) -> list[object]:
    return [button.callback_data for row in keyboard.inline_keyboard for button in row] if keyboard else []


def _labels(keyboard: InlineKeyboardMarkup | None) -> list[str]:
    return [button.text for row in keyboard.inline_keyboard for button in row] if keyboard else []


def test_the_sender_puts_stored_actions_under_the_copy_only_when_they_parse() -> None:
    actions = [("Reply", reply_action(41)), ("FAQ", faq_action(41, CHUNK)), ("forged", "gap:41:x")]
    assert _callback_data(broadcast_keyboard(9, must_read=False, actions=actions)) == [
        "gap:41:r",
        f"gap:41:q{CHUNK}",
    ]
    # None of them readable: the copy still goes, without buttons (never a clap in their place).
    assert broadcast_keyboard(9, must_read=False, actions=[("x", "nonsense")]) is None


def test_the_sender_builds_the_clap_acknowledge_and_survey_start_buttons() -> None:
    assert _callback_data(broadcast_keyboard(9, must_read=True)) == ["bc:9:c", "bc:9:a"]
    # A survey invitation (and its reminder): Start and "not this time", nothing else.
    assert _callback_data(broadcast_keyboard(9, must_read=False, button="survey:12")) == [
        "sv:12:go",
        "sv:12:no",
    ]
    for odd in ("survey:0", "survey:x", "survey:١٢", f"survey:{MAX_ID + 1}", "quiz:12"):
        assert broadcast_keyboard(9, must_read=False, button=odd) is None  # no Start, and no clap instead


def test_each_kind_gets_its_own_buttons_labelled_in_the_readers_language_only() -> None:
    assert _labels(broadcast_keyboard(9, must_read=True, language="en")) == ["👏", "✅ I've read it"]
    pressed = broadcast_keyboard(9, must_read=True, language="zh-Hant", claps=12, read=True)
    assert _labels(pressed) == ["👏 12", "☑️ 已閱讀"] and _callback_data(pressed) == ["bc:9:c", "bc:9:a"]
    assert _labels(broadcast_keyboard(9, must_read=False, kind="story", claps=3)) == ["👏 3"]
    assert _labels(
        broadcast_keyboard(9, must_read=False, kind="survey", button="survey:12", language="en")
    ) == ["▶️ Start", "Not this time"]
    assert _labels(
        broadcast_keyboard(9, must_read=False, kind="survey", button="survey:12", language="zh-Hant")
    ) == ["▶️ 開始", "這次不參加"]
    assert _labels(broadcast_keyboard(9, must_read=True, kind="reminder", language="zh-Hans")) == [
        "✅ 我已阅读"
    ]
    for quiet in ("alert", "notice", "escalation"):  # nothing to clap for
        assert broadcast_keyboard(9, must_read=False, kind=quiet) is None
    escalation = broadcast_keyboard(
        9, must_read=False, kind="escalation", actions=[("回复", reply_action(41))]
    )
    assert _labels(escalation) == ["回复"]


def test_pattern_for_takes_one_prefix() -> None:
    assert pattern_for(SurveyStart, SurveyRestart, SurveyDecline, SurveyAnswer) == "^sv:"
    with pytest.raises(ValueError, match="one prefix"):
        pattern_for(SurveyStart, Feedback)
    with pytest.raises(ValueError, match="one prefix"):
        pattern_for()


def _button_handlers() -> list[CallbackQueryHandler]:  # type: ignore[type-arg]
    """The callback handlers as the application registers them (no bot started, no services)."""
    application: Application = ApplicationBuilder().token("1:callbacks").updater(None).build()  # type: ignore[type-arg]
    for module in (
        onboarding, account, gaps, broadcasts, stories, story_review, vision, scheduled, dialogues,
        surveys, managers, asking, errors,
    ):  # fmt: skip
        module.register(application)
    return [
        handler
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, CallbackQueryHandler)
    ]


@pytest.mark.parametrize("button", EXAMPLES, ids=repr)
def test_every_kind_reaches_exactly_one_handler(button: Callback) -> None:
    claimed = [
        handler
        for handler in _button_handlers()
        if handler.pattern is not None and isinstance(handler.pattern, re.Pattern)
        if handler.pattern.match(button.data)
    ]
    assert len(claimed) == 1


# Building callback data (a literal or an f-string as a button's data), splitting it, or a handler
# pattern written by hand: each only in bot/telegram/callbacks.py.
_BUILT_OR_SPLIT = re.compile(
    r"""callback_data\s*=\s*[rbfuRBFU]*["']"""  # callback_data="..." / f"..."
    r"""|\.r?split\(\s*["']:["']"""  # .split(":")
    r"""|CallbackQueryHandler\([^()]*pattern\s*=\s*[rbfuRBFU]*["']"""  # pattern=r"^xx:"
)
_PREFIX_LITERAL = re.compile(rf"""["']\^?({"|".join(sorted({kind.PREFIX for kind in KINDS}))}):""")


def _sources() -> list[Path]:
    callbacks = BOT / "telegram" / "callbacks.py"
    return [path for path in sorted(BOT.rglob("*.py")) if path != callbacks]


def _found(pattern: re.Pattern[str], paths: list[Path]) -> list[str]:
    """Where ``pattern`` occurs, as path:line: text (a match may span lines: a call formatted over
    several)."""
    found = []
    for path in paths:
        source = path.read_text(encoding="utf-8")
        for match in pattern.finditer(source):
            line = source.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(BOT.parent)}:{line}: {match.group(0)}")
    return found


def test_no_module_but_callbacks_builds_or_splits_callback_data() -> None:
    assert _found(_BUILT_OR_SPLIT, _sources()) == []


def test_no_telegram_module_but_callbacks_writes_a_callback_prefix() -> None:
    telegram = [path for path in _sources() if path.is_relative_to(BOT / "telegram")]
    assert _found(_PREFIX_LITERAL, telegram) == []


def test_the_scans_would_catch_the_old_code() -> None:
    for old in (
        'InlineKeyboardButton(label, callback_data=f"fb:{question_id}:h")',
        'callback_data="vis:weekly"',
        'wave, index, value = query.data.split(":")',
        'CallbackQueryHandler(feedback, pattern=r"^fb:")',
        'CallbackQueryHandler(\n        survey_button,\n        pattern="^sv:",\n    )',
    ):
        assert _BUILT_OR_SPLIT.search(old), old
    for old in ('STORY_RE = re.compile(r"^sty:(\\d{1,12}):(now|sch)$")', 'f"sty:{story_id}:now"'):
        assert _PREFIX_LITERAL.search(old), old
