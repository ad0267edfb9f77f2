"""Everything one report needs, read from the warehouse with small queries.

This module owns the report's reads. Each query is one SELECT in ``queries/<name>.sql`` with
bound ``$params``; results are small (a KPI list, a chart series, a top-10 table) and come
back as plain Python values. Nothing is formatted or rounded here, and no KPI is recomputed:
the values of ``marts.kpis_<grain>`` are passed on as stored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from pipeline.config import CommunityConfig
from pipeline.periods import Period
from pipeline.report.i18n import METRIC_KINDS
from pipeline.sql_runner import bind

QUERY_DIR = Path(__file__).resolve().parent / "queries"
_RELATION = re.compile(r"\b((?:marts|intermediate|staging|raw)\.[a-z_]+)\b")
TOP_N = 10
COHORT_WEEKS = {"weekly": 8, "monthly": 12}   # how many join weeks the retention heatmap shows


@dataclass(frozen=True)
class Kpi:
    value: float | None
    previous: float | None
    change: float | None     # (value - previous) / |previous|; None when not computable


@dataclass
class ReportData:
    period: Period
    previous: Period
    community: dict                          # name, founded, audience, timezone
    language: str
    kpis: dict[str, Kpi]
    has_current: bool                        # marts.kpis_<grain> has rows for the period
    has_previous: bool                       # ... and for the previous period
    tables: dict[str, list[dict]]            # query name -> rows
    checks: list[dict] | None
    generated_from: dict = field(default_factory=dict)

    def kpi(self, metric: str) -> Kpi:
        return self.kpis.get(metric, Kpi(None, None, None))


def query(conn: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    """Run ``queries/<name>.sql`` with the parameters it uses; rows as dicts."""
    sql = (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")
    cur = conn.execute(sql, bind(sql, params))
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row)) for row in cur.fetchall()]


def tables_read(grain: str) -> list[str]:
    """Every warehouse relation the report queries read (for metrics.json's provenance)."""
    found = {f"marts.kpis_{grain}"}   # kpis.sql names it by grain: 'marts.kpis_' || $grain
    for path in QUERY_DIR.glob("*.sql"):
        sql = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        found |= {r for r in _RELATION.findall(sql) if not r.endswith("_")}
    return sorted(found)


def _number(v):
    """DuckDB DECIMAL -> float; NaN -> None (metrics.json writes null)."""
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def relative_change(value, previous) -> float | None:
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / abs(previous)


def _kpis(conn, period: Period, previous: Period) -> tuple[dict[str, Kpi], bool, bool]:
    rows = query(conn, "kpis", {"grain": period.grain, "period_start": period.start,
                                "previous_start": previous.start})
    current = {r["metric"]: _number(r["value"]) for r in rows if r["period_start"] == period.start}
    before = {r["metric"]: _number(r["value"]) for r in rows if r["period_start"] == previous.start}
    metrics = list(METRIC_KINDS) + sorted((set(current) | set(before)) - set(METRIC_KINDS))
    kpis = {m: Kpi(current.get(m), before.get(m), relative_change(current.get(m), before.get(m)))
            for m in metrics}
    return kpis, bool(current), bool(before)


def _database_path(conn) -> str | None:
    row = conn.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    return row[0] if row else None


def _name_persons(conn, tables: dict[str, list[dict]]) -> None:
    """Replace ``person_key`` by the person's display name (``member``) in the tables that have it."""
    keys = sorted({r["person_key"] for rows in tables.values() for r in rows if r.get("person_key")})
    names = {r["person_key"]: r["display_name"] for r in query(conn, "person_names", {"person_keys": keys})} if keys else {}
    for rows in tables.values():
        for r in rows:
            if "person_key" in r:
                key = r.pop("person_key")
                r["member"] = names.get(key) or key


def collect(conn: duckdb.DuckDBPyConnection, config: CommunityConfig, period: Period,
            check_results: list[dict] | None = None) -> ReportData:
    """Read the KPIs of ``period`` and of the previous period, and every section's tables."""
    previous = period.previous()
    kpis, has_current, has_previous = _kpis(conn, period, previous)
    params = {
        "period_start": period.start,
        "period_end": period.end,
        "chart_start": previous.start,          # time series show this and the previous period
        "cohort_start": period.end - timedelta(days=7 * COHORT_WEEKS[period.grain]),
        "bucket": "day" if period.grain == "weekly" else "week",
        "limit": TOP_N,
    }
    names = ["sources", "growth_series", "growth_buckets", "growth_by_source", "cohorts",
             "activity_series", "heatmap", "top_contributors", "channels", "hot_threads",
             "connectors", "files_by_source", "quarantine_by_rule"]
    tables = {name: [{k: _number(v) for k, v in row.items()} for row in query(conn, name, params)]
              for name in names}
    _name_persons(conn, {k: tables[k] for k in ("top_contributors", "hot_threads", "connectors")})
    return ReportData(
        period=period,
        previous=previous,
        community={"name": config.name, "founded": config.founded, "audience": config.audience,
                   "timezone": config.timezone},
        language=config.language,
        kpis=kpis,
        has_current=has_current,
        has_previous=has_previous,
        tables=tables,
        checks=None if check_results is None else [dict(c) for c in check_results],
        generated_from={
            "warehouse": _database_path(conn),
            "kpi_table": f"marts.kpis_{period.grain}",
            "previous_period": {"key": previous.key, "label": previous.label,
                                "has_data": has_previous},
            "tables": tables_read(period.grain),
        },
    )
