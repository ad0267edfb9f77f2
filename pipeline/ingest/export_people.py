"""Who appears in each loaded export: its message authors and its reactors, one row per user.

``staging.members`` needs, for every member, facts over all their messages and reactions: the
name on their latest message, whether a message flags them as a bot, their first non-system
message, whether they ever reacted. Read from ``raw.messages`` and ``raw.reactions`` (12.2M
and 5.5M rows at the benchmark's year) that was a group-by of the whole history on every run
(~1.1 of the model's ~1.5 s), a cost that follows the history, not the day's work. So the
loader also writes, for each export unit, what staging needs of the rows it loaded:

- ``raw.message_authors``: one row per (export unit, author): the author's name on their
  latest named message of that export and its time, whether any message flags them as a bot,
  their first non-system message's time;
- ``raw.reaction_users``: one row per (export unit, reactor).

Both carry the unit's provenance (``file_id``, ``file_path``, ``file_seq``) and change only
with its rows: written in the unit's load transaction from the rows it moved to ``raw.*``,
deleted with them when a new version of the export replaces it (``loader._delete_unit_rows``).
So aggregating them again per member gives exactly what aggregating the raw rows gives
(tests/test_export_people.py compares the two). A warehouse of a version without these tables
gets them from its raw rows once, by the first load of this one (:func:`summarise_if_missing`,
called by ``create_raw_tables``).
"""

from __future__ import annotations

import duckdb

from pipeline.sql_runner import bind

_AUTHORS = """
    insert into raw.message_authors
    select
        source,
        any_value(platform),
        file_id,
        file_path,
        file_seq,
        author_id,
        arg_max(author_name, sent_at),                          -- the latest named message
        max(sent_at) filter (where author_name is not null),    -- ... and its time (arg_max
                                                                -- skips NULL names)
        bool_or(author_is_bot),
        min(sent_at) filter (where kind <> 'system')
    from raw.messages
    where author_id is not null and ({scope})
    group by source, file_id, file_path, file_seq, author_id
"""

_REACTORS = """
    insert into raw.reaction_users
    select source, any_value(platform), file_id, file_path, file_seq, reactor_id
    from raw.reactions
    where reactor_id is not null and ({scope})
    group by source, file_id, file_path, file_seq, reactor_id
"""

SUMMARY_TABLES = ("message_authors", "reaction_users")


def summarise(conn: duckdb.DuckDBPyConnection, scope: str = "true", params: dict | None = None) -> None:
    """(Re)write the rows of both tables for the raw rows matching ``scope`` (a condition on
    the provenance columns, e.g. ``source = $source and file_seq = $file_seq``; its values
    bound from ``params``), in the caller's transaction."""
    params = params or {}
    for table in SUMMARY_TABLES:
        sql = f"delete from raw.{table} where {scope}"
        conn.execute(sql, bind(sql, params))
    for template in (_AUTHORS, _REACTORS):
        sql = template.format(scope=scope)
        conn.execute(sql, bind(sql, params))


def summarise_if_missing(conn: duckdb.DuckDBPyConnection) -> bool:
    """Write both tables from every raw row when they are empty while raw rows need them (a
    warehouse of a version without them); return whether it did."""
    missing = conn.execute("""
        select (not exists (select 1 from raw.message_authors)
                and exists (select 1 from raw.messages where author_id is not null))
            or (not exists (select 1 from raw.reaction_users)
                and exists (select 1 from raw.reactions where reactor_id is not null))""").fetchone()[0]
    if not missing:
        return False
    conn.execute("begin transaction")
    try:
        summarise(conn)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return True
