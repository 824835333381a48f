"""The console's overview page: adoption, reach, vision exposure, the resistance heatmap, lights and
trends, drawn with plotly.js from the installed plotly package."""

from __future__ import annotations

import math
from pathlib import Path

import plotly
import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from bot.reporting.overview import build_overview
from bot.runtime import survey_definitions, survey_rules
from bot.storage.database import transaction
from bot.web.console_text import console_text, value_label
from bot.web.deps import SessionsDep, SettingsDep
from bot.web.routes.console_common import language_of, page, principal_of, sign_in_page

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
PLOTLY_JS = Path(str(plotly.__file__)).resolve().parent / "package_data" / "plotly.min.js"
LIGHT_COLOURS = {"green": "#2e9e44", "yellow": "#e8b500", "orange": "#f07c00", "red": "#d62828"}


@router.get("/vendor/plotly.min.js")
def plotly_bundle() -> FileResponse:
    """plotly.js from the installed plotly package: charts need nothing from the internet."""
    return FileResponse(
        PLOTLY_JS, media_type="application/javascript", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("", response_class=HTMLResponse)
def overview(request: Request, sessions: SessionsDep, settings: SettingsDep) -> Response:
    """Adoption, reach, vision exposure, the resistance heatmap, lights and trends."""
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return sign_in_page(request)
        data = build_overview(
            session=session, principal=principal, surveys=survey_definitions(settings), rules=survey_rules(settings),
            vision_target=settings.vision_target_exposures,
        )  # fmt: skip
    t = console_text(language_of(request))
    heatmap = None
    if data.heatmap_units:
        figure = go.Figure(
            go.Heatmap(
                z=data.heatmap_means, x=[value_label(t, d) for d in data.heatmap_dimensions], y=data.heatmap_units,
                zmin=1, zmax=5, colorscale=[[0, "#2e9e44"], [0.5, "#e8b500"], [1, "#d62828"]],
                colorbar={"title": {"text": t["mean"]}}, texttemplate="%{z:.1f}",  # the number in each cell
                hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>",
            )
        )  # fmt: skip
        figure.update_layout(
            margin={"l": 120, "r": 20, "t": 10, "b": 40}, height=120 + 40 * len(data.heatmap_units)
        )
        heatmap = figure.to_json()
    trend = go.Figure()
    for colour, counts in data.trend_lights.items():
        trend.add_bar(
            x=data.trend_weeks, y=counts, name=value_label(t, colour), marker_color=LIGHT_COLOURS[colour]
        )
    trend.add_scatter(
        x=data.trend_weeks,
        y=data.trend_questions,
        name=t["trend_questions"],
        yaxis="y2",
        mode="lines+markers",
    )
    units_most = max((sum(week) for week in zip(*data.trend_lights.values(), strict=True)), default=0)
    language = language_of(request)
    trend.update_layout(
        barmode="stack", height=320, margin={"l": 40, "r": 40, "t": 10, "b": 40},
        # From zero, both, in whole numbers: an empty week is a zero, not the middle of a -1..1 axis,
        # and nobody asked 0.214 questions.
        yaxis={"rangemode": "tozero", **_whole_ticks(units_most)},
        yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero",
                **_whole_ticks(max(data.trend_questions, default=0))},
        # Weeks as the reader writes dates, not Plotly's English month names.
        xaxis={"tickformat": "%b %-d" if language == "en" else "%-m月%-d日"},
        legend={"orientation": "h"},
    )  # fmt: skip
    return page(
        request,
        "overview",
        principal,
        {"data": data, "heatmap": heatmap, "trend": trend.to_json(), "colours": LIGHT_COLOURS},
    )


def _whole_ticks(most: float) -> dict[str, object]:
    """An axis of counts: whole-number ticks, about five of them, from 0 to at least ``most``."""
    step = max(1, math.ceil(most / 5))
    return {"dtick": step, "tickformat": "d", "range": [0, max(step, most) * 1.1]}
