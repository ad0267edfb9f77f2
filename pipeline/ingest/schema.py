"""DDL of the raw layer: the tables every platform adapter fills.

This module owns the *contract* between adapters and the rest of the pipeline.

Adapters never write to ``raw.*`` directly. For each export they fill the ``_in_*``
temporary "candidate" tables (created by :func:`create_candidate_tables`), one row per
record found in the file, bad ones included. The ingest framework
(``pipeline/ingest/loader.py``) then applies the row rules of ``pipeline/ingest/rules.py``:
rule breakers go to ``raw.quarantine`` with the rule, the file and the place in the file,
everything else is copied to ``raw.*``. So for every file:
``rows read = rows loaded + rows quarantined`` (and later
``rows loaded = rows staged + duplicates removed``).

Id spaces (all VARCHAR, never numbers: Discord snowflakes do not fit a double):
- ``message_id`` is unique per *platform export space*: Slack ``<channel_id>:<ts>``,
  Discord the message snowflake, Telegram ``<chat_id>:<message id>``.
  ``parent_id`` / ``thread_id`` use the same space.
- ``user_id`` is the platform user id (Slack ``U…``/``B…``, Discord snowflake,
  Telegram ``user123``). Staging turns it into ``member_key = <source>:<user_id>``.
"""

from __future__ import annotations

import re

from pipeline.ingest.inputs_schema import INPUT_RAW_DDL

# Columns shared by every candidate/raw row: where it came from.
_PROVENANCE = """
    source VARCHAR,            -- the config source name, e.g. slack_main
    platform VARCHAR,          -- slack | discord | telegram | canonical
    file_id VARCHAR,           -- content hash of the export unit (ledger key in raw.files)
    file_path VARCHAR,         -- path of the export relative to the source folder
    file_seq BIGINT,           -- ingest order of the export: higher = loaded later = newer
    location VARCHAR           -- place inside the export, e.g. 'messages[12]' or 'general/2024-01-02.json[3]'
"""

CANDIDATE_COLUMNS = {
    "messages": """
    message_id VARCHAR,        -- see module docstring
    channel_id VARCHAR,
    channel_name VARCHAR,
    author_id VARCHAR,         -- platform user id; NULL when the platform gives none
    author_name VARCHAR,
    author_is_bot BOOLEAN,     -- what the message itself says (Discord isBot, Slack bot_id); NULL = unknown
    raw_time VARCHAR,          -- the time exactly as written in the export (for quarantine reasons)
    sent_at TIMESTAMPTZ,       -- the instant; NULL when raw_time could not be parsed
    kind VARCHAR,              -- message | reply | system
    system_event VARCHAR,      -- for kind=system: join | leave | pin | rename | thread_created | other
    parent_id VARCHAR,         -- message replied to (same id space as message_id)
    thread_id VARCHAR,         -- root message of the thread the message belongs to
    text VARCHAR,
    is_edited BOOLEAN,
    edited_at TIMESTAMPTZ,
    has_attachment BOOLEAN
""",
    "users": """
    user_id VARCHAR,
    display_name VARCHAR,
    is_bot BOOLEAN,
    is_deleted BOOLEAN,
    joined_at TIMESTAMPTZ,     -- when the platform says the user joined (rarely given)
    email VARCHAR,
    phone VARCHAR
""",
    "reactions": """
    message_id VARCHAR,        -- the message reacted to
    reactor_id VARCHAR,        -- NULL = reactor unknown (only a count is known)
    reaction VARCHAR,          -- emoji name / shortcode
    reaction_count BIGINT,     -- 1 for a known reactor; the count of unknown reactors otherwise
    raw_time VARCHAR,
    reacted_at TIMESTAMPTZ     -- NULL when the platform gives no time (dated by the message then)
""",
    "membership_events": """
    user_id VARCHAR,
    channel_id VARCHAR,
    event VARCHAR,             -- join | leave
    raw_time VARCHAR,
    occurred_at TIMESTAMPTZ,
    via VARCHAR                -- e.g. channel_join, guild_join, invite, link, kicked
""",
    # Platform-side aggregates (WeCom customer-group statistics): figures a platform computed,
    # not member-level records. One row per (day, owner) item of a statistics response.
    "daily_aggregates": """
    stat_date DATE,            -- the statistics day (WeCom: 00:00-24:00 China time); NULL = unknown
    stat_end_date DATE,        -- last day the figures cover (= stat_date for daily figures)
    raw_time VARCHAR,          -- stat_time / day_begin_time exactly as written
    granularity VARCHAR,       -- by_day (statistic_group_by_day) | by_owner (statistic)
    owner VARCHAR,             -- group owner userid (by_owner) or the request's owner filter, comma-joined (by_day)
    new_chat_cnt BIGINT,
    chat_total BIGINT,
    chat_has_msg BIGINT,
    new_member_cnt BIGINT,
    member_total BIGINT,
    member_has_msg BIGINT,
    msg_total BIGINT,
    migrate_trainee_chat_cnt BIGINT
""",
}

# Columns the loader adds when it copies candidates to raw.* (computed, not adapter-filled).
_RAW_EXTRA = {
    "messages": "local_date DATE,",
    "users": "",
    "reactions": "",
    "membership_events": "local_date DATE,",
    "daily_aggregates": "",
}

RAW_DDL = [
    "create schema if not exists raw",
    """
    create table if not exists raw.files (
        file_id VARCHAR,          -- 'blake3:' + BLAKE3 of the export's bytes (a Slack folder: of all its
                                  -- files); plain sha256 hex in warehouses from before (loader.py)
        source VARCHAR,
        platform VARCHAR,
        file_path VARCHAR,        -- relative to the source folder
        file_seq BIGINT,
        size_bytes BIGINT,
        loaded_at TIMESTAMPTZ,
        status VARCHAR,           -- loaded | failed
        error VARCHAR,            -- for failed: what was wrong, where, and what was expected
        rows_read BIGINT,         -- candidate rows of all entities
        rows_loaded BIGINT,
        rows_quarantined BIGINT,
        messages_read BIGINT,
        messages_loaded BIGINT,
        messages_quarantined BIGINT
    )
    """,
    """
    create table if not exists raw.file_hashes (
        source VARCHAR,
        file_path VARCHAR,        -- relative to the source folder
        signature VARCHAR,        -- size and mtime (of every file, for a folder)
        file_id VARCHAR           -- its content hash (raw.files.file_id): not re-read while unchanged
    )
    """,
    """
    create table if not exists raw.user_repeats (
        -- a user listing that repeats the user's previous listing unchanged (its record is
        -- that raw.users row's): kept here instead of as another raw.users row (user_repeats.py)
        source VARCHAR,
        user_id VARCHAR,
        file_id VARCHAR,
        file_path VARCHAR,
        file_seq BIGINT,
        location VARCHAR
    )
    """,
    """
    create table if not exists raw.quarantine (
        source VARCHAR,
        platform VARCHAR,
        file_id VARCHAR,
        file_path VARCHAR,
        location VARCHAR,
        entity VARCHAR,           -- messages | users | reactions | membership_events | daily_aggregates
        rule VARCHAR,             -- e.g. missing_id, unparseable_time, time_in_future
        reason VARCHAR,           -- human sentence naming the file, place and what was expected
        record VARCHAR            -- the candidate row as JSON text
    )
    """,
]
# Columns of raw.* stored with ZSTD instead of DuckDB's automatic choice (dictionary + FSST for
# text): values unique per row (places, ids, times as written), which no dictionary shortens and
# whose automatic analysis was most of the cost of writing them. A 1.24M-message Telegram export:
# raw.messages written in 0.81 s instead of 0.96 (53.0 -> 55.7 MiB), raw.reactions in 0.30 s
# instead of 0.39 (32.2 -> 29.5 MiB); on the year's warehouse, picking each message's latest
# version reads them as fast, and the daily update's staging.reactions took the same 0.34 s.
# Free text stays automatic: scanning ZSTD text measured ~3x slower.
ZSTD_COLUMNS = {
    "messages": ("location", "message_id", "raw_time"),
    "reactions": ("location", "message_id", "raw_time"),
}


def _with_compression(columns: str, zstd: tuple[str, ...]) -> str:
    """A column list with ``USING COMPRESSION zstd`` after the VARCHAR type of ``zstd``'s columns."""
    for name in zstd:
        columns, n = re.subn(rf"^(\s*{name} VARCHAR)\b", r"\1 USING COMPRESSION zstd", columns, flags=re.M)
        if n != 1:
            raise ValueError(f"ZSTD_COLUMNS names {name!r}, which is not one VARCHAR column of the table")
    return columns


for _entity, _cols in CANDIDATE_COLUMNS.items():
    _all = _with_compression(f"{_PROVENANCE}, {_RAW_EXTRA[_entity]} {_cols}", ZSTD_COLUMNS.get(_entity, ()))
    RAW_DDL.append(f"create table if not exists raw.{_entity} ({_all})")


def column_names(columns: str) -> list[str]:
    """The column names of a column list above (e.g. ``CANDIDATE_COLUMNS["users"]``)."""
    return re.findall(r"^\s*(\w+) [A-Z]", columns, re.M)


# Every user listing of every export as it was loaded (what raw.users held before listings that
# repeat the previous one moved to raw.user_repeats): a repeat takes its record from the row it
# repeats, the last raw.users row before it in staging's order. For lineage and debugging; the
# models read raw.users, whose newest row per user is the same record.
# The fields a user listing is compared on (all but its key and its provenance), and the order
# of a user's listings: staging.members's (file_seq desc, location desc, DuckDB's default NULLS
# LAST), ascending.
USER_RECORD = ("platform", *(c for c in column_names(CANDIDATE_COLUMNS["users"]) if c != "user_id"))
LISTING_ORDER = "file_seq, location nulls first"
RAW_DDL.append(f"""
    create view if not exists raw.user_listings as
    select source, rec.platform, file_id, file_path, file_seq, location, user_id,
           {", ".join(f"rec.{c}" for c in USER_RECORD[1:])}
    from (
        select * exclude (rec),
               last_value(rec ignore nulls) over (
                   partition by source, user_id order by {LISTING_ORDER}
                   rows between unbounded preceding and current row) as rec
        from (
            select source, user_id, file_id, file_path, file_seq, location,
                   struct_pack({", ".join(USER_RECORD)}) as rec
            from raw.users
            union all
            select source, user_id, file_id, file_path, file_seq, location, null
            from raw.user_repeats
        )
    )
""")
# Who appears in each export (pipeline/ingest/export_people.py): what staging.members needs of
# the raw messages and reactions, one row per (export unit, user), written with the unit's rows.
RAW_DDL += [
    """
    create table if not exists raw.message_authors (
        source VARCHAR,
        platform VARCHAR,
        file_id VARCHAR,
        file_path VARCHAR,
        file_seq BIGINT,
        author_id VARCHAR,
        author_name VARCHAR,           -- on the author's latest message of the export with a name
        author_name_at TIMESTAMPTZ,    -- that message's sent_at
        is_bot BOOLEAN,                -- any of their messages flags them as a bot (NULL = none says)
        first_message_at TIMESTAMPTZ   -- their first non-system message of the export
    )
    """,
    """
    create table if not exists raw.reaction_users (
        source VARCHAR,
        platform VARCHAR,
        file_id VARCHAR,
        file_path VARCHAR,
        file_seq BIGINT,
        reactor_id VARCHAR
    )
    """,
]
RAW_DDL += INPUT_RAW_DDL  # business inputs: raw.input_files, raw.input_<name> (inputs_schema.py)


def create_raw_tables(conn) -> None:
    """Create the raw schema and its tables if missing (idempotent); a warehouse of a version
    without the per-export summaries gets them from its raw rows (export_people.py)."""
    from pipeline.ingest.export_people import summarise_if_missing

    for ddl in RAW_DDL:
        conn.execute(ddl)
    summarise_if_missing(conn)


def create_candidate_tables(conn) -> None:
    """(Re)create the empty ``_in_<entity>`` temp tables an adapter fills for one export."""
    for entity, cols in CANDIDATE_COLUMNS.items():
        conn.execute(f"create or replace temp table _in_{entity} ({_PROVENANCE}, {cols})")
