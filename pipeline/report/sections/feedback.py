"""Section 10, feedback & complaints (用户反馈与投诉): volumes and trend by kind and category,
satisfaction and NPS, resolution rate and time, open complaints, top themes and a few verbatims
(product.md §4 feedback, §5.10).

Figures are those of the feedback RECEIVED in the period, as of the period's end (an item resolved
later is still open in this period's report): ``marts.feedback_kpis_<grain>``. Verbatims are
member text: they are passed on as plain strings, and the templates escape them.
"""

from __future__ import annotations

from datetime import timedelta

from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._business import (PALETTE, TOP_N, VERBATIMS, change_phrase, column_label, fmt,
                                                grouped_bar_chart, input_present, kpi_cards, marts_exist,
                                                missing_section, period_kpis, run, table, text_or_unknown)

CARDS = ["feedback_received", "complaints", "feedback_resolution_rate", "feedback_median_hours_to_resolve",
         "satisfaction", "nps", "open_complaints"]
KINDS = ["complaint", "suggestion", "bug", "question", "praise"]
STATUSES = ["open", "in_progress", "resolved", "closed"]


def kind_label(f, kind) -> str:
    return f.t(f"feedback_kind_{kind}") if kind in KINDS else text_or_unknown(f, kind)


def status_label(f, status) -> str:
    return f.t(f"biz_status_{status}") if status in STATUSES else text_or_unknown(f, status)


def _trend_chart(conn, f, period):
    previous = period.previous()
    bucket = "day" if period.grain == "weekly" else "week"
    rows = run(conn, "feedback_trend", {"bucket": bucket, "chart_start": previous.start, "period_end": period.end})
    if not rows:
        return None
    step = 1 if bucket == "day" else 7
    first = previous.start if bucket == "day" else previous.start - timedelta(days=previous.start.weekday())
    starts = []
    d = first
    while d < period.end:
        starts.append(d)
        d += timedelta(days=step)
    kinds = [k for k in KINDS if any(r["kind"] == k for r in rows)] + sorted(
        {r["kind"] for r in rows if r["kind"] not in KINDS}, key=str)
    counts = {(r["bucket_start"], r["kind"]): r["received"] for r in rows}
    labels = [s.strftime("%m-%d") for s in starts]
    series = [(kind_label(f, k), [counts.get((s, k), 0) for s in starts], PALETTE[i % len(PALETTE)])
              for i, k in enumerate(kinds)]
    return grouped_bar_chart("feedback_trend", f.t(f"feedback_chart_{period.grain}"), labels, series, f,
                             ylabel=column_label(f, "received"), stacked=True, value_kind="int")


@section("feedback")
def build(ctx: SectionContext):
    f, conn, period = ctx.f, ctx.conn, ctx.period
    title = f.section_title("feedback")
    if not input_present(conn, "feedback"):
        return missing_section("feedback", f, "feedback_missing")
    if not marts_exist(conn, "feedback_items", f"feedback_kpis_{period.grain}"):
        return Section("feedback", title, [], [f.t("biz_not_built", table="marts.feedback_items")]), {}
    kpis, has_period = period_kpis(conn, "feedback", period)
    if not has_period:
        return Section("feedback", title, [], [f.t("biz_no_period_rows", table=f"marts.feedback_kpis_{period.grain}",
                                                    label=period.label)]), {}
    params = {"period_start": period.start, "period_end": period.end, "limit": TOP_N}
    by_kind = run(conn, "feedback_by_kind", params)
    by_category = run(conn, "feedback_by_category", params)
    open_complaints = run(conn, "feedback_open_complaints", params)
    verbatims = run(conn, "feedback_verbatims", {**params, "limit": VERBATIMS})
    for r in by_kind + verbatims:
        r["kind_label"] = kind_label(f, r["kind"])
    for r in by_category:
        r["category_label"] = text_or_unknown(f, r["category"])
    for r in open_complaints + verbatims:
        r["category_label"] = text_or_unknown(f, r["category"])
    for r in open_complaints:
        r["status_label"] = status_label(f, r["status"])

    blocks = []
    chart = _trend_chart(conn, f, period)
    if chart is not None:
        blocks.append(Block("chart", chart.title, chart=chart))
    blocks += [
        table(f, f.t("feedback_table_kind"), [("kind_label", "text"), ("received", "int"), ("resolved", "int"),
                                              ("open", "int"), ("avg_rating", "num2")], by_kind),
        table(f, f.t("feedback_table_category"), [("category_label", "text"), ("received", "int"),
                                                  ("complaints", "int"), ("resolved", "int"), ("avg_rating", "num2")],
              by_category),
        table(f, f.t("feedback_table_open"), [("local_date", "date"), ("category_label", "text"),
                                              ("status_label", "text"), ("text", "text")], open_complaints,
              note=f.t("feedback_no_open")),
        table(f, f.t("feedback_table_verbatims"), [("local_date", "date"), ("kind_label", "text"),
                                                   ("category_label", "text"), ("rating", "int"), ("score", "int"),
                                                   ("text", "text")], verbatims),
    ]

    k = {m: kpis[m] for m in kpis}
    received = k["feedback_received"].value or 0
    sentences = []
    if received == 0:
        sentences.append(f.t("feedback_n_none", label=period.label))
    else:
        sentences.append(f.t("feedback_n_summary", n=fmt(f, "feedback_received", received),
                             change=change_phrase(f, "feedback_received", k["feedback_received"]),
                             complaints=fmt(f, "complaints", k["complaints"].value),
                             rate=fmt(f, "feedback_resolution_rate", k["feedback_resolution_rate"].value),
                             hours=fmt(f, "feedback_median_hours_to_resolve",
                                       k["feedback_median_hours_to_resolve"].value)))
        sat, nps = k["satisfaction"].value, k["nps"].value
        if sat is not None and nps is not None:
            sentences.append(f.t("feedback_n_sat_nps", sat=fmt(f, "satisfaction", sat),
                                 ratings=fmt(f, "satisfaction_ratings", k["satisfaction_ratings"].value),
                                 nps=fmt(f, "nps", nps), responses=fmt(f, "nps_responses", k["nps_responses"].value)))
        elif sat is not None:
            sentences.append(f.t("feedback_n_sat", sat=fmt(f, "satisfaction", sat),
                                 ratings=fmt(f, "satisfaction_ratings", k["satisfaction_ratings"].value)))
        elif nps is not None:
            sentences.append(f.t("feedback_n_nps", nps=fmt(f, "nps", nps),
                                 responses=fmt(f, "nps_responses", k["nps_responses"].value)))
    top = by_category[0] if by_category else None
    open_count = k["open_complaints"].value or 0
    open_n = fmt(f, "open_complaints", open_count)
    if top is not None:
        sentences.append(f.t("feedback_n_theme_open" if open_count else "feedback_n_theme_no_open",
                             category=top["category_label"], n=f.value("int", top["received"]), open=open_n))
    else:
        sentences.append(f.t("feedback_n_open", open=open_n) if open_count else f.t("feedback_n_no_open"))
    return Section("feedback", title, kpi_cards(f, kpis, CARDS), sentences, blocks), kpis
