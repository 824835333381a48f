"""Who is calling: a session cookie (browsers, with a CSRF token on every change) or a bearer API token."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from bot.access.service import (
    AccessDeniedError,
    NotForStaffError,
    Principal,
    session_principal,
    token_principal,
)
from bot.storage.database import transaction
from bot.web.deps import SessionDep

SESSION_COOKIE = "changebot_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def current_principal(request: Request, session: SessionDep) -> Principal:
    """The signed-in manager or admin, or the API token's principal; 403 for signed-in staff, 401 otherwise."""
    authorization = request.headers.get("authorization", "")
    try:
        if authorization.lower().startswith("bearer "):
            return token_principal(session=session, secret=authorization[7:].strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise _unauthorised("sign in first: send /web to the bot, or use an API token")
        principal = session_principal(session=session, cookie=cookie)
    except NotForStaffError as exc:
        # Signed in, just not a manager: signing in again would not help, so not 401.
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc
    except AccessDeniedError as exc:
        raise _unauthorised(str(exc)) from exc
    if request.method not in SAFE_METHODS:
        # A cookie rides along with any request the browser makes; the CSRF token does not.
        sent = request.headers.get(CSRF_HEADER, "")
        if not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="missing or wrong CSRF token")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def principal_of(request: Request, *, sessions: sessionmaker[Session]) -> Principal:
    """``current_principal`` for an ``async`` route: in a short transaction of its own on a worker
    thread, so no transaction stays open while the route awaits the request's body."""

    def look_up() -> Principal:
        with transaction(sessions) as session:
            return current_principal(request, session)

    return await run_in_threadpool(look_up)


# ---------------------------------------------------------------- forms before signing in

FORM_COOKIE = "changebot_form"
FORM_FIELD = "form_token"
FORM_TOKEN_SECONDS = 3600


def new_form_token() -> str:
    """A token for a form shown to someone not signed in yet (joining with an invite code, using a
    sign-in link): put it in a hidden field, and in this browser's cookie with ``remember_form_token``.

    Signing in is a change too: a hostile page could otherwise post the attacker's own invite code
    or link from the victim's browser and sign it in as the attacker (login CSRF), to read what the
    victim then asks. The page cannot read the cookie, and a SameSite=Strict cookie is not sent with
    its cross-site post, so the two never match there.
    """
    return secrets.token_urlsafe(24)


def remember_form_token(response: Response, token: str, *, secure: bool) -> None:
    """Set ``token`` as this browser's form cookie (see ``new_form_token``)."""
    response.set_cookie(
        FORM_COOKIE,
        token,
        max_age=FORM_TOKEN_SECONDS,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def form_token_matches(request: Request, sent: str) -> bool:
    """Whether a posted form's token is the one its page set in this browser."""
    expected = request.cookies.get(FORM_COOKIE, "")
    return bool(expected and sent) and hmac.compare_digest(expected, sent)
