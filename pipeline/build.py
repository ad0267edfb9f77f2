"""Build every SQL model for a date range without Dagster (tests, debugging, notebooks).

Dagster assets call the same ``materialize`` per partition window; this module only walks
the registry in order (it is topologically ordered) for one range of local dates.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from pipeline.model_registry import MODELS, ModelSpec
from pipeline.periods import periods_between
from pipeline.sql_runner import materialize


def model_params(timezone: str) -> dict:
    return {"timezone": timezone}


def build_model(conn: duckdb.DuckDBPyConnection, spec: ModelSpec, start: date, end: date, timezone: str) -> dict:
    """Materialize ``spec`` for local dates [start, end) (whole periods for weekly/monthly)."""
    extra = model_params(timezone)
    if spec.grain is None:
        return materialize(conn, spec.model, extra=extra)
    if spec.grain == "daily":
        return materialize(conn, spec.model, period_start=start, period_end=end, extra=extra)
    meta = {}
    for period in periods_between(spec.grain, start, end - timedelta(days=1)):
        meta = materialize(conn, spec.model, period_start=period.start, period_end=period.end,
                           extra={**extra, "grain": spec.grain, "period_key": period.key})
    return meta


def build_all(conn: duckdb.DuckDBPyConnection, start: date, end: date, timezone: str,
              models: list[ModelSpec] | None = None) -> None:
    for spec in models or MODELS:
        build_model(conn, spec, start, end, timezone)
