"""Section 14, problems & tech support (问题与技术支持): incidents by category, time to resolve and the
open ones (product.md §5.14).

Figures as of the period's end (``marts.incidents_kpis_<grain>``): incidents opened in the period,
how many of them were resolved by its end and the median hours that took, and every incident opened
by then and still unresolved (open_incidents, whatever period it was opened in).
"""

from __future__ import annotations

from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._business import (TOP_N, change_phrase, column_label, fmt, hbar_chart, input_present,
                                                kpi_cards, marts_exist, missing_section, period_kpis, run, table,
                                                text_or_unknown)

CARDS = ["incidents", "incidents_resolved", "incident_median_hours_to_resolve", "open_incidents"]


@section("incidents")
def build(ctx: SectionContext):
    f, conn, period = ctx.f, ctx.conn, ctx.period
    title = f.section_title("incidents")
    if not input_present(conn, "incidents"):
        return missing_section("incidents", f, "incidents_missing")
    if not marts_exist(conn, "incidents_items", f"incidents_kpis_{period.grain}"):
        return Section("incidents", title, [], [f.t("biz_not_built", table="marts.incidents_items")]), {}
    kpis, has_period = period_kpis(conn, "incidents", period)
    if not has_period:
        return Section("incidents", title, [], [f.t("biz_no_period_rows", table=f"marts.incidents_kpis_{period.grain}",
                                                     label=period.label)]), {}
    params = {"period_start": period.start, "period_end": period.end, "limit": TOP_N}
    by_category = run(conn, "incidents_by_category", params)
    listed = run(conn, "incidents_list", params)
    for r in by_category + listed:
        r["category_label"] = text_or_unknown(f, r["category"])
    for r in listed:
        r["state"] = f.t("biz_status_resolved") if r["resolved_by_end"] else f.t("biz_status_open")

    blocks = []
    chart = hbar_chart("incidents_by_category", f.t("incidents_chart"), [r["category_label"] for r in by_category],
                       [r["opened"] for r in by_category], f, xlabel=column_label(f, "opened"), value_kind="int")
    if chart is not None:
        blocks.append(Block("chart", chart.title, chart=chart))
    blocks += [
        table(f, f.t("incidents_table_category"), [("category_label", "text"), ("opened", "int"), ("resolved", "int"),
                                                   ("median_hours", "num1")], by_category,
              note=f.t("incidents_none_opened")),
        table(f, f.t("incidents_table_list"), [("local_date", "date"), ("category_label", "text"), ("title", "text"),
                                               ("impact", "text"), ("state", "text"), ("hours_to_resolve", "num1"),
                                               ("resolution", "text")], listed),
    ]

    opened = kpis["incidents"].value or 0
    if opened == 0:
        sentences = [f.t("incidents_n_none", label=period.label)]
    else:
        sentences = [f.t("incidents_n_summary", n=fmt(f, "incidents", opened),
                         change=change_phrase(f, "incidents", kpis["incidents"]),
                         resolved=fmt(f, "incidents_resolved", kpis["incidents_resolved"].value),
                         hours=fmt(f, "incident_median_hours_to_resolve",
                                   kpis["incident_median_hours_to_resolve"].value))]
        top = by_category[0]
        sentences.append(f.t("incidents_n_top", category=top["category_label"], n=f.value("int", top["opened"])))
    open_now = kpis["open_incidents"].value or 0
    if open_now:
        titles = [str(r["title"]) for r in listed if not r["resolved_by_end"]]
        sentences.append(f.t("incidents_n_open", n=fmt(f, "open_incidents", open_now),
                             titles=f.t("biz_list_sep").join(titles)))
    else:
        sentences.append(f.t("incidents_n_no_open"))
    return Section("incidents", title, kpi_cards(f, kpis, CARDS), sentences, blocks), kpis
