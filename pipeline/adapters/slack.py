"""Slack workspace export (zip or unzipped folder) → candidate rows.

Layout (see ``spec/formats.md`` §1): root files ``channels.json``, ``users.json``
(``org_users.json`` for Enterprise Grid), optional ``groups.json`` / ``dms.json`` /
``mpims.json``, and one folder per conversation holding one ``YYYY-MM-DD.json`` file per
day, each a JSON array of message objects.

How the export is read (all in DuckDB, never a Python loop over messages):

- every day file of every channel folder is read in ONE ``read_json([...], format='array',
  records=false, filename=true)`` call: each array element arrives as one JSON value, and
  ``json_transform`` with an explicit schema pulls out the fields. Fields whose type drifts
  (``edited``, ``files``, ``reactions``, ``comment``, ``user_profile`` …) are kept as JSON
  and read with JSON functions, so drift never breaks the read, and an element that is not
  an object at all becomes a row of NULLs that the loader quarantines (missing id) instead
  of failing the whole export;
- the place of a message is ``<channel folder>/<day file>[<index in the array>]``. The index
  comes from ``row_number() over ()`` taken directly over the scan (DuckDB documents that an
  empty OVER over a single-table FROM preserves the reader's row order; a multi-file read
  yields the files in list order), minus the first row number of the same file.
  (``file_row_number`` is not supported by the JSON reader in DuckDB 2.0);
- a day file that is not valid JSON / not a JSON array fails the whole unit with an
  :class:`ExportParseError` naming the day file.

Mapping decisions
-----------------
- ``message_id`` = ``<channel_id>:<ts>`` with ``ts`` kept as the exact exported string;
  ``sent_at`` is computed from the string (integer seconds + up to 6 fractional digits =
  exact microseconds), never through a float. Day-file names are the exporter's local dates
  (formats.md §1.3) and are never used for times.
- channel folder → channel id: ``channels.json`` / ``groups.json`` / ``mpims.json`` by
  ``name``, ``dms.json`` by ``id`` (DM folders are named by id). A folder found in none of
  them keeps its folder name as id and name.
- ``author_id`` = ``user``; for legacy ``file_comment`` (no top-level ``user``) the
  commenter ``comment.user``; otherwise ``bot_id`` (legacy ``bot_message`` posts carry no
  ``user``).
- ``author_is_bot`` = true when the message carries a non-null ``bot_id`` (houstondatavis has
  ``bot_id: null`` on human ``file_share`` posts) or ``subtype = bot_message`` or the author
  is ``USLACKBOT``; otherwise NULL (``users.json`` decides). On ``bot_add`` / ``bot_remove``
  / ``bot_enable`` / ``bot_disable`` the ``bot_id`` names the integration that was added,
  while ``user`` is the human who added it, so those do not mark the author as a bot.
- ``kind``: see :data:`CONTENT_SUBTYPES` and :data:`SYSTEM_EVENTS`. A content message whose
  ``thread_ts`` differs from its ``ts`` is a ``reply`` (``parent_id`` = ``thread_id`` =
  ``<channel_id>:<thread_ts>``); thread roots (``thread_ts == ts``) and everything else are
  ``message``. Subtypes in neither list are treated as ``system`` / ``other``: Slack keeps
  adding service subtypes (huddles, canvases, …), and counting a service notice as a
  contribution would make people "active" who did nothing.
- ``file_comment`` (legacy comment on a file) is content: it is text a person wrote, posted
  into the channel, so it is a contribution; it has no thread, so it is a ``message``. The
  ``file`` it carries is the commented file (someone else's), so it is not an attachment.
- ``has_attachment``: non-empty ``files[]``, a legacy ``file{}`` (except on ``file_comment``
  / ``file_mention``), or an ``attachments[]`` entry that carries ``files``.
- ``text``: as exported, with Slack's HTML escapes ``&lt;`` ``&gt;`` ``&amp;`` decoded.
- reactions: one row per user in ``users[]`` (count 1) plus, when ``count`` exceeds the
  number of listed users, one row with an unknown reactor and the difference as count; no
  time (Slack gives none). A ``count`` that is not a number gives one unknown-reactor row
  with a NULL count, which the loader quarantines.
- membership events: ``channel_join`` / ``group_join`` → join of ``user``;
  ``channel_leave`` / ``group_leave`` → leave; ``via`` = the subtype. The message itself is
  also kept (kind ``system``).
- users: ``users.json`` and/or ``org_users.json``; ``display_name`` = ``profile.display_name``,
  else ``real_name`` (top level, then profile), else ``name``; ``is_bot`` = ``is_bot`` or
  ``id = USLACKBOT``. Authors missing from those files get a row from the messages
  (``user_profile`` snapshot, or ``username`` / ``bot_profile.name`` for bots), with
  ``is_bot`` true when any of their messages says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from pipeline.adapters import jsonstream
from pipeline.adapters.base import ExportParseError, LoadContext, drop_temp_objects
from pipeline.ingest.archive import safe_extract_zip

PLATFORM = "slack"

METADATA_FILES = ("channels.json", "groups.json", "mpims.json", "dms.json", "users.json", "org_users.json")
_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")

# Subtypes that are content (a contribution when the author is not a bot). NULL = plain message.
CONTENT_SUBTYPES = (
    "thread_broadcast", "reply_broadcast", "file_share", "me_message", "bot_message",
    "file_comment", "file_mention", "slackbot_response",
)

# Service subtypes → system_event. Any subtype in neither tuple is system / 'other' too.
SYSTEM_EVENTS = {
    "channel_join": "join", "group_join": "join",
    "channel_leave": "leave", "group_leave": "leave",
    "channel_name": "rename", "group_name": "rename",
    "pinned_item": "pin", "unpinned_item": "pin",
    **{s: "other" for s in (
        "channel_topic", "group_topic", "channel_purpose", "group_purpose",
        "channel_archive", "group_archive", "channel_unarchive", "group_unarchive",
        "channel_convert_to_private", "channel_convert_to_public", "channel_posting_permissions",
        "channel_canvas_updated", "bot_add", "bot_remove", "bot_enable", "bot_disable",
        "tombstone", "reminder_add", "reminder_delete", "huddle_thread", "sh_room_created",
        "joiner_notification", "joiner_notification_for_inviter", "app_conversation_join",
        "app_conversation_leave", "message_changed", "message_deleted", "message_replied",
        "ekm_access_denied", "assistant_app_thread",
    )},
}
JOIN_LEAVE = {"channel_join": "join", "group_join": "join", "channel_leave": "leave", "group_leave": "leave"}
_BOT_ADMIN_SUBTYPES = ("bot_add", "bot_remove", "bot_enable", "bot_disable")

_MESSAGE_SCHEMA = (
    '{"type":"VARCHAR","subtype":"VARCHAR","ts":"VARCHAR","user":"VARCHAR","bot_id":"VARCHAR",'
    '"username":"VARCHAR","text":"VARCHAR","thread_ts":"VARCHAR","edited":"JSON","files":"JSON",'
    '"file":"JSON","attachments":"JSON","reactions":"JSON","comment":"JSON","user_profile":"JSON",'
    '"bot_profile":"JSON"}'
)
_USER_SCHEMA = ('{"id":"VARCHAR","name":"VARCHAR","real_name":"VARCHAR","deleted":"VARCHAR",'
                '"is_bot":"VARCHAR","profile":"JSON"}')
_CONV_SCHEMA = '{"id":"VARCHAR","name":"VARCHAR"}'
_REACTIONS_SCHEMA = '[{"name":"VARCHAR","users":["VARCHAR"],"count":"VARCHAR"}]'


# ----------------------------------------------------------------------------- discovery

def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def find_exports(source_dir: Path) -> list[Path]:
    """Zips, unzipped export folders (holding channels.json or users.json), and the source
    folder itself when it directly holds channels.json. Oldest first: by modification time,
    then by name."""
    source_dir = Path(source_dir)
    units: list[Path] = []
    if (source_dir / "channels.json").is_file():
        units.append(source_dir)
    for child in source_dir.iterdir():
        if child.name.startswith("."):
            continue
        if child.is_file() and child.suffix.lower() == ".zip":
            units.append(child)
        elif child.is_dir() and ((child / "channels.json").is_file() or (child / "users.json").is_file()):
            units.append(child)
    return sorted(units, key=lambda p: (_mtime(p), p.name))


def _is_export_root(d: Path) -> bool:
    if any((d / f).is_file() for f in METADATA_FILES):
        return True
    return any(c.is_dir() and any(_DAY_FILE.match(f.name) for f in c.iterdir()) for c in d.iterdir())


def _export_root(ctx: LoadContext) -> tuple[Path, Path]:
    """(folder the export's files are in, folder locations are relative to)."""
    if ctx.path.is_file():
        try:
            base = safe_extract_zip(ctx.path, ctx.tmp_dir / "export")
        except ExportParseError as exc:  # name the zip as the user knows it (relative to the source)
            raise ExportParseError(ctx.rel_path, exc.place, exc.expected, exc.detail) from exc
    else:
        base = ctx.path
    root = base
    if not _is_export_root(root):
        subs = [c for c in root.iterdir() if c.is_dir() and not c.name.startswith((".", "__MACOSX"))]
        subs = [c for c in subs if _is_export_root(c)]
        if len(subs) == 1:
            root = subs[0]
        else:
            raise ExportParseError(ctx.rel_path, "top level",
                                   "a Slack export: channels.json/users.json and one folder per "
                                   "channel of YYYY-MM-DD.json day files")
    return root, base


# ----------------------------------------------------------------------------- SQL helpers

def epoch_string_to_instant(col: str) -> str:
    """SQL: a Slack ts string ``<secs>.<up to 6 digits>`` → TIMESTAMPTZ, exact, NULL if malformed."""
    return (f"case when regexp_full_match(trim({col}), '[0-9]{{1,12}}(\\.[0-9]{{0,6}})?') then "
            f"to_timestamp(cast(split_part(trim({col}), '.', 1) as bigint)) + "
            f"to_microseconds(cast(rpad(split_part(trim({col}), '.', 2), 6, '0') as bigint)) end")


def _read_array_sql(schema: str) -> str:
    """A relation (filename, _rn, r) over the JSON-array files in $files: one row per
    array element, in file order, ``r`` = the element transformed with ``schema``."""
    return f"""
        select filename, _rn, json_transform(m, '{schema}') as r
        from (select filename, m, row_number() over () as _rn
              from read_json($files, format='array', records=false, columns={{'m': 'JSON'}},
                             filename=true))"""


def _read_day_files(conn, files: list[str], typed: bool = True) -> str:
    """Read the day files into a scratch table and make the temp view ``_slack_read (pos,
    filename, r)`` over it: one row per message, ``pos`` = its place in the files' order,
    ``r`` = the message as a struct of ``_MESSAGE_SCHEMA``. Returns the scratch table's name
    (drop it with :func:`jsonstream.drop_scratch`).

    The columns are read typed, straight from the files (DuckDB reads several files in
    parallel); every field is VARCHAR or JSON, so any value fits. Only an element that is not
    an object (a number, a string, an array) makes that read fail, and the export is then read
    the tolerant way: each element as raw JSON, transformed (a non-object becomes an all-NULL
    row, which the loader quarantines). At 2.5M messages: 2.9 s instead of 4.7 s. The reads run
    on a scratch cursor, outside the loader's transaction, which a failed statement would abort.
    """
    cols = json.loads(_MESSAGE_SCHEMA)
    columns = jsonstream.columns_sql(cols)
    fields = ", ".join(f'"{k}"' for k in cols)
    name = jsonstream.scratch_name("slack_days")
    table = jsonstream.scratch_table(name)
    cur = jsonstream.scratch_cursor(conn)
    typed_read = f"""create or replace table {table} as
        select filename, struct_pack({fields}) as r
        from read_json($files, format='array', columns={columns}, filename=true)"""
    tolerant_read = f"""create or replace table {table} as
        select filename, json_transform(m, '{_MESSAGE_SCHEMA}') as r
        from read_json($files, format='array', records=false, columns={{'m': 'JSON'}}, filename=true)"""
    try:
        try:
            cur.execute(typed_read if typed else tolerant_read, {"files": files})
        except duckdb.Error as exc:
            if not typed or not jsonstream.is_shape_error(exc):
                raise
            cur.execute(tolerant_read, {"files": files})
    finally:
        cur.close()
    conn.execute(f"create or replace temp view _slack_read as select rowid as pos, filename, r from {table}")
    return name


def _display_name(prefix: str) -> str:
    return (f"coalesce(nullif(json_extract_string({prefix}, '$.display_name'), ''), "
            f"nullif(json_extract_string({prefix}, '$.real_name'), ''), "
            f"nullif(json_extract_string({prefix}, '$.name'), ''))")


def _sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _raise_read_error(ctx: LoadContext, exc: duckdb.Error, files: list[Path], base: Path,
                      expected: str) -> None:
    """Turn a DuckDB read error into an ExportParseError naming the file inside the export."""
    msg = str(exc)
    bad = None
    m = re.search(r'file "([^"]+)"', msg)
    if m:
        bad = Path(m.group(1))
    else:  # find the culprit file by reading them one by one (files, not messages)
        for f in files:
            try:
                ctx.conn.execute("select count(*) from read_json($f, format='array', records=false, "
                                 "columns={'m': 'JSON'})", {"f": str(f)}).fetchall()
            except duckdb.Error:
                bad = f
                break
    try:
        rel = bad.relative_to(base).as_posix() if bad else "?"
    except ValueError:
        rel = bad.name
    where = re.search(r"byte \d+ in record/value \d+|record/value \d+", msg)
    detail = msg.split("\n")[0]
    if bad:
        detail = detail.replace(str(bad), rel)
    raise ExportParseError(f"{ctx.rel_path}/{rel}", where.group(0) if where else "top level",
                           expected, detail) from exc


# ----------------------------------------------------------------------------- loading

def load_export(ctx: LoadContext) -> None:
    scratch: list[str] = []
    # the messages' candidates are read from _slack_msg by the loader: the temp tables are
    # dropped once it has moved them
    ctx.on_done(lambda: drop_temp_objects(ctx.conn, views=("_slack_read",), tables=(
        "_slack_conv", "_slack_files", "_slack_msg", "_slack_react", "_slack_users", "_slack_ufiles")))
    try:
        _load(ctx, scratch)
    finally:
        jsonstream.drop_scratch(ctx.conn, *scratch)


def _load(ctx: LoadContext, scratch: list[str]) -> None:
    conn = ctx.conn
    root, base = _export_root(ctx)

    def rel(p: Path) -> str:
        return p.relative_to(base).as_posix()

    # -- day files (listing files, not messages)
    day_files: list[Path] = []
    for folder in sorted(c for c in root.iterdir() if c.is_dir() and not c.name.startswith((".", "__MACOSX"))):
        day_files.extend(sorted(f for f in folder.iterdir() if f.is_file() and _DAY_FILE.match(f.name)))
    meta = {name: root / name for name in METADATA_FILES if (root / name).is_file()}
    if not day_files and not meta:
        raise ExportParseError(ctx.rel_path, "top level",
                               "a Slack export: channels.json/users.json and one folder per channel "
                               "of YYYY-MM-DD.json day files")

    # -- conversations: folder name → (id, name)
    conn.execute("create or replace temp table _slack_conv (folder VARCHAR, channel_id VARCHAR, "
                 "channel_name VARCHAR, prio INTEGER)")
    for prio, (fname, folder_expr) in enumerate((("channels.json", "r.name"), ("groups.json", "r.name"),
                                                 ("mpims.json", "r.name"), ("dms.json", "r.id"))):
        if fname not in meta:
            continue
        try:
            conn.execute(f"""insert into _slack_conv
                select {folder_expr}, r.id, coalesce(r.name, r.id), {prio}
                from ({_read_array_sql(_CONV_SCHEMA)}) where r.id is not null""",
                         {"files": [str(meta[fname])]})
        except duckdb.Error as exc:
            _raise_read_error(ctx, exc, [meta[fname]], base, "a JSON array of conversation objects")

    # -- messages
    conn.execute("create or replace temp table _slack_files (filename VARCHAR, folder VARCHAR, rel VARCHAR)")
    if day_files:
        conn.execute("insert into _slack_files select unnest($f), unnest($d), unnest($r)",
                     {"f": [str(f) for f in day_files], "d": [f.parent.name for f in day_files],
                      "r": [rel(f) for f in day_files]})
        try:
            scratch.append(_read_day_files(conn, [str(f) for f in day_files]))
        except duckdb.Error as exc:
            _raise_read_error(ctx, exc, day_files, base, "a JSON array of Slack message objects")
    else:  # an export with metadata only: same columns, no rows
        conn.execute("create or replace temp view _slack_read as select null::BIGINT as pos, null::VARCHAR as filename, "
                     f"json_transform('{{}}'::JSON, '{_MESSAGE_SCHEMA}') as r where false")

    system_events_case = " ".join(f"when '{s}' then '{e}'" for s, e in SYSTEM_EVENTS.items())
    conn.execute(f"""
        create or replace temp table _slack_msg as
        with firsts as (       -- a file's first row: positions within the file (no window sort)
            select filename, min(pos) as first_row from _slack_read group by filename
        ),
        base as (
            select f.folder, f.rel || '[' || (d.pos - firsts.first_row) || ']' as location,
                   c.channel_id, c.channel_name, d.r as r,
                   nullif(trim(d.r.subtype), '') as st,
                   nullif(trim(d.r.bot_id), '') as bot,
                   nullif(trim(d.r."user"), '') as usr,
                   nullif(trim(d.r.ts), '') as ts_s,
                   nullif(trim(d.r.thread_ts), '') as thread_s
            from _slack_read d
            join firsts using (filename)
            join _slack_files f using (filename)
            left join (select folder, arg_min(channel_id, prio) as channel_id,
                              arg_min(channel_name, prio) as channel_name
                       from _slack_conv group by folder) c on c.folder = f.folder
        )
        select
            location,
            coalesce(channel_id, folder) as channel_id,
            coalesce(channel_name, folder) as channel_name,
            coalesce(channel_id, folder) || ':' || ts_s as message_id,
            st as subtype,
            usr,
            coalesce(usr,
                     case when st = 'file_comment' then nullif(json_extract_string(r.comment, '$.user'), '') end,
                     bot) as author_id,
            case when st = 'bot_message' or usr is null and bot is not null
                 then coalesce(nullif(r.username, ''), nullif(json_extract_string(r.bot_profile, '$.name'), ''))
                 else {_display_name('r.user_profile')} end as author_name,
            case when (bot is not null and coalesce(st, '') not in ({_sql_list(_BOT_ADMIN_SUBTYPES)}))
                      or st = 'bot_message' or usr = 'USLACKBOT' then true end as author_is_bot,
            ts_s as raw_time,
            {epoch_string_to_instant('ts_s')} as sent_at,
            case when st is null or st in ({_sql_list(CONTENT_SUBTYPES)}) then
                     case when thread_s is not null and thread_s <> coalesce(ts_s, '') then 'reply' else 'message' end
                 else 'system' end as kind,
            case when st is null or st in ({_sql_list(CONTENT_SUBTYPES)}) then null
                 else case st {system_events_case} else 'other' end end as system_event,
            case when thread_s is not null and thread_s <> coalesce(ts_s, '')
                 then coalesce(channel_id, folder) || ':' || thread_s end as parent_id,
            replace(replace(replace(r.text, '&lt;', '<'), '&gt;', '>'), '&amp;', '&') as text,
            coalesce(json_type(r.edited) = 'OBJECT', false) as is_edited,
            {epoch_string_to_instant("json_extract_string(r.edited, '$.ts')")} as edited_at,
            coalesce(json_array_length(r.files) > 0, false)
              or coalesce(json_type(r.file) = 'OBJECT' and coalesce(st, '') not in ('file_comment', 'file_mention'), false)
              or coalesce(list_bool_or(list_transform(json_extract(r.attachments, '$[*].files'),
                                                      lambda x: json_array_length(x) > 0)), false)
              as has_attachment,
            r.reactions as reactions
        from base
    """)

    prov = ctx.provenance_sql()
    # the loader moves the messages straight from _slack_msg (a temp table that outlives this
    # load), instead of from a copy of every row in _in_messages
    ctx.defer_candidates("messages", f"""
        select {prov}, location, message_id, channel_id, channel_name, author_id, author_name,
               author_is_bot, raw_time, sent_at, kind, system_event, parent_id,
               parent_id as thread_id, text, is_edited, edited_at, has_attachment
        from _slack_msg""", ctx.params())

    # -- reactions
    conn.execute(f"""
        create or replace temp table _slack_react as
        select m.message_id, m.location || '.reactions[' || (u.j - 1) || ']' as location,
               u.x.name as reaction, coalesce(u.x.users, []) as users,
               nullif(trim(u.x.count), '') as count_raw,
               try_cast(nullif(trim(u.x.count), '') as bigint) as cnt
        from _slack_msg m,
             unnest(json_transform(m.reactions, '{_REACTIONS_SCHEMA}')) with ordinality as u(x, j)
        where json_type(m.reactions) = 'ARRAY' and u.x is not null
    """)
    conn.execute(f"""
        insert into _in_reactions by name
        select {prov}, location, message_id, unnest(users) as reactor_id, reaction,
               1::bigint as reaction_count, null as raw_time, null as reacted_at
        from _slack_react
        union all by name
        select {prov}, location, message_id, null as reactor_id, reaction,
               case when cnt is null then null else cnt - len(users) end as reaction_count,
               null as raw_time, null as reacted_at
        from _slack_react
        where (count_raw is not null and cnt is null) or cnt > len(users)
    """, ctx.params())

    # -- membership events
    join_leave_case = " ".join(f"when '{s}' then '{e}'" for s, e in JOIN_LEAVE.items())
    conn.execute(f"""
        insert into _in_membership_events by name
        select {prov}, location, usr as user_id, channel_id, case subtype {join_leave_case} end as event,
               raw_time, sent_at as occurred_at, subtype as via
        from _slack_msg where subtype in ({_sql_list(JOIN_LEAVE)})
    """, ctx.params())

    # -- users
    user_files = [meta[n] for n in ("users.json", "org_users.json") if n in meta]
    conn.execute("create or replace temp table _slack_users (location VARCHAR, user_id VARCHAR, "
                 "display_name VARCHAR, is_bot BOOLEAN, is_deleted BOOLEAN, email VARCHAR, phone VARCHAR)")
    if user_files:
        conn.execute("create or replace temp table _slack_ufiles as select unnest($f) as filename, unnest($r) as rel",
                     {"f": [str(f) for f in user_files], "r": [rel(f) for f in user_files]})
        try:
            conn.execute(f"""
                insert into _slack_users
                select uf.rel || '[' || (d._rn - min(d._rn) over (partition by d.filename)) || ']',
                       nullif(trim(d.r.id), ''),
                       coalesce(nullif(json_extract_string(d.r.profile, '$.display_name'), ''),
                                nullif(d.r.real_name, ''),
                                nullif(json_extract_string(d.r.profile, '$.real_name'), ''),
                                nullif(d.r.name, '')),
                       coalesce(lower(d.r.is_bot) = 'true', false) or d.r.id = 'USLACKBOT',
                       lower(d.r.deleted) = 'true',
                       nullif(json_extract_string(d.r.profile, '$.email'), ''),
                       nullif(json_extract_string(d.r.profile, '$.phone'), '')
                from ({_read_array_sql(_USER_SCHEMA)}) d join _slack_ufiles uf using (filename)
            """, {"files": [str(f) for f in user_files]})
        except duckdb.Error as exc:
            _raise_read_error(ctx, exc, user_files, base, "a JSON array of Slack user objects")
    conn.execute(f"""
        insert into _in_users by name
        select {prov}, location, user_id, display_name, is_bot, is_deleted, null as joined_at, email, phone
        from _slack_users
        union all by name
        select {prov}, coalesce(arg_min(location, sent_at), min(location)) as location, author_id as user_id,
               max(author_name) as display_name, bool_or(author_is_bot) as is_bot, null as is_deleted,
               null as joined_at, null as email, null as phone
        from _slack_msg
        where author_id is not null and trim(author_id) <> ''
          and author_id not in (select user_id from _slack_users where user_id is not null)
        group by author_id
    """, ctx.params())

