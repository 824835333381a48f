"""The web chat page for staff without Telegram."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.web.i18n import pick_language, ui_text

router = APIRouter(tags=["pages"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def chat_page(request: Request, lang: str | None = None) -> HTMLResponse:
    """Render the chat in the browser's language (or ``?lang=``)."""
    language = pick_language(query=lang, accept_language=request.headers.get("accept-language", ""))
    return templates.TemplateResponse(request, "chat.html", {"lang": language, "t": ui_text(language)})
