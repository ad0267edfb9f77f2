"""Section 13, plan progress (运营计划进展): this period's plan items by status, the completion rate and
the overdue items with their notes (product.md §5.13).

The plan of a report is the items of its own grain and period (``marts.plan_items``): a weekly report
without weekly items says where the month's plan is tracked. Completion rate = done / (items -
cancelled): a cancelled item is neither done nor left to do. Overdue = due before the period's end (on
or before its last day) and neither done nor cancelled, the status being the one in the team's file.
KPIs from ``marts.plan_kpis_<grain>``; none when the period has no plan items.
"""

from __future__ import annotations

from pipeline.periods import period_containing
from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._business import (PALETTE, column_label, fmt, hbar_chart, input_present, kpi_cards,
                                                marts_exist, missing_section, period_kpis, run, table,
                                                text_or_unknown)

CARDS = ["plan_items", "plan_done", "plan_completion_rate", "plan_overdue"]
STATUSES = ["done", "in_progress", "not_started", "blocked", "cancelled"]
STATUS_COLORS = {"done": PALETTE[2], "in_progress": PALETTE[0], "not_started": "#9e9e9e", "blocked": PALETTE[4],
                 "cancelled": "#bdbdbd"}


def status_label(f, status) -> str:
    return f.t(f"plan_status_{status}") if status in STATUSES else text_or_unknown(f, status)


@section("plan")
def build(ctx: SectionContext):
    f, conn, period = ctx.f, ctx.conn, ctx.period
    title = f.section_title("plan")
    if not input_present(conn, "plan"):
        return missing_section("plan", f, "plan_missing")
    if not marts_exist(conn, "plan_items", f"plan_kpis_{period.grain}"):
        return Section("plan", title, [], [f.t("biz_not_built", table="marts.plan_items")]), {}
    items = run(conn, "plan_period", {"grain": period.grain, "period_start": period.start})
    if not items:
        sentences = [f.t(f"plan_none_{period.grain}", label=period.label)]
        if period.grain == "weekly":
            month = period_containing("monthly", period.start)
            monthly = run(conn, "plan_period", {"grain": "monthly", "period_start": month.start})
            if monthly:
                sentences.append(f.t("plan_monthly_elsewhere", month=month.label, n=f.value("int", len(monthly))))
        return Section("plan", title, [], sentences), {}
    kpis, _ = period_kpis(conn, "plan", period)

    for r in items:
        r["status_label"] = status_label(f, r["status"])
        r["overdue"] = f.t("yes") if r["is_overdue"] else f.t("no")
        r["owner_label"] = text_or_unknown(f, r["owner"])
    counts = {}
    for r in items:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    order = [s for s in STATUSES if s in counts] + sorted((s for s in counts if s not in STATUSES), key=str)
    chart = hbar_chart("plan_status", f.t("plan_chart"), [status_label(f, s) for s in order],
                       [counts[s] for s in order], f, xlabel=column_label(f, "items"), value_kind="int",
                       colors=[STATUS_COLORS.get(s, PALETTE[0]) for s in order])
    overdue = [r for r in items if r["is_overdue"]]
    blocks = [Block("chart", chart.title, chart=chart)] if chart is not None else []
    blocks += [
        table(f, f.t("plan_table_overdue"), [("item", "text"), ("owner_label", "text"), ("due", "date"),
                                             ("status_label", "text"), ("note", "text")], overdue,
              note=f.t("plan_no_overdue")),
        table(f, f.t("plan_table_items"), [("item", "text"), ("owner_label", "text"), ("due", "date"),
                                           ("status_label", "text"), ("overdue", "text"), ("note", "text")], items),
    ]

    sentences = [f.t("plan_n_summary", n=fmt(f, "plan_items", kpis["plan_items"].value),
                     done=fmt(f, "plan_done", kpis["plan_done"].value),
                     rate=fmt(f, "plan_completion_rate", kpis["plan_completion_rate"].value),
                     cancelled=fmt(f, "plan_cancelled", kpis["plan_cancelled"].value))]
    sep = f.t("biz_list_sep")
    if overdue:
        sentences.append(f.t("plan_n_overdue", n=f.value("int", len(overdue)),
                             items=sep.join(str(r["item"]) for r in overdue)))
    else:
        sentences.append(f.t("plan_n_no_overdue"))
    blocked = [r for r in items if r["status"] == "blocked"]
    if blocked:
        sentences.append(f.t("plan_n_blocked", n=f.value("int", len(blocked)),
                             items=sep.join(str(r["item"]) for r in blocked)))
    return Section("plan", title, kpi_cards(f, kpis, CARDS), sentences, blocks), kpis
