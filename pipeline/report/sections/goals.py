"""Section 3, goal attainment (目标达成情况): every goal of the period with its target, actual,
attainment and whether it was achieved (product.md §4 goal attainment, §5.3).

Reads ``marts.goals_attainment`` (staging.goals beside the period KPI marts). The goals of a report
are those of its own grain: a weekly report assesses weekly goals, a monthly report monthly ones
(a weekly report without weekly goals says where the month's goals are assessed).

KPIs (metrics.json): goals_set, goals_assessed (goals with an actual), goals_achieved,
goal_achievement_rate = achieved / assessed, and goal_attainment_<metric> per goal; the previous
value is that of the previous period's goals (of the same metric).
"""

from __future__ import annotations

import re

from pipeline.periods import period_containing
from pipeline.report.render import Block, Section, Table
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._business import (PALETTE, column_label, fmt, hbar_chart, input_present, kpi,
                                                kpi_cards, lower_is_better, marts_exist, missing_section, run)

CARDS = ["goals_set", "goals_achieved", "goal_achievement_rate"]


def attainment_key(metric: str) -> str:
    """metrics.json key of a goal's attainment: goal_attainment_<metric> in snake_case."""
    return "goal_attainment_" + (re.sub(r"[^0-9a-z]+", "_", metric.lower()).strip("_") or "metric")


def _counts(rows: list[dict]) -> dict:
    assessed = [r for r in rows if r["achieved"] is not None]
    achieved = sum(1 for r in assessed if r["achieved"])
    return {"goals_set": float(len(rows)), "goals_assessed": float(len(assessed)),
            "goals_achieved": float(achieved),
            "goal_achievement_rate": achieved / len(assessed) if assessed else None}


def _metric_name(f, metric: str) -> str:
    name = f.metric_label(metric)
    return name + f.t("goals_lower_marker") if lower_is_better(metric) else name


@section("goals")
def build(ctx: SectionContext):
    f, conn, period = ctx.f, ctx.conn, ctx.period
    title = f.section_title("goals")
    if not input_present(conn, "goals"):
        return missing_section("goals", f, "goals_missing")
    if not marts_exist(conn, "goals_attainment"):
        return Section("goals", title, [], [f.t("biz_not_built", table="marts.goals_attainment")]), {}
    previous = period.previous()
    rows = run(conn, "goals_period", {"grain": period.grain, "period_start": period.start,
                                      "previous_start": previous.start})
    current = [r for r in rows if r["period_start"] == period.start]
    before = [r for r in rows if r["period_start"] == previous.start]
    if not current:
        sentences = [f.t(f"goals_none_{period.grain}", label=period.label)]
        if period.grain == "weekly":
            month = period_containing("monthly", period.start)
            monthly = run(conn, "goals_period", {"grain": "monthly", "period_start": month.start,
                                                 "previous_start": month.start})
            if monthly:
                sentences.append(f.t("goals_monthly_elsewhere", month=month.label,
                                     n=f.value("int", len(monthly))))
        return Section("goals", title, [], sentences), {}

    now, then = _counts(current), _counts(before) if before else {}
    kpis = {m: kpi(now[m], then.get(m)) for m in ("goals_set", "goals_assessed", "goals_achieved",
                                                  "goal_achievement_rate")}
    before_by_metric = {r["metric"]: r for r in before}
    for r in current:
        prev = before_by_metric.get(r["metric"])
        kpis[attainment_key(r["metric"])] = kpi(r["attainment"], prev["attainment"] if prev else None)

    # the table: target and actual in each metric's own format
    def achieved_text(r):
        if r["actual"] is None:
            return f.t("goals_no_actual")
        return f.t("goals_achieved") if r["achieved"] else f.t("goals_not_achieved")

    cells = [[_metric_name(f, r["metric"]), fmt(f, r["metric"], r["target"]), fmt(f, r["metric"], r["actual"]),
              f.value("pct", r["attainment"]), achieved_text(r),
              f.value("pct", before_by_metric[r["metric"]]["attainment"]) if r["metric"] in before_by_metric
              else f.t("na")] for r in current]
    columns = ["goal_metric", "target", "actual", "attainment", "achieved", "previous_attainment"]
    table_title = f.t("goals_table")
    blocks = [Block("table", table_title, table=Table(
        table_title, [column_label(f, c) for c in columns], ["text", "num2", "num2", "pct", "text", "pct"], cells))]
    measured = [r for r in current if r["attainment"] is not None]
    chart = hbar_chart("goals_attainment", f.t("goals_chart"), [_metric_name(f, r["metric"]) for r in measured],
                       [r["attainment"] for r in measured], f, xlabel=column_label(f, "attainment"),
                       reference=1.0, value_kind="pct",
                       colors=[PALETTE[2] if r["achieved"] else PALETTE[4] for r in measured])
    if chart is not None:
        blocks.append(Block("chart", chart.title, chart=chart))

    sentences = [f.t("goals_n_summary", n=f.value("int", now["goals_set"]),
                     assessed=f.value("int", now["goals_assessed"]), achieved=f.value("int", now["goals_achieved"]),
                     rate=f.value("pct", now["goal_achievement_rate"]))]
    if len(measured) >= 2:
        best = max(measured, key=lambda r: (r["attainment"], r["metric"]))
        worst = min(measured, key=lambda r: (r["attainment"], r["metric"]))
        sentences.append(f.t("goals_n_best_worst", best=f.metric_label(best["metric"]),
                             best_rate=f.value("pct", best["attainment"]), worst=f.metric_label(worst["metric"]),
                             worst_rate=f.value("pct", worst["attainment"])))
    elif len(measured) == 1:
        sentences.append(f.t("goals_n_single", metric=f.metric_label(measured[0]["metric"]),
                             rate=f.value("pct", measured[0]["attainment"])))
    no_actual = [r["metric"] for r in current if r["actual"] is None]
    if no_actual:
        sentences.append(f.t("goals_n_no_actual", n=f.value("int", len(no_actual)),
                             metrics=f.t("biz_list_sep").join(f.metric_label(m) for m in no_actual)))
    return Section("goals", title, kpi_cards(f, kpis, CARDS), sentences, blocks), kpis
