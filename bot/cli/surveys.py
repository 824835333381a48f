"""Pulse surveys: waves, their status, and results under the anonymity rules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli import common
from bot.cli.common import console, out, print_json
from bot.config import Settings
from bot.errors import InvalidInputError
from bot.storage.database import transaction
from bot.surveys.definitions import Survey

survey = typer.Typer(
    help="Pulse surveys: send waves, follow them, read results with the anonymity rules.",
    no_args_is_help=True,
)


def _library_survey(settings: Settings, survey_id: str) -> Survey:
    from bot.surveys.definitions import SurveyFileError, load_surveys

    try:
        found = load_surveys(settings.knowledge_dir / settings.surveys_dir_name)
    except SurveyFileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if survey_id not in found:
        console.print(
            f"[red]no survey {survey_id!r}[/red]; the library has: {', '.join(sorted(found)) or 'none'}"
        )
        raise typer.Exit(1)
    return found[survey_id]


@survey.command("send")
def survey_send(
    survey_id: Annotated[str, typer.Argument(help="Survey id (file name in knowledge/surveys/).")],
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="all, unit:NAME, role:ROLE, lang:CODE; repeatable.")
    ] = None,
    closes: Annotated[
        str | None, typer.Option("--closes", help="Closing time with zone, e.g. 2026-12-04T18:00+08:00.")
    ] = None,
    named: Annotated[bool, typer.Option("--named", help="Keep names with answers (not anonymous).")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"wave", "invited", "delivery_running", "warning"} as JSON.')
    ] = False,
) -> None:
    """Open a wave now; invitations go out through a sender worker (`changebot worker`, `serve`, `bot`); said when none runs."""
    from datetime import timedelta

    from bot.storage.base import utc_now
    from bot.surveys.waves import launch_wave

    settings = common._settings()
    definition = _library_survey(settings, survey_id)
    try:
        closes_at = datetime.fromisoformat(closes) if closes else None
    except ValueError as exc:
        console.print(f"[red]--closes: not an ISO time: {closes!r}[/red]")
        raise typer.Exit(1) from exc
    now = utc_now()
    with common._refusing(), transaction(common._sessions(settings)) as session:
        wave = launch_wave(
            session=session,
            survey=definition,
            closes_at=closes_at or now + timedelta(hours=settings.survey_open_hours),
            selectors=audience or [],
            anonymous=not named,
            reminder_before_close=timedelta(hours=settings.survey_reminder_hours_before_close) or None,
            now=now,
        )
        wave_id, invited = wave.id, wave.invited
        warning = common.delivery_note(session=session, send_at=wave.opens_at)
    if as_json:
        print_json(
            {"wave": wave_id, "invited": invited, "delivery_running": warning is None, "warning": warning}
        )
        return
    out.print(f"Wave {wave_id} of {survey_id}: {invited} people invited")
    if warning is not None:
        out.print(warning, markup=False)


@survey.command("status")
def survey_status(
    wave_id: Annotated[int, typer.Argument(help="Wave id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Invited, finished and response rate of a wave (never any answers)."""
    from bot.surveys.results import wave_status
    from bot.surveys.waves import get_wave

    with common._refusing(), common._sessions(common._settings())() as session:
        figures = wave_status(session=session, wave=get_wave(session=session, wave_id=wave_id))
    if as_json:
        print_json(figures)
        return
    for key, value in figures.items():
        out.print(f"{key:>14}: {value}")


def _closed_results(wave_id: int) -> tuple[dict[str, object], list[dict[str, object]]]:
    from bot.runtime import survey_rules
    from bot.surveys.results import results_as_dict, wave_results, wave_status
    from bot.surveys.waves import get_wave

    settings = common._settings()
    with common._refusing(), common._sessions(settings)() as session:
        wave = get_wave(session=session, wave_id=wave_id)
        if wave.status != "closed":
            raise InvalidInputError(
                f"wave {wave_id} is {wave.status}: results are shown once it closes "
                "(watching them change while people answer would reveal answers)"
            )
        definition = _library_survey(settings, wave.survey_id)
        rules = survey_rules(settings)
        groups = wave_results(session=session, wave=wave, survey=definition, rules=rules)
        return wave_status(session=session, wave=wave), results_as_dict(groups)


@survey.command("results")
def survey_results(
    wave_id: Annotated[int, typer.Argument(help="Wave id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Per unit and dimension: n, mean, band, or suppressed with the reason (closed waves only)."""
    status, rows = _closed_results(wave_id)
    if as_json:
        print_json({**status, "units": rows})
        return
    table = Table(
        "unit", "respondents", "dimension", "n", "mean", "band", title=f"Wave {wave_id}: {status['survey']}"
    )
    for row in rows:
        name = "(everyone)" if row["unit"] == "*" else "  " * (int(str(row["depth"])) - 1) + str(row["unit"])
        if "suppressed" in row:
            table.add_row(name, "–", "–", "–", "–", f"suppressed: {row['suppressed']}")
            continue
        dimensions = row["dimensions"]
        assert isinstance(dimensions, dict)  # noqa: S101
        for index, (dimension, figures) in enumerate(dimensions.items()):
            table.add_row(
                name if index == 0 else "",
                str(row["respondents"]) if index == 0 else "",
                dimension,
                str(figures["n"]),
                f"{figures['mean']:.2f}",
                str(figures["band"]),
            )
    out.print(table)


@survey.command("export")
def survey_export(
    wave_id: Annotated[int, typer.Argument(help="Wave id.")],
    csv_file: Annotated[Path, typer.Option("--csv", help="File to write.")],
) -> None:
    """Write the results (per unit and dimension, anonymity rules applied) as CSV; never single answers."""
    import csv

    status, rows = _closed_results(wave_id)
    try:
        csv_file.parent.mkdir(parents=True, exist_ok=True)
        stream = csv_file.open("w", encoding="utf-8-sig", newline="")  # BOM: Excel reads the Chinese right
    except OSError as exc:
        console.print(f"[red]cannot write {csv_file}: {exc}[/red]")
        raise typer.Exit(1) from exc
    with stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "wave",
                "survey",
                "unit",
                "respondents",
                "response_rate",
                "dimension",
                "n",
                "mean",
                "band",
                "suppressed",
            ]
        )
        for row in rows:
            if "suppressed" in row:
                writer.writerow(
                    [wave_id, status["survey"], row["unit"], "", "", "", "", "", "", row["suppressed"]]
                )
                continue
            dimensions = row["dimensions"]
            assert isinstance(dimensions, dict)  # noqa: S101
            for dimension, figures in dimensions.items():
                writer.writerow(
                    [wave_id, status["survey"], row["unit"], row["respondents"], row["response_rate"], dimension,
                     figures["n"], figures["mean"], figures["band"], ""]
                )  # fmt: skip
    out.print(f"Wrote {csv_file}")


@survey.command("trend")
def survey_trend(
    survey_id: Annotated[str, typer.Argument(help="Survey id.")],
    unit: Annotated[str, typer.Option("--unit", help="Unit name; default: everyone.")] = "*",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """One unit's dimension means across the survey's closed waves, oldest first (rules applied)."""
    from bot.runtime import survey_rules
    from bot.surveys.results import results_as_dict, trend

    settings = common._settings()
    definition = _library_survey(settings, survey_id)
    rules = survey_rules(settings)
    with common._sessions(settings)() as session:
        rows = [
            {
                "wave": wave.id,
                # When it did close (closed early by hand, or late by a stopped scheduler), not when it was to.
                "closed": (wave.closed_at or wave.closes_at).isoformat(timespec="minutes"),
                **results_as_dict([group])[0],
            }
            for wave, group in trend(session=session, survey=definition, rules=rules, unit=unit)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("wave", "closed", "respondents", *definition.dimensions, title=f"{survey_id}: {unit}")
    for row in rows:
        dimensions = row.get("dimensions")
        cells = [
            f"{dimensions[d]['mean']:.2f} {dimensions[d]['band']}"
            if isinstance(dimensions, dict) and d in dimensions
            else "–"
            for d in definition.dimensions
        ]
        table.add_row(
            str(row["wave"]), str(row["closed"]), str(row.get("respondents", row.get("suppressed"))), *cells
        )
    out.print(table)


@survey.command("close")
def survey_close(wave_id: Annotated[int, typer.Argument(help="Wave id.")]) -> None:
    """Close a wave now (its key is erased: answers can no longer be matched to anyone)."""
    from bot.surveys.waves import close_wave, get_wave

    with common._refusing(), transaction(common._sessions(common._settings())) as session:
        close_wave(session=session, wave=get_wave(session=session, wave_id=wave_id))
    out.print(f"Wave {wave_id} closed")


@survey.command("list")
def survey_list() -> None:
    """Surveys in the library and recent waves."""
    from bot.runtime import survey_definitions
    from bot.surveys.results import wave_status
    from bot.surveys.waves import waves

    settings = common._settings()
    library = survey_definitions(settings)
    out.print("Library: " + (", ".join(f"{s.id} (v{s.version})" for s in library.values()) or "none"))
    table = Table("wave", "survey", "status", "closes", "invited", "respondents", "rate")
    with common._sessions(settings)() as session:
        for wave in waves(session=session):
            figures = wave_status(session=session, wave=wave)
            table.add_row(
                str(wave.id), wave.survey_id, wave.status, str(figures["closes_at"]), str(figures["invited"]),
                str(figures["respondents"]), str(figures["response_rate"]),
            )  # fmt: skip
    out.print(table)


@survey.command("schedule")
def survey_schedule(
    survey_id: Annotated[str, typer.Argument(help="Survey id.")],
    cron: Annotated[
        str, typer.Option("--cron", help="When each wave opens (local time), e.g. '0 10 * * mon'.")
    ],
    open_hours: Annotated[float, typer.Option("--open-hours", help="How long each wave stays open.")] = 72.0,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="all, unit:NAME, role:ROLE, lang:CODE; repeatable.")
    ] = None,
) -> None:
    """Recurring waves: a new wave at every cron occurrence."""
    from bot.people.service import known_zones
    from bot.surveys.waves import schedule_survey

    settings = common._settings()
    definition = _library_survey(settings, survey_id)
    with common._refusing(), transaction(common._sessions(settings)) as session:
        zones = known_zones(session=session, default_timezone=settings.default_timezone)
        schedule = schedule_survey(
            session=session, survey=definition, cron=cron, open_hours=open_hours, zones=zones,
            selectors=audience or [],
        )  # fmt: skip
        first = schedule.next_occurrence.isoformat(timespec="minutes")
        warning = common.delivery_note(session=session, send_at=schedule.next_run_at)
    out.print(f"{survey_id}: a wave opens {cron} (local time), first at {first}")
    if warning is not None:
        out.print(warning, markup=False)


def register(app: typer.Typer) -> None:
    """Add the survey group."""
    app.add_typer(survey, name="survey")
