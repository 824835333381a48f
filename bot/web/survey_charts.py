"""The Plotly figures of a wave's results page, drawn by ``console.js`` from their JSON as the
overview's are: the band of each shown unit per dimension as a heatmap (the overview's green, yellow
and red), and each unit's means across the survey's closed waves as lines on the 1-5 scale."""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from bot.reporting.wave_report import UnitTrend, WaveReport
from bot.scheduling.wording import local_date_text
from bot.surveys.definitions import Scoring, Survey
from bot.surveys.results import ROOT, Band, Rules
from bot.web.console_text import value_label

BAND_COLOURS: Final = {Band.LOW: "#2e9e44", Band.MEDIUM: "#e8b500", Band.HIGH: "#d62828"}  # the lights'
_LEVEL: Final = {Band.LOW: 0, Band.MEDIUM: 1, Band.HIGH: 2}
_STEPS: Final = [
    [0.0, BAND_COLOURS[Band.LOW]], [1 / 3, BAND_COLOURS[Band.LOW]],
    [1 / 3, BAND_COLOURS[Band.MEDIUM]], [2 / 3, BAND_COLOURS[Band.MEDIUM]],
    [2 / 3, BAND_COLOURS[Band.HIGH]], [1.0, BAND_COLOURS[Band.HIGH]],
]  # fmt: skip
FONT: Final = {"family": 'system-ui, "PingFang SC", "Microsoft YaHei", "WenQuanYi Zen Hei", sans-serif'}


def unit_label(unit: str, words: dict[str, str]) -> str:
    """A group's name on the page: the unit's, or "overall" for the whole wave."""
    return words["r_overall"] if unit == ROOT else unit


def band_heatmap(report: WaveReport, words: dict[str, str]) -> str | None:
    """Each shown unit's band per dimension (the mean written in the cell), or None with none shown."""
    groups = [group for group in report.groups if group.dimensions]
    if not groups:
        return None
    dimensions = list(report.survey.dimensions)
    z: list[list[int | None]] = []
    text: list[list[str]] = []
    for group in groups:
        found = [group.dimensions.get(d) for d in dimensions]
        z.append([None if r is None else _LEVEL[r.band] for r in found])
        text.append(["" if r is None else f"{value_label(words, r.band.value)} {r.mean:.1f}" for r in found])
    figure = go.Figure(
        go.Heatmap(
            z=z, x=[value_label(words, d) for d in dimensions], y=[unit_label(g.unit, words) for g in groups],
            zmin=0, zmax=2, colorscale=_STEPS, showscale=False, text=text, texttemplate="%{text}",
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>", xgap=3, ygap=3,
        )
    )  # fmt: skip
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=70 + 44 * len(groups), font=FONT,
        xaxis={"side": "top", "fixedrange": True},
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},  # parents on top
        plot_bgcolor="#fff",
    )  # fmt: skip
    return str(figure.to_json())


def _band_ranges(survey: Survey, rules: Rules) -> list[tuple[Band, float, float]]:
    """Where the medium and high bands lie on the scale of the mean (readiness: 6 - concern)."""
    if survey.scoring == Scoring.RESISTANCE:
        return [(Band.MEDIUM, rules.band_medium, rules.band_high), (Band.HIGH, rules.band_high, 5.0)]
    return [(Band.MEDIUM, 6 - rules.band_high, 6 - rules.band_medium), (Band.HIGH, 1.0, 6 - rules.band_high)]


def trend_lines(
    trend: UnitTrend, *, report: WaveReport, words: dict[str, str], language: str, zone: ZoneInfo
) -> str:
    """One unit's mean per dimension across the closed waves, on the whole 1-5 scale, the medium and
    high bands shaded; a wave that did not show the unit is a gap, never a zero."""
    # Two lines, never slanted: a slanted date ran off the chart and squeezed the plot.
    labels = [
        f"#{point.wave_id}<br>{local_date_text(point.closes_at, zone=zone, language=language)}"
        for point in trend.points
    ]
    figure = go.Figure()
    for dimension in report.survey.dimensions:
        means = [
            None if point.group.suppressed or dimension not in point.group.dimensions
            else point.group.dimensions[dimension].mean
            for point in trend.points
        ]  # fmt: skip
        bands = [
            "" if point.group.suppressed or dimension not in point.group.dimensions
            else value_label(words, point.group.dimensions[dimension].band.value)
            for point in trend.points
        ]  # fmt: skip
        figure.add_scatter(
            x=labels, y=means, name=value_label(words, dimension), mode="lines+markers", connectgaps=False,
            customdata=bands, hovertemplate="%{x}: %{y:.2f} %{customdata}<extra>%{fullData.name}</extra>",
            cliponaxis=False,
        )  # fmt: skip
    for band, low, high in _band_ranges(report.survey, report.rules):
        figure.add_hrect(
            y0=low, y1=high, fillcolor=BAND_COLOURS[band], opacity=0.1, line_width=0, layer="below"
        )
    figure.update_layout(
        height=280, margin={"l": 40, "r": 10, "t": 10, "b": 10}, font=FONT, plot_bgcolor="#fff",
        # The whole scale, always: a move from 2.9 to 3.1 must not fill the chart.
        yaxis={"range": [1, 5], "tickvals": [1, 2, 3, 4, 5], "title": {"text": words["mean"]}, "fixedrange": True,
               "gridcolor": "#e4e7ec"},
        xaxis={"type": "category", "fixedrange": True, "tickangle": 0, "tickfont": {"size": 11}, "automargin": True},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )  # fmt: skip
    return str(figure.to_json())


def results_charts(
    report: WaveReport, *, words: dict[str, str], language: str, zone: ZoneInfo
) -> dict[str, object]:
    """The page's figures: ``heatmap`` (or None) and ``trends``, unit -> its lines."""
    return {
        "heatmap": band_heatmap(report, words),
        "trends": {
            trend.unit: trend_lines(trend, report=report, words=words, language=language, zone=zone)
            for trend in report.trends
        },
    }
