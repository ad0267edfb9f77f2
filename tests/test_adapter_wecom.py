"""WeCom customer-group API responses through the real ingest framework, staging and marts.

The real samples (``../shared/fixtures/real/wecom``: documentation payloads copied into SDK test
suites) are read in place and copied into ``tmp_path``; expected rows are computed here with
Python's ``json`` over the same files.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.build import build_all  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

WECOM = ROOT.parent / "shared" / "fixtures" / "real" / "wecom"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
CHINA = timezone(timedelta(hours=8))
FIELDS = ("new_chat_cnt", "chat_total", "chat_has_msg", "new_member_cnt", "member_total", "member_has_msg",
          "msg_total", "migrate_trainee_chat_cnt")

pytestmark = pytest.mark.skipif(not WECOM.is_dir(), reason=f"real WeCom samples not found at {WECOM}")


def _project(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir(parents=True)
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: America/New_York\nwarehouse: data/warehouse.duckdb\n"
        "sources:\n  - name: wecom\n    platform: wecom\n    path: landing\n", encoding="utf-8")
    return landing


def _ingest(tmp_path: Path):
    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    return cfg, conn, ingest_source(conn, cfg, cfg.sources[0], now=NOW)


def _rows(conn, sql: str, params=None):
    return conn.execute(sql, params or {}).fetchall()


def _load(path: Path):
    return json.loads(path.read_bytes().decode("utf-8-sig"))


def _responses() -> list[Path]:
    return sorted(p for p in WECOM.rglob("*.json") if "request" not in p.name.lower())


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("wecom_real")
    landing = _project(tmp_path)
    for f in WECOM.rglob("*"):
        if f.is_file():
            dest = landing / f.relative_to(WECOM)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest)
    cfg, conn, result = _ingest(tmp_path)
    yield cfg, conn, result
    conn.close()


def test_every_response_loads_and_requests_are_skipped(real):
    _, conn, result = real
    rel = lambda p: str(p.relative_to(WECOM))  # noqa: E731
    assert sorted(u.file_path for u in result.units) == sorted(rel(p) for p in _responses())
    assert {u.status for u in result.units} == {"loaded"}, [u.error for u in result.units if u.error]


def test_statistics_rows_match_json(real):
    _, conn, _ = real
    expected = []
    for p in _responses():
        doc = _load(p)
        for i, item in enumerate(doc.get("items") or []):
            if "stat_time" in item:
                day = datetime.fromtimestamp(item["stat_time"], CHINA).date()
                req = _load(p.with_name(p.name.replace("Response", "Request")))
                owner = ",".join(req["owner_filter"]["userid_list"])
                expected.append((str(p.relative_to(WECOM)), f"items[{i}]", day, day, "by_day", owner,
                                 *[item["data"][f] for f in FIELDS]))
            else:
                req_path = p.with_name(p.name.replace("Response", "Request"))
                if req_path != p and req_path.is_file():
                    req = _load(req_path)
                    begin = datetime.fromtimestamp(req["day_begin_time"], CHINA).date()
                    end = datetime.fromtimestamp(req["day_end_time"], CHINA).date()
                else:
                    begin = end = None
                expected.append((str(p.relative_to(WECOM)), f"items[{i}]", begin, end, "by_owner", item["owner"],
                                 *[item["data"][f] for f in FIELDS]))
    got = _rows(conn, f"""
        select file_path, location, stat_date, stat_end_date, granularity, owner, {', '.join(FIELDS)}
        from raw.daily_aggregates
        union all
        select file_path, location, null, null, 'by_owner', record::json ->> 'owner',
               {', '.join(f"cast(record::json ->> '{f}' as bigint)" for f in FIELDS)}
        from raw.quarantine where entity = 'daily_aggregates'""")
    assert sorted(got, key=str) == sorted(expected, key=str)
    # 1600272000 = 2020-09-17 00:00 China time (formats.md §5.2), whatever the community's zone
    assert _rows(conn, "select min(stat_date) from raw.daily_aggregates where granularity = 'by_day'") \
        == [(date(2020, 9, 17),)]


def test_by_owner_response_without_its_request_is_quarantined(real):
    _, conn, _ = real
    assert _rows(conn, "select file_path, location, rule, reason from raw.quarantine order by location") == [
        ("wechatpy/externalcontact_groupchat_statistic.json", f"items[{i}]", "unparseable_time",
         f"wechatpy/externalcontact_groupchat_statistic.json at items[{i}]: expected the statistics day "
         "(stat_time, or day_begin_time of the request saved beside the response), found none")
        for i in range(2)]


def test_group_chat_members_and_joins(real):
    _, conn, _ = real
    expected_users, expected_joins = [], []
    scenes = {1: "invite", 2: "link", 3: "qr_code"}
    for p in _responses():
        doc = _load(p)
        if "group_chat" not in doc:
            continue
        chat = doc["group_chat"]
        for i, m in enumerate(chat["member_list"]):
            at = datetime.fromtimestamp(m["join_time"], timezone.utc)
            expected_users.append((str(p.relative_to(WECOM)), m["userid"], m.get("group_nickname") or m.get("name"), at))
            expected_joins.append((str(p.relative_to(WECOM)), f"group_chat.member_list[{i}]", m["userid"],
                                   chat["chat_id"], "join", at, scenes[m["join_scene"]]))
    assert sorted(_rows(conn, "select file_path, user_id, display_name, joined_at from raw.user_listings"), key=str) \
        == sorted(expected_users, key=str)
    assert sorted(_rows(conn, "select file_path, location, user_id, channel_id, event, occurred_at, via "
                              "from raw.membership_events"), key=str) == sorted(expected_joins, key=str)
    assert len(expected_joins) == 8
    assert _rows(conn, "select count(*) from raw.membership_events where event = 'leave'") == [(0,)]
    assert _rows(conn, "select count(*) from raw.messages") == [(0,)]


def test_staging_and_aggregate_marts(real):
    cfg, conn, _ = real
    build_all(conn, date(2020, 9, 1), date(2020, 9, 30), cfg.timezone)
    # staging: one row per (source, day, granularity, owner, range), the by-owner range kept whole
    assert _rows(conn, """select local_date, days_covered, granularity, owner, new_chat_cnt, member_total
                          from staging.daily_aggregates order by all""") == [
        (date(2020, 9, 17), 1, "by_day", "zhangsan", 2, 6),
        (date(2020, 9, 17), 3, "by_owner", "lisi", 1, 6),
        (date(2020, 9, 17), 3, "by_owner", "zhangsan", 2, 6),
        (date(2020, 9, 18), 1, "by_day", "zhangsan", 2, 6),
    ]
    assert _rows(conn, "select date, source, basis, new_members, total_members, new_groups, total_groups "
                       "from marts.aggregate_growth_daily order by date") == [
        (date(2020, 9, 17), "wecom", "by_day", 0, 6, 2, 2),
        (date(2020, 9, 18), "wecom", "by_day", 0, 6, 2, 2)]
    assert _rows(conn, "select date, messages, active_members, total_members, active_groups, total_groups "
                       "from marts.aggregate_activity_daily order by date") == [
        (date(2020, 9, 17), 0, 0, 6, 0, 2), (date(2020, 9, 18), 0, 0, 6, 0, 2)]
    # the member-level marts do not see the aggregates; the group joins are member-level
    assert _rows(conn, "select count(*) from marts.growth_daily where date >= '2020-09-01'") == [(0,)]


def _statistic(owner_items: list[tuple[str, int]]) -> dict:
    return {"errcode": 0, "errmsg": "ok", "total": len(owner_items), "next_offset": len(owner_items),
            "items": [{"owner": o, "data": {**{f: 0 for f in FIELDS}, "new_member_cnt": n, "member_total": 10 * n}}
                      for o, n in owner_items]}


def test_by_owner_dates_from_wrapper_sidecar_and_file_name(tmp_path):
    landing = _project(tmp_path)
    begin = int(datetime(2024, 6, 1, tzinfo=CHINA).timestamp())
    (landing / "wrapped.json").write_text(json.dumps({
        "request": {"day_begin_time": begin, "owner_filter": {"userid_list": ["a"]}},
        "response": _statistic([("a", 1)])}), encoding="utf-8")
    (landing / "stat_owner_b.json").write_text(json.dumps(_statistic([("b", 2)])), encoding="utf-8")
    (landing / "stat_owner_b.request.json").write_text(json.dumps({"day_begin_time": begin + 86400}), encoding="utf-8")
    (landing / "statistic_20240603.json").write_text(json.dumps(_statistic([("c", 3), ("d", 4)])), encoding="utf-8")
    cfg, conn, result = _ingest(tmp_path)
    assert {u.status for u in result.units} == {"loaded"} and len(result.units) == 3
    assert _rows(conn, "select owner, stat_date, stat_end_date, new_member_cnt from raw.daily_aggregates order by owner") == [
        ("a", date(2024, 6, 1), date(2024, 6, 1), 1), ("b", date(2024, 6, 2), date(2024, 6, 2), 2),
        ("c", date(2024, 6, 3), date(2024, 6, 3), 3), ("d", date(2024, 6, 3), date(2024, 6, 3), 4)]
    build_all(conn, date(2024, 6, 1), date(2024, 6, 4), cfg.timezone)
    assert _rows(conn, "select date, basis, owner_rows, new_members, total_members from marts.aggregate_growth_daily "
                       "order by date") == [
        (date(2024, 6, 1), "by_owner", 1, 1, 10), (date(2024, 6, 2), "by_owner", 1, 2, 20),
        (date(2024, 6, 3), "by_owner", 2, 7, 70)]


def test_error_responses_and_damaged_files_fail_naming_the_problem(tmp_path):
    landing = _project(tmp_path)
    (landing / "denied.json").write_text('{"errcode": 81017, "errmsg": "owner_filter is empty"}', encoding="utf-8")
    good = (WECOM / "skit" / "CgibinExternalContactGroupChatStatisticsGroupByDayResponse.json").read_bytes()
    (landing / "truncated.json").write_bytes(good[: len(good) // 2])
    (landing / "other.json").write_text('{"errcode": 0, "errmsg": "ok", "something": []}', encoding="utf-8")
    bad_member = _load(WECOM / "wechatpy" / "externalcontact_groupchat_get_v1.json")
    bad_member["group_chat"]["member_list"][1]["join_time"] = "yesterday"
    bad_member["group_chat"]["member_list"][2]["userid"] = "4.12E+17"
    (landing / "get.json").write_text(json.dumps(bad_member), encoding="utf-8")
    _, conn, result = _ingest(tmp_path)
    errors = {u.file_path: u.error for u in result.units}
    assert errors["denied.json"] == ("denied.json: at root key 'errcode': expected errcode 0 (a successful "
                                     "response) (errcode 81017: owner_filter is empty)")
    assert errors["truncated.json"].startswith("truncated.json: at line ")
    assert "expected a complete JSON document" in errors["truncated.json"]
    assert "truncated" in errors["truncated.json"]
    assert errors["other.json"].startswith("other.json: at root object: expected a groupchat/statistic")
    assert errors["get.json"] is None
    assert _rows(conn, "select entity, rule, location from raw.quarantine order by entity, location") == [
        ("membership_events", "unparseable_time", "group_chat.member_list[1]"),
        ("membership_events", "scientific_notation_id", "group_chat.member_list[2]"),
        ("users", "scientific_notation_id", "group_chat.member_list[2]"),
    ]
    (reason,) = _rows(conn, "select reason from raw.quarantine where rule = 'unparseable_time'")[0]
    assert reason == "get.json at group_chat.member_list[1]: expected a timestamp, found 'yesterday'"


def test_report_shows_aggregate_figures_apart_and_labelled(tmp_path):
    """The growth and activity sections get their own "from aggregates" tables (and aggregate_* KPIs
    in metrics.json); the member-level KPIs stay without them."""
    from pipeline.periods import period_containing
    from pipeline.report.i18n import Formatter
    from pipeline.report.sections import SectionContext
    from pipeline.report.sections.extras import extra_blocks

    landing = _project(tmp_path)
    for day, items in ((1, [("a", 1)]), (2, [("b", 2)]), (3, [("c", 3), ("d", 4)]), (31, [("e", 5)])):
        month = 5 if day == 31 else 6
        (landing / f"statistic_2024{month:02d}{day:02d}.json").write_text(json.dumps(_statistic(items)), encoding="utf-8")
    cfg, conn, result = _ingest(tmp_path)
    assert {u.status for u in result.units} == {"loaded"}
    build_all(conn, date(2024, 5, 31), date(2024, 6, 4), cfg.timezone)
    ctx = SectionContext(conn=conn, config=cfg, period=period_containing("monthly", date(2024, 6, 1)), data=None,
                         f=Formatter("en"))
    blocks, kpis = extra_blocks(ctx, "growth")
    growth = [b for b in blocks if "from aggregates" in b.title]
    assert len(growth) == 1 and growth[0].kind == "table"
    # source, platform, days, new (1+2+7), previous (May 31: 5), change, total as of Jun 3 (30+40), ...
    assert growth[0].table.rows == [["wecom", "wecom", "3", "10", "5", "+100.0%", "70", "0", "0", "2024-06-03"]]
    assert (kpis["aggregate_new_members"].value, kpis["aggregate_new_members"].previous) == (10, 5)
    assert kpis["aggregate_total_members"].value == 70
    blocks, kpis = extra_blocks(ctx, "activity")
    activity = [b for b in blocks if "from aggregates" in b.title]
    assert len(activity) == 1 and activity[0].table.rows[0][:5] == ["wecom", "wecom", "3", "0", "0"]
    assert kpis["aggregate_messages"].value == 0
    # a community without aggregate sources gets no such table at all
    conn.execute("delete from marts.aggregate_growth_daily")
    blocks, kpis = extra_blocks(ctx, "growth")
    assert not [b for b in blocks if "from aggregates" in b.title] and "aggregate_new_members" not in kpis
