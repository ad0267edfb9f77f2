"""Extra blocks of three core sections, appended by ``render.render_report`` (one hook call per
core section; not separate sections):

- growth (§5.4): acquisition channels, volume and quality: new members per channel with the
  previous period's, 7-day activation rate, week-4 retention (``marts.growth_channel_cohorts``);
- activity (§5.5): member segments core / regular / casual / silent (``marts.activity_segments_<grain>``),
  KPIs ``segment_<name>`` (persons) and ``segment_<name>_share``;
- growth and activity: figures a platform reports only as daily aggregates (WeCom customer-group
  statistics, ``marts.aggregate_growth_daily`` / ``aggregate_activity_daily``), in their own table
  titled "from aggregates", never added to the member-level figures; KPIs ``aggregate_*``;
- overview: how many accounts were merged into one person across platforms
  (``staging.identity_merges``), KPIs ``accounts_merged`` and ``merged_persons``;
- content (§5.6): published content performance by format and topic, its best items
  (``staging.content``, a business input: a missing file is said so), KPIs ``published_items``,
  ``published_views``, ``published_engagement_rate``; and the top keywords of what members wrote
  (jieba segmentation, see ``_text.py``).

:func:`extra_blocks` returns (blocks, KPIs) for a slug; other slugs get nothing.
"""

from __future__ import annotations

from pipeline.report.data import Kpi
from pipeline.report.render import Block, Table
from pipeline.report.sections import SectionContext
from pipeline.report.sections import _charts, _text
from pipeline.report.sections._util import input_state, kpi, label, mart_exists, run, table_exists

SEGMENTS = ["core", "regular", "casual", "silent"]
TOP_KEYWORDS = 20
TOP_CONTENT = 5


def extra_blocks(ctx: SectionContext, slug: str) -> tuple[list[Block], dict[str, Kpi]]:
    builders = {"overview": [identity_blocks], "growth": [acquisition_blocks, aggregate_growth_blocks],
                "activity": [segment_blocks, aggregate_activity_blocks], "content": [content_blocks]}
    blocks: list[Block] = []
    kpis: dict[str, Kpi] = {}
    for builder in builders.get(slug, []):
        more_blocks, more_kpis = builder(ctx)
        blocks += more_blocks
        kpis.update(more_kpis)
    return blocks, kpis


def table_block(f, title: str, columns: list[tuple[str, str]], rows: list[dict], note: str | None = None) -> Block:
    """A table of ``rows`` (column key, value kind); no rows -> an 'empty' block saying ``note``."""
    if not rows:
        return Block("empty", title, note=note or f.t("no_data"))
    # kind "figure": the value is already formatted (a KPI formatted by its own kind), right-aligned
    cells = [[r.get(key) if kind == "figure" else f.value(kind, r.get(key)) for key, kind in columns] for r in rows]
    return Block("table", title, table=Table(title, [f.column_label(k) for k, _ in columns],
                                             [k for _, k in columns], cells))


def chart_block(f, title: str, chart) -> Block | None:
    return Block("chart", chart.title, chart=chart) if chart is not None else None


# ---------------------------------------------------------------------------------------------
# growth: acquisition channels
# ---------------------------------------------------------------------------------------------

def channel_rows(ctx: SectionContext) -> list[dict]:
    if not mart_exists(ctx.conn, "growth_channel_cohorts"):
        return []
    p = ctx.period
    params = {"period_start": p.start, "period_end": p.end, "previous_start": p.previous().start}
    return run(ctx.conn, "growth_channel_quality", params)


def acquisition_blocks(ctx: SectionContext) -> tuple[list[Block], dict[str, Kpi]]:
    f = ctx.f
    title = f.t("x_table_acquisition")
    rows = channel_rows(ctx)
    if rows and all(r["acquisition_channel"] is None for r in rows):
        missing = input_state(ctx.conn, "member_profiles") == "missing"
        return [Block("empty", title, note=f.t("x_no_profiles_channel" if missing else "x_no_channel_values"))], {}
    total = sum(r["new_members"] for r in rows)
    shown = []
    for r in rows:
        k = kpi(r["new_members"], r["previous_new_members"])
        shown.append({**r, "acquisition_channel": label(f, r["acquisition_channel"]), "change": k.change,
                      "share": r["new_members"] / total if total else None})
    blocks = [table_block(f, title, [("acquisition_channel", "text"), ("new_members", "int"),
                                     ("previous_new_members", "int"), ("change", "change"), ("share", "pct"),
                                     ("activation_rate_7d", "pct"), ("week4_cohort", "int"),
                                     ("week4_retention", "pct")], shown)]
    chart = _charts.grouped_bars(
        "acquisition", f.t("x_chart_acquisition"), [r["acquisition_channel"] for r in shown[:10]],
        [(f.t("x_legend_this_period"), [r["new_members"] for r in shown[:10]], _charts.COLORS["new"]),
         (f.t("x_legend_previous_period"), [r["previous_new_members"] for r in shown[:10]], _charts.PREVIOUS_COLOR)],
        f.t("axis_members"))
    if chart is not None:
        blocks.insert(0, chart_block(f, title, chart))
    return blocks, {}


# ---------------------------------------------------------------------------------------------
# overview: accounts merged into persons
# ---------------------------------------------------------------------------------------------

def identity_blocks(ctx: SectionContext) -> tuple[list[Block], dict[str, Kpi]]:
    """Accounts merged across platforms, by basis. Person metrics count persons, so the report says
    how many accounts were folded into others (accounts - persons)."""
    f = ctx.f
    title = f.t("x_table_identity")
    if not table_exists(ctx.conn, "staging", "identity_merges"):
        return [], {}
    rows = run(ctx.conn, "identity_merges", {})
    total = next(r for r in rows if r["is_total"])
    merged = total["accounts"] - total["persons"]
    kpis = {"accounts_merged": kpi(merged, None), "merged_persons": kpi(total["persons"], None)}
    if not total["accounts"]:
        return [Block("empty", title, note=f.t("x_identity_none"))], kpis
    shown = [{**r, "basis": f.t("x_identity_total") if r["is_total"] else f.t(f"x_identity_{r['basis']}")
              if r["basis"] in ("identity_map", "email", "phone") else label(f, r["basis"]),
              "accounts_merged": r["accounts"] - r["persons"]} for r in rows]
    block = table_block(f, f.t("x_table_identity_n", accounts=f.value("int", total["accounts"]),
                               persons=f.value("int", total["persons"]), merged=f.value("int", merged)),
                        [("basis", "text"), ("accounts", "int"), ("persons", "int"), ("accounts_merged", "int"),
                         ("sources", "int")], shown)
    return [block], kpis


# ---------------------------------------------------------------------------------------------
# growth and activity: figures from aggregates (WeCom customer-group statistics)
# ---------------------------------------------------------------------------------------------

def _aggregate_rows(ctx: SectionContext, mart: str, query: str) -> list[dict]:
    if not mart_exists(ctx.conn, mart):
        return []
    p = ctx.period
    return run(ctx.conn, query, {"period_start": p.start, "period_end": p.end, "previous_start": p.previous().start})


def _sum(rows: list[dict], key: str):
    values = [r[key] for r in rows if r[key] is not None]
    return sum(values) if values else None


def aggregate_growth_blocks(ctx: SectionContext) -> tuple[list[Block], dict[str, Kpi]]:
    """Growth a platform reports only as daily totals; nothing at all when no source has any."""
    f = ctx.f
    rows = _aggregate_rows(ctx, "aggregate_growth_daily", "aggregate_growth")
    if not rows:
        return [], {}
    kpis = {"aggregate_new_members": kpi(_sum(rows, "new_members"), _sum(rows, "previous_new_members")),
            "aggregate_total_members": kpi(_sum(rows, "total_members"), None)}
    shown = [{**r, "change": kpi(r["new_members"], r["previous_new_members"]).change} for r in rows]
    return [table_block(f, f.t("x_table_aggregate_growth"), [
        ("source", "text"), ("platform", "text"), ("days", "int"), ("new_members", "int"),
        ("previous_new_members", "int"), ("change", "change"), ("total_members", "int"), ("new_groups", "int"),
        ("total_groups", "int"), ("last_date", "date")], shown)], kpis


def aggregate_activity_blocks(ctx: SectionContext) -> tuple[list[Block], dict[str, Kpi]]:
    """Activity a platform reports only as daily totals; nothing at all when no source has any."""
    f = ctx.f
    rows = _aggregate_rows(ctx, "aggregate_activity_daily", "aggregate_activity")
    if not rows:
        return [], {}
    kpis = {"aggregate_messages": kpi(_sum(rows, "messages"), _sum(rows, "previous_messages")),
            "aggregate_avg_active_members": kpi(_sum(rows, "avg_active_members"),
                                                _sum(rows, "previous_avg_active_members"))}
    shown = [{**r, "change": kpi(r["messages"], r["previous_messages"]).change} for r in rows]
    return [table_block(f, f.t("x_table_aggregate_activity"), [
        ("source", "text"), ("platform", "text"), ("days", "int"), ("messages", "int"), ("previous_messages", "int"),
        ("change", "change"), ("avg_active_members", "num1"), ("avg_active_groups", "num1"),
        ("total_members", "int")], shown)], kpis


# ---------------------------------------------------------------------------------------------
# activity: member segments
# ---------------------------------------------------------------------------------------------

def segment_kpis(ctx: SectionContext) -> tuple[dict[str, Kpi], list[dict]]:
    """``segment_<name>`` and ``segment_<name>_share`` KPIs, and the table rows (empty: no mart rows)."""
    p = ctx.period
    grain_table = f"activity_segments_{p.grain}"
    rows = (run(ctx.conn, "activity_segments", {"grain": p.grain, "period_start": p.start,
                                                "previous_start": p.previous().start})
            if mart_exists(ctx.conn, grain_table) else [])
    current = {r["segment"]: r for r in rows if r["period_start"] == p.start}
    before = {r["segment"]: r for r in rows if r["period_start"] == p.previous().start}
    if not current:
        return {}, []
    kpis, table = {}, []
    for s in SEGMENTS:
        c, b = current.get(s, {}), before.get(s, {})
        kpis[f"segment_{s}"] = kpi(c.get("persons"), b.get("persons"))
        kpis[f"segment_{s}_share"] = kpi(c.get("share"), b.get("share"))
        table.append({"segment": s, "persons": c.get("persons"), "share": c.get("share"),
                      "previous": b.get("persons"), "change": kpis[f"segment_{s}"].change,
                      "period_days": c.get("period_days")})
    return kpis, table


def segment_blocks(ctx: SectionContext) -> tuple[list[Block], dict[str, Kpi]]:
    f = ctx.f
    kpis, rows = segment_kpis(ctx)
    title = f.t("x_table_segments")
    if not rows:
        return [Block("empty", title, note=f.t("no_data"))], kpis
    shown = [{**r, "segment": f.t(f"x_segment_{r['segment']}"), "definition": f.t(f"x_segment_{r['segment']}_def")}
             for r in rows]
    blocks = [table_block(f, title, [("segment", "text"), ("definition", "text"), ("persons", "int"), ("share", "pct"),
                                     ("previous", "int"), ("change", "change")], shown)]
    chart = _charts.grouped_bars(
        "segments", f.t("x_chart_segments"), [r["segment"] for r in shown],
        [(f.t("x_legend_this_period"), [r["persons"] for r in rows], _charts.COLORS["total"]),
         (f.t("x_legend_previous_period"), [r["previous"] for r in rows], _charts.PREVIOUS_COLOR)],
        f.t("axis_members"))
    if chart is not None:
        blocks.insert(0, chart_block(f, title, chart))
    return blocks, kpis


# ---------------------------------------------------------------------------------------------
# content: published content and top keywords
# ---------------------------------------------------------------------------------------------

def published_kpis(ctx: SectionContext) -> tuple[dict[str, Kpi], list[dict] | None]:
    """KPIs of the published content and the query rows; rows None = no content input."""
    if input_state(ctx.conn, "content") == "missing":
        return {}, None
    p = ctx.period
    params = {"period_start": p.start, "period_end": p.end, "previous_start": p.previous().start}
    rows = run(ctx.conn, "content_published", params)
    total = {r["which"]: r for r in rows if r["dimension"] == "total"}
    c, b = total.get("current", {}), total.get("previous", {})
    kpis = {
        "published_items": kpi(c.get("items", 0), b.get("items", 0)),
        "published_views": kpi(c.get("views", 0), b.get("views", 0)),
        "published_engagement_rate": kpi(c.get("engagement_rate"), b.get("engagement_rate")),
    }
    return kpis, rows


def content_blocks(ctx: SectionContext) -> tuple[list[Block], dict[str, Kpi]]:
    f = ctx.f
    blocks: list[Block] = []
    kpis, rows = published_kpis(ctx)
    if rows is None:
        blocks.append(Block("empty", f.t("x_table_published"), note=f.t("x_no_content_input")))
    else:
        total = next((r for r in rows if r["which"] == "current" and r["dimension"] == "total"), None)
        summary = []
        for name in ("published_items", "published_views", "published_engagement_rate"):
            k = kpis[name]
            summary.append({"metric": f.metric_label(name), "value": f.metric(name, k.value),
                            "previous": f.metric(name, k.previous), "change": k.change})
        blocks.append(table_block(f, f.t("x_table_published"), [
            ("metric", "text"), ("value", "figure"), ("previous", "figure"), ("change", "change")], summary))
        columns = [("items", "int"), ("views", "int"), ("likes", "int"), ("comments", "int"), ("shares", "int"),
                   ("engagement_rate", "pct")]
        for dim in ("format", "topic"):
            dim_rows = [{**r, dim: label(f, r["value"])} for r in rows
                        if r["which"] == "current" and r["dimension"] == dim]
            blocks.append(table_block(f, f.t(f"x_table_published_by_{dim}"), [(dim, "text"), *columns], dim_rows,
                                      note=f.t("x_no_content_in_period")))
        if total is not None:
            top = run(ctx.conn, "content_top_items",
                      {"period_start": ctx.period.start, "period_end": ctx.period.end, "limit": TOP_CONTENT})
            blocks.append(table_block(f, f.t("x_table_top_content"), [
                ("title", "text"), ("format", "text"), ("topic", "text"), ("published_date", "date"),
                ("views", "int"), ("engagements", "int"), ("engagement_rate", "pct")], top))
            by_format = [r for r in rows if r["which"] == "current" and r["dimension"] == "format"]
            chart = _charts.bar_panels("published", f.t("x_chart_published"), [
                (f.column_label("views"), [label(f, r["value"]) for r in by_format], [r["views"] for r in by_format]),
                (f.column_label("items"), [label(f, r["value"]) for r in by_format], [r["items"] for r in by_format]),
            ], "")
            if chart is not None:
                blocks.append(chart_block(f, "", chart))
    blocks += keyword_blocks(ctx)
    return blocks, kpis


def keyword_blocks(ctx: SectionContext) -> list[Block]:
    f = ctx.f
    title = f.t("x_table_keywords")
    texts = ctx.member_text_count(ctx.period)
    if texts == 0:
        return [Block("empty", title, note=f.t("no_data"))]
    if texts > _text.KEYWORD_SAMPLE:
        title = f.t("x_table_keywords_sampled", n=f.value("int", _text.KEYWORD_SAMPLE), total=f.value("int", texts))
    rows = [{"rank": i, **r} for i, r in enumerate(_text.top_keywords(ctx.conn, ctx.period, TOP_KEYWORDS), start=1)]
    blocks = [table_block(f, title, [("rank", "int"), ("keyword", "text"), ("mentions", "int"), ("messages", "int"),
                                     ("persons", "int")], rows)]
    top = rows[:15]
    chart = _charts.bar_panels("keywords", f.t("x_chart_keywords"),
                               [("", [r["keyword"] for r in top], [r["mentions"] for r in top])],
                               f.column_label("mentions"), columns=1)
    if chart is not None:
        blocks.insert(0, chart_block(f, title, chart))
    return blocks
