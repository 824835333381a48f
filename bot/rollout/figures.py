"""Weekly adoption figures per unit: imported from CSV or JSON (all or nothing, every bad row named
by its line), or reported by a store manager in chat."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInputError
from bot.people.models import Person, Unit
from bot.rollout.models import UnitWeek
from bot.storage.base import utc_now

MAX_ROWS = 20_000
COLUMNS = ("unit", "week", "usage_rate", "efficiency_change", "complaints")


class FiguresImportError(InvalidInputError):
    """An import with bad rows; ``problems`` lists each as "line N: what is wrong"."""

    def __init__(self, problems: Sequence[str]) -> None:
        shown = list(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__("nothing was imported: " + "; ".join(shown) + more)
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Figures:
    """One unit's figures for one week, checked."""

    unit_id: int
    week: date
    usage_rate: float
    efficiency_change: float | None
    complaints: int | None


def week_of(day: date) -> date:
    """The Monday of ``day``'s week (weeks are named by their Monday)."""
    return day - timedelta(days=day.weekday())


def last_complete_week(today: date | None = None) -> date:
    """The Monday of the last week that has ended (the week figures, lights and reviews look at)."""
    return week_of(today or utc_now().date()) - timedelta(days=7)


def parse_rate(raw: object) -> float:
    """A usage rate as a share: 0.72, 72, "72%" all mean 72%; outside 0-100% is refused."""
    text = str(raw).strip().rstrip("%").strip()
    try:
        value = float(text)
    except ValueError as exc:
        raise ValueError(f"usage_rate {raw!r} is not a number") from exc
    percent = str(raw).strip().endswith("%") or value > 1
    share = value / 100 if percent else value
    if not 0 <= share <= 1:
        raise ValueError(f"usage_rate {raw!r} is outside 0-100%")
    return round(share, 4)


def _parse_week(raw: object) -> date:
    text = str(raw or "").strip()
    if not text:
        raise ValueError("week is missing")
    try:
        if "-W" in text:  # ISO week, e.g. 2026-W48
            year, number = text.split("-W")
            return date.fromisocalendar(int(year), int(number), 1)
        return week_of(date.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(f"week {text!r} is not a date (2026-11-23) or ISO week (2026-W48)") from exc


def _optional_float(raw: object, name: str) -> float | None:
    text = str(raw if raw is not None else "").strip().rstrip("%")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise ValueError(f"{name} {raw!r} is not a number") from exc
    return value / 100 if str(raw).strip().endswith("%") or abs(value) > 1 else value


def _optional_count(raw: object, name: str) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{name} {raw!r} is not a whole number")
    return int(text)


def parse_rows(text: str, *, fmt: str) -> list[tuple[int, dict[str, object]]]:
    """Rows of a CSV (header line first) or JSON (a list of objects) file, with their line numbers."""
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        missing = [c for c in ("unit", "week", "usage_rate") if c not in (reader.fieldnames or [])]
        if missing:
            raise FiguresImportError(
                [f"line 1: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"]
            )
        return [(reader.line_num, dict(row)) for row in reader]
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FiguresImportError([f"line {exc.lineno}: not valid JSON ({exc.msg})"]) from exc
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise FiguresImportError(["line 1: expected a list of objects with unit, week, usage_rate"])
        return [(index + 1, item) for index, item in enumerate(data)]  # JSON: the item's position
    raise InvalidInputError(f"unknown format {fmt!r}; use csv or json")


def check_rows(session: Session, rows: Sequence[tuple[int, dict[str, object]]]) -> list[Figures]:
    """Every row checked; any problem refuses the whole import with every problem listed."""
    if len(rows) > MAX_ROWS:
        raise FiguresImportError([f"too many rows ({len(rows)}); at most {MAX_ROWS} per import"])
    if not rows:
        raise FiguresImportError(["no rows"])
    units = dict(session.execute(select(Unit.name, Unit.id)).all())
    checked: list[Figures] = []
    problems: list[str] = []
    seen: dict[tuple[int, date], int] = {}
    for line, row in rows:
        try:
            name = str(row.get("unit") or "").strip()
            if not name:
                raise ValueError("unit is missing")
            if name not in units:
                raise ValueError(f"unknown unit {name!r}")
            week = _parse_week(row.get("week"))
            if week > week_of(utc_now().date()):
                raise ValueError(f"week {week} is in the future")
            if row.get("usage_rate") in (None, ""):
                raise ValueError("usage_rate is missing")
            figures = Figures(
                unit_id=units[name],
                week=week,
                usage_rate=parse_rate(row.get("usage_rate")),
                efficiency_change=_optional_float(row.get("efficiency_change"), "efficiency_change"),
                complaints=_optional_count(row.get("complaints"), "complaints"),
            )
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        key = (figures.unit_id, figures.week)
        if key in seen:
            problems.append(f"line {line}: {name} week {figures.week} already given on line {seen[key]}")
            continue
        seen[key] = line
        checked.append(figures)
    if problems:
        raise FiguresImportError(problems)
    return checked


def import_figures(
    *, session: Session, text: str, fmt: str, source: str = "import", reporter: Person | None = None
) -> int:
    """Import a file's figures (replacing those of the same unit and week); returns rows stored."""
    checked = check_rows(session, parse_rows(text, fmt=fmt))
    for figures in checked:
        store_figures(session=session, figures=figures, source=source, reporter=reporter)
    session.flush()
    return len(checked)


def store_figures(
    *, session: Session, figures: Figures, source: str, reporter: Person | None = None
) -> UnitWeek:
    """Insert or replace one unit-week."""
    row = session.scalar(
        select(UnitWeek).where(UnitWeek.unit_id == figures.unit_id, UnitWeek.week == figures.week)
    )
    if row is None:
        row = UnitWeek(unit_id=figures.unit_id, week=figures.week)
        session.add(row)
    row.usage_rate = figures.usage_rate
    row.efficiency_change = figures.efficiency_change
    row.complaints = figures.complaints
    row.source = source
    row.reported_by_id = reporter.id if reporter else None
    row.updated_at = utc_now()
    session.flush()
    return row


def report_usage(
    *, session: Session, unit: Unit, reporter: Person, rate: object, week: date | None = None
) -> UnitWeek:
    """A manager's own report (``/usage 72``) for their unit, for last week unless told otherwise."""
    share = parse_rate(rate)
    week = week or last_complete_week()
    return store_figures(
        session=session,
        figures=Figures(
            unit_id=unit.id, week=week, usage_rate=share, efficiency_change=None, complaints=None
        ),
        source="telegram",
        reporter=reporter,
    )
