"""Discourse API responses saved as JSON files → candidate rows.

One file = one export unit = one saved API response (``formats.md`` §4):

============================================  =============================================
response                                      what it gives
============================================  =============================================
``/t/{id}.json`` (``post_stream.posts``),     posts (the topic's first ~20; the rest via
``/t/{id}/posts.json``                        ``/t/{id}/posts.json``), ``details.participants``
``/posts.json`` (``latest_posts``)            posts of many topics
``/posts/{id}.json`` (a single post)          one post
``/latest.json``, ``/top.json``, ``/new.json``,  one top-level message per topic (its first post,
``/c/…json``, PM lists (``topic_list``)        by the original poster), ``users[]``
``/directory_items.json``, ``/u/{name}.json``,  users
``/groups/{name}/members.json``, admin user
lists (bare arrays), ``/admin/users/{id}.json``
``/categories.json``                          ``featured_users`` only
============================================  =============================================

Each file is read with DuckDB (``read_text`` → JSON) on a scratch cursor (see
:func:`pipeline.adapters.encoding.load_json_document`); a truncated or malformed file fails
with an :class:`ExportParseError` naming line and column. A response holding none of the
keys above (or Discourse's ``{"errors": […]}``) fails naming the keys it has.

Mapping decisions
-----------------
- ``message_id`` = ``<topic_id>:<post_number>``. A post's number never changes within its
  topic, and every saved response gives both values, so the same post seen in a topic file,
  in ``posts.json`` and as a topic-list entry has one id (staging keeps the latest version),
  AND replies can always name their parent and thread without the parent being in the same
  file: ``parent_id`` = ``<topic>:<reply_to_post_number>`` (the post replied to), else
  ``<topic>:1`` (a post answers the topic); ``thread_id`` = ``<topic>:1`` (the topic) for
  every post but the first. (The numeric post id is not usable for this: a reply's parent
  post id is not in the reply, and ``posts.json`` pages rarely hold the topic's first post.)
  The post id is kept in ``location`` (``latest_posts[3] (post 15)``).
- ``kind``: ``post_type`` 2 (moderator action) and 3 (small action: closed, pinned, split,
  user_left, …) → ``system`` (``system_event`` ``pin`` for ``pinned*`` action codes, else
  ``other``; PM invites / departures are not community joins or leaves); post number 1 →
  ``message``; any other post (whispers included) → ``reply``.
- topic-list entries: ``<topic>:1`` by the poster described as "Original Poster" (else the
  first poster), at the topic's ``created_at``, text = title. Topics without posters are
  skipped (no author to attribute them to). Topic-level ``like_count`` is not used (it sums
  the posts' likes).
- ``channel_id`` = the category id (a post's own ``category_id``, else its topic's);
  private-message topics → ``private_messages``; unknown → NULL. ``channel_name`` = the
  source option ``categories: {id: name}`` when given, else ``category <id>``.
- ``author_id`` = ``user_id``; name = ``name`` else ``username``; ``author_is_bot`` for user
  ids ≤ 0 (``system`` = -1, ``discobot`` = -2).
- times: ISO-8601 with an offset (``Z`` or ``-05:00``); without one, the exporter time zone.
- ``text``: ``raw`` when it is a string, else ``cooked`` with HTML tags removed and the
  common entities decoded. ``is_edited`` = ``version`` > 1, ``edited_at`` = ``updated_at``.
  ``has_attachment``: an upload (``upload://`` in raw), an attachment link or an image in
  cooked (emoji and avatar images excepted).
- likes: ``actions_summary`` entry with ``id`` 2 and ``count`` > 0 → one reaction ``like``
  with an unknown reactor and that count (the API names no likers here).
- users: everyone the file names with an id (see the table), name = ``name`` else
  ``username``, ``joined_at`` = a user object's ``created_at`` (not a post's), ``email`` when
  given; the latest mention in the file wins.
- no membership events: the API has no join/leave history (``joined_at`` is the join date).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.adapters import encoding, jsonstream
from pipeline.adapters.base import ExportParseError, LoadContext, run

PLATFORM = "discourse"

KNOWN_KEYS = ("post_stream", "latest_posts", "topic_list", "directory_items", "members", "users", "user",
              "featured_users", "category_list", "post_number", "username")
_ISO_OFFSET = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})"
_ISO_LOCAL = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
_TEMP = ("_dc_posts", "_dc_people")


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def find_exports(source_dir: Path) -> list[Path]:
    """Every ``*.json`` under the folder (hidden files skipped), oldest first (mtime, path)."""
    source_dir = Path(source_dir)
    files = [p for p in source_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".json"
             and not any(part.startswith(".") for part in p.relative_to(source_dir).parts)]
    return sorted(files, key=lambda p: (_mtime(p), str(p.relative_to(source_dir))))


def ts_sql(col: str) -> str:
    """SQL: an ISO timestamp string → TIMESTAMPTZ (NULL when unparseable); ``$tz`` for no offset."""
    return (f"(case when regexp_full_match({col}, '{_ISO_OFFSET}') then try_cast({col} as timestamptz) "
            f"when regexp_full_match({col}, '{_ISO_LOCAL}') then timezone($tz, try_cast({col} as timestamp)) end)")


def id_sql(src: str, path: str) -> str:
    """SQL: an id at ``path`` of JSON ``src`` as text. Discourse ids are integers; an id that
    arrives as a floating-point number went through a float (a spreadsheet, a JS tool) and may
    have lost digits: it is written in scientific notation (``4.12e+17``) so the loader's
    ``scientific_notation_id`` rule quarantines it instead of keeping a wrong id."""
    return (f"(case when json_type({src}, '{path}') = 'DOUBLE' "
            f"then printf('%.15g', cast({src} ->> '{path}' as double)) "
            f"else nullif(trim({src} ->> '{path}'), '') end)")


def _arr(path: str, src: str = "d") -> str:
    """(i, e) for each element of the JSON array at ``path`` of ``src`` (nothing if absent)."""
    return f"""(select generate_subscripts(a, 1) - 1 as i, unnest(a) as e
               from (select case when json_type({src}, '{path}') = 'ARRAY' then cast({src} -> '{path}' as JSON[]) end
                     as a from _dc_doc))"""


def _categories(options: dict) -> tuple[list[str], list[str]]:
    cats = options.get("categories") or {}
    if not isinstance(cats, dict):
        return [], []
    return [str(k) for k in cats], [str(v) for v in cats.values()]


def load_export(ctx: LoadContext) -> None:
    conn = ctx.conn
    scratch = jsonstream.scratch_name("discourse_doc")
    table = encoding.load_json_document(conn, ctx.path, ctx.tmp_dir, scratch, display=ctx.rel_path)
    try:
        conn.execute(f"create or replace temp view _dc_doc as select doc as d from {table}")
        kind, keys, errors = conn.execute(
            "select json_type(d), case when json_type(d) = 'OBJECT' then json_keys(d) end, "
            "d -> '$.errors' from _dc_doc").fetchone()
        if kind not in ("OBJECT", "ARRAY"):
            raise ExportParseError(ctx.rel_path, "root", "a Discourse API response (a JSON object or array)",
                                   f"found a JSON {str(kind).lower()}")
        keys = keys or []
        if errors is not None:
            raise ExportParseError(ctx.rel_path, "root key 'errors'", "a successful Discourse API response",
                                   f"the response is an error: {errors}")
        if kind == "OBJECT" and not any(k in keys for k in KNOWN_KEYS):
            raise ExportParseError(
                ctx.rel_path, "root object",
                "a Discourse API response with posts (post_stream, latest_posts, a single post), topics "
                "(topic_list) or users (users, user, directory_items, members, featured_users, a user list)",
                f"root keys found: {', '.join(keys) or 'none'}")
        cat_ids, cat_names = _categories(ctx.options)
        params = ctx.params(tz=ctx.exporter_timezone, cat_ids=cat_ids, cat_names=cat_names)
        _collect_posts(conn, kind == "ARRAY")
        _insert_posts(ctx, params)
        _insert_topic_list(ctx, params)
        _insert_likes(ctx, params)
        _insert_users(ctx, params, kind == "ARRAY")
    finally:
        _cleanup(conn, scratch)


def _cleanup(conn, scratch: str) -> None:
    try:
        conn.execute("drop view if exists _dc_doc")
        for t in _TEMP:
            conn.execute(f"drop table if exists {t}")
    except duckdb.Error:
        pass  # the loader's transaction failed: its rollback removes them
    jsonstream.drop_scratch(conn, scratch)


def _collect_posts(conn, is_array: bool) -> None:
    """_dc_posts(loc, ord, p, topic_id, topic_category, topic_archetype): every post of the file."""
    if is_array:
        conn.execute("create or replace temp table _dc_posts (loc VARCHAR, ord BIGINT, p JSON, topic_id VARCHAR, "
                     "topic_category VARCHAR, topic_archetype VARCHAR)")
        return
    conn.execute(f"""
        create or replace temp table _dc_posts as
        select 'post_stream.posts[' || i || ']' as loc, i as ord, e as p,
               (select d ->> '$.id' from _dc_doc) as topic_id,
               (select d ->> '$.category_id' from _dc_doc) as topic_category,
               (select d ->> '$.archetype' from _dc_doc) as topic_archetype
        from {_arr('$.post_stream.posts')}
        union all
        select 'latest_posts[' || i || ']', 1000000 + i, e, null, null, null
        from {_arr('$.latest_posts')}
        union all
        select 'root', 0, d, null, null, null
        from _dc_doc where json_type(d, '$.post_number') is not null and json_type(d, '$.topic_id') is not null
    """)


def _channel_sql(category: str, archetype: str) -> tuple[str, str]:
    cid = (f"case when {archetype} = 'private_message' then 'private_messages' "
           f"else nullif({category}, '') end")
    name = (f"case when {archetype} = 'private_message' then 'private messages' "
            f"when nullif({category}, '') is not null then coalesce("
            f"list_extract(cast($cat_names as VARCHAR[]), list_position(cast($cat_ids as VARCHAR[]), {category})), "
            f"'category ' || {category}) end")
    return cid, name


def _insert_posts(ctx: LoadContext, params: dict) -> None:
    conn = ctx.conn
    prov = ctx.provenance_sql()
    cid, cname = _channel_sql("coalesce(p ->> '$.category_id', topic_category)", "topic_archetype")
    strip = ("trim(replace(replace(replace(replace(replace(replace(regexp_replace(p ->> '$.cooked', '<[^>]*>', '', 'g'), "
             "'&amp;', '&'), '&lt;', '<'), '&gt;', '>'), '&quot;', '\"'), '&#39;', ''''), '&nbsp;', ' '))")
    run(conn, f"""
        insert into _in_messages by name
        with x as (
            select *, coalesce(p ->> '$.topic_id', topic_id) as topic,
                   try_cast(p ->> '$.post_number' as bigint) as num,
                   try_cast(p ->> '$.post_type' as integer) as post_type,
                   try_cast(p ->> '$.reply_to_post_number' as bigint) as reply_to,
                   p ->> '$.created_at' as created
            from _dc_posts
        ),
        k as (
            select *, case when post_type in (2, 3) then 'system' when num = 1 then 'message' else 'reply' end as kind
            from x
        )
        select {prov}, loc || coalesce(' (post ' || (p ->> '$.id') || ')', '') as location,
               case when nullif(trim(topic), '') is not null and num is not null then trim(topic) || ':' || num end
                   as message_id,
               {cid} as channel_id, {cname} as channel_name,
               {id_sql('p', '$.user_id')} as author_id,
               coalesce(nullif(p ->> '$.name', ''), p ->> '$.username') as author_name,
               case when try_cast(p ->> '$.user_id' as bigint) <= 0 then true end as author_is_bot,
               created as raw_time, {ts_sql('created')} as sent_at,
               kind,
               case when kind = 'system' then
                   case when p ->> '$.action_code' like 'pinned%' or p ->> '$.action_code' like 'pinned_globally%'
                        then 'pin' else 'other' end end as system_event,
               case when kind = 'reply' then trim(topic) || ':' || coalesce(reply_to, 1) end as parent_id,
               case when kind <> 'message' then trim(topic) || ':1' end as thread_id,
               case when json_type(p, '$.raw') = 'VARCHAR' then p ->> '$.raw' else {strip} end as text,
               coalesce(try_cast(p ->> '$.version' as integer) > 1, false) as is_edited,
               case when try_cast(p ->> '$.version' as integer) > 1 then {ts_sql("p ->> '$.updated_at'")} end
                   as edited_at,
               coalesce(case when json_type(p, '$.raw') = 'VARCHAR' then p ->> '$.raw' end, '') like '%upload://%'
                   or regexp_matches(coalesce(p ->> '$.cooked', ''), 'class="attachment"')
                   or regexp_matches(regexp_replace(coalesce(p ->> '$.cooked', ''),
                                                    '<img[^>]*class="[^"]*(emoji|avatar)[^"]*"[^>]*>', '', 'g'), '<img')
                   as has_attachment
        from k
    """, params)


def _insert_topic_list(ctx: LoadContext, params: dict) -> None:
    conn = ctx.conn
    prov = ctx.provenance_sql()
    cid, cname = _channel_sql("(e ->> '$.category_id')", "(e ->> '$.archetype')")
    poster = ("coalesce(list_filter(cast(e -> '$.posters' as JSON[]), "
              "lambda x: coalesce(x ->> '$.description', '') like '%Original Poster%')[1], "
              "cast(e -> '$.posters' as JSON[])[1])")
    op = id_sql(poster, "$.user_id")
    run(conn, f"""
        insert into _in_messages by name
        select {prov}, 'topic_list.topics[' || i || ']' || coalesce(' (topic ' || (e ->> '$.id') || ')', '') as location,
               case when nullif(trim(e ->> '$.id'), '') is not null then trim(e ->> '$.id') || ':1' end as message_id,
               {cid} as channel_id, {cname} as channel_name,
               {op} as author_id, null as author_name,
               case when try_cast({op} as bigint) <= 0 then true end as author_is_bot,
               e ->> '$.created_at' as raw_time, {ts_sql("e ->> '$.created_at'")} as sent_at,
               'message' as kind, null as system_event, null as parent_id, null as thread_id,
               coalesce(e ->> '$.title', e ->> '$.fancy_title') as text,
               false as is_edited, null as edited_at, false as has_attachment
        from {_arr('$.topic_list.topics')}
        where json_type(e, '$.posters') = 'ARRAY' and json_array_length(e, '$.posters') > 0
    """, params)


def _insert_likes(ctx: LoadContext, params: dict) -> None:
    prov = ctx.provenance_sql()
    run(ctx.conn, f"""
        insert into _in_reactions by name
        select {prov}, loc || coalesce(' (post ' || (p ->> '$.id') || ')', '') || '.actions_summary[' || j || ']'
                   as location,
               case when nullif(trim(coalesce(p ->> '$.topic_id', topic_id)), '') is not null
                         and try_cast(p ->> '$.post_number' as bigint) is not null
                    then trim(coalesce(p ->> '$.topic_id', topic_id)) || ':' || try_cast(p ->> '$.post_number' as bigint)
               end as message_id,
               null as reactor_id, 'like' as reaction, try_cast(a ->> '$.count' as bigint) as reaction_count,
               null as raw_time, null as reacted_at
        from (select *, unnest(acts) as a, generate_subscripts(acts, 1) - 1 as j
              from (select *, case when json_type(p, '$.actions_summary') = 'ARRAY'
                                   then cast(p -> '$.actions_summary' as JSON[]) end as acts from _dc_posts))
        where a ->> '$.id' = '2'
          and (try_cast(a ->> '$.count' as bigint) > 0     -- a count that is not a number: quarantined
               or try_cast(a ->> '$.count' as bigint) is null and coalesce(json_type(a, '$.count'), 'NULL') <> 'NULL')
    """, params)


def _insert_users(ctx: LoadContext, params: dict, is_array: bool) -> None:
    conn = ctx.conn
    prov = ctx.provenance_sql()
    # (loc, ord, u, is_user_object): every user object the file holds
    parts = [
        f"select 'users[' || i || ']', 1 * 1000000 + i, e, true from {_arr('$.users')}",
        f"select 'featured_users[' || i || ']', 2 * 1000000 + i, e, true from {_arr('$.featured_users')}",
        f"select 'members[' || i || ']', 3 * 1000000 + i, e, true from {_arr('$.members')}",
        f"select 'details.participants[' || i || ']', 4 * 1000000 + i, e, true "
        f"from {_arr('$.details.participants')}",
        f"select 'directory_items[' || i || ']', 5 * 1000000 + i, "
        f"case when json_type(e, '$.user') = 'OBJECT' then e -> '$.user' else e end, true "
        f"from {_arr('$.directory_items')}",
        "select 'details.created_by', 6000000, d -> '$.details.created_by', true from _dc_doc "
        "where json_type(d, '$.details.created_by') = 'OBJECT'",
        "select 'details.last_poster', 6000001, d -> '$.details.last_poster', true from _dc_doc "
        "where json_type(d, '$.details.last_poster') = 'OBJECT'",
        "select 'user', 7000000, d -> '$.user', true from _dc_doc where json_type(d, '$.user') = 'OBJECT'",
        "select 'root', 7000001, d, true from _dc_doc where json_type(d) = 'OBJECT' "
        "and json_type(d, '$.username') is not null and json_type(d, '$.post_number') is null",
        "select loc || coalesce(' (post ' || (p ->> '$.id') || ')', '') || '.user_id', 8000000 + ord, "
        "json_object('id', p -> '$.user_id', 'username', p -> '$.username', 'name', p -> '$.name'), false "
        "from _dc_posts where json_type(p, '$.user_id') is not null",
    ]
    if is_array:
        parts.append("select '[' || (generate_subscripts(a, 1) - 1) || ']', 9000000, unnest(a), true "
                     "from (select cast(d as JSON[]) as a from _dc_doc)")
    conn.execute("create or replace temp table _dc_people (loc VARCHAR, ord BIGINT, u JSON, is_user BOOLEAN)")
    for part in parts:
        conn.execute(f"insert into _dc_people {part}")
    run(conn, f"""
        insert into _in_users by name
        with p as (
            select loc, ord, u, is_user, {id_sql('u', '$.id')} as user_id,
                   coalesce(nullif(u ->> '$.name', ''), nullif(u ->> '$.username', '')) as display
            from _dc_people where json_type(u) = 'OBJECT'
        )
        select {prov}, arg_min(loc, ord) as location, user_id,
               arg_max(display, ord) filter (where display is not null) as display_name,
               coalesce(try_cast(user_id as bigint) <= 0, false) as is_bot, false as is_deleted,
               min({ts_sql("u ->> '$.created_at'")}) filter (where is_user) as joined_at,
               any_value(nullif(u ->> '$.email', '')) as email
        from p
        group by user_id
    """, params)
