"""Shared plumbing of the analytics sections (profile, strategy, recommendations, next_plan,
outlook) and of the extra blocks of the core sections (``extras.py``).

Not a section: it registers nothing. Reads are small SELECTs in ``queries/<name>.sql`` beside
this file, run with bound ``$params`` (as ``pipeline/report/data.py`` does for the core
sections); results come back as plain Python values, never formatted here.

Business inputs (``staging.<input>``) may be absent: :func:`input_state` tells a section whether
the team provided the file, so it can say so instead of failing.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import duckdb

from pipeline.report.data import Kpi, relative_change
from pipeline.report.i18n import LOWER_IS_BETTER, Formatter
from pipeline.sql_runner import bind
from pipeline.warehouse import table_exists  # noqa: F401  (the sections import it from here)

QUERY_DIR = Path(__file__).resolve().parent / "queries"


def number(v):
    """DuckDB DECIMAL -> float; NaN -> None."""
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def query_text(name: str) -> str:
    """The SQL of ``queries/<name>.sql``."""
    return (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run(conn: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    """Rows of ``queries/<name>.sql`` as dicts (numbers normalised by :func:`number`)."""
    return run_sql(conn, query_text(name), params)


def run_sql(conn: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    """Rows of ``sql`` as dicts, binding the ``params`` it uses."""
    cur = conn.execute(sql, bind(sql, params))
    columns = [d[0] for d in cur.description]
    return [{c: number(v) for c, v in zip(columns, row)} for row in cur.fetchall()]


def input_state(conn: duckdb.DuckDBPyConnection, name: str) -> str:
    """``missing`` (no file / no table), ``empty`` (a file without rows) or ``present``.

    ``staging.input_status`` (written by the business-input ingestion) decides when it exists and
    has a row for the input; otherwise the staging table itself: absent or without rows = missing.
    """
    if table_exists(conn, "staging", "input_status"):
        row = conn.execute("select present, rows from staging.input_status where input = $i",
                           {"i": name}).fetchone()
        if row is not None:
            if not row[0]:
                return "missing"
            return "present" if table_exists(conn, "staging", name) and (row[1] is None or row[1] > 0) else "empty"
    if not table_exists(conn, "staging", name):
        return "missing"
    has_rows = conn.execute(f"select count(*) > 0 from staging.{name}").fetchone()[0]   # name: ours, not user's
    return "present" if has_rows else "missing"


def mart_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    return table_exists(conn, "marts", table)


def kpi(value, previous) -> Kpi:
    value, previous = number(value), number(previous)
    return Kpi(value, previous, relative_change(value, previous))


def trend(metric: str, change) -> str:
    """CSS class of a change: good / bad / flat / na (LOWER_IS_BETTER flips the meaning)."""
    if change is None:
        return "na"
    if change == 0:
        return "flat"
    return "good" if (change > 0) != (metric in LOWER_IS_BETTER) else "bad"


def kpi_views(f: Formatter, kpis: dict[str, Kpi], metrics: list[str]) -> list:
    """KPI cards, formatted exactly as ``render._kpis`` formats the core ones."""
    from pipeline.report.render import KpiView

    out = []
    for m in metrics:
        k = kpis.get(m, Kpi(None, None, None))
        out.append(KpiView(m, f.metric_label(m), f.metric(m, k.value), f.metric(m, k.previous),
                           f.value("change", k.change), trend(m, k.change)))
    return out


def change_phrase(f: Formatter, metric: str, k: Kpi) -> str:
    """'up 12.5% on the previous period (8)' etc., the core narrative's wording."""
    previous = f.metric(metric, k.previous)
    if k.change is None:
        if k.previous is None or k.value is None:
            return f.t("n_change_na")
        return f.t("n_change_from_zero", previous=previous)
    if k.change == 0:
        return f.t("n_change_flat", previous=previous)
    key = "n_change_up" if k.change > 0 else "n_change_down"
    return f.t(key, change=f.value("pct", abs(k.change)), previous=previous)


def label(f: Formatter, value) -> str:
    """A dimension value as shown: NULL / empty -> 'unknown' in the report language."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return f.t("x_unknown")
    return str(value)
