"""What every platform adapter is given and must do.

An adapter is a module in ``pipeline/adapters/`` with:

- ``PLATFORM: str`` – the ``platform:`` value in ``community.yaml``;
- ``find_exports(source_dir: Path) -> list[Path]`` – the export *units* in a source folder
  (a Discord ``.json`` file, a Telegram ``result.json``, a Slack ``.zip`` or unzipped export
  folder, a canonical ``.csv``/``.parquet``), sorted so that older exports come first;
- ``load_export(ctx: LoadContext) -> None`` – read ONE unit with DuckDB readers and insert one
  row per record found into the candidate tables ``_in_messages``, ``_in_users``,
  ``_in_reactions``, ``_in_membership_events`` (see ``pipeline/ingest/schema.py``), filling
  the provenance columns from ``ctx`` (``ctx.provenance_sql()`` helps). Bad records are
  inserted too (with NULLs where a value could not be parsed): the loader quarantines them.
  A unit that cannot be parsed at all raises :class:`ExportParseError`.
  Instead of inserting an entity's rows, an adapter may hand the loader the query that selects
  them (``ctx.defer_candidates``): the loader then reads that query once, straight into
  ``raw.*``, instead of a copy of millions of rows in ``_in_<entity>``. Whatever such a query
  reads must outlive ``load_export``: drop it in a function given to ``ctx.on_done``, which the
  loader calls when the unit is finished, loaded or not.

Adapters never loop over messages in Python; big single-object JSON files go through
``pipeline/adapters/jsonstream.py`` (streamed to a JSON-array file DuckDB reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.sql_runner import bind


def run(conn: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None):
    """Execute with only the $-parameters the statement uses (DuckDB rejects extra ones)."""
    return conn.execute(sql, bind(sql, params or {}))


def drop_temp_objects(conn: duckdb.DuckDBPyConnection, views: tuple[str, ...] = (),
                      tables: tuple[str, ...] = ()) -> None:
    """Drop an adapter's temp views and tables, from a function given to ``ctx.on_done`` (the
    loader calls it once the unit is committed or rolled back)."""
    try:
        for view in views:
            conn.execute(f"drop view if exists {view}")
        for table in tables:
            conn.execute(f"drop table if exists {table}")
    except duckdb.Error:
        pass  # nothing left to drop: a rolled-back transaction took its temp objects with it


class ExportParseError(Exception):
    """An export that cannot be read at all. Names the file, the place and what was expected."""

    def __init__(self, file_path: str | Path, place: str, expected: str, detail: str = ""):
        self.file_path = str(file_path)
        self.place = place
        self.expected = expected
        self.detail = detail
        msg = f"{self.file_path}: at {place}: expected {expected}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


@dataclass
class LoadContext:
    conn: duckdb.DuckDBPyConnection
    source: str
    platform: str
    file_id: str
    path: Path               # absolute path of the unit on disk (a zip is already extracted to a folder)
    rel_path: str            # path of the unit relative to the source folder (for messages to humans)
    file_seq: int            # ingest order; larger = newer
    timezone: str            # community time zone (IANA), e.g. Asia/Shanghai
    exporter_timezone: str   # zone of times written without an offset (Telegram `date`, …)
    tmp_dir: Path            # scratch folder for this unit (deleted afterwards)
    options: dict            # the source's extra config keys (e.g. bots: [...])
    deferred: dict[str, tuple[str, dict]] = field(default_factory=dict)   # entity -> (query, params)
    done: list[Callable[[], None]] = field(default_factory=list)

    def defer_candidates(self, entity: str, select_sql: str, params: dict) -> None:
        """The candidate rows of ``entity``: ``select_sql`` (with the columns of ``_in_<entity>``,
        by name) and its ``$``-parameters, run by the loader when it moves the rows, instead of
        rows inserted into ``_in_<entity>`` (which must then stay empty).

        Saves writing and reading back a copy of every row: ~0.37 s per 1.2M Telegram or Discord
        messages. The query may run more than once (counting; quarantine when a row breaks a rule),
        so it must select the same rows every time.
        """
        self.deferred[entity] = (select_sql, dict(params))

    def on_done(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` when the loader has finished with this unit (committed or rolled back)."""
        self.done.append(fn)

    def provenance_sql(self) -> str:
        """SELECT-list fragment for the provenance columns, values bound as $-parameters.

        Use with ``ctx.params()`` (merge your own parameters into it)::

            conn.execute(f"insert into _in_messages by name select {ctx.provenance_sql()}, ... from ...",
                         ctx.params())
        ``location`` is not included: each adapter knows its own place format.
        """
        return ("$source as source, $platform as platform, $file_id as file_id, "
                "$file_path as file_path, $file_seq as file_seq")

    def params(self, **extra) -> dict:
        p = {
            "source": self.source,
            "platform": self.platform,
            "file_id": self.file_id,
            "file_path": self.rel_path,
            "file_seq": self.file_seq,
        }
        p.update(extra)
        return p
