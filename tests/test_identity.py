"""Identity: the identity_map input and shared e-mails / phones merge accounts into persons, and every
person metric counts the person once (exact numbers through pipeline.build.build_all).

Accounts (three sources) and what merges them:

- alice: slack_main:U1 + tg_group:user9 (identity map), discord:111 (same e-mail as U1, other case and
  blanks) -> person:alice
- bob: slack_main:U2 + discord:222 (same phone, written differently) -> discord:222 (smallest key)
- carol: slack_main:U3 + discord:333 (same e-mail), tg_group:user3 (same phone as 333: transitive)
  -> discord:333
- dave slack_main:U4 and erin discord:444 share an e-mail, but the identity map says they are two
  persons: the map wins
- eve: slack_main:U5, nothing shared -> slack_main:U5
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from pipeline.build import build_all
from pipeline.ingest.inputs import ingest_business_inputs
from pipeline.quality.gx_runner import validate_table
from pipeline.quality.suites import STAGING_SUITES
from tests.builders import TZ, Raw, at, by_date, connect

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)

ACCOUNTS = [  # source, user id, name, email, phone
    ("slack_main", "U1", "Alice", "Alice@Example.com", None),
    ("slack_main", "U2", "Bob", None, "+86 138 0013 8000"),
    ("slack_main", "U3", "Carol", "carol@x.com", None),
    ("slack_main", "U4", "Dave", "same@x.com", None),
    ("slack_main", "U5", "Eve", None, None),
    ("discord", "111", "alice_d", " ALICE@example.com ", None),
    ("discord", "222", "bob_d", None, "86-138-0013-8000"),
    ("discord", "333", "carol_d", "carol@x.com", "555-123-4567"),
    ("discord", "444", "erin", "same@x.com", None),
    ("tg_group", "user9", "alice_t", None, None),
    ("tg_group", "user3", "carol_t", None, "(555) 1234567"),
]

IDENTITY_MAP = """\
person,member
alice,slack_main:U1
alice,tg_group:user9
alice,forum:ghost
dave,slack_main:U4
erin,discord:444
"""

PROFILES = """\
member,region,gender,age_band,acquisition_channel
discord:111,上海,女,25-34,朋友推荐
slack_main:U1,北京,,,
forum:ghost,,,18-24,
"""

CONVERSIONS = """\
member,converted_at,type,value
forum:ghost,2026-03-02 12:00,paid,199
slack_main:U5,2026-03-02 13:00,paid,199
forum:nobody,2026-03-02 14:00,paid,199
"""

FEEDBACK = """\
id,member,received_at,channel,kind,category,rating,score,text,status,resolved_at
F1,discord:111,2026-03-02 10:00,dm,praise,events,5,,好,resolved,2026-03-02 11:00
"""


def _user(conn, source: str, user_id: str, name: str, email: str | None, phone: str | None) -> None:
    conn.execute(
        """insert into raw.users by name
           select $s as source, 'canonical' as platform, 'users' as file_id, 'users.csv' as file_path,
                  1 as file_seq, $u as location, $u as user_id, $n as display_name, false as is_bot,
                  false as is_deleted, cast(null as timestamptz) as joined_at, $e as email, $p as phone""",
        {"s": source, "u": user_id, "n": name, "e": email, "p": phone})


def _write_inputs(folder, identity_map: bool = True) -> None:
    folder.mkdir(exist_ok=True)
    files = {"member_profiles.csv": PROFILES, "conversions.csv": CONVERSIONS, "feedback.csv": FEEDBACK}
    if identity_map:
        files["identity_map.csv"] = IDENTITY_MAP
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture()
def warehouse(tmp_path):
    conn = connect(tmp_path / "w.duckdb")
    raw = Raw(conn)
    for source, uid, name, email, phone in ACCOUNTS:
        _user(conn, source, uid, name, email, phone)
        raw.event(source, uid, "join", at(2026, 3, 1, 9))
        raw.message(source, f"m-{uid}", uid, at(2026, 3, 2, 10))      # everyone posts on 03-02
    raw.message("discord", "m-111-b", "111", at(2026, 3, 3, 10))     # alice again on 03-03
    raw.reaction("tg_group", "m-user3", "user9")                      # alice reacts to carol on 03-02
    folder = tmp_path / "inputs"
    _write_inputs(folder)
    ingest_business_inputs(conn, folder, TZ, NOW)
    build_all(conn, date(2026, 3, 1), date(2026, 3, 4), TZ)
    yield conn, tmp_path
    conn.close()


EXPECTED_PERSONS = {
    "slack_main:U1": "person:alice", "tg_group:user9": "person:alice", "discord:111": "person:alice",
    "slack_main:U2": "discord:222", "discord:222": "discord:222",
    "slack_main:U3": "discord:333", "discord:333": "discord:333", "tg_group:user3": "discord:333",
    "slack_main:U4": "person:dave", "discord:444": "person:erin",
    "slack_main:U5": "slack_main:U5",
}


def test_person_keys_from_identity_map_then_email_and_phone(warehouse):
    conn, _ = warehouse
    assert dict(conn.execute("select member_key, person_key from staging.members").fetchall()) == EXPECTED_PERSONS
    assert conn.execute("select person_key, member_key, basis from staging.identity_merges "
                        "order by person_key, member_key").fetchall() == [
        ("discord:222", "discord:222", "phone"),
        ("discord:222", "slack_main:U2", "phone"),
        ("discord:333", "discord:333", "email"),
        ("discord:333", "slack_main:U3", "email"),
        ("discord:333", "tg_group:user3", "phone"),
        ("person:alice", "discord:111", "email"),
        ("person:alice", "slack_main:U1", "identity_map"),
        ("person:alice", "tg_group:user9", "identity_map"),
    ]
    # accounts merged away: 8 accounts are 3 persons
    assert conn.execute("select count(*) - count(distinct person_key) from staging.identity_merges").fetchone()[0] == 5
    assert sorted(conn.execute("select person_key, member_key from staging.identity_map").fetchall()) == [
        ("person:alice", "forum:ghost"), ("person:alice", "slack_main:U1"), ("person:alice", "tg_group:user9"),
        ("person:dave", "slack_main:U4"), ("person:erin", "discord:444")]


def test_person_metrics_count_each_person_once(warehouse):
    conn, _ = warehouse
    # 03-02: 11 accounts post (and user9 reacts) = 6 persons: alice, bob, carol, dave, erin, eve
    assert by_date(conn, "marts.activity_daily", "dau, messages, posters") == {
        date(2026, 3, 1): (0, 0, 0), date(2026, 3, 2): (6, 11, 6), date(2026, 3, 3): (1, 1, 1)}
    # 11 accounts joined on 03-01: 6 persons
    assert by_date(conn, "marts.growth_daily", "new_members, total_members") == {
        date(2026, 3, 1): (6, 6), date(2026, 3, 2): (0, 6), date(2026, 3, 3): (0, 6)}
    assert conn.execute("select count(distinct person_key) from staging.messages").fetchone()[0] == 6


def test_profiles_and_inputs_follow_the_person(warehouse):
    conn, _ = warehouse
    rows = {r[0]: r[1:] for r in conn.execute(
        "select member_key, region, gender, age_band, acquisition_channel from staging.members").fetchall()}
    assert rows["discord:111"] == ("上海", "女", "25-34", "朋友推荐")        # its own row
    assert rows["slack_main:U1"] == ("北京", "女", "25-34", "朋友推荐")      # own region, the rest from alice
    assert rows["tg_group:user9"] == ("上海", "女", "25-34", "朋友推荐")     # all from alice's other accounts
    assert rows["slack_main:U5"] == (None, None, None, None)
    assert conn.execute("select member_key, person_key from staging.conversions order by line").fetchall() == [
        ("forum:ghost", "person:alice"), ("slack_main:U5", "slack_main:U5"), ("forum:nobody", "forum:nobody")]
    assert conn.execute("select person_key from staging.feedback").fetchall() == [("person:alice",)]


def test_identity_suites_pass(warehouse):
    conn, tmp_path = warehouse
    conn.close()          # GX opens the file itself (as the Dagster checks do, after the asset closed it)
    for table in ("staging.members", "staging.identity_merges", "staging.identity_map", "staging.conversions"):
        outcome = validate_table(str(tmp_path / "w.duckdb"), table, STAGING_SUITES[table]())
        assert outcome.passed, (table, outcome.failed, outcome.errors)


def test_without_the_identity_map_email_and_phone_still_merge(warehouse):
    conn, tmp_path = warehouse
    (tmp_path / "inputs" / "identity_map.csv").unlink()
    ingest_business_inputs(conn, tmp_path / "inputs", TZ, NOW)
    build_all(conn, date(2026, 3, 1), date(2026, 3, 4), TZ)
    persons = dict(conn.execute("select member_key, person_key from staging.members").fetchall())
    assert persons == {**EXPECTED_PERSONS,
                       "slack_main:U1": "discord:111", "discord:111": "discord:111",
                       "tg_group:user9": "tg_group:user9",
                       "slack_main:U4": "discord:444", "discord:444": "discord:444"}
    assert conn.execute("select basis, count(*) from staging.identity_merges group by 1 order by 1").fetchall() == [
        ("email", 6), ("phone", 3)]
    # alice (U1 + 111), user9, bob, carol, dave+erin, eve
    assert by_date(conn, "marts.activity_daily", "dau")[date(2026, 3, 2)] == 6


def test_report_says_how_many_accounts_were_merged(warehouse):
    """Overview: 8 accounts in 3 persons (alice 3, bob 2, carol 3), so person counts are 5 lower; by
    basis: identity map U1 + user9 (alice), e-mail 111 (alice) + U3 + 333 (carol), phone U2 + 222
    (bob) + user3 (carol). dave and erin are one account each: not merged."""
    from pipeline.periods import period_containing
    from pipeline.report.i18n import Formatter
    from pipeline.report.sections import SectionContext
    from pipeline.report.sections.extras import extra_blocks

    conn, _ = warehouse
    ctx = SectionContext(conn=conn, config=None, period=period_containing("weekly", date(2026, 3, 2)), data=None,
                         f=Formatter("en"))
    blocks, kpis = extra_blocks(ctx, "overview")
    assert (kpis["accounts_merged"].value, kpis["merged_persons"].value) == (5, 3)
    (block,) = blocks
    assert block.title == ("Accounts merged across platforms: 8 accounts belong to 3 persons, so person counts "
                           "are 5 lower than account counts")
    # basis, accounts, persons, accounts merged away, sources
    assert block.table.rows == [["Total", "8", "3", "5", "3"],
                                ["shared e-mail", "3", "2", "1", "2"],
                                ["shared phone", "3", "2", "1", "3"],
                                ["identity map", "2", "1", "1", "2"]]
    conn.execute("delete from staging.members where person_key <> member_key")   # nobody merged any more
    conn.execute("create or replace table staging.identity_merges as select * from staging.identity_merges limit 0")
    (block,), kpis = extra_blocks(ctx, "overview")
    assert block.kind == "empty" and kpis["accounts_merged"].value == 0
