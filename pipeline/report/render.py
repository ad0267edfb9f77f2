"""Render one period's report: report.html, report.md (+ charts/*.svg), metrics.json and
sections.json (the sections as data, what report.pptx is made from; see documents.py).

This module owns the report's layout and files. It turns :class:`ReportData` into a list of
sections (heading, KPIs with previous value and change, narrative, blocks of charts and
tables), formats every value with the one :class:`Formatter` (numbers are rounded here and
only here), and fills the two Jinja2 templates:

- HTML: autoescape on (member text is data), StrictUndefined, CSS injected with ``|safe``,
  charts inlined as ``<svg>``; no script, no external URL: the page opens offline.
- Markdown: every text cell and sentence goes through :func:`md_escape`; charts are written
  to ``charts/<name>.svg`` beside it.

No Dagster import: the report asset calls :func:`render_report` per partition.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.config import CommunityConfig
from pipeline.periods import Period
from pipeline.report import charts, narrative
from pipeline.report.data import ReportData, collect
from pipeline.report.documents import SECTIONS_FILE, remove_documents, write_documents
from pipeline.report.i18n import GLOSSARY, LOWER_IS_BETTER, Formatter
from pipeline.report.sections import REPORT_PARTS, SECTION_ORDER, SectionContext, load_all

_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LEADING = re.compile(r"^(\s*|\s*\d+)((?<=\d)[.)]|(?<!\d)[#+\-=])(?=\s|$|#)")
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
CORE_SECTIONS = ["summary", "overview", "growth", "activity", "content", "interaction", "quality", "glossary"]
SECTION_KPIS = {
    "summary": narrative.HEADLINE,
    "overview": ["total_members", "active_members", "stickiness"],
    "growth": ["new_members", "left_members", "net_growth", "total_members", "activation_rate_7d", "churn_rate"],
    "activity": ["avg_dau", "wau", "mau", "stickiness", "active_members", "messages", "reactions",
                 "messages_per_active_member"],
    "content": ["messages", "reactions", "reactions_per_message"],
    "interaction": ["response_rate", "median_first_response_minutes", "reactions_per_message",
                    "replies_per_top_level_message"],
    "quality": [],
    "glossary": [],
}


@dataclass
class Table:
    title: str
    headers: list[str]
    kinds: list[str]                  # per column: how the template aligns it (text left, numbers right)
    rows: list[list[str]]             # formatted cells


@dataclass
class Block:
    kind: str                         # chart | table | empty
    title: str
    chart: charts.Chart | None = None
    table: Table | None = None
    note: str = ""                    # for empty: why (defaults to "no data for this period")


@dataclass
class KpiView:
    metric: str
    label: str
    value: str
    previous: str
    change: str
    trend: str                        # good | bad | flat | na (CSS class: the direction's meaning)


@dataclass
class Section:
    slug: str
    title: str
    kpis: list[KpiView]
    narrative: list[str]
    blocks: list[Block] = field(default_factory=list)
    kpi_layout: str = "cards"         # cards | table (the summary's headline table)


def md_escape(text) -> str:
    """Any text as literal Markdown: line breaks folded (a table cell is one line), ``& < >`` as
    entities (no raw HTML gets through), inline markup characters backslash-escaped, and a
    leading character that would start a heading, list or rule escaped too."""
    s = re.sub(r"\s*[\r\n]+\s*", " ", str(text))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_INLINE.sub(r"\\\1", s)
    return _MD_LEADING.sub(r"\1\\\2", s)


def _table(f: Formatter, title_key: str, columns: list[tuple[str, str]], rows: list[dict]) -> Block:
    """A table block; ``columns`` are (row key, value kind). Empty rows give an 'empty' block."""
    title = f.t(title_key)
    if not rows:
        return Block("empty", title, note=f.t("no_data"))
    cells = [[f.value(kind, r.get(key)) for key, kind in columns] for r in rows]
    return Block("table", title, table=Table(title, [f.column_label(k) for k, _ in columns],
                                             [k for _, k in columns], cells))


def _chart(f: Formatter, title_key: str, chart: charts.Chart | None) -> Block:
    if chart is None:
        return Block("empty", f.t(title_key), note=f.t("no_data"))
    return Block("chart", chart.title, chart=chart)


def _kpis(data: ReportData, f: Formatter, metrics: list[str]) -> list[KpiView]:
    out = []
    for m in metrics:
        k = data.kpi(m)
        if k.change is None or k.change == 0:
            trend = "na" if k.change is None else "flat"
        else:
            trend = "good" if (k.change > 0) != (m in LOWER_IS_BETTER) else "bad"
        out.append(KpiView(m, f.metric_label(m), f.metric(m, k.value), f.metric(m, k.previous),
                           f.value("change", k.change), trend))
    return out


def _ranked(rows: list[dict]) -> list[dict]:
    return [{"rank": i, **r} for i, r in enumerate(rows, start=1)]


def build_sections(data: ReportData, f: Formatter) -> list[Section]:
    t = data.tables
    text = narrative.narrate(data, f)
    period = data.period
    sources = t["sources"]
    channel_total, _ = narrative.channel_totals(data)

    facts = [
        {"item": f.t("fact_name"), "detail": data.community["name"]},
        {"item": f.t("fact_founded"), "detail": f.value("date", data.community["founded"])},
        {"item": f.t("fact_audience"), "detail": data.community["audience"] or f.t("na")},
        {"item": f.t("fact_timezone"), "detail": data.community["timezone"]},
        {"item": f.t("fact_sources"),
         "detail": ", ".join(f"{r['source']} ({r['platform']})" for r in sources) or f.t("na")},
        {"item": f.t("fact_channels"),
         "detail": f.value("int", sum(r["channels"] or 0 for r in sources)) if sources else f.t("na")},
        {"item": f.t("fact_activity_level"), "detail": f.activity_level(data.kpi("stickiness").value)},
    ]
    slots = [{"rank": i, "slot": f.slot(r["weekday"], r["hour"]), "messages": r["messages"]}
             for i, r in enumerate(narrative.best_slots(data), start=1)]
    channels = [{**r, "share": r["messages"] / channel_total if channel_total else None} for r in t["channels"]]
    # weekly report: one row per day; monthly: per ISO week, clipped to the month
    buckets = [{**r, "period": r["bucket_start"].isoformat() if period.grain == "weekly" else f.t(
                    "date_range", start=max(r["bucket_start"], period.start).isoformat(),
                    end=min(r["bucket_start"] + timedelta(days=6), period.last_day).isoformat())}
               for r in t["growth_buckets"]]

    blocks = {
        "summary": [],
        "overview": [
            _table(f, "table_facts", [("item", "text"), ("detail", "text")], facts),
            _table(f, "table_sources", [("source", "text"), ("platform", "text"), ("channels", "int"),
                                        ("members", "int"), ("current_members", "int"), ("bots", "int"), ("messages_all", "int"),
                                        ("period_messages", "int"), ("first_date", "date"),
                                        ("last_date", "date")], sources),
        ],
        "growth": [
            _chart(f, "chart_members", charts.members_chart(t["growth_series"], period.start, f)),
            _table(f, "table_growth_over_time", [("period", "date"),
                                                 ("new_members", "int"), ("left_members", "int"),
                                                 ("net_growth", "signed_int"), ("total_members", "int")], buckets),
            _table(f, "table_growth_by_source", [("source", "text"), ("new_members", "int"),
                                                 ("left_members", "int"), ("net_growth", "signed_int")],
                   t["growth_by_source"]),
            _chart(f, "chart_cohorts", charts.cohort_chart(t["cohorts"], f)),
        ],
        "activity": [
            _chart(f, "chart_activity", charts.activity_chart(t["activity_series"], period.start, f)),
            _chart(f, "chart_heatmap", charts.heatmap_chart(t["heatmap"], f)),
            _table(f, "table_best_slots", [("rank", "int"), ("slot", "text"), ("messages", "int")], slots),
            _table(f, "table_top_contributors", [("rank", "int"), ("member", "text"), ("messages", "int"),
                                                 ("reactions", "int"), ("contributions", "int")],
                   _ranked(t["top_contributors"])),
        ],
        "content": [
            _chart(f, "chart_channels", charts.channels_chart(t["channels"], f)),
            _table(f, "table_channels", [("source", "text"), ("channel", "text"), ("messages", "int"),
                                         ("share", "pct"), ("replies", "int"), ("attachments", "int"),
                                         ("avg_text_length", "num1")], channels),
            _table(f, "table_hot_threads", [("sent_date", "date"), ("channel", "text"), ("author", "text"),
                                            ("text", "text"), ("replies", "int"), ("reactions", "int"),
                                            ("score", "int")], [{**r, "author": r["member"]} for r in t["hot_threads"]]),
        ],
        "interaction": [
            _table(f, "table_connectors", [("rank", "int"), ("member", "text"), ("persons_replied", "int"), ("replies", "int")],
                   _ranked(t["connectors"])),
        ],
        "quality": [
            _table(f, "table_files", [("source", "text"), ("files", "int"), ("files_failed", "int"),
                                      ("rows_read", "int"), ("rows_loaded", "int"), ("rows_quarantined", "int")],
                   t["files_by_source"]),
            _table(f, "table_quarantine", [("source", "text"), ("entity", "text"), ("rule", "text"),
                                           ("rows", "int")], t["quarantine_by_rule"]),
            _table(f, "table_checks", [("asset", "text"), ("check", "text"), ("result", "bool"),
                                       ("severity", "text"), ("description", "text")],
                   [{"asset": c.get("asset"), "check": c.get("name"), "result": c.get("passed"),
                     "severity": c.get("severity"), "description": c.get("description")} for c in data.checks])
            if data.checks else Block("empty", f.t("table_checks"), note=f.t("checks_none")),
        ],
        "glossary": [_table(f, "table_glossary", [("term", "text"), ("definition", "text")],
                            [{"term": term, "definition": d} for _, term, d in GLOSSARY[f.language]])],
    }
    return [Section(slug, f.section_title(slug), _kpis(data, f, SECTION_KPIS[slug]), text[slug], blocks[slug],
                    kpi_layout="table" if slug == "summary" else "cards")
            for slug in CORE_SECTIONS]


def metrics_document(data: ReportData) -> dict:
    """metrics.json: the mart's KPI values as stored (NULL/NaN -> null), the previous period's, and
    the relative change."""
    p = data.period
    return {
        "period": {"grain": p.grain, "key": p.key, "label": p.label, "start": p.start.isoformat(),
                   "end": p.last_day.isoformat()},
        "community": data.community["name"],
        "language": data.language,
        "generated_from": data.generated_from,
        "metrics": {m: {"value": k.value, "previous": k.previous, "change": k.change} for m, k in data.kpis.items()},
    }


def sections_document(sections: list[Section], ctx: dict, language: str, period: Period) -> dict:
    """sections.json: everything report.pptx shows, as formatted text (charts by name: their
    PNGs are rasterised from charts/<name>.svg when the documents are made)."""
    def block(b: Block) -> dict:
        return {"kind": b.kind, "title": b.title, "note": b.note,
                "chart": {"name": b.chart.name, "title": b.chart.title} if b.chart is not None else None,
                "table": dataclasses.asdict(b.table) if b.table is not None else None}

    return {"title": ctx["title"], "period_line": ctx["period_line"], "note": ctx["note"], "language": language,
            "grain": period.grain, "key": period.key, "last_day": period.last_day.isoformat(),
            "sections": [{"slug": s.slug, "title": s.title, "kpis": [dataclasses.asdict(k) for k in s.kpis],
                          "narrative": [str(line) for line in s.narrative], "kpi_layout": s.kpi_layout,
                          "blocks": [block(b) for b in s.blocks]} for s in sections]}


def sections_from_document(doc: dict) -> list[Section]:
    """The sections of a sections.json (charts without their drawings: only name and title)."""
    def block(b: dict) -> Block:
        chart = charts.Chart(b["chart"]["name"], b["chart"]["title"], svg="", inline_svg="") if b["chart"] else None
        return Block(b["kind"], b["title"], chart=chart, table=Table(**b["table"]) if b["table"] else None,
                     note=b["note"])

    return [Section(s["slug"], s["title"], [KpiView(**k) for k in s["kpis"]], list(s["narrative"]),
                    [block(b) for b in s["blocks"]], kpi_layout=s["kpi_layout"]) for s in doc["sections"]]


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        # report.html.j2 is escaped, report.md.j2 is not (it escapes with md_escape instead)
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), disabled_extensions=("md.j2",),
                                     default_for_string=True, default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = md_escape
    return env


def _context(data: ReportData, f: Formatter, sections: list[Section]) -> dict:
    p = data.period
    grain_word = f.t(f"grain_{p.grain}")
    return {
        "lang": "zh-CN" if f.language == "zh" else "en",
        "title": f.t("report_title", name=data.community["name"], grain_word=grain_word),
        "period_line": f.t("period_line", label=p.label, start=p.start.isoformat(), end=p.last_day.isoformat(),
                           prev_label=data.previous.label),
        "note": f.t("generated_note"),
        "toc": f.t("toc"),
        "kpi_heading": f.t("table_headline"),
        "previous_label": f.column_label("previous"),
        "metric_header": [f.column_label(c) for c in ("metric", "value", "previous", "change")],
        "sections": sections,
        "css": (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8"),
    }


def build_part(conn: duckdb.DuckDBPyConnection, config: CommunityConfig, period: Period,
               check_results: list[dict] | None, part: str = "all") -> tuple[ReportData, list[Section], dict]:
    """The sections of ``period``'s report, or of one of its :data:`REPORT_PARTS`: (the report's
    data, the sections, the KPIs those sections add to it).

    A run renders a single period's report in two worker processes side by side, one part each
    (pipeline/report/batch.py), and :func:`write_report` puts them together: no section of one
    part reads what a section of the other adds (the registered sections read the core KPIs of
    ``collect``), so the files are the same as from one process (tests/test_sample_pipeline.py)."""
    data = collect(conn, config, period, check_results)
    f = Formatter(config.language)
    ctx = SectionContext(conn=conn, config=config, period=period, data=data, f=f)
    sections: list[Section] = []
    added: dict = {}
    if part in ("all", "core"):
        sections = build_sections(data, f)
        # extra blocks of core sections (growth: acquisition channels, activity: member segments,
        # content: published content + keywords); imported here: extras imports this module
        from pipeline.report.sections.extras import extra_blocks
        for built in sections:
            blocks, extra_kpis = extra_blocks(ctx, built.slug)
            built.blocks.extend(blocks)
            data.kpis.update(extra_kpis)
            added.update(extra_kpis)
    if part in ("all", "registered"):
        # sections registered in pipeline/report/sections/ (goals, campaigns, feedback, ...)
        for slug, builder in load_all().items():
            built, extra_kpis = builder(ctx)
            sections.append(built)
            data.kpis.update(extra_kpis)
            added.update(extra_kpis)
    return data, sections, added


def render_report(conn: duckdb.DuckDBPyConnection, config: CommunityConfig, period: Period, out_dir,
                  check_results: list[dict] | None = None, documents: bool = True) -> dict[str, Path]:
    """Write report.html, report.md, charts/*.svg, metrics.json and sections.json for ``period``
    into ``out_dir``, and (``documents``) report.pdf, report.pptx and charts/*.png from them.

    ``documents=False`` leaves those to the ``report/<grain>_report_documents`` asset and
    removes the ones of an earlier render, which would no longer match the page."""
    data, sections, _ = build_part(conn, config, period, check_results)
    return write_report(out_dir, data, config.language, sections, documents=documents)


def write_parts(out_dir, language: str, parts: list[tuple[ReportData, list[Section], dict]],
                documents: bool = False) -> dict[str, Path]:
    """:func:`write_report` of the :data:`REPORT_PARTS` built apart (in that order): the data of
    the first, with the KPIs every part added, in the order one process adds them."""
    data = parts[0][0]
    for _, _, added in parts[1:]:
        data.kpis.update(added)
    return write_report(out_dir, data, language, [s for _, sections, _ in parts for s in sections],
                        documents=documents)


def write_report(out_dir, data: ReportData, language: str, sections: list[Section],
                 documents: bool = True) -> dict[str, Path]:
    """The files of a report whose sections are built (:func:`build_part`); see :func:`render_report`."""
    f = Formatter(language)
    sections = sorted(sections, key=lambda s: SECTION_ORDER.index(s.slug))
    out = Path(out_dir)
    (out / "charts").mkdir(parents=True, exist_ok=True)
    env = _environment()
    ctx = _context(data, f, sections)

    paths = {"html": out / "report.html", "md": out / "report.md", "metrics": out / "metrics.json",
             "sections": out / SECTIONS_FILE}
    paths["html"].write_text(env.get_template("report.html.j2").render(ctx), encoding="utf-8")
    paths["md"].write_text(env.get_template("report.md.j2").render(ctx), encoding="utf-8")
    paths["metrics"].write_text(json.dumps(metrics_document(data), ensure_ascii=False, indent=2, allow_nan=False)
                                + "\n", encoding="utf-8")
    paths["sections"].write_text(json.dumps(sections_document(sections, ctx, f.language, data.period),
                                            ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    written = set()
    for section in sections:
        for block in section.blocks:
            if block.chart is not None:
                path = out / "charts" / f"{block.chart.name}.svg"
                path.write_text(block.chart.svg, encoding="utf-8")
                paths[f"chart_{block.chart.name}"] = path
                written.add(path.name)
    for stale in (out / "charts").glob("*.svg"):   # a rerun without that chart's data removes it
        if stale.name not in written:
            stale.unlink()
    if documents:
        paths.update(write_documents(out, language=f.language))
    else:
        remove_documents(out)
    return paths
