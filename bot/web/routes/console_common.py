"""The manager console: server-rendered pages over the same domain functions as the JSON API.

Pages read with the session cookie; every form carries the session's CSRF token and redirects back
(post/redirect/get) with a message. Charts are Plotly figures drawn by plotly.js served from the
installed plotly package (no CDN).

This module holds what every console page shares: sign-in, the CSRF check, rendering and redirects.
One router module per page: ``console_overview``, ``console_knowledge``, ``console_broadcasts``,
``console_surveys``, ``console_people``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from bot.access.service import AccessDeniedError, Principal, session_principal
from bot.broadcasts.senders import DeliveryWarning
from bot.web.console_text import console_text, value_label
from bot.web.i18n import pick_language
from bot.web.security import SESSION_COOKIE

templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
templates.env.filters["label"] = lambda value, words: value_label(words, str(value))


def principal_of(request: Request, session: Session) -> Principal | None:
    """Who the session cookie signs in, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return session_principal(session=session, cookie=cookie)
    except AccessDeniedError:
        return None


def language_of(request: Request) -> str:
    """The page language: ``?lang=``, then the cookie, then the browser's."""
    query = request.query_params.get("lang") or request.cookies.get("changebot_lang")
    return pick_language(query=query, accept_language=request.headers.get("accept-language", ""))


def delivery_note(request: Request, warning: DeliveryWarning | None) -> str | None:
    """``warning`` (no sender worker runs) in the reader's words, for a console message or an API answer."""
    return None if warning is None else console_text(language_of(request))[warning.value]


def page(request: Request, name: str, principal: Principal, context: dict[str, Any]) -> HTMLResponse:
    """Render ``console/{name}.html`` with the texts, the signed-in person and the ``msg`` banner."""
    language = language_of(request)
    response = templates.TemplateResponse(
        request,
        f"console/{name}.html",
        {"t": console_text(language), "lang": language, "me": principal, "message": request.query_params.get("msg"),
         "section": name, **context},
    )  # fmt: skip
    if request.query_params.get("lang"):
        response.set_cookie("changebot_lang", language, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def sign_in_page(request: Request) -> HTMLResponse:
    """The 401 page that tells the visitor how to sign in."""
    language = language_of(request)
    return templates.TemplateResponse(
        request, "console/signin.html", {"t": console_text(language), "lang": language}, status_code=401
    )


def back(path: str, message: str) -> RedirectResponse:
    """Redirect (303) to a console page with a message to show."""
    return RedirectResponse(f"{path}?msg={quote(message)}", status_code=status.HTTP_303_SEE_OTHER)


def checked(request: Request, session: Session, csrf_token: str) -> Principal:
    """The signed-in principal of a form post, whose CSRF token must match the session's."""
    principal = principal_of(request, session)
    if principal is None:
        raise AccessDeniedError("please sign in again: send /web to the bot")
    if not principal.csrf_token or csrf_token != principal.csrf_token:
        raise AccessDeniedError("the form expired; reload the page and try again")
    return principal
