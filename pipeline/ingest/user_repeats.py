"""User lists stored once per change, not once per export.

Many exports carry a user list: a Slack export's ``users.json`` is the whole workspace (41,688
users in the benchmark), every Discord / Telegram file lists its authors. Kept whole, a daily
Slack export would put ~15M rows into ``raw.users`` over a year, all ranked again by
``staging.members`` on every run: a cost that follows the history, not the day's work.

So ``raw.users`` holds a user's record (display name, bot / deleted flags, join time, e-mail,
phone) only where it differs from that user's previous listing; a listing that repeats the
previous one unchanged is kept in ``raw.user_repeats`` instead (who, which export, where: no
fields). Grain: ``raw.users`` one row per (source, user, run of equal listings), the first
listing of each run; ``raw.user_repeats`` one row per further listing of a run. "Previous"
is the order staging ranks by: ``file_seq`` (ingest order), then ``location``
(``staging.members`` keeps the last row of that order, which is therefore the record of the
user's newest listing, as before).

Nothing is lost: the rows an export loaded are its ``raw.users`` rows plus its
``raw.user_repeats`` rows (``raw.files.rows_loaded`` counts both), and when an export's rows
are deleted (a new version of it at the same path) a row of it that later listings repeat
is handed on to the first of them (:func:`hand_on_deleted`), so the newest record of every
user stays what it would have been with every listing kept.
"""

from __future__ import annotations

import duckdb

from pipeline.ingest.schema import LISTING_ORDER, USER_RECORD


def fold_repeats(conn: duckdb.DuckDBPyConnection, source: str, first_seq: int) -> int:
    """Move the listings of the exports numbered ``first_seq`` and later (this ingest's) that
    repeat the user's previous listing from ``raw.users`` to ``raw.user_repeats``; return how
    many moved. One transaction; run after every unit of the ingest is loaded, so the order
    of the listings is the final one (the units of an ingest load in two lanes at once)."""
    return _fold_in_transaction(conn, source, "file_seq >= $first", {"first": first_seq})


def fold_existing(conn: duckdb.DuckDBPyConnection) -> int:
    """Fold every source's user rows once: a warehouse of a version that kept every listing as
    a ``raw.users`` row (called when ``raw.user_repeats`` did not exist yet)."""
    return sum(_fold_in_transaction(conn, source, "true", {})
               for (source,) in conn.execute("select distinct source from raw.users order by 1").fetchall())


def _fold_in_transaction(conn: duckdb.DuckDBPyConnection, source: str, scope: str, params: dict) -> int:
    conn.execute("begin transaction")
    try:
        moved = _fold(conn, source, scope, params)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return moved


def _fold(conn: duckdb.DuckDBPyConnection, source: str, scope: str, params: dict) -> int:
    """Move the ``raw.users`` rows matching ``scope`` that repeat the row before them (of the
    same user, in staging's order) to ``raw.user_repeats``. Comparing with the previous row is
    comparing with the previous listing: the repeats between them have that row's record."""
    record = ", ".join(USER_RECORD)
    conn.execute(
        f"""create or replace temp table _user_repeats as
        with scoped as (
            select rowid as rid, true as in_scope, user_id, file_seq, location, {record}
            from raw.users
            where source = $source and {scope}
        ),
        before as (
            -- each of those users' last row outside the scope (the scope is a user's newest rows)
            select rowid as rid, false as in_scope, user_id, file_seq, location, {record}
            from raw.users
            where source = $source and not ({scope})
              and user_id in (select user_id from scoped)
            qualify row_number() over (partition by user_id order by file_seq desc, location desc) = 1
        ),
        listed as (
            select rid, in_scope,
                   struct_pack({record}) as rec,
                   lag(struct_pack({record})) over (partition by user_id order by {LISTING_ORDER}) as prev
            from (select * from scoped union all by name select * from before)
        )
        select rid from listed
        where in_scope and prev is not null and rec is not distinct from prev""",
        {"source": source, **params})
    moved = conn.execute(
        """insert into raw.user_repeats
           select source, user_id, file_id, file_path, file_seq, location
           from raw.users where rowid in (select rid from _user_repeats)""").fetchone()[0]
    if moved:
        conn.execute("delete from raw.users where rowid in (select rid from _user_repeats)")
    conn.execute("drop table _user_repeats")
    return moved


def hand_on_deleted(conn: duckdb.DuckDBPyConnection, source: str, where: str, params: dict) -> None:
    """Before the rows of the export(s) matching ``where`` are deleted: each ``raw.users`` row of
    theirs whose next listing (in staging's order, among the rows that stay) is a repeat is
    copied onto that repeat, which leaves ``raw.user_repeats``. ``where`` is the loader's
    condition on ``file_path`` / ``file_id``; runs inside the loader's transaction, followed by
    the deletes and :func:`fold_after_delete`."""
    conn.execute(f"""create or replace temp table _user_touched as
                     select distinct user_id from raw.users where source = $source and {where}""",
                 {"source": source, **params})
    conn.execute(
        f"""create or replace temp table _user_hand_on as
        with listings as (
            -- rows of the deleted exports stay in the order: the next listing of a row is
            -- the next row of the same export when there is one (nothing to hand on then)
            select user_id, file_seq, location, 'row' as kind, ({where}) as deleted, rowid as rid
            from raw.users
            where source = $source and user_id in (select user_id from _user_touched)
            union all
            select user_id, file_seq, location, 'repeat', false, rowid
            from raw.user_repeats
            where source = $source and user_id in (select user_id from _user_touched) and not ({where})
        ),
        ordered as (
            select kind, deleted, rid,
                   lead(kind) over w as next_kind, lead(rid) over w as next_rid
            from listings
            window w as (partition by user_id order by {LISTING_ORDER})
        )
        select rid as row_rid, next_rid as repeat_rid from ordered
        where kind = 'row' and deleted and next_kind = 'repeat'""",
        {"source": source, **params})
    if conn.execute("select count(*) from _user_hand_on").fetchone()[0]:
        conn.execute(
            """insert into raw.users by name
               select u.* replace (r.file_id as file_id, r.file_path as file_path,
                                   r.file_seq as file_seq, r.location as location)
               from _user_hand_on h
               join raw.users u on u.rowid = h.row_rid
               join raw.user_repeats r on r.rowid = h.repeat_rid""")
        conn.execute("delete from raw.user_repeats where rowid in (select repeat_rid from _user_hand_on)")
    conn.execute("drop table _user_hand_on")


def fold_after_delete(conn: duckdb.DuckDBPyConnection, source: str) -> int:
    """After the deletes of :func:`hand_on_deleted`: the rows of the users the deleted exports
    listed that now repeat the row before them (a deleted row stood between two equal ones)
    move to ``raw.user_repeats``, so ``raw.users`` keeps one row per change."""
    moved = _fold(conn, source, "user_id in (select user_id from _user_touched)", {})
    conn.execute("drop table _user_touched")
    return moved
