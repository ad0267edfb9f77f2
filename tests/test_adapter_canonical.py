"""Canonical CSV / Parquet adapter through the real ingest framework (hand-written files)."""

from __future__ import annotations

import gzip
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

UTC = timezone.utc
NOW = datetime(2026, 1, 1, tzinfo=UTC)

# CRLF line ends and a UTF-8 BOM, as spreadsheet tools write them. The multi-line quoted value
# is in the last record, so every 'line n' below is also the physical line.
MESSAGES_CSV = (
    "\ufeffmessage_key,author_key,sent_at,channel_id,channel_name,kind,parent_key,thread_key,text,is_edited,has_attachment\r\n"
    "forum:m1,forum:u1,2024-03-01 09:30:00,general,General,,,,\"hello, world\",false,0\r\n"
    "m3,u1,yesterday-ish,general,General,message,,,bad time,,\r\n"
    ",u1,2024-03-01T02:00:00Z,general,General,,,,no key,,\r\n"
    "m5,u3,1709260200.5,general,General,Reply,forum:m1,,epoch,,\r\n"
    "m6,u3,2024-03-01T03:00:00Z,general,General,note,,,odd kind,,\r\n"
    "m7,,2024-03-01T03:00:00Z,general,General,system,,,has joined,,\r\n"
    "forum:m2,u2,2024-03-01T10:00:00+08:00,general,General,,forum:m1,forum:m1,\"line one\nline two\",TRUE,1\r\n"
)
MEMBERS_CSV = (
    "member_key,display_name,is_bot,joined_at,left_at,region\n"
    "forum:u1,Alice,false,2024-01-05T08:00:00+08:00,,Beijing\n"
    "forum:u2,Bob,,2024-01-06 09:00:00,2024-02-01 10:00:00,\n"
    ",Nobody,,,,\n"
    "forum:bot,Helper Bot,yes,,,\n"
)
REACTIONS_CSV = (
    "message_key,person_key,reaction,reacted_at,count\n"
    "forum:m1,forum:u2,thumbsup,,\n"
    "forum:m1,,thumbsup,,3\n"
    "m2,u1,heart,2024-03-01T11:00:00+08:00,\n"
    "m2,u3,heart,soon,\n"
    ",u1,x,,\n"
    "m2,u1,fire,,-2\n"
)
EVENTS_CSV = (
    "person_key,channel_id,event,occurred_at,via\n"
    "forum:u1,general,join,2024-01-05T08:00:00+08:00,invite\n"
    "u2,general,LEAVE,2024-02-01 10:00:00,\n"
    "u3,general,kicked,2024-02-02 10:00:00,\n"
    ",general,join,2024-02-02 10:00:00,\n"
    "u4,general,join,,\n"
)


def _project(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: Asia/Shanghai\n"
        "warehouse: data/warehouse.duckdb\n"
        "sources:\n  - {name: forum, platform: canonical, path: landing}\n", encoding="utf-8")
    return landing


def _rows(conn, sql: str):
    return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("canonical")
    landing = _project(tmp_path)
    (landing / "messages.csv").write_bytes(MESSAGES_CSV.encode("utf-8"))
    (landing / "members.csv").write_text(MEMBERS_CSV, encoding="utf-8")
    (landing / "reactions.csv").write_text(REACTIONS_CSV, encoding="utf-8")
    (landing / "membership_events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    with gzip.open(landing / "messages_gz.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("message_key,person_key,sent_at\nforum:g1,forum:u1,2024-03-03T00:00:00Z\n")
    (landing / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (landing / "messages_nosent.csv").write_text("message_key,author_key,text\nx,u1,hi\n", encoding="utf-8")
    (landing / "messages_ragged.csv").write_text(
        "message_key,author_key,sent_at\nr1,u1,2024-03-01T00:00:00Z\nr2,u1,2024-03-01T00:00:00Z,extra\n",
        encoding="utf-8")

    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    # A Parquet file written by DuckDB, with typed columns (TIMESTAMPTZ, BOOLEAN).
    parquet = landing / "messages_2024.parquet"
    conn.execute(f"""copy (select * from (values
            ('forum:p1', 'forum:u9', timestamptz '2024-03-02 12:00:00+00', true, 'from parquet'),
            ('forum:p2', 'forum:u9', null::timestamptz, false, 'no time'))
        t(message_key, person_key, sent_at, is_edited, text)) to '{parquet}' (format parquet)""")
    result = ingest_source(conn, cfg, cfg.sources[0], now=NOW)
    yield cfg, conn, result
    conn.close()


def test_units_and_ledger(loaded):
    _, conn, result = loaded
    assert {u.file_path: (u.status, u.rows_read, u.rows_loaded, u.rows_quarantined) for u in result.units} == {
        "messages.csv": ("loaded", 7, 4, 3),
        "messages_gz.csv.gz": ("loaded", 1, 1, 0),
        "messages_2024.parquet": ("loaded", 2, 1, 1),
        "members.csv": ("loaded", 5, 4, 1),          # 4 user rows + 1 leave event from left_at
        "reactions.csv": ("loaded", 6, 3, 3),
        "membership_events.csv": ("loaded", 5, 2, 3),
        "notes.csv": ("failed", 0, 0, 0),
        "messages_nosent.csv": ("failed", 0, 0, 0),
        "messages_ragged.csv": ("failed", 0, 0, 0),
    }


def test_bad_file_name_and_missing_column_fail_with_clear_errors(loaded):
    _, conn, _ = loaded
    errors = dict(_rows(conn, "select file_path, error from raw.files where status = 'failed'"))
    assert errors["notes.csv"] == (
        "notes.csv: at file name: expected a name starting with messages, members, reactions or "
        "membership_events (e.g. messages_2024-06.csv, members.parquet) (cannot tell which table "
        "'notes.csv' holds)")
    assert errors["messages_nosent.csv"].startswith(
        "messages_nosent.csv: at header (line 1): expected columns message_key, author_key or person_key, "
        "sent_at (optional: ")
    assert errors["messages_nosent.csv"].endswith("(missing column sent_at; found message_key, author_key, text)")
    # a row with more values than the header fails the file, naming the line; nothing of it is loaded
    assert errors["messages_ragged.csv"].startswith(
        "messages_ragged.csv: at line 3: expected a well-formed messages file: one value per header column")
    assert _rows(conn, "select count(*) from raw.messages where file_path = 'messages_ragged.csv'") == [(0,)]


def test_messages(loaded):
    _, conn, _ = loaded
    rows = _rows(conn, """select file_path, location, message_id, channel_id, channel_name, author_id, raw_time,
                                 sent_at, kind, system_event, parent_id, thread_id, text, is_edited, has_attachment
                          from raw.messages order by file_path, location""")
    assert rows == [
        ("messages.csv", "line 2", "m1", "general", "General", "u1", "2024-03-01 09:30:00",
         datetime(2024, 3, 1, 1, 30, tzinfo=UTC),  # no offset: exporter zone (default: Asia/Shanghai)
         "message", None, None, None, "hello, world", False, False),
        ("messages.csv", "line 5", "m5", "general", "General", "u3", "1709260200.5",
         datetime(2024, 3, 1, 2, 30, 0, 500000, tzinfo=UTC),  # epoch seconds
         "reply", None, "m1", None, "epoch", None, None),
        ("messages.csv", "line 7", "m7", "general", "General", None, "2024-03-01T03:00:00Z",
         datetime(2024, 3, 1, 3, 0, tzinfo=UTC), "system", "other", None, None, "has joined", None, None),
        ("messages.csv", "line 8", "m2", "general", "General", "u2", "2024-03-01T10:00:00+08:00",
         datetime(2024, 3, 1, 2, 0, tzinfo=UTC), "reply", None, "m1", "m1", "line one\nline two", True, True),
        ("messages_2024.parquet", "row 1", "p1", None, None, "u9", "2024-03-02 12:00:00+00",
         datetime(2024, 3, 2, 12, 0, tzinfo=UTC), "message", None, None, None, "from parquet", True, None),
        ("messages_gz.csv.gz", "line 2", "g1", None, None, "u1", "2024-03-03T00:00:00Z",
         datetime(2024, 3, 3, 0, 0, tzinfo=UTC), "message", None, None, None, None, None, None),
    ]
    # local_date is the community-zone date of the instant
    assert _rows(conn, "select strftime(local_date, '%Y-%m-%d') from raw.messages where message_id = 'm1'") == [("2024-03-01",)]


def test_quarantine(loaded):
    _, conn, _ = loaded
    rows = _rows(conn, "select file_path, location, entity, rule, reason from raw.quarantine order by file_path, location")
    assert rows == [
        ("members.csv", "line 4", "users", "missing_id", "members.csv at line 4: expected a user id, found none"),
        ("membership_events.csv", "line 4", "membership_events", "unknown_event",
         "membership_events.csv at line 4: expected event join or leave, found kicked"),
        ("membership_events.csv", "line 5", "membership_events", "missing_id",
         "membership_events.csv at line 5: expected the id of the member who joined or left, found none"),
        ("membership_events.csv", "line 6", "membership_events", "unparseable_time",
         "membership_events.csv at line 6: expected a timestamp, found none"),
        ("messages.csv", "line 3", "messages", "unparseable_time",
         "messages.csv at line 3: expected a timestamp, found 'yesterday-ish'"),
        ("messages.csv", "line 4", "messages", "missing_id", "messages.csv at line 4: expected a message id, found none"),
        ("messages.csv", "line 6", "messages", "unknown_kind",
         "messages.csv at line 6: expected kind message, reply or system, found note"),
        ("messages_2024.parquet", "row 2", "messages", "unparseable_time",
         "messages_2024.parquet at row 2: expected a timestamp, found none"),
        ("reactions.csv", "line 5", "reactions", "unparseable_time", "reactions.csv at line 5: expected a timestamp, found 'soon'"),
        ("reactions.csv", "line 6", "reactions", "missing_id",
         "reactions.csv at line 6: expected the id of the message reacted to, found none"),
        ("reactions.csv", "line 7", "reactions", "invalid_count",
         "reactions.csv at line 7: expected a reaction count >= 0, found -2"),
    ]


def test_members_reactions_events(loaded):
    _, conn, _ = loaded
    assert _rows(conn, "select location, user_id, display_name, is_bot, is_deleted, joined_at from raw.users order by location") == [
        ("line 2", "u1", "Alice", False, None, datetime(2024, 1, 5, 0, 0, tzinfo=UTC)),
        ("line 3", "u2", "Bob", None, None, datetime(2024, 1, 6, 1, 0, tzinfo=UTC)),
        ("line 5", "bot", "Helper Bot", True, None, None),
    ]
    assert _rows(conn, "select location, message_id, reactor_id, reaction, reaction_count, raw_time, reacted_at "
                       "from raw.reactions order by location") == [
        ("line 2", "m1", "u2", "thumbsup", 1, None, None),
        ("line 3", "m1", None, "thumbsup", 3, None, None),
        ("line 4", "m2", "u1", "heart", 1, "2024-03-01T11:00:00+08:00", datetime(2024, 3, 1, 3, 0, tzinfo=UTC)),
    ]
    assert _rows(conn, "select file_path, location, user_id, channel_id, event, occurred_at, via "
                       "from raw.membership_events order by file_path, location") == [
        ("members.csv", "line 3", "u2", None, "leave", datetime(2024, 2, 1, 2, 0, tzinfo=UTC), "members.left_at"),
        ("membership_events.csv", "line 2", "u1", "general", "join", datetime(2024, 1, 5, 0, 0, tzinfo=UTC), "invite"),
        ("membership_events.csv", "line 3", "u2", "general", "leave", datetime(2024, 2, 1, 2, 0, tzinfo=UTC), None),
    ]


def test_loading_twice_adds_nothing(loaded):
    cfg, conn, _ = loaded
    tables = ("messages", "users", "reactions", "membership_events", "quarantine")
    before = [_rows(conn, f"select count(*) from raw.{t}") for t in tables]
    again = ingest_source(conn, cfg, cfg.sources[0], now=NOW)
    assert {u.file_path: u.status for u in again.units if u.status != "failed"} == {
        "messages.csv": "skipped", "messages_gz.csv.gz": "skipped", "messages_2024.parquet": "skipped",
        "members.csv": "skipped", "reactions.csv": "skipped", "membership_events.csv": "skipped"}
    assert [_rows(conn, f"select count(*) from raw.{t}") for t in tables] == before


def test_a_changed_export_replaces_its_rows_and_a_fixed_one_loads_once(tmp_path):
    """The loader deletes a unit's earlier rows only when the ledger knows the unit (a new unit has
    none): a new version at the same path replaces the old rows, quarantine included; a unit
    that failed and is then fixed loads with one ledger row; a new unit beside them adds only
    its own rows."""
    landing = _project(tmp_path)
    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    (landing / "messages.csv").write_bytes(MESSAGES_CSV.encode("utf-8"))
    (landing / "members.csv").write_text("member_key,display_name\nforum:u1,Alice\n\"forum:u2,Bob\n",
                                         encoding="utf-8")      # an unclosed quote: fails
    first = {u.file_path: u.status for u in ingest_source(conn, cfg, cfg.sources[0], now=NOW).units}
    assert first == {"messages.csv": "loaded", "members.csv": "failed"}
    assert _rows(conn, "select count(*) from raw.messages") == [(4,)]
    assert _rows(conn, "select count(*) from raw.quarantine where file_path = 'messages.csv'") == [(3,)]

    (landing / "messages.csv").write_text(                           # a new version: one row, no breakers
        "message_key,author_key,sent_at,channel_id,kind,text\nforum:m9,forum:u1,2024-03-02 09:00:00,general,,v2\n",
        encoding="utf-8")
    (landing / "members.csv").write_text("member_key,display_name\nforum:u1,Alice\nforum:u2,Bob\n", encoding="utf-8")
    (landing / "reactions.csv").write_text("message_key,person_key,reaction\nforum:m9,forum:u2,heart\n",
                                           encoding="utf-8")
    second = {u.file_path: u.status for u in ingest_source(conn, cfg, cfg.sources[0], now=NOW).units}
    assert second == {"messages.csv": "loaded", "members.csv": "loaded", "reactions.csv": "loaded"}
    assert _rows(conn, "select message_id, text from raw.messages") == [("m9", "v2")]
    assert _rows(conn, "select count(*) from raw.quarantine") == [(0,)]
    assert _rows(conn, "select user_id from raw.users order by 1") == [("u1",), ("u2",)]
    assert _rows(conn, "select file_path, status, count(*) from raw.files group by all order by 1") == [
        ("members.csv", "loaded", 1), ("messages.csv", "loaded", 1), ("reactions.csv", "loaded", 1)]
    assert _rows(conn, "select count(*) from raw.reactions") == [(1,)]
