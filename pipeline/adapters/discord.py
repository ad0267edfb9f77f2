"""DiscordChatExporter (DCE) JSON exports → raw candidate tables (spec formats.md §2).

One export unit = one ``.json`` file (a channel, a thread, a DM or a ``[part N]`` partition).
The ``messages`` array is streamed by :mod:`pipeline.adapters.jsonstream` into a temp table;
everything else is SQL.

Mapping decisions
-----------------
- ``message_id`` = the snowflake string; channel = the root ``channel`` (id, name), also for
  thread files (the thread's own channel).
- ``kind``:
  * content (``message`` / ``reply``): ``Default``, ``Reply`` and the numeric types that carry
    someone's content: ``0`` (default), ``19`` (reply), ``20`` (slash-command response) and
    ``23`` (context-menu command response). Command responses are written by the bot, so
    ``author_is_bot`` keeps them out of member activity while they still count as bot content.
  * ``system``: every other named type (``GuildMemberJoin``, ``RecipientAdd``,
    ``RecipientRemove``, ``Call``, ``ChannelNameChange``, ``ChannelIconChange``,
    ``ChannelPinnedMessage``, ``ThreadCreated``) and every other numeric type: boosts
    (``8``–``11``), channel follow (``12``), discovery notices (``14``–``17``), thread starter
    placeholder (``21``, a copy-reference of a message that exists elsewhere), invite reminder
    (``22``), auto-moderation (``24``), stage events (``27``–``31``), poll results (``46``) and
    any number or name DCE may add later: platform notices, never member content.
  * a message with no ``type`` at all gets kind NULL and is quarantined (``unknown_kind``).
  * ``reply`` = a content message with ``reference.messageId`` (any type, early-2023 and
    chat-analytics files reply with ``Default``), except forwards (``reference.type =
    'Forward'``), which are not replies. ``parent_id`` = ``reference.messageId``.
  * In thread files (``GuildPublicThread``/``GuildPrivateThread``/``GuildNewsThread``) every
    message has ``thread_id`` = the thread's channel id (= the id of the message that started
    it in the parent channel: the starter message or the ``ThreadCreated`` notice); content
    messages are replies with ``parent_id`` = ``reference.messageId`` or else the thread id,
    except a message whose id IS the thread id (forum posts: the starter itself), which is a
    top-level ``message``.
  * System messages get no ``parent_id`` even when they carry a reference (a pin's reference
    is the pinned message, not something replied to).
- ``system_event``: GuildMemberJoin/RecipientAdd → join, RecipientRemove → leave,
  ChannelPinnedMessage → pin, ChannelNameChange → rename, ThreadCreated → thread_created,
  anything else → other.
- ``sent_at`` = ``timestamp`` with its own offset (0–7 fractional digits; DuckDB keeps
  microseconds); a timestamp without an offset (never written by DCE) is read in the
  exporter time zone; anything else is NULL (quarantined as ``unparseable_time``).
- users: distinct authors, reaction users and mentioned users of the file, with their latest
  ``nickname`` (or ``name``) and ``isBot``; ``is_deleted`` for "Deleted User" accounts.
- reactions: one row per known reactor (``users[]``), reaction = ``emoji.code`` (else
  ``emoji.name``); when ``count`` exceeds the known reactors (or ``users`` is missing, DCE
  < 2.40.4) one extra row with ``reactor_id`` NULL and the missing count. No times.
- membership events: ``GuildMemberJoin`` → join of its author via ``guild_join`` (the
  channel is the one the notice was posted in); group DMs: ``RecipientAdd`` → join of each
  mentioned user via ``invite``, ``RecipientRemove`` → leave of each mentioned user, via
  ``left`` when they are the author, else ``kicked``. A Recipient notice without mentions
  yields one row with user NULL (quarantined: the member is unknown). Discord posts nothing
  on leaving a server, so guild leaves do not exist.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

from pipeline.adapters import jsonstream
from pipeline.adapters.base import ExportParseError, LoadContext, drop_temp_objects, run

PLATFORM = "discord"

THREAD_TYPES = ("GuildPublicThread", "GuildPrivateThread", "GuildNewsThread")
CONTENT_TYPES = ("Default", "Reply", "0", "19", "20", "23")

_USER = "STRUCT(id VARCHAR, name VARCHAR, discriminator VARCHAR, nickname VARCHAR, isBot VARCHAR)"

# Columns read from each message (everything VARCHAR at the leaves: casts happen in SQL, so a
# value of an unexpected type becomes NULL for that row instead of failing the file).
MESSAGE_COLUMNS = {
    "id": "VARCHAR",
    "type": "VARCHAR",
    "timestamp": "VARCHAR",
    "timestampEdited": "VARCHAR",
    "content": "VARCHAR",
    "author": _USER,
    "attachments": "STRUCT(id VARCHAR)[]",
    "stickers": "STRUCT(id VARCHAR)[]",
    "reactions": f"STRUCT(emoji STRUCT(id VARCHAR, name VARCHAR, code VARCHAR), count VARCHAR, users {_USER}[])[]",
    "mentions": f"{_USER}[]",
    "reference": "STRUCT(type VARCHAR, messageId VARCHAR, channelId VARCHAR)",
}

_ISO_OFFSET = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})"
_ISO_LOCAL = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?"


def ts_sql(col: str) -> str:
    """SQL: a DCE ISO timestamp string → TIMESTAMPTZ (NULL when unparseable).

    Uses ``$tz`` (the exporter time zone) for strings without an offset.
    """
    return (f"(case when regexp_full_match({col}, '{_ISO_OFFSET}') then try_cast({col} as timestamptz) "
            f"when regexp_full_match({col}, '{_ISO_LOCAL}') then timezone($tz, try_cast({col} as timestamp)) end)")


def _is_export_candidate(path: Path) -> bool:
    parts = path.parts
    if any(p.startswith(".") for p in parts):
        return False
    # DCE --media folders ("<export>.json_Files", "<name>_Files") hold downloaded attachments,
    # which may themselves be .json files.
    return not any(p.endswith("_Files") for p in parts[:-1])


def _export_time(path: Path) -> datetime:
    """``exportedAt`` from the head of the file (cheap), else the file's mtime."""
    try:
        head = jsonstream.scan_head(path, {"messages"}, max_bytes=1 << 20, strict=False)
        value = head.values.get("exportedAt")
        if isinstance(value, str):
            text = value.replace("Z", "+00:00")
            if "." in text:  # fromisoformat (3.11) wants at most 6 fractional digits
                main, rest = text.split(".", 1)
                digits = re.match(r"\d*", rest).group()
                text = f"{main}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
            stamp = datetime.fromisoformat(text)
            if stamp.tzinfo is not None:
                return stamp.astimezone(timezone.utc)
    except (ExportParseError, OSError, ValueError):
        pass
    return datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc)


def find_exports(source_dir: Path) -> list[Path]:
    """Every ``*.json`` under the folder (recursively), older exports first.

    Order: ``exportedAt`` when the file has it (DCE ≥ 2.40.1), else the file's mtime; ties by
    path. Hidden files and DCE media folders (``*_Files``) are skipped.
    """
    source_dir = Path(source_dir)
    files = [p for p in source_dir.rglob("*.json")
             if p.is_file() and _is_export_candidate(p.relative_to(source_dir))]
    return sorted(files, key=lambda p: (_export_time(p), str(p.relative_to(source_dir))))


def load_export(ctx: LoadContext) -> None:
    conn = ctx.conn
    loc = jsonstream.locate_array(ctx.path, "messages", display=ctx.rel_path)
    channel = loc.root.get("channel")
    if not isinstance(channel, dict) or channel.get("id") in (None, ""):
        raise ExportParseError(ctx.rel_path, "root key 'channel'",
                               "a DiscordChatExporter channel object with an id",
                               f"found {type(channel).__name__ if channel is not None else 'none'}")
    is_thread = channel.get("type") in THREAD_TYPES
    params = ctx.params(channel_id=str(channel["id"]), channel_name=channel.get("name"),
                        tz=ctx.exporter_timezone, is_thread=is_thread)
    prov = ctx.provenance_sql()
    scratch = jsonstream.scratch_name("discord_messages")
    # the messages' candidates are a query over the parsed export: it is dropped when the
    # loader has moved them
    ctx.on_done(lambda: _cleanup(conn, scratch))
    jsonstream.load_array(conn, loc, scratch, MESSAGE_COLUMNS, ctx.tmp_dir)
    # i = the message's index in the file's messages array (for locations).
    conn.execute(f"create or replace temp view _dce_messages as select rowid as i, * from {loc.table}")
    _defer_messages(ctx, prov, params)
    _reactions_and_users(ctx, prov, params)
    _insert_membership(conn, prov, params)


def _cleanup(conn, scratch: str) -> None:
    """Drop what the load made (called by the loader once the unit is committed or rolled back)."""
    drop_temp_objects(conn, views=("_dce_messages",), tables=("_dce_reactions", "_dce_people"))
    jsonstream.drop_scratch(conn, scratch)


def _defer_messages(ctx: LoadContext, prov: str, params: dict) -> None:
    content = ", ".join(f"'{t}'" for t in CONTENT_TYPES)
    ctx.defer_candidates("messages", f"""
        with m as (
            select *,
                   case when type is null then null
                        when type in ({content}) then 'content' else 'system' end as cls,
                   reference.messageId is not null
                       and coalesce(reference.type, 'Default') <> 'Forward' as is_reply_ref
            from _dce_messages
        )
        select {prov}, concat('messages[', i, ']') as location,
               id as message_id, $channel_id as channel_id, $channel_name as channel_name,
               author.id as author_id,
               coalesce(author.nickname, author.name) as author_name,
               try_cast(author.isBot as boolean) as author_is_bot,
               "timestamp" as raw_time,
               {ts_sql('"timestamp"')} as sent_at,
               case when cls is null then null
                    when cls = 'system' then 'system'
                    when $is_thread and id = $channel_id then 'message'
                    when $is_thread or is_reply_ref then 'reply'
                    else 'message' end as kind,
               case when cls = 'system' then
                   case type when 'GuildMemberJoin' then 'join'
                             when 'RecipientAdd' then 'join'
                             when 'RecipientRemove' then 'leave'
                             when 'ChannelPinnedMessage' then 'pin'
                             when 'ChannelNameChange' then 'rename'
                             when 'ThreadCreated' then 'thread_created'
                             else 'other' end
               end as system_event,
               case when cls = 'content' and $is_thread and id is distinct from $channel_id
                        then coalesce(case when is_reply_ref then reference.messageId end, $channel_id)
                    when cls = 'content' and is_reply_ref then reference.messageId
               end as parent_id,
               case when $is_thread then $channel_id end as thread_id,
               content as text,
               timestampEdited is not null as is_edited,
               {ts_sql('timestampEdited')} as edited_at,
               coalesce(len(attachments), 0) > 0 or coalesce(len(stickers), 0) > 0 as has_attachment
        from m
    """, params)


def _reactions_and_users(ctx: LoadContext, prov: str, params: dict) -> None:
    conn = ctx.conn
    run(conn, """
        create or replace temp table _dce_reactions as
        select i, message_id, r, j,
               coalesce(len(list_filter(r.users, lambda u: u.id is not null)), 0) as known
        from (select i, id as message_id, unnest(reactions) as r,
                     generate_subscripts(reactions, 1) - 1 as j
              from _dce_messages where len(reactions) > 0)
    """)
    reaction = "coalesce(nullif(r.emoji.code, ''), nullif(r.emoji.name, ''))"
    # The reactions' candidates, a query the loader runs when it moves them (like the messages':
    # no candidate copy of ~0.7M rows): known reactors, one row each; plus one row with reactor
    # NULL for the reactors beyond those listed (or all of them when users[] is missing).
    ctx.defer_candidates("reactions", f"""
        select {prov}, concat('messages[', i, '].reactions[', j, ']') as location,
               message_id, u.id as reactor_id, {reaction} as reaction, 1 as reaction_count,
               null as raw_time, null as reacted_at
        from (select i, j, message_id, r, unnest(r.users) as u from _dce_reactions where len(r.users) > 0)
        where u.id is not null
        union all by name
        select {prov}, concat('messages[', i, '].reactions[', j, ']') as location,
               message_id, null as reactor_id, {reaction} as reaction,
               try_cast(r.count as bigint) - known as reaction_count,
               null as raw_time, null as reacted_at
        from _dce_reactions
        where try_cast(r.count as bigint) is null or try_cast(r.count as bigint) > known
    """, params)
    # Everyone the file mentions: authors, reactors, mentioned users. Each kind of place is first
    # reduced to one row per user (its first place, its latest name); the location text is made
    # for those rows only (one row per occurrence, with its text, was 3x the time on 1.28M messages).
    # ord orders the places as the file does: message i, then its reactors, then its mentions;
    # first_place is [i] or, for a reactor, [i, j] (reaction j of message i).
    user_facts = """
        max(ord) filter (where coalesce(u.nickname, u.name) is not null) as name_ord,
        arg_max(coalesce(u.nickname, u.name), ord) filter (where coalesce(u.nickname, u.name) is not null) as name,
        bool_or(try_cast(u.isBot as boolean)) as is_bot,
        bool_and(u.name = 'Deleted User') as is_deleted"""
    run(conn, f"""
        create or replace temp table _dce_people as
        select u.id, min(ord) as first_ord, [min(i)] as first_place, 0 as place, {user_facts}
        from (select i * 4 as ord, i, author as u from _dce_messages)
        group by u.id
        union all
        select u.id, min(ord), min([i, j]), 1, {user_facts}
        from (select i * 4 + 1 as ord, i, j, unnest(r.users) as u from _dce_reactions where len(r.users) > 0)
        group by u.id
        union all
        select u.id, min(ord), [min(i)], 2, {user_facts}
        from (select i * 4 + 2 as ord, i, unnest(mentions) as u from _dce_messages where len(mentions) > 0)
        group by u.id
    """)
    run(conn, f"""
        insert into _in_users by name
        select {prov},
               arg_min('messages[' || first_place[1] || ']' ||
                       case place when 0 then '.author'
                                  when 1 then '.reactions[' || first_place[2] || '].users'
                                  else '.mentions' end, first_ord) as location,
               id as user_id,
               arg_max(name, name_ord) filter (where name is not null) as display_name,
               bool_or(is_bot) as is_bot,
               bool_and(is_deleted) as is_deleted
        from _dce_people
        where id is not null and trim(id) <> ''
        group by id
    """, params)


def _insert_membership(conn, prov: str, params: dict) -> None:
    ts = ts_sql('"timestamp"')
    run(conn, f"""
        insert into _in_membership_events by name
        select {prov}, 'messages[' || i || ']' as location, author.id as user_id,
               $channel_id as channel_id, 'join' as event, "timestamp" as raw_time,
               {ts} as occurred_at, 'guild_join' as via
        from _dce_messages where type = 'GuildMemberJoin'
    """, params)
    run(conn, f"""
        insert into _in_membership_events by name
        select {prov}, 'messages[' || i || ']' as location, u.id as user_id,
               $channel_id as channel_id,
               case when type = 'RecipientAdd' then 'join' else 'leave' end as event,
               "timestamp" as raw_time, {ts} as occurred_at,
               case when type = 'RecipientAdd' then 'invite'
                    when u.id = author.id then 'left' else 'kicked' end as via
        from (select i, type, "timestamp", author, unnest(mentions) as u
              from _dce_messages
              where type in ('RecipientAdd', 'RecipientRemove') and len(mentions) > 0)
        where u.id is not null
        union all
        select {prov}, 'messages[' || i || ']', null, $channel_id,
               case when type = 'RecipientAdd' then 'join' else 'leave' end,
               "timestamp", {ts}, case when type = 'RecipientAdd' then 'invite' end
        from (select * from _dce_messages
              where type in ('RecipientAdd', 'RecipientRemove')
                and coalesce(len(list_filter(mentions, lambda u: u.id is not null)), 0) = 0)
    """, params)
