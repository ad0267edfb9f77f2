"""WeCom (企业微信) customer-group API responses saved as JSON → candidate rows.

Supported responses (``formats.md`` §5), one file each:

- ``groupchat/statistic_group_by_day`` ``{errcode, errmsg, items[{stat_time, data{…}}]}`` and
  ``groupchat/statistic`` ``{errcode, errmsg, total, next_offset, items[{owner, data{…}}]}`` →
  ``raw.daily_aggregates`` (platform-computed figures; never mixed with member-level rows):
  one row per item with ``new_chat_cnt, chat_total, chat_has_msg, new_member_cnt,
  member_total, member_has_msg, msg_total, migrate_trainee_chat_cnt``.
- ``groupchat/get`` ``{errcode, errmsg, group_chat{chat_id, name, owner, member_list[…]}}`` →
  ``users`` (one per member: ``userid``, name = ``group_nickname`` else ``name``,
  ``joined_at`` = ``join_time``) and one ``join`` membership event per member
  (``channel_id`` = ``chat_id``; via from ``join_scene``: 1 ``invite``, 2 ``link``,
  3 ``qr_code``, other values ``join_scene:<n>``). ``member_list`` is the current roster:
  the API keeps no leave history, so no leaves come from it.
- ``groupchat/list``, ``get_user_behavior_data`` (1:1 contact, not groups) and
  ``externalcontact/batch/get_by_user`` responses are recognised and hold nothing the report
  uses: they load with no rows.

Every response must have ``errcode`` 0: any other value fails the file with an
:class:`ExportParseError` naming ``errcode`` and ``errmsg`` (HTTP is 200 even on errors). A
response may also be wrapped as ``{"request": {…}, "response": {…}}``.

Statistics days: WeCom's days are 00:00–24:00 China time (UTC+8) whatever the community's
zone, so ``stat_date`` is the China date of ``stat_time`` (by day) or of the request's
``day_begin_time`` (by owner), and ``stat_end_date`` that of ``day_end_time`` (the by-owner
figures of a multi-day request cover the whole range: they stay in raw, and the daily marts
use only single-day rows). A by-owner response carries no date itself; it is taken from, in
order: ``day_begin_time`` / ``day_end_time`` at the response's root or in its ``request``;
the request body saved beside it (same file name with ``Response`` → ``Request``, or
``<name>.request.json``); a date in the file name (``…2024-06-01…`` or ``…20240601…``). With
none, its rows have no date and the loader quarantines them (``unparseable_time``).
The by-day rows' ``owner`` is the request's ``owner_filter.userid_list`` (comma-joined) when
known. Files whose name contains ``request`` are request bodies, not exports: skipped.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from pipeline.adapters import encoding, jsonstream
from pipeline.adapters.base import ExportParseError, LoadContext, run

PLATFORM = "wecom"
CHINA = timezone(timedelta(hours=8))
FIELDS = ("new_chat_cnt", "chat_total", "chat_has_msg", "new_member_cnt", "member_total", "member_has_msg",
          "msg_total", "migrate_trainee_chat_cnt")
NO_ROWS_KEYS = ("group_chat_list", "behavior_data", "external_contact_list")
_DATE_IN_NAME = re.compile(r"(20\d{2})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])")


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def is_request_file(path: Path) -> bool:
    return "request" in path.name.lower()


def find_exports(source_dir: Path) -> list[Path]:
    """Every ``*.json`` response under the folder (request bodies and hidden files skipped),
    oldest first (mtime, path)."""
    source_dir = Path(source_dir)
    files = [p for p in source_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".json"
             and not is_request_file(p)
             and not any(part.startswith(".") for part in p.relative_to(source_dir).parts)]
    return sorted(files, key=lambda p: (_mtime(p), str(p.relative_to(source_dir))))


# --------------------------------------------------------------------------------------------
# the request of a by-owner statistics response
# --------------------------------------------------------------------------------------------

def _request_candidates(path: Path) -> list[Path]:
    name = path.name
    out = []
    for a, b in (("Response", "Request"), ("response", "request"), ("RESPONSE", "REQUEST")):
        if a in name:
            out.append(path.with_name(name.replace(a, b)))
    out.append(path.with_name(path.stem + ".request.json"))
    out.append(path.with_name(path.stem + "_request.json"))
    return out


def _read_small_json(path: Path):
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _china_date(epoch) -> date | None:
    try:
        return datetime.fromtimestamp(int(epoch), CHINA).date()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def request_info(ctx: LoadContext, root_request: dict | None) -> dict:
    """day_begin / day_end (China dates), the raw begin value and the owner filter, as known."""
    req = root_request if isinstance(root_request, dict) and "day_begin_time" in root_request else None
    if req is None:
        for cand in _request_candidates(ctx.path):
            if cand.is_file():
                doc = _read_small_json(cand)
                if isinstance(doc, dict) and "day_begin_time" in doc:
                    req = doc
                    break
    info = {"begin": None, "end": None, "raw": None, "owners": None}
    if req is not None:
        info["raw"] = str(req.get("day_begin_time"))
        info["begin"] = _china_date(req.get("day_begin_time"))
        info["end"] = _china_date(req.get("day_end_time")) if req.get("day_end_time") not in (None, "") \
            else info["begin"]
        owners = (req.get("owner_filter") or {}).get("userid_list") if isinstance(req.get("owner_filter"), dict) else None
        if isinstance(owners, list) and owners:
            info["owners"] = ",".join(str(o) for o in owners)
        return info
    m = _DATE_IN_NAME.search(ctx.path.name)
    if m:
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            info.update(begin=d, end=d, raw=m.group(0))
        except ValueError:
            pass
    return info


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------

def load_export(ctx: LoadContext) -> None:
    conn = ctx.conn
    scratch = jsonstream.scratch_name("wecom_doc")
    table = encoding.load_json_document(conn, ctx.path, ctx.tmp_dir, scratch, display=ctx.rel_path)
    try:
        conn.execute(f"""
            create or replace temp view _wc_doc as
            select case when json_type(doc, '$.response') = 'OBJECT' then doc -> '$.response' else doc end as r,
                   case when json_type(doc, '$.request') = 'OBJECT' then doc -> '$.request' else doc end as q
            from {table}""")
        kind, keys, errcode, errmsg, request_json = conn.execute("""
            select json_type(r), json_keys(r), r ->> '$.errcode', r ->> '$.errmsg', q::varchar from _wc_doc
        """).fetchone()
        if kind != "OBJECT":
            raise ExportParseError(ctx.rel_path, "root", "a WeCom API response object {errcode, errmsg, …}",
                                   f"found a JSON {str(kind).lower()}")
        if errcode is None:
            raise ExportParseError(ctx.rel_path, "root object", "a WeCom API response with 'errcode' and 'errmsg'",
                                   f"root keys found: {', '.join(keys) or 'none'}")
        if str(errcode).strip() != "0":
            raise ExportParseError(ctx.rel_path, "root key 'errcode'", "errcode 0 (a successful response)",
                                   f"errcode {errcode}: {errmsg}")
        if "items" in keys:
            request = json.loads(request_json) if request_json else None
            _load_statistics(ctx, request_info(ctx, request))
        elif "group_chat" in keys:
            _load_group_chat(ctx)
        elif not any(k in keys for k in NO_ROWS_KEYS):
            raise ExportParseError(
                ctx.rel_path, "root object",
                "a groupchat/statistic or statistic_group_by_day response (items[]), a groupchat/get response "
                "(group_chat), or a groupchat/list / get_user_behavior_data / batch/get_by_user response",
                f"root keys found: {', '.join(keys)}")
    finally:
        try:
            conn.execute("drop view if exists _wc_doc")
        except duckdb.Error:
            pass
        jsonstream.drop_scratch(conn, scratch)


def _items_sql(path: str) -> str:
    """(i, e) for every element of the array at ``path`` of the response (none if not an array)."""
    return f"""
        select generate_subscripts(a, 1) - 1 as i, unnest(a) as e
        from (select case when json_type(r, '{path}') = 'ARRAY' then cast(r -> '{path}' as JSON[]) end as a
              from _wc_doc)"""


def _count(col: str) -> str:
    return f"try_cast(e ->> '$.data.{col}' as bigint)"


def _load_statistics(ctx: LoadContext, info: dict) -> None:
    prov = ctx.provenance_sql()
    counts = ", ".join(f"{_count(c)} as {c}" for c in FIELDS)
    stat_date = ("case when try_cast(e ->> '$.stat_time' as bigint) is not null then "
                 "cast(timezone('Asia/Shanghai', to_timestamp(cast(e ->> '$.stat_time' as bigint))) as date) end")
    run(ctx.conn, f"""
        insert into _in_daily_aggregates by name
        select {prov}, 'items[' || i || ']' as location,
               case when json_type(e, '$.stat_time') is not null then {stat_date} else $begin end as stat_date,
               case when json_type(e, '$.stat_time') is not null then {stat_date} else $end end as stat_end_date,
               case when json_type(e, '$.stat_time') is not null then e ->> '$.stat_time' else $raw end as raw_time,
               case when json_type(e, '$.stat_time') is not null then 'by_day' else 'by_owner' end as granularity,
               case when json_type(e, '$.stat_time') is not null then $owners else e ->> '$.owner' end as owner,
               {counts}
        from ({_items_sql('$.items')})
    """, ctx.params(begin=info["begin"], end=info["end"], raw=info["raw"], owners=info["owners"]))


def _load_group_chat(ctx: LoadContext) -> None:
    conn = ctx.conn
    prov = ctx.provenance_sql()
    chat_id, = conn.execute("select r ->> '$.group_chat.chat_id' from _wc_doc").fetchone()
    if not chat_id:
        raise ExportParseError(ctx.rel_path, "group_chat", "a group chat with a 'chat_id'", "found none")
    params = ctx.params(chat_id=chat_id)
    join_time = ("case when try_cast(e ->> '$.join_time' as bigint) is not null "
                 "then to_timestamp(cast(e ->> '$.join_time' as bigint)) end")
    members = _items_sql("$.group_chat.member_list")
    run(conn, f"""
        insert into _in_users by name
        select {prov}, 'group_chat.member_list[' || i || ']' as location,
               nullif(trim(e ->> '$.userid'), '') as user_id,
               coalesce(nullif(e ->> '$.group_nickname', ''), nullif(e ->> '$.name', '')) as display_name,
               false as is_bot, false as is_deleted, {join_time} as joined_at
        from ({members})
    """, params)
    run(conn, f"""
        insert into _in_membership_events by name
        select {prov}, 'group_chat.member_list[' || i || ']' as location,
               nullif(trim(e ->> '$.userid'), '') as user_id, $chat_id as channel_id, 'join' as event,
               e ->> '$.join_time' as raw_time, {join_time} as occurred_at,
               case e ->> '$.join_scene' when '1' then 'invite' when '2' then 'link' when '3' then 'qr_code'
                    else 'join_scene:' || coalesce(e ->> '$.join_scene', '?') end as via
        from ({members})
    """, params)
