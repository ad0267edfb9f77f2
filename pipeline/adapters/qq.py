"""QQ message-manager .txt export (PC QQ 消息管理器 → 导出 .txt) → candidate rows.

Layout (``formats.md`` §6)::

    消息记录（此消息记录为文本格式，不支持重新导入）

    ================================================================
    消息分组:我的QQ群
    ================================================================
    消息对象:2015浙大软院研究生群
    ================================================================

    2016-07-19 15:27:15 【管理员】移游-徐云翰(271147505)
    <body, one or more lines, blank lines allowed>

    2016-07-19 15:27:19 大数据-王慧琴<qinshengbuduan@qq.com>
    …

How it is read (DuckDB does the work; Python only decodes):

1. :func:`pipeline.adapters.encoding.decode_to_utf8` writes a UTF-8 copy (UTF-8 ± BOM,
   GB18030/GBK, UTF-16 LE/BE detected) with every ``\\r\\n`` / lone ``\\r`` / lone ``\\n``
   turned into ``\\n`` (the sample has 266 stray CRs and 363 stray LFs inside bodies) and NULs
   dropped; one line of the copy = one line as an editor counts them.
2. ``read_csv`` reads the copy as ONE column of lines (delimiter NUL, no quoting), with
   ``row_number() over ()`` = the line number, into a scratch table on a separate cursor
   (a failed read must not abort the loader's transaction).
3. SQL classifies the lines: a header matches :data:`HEADER_RE` (date, time with an unpadded
   hour, optional ``AM``/``PM``, nickname, then ``(QQ number)`` or ``<e-mail/phone>`` at the
   END of the line, so nicknames may contain brackets); a conversation block is the
   ``消息分组:`` / ``消息对象:`` lines with their 64-``=`` separators. A running count of
   header and block lines cuts the file into segments; a segment starting with a header is
   one message, its other lines (trailing blank lines dropped) are the body.

Measured through the ingest framework on a synthetic 1,000,000-line export (333k messages,
21 MB, ``tests/test_adapter_qq.py``): 4.4 s of CPU in all (decode ≈ 0.2 s, line read ≈ 0.3 s,
the rest SQL), peak RSS 635 MB; 13 s wall on a 2-core machine shared at load 8. Python touches
the bytes only in the chunked decode; it never loops over lines or messages.

Mapping decisions
-----------------
- channel = the conversation (``消息对象``); files without a block use the file name. Both
  ``channel_id`` and ``channel_name`` are that name (the export gives no group number). A
  renamed group would therefore become a new channel: the source option
  ``renamed: {old name: current name}`` maps old names (chains followed) onto the current one
  before anything else, so exports made before and after the rename are one channel and their
  overlapping messages one message each.
- ``author_id`` = the QQ number, else the e-mail / phone between ``<>``. Ids a spreadsheet
  turned into ``4.12E+17`` are still read (the loader quarantines them: rule
  ``scientific_notation_id``).
- ``author_name`` = the nickname with leading ``【…】`` group titles stripped; an empty nickname
  or one equal to the id (the client failed to resolve it) is no name: the last name seen
  before for that id is used. In ``users`` the latest name (by time, then line) wins.
- times are local times of the exporting machine: ``exporter_timezone``. A header whose date
  or time cannot be a real instant (``2016-13-45 25:61:00``) yields a message with
  ``sent_at`` NULL, quarantined as ``unparseable_time`` at ``line N``.
- QQ has no message ids: ``message_id`` = ``<conversation>:<first 20 hex of sha256(local
  time, sender id, body, occurrence)>``, occurrence = the index among records with the same
  (time, sender, body) in that conversation, so a re-export of the same history gives the
  same ids (staging keeps one) while two identical "+1" messages in one second stay two.
- ``kind``: ``system`` for the system senders ``10000`` / ``1000000`` (kept as the author,
  flagged ``author_is_bot``: staging needs an author on every message, and a bot is never a
  member; not listed in ``users``), else ``message`` (the txt export shows no reply structure). ``system_event``:
  ``X加入本群`` → join, ``X退出了群聊`` → leave, ``X被(…)移出群聊`` → leave (kicked), anything
  else (recalls, shared files, posts) → other.
- ``has_attachment``: the body holds ``[图片]``, ``[闪照]``, ``[语音]``, ``[视频]`` or ``[文件]``
  (``[表情]`` is an inline emoji and ``[QQ红包]`` a red packet: not attachments).
- membership events from join / leave / kick notices (via ``join_notice`` / ``left`` /
  ``kicked``). The member is named, not numbered; resolution, in order: (1) a sender of this
  conversation whose nickname (stripped, or as written) is that name, the one whose message
  is nearest in time; (2) for joins, the message right before the notice when it was sent
  0–2 s before it and is its author's first message in the conversation (QQ writes the
  newcomer's greeting, then the join notice with the same timestamp: formats.md §6);
  (3) otherwise ``name:<X>``, also recorded as a user named X.
- no reactions, no edits.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.adapters import encoding, jsonstream
from pipeline.adapters.base import ExportParseError, LoadContext, run

PLATFORM = "qq"

SEPARATOR = "=" * 64
SYSTEM_IDS = ("10000", "1000000")
HEADER_RE = (r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}(?: [AaPp][Mm])?) (.*?)"
             r"(?:\(([0-9][0-9.]*(?:[Ee][+]?[0-9]+)?)\)|<([^<>]*)>)$")
ATTACHMENT_RE = r"\[(图片|闪照|语音|视频|文件)\]"
JOIN_RE = r"^\s*(.+?)\s*(?:加入本群|加入了本群|加入了群聊)\s*$"
LEAVE_RE = r"^\s*(.+?)\s*(?:退出了群聊|退出了本群|退出本群)\s*$"
KICK_RE = r"^\s*(.+?)\s*被.*?移出了?(?:本群|群聊)"
GREETING_SECONDS = 2
_TEMP = ("_qq_lines", "_qq_msg", "_qq_events")


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def find_exports(source_dir: Path) -> list[Path]:
    """Every ``*.txt`` under the folder (hidden files skipped), oldest first (mtime, path)."""
    source_dir = Path(source_dir)
    files = [p for p in source_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".txt"
             and not any(part.startswith(".") for part in p.relative_to(source_dir).parts)]
    return sorted(files, key=lambda p: (_mtime(p), str(p.relative_to(source_dir))))


def bot_ids(options: dict) -> list[str]:
    return [str(b).strip() for b in (options.get("bots") or []) if str(b).strip()]


def read_lines(ctx: LoadContext, decoded_path: Path, scratch: str) -> str:
    """Load a UTF-8, ``\\n``-only text file as (n, line) into a scratch table; return its name."""
    table = jsonstream.scratch_table(scratch)
    cur = jsonstream.scratch_cursor(ctx.conn)
    try:
        cur.execute(f"""
            create or replace table {table} as
            select row_number() over () as n, coalesce(line, '') as line
            from read_csv({jsonstream.sql_literal(str(decoded_path))}, columns = {{'line': 'VARCHAR'}},
                          header = false, auto_detect = false, delim = chr(0), quote = '', escape = '',
                          new_line = '\\n', max_line_size = 67108864)""")
    except duckdb.Error as exc:
        raise ExportParseError(ctx.rel_path, "file", "a text file of lines (at most 64 MB per line)",
                               str(exc).split("\n")[0]) from exc
    finally:
        cur.close()
    return table


def load_export(ctx: LoadContext) -> None:
    conn = ctx.conn
    decoded = encoding.decode_to_utf8(ctx.path, ctx.tmp_dir, display=ctx.rel_path,
                                      normalize_newlines=True, strip_nul=True, name="qq.txt")
    scratch = jsonstream.scratch_name("qq_lines")
    try:
        table = read_lines(ctx, decoded.path, scratch)
        decoded.path.unlink(missing_ok=True)
        _parse(ctx, table)
        _fill_candidates(ctx)
    finally:
        _cleanup(conn, scratch)


def _renames(options: dict, rel_path: str) -> dict:
    """Source option ``renamed: {old: current}`` as two parallel lists, every chain
    (a -> b -> c) resolved to its last name. Anything else fails the file, naming the option."""
    renamed = options.get("renamed") or {}
    if not isinstance(renamed, dict) or not all(isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
                                                for k, v in renamed.items()):
        raise ExportParseError(rel_path, "source option 'renamed'", "a mapping of old group name to current group name",
                               f"found {renamed!r}")
    final = {}
    for old in renamed:
        name, seen = old, {old}
        while name in renamed:
            name = renamed[name]
            if name in seen:
                raise ExportParseError(rel_path, "source option 'renamed'", "renames that end in a current name",
                                       f"the names {sorted(seen)} rename each other in a loop")
            seen.add(name)
        final[old] = name
    return {"old_names": list(final), "new_names": list(final.values())}


def _cleanup(conn, scratch: str) -> None:
    try:
        for t in _TEMP:
            conn.execute(f"drop table if exists {t}")
    except duckdb.Error:
        pass  # the loader's transaction failed: its rollback removes them
    jsonstream.drop_scratch(conn, scratch)


def _parse(ctx: LoadContext, table: str) -> None:
    conn = ctx.conn
    params = {"sep": SEPARATOR}
    run(conn, f"""
        create or replace temp table _qq_lines as
        with l as (
            select n, line,
                   regexp_matches(line, '{HEADER_RE}') as is_header,
                   line = $sep as is_sep,
                   regexp_matches(line, '^消息(分组|对象)[:：]') as is_meta_candidate
            from {table}
        ),
        m as (
            select *, is_meta_candidate and coalesce(lag(is_sep) over w, false)
                      and coalesce(lead(is_sep) over w, false) as is_meta
            from l window w as (order by n)
        ),
        b as (
            select *, is_meta or (is_sep and (coalesce(lag(is_meta) over w, false)
                                              or coalesce(lead(is_meta) over w, false))) as is_block
            from m window w as (order by n)
        )
        -- (a running max, not last_value(… ignore nulls): that is ~20x slower on 1M lines)
        select n, line, is_header, is_block,
               case when is_meta and starts_with(line, '消息对象') then trim(substr(line, 6)) end as obj,
               max(case when is_meta and starts_with(line, '消息对象') then n end) over w as conv_n,
               sum(case when is_header or is_block then 1 else 0 end) over w as seg
        from b
        window w as (order by n rows between unbounded preceding and current row)
    """, params)
    headers, blocks = conn.execute(
        "select count(*) filter (where is_header), count(*) filter (where is_block) from _qq_lines").fetchone()
    if headers == 0 and blocks == 0:
        first = conn.execute("select n, line from _qq_lines where trim(line) <> '' order by n limit 1").fetchone()
        raise ExportParseError(ctx.rel_path, f"line {first[0]}" if first else "line 1",
                               "a QQ message-manager export: '消息对象:' blocks and message headers "
                               "'YYYY-MM-DD H:MM:SS nickname(QQ number)'",
                               f"found {first[1][:60]!r}" if first else "no text")

    default_conv = Path(ctx.rel_path).stem
    ts_local = ("case when regexp_matches(h.t, '[AaPp][Mm]$') then try_strptime(h.t, '%Y-%m-%d %I:%M:%S %p') "
                "else try_strptime(h.t, '%Y-%m-%d %H:%M:%S') end")
    run(conn, f"""
        create or replace temp table _qq_msg as
        with segs as (
            select seg,
                   min(n) filter (where is_header) as hn,
                   any_value(line) filter (where is_header) as header,
                   any_value(conv_n) filter (where is_header) as conv_n,
                   string_agg(line, chr(10) order by n) filter (where not is_header and not is_block) as body
            from _qq_lines
            group by seg
            having count(*) filter (where is_header) = 1
        ),
        convs as (
            select n as conv_n, obj as conv from _qq_lines where obj is not null
        ),
        parsed as (
            select hn, coalesce(list_extract($new_names, list_position($old_names, coalesce(conv, $default_conv))),
                                coalesce(conv, $default_conv)) as conv,
                   regexp_extract(header, '{HEADER_RE}', ['t', 'name', 'qq', 'mail']) as h,
                   regexp_replace(coalesce(body, ''), '(\\n[ \\t]*)+$', '') as body
            from segs left join convs using (conv_n)
        ),
        fields as (
            select hn, conv, body, h.t as t, h.name as name_raw,
                   trim(coalesce(nullif(h.qq, ''), nullif(trim(h.mail), ''))) as uid,
                   nullif(h.mail, '') is not null as from_angle,
                   trim(regexp_replace(h.name, '^(\\s*【[^】]*】)+', '')) as nick,
                   {ts_local} as ts_local
            from parsed
        )
        select *,
               uid in {SYSTEM_IDS} as is_system,
               case when nick = '' or nick = uid then null else nick end as display,
               timezone($tz, ts_local) as sent_at,
               coalesce(strftime(ts_local, '%Y-%m-%d %H:%M:%S'), t) as ts_key
        from fields
    """, {"default_conv": default_conv, "tz": ctx.exporter_timezone, **_renames(ctx.options, ctx.rel_path)})
    # ids, names carried forward, system events
    run(conn, f"""
        create or replace temp table _qq_msg as
        select m.*,
               conv || ':' || left(sha256(concat_ws(chr(31), ts_key, uid, body,
                   cast(row_number() over (partition by conv, ts_key, uid, body order by hn) - 1 as varchar))), 20)
                   as message_id,
               max(case when display is not null then hn end) over (
                   partition by uid order by hn rows between unbounded preceding and current row) as named_hn,
               case when not is_system then null
                    when regexp_matches(body, '{JOIN_RE}') then 'join'
                    when regexp_matches(body, '{LEAVE_RE}') then 'leave'
                    when regexp_matches(body, '{KICK_RE}') then 'kick'
                    else 'other' end as sys_kind,
               not is_system and row_number() over (partition by conv, uid, is_system order by hn) = 1 as first_of_author,
               max(case when not is_system then hn end) over (
                   partition by conv order by hn rows between unbounded preceding and 1 preceding) as prev_hn
        from _qq_msg m
    """)
    # an empty nickname → the last name seen before for that id
    conn.execute("""
        create or replace temp table _qq_msg as
        select m.* exclude (named_hn),
               case when m.is_system then null else coalesce(m.display, n.display) end as author_name
        from _qq_msg m left join _qq_msg n on n.hn = m.named_hn
    """)


def _fill_candidates(ctx: LoadContext) -> None:
    conn = ctx.conn
    prov = ctx.provenance_sql()
    params = ctx.params(bots=bot_ids(ctx.options))
    run(conn, f"""
        insert into _in_messages by name
        select {prov}, 'line ' || hn as location, message_id,
               conv as channel_id, conv as channel_name,
               uid as author_id,
               case when is_system then '系统消息' else author_name end as author_name,
               case when is_system or list_contains($bots::VARCHAR[], uid) then true end as author_is_bot,
               t as raw_time, sent_at,
               case when is_system then 'system' else 'message' end as kind,
               case when is_system then case sys_kind when 'join' then 'join' when 'leave' then 'leave'
                                                      when 'kick' then 'leave' else 'other' end end as system_event,
               null as parent_id, null as thread_id,
               body as text, false as is_edited, null as edited_at,
               not is_system and regexp_matches(body, '{ATTACHMENT_RE}') as has_attachment
        from _qq_msg
    """, params)

    # membership events: resolve the named member (see the module docstring)
    run(conn, f"""
        create or replace temp table _qq_events as
        with ev as (
            select hn, conv, t, sent_at, sys_kind, prev_hn,
                   nullif(case sys_kind when 'join' then regexp_extract(body, '{JOIN_RE}', 1)
                                        when 'leave' then regexp_extract(body, '{LEAVE_RE}', 1)
                                        else regexp_extract(body, '{KICK_RE}', 1) end, '') as target
            from _qq_msg where sys_kind in ('join', 'leave', 'kick')
        ),
        by_name as (
            select ev.hn, arg_min(m.uid, struct_pack(d := abs(coalesce(epoch(m.sent_at) - epoch(ev.sent_at), 1e18)),
                                                     n := m.hn)) as uid
            from ev join _qq_msg m
              on m.conv = ev.conv and not m.is_system and (m.nick = ev.target or trim(m.name_raw) = ev.target)
            group by ev.hn
        ),
        greeting as (
            select ev.hn, p.uid
            from ev join _qq_msg p on p.hn = ev.prev_hn and p.conv = ev.conv
            where ev.sys_kind = 'join' and p.first_of_author
              and p.sent_at between ev.sent_at - interval {GREETING_SECONDS} second and ev.sent_at
        )
        select ev.*, coalesce(by_name.uid, greeting.uid, 'name:' || ev.target) as user_id,
               by_name.uid is null and greeting.uid is null as unresolved
        from ev left join by_name using (hn) left join greeting using (hn)
    """)
    run(conn, f"""
        insert into _in_membership_events by name
        select {prov}, 'line ' || hn as location, user_id, conv as channel_id,
               case when sys_kind = 'join' then 'join' else 'leave' end as event,
               t as raw_time, sent_at as occurred_at,
               case sys_kind when 'join' then 'join_notice' when 'leave' then 'left' else 'kicked' end as via
        from _qq_events
    """, params)

    run(conn, f"""
        insert into _in_users by name
        select {prov}, arg_min('line ' || hn, hn) as location, uid as user_id,
               arg_max(display, struct_pack(s := coalesce(sent_at, timestamptz '0001-01-01 00:00:00+00'), n := hn))
                   filter (where display is not null) as display_name,
               list_contains($bots::VARCHAR[], uid) as is_bot,
               false as is_deleted, null as joined_at,
               case when bool_or(from_angle) and uid like '%@%' then uid end as email,
               case when bool_or(from_angle) and regexp_full_match(uid, '\\+?[0-9][0-9 -]{{5,}}') then uid end as phone
        from _qq_msg where not is_system
        group by uid
        union all
        select {prov}, arg_min('line ' || hn, hn), user_id, any_value(target), false, false, null, null, null
        from _qq_events where unresolved and target is not null
        group by user_id
    """, params)
