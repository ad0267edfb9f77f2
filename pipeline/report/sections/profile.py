"""§5.9 Member profile & interests (用户画像与兴趣标签).

- Distributions by region, gender, age band and acquisition channel over the persons who are
  members at the period's end (``marts.profile_distribution_<grain>``; the attributes come from the
  ``member_profiles`` input through ``staging.members``). Without profiles the section says so.
- Interest tags: a configurable keyword -> tag dictionary (``pipeline/interest_tags.yaml``, or
  ``settings.interest_tags``) matched against the period's member messages; persons and
  messages per tag, this period and the previous one (``marts.interest_tags_daily``; see ``_text.py``).

KPIs: ``profile_coverage`` (share of members with any profile attribute) and ``tagged_members``
(persons whose messages carry at least one tag; None when the period has no member messages).
"""

from __future__ import annotations

from pipeline.interest_tags import TagDictionaryError, load_tags
from pipeline.report.data import Kpi
from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections import _charts, _text
from pipeline.report.sections._util import change_phrase, input_state, kpi, kpi_views, label, mart_exists, run
from pipeline.report.sections.extras import chart_block, table_block

DIMENSIONS = ["region", "gender", "age_band", "acquisition_channel"]
CHART_TOP = 8


def distributions(ctx: SectionContext) -> tuple[list[dict], list[dict]]:
    """(this period's rows, the previous period's rows) of the profile mart."""
    p = ctx.period
    if not mart_exists(ctx.conn, f"profile_distribution_{p.grain}"):
        return [], []
    rows = run(ctx.conn, "profile_distribution",
               {"grain": p.grain, "period_start": p.start, "previous_start": p.previous().start})
    return ([r for r in rows if r["period_start"] == p.start],
            [r for r in rows if r["period_start"] == p.previous().start])


def _coverage(rows: list[dict]) -> float | None:
    profile = [r for r in rows if r["dimension"] == "profile"]
    if not profile:
        return None
    return sum(r["share"] or 0 for r in profile if r["value"] == "known")


def _members(rows: list[dict]) -> int:
    return int(sum(r["members"] for r in rows if r["dimension"] == "profile"))


def interest_tags(ctx: SectionContext):
    """(tags, by_tag current, total current, by_tag previous, total previous, error message)."""
    try:
        tags = load_tags(ctx.config.interest_tags)
    except TagDictionaryError as exc:
        return [], {}, None, {}, None, str(exc)
    counts = []
    for period in (ctx.period, ctx.period.previous()):
        texts = ctx.member_text_count(period)
        counts.append(_text.period_tag_counts(ctx.conn, period, tags, texts) if texts else (None, None))
    (current, total), (before, total_before) = counts
    return tags, current or {}, total, before or {}, total_before, None


@section("profile")
def build(ctx: SectionContext) -> tuple[Section, dict[str, Kpi]]:
    f = ctx.f
    current, previous = distributions(ctx)
    coverage, coverage_before = _coverage(current), _coverage(previous)
    tags, by_tag, total, by_tag_before, total_before, tag_error = interest_tags(ctx)
    kpis = {
        "profile_coverage": kpi(coverage if _members(current) else None,
                                coverage_before if _members(previous) else None),
        "tagged_members": kpi(total["persons"] if total else None, total_before["persons"] if total_before else None),
    }
    blocks: list[Block] = []
    sentences: list[str] = []

    # --- distributions -------------------------------------------------------------------------
    members = _members(current)
    title = f.t("x_table_profile")
    if not members:
        blocks.append(Block("empty", title, note=f.t("no_data")))
    elif not coverage:
        missing = input_state(ctx.conn, "member_profiles") == "missing"
        note = f.t("x_no_profiles" if missing else "x_profiles_unmatched")
        blocks.append(Block("empty", title, note=note))
        sentences.append(note)
    else:
        panels, table = [], []
        for dim in DIMENSIONS:
            dim_rows = [r for r in current if r["dimension"] == dim]
            known = [r for r in dim_rows if r["value"] is not None][:CHART_TOP]
            panels.append((f.t(f"x_dim_{dim}"), [r["value"] for r in known], [r["members"] for r in known]))
            table += [{"dimension": f.t(f"x_dim_{dim}"), "dim_value": label(f, r["value"]),
                       "period_members": r["members"], "share": r["share"], "active_members": r["active_members"]}
                      for r in dim_rows]
        chart = _charts.bar_panels("profile", f.t("x_chart_profile"), panels, f.t("axis_members"))
        if chart is not None:
            blocks.append(chart_block(f, title, chart))
        blocks.append(table_block(f, title, [("dimension", "text"), ("dim_value", "text"), ("period_members", "int"),
                                             ("share", "pct"), ("active_members", "int")], table))
        sentences.append(f.t("x_n_profile_coverage", members=f.value("int", members),
                             coverage=f.value("pct", coverage)))
        tops = []
        for dim in ("region", "age_band"):
            known = [r for r in current if r["dimension"] == dim and r["value"] is not None]
            if known:
                tops.append(f.t("x_n_profile_top_item", dimension=f.t(f"x_dim_{dim}"), value=known[0]["value"],
                                share=f.value("pct", known[0]["share"])))
        if tops:
            sentences.append(f.t("x_n_profile_top", items=f.t("x_list_sep").join(tops)))

    # --- interest tags ---------------------------------------------------------------------------
    tag_title = f.t("x_table_interest_tags")
    if tag_error:
        blocks.append(Block("empty", tag_title, note=f.t("x_tags_error", error=tag_error)))
    elif total is None:
        blocks.append(Block("empty", tag_title, note=f.t("no_data")))
    else:
        rows = []
        for t in tags:
            c, b = by_tag.get(t.key, {}), by_tag_before.get(t.key, {})
            persons, before = c.get("persons", 0), (b.get("persons", 0) if total_before else None)
            keywords = ", ".join(t.keywords[:6]) + ("…" if len(t.keywords) > 6 else "")
            rows.append({"tag": t.name(f.language), "keywords": keywords,
                         "persons": persons, "messages": c.get("messages", 0), "previous": before,
                         "change": kpi(persons, before).change})
        rows.sort(key=lambda r: (-r["persons"], -r["messages"], r["tag"]))
        shown = [r for r in rows if r["persons"]]
        chart = _charts.bar_panels("interest_tags", f.t("x_chart_interest_tags"),
                                   [("", [r["tag"] for r in shown], [r["persons"] for r in shown])],
                                   f.t("axis_members"), columns=1)
        if chart is not None:
            blocks.append(chart_block(f, tag_title, chart))
        blocks.append(table_block(f, tag_title, [("tag", "text"), ("keywords", "text"), ("persons", "int"),
                                                 ("messages", "int"), ("previous", "int"), ("change", "change")],
                                  rows))
        sentences.append(f.t("x_n_tags_total", persons=f.value("int", total["persons"]),
                             messages=f.value("int", total["messages"]),
                             change=change_phrase(f, "tagged_members", kpis["tagged_members"])))
        if shown:
            top = shown[0]
            sentences.append(f.t("x_n_tags_top", tag=top["tag"], persons=f.value("int", top["persons"]),
                                 messages=f.value("int", top["messages"])))
    if not sentences:
        sentences.append(f.t("no_data"))
    return (Section("profile", f.section_title("profile"), kpi_views(f, kpis, list(kpis)), sentences[:3], blocks),
            kpis)
