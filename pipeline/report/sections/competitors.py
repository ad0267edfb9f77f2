"""Section 11, competitor comparison (竞品分析): our figure beside each competitor's, per metric, for
the period (product.md §5.11).

Reads ``marts.competitors_comparison`` (staging.competitors beside our period KPI marts). The figures
of a report are those of its own grain (competitor data is usually monthly: a weekly report then says
where it is compared). KPIs: competitors, competitor_metrics_compared (metrics with our figure and at
least one competitor's), competitor_metrics_leading (of those, metrics where we are at least as good
as every competitor; lower is better for e.g. response time).
"""

from __future__ import annotations

from pipeline.periods import period_containing
from pipeline.report.render import Block, Section, Table
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._business import (PALETTE, column_label, fmt, grouped_bar_chart, input_present, kpi,
                                                kpi_cards, marts_exist, missing_section, run)

CARDS = ["competitors", "competitor_metrics_compared", "competitor_metrics_leading"]


def _summary(rows: list[dict]) -> dict:
    by_metric: dict[str, list[dict]] = {}
    for r in rows:
        by_metric.setdefault(r["metric"], []).append(r)
    compared = {m: rs for m, rs in by_metric.items()
                if rs[0]["our_value"] is not None and any(r["competitor_value"] is not None for r in rs)}
    leading = [m for m, rs in compared.items() if all(r["we_lead"] for r in rs if r["we_lead"] is not None)]
    return {"competitors": float(len({r["competitor"] for r in rows})),
            "competitor_metrics_compared": float(len(compared)),
            "competitor_metrics_leading": float(len(leading)),
            "_by_metric": by_metric, "_compared": compared, "_leading": leading}


@section("competitors")
def build(ctx: SectionContext):
    f, conn, period = ctx.f, ctx.conn, ctx.period
    title = f.section_title("competitors")
    if not input_present(conn, "competitors"):
        return missing_section("competitors", f, "competitors_missing")
    if not marts_exist(conn, "competitors_comparison"):
        return Section("competitors", title, [], [f.t("biz_not_built", table="marts.competitors_comparison")]), {}
    previous = period.previous()
    rows = run(conn, "competitors_period", {"grain": period.grain, "period_start": period.start,
                                            "previous_start": previous.start})
    current = [r for r in rows if r["period_start"] == period.start]
    before = [r for r in rows if r["period_start"] == previous.start]
    if not current:
        sentences = [f.t(f"competitors_none_{period.grain}", label=period.label)]
        if period.grain == "weekly":
            month = period_containing("monthly", period.start)
            monthly = run(conn, "competitors_period", {"grain": "monthly", "period_start": month.start,
                                                       "previous_start": month.start})
            if monthly:
                sentences.append(f.t("competitors_monthly_elsewhere", month=month.label))
        return Section("competitors", title, [], sentences), {}

    now = _summary(current)
    then = _summary(before) if before else {}
    kpis = {m: kpi(now[m], then.get(m)) for m in CARDS}

    names = sorted({r["competitor"] for r in current}, key=str)
    by_metric = now["_by_metric"]
    cells = []
    for metric, rs in by_metric.items():
        theirs = {r["competitor"]: r["competitor_value"] for r in rs}
        ours = rs[0]["our_value"]
        behind = [r["competitor"] for r in rs if r["we_lead"] is False]
        if ours is None:
            position = f.t("competitors_no_ours")
        elif behind:
            position = f.t("competitors_behind", names=f.t("biz_list_sep").join(str(n) for n in behind))
        else:
            position = f.t("competitors_lead_all")
        cells.append([f.metric_label(metric), fmt(f, metric, ours)]
                     + [fmt(f, metric, theirs.get(n)) for n in names] + [position])
    headers = [column_label(f, "competitor_metric"), column_label(f, "ours")] + [str(n) for n in names] \
        + [column_label(f, "position")]
    table_title = f.t("competitors_table", label=period.label)
    blocks = [Block("table", table_title, table=Table(table_title, headers,
                                                      ["text", "num2"] + ["num2"] * len(names) + ["text"], cells))]
    compared = now["_compared"]
    metrics = list(compared)
    series = [(str(n), [next((r["competitor_value"] / r["our_value"] for r in compared[m]
                              if r["competitor"] == n and r["competitor_value"] is not None and r["our_value"]), None)
                        for m in metrics], PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)]
    chart = grouped_bar_chart("competitors_ratio", f.t("competitors_chart"), [f.metric_label(m) for m in metrics],
                              series, f, ylabel=f.t("competitors_axis"), reference=1.0, value_kind="pct")
    if chart is not None:
        blocks.append(Block("chart", chart.title, chart=chart))

    sentences = [f.t("competitors_n_summary", competitors=f.value("int", now["competitors"]),
                     metrics=f.value("int", now["competitor_metrics_compared"]),
                     leading=f.value("int", now["competitor_metrics_leading"]))]
    # the widest gap: the metric where the best competitor is furthest ahead of us (ratio)
    gaps = []
    for m, rs in compared.items():
        for r in rs:
            if r["we_lead"] is False and r["our_value"] and r["competitor_value"]:
                ratio = (r["our_value"] / r["competitor_value"] if r["lower_is_better"]
                         else r["competitor_value"] / r["our_value"])
                gaps.append((ratio, m, r))
    if gaps:
        _, m, r = max(gaps, key=lambda g: (g[0], g[1], str(g[2]["competitor"])))
        sentences.append(f.t("competitors_n_gap", metric=f.metric_label(m), ours=fmt(f, m, r["our_value"]),
                             competitor=r["competitor"], theirs=fmt(f, m, r["competitor_value"])))
    missing = [m for m in by_metric if by_metric[m][0]["our_value"] is None]
    if missing:
        sentences.append(f.t("competitors_n_no_ours", n=f.value("int", len(missing)),
                             metrics=f.t("biz_list_sep").join(f.metric_label(m) for m in missing)))
    return Section("competitors", title, kpi_cards(f, kpis, CARDS), sentences, blocks), kpis
