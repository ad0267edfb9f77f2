"""The report's charts: matplotlib (Agg) figures rendered to SVG text.

This module owns chart drawing. Decisions:
- ``svg.fonttype = 'path'``: every glyph (Chinese included) is drawn as a path, so a chart
  looks the same on a machine without the CJK font and carries no font reference;
- ``svg.hashsalt`` fixed and no metadata (no date): the same data gives byte-identical SVG;
- ``text.parse_math = False``: member text such as ``$5 $10`` is never read as mathtext;
- every element id is prefixed with the chart name, so several charts inlined in one HTML
  page never share an id (glyph ids such as ``NotoSansCJKsc-Regular-12`` would otherwise clash);
- what the SVG renderer learns about text (fonts, sizes, glyphs) is kept for every chart the
  process draws (chart_text.py): text is most of a chart's cost and the strings repeat.

Each ``*_chart`` function returns a :class:`Chart` or None when it has no data to draw.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import BoundaryNorm, Normalize, to_hex  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from pipeline.report.chart_text import share_text_work  # noqa: E402
from pipeline.report.i18n import Formatter  # noqa: E402

RC = {
    "svg.fonttype": "path",
    "svg.hashsalt": "community-report",
    "font.family": "sans-serif",
    "font.sans-serif": ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                        "DejaVu Sans"],
    "axes.unicode_minus": False,
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}
COLORS = {"new": "#2e7d32", "left": "#c62828", "total": "#1565c0", "dau": "#1565c0", "wau": "#ef6c00",
          "mau": "#6a1b9a", "bar": "#1565c0", "period": "#fff3cd"}
WIDE = (10.0, 3.4)   # inches; 1 in = 72 pt = 96 CSS px, so 960 px: the page width


@dataclass(frozen=True)
class Chart:
    name: str          # file stem: charts/<name>.svg
    title: str
    svg: str           # standalone SVG document (written beside report.md)
    inline_svg: str    # the same drawing for embedding in HTML (no XML prolog, no namespace URLs)


_ID_REF = re.compile(r'(\bid="|href="#|url\(#)')
_COMMENT = re.compile(r"<!--.*?-->\s*", re.S)


def _svg_text(fig, name: str, tight_layout: bool = False) -> tuple[str, str]:
    """The figure as standalone SVG and as inline SVG, cropped to its drawn content."""
    svg = _cropped_svg(fig, tight_layout)
    plt.close(fig)
    svg = _COMMENT.sub("", svg)
    svg = _ID_REF.sub(lambda m: f"{m.group(1)}{name}-", svg)
    inline = svg[svg.index("<svg"):]
    inline = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", inline, count=2)
    inline = inline.replace("xlink:href=", "href=")
    return svg, inline


_SVG_SIZE = re.compile(r'<svg ([^>]*?)width="[^"]*" height="[^"]*" viewBox="[^"]*"')


def _cropped_svg(fig, tight_layout: bool = False) -> str:
    """What ``savefig(format="svg", bbox_inches="tight")`` writes, drawn once instead of twice.

    ``bbox_inches="tight"`` draws the whole figure to measure it, then draws it again to
    write it, with a new renderer each time, so every text is laid out twice (text layout is
    most of a chart's cost). Here the figure is drawn once, the tight box is measured with the
    same renderer (its text metrics cached), and the SVG's viewport is set to that box (plus
    matplotlib's default padding) on a background of the figure's colour: the same picture.

    ``tight_layout``: ``fig.tight_layout()`` measured with that same renderer, just before the
    draw. Called earlier, it measured every text with a renderer of its own (Agg's), and the draw
    laid the texts out again: ~0.1 s of a report's ~15 charts.
    """
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG

    FigureCanvasSVG(fig)
    out = io.StringIO()
    dpi = fig.dpi
    width, height = fig.get_size_inches()
    fig.dpi = 72                         # as FigureCanvasSVG.print_svg: SVG units are points
    try:
        svg_renderer = RendererSVG(width * 72, height * 72, out, image_dpi=dpi, metadata=_NO_METADATA)
        share_text_work(svg_renderer, fig.dpi)      # text measured and shaped once per process
        renderer = MixedModeRenderer(fig, width, height, dpi, svg_renderer)
        if tight_layout:
            fig.canvas.get_renderer = lambda: renderer     # what Figure.tight_layout measures with
            try:
                fig.tight_layout()
            finally:
                del fig.canvas.get_renderer
        fig.draw(renderer)
        box = fig.get_tightbbox(renderer).padded(plt.rcParams["savefig.pad_inches"])
        renderer.finalize()
    finally:
        fig.dpi = dpi
    x0, y0, w, h = box.x0 * 72, (height - box.y1) * 72, box.width * 72, box.height * 72
    text = out.getvalue()
    size = f'width="{w:.6g}pt" height="{h:.6g}pt" viewBox="{x0:.6g} {y0:.6g} {w:.6g} {h:.6g}"'
    text, n = _SVG_SIZE.subn(lambda m: f"<svg {m.group(1)}{size}", text, count=1)
    if n != 1:
        raise RuntimeError("unexpected SVG header from matplotlib")
    background = (f'<rect x="{x0:.6g}" y="{y0:.6g}" width="{w:.6g}" height="{h:.6g}" '
                  f'style="fill: {to_hex(fig.get_facecolor())}"/>\n')
    at = text.index('<g id="figure_1">')
    return text[:at] + background + text[at:]


_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def _chart(fig, name: str, title: str, tight_layout: bool = False) -> Chart:
    svg, inline = _svg_text(fig, name, tight_layout)
    return Chart(name=name, title=title, svg=svg, inline_svg=inline)


def _date_axis(ax, days: list[date]) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    step = max(1, len(days) // 10)
    ax.set_xticks(days[::step])
    ax.tick_params(axis="x", labelrotation=0)


def _mark_period(ax, period_start: date, days: list[date]) -> None:
    """Shade the report period so it stands out from the previous one drawn beside it."""
    if days and days[-1] >= period_start:
        ax.axvspan(mdates.date2num(period_start) - 0.5, mdates.date2num(days[-1]) + 0.5,
                   color=COLORS["period"], zorder=0, linewidth=0)


def members_chart(series: list[dict], period_start: date, f: Formatter) -> Chart | None:
    if not series:
        return None
    with plt.rc_context(RC):
        days = [r["date"] for r in series]
        fig, ax = plt.subplots(figsize=WIDE)
        _mark_period(ax, period_start, days)
        x = mdates.date2num(days)
        ax.bar(x, [r["new_members"] or 0 for r in series], width=0.8, color=COLORS["new"], label=f.t("legend_new"))
        ax.bar(x, [-(r["left_members"] or 0) for r in series], width=0.8, color=COLORS["left"],
               label=f.t("legend_left"))
        ax.axhline(0, color="#555555", linewidth=0.6)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(f.t("axis_members"))
        ax2 = ax.twinx()
        ax2.plot(x, [r["total_members"] for r in series], color=COLORS["total"], marker="o", markersize=2.5,
                 label=f.t("legend_total"))
        ax2.set_ylabel(f.t("axis_total"))
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        _date_axis(ax, days)
        ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, fontsize=8)
        return _chart(fig, "members", f.t("chart_members"))


def activity_chart(series: list[dict], period_start: date, f: Formatter) -> Chart | None:
    if not series:
        return None
    with plt.rc_context(RC):
        days = [r["date"] for r in series]
        fig, ax = plt.subplots(figsize=WIDE)
        _mark_period(ax, period_start, days)
        x = mdates.date2num(days)
        for key in ("dau", "wau", "mau"):
            ax.plot(x, [r[key] for r in series], color=COLORS[key], marker="o", markersize=2.5,
                    label=f.column_label(key))
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f.t("axis_members"))
        _date_axis(ax, days)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, fontsize=8)
        return _chart(fig, "activity", f.t("chart_activity"))


def _grid(ax, grid, cmap: str, norm) -> None:
    """Cells as vector rectangles (pcolormesh), not an embedded raster image (imshow)."""
    rows, cols = grid.shape
    ax.pcolormesh(np.arange(cols + 1) - 0.5, np.arange(rows + 1) - 0.5, np.ma.masked_invalid(grid),
                  cmap=cmap, norm=norm, edgecolors="#ffffff", linewidth=0.5)
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)   # first row on top
    ax.spines[:].set_visible(False)


def heatmap_chart(cells: list[dict], f: Formatter) -> Chart | None:
    if not cells:
        return None
    grid = np.zeros((7, 24))
    for c in cells:
        grid[int(c["weekday"]) - 1, int(c["hour"])] += c["messages"] or 0
    # a few discrete levels: a continuous colorbar would be rasterized into an embedded PNG
    levels = MaxNLocator(nbins=6, integer=True).tick_values(0, max(grid.max(), 1))
    norm = BoundaryNorm(levels, ncolors=256)
    with plt.rc_context({**RC, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(10.0, 3.0))
        _grid(ax, grid, "Blues", norm)
        ax.set_yticks(range(7), [f.weekday(i) for i in range(1, 8)])
        ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
        ax.set_xlabel(f.t("axis_hour"))
        fig.colorbar(ScalarMappable(norm=norm, cmap="Blues"), ax=ax, label=f.t("axis_messages"), pad=0.01)
        return _chart(fig, "heatmap", f.t("chart_heatmap"))


def cohort_chart(rows: list[dict], f: Formatter) -> Chart | None:
    if not rows:
        return None
    cohorts = sorted({r["cohort_week"] for r in rows})
    sizes = {r["cohort_week"]: r["cohort_size"] for r in rows}
    max_k = max(int(r["weeks_since"]) for r in rows)
    grid = np.full((len(cohorts), max_k + 1), np.nan)
    for r in rows:
        if r["retention_rate"] is not None:
            grid[cohorts.index(r["cohort_week"]), int(r["weeks_since"])] = r["retention_rate"]
    with plt.rc_context({**RC, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(10.0, 1.0 + 0.3 * len(cohorts)))
        _grid(ax, grid, "Greens", Normalize(0, 1))
        for i in range(grid.shape[0]):
            for k in range(grid.shape[1]):
                if not np.isnan(grid[i, k]):
                    ax.text(k, i, f.value("pct", grid[i, k]), ha="center", va="center", fontsize=7,
                            color="white" if grid[i, k] > 0.6 else "#222222")
        ax.set_yticks(range(len(cohorts)),
                      [f"{c.isoformat()} (n={f.value('int', sizes[c])})" for c in cohorts])
        ax.set_xticks(range(max_k + 1), [str(k) for k in range(max_k + 1)])
        ax.set_xlabel(f.t("axis_weeks_since"))
        ax.set_ylabel(f.t("axis_cohort"))
        return _chart(fig, "cohorts", f.t("chart_cohorts"))


def channels_chart(rows: list[dict], f: Formatter) -> Chart | None:
    rows = [r for r in rows if r["messages"]][:10]
    if not rows:
        return None
    several_sources = len({r["source"] for r in rows}) > 1
    labels = [f"{r['channel']} ({r['source']})" if several_sources else str(r["channel"]) for r in rows]
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(10.0, 0.8 + 0.28 * len(rows)))
        y = range(len(rows))[::-1]
        ax.barh(list(y), [r["messages"] for r in rows], color=COLORS["bar"])
        ax.set_yticks(list(y), labels)
        ax.set_xlabel(f.t("axis_messages"))
        ax.grid(axis="y", visible=False)
        return _chart(fig, "channels", f.t("chart_channels"))
