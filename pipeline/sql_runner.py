"""Materialization of SQL models: this module owns every CREATE / DELETE / INSERT.

Each file under ``sql/`` is exactly one SELECT. Its first line is a comment stating the
grain; it becomes the asset description. Parameters are bound, never formatted:

- ``$period_start`` (inclusive) and ``$period_end`` (exclusive): local dates of the window;
- ``$timezone``: the community time zone (IANA name);
- ``$period_key`` / ``$grain`` for period (weekly / monthly) models;
- those of :func:`pipeline.build.model_inputs` (e.g. the interest-tag patterns).

A ``{{ name }}`` marker is replaced by a SQL fragment our code generates (:func:`expand`): the
interest-tag mart needs one function call per tag of a configurable dictionary. Fragments hold
only SQL and parameter names, never values.

Partitioned models replace their window in one transaction (delete window, insert), so a
rerun or a backfill replaces and never appends twice. Unpartitioned models are computed whole,
and their table is given the rows that differ (:func:`_apply_changes`): a daily run changes a
few of the ~110,000 rows of staging.members, and writing them all again was most of the WAL a
daily update leaves to checkpoint. Only identifiers from our own model registry are formatted
into SQL.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import duckdb

from pipeline.warehouse import side_by_side, table_exists

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_ONE_DAY = timedelta(days=1)
# time columns of the daily models, built for any range of dates in one call (period models, whose
# time column is period_start, are built one period per call)
_DATE_RANGE_COLUMNS = ("local_date", "date")
log = logging.getLogger(__name__)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_FRAGMENT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class SqlModel:
    """One SQL file materialized as ``<schema>.<table>``.

    ``path`` is relative to ``sql/``; the table name is the file stem. ``time_column`` is
    the local-date column that places a row in a partition window (None = unpartitioned).
    """

    path: str
    schema: str
    time_column: str | None = None
    # rows written in time-column order: a table built in one big insert (a backfill) otherwise
    # holds every date in every row group (parallel aggregates emit groups in any order), and a
    # period's query decompresses the whole table (connectors of a week: 0.13 -> 0.02 s). Only
    # for narrow tables read by period: the sort holds the rows of the insert in memory, and with
    # the 2 GB limit the year's staging.reactions ran out of memory in the backfill's daily stage.
    clustered: bool = False

    @property
    def table(self) -> str:
        return Path(self.path).stem

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def sql(self) -> str:
        return (SQL_DIR / self.path).read_text(encoding="utf-8")

    @property
    def description(self) -> str:
        """The grain comment(s) at the top of the file, without the ``--``."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].strip())
        return " ".join(lines)


def expand(sql: str, fragments: dict | None) -> str:
    """``sql`` with every ``{{ name }}`` marker replaced by ``fragments[name]``; a marker without
    a fragment is an error naming it."""
    fragments = fragments or {}
    missing = sorted(set(_FRAGMENT.findall(sql)) - set(fragments))
    if missing:
        raise KeyError(f"SQL needs fragments {missing}")
    return _FRAGMENT.sub(lambda m: fragments[m.group(1)], sql)


def bind(sql: str, params: dict) -> dict:
    """Only the parameters the SQL uses (DuckDB rejects unused named parameters)."""
    used = set(_PARAM.findall(sql))
    missing = used - set(params)
    if missing:
        raise KeyError(f"SQL needs parameters {sorted(missing)}")
    return {k: v for k, v in params.items() if k in used}


class Window(NamedTuple):
    """One window [start, end) of a partitioned model (local dates, end exclusive) and the
    parameters bound besides ``$period_start`` / ``$period_end`` (e.g. ``$period_key``)."""

    start: date
    end: date
    params: dict


def materialize(conn: duckdb.DuckDBPyConnection, model: SqlModel, *, period_start: date | None = None,
                period_end: date | None = None, extra: dict | None = None,
                fragments: dict | None = None) -> dict:
    """Materialize one model (a window of it when partitioned). Returns metadata: the rows
    written (``window_rows``), the table's rows (``total_rows``) and its ``columns``; for an
    unpartitioned model, ``window_rows`` is the whole table and ``rows_changed`` the rows its
    table was given (deleted plus inserted, :func:`_apply_changes`; 0 = left as it was).

    The write is one transaction: a failure leaves the previous state intact.
    A partitioned table built by an earlier version of the model, whose columns differ from what
    the model selects now, is brought up to date in that transaction (:func:`_column_changes`).
    """
    if model.time_column is not None:
        if period_start is None or period_end is None:
            raise ValueError(f"{model.path}: a partitioned model needs period_start and period_end")
        return materialize_windows(conn, model, [Window(period_start, period_end, extra or {})],
                                   fragments=fragments)
    sql = expand(model.sql, fragments)
    params = {"period_start": period_start, "period_end": period_end, **(extra or {})}
    conn.execute(f"create schema if not exists {model.schema}")
    if table_exists(conn, model.schema, model.table):
        changed = _apply_changes(conn, model, sql, bind(sql, params))
    else:
        _replace_table(conn, model, sql, bind(sql, params))
        changed = None
    total_rows = conn.execute(f"select count(*) from {model.relation}").fetchone()[0]
    return {"window_rows": total_rows, "total_rows": total_rows, "columns": _columns(conn, model),
            "rows_changed": total_rows if changed is None else changed}


def _replace_table(conn: duckdb.DuckDBPyConnection, model: SqlModel, select: str, params: dict | None = None) -> None:
    """``model``'s table replaced by the rows of ``select``, in one transaction."""
    conn.execute("begin transaction")
    try:
        conn.execute(f"create or replace table {model.relation} as {select}", params or {})
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


# Past this share of the table's rows, writing the whole table costs less than the changes.
REWRITE_SHARE = 0.5


def _apply_changes(conn: duckdb.DuckDBPyConnection, model: SqlModel, sql: str, params: dict) -> int:
    """Give an unpartitioned model's existing table the rows of ``sql``, writing only the rows
    that differ; return how many rows were deleted plus inserted (0: the table is as it was).

    The model is computed into a temporary table (memory, spilled to the temp directory if
    need be; never written to the WAL). Rows are compared by a 64-bit hash of all their columns,
    as a multiset: every row whose hash appears a different number of times in the table and in
    the result is deleted from the table, and the result's rows with those hashes are inserted.
    The table then holds exactly the result's rows, unless a changed row hashes to the very
    value of the row it replaces (odds ~2^-64 per changed row). Measured on the benchmark's
    year (staging.members, 110,699 rows): computing 0.83 s; writing the whole table again
    0.65 s plus 0.34 s to checkpoint its 23 MB of WAL, against 0.05 s to compare the hashes.

    The whole table is written again instead when its columns differ from the result's (an
    earlier version of the model) or when more than :data:`REWRITE_SHARE` of its rows changed."""
    new = f"temp.main.__new_{model.schema}_{model.table}"
    changes = f"temp.main.__changes_{model.schema}_{model.table}"
    conn.execute(f"create or replace temp table __new_{model.schema}_{model.table} as {sql}", params)
    try:
        existing = conn.execute(f"describe {model.relation}").fetchall()
        total = conn.execute(f"select count(*) from {new}").fetchone()[0]
        if [r[:2] for r in existing] != [r[:2] for r in conn.execute(f"describe {new}").fetchall()]:
            _replace_table(conn, model, f"select * from {new}")
            return total
        row_hash = "hash(" + ", ".join(f'"{r[0]}"' for r in existing) + ")"
        conn.execute("begin transaction")
        try:
            # the hashes carried by a different number of rows in the table and in the result
            conn.execute(f"""
                create or replace temp table __changes_{model.schema}_{model.table} as
                with old as (select {row_hash} as h, count(*) as n from {model.relation} group by h),
                     new as (select {row_hash} as h, count(*) as n from {new} group by h)
                select h, coalesce(old.n, 0) as old_rows, coalesce(new.n, 0) as new_rows
                from old full join new using (h)
                where old.n is distinct from new.n""")
            old_rows, new_rows = conn.execute(f"select coalesce(sum(old_rows), 0), coalesce(sum(new_rows), 0) "
                                              f"from {changes}").fetchone()
            if old_rows + new_rows > REWRITE_SHARE * max(total, 1):
                conn.execute(f"create or replace table {model.relation} as select * from {new}")
                conn.execute("commit")
                return total
            if old_rows + new_rows:
                conn.execute(f"delete from {model.relation} where {row_hash} in (select h from {changes})")
                conn.execute(f"insert into {model.relation} select * from {new} "
                             f"where {row_hash} in (select h from {changes})")
            conn.execute("commit")
            return old_rows + new_rows
        except Exception:
            conn.execute("rollback")
            raise
    finally:
        conn.execute(f"drop table if exists {changes}")
        conn.execute(f"drop table if exists {new}")


def materialize_windows(conn: duckdb.DuckDBPyConnection, model: SqlModel, windows: list[Window], *,
                        fragments: dict | None = None) -> dict:
    """Materialize a partitioned model for each of ``windows``, each window in its own
    transaction (delete the window, insert it), as :func:`materialize` does for one: the first
    window, then the others two at a time (:func:`_replace_in_two_lanes`).

    The model is planned for its columns, and its table checked against them, once for all the
    windows (with the first window's parameters: the columns do not depend on them), and the
    metadata is read once at the end: a backfill builds the 53 weeks of a weekly model in one
    call, and those statements cost 8-14 ms per period besides the insert (measured on a year's
    warehouse). ``window_rows`` is the sum of the rows written.
    """
    if model.time_column is None:
        raise ValueError(f"{model.path}: not a partitioned model")
    if not windows:
        raise ValueError(f"{model.path}: no window to materialize")
    sql = expand(model.sql, fragments)
    conn.execute(f"create schema if not exists {model.schema}")
    first = _window_params(windows[0])
    changes, widened = _prepare_table(conn, model, sql, first)
    # the first window alone: it carries the ALTERs, which no other transaction may overlap
    window_rows = _replace_window(conn, model, sql, {**first, **widened}, changes)
    if len(windows) > 1:
        window_rows += _replace_in_two_lanes(conn, model, sql, windows[1:])
    total_rows = conn.execute(f"select count(*) from {model.relation}").fetchone()[0]
    return {"window_rows": window_rows, "total_rows": total_rows, "columns": _columns(conn, model)}


def _replace_in_two_lanes(conn: duckdb.DuckDBPyConnection, model: SqlModel, sql: str, windows: list[Window]) -> int:
    """Replace ``windows`` two at a time: this connection and a second one
    (:func:`pipeline.warehouse.side_by_side`) each take the next window until none is left. A
    period's query is small (~0.2 s for a week of ``marts.kpis_weekly``) and keeps ~1.5 of two
    cores busy, so two of them side by side use both. Each window is its own transaction
    touching only its own rows; DuckDB's concurrent appends and deletes of different rows never
    conflict. After a failure neither lane starts another window. Returns the rows inserted."""
    pending = iter(windows)
    lock = threading.Lock()
    failed = threading.Event()

    def lane(lane_conn: duckdb.DuckDBPyConnection) -> int:
        rows = 0
        while not failed.is_set():
            with lock:
                window = next(pending, None)
            if window is None:
                break
            try:
                rows += _replace_window(lane_conn, model, sql, _window_params(window), [])
            except BaseException:
                failed.set()
                raise
        return rows

    return sum(side_by_side(conn, lane, lane))


def _window_params(window: Window) -> dict:
    return {"period_start": window.start, "period_end": window.end, **window.params}


def _prepare_table(conn: duckdb.DuckDBPyConnection, model: SqlModel, sql: str, params: dict) -> tuple[list[str], dict]:
    """Create the model's table if missing; else the ALTER statements that bring an older
    version's table to the model's columns, and, for a daily model whose columns changed, the
    ``period_start`` / ``period_end`` that widen the first window to the table's whole history."""
    # the model's columns: DESCRIBE plans the query, it reads no rows
    wanted = [(r[0], r[1]) for r in conn.execute(f"describe select * from ({sql})", bind(sql, params)).fetchall()]
    if not table_exists(conn, model.schema, model.table):
        # Created OUTSIDE the window transaction: DuckDB 2.0.0 reads a table created and then
        # filled with >= 122,880 rows in one transaction as empty from that connection
        # (tests/test_metrics.py::test_first_build_of_a_big_window_is_not_lost).
        conn.execute(f"create table {model.relation} as select * from ({sql}) where false", bind(sql, params))
        return [], {}
    existing = [(r[0], r[1]) for r in conn.execute(f"describe {model.relation}").fetchall()]
    changes = _column_changes(model.relation, existing, wanted)
    if changes and model.time_column in _DATE_RANGE_COLUMNS:
        # Rebuilt over its whole history, not only this window: the rows outside it would
        # otherwise keep NULL in the new columns. (Period models build the periods they are
        # given: their other periods are rebuilt by a run over them; see the log.)
        lo, hi = conn.execute(f"select min({model.time_column}), max({model.time_column}) "
                              f"from {model.relation}").fetchone()
        if lo is not None:
            return changes, {"period_start": min(params["period_start"], lo),
                             "period_end": max(params["period_end"], hi + _ONE_DAY)}
    elif changes:
        log.warning("%s: its columns changed (%s); the periods built before are not rebuilt by "
                    "this call (new columns are NULL there until community-report run --from <their "
                    "first date> builds them again)", model.relation, "; ".join(changes))
    return changes, {}


def _replace_window(conn: duckdb.DuckDBPyConnection, model: SqlModel, sql: str, params: dict,
                    changes: list[str]) -> int:
    """One transaction: the ``changes``, then the window [period_start, period_end) deleted and
    inserted again. Returns the rows inserted."""
    conn.execute("begin transaction")
    try:
        for change in changes:
            conn.execute(change)
        conn.execute(f"delete from {model.relation} where {model.time_column} >= $s and {model.time_column} < $e",
                     {"s": params["period_start"], "e": params["period_end"]})
        order = f" order by {model.time_column}" if model.clustered else ""
        inserted = conn.execute(f"insert into {model.relation} by name select * from ({sql}){order}",
                                bind(sql, params)).fetchone()[0]
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return inserted


def _columns(conn: duckdb.DuckDBPyConnection, model: SqlModel) -> list[tuple[str, str]]:
    return conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = $s and table_name = $t order by ordinal_position",
        {"s": model.schema, "t": model.table}).fetchall()


def _column_changes(relation: str, existing: list[tuple[str, str]], wanted: list[tuple[str, str]]) -> list[str]:
    """ALTER statements that give ``relation`` (built by an earlier version of its model) the
    columns its model selects now: new columns added, columns it no longer selects dropped, a
    column whose type changed dropped and added again (its rows are rebuilt anyway). The names
    come from our own SQL files, quoted all the same."""
    have, want = dict(existing), dict(wanted)
    statements = []
    for name, kind in existing:
        if name not in want or want[name] != kind:
            statements.append(f'alter table {relation} drop column "{name}"')
    for name, kind in wanted:
        if name not in have or have[name] != kind:
            statements.append(f'alter table {relation} add column "{name}" {kind}')
    return statements


def query(conn: duckdb.DuckDBPyConnection, path: str, params: dict):
    """Run a SELECT file from ``sql/`` (not materialized) and return a pandas DataFrame."""
    sql = (SQL_DIR / path).read_text(encoding="utf-8")
    return conn.execute(sql, bind(sql, params)).df()
