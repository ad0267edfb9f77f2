"""Loading the business inputs (``<business_inputs>/<name>.csv`` or ``.xlsx``) into ``raw.input_*``.

Each input is small and kept by hand, so it is replaced whole whenever it is loaded (one
transaction per input): its ``raw.input_<name>`` rows, its quarantined rows and its ledger row in
``raw.input_files``. A missing file means the input is absent (ledger status ``absent``, empty
table), not an error. A file that cannot be read is ``failed`` with an error naming the file,
the place and what was expected; the other inputs go on.

An input whose load would give what it gave last time is not loaded again (every run calls this;
at the benchmark's scale reloading the 13 inputs was ~1.8 s of each daily update). Its signature
in ``raw.input_signatures`` is the sha256 of the file's path and bytes, the time zone and this
loader's own source code (a new version of the rules loads everything once). An input is loaded
again when the signature differs, when its last load did not succeed, and when a row was
quarantined as ``time_in_future``: that rule reads the clock, so time alone can change its
verdict.

Reading:

- CSV: the encoding is detected (UTF-8 with or without BOM, UTF-16 with or without BOM, else
  GB18030/GBK; a file that is none of them plausibly fails rather than load mojibake). Files
  that are not UTF-8 are decoded into a UTF-8 temp file; DuckDB's ``read_csv`` reads every cell
  as text. The delimiter is taken from the header line (comma, tab as in Excel's "Unicode
  text", or semicolon).
- XLSX (openpyxl): the sheet named like the input, else the first sheet. Date cells and Excel
  date serials in date/time columns become ISO text; other numbers become text the way Excel
  shows them, so an id that Excel stored as ``1.23457E+17`` reaches the rules as such.

Then every row is typed and checked in DuckDB (rules below, first broken rule wins); reasons
read ``goals.csv line 7: expected ...`` where the line is the row's line in the file (the
spreadsheet row for XLSX; the header is line 1).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path

import duckdb

from pipeline.ingest import inputs_schema
from pipeline.ingest.inputs_schema import INPUTS, PLATFORM, SOURCE, Col, InputSpec, raw_table_ddl
from pipeline.ingest.schema import create_raw_tables
from pipeline.sql_runner import bind

EXTENSIONS = (".csv", ".xlsx")


class InputFileError(Exception):
    """A business input file that cannot be read; the message names the file and the place."""


@dataclass
class InputResult:
    input: str
    status: str                   # loaded | failed | absent
    file_path: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None


# --------------------------------------------------------------------------------------------
# finding and decoding files


def find_input_file(folder: Path | None, name: str) -> tuple[Path | None, str | None]:
    """The file of input ``name`` in ``folder`` (case-insensitive name and extension).

    Returns (path, None), (None, None) when absent, or (None, error) when ambiguous or in a
    format that cannot be read.
    """
    if folder is None or not folder.is_dir():
        return None, None
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.stem.lower() == name
                   and not p.name.startswith(("~$", ".")))       # Excel lock files, hidden files
    usable = [p for p in found if p.suffix.lower() in EXTENSIONS]
    if len(usable) > 1:
        return None, (f"{', '.join(p.name for p in usable)}: expected one file for input {name!r}, "
                      f"found {len(usable)}; keep only one of them")
    if usable:
        return usable[0], None
    other = [p for p in found if p.suffix.lower() in (".xls", ".numbers", ".ods", ".txt", ".tsv")]
    if other:
        return None, (f"{other[0].name}: expected {name}.csv or {name}.xlsx; "
                      f"save it from the spreadsheet program as .xlsx or CSV")
    return None, None


def _plausible_gb18030(text: str) -> bool:
    """Text decoded as GB18030 is taken only when its non-ASCII characters look Chinese."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True

    def cjk(ch: str) -> bool:
        o = ord(ch)
        return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x323AF or 0x3000 <= o <= 0x303F
                or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F or o in (0xB7, 0xD7, 0xF7)
                or 0x2100 <= o <= 0x22FF or 0x2460 <= o <= 0x24FF or 0x2500 <= o <= 0x257F)

    return sum(map(cjk, non_ascii)) >= 0.9 * len(non_ascii)


def detect_encoding(data: bytes, file_name: str) -> str:
    """Python codec name of a CSV's bytes: utf-8-sig, utf-16, utf-16-le/-be, utf-8 or gb18030."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(0) >= len(head) // 4:
        # UTF-16 without BOM: ASCII characters have a NUL in their high byte
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible_gb18030(text):
        return "gb18030"
    line = data[:utf8_error.start].count(b"\n") + 1
    raise InputFileError(
        f"{file_name} line {line}: expected text in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, "
        f"found bytes that are none of them (byte {utf8_error.start}); save the file as CSV UTF-8")


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _norm_header(h) -> str:
    return re.sub(r"[\s\-]+", "_", str(h or "").strip().strip("\ufeff").lower())


def _map_header(spec: InputSpec, header: list, rel: str) -> dict[int, Col]:
    """Position in the file -> column of the spec. Raises when a required column is missing."""
    by_header = {h: c for c in spec.columns for h in c.headers}
    mapping: dict[int, Col] = {}
    for i, h in enumerate(header):
        col = by_header.get(_norm_header(h))
        if col is not None and col not in mapping.values():
            mapping[i] = col
    missing = [c.name for c in spec.columns if c.required and c not in mapping.values()]
    if missing:
        found = ", ".join(str(h) for h in header if str(h or "").strip()) or "nothing"
        raise InputFileError(
            f"{rel} line 1: expected a header row with the columns "
            f"{', '.join(c.name for c in spec.columns)}; missing {', '.join(missing)} (found {found})")
    return mapping


# --------------------------------------------------------------------------------------------
# XLSX


def _xlsx_cell(value, col: Col | None, epoch) -> str | None:
    """A cell as the text the rules read (dates ISO, numbers as Excel shows them)."""
    from openpyxl.utils.datetime import from_excel

    if value is None:
        return None
    kind = col.kind if col else "text"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and kind in ("date", "timestamp") and 0 < value < 2958466:
        value = from_excel(value, epoch)            # an Excel date serial in a date column
    if isinstance(value, datetime):
        if kind == "date":
            return value.date().isoformat()
        if kind == "period" and value.day == 1 and value.time() == time(0):
            return f"{value.year:04d}-{value.month:02d}"   # Excel turned "2024-03" into 2024-03-01
        if kind == "period":
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        if kind == "period" and value.day == 1:
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return "%.15G" % value                      # >= 1e15: scientific, as Excel shows it
    return str(value)


def _xlsx_to_csv(path: Path, spec: InputSpec, rel: str, out: Path) -> tuple[dict[int, Col], int]:
    """Write the sheet's rows as UTF-8 CSV (first column: the spreadsheet row number).

    Returns the header mapping (positions in the written file, after the line column) and the
    number of columns written.
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip/xml errors of a damaged workbook
        raise InputFileError(f"{rel}: expected an Excel .xlsx workbook, could not open it: {exc}") from exc
    try:
        ws = wb[spec.name] if spec.name in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header, header_line = None, 0
        for line, row in enumerate(rows, start=ws.min_row):
            if any(v is not None and str(v).strip() for v in row):
                header, header_line = list(row), line
                break
        if header is None:
            raise InputFileError(f"{rel} sheet {ws.title!r}: expected a header row, found an empty sheet")
        mapping = _map_header(spec, header, rel if header_line == 1 else f"{rel} (row {header_line})")
        positions = sorted(mapping)
        with open(out, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            for line, row in enumerate(rows, start=header_line + 1):
                cells = [_xlsx_cell(row[i] if i < len(row) else None, mapping[i], wb.epoch) for i in positions]
                if all(c is None or not c.strip() for c in cells):
                    continue
                w.writerow([line, *("" if c is None else c for c in cells)])
        return {k + 1: mapping[p] for k, p in enumerate(positions)}, len(positions) + 1
    finally:
        wb.close()


# --------------------------------------------------------------------------------------------
# SQL: typing and rules

_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
_TIME_FORMATS = [f"{d} {t}" for d in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")
                 for t in ("%H:%M:%S.%f", "%H:%M:%S", "%H:%M")] + \
                ["%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]


def _list(values: list[str]) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


def _lit(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


# Temp macros (per connection): one place for every parse, so the SQL below stays readable.
_MACROS = [
    # a number as typed in a spreadsheet: '1,234', '¥1200', '1200元', '1.5E+3'; NULL if not one
    r"""create or replace temp macro _bi_strip(v) as (
        trim(regexp_replace(regexp_replace(v, '^[¥￥$€]\s*', ''), '\s*元$', '')))""",
    r"""create or replace temp macro _bi_num0(v) as (
        try_cast(case when regexp_full_match(_bi_strip(v), '[+-]?\d{1,3}(,\d{3})+(\.\d+)?')
                      then replace(_bi_strip(v), ',', '') else _bi_strip(v) end as double))""",
    r"""create or replace temp macro _bi_num(v) as (case when isfinite(_bi_num0(v)) then _bi_num0(v) end)""",
    r"""create or replace temp macro _bi_number(v) as (
        case when v like '%\%' escape '\' then _bi_num(rtrim(v, '%')) / 100 else _bi_num(v) end)""",
    r"""create or replace temp macro _bi_int(v) as (
        case when _bi_num(v) = floor(_bi_num(v)) and abs(_bi_num(v)) < 9e15 then cast(_bi_num(v) as bigint) end)""",
    r"""create or replace temp macro _bi_bool(v) as (
        case when lower(v) in ('true', '1', 'yes', 'y', 't', '是', '已参加', '√', '✓') then true
             when lower(v) in ('false', '0', 'no', 'n', 'f', '否', '未参加', '×') then false end)""",
    r"""create or replace temp macro _bi_serial(v) as (
        case when regexp_full_match(v, '\d{5}(\.\d+)?') then try_cast(v as double) end)""",
    f"""create or replace temp macro _bi_date(v) as (
        coalesce(cast(try_strptime(v, {_list(_DATE_FORMATS + _TIME_FORMATS)}) as date),
                 cast(date '1899-12-30' + cast(floor(_bi_serial(v)) as integer) as date)))""",
    # an instant: with an offset as written; without one, local wall-clock time in tz
    rf"""create or replace temp macro _bi_ts(v, tz) as (
        case
            when regexp_matches(v, '\d:\d{{2}}(:\d{{2}}(\.\d+)?)?\s*(Z|z|[+-]\d{{2}}(:?\d{{2}})?)$')
                then try_cast(regexp_replace(v, '\s+([+-]\d{{2}}(:?\d{{2}})?|Z|z)$', '\1') as timestamptz)
            when _bi_serial(v) is not null
                then timezone(tz, timestamp '1899-12-30'
                                  + to_microseconds(cast(round(_bi_serial(v) * 86400e6) as bigint)))
            else timezone(tz, try_strptime(v, {_list(_TIME_FORMATS + _DATE_FORMATS)}))
        end)""",
    # periods: YYYY-MM (also YYYY/MM, YYYY.MM, YYYY年MM月) or YYYY-Www (ISO week)
    r"""create or replace temp macro _bi_month(v) as (
        case when regexp_full_match(v, '(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?')
              and try_cast(regexp_extract(v, '(\d{4})\s*[-/.年]\s*(\d{1,2})', 2) as integer) between 1 and 12
             then make_date(try_cast(regexp_extract(v, '(\d{4})', 1) as integer),
                            try_cast(regexp_extract(v, '(\d{4})\s*[-/.年]\s*(\d{1,2})', 2) as integer), 1) end)""",
    r"""create or replace temp macro _bi_week_y(v) as (
        case when regexp_full_match(upper(v), '(\d{4})\s*-?\s*W(\d{1,2})')
             then try_cast(regexp_extract(v, '(\d{4})', 1) as integer) end)""",
    r"""create or replace temp macro _bi_week_w(v) as (
        case when regexp_full_match(upper(v), '(\d{4})\s*-?\s*W(\d{1,2})')
             then try_cast(regexp_extract(upper(v), 'W(\d{1,2})', 1) as integer) end)""",
    r"""create or replace temp macro _bi_monday(y, w) as (
        make_date(y, 1, 4) - cast(isodow(make_date(y, 1, 4)) - 1 as integer) + 7 * (w - 1))""",
    r"""create or replace temp macro _bi_week(v) as (
        case when _bi_week_w(v) between 1 and 53
              and isoyear(_bi_monday(_bi_week_y(v), _bi_week_w(v))) = _bi_week_y(v)
             then _bi_monday(_bi_week_y(v), _bi_week_w(v)) end)""",
    r"""create or replace temp macro _bi_period_grain(v) as (
        case when _bi_month(v) is not null then 'monthly' when _bi_week(v) is not null then 'weekly' end)""",
    r"""create or replace temp macro _bi_period_start(v) as (coalesce(_bi_month(v), _bi_week(v)))""",
    r"""create or replace temp macro _bi_period(v) as (
        case when _bi_month(v) is not null then strftime(_bi_month(v), '%Y-%m')
             when _bi_week(v) is not null then printf('%04d-W%02d', isoyear(_bi_week(v)), week(_bi_week(v))) end)""",
]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _norm_enum(v: str) -> str:
    return f"regexp_replace(lower({v}), '[\\s\\-]+', '_', 'g')"


def _typed(col: Col, v: str) -> list[tuple[str, str]]:
    """(output column, SQL expression) of the typed value(s) of one text column ``v``."""
    c = col.canonical
    k = col.kind
    if k in ("text", "id", "member"):
        return [(c, v)]
    if k == "enum":
        pairs = [(x, x) for x in col.values] + [(a, x) for a, x in col.aliases]
        whens = " ".join(f"when {_lit(a.lower().replace(' ', '_').replace('-', '_'))} then {_lit(x)}"
                         for a, x in pairs)
        return [(c, f"case {_norm_enum(v)} {whens} end")]
    if k == "int":
        return [(c, f"_bi_int({v})")]
    if k == "number":
        return [(c, f"_bi_number({v})")]
    if k == "bool":
        return [(c, f"_bi_bool({v})")]
    if k == "date":
        return [(c, f"_bi_date({v})")]
    if k == "timestamp":
        return [(c, f"_bi_ts({v}, $tz)")]
    if k == "period":
        return [(c, f"_bi_period({v})"), (f"{c}_grain", f"_bi_period_grain({v})"),
                (f"{c}_start", f"_bi_period_start({v})")]
    raise ValueError(f"unknown column kind {k!r}")


_EXPECT = {
    "date": "a date YYYY-MM-DD",
    "timestamp": "a time YYYY-MM-DD HH:MM[:SS] (local, or with an offset such as +08:00)",
    "period": "a period YYYY-MM (month) or YYYY-Www (ISO week)",
    "int": "a whole number",
    "number": "a number",
    "bool": "true or false",
}
_PARSE_RULE = {"date": "unparseable_date", "timestamp": "unparseable_time", "period": "unparseable_period",
               "int": "invalid_number", "number": "invalid_number", "bool": "invalid_boolean"}
_SCIENTIFIC = r"(^|:)[+-]?\d+(\.\d+)?[eE][+-]?\d+$"
_MEMBER_KEY = r"[A-Za-z][A-Za-z0-9_]*:\S.*"


def _found(v: str) -> str:
    return f"'found ''' || {v} || ''''"


def _rules(spec: InputSpec) -> list[tuple[str, str, str]]:
    """(rule, SQL condition, SQL message) in the order they are checked (first broken wins).

    Text columns are ``t_<canonical>``; typed ones ``<canonical>``.
    """
    rules: list[tuple[str, str, str]] = []
    for col in spec.columns:
        c, v = col.canonical, _q(f"t_{col.canonical}")
        where = f"in column {col.name}"
        if col.kind in ("id", "member"):
            rules.append(("scientific_notation_id", f"regexp_matches({v}, {_lit(_SCIENTIFIC)})",
                          f"'expected an id {where}, ' || {_found(v)} || ', a number Excel turned into "
                          f"scientific notation (its digits are lost): format the column as Text in Excel, "
                          f"restore the ids and save again'"))
        if col.required:
            rules.append(("missing_value", f"{v} is null", _lit(f"expected a value {where}, found none")))
        if col.kind == "member":
            rules.append(("invalid_member_key", f"not regexp_full_match({v}, {_lit(_MEMBER_KEY)})",
                          f"'expected a member key <source>:<platform user id> {where}, ' || {_found(v)}"))
        if col.kind == "enum":
            expected = f"expected {col.name} one of {', '.join(col.values)} {where}, "
            rules.append(("unknown_enum", f"{v} is not null and {_q(c)} is null",
                          f"{_lit(expected)} || {_found(v)}"))
        elif col.kind in _PARSE_RULE:
            rules.append((_PARSE_RULE[col.kind], f"{v} is not null and {_q(c)} is null",
                          f"{_lit(f'expected {_EXPECT[col.kind]} {where}, ')} || {_found(v)}"))
        if col.min is not None and col.max is not None:
            expected = f"expected {col.what or 'a value'} from {col.min:g} to {col.max:g} {where}, "
            rules.append(("out_of_range", f"{_q(c)} not between {col.min:g} and {col.max:g}",
                          f"{_lit(expected)} || {_found(v)}"))
        elif col.min is not None:
            rules.append(("negative_value" if col.min == 0 else "out_of_range", f"{_q(c)} < {col.min:g}",
                          f"{_lit(f'expected a value >= {col.min:g} {where}, ')} || {_found(v)}"))
        if col.past:
            rules.append(("time_in_future", f"{_q(c)} > cast($now as timestamptz) + interval 1 day",
                          f"{_lit(f'expected a time that has passed {where}, ')} || {_found(v)} || "
                          f"' (loaded at ' || strftime(cast($now as timestamptz), '%Y-%m-%d %H:%M UTC') || ')'"))
    for earlier, later, rule in spec.order:
        a, b = spec.col(earlier), spec.col(later)
        rules.append((rule, f"{_q(later)} < {_q(earlier)}",
                      f"'expected {b.name} on or after {a.name}, found {b.name} ''' || {_q('t_' + later)} || "
                      f"''' before {a.name} ''' || {_q('t_' + earlier)} || ''''"))
    return rules


# --------------------------------------------------------------------------------------------
# loading


def ingest_business_inputs(conn: duckdb.DuckDBPyConnection, folder: Path | None, timezone_name: str,
                           now: datetime | None = None) -> list[InputResult]:
    """Load every input present in ``folder`` (replacing what was loaded before), except those
    unchanged since their last load (see the module docstring). Idempotent."""
    now = now or datetime.now(timezone.utc)
    _prepare(conn)
    results = []
    for spec in INPUTS:
        path, error = find_input_file(folder, spec.name)
        results.append(_load_input(conn, spec, path, folder, timezone_name, now, error))
    return results


def inputs_version(conn: duckdb.DuckDBPyConnection) -> str:
    """A digest of the ledger ``raw.input_files``, which changes whenever a ``raw.input_*``
    table may have: the Dagster data version of ``raw/business_inputs``.

    Every load rewrites its input's ledger row with its time (``loaded_at``), so a loaded input's
    row changes with each load, and only then. An absent or failed input is written again on
    every run with the same empty table: its time does not count."""
    rows = conn.execute(
        """select input, status, file_path, format, encoding, file_id, size_bytes, rows_read, rows_loaded,
                  rows_quarantined, error, case when status = 'loaded' then loaded_at end
           from raw.input_files order by input""").fetchall()
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()[:24]


def _prepare(conn: duckdb.DuckDBPyConnection) -> None:
    """The raw tables and the loader's macros (~30 statements: once per call, not per input)."""
    create_raw_tables(conn)
    for sql in _MACROS:
        conn.execute(sql)


def _replace(conn, spec: InputSpec) -> None:
    conn.execute(raw_table_ddl(spec, replace=True))
    conn.execute("delete from raw.quarantine where source = $s and entity = $e",
                 {"s": SOURCE, "e": f"input:{spec.name}"})
    conn.execute("delete from raw.input_files where input = $i", {"i": spec.name})
    conn.execute("delete from raw.input_signatures where input = $i", {"i": spec.name})


# The loader's own code: a change to the rules or the parsing is a reason to load inputs again.
_CODE = hashlib.sha256(b"".join(Path(m).read_bytes() for m in (__file__, inputs_schema.__file__))).hexdigest()


def _signature(file_id: str, rel: str, timezone_name: str) -> str:
    return hashlib.sha256("\x1f".join((_CODE, timezone_name, rel, file_id)).encode()).hexdigest()


def _unchanged(conn, spec: InputSpec, signature: str) -> InputResult | None:
    """The ledger's result of ``spec``'s last load when loading it again would give the same
    rows (see the module docstring), else None."""
    row = conn.execute(
        """select f.file_path, f.encoding, f.rows_read, f.rows_loaded, f.rows_quarantined
           from raw.input_files f join raw.input_signatures s on s.input = f.input
           where f.input = $i and s.signature = $sig and f.status = 'loaded'
             and not exists (select 1 from raw.quarantine q
                             where q.source = $src and q.entity = $e and q.rule = 'time_in_future')""",
        {"i": spec.name, "sig": signature, "src": SOURCE, "e": f"input:{spec.name}"}).fetchall()
    if len(row) != 1:
        return None
    rel, encoding, read, loaded, quarantined = row[0]
    return InputResult(spec.name, "loaded", rel, encoding, read, loaded, quarantined)


def _ledger(conn, spec: InputSpec, r: InputResult, fmt=None, file_id=None, size=None, now=None) -> None:
    conn.execute("insert into raw.input_files values ($i, $p, $fmt, $enc, $fid, $size, $now, $st, $err, "
                 "$read, $loaded, $quar)",
                 {"i": spec.name, "p": r.file_path, "fmt": fmt, "enc": r.encoding, "fid": file_id, "size": size,
                  "now": now, "st": r.status, "err": r.error, "read": r.rows_read, "loaded": r.rows_loaded,
                  "quar": r.rows_quarantined})


def _load_input(conn: duckdb.DuckDBPyConnection, spec: InputSpec, path: Path | None, folder: Path | None,
                timezone_name: str, now: datetime, error: str | None) -> InputResult:
    """Replace input ``spec`` with the content of ``path`` (None = absent) in one transaction,
    unless it is unchanged since it was last loaded (see the module docstring)."""
    if path is None:
        result = InputResult(spec.name, "failed" if error else "absent", error=error)
        conn.execute("begin transaction")
        _replace(conn, spec)
        _ledger(conn, spec, result, now=now)
        conn.execute("commit")
        return result
    rel = str(path.relative_to(folder)) if folder and path.is_relative_to(folder) else path.name
    data = path.read_bytes()
    file_id = hashlib.sha256(data).hexdigest()
    signature = _signature(file_id, rel, timezone_name)
    previous = _unchanged(conn, spec, signature)
    if previous is not None:
        return previous
    fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    tmp = Path(tempfile.mkdtemp(prefix="community_inputs_"))
    result = InputResult(spec.name, "loaded", rel, "xlsx" if fmt == "xlsx" else None)
    try:
        # Read before the transaction: a table created inside one numbers its rows with
        # transaction-local row ids, and the row order is how records find their line.
        lines = None
        if fmt == "xlsx":
            csv_path = tmp / "sheet.csv"
            mapping, ncols = _xlsx_to_csv(path, spec, rel, csv_path)
            _read_csv(conn, csv_path, ",", ncols, 0, rel)
            line_sql = "cast(c0 as bigint)"
        else:
            result.encoding, csv_path, delim, mapping, ncols, lines = _prepare_csv(path, data, spec, rel, tmp)
            n = _read_csv(conn, csv_path, delim, ncols, 1, rel)
            # the line each record starts on (quoted newlines, blank lines); else record order
            line_sql = "$lines[_ord]" if len(lines) == n else "_ord + 1"
    except (InputFileError, UnicodeDecodeError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        conn.execute("drop table if exists _bi_csv")
        result = InputResult(spec.name, "failed", rel, result.encoding, error=_error_text(exc, rel))
        conn.execute("begin transaction")
        _replace(conn, spec)
        _ledger(conn, spec, result, fmt, file_id, len(data), now)
        conn.execute("commit")
        return result
    conn.execute("begin transaction")
    try:
        _replace(conn, spec)
        counts = _type_check_load(conn, spec, mapping, line_sql, rel, file_id, timezone_name, now, lines)
        result.rows_read, result.rows_loaded, result.rows_quarantined = counts
        _ledger(conn, spec, result, fmt, file_id, len(data), now)
        conn.execute("insert into raw.input_signatures values ($i, $sig)", {"i": spec.name, "sig": signature})
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        conn.execute("drop table if exists _bi_csv")
        conn.execute("drop table if exists _bi_checked")
    return result


def _error_text(exc: Exception, rel: str) -> str:
    if isinstance(exc, InputFileError):
        return str(exc)
    text = str(exc)
    m = re.search(r"CSV Error on Line: (\d+).*?Expected Number of Columns: (\d+) Found: (\d+)", text, re.S)
    if m:
        return (f"{rel} line {m.group(1)}: expected {m.group(2)} columns as in the header row, "
                f"found {m.group(3)} (a value with a comma or line break must be in double quotes)")
    m = re.search(r"CSV Error on Line: (\d+)", text)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if m:
        return f"{rel} line {m.group(1)}: expected CSV, could not read it: {first}"
    return f"{rel}: expected CSV, could not read it: {first}"


def _prepare_csv(path: Path, data: bytes, spec: InputSpec, rel: str, tmp: Path):
    """Decode, find header and delimiter, and the start line of every record."""
    if not data.strip():
        raise InputFileError(f"{rel} line 1: expected a header row, found an empty file")
    encoding = detect_encoding(data, rel)
    text = data.decode(encoding)
    if encoding in ("utf-8", "utf-8-sig"):
        csv_path = path                               # DuckDB reads UTF-8 (and its BOM) itself
    else:
        csv_path = tmp / "decoded.csv"
        csv_path.write_text(text.lstrip("\ufeff"), encoding="utf-8", newline="")
    text = text.lstrip("\ufeff")
    first_line = text.splitlines()[0] if text else ""
    delim = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header = next(reader, [])
    mapping = {i: c for i, c in _map_header(spec, header, rel).items()}
    lines, prev = [], reader.line_num
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if rec:                                   # DuckDB skips blank lines too
                lines.append(start)
    except csv.Error:
        lines = []                                    # DuckDB names the place if it cannot read it
    return encoding, csv_path, delim, mapping, len(header), lines


def _read_csv(conn, csv_path: Path, delim: str, ncols: int, skip: int, rel: str) -> int:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncols)) + "}"
    try:
        conn.execute(
        f"""create or replace temp table _bi_csv as
            select * from read_csv({_lit(str(csv_path))}, header = false, skip = {skip}, delim = {_lit(delim)},
                                   quote = '"', escape = '"', auto_detect = false, parallel = false,
                                   null_padding = true, columns = {columns})""")
    except duckdb.Error as exc:
        raise InputFileError(_error_text(exc, rel)) from exc
    return conn.execute("select count(*) from _bi_csv").fetchone()[0]


def _type_check_load(conn, spec: InputSpec, mapping: dict[int, Col], line_sql: str, rel: str,
                     file_id: str, tz: str, now: datetime, lines: list[int] | None) -> tuple[int, int, int]:
    by_col = {c.canonical: i for i, c in mapping.items()}
    text_cols = []
    for col in spec.columns:
        i = by_col.get(col.canonical)
        text_cols.append(f"nullif(trim(c{i}), '') as {_q('t_' + col.canonical)}" if i is not None
                         else f"cast(null as varchar) as {_q('t_' + col.canonical)}")
    any_value = " or ".join(f"nullif(trim(c{i}), '') is not null" for i in sorted(mapping)) or "false"
    typed = [f"{expr} as {_q(out)}" for col in spec.columns
             for out, expr in _typed(col, _q("t_" + col.canonical))]
    rules = _rules(spec)
    rule_case = "case " + " ".join(f"when {cond} then {_lit(name)}" for name, cond, _ in rules) + " end"
    reason_case = "case " + " ".join(f"when {cond} then {msg}" for _, cond, msg in rules) + " end"
    sql = f"""
        create or replace temp table _bi_checked as
        with numbered as (select rowid + 1 as _ord, * from _bi_csv),
        text as (
            select {line_sql} as _line, {', '.join(text_cols)}
            from numbered where {any_value}
        ),
        typed as (select *, {', '.join(typed)} from text)
        select *, {rule_case} as _rule, {reason_case} as _reason from typed"""
    params = {"lines": lines or [], "tz": tz, "now": now}
    conn.execute(sql, bind(sql, params))
    if spec.key:
        keys = ", ".join(_q(k) for k in spec.key)
        shown = " || ' / ' || ".join(f"coalesce(cast({_q(k)} as varchar), '')" for k in spec.key)
        what = spec.key[0] if len(spec.key) == 1 else "(" + ", ".join(spec.key) + ")"
        conn.execute(f"""
            update _bi_checked set _rule = 'duplicate_key',
                   _reason = 'expected one row per ' || {_lit(what)} || ', found ''' || d.shown
                             || ''' again (first on line ' || d.first_line || ')'
            from (select _line, {shown} as shown,
                         row_number() over w as rn, first_value(_line) over w as first_line
                  from _bi_checked where _rule is null and {' and '.join(f'{_q(k)} is not null' for k in spec.key)}
                  window w as (partition by {keys} order by _line)) d
            where _bi_checked._line = d._line and d.rn > 1""")
    record = ", ".join(f"{_q(c.name)} := {_q('t_' + c.canonical)}" for c in spec.columns)
    conn.execute(
        f"""insert into raw.quarantine
            select $source, $platform, $file_id, $file, 'line ' || _line, $entity, _rule,
                   $file || ' line ' || _line || ': ' || _reason, to_json(struct_pack({record}))::varchar
            from _bi_checked where _rule is not null order by _line""",
        {"source": SOURCE, "platform": PLATFORM, "file_id": file_id, "file": rel, "entity": f"input:{spec.name}"})
    outs = [out for col in spec.columns for out, _ in _typed(col, "x")]
    conn.execute(
        f"""insert into raw.input_{spec.name} by name
            select $file as file_path, _line as line, {', '.join(_q(o) for o in outs)}
            from _bi_checked where _rule is null order by _line""", {"file": rel})
    read, bad = conn.execute("select count(*), count(_rule) from _bi_checked").fetchone()
    return read, read - bad, bad
