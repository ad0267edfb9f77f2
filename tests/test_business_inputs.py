"""Business inputs: real files (CSV in several encodings, XLSX), the real loader, a real DuckDB file.

Every file here is written by the test itself (encoded by hand), loaded by
``pipeline.ingest.inputs``, and modelled by the staging SQL of the registry.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.build import build_all
from pipeline.ingest.inputs import ingest_business_inputs
from pipeline.ingest.inputs_schema import INPUT_NAMES, INPUTS
from pipeline.model_registry import MODELS
from pipeline.quality.gx_runner import validate_table
from pipeline.quality.suites import STAGING_SUITES, staging_campaigns_suite
from pipeline.scaffold import BUSINESS_INPUTS
from pipeline.warehouse import connect

TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
STAGING_UNPARTITIONED = [m for m in MODELS if m.schema == "staging" and m.grain is None]


def load(db: Path, folder: Path, now: datetime = NOW):
    """Load the inputs of ``folder`` and build the unpartitioned staging tables; return the connection."""
    conn = connect(db)
    results = {r.input: r for r in ingest_business_inputs(conn, folder, TZ, now)}
    build_all(conn, date(2026, 1, 1), date(2026, 1, 2), TZ, STAGING_UNPARTITIONED)
    return conn, results


def quarantine(conn, name: str) -> dict[str, tuple[str, str]]:
    """location -> (rule, reason) of one input's quarantined rows."""
    return {loc: (rule, reason) for loc, rule, reason in conn.execute(
        "select location, rule, reason from raw.quarantine where entity = $e order by location",
        {"e": f"input:{name}"}).fetchall()}


def status(conn) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in conn.execute(
        "select input, present, status, file_path, rows, quarantined, error from staging.input_status").fetchall()}


# --------------------------------------------------------------------------------------------


def test_contract_matches_the_scaffold_templates():
    # the headers `community-report init` writes are the headers the loader expects, in order
    assert {s.name: [c.name for c in s.columns] for s in INPUTS} == \
        {name: [c for c, _ in cols] for name, cols in BUSINESS_INPUTS.items()}
    sql = (Path(__file__).resolve().parent.parent / "sql" / "staging" / "input_status.sql").read_text("utf-8")
    assert all(f"'{name}'" in sql for name in INPUT_NAMES)
    for name in INPUT_NAMES:
        assert f"staging.{name}" in STAGING_SUITES, name


@pytest.fixture(scope="module")
def sample_inputs(tmp_path_factory):
    from pipeline.sample.generator import generate_sample

    root = tmp_path_factory.mktemp("sample_inputs")
    generate_sample(root, scale="small", seed=7, language="zh")
    truth = json.loads((root / "data" / "sample_truth.json").read_text("utf-8"))
    conn, results = load(root / "w.duckdb", root / "data" / "inputs", now=datetime.now(timezone.utc))
    yield conn, results, truth, root
    conn.close()


def test_sample_inputs_load_with_zero_quarantine(sample_inputs):
    conn, results, truth, root = sample_inputs
    expected = truth["business_inputs_rows"]
    for name in INPUT_NAMES:
        r = results[name]
        if name in expected:
            assert (r.status, r.encoding, r.rows_read, r.rows_loaded, r.rows_quarantined) == \
                ("loaded", "utf-8", expected[name], expected[name], 0), name
            assert conn.execute(f"select count(*) from staging.{name}").fetchone()[0] == expected[name], name
        else:
            assert r.status == "absent", name
    assert conn.execute("select count(*) from raw.quarantine where source = 'business_inputs'").fetchone()[0] == 0
    # the feedback text with a line break and quotes survives, on the line it starts on
    (text, line), = conn.execute("select text, line from staging.feedback where text like '%置顶'").fetchall()
    assert text == '活动很好，但是\n希望提前一周通知，"报名链接"也能放在置顶'
    physical = (root / "data" / "inputs" / "feedback.csv").read_text("utf-8").split("\n")
    assert physical[line - 1].split(",")[0].startswith("FB") and "活动很好，但是" in physical[line - 1]
    # typed columns
    grains = dict(conn.execute("select period_grain, count(*) from staging.goals group by 1").fetchall())
    assert set(grains) == {"monthly"}
    assert conn.execute("select count(*) from staging.content where local_date is null or published_at is null"
                        ).fetchone()[0] == 0
    st = status(conn)
    assert st["identity_map"][:2] == (False, "absent") and st["goals"][:2] == (True, "loaded")


# --------------------------------------------------------------------------------------------
# encodings

STRATEGIES = "date,name,description\n2026-03-01,新人引导私信,新成员加入后由运营私信介绍社区规则\n" \
             "2026-04-15,每周答疑值班,\"志愿者值班，目标 15 分钟内首次回复\"\n"
STRATEGY_ROWS = [(date(2026, 3, 1), "新人引导私信", "新成员加入后由运营私信介绍社区规则"),
                 (date(2026, 4, 15), "每周答疑值班", "志愿者值班，目标 15 分钟内首次回复")]


@pytest.mark.parametrize("codec, expected_encoding", [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("gb18030", "gb18030"),
    ("gbk", "gb18030"),
    ("utf-16", "utf-16"),            # Python writes a BOM
    ("utf-16-le", "utf-16-le"),      # no BOM
    ("utf-16-be", "utf-16-be"),
])
def test_csv_encodings_give_exact_chinese_text(tmp_path, codec, expected_encoding):
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "strategies.csv").write_bytes(STRATEGIES.encode(codec))
    conn, results = load(tmp_path / "w.duckdb", folder)
    assert results["strategies"].encoding == expected_encoding
    assert conn.execute("select date, name, description from staging.strategies order by date").fetchall() \
        == STRATEGY_ROWS
    assert conn.execute("select encoding from raw.input_files where input = 'strategies'").fetchone()[0] \
        == expected_encoding


def test_gb18030_four_byte_characters_and_excel_unicode_text(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    # GB18030 beyond GBK: 𠮷 (U+20BB7) is a four-byte sequence
    (folder / "member_profiles.csv").write_bytes(
        "member,region,gender,age_band,acquisition_channel\nslack_main:U1,𠮷野家,女,25-34,朋友推荐\n"
        .encode("gb18030"))
    # Excel "Unicode text": UTF-16 LE with BOM, tab-separated, CRLF; commas are plain text there
    (folder / "feedback.csv").write_bytes(
        "\ufeffid\tmember\treceived_at\tchannel\tkind\tcategory\trating\tscore\ttext\tstatus\tresolved_at\r\n"
        "F1\tdiscord:42\t2026-03-02 10:00\t问卷\t建议\t活动\t4\t\t希望多办线下活动，最好在周末\topen\t\r\n"
        .encode("utf-16-le"))
    conn, results = load(tmp_path / "w.duckdb", folder)
    assert conn.execute("select member_key, region, gender, acquisition_channel from staging.member_profiles"
                        ).fetchall() == [("slack_main:U1", "𠮷野家", "女", "朋友推荐")]
    assert results["feedback"].encoding == "utf-16"
    assert conn.execute("select feedback_id, channel, kind, category, rating, text, received_at from staging.feedback"
                        ).fetchall() == [("F1", "问卷", "suggestion", "活动", 4.0, "希望多办线下活动，最好在周末",
                                          datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))]


def test_text_in_an_unknown_encoding_fails_instead_of_mojibake(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "strategies.csv").write_bytes("date,name,description\n2026-03-01,Café,crème brûlée\n".encode("cp1252"))
    conn, results = load(tmp_path / "w.duckdb", folder)
    r = results["strategies"]
    assert r.status == "failed"
    assert r.error == ("strategies.csv line 2: expected text in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, "
                       "found bytes that are none of them (byte 36); save the file as CSV UTF-8")
    assert conn.execute("select count(*) from staging.strategies").fetchone()[0] == 0
    assert status(conn)["strategies"][:2] == (True, "failed")


# --------------------------------------------------------------------------------------------
# XLSX


def _serial(d: date) -> int:
    return (d - date(1899, 12, 30)).days


def test_xlsx_dates_serials_and_scientific_ids(tmp_path):
    import openpyxl

    folder = tmp_path / "inputs"
    folder.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["id", "name", "type", "theme", "start", "end", "registrations", "attendees", "cost"])
    ws.append(["C1", "线上分享会", "线上", "Rust", datetime(2026, 3, 5), _serial(date(2026, 3, 5)), 120, 80, 1500.5])
    ws.append([1.23457e17, "黑客松", "offline", "AI", datetime(2026, 3, 20), datetime(2026, 3, 21), 60, 50, 20000])
    ws.append([None] * 9)                                      # an empty row in the middle
    ws.append([1001, "Meetup", "Offline", None, "2026/3/28", _serial(date(2026, 3, 28)) + 0.75, "40", 35, None])
    wb.save(folder / "campaigns.xlsx")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["period", "metric", "target"])
    ws.append([datetime(2026, 3, 1), "new_members", 50])      # Excel turned "2026-03" into a date
    ws.append(["2026-W10", "avg_dau", 0.6])
    wb.save(folder / "goals.xlsx")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "title", "format", "topic", "published_at", "views", "likes", "comments", "shares"])
    ws.append(["CT1", "Rust 实战", "article", "Rust", datetime(2026, 3, 5, 10, 30), 1000, 50, 5, 3])
    ws.append(["CT2", "直播回放", "video", "AI", _serial(date(2026, 3, 6)) + 0.5, 10, 1, 0, 0])
    wb.save(folder / "content.xlsx")

    conn, results = load(tmp_path / "w.duckdb", folder)
    r = results["campaigns"]
    assert (r.status, r.encoding, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", "xlsx", 3, 2, 1)
    assert conn.execute(
        "select campaign_id, name, type, theme, start_date, end_date, registrations, attendees, cost, line "
        "from staging.campaigns order by line").fetchall() == [
        ("C1", "线上分享会", "online", "Rust", date(2026, 3, 5), date(2026, 3, 5), 120, 80, 1500.5, 2),
        ("1001", "Meetup", "offline", None, date(2026, 3, 28), date(2026, 3, 28), 40, 35, None, 5)]
    assert quarantine(conn, "campaigns") == {"line 3": (
        "scientific_notation_id",
        "campaigns.xlsx line 3: expected an id in column id, found '1.23457E+17', a number Excel turned into "
        "scientific notation (its digits are lost): format the column as Text in Excel, restore the ids and "
        "save again")}
    record = json.loads(conn.execute("select record from raw.quarantine where entity = 'input:campaigns'"
                                     ).fetchone()[0])
    assert record["id"] == "1.23457E+17" and record["name"] == "黑客松"
    assert conn.execute("select period, period_grain, period_start, metric, target from staging.goals order by line"
                        ).fetchall() == [("2026-03", "monthly", date(2026, 3, 1), "new_members", 50.0),
                                         ("2026-W10", "weekly", date(2026, 3, 2), "avg_dau", 0.6)]
    # times without an offset are local (Asia/Shanghai, UTC+8)
    assert conn.execute("select content_id, published_at, local_date from staging.content order by line").fetchall() \
        == [("CT1", datetime(2026, 3, 5, 2, 30, tzinfo=timezone.utc), date(2026, 3, 5)),
            ("CT2", datetime(2026, 3, 6, 4, 0, tzinfo=timezone.utc), date(2026, 3, 6))]


# --------------------------------------------------------------------------------------------
# row rules

GOALS = """\
period,metric,target
2026-03,new_members,50
2026-13,avg_dau,20
2026-W10,messages,
2026-03,new_members,60
2026-03,dau,lots
2025-W53,messages,10
"""

CAMPAIGNS = """\
id,name,type,theme,start,end,registrations,attendees,cost
C1,Meetup,offline,Rust,2026-03-07,2026-03-07,100,120,3000
C2,Webinar,hybrid,AI,2026-03-10,2026-03-10,50,30,0
C3,Camp,online,Go,2026-03-20,2026-03-18,10,5,100
C4,Talk,online,Go,2026-03-21,2026-03-21,-5,0,0
1.23457E+17,Imported,online,Go,2026-03-22,2026-03-22,1,1,1
C6,Fair,offline,Go,2026-02-30,2026-03-01,1,1,1
C7,Sale,线上,,2026-03-01,2026-03-01,"1,200",2.5,-20
"""

# line 2-3: one record over two lines; line 5 is blank
FEEDBACK = """\
id,member,received_at,channel,kind,category,rating,score,text,status,resolved_at
F1,slack_main:U1,2026-03-02 10:00,survey,praise,events,5,,"很好，
下次再来",resolved,2026-03-03 09:00
F2,slack_main:U2,2026-03-02 11:00,dm,rant,events,,,太吵了,open,

F3,slack_main:U3,2026-03-02 12:00,dm,complaint,events,6,,差,open,
F4,slack_main:U4,2026-03-02 13:00,survey,praise,events,,11,好,open,
F5,alice,2026-03-02 14:00,dm,bug,bot,,,bug,open,
F6,slack_main:U6,yesterday,dm,bug,bot,,,bug,open,
F7,slack_main:U7,2026-03-05 10:00,dm,question,bot,,,?,resolved,2026-03-04 10:00
F8,slack_main:U8,2099-01-01 10:00,dm,question,bot,,,?,open,
F9,,2026-03-02T15:00:00+08:00,email,suggestion,events,4,,匿名建议,Open,
F10,slack_main:U9,2026-03-02 16:00,dm,question,bot,,,?,待处理,
"""

PLAN = """\
period,item,owner,due,status,note
2026-03,Write FAQ,Li,2026-03-20,done,
2026-03,Recruit,Wang,2026-03-25,started,
2026-W11,Meetup,Zhao,2026/3/15,进行中,
2026-03,Swag,Li,soon,not started,
"""

PARTICIPANTS = """\
campaign_id,member,attended
C1,slack_main:U1,true
C1,slack_main:U2,maybe
C1,slack_main:U1,false
C1,discord:1.23457E+17,是
"""

COSTS = """\
date,category,amount
2026-03-01,venue,"1,200"
2026/3/2,ads,¥300
2026-03-03,ads,
46085,tools,399
"""


@pytest.fixture()
def rule_breakers(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    for name, text in {"goals": GOALS, "campaigns": CAMPAIGNS, "feedback": FEEDBACK, "plan": PLAN,
                       "campaign_participants": PARTICIPANTS, "costs": COSTS}.items():
        (folder / f"{name}.csv").write_bytes(text.encode("utf-8"))
    conn, results = load(tmp_path / "w.duckdb", folder)
    yield conn, results, folder
    conn.close()


def test_each_rule_breaker_is_quarantined_with_file_and_line(rule_breakers):
    conn, results, _ = rule_breakers
    assert quarantine(conn, "goals") == {
        "line 3": ("unparseable_period", "goals.csv line 3: expected a period YYYY-MM (month) or YYYY-Www (ISO week) "
                                         "in column period, found '2026-13'"),
        "line 4": ("missing_value", "goals.csv line 4: expected a value in column target, found none"),
        "line 5": ("duplicate_key", "goals.csv line 5: expected one row per (period, metric), found "
                                    "'2026-03 / new_members' again (first on line 2)"),
        "line 6": ("invalid_number", "goals.csv line 6: expected a number in column target, found 'lots'"),
        "line 7": ("unparseable_period", "goals.csv line 7: expected a period YYYY-MM (month) or YYYY-Www (ISO week) "
                                         "in column period, found '2025-W53'"),      # 2025 has 52 ISO weeks
    }
    assert quarantine(conn, "campaigns") == {
        "line 3": ("unknown_enum", "campaigns.csv line 3: expected type one of online, offline in column type, "
                                   "found 'hybrid'"),
        "line 4": ("end_before_start", "campaigns.csv line 4: expected end on or after start, found end "
                                       "'2026-03-18' before start '2026-03-20'"),
        "line 5": ("negative_value", "campaigns.csv line 5: expected a value >= 0 in column registrations, "
                                     "found '-5'"),
        "line 6": ("scientific_notation_id", "campaigns.csv line 6: expected an id in column id, found '1.23457E+17', "
                                             "a number Excel turned into scientific notation (its digits are lost): "
                                             "format the column as Text in Excel, restore the ids and save again"),
        "line 7": ("unparseable_date", "campaigns.csv line 7: expected a date YYYY-MM-DD in column start, "
                                       "found '2026-02-30'"),
        "line 8": ("invalid_number", "campaigns.csv line 8: expected a whole number in column attendees, found '2.5'"),
    }
    fb = quarantine(conn, "feedback")
    assert {loc: rule for loc, (rule, _) in fb.items()} == {
        "line 4": "unknown_enum", "line 6": "out_of_range", "line 7": "out_of_range", "line 8": "invalid_member_key",
        "line 9": "unparseable_time", "line 10": "resolved_before_received", "line 11": "time_in_future"}
    assert fb["line 4"][1] == ("feedback.csv line 4: expected kind one of suggestion, complaint, praise, question, "
                               "bug in column kind, found 'rant'")
    assert fb["line 6"][1] == "feedback.csv line 6: expected a rating from 1 to 5 in column rating, found '6'"
    assert fb["line 7"][1] == "feedback.csv line 7: expected a score from 0 to 10 in column score, found '11'"
    assert fb["line 8"][1] == ("feedback.csv line 8: expected a member key <source>:<platform user id> in column "
                               "member, found 'alice'")
    assert fb["line 9"][1] == ("feedback.csv line 9: expected a time YYYY-MM-DD HH:MM[:SS] (local, or with an offset "
                               "such as +08:00) in column received_at, found 'yesterday'")
    assert fb["line 10"][1] == ("feedback.csv line 10: expected resolved_at on or after received_at, found "
                                "resolved_at '2026-03-04 10:00' before received_at '2026-03-05 10:00'")
    assert fb["line 11"][1] == ("feedback.csv line 11: expected a time that has passed in column received_at, "
                                "found '2099-01-01 10:00' (loaded at 2026-11-01 00:00 UTC)")
    assert quarantine(conn, "plan") == {
        "line 3": ("unknown_enum", "plan.csv line 3: expected status one of done, in_progress, not_started, blocked, "
                                   "cancelled in column status, found 'started'"),
        "line 5": ("unparseable_date", "plan.csv line 5: expected a date YYYY-MM-DD in column due, found 'soon'"),
    }
    assert quarantine(conn, "campaign_participants") == {
        "line 3": ("invalid_boolean", "campaign_participants.csv line 3: expected true or false in column attended, "
                                      "found 'maybe'"),
        "line 4": ("duplicate_key", "campaign_participants.csv line 4: expected one row per (campaign_id, member_key), "
                                    "found 'C1 / slack_main:U1' again (first on line 2)"),
        "line 5": ("scientific_notation_id", "campaign_participants.csv line 5: expected an id in column member, "
                                             "found 'discord:1.23457E+17', a number Excel turned into scientific "
                                             "notation (its digits are lost): format the column as Text in Excel, "
                                             "restore the ids and save again"),
    }
    assert quarantine(conn, "costs") == {
        "line 4": ("missing_value", "costs.csv line 4: expected a value in column amount, found none")}
    # read = loaded + quarantined, in the ledger and in the tables
    for name, (read, loaded, quarantined) in {"goals": (6, 1, 5), "campaigns": (7, 1, 6), "feedback": (10, 3, 7),
                                              "plan": (4, 2, 2), "campaign_participants": (4, 1, 3),
                                              "costs": (4, 3, 1)}.items():
        r = results[name]
        assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (read, loaded, quarantined), name
        assert conn.execute(f"select count(*) from staging.{name}").fetchone()[0] == loaded, name
        assert conn.execute("select rows_read, rows_loaded, rows_quarantined from raw.input_files where input = $i",
                            {"i": name}).fetchone() == (read, loaded, quarantined), name


def test_good_rows_are_typed(rule_breakers):
    conn, _, _ = rule_breakers
    assert conn.execute("select feedback_id, member_key, person_key, text, status, local_date, line "
                        "from staging.feedback order by line").fetchall() == [
        ("F1", "slack_main:U1", "slack_main:U1", "很好，\n下次再来", "resolved", date(2026, 3, 2), 2),
        ("F9", None, None, "匿名建议", "open", date(2026, 3, 2), 12),
        ("F10", "slack_main:U9", "slack_main:U9", "?", "open", date(2026, 3, 2), 13)]
    assert conn.execute("select received_at from staging.feedback where feedback_id = 'F9'").fetchone()[0] \
        == datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)
    assert conn.execute("select period, period_grain, period_start, due, status from staging.plan order by line"
                        ).fetchall() == [("2026-03", "monthly", date(2026, 3, 1), date(2026, 3, 20), "done"),
                                         ("2026-W11", "weekly", date(2026, 3, 9), date(2026, 3, 15), "in_progress")]
    # '1,200', '¥300', and an Excel date serial typed into a CSV
    assert conn.execute("select date, category, amount from staging.costs order by line").fetchall() == [
        (date(2026, 3, 1), "venue", 1200.0), (date(2026, 3, 2), "ads", 300.0), (date(2026, 3, 4), "tools", 399.0)]
    assert conn.execute("select campaign_id, registrations, attendees from staging.campaigns").fetchall() == \
        [("C1", 100, 120)]


def test_attendees_above_registrations_is_a_warning_not_a_quarantine(rule_breakers):
    conn, _, _ = rule_breakers
    db = conn.execute("select file from pragma_database_list where name = current_database()").fetchone()[0]
    conn.close()          # GX opens the file itself (as the Dagster checks do, after the asset closed it)
    outcome = validate_table(db, "staging.campaigns", staging_campaigns_suite())
    assert not outcome.passed and not outcome.critical       # WARN: the check does not block
    assert [f["expectation"] for f in outcome.failed] == ["expect_column_pair_values_a_to_be_greater_than_b"]
    for table in ("staging.feedback", "staging.goals", "staging.plan", "staging.costs", "staging.input_status"):
        result = validate_table(db, table, STAGING_SUITES[table]())
        assert result.passed, (table, result.failed, result.errors)


def test_missing_input_is_absent_and_failed_files_are_named(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "goals.csv").write_text("period,metric,target\n2026-03,new_members,50\n2026-03,avg_dau,2,extra\n",
                                      encoding="utf-8")
    (folder / "costs.csv").write_text("day,category,amount\n2026-03-01,ads,100\n", encoding="utf-8")
    (folder / "plan.csv").write_text("period,item,owner,due,status,note\n", encoding="utf-8")
    (folder / "strategies.csv").write_text("date,name,description\n", encoding="utf-8")
    (folder / "Strategies.xlsx").write_bytes(b"")
    (folder / "~$goals.xlsx").write_bytes(b"lock")             # Excel's lock file is ignored
    conn, results = load(tmp_path / "w.duckdb", folder)
    st = status(conn)
    assert st["campaigns"] == (False, "absent", None, 0, 0, None)
    assert st["plan"] == (True, "loaded", "plan.csv", 0, 0, None)          # a header only: present, no rows
    assert st["goals"][:5] == (True, "failed", "goals.csv", 0, 0)
    assert st["goals"][5] == ("goals.csv line 3: expected 3 columns as in the header row, found 4 "
                              "(a value with a comma or line break must be in double quotes)")
    assert st["costs"][5] == ("costs.csv line 1: expected a header row with the columns date, category, amount; "
                              "missing date (found day, category, amount)")
    assert st["strategies"][:2] == (True, "failed")
    assert st["strategies"][5] == ("Strategies.xlsx, strategies.csv: expected one file for input 'strategies', "
                                   "found 2; keep only one of them")
    assert set(st) == set(INPUT_NAMES)
    for name in ("campaigns", "goals", "costs"):
        assert conn.execute(f"select count(*) from staging.{name}").fetchone()[0] == 0


def test_rerun_replaces_and_a_removed_file_becomes_absent(rule_breakers):
    conn, _, folder = rule_breakers

    def snapshot():
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("raw.input_goals", "raw.input_feedback", "raw.quarantine", "raw.input_files")}

    before = snapshot()
    ingest_business_inputs(conn, folder, TZ, NOW)
    ingest_business_inputs(conn, folder, TZ, NOW)
    assert snapshot() == before
    assert before["raw.input_files"] == len(INPUT_NAMES)
    # the team fixes goals.csv and deletes feedback.csv
    (folder / "goals.csv").write_text("period,metric,target\n2026-03,new_members,50\n2026-04,new_members,55\n",
                                      encoding="utf-8")
    (folder / "feedback.csv").unlink()
    ingest_business_inputs(conn, folder, TZ, NOW)
    build_all(conn, date(2026, 1, 1), date(2026, 1, 2), TZ, STAGING_UNPARTITIONED)
    assert conn.execute("select period, target from staging.goals order by line").fetchall() == \
        [("2026-03", 50.0), ("2026-04", 55.0)]
    assert quarantine(conn, "goals") == {} and quarantine(conn, "feedback") == {}
    assert conn.execute("select count(*) from staging.feedback").fetchone()[0] == 0
    assert status(conn)["feedback"][:2] == (False, "absent")
    assert len(quarantine(conn, "campaigns")) == 6                  # other inputs untouched


def test_an_unchanged_input_is_not_loaded_again(rule_breakers):
    """Same file, time zone and loader code: the input keeps its rows and ledger row (its
    loaded_at) and gives the same result. A changed file, another time zone, and an input with a
    row quarantined as time_in_future (the clock decides that rule) are loaded again."""
    conn, first, folder = rule_breakers
    absent = {name for name, r in first.items() if r.status == "absent"}     # no file: rewritten, cheap

    def reloaded_by(*args) -> set[str]:
        before = dict(conn.execute("select input, loaded_at from raw.input_files").fetchall())
        results = {r.input: r for r in ingest_business_inputs(conn, *args)}
        after = dict(conn.execute("select input, loaded_at from raw.input_files").fetchall())
        assert results == first                       # the same results, loaded or not
        return {name for name in after if after[name] != before[name]} - absent

    day = timedelta(days=1)
    assert reloaded_by(folder, TZ, NOW + day) == {"feedback"}           # its line 11 is in the future
    assert quarantine(conn, "feedback")["line 11"][0] == "time_in_future"
    (folder / "goals.csv").write_bytes((folder / "goals.csv").read_bytes() + b"\n")   # same rows, new bytes
    assert reloaded_by(folder, TZ, NOW + 2 * day) == {"feedback", "goals"}
    assert reloaded_by(folder, TZ, NOW + 3 * day) == {"feedback"}
    loaded = {name for name, r in first.items() if r.status == "loaded"}
    assert reloaded_by(folder, "Europe/Berlin", NOW + 4 * day) == loaded    # dates read in another zone
    assert conn.execute("select count(*) from raw.input_signatures").fetchone()[0] == len(loaded)


def test_dagster_asset_loads_inputs_and_runs_checks(tmp_path):
    from pipeline.config import load_config
    from pipeline.definitions import build_definitions

    (tmp_path / "data" / "inputs").mkdir(parents=True)
    (tmp_path / "data" / "inputs" / "goals.csv").write_text("period,metric,target\n2026-03,new_members,50\n"
                                                            "2026-3,avg_dau,x\n", encoding="utf-8-sig")
    (tmp_path / "community.yaml").write_text(
        "community: {name: T, founded: 2026-03-01, timezone: Asia/Shanghai, language: zh}\n"
        "warehouse: data/warehouse.duckdb\nbusiness_inputs: data/inputs\nsources: []\n", encoding="utf-8")
    config = load_config(tmp_path / "community.yaml")
    defs = build_definitions(config)
    key = dg.AssetKey(["raw", "business_inputs"])
    graph = defs.resolve_asset_graph()
    assert graph.get(key).group_name == "raw_business_inputs"
    assert key in graph.get(dg.AssetKey(["staging", "goals"])).parent_keys
    assert key in graph.get(dg.AssetKey(["staging", "members"])).parent_keys
    keys = [key, dg.AssetKey(["staging", "members"]), dg.AssetKey(["staging", "goals"]),
            dg.AssetKey(["staging", "input_status"])]
    result = dg.materialize(list(defs.assets) + list(defs.asset_checks), selection=keys,
                            instance=dg.DagsterInstance.ephemeral(), resources=defs.resources)
    assert result.success
    checks = {e.check_name: (e.passed, e.severity) for e in result.get_asset_check_evaluations()}
    assert checks["raw_business_inputs_files_parsed"][0]
    # 1 of 2 rows quarantined: over the 5 % share, a WARN that does not stop the run
    assert checks["raw_business_inputs_quarantine_share"] == (False, dg.AssetCheckSeverity.WARN)
    assert checks["staging_goals_gx_suite"][0] and checks["staging_input_status_gx_suite"][0]
    conn = duckdb.connect(str(config.warehouse), read_only=True)
    try:
        assert conn.execute("select period, target from staging.goals").fetchall() == [("2026-03", 50.0)]
        assert conn.execute("select reason from raw.quarantine").fetchall() == [
            ("goals.csv line 3: expected a number in column target, found 'x'",)]
        assert conn.execute("select present, rows, quarantined from staging.input_status where input = 'goals'"
                            ).fetchone() == (True, 1, 1)
    finally:
        conn.close()
