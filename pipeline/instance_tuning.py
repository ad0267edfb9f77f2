"""Make the project's Dagster instance (SQLite run and event storage) cheap per event, for
``community-report run`` only.

A run of the whole graph over a year stores tens of thousands of Dagster events (a
materialization per daily partition per asset). On the small demo the SQL of every daily model
takes 0.4 s in all, while storing the events took ~50 s: the cost is per event, not per row.
Four measures, each applied in the CLI's process only (``dagster dev`` and its runs keep
Dagster's defaults):

1. ``synchronous=OFF`` on the connections to the project's ``.dagster`` SQLite files: with the
   default ``FULL`` every event's commit and close waited for the disk (16 ms per event vs
   1.8 ms on the benchmark machine). The storage is in WAL mode, so a crash of the process
   loses nothing; only a power cut or OS crash during a run could damage the run history (never
   the DuckDB warehouse, and the run is idempotent). ``COMMUNITY_REPORT_DAGSTER_SYNC=NORMAL|FULL``
   restores more safety.
2. One SQLAlchemy engine per SQLite file instead of one per statement, and its connection kept:
   Dagster's SQLite storages call ``create_engine`` (``NullPool``) for every statement and
   dispose of the engine after it, so every INSERT was compiled again (SQLAlchemy caches compiled
   statements per engine): 24 s of a 127 s profiled demo run; and every statement opened a new
   SQLite connection (the file opened, its schema read, the pragma of measure 1) and closed it
   (the last connection to a WAL file checkpoints it): ~17 per step, 851 for a run of 50 small
   steps, ~40 % of its time (``benchmarks/bench_dagster_steps.py``). The engines now pool their connections (``QueuePool``;
   ``check_same_thread`` off, as SQLAlchemy does for its own SQLite pools: Dagster's storages
   already serialize their statements with a lock), and Dagster's dispose after each statement
   leaves them open (an engine dropped from the cache is disposed). Applied only to the Dagster
   version it was measured on.
3. One "materialization planned" event per asset for a single-run backfill, not one per
   partition (Dagster's ``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS``): 23 s of the same
   profile. Dagster's note: a failed run's partitions are then not marked failed in the UI
   (they keep their previous status; the run itself shows as failed, and the CLI exits non-zero).
   Set the variable to ``0`` to keep one event per partition.
4. The materializations of a partition range written in one go. A step over a range reports one
   materialization per partition (365 for a year of a daily model) and Dagster stored each on
   its own: a transaction on the run's file and one on the index file (each on a new SQLite
   connection before measure 2 kept them), the event serialized twice and the asset's row in
   ``asset_keys`` rewritten after a schema lookup, ~4.6 ms per event: 0.5 s of each daily
   model's step on the demo, whose SQL takes 35 ms. Dagster batches these events when
   ``DAGSTER_EVENT_BATCH_SIZE`` is set, but its SQLite storage then stores them one by one all the
   same; measure 4 sets the variable and gives the SQLite storage a batch write
   (:func:`_store_event_batch`) that stores exactly what ``store_event`` would. Applied only to
   the Dagster version it was written for.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

TUNED_DAGSTER_VERSION = "1.13.27"     # the version measures 2 and 4 were written for (pyproject pins it)
EVENT_BATCH_SIZE = "1000"             # events per batch write (a partition range: one step's events)
_MAX_ENGINES = 64                     # one per run shard: a CLI run makes ~25

_SQLITE_SYNC = {"home": None}
_ENGINES: dict = {"patched": False}
_BATCHES: dict = {"patched": False}


def tune_instance(home: Path) -> None:
    """Apply the four measures for the Dagster instance in ``home`` (idempotent)."""
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    _relax_sqlite_sync(home)
    _reuse_sqlite_engines()
    _batch_asset_events()


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
        """The engine made before for the same URL and options (least recently used dropped),
        pooling its connections where Dagster asked for none (``NullPool``)."""
        key = (str(url), kwargs.get("poolclass"), tuple(sorted((kwargs.get("connect_args") or {}).items())),
               tuple(sorted((k, repr(v)) for k, v in kwargs.items() if k not in ("poolclass", "connect_args"))))
        with lock:
            engine = engines.get(key)
            if engine is None:
                engine = engines[key] = _pooled_engine(url, kwargs)
                if len(engines) > _MAX_ENGINES:
                    evicted = engines.popitem(last=False)[1]
                    type(evicted).dispose(evicted)          # the real dispose: its connections close
            engines.move_to_end(key)
            return engine

    for module in (sqlite_event_log, sqlite_run_storage, sqlite_schedule_storage):
        module.create_engine = create_engine
    _ENGINES["patched"] = True


def _pooled_engine(url, kwargs: dict):
    """``sqlalchemy.create_engine(url, **kwargs)``, with a ``QueuePool`` instead of a ``NullPool``
    and a ``dispose`` that keeps the pool (Dagster disposes after each statement; measure 2)."""
    import sqlalchemy

    if kwargs.get("poolclass") is not sqlalchemy.pool.NullPool:
        return sqlalchemy.create_engine(url, **kwargs)
    connect_args = {**(kwargs.get("connect_args") or {}), "check_same_thread": False}
    engine = sqlalchemy.create_engine(url, **{**kwargs, "poolclass": sqlalchemy.pool.QueuePool,
                                              "connect_args": connect_args})
    engine.dispose = lambda close=True: None
    return engine


def _batch_asset_events() -> None:
    import dagster

    if _BATCHES["patched"] or dagster.__version__ != TUNED_DAGSTER_VERSION:
        return
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    SqliteEventLogStorage.store_event_batch = _store_event_batch
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)
    _BATCHES["patched"] = True


def _store_event_batch(self, events) -> None:
    """``SqliteEventLogStorage.store_event`` for many asset events of one run, in two
    transactions: the events into the run's file, then into the index file with their tags and
    the asset's row.

    What is stored is what ``store_event`` stores, event by event (the same rows, in the same
    order); only the ``asset_keys`` row is written once per asset and event type, from the last
    such event of the batch, instead of once per event: each write replaces the columns the
    previous one set, so the row ends the same. Any other batch (mixed runs, check or run
    events) is stored event by event, as Dagster does. Like ``store_event``, it is not atomic
    across the two files: if the index write fails, Dagster stores the batch again event by event,
    and the run's own log then lists those events twice (the index, which the asset views and
    partition statuses read, once).
    """
    from dagster._core.errors import DagsterInvariantViolationError
    from dagster._core.events import ASSET_EVENTS
    from dagster._core.storage.sqlalchemy_compat import db_result

    if not events or len({e.run_id for e in events}) != 1 or not all(
            e.is_dagster_event and e.dagster_event_type in ASSET_EVENTS and e.dagster_event.asset_key
            for e in events):
        for event in events:
            self.store_event(event)
        return
    statements = [self.prepare_insert_event(e) for e in events]      # serialized once, used twice
    with self.run_connection(events[0].run_id) as conn:
        for statement in statements:
            conn.execute(statement)
    with self.index_transaction() as conn:
        event_ids = []
        for statement in statements:
            with db_result(conn, statement) as result:
                event_ids.append(result.inserted_primary_key[0])
        if any(i is None for i in event_ids):
            raise DagsterInvariantViolationError("Cannot store asset event tags for null event id.")
        self._store_asset_event_tags(conn, events, event_ids)    # one insert (and table lookup)
        last = {}
        for position, event in enumerate(events):
            last[(event.dagster_event.asset_key, event.dagster_event_type)] = position
        for position in sorted(last.values()):
            self._store_asset_event(conn, events[position], event_ids[position])
