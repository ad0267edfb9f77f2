"""Section 12, cost & ROI (运营费用与效益): spend by category, CAC, conversions, revenue and ROI
(product.md §4 cost & ROI, §5.12).

Two inputs: ``costs`` (spend) and ``conversions`` (revenue). Without either the section says so;
without one of them it shows what the other allows and says what cannot be computed (CAC needs
costs, conversion rate and revenue need conversions, ROI needs both). KPIs from
``marts.cost_kpis_<grain>``; amounts are in the currency of the team's files.
"""

from __future__ import annotations

from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._business import (change_phrase, column_label, fmt, hbar_chart, input_present,
                                                kpi_cards, marts_exist, missing_section, period_kpis, run, table,
                                                text_or_unknown)

COST_METRICS = ["cost", "cac"]
CONVERSION_METRICS = ["conversions", "converting_persons", "conversion_rate", "revenue"]
CARDS = ["cost", "cac", "conversions", "conversion_rate", "revenue", "roi"]


@section("cost")
def build(ctx: SectionContext):
    f, conn, period = ctx.f, ctx.conn, ctx.period
    title = f.section_title("cost")
    has_costs, has_conversions = input_present(conn, "costs"), input_present(conn, "conversions")
    if not has_costs and not has_conversions:
        return missing_section("cost", f, "cost_missing")
    if not marts_exist(conn, "cost_daily", "conversions_daily", f"cost_kpis_{period.grain}"):
        return Section("cost", title, [], [f.t("biz_not_built", table=f"marts.cost_kpis_{period.grain}")]), {}
    all_kpis, has_period = period_kpis(conn, "cost", period)
    if not has_period:
        return Section("cost", title, [], [f.t("biz_no_period_rows", table=f"marts.cost_kpis_{period.grain}",
                                                label=period.label)]), {}
    keep = (COST_METRICS if has_costs else []) + (CONVERSION_METRICS if has_conversions else []) \
        + (["roi"] if has_costs and has_conversions else [])
    kpis = {m: k for m, k in all_kpis.items() if m in keep}
    params = {"period_start": period.start, "period_end": period.end}

    blocks, sentences = [], []
    if has_costs:
        categories = run(conn, "cost_by_category", params)
        total = sum(r["amount"] or 0 for r in categories)
        for r in categories:
            r["category_label"] = text_or_unknown(f, r["category"])
            r["share"] = r["amount"] / total if total else None
        chart = hbar_chart("cost_by_category", f.t("cost_chart"), [r["category_label"] for r in categories],
                           [r["amount"] for r in categories], f, xlabel=column_label(f, "amount"), value_kind="num2")
        if chart is not None:
            blocks.append(Block("chart", chart.title, chart=chart))
        blocks.append(table(f, f.t("cost_table_category"), [("category_label", "text"), ("amount", "num2"),
                                                            ("share", "pct"), ("items", "int")], categories))
        new_members = ctx.data.kpi("new_members").value
        sentences.append(f.t("cost_n_cost", cost=fmt(f, "cost", kpis["cost"].value),
                             change=change_phrase(f, "cost", kpis["cost"]),
                             new=fmt(f, "new_members", new_members), cac=fmt(f, "cac", kpis["cac"].value)))
    if has_conversions:
        types = run(conn, "cost_conversions_by_type", params)
        for r in types:
            r["type_label"] = text_or_unknown(f, r["type"])
        blocks.append(table(f, f.t("cost_table_conversions"), [("type_label", "text"), ("conversions", "int"),
                                                               ("revenue", "num2")], types))
        if kpis["conversions"].value:
            sentences.append(f.t("cost_n_conversions",
                                 persons=fmt(f, "converting_persons", kpis["converting_persons"].value),
                                 n=fmt(f, "conversions", kpis["conversions"].value),
                                 rate=fmt(f, "conversion_rate", kpis["conversion_rate"].value),
                                 revenue=fmt(f, "revenue", kpis["revenue"].value)))
        else:
            sentences.append(f.t("cost_n_no_conversions"))
    if has_costs and has_conversions:
        roi = kpis["roi"]
        sentences.append(f.t("cost_n_roi", roi=fmt(f, "roi", roi.value)) if roi.value is not None
                         else f.t("cost_n_roi_na"))
    elif has_costs:
        sentences.append(f.t("cost_conversions_missing"))
    else:
        sentences.append(f.t("cost_costs_missing"))
    cards = [m for m in CARDS if m in kpis]
    return Section("cost", title, kpi_cards(f, kpis, cards), sentences, blocks), kpis
