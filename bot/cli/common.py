"""What every command shares: the root app, the two consoles, settings, database sessions and the
knowledge core.

Feature modules call these helpers through this module (``common._core(settings)``), looked up when the
command runs, so a test replaces one here (``monkeypatch.setattr(common, "_core", ...)``) and every
command sees the replacement.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.broadcasts.senders import delivery_warning
from bot.config import Settings
from bot.errors import ChangebotError
from bot.logging_setup import configure_logging
from bot.storage.base import utc_now
from bot.storage.database import database_unavailable, make_engine, make_session_factory, upgrade_database
from bot.web.console_text import console_text
from bot.wording import set_default_language

app = typer.Typer(
    help="changebot: answers, broadcasts and pulse surveys for organisational change.", no_args_is_help=True
)
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


def print_json(value: object) -> None:
    """Write ``value`` as one line of JSON to stdout, as it is: never through Rich, whose markup
    would eat "[bold]" in a unit's name and whose wrapping would break a line a script reads."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def delivery_note(*, session: Session, send_at: datetime) -> str | None:
    """What confirming a send or a schedule due at ``send_at`` adds while no sender worker runs
    (``bot.broadcasts.senders.delivery_warning``), in English, the console's words; None while one runs."""
    warning = delivery_warning(session=session, now=utc_now(), send_at=send_at)
    return None if warning is None else console_text("en")[warning.value]


@contextlib.contextmanager
def _refusing() -> Iterator[None]:
    """A refused command prints why, in red, and exits with status 1 (nothing was changed)."""
    try:
        yield
    except ChangebotError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValueError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    # Every command reads its settings here: what it words (a preview, a queued message) follows
    # the configured default language from here on.
    set_default_language(settings.default_language)
    return settings


_ENGINES: dict[str, Engine] = {}


def _sessions(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured database: one engine per process, migrated once, closed at exit."""
    engine = _ENGINES.get(settings.database)
    if engine is None:
        engine = make_engine(settings.database)
        upgrade_database(engine)
        _ENGINES[settings.database] = engine
        if len(_ENGINES) == 1:
            atexit.register(_dispose_engines)
    return make_session_factory(engine)


def run() -> None:
    """The ``changebot`` entry point: the commands, with an unreachable database said in one line."""
    try:
        app()
    except (DBAPIError, PoolTimeoutError) as exc:
        if not database_unavailable(exc):
            raise
        try:
            where = make_url(Settings().database).render_as_string(hide_password=True)
        except (ValueError, ArgumentError):
            where = "the configured database"
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        console.print(
            f"[red]Cannot reach the database[/red] ({where}): {reason}\n"
            "Check CHANGEBOT_DATABASE_URL and that the database server is running."
        )
        raise SystemExit(1) from None


def _dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _core(settings: Settings) -> KnowledgeCore:
    with _refusing():
        return build_knowledge_core(settings, sessions=_sessions(settings))


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    """Configure logging for every command."""
    try:
        configured = Settings()
        level, fmt = configured.log_level, configured.log_format
    except ValueError:
        level, fmt = "INFO", "text"  # the command itself reports the configuration error
    configure_logging("DEBUG" if verbose else level, fmt=fmt)
