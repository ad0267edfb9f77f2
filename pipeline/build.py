"""Build every SQL model for a date range without Dagster (tests, debugging, notebooks).

Dagster assets call the same ``materialize`` per partition window; this module only walks
the registry in order (it is topologically ordered) for one range of local dates.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from pipeline import interest_tags
from pipeline.model_registry import MODELS, ModelSpec
from pipeline.periods import Period, periods_between
from pipeline.sql_runner import Window, materialize, materialize_windows


def model_inputs(timezone: str, tag_dictionary=None) -> tuple[dict, dict]:
    """(parameters, SQL fragments) the models are built with: the community's time zone and the
    interest-tag dictionary (``settings.interest_tags``; None = the packaged default)."""
    tag_params, tag_fragments = interest_tags.model_inputs(tag_dictionary)
    return {"timezone": timezone, **tag_params}, tag_fragments


def build_model(conn: duckdb.DuckDBPyConnection, spec: ModelSpec, start: date, end: date, timezone: str,
                tag_dictionary=None) -> dict:
    """Materialize ``spec`` for local dates [start, end) (whole periods for weekly/monthly; a
    daily model with ``lookback_days`` rewrites that many dates before ``start`` too)."""
    extra, fragments = model_inputs(timezone, tag_dictionary)
    if spec.grain is None:
        return materialize(conn, spec.model, extra=extra, fragments=fragments)
    if spec.grain == "daily":
        return materialize(conn, spec.model, period_start=start - timedelta(days=spec.lookback_days), period_end=end,
                           extra=extra, fragments=fragments)
    periods = periods_between(spec.grain, start, end - timedelta(days=1))
    if not periods:
        return {}
    return materialize_windows(conn, spec.model, period_windows(spec.grain, periods, extra), fragments=fragments)


def period_windows(grain: str, periods: list[Period], extra: dict) -> list[Window]:
    """The windows of a period (weekly / monthly) model: one per period, with its key."""
    return [Window(p.start, p.end, {**extra, "grain": grain, "period_key": p.key}) for p in periods]


def build_all(conn: duckdb.DuckDBPyConnection, start: date, end: date, timezone: str,
              models: list[ModelSpec] | None = None, tag_dictionary=None) -> None:
    for spec in models or MODELS:
        build_model(conn, spec, start, end, timezone, tag_dictionary)
