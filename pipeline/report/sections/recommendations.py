"""§5.16 Recommendations (改进建议): rule-based, each tied to the evidence that triggered it.

Every rule reads one figure of the period (a KPI of ``marts.kpis_<grain>``, a member segment, the
heatmap, the chat channels, and the feedback / incidents inputs when they exist), compares it with
its threshold (:data:`THRESHOLDS`, strict comparisons: a value exactly at the threshold does not
trigger) and, when triggered, yields a recommendation that states the metric, its value and the
threshold. A rule without its figure (no data, input missing) is listed as not evaluated. The
section shows the triggered recommendations first, then every rule checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipeline.report.data import Kpi
from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections._util import input_state, kpi_views, mart_exists, run
from pipeline.report.sections.extras import segment_kpis, table_block

THRESHOLDS = {
    "response_rate": 0.50,                 # below: set up a Q&A rota
    "median_first_response_minutes": 60.0, # above: faster first replies
    "churn_rate_change": 0.20,             # churn rate up by more than 20 % (relative)
    "activation_rate_7d": 0.30,            # below: onboarding
    "new_members_change": -0.20,           # new members down by more than 20 %
    "avg_dau_change": -0.10,               # average DAU down by more than 10 %
    "segment_silent_share": 0.50,          # above: re-engage silent members
    "slot_ratio": 2.0,                     # busiest slot >= 2x the mean of active slots: announce then
    "slot_min_messages": 20,               # ... when the period has at least this many messages
    "channel_change": -0.30,               # a chat channel's messages down by more than 30 % ...
    "channel_min_previous": 20,            # ... from at least this many in the previous period
    "open_complaints": 0,                  # above: follow up
    "open_incidents": 0,                   # above: follow up
}


@dataclass
class Rule:
    key: str                     # x_rec_<key> is the recommendation text, x_rule_<key> the evidence label
    value: float | None          # the evidence; None = not evaluated
    kind: str                    # Formatter kind of value and threshold
    threshold: float
    triggered: bool
    params: dict = field(default_factory=dict)    # extra (formatted) values for the recommendation text
    metric: str | None = None    # the KPI shown as a card when triggered


def _below(v, t) -> bool:
    return v is not None and v < t


def _above(v, t) -> bool:
    return v is not None and v > t


def evaluate(ctx: SectionContext) -> tuple[list[Rule], dict[str, Kpi]]:
    """Every rule for the report period, and the section-level KPIs the rules used."""
    f, p, data = ctx.f, ctx.period, ctx.data
    t = THRESHOLDS
    rules: list[Rule] = []
    extra_kpis: dict[str, Kpi] = {}

    rr = data.kpi("response_rate").value
    rules.append(Rule("response_rate", rr, "pct", t["response_rate"], _below(rr, t["response_rate"]),
                      metric="response_rate"))
    frt = data.kpi("median_first_response_minutes").value
    rules.append(Rule("first_response", frt, "minutes", t["median_first_response_minutes"],
                      _above(frt, t["median_first_response_minutes"]), metric="median_first_response_minutes"))
    churn = data.kpi("churn_rate")
    rules.append(Rule("churn", churn.change, "change", t["churn_rate_change"],
                      _above(churn.change, t["churn_rate_change"]),
                      {"value": f.metric("churn_rate", churn.value),
                       "previous": f.metric("churn_rate", churn.previous)},
                      metric="churn_rate"))
    act = data.kpi("activation_rate_7d").value
    rules.append(Rule("onboarding", act, "pct", t["activation_rate_7d"], _below(act, t["activation_rate_7d"]),
                      metric="activation_rate_7d"))
    new = data.kpi("new_members")
    rules.append(Rule("acquisition", new.change, "change", t["new_members_change"],
                      _below(new.change, t["new_members_change"]),
                      {"value": f.metric("new_members", new.value), "previous": f.metric("new_members", new.previous)},
                      metric="new_members"))
    dau = data.kpi("avg_dau")
    rules.append(Rule("activity", dau.change, "change", t["avg_dau_change"], _below(dau.change, t["avg_dau_change"]),
                      {"value": f.metric("avg_dau", dau.value), "previous": f.metric("avg_dau", dau.previous)},
                      metric="avg_dau"))

    segments, _ = segment_kpis(ctx)
    silent = segments.get("segment_silent_share")
    if silent is not None:
        extra_kpis["segment_silent_share"] = silent
    rules.append(Rule("silent", silent.value if silent else None, "pct", t["segment_silent_share"],
                      _above(silent.value if silent else None, t["segment_silent_share"]),
                      metric="segment_silent_share"))

    period = {"period_start": p.start, "period_end": p.end}
    slots = (run(ctx.conn, "recommendations_heatmap_slots", period)
             if mart_exists(ctx.conn, "activity_heatmap_daily") else [])
    total = sum(s["messages"] for s in slots)
    ratio = slots[0]["messages"] / (total / len(slots)) if slots and total >= t["slot_min_messages"] else None
    rules.append(Rule("slot", ratio, "num1", t["slot_ratio"], ratio is not None and ratio >= t["slot_ratio"],
                      {"slot": f.slot(slots[0]["weekday"], slots[0]["hour"]) if slots else "",
                       "messages": f.value("int", slots[0]["messages"]) if slots else ""}))

    channels = (run(ctx.conn, "recommendations_channel_activity", {**period, "previous_start": p.previous().start})
                if mart_exists(ctx.conn, "content_channel_daily") else [])
    falling = [(c["messages"] / c["previous_messages"] - 1, c) for c in channels
               if c["previous_messages"] >= t["channel_min_previous"]]
    falling.sort(key=lambda x: (x[0], x[1]["source"], x[1]["channel_id"]))
    worst = falling[0] if falling else None
    rules.append(Rule("channel", worst[0] if worst else None, "change", t["channel_change"],
                      worst is not None and worst[0] < t["channel_change"],
                      {"channel": str(worst[1]["channel"] or worst[1]["channel_id"]) if worst else "",
                       "value": f.value("int", worst[1]["messages"]) if worst else "",
                       "previous": f.value("int", worst[1]["previous_messages"]) if worst else ""}))

    for key, name in (("complaints", "feedback"), ("incidents", "incidents")):
        count = None
        if input_state(ctx.conn, name) == "present":
            try:
                count = run(ctx.conn, f"recommendations_open_{key}",
                            {"period_end": p.end, "timezone": ctx.config.timezone})[0][f"open_{key}"]
            except duckdb.Error:          # an input without the columns the rule needs: not evaluated
                count = None
        rules.append(Rule(key, count, "int", t[f"open_{key}"], _above(count, t[f"open_{key}"])))
    return rules, extra_kpis


@section("recommendations")
def build(ctx: SectionContext) -> tuple[Section, dict[str, Kpi]]:
    f = ctx.f
    rules, kpis = evaluate(ctx)
    triggered = [r for r in rules if r.triggered]
    rows, checked = [], []
    for i, r in enumerate(triggered, start=1):
        params = {"value_text": f.value(r.kind, r.value), "threshold_text": f.value(r.kind, r.threshold), **r.params}
        rows.append({"rank": i, "recommendation": f.t(f"x_rec_{r.key}", **params),
                     "evidence": f.t(f"x_rule_{r.key}"), "value": f.value(r.kind, r.value),
                     "threshold": f.t(f"x_cmp_{r.key}", threshold=f.value(r.kind, r.threshold))})
    for r in rules:
        status = "x_rule_triggered" if r.triggered else ("x_rule_not_evaluated" if r.value is None else "x_rule_ok")
        checked.append({"evidence": f.t(f"x_rule_{r.key}"), "value": f.value(r.kind, r.value),
                        "threshold": f.t(f"x_cmp_{r.key}", threshold=f.value(r.kind, r.threshold)),
                        "result": f.t(status)})
    blocks = [
        table_block(f, f.t("x_table_recommendations"), [("rank", "int"), ("recommendation", "text"),
                                                         ("evidence", "text"), ("value", "figure"),
                                                         ("threshold", "figure")], rows,
                    note=f.t("x_no_recommendations")),
        table_block(f, f.t("x_table_rules"), [("evidence", "text"), ("value", "figure"), ("threshold", "figure"),
                                              ("result", "text")], checked),
    ]
    evaluated = sum(1 for r in rules if r.value is not None)
    if triggered:
        sentences = [f.t("x_n_recommendations", n=f.value("int", len(triggered)), checked=f.value("int", evaluated)),
                     f.t("x_n_recommendation_first", evidence=f.t(f"x_rule_{triggered[0].key}"),
                         value=f.value(triggered[0].kind, triggered[0].value),
                         threshold=f.t(f"x_cmp_{triggered[0].key}",
                                       threshold=f.value(triggered[0].kind, triggered[0].threshold)))]
    elif evaluated:
        sentences = [f.t("x_n_no_recommendations", checked=f.value("int", evaluated))]
    else:
        sentences = [f.t("no_data")]
    cards = list(dict.fromkeys(r.metric for r in triggered if r.metric)) or \
        ["response_rate", "activation_rate_7d", "churn_rate"]
    all_kpis = {**ctx.data.kpis, **kpis}
    return (Section("recommendations", f.section_title("recommendations"), kpi_views(f, all_kpis, cards[:6]),
                    sentences, blocks),
            kpis)
