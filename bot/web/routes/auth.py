"""Signing in with the one-time link from the bot, and out again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.access.service import AccessDeniedError, chat_user, end_session, redeem_sign_in_link
from bot.web.deps import SessionDep, SettingsDep
from bot.web.i18n import pick_language, ui_text
from bot.web.routes.api_common import ERROR_RESPONSES
from bot.web.security import (
    SESSION_COOKIE,
    PrincipalDep,
    form_token_matches,
    new_form_token,
    remember_form_token,
)

router = APIRouter(tags=["sign-in"], responses=ERROR_RESPONSES)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")


@router.get("/auth/link", response_class=HTMLResponse, include_in_schema=False)
def sign_in_page(
    request: Request, settings: SettingsDep, token: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    """The page a sign-in link opens: one button that signs in. A GET changes nothing, so a link
    preview or a prefetching scanner cannot use the link up, and a hostile page cannot sign a
    browser in with a GET to the attacker's own link."""
    language = pick_language(query=None, accept_language=request.headers.get("accept-language", ""))
    form_token = new_form_token()
    page = templates.TemplateResponse(
        request,
        "signin.html",
        {"lang": language, "t": ui_text(language), "token": token, "form_token": form_token},
    )
    remember_form_token(page, form_token, secure=settings.cookies_secure)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/auth/link", response_class=RedirectResponse, status_code=status.HTTP_303_SEE_OTHER)
def follow_sign_in_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=200)],
    form_token: Annotated[str, Form(max_length=64)] = "",
) -> RedirectResponse:
    """Use a sign-in link (once), from its page: sets the session cookie and goes to the console."""
    if not form_token_matches(request, form_token):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="open the sign-in link itself, then press the button",
        )
    try:
        opened = redeem_sign_in_link(session=session, secret=token)
    except AccessDeniedError as exc:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc
    manager = chat_user(session=session, cookie=opened.cookie).manages
    response = RedirectResponse("/console" if manager else "/", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie,
        expires=opened.expires_at,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        path="/",
    )
    return response


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(request: Request, response: Response, session: SessionDep, principal: PrincipalDep) -> None:
    """End this browser's session (the cookie stops working everywhere it was copied to)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        end_session(session=session, cookie=cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
