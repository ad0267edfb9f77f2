"""Section 7, campaigns & events (社群活动): each campaign's registrations, attendance, lift, new members
around it and cost per attendee (product.md §4 campaign lift, §5.7).

A campaign belongs to the period in which it starts. Lift = mean DAU over the 7 days after it ends /
mean DAU over the 7 days before it starts - 1 (``marts.campaigns_summary``; not measurable until
both windows lie within the data). KPIs from ``marts.campaigns_kpis_<grain>``.
"""

from __future__ import annotations

from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._business import (PALETTE, change_phrase, column_label, fmt, grouped_bar_chart,
                                                input_present, kpi_cards, marts_exist, missing_section,
                                                period_kpis, run, table, text_or_unknown)

CARDS = ["campaigns", "campaign_registrations", "campaign_attendees", "campaign_attendance_rate",
         "campaign_cost_per_attendee", "campaign_lift"]


def _type(f, value) -> str:
    if value in ("online", "offline"):
        return f.t(f"campaigns_type_{value}")
    return text_or_unknown(f, value)


@section("campaigns")
def build(ctx: SectionContext):
    f, conn, period = ctx.f, ctx.conn, ctx.period
    title = f.section_title("campaigns")
    if not input_present(conn, "campaigns"):
        return missing_section("campaigns", f, "campaigns_missing")
    if not marts_exist(conn, "campaigns_summary", f"campaigns_kpis_{period.grain}"):
        return Section("campaigns", title, [], [f.t("biz_not_built", table="marts.campaigns_summary")]), {}
    kpis, has_period = period_kpis(conn, "campaigns", period)
    if not has_period:
        return Section("campaigns", title, [], [f.t("biz_no_period_rows", table=f"marts.campaigns_kpis_{period.grain}",
                                                    label=period.label)]), {}
    rows = run(conn, "campaigns_period", {"period_start": period.start, "period_end": period.end})
    for r in rows:
        r["campaign"] = r["name"]
        r["campaign_type"] = _type(f, r["type"])
        r["dates"] = (f.value("date", r["start_date"]) if r["start_date"] == r["end_date"] else
                      f.t("date_range", start=f.value("date", r["start_date"]), end=f.value("date", r["end_date"])))

    blocks = [table(f, f.t("campaigns_table"), [
        ("campaign", "text"), ("campaign_type", "text"), ("dates", "text"), ("registrations", "int"),
        ("attendees", "int"), ("attendance_rate", "pct"), ("cost_per_attendee", "num2"), ("dau_before", "num1"),
        ("dau_after", "num1"), ("lift", "change"), ("new_members_before", "int"), ("new_members_during", "int"),
        ("new_members_after", "int")], rows, note=f.t("campaigns_none"))]
    measured = [r for r in rows if r["dau_before"] is not None or r["dau_after"] is not None]
    chart = grouped_bar_chart(
        "campaigns_dau", f.t("campaigns_chart"), [str(r["name"]) for r in measured],
        [(column_label(f, "dau_before"), [r["dau_before"] for r in measured], PALETTE[0]),
         (column_label(f, "dau_after"), [r["dau_after"] for r in measured], PALETTE[1])],
        f, ylabel=column_label(f, "dau"))
    if chart is not None:
        blocks.append(Block("chart", chart.title, chart=chart))

    n = kpis["campaigns"].value or 0
    if n == 0:
        sentences = [f.t("campaigns_n_none", label=period.label)]
    else:
        sentences = [f.t("campaigns_n_summary", n=fmt(f, "campaigns", n),
                         registrations=fmt(f, "campaign_registrations", kpis["campaign_registrations"].value),
                         attendees=fmt(f, "campaign_attendees", kpis["campaign_attendees"].value),
                         rate=fmt(f, "campaign_attendance_rate", kpis["campaign_attendance_rate"].value),
                         change=change_phrase(f, "campaign_attendees", kpis["campaign_attendees"]))]
        lifted = [r for r in rows if r["lift"] is not None]
        if lifted:
            best = max(lifted, key=lambda r: (r["lift"], str(r["campaign_id"])))
            sentences.append(f.t("campaigns_n_best", name=best["name"], after=f.value("num1", best["dau_after"]),
                                 before=f.value("num1", best["dau_before"]), lift=f.value("change", best["lift"])))
        pending = len(rows) - len(lifted)
        if pending:
            sentences.append(f.t("campaigns_n_pending", n=f.value("int", pending)))
    return Section("campaigns", title, kpi_cards(f, kpis, CARDS), sentences, blocks), kpis
