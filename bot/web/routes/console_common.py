"""The manager console: server-rendered pages over the same domain functions as the JSON API.

Pages read with the session cookie; every form carries the session's CSRF token and redirects back
(post/redirect/get) with a message. Charts are Plotly figures drawn by plotly.js served from the
installed plotly package (no CDN).

This module holds what every console page shares: sign-in, the CSRF check, rendering and redirects.
One router module per page: ``console_overview``, ``console_knowledge``, ``console_broadcasts``,
``console_surveys``, ``console_people``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session

from bot.access.service import AccessDeniedError, Principal, session_principal
from bot.broadcasts.senders import DeliveryWarning
from bot.scheduling.clock import zone
from bot.scheduling.wording import local_date_text, local_time_text, times_in_text
from bot.storage.base import utc_now
from bot.web.console_text import console_text, value_label
from bot.web.deps import get_settings
from bot.web.i18n import pick_language
from bot.web.security import SESSION_COOKIE

templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
templates.env.filters["label"] = lambda value, words: value_label(words, str(value))


def _moment(value: object) -> datetime | date | None:
    """A value a page prints as a time: a datetime, a date, or one written as ISO text."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str) and value:
        try:
            return (
                datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
            )
        except ValueError:
            return None
    return None


@pass_context
def localtime(context: Context, value: object, show_zone: bool = False) -> str:
    """``{{ b.send_at | localtime }}``: a moment on the reader's clock, in the page's language.

    Every time a console page prints goes through here (or ``localdate``): the reader's zone is the
    signed-in person's own (/tz in the chat), else the configured default, as ``page`` sets it."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    reader: ZoneInfo = context.get("reader_zone") or ZoneInfo("UTC")
    language = context.get("lang")
    if not isinstance(moment, datetime):
        return local_date_text(moment, zone=reader, language=language)
    return local_time_text(moment, zone=reader, language=language, show_zone=show_zone)


@pass_context
def localdate(context: Context, value: object) -> str:
    """``{{ p.learned_at | localdate }}``: the day of a moment on the reader's clock, or a date."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    reader: ZoneInfo = context.get("reader_zone") or ZoneInfo("UTC")
    return local_date_text(moment, zone=reader, language=context.get("lang"))


templates.env.filters["localtime"] = localtime
templates.env.filters["localdate"] = localdate


def reader_zone(request: Request, principal: Principal | None) -> ZoneInfo:
    """The time zone the reader's times are in and their typed times are read in: their own (set with
    /tz in the chat), else the configured default."""
    default = get_settings(request).default_timezone
    return zone(principal.timezone if principal is not None else None, default=default)


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


def warned(request: Request, done: str, warning: DeliveryWarning | None) -> str:
    """The message a send or a schedule is confirmed with, and ``warning`` (no sender runs) after it."""
    note = delivery_note(request, warning)
    return done if note is None else f"{done} · {note}"


def page(request: Request, name: str, principal: Principal, context: dict[str, Any]) -> HTMLResponse:
    """Render ``console/{name}.html`` with the texts, the signed-in person, their time zone and the
    ``msg`` banner."""
    language = language_of(request)
    reader = reader_zone(request, principal)
    response = templates.TemplateResponse(
        request,
        f"console/{name}.html",
        {"t": console_text(language), "lang": language, "me": principal, "message": request.query_params.get("msg"),
         "section": name, "reader_zone": reader, "zone_note": times_in_text(reader, now=utc_now(), language=language),
         **context},
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
