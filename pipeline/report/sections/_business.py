"""Shared plumbing of the business-input sections: goals, campaigns, feedback, competitors, cost,
plan and incidents (product.md §5.3, 5.7, 5.10-5.14).

Not a section: it registers nothing. Each of those sections reads marts built from one or two of
the team's spreadsheets (``staging.<input>``); :func:`input_present` tells it whether the team
provided that input, so that it can say so plainly (and add no KPIs) instead of showing zeros.

Reads are small SELECTs in ``queries/<section>_*.sql`` beside this file, with bound ``$params``;
the only identifiers formatted into SQL are our own period-KPI mart names. Section KPIs come from
the long-form ``marts.<section>_kpis_<grain>`` tables (value of the period, of the previous one,
relative change), exactly as ``pipeline/report/data.py`` reads ``marts.kpis_<grain>``.
Values are formatted only by the :class:`~pipeline.report.i18n.Formatter`, with the kinds of
``BUSINESS_METRIC_KINDS``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from pipeline.periods import Period
from pipeline.report import charts
from pipeline.report.data import Kpi, relative_change
from pipeline.report.i18n import (BUSINESS_COLUMN_LABELS, BUSINESS_LOWER_IS_BETTER, BUSINESS_METRIC_KINDS,
                                  LOWER_IS_BETTER, METRIC_KINDS, Formatter)
from pipeline.report.render import Block, KpiView, Section, Table
from pipeline.sql_runner import bind
from pipeline.warehouse import table_exists

QUERY_DIR = Path(__file__).resolve().parent / "queries"
TOP_N = 10
VERBATIMS = 5


def number(v):
    """DuckDB DECIMAL -> float; NaN -> None."""
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def run(conn: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    """Rows of ``queries/<name>.sql`` as dicts (numbers normalised by :func:`number`)."""
    sql = (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")
    cur = conn.execute(sql, bind(sql, params))
    columns = [d[0] for d in cur.description]
    return [{c: number(v) for c, v in zip(columns, row)} for row in cur.fetchall()]


def input_present(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    """The team provided input ``name`` with at least one usable row.

    False when ``staging.input_status`` says the file is absent (or loaded no rows), when
    ``staging.<name>`` does not exist, or when it is empty.
    """
    if table_exists(conn, "staging", "input_status"):
        row = conn.execute("select present from staging.input_status where input = $i", {"i": name}).fetchone()
        if row is not None and not row[0]:
            return False
    if not table_exists(conn, "staging", name):
        return False
    # name is one of our input names, never user text
    return conn.execute(f"select count(*) > 0 from staging.{name}").fetchone()[0]


def marts_exist(conn: duckdb.DuckDBPyConnection, *tables: str) -> bool:
    return all(table_exists(conn, "marts", t) for t in tables)


def period_kpis(conn: duckdb.DuckDBPyConnection, prefix: str, period: Period) -> tuple[dict[str, Kpi], bool]:
    """``marts.<prefix>_kpis_<grain>`` for ``period`` and the previous period: metric -> Kpi, and
    whether the period has rows at all. Metrics keep the mart's order."""
    table = f"{prefix}_kpis_{period.grain}"        # our own mart name, never user input
    if not table_exists(conn, "marts", table):
        return {}, False
    previous = period.previous()
    rows = conn.execute(f"select period_start, metric, value from marts.{table} "
                        "where period_start in ($current, $previous)",
                        {"current": period.start, "previous": previous.start}).fetchall()
    current = {m: number(v) for start, m, v in rows if start == period.start}
    before = {m: number(v) for start, m, v in rows if start == previous.start}
    order = list(dict.fromkeys([m for _, m, _ in rows if m in current] + list(before)))
    return {m: Kpi(current.get(m), before.get(m), relative_change(current.get(m), before.get(m)))
            for m in order}, bool(current)


def kpi(value, previous) -> Kpi:
    value, previous = number(value), number(previous)
    return Kpi(value, previous, relative_change(value, previous))


def kind_of(metric: str) -> str:
    if metric in BUSINESS_METRIC_KINDS:
        return BUSINESS_METRIC_KINDS[metric]
    if metric.startswith("goal_attainment_"):
        return "pct"
    return METRIC_KINDS.get(metric, "num2")


def fmt(f: Formatter, metric: str, value) -> str:
    """A metric's value as the report shows it (its kind from BUSINESS_METRIC_KINDS / METRIC_KINDS)."""
    return f.value(kind_of(metric), value)


def lower_is_better(metric: str) -> bool:
    return metric in BUSINESS_LOWER_IS_BETTER or metric in LOWER_IS_BETTER


def _trend(metric: str, change) -> str:
    if change is None:
        return "na"
    if change == 0:
        return "flat"
    return "good" if (change > 0) != lower_is_better(metric) else "bad"


def kpi_cards(f: Formatter, kpis: dict[str, Kpi], metrics: list[str]) -> list[KpiView]:
    """KPI cards (value, previous, change) formatted as the core sections' cards."""
    out = []
    for m in metrics:
        k = kpis.get(m, Kpi(None, None, None))
        out.append(KpiView(m, f.metric_label(m), fmt(f, m, k.value), fmt(f, m, k.previous),
                           f.value("change", k.change), _trend(m, k.change)))
    return out


def change_phrase(f: Formatter, metric: str, k: Kpi) -> str:
    """'up 12.5% on the previous period (8)' etc., in the core narrative's wording."""
    previous = fmt(f, metric, k.previous)
    if k.change is None:
        if k.previous is None or k.value is None:
            return f.t("n_change_na")
        return f.t("n_change_from_zero", previous=previous)
    if k.change == 0:
        return f.t("n_change_flat", previous=previous)
    key = "n_change_up" if k.change > 0 else "n_change_down"
    return f.t(key, change=f.value("pct", abs(k.change)), previous=previous)


def column_label(f: Formatter, key: str) -> str:
    return BUSINESS_COLUMN_LABELS[f.language].get(key) or f.column_label(key)


def table(f: Formatter, title: str, columns: list[tuple[str, str]], rows: list[dict], note: str | None = None) -> Block:
    """A table block; ``columns`` are (row key, value kind); cells formatted by the Formatter.
    No rows give an 'empty' block with ``note`` (default: no data for this period)."""
    if not rows:
        return Block("empty", title, note=note or f.t("no_data"))
    cells = [[f.value(kind, r.get(key)) for key, kind in columns] for r in rows]
    return Block("table", title, table=Table(title, [column_label(f, k) for k, _ in columns],
                                             [k for _, k in columns], cells))


def text_or_unknown(f: Formatter, value) -> str:
    """A dimension value as shown: NULL / blank -> 'unknown' in the report language."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return f.t("biz_unknown")
    return str(value)


def missing_section(slug: str, f: Formatter, sentence_key: str) -> tuple[Section, dict]:
    """The section of an input the team did not provide: the plain sentence, no KPIs."""
    return Section(slug, f.section_title(slug), [], [f.t(sentence_key)], []), {}


# --- charts ----------------------------------------------------------------------------------

def hbar_chart(name: str, title: str, labels: list[str], values: list[float], f: Formatter, *,
               xlabel: str = "", reference: float | None = None, value_kind: str = "int",
               colors: list[str] | None = None) -> charts.Chart | None:
    """Horizontal bars, first label on top, each bar labelled with its formatted value; an optional
    dashed reference line (e.g. 100 % attainment)."""
    pairs = [(lab, v) for lab, v in zip(labels, values) if v is not None]
    if not pairs:
        return None
    with plt.rc_context(charts.RC):
        fig, ax = plt.subplots(figsize=(10.0, 0.9 + 0.32 * len(pairs)))
        y = list(range(len(pairs)))[::-1]
        ax.barh(y, [v for _, v in pairs], color=colors or charts.COLORS["bar"])
        ax.set_yticks(y, [lab for lab, _ in pairs])
        for yi, (_, v) in zip(y, pairs):
            ax.annotate(f.value(value_kind, v), (v, yi), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
        if reference is not None:
            ax.axvline(reference, color="#555555", linestyle="--", linewidth=0.8)
        if value_kind == "int":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        elif value_kind in ("pct", "change"):
            ax.xaxis.set_major_formatter(lambda x, _pos: f.value("pct", x))
        ax.set_xlim(left=min(0, min(v for _, v in pairs)))
        ax.margins(x=0.12)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        return charts._chart(fig, name, title)


def grouped_bar_chart(name: str, title: str, labels: list[str], series: list[tuple[str, list, str]],
                      f: Formatter, *, ylabel: str = "", stacked: bool = False,
                      reference: float | None = None, value_kind: str = "num1") -> charts.Chart | None:
    """Vertical bars per label: one bar per series side by side (or stacked)."""
    if not labels or not any(v for _, values, _ in series for v in values if v):
        return None
    import numpy as np

    with plt.rc_context(charts.RC):
        fig, ax = plt.subplots(figsize=(10.0, 3.2))
        x = np.arange(len(labels))
        width = 0.8 if stacked else 0.8 / max(1, len(series))
        bottom = np.zeros(len(labels))
        for i, (name_, values, color) in enumerate(series):
            vals = np.array([v if v is not None else 0 for v in values], dtype=float)
            if stacked:
                ax.bar(x, vals, width, bottom=bottom, label=name_, color=color)
                bottom += vals
            else:
                ax.bar(x - 0.4 + width * (i + 0.5), vals, width, label=name_, color=color)
        if reference is not None:
            ax.axhline(reference, color="#555555", linestyle="--", linewidth=0.8)
        ax.set_xticks(x, labels, rotation=0 if len(labels) <= 8 else 30,
                      ha="center" if len(labels) <= 8 else "right")
        if value_kind == "int":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        elif value_kind in ("pct", "change"):
            ax.yaxis.set_major_formatter(lambda v, _pos: f.value("pct", v))
        ax.set_ylabel(ylabel)
        ax.grid(axis="x", visible=False)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(6, len(series)), fontsize=8)
        return charts._chart(fig, name, title)


PALETTE = ["#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#9e9d24", "#5d4037"]
