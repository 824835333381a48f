"""Render answers as Telegram HTML: escaped, sources listed, split under the 4096-character limit."""

from __future__ import annotations

from html import escape

from bot.answering.service import Answer
from bot.telegram.texts import text

TELEGRAM_LIMIT = 4096
# Leave room for the HTML tags escaping adds, so a split never lands over the limit.
SAFE_LIMIT = 3900


def render_answer(answer: Answer) -> str:
    """The answer, then a short numbered list of sources, as Telegram HTML."""
    parts = []
    if answer.note:
        parts.append(f"<i>{escape(answer.note)}</i>")
    parts.append(escape(answer.answer))
    if answer.answered and answer.sources:
        lines = [f"<b>{escape(text('sources', answer.language))}</b>"]
        for number, source in enumerate(answer.sources, start=1):
            where = " › ".join(part for part in (source.title, source.section) if part)
            lines.append(f"[{number}] {escape(where)}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def split_message(html: str, *, limit: int = SAFE_LIMIT) -> list[str]:
    """Split at paragraph, then line, then hard boundaries so each piece fits in one message."""
    pieces: list[str] = []
    current = ""
    for paragraph in html.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(paragraph) > limit:
            cut = paragraph.rfind("\n", 0, limit)
            cut = cut if cut > 0 else _safe_cut(paragraph, limit)
            pieces.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip("\n")
        current = paragraph
    if current:
        pieces.append(current)
    return pieces


def _safe_cut(text_: str, limit: int) -> int:
    # Never cut inside an HTML entity such as &amp;.
    amp = text_.rfind("&", max(0, limit - 8), limit)
    if amp != -1 and ";" not in text_[amp:limit]:
        return amp
    return limit
