"""WeChat chat-history CSV exports (third-party tools) → candidate rows.

There is no official WeChat export (``formats.md`` §7). Two CSV writers are supported, told
apart by their header line:

- **MemoTrace / WeChatMsg** ``<remark>_utf8.csv``: ``localId,TalkerId,Type,SubType,IsSender,
  CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender`` (one file per chat; the chat
  itself is not named inside the file, so the channel is the file name without ``_utf8``).
- **PyWxDump**: ``id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime`` and
  the older ``id,MsgSvrID,type_name,is_sender,talker,room_name,content,CreateTime`` whose
  ``content`` is a JSON string ``{"src": …, "msg": …}`` and whose ``talker`` is ``我`` for
  the account owner.

Files are decoded by :mod:`pipeline.adapters.encoding` (UTF-8 ± BOM, GB18030/GBK, UTF-16;
line breaks normalised), then read by DuckDB's ``read_csv`` (RFC 4180 quoting, every column
VARCHAR, header names matched case-insensitively) on a scratch cursor; a file DuckDB cannot
split into records fails with the line DuckDB names. ``location`` = ``line N``: the physical
line where the record starts (records with quoted line breaks span several lines).

Mapping decisions
-----------------
- ``message_id``: PyWxDump ``MsgSvrID`` (the server's 64-bit id, kept as text; a value a
  spreadsheet turned into ``7.43727E+18`` is quarantined by the loader's
  ``scientific_notation_id`` rule). ``0`` (never sent to the server) and MemoTrace rows (no
  server id is exported; ``localId`` is per database shard and changes with a re-built
  database) get ``<chat>:<first 20 hex of sha256(CreateTime, sender, type, subtype, content,
  occurrence)>``, so re-exports of the same chat dedupe.
- times: MemoTrace ``CreateTime`` (epoch seconds, an instant) else ``StrTime`` (local);
  PyWxDump ``CreateTime`` is local ``YYYY-MM-DD HH:MM:SS`` or the spreadsheet-mangled
  ``YYYY/M/D H:MM`` (seconds lost) or epoch seconds. Local times are in the source's
  ``exporter_timezone``. Nothing parseable → ``sent_at`` NULL, quarantined at its line.
- author: MemoTrace ``Sender`` (wxid), name ``NickName`` (else ``Remark``); PyWxDump
  ``talker`` (no names in the file); ``我`` = the account owner: the source option
  ``self_id`` when given, else the ``talker`` of the owner's own rows in newer files, else
  ``self``. System messages are authored by the pseudo-account ``system`` (flagged
  ``author_is_bot``: staging needs an author on every message, a bot is never a member; not
  listed in ``users``).
- ``kind``: MemoTrace ``Type`` 10000 / 10002 and PyWxDump ``系统通知`` → ``system``; quote
  replies (MemoTrace ``Type`` 49 / ``SubType`` 57, PyWxDump ``引用回复``) → ``reply``; every
  other type → ``message``; a row without a type → kind NULL (quarantined). A PyWxDump quote
  reply names the quoted message (``[引用](time)name:text``): ``parent_id`` is the message of
  the same chat with that text sent within a minute of that time (nearest), and the quote is
  cut from the reply's text. MemoTrace does not export the quoted message: no parent.
- ``system_event`` from the notice's text (XML tags and quote marks removed):
  ``X邀请Y、Z加入了群聊`` → join of Y and Z (via ``invite``), ``X通过扫描…二维码加入群聊`` → join
  of X (``qr_code``), ``X通过…加入群聊`` → join (``link``), ``X退出了群聊`` → leave (``left``),
  ``你将X移出了群聊`` / ``X移出了群聊`` → leave of X (``kicked``); recalls (撤回), pats (拍了拍),
  "你已添加了X" and the rest → ``other``. Each join / leave is also a membership event; the
  named member is resolved through the names the file pairs with ids (MemoTrace NickName /
  Remark, the nearest use in time), ``你`` is the owner, and anything else is
  ``name:<X>`` (recorded as a user named X).
- ``has_attachment``: image (3 / 图片), voice (34 / 语音), video (43 / 视频), file (49/6 /
  文件). Stickers are not attachments.
- ``text``: the message text; for media rows MemoTrace's XML is replaced by a placeholder
  (``[图片]`` …) and a link's ``<title>`` is kept; PyWxDump's ``msg`` as written.
- no reactions or edits exist in these exports.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from pipeline.adapters import encoding, jsonstream
from pipeline.adapters.base import ExportParseError, LoadContext, run

PLATFORM = "wechat"

MEMOTRACE = ("localid", "talkerid", "type", "subtype", "issender", "createtime", "status", "strcontent",
             "strtime", "remark", "nickname", "sender")
PYWXDUMP_REQUIRED = ("msgsvrid", "type_name", "is_sender", "talker", "room_name", "createtime")
TIME_FORMATS = ("['%Y-%m-%d %H:%M:%S', '%Y/%m/%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y/%m/%d %H:%M', "
                "'%Y.%m.%d %H:%M:%S', '%Y.%m.%d %H:%M']")
PLACEHOLDERS = {3: "[图片]", 34: "[语音]", 42: "[名片]", 43: "[视频]", 47: "[表情]", 48: "[位置]",
                50: "[通话]"}
INVITE_RE = r"^(.+?)邀请(.+?)加入了群聊"
QR_RE = r"^(.+?)通过扫描.*?二维码加入了?群聊"
VIA_RE = r"^(.+?)通过.*?加入了?群聊"
LEAVE_RE = r"^(.+?)退出了群聊"
KICK_RE = r"^(?:(.+?)将)?(.+?)移出了?群聊"
QUOTE_RE = (r"(?s)\[引用\]\(([0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)\)"
            r"([^:：\n]*)[:：](.*)$")
_TEMP = ("_wx_m", "_wx_names", "_wx_events", "_wx_self")


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def find_exports(source_dir: Path) -> list[Path]:
    """Every ``*.csv`` under the folder (hidden files skipped), oldest first (mtime, path)."""
    source_dir = Path(source_dir)
    files = [p for p in source_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".csv"
             and not any(part.startswith(".") for part in p.relative_to(source_dir).parts)]
    return sorted(files, key=lambda p: (_mtime(p), str(p.relative_to(source_dir))))


def _chat_name(rel_path: str) -> str:
    stem = Path(rel_path).stem
    return re.sub(r"_utf-?8$", "", stem, flags=re.I) or stem


def _header(ctx: LoadContext, decoded: Path) -> list[str]:
    with open(decoded, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header or not any(h.strip() for h in header):
        raise ExportParseError(ctx.rel_path, "header (line 1)", "a CSV header line", "the file has no header")
    names = []
    for i, h in enumerate(header):
        n = h.strip().lower() or f"column{i}"
        while n in names:
            n += "_"
        names.append(n)
    return names


def _variant(ctx: LoadContext, names: list[str]) -> str:
    if all(c in names for c in ("localid", "type", "createtime", "strcontent", "sender")):
        return "memotrace"
    if all(c in names for c in PYWXDUMP_REQUIRED) and ("msg" in names or "content" in names):
        return "pywxdump"
    raise ExportParseError(
        ctx.rel_path, "header (line 1)",
        "a MemoTrace CSV (" + ",".join(("localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime",
                                         "Status", "StrContent", "StrTime", "Remark", "NickName", "Sender"))
        + ") or a PyWxDump CSV (id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime "
          "or …,content,CreateTime)",
        f"found columns {', '.join(names)}")


def _read_csv(ctx: LoadContext, decoded: Path, names: list[str], scratch: str) -> str:
    table = jsonstream.scratch_table(scratch)
    struct = ", ".join("'" + n.replace("'", "''") + "': 'VARCHAR'" for n in names)
    newlines = " + ".join(f"coalesce(length({_q(n)}) - length(replace({_q(n)}, chr(10), '')), 0)" for n in names)
    cur = jsonstream.scratch_cursor(ctx.conn)
    try:
        cur.execute(f"""
            create or replace table {table} as
            with r as (
                select *, row_number() over () as _rec
                from read_csv({jsonstream.sql_literal(str(decoded))}, header = true, auto_detect = false,
                              delim = ',', quote = '"', escape = '"', new_line = '\\n',
                              columns = {{{struct}}}, max_line_size = 67108864)
            )
            select *, 2 + coalesce(sum(1 + {newlines}) over (order by _rec rows between unbounded preceding
                                                             and 1 preceding), 0) as _line
            from r""")
    except duckdb.Error as exc:
        msg = str(exc)
        line = re.search(r"CSV Error on Line: (\d+)", msg)
        lines = [x.strip() for x in msg.split("\n") if x.strip()]
        detail = "; ".join(x for x in lines[:3] if not x.startswith("Possible fixes"))
        raise ExportParseError(ctx.rel_path, f"line {line.group(1)}" if line else "file",
                               "a CSV file with one value per header column on every record", detail) from exc
    finally:
        cur.close()
    return table


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_export(ctx: LoadContext) -> None:
    conn = ctx.conn
    decoded = encoding.decode_to_utf8(ctx.path, ctx.tmp_dir, display=ctx.rel_path,
                                      normalize_newlines=True, strip_nul=True, name="wechat.csv")
    names = _header(ctx, decoded.path)
    variant = _variant(ctx, names)
    scratch = jsonstream.scratch_name("wechat_csv")
    try:
        table = _read_csv(ctx, decoded.path, names, scratch)
        decoded.path.unlink(missing_ok=True)
        params = ctx.params(tz=ctx.exporter_timezone, chat=_chat_name(ctx.rel_path),
                            self_id=(str(ctx.options["self_id"]) if ctx.options.get("self_id") else None),
                            bots=[str(b).strip() for b in (ctx.options.get("bots") or []) if str(b).strip()])
        if variant == "memotrace":
            _stage_memotrace(conn, table, params)
        else:
            _stage_pywxdump(conn, table, names, params)
        _fill_candidates(ctx, params)
    finally:
        _cleanup(conn, scratch)


def _cleanup(conn, scratch: str) -> None:
    try:
        for t in _TEMP:
            conn.execute(f"drop table if exists {t}")
    except duckdb.Error:
        pass  # the loader's transaction failed: its rollback removes them
    jsonstream.drop_scratch(conn, scratch)


def _local_ts(expr: str) -> str:
    return f"timezone($tz, try_strptime(trim({expr}), {TIME_FORMATS}))"


def _epoch_ok(expr: str) -> str:
    return f"regexp_full_match(trim({expr}), '[0-9]{{9,11}}')"


def _hash_id(chat: str, parts: list[str], partition: str) -> str:
    joined = ", ".join(f"coalesce(cast({p} as varchar), '')" for p in parts)
    return (f"{chat} || ':' || left(sha256(concat_ws(chr(31), {joined}, cast(row_number() over "
            f"(partition by {partition} order by _rec) - 1 as varchar))), 20)")


# Every staged row (_wx_m) has: line, rec, channel_id, channel_name, message_id, author_id,
# author_name, raw_time, sent_at, kind, is_system, text, sys_text, has_attachment, quote_time,
# quote_text, self_id.

def _stage_memotrace(conn, table: str, params: dict) -> None:
    placeholder = " ".join(f"when {k} then '{v}'" for k, v in PLACEHOLDERS.items())
    time_key = "coalesce(cast(cast(epoch(sent_at) as bigint) as varchar), raw_time)"
    run(conn, f"""
        create or replace temp table _wx_m as
        with r as (
            select *, try_cast(trim(type) as integer) as type_code, try_cast(trim(subtype) as integer) as sub_code,
                   nullif(trim(sender), '') as sender_id,
                   case when {_epoch_ok('createtime')} then to_timestamp(cast(trim(createtime) as bigint))
                        else {_local_ts('strtime')} end as sent_at,
                   case when {_epoch_ok('createtime')} then trim(createtime)
                        when {_local_ts('strtime')} is not null then strtime
                        else nullif(concat_ws(' / ', nullif(trim(createtime), ''), nullif(trim(strtime), '')), '') end
                       as raw_time
            from {table}
        ),
        k as (
            select *, type_code in (10000, 10002) as is_system,
                   case when type_code is null then null when type_code in (10000, 10002) then 'system'
                        when type_code = 49 and sub_code = 57 then 'reply' else 'message' end as kind
            from r
        )
        select _line as line, _rec as rec, $chat as channel_id, $chat as channel_name,
               {_hash_id('$chat', [time_key, 'sender_id', 'type', 'subtype', 'strcontent'],
                         f'{time_key}, sender_id, type, subtype, strcontent')} as message_id,
               case when is_system then 'system' else sender_id end as author_id,
               case when is_system then null else coalesce(nullif(trim(nickname), ''), nullif(trim(remark), '')) end
                   as author_name,
               sender_id, nullif(trim(nickname), '') as nick, nullif(trim(remark), '') as remark,
               raw_time, sent_at, kind, coalesce(is_system, false) as is_system,
               case when type_code = 1 or type_code is null then strcontent
                    when type_code in (10000, 10002) then trim(regexp_replace(strcontent, '<[^>]*>', '', 'g'))
                    when type_code = 49 then coalesce(nullif(regexp_extract(strcontent, '<title>(.*?)</title>', 1), ''),
                                                      case sub_code when 6 then '[文件]' else '[链接]' end)
                    else case type_code {placeholder} else strcontent end end as text,
               case when type_code in (10000, 10002) then strcontent end as sys_raw,
               coalesce(type_code in (3, 34, 43) or (type_code = 49 and sub_code = 6), false) as has_attachment,
               null::varchar as quote_time, null::varchar as quote_text,
               trim(issender) = '1' as own
        from k
    """, params)
    # the owner: Sender of the owner's own rows
    conn.execute("""
        create or replace temp table _wx_self as
        select coalesce($self_id, (select mode(sender_id) from _wx_m where own and sender_id is not null), 'self') as self_id
    """, {"self_id": params["self_id"]})


def _stage_pywxdump(conn, table: str, names: list[str], params: dict) -> None:
    content = ("msg" if "msg" in names else
               "case when json_valid(content) and json_type(content::json) = 'OBJECT' "
               "then content::json ->> 'msg' else content end")
    run(conn, f"""
        create or replace temp table _wx_self as
        select coalesce($self_id,
                        (select mode(trim(talker)) from {table} where trim(is_sender) = '1' and trim(talker) <> '我'),
                        'self') as self_id
    """, params)
    time_key = "coalesce(cast(cast(epoch(sent_at) as bigint) as varchar), raw_time)"
    run(conn, f"""
        create or replace temp table _wx_m as
        with r as (
            select *, {content} as body, nullif(trim(type_name), '') as tname,
                   case when trim(talker) = '我' then (select self_id from _wx_self) else nullif(trim(talker), '') end
                       as talker_id,
                   case when {_epoch_ok('createtime')} then to_timestamp(cast(trim(createtime) as bigint))
                        else {_local_ts('createtime')} end as sent_at,
                   createtime as raw_time
            from {table}
        ),
        k as (
            select *, coalesce(tname = '系统通知', false) as is_system,
                   case when tname is null then null when tname = '系统通知' then 'system'
                        when tname = '引用回复' then 'reply' else 'message' end as kind,
                   regexp_extract(body, '{QUOTE_RE}', ['qt', 'qn', 'qx']) as q,
                   coalesce(nullif(trim(room_name), ''), $chat) as chat
            from r
        )
        select _line as line, _rec as rec, chat as channel_id, chat as channel_name,
               case when trim(msgsvrid) = '0' then
                        {_hash_id('chat', [time_key, 'talker_id', 'tname', 'body'], f'chat, {time_key}, talker_id, tname, body')}
                    else nullif(trim(msgsvrid), '') end as message_id,
               case when is_system then 'system' else talker_id end as author_id,
               null::varchar as author_name, talker_id as sender_id, null::varchar as nick, null::varchar as remark,
               raw_time, sent_at, kind, is_system,
               case when kind = 'reply' and q.qt <> '' then regexp_replace(body, '(?s)\\s*\\[引用\\]\\(.*$', '')
                    when is_system then trim(regexp_replace(body, '<[^>]*>', '', 'g'))
                    else body end as text,
               case when is_system then body end as sys_raw,
               coalesce(tname in ('图片', '语音', '视频', '文件'), false) as has_attachment,
               nullif(q.qt, '') as quote_time, nullif(trim(q.qx), '') as quote_text,
               trim(is_sender) = '1' as own
        from k
    """, params)


def _fill_candidates(ctx: LoadContext, params: dict) -> None:
    conn = ctx.conn
    prov = ctx.provenance_sql()
    # names the file pairs with ids (for notices naming members), "你" = the owner
    conn.execute("""
        create or replace temp table _wx_names as
        select name, sender_id as user_id, sent_at, rec from (
            select nick as name, sender_id, sent_at, rec from _wx_m where not is_system and sender_id is not null
            union all
            select remark, sender_id, sent_at, rec from _wx_m where not is_system and sender_id is not null
            union all
            select sender_id, sender_id, sent_at, rec from _wx_m where not is_system and sender_id is not null
        ) where name is not null
    """)
    clean = "trim(regexp_replace(regexp_replace(sys_raw, '<[^>]*>', '', 'g'), '[\"“”「」]', '', 'g'))"
    run(conn, f"""
        create or replace temp table _wx_events as
        with s as (
            select line, rec, channel_id, raw_time, sent_at, {clean} as t
            from _wx_m where is_system and sys_raw is not null
        ),
        named as (
            select line, rec, channel_id, raw_time, sent_at, 'join' as event, 'invite' as via,
                   unnest(string_split(regexp_extract(t, '{INVITE_RE}', 2), '、')) as name
            from s where regexp_matches(t, '{INVITE_RE}')
            union all
            select line, rec, channel_id, raw_time, sent_at, 'join', 'qr_code', regexp_extract(t, '{QR_RE}', 1)
            from s where not regexp_matches(t, '{INVITE_RE}') and regexp_matches(t, '{QR_RE}')
            union all
            select line, rec, channel_id, raw_time, sent_at, 'join', 'link', regexp_extract(t, '{VIA_RE}', 1)
            from s where not regexp_matches(t, '{INVITE_RE}') and not regexp_matches(t, '{QR_RE}')
                     and regexp_matches(t, '{VIA_RE}')
            union all
            select line, rec, channel_id, raw_time, sent_at, 'leave', 'left', regexp_extract(t, '{LEAVE_RE}', 1)
            from s where regexp_matches(t, '{LEAVE_RE}')
            union all
            select line, rec, channel_id, raw_time, sent_at, 'leave', 'kicked', regexp_extract(t, '{KICK_RE}', 2)
            from s where not regexp_matches(t, '{LEAVE_RE}') and regexp_matches(t, '{KICK_RE}')
        ),
        ev as (
            select *, nullif(trim(name), '') as target,
                   row_number() over (partition by rec order by name) - 1 as k
            from named
        ),
        resolved as (
            select ev.rec, ev.k,
                   arg_min(n.user_id, struct_pack(d := abs(coalesce(epoch(n.sent_at) - epoch(ev.sent_at), 1e18)),
                                                  r := n.rec)) as user_id
            from ev join _wx_names n on n.name = ev.target
            group by ev.rec, ev.k
        )
        select ev.*,
               case when ev.target in ('你', '您') then (select self_id from _wx_self)
                    else coalesce(resolved.user_id, 'name:' || ev.target) end as user_id,
               resolved.user_id is null and ev.target not in ('你', '您') as unresolved
        from ev left join resolved using (rec, k)
    """)
    run(conn, f"""
        insert into _in_messages by name
        with sys as (
            select rec, min(event) as event from _wx_events group by rec
        ),
        parents as (
            select m.rec, arg_min(p.message_id, struct_pack(d := abs(epoch(p.sent_at) - epoch(m.q_at)), r := p.rec))
                       as parent_id
            from (select *, timezone($tz, try_strptime(quote_time, {TIME_FORMATS})) as q_at
                  from _wx_m where quote_time is not null) m
            join _wx_m p on p.channel_id = m.channel_id and p.rec < m.rec and not p.is_system
                 and p.text = m.quote_text and abs(epoch(p.sent_at) - epoch(m.q_at)) <= 60
            group by m.rec
        )
        select {prov}, 'line ' || m.line as location, m.message_id, m.channel_id, m.channel_name,
               m.author_id, m.author_name,
               case when m.is_system or list_contains($bots::VARCHAR[], m.author_id) then true end as author_is_bot,
               m.raw_time, m.sent_at, m.kind,
               case when m.kind = 'system' then coalesce(sys.event, 'other') end as system_event,
               parents.parent_id, null as thread_id, m.text,
               false as is_edited, null as edited_at, m.has_attachment
        from _wx_m m left join sys using (rec) left join parents using (rec)
    """, params)
    run(conn, f"""
        insert into _in_membership_events by name
        select {prov}, 'line ' || line as location, user_id, channel_id, event, raw_time,
               sent_at as occurred_at, via
        from _wx_events
    """, params)
    run(conn, f"""
        insert into _in_users by name
        select {prov}, arg_min('line ' || line, rec) as location, author_id as user_id,
               arg_max(author_name, struct_pack(s := coalesce(sent_at, timestamptz '0001-01-01 00:00:00+00'), r := rec))
                   filter (where author_name is not null) as display_name,
               list_contains($bots::VARCHAR[], author_id) as is_bot, false as is_deleted
        from _wx_m where author_id is not null and not is_system
        group by author_id
        union all
        select {prov}, arg_min('line ' || line, rec), user_id, any_value(target), false, false
        from _wx_events where unresolved and target is not null
        group by user_id
    """, params)
