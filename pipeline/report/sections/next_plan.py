"""§5.17 Next-period plan (下阶段工作计划).

- Planned items for the next period from the ``plan`` input: items whose own period overlaps the
  next period (or, without a period, whose due date falls in it) and that are not already done or
  cancelled; and the unfinished items of this period (not_started / in_progress / blocked) that are
  not planned for the next period, as candidates to carry over. No plan input: the section says so.
- Suggested targets derived from trends: the outlook's forecast (linear least-squares trend over
  the last 8 periods, ``marts.outlook_forecast_<grain>``) with a stretch:
  target = max(forecast, this period's value) x (1 + 10 %); for lower-is-better metrics
  min(forecast, this period's value) x (1 - 10 %); rates capped at 100 %. The team's own goal for
  the next period (``goals`` input, same grain) is shown beside it when there is one.

KPIs: ``plan_items_next`` (open items planned for the next period; previous = the open items of
this period) and the forecasts ``forecast_<metric>`` (the same values as the outlook's).
"""

from __future__ import annotations

from pipeline.periods import Period
from pipeline.report.data import Kpi
from pipeline.report.i18n import LOWER_IS_BETTER
from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._util import input_state, kpi, kpi_views, run
from pipeline.report.sections.extras import table_block
from pipeline.report.sections.outlook import FORECAST_METRICS, forecast_kpis, forecast_rows

STRETCH = 0.10
RATES = {"response_rate"}
OPEN_STATUSES = ("not_started", "in_progress", "blocked")
CLOSED_STATUSES = ("done", "cancelled")


def suggested_target(metric: str, forecast: float | None, current: float | None) -> float | None:
    """The stretch rule of the module docstring; None without a forecast."""
    if forecast is None:
        return None
    if metric in LOWER_IS_BETTER:
        base = forecast if current is None else min(forecast, current)
        return base * (1 - STRETCH)
    base = forecast if current is None else max(forecast, current)
    target = base * (1 + STRETCH)
    return min(1.0, target) if metric in RATES else target


def _rule_key(metric: str) -> str:
    if metric in LOWER_IS_BETTER:
        return "x_rule_lower"
    return "x_rule_rate" if metric in RATES else "x_rule_higher"


def plan_items(ctx: SectionContext, window: Period) -> list[dict]:
    return run(ctx.conn, "next_plan_items", {"window_start": window.start, "window_end": window.end})


@section("next_plan")
def build(ctx: SectionContext) -> tuple[Section, dict[str, Kpi]]:
    f = ctx.f
    p = ctx.period
    nxt = p.next()
    has_plan = input_state(ctx.conn, "plan") != "missing"
    planned = [r for r in plan_items(ctx, nxt) if r["status"] not in CLOSED_STATUSES] if has_plan else []
    this_period = [r for r in plan_items(ctx, p) if r["status"] not in CLOSED_STATUSES] if has_plan else []
    kpis = {"plan_items_next": kpi(len(planned) if has_plan else None, len(this_period) if has_plan else None)}
    kpis.update(forecast_kpis(ctx))
    blocks: list[Block] = []
    sentences: list[str] = []

    # --- planned items ------------------------------------------------------------------------
    title = f.t("x_table_plan_next", next_label=nxt.label)
    status_cols = [("item", "text"), ("owner", "text"), ("due", "date"), ("status", "text"), ("note", "text")]

    def shown(rows):
        return [{**r, "status": f.t(f"x_status_{r['status']}") if f"x_status_{r['status']}" in f.text else r["status"]}
                for r in rows]
    if not has_plan:
        note = f.t("x_no_plan_input")
        blocks.append(Block("empty", title, note=note))
        sentences.append(note)
    else:
        next_items = {(r["item"], r["due"]) for r in planned}
        carry = [r for r in this_period if r["status"] in OPEN_STATUSES and (r["item"], r["due"]) not in next_items]
        blocks.append(table_block(f, title, status_cols, shown(planned), note=f.t("x_no_plan_items")))
        if carry:
            blocks.append(table_block(f, f.t("x_table_plan_carry"), status_cols, shown(carry)))
        sentences.append(f.t("x_n_plan", next_label=nxt.label, n=f.value("int", len(planned)),
                             carry=f.value("int", len(carry))))

    # --- suggested targets ---------------------------------------------------------------------
    current, _ = forecast_rows(ctx)
    goals = {}
    if input_state(ctx.conn, "goals") != "missing":
        goals = {r["metric"]: r["target"]
                 for r in run(ctx.conn, "next_plan_goals", {"grain": p.grain, "period_start": nxt.start})}
    rows = []
    for m in FORECAST_METRICS:
        r = current.get(m)
        if r is None or r["forecast"] is None:
            continue
        value = ctx.data.kpi(m).value
        target = suggested_target(m, r["forecast"], value)
        rows.append({"metric": f.metric_label(m), "value": f.metric(m, value),
                     "forecast": f.metric(f"forecast_{m}", r["forecast"]), "target": f.metric(m, target),
                     "goal": f.metric(m, goals.get(m)),
                     "rule": f.t(_rule_key(m), stretch=f.value("pct", STRETCH))})
    blocks.append(table_block(f, f.t("x_table_targets", next_label=nxt.label),
                              [("metric", "text"), ("value", "figure"), ("forecast", "figure"), ("target", "figure"),
                               ("goal", "figure"), ("rule", "text")], rows, note=f.t("x_forecast_too_short")))
    if rows:
        first = rows[0]
        sentences.append(f.t("x_n_targets", stretch=f.value("pct", STRETCH), label=first["metric"],
                             forecast=first["forecast"], target=first["target"]))
    else:
        sentences.append(f.t("x_forecast_too_short"))
    return (Section("next_plan", f.section_title("next_plan"),
                    kpi_views(f, kpis, ["plan_items_next", "forecast_new_members", "forecast_avg_dau"]),
                    sentences[:3], blocks),
            kpis)
