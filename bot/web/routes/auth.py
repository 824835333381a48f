"""Signing in with the one-time link from the bot, and out again."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import RedirectResponse

from bot.access.service import AccessDeniedError, chat_user, end_session, redeem_sign_in_link
from bot.config import Settings
from bot.web.deps import SessionDep
from bot.web.security import SESSION_COOKIE, PrincipalDep

router = APIRouter(tags=["sign-in"])


@router.get("/auth/link", response_class=RedirectResponse, status_code=status.HTTP_303_SEE_OTHER)
def follow_sign_in_link(token: str, request: Request, session: SessionDep) -> RedirectResponse:
    """Use a sign-in link (once): sets the session cookie and goes to the console."""
    settings: Settings = request.app.state.settings
    try:
        opened = redeem_sign_in_link(session=session, secret=token[:200])
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
