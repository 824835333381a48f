"""The rollout: waves, weekly figures, lights and alerts, and the managers' weekly review packs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli import common
from bot.cli.common import console, out, print_json
from bot.errors import ChangebotError
from bot.storage.database import transaction

rollout = typer.Typer(
    help="The rollout: waves, weekly usage figures, warning lights, alerts.", no_args_is_help=True
)


def _week_option(raw: str | None) -> date:
    from bot.rollout.figures import last_complete_week, week_of

    if raw is None:
        return last_complete_week()
    try:
        return week_of(date.fromisoformat(raw))
    except ValueError as exc:
        console.print(f"[red]--week: not a date: {raw!r}[/red]")
        raise typer.Exit(1) from exc


@rollout.command("plan")
def rollout_plan(
    units: Annotated[int, typer.Option("--units", min=1, help="How many units (stores) switch in all.")],
    coaches: Annotated[int, typer.Option("--coaches", min=1, help="Coaches supporting the rollout at once.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Suggest waves: 1-3-9-27 pacing, none larger than the coaches can carry (3 units per coach)."""
    from bot.rollout.waves import suggest_plan

    with common._refusing():
        plan = suggest_plan(units=units, coaches=coaches)
    if as_json:
        print_json(
            [{"wave": w.number, "units": w.units, "starts_after_weeks": w.starts_after_weeks} for w in plan]
        )
        return
    table = Table("wave", "units", "starts after (weeks)", title=f"{units} units, {coaches} coaches")
    for wave in plan:
        table.add_row(str(wave.number), str(wave.units), str(wave.starts_after_weeks))
    out.print(table)
    out.print("Create them with `changebot rollout wave-add` and fill them with `changebot rollout assign`.")


@rollout.command("wave-add")
def rollout_wave_add(
    number: Annotated[int, typer.Argument(help="Wave number (1 = pilot).")],
    starts: Annotated[str, typer.Option("--starts", help="Start date, e.g. 2027-01-05.")],
    target: Annotated[
        float, typer.Option("--target", help="Share of units green or yellow to call it a success.")
    ] = 0.8,
    capacity: Annotated[int, typer.Option("--capacity", help="Coaches supporting this wave.")] = 0,
    name: Annotated[str, typer.Option("--name", help="A name, e.g. 试点.")] = "",
) -> None:
    """Add a rollout wave."""
    from bot.rollout.waves import add_wave

    try:
        starts_on = date.fromisoformat(starts)
    except ValueError as exc:
        console.print(f"[red]--starts: not a date: {starts!r}[/red]")
        raise typer.Exit(1) from exc
    try:
        with transaction(common._sessions(common._settings())) as session:
            add_wave(
                session=session,
                number=number,
                starts_on=starts_on,
                target_success_rate=target,
                support_capacity=capacity,
                name=name,
            )
    except ChangebotError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    out.print(f"Wave {number} starts {starts}")


@rollout.command("assign")
def rollout_assign(
    number: Annotated[int, typer.Argument(help="Wave number.")],
    units: Annotated[list[str], typer.Argument(help="Unit names.")],
) -> None:
    """Put units into a wave (all or none: an unknown unit changes nothing)."""
    from bot.rollout.waves import assign_units

    with common._refusing(), transaction(common._sessions(common._settings())) as session:
        count = assign_units(session=session, number=number, unit_names=units)
    out.print(f"{count} unit(s) in wave {number}")


@rollout.command("import")
def rollout_import(
    file: Annotated[
        Path, typer.Argument(help="CSV (unit,week,usage_rate[,efficiency_change,complaints]) or JSON.")
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or json (default: from the file name).")
    ] = None,
) -> None:
    """Import weekly usage figures; any bad row refuses the whole file, every problem named by line."""
    from bot.rollout.figures import import_figures

    chosen = fmt or ("json" if file.suffix.lower() == ".json" else "csv")
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]cannot read {file}: {exc}[/red]")
        raise typer.Exit(1) from exc
    with common._refusing(), transaction(common._sessions(common._settings())) as session:
        count = import_figures(session=session, text=content, fmt=chosen)
    out.print(f"Imported {count} row(s) from {file}")


@rollout.command("evaluate")
def rollout_evaluate(
    week: Annotated[
        str | None, typer.Option("--week", help="Any day of the week (default: last week).")
    ] = None,
) -> None:
    """Work out a week's lights, and queue alerts (with advice from the library) for the sender."""
    from bot.rollout.service import evaluate_and_alert, knowledge_search
    from bot.runtime import light_rules, survey_definitions, survey_rules

    settings = common._settings()
    chosen = _week_option(week)
    core = common._core(settings)
    try:
        with transaction(common._sessions(settings)) as session:
            evaluation = evaluate_and_alert(
                session=session, week=chosen, rules=light_rules(settings), search=knowledge_search(core),
                surveys=survey_definitions(settings), survey_rules=survey_rules(settings),
            )  # fmt: skip
            lights = [(row.unit_id, row.light, row.reasons) for row in evaluation.lights]
            alerts = len(evaluation.notices)
    finally:
        core.close()
    out.print(f"Week {chosen}: {len(lights)} unit(s) lit, {alerts} alert(s) queued")


@rollout.command("status")
def rollout_status(
    week: Annotated[
        str | None, typer.Option("--week", help="Any day of the week (default: last week).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Each unit's light with its reasons, and each wave against its target."""
    from sqlalchemy import select as sql_select

    from bot.people.models import Unit
    from bot.rollout.models import UnitLight
    from bot.rollout.waves import wave_progress

    chosen = _week_option(week)
    with common._sessions(common._settings())() as session:
        names = dict(session.execute(sql_select(Unit.id, Unit.name)).all())
        rows = session.scalars(
            sql_select(UnitLight).where(UnitLight.week == chosen).order_by(UnitLight.usage_rate)
        ).all()
        lights = [(names.get(row.unit_id, "?"), row.light, row.usage_rate, list(row.reasons)) for row in rows]
        waves = [
            {"wave": p.wave.number, "units": p.units, "successes": p.successes, "success_rate": p.success_rate,
             "target": p.wave.target_success_rate, "pause_next": p.pause_next, "advice": p.advice}
            for p in wave_progress(session=session, week=chosen)
        ]  # fmt: skip
    if as_json:
        as_dicts = [{"unit": u, "light": lt, "usage_rate": r, "reasons": why} for u, lt, r, why in lights]
        print_json({"week": chosen.isoformat(), "lights": as_dicts, "waves": waves})
        return
    table = Table("unit", "light", "usage", "why", title=f"Week of {chosen}")
    for unit_name, light, rate, reasons in lights:
        table.add_row(unit_name, light, f"{rate:.0%}", "; ".join(reasons))
    out.print(table)
    for wave in waves:
        out.print(
            f"Wave {wave['wave']}: {wave['successes']}/{wave['units']} green or yellow — {wave['advice']}"
        )


def review(
    manager: Annotated[
        int | None, typer.Option("--manager", help="Telegram id of one manager (default: all).")
    ] = None,
    week: Annotated[
        str | None, typer.Option("--week", help="Any day of the week (default: last week).")
    ] = None,
) -> None:
    """Print the weekly review pack of each manager (or one)."""
    from bot.broadcasts.reach import vision_exposure
    from bot.people.service import person_by_telegram_id
    from bot.rollout.review import managers, review_pack
    from bot.rollout.service import latest_resistance
    from bot.runtime import light_rules, survey_definitions, survey_rules

    settings = common._settings()
    chosen = _week_option(week)
    with common._sessions(settings)() as session:
        if manager is not None:
            person = person_by_telegram_id(session=session, telegram_id=manager)
            if person is None:
                console.print(f"[red]no person with Telegram id {manager}[/red]")
                raise typer.Exit(1)
            people = [person]
        else:
            people = managers(session=session)
        resistance = latest_resistance(
            session=session, surveys=survey_definitions(settings), rules=survey_rules(settings)
        )
        exposure = vision_exposure(session=session, target=settings.vision_target_exposures)
        for person in people:
            pack = review_pack(
                session=session, manager=person, week=chosen, resistance=resistance,
                vision_target=settings.vision_target_exposures, light_rules=light_rules(settings),
                exposure=exposure,
            )  # fmt: skip
            out.print(f"── {person.name or person.id} ──")
            out.print(pack.text)
            out.print()
    if not people:
        out.print("No managers yet.")


def register(app: typer.Typer) -> None:
    """Add the rollout group and the review command."""
    app.add_typer(rollout, name="rollout")
    app.command()(review)
