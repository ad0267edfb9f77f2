"""Make the project's Dagster instance (SQLite run and event storage) cheap per event, for
``community-report run`` only.

A run of the whole graph over a year stores tens of thousands of Dagster events (a
materialization per daily partition per asset). On the small demo the SQL of every daily model
takes 0.4 s in all, while storing the events took ~50 s: the cost is per event, not per row.
Three measures, each applied in the CLI's process only (``dagster dev`` and its runs keep
Dagster's defaults):

1. ``synchronous=OFF`` on the connections to the project's ``.dagster`` SQLite files: with the
   default ``FULL`` every event's commit and close waited for the disk (16 ms per event vs
   1.8 ms on the benchmark machine). The storage is in WAL mode, so a crash of the process
   loses nothing; only a power cut or OS crash during a run could damage the run history (never
   the DuckDB warehouse, and the run is idempotent). ``COMMUNITY_REPORT_DAGSTER_SYNC=NORMAL|FULL``
   restores more safety.
2. One SQLAlchemy engine per SQLite file instead of one per statement: Dagster's SQLite
   storages call ``create_engine`` for every connection, so every INSERT was compiled again
   (SQLAlchemy caches compiled statements per engine) and a new engine built: 24 s of a 127 s
   profiled demo run. Engines keep Dagster's ``NullPool`` (no connection outlives its use, as
   before). Applied only to the Dagster version it was measured on.
3. One "materialization planned" event per asset for a single-run backfill, not one per
   partition (Dagster's ``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS``): 23 s of the same
   profile. Dagster's note: a failed run's partitions are then not marked failed in the UI
   (they keep their previous status; the run itself shows as failed, and the CLI exits non-zero).
   Set the variable to ``0`` to keep one event per partition.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

TUNED_DAGSTER_VERSION = "1.13.27"     # the version measure 2 was written for (pyproject pins it)
_MAX_ENGINES = 64                     # one per run shard: a CLI run makes ~25

_SQLITE_SYNC = {"home": None}
_ENGINES: dict = {"patched": False}


def tune_instance(home: Path) -> None:
    """Apply the three measures for the Dagster instance in ``home`` (idempotent)."""
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    _relax_sqlite_sync(home)
    _reuse_sqlite_engines()


def _relax_sqlite_sync(home: Path) -> None:
    level = os.environ.get("COMMUNITY_REPORT_DAGSTER_SYNC", "OFF").upper()
    if level not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        level = "OFF"
    first = _SQLITE_SYNC["home"] is None
    _SQLITE_SYNC.update(home=str(home.resolve()), level=level)
    if not first:
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _sqlite_sync(dbapi_conn, _record):   # every new connection (Dagster uses NullPool)
        if not isinstance(dbapi_conn, sqlite3.Connection):
            return
        files = [row[2] for row in dbapi_conn.execute("pragma database_list").fetchall()]
        if any(f and f.startswith(_SQLITE_SYNC["home"]) for f in files):
            dbapi_conn.execute(f"pragma synchronous={_SQLITE_SYNC['level']}")


def _reuse_sqlite_engines() -> None:
    import dagster
    import sqlalchemy

    if _ENGINES["patched"] or dagster.__version__ != TUNED_DAGSTER_VERSION:
        return
    from dagster._core.storage.event_log.sqlite import sqlite_event_log
    from dagster._core.storage.runs.sqlite import sqlite_run_storage
    from dagster._core.storage.schedules.sqlite import sqlite_schedule_storage

    engines: OrderedDict = OrderedDict()
    lock = threading.Lock()

    def create_engine(url, **kwargs):
        """The engine made before for the same URL and options (least recently used dropped)."""
        key = (str(url), kwargs.get("poolclass"), tuple(sorted((kwargs.get("connect_args") or {}).items())),
               tuple(sorted((k, repr(v)) for k, v in kwargs.items() if k not in ("poolclass", "connect_args"))))
        with lock:
            engine = engines.get(key)
            if engine is None:
                engine = engines[key] = sqlalchemy.create_engine(url, **kwargs)
                if len(engines) > _MAX_ENGINES:
                    engines.popitem(last=False)[1].dispose()
            engines.move_to_end(key)
            return engine

    for module in (sqlite_event_log, sqlite_run_storage, sqlite_schedule_storage):
        module.create_engine = create_engine
    _ENGINES["patched"] = True
