"""Business inputs (spec §2): the spreadsheets a community team keeps, one file per input.

This module owns their *contract*: for every input the columns a file may have (the header
names of the templates ``community-report init`` writes, see ``pipeline/scaffold.py``), what
each column holds, which values are required, and the row rules. ``pipeline/ingest/inputs.py``
reads the files and applies the rules; the rows that pass land in ``raw.input_<name>`` with
typed columns under their canonical names (the names of ``staging.<name>``); the others go to
``raw.quarantine`` (entity ``input:<name>``). ``raw.input_files`` is the ledger: one row per
input with the file loaded, its encoding and the row counts (read = loaded + quarantined).

Column kinds (every cell is read as text first, then typed):

- ``text``: trimmed; empty = NULL.
- ``id`` / ``member``: text that names something. A value Excel turned into scientific
  notation (``1.23457E+17``) has lost digits and is quarantined. ``member`` must also be a
  member key ``<source>:<platform user id>``.
- ``enum``: one of ``values`` (case-insensitive; spaces and '-' read as '_'; a few Chinese
  spellings are accepted through ``aliases``).
- ``int`` (counts) / ``number`` (amounts, targets): ``1,234``, ``¥1200`` and (``number``)
  ``60%`` are understood. ``min`` / ``max`` bound them.
- ``bool``: true/false, 1/0, yes/no, y/n, 是/否.
- ``date``: ``YYYY-MM-DD`` (also ``/`` or ``.`` separated, ``2024年3月5日``, an Excel serial).
- ``timestamp``: ``YYYY-MM-DD HH:MM[:SS]``; with an offset (``+08:00``, ``Z``) it is that
  instant, without one it is a local time of the community's time zone.
- ``period``: ``YYYY-MM`` (a month) or ``YYYY-Www`` (an ISO week); stored as the normalized
  text plus ``period_grain`` (monthly | weekly) and ``period_start`` (its first day).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "business_inputs"        # raw.quarantine.source of every input row
PLATFORM = "input"                # raw.quarantine.platform


@dataclass(frozen=True)
class Col:
    name: str                     # header in the file (the scaffold template's column name)
    kind: str                     # text | id | member | enum | int | number | bool | date | timestamp | period
    to: str | None = None         # canonical name in raw.input_<name> / staging.<name> (default: name)
    required: bool = False
    values: tuple = ()            # enum: the canonical values
    aliases: tuple = ()           # enum: ((spelling, canonical value), ...)
    min: float | None = None
    max: float | None = None
    past: bool = False            # timestamp: more than a day after the load = "in the future"
    what: str | None = None       # how reasons name a bounded value ("a rating")

    @property
    def canonical(self) -> str:
        return self.to or self.name

    @property
    def headers(self) -> tuple[str, ...]:
        """Header spellings accepted for this column (normalized: lower case, '_' for blanks)."""
        return tuple(dict.fromkeys((self.name, self.canonical)))


@dataclass(frozen=True)
class InputSpec:
    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()                      # canonical columns: one row per key
    order: tuple[tuple[str, str, str], ...] = ()   # (earlier, later, rule): later must not precede earlier
    description: str = ""

    def col(self, canonical: str) -> Col:
        return next(c for c in self.columns if c.canonical == canonical)


_FEEDBACK_KINDS = ("suggestion", "complaint", "praise", "question", "bug")
_PLAN_STATUSES = ("done", "in_progress", "not_started", "blocked", "cancelled")

INPUTS: tuple[InputSpec, ...] = (
    InputSpec("goals", (
        Col("period", "period", required=True),
        Col("metric", "text", required=True),
        Col("target", "number", required=True),
    ), key=("period", "metric"), description="targets per period and KPI"),
    InputSpec("campaigns", (
        Col("id", "id", to="campaign_id", required=True),
        Col("name", "text", required=True),
        Col("type", "enum", values=("online", "offline"), aliases=(("线上", "online"), ("线下", "offline"))),
        Col("theme", "text"),
        Col("start", "date", to="start_date", required=True),
        Col("end", "date", to="end_date", required=True),
        Col("registrations", "int", min=0),
        Col("attendees", "int", min=0),
        Col("cost", "number", min=0),
    ), key=("campaign_id",), order=(("start_date", "end_date", "end_before_start"),),
        description="events and activities"),
    InputSpec("campaign_participants", (
        Col("campaign_id", "id", required=True),
        Col("member", "member", to="member_key", required=True),
        Col("attended", "bool"),
    ), key=("campaign_id", "member_key"), description="members registered for a campaign"),
    InputSpec("content", (
        Col("id", "id", to="content_id", required=True),
        Col("title", "text"),
        Col("format", "text"),
        Col("topic", "text"),
        Col("published_at", "timestamp", required=True, past=True),
        Col("views", "int", min=0),
        Col("likes", "int", min=0),
        Col("comments", "int", min=0),
        Col("shares", "int", min=0),
    ), key=("content_id",), description="what the team published"),
    InputSpec("feedback", (
        Col("id", "id", to="feedback_id", required=True),
        Col("member", "member", to="member_key"),
        Col("received_at", "timestamp", required=True, past=True),
        Col("channel", "text"),
        Col("kind", "enum", required=True, values=_FEEDBACK_KINDS,
            aliases=(("建议", "suggestion"), ("投诉", "complaint"), ("表扬", "praise"), ("好评", "praise"),
                     ("咨询", "question"), ("提问", "question"), ("缺陷", "bug"), ("故障", "bug"))),
        Col("category", "text"),
        Col("rating", "number", min=1, max=5, what="a rating"),
        Col("score", "int", min=0, max=10, what="a score"),
        Col("text", "text"),
        Col("status", "enum", values=("open", "in_progress", "resolved"),
            aliases=(("closed", "resolved"), ("done", "resolved"), ("已解决", "resolved"), ("已处理", "resolved"),
                     ("已关闭", "resolved"), ("处理中", "in_progress"), ("待处理", "open"), ("未处理", "open"),
                     ("未解决", "open"))),
        Col("resolved_at", "timestamp"),
    ), key=("feedback_id",), order=(("received_at", "resolved_at", "resolved_before_received"),),
        description="feedback and complaints"),
    InputSpec("costs", (
        Col("date", "date", required=True),
        Col("category", "text"),
        Col("amount", "number", required=True, min=0),
    ), description="operating spend"),
    InputSpec("conversions", (
        Col("member", "member", to="member_key", required=True),
        Col("converted_at", "timestamp", required=True, past=True),
        Col("type", "text"),
        Col("value", "number", min=0),
    ), description="members who converted (trial, purchase, ...)"),
    InputSpec("competitors", (
        Col("competitor", "text", required=True),
        Col("period", "period", required=True),
        Col("metric", "text", required=True),
        Col("value", "number", required=True),
    ), key=("competitor", "period", "metric"), description="competitors' figures"),
    InputSpec("plan", (
        Col("period", "period", required=True),
        Col("item", "text", required=True),
        Col("owner", "text"),
        Col("due", "date"),
        Col("status", "enum", required=True, values=_PLAN_STATUSES,
            aliases=(("已完成", "done"), ("完成", "done"), ("进行中", "in_progress"), ("未开始", "not_started"),
                     ("阻塞", "blocked"), ("受阻", "blocked"), ("取消", "cancelled"), ("已取消", "cancelled"),
                     ("canceled", "cancelled"))),
        Col("note", "text"),
    ), description="the operations plan"),
    InputSpec("incidents", (
        Col("opened_at", "timestamp", required=True, past=True),
        Col("category", "text"),
        Col("title", "text", required=True),
        Col("impact", "text"),            # free text: who or what was affected, how much
        Col("status", "enum", values=("open", "resolved"),
            aliases=(("closed", "resolved"), ("已解决", "resolved"), ("已关闭", "resolved"), ("处理中", "open"),
                     ("未解决", "open"))),
        Col("resolved_at", "timestamp"),
        Col("resolution", "text"),
    ), order=(("opened_at", "resolved_at", "resolved_before_opened"),), description="problems and tech support"),
    InputSpec("strategies", (
        Col("date", "date", required=True),
        Col("name", "text", required=True),
        Col("description", "text"),
    ), description="operating strategies and when they started"),
    InputSpec("member_profiles", (
        Col("member", "member", to="member_key", required=True),
        Col("region", "text"),
        Col("gender", "text"),
        Col("age_band", "text"),
        Col("acquisition_channel", "text"),
    ), key=("member_key",), description="member attributes"),
    InputSpec("identity_map", (
        Col("person", "id", required=True),
        Col("member", "member", to="member_key", required=True),
    ), key=("member_key",), description="member keys on different platforms that are one person"),
)

INPUT_NAMES: tuple[str, ...] = tuple(s.name for s in INPUTS)
BY_NAME: dict[str, InputSpec] = {s.name: s for s in INPUTS}

_SQL_TYPE = {"text": "VARCHAR", "id": "VARCHAR", "member": "VARCHAR", "enum": "VARCHAR", "int": "BIGINT",
             "number": "DOUBLE", "bool": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMPTZ"}


def raw_columns(spec: InputSpec) -> list[tuple[str, str]]:
    """(column, SQL type) of ``raw.input_<name>`` after the provenance columns."""
    cols = []
    for c in spec.columns:
        if c.kind == "period":
            cols += [(c.canonical, "VARCHAR"), (f"{c.canonical}_grain", "VARCHAR"), (f"{c.canonical}_start", "DATE")]
        else:
            cols.append((c.canonical, _SQL_TYPE[c.kind]))
    return cols


def raw_table_ddl(spec: InputSpec, replace: bool = False) -> str:
    cols = ", ".join(f'"{n}" {t}' for n, t in raw_columns(spec))
    head = "create or replace table" if replace else "create table if not exists"
    return f"{head} raw.input_{spec.name} (file_path VARCHAR, line BIGINT, {cols})"


INPUT_FILES_DDL = """
    create table if not exists raw.input_files (
        input VARCHAR,            -- goals | campaigns | ... (pipeline/ingest/inputs_schema.py)
        file_path VARCHAR,        -- relative to the business_inputs folder; NULL when absent
        format VARCHAR,           -- csv | xlsx
        encoding VARCHAR,         -- utf-8 | utf-8-sig | gb18030 | utf-16 | utf-16-le | utf-16-be | xlsx
        file_id VARCHAR,          -- sha256 of the file's bytes
        size_bytes BIGINT,
        loaded_at TIMESTAMPTZ,
        status VARCHAR,           -- loaded | failed | absent
        error VARCHAR,            -- for failed: what was wrong, where, and what was expected
        rows_read BIGINT,
        rows_loaded BIGINT,
        rows_quarantined BIGINT
    )
"""

INPUT_SIGNATURES_DDL = """
    create table if not exists raw.input_signatures (
        input VARCHAR,            -- an input loaded without error, written with its rows
        signature VARCHAR         -- sha256 of what its load depended on (pipeline/ingest/inputs.py)
    )
"""

# Appended to pipeline/ingest/schema.RAW_DDL: the input tables always exist (empty when absent),
# so staging SQL never depends on which spreadsheets a team keeps.
INPUT_RAW_DDL: list[str] = [INPUT_FILES_DDL, INPUT_SIGNATURES_DDL, *(raw_table_ddl(s) for s in INPUTS)]
