"""§5.15 Strategy evaluation (运营策略与成效评估).

For each strategy of the ``strategies`` input that had started by the period's end (so also
strategies of earlier periods: their effect is still of interest), and each key metric (DAU,
messages, new members, response rate; ``marts.strategy_metrics_daily``): the daily values of the
14 days before the strategy's date (d-14 .. d-1) against the 14 days from it (d .. d+13, cut at the
period's last day, so a report never reads data after its period), the means, the change in %
and the two-sided Mann–Whitney U p-value (``scipy.stats.mannwhitneyu``; days without a value, such
as a day without top-level messages for the response rate, are left out).

KPIs: ``strategies_evaluated`` and ``strategy_significant_effects`` (strategy x metric with
p < 0.05), each also for the previous period (history up to its end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy.stats import mannwhitneyu

from pipeline.periods import Period
from pipeline.report.data import Kpi, relative_change
from pipeline.report.i18n import format_p_statement, format_p_value
from pipeline.report.render import Block, Section
from pipeline.report.sections import SectionContext, section
from pipeline.report.sections import _charts
from pipeline.report.sections._util import input_state, kpi, kpi_views, mart_exists, run
from pipeline.report.sections.extras import chart_block, table_block

WINDOW_DAYS = 14
MAX_STRATEGIES = 8            # the latest ones
ALPHA = 0.05
METRICS = [("dau", "num1"), ("messages", "num1"), ("new_members", "num1"), ("response_rate", "pct")]


@dataclass(frozen=True)
class Effect:
    metric: str
    before: list[float]
    after: list[float]
    mean_before: float | None
    mean_after: float | None
    change: float | None
    p_value: float | None


def mann_whitney_p(before: list[float], after: list[float]) -> float | None:
    """Two-sided Mann–Whitney U p-value (scipy's default method), None without values on a side."""
    if not before or not after:
        return None
    with np.errstate(all="ignore"):
        p = float(mannwhitneyu(after, before, alternative="two-sided").pvalue)
    return None if np.isnan(p) else p


def effect(metric: str, before: list[float], after: list[float]) -> Effect:
    mb = float(np.mean(before)) if before else None
    ma = float(np.mean(after)) if after else None
    return Effect(metric, before, after, mb, ma, relative_change(ma, mb), mann_whitney_p(before, after))


def windows(start: date, last_day: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(before, after) inclusive date ranges of a strategy starting on ``start``."""
    before = (start - timedelta(days=WINDOW_DAYS), start - timedelta(days=1))
    after = (start, min(start + timedelta(days=WINDOW_DAYS - 1), last_day))
    return before, after


def evaluate(ctx: SectionContext, period: Period) -> list[dict] | None:
    """Every strategy started by ``period``'s end with its effects; None = no strategies input."""
    if input_state(ctx.conn, "strategies") == "missing":
        return None
    strategies = run(ctx.conn, "strategy_list", {"last_day": period.last_day})[:MAX_STRATEGIES]
    out = []
    for s in strategies:
        (b0, b1), (a0, a1) = windows(s["date"], period.last_day)
        days = (run(ctx.conn, "strategy_days", {"first_day": b0, "last_day": a1})
                if mart_exists(ctx.conn, "strategy_metrics_daily") else [])
        effects = []
        for metric, _ in METRICS:
            before = [r[metric] for r in days if b0 <= r["date"] <= b1 and r[metric] is not None]
            after = [r[metric] for r in days if a0 <= r["date"] <= a1 and r[metric] is not None]
            effects.append(effect(metric, [float(v) for v in before], [float(v) for v in after]))
        out.append({**s, "in_period": period.start <= s["date"] <= period.last_day, "days": days,
                    "after_end": a1, "effects": effects})
    return out


def _significant(strategies: list[dict]) -> int:
    return sum(1 for s in strategies for e in s["effects"] if e.p_value is not None and e.p_value < ALPHA)


@section("strategy")
def build(ctx: SectionContext) -> tuple[Section, dict[str, Kpi]]:
    f = ctx.f
    current = evaluate(ctx, ctx.period)
    previous = evaluate(ctx, ctx.period.previous())
    kpis = {
        "strategies_evaluated": kpi(None if current is None else len(current),
                                    None if previous is None else len(previous)),
        "strategy_significant_effects": kpi(None if current is None else _significant(current),
                                            None if previous is None else _significant(previous)),
    }
    title = f.t("x_table_strategy")
    blocks: list[Block] = []
    sentences: list[str] = []
    if current is None:
        note = f.t("x_no_strategies_input")
        blocks.append(Block("empty", title, note=note))
        sentences.append(note)
    elif not current:
        note = f.t("x_no_strategies_started")
        blocks.append(Block("empty", title, note=note))
        sentences.append(note)
    else:
        latest = current[0]
        chart = _charts.line_panels(
            "strategy", f.t("x_chart_strategy", name=latest["name"], date=f.value("date", latest["date"])),
            [(f.t(f"x_metric_{m}"), [r["date"] for r in latest["days"]], [r[m] for r in latest["days"]])
             for m, _ in METRICS], latest["date"], f)
        if chart is not None:
            blocks.append(chart_block(f, title, chart))
        rows = []
        for s in current:
            for e, (_, kind) in zip(s["effects"], METRICS):
                rows.append({
                    "strategy": s["name"], "date": s["date"], "in_period": f.t("yes" if s["in_period"] else "no"),
                    "metric": f.t(f"x_metric_{e.metric}"),
                    "mean_before": f.value(kind, e.mean_before), "mean_after": f.value(kind, e.mean_after),
                    "change": e.change, "p_value": format_p_value(f, e.p_value),
                    "days_compared": f.t("x_days_compared", before=len(e.before), after=len(e.after)),
                    "assessment": f.t(_assessment(e))})
        blocks.append(table_block(f, title, [
            ("strategy", "text"), ("date", "date"), ("in_period", "text"), ("metric", "text"),
            ("mean_before", "figure"), ("mean_after", "figure"), ("change", "change"), ("p_value", "figure"),
            ("days_compared", "figure"), ("assessment", "text")], rows))
        in_period = sum(1 for s in current if s["in_period"])
        sentences.append(f.t("x_n_strategy_count", n=f.value("int", len(current)),
                             in_period=f.value("int", in_period),
                             earlier=f.value("int", len(current) - in_period), days=WINDOW_DAYS))
        dau = latest["effects"][0]
        if dau.mean_before is not None and dau.mean_after is not None:
            sentences.append(f.t("x_n_strategy_latest", name=latest["name"], date=f.value("date", latest["date"]),
                                 before=f.value("num1", dau.mean_before), after=f.value("num1", dau.mean_after),
                                 change=f.value("change", dau.change), p=format_p_statement(f, dau.p_value),
                                 assessment=f.t(_assessment(dau))))
        sentences.append(f.t("x_n_strategy_significant", n=f.value("int", _significant(current)),
                             total=f.value("int", sum(len(s["effects"]) for s in current))))
    return (Section("strategy", f.section_title("strategy"), kpi_views(f, kpis, list(kpis)), sentences[:3], blocks),
            kpis)


def _assessment(e: Effect) -> str:
    if e.p_value is None or e.mean_before is None or e.mean_after is None:
        return "x_effect_na"
    if e.p_value >= ALPHA or e.mean_after == e.mean_before:
        return "x_effect_not_significant"
    return "x_effect_up" if e.mean_after > e.mean_before else "x_effect_down"
