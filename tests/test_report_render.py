"""Report rendering on a hand-filled warehouse: sections, metrics.json, escaping, offline HTML.

The warehouse is a real DuckDB file. Its tables get their exact shapes from the pipeline itself
(``build_all`` over empty raw tables creates every staging/intermediate/mart table with the
marts' columns and types), then the rows the report reads are inserted by hand, so every
expected number here is known without running the metric SQL.
"""

from __future__ import annotations

import gc
import json
import os
import math
import re
from dataclasses import replace
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from pipeline import warehouse
from pipeline.build import build_all
from pipeline.config import load_config
from pipeline.ingest.schema import create_raw_tables
from pipeline.periods import Period, period_containing
from pipeline.report import charts
from pipeline.report.data import collect, relative_change
from pipeline.report.i18n import METRIC_KINDS, SECTION_TITLES, Formatter
from pipeline.report.render import md_escape, render_report

XSS_NAME = "<script>alert(1)</script>"
XSS_TEXT = "<b>x</b> look | `code` <script>alert(1)</script>"
XSS_CHANNEL = "<b>x</b>"
COMMUNITY = "Spark <Dev> & Co"

WEEK = period_containing("weekly", date(2026, 3, 9))          # 2026-03-09 .. 03-15, previous week has KPIs
MONTH = period_containing("monthly", date(2026, 3, 1))        # 2026-03, February has no KPI rows
EMPTY_WEEK = period_containing("weekly", date(2025, 1, 6))    # nothing at all

REQUIRED = ["new_members", "left_members", "net_growth", "total_members", "avg_dau", "wau", "mau", "stickiness",
            "messages", "active_members", "activation_rate_7d", "churn_rate", "response_rate",
            "median_first_response_minutes", "reactions_per_message", "reactions", "messages_per_active_member",
            "replies_per_top_level_message"]

KPIS = {
    WEEK.start: {"new_members": 5.0, "left_members": 1.0, "net_growth": 4.0, "total_members": 1234.0,
                 "avg_dau": 13 / 7, "wau": 5.0, "mau": 9.0, "stickiness": 131 / 420, "messages": 42.0,
                 "reactions": 17.0, "active_members": 6.0, "reactions_per_message": 17 / 42,
                 "messages_per_active_member": 7.0, "activation_rate_7d": 0.8, "churn_rate": None,
                 "response_rate": 0.25, "median_first_response_minutes": 2.5,
                 "replies_per_top_level_message": 11 / 31, "top_level_messages": 31.0, "replies": 11.0},
    WEEK.previous().start: {"new_members": 2.0, "left_members": 0.0, "net_growth": 2.0, "total_members": 1230.0,
                            "avg_dau": 1.0, "wau": 4.0, "mau": 8.0, "stickiness": 0.2, "messages": 30.0,
                            "reactions": 20.0, "active_members": 4.0, "reactions_per_message": 2 / 3,
                            "messages_per_active_member": 7.5, "activation_rate_7d": 0.5, "churn_rate": 0.25,
                            "response_rate": 0.5, "median_first_response_minutes": 10.0,
                            "replies_per_top_level_message": 0.5, "top_level_messages": 20.0, "replies": 10.0},
}
MONTH_KPIS = {"new_members": 7.0, "left_members": 1.0, "net_growth": 6.0, "total_members": 1234.0,
              "avg_dau": 1.2345678, "wau": 5.0, "mau": 9.0, "stickiness": 0.123456789, "messages": 72.0,
              "reactions": 37.0, "active_members": 8.0, "reactions_per_message": 37 / 72,
              "messages_per_active_member": 9.0, "activation_rate_7d": 0.7, "churn_rate": 0.1,
              "response_rate": 1 / 3, "median_first_response_minutes": 3.25,
              "replies_per_top_level_message": 0.4, "top_level_messages": 50.0, "replies": 22.0}


def _insert(conn, table: str, rows: list[dict]) -> None:
    for row in rows:
        cols = ", ".join(f"${k} as {k}" for k in row)
        conn.execute(f"insert into {table} by name select {cols}", row)


def _days(start: date, n: int):
    return [date.fromordinal(start.toordinal() + i) for i in range(n)]


def fill(conn) -> None:
    create_raw_tables(conn)
    build_all(conn, date(2026, 2, 1), date(2026, 3, 31), "Asia/Shanghai")   # the real tables' shapes
    for schema, table in conn.execute("select schema_name, table_name from duckdb_tables() "
                                      "where schema_name in ('staging', 'intermediate', 'marts')").fetchall():
        conn.execute(f"delete from {schema}.{table}")   # e.g. KPI rows of zeros for the empty weeks
    for start, metrics in KPIS.items():
        p = Period("weekly", start, date.fromordinal(start.toordinal() + 7))
        _insert(conn, "marts.kpis_weekly", [{"period_start": p.start, "period_end": p.end, "grain": "weekly",
                                              "period_key": p.key, "metric": m, "value": v}
                                             for m, v in metrics.items()])
    _insert(conn, "marts.kpis_monthly", [{"period_start": MONTH.start, "period_end": MONTH.end, "grain": "monthly",
                                          "period_key": MONTH.key, "metric": m, "value": v}
                                         for m, v in MONTH_KPIS.items()])
    days = _days(date(2026, 3, 2), 14)
    _insert(conn, "marts.activity_daily", [{"date": d, "dau": i % 4, "wau": 3 + i % 3, "mau": 8 + i % 2,
                                            "messages": 3 * i, "posters": i % 4, "reactions": i,
                                            "stickiness": (i % 4) / (8 + i % 2)} for i, d in enumerate(days)])
    _insert(conn, "marts.growth_daily", [{"date": d, "new_members": i % 3, "left_members": i % 2,
                                          "net_growth": i % 3 - i % 2, "total_members": 1221 + i}
                                         for i, d in enumerate(days)])
    _insert(conn, "marts.growth_by_source_daily", [
        {"date": date(2026, 3, 10), "source": "forum", "new_members": 3, "left_members": 1, "net_growth": 2,
         "total_members": 800},
        {"date": date(2026, 3, 11), "source": "slack_main", "new_members": 2, "left_members": 0, "net_growth": 2,
         "total_members": 434}])
    _insert(conn, "marts.activity_by_source_daily", [
        {"date": date(2026, 3, 10), "source": "forum", "dau": 3, "messages": 30, "posters": 3, "reactions": 10},
        {"date": date(2026, 3, 11), "source": "slack_main", "dau": 2, "messages": 12, "posters": 2, "reactions": 7}])
    cohorts = []
    for c, cohort_week in enumerate([date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9)]):
        for k in range(3):
            activity_week = date.fromordinal(cohort_week.toordinal() + 7 * k)
            cohorts.append({"cohort_week": cohort_week, "weeks_since": k, "cohort_size": 4, "retained": 3 - k,
                            "retention_rate": (3 - k) / 4, "activity_week": activity_week,
                            "is_complete": activity_week <= date(2026, 3, 9)})
    _insert(conn, "marts.growth_cohorts_weekly", cohorts)
    _insert(conn, "marts.activity_heatmap_daily", [
        {"date": date(2026, 3, 10), "weekday": 2, "hour": 20, "messages": 9},
        {"date": date(2026, 3, 17), "weekday": 2, "hour": 20, "messages": 50},   # next week: not in WEEK
        {"date": date(2026, 3, 12), "weekday": 4, "hour": 9, "messages": 4},
        {"date": date(2026, 3, 3), "weekday": 2, "hour": 9, "messages": 7}])     # previous week: not in WEEK
    _insert(conn, "marts.content_channel_daily", [
        {"date": date(2026, 3, 10), "source": "forum", "channel_id": "c1", "channel_name": XSS_CHANNEL,
         "messages": 30, "top_level_messages": 22, "replies": 8, "posters": 3, "attachments": 2,
         "text_chars": 900, "avg_text_length": 30.0},
        {"date": date(2026, 3, 11), "source": "slack_main", "channel_id": "C9", "channel_name": "general",
         "messages": 12, "top_level_messages": 9, "replies": 3, "posters": 2, "attachments": 0,
         "text_chars": 120, "avg_text_length": 10.0}])
    at = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    _insert(conn, "marts.interaction_threads", [
        {"message_key": "forum:m1", "source": "forum", "channel_id": "c1", "channel_name": XSS_CHANNEL,
         "person_key": "forum:u1", "sent_at": at, "local_date": date(2026, 3, 10), "replies": 5, "reactions": 3,
         "responded": True, "first_response_minutes": 2.5, "text_preview": XSS_TEXT},
        {"message_key": "slack_main:m2", "source": "slack_main", "channel_id": "C9", "channel_name": "general",
         "person_key": "slack_main:U3", "sent_at": at, "local_date": date(2026, 3, 11), "replies": 1,
         "reactions": 0, "responded": True, "first_response_minutes": 30.0, "text_preview": "你好，大家"}])
    _insert(conn, "marts.interaction_connectors_daily", [
        {"date": date(2026, 3, 10), "person_key": "forum:u2", "replied_to_person_key": "forum:u1", "replies": 2},
        {"date": date(2026, 3, 11), "person_key": "forum:u2", "replied_to_person_key": "forum:u1", "replies": 1},
        {"date": date(2026, 3, 11), "person_key": "forum:u2", "replied_to_person_key": "slack_main:U3",
         "replies": 1},
        {"date": date(2026, 3, 12), "person_key": "forum:u1", "replied_to_person_key": "forum:u2", "replies": 4}])
    _insert(conn, "marts.overview_sources", [
        {"source": "forum", "platform": "canonical", "channels": 1, "members": 900, "current_members": 800,
         "bots": 1, "messages": 500, "first_date": date(2026, 1, 5), "last_date": date(2026, 3, 15)},
        {"source": "slack_main", "platform": "slack", "channels": 3, "members": 500, "current_members": 434,
         "bots": 2, "messages": 300, "first_date": date(2026, 2, 1), "last_date": date(2026, 3, 15)}])
    _insert(conn, "intermediate.person_days", [
        {"person_key": "forum:u1", "local_date": date(2026, 3, 10), "messages": 20, "reactions": 5,
         "first_source": "forum"},
        {"person_key": "forum:u2", "local_date": date(2026, 3, 10), "messages": 10, "reactions": 1,
         "first_source": "forum"},
        {"person_key": "slack_main:U3", "local_date": date(2026, 3, 11), "messages": 12, "reactions": 11,
         "first_source": "slack_main"}])
    _insert(conn, "staging.members", [
        {"member_key": "forum:u1", "person_key": "forum:u1", "source": "forum", "display_name": XSS_NAME,
         "is_bot": False},
        {"member_key": "forum:u2", "person_key": "forum:u2", "source": "forum", "display_name": "Alice_|_`a`",
         "is_bot": False},
        {"member_key": "slack_main:U3", "person_key": "slack_main:U3", "source": "slack_main",
         "display_name": "小明", "is_bot": False}])
    _insert(conn, "raw.files", [
        {"file_id": "a", "source": "forum", "file_path": "m.csv", "status": "loaded", "rows_read": 10,
         "rows_loaded": 8, "rows_quarantined": 2},
        {"file_id": "b", "source": "slack_main", "file_path": "x.zip", "status": "failed", "rows_read": 0,
         "rows_loaded": 0, "rows_quarantined": 0}])
    _insert(conn, "raw.quarantine", [
        {"source": "forum", "entity": "messages", "rule": "missing_id", "file_path": "m.csv"},
        {"source": "forum", "entity": "messages", "rule": "missing_id", "file_path": "m.csv"},
        {"source": "forum", "entity": "messages", "rule": "time_in_future", "file_path": "m.csv"}])


CHECKS = [{"asset": "raw/forum", "name": "raw_forum_quarantine_share", "passed": True, "severity": "ERROR",
           "description": "quarantined share below 5%"},
          {"name": "<b>check</b>", "passed": False, "severity": "WARN", "description": XSS_NAME}]


@pytest.fixture(scope="module")
def warehouse_conn(tmp_path_factory):
    path = tmp_path_factory.mktemp("report_wh") / "warehouse.duckdb"
    conn = warehouse.connect(path)
    fill(conn)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def base_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("report_project")
    (root / "community.yaml").write_text(
        "community:\n"
        f"  name: \"{COMMUNITY}\"\n"
        "  founded: 2024-03-01\n"
        "  audience: 独立开发者与技术爱好者\n"
        "  timezone: Asia/Shanghai\n"
        "  language: zh\n"
        "sources:\n"
        "  - {name: forum, platform: canonical, path: data/landing/forum}\n"
        "  - {name: slack_main, platform: slack, path: data/landing/slack}\n", encoding="utf-8")
    return load_config(root / "community.yaml")


@pytest.fixture(scope="module")
def rendered(warehouse_conn, base_config, tmp_path_factory):
    """Every (grain, language) report, rendered once: key -> (paths, html, md, metrics)."""
    out = {}
    for period in (WEEK, MONTH, EMPTY_WEEK):
        for lang in ("zh", "en"):
            folder = tmp_path_factory.mktemp(f"{period.grain}_{period.key}_{lang}")
            paths = render_report(warehouse_conn, replace(base_config, language=lang), period, folder,
                                  check_results=CHECKS)
            out[(period.key, period.grain, lang)] = (
                paths, paths["html"].read_text("utf-8"), paths["md"].read_text("utf-8"),
                json.loads(paths["metrics"].read_text("utf-8")))
    return out


ALL = [(p.key, p.grain, lang) for p in (WEEK, MONTH) for lang in ("zh", "en")]


class _Collect(HTMLParser):
    """Collects tag names, ids, attribute values and the text of data-metric/previous/change cells."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.attr_values, self.cells = [], [], [], {}
        self._open = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attr_values.append((tag, name, value or ""))
            if name == "id":
                self.ids.append(value)
            if name in ("data-metric", "data-previous", "data-change"):
                self._open = (name, value)
                self.cells.setdefault(self._open, [])

    def handle_data(self, data):
        if self._open:
            self.cells[self._open].append(data)
            self._open = None


@pytest.mark.parametrize("key", ALL)
def test_all_section_headings_in_the_report_language(rendered, key):
    _, html, md, _ = rendered[key]
    lang = key[2]
    other = "en" if lang == "zh" else "zh"
    for slug, title in SECTION_TITLES[lang].items():
        assert f'<section id="{slug}">\n<h2>{escape(title)}</h2>' in html
        assert f"\n## {title}\n" in md
    for title in SECTION_TITLES[other].values():
        assert f"<h2>{escape(title)}</h2>" not in html and f"## {title}\n" not in md
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in html


@pytest.mark.parametrize("key", ALL)
def test_metrics_json_equals_the_mart(rendered, warehouse_conn, key):
    _, _, _, doc = rendered[key]
    period = WEEK if key[1] == "weekly" else MONTH
    previous = period.previous()
    mart = {(start, m): v for start, m, v in warehouse_conn.execute(
        f"select period_start, metric, value from marts.kpis_{period.grain}").fetchall()}
    metrics = doc["metrics"]
    assert set(REQUIRED) <= set(metrics)
    assert set(metrics) == set(METRIC_KINDS) | {m for _, m in mart}
    metrics = dict(metrics)
    # accounts merged across platforms: counted from staging.identity_merges, not a KPI of the mart
    assert {m: metrics.pop(m) for m in ("accounts_merged", "merged_persons")} == {
        "accounts_merged": {"value": 0, "previous": None, "change": None},
        "merged_persons": {"value": 0, "previous": None, "change": None}}
    for m, entry in metrics.items():
        value, before = mart.get((period.start, m)), mart.get((previous.start, m))
        assert entry["value"] == value and type(entry["value"]) is type(value), m     # exactly the stored double
        assert entry["previous"] == before, m
        assert entry["change"] == relative_change(value, before), m
    assert doc["period"] == {"grain": period.grain, "key": period.key, "label": period.label,
                             "start": period.start.isoformat(), "end": period.last_day.isoformat()}
    assert doc["community"] == COMMUNITY and doc["language"] == key[2]
    assert doc["generated_from"]["kpi_table"] == f"marts.kpis_{period.grain}"


def test_metrics_json_changes_and_nulls(rendered):
    week = rendered[(WEEK.key, "weekly", "en")][3]["metrics"]
    assert week["messages"] == {"value": 42.0, "previous": 30.0, "change": pytest.approx(0.4)}
    assert week["left_members"]["change"] is None            # previous is 0
    assert week["churn_rate"] == {"value": None, "previous": 0.25, "change": None}   # NULL in the mart
    month = rendered[(MONTH.key, "monthly", "en")][3]["metrics"]
    assert all(e["previous"] is None and e["change"] is None for e in month.values())   # no February rows
    empty = rendered[(EMPTY_WEEK.key, "weekly", "en")][3]["metrics"]
    # accounts merged across platforms is a fact of the warehouse, not of the period: 0 here
    identity = {"accounts_merged", "merged_persons"}
    assert all(e == {"value": None, "previous": None, "change": None} for m, e in empty.items() if m not in identity)
    assert {m: empty[m]["value"] for m in identity} == {"accounts_merged": 0, "merged_persons": 0}


@pytest.mark.parametrize("key", ALL)
def test_every_kpi_shown_agrees_with_metrics_json(rendered, key):
    _, html, md, doc = rendered[key]
    f = Formatter(key[2])
    parser = _Collect()
    parser.feed(html)
    assert parser.cells, "no KPI cells found"
    for (attr, metric), texts in parser.cells.items():
        entry = doc["metrics"][metric]
        expected = {"data-metric": f.metric(metric, entry["value"]),
                    "data-previous": f.metric(metric, entry["previous"]),
                    "data-change": f.value("change", entry["change"])}[attr]
        assert texts and all(t == expected for t in texts), (attr, metric, texts, expected)
        if attr == "data-metric":   # the same figures in the Markdown KPI tables
            row = (f"| {md_escape(f.metric_label(metric))} | {md_escape(expected)} | "
                   f"{md_escape(f.metric(metric, entry['previous']))} | {md_escape(f.value('change', entry['change']))} |")
            assert row in md
    shown = {m for (attr, m) in parser.cells if attr == "data-metric"}
    assert {"new_members", "net_growth", "total_members", "active_members", "avg_dau", "messages",
            "response_rate", "stickiness", "churn_rate", "median_first_response_minutes"} <= shown


def test_previous_period_missing_says_na(rendered):
    _, html, md, _ = rendered[(MONTH.key, "monthly", "en")]
    assert '<span data-previous="new_members">n/a</span>' in html
    assert "| New members | 7 | n/a | n/a |" in md
    assert "The previous period has no data, so changes cannot be computed." in html


@pytest.mark.parametrize("key", ALL + [(EMPTY_WEEK.key, "weekly", "en")])
def test_html_is_self_contained_and_offline(rendered, key):
    _, html, _, _ = rendered[key]
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower()          # no script at all, let alone <script src
    assert "@import" not in html and "url(" not in html.replace("url(#", "")
    assert "<link" not in html and "<img" not in html and "<iframe" not in html
    parser = _Collect()
    parser.feed(html)
    # every reference stays inside the page
    for tag, name, value in parser.attr_values:
        if name in ("href", "src", "xlink:href"):
            assert value.startswith("#"), (tag, name, value)
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids across inlined charts"


@pytest.mark.parametrize("key", ALL)
def test_charts_inline_svg_and_markdown_files(rendered, key):
    paths, html, md, _ = rendered[key]
    assert html.count("<svg") >= 4 and '<figure class="chart"' in html
    referenced = re.findall(r"\]\((charts/[a-z_]+\.svg)\)", md)
    assert {"charts/members.svg", "charts/activity.svg", "charts/heatmap.svg", "charts/channels.svg",
            "charts/cohorts.svg"} <= set(referenced)
    folder = paths["md"].parent
    for rel in referenced:
        svg = (folder / rel).read_text("utf-8")
        assert svg.startswith("<?xml") and "<svg" in svg and "<text" not in svg   # glyphs as paths
        assert "<script" not in svg and XSS_CHANNEL not in svg


@pytest.mark.parametrize("key", ALL)
def test_member_text_is_escaped(rendered, key):
    _, html, md, _ = rendered[key]
    for raw in (XSS_NAME, XSS_CHANNEL, "<Dev>"):
        assert raw not in html and raw not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html        # display name, thread text
    assert "&lt;b&gt;x&lt;/b&gt;" in html                         # channel name, thread text
    assert "Spark &lt;Dev&gt; &amp; Co" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "&lt;b&gt;x&lt;/b&gt; look \\| \\`code\\`" in md        # pipes and backticks cannot break tables
    assert "Alice\\_\\|\\_\\`a\\`" in md


def test_narrative_states_the_numbers_shown(rendered):
    _, html, md, _ = rendered[(WEEK.key, "weekly", "en")]
    assert "5 members joined and 1 left, a net growth of +4; total members at period end: 1,234." in html
    # biggest |change| among the headline KPIs: new members 2 -> 5 (+150%; avg DAU +85.7% is second)
    assert "The headline KPI that moved most is New members: 5, up 150.0% on the previous period (2)." in html
    assert "The busiest time slot was Tue 20:00–21:00 with 9 messages." in html
    assert "The top contributor was &lt;script&gt;alert(1)&lt;/script&gt; with 20 messages and 5 reactions." in html
    assert "The busiest channel was &lt;b&gt;x&lt;/b&gt; (30 messages, 71.4%)." in html
    assert "The top connector was Alice_|_`a`, who replied to 2 distinct members." in html
    assert "3 rows were quarantined; the most frequent rule was missing_id (2 rows)." in html
    assert "1 of 2 data checks passed. Failed checks: &lt;b&gt;check&lt;/b&gt;." in html
    zh = rendered[(WEEK.key, "weekly", "zh")][1]
    assert "本期新增 5 人、流失 1 人，净增长 +4，期末成员总数 1,234。" in zh
    assert "最活跃的时段是 周二 20:00–21:00，共 9 条消息。" in zh


def test_period_tables(rendered):
    _, html, md, _ = rendered[(WEEK.key, "weekly", "en")]
    # heatmap rows of other weeks are not summed in; connectors count distinct persons over the week
    assert "| 1 | Tue 20:00–21:00 | 9 |" in md
    assert "| 1 | Alice\\_\\|\\_\\`a\\` | 2 | 4 |" in md
    assert "| forum | canonical | 1 | 900 | 800 | 1 | 500 | 30 | 2026-01-05 | 2026-03-15 |" in md
    # monthly growth table is weekly, clipped to the month
    month_md = rendered[(MONTH.key, "monthly", "en")][2]
    assert "| 2026-03-02 to 2026-03-08 | 6 | 3 | +3 | 1,227 |" in month_md
    assert "| 2026-03-30 to 2026-03-31 |" not in month_md and "2026-02-23" not in month_md
    assert "| 2026-03-09 to 2026-03-15 | 7 | 4 | +3 | 1,234 |" in month_md


def test_empty_period_says_so(rendered):
    for lang, sentence in (("en", "No data for this period."), ("zh", "本期没有可用数据。")):
        _, html, md, _ = rendered[(EMPTY_WEEK.key, "weekly", lang)]
        assert f'<p class="empty">{sentence}</p>' in html
        assert f"*{md_escape(sentence)}*" in md
        assert "<svg" not in html
    en = rendered[(EMPTY_WEEK.key, "weekly", "en")][1]
    assert "There are no KPI figures for 2025-W02 (no rows in marts.kpis_weekly)." in en


def test_no_check_results_is_said(warehouse_conn, base_config, tmp_path):
    paths = render_report(warehouse_conn, replace(base_config, language="en"), WEEK, tmp_path)
    assert "No check results are available for this run." in paths["html"].read_text("utf-8")


def test_rendering_is_deterministic(warehouse_conn, base_config, tmp_path):
    config = replace(base_config, language="zh")
    a = render_report(warehouse_conn, config, WEEK, tmp_path / "a", check_results=CHECKS)
    b = render_report(warehouse_conn, config, WEEK, tmp_path / "b", check_results=CHECKS)
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_chart_svg_has_no_external_references(warehouse_conn, base_config):
    data = collect(warehouse_conn, replace(base_config, language="zh"), WEEK, CHECKS)
    chart = charts.heatmap_chart(data.tables["heatmap"], Formatter("zh"))
    assert "http" not in chart.inline_svg and chart.inline_svg.startswith("<svg")
    assert "xlink:" not in chart.inline_svg and 'id="heatmap-' in chart.inline_svg
    assert charts.heatmap_chart([], Formatter("zh")) is None


def test_formatter_rules():
    en, zh = Formatter("en"), Formatter("zh")
    assert en.metric("total_members", 1234.0) == "1,234"
    assert en.metric("net_growth", 4.0) == "+4" and en.metric("net_growth", -3.0) == "-3"
    assert en.metric("stickiness", 131 / 420) == "31.2%"
    assert en.metric("median_first_response_minutes", 2.5) == "2.5 min"
    assert zh.metric("median_first_response_minutes", 2.5) == "2.5 分钟"
    assert en.metric("reactions_per_message", 17 / 42) == "0.40"
    assert en.value("change", 0.4) == "+40.0%" and en.value("change", None) == "n/a"
    assert en.metric("churn_rate", math.nan) == "n/a"
    assert en.metric("median_first_response_minutes", 3.25) == "3.3 min"      # half up, not half even
    assert en.metric("response_rate", 0.3335) == "33.4%" and en.value("change", -0.00049) == "-0.0%"
    assert en.metric("avg_dau", 1234.56) == "1,234.6" and en.metric("left_members", 2.5) == "2.5"
    assert relative_change(5.0, 0.0) is None and relative_change(-1.0, -2.0) == 0.5


def test_md_escape():
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert md_escape("# not a heading\nnext") == "\\# not a heading next"
    assert md_escape("1. item") == "1\\. item" and md_escape("12.5%") == "12.5%" and md_escape("-3") == "-3"


def test_worker_processes_render_the_same_reports(rendered, base_config, tmp_path):
    """render_periods with 2 worker processes (read-only connections to a closed warehouse) writes
    what render_report wrote in this process: the same metrics.json, report.md and report.pdf."""
    from pipeline.report.batch import render_periods

    path = tmp_path / "warehouse.duckdb"
    conn = warehouse.connect(path)
    fill(conn)
    conn.close()
    config = replace(base_config, language="zh", warehouse=path, reports_dir=tmp_path / "reports")
    periods = [EMPTY_WEEK, WEEK.previous(), WEEK]

    def must_not_open():
        raise AssertionError("three periods and two workers: nothing is rendered in this process")

    done = []
    written = render_periods(config, periods, CHECKS, must_not_open, workers=2,
                             on_done=lambda period, paths: done.append(period.key))
    assert done == [p.key for p in periods]                       # reported in period order
    assert [p["html"].parent for p in written] == [tmp_path / "reports" / "weekly" / p.key for p in periods]
    for period, paths in zip((EMPTY_WEEK, WEEK), (written[0], written[2])):
        before, _, md, metrics = rendered[(period.key, period.grain, "zh")]
        assert paths["md"].read_text("utf-8") == md
        doc = json.loads(paths["metrics"].read_text("utf-8"))
        assert doc["generated_from"].pop("warehouse") == str(path)
        assert doc == {**metrics, "generated_from": {k: v for k, v in metrics["generated_from"].items()
                                                     if k != "warehouse"}}
        assert paths["pdf"].read_bytes() == before["pdf"].read_bytes()


def test_shared_workers_collect_what_was_started_ahead(rendered, base_config, tmp_path):
    """While a run's SharedWorkers are started, a single period goes to the workers too (this
    process opens no connection); reports started ahead (start_reports) and the documents
    started when their report was written are what render_periods and write_period_documents
    return. A report started with other check results is rendered again; documents not started
    ahead are made then. Same files as render_report in this process."""
    from pipeline.report import batch

    path = tmp_path / "warehouse.duckdb"
    conn = warehouse.connect(path)
    fill(conn)
    conn.close()
    config = replace(base_config, language="zh", warehouse=path, reports_dir=tmp_path / "reports", report_workers=2)
    before, _, md, metrics = rendered[(WEEK.key, WEEK.grain, "zh")]
    week_dir, empty_dir = batch.report_dir(config, WEEK), batch.report_dir(config, EMPTY_WEEK)

    def must_not_open():
        raise AssertionError("the shared workers render every period")

    with batch.SharedWorkers(config) as workers:
        workers.start()
        # what the warm-up loaded (modules, the segmenter's dictionary) is out of the workers'
        # garbage collections; the workers were forked by the fork server, which loaded it
        assert workers.pool.submit(gc.get_freeze_count).result() > 100_000
        assert workers.pool.submit(os.getppid).result() not in (os.getpid(), 1)
        workers.start_reports(config, [EMPTY_WEEK, WEEK], CHECKS, documents_for=[WEEK])
        early_report = workers._early[("report", week_dir, "zh")][1]
        early_documents = workers._early[("documents", week_dir, "zh")]
        [paths] = batch.render_periods(config, [WEEK], CHECKS, must_not_open, documents=False)
        assert early_report.result() == paths and paths["md"].read_text("utf-8") == md
        [docs] = batch.write_period_documents(config, [WEEK])
        # made in parts side by side (PNGs split over the workers, then the PDF beside the PPTX):
        # the same files as write_documents made in this process
        assert early_documents.result() == docs and docs["pdf"].read_bytes() == before["pdf"].read_bytes()
        assert docs["pptx"].read_bytes() == before["pptx"].read_bytes()
        pngs = sorted(p.name for p in (week_dir / "charts").glob("*.png"))
        assert len(pngs) > 2 and pngs == sorted(p.name for p in (before["html"].parent / "charts").glob("*.png"))
        assert all((week_dir / "charts" / n).read_bytes() == (before["html"].parent / "charts" / n).read_bytes()
                   for n in pngs)
        assert not [key for key in workers._early if key[1] == week_dir]                 # collected once
        docs["pdf"].unlink()
        docs["pptx"].unlink()
        (week_dir / "charts" / "no_longer_drawn.png").write_bytes(b"stale")
        [again] = batch.write_period_documents(config, [WEEK])                         # not ahead: made now
        assert again["pdf"].read_bytes() == before["pdf"].read_bytes()
        assert again["pptx"].read_bytes() == before["pptx"].read_bytes()
        assert not (week_dir / "charts" / "no_longer_drawn.png").exists()
        # started ahead with CHECKS; the stage has none: rendered again, without the failed check
        workers._early[("report", empty_dir, "zh")][1].result()
        assert "&lt;b&gt;check&lt;/b&gt;" in (empty_dir / "report.html").read_text("utf-8")
        batch.render_periods(config, [EMPTY_WEEK], [], must_not_open, documents=False)
        assert "&lt;b&gt;check&lt;/b&gt;" not in (empty_dir / "report.html").read_text("utf-8")
    assert batch._shared is None and workers.pool is None
    # one worker configured: nothing is shared
    with batch.SharedWorkers(replace(config, report_workers=1)) as workers:
        workers.start()
        assert workers.pool is None and batch._shared is None


def test_shared_workers_serve_documents_before_waiting_reports(base_config, tmp_path):
    """The shared workers' queue: with both workers busy, documents queued after a report
    start before it (the newest period's documents are on a run's longest path). Errors reach
    the caller: a task's, a report's, and the report's again for the documents waiting on it."""
    import time

    from pipeline.report import batch

    config = replace(base_config, warehouse=tmp_path / "w.duckdb", reports_dir=tmp_path / "reports", report_workers=2)
    with batch.SharedWorkers(config) as workers:
        workers.start()
        busy = [workers._submit(workers.REPORT, time.sleep, 1.0) for _ in range(2)]
        report = workers._submit(workers.REPORT, time.monotonic)
        documents = workers._submit(workers.DOCUMENTS, time.monotonic)
        assert documents.result() < report.result()                                   # started first
        assert [f.result() for f in busy] == [None, None]
        failing = workers._submit(workers.REPORT, time.sleep, -1)                     # an error reaches its caller
        with pytest.raises(ValueError):
            failing.result()
        # a report that fails (no warehouse file) fails its stage, and the documents waiting for it
        workers.start_reports(config, [WEEK], [], documents_for=[WEEK])
        documents = workers._early[("documents", batch.report_dir(config, WEEK), config.language)]
        with pytest.raises(Exception, match="w.duckdb"):
            batch.render_periods(config, [WEEK], [], None, documents=False)
        with pytest.raises(Exception, match="w.duckdb"):
            documents.result(timeout=60)


def test_documents_made_in_parts_fail_with_the_chart_that_cannot_be_drawn(rendered, base_config, tmp_path):
    """The shared workers make a report's documents in parts (PNGs per worker, then PDF beside
    PPTX): a part that fails fails the documents with its error, and nothing after it runs."""
    import shutil

    from pipeline.report import batch

    config = replace(base_config, warehouse=tmp_path / "w.duckdb", reports_dir=tmp_path / "reports", report_workers=2)
    before = rendered[(WEEK.key, WEEK.grain, "zh")][0]
    folder = tmp_path / "week"
    shutil.copytree(before["html"].parent, folder)
    (folder / "report.pdf").unlink()
    (folder / "report.pptx").unlink()
    broken = sorted((folder / "charts").glob("*.svg"))[-1]
    broken.write_text("<svg this is not", encoding="utf-8")
    with batch.SharedWorkers(config) as workers:
        workers.start()
        documents = workers.documents_future(folder, "zh")
        with pytest.raises(ValueError, match=re.escape(broken.name)):
            documents.result(timeout=120)
    assert not (folder / "report.pdf").exists() and not (folder / "report.pptx").exists()


def test_report_workers_share_the_memory_limit_and_spill_apart(tmp_path):
    """Each report worker is its own DuckDB instance: it gets a share of the configured limit
    (the calling process keeps one) and its own spill folder, removed when the worker ends."""
    import subprocess
    import sys

    from pipeline.report import batch

    assert batch.worker_memory_limit("2GB", 2) == "682MB"
    assert batch.worker_memory_limit("3 GiB", 2) == "1024MB"
    assert batch.worker_memory_limit("512MB", 4) == "256MB"          # never below 256 MB
    assert batch.worker_memory_limit("80%", 2) == "80%"              # not a size: unchanged
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    probe = (
        "import os, sys; from pipeline.report import batch; "
        f"batch._start_worker({str(path)!r}, '300MB', {str(tmp_path / 'spill')!r}); "
        "c = batch._connection(); c.execute(\"set preserve_insertion_order = false\"); "
        # a sort bigger than the worker's limit must spill into its folder (the root did not exist)
        "n = c.execute(\"select count(*) from (select i, repeat('x', 64) || i as s from range(6000000) t(i) "
        "order by s desc)\").fetchone()[0]; "
        "print(os.getpid(), n, *c.execute(\"select current_setting('memory_limit'), "
        "current_setting('temp_directory')\").fetchone(), sep='|')")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.strip().splitlines()[-1]
    pid, n, limit, temp = out.split("|")
    assert n == "6000000"
    assert limit in ("286.1 MiB", "300.0 MB") and temp == str(tmp_path / "spill" / f"report-worker-{pid}")
    assert not (tmp_path / "spill" / f"report-worker-{pid}").exists()   # removed at exit


def test_a_warm_report_worker_exits_quietly(tmp_path):
    """A shared worker keeps its warm-up out of the garbage collector (gc.freeze) and ends without
    the interpreter's teardown: its output is flushed, it exits with 0, and nanobind has nothing
    to report (torn down with the warm-up frozen, DuckDB's binding objects outlived the binding,
    and every run using the workers ended with ~60 lines of "leaked instances / types / functions")."""
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    probe = (
        "import gc; from pipeline.report import batch; "
        f"batch._start_warm_worker({str(path)!r}, '300MB', {str(tmp_path / 'spill')!r}, 1); "
        "assert gc.get_freeze_count() > 50_000; "
        "print(batch._connection().execute('select 42').fetchone()[0])")
    # buffered output, as a worker's is (PYTHONUNBUFFERED would hide a missing flush)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1], env=env)
    assert done.stdout.strip().splitlines()[-1] == "42"
    assert "nanobind" not in done.stderr and "leaked" not in done.stderr, done.stderr[:500]


def test_a_failed_preload_leaves_the_fork_server_running():
    """The fork server's preload swallows an error of the workers' warm-up (any error but an
    ImportError would end the server, and every worker start would fail without a reason);
    the warm-up then runs again in each worker's initializer, which raises it there."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "class Broken:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pipeline.report.worker_preload': raise RuntimeError('no fonts')\n"
        "sys.meta_path.insert(0, Broken())\n"
        "import pipeline.report.fork_server_preload\n"
        "try:\n"
        "    import pipeline.report.worker_preload\n"
        "except RuntimeError as e:\n"
        "    print('raised:', e)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip().splitlines()[-1] == "raised: no fonts"


def _drawn_twice(monkeypatch):
    """Make every chart also go through matplotlib's own ``savefig(bbox_inches="tight")``:
    returns the list of (reference SVG, our SVG, laid out with tight_layout, subplot left margin)."""
    import io

    pairs = []
    real = charts._cropped_svg

    def both(fig, tight_layout=False):
        once = real(fig, tight_layout)      # first: a tight layout it makes stays on the figure
        reference = io.StringIO()
        fig.savefig(reference, format="svg", bbox_inches="tight", metadata=charts._NO_METADATA)
        pairs.append((reference.getvalue(), once, tight_layout, fig.subplotpars.left))
        return once

    monkeypatch.setattr(charts, "_cropped_svg", both)
    return pairs


def _assert_same_pictures(pairs, tmp_path):
    """Same size, and the same pixels once both SVGs are rasterised (resvg, as the documents do)."""
    import io

    import numpy as np
    import resvg_py
    from PIL import Image

    def image(svg: str):
        path = tmp_path / "c.svg"
        path.write_text(svg, encoding="utf-8")
        png = resvg_py.svg_to_bytes(svg_path=str(path), skip_system_fonts=True, dpi=150.0)
        return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"), dtype=np.int16)

    size = re.compile(r'<svg [^>]*width="([0-9.]+)pt" height="([0-9.]+)pt"')
    for reference, once, *_ in pairs:
        (rw, rh), (ow, oh) = (tuple(map(float, size.search(s).groups())) for s in (reference, once))
        assert abs(rw - ow) < 0.01 and abs(rh - oh) < 0.01
        a, b = image(reference), image(once)
        assert a.shape == b.shape
        differing = (np.abs(a - b).max(axis=2) > 16).mean()
        assert differing < 0.002, f"{differing:.2%} of the pixels differ"


def test_charts_drawn_once_are_the_picture_savefig_tight_draws(warehouse_conn, base_config, tmp_path, monkeypatch):
    """Each chart is drawn once and cropped to its content (charts._cropped_svg); the
    picture must be matplotlib's own ``savefig(bbox_inches="tight")`` of the same figure."""
    pairs = _drawn_twice(monkeypatch)
    render_report(warehouse_conn, replace(base_config, language="zh"), MONTH, tmp_path / "r",
                  check_results=CHECKS, documents=False)
    assert len(pairs) >= 5          # members, activity, heatmap, channels, cohorts
    _assert_same_pictures(pairs, tmp_path)


def test_small_multiples_are_laid_out_by_the_renderer_that_draws_them(tmp_path, monkeypatch):
    """Small multiples (sections/_charts.py) are laid out with tight_layout measured by the SVG
    renderer that then draws them (charts._cropped_svg): the layout is applied (the left margin
    is fitted to the labels) and the picture is still savefig's of the laid-out figure."""
    from pipeline.report.sections import _charts

    pairs = _drawn_twice(monkeypatch)
    chart = _charts.bar_panels("profile", "画像", [
        ("地区", ["广东省深圳市南山区", "北京"], [30, 12]), ("年龄", ["18-24", "25-34", "35+"], [5, 9, 2]),
        ("性别", ["女", "男"], [7, 8])], "人数")
    assert chart is not None and chart.svg.count("<use") > 20
    (_, _, laid_out, left), = pairs
    import matplotlib

    # tight_layout moved the left margin from matplotlib's default (0.125 of the width) to fit the labels
    assert laid_out and abs(left - matplotlib.rcParams["figure.subplot.left"]) > 0.005
    _assert_same_pictures(pairs, tmp_path)


def test_charts_drawn_with_shared_text_work_are_the_charts_drawn_alone(warehouse_conn, base_config, tmp_path,
                                                                        monkeypatch):
    """Every chart of a process shares what its renderer learns about text (chart_text.py: font
    files, line metrics, string sizes, glyph layouts and outlines). A report drawn after another
    (the caches full of the same strings) must write the very charts drawn with nothing shared."""
    from pipeline.report import chart_text

    config = replace(base_config, language="zh")
    with monkeypatch.context() as alone:
        alone.setattr(charts, "share_text_work", lambda svg_renderer, dpi: None)
        reference = render_report(warehouse_conn, config, MONTH, tmp_path / "alone", check_results=CHECKS,
                                  documents=False)
    chart_text._BY_SETTING.clear()
    render_report(warehouse_conn, config, WEEK, tmp_path / "warm", check_results=CHECKS, documents=False)
    def hits() -> int:
        return sum(caches.hits for caches in chart_text._BY_SETTING.values())

    after_week = hits()
    shared = render_report(warehouse_conn, config, MONTH, tmp_path / "shared", check_results=CHECKS,
                           documents=False)
    assert hits() > after_week + 100          # the month's charts reused the week's work
    drawn = sorted(p.name for p in (tmp_path / "alone" / "charts").glob("*.svg"))
    assert len(drawn) >= 5
    for name in drawn:
        assert ((tmp_path / "shared" / "charts" / name).read_bytes()
                == (tmp_path / "alone" / "charts" / name).read_bytes()), name
    assert shared["html"].read_bytes() == reference["html"].read_bytes()
