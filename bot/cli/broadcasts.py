"""Broadcasts, vision series, and the report of what reached people."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from bot.broadcasts.service import (
    broadcast_status,
    cancel_broadcast,
    create_broadcast,
    list_broadcasts,
    unread_report,
)
from bot.cli import common
from bot.cli.common import out, print_json
from bot.errors import InvalidInputError
from bot.storage.database import transaction

broadcast = typer.Typer(help="Send, schedule and follow broadcasts.", no_args_is_help=True)


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"--at {value!r} is not an ISO time such as 2026-12-01T09:00+08:00") from exc
    if moment.tzinfo is None:
        raise InvalidInputError("--at needs a time zone, e.g. 2026-12-01T09:00+08:00")
    return moment


@broadcast.command("send")
def broadcast_send(
    text: Annotated[str, typer.Option("--text", help="The message.")],
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="all, unit:NAME, role:ROLE, lang:CODE; repeatable.")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="ISO time with zone; default now.")] = None,
    must_read: Annotated[bool, typer.Option("--must-read", help="Ask recipients to acknowledge.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"id", "delivery_running", "warning"}.')
    ] = False,
) -> None:
    """Queue a broadcast for a sender worker to deliver (`changebot worker`, `serve`, `bot`); said when none runs."""
    settings = common._settings()
    with common._refusing(), transaction(common._sessions(settings)) as session:
        created = create_broadcast(
            session=session,
            text=text,
            selectors=audience or [],
            send_at=_parse_time(at),
            must_read=must_read,
        )
        broadcast_id, send_at = created.id, created.send_at
        warning = common.delivery_note(session=session, send_at=send_at)
    if as_json:
        print_json({"id": broadcast_id, "delivery_running": warning is None, "warning": warning})
        return
    out.print(f"Broadcast {broadcast_id} queued for {send_at:%Y-%m-%d %H:%M} UTC")
    if warning is not None:
        out.print(warning, markup=False)


@broadcast.command("list")
def broadcast_list() -> None:
    """Recent and scheduled broadcasts."""
    with common._sessions(common._settings())() as session:
        rows = list_broadcasts(session=session)
        table = Table("id", "kind", "status", "send at (UTC)", "audience", "text")
        for row in rows:
            table.add_row(
                str(row.id),
                row.kind,
                row.status,
                f"{row.send_at:%Y-%m-%d %H:%M}",
                " ".join(row.audience),
                row.text[:40],
            )
    out.print(table)


@broadcast.command("cancel")
def broadcast_cancel(broadcast_id: Annotated[int, typer.Argument(help="Broadcast id.")]) -> None:
    """Cancel a broadcast; copies not yet sent are dropped."""
    with common._refusing(), transaction(common._sessions(common._settings())) as session:
        cancel_broadcast(session=session, broadcast_id=broadcast_id)
    out.print(f"Broadcast {broadcast_id} cancelled")


@broadcast.command("status")
def broadcast_status_command(
    broadcast_id: Annotated[int, typer.Argument(help="Broadcast id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the delivery figures as JSON.")] = False,
) -> None:
    """Delivery figures for one broadcast; for a must-read, who has not read it yet, per unit."""
    with common._refusing(), common._sessions(common._settings())() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
        unread = unread_report(session=session, broadcast_id=broadcast_id)
    if as_json:
        keys = ("recipients", "delivered", "failed", "blocked", "reactions", "acknowledged")
        result: dict[str, object] = {key: figures[key] for key in keys}
        if unread.must_read:
            result["unread"] = len(unread.readers)
            result["unread_by_unit"] = [{"unit": unit, "unread": count} for unit, count in unread.by_unit]
            result["unread_people"] = [
                {"name": reader.name, "unit": reader.unit, "state": reader.state} for reader in unread.readers
            ]
        print_json(result)
        return
    for key, value in figures.items():
        if key != "unread" or unread.must_read:
            out.print(f"{key:>13}: {value}")
    if not unread.must_read:
        return
    if not unread.readers:
        out.print("Everyone it reached has marked it read.")
        return
    units = Table("unit", "not read", title="Not read yet, per unit")
    for unit, count in unread.by_unit:
        units.add_row(unit or "(no unit)", str(count))
    out.print(units)
    people = Table("name", "unit", "copy", title="Not read yet")
    for reader in unread.readers:
        people.add_row(reader.name, reader.unit or "(no unit)", reader.state)
    out.print(people)


vision = typer.Typer(
    help="Vision series: the vision in several wordings, sent on a cadence.", no_args_is_help=True
)


@vision.command("add")
def vision_add(
    wording: Annotated[
        list[str], typer.Option("--text", help="One wording of the vision; repeat for each variant.")
    ],
    cron: Annotated[
        str, typer.Option("--cron", help="Cadence in each person's local time, e.g. '0 9 * * mon'.")
    ],
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="all, unit:NAME, role:ROLE, lang:CODE; repeatable.")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="A name for the series.")] = "",
    must_read: Annotated[bool, typer.Option("--must-read", help="Ask recipients to acknowledge.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"id", "next", "delivery_running", "warning"} as JSON.')
    ] = False,
) -> None:
    """Start a vision series; each person gets the next wording in turn."""
    from bot.broadcasts.recurring import create_vision_series
    from bot.people.service import known_zones

    settings = common._settings()
    with common._refusing(), transaction(common._sessions(settings)) as session:
        zones = known_zones(session=session, default_timezone=settings.default_timezone)
        series, schedule = create_vision_series(
            session=session,
            title=title,
            variants=wording,
            cron=cron,
            zones=zones,
            selectors=audience or [],
            must_read=must_read,
        )
        warning = common.delivery_note(session=session, send_at=schedule.next_run_at)
        result = {
            "id": series.id, "next": schedule.next_occurrence.isoformat(timespec="minutes"),
            "delivery_running": warning is None, "warning": warning,
        }  # fmt: skip
    if as_json:
        print_json(result)
        return
    out.print(f"Vision series {result['id']}: next at {result['next']} (each person's local time)")
    if warning is not None:
        out.print(warning, markup=False)


@vision.command("list")
def vision_list() -> None:
    """Active vision series and when each runs next."""
    from bot.broadcasts.recurring import vision_schedules

    with common._sessions(common._settings())() as session:
        table = Table("id", "title", "wordings", "cadence", "next (local)", "audience")
        for series, schedule in vision_schedules(session=session):
            # A cadence picked as every N weeks (console, chat) is more than its cron says.
            every = f" every {schedule.every_weeks} weeks" if schedule.every_weeks > 1 else ""
            table.add_row(
                str(series.id),
                series.title[:40],
                str(len(series.variants)),
                schedule.cron + every,
                f"{schedule.next_occurrence:%Y-%m-%d %H:%M}",
                " ".join(series.audience),
            )
    out.print(table)


@vision.command("stop")
def vision_stop(series_id: Annotated[int, typer.Argument(help="Vision series id.")]) -> None:
    """Stop a vision series; what it sent still counts toward exposure."""
    from bot.broadcasts.recurring import stop_vision_series

    with common._refusing(), transaction(common._sessions(common._settings())) as session:
        stop_vision_series(session=session, series_id=series_id)
    out.print(f"Vision series {series_id} stopped")


def report(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    recent: Annotated[int, typer.Option("--recent", min=0, max=200, help="Broadcasts to list.")] = 10,
) -> None:
    """What askers got last week (answered / did you mean / don't know, helpful), vision exposure per
    unit against the target, and delivery figures of recent broadcasts."""
    from bot.broadcasts.reach import vision_exposure
    from bot.questions.outcomes import answer_outcomes
    from bot.storage.base import utc_now

    settings = common._settings()
    target = settings.vision_target_exposures
    with common._sessions(settings)() as session:
        outcomes = answer_outcomes(session=session, since=utc_now() - timedelta(days=7))
        exposure = vision_exposure(session=session, target=target)
        broadcasts = [
            {
                "id": row.id,
                "kind": row.kind,
                "text": row.text[:40],
                **broadcast_status(session=session, broadcast_id=row.id),
            }
            for row in list_broadcasts(session=session, limit=recent)
        ]
    units = [
        {
            "unit": row.unit,
            "depth": row.depth,
            "people": row.people,
            "reached_target": row.reached_target,
            "share_reached": round(row.share_reached, 4),
            "mean_exposures": round(row.mean_exposures, 2),
        }
        for row in exposure
    ]
    if as_json:
        print_json(
            {
                "questions_last_7_days": outcomes.to_json(),
                "vision_target": target,
                "vision_exposure": units,
                "broadcasts": broadcasts,
            },  # fmt: skip
        )
        return

    def share(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    asked = Table("questions", "answered", "did you mean", "(picked)", "don't know", "(chit-chat)", "helpful",
                  title="Questions, last 7 days")  # fmt: skip
    asked.add_row(
        str(outcomes.questions), f"{outcomes.answered} ({share(outcomes.answered_share)})",
        f"{outcomes.suggested} ({share(outcomes.suggested_share)})", str(outcomes.suggestion_picked),
        f"{outcomes.unknown} ({share(outcomes.unknown_share)})", str(outcomes.chit_chat),
        f"{share(outcomes.helpful_share)} of {outcomes.rated} rated",
    )  # fmt: skip
    out.print(asked)
    table = Table(
        "unit", "people", f"heard the vision ≥{target}×", "share", "mean times", title="Vision exposure"
    )
    for row in exposure:
        name = "(everyone)" if row.unit == "*" else "  " * (row.depth - 1) + row.unit
        table.add_row(
            name,
            str(row.people),
            str(row.reached_target),
            f"{row.share_reached:.0%}",
            f"{row.mean_exposures:.1f}",
        )
    out.print(table)
    figures = Table(
        "id", "kind", "status", "recipients", "delivered", "failed", "blocked", "reactions", "acknowledged", "text",
        title="Recent broadcasts",
    )  # fmt: skip
    for figure in broadcasts:
        figures.add_row(*(str(figure[key]) for key in (
            "id", "kind", "status", "recipients", "delivered", "failed", "blocked", "reactions", "acknowledged", "text",
        )))  # fmt: skip
    out.print(figures)


def register(app: typer.Typer) -> None:
    """Add the broadcast and vision groups and the report command."""
    app.add_typer(broadcast, name="broadcast")
    app.add_typer(vision, name="vision")
    app.command()(report)
