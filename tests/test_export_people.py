"""Who appears in each export (pipeline/ingest/export_people.py), through the real loader on
canonical files: raw.message_authors and raw.reaction_users hold, per export, exactly what
aggregating its raw rows gives; they follow an export that is replaced; staging.members built
from them is what it was when built from every raw row; a warehouse of a version without them
gets them once."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from pipeline.config import load_config
from pipeline.ingest.loader import ingest_source
from pipeline.ingest.schema import create_raw_tables
from pipeline.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
MEMBERS_SQL = (ROOT / "sql" / "staging" / "members.sql").read_text(encoding="utf-8")
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

# The per-member facts as staging.members computed them before these tables: from every raw row.
FROM_RAW_ROWS = """
    select a.*, r.reacted
    from (
        select source, author_id as user_id, arg_max(author_name, sent_at) as display_name,
               coalesce(bool_or(author_is_bot), false) as is_bot,
               min(sent_at) filter (where kind <> 'system') as first_message_at
        from raw.messages where author_id is not null group by all
    ) as a
    full join (select distinct source, reactor_id as user_id, true as reacted
               from raw.reactions where reactor_id is not null) as r using (source, user_id)
    order by all
"""
FROM_SUMMARIES = """
    select a.*, r.reacted
    from (
        select source, author_id as user_id, arg_max(author_name, author_name_at) as display_name,
               coalesce(bool_or(is_bot), false) as is_bot, min(first_message_at) as first_message_at
        from raw.message_authors group by all
    ) as a
    full join (select distinct source, reactor_id as user_id, true as reacted from raw.reaction_users) as r
        using (source, user_id)
    order by all
"""


def _project(tmp_path: Path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: Asia/Shanghai\nwarehouse: warehouse.duckdb\n"
        f"sources:\n  - {{name: forum, platform: canonical, path: '{landing}'}}\n", encoding="utf-8")
    cfg = load_config(tmp_path / "community.yaml")
    return cfg, landing, connect(cfg.warehouse)


def _write(path: Path, text: str, mtime: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))      # a new time: the loader reads the unit again


def _ingest(cfg, conn) -> None:
    result = ingest_source(conn, cfg, cfg.sources[0], now=NOW)
    assert not result.failed, [u.error for u in result.failed]


def _rows(conn, sql: str):
    return conn.execute(sql).fetchall()


MESSAGES_A = ("message_key,author_key,author_name,is_bot,sent_at,kind\n"
              "m1,u1,Alice,,2025-09-01T09:00:00+08:00,system\n"
              "m2,u1,Alice,,2025-09-01T10:00:00+08:00,message\n"
              "m3,u2,Bob,false,2025-09-02T10:00:00+08:00,message\n"
              "m4,u2,,false,2025-09-05T10:00:00+08:00,message\n"         # no name: the name stays Bob
              "m5,b1,Helper,true,2025-09-03T10:00:00+08:00,message\n"
              "m6,,Guest,,2025-09-03T11:00:00+08:00,message\n")           # no author: nobody's
MESSAGES_B = ("message_key,author_key,author_name,sent_at\n"
              "m7,u2,Bobby,2025-09-04T10:00:00+08:00\n"
              "m8,u3,Carol,2025-08-30T10:00:00+08:00\n")
REACTIONS = ("message_key,person_key,reaction\n"
             "m2,u4,thumbsup\n"
             "m3,u1,heart\n"
             "m3,,heart\n")                                              # unknown reactors: nobody's


def test_each_export_summarised_and_members_unchanged(tmp_path):
    cfg, landing, conn = _project(tmp_path)
    _write(landing / "messages_a.csv", MESSAGES_A, 1_700_000_000)
    _write(landing / "messages_b.csv", MESSAGES_B, 1_700_000_000)
    _write(landing / "reactions.csv", REACTIONS, 1_700_000_000)
    _ingest(cfg, conn)

    seq = dict(_rows(conn, "select file_path, file_seq from raw.files"))
    assert _rows(conn, """select file_path, author_id, author_name, author_name_at, is_bot, first_message_at
                          from raw.message_authors order by all""") == [
        ("messages_a.csv", "b1", "Helper", datetime(2025, 9, 3, 2, tzinfo=timezone.utc), True,
         datetime(2025, 9, 3, 2, tzinfo=timezone.utc)),
        ("messages_a.csv", "u1", "Alice", datetime(2025, 9, 1, 2, tzinfo=timezone.utc), None,
         datetime(2025, 9, 1, 2, tzinfo=timezone.utc)),                 # m2, not the system m1
        ("messages_a.csv", "u2", "Bob", datetime(2025, 9, 2, 2, tzinfo=timezone.utc), False,
         datetime(2025, 9, 2, 2, tzinfo=timezone.utc)),
        ("messages_b.csv", "u2", "Bobby", datetime(2025, 9, 4, 2, tzinfo=timezone.utc), None,
         datetime(2025, 9, 4, 2, tzinfo=timezone.utc)),
        ("messages_b.csv", "u3", "Carol", datetime(2025, 8, 30, 2, tzinfo=timezone.utc), None,
         datetime(2025, 8, 30, 2, tzinfo=timezone.utc))]
    assert _rows(conn, "select file_path, file_seq, reactor_id from raw.reaction_users order by all") == [
        ("reactions.csv", seq["reactions.csv"], "u1"), ("reactions.csv", seq["reactions.csv"], "u4")]
    assert _rows(conn, FROM_SUMMARIES) == _rows(conn, FROM_RAW_ROWS)
    members = {r[0]: r[1:] for r in _rows(conn, f"select member_key, display_name, is_bot, first_seen_at "
                                                f"from ({MEMBERS_SQL})")}
    assert members == {
        "forum:u1": ("Alice", False, datetime(2025, 9, 1, 2, tzinfo=timezone.utc)),
        "forum:u2": ("Bobby", False, datetime(2025, 9, 2, 2, tzinfo=timezone.utc)),   # m7 of 09-04: the latest name
        "forum:u3": ("Carol", False, datetime(2025, 8, 30, 2, tzinfo=timezone.utc)),
        "forum:u4": ("u4", False, None),                                             # a reactor only
        "forum:b1": ("Helper", True, datetime(2025, 9, 3, 2, tzinfo=timezone.utc))}

    # a new version of messages_b.csv replaces the old one: its people go with its rows
    _write(landing / "messages_b.csv", "message_key,author_key,author_name,sent_at\n"
                                       "m7,u2,Robert,2025-09-06T10:00:00+08:00\n", 1_700_000_100)
    _ingest(cfg, conn)
    assert _rows(conn, "select author_id, author_name from raw.message_authors "
                       "where file_path = 'messages_b.csv'") == [("u2", "Robert")]
    assert _rows(conn, FROM_SUMMARIES) == _rows(conn, FROM_RAW_ROWS)
    members = {r[0]: r[1] for r in _rows(conn, f"select member_key, display_name from ({MEMBERS_SQL})")}
    assert members["forum:u2"] == "Robert" and "forum:u3" not in members


def test_warehouse_of_an_earlier_version_gets_them_once(tmp_path):
    cfg, landing, conn = _project(tmp_path)
    _write(landing / "messages_a.csv", MESSAGES_A, 1_700_000_000)
    _write(landing / "reactions.csv", REACTIONS, 1_700_000_000)
    _ingest(cfg, conn)
    loaded = (_rows(conn, "select * from raw.message_authors order by all"),
              _rows(conn, "select * from raw.reaction_users order by all"))
    assert loaded[0] and loaded[1]
    # what an earlier version left: no such tables
    conn.execute("drop table raw.message_authors")
    conn.execute("drop table raw.reaction_users")
    _write(landing / "messages_b.csv", MESSAGES_B, 1_700_000_000)
    _ingest(cfg, conn)                      # the next load: every export's people, then the new one's
    assert _rows(conn, "select * from raw.message_authors where file_path = 'messages_a.csv' order by all") \
        == loaded[0]
    assert _rows(conn, "select * from raw.reaction_users order by all") == loaded[1]
    assert _rows(conn, "select count(*) from raw.message_authors where file_path = 'messages_b.csv'") == [(2,)]
    assert _rows(conn, FROM_SUMMARIES) == _rows(conn, FROM_RAW_ROWS)
    # once: tables that hold rows are left as they are
    conn.execute("delete from raw.message_authors where author_id = 'u3'")
    create_raw_tables(conn)
    assert _rows(conn, "select count(*) from raw.message_authors where author_id = 'u3'") == [(0,)]
