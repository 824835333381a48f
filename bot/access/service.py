"""Sign-in links, sessions and API tokens, and the ``Principal`` every request acts as.

Secrets are 32 random bytes (URL-safe); the database keeps only their SHA-256, so a copy of the
database lets nobody sign in. High-entropy secrets need no slow hash.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.access.models import ApiToken, SignInLink, WebSession
from bot.broadcasts.audience import parse_audience
from bot.broadcasts.models import Broadcast
from bot.broadcasts.service import cancel_broadcast, upcoming_broadcasts
from bot.errors import ChangebotError, InvalidInputError, NotFoundError
from bot.people.models import Person, Unit
from bot.people.service import get_unit, is_member, managed_units, unit_and_descendants
from bot.storage.base import utc_now
from bot.surveys.results import ROOT, GroupResult

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=7)
TOKEN_PREFIX = "cbt_"  # noqa: S105  (a prefix that makes leaked tokens easy to spot, not a secret)


class AccessDeniedError(ChangebotError):
    """Not signed in, or not allowed to do this."""


class NotForStaffError(AccessDeniedError):
    """Signed in as a member who neither manages a unit nor is an admin: the web chat is theirs,
    the console and its API are not."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a person (or a token), admin or manager of some units."""

    person_id: int | None
    name: str
    is_admin: bool
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    csrf_token: str | None = None  # sessions only: forms and scripts must send it back
    via: str = "session"  # session | token
    timezone: str | None = None  # the person's own (IANA name); None = the configured default

    def person(self, session: Session) -> Person | None:
        """The person this principal acts as (a token's creator), if any."""
        return session.get(Person, self.person_id) if self.person_id else None

    @property
    def owner_id(self) -> int | None:
        """Whose own items ("your broadcasts", "your series") this principal may treat as its own.

        A signed-in person's. A unit token's scope is its unit whoever created it: it owns nothing,
        or a token made by an admin for one store would act on everything that admin ever sent.
        """
        return self.person_id if self.via == "session" else None

    def can_manage(self, unit_id: int | None) -> bool:
        """Whether this principal may see and act on ``unit_id`` (None = company-wide: admins only)."""
        return self.is_admin or (unit_id is not None and unit_id in self.unit_ids)

    def require_admin(self) -> None:
        """Raise unless an admin."""
        if not self.is_admin:
            raise AccessDeniedError("only admins can do this")

    def require_unit(self, unit_id: int | None) -> None:
        """Raise unless this principal manages ``unit_id``."""
        if not self.can_manage(unit_id):
            raise AccessDeniedError("that unit is not one of yours")


def principal_for(
    session: Session, person: Person, *, csrf_token: str | None = None, via: str = "session"
) -> Principal:
    """The principal of a person: admin, or manager of their units and all below."""
    units = managed_units(session=session, person=person)
    return Principal(
        person_id=person.id,
        name=person.name or f"#{person.id}",
        is_admin=person.is_admin,
        unit_ids=frozenset(unit.id for unit in units),
        csrf_token=csrf_token,
        via=via,
        timezone=person.timezone,
    )


def may_use_console(session: Session, person: Person) -> bool:
    """Admins and managers use the console; staff use the web chat."""
    return person.active and (person.is_admin or bool(managed_units(session=session, person=person)))


def create_sign_in_link(*, session: Session, person: Person, now: datetime | None = None) -> str:
    """A one-time secret for ``person`` (returned once; only its hash is kept). Managers land in the
    console, staff in the web chat."""
    if not person.active or not is_member(person):
        raise AccessDeniedError("join a unit first")
    secret = _secret()
    session.add(
        SignInLink(
            token_hash=_hash(secret), person_id=person.id, expires_at=(now or utc_now()) + LINK_LIFETIME
        )
    )
    session.flush()
    return secret


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just opened: the cookie value and the CSRF token, both shown once."""

    cookie: str
    csrf_token: str
    expires_at: datetime


def redeem_sign_in_link(*, session: Session, secret: str, now: datetime | None = None) -> NewSession:
    """Use a link once: it opens a session. Expired, used or unknown links are refused alike."""
    now = now or utc_now()
    link = session.scalar(select(SignInLink).where(SignInLink.token_hash == _hash(secret)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise AccessDeniedError(
            "this sign-in link is not valid any more: ask the bot for a new one with /web"
        )
    used = session.execute(
        update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount == 0:  # type: ignore[attr-defined]
        raise AccessDeniedError(
            "this sign-in link is not valid any more: ask the bot for a new one with /web"
        )
    person = session.get(Person, link.person_id)
    if person is None or not person.active or not is_member(person):
        raise AccessDeniedError("this account can no longer sign in")
    return open_session(session=session, person=person, now=now)


def open_session(*, session: Session, person: Person, now: datetime | None = None) -> NewSession:
    """A browser session for ``person`` (the cookie and CSRF token are shown once)."""
    cookie, csrf = _secret(), _secret()
    expires = (now or utc_now()) + SESSION_LIFETIME
    session.add(
        WebSession(token_hash=_hash(cookie), person_id=person.id, csrf_token=csrf, expires_at=expires)
    )
    session.flush()
    return NewSession(cookie=cookie, csrf_token=csrf, expires_at=expires)


@dataclass(frozen=True, slots=True)
class ChatUser:
    """Whoever is signed in to the web chat (staff or managers)."""

    person_id: int
    language: str
    csrf_token: str
    manages: bool


def chat_user(*, session: Session, cookie: str, now: datetime | None = None) -> ChatUser:
    """The member behind a session cookie, for the web chat; ``AccessDeniedError`` otherwise."""
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _hash(cookie)))
    if row is None or row.revoked_at is not None or row.expires_at <= (now or utc_now()):
        raise AccessDeniedError("please sign in again")
    person = session.get(Person, row.person_id)
    if person is None or not person.active or not is_member(person):
        raise AccessDeniedError("this account can no longer sign in")
    return ChatUser(
        person_id=person.id,
        language=person.language,
        csrf_token=row.csrf_token,
        manages=may_use_console(session, person),
    )


def session_principal(*, session: Session, cookie: str, now: datetime | None = None) -> Principal:
    """The principal behind a session cookie, or ``AccessDeniedError``."""
    now = now or utc_now()
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _hash(cookie)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise AccessDeniedError("please sign in again: send /web to the bot")
    person = session.get(Person, row.person_id)
    if person is None or not may_use_console(session, person):
        raise NotForStaffError("the console is for managers and admins; staff ask in the web chat at /")
    return principal_for(session, person, csrf_token=row.csrf_token)


def end_session(*, session: Session, cookie: str) -> None:
    """Sign out: the cookie stops working."""
    session.execute(
        update(WebSession).where(WebSession.token_hash == _hash(cookie)).values(revoked_at=utc_now())
    )


def create_api_token(
    *, session: Session, creator: Person, name: str, unit: Unit | None = None
) -> tuple[ApiToken, str]:
    """A token for scripts (admins only); returns the row and the secret, shown once."""
    if not creator.is_admin:
        raise AccessDeniedError("only admins create API tokens")
    name = name.strip()
    if not name:
        raise InvalidInputError("give the token a name that says what uses it")
    secret = TOKEN_PREFIX + _secret()
    token = ApiToken(
        name=name[:120], token_hash=_hash(secret), unit_id=unit.id if unit else None, created_by_id=creator.id
    )
    session.add(token)
    session.flush()
    return token, secret


def revoke_api_token(*, session: Session, token_id: int) -> ApiToken:
    """Stop a token working."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"no API token {token_id}")
    token.revoked_at = token.revoked_at or utc_now()
    session.flush()
    return token


# "Last used" tells a live token from a forgotten one; to the nearest few minutes is enough, and
# saves a write on nearly every request (most are reads, which take no write lock on SQLite).
_LAST_USED_RESOLUTION = timedelta(minutes=5)


def _note_use(session: Session, token: ApiToken, now: datetime) -> None:
    if token.last_used_at is not None and now - token.last_used_at < _LAST_USED_RESOLUTION:
        return
    try:
        with session.begin_nested():  # bookkeeping: a read that cannot take the write lock goes on without it
            token.last_used_at = now
            session.flush()
    except OperationalError:
        session.expire(token, ["last_used_at"])


def token_principal(*, session: Session, secret: str, now: datetime | None = None) -> Principal:
    """The principal of an API token: admin, or manager of its unit and everything below."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
    if token is None or token.revoked_at is not None:
        raise AccessDeniedError("unknown or revoked API token")
    _note_use(session, token, now or utc_now())
    if token.unit_id is None:
        return Principal(
            person_id=token.created_by_id, name=f"token:{token.name}", is_admin=True, via="token"
        )
    unit = session.get(Unit, token.unit_id)
    if unit is None:
        raise AccessDeniedError("the token's unit no longer exists")
    units = unit_and_descendants(session=session, unit=unit)
    return Principal(
        person_id=token.created_by_id,
        name=f"token:{token.name}",
        is_admin=False,
        unit_ids=frozenset(u.id for u in units),
        via="token",
    )


def api_tokens(*, session: Session) -> list[ApiToken]:
    """All tokens, newest first (secrets are never shown again)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all())


def require_own_audience(*, session: Session, principal: Principal, selectors: Sequence[str]) -> None:
    """Managers address their own units only (unit:NAME selectors); admins anyone."""
    if principal.is_admin:
        return
    units = parse_audience(selectors).units
    if not units:
        raise AccessDeniedError("managers address their own units: add unit:NAME to the audience")
    for name in units:
        principal.require_unit(get_unit(session=session, name=name).id)


def may_see_audience(*, session: Session, principal: Principal, selectors: Sequence[str]) -> bool:
    """Admins see every audience; a manager one made only of their own units (company-wide: not)."""
    if principal.is_admin:
        return True
    units = parse_audience(selectors).units
    return bool(units) and all(principal.can_manage(_unit_id(session, name)) for name in units)


def may_see_broadcast(*, session: Session, principal: Principal, broadcast: Broadcast) -> bool:
    """Its author (signed in), an admin, or a manager of every unit it went to."""
    is_author = principal.owner_id is not None and broadcast.created_by_id == principal.owner_id
    return is_author or may_see_audience(session=session, principal=principal, selectors=broadcast.audience)


def upcoming_broadcasts_for(*, session: Session, principal: Principal, limit: int = 20) -> list[Broadcast]:
    """Broadcasts not yet sent that this principal may see and cancel, soonest first."""
    scheduled = upcoming_broadcasts(session=session, limit=1000)
    return [b for b in scheduled if may_see_broadcast(session=session, principal=principal, broadcast=b)][
        :limit
    ]


def cancel_broadcast_as(*, session: Session, principal: Principal, broadcast_id: int) -> Broadcast:
    """Cancel a broadcast not yet sent, on every edge by one rule: its author, an admin, or a manager
    of every unit it went to (a region manager may stop a store's notice; a store manager may not
    stop the region's).

    Raises:
        NotFoundError: no such broadcast, or not this principal's to see (which reads the same).
        InvalidInputError: it is sent or cancelled already.
    """
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or not may_see_broadcast(session=session, principal=principal, broadcast=broadcast):
        raise NotFoundError(f"no broadcast {broadcast_id}")
    return cancel_broadcast(session=session, broadcast_id=broadcast_id)


def visible_groups(
    *, session: Session, principal: Principal, groups: Sequence[GroupResult]
) -> list[GroupResult]:
    """The survey result groups this principal may read: their units; the company total for admins."""
    ids = dict(session.execute(select(Unit.name, Unit.id)).all())
    return [
        g for g in groups if principal.can_manage(ids.get(g.unit)) or (g.unit == ROOT and principal.is_admin)
    ]


def _unit_id(session: Session, name: str) -> int | None:
    return session.scalar(select(Unit.id).where(Unit.name == name))
