"""Telegram Desktop JSON exports (``result.json``) → raw candidate tables (spec formats.md §3).

Two shapes:

- **single-chat export** (root = the chat: ``{name, type, id, messages[]}``): the
  ``messages`` array is streamed by :mod:`pipeline.adapters.jsonstream` (fast path, any size);
- **"export all data"** (root ``{about, personal_information, …, chats{list[…]},
  left_chats{list[…]}}``): each chat of ``chats.list`` and ``left_chats.list`` is read with
  ijson one at a time and its messages loaded the same way (slower, acceptable: these are
  personal-account exports). Every chat is loaded unless the source lists ``chats:`` (chat
  ids or names) in ``community.yaml``.

Mapping decisions
-----------------
- ``message_id`` = ``<chat id>:<message id>`` (bare chat id as exported); channel = the chat
  (``id``, ``name``).
- ``sent_at`` = ``date_unixtime`` (epoch seconds) when present, else ``date`` (local time of the
  exporting PC, no offset) read in the exporter time zone (``ctx.exporter_timezone``: the
  source's ``exporter_timezone`` or ``settings.exporter_timezone``). ``raw_time`` is the
  string that was used.
- ``author_id`` = ``from_id`` (``actor_id`` on service messages); an integer id (2020-era
  exports) N becomes ``userN``. ``author_is_bot`` is true for ids listed in the source's
  ``bots:`` option and NULL (unknown) otherwise: tdesktop writes no bot flag.
- ``text``: the plain string, or the concatenation of the pieces of the ``text`` array
  (strings, and objects' ``text``).
- ``kind``: ``service`` → system; ``message`` with ``reply_to_message_id`` → reply
  (``parent_id`` = ``<chat>:<id>``, or ``<peer>:<id>`` when ``reply_to_peer_id`` names another
  chat), else message; ``unsupported`` (a message tdesktop could not render; it has no date
  and is quarantined for that) → message; anything else → NULL (quarantined, unknown_kind).
- ``system_event``: create_group / invite_members / join_group_by_link /
  join_group_by_request → join, remove_members → leave, pin_message → pin, edit_group_title →
  rename, topic_created → thread_created, any other action → other.
- ``is_edited`` from ``edited``/``edited_unixtime``; the ``1970-01-01T…`` placeholder that old
  exports write on every message (epoch 0 in local time) means "not edited". Note: the server
  also marks a message edited on its first reaction (tdesktop #30647); nothing to do about it.
- ``has_attachment``: ``photo``, ``file`` or ``media_type`` present on a non-service message
  (placeholders such as "(File not included…)" count: the message did carry media; a service
  message's ``photo`` is a new group photo, not an attachment).
- reactions (tdesktop ≥ 5.6): each ``recent[]`` entry is a known reactor with its own time
  (``recent[].date`` is local without offset → exporter time zone); ``count - len(recent)``
  more reactors are one row with ``reactor_id`` NULL. Reaction = the emoji, ``custom_emoji:<document_id>``
  or ``paid``.
- membership events from service actions:
  ``join_group_by_link`` / ``join_group_by_request`` → the actor joins (via ``link`` /
  ``request``); ``invite_members`` and ``create_group`` → each listed member joins (via
  ``invite``); ``remove_members`` → a leave via ``left`` when the only member is the actor,
  otherwise a leave via ``kicked`` for each member.
  ``members`` holds DISPLAY NAMES, not ids: they are resolved to ids through the names seen
  in the same export as ``from``/``actor``/reaction ``from`` (→ their ``*_id``) and the
  account owner's ``personal_information`` (latest use of a name wins when several ids share
  it). An unresolved name becomes the user id ``name:<display name>`` (so the join still
  counts, as a member the report can only name); a ``null`` member (a deleted account) has no
  name at all and yields a row with user NULL, which the loader quarantines.
- users: distinct ``from_id``/``actor_id``/reaction ``from_id`` with their latest name, plus the
  ``name:…`` members above; ``is_bot`` = listed in the source's ``bots:`` option.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import orjson

from pipeline.adapters import jsonstream
from pipeline.adapters.base import ExportParseError, LoadContext, drop_temp_objects, run

PLATFORM = "telegram"

MESSAGE_COLUMNS = {
    "id": "VARCHAR",
    "type": "VARCHAR",
    "date": "VARCHAR",
    "date_unixtime": "VARCHAR",
    "edited": "VARCHAR",
    "edited_unixtime": "VARCHAR",
    "from": "VARCHAR",
    "from_id": "VARCHAR",
    "actor": "VARCHAR",
    "actor_id": "VARCHAR",
    "action": "VARCHAR",
    "members": "JSON",
    "text": "JSON",
    "reply_to_message_id": "VARCHAR",
    "reply_to_peer_id": "VARCHAR",
    "photo": "VARCHAR",
    "file": "VARCHAR",
    "media_type": "VARCHAR",
    "reactions": ('STRUCT(type VARCHAR, count VARCHAR, emoji VARCHAR, document_id VARCHAR, '
                  'recent STRUCT("from" VARCHAR, from_id VARCHAR, date VARCHAR, date_unixtime VARCHAR)[])[]'),
}

_EXPORT_DIR_RE = re.compile(r"(?:ChatExport|DataExport)_(\d{4}-\d{2}-\d{2})(?: \((\d+)\))?")
_LOCAL_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}"
# SQL over _tg_m: a message's id, <chat id>:<message id> (NULL without a message id). The per-row
# strings here are built by concat(), at once, where a chain of || makes one string per operator
# (the places and ids of 1.2M messages and 0.6M reactions: ~0.1 s of the load); every part is
# non-NULL where they are built, where the two differ.
_MESSAGE_ID_SQL = "case when id is null or trim(id) = '' then null else concat(chat_id, ':', id) end"


def norm_id_sql(col: str) -> str:
    """SQL: a tdesktop peer id → ``user123`` form (2020-era exports write bare integers).

    An id starting with a letter (``user…``, ``channel…``: every id of a current export) is
    kept as it is without the regex, which could not match it (0.10 -> 0.06 s per 1.2M ids)."""
    return (f"(case when {col} is null or trim({col}) = '' then null "
            f"when left({col}, 1) between 'a' and 'z' then {col} "
            f"when regexp_full_match(trim({col}), '-?[0-9]+') then 'user' || trim({col}) else {col} end)")


def local_ts_sql(col: str) -> str:
    """SQL: a tdesktop local ISO time (no offset) → TIMESTAMPTZ in ``$tz``; NULL if malformed."""
    return (f"(case when regexp_full_match({col}, '{_LOCAL_ISO}') "
            f"then timezone($tz, try_cast({col} as timestamp)) end)")


def unix_ts_sql(col: str) -> str:
    return f"to_timestamp(try_cast({col} as bigint))"


def normalise_bot_ids(values) -> list[str]:
    out = []
    for v in values or []:
        s = str(v).strip()
        if re.fullmatch(r"-?\d+", s):
            s = "user" + s
        if s:
            out.append(s)
    return out


# --------------------------------------------------------------------------------------------
# finding exports
# --------------------------------------------------------------------------------------------

def _looks_like_tdesktop(path: Path) -> bool:
    try:
        head = jsonstream.scan_head(path, {"messages", "chats", "left_chats"}, max_bytes=1 << 20, strict=False)
    except (ExportParseError, OSError, ValueError):
        return False
    keys = set(head.keys)
    if head.stop_key == "messages":
        return {"type", "id"} <= keys and "guild" not in keys and "channel" not in keys
    if head.stop_key in ("chats", "left_chats"):
        return True
    return {"about", "personal_information"} <= keys


def _export_order(path: Path, source_dir: Path):
    rel = path.relative_to(source_dir)
    for part in reversed(rel.parts[:-1]):
        m = _EXPORT_DIR_RE.fullmatch(part)
        if m:
            day = datetime.fromisoformat(m.group(1)).replace(tzinfo=timezone.utc)
            return (day, int(m.group(2) or 0), str(rel))
    return (datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc), 0, str(rel))


def find_exports(source_dir: Path) -> list[Path]:
    """``result.json`` files, and other ``*.json`` whose root looks like a tdesktop export,
    older first: by the ``ChatExport_YYYY-MM-DD`` / ``DataExport_YYYY-MM-DD`` folder name
    (``… (2)`` duplicates after), else by mtime."""
    source_dir = Path(source_dir)
    found = []
    for p in source_dir.rglob("*.json"):
        rel = p.relative_to(source_dir)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if p.name == "result.json" or _looks_like_tdesktop(p):
            found.append(p)
    return sorted(found, key=lambda p: _export_order(p, source_dir))


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------

def _chat_selected(chat_id, name, wanted: list[str]) -> bool:
    if not wanted:
        return True
    return str(chat_id) in wanted or (name is not None and str(name) in wanted)


def load_export(ctx: LoadContext) -> None:
    conn = ctx.conn
    wanted = [str(c) for c in (ctx.options.get("chats") or [])]
    head = jsonstream.scan_head(ctx.path, {"messages", "chats", "left_chats"}, display=ctx.rel_path)
    names: list[tuple[str, str]] = []   # (display name, user id) known from outside the messages
    scratch = {k: jsonstream.scratch_name(f"telegram_{k}") for k in ("messages", "all", "chat")}
    # the messages' candidates are a query over the parsed export: it is dropped when the
    # loader has moved them
    ctx.on_done(lambda: _cleanup(conn, scratch))
    if head.stop_key == "messages":
        _load_single_chat(ctx, wanted, scratch)
    elif head.stop_key in ("chats", "left_chats") or {"about", "personal_information"} <= set(head.keys):
        info = head.values.get("personal_information")
        if isinstance(info, dict) and info.get("user_id") not in (None, "", 0):
            full = " ".join(str(info.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
            if full:
                names.append((full, f"user{info['user_id']}"))
        _load_account_export(ctx, wanted, scratch)
    else:
        raise ExportParseError(ctx.rel_path, "root object",
                               "a Telegram Desktop export: a chat with 'messages', or an account "
                               "export with 'chats'", f"root keys found: {', '.join(head.keys) or 'none'}")
    _fill_candidates(ctx, names)


def _cleanup(conn, scratch: dict) -> None:
    """Drop what the load made (called by the loader once the unit is committed or rolled back)."""
    drop_temp_objects(conn, views=("_tg_m",), tables=("_tg_names", "_tg_members", "_tg_reactions"))
    jsonstream.drop_scratch(conn, *scratch.values())


def _chat_meta(chat: dict, where: str, display: str) -> tuple[str, str | None, str | None]:
    chat_id = chat.get("id")
    if chat_id is None or isinstance(chat_id, (dict, list)) or str(chat_id).strip() == "":
        raise ExportParseError(display, where, "the chat's 'id'", "found none")
    name = chat.get("name")
    return str(chat_id), (str(name) if name is not None else None), chat.get("type")


def _load_single_chat(ctx: LoadContext, wanted: list[str], scratch: dict) -> None:
    conn = ctx.conn
    loc = jsonstream.locate_array(ctx.path, "messages", display=ctx.rel_path)
    chat_id, chat_name, _ = _chat_meta(loc.root, "root key 'id'", ctx.rel_path)
    if not _chat_selected(chat_id, chat_name, wanted):
        conn.execute(f"create or replace temp view _tg_m as select * from ({_empty_select()})")
        return
    jsonstream.load_array(conn, loc, scratch["messages"], MESSAGE_COLUMNS, ctx.tmp_dir)
    conn.execute(f"""
        create or replace temp view _tg_m as
        select {jsonstream.sql_literal(chat_id)} as chat_id, {jsonstream.sql_literal(chat_name)} as chat_name,
               concat('messages[', rowid, ']') as loc, rowid as seq, *
        from {loc.table}
    """)


def _empty_select() -> str:
    cols = ", ".join(f"null::{t} as {jsonstream._ident(c)}" for c, t in MESSAGE_COLUMNS.items())
    return (f"select null::varchar as chat_id, null::varchar as chat_name, null::varchar as loc, "
            f"null::bigint as seq, {cols} where false")


def _load_account_export(ctx: LoadContext, wanted: list[str], scratch: dict) -> None:
    """"Export all data": every chat of chats.list and left_chats.list, one at a time (ijson)."""
    conn = ctx.conn
    tmp = Path(ctx.tmp_dir)
    tmp.mkdir(parents=True, exist_ok=True)
    array_path = tmp / "chat_messages.json"
    all_table = jsonstream.scratch_table(scratch["all"])
    chat_table = jsonstream.scratch_table(scratch["chat"])
    cur = jsonstream.scratch_cursor(conn)
    try:
        cur.execute(f"create or replace table {all_table} as {_empty_select()}")
        chat_no = 0
        for list_key in ("chats", "left_chats"):
            for index, chat in jsonstream.iter_list_items(ctx.path, f"{list_key}.list.item", display=ctx.rel_path):
                where = f"{list_key}.list[{index}]"
                if not isinstance(chat, dict):
                    raise ExportParseError(ctx.rel_path, where, "a chat object", f"found {type(chat).__name__}")
                chat_id, chat_name, _ = _chat_meta(chat, where, ctx.rel_path)
                chat_no += 1
                messages = chat.get("messages")
                if not _chat_selected(chat_id, chat_name, wanted) or messages is None:
                    continue
                if not isinstance(messages, list):
                    raise ExportParseError(ctx.rel_path, f"{where}.messages", "an array of messages",
                                           f"found {type(messages).__name__}")
                array_path.write_bytes(orjson.dumps(messages, default=str))
                jsonstream.read_array_robust(cur, array_path, chat_table, MESSAGE_COLUMNS)
                cur.execute(f"""
                    insert into {all_table} by name
                    select $chat_id as chat_id, $chat_name as chat_name,
                           $prefix || '.messages[' || rowid || ']' as loc,
                           $chat_no * 4294967296 + rowid as seq, *
                    from {chat_table}
                """, {"chat_id": chat_id, "chat_name": chat_name, "prefix": where, "chat_no": chat_no})
                array_path.unlink(missing_ok=True)
        cur.execute(f"drop table if exists {chat_table}")
    finally:
        cur.close()
    conn.execute(f"create or replace temp view _tg_m as select * from {all_table}")


def _fill_candidates(ctx: LoadContext, extra_names: list[tuple[str, str]]) -> None:
    conn = ctx.conn
    prov = ctx.provenance_sql()
    params = ctx.params(tz=ctx.exporter_timezone, bots=normalise_bot_ids(ctx.options.get("bots")))
    author_id = f"""case when type = 'service' then {norm_id_sql('actor_id')} else {norm_id_sql('from_id')} end"""
    sent_at = (f"case when date_unixtime is not null then {unix_ts_sql('date_unixtime')} "
               f"else {local_ts_sql('date')} end")
    edited_raw = (f"case when edited_unixtime is not null then {unix_ts_sql('edited_unixtime')} "
                  f"else {local_ts_sql('edited')} end")
    # a string or an array of pieces; told apart by the first character of the JSON text
    # (DuckDB writes it minified) instead of json_type, which parses each value once more
    text = ("case left(text, 1) when '\"' then text ->> '$' "
            "when '[' then array_to_string(list_transform(try_cast(text as JSON[]), lambda e: "
            "coalesce(case json_type(e) when 'VARCHAR' then e ->> '$' else e ->> 'text' end, '')), '') end")
    ctx.defer_candidates("messages", f"""
        with m as (
            select *, {author_id} as author_norm, {sent_at} as sent, {edited_raw} as edited_ts
            from _tg_m
        )
        select {prov}, loc as location,
               {_MESSAGE_ID_SQL} as message_id,
               chat_id as channel_id, chat_name as channel_name,
               author_norm as author_id,
               case when type = 'service' then actor else "from" end as author_name,
               case when list_contains($bots::VARCHAR[], author_norm) then true end as author_is_bot,
               case when date_unixtime is not null then date_unixtime else date end as raw_time,
               sent as sent_at,
               case type when 'service' then 'system'
                         when 'message' then case when reply_to_message_id is not null then 'reply' else 'message' end
                         when 'unsupported' then 'message' end as kind,
               case when type = 'service' then
                   case action when 'create_group' then 'join' when 'invite_members' then 'join'
                               when 'join_group_by_link' then 'join' when 'join_group_by_request' then 'join'
                               when 'remove_members' then 'leave' when 'pin_message' then 'pin'
                               when 'edit_group_title' then 'rename' when 'topic_created' then 'thread_created'
                               else 'other' end
               end as system_event,
               case when type = 'message' and reply_to_message_id is not null then
                   coalesce(nullif(regexp_extract(reply_to_peer_id, '(-?[0-9]+)$', 1), ''), chat_id) || ':' || reply_to_message_id
               end as parent_id,
               null as thread_id,
               {text} as text,
               (edited is not null or edited_unixtime is not null)
                   and coalesce(edited_ts >= timestamptz '1970-01-02 00:00:00+00', true) as is_edited,
               case when edited_ts >= timestamptz '1970-01-02 00:00:00+00' then edited_ts end as edited_at,
               type is distinct from 'service'
                   and (photo is not null or file is not null or media_type is not null) as has_attachment
        from m
    """, params)

    # Names → ids, from every place the export pairs them: one row per (name, id) pair and place
    # kind, with the first and last time it is seen (ord: the order in the export) and the
    # location of the first, instead of one row per message (1.2M rows written and read again)
    conn.execute("""
        create or replace temp table _tg_names
            (name VARCHAR, user_id VARCHAR, first_ord BIGINT, first_loc VARCHAR, last_ord BIGINT)
    """)
    run(conn, f"""
        insert into _tg_names
        select name, user_id, min(ord), arg_min(loc, ord), max(ord)
        from (select case when type = 'service' then actor else "from" end as name,
                     case when type = 'service' then {norm_id_sql('actor_id')} else {norm_id_sql('from_id')} end
                         as user_id,
                     seq * 2 as ord, loc
              from _tg_m)
        group by name, user_id
    """)
    # one row per reaction, without the message's whole reactions list beside each (copying
    # that list into every row was most of this statement's cost)
    conn.execute("""
        create or replace temp table _tg_reactions as
        select chat_id, id, loc, seq, unnest(reactions) as r, generate_subscripts(reactions, 1) - 1 as j
        from _tg_m where len(reactions) > 0
    """)
    run(conn, f"""
        insert into _tg_names
        select rr."from", {norm_id_sql('rr.from_id')}, min(ord), arg_min(loc, ord), max(ord)
        from (select seq * 2 + 1 as ord, loc || '.reactions[' || j || ']' as loc, unnest(r.recent) as rr
              from _tg_reactions where len(r.recent) > 0)
        group by 1, 2
    """)
    for k, (name, user_id) in enumerate(extra_names):
        conn.execute("insert into _tg_names values ($n, $u, -1 - $k, 'personal_information', -1 - $k)",
                     {"n": name, "u": user_id, "k": k})

    _defer_reactions(ctx, prov, params)
    _insert_membership(ctx, prov, params, sent_at)

    # Users: everyone the export names with an id, plus unresolved member names.
    run(conn, f"""
        insert into _in_users by name
        with u as (
            select user_id, name, first_ord, first_loc, last_ord from _tg_names
            where user_id is not null and first_loc <> 'personal_information'
            union all
            select user_id, member_name, -1, loc || '.members[' || k || ']', -1
            from _tg_members where user_id like 'name:%'
        )
        select {prov}, arg_min(first_loc, first_ord) as location, user_id,
               arg_max(name, last_ord) filter (where name is not null) as display_name,
               list_contains($bots::VARCHAR[], user_id) as is_bot
        from u group by user_id
    """, params)


def _defer_reactions(ctx: LoadContext, prov: str, params: dict) -> None:
    reaction = ("case r.type when 'emoji' then r.emoji "
                "when 'custom_emoji' then 'custom_emoji:' || coalesce(r.document_id, '?') "
                "when 'paid' then 'paid' else coalesce(r.emoji, r.type) end")
    # The candidates: a query the loader runs when it moves them (no candidate copy, as for the
    # messages): one row per listed (recent) reactor, plus one with reactor NULL for the rest.
    ctx.defer_candidates("reactions", f"""
        select {prov}, concat(loc, '.reactions[', j, '].recent[', k, ']') as location,
               {_MESSAGE_ID_SQL} as message_id,
               {norm_id_sql('rr.from_id')} as reactor_id, reaction, 1 as reaction_count,
               coalesce(rr.date_unixtime, rr.date) as raw_time,
               case when rr.date_unixtime is not null then {unix_ts_sql('rr.date_unixtime')}
                    else {local_ts_sql('rr.date')} end as reacted_at
        -- the reaction's fields taken before its recent[] is unnested: not the whole struct per reactor
        from (select chat_id, id, loc, j, {reaction} as reaction,
                     unnest(r.recent) as rr, generate_subscripts(r.recent, 1) - 1 as k
              from _tg_reactions where len(r.recent) > 0)
        union all by name
        select {prov}, concat(loc, '.reactions[', j, ']') as location, {_MESSAGE_ID_SQL} as message_id,
               null as reactor_id, {reaction} as reaction,
               try_cast(r.count as bigint) - coalesce(len(r.recent), 0) as reaction_count,
               null as raw_time, null as reacted_at
        from _tg_reactions
        where try_cast(r.count as bigint) is null or try_cast(r.count as bigint) > coalesce(len(r.recent), 0)
    """, params)


def _insert_membership(ctx: LoadContext, prov: str, params: dict, sent_at: str) -> None:
    conn = ctx.conn
    # Listed members (display names) of invite/create/remove actions, resolved to ids.
    # Unresolved names become 'name:<display name>' (see the module docstring).
    run(conn, f"""
        create or replace temp table _tg_members as
        with acts as (
            select loc, chat_id, action, actor, {norm_id_sql('actor_id')} as actor_norm,
                   case when date_unixtime is not null then date_unixtime else date end as raw_time,
                   {sent_at} as occurred_at, try_cast(members as VARCHAR[]) as members
            from _tg_m
            where type = 'service' and action in ('invite_members', 'create_group', 'remove_members')
        ),
        resolved as (
            select name, arg_max(user_id, last_ord) as user_id from _tg_names
            where name is not null and user_id is not null group by name
        ),
        listed as (
            select a.*, unnest(a.members) as member_name, generate_subscripts(a.members, 1) - 1 as k
            from acts a where len(a.members) > 0
        )
        select l.*, case when l.member_name is null then null
                         else coalesce(r.user_id, 'name:' || l.member_name) end as user_id,
               len(l.members) = 1 and (l.member_name = l.actor or r.user_id = l.actor_norm) as self_removal
        from listed l left join resolved r on r.name = l.member_name
    """, params)
    run(conn, f"""
        insert into _in_membership_events by name
        select {prov}, loc || '.members[' || k || ']' as location, user_id, chat_id as channel_id,
               case when action = 'remove_members' then 'leave' else 'join' end as event,
               raw_time, occurred_at,
               case when action <> 'remove_members' then 'invite'
                    when self_removal then 'left' else 'kicked' end as via
        from _tg_members
        union all
        select {prov}, loc as location, {norm_id_sql('actor_id')} as user_id, chat_id as channel_id,
               'join' as event,
               case when date_unixtime is not null then date_unixtime else date end as raw_time,
               {sent_at} as occurred_at,
               case action when 'join_group_by_link' then 'link' else 'request' end as via
        from _tg_m
        where type = 'service' and action in ('join_group_by_link', 'join_group_by_request')
    """, params)
