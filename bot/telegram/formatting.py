"""Render answers as Telegram HTML: escaped, sources listed, split under the 4096-character limit."""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlencode

from bot.answering.service import Answer
from bot.telegram.texts import text

TELEGRAM_LIMIT = 4096
# Leave room for the HTML tags escaping adds, so a split never lands over the limit.
SAFE_LIMIT = 3900


def render_answer(answer: Answer, *, documents_at: str | None = None) -> str:
    """The answer, then a short numbered list of sources, as Telegram HTML.

    ``documents_at`` is the web app's public address: each source then links to the cited passage
    in its whole document, as in the web chat (the page asks a reader who is not signed in to sign
    in first). Without it (no ``CHANGEBOT_PUBLIC_URL``) sources are plain text: a link to the
    server's own host and port would not open on a phone.
    """
    parts = []
    if answer.note:
        parts.append(f"<i>{escape(answer.note)}</i>")
    parts.append(escape(answer.answer))
    if answer.answered and answer.sources:
        lines = [f"<b>{escape(text('sources', answer.language))}</b>"]
        for number, source in enumerate(answer.sources, start=1):
            where = escape(" › ".join(part for part in (source.title, source.section) if part))
            if documents_at:
                link = document_link(documents_at, source=source.source, chunk_id=source.chunk_id,
                                     language=answer.language)  # fmt: skip
                where = f'<a href="{escape(link)}">{where}</a>'
            lines.append(f"[{number}] {where}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def document_link(base_url: str, *, source: str, chunk_id: str, language: str) -> str:
    """The web page of a cited passage: the link the web chat builds for the same source."""
    query = urlencode({"source": source, "lang": language})
    return f"{base_url.rstrip('/')}/chat/documents?{query}#c-{quote(chunk_id, safe='')}"


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
