"""§5.18 Summary & outlook (总结与展望).

- What went well / what did not: the headline KPIs with the best and the worst change against the
  previous period (a fall counts as good news for lower-is-better metrics such as churn).
- A forecast of key metrics for the next period, method named in the report: a linear trend fitted
  by least squares to the metric's values of the last 8 periods of the report's grain (this one
  included), evaluated one period ahead (``marts.outlook_forecast_<grain>``, computed in DuckDB with
  ``regr_slope`` / ``regr_intercept``; no network, deterministic). Fewer than 3 values: no forecast.

KPIs: ``forecast_<metric>`` = the forecast for the next period made in this period; its previous
value is the forecast for this period made in the previous one.
"""

from __future__ import annotations

from pipeline.periods import Period
from pipeline.report.data import Kpi
from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections import _charts
from pipeline.report.sections._util import kpi, kpi_views, mart_exists, run, trend
from pipeline.report.sections.extras import chart_block, table_block

FORECAST_METRICS = ["new_members", "total_members", "active_members", "avg_dau", "messages", "response_rate",
                    "median_first_response_minutes"]
CHART_METRICS = ["new_members", "active_members", "avg_dau", "messages"]
REVIEW_METRICS = ["new_members", "net_growth", "total_members", "active_members", "avg_dau", "messages",
                  "reactions", "stickiness", "activation_rate_7d", "churn_rate", "response_rate",
                  "median_first_response_minutes"]
WINDOW = 8
HIGHLIGHTS = 3


def forecast_rows(ctx: SectionContext) -> tuple[dict[str, dict], dict[str, dict]]:
    """({metric: row} of this period, {metric: row} of the previous one) of the forecast mart."""
    p = ctx.period
    if not mart_exists(ctx.conn, f"outlook_forecast_{p.grain}"):
        return {}, {}
    rows = run(ctx.conn, "outlook_forecasts",
               {"grain": p.grain, "period_start": p.start, "previous_start": p.previous().start})
    return ({r["metric"]: r for r in rows if r["period_start"] == p.start},
            {r["metric"]: r for r in rows if r["period_start"] == p.previous().start})


def forecast_kpis(ctx: SectionContext) -> dict[str, Kpi]:
    current, previous = forecast_rows(ctx)
    return {f"forecast_{m}": kpi(current.get(m, {}).get("forecast"), previous.get(m, {}).get("forecast"))
            for m in FORECAST_METRICS}


def _window_start(period: Period) -> Period:
    p = period
    for _ in range(WINDOW - 1):
        p = p.previous()
    return p


def _short_label(grain: str, start) -> str:
    return f"W{start.isocalendar()[1]:02d}" if grain == "weekly" else start.strftime("%Y-%m")


def review(ctx: SectionContext) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """(went well, did not): (score, metric), score = change with lower-is-better metrics flipped."""
    scored = []
    for m in REVIEW_METRICS:
        k = ctx.data.kpi(m)
        if k.change is None or k.change == 0:
            continue
        good = trend(m, k.change) == "good"
        scored.append((abs(k.change) if good else -abs(k.change), m))
    order = {m: i for i, m in enumerate(REVIEW_METRICS)}
    well = sorted([s for s in scored if s[0] > 0], key=lambda s: (-s[0], order[s[1]]))[:HIGHLIGHTS]
    poor = sorted([s for s in scored if s[0] < 0], key=lambda s: (s[0], order[s[1]]))[:HIGHLIGHTS]
    return well, poor


@section("outlook")
def build(ctx: SectionContext) -> tuple[Section, dict[str, Kpi]]:
    f = ctx.f
    p = ctx.period
    kpis = forecast_kpis(ctx)
    current, _ = forecast_rows(ctx)
    blocks: list[Block] = []
    sentences: list[str] = []

    # --- what went well / what did not ------------------------------------------------------------
    well, poor = review(ctx)
    rows = []
    for kind, items in (("x_went_well", well), ("x_went_poorly", poor)):
        for _, m in items:
            k = ctx.data.kpi(m)
            rows.append({"assessment": f.t(kind), "metric": f.metric_label(m), "value": f.metric(m, k.value),
                         "previous": f.metric(m, k.previous), "change": k.change})
    blocks.append(table_block(f, f.t("x_table_review"), [("assessment", "text"), ("metric", "text"),
                                                         ("value", "figure"), ("previous", "figure"),
                                                         ("change", "change")], rows,
                              note=f.t("x_no_review") if ctx.data.has_current else f.t("no_data")))

    def phrase(items):
        return f.t("x_list_sep").join(f.t("x_n_review_item", label=f.metric_label(m),
                                          change=f.value("change", ctx.data.kpi(m).change)) for _, m in items)
    if well:
        sentences.append(f.t("x_n_went_well", items=phrase(well)))
    if poor:
        sentences.append(f.t("x_n_went_poorly", items=phrase(poor)))

    # --- forecast -----------------------------------------------------------------------------
    method = f.t(f"x_forecast_method_{p.grain}", n=WINDOW)
    forecast_table = []
    for m in FORECAST_METRICS:
        r = current.get(m)
        if r is None:
            continue
        forecast_table.append({"metric": f.metric_label(m), "value": f.metric(m, r["current_value"]),
                               "forecast": f.metric(f"forecast_{m}", r["forecast"]),
                               "slope": f.value("num2", r["slope"]), "points": r["points"], "method": method})
    have_forecast = any(r.get("forecast") is not None for r in current.values())
    if have_forecast:
        first = _window_start(p)
        history = run(ctx.conn, "outlook_kpi_history", {"grain": p.grain, "first_start": first.start,
                                                        "period_start": p.start, "metrics": CHART_METRICS})
        starts = sorted({h["period_start"] for h in history})
        values = {(h["period_start"], h["metric"]): h["value"] for h in history}
        chart = _charts.forecast_panels(
            "forecast", f.t("x_chart_forecast", method=method),
            [(f.metric_label(m), [_short_label(p.grain, s) for s in starts], [values.get((s, m)) for s in starts],
              current.get(m, {}).get("forecast")) for m in CHART_METRICS],
            (f.t("x_legend_actual"), f.t("x_legend_forecast")), _short_label(p.grain, p.next().start))
        if chart is not None:
            blocks.append(chart_block(f, "", chart))
    blocks.append(table_block(f, f.t("x_table_forecast", next_label=p.next().label),
                              [("metric", "text"), ("value", "figure"), ("forecast", "figure"), ("slope", "figure"),
                               ("points", "int"), ("method", "text")],
                              forecast_table if have_forecast else [], note=f.t("x_forecast_too_short")))
    if have_forecast:
        parts = [f.t("x_n_forecast_item", label=f.metric_label(m),
                     value=f.metric(f"forecast_{m}", current[m]["forecast"]))
                 for m in ("new_members", "avg_dau", "messages") if current.get(m, {}).get("forecast") is not None]
        sentences.append(f.t("x_n_forecast", method=method, next_label=p.next().label,
                             items=f.t("x_list_sep").join(parts)))
    else:
        sentences.append(f.t("x_forecast_too_short"))
    return (Section("outlook", f.section_title("outlook"),
                    kpi_views(f, kpis, ["forecast_new_members", "forecast_active_members", "forecast_avg_dau",
                                        "forecast_messages"]), sentences[:3], blocks),
            kpis)
