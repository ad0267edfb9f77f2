"""The business-input sections (goals, campaigns, feedback, competitors, cost, plan, incidents) on a
real DuckDB warehouse: hand-built staging rows of the team's inputs and hand-built core mart rows
(kpis_<grain>, activity_daily, growth_daily), the sections' marts built by the pipeline's own SQL
(``build_all`` over the registry entries of these sections), reports rendered for a week and a month
in Chinese and English. Every expected number below is computed by hand from the rows.

Periods: WEEK = 2026-03-09 .. 03-15 (previous week 03-02 .. 03-08), MONTH = 2026-03 (previous 2026-02).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape

from pipeline import warehouse
from pipeline.build import build_all
from pipeline.config import load_config
from pipeline.ingest.schema import create_raw_tables
from pipeline.model_registry import MODELS
from pipeline.periods import period_containing
from pipeline.report.data import relative_change
from pipeline.report.i18n import (BUSINESS_LOWER_IS_BETTER, BUSINESS_METRIC_KINDS, GLOSSARY, LOWER_IS_BETTER,
                                  SECTION_TITLES, TEXT, Formatter)
from pipeline.report.render import md_escape, render_report
from pipeline.sql_runner import SQL_DIR

TZ = ZoneInfo("Asia/Shanghai")
WEEK = period_containing("weekly", date(2026, 3, 9))
MONTH = period_containing("monthly", date(2026, 3, 1))
SECTIONS = ["goals", "campaigns", "feedback", "competitors", "cost", "plan", "incidents"]
MY_MODELS = [m for m in MODELS if m.section in SECTIONS]
INPUTS = ["goals", "campaigns", "campaign_participants", "feedback", "costs", "conversions", "competitors",
          "plan", "incidents"]
XSS = "<script>alert(1)</script> 太差了 | `x`"
XSS_NOTE = "<b>周末</b>前完成"


def at(m: int, d: int, hh: int = 12, mm: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def D(m: int, d: int, y: int = 2026) -> date:
    return date(y, m, d)


def _insert(conn, table: str, rows: list[dict]) -> None:
    for row in rows:
        cols = ", ".join(f"${k} as {k}" for k in row)
        conn.execute(f"insert into {table} by name select {cols}", row)


# --- core figures (hand-built mart rows) ---------------------------------------------------------

CORE = {
    ("weekly", WEEK.start): {"new_members": 5.0, "active_members": 40.0, "median_first_response_minutes": 12.0,
                             "response_rate": 0.6, "avg_dau": 10.0},
    ("weekly", WEEK.previous().start): {"new_members": 4.0, "active_members": 32.0,
                                        "median_first_response_minutes": 15.0, "response_rate": 0.5,
                                        "avg_dau": 8.0},
    ("monthly", MONTH.start): {"new_members": 20.0, "active_members": 100.0, "median_first_response_minutes": 10.0,
                               "response_rate": 0.55, "avg_dau": 9.0},
    ("monthly", MONTH.previous().start): {"new_members": 16.0, "active_members": 80.0,
                                          "median_first_response_minutes": 20.0, "response_rate": 0.5,
                                          "avg_dau": 8.0},
}


def dau(d: date) -> int:
    """DAU by day: 10 up to 03-09, 20 on 03-10 and 03-11 (campaign C1), 14 from 03-12 on."""
    if d <= D(3, 9):
        return 10
    return 20 if d <= D(3, 11) else 14


DAYS = [D(2, 15) + timedelta(days=i) for i in range((D(3, 31) - D(2, 15)).days + 1)]   # data: 02-15 .. 03-31


def fill_core(conn) -> None:
    for (grain, start), metrics in CORE.items():
        p = period_containing(grain, start)
        _insert(conn, f"marts.kpis_{grain}", [{"period_start": p.start, "period_end": p.end, "grain": grain,
                                               "period_key": p.key, "metric": m, "value": v}
                                              for m, v in metrics.items()])
    _insert(conn, "marts.activity_daily", [{"date": d, "dau": dau(d)} for d in DAYS])
    _insert(conn, "marts.growth_daily", [{"date": d, "new_members": 5 if d == D(3, 10) else 1} for d in DAYS])


def status(conn, present: list[str]) -> None:
    conn.execute("delete from staging.input_status")
    _insert(conn, "staging.input_status", [{"input": name, "present": name in present,
                                            "rows": 1 if name in present else 0, "quarantined": 0}
                                           for name in INPUTS])


def fill_inputs(conn) -> None:
    _insert(conn, "staging.goals", [
        {"period": "2026-W11", "period_grain": "weekly", "period_start": WEEK.start, "metric": m, "target": t}
        for m, t in [("new_members", 4.0), ("median_first_response_minutes", 15.0), ("response_rate", 0.8),
                     ("cac", 100.0), ("registrations_total", 100.0)]] + [
        {"period": "2026-W10", "period_grain": "weekly", "period_start": WEEK.previous().start, "metric": m,
         "target": t} for m, t in [("new_members", 5.0), ("median_first_response_minutes", 10.0)]] + [
        {"period": "2026-03", "period_grain": "monthly", "period_start": MONTH.start, "metric": m, "target": t}
        for m, t in [("new_members", 25.0), ("median_first_response_minutes", 12.0)]])
    _insert(conn, "staging.campaigns", [
        {"campaign_id": "C0", "name": "上周分享会", "type": "online", "theme": "Rust", "start_date": D(3, 2),
         "end_date": D(3, 2), "registrations": 40, "attendees": 20, "cost": 400.0},
        {"campaign_id": "C1", "name": "<i>黑客松</i>", "type": "offline", "theme": "AI", "start_date": D(3, 10),
         "end_date": D(3, 11), "registrations": 100, "attendees": 60, "cost": 1200.0},
        {"campaign_id": "C2", "name": "Office hours", "type": "online", "theme": "DevOps", "start_date": D(3, 14),
         "end_date": D(3, 14), "registrations": 50, "attendees": 40, "cost": 800.0},
        {"campaign_id": "C3", "name": "月底直播", "type": "online", "theme": "开源", "start_date": D(3, 28),
         "end_date": D(3, 29), "registrations": 30, "attendees": 10, "cost": 300.0}])
    _insert(conn, "staging.campaign_participants", [
        {"campaign_id": "C1", "member_key": "forum:u1", "person_key": "forum:u1", "attended": True},
        {"campaign_id": "C1", "member_key": "forum:u2", "person_key": "forum:u2", "attended": False}])
    fb = [
        ("F1", at(3, 9, 10), "complaint", "活动组织", 2.0, None, "resolved", at(3, 10, 10), "通知太晚"),
        ("F2", at(3, 10, 12), "suggestion", "内容质量", None, 10, "resolved", at(3, 10, 18), "多办线下活动"),
        ("F3", at(3, 11, 9), "complaint", "活动组织", None, 3, "open", None, XSS),
        ("F4", at(3, 12, 20), "praise", "社区氛围", 5.0, 9, "resolved", at(3, 17, 8), "氛围很好"),
        ("F5", at(3, 14, 8), "question", "技术答疑", 4.0, 7, "in_progress", None, "回放在哪里？"),
        ("F6", at(3, 4, 9), "complaint", "活动组织", 1.0, None, "resolved", at(3, 12, 9), "报名失败"),
        ("F7", at(2, 20, 9), "complaint", "机器人", None, None, "open", None, "机器人刷屏"),
    ]
    _insert(conn, "staging.feedback", [
        {"feedback_id": i, "member_key": "forum:u1", "person_key": "forum:u1", "received_at": rec,
         "local_date": rec.date(), "channel": "问卷", "kind": kind, "category": cat, "rating": rating, "score": score,
         "text": text, "status": st, "resolved_at": res} for i, rec, kind, cat, rating, score, st, res, text in fb])
    _insert(conn, "staging.costs", [
        {"date": d, "category": c, "amount": a} for d, c, a in [
            (D(3, 9), "活动场地", 300.0), (D(3, 10), "广告投放", 200.0), (D(3, 15), "广告投放", 100.0),
            (D(3, 16), "广告投放", 999.0), (D(3, 3), "云服务器", 400.0), (D(2, 10), "云服务器", 1000.0)]])
    _insert(conn, "staging.conversions", [
        {"member_key": mk, "person_key": mk, "converted_at": t, "local_date": t.date(), "type": ty, "value": v}
        for mk, t, ty, v in [("forum:u1", at(3, 10), "付费会员", 199.0), ("forum:u1", at(3, 12), "课程购买", 399.0),
                             ("forum:u2", at(3, 14), "企业咨询", 5000.0), ("forum:u3", at(3, 3), "付费会员", 199.0)]])
    _insert(conn, "staging.competitors", [
        {"competitor": c, "period": p, "period_grain": "monthly", "period_start": s, "metric": m, "value": v}
        for c, p, s, m, v in [
            ("DevHub", "2026-03", MONTH.start, "avg_dau", 18.0),
            ("DevHub", "2026-03", MONTH.start, "new_members", 15.0),
            ("DevHub", "2026-03", MONTH.start, "median_first_response_minutes", 12.0),
            ("DevHub", "2026-03", MONTH.start, "paid_members", 10.0),
            ("CodeCircle", "2026-03", MONTH.start, "avg_dau", 6.0),
            ("CodeCircle", "2026-03", MONTH.start, "new_members", 25.0),
            ("CodeCircle", "2026-03", MONTH.start, "median_first_response_minutes", 30.0),
            ("DevHub", "2026-02", MONTH.previous().start, "avg_dau", 10.0)]])
    _insert(conn, "staging.plan", [
        {"period": p, "period_grain": g, "period_start": s, "item": item, "owner": "小王", "due": due,
         "status": st, "note": note} for p, g, s, item, due, st, note in [
            ("2026-03", "monthly", MONTH.start, "整理新人 FAQ", D(3, 10), "done", None),
            ("2026-03", "monthly", MONTH.start, "上线积分系统", D(3, 20), "done", None),
            ("2026-03", "monthly", MONTH.start, "招募答疑志愿者", D(3, 25), "in_progress", "进行中，预计延期一周"),
            ("2026-03", "monthly", MONTH.start, "筹备线下活动", D(3, 31), "blocked", "等待预算审批"),
            ("2026-03", "monthly", MONTH.start, "高校合作", D(3, 15), "cancelled", "优先级调整"),
            ("2026-03", "monthly", MONTH.start, "建立讲师库", D(4, 10), "not_started", None),
            ("2026-W11", "weekly", WEEK.start, "发布周报", D(3, 12), "done", None),
            ("2026-W11", "weekly", WEEK.start, "更新欢迎语", D(3, 15), "not_started", XSS_NOTE),
            ("2026-W11", "weekly", WEEK.start, "整理活动照片", D(3, 20), "in_progress", None),
            ("2026-W10", "weekly", WEEK.previous().start, "上周周报", D(3, 5), "done", None),
            ("2026-W10", "weekly", WEEK.previous().start, "取消的事项", D(3, 6), "cancelled", None)]])
    _insert(conn, "staging.incidents", [
        {"opened_at": o, "local_date": o.date(), "category": c, "title": t, "impact": "新人受影响", "status": st,
         "resolved_at": r, "resolution": "已修复" if r else None} for o, c, t, st, r in [
            (at(3, 9, 10), "机器人", "欢迎机器人重复发消息", "resolved", at(3, 9, 13, 30)),
            (at(3, 11, 22), "平台", "Slack 导出失败", "resolved", at(3, 13, 10)),
            (at(3, 14, 9), "平台", "频道权限错误", "open", None),
            (at(3, 1, 10), "安全", "广告账号", "resolved", at(3, 3, 10))]])


def build_marts(conn) -> None:
    build_all(conn, D(2, 1), D(4, 1), "Asia/Shanghai", models=MY_MODELS)


def shaped_warehouse(path: Path):
    """A warehouse with every table of the pipeline (built over empty raw tables), all rows removed."""
    conn = warehouse.connect(path)
    create_raw_tables(conn)
    build_all(conn, D(2, 1), D(4, 1), "Asia/Shanghai")
    for schema, table in conn.execute("select schema_name, table_name from duckdb_tables() "
                                      "where schema_name in ('staging', 'intermediate', 'marts')").fetchall():
        conn.execute(f"delete from {schema}.{table}")
    return conn


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    root = tmp_path_factory.mktemp("biz_project")
    (root / "community.yaml").write_text(
        "community:\n  name: 星火开发者社区\n  founded: 2024-03-01\n  timezone: Asia/Shanghai\n  language: zh\n"
        "sources:\n  - {name: forum, platform: canonical, path: data/landing/forum}\n", encoding="utf-8")
    return load_config(root / "community.yaml")


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    c = shaped_warehouse(tmp_path_factory.mktemp("biz_wh") / "warehouse.duckdb")
    fill_core(c)
    fill_inputs(c)
    status(c, INPUTS)
    build_marts(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def rendered(conn, config, tmp_path_factory):
    out = {}
    for period in (WEEK, MONTH):
        for lang in ("zh", "en"):
            folder = tmp_path_factory.mktemp(f"biz_{period.grain}_{lang}")
            paths = render_report(conn, replace(config, language=lang), period, folder)
            out[(period.grain, lang)] = (paths["html"].read_text("utf-8"), paths["md"].read_text("utf-8"),
                                         json.loads(paths["metrics"].read_text("utf-8"))["metrics"])
    return out


def value(doc, metric):
    return doc[metric]["value"]


def check(doc, metric, expected, previous):
    entry = doc[metric]
    assert entry["value"] == expected, (metric, entry)
    assert entry["previous"] == previous, (metric, entry)
    assert entry["change"] == relative_change(expected, previous), (metric, entry)


# --- metrics.json ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_goal_attainment_weekly(rendered, lang):
    doc = rendered[("weekly", lang)][2]
    # new_members 5 vs 4 (prev week 4 vs 5); first response 12 min vs target 15 (lower is better: 15 / 12);
    # response rate 0.6 vs 0.8; CAC 600 / 5 = 120 vs 100 (lower: 100 / 120); registrations_total: no actual
    check(doc, "goal_attainment_new_members", 5 / 4, 4 / 5)
    check(doc, "goal_attainment_median_first_response_minutes", 15 / 12, 10 / 15)
    check(doc, "goal_attainment_response_rate", 0.6 / 0.8, None)
    check(doc, "goal_attainment_cac", 100 / 120, None)
    check(doc, "goal_attainment_registrations_total", None, None)
    check(doc, "goals_set", 5.0, 2.0)
    check(doc, "goals_assessed", 4.0, 2.0)
    check(doc, "goals_achieved", 2.0, 0.0)
    check(doc, "goal_achievement_rate", 0.5, 0.0)


def test_goal_attainment_monthly(rendered):
    doc = rendered[("monthly", "en")][2]
    check(doc, "goal_attainment_new_members", 20 / 25, None)
    check(doc, "goal_attainment_median_first_response_minutes", 12 / 10, None)
    check(doc, "goals_achieved", 1.0, None)
    check(doc, "goal_achievement_rate", 0.5, None)


def test_campaigns(rendered, conn):
    doc = rendered[("weekly", "en")][2]
    # C1 (03-10..11): DAU 10 for the 7 days before, 14 after -> lift 14/10 - 1; C2 (03-14): before
    # 03-07..13 = 3 x 10 + 2 x 20 + 2 x 14 = 98 / 7 = 14, after 14 -> lift 0
    lift_c1 = 14 / 10 - 1
    check(doc, "campaigns", 2.0, 1.0)
    check(doc, "campaign_registrations", 150.0, 40.0)
    check(doc, "campaign_attendees", 100.0, 20.0)
    check(doc, "campaign_attendance_rate", 100 / 150, 20 / 40)
    check(doc, "campaign_cost_per_attendee", 2000 / 100, 400 / 20)
    check(doc, "campaign_lift", (lift_c1 + 0.0) / 2, 0.0)    # C0 (03-02): DAU 10 before and after
    c1 = conn.execute("select lift, new_members_before, new_members_during, new_members_after, member_participants, "
                      "member_attendees from marts.campaigns_summary where campaign_id = 'C1'").fetchone()
    assert c1 == (lift_c1, 7.0, 6.0, 7.0, 2.0, 1.0)
    month = rendered[("monthly", "en")][2]
    # C0..C3 start in March; C3's after-window (03-30..04-05) is not in the data
    check(month, "campaigns", 4.0, 0.0)
    check(month, "campaigns_measured", 3.0, 0.0)
    check(month, "campaign_cost_per_attendee", 2700 / 130, None)


def test_feedback(rendered):
    doc = rendered[("weekly", "en")][2]
    # received F1..F5; resolved by 03-15: F1 (24 h), F2 (6 h) - F4 was resolved on 03-17
    check(doc, "feedback_received", 5.0, 1.0)
    check(doc, "complaints", 2.0, 1.0)
    check(doc, "feedback_resolved", 2.0, 0.0)
    check(doc, "feedback_resolution_rate", 2 / 5, 0.0)
    check(doc, "feedback_median_hours_to_resolve", 15.0, None)
    check(doc, "satisfaction", (2 + 5 + 4) / 3, 1.0)
    # scores 10, 3, 9, 7: two promoters, one detractor of four
    check(doc, "nps", (2 - 1) / 4, None)
    check(doc, "nps_responses", 4.0, 0.0)
    # open at 03-15: F3 and F7 (F6 resolved 03-12); at 03-08: F6 and F7
    check(doc, "open_complaints", 2.0, 2.0)


def test_cost_and_roi(rendered):
    doc = rendered[("weekly", "en")][2]
    check(doc, "cost", 600.0, 400.0)
    check(doc, "cac", 600 / 5, 400 / 4)
    check(doc, "conversions", 3.0, 1.0)
    check(doc, "converting_persons", 2.0, 1.0)
    check(doc, "conversion_rate", 2 / 40, 1 / 32)
    check(doc, "revenue", 5598.0, 199.0)
    check(doc, "roi", (5598 - 600) / 600, (199 - 400) / 400)


def test_plan(rendered):
    week = rendered[("weekly", "en")][2]
    # W11: done 1 of 3 (none cancelled); 更新欢迎语 due 03-15 not done -> overdue. W10: 1 done, 1 cancelled.
    check(week, "plan_items", 3.0, 2.0)
    check(week, "plan_completion_rate", 1 / 3, 1.0)
    check(week, "plan_overdue", 1.0, 0.0)
    month = rendered[("monthly", "en")][2]
    # 2 done of 6 - 1 cancelled; overdue: in_progress due 03-25 and blocked due 03-31 (not_started due 04-10 is not)
    check(month, "plan_items", 6.0, 0.0)                       # February has no plan items
    check(month, "plan_completion_rate", 2 / 5, None)
    check(month, "plan_overdue", 2.0, 0.0)


def test_incidents(rendered):
    week = rendered[("weekly", "en")][2]
    check(week, "incidents", 3.0, 0.0)
    check(week, "incidents_resolved", 2.0, 0.0)
    check(week, "incident_median_hours_to_resolve", (3.5 + 36) / 2, None)
    check(week, "open_incidents", 1.0, 0.0)
    month = rendered[("monthly", "en")][2]
    check(month, "incidents", 4.0, 0.0)
    check(month, "incident_median_hours_to_resolve", 36.0, None)


def test_competitors(rendered):
    month = rendered[("monthly", "en")][2]
    # vs DevHub and CodeCircle: avg_dau 9 (behind DevHub 18), new_members 20 (behind CodeCircle 25), first
    # response 10 min (lower is better: ahead of 12 and 30); paid_members: no figure of ours
    check(month, "competitors", 2.0, 1.0)
    check(month, "competitor_metrics_compared", 3.0, 1.0)
    check(month, "competitor_metrics_leading", 1.0, 0.0)
    week = rendered[("weekly", "en")]
    assert "competitors" not in week[2]                          # competitor figures are monthly only
    assert "Monthly competitor figures for 2026-03 are compared in the monthly report." in week[0]


def test_only_business_kpis_are_added(rendered):
    doc = rendered[("weekly", "en")][2]
    business = {m for m in doc if m in BUSINESS_METRIC_KINDS or m.startswith("goal_attainment_")}
    assert "roi" in business and "nps" in business
    assert all(re.fullmatch(r"[a-z0-9_]+", m) for m in doc)


# --- the rendered report ----------------------------------------------------------------------------

@pytest.mark.parametrize("grain", ["weekly", "monthly"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headings_kpis_and_narrative(rendered, grain, lang):
    html, md, doc = rendered[(grain, lang)]
    f = Formatter(lang)
    for slug in SECTIONS:
        title = SECTION_TITLES[lang][slug]
        assert f'<section id="{slug}">\n<h2>{escape(title)}</h2>' in html
        assert f"\n## {title}\n" in md
        body = html.split(f'<section id="{slug}">', 1)[1].split("</section>", 1)[0]
        assert '<div class="narrative">\n<p>' in body, slug
        if "data-metric=" in body:                              # a section with figures shows a table or chart
            assert "<table>" in body or "<svg" in body, slug
    # glossary has the new definitions
    for key in ("goal_attainment", "campaign_lift", "nps", "roi", "cac", "plan_completion_rate"):
        term = next(t for k, t, _ in GLOSSARY[lang] if k == key)
        assert escape(term) in html
    # the section KPI cards show metrics.json's values, formatted by the Formatter
    if grain == "weekly":
        for metric, kind in [("nps", "change"), ("roi", "change"), ("plan_completion_rate", "pct"),
                             ("feedback_median_hours_to_resolve", "num1"), ("campaign_lift", "change")]:
            assert f'data-metric="{metric}">{f.value(kind, value(doc, metric))}</div>' in html, metric


def test_narrative_sentences_weekly_en(rendered):
    html, md, _ = rendered[("weekly", "en")]
    for sentence in [
        "Goals set for this period: 5; 4 could be assessed and 2 of them were achieved (50.0%).",
        "Goals without an actual figure, which cannot be assessed (1): registrations_total.",
        "Feedback received: 5 (up 400.0% on the previous period (1)), of which complaints: 2; "
        "40.0% was resolved by the period's end, with a median of 15.0 hours to resolve.",
        "Satisfaction (mean rating) was 3.67 from 3 ratings; NPS was +25.0% from 4 0–10 scores.",
        "The most frequent theme was “活动组织” (2); complaints still open at the period's end: 2.",
        "Operating cost was 600.00 (up 50.0% on the previous period (400.00)); with 5 new members, "
        "the customer acquisition cost (CAC) was 120.00.",
        "2 person(s) converted 3 time(s): a conversion rate of 5.0% of the period's active members, "
        "bringing 5,598.00 in revenue.",
        "ROI ((revenue − cost) ÷ cost) was +833.0%.",
        "Plan items done: 1 of 3, a completion rate of 33.3% (done ÷ (all − cancelled); cancelled items, "
        "left out: 0).",
        "Overdue items (1): 更新欢迎语.",
        "Incidents opened: 3 (against 0 in the previous period (no relative change)); 2 of them were resolved by "
        "the period's end, with a median of 19.8 hours to resolve.",
        "The most frequent category was “平台” (2).",
        "Incidents still open at the period's end (1), including: 频道权限错误.",
        "Campaigns started this period: 2, with 150 registrations and 100 attendees (up 400.0% on the previous "
        "period (20)), an attendance rate of 66.7%.",
    ]:
        assert f"<p>{escape(sentence)}</p>" in html, sentence
        assert md_escape(sentence) in md, sentence
    lift = Formatter("en").value("change", 14 / 10 - 1)
    assert escape(f"The largest lift followed “<i>黑客松</i>”: average DAU was 14.0 in the 7 days after it against "
                  f"10.0 in the 7 days before, a change of {lift}.") in html


def test_narrative_sentences_monthly_zh(rendered):
    html, _, _ = rendered[("monthly", "zh")]
    for sentence in [
        "本期共设定 2 项目标，其中 2 项可评估，达成 1 项（50.0%）。",
        "本期计划 6 项，已完成 2 项，完成率 40.0%（完成率 = 已完成 ÷（全部 − 已取消），已取消的 1 项不计入）。",
        "2 项已逾期：招募答疑志愿者、筹备线下活动。",
        "1 场活动暂无法计算活动效应（活动前后 7 天的数据尚不完整，或活动前日均活跃为 0）。",
        "达成率最高的是“首次回复时长中位数”（120.0%），最低的是“新增成员”（80.0%）。",
        "本期与 2 家竞品比较了 3 项指标，我们在其中 1 项上不落后于任何一家。",
        "1 项指标我们没有对应数据，无法比较：paid_members。",
    ]:
        assert f"<p>{escape(sentence)}</p>" in html, sentence
    # overdue notes are shown
    assert "等待预算审批" in html and "进行中，预计延期一周" in html


def test_weekly_report_points_to_the_monthly_goals(conn, config, tmp_path):
    week = period_containing("weekly", D(3, 23))               # no weekly goals or plan items that week
    paths = render_report(conn, replace(config, language="zh"), week, tmp_path)
    html = paths["html"].read_text("utf-8")
    assert escape("2026-03 设定了 2 项月度目标，在月报中评估。") in html
    assert escape("2026-03 的月度计划共 6 项，在月报中跟踪。") in html
    doc = json.loads(paths["metrics"].read_text("utf-8"))["metrics"]
    assert "goals_set" not in doc and "plan_items" not in doc


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_member_text_is_escaped(rendered, lang):
    for grain in ("weekly", "monthly"):
        html, md, _ = rendered[(grain, lang)]
        assert "<script" not in html.lower() and "<script" not in md.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html      # the verbatim, as text
        assert md_escape(XSS) in md
        assert "<i>黑客松</i>" not in html and "&lt;i&gt;黑客松&lt;/i&gt;" in html
    html, md, _ = rendered[("weekly", lang)]
    assert "&lt;b&gt;周末&lt;/b&gt;前完成" in html and md_escape(XSS_NOTE) in md


# --- missing inputs -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def missing(tmp_path_factory, config):
    """A warehouse whose team provided only the costs file (and no other input)."""
    c = shaped_warehouse(tmp_path_factory.mktemp("biz_missing") / "warehouse.duckdb")
    fill_core(c)
    _insert(c, "staging.costs", [{"date": D(3, 10), "category": "广告投放", "amount": 500.0}])
    status(c, ["costs"])
    build_marts(c)
    out = {}
    for lang in ("zh", "en"):
        folder = tmp_path_factory.mktemp(f"biz_missing_{lang}")
        paths = render_report(c, replace(config, language=lang), WEEK, folder)
        out[lang] = (paths["html"].read_text("utf-8"), paths["md"].read_text("utf-8"),
                     json.loads(paths["metrics"].read_text("utf-8"))["metrics"])
    yield out
    c.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_missing_inputs_say_so_and_add_no_kpis(missing, lang):
    html, md, doc = missing[lang]
    for key in ("goals_missing", "campaigns_missing", "feedback_missing", "competitors_missing", "plan_missing",
                "incidents_missing", "cost_conversions_missing"):
        sentence = TEXT[lang][key]
        assert f"<p>{escape(sentence)}</p>" in html and md_escape(sentence) in md, key
    if lang == "zh":
        assert "<p>未提供目标表（goals.csv），本节无法评估。</p>" in html
    else:
        assert "<p>No goals file (goals.csv) was provided, so goal attainment cannot be assessed.</p>" in html
    # costs alone: cost and CAC, nothing that needs conversions
    check(doc, "cost", 500.0, 0.0)
    check(doc, "cac", 500 / 5, 0.0)
    for metric in ("roi", "revenue", "conversions", "conversion_rate", "goals_set", "campaigns", "nps",
                   "feedback_received", "plan_items", "incidents", "competitors"):
        assert metric not in doc, metric
    for slug in SECTIONS:
        assert f'<section id="{slug}">' in html


def test_absent_staging_tables_say_missing(tmp_path, config):
    """A warehouse built before the business inputs existed: no staging.<input>, no input_status, no
    business marts. Every business section says its input is missing; nothing fails."""
    c = shaped_warehouse(tmp_path / "old.duckdb")
    fill_core(c)
    for name in INPUTS + ["input_status"]:
        c.execute(f"drop table if exists staging.{name}")
    for spec in MY_MODELS:
        c.execute(f"drop table if exists {spec.relation}")
    paths = render_report(c, config, WEEK, tmp_path / "out")
    html = paths["html"].read_text("utf-8")
    for key in ("goals_missing", "campaigns_missing", "feedback_missing", "competitors_missing", "cost_missing",
                "plan_missing", "incidents_missing"):
        assert f"<p>{escape(TEXT['zh'][key])}</p>" in html, key
    doc = json.loads(paths["metrics"].read_text("utf-8"))["metrics"]
    assert not set(doc) & set(BUSINESS_METRIC_KINDS)
    c.close()


# --- the SQL itself ------------------------------------------------------------------------------------

def test_weekly_and_monthly_period_marts_are_one_body():
    for section in ("campaigns", "feedback", "cost", "plan", "incidents"):
        weekly = (SQL_DIR / "marts" / section / f"{section}_kpis_weekly.sql").read_text("utf-8")
        monthly = (SQL_DIR / "marts" / section / f"{section}_kpis_monthly.sql").read_text("utf-8")
        assert weekly == monthly, section


def test_lower_is_better_lists_agree():
    """The SQL's list = the business metrics where lower is better + the core KPI mart's ones."""
    core = {"left_members", "churn_rate", "median_first_response_minutes"}
    assert core <= LOWER_IS_BETTER
    for path in ("goals/goals_attainment.sql", "competitors/competitors_comparison.sql"):
        sql = (SQL_DIR / "marts" / path).read_text("utf-8")
        block = re.search(r"lower_is_better as \(.*?unnest\(\[(.*?)\]\)", sql, re.S).group(1)
        assert set(re.findall(r"'([a-z_]+)'", block)) == core | BUSINESS_LOWER_IS_BETTER, path


def test_rebuild_replaces(conn):
    snapshot = {m.relation: sorted(conn.execute(f"select * from {m.relation}").fetchall(), key=repr)
                for m in MY_MODELS}
    build_marts(conn)
    assert {m.relation: sorted(conn.execute(f"select * from {m.relation}").fetchall(), key=repr)
            for m in MY_MODELS} == snapshot
