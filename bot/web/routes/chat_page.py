"""The web chat page for staff without Telegram."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from bot.access.service import AccessDeniedError, ChatUser, chat_user, open_session
from bot.library.contents import readable_document
from bot.people.service import InviteRejectedError, redeem_invite_from
from bot.questions.scope import asker_filters
from bot.web.deps import CoreDep, SessionDep, SettingsDep
from bot.web.i18n import answer_strings, pick_language, ui_text
from bot.web.routes import chat_inbox
from bot.web.security import SESSION_COOKIE, form_token_matches, new_form_token, remember_form_token

# No router-wide tags: the pages are left out of the schema, and the conversation's JSON routes
# below keep their own ("web chat").
router = APIRouter()
# The page's own conversation and inbox routes come with it (bot/web/routes/chat_inbox.py).
router.include_router(chat_inbox.router)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")


def _user(request: Request, session: Session) -> ChatUser | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return chat_user(session=session, cookie=cookie)
    except AccessDeniedError:
        return None


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def chat_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lang: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    """The chat in the browser's language (or ``?lang=``); staff who have not joined see the join form."""
    user = _user(request, session)
    language = pick_language(
        query=lang or (user.language if user else None),
        accept_language=request.headers.get("accept-language", ""),
    )
    if user is None and not settings.web_chat_open:
        token = new_form_token()
        page = templates.TemplateResponse(
            request, "join.html",
            {"lang": language, "t": ui_text(language), "error": (error or "")[:200], "form_token": token},
        )  # fmt: skip
        remember_form_token(page, token, secure=settings.cookies_secure)
        return page
    return templates.TemplateResponse(
        request,
        "chat.html",
        {
            "lang": language,
            "t": ui_text(language),
            "answer_strings": answer_strings(),
            "csrf": user.csrf_token if user else "",
        },
    )


@router.get("/chat", include_in_schema=False)
def chat_elsewhere(request: Request) -> RedirectResponse:
    """``/chat`` is where people guess the chat lives (its documents are under it): send them to it."""
    query = request.url.query
    return RedirectResponse(
        "/" + (f"?{query}" if query else ""), status_code=status.HTTP_307_TEMPORARY_REDIRECT
    )


@router.get("/chat/documents", response_class=HTMLResponse, include_in_schema=False)
def document_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    core: CoreDep,
    source: Annotated[str, Query(max_length=500)] = "",
    lang: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """A cited document, whole, as the reader may see it: sources in the chat link here."""
    user = _user(request, session)
    if user is None and not settings.web_chat_open:
        return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    language = pick_language(
        query=lang or (user.language if user else None),
        accept_language=request.headers.get("accept-language", ""),
    )
    filters = asker_filters(session=session, person_id=user.person_id if user else None)
    document = readable_document(core, source=source, filters=filters, language=language)
    return templates.TemplateResponse(
        request, "document.html", {"lang": language, "t": ui_text(language), "document": document},
        status_code=status.HTTP_200_OK if document is not None else status.HTTP_404_NOT_FOUND,
    )  # fmt: skip


@router.post("/chat/join", include_in_schema=False)
def join(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)] = "",
    form_token: Annotated[str, Form(max_length=64)] = "",
) -> RedirectResponse:
    """Join a unit with an invite code, in the browser; the session cookie keeps you signed in."""
    language = pick_language(query=None, accept_language=request.headers.get("accept-language", ""))
    if not form_token_matches(request, form_token):
        # Not posted from our own join page in this browser (or the page is over an hour old).
        return RedirectResponse(
            f"/?error={quote(ui_text(language)['form_expired'])}", status_code=status.HTTP_303_SEE_OTHER
        )
    where = request.client.host if request.client else "unknown"
    try:
        joined = redeem_invite_from(
            session=session, tried_from=f"web:{where}", code=code, telegram_id=None,
            name=name.strip() or "web", language=language,
        )  # fmt: skip
    except InviteRejectedError as exc:
        said = ui_text(language).get(f"code_{exc.reason}", str(exc))
        return RedirectResponse(f"/?error={quote(said)}", status_code=status.HTTP_303_SEE_OTHER)
    opened = open_session(session=session, person=joined.person)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE, opened.cookie, expires=opened.expires_at, httponly=True, samesite="lax",
        secure=settings.cookies_secure, path="/",
    )  # fmt: skip
    return response
