"""Canonical CSV / Parquet files (spec §3 shape) → candidate rows.

For platforms without an adapter: a team writes files already shaped like the staging tables.
One file = one export unit = one entity, chosen by the file-name prefix:

==========================  ==============================================================
file name starts with       entity, required columns (others of spec §3 are optional)
==========================  ==============================================================
``messages``                messages: ``message_key``, ``author_key`` or ``person_key``,
                            ``sent_at``
``members``                 users: ``member_key`` or ``platform_user_id``
``reactions``               reactions: ``message_key``
``membership_events``       membership events: ``person_key``, ``event``, ``occurred_at``
==========================  ==============================================================

Files: ``*.csv``, ``*.csv.gz`` (UTF-8, with or without BOM, comma-separated, header row) and
``*.parquet``. Header names are matched case-insensitively.

Mapping decisions
-----------------
- Keys: staging re-prefixes every id with the source name (``<source>:<id>``), so a key that
  already starts with ``<this source>:`` has that prefix stripped (``message_key``,
  ``author_key``/``person_key``, ``parent_key``, ``thread_key``, ``member_key``); any other
  key is kept whole as the platform id.
- Times (``sent_at``, ``joined_at``, ``left_at``, ``reacted_at``, ``occurred_at``): ISO
  strings with an offset, ``Z`` or a trailing ``UTC``/``GMT`` are instants; ISO strings
  without one are local times in the exporter time zone (``settings.exporter_timezone``,
  default the community's); plain numbers are epoch seconds (fraction kept to the
  microsecond). Anything else → NULL time with ``raw_time`` = the original string, which the
  loader quarantines. Parquet TIMESTAMP WITH TIME ZONE columns are instants; plain TIMESTAMP
  columns are treated like times without an offset.
- ``kind``: message / reply / system (case-insensitive); empty → ``reply`` when
  ``parent_key`` is set, else ``message``; anything else is passed through unchanged so the
  loader quarantines it (unknown_kind). ``system_event`` (optional) defaults to ``other`` on
  system messages.
- members → ``raw.users``: ``user_id`` = ``platform_user_id``, else the stripped
  ``member_key``; ``display_name``, ``is_bot``, ``joined_at``. The raw contract has no place
  for ``left_at``: a member row with a ``left_at`` also yields a ``leave`` membership event
  (``via`` = ``members.left_at``) so the departure is not lost. ``person_key`` (identity
  mapping), ``first_seen_at``, ``acquisition_channel``, ``region``, ``gender`` and
  ``age_band`` have no raw column yet and are not carried (the ``member_profiles`` and
  ``identity_map`` business inputs cover them).
- reactions: ``reactor_id`` = stripped ``person_key`` (empty = unknown reactor);
  ``reaction_count`` from ``reaction_count`` or ``count`` when present (a non-number →
  NULL, quarantined), else 1.
- ``location``: ``line <n>`` for CSV (the header is line 1; n is the record number + 1, which
  differs from the physical line only when a quoted value spans lines), ``row <n>`` (1-based)
  for Parquet.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import duckdb

from pipeline.adapters.base import ExportParseError, LoadContext

PLATFORM = "canonical"

# entity → (required column groups: each a tuple of alternatives, optional columns)
ENTITIES: dict[str, tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]] = {
    "membership_events": ((("person_key",), ("event",), ("occurred_at",)),
                          ("source", "channel_id", "local_date", "via")),
    "messages": ((("message_key",), ("author_key", "person_key"), ("sent_at",)),
                 ("source", "platform", "channel_id", "channel_name", "local_date", "kind",
                  "system_event", "parent_key", "thread_key", "text", "text_length", "is_edited",
                  "has_attachment", "is_bot", "author_name")),
    "members": ((("member_key", "platform_user_id"),),
                ("person_key", "source", "platform", "display_name", "is_bot", "joined_at",
                 "left_at", "first_seen_at", "acquisition_channel", "region", "gender", "age_band",
                 "is_deleted", "email", "phone")),
    "reactions": ((("message_key",),), ("person_key", "reaction", "reacted_at", "reaction_count", "count")),
}
# membership_events before members: "members" is a prefix of "membership_events".
_PREFIX_ORDER = ("membership_events", "messages", "members", "reactions")
_SUFFIXES = (".csv", ".csv.gz", ".parquet")


def _kind_of_file(path: Path) -> str:
    name = path.name.lower()
    for s in _SUFFIXES:
        if name.endswith(s):
            return s
    return ""


def find_exports(source_dir: Path) -> list[Path]:
    """Every .csv / .csv.gz / .parquet file under the source folder; oldest first (mtime, name)."""
    files = [p for p in Path(source_dir).rglob("*")
             if p.is_file() and _kind_of_file(p) and not any(part.startswith(".") for part in
                                                             p.relative_to(source_dir).parts)]
    return sorted(files, key=lambda p: (p.stat().st_mtime, str(p.relative_to(source_dir))))


def entity_of(path: Path) -> str | None:
    stem = path.name.lower()
    for prefix in _PREFIX_ORDER:
        if stem.startswith(prefix):
            return prefix
    return None


def _expected_columns(entity: str) -> str:
    required, optional = ENTITIES[entity]
    req = ", ".join(" or ".join(g) for g in required)
    return f"columns {req} (optional: {', '.join(optional)})"


# ----------------------------------------------------------------------------- SQL helpers

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _strip_key(expr: str) -> str:
    """Drop a leading '<this source>:' from a key ($source is a bound parameter)."""
    return (f"case when starts_with({expr}, $source || ':') then substr({expr}, length($source) + 2) "
            f"else {expr} end")


def time_sql(expr: str) -> str:
    """SQL: a time string → TIMESTAMPTZ (NULL when unparseable). Uses $xtz (exporter zone)."""
    s = f"trim({expr})"
    return f"""(case
        when {s} is null or {s} = '' then null
        when regexp_full_match({s}, '-?[0-9]{{1,12}}(\\.[0-9]*)?') then
            to_timestamp(cast(split_part({s}, '.', 1) as bigint))
            + to_microseconds((case when starts_with({s}, '-') then -1 else 1 end)
                              * cast(rpad(left(split_part({s}, '.', 2), 6), 6, '0') as bigint))
        when regexp_matches({s}, '[T ][0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?\\s*(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?|UTC|GMT)$', 'i')
            then try_cast({s} as timestamptz)
        when regexp_matches({s}, '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}') then timezone($xtz, try_cast({s} as timestamp))
        else null end)"""


def _bool_sql(expr: str) -> str:
    return (f"case lower(trim({expr})) when 'true' then true when 't' then true when '1' then true "
            f"when 'yes' then true when 'y' then true when 'false' then false when 'f' then false "
            f"when '0' then false when 'no' then false when 'n' then false end")


# ----------------------------------------------------------------------------- loading

def _csv_header(ctx: LoadContext, entity: str) -> list[str]:
    """The header record of a CSV (one record read in Python; rows are read by DuckDB)."""
    opener = gzip.open if ctx.path.name.lower().endswith(".gz") else open
    try:
        with opener(ctx.path, "rt", encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ExportParseError(ctx.rel_path, "header (line 1)",
                               f"a UTF-8 CSV file whose first line names the {_expected_columns(entity)}",
                               str(exc)) from exc
    if not header or not any(h.strip() for h in header):
        raise ExportParseError(ctx.rel_path, "header (line 1)",
                               f"a first line naming the {_expected_columns(entity)}", "the file is empty")
    return header


def _source_relation(ctx: LoadContext, entity: str) -> tuple[str, str, dict, dict[str, str]]:
    """(FROM clause exposing the file's columns + _place, location SQL, params,
    normalized column name → column name in the FROM clause)."""
    path = str(ctx.path)
    if _kind_of_file(ctx.path) == ".parquet":
        src = ("(select *, file_row_number + 1 as _place "
               "from read_parquet($path, file_row_number = true))")
        try:
            described = ctx.conn.execute(f"describe select * from {src}", {"path": path}).fetchall()
        except duckdb.Error as exc:
            raise ExportParseError(ctx.rel_path, "file", f"a Parquet file with {_expected_columns(entity)}",
                                   str(exc).split("\n")[0]) from exc
        cols: dict[str, str] = {}
        for row in described:
            if row[0] not in ("_place", "file_row_number"):
                cols.setdefault(row[0].lstrip("\ufeff").strip().lower(), row[0])
        return src, "'row ' || _place", {"path": path}, cols
    # CSV: the header is read here, every column is VARCHAR and named by its normalized
    # header (no sniffing: a sniffer can mistake a ragged row for the header). row_number()
    # over () directly over a single-table scan keeps the file's row order.
    names: list[str] = []
    for i, h in enumerate(_csv_header(ctx, entity)):
        n = h.lstrip("\ufeff").strip().lower() or f"column{i}"
        while n in names:
            n += "_"
        names.append(n)
    struct = ", ".join("'" + n.replace("'", "''") + "': 'VARCHAR'" for n in names)
    src = ("(select *, row_number() over () + 1 as _place from read_csv($path, header = true, "
           f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {{{struct}}}))")
    return src, "'line ' || _place", {"path": path}, {n: n for n in names}


def _insert(ctx: LoadContext, entity: str, sql: str, params: dict) -> None:
    """Run one insert; a row DuckDB cannot read fails the file, naming the line."""
    try:
        ctx.conn.execute(sql, params)
    except duckdb.Error as exc:
        msg = str(exc)
        line = re.search(r"CSV Error on Line: (\d+)", msg)
        lines = [x.strip() for x in msg.split("\n") if x.strip()]
        detail = "; ".join(x for x in lines[:4] if not x.startswith("Possible fixes"))
        raise ExportParseError(ctx.rel_path, f"line {line.group(1)}" if line else "file",
                               f"a well-formed {entity} file: one value per header column on every line",
                               detail) from exc


def load_export(ctx: LoadContext) -> None:
    entity = entity_of(ctx.path)
    if entity is None:
        raise ExportParseError(ctx.rel_path, "file name",
                               "a name starting with messages, members, reactions or membership_events "
                               "(e.g. messages_2024-06.csv, members.parquet)",
                               f"cannot tell which table {ctx.path.name!r} holds")
    src, loc, params, cols = _source_relation(ctx, entity)

    required, _optional = ENTITIES[entity]
    for group in required:
        if not any(c in cols for c in group):
            place = "schema" if _kind_of_file(ctx.path) == ".parquet" else "header (line 1)"
            raise ExportParseError(ctx.rel_path, place, _expected_columns(entity),
                                   f"missing column {' or '.join(group)}; found {', '.join(cols) or 'none'}")

    def col(name: str) -> str:
        """The column as trimmed VARCHAR, NULL when absent or empty."""
        if name not in cols:
            return "cast(null as varchar)"
        return f"nullif(trim(cast({_q(cols[name])} as varchar)), '')"

    p = ctx.params(xtz=ctx.exporter_timezone, **params)
    prov = ctx.provenance_sql()
    if entity == "messages":
        author = f"coalesce({col('author_key')}, {col('person_key')})"
        kind = col("kind")
        _insert(ctx, entity, f"""
            insert into _in_messages by name
            select {prov}, {loc} as location,
                   {_strip_key(col('message_key'))} as message_id,
                   {col('channel_id')} as channel_id, {col('channel_name')} as channel_name,
                   {_strip_key(author)} as author_id, {col('author_name')} as author_name,
                   {_bool_sql(col('is_bot'))} as author_is_bot,
                   {col('sent_at')} as raw_time, {time_sql(col('sent_at'))} as sent_at,
                   case when {kind} is null then
                            case when {col('parent_key')} is not null then 'reply' else 'message' end
                        when lower({kind}) in ('message', 'reply', 'system') then lower({kind})
                        else cast({_q(cols['kind']) if 'kind' in cols else 'null'} as varchar) end as kind,
                   case when lower({kind}) = 'system' then coalesce(lower({col('system_event')}), 'other') end
                       as system_event,
                   {_strip_key(col('parent_key'))} as parent_id,
                   {_strip_key(col('thread_key'))} as thread_id,
                   cast({_q(cols['text']) if 'text' in cols else 'null'} as varchar) as text,
                   {_bool_sql(col('is_edited'))} as is_edited, null as edited_at,
                   {_bool_sql(col('has_attachment'))} as has_attachment
            from {src}""", p)
    elif entity == "members":
        user_id = f"coalesce({col('platform_user_id')}, {_strip_key(col('member_key'))})"
        _insert(ctx, entity, f"""
            insert into _in_users by name
            select {prov}, {loc} as location, {user_id} as user_id,
                   {col('display_name')} as display_name, {_bool_sql(col('is_bot'))} as is_bot,
                   {_bool_sql(col('is_deleted'))} as is_deleted, {time_sql(col('joined_at'))} as joined_at,
                   {col('email')} as email, {col('phone')} as phone
            from {src}""", p)
        if "left_at" in cols:
            _insert(ctx, entity, f"""
                insert into _in_membership_events by name
                select {prov}, {loc} as location, {user_id} as user_id, null as channel_id,
                       'leave' as event, {col('left_at')} as raw_time,
                       {time_sql(col('left_at'))} as occurred_at, 'members.left_at' as via
                from {src} where {col('left_at')} is not null""", p)
    elif entity == "reactions":
        count_col = "reaction_count" if "reaction_count" in cols else ("count" if "count" in cols else None)
        # empty count = 1 (one known reaction); a count that is not a number → NULL (quarantined)
        count = (f"case when {col(count_col)} is null then 1 else try_cast({col(count_col)} as bigint) end"
                 if count_col else "1")
        _insert(ctx, entity, f"""
            insert into _in_reactions by name
            select {prov}, {loc} as location, {_strip_key(col('message_key'))} as message_id,
                   {_strip_key(col('person_key'))} as reactor_id, {col('reaction')} as reaction,
                   {count}::bigint as reaction_count,
                   {col('reacted_at')} as raw_time, {time_sql(col('reacted_at'))} as reacted_at
            from {src}""", p)
    else:  # membership_events
        event = col("event")
        _insert(ctx, entity, f"""
            insert into _in_membership_events by name
            select {prov}, {loc} as location, {_strip_key(col('person_key'))} as user_id,
                   {col('channel_id')} as channel_id,
                   case when lower({event}) in ('join', 'leave') then lower({event}) else {event} end as event,
                   {col('occurred_at')} as raw_time, {time_sql(col('occurred_at'))} as occurred_at,
                   {col('via')} as via
            from {src}""", p)
