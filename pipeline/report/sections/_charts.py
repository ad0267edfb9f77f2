"""Charts of the analytics sections, drawn like ``pipeline/report/charts.py`` (same rc settings:
glyphs as paths, fixed hash salt, no metadata, ids prefixed by the chart name, so they are
deterministic and can sit side by side in one HTML page). Every function returns None when it
has nothing to draw, so an empty period shows no chart.
"""

from __future__ import annotations

from datetime import date

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from pipeline.report import charts
from pipeline.report.charts import COLORS, RC, Chart
from pipeline.report.i18n import Formatter

PREVIOUS_COLOR = "#90a4ae"
FORECAST_COLOR = "#ef6c00"


def grouped_bars(name: str, title: str, labels: list[str], series: list[tuple[str, list, str]],
                 ylabel: str) -> Chart | None:
    """Vertical bars per label, one bar per series (legend label, values, color)."""
    if not labels or not any(v for _, values, _ in series for v in values):
        return None
    n = len(series)
    width = 0.8 / n
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(10.0, 3.0))
        for i, (legend, values, color) in enumerate(series):
            xs = [j - 0.4 + width * (i + 0.5) for j in range(len(labels))]
            ax.bar(xs, [v or 0 for v in values], width=width * 0.95, color=color, label=legend)
        ax.set_xticks(range(len(labels)), labels)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(ylabel)
        ax.grid(axis="x", visible=False)
        if n > 1:
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=n, fontsize=8)
        return charts._chart(fig, name, title)


def bar_panels(name: str, title: str, panels: list[tuple[str, list[str], list]], xlabel: str,
               columns: int = 2) -> Chart | None:
    """Small multiples of horizontal bars: (panel title, labels, values), largest on top."""
    panels = [(t, labels, values) for t, labels, values in panels if labels and any(values)]
    if not panels:
        return None
    rows = (len(panels) + columns - 1) // columns
    height = max(len(labels) for _, labels, _ in panels)
    with plt.rc_context(RC):
        fig, axes = plt.subplots(rows, columns, figsize=(10.0, 0.6 + rows * (0.5 + 0.24 * height)), squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(panels):
                ax.set_visible(False)
                continue
            panel_title, labels, values = panels[i]
            y = list(range(len(labels)))[::-1]
            ax.barh(y, [v or 0 for v in values], color=COLORS["bar"])
            ax.set_yticks(y, labels)
            ax.set_title(panel_title, fontsize=9, loc="left")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel(xlabel)
            ax.grid(axis="y", visible=False)
        return charts._chart(fig, name, title, tight_layout=True)


def line_panels(name: str, title: str, panels: list[tuple[str, list[date], list]], marker: date | None,
                f: Formatter, columns: int = 2) -> Chart | None:
    """Small multiples of daily lines with a vertical marker (a strategy's start)."""
    panels = [(t, days, values) for t, days, values in panels if days and any(v is not None for v in values)]
    if not panels:
        return None
    rows = (len(panels) + columns - 1) // columns
    with plt.rc_context(RC):
        fig, axes = plt.subplots(rows, columns, figsize=(10.0, 0.4 + 2.0 * rows), squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(panels):
                ax.set_visible(False)
                continue
            panel_title, days, values = panels[i]
            x = mdates.date2num(days)
            ax.plot(x, [float("nan") if v is None else v for v in values], color=COLORS["dau"], marker="o",
                    markersize=2.5)
            if marker is not None:
                ax.axvline(mdates.date2num(marker) - 0.5, color=FORECAST_COLOR, linestyle="--", linewidth=1)
            ax.set_title(panel_title, fontsize=9, loc="left")
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
            ax.set_xticks(x[::max(1, len(x) // 6)])
            ax.set_ylim(bottom=0)
        return charts._chart(fig, name, title, tight_layout=True)


def forecast_panels(name: str, title: str, panels: list[tuple[str, list[str], list, float | None]],
                    legend: tuple[str, str], next_label: str, columns: int = 2) -> Chart | None:
    """Small multiples: a metric's values over the last periods and the next period's forecast
    (a dashed segment from this period's value to the forecast point)."""
    panels = [p for p in panels if p[1] and any(v is not None for v in p[2])]
    if not panels:
        return None
    rows = (len(panels) + columns - 1) // columns
    with plt.rc_context(RC):
        fig, axes = plt.subplots(rows, columns, figsize=(10.0, 0.5 + 2.1 * rows), squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(panels):
                ax.set_visible(False)
                continue
            panel_title, labels, values, forecast = panels[i]
            xs = list(range(len(labels)))
            ax.plot(xs, [float("nan") if v is None else v for v in values], color=COLORS["dau"], marker="o",
                    markersize=3, label=legend[0])
            ticks = list(labels)
            if forecast is not None:
                last = values[-1] if values[-1] is not None else forecast
                ax.plot([xs[-1], xs[-1] + 1], [last, forecast], color=FORECAST_COLOR, linestyle="--")
                ax.plot([xs[-1] + 1], [forecast], color=FORECAST_COLOR, marker="D", markersize=4, label=legend[1])
                ticks.append(next_label)
            ax.set_xticks(range(len(ticks)), ticks, fontsize=7)
            ax.set_title(panel_title, fontsize=9, loc="left")
            ax.set_ylim(bottom=0)
            if i == 0:
                ax.legend(loc="lower left", bbox_to_anchor=(0, 1.12), ncols=2, fontsize=8)
        return charts._chart(fig, name, title, tight_layout=True)
