"""Hand-built raw rows for metric tests: insert records into ``raw.*`` as the loader would.

Times are given as local wall-clock times of the community (``at(...)``) and stored as instants;
``local_date`` is computed exactly as ``pipeline/ingest/loader.py`` does
(``cast(timezone(tz, sent_at) as date)``). Provenance columns are filled (``file_id``,
``file_seq``, a running ``location``), so staging's "latest version wins" rules apply.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipeline.build import build_all
from pipeline import warehouse
from pipeline.ingest.export_people import summarise
from pipeline.ingest.schema import create_raw_tables

TZ = "Asia/Shanghai"


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0, tz: str = TZ) -> datetime:
    """An instant given by its local wall-clock time in ``tz``."""
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz))


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A real warehouse file with the pipeline's connection settings (session time zone UTC)."""
    return warehouse.connect(path)


class Raw:
    """Writes raw rows for one test warehouse."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, tz: str = TZ, platform: str = "canonical"):
        self.conn = conn
        self.tz = tz
        self.platform = platform
        self._loc = itertools.count()
        create_raw_tables(conn)

    def _prov(self, source: str, file_id: str, file_seq: int) -> dict:
        return {"source": source, "platform": self.platform, "file_id": file_id,
                "file_path": f"{file_id}.csv", "file_seq": file_seq, "location": f"row[{next(self._loc):05d}]"}

    def _summarise(self, source: str, file_seq: int) -> None:
        # as the loader does for each export: who appears in it (pipeline/ingest/export_people.py)
        summarise(self.conn, "source = $source and file_seq = $file_seq", {"source": source, "file_seq": file_seq})

    def user(self, source: str, user_id: str, *, name: str | None = None, is_bot: bool = False,
             joined_at: datetime | None = None, file_id: str = "f1", file_seq: int = 1) -> None:
        self.conn.execute(
            """insert into raw.users by name
               select $source as source, $platform as platform, $file_id as file_id, $file_path as file_path,
                      $file_seq as file_seq, $location as location, $user_id as user_id,
                      $name as display_name, $is_bot as is_bot, false as is_deleted,
                      cast($joined_at as timestamptz) as joined_at""",
            {**self._prov(source, file_id, file_seq), "user_id": user_id, "name": name or user_id,
             "is_bot": is_bot, "joined_at": joined_at})

    def message(self, source: str, message_id: str, author_id: str | None, sent_at: datetime, *,
                kind: str = "message", system_event: str | None = None, parent_id: str | None = None,
                thread_id: str | None = None, text: str = "hello", channel_id: str = "c1",
                channel_name: str = "general", author_is_bot: bool | None = None,
                edited_at: datetime | None = None, has_attachment: bool = False,
                file_id: str = "f1", file_seq: int = 1) -> None:
        self.conn.execute(
            """insert into raw.messages by name
               select $source as source, $platform as platform, $file_id as file_id, $file_path as file_path,
                      $file_seq as file_seq, $location as location,
                      cast(timezone($tz, cast($sent_at as timestamptz)) as date) as local_date,
                      $message_id as message_id, $channel_id as channel_id, $channel_name as channel_name,
                      $author_id as author_id, $author_id as author_name, $author_is_bot as author_is_bot,
                      cast($sent_at as varchar) as raw_time, cast($sent_at as timestamptz) as sent_at,
                      $kind as kind, $system_event as system_event, $parent_id as parent_id,
                      $thread_id as thread_id, $text as text, $edited_at is not null as is_edited,
                      cast($edited_at as timestamptz) as edited_at, $has_attachment as has_attachment""",
            {**self._prov(source, file_id, file_seq), "tz": self.tz, "message_id": message_id,
             "channel_id": channel_id, "channel_name": channel_name, "author_id": author_id,
             "author_is_bot": author_is_bot, "sent_at": sent_at, "kind": kind, "system_event": system_event,
             "parent_id": parent_id, "thread_id": thread_id, "text": text, "edited_at": edited_at,
             "has_attachment": has_attachment})
        self._summarise(source, file_seq)

    def reaction(self, source: str, message_id: str, reactor_id: str | None, *, reaction: str = "thumbsup",
                 count: int = 1, reacted_at: datetime | None = None, file_id: str = "f1",
                 file_seq: int = 1) -> None:
        """A reaction; ``reactor_id=None`` = unknown reactors (``count`` of them)."""
        self.conn.execute(
            """insert into raw.reactions by name
               select $source as source, $platform as platform, $file_id as file_id, $file_path as file_path,
                      $file_seq as file_seq, $location as location, $message_id as message_id,
                      $reactor_id as reactor_id, $reaction as reaction, $count as reaction_count,
                      cast($reacted_at as varchar) as raw_time, cast($reacted_at as timestamptz) as reacted_at""",
            {**self._prov(source, file_id, file_seq), "message_id": message_id, "reactor_id": reactor_id,
             "reaction": reaction, "count": count, "reacted_at": reacted_at})
        self._summarise(source, file_seq)

    def event(self, source: str, user_id: str, event: str, occurred_at: datetime, *, channel_id: str = "c1",
              via: str | None = None, file_id: str = "f1", file_seq: int = 1) -> None:
        self.conn.execute(
            """insert into raw.membership_events by name
               select $source as source, $platform as platform, $file_id as file_id, $file_path as file_path,
                      $file_seq as file_seq, $location as location,
                      cast(timezone($tz, cast($occurred_at as timestamptz)) as date) as local_date,
                      $user_id as user_id, $channel_id as channel_id, $event as event,
                      cast($occurred_at as varchar) as raw_time, cast($occurred_at as timestamptz) as occurred_at,
                      $via as via""",
            {**self._prov(source, file_id, file_seq), "tz": self.tz, "user_id": user_id,
             "channel_id": channel_id, "event": event, "occurred_at": occurred_at, "via": via})


def build(conn: duckdb.DuckDBPyConnection, start: date, end: date, tz: str = TZ) -> None:
    """Build every model for local dates [start, end)."""
    build_all(conn, start, end, tz)


def rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    return conn.execute(sql, params or {}).fetchall()


def by_date(conn: duckdb.DuckDBPyConnection, table: str, columns: str) -> dict[date, tuple]:
    """``{date: (columns...)}`` of a daily mart."""
    out = {}
    for row in conn.execute(f"select date, {columns} from {table} order by date").fetchall():
        out[row[0]] = row[1:] if len(row) > 2 else row[1]
    return out


def kpis(conn: duckdb.DuckDBPyConnection, grain: str, period_start: date) -> dict[str, float | None]:
    table = f"marts.kpis_{grain}"
    return dict(conn.execute(f"select metric, value from {table} where period_start = $p",
                             {"p": period_start}).fetchall())
