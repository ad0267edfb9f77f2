"""Rule-based narrative: one to three sentences per section (three to five findings in the summary).

Every sentence states only numbers that the report shows, formatted by the same
:class:`~pipeline.report.i18n.Formatter`; a sentence whose numbers are missing is left out
rather than padded. No network, no language model. Sentences are plain text: the templates
escape them (member names appear in some).
"""

from __future__ import annotations

from pipeline.report.data import ReportData
from pipeline.report.i18n import Formatter

HEADLINE = ["new_members", "net_growth", "total_members", "active_members", "avg_dau", "messages",
            "response_rate", "stickiness"]


def change_phrase(data: ReportData, metric: str, f: Formatter) -> str:
    k = data.kpi(metric)
    previous = f.metric(metric, k.previous)
    if k.change is None:
        return f.t("n_change_na") if k.previous is None or k.value is None else f.t("n_change_from_zero", previous=previous)
    if k.change == 0:
        return f.t("n_change_flat", previous=previous)
    key = "n_change_up" if k.change > 0 else "n_change_down"
    return f.t(key, change=f.value("pct", abs(k.change)), previous=previous)


def _have(data: ReportData, *metrics: str) -> bool:
    return all(data.kpi(m).value is not None for m in metrics)


def _m(data: ReportData, metric: str, f: Formatter) -> str:
    return f.metric(metric, data.kpi(metric).value)


def best_slots(data: ReportData, n: int = 5) -> list[dict]:
    """The heatmap cells with the most messages (the query orders them)."""
    return data.tables["heatmap"][:n]


def channel_totals(data: ReportData) -> tuple[float, float]:
    rows = data.tables["channels"]
    return sum(r["messages"] or 0 for r in rows), sum(r["replies"] or 0 for r in rows)


def summary(data: ReportData, f: Formatter) -> list[str]:
    if not data.has_current:
        return [f.t("n_summary_no_kpis", label=data.period.label, table=f"kpis_{data.period.grain}")]
    out = []
    if _have(data, "new_members", "left_members", "net_growth", "total_members"):
        out.append(f.t("n_summary_growth", new=_m(data, "new_members", f), left=_m(data, "left_members", f),
                       net=_m(data, "net_growth", f), total=_m(data, "total_members", f)))
    if _have(data, "active_members", "messages", "avg_dau"):
        out.append(f.t("n_summary_activity", active=_m(data, "active_members", f),
                       messages=_m(data, "messages", f), dau=_m(data, "avg_dau", f)))
    moved = [(abs(data.kpi(m).change), m) for m in HEADLINE if data.kpi(m).change is not None]
    if moved:
        _, metric = max(moved, key=lambda t: (t[0], -HEADLINE.index(t[1])))
        out.append(f.t("n_summary_biggest", label=f.metric_label(metric), value=_m(data, metric, f),
                       change=change_phrase(data, metric, f)))
    if _have(data, "response_rate", "median_first_response_minutes"):
        out.append(f.t("n_summary_response", rate=_m(data, "response_rate", f),
                       minutes=_m(data, "median_first_response_minutes", f)))
    slots = best_slots(data, 1)
    if slots:
        out.append(f.t("n_summary_slot", slot=f.slot(slots[0]["weekday"], slots[0]["hour"]),
                       messages=f.value("int", slots[0]["messages"])))
    if not data.has_previous:
        out.append(f.t("no_previous"))
    return out[:5]


def overview(data: ReportData, f: Formatter) -> list[str]:
    out = []
    sources = data.tables["sources"]
    if sources and _have(data, "total_members", "active_members"):
        out.append(f.t("n_overview", name=data.community["name"], sources=f.value("int", len(sources)),
                       channels=f.value("int", sum(r["channels"] or 0 for r in sources)),
                       total=_m(data, "total_members", f), active=_m(data, "active_members", f)))
    if _have(data, "stickiness"):
        out.append(f.t("n_overview_level", stickiness=_m(data, "stickiness", f),
                       level=f.activity_level(data.kpi("stickiness").value)))
    return out or [f.t("no_data")]


def growth(data: ReportData, f: Formatter) -> list[str]:
    out = []
    if _have(data, "new_members", "left_members", "net_growth", "total_members"):
        out.append(f.t("n_growth_net", new=_m(data, "new_members", f), left=_m(data, "left_members", f),
                       net=_m(data, "net_growth", f), total=_m(data, "total_members", f)))
    by_source = [r for r in data.tables["growth_by_source"] if r["new_members"]]
    if by_source:
        out.append(f.t("n_growth_source", source=by_source[0]["source"],
                       new=f.value("int", by_source[0]["new_members"])))
    if _have(data, "churn_rate", "activation_rate_7d"):
        out.append(f.t("n_growth_churn", churn=_m(data, "churn_rate", f),
                       activation=_m(data, "activation_rate_7d", f)))
    if len(out) < 3:
        week1 = [r for r in data.tables["cohorts"] if r["weeks_since"] == 1 and r["cohort_size"]]
        if week1:
            r = week1[-1]
            out.append(f.t("n_growth_cohort", cohort=f.t("week_of", start=f.value("date", r["cohort_week"])),
                           size=f.value("int", r["cohort_size"]), rate=f.value("pct", r["retention_rate"])))
    return out or [f.t("no_data")]


def activity(data: ReportData, f: Formatter) -> list[str]:
    out = []
    if _have(data, "avg_dau", "messages_per_active_member"):
        out.append(f.t("n_activity_dau", dau=_m(data, "avg_dau", f), change=change_phrase(data, "avg_dau", f),
                       per_member=_m(data, "messages_per_active_member", f)))
    slots = best_slots(data, 1)
    if slots:
        out.append(f.t("n_activity_slot", slot=f.slot(slots[0]["weekday"], slots[0]["hour"]),
                       messages=f.value("int", slots[0]["messages"])))
    top = data.tables["top_contributors"]
    if top:
        out.append(f.t("n_activity_top", member=top[0]["member"], messages=f.value("int", top[0]["messages"]),
                       reactions=f.value("int", top[0]["reactions"])))
    return out or [f.t("no_data")]


def content(data: ReportData, f: Formatter) -> list[str]:
    out = []
    channels = data.tables["channels"]
    total, replies = channel_totals(data)
    if channels and total:
        out.append(f.t("n_content_total", messages=f.value("int", total), channels=f.value("int", len(channels)),
                       replies=f.value("int", replies)))
        top = channels[0]
        out.append(f.t("n_content_top_channel", channel=top["channel"], messages=f.value("int", top["messages"]),
                       share=f.value("pct", top["messages"] / total)))
    threads = data.tables["hot_threads"]
    if threads:
        out.append(f.t("n_content_hot", author=threads[0]["member"], replies=f.value("int", threads[0]["replies"]),
                       reactions=f.value("int", threads[0]["reactions"])))
    return out or [f.t("no_data")]


def interaction(data: ReportData, f: Formatter) -> list[str]:
    out = []
    if _have(data, "response_rate"):
        out.append(f.t("n_interaction_rate", rate=_m(data, "response_rate", f),
                       change=change_phrase(data, "response_rate", f)))
    if _have(data, "median_first_response_minutes", "replies_per_top_level_message"):
        out.append(f.t("n_interaction_time", minutes=_m(data, "median_first_response_minutes", f),
                       replies=_m(data, "replies_per_top_level_message", f)))
    connectors = data.tables["connectors"]
    if connectors:
        out.append(f.t("n_interaction_connector", member=connectors[0]["member"],
                       persons=f.value("int", connectors[0]["persons_replied"])))
    return out or [f.t("no_data")]


def quality(data: ReportData, f: Formatter) -> list[str]:
    out = []
    files = data.tables["files_by_source"]
    if files:
        out.append(f.t("n_quality_files", files=f.value("int", sum(r["files"] for r in files)),
                       failed=f.value("int", sum(r["files_failed"] for r in files)),
                       rows_read=f.value("int", sum(r["rows_read"] for r in files)),
                       rows_loaded=f.value("int", sum(r["rows_loaded"] for r in files))))
    quarantine = data.tables["quarantine_by_rule"]
    if quarantine:
        by_rule: dict[str, int] = {}
        for r in quarantine:
            by_rule[r["rule"]] = by_rule.get(r["rule"], 0) + r["rows"]
        rule = max(sorted(by_rule), key=lambda k: by_rule[k])
        out.append(f.t("n_quality_quarantine", rows=f.value("int", sum(by_rule.values())), rule=rule,
                       rule_rows=f.value("int", by_rule[rule])))
    elif files:
        out.append(f.t("n_quality_no_quarantine"))
    if data.checks:
        failed = [str(c.get("name")) for c in data.checks if not c.get("passed")]
        sentence = f.t("n_quality_checks", passed=f.value("int", len(data.checks) - len(failed)),
                       total=f.value("int", len(data.checks)))
        if failed:
            sentence += ("" if f.language == "zh" else " ") + f.t("n_quality_checks_failed", names=", ".join(failed))
        out.append(sentence)
    return out[:3] or [f.t("no_data")]


def glossary(data: ReportData, f: Formatter) -> list[str]:
    return [f.t("n_glossary")]


SECTION_NARRATIVES = {"summary": summary, "overview": overview, "growth": growth, "activity": activity,
                      "content": content, "interaction": interaction, "quality": quality, "glossary": glossary}


def narrate(data: ReportData, f: Formatter) -> dict[str, list[str]]:
    """Section slug -> its sentences."""
    return {slug: build(data, f) for slug, build in SECTION_NARRATIVES.items()}
