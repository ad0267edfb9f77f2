"""Metric definitions of spec §4 on hand-built raw rows, checked against numbers worked out by hand.

Every test writes rows into a real DuckDB warehouse in ``tmp_path`` (``tests/builders.py``), runs
the whole model registry (``pipeline.build.build_all``) for a range of local dates and compares
marts with literal expected values; the comment beside each number says why it is that number.
The community time zone is Asia/Shanghai (UTC+8, no DST); ``at(y, m, d, hh, mm)`` is local time.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.builders import Raw, at, build, by_date, connect, kpis, rows
from pipeline.model_registry import MODELS
from pipeline.build import model_inputs, period_windows
from pipeline.ingest.export_people import summarise
from pipeline.periods import periods_between
from pipeline.sql_runner import SQL_DIR, materialize, materialize_windows

D = date


@pytest.fixture
def conn(tmp_path: Path):
    c = connect(tmp_path / "warehouse.duckdb")
    yield c
    c.close()


# --- local dates -----------------------------------------------------------------------------

def test_time_zone_boundary_splits_one_utc_day_into_two_local_dates(conn):
    raw = Raw(conn)
    raw.message("s", "m1", "u1", at(2025, 3, 3, 23, 59))   # = 2025-03-03 15:59 UTC
    raw.message("s", "m2", "u2", at(2025, 3, 4, 0, 1))     # = 2025-03-03 16:01 UTC, same UTC date
    build(conn, D(2025, 3, 1), D(2025, 3, 10))

    utc_dates = rows(conn, "select distinct cast(timezone('UTC', sent_at) as date) from staging.messages")
    assert utc_dates == [(D(2025, 3, 3),)]
    # two local dates, one message and one active person each; rows only where there is data
    assert by_date(conn, "marts.activity_daily", "dau, wau, messages, posters") == {
        D(2025, 3, 3): (1, 1, 1, 1),
        D(2025, 3, 4): (1, 2, 1, 1),   # WAU on Mar 4 = u1 (Mar 3) + u2 (Mar 4)
    }
    # heatmap on the local clock: Monday 23h and Tuesday 0h
    assert rows(conn, "select date, weekday, hour, messages from marts.activity_heatmap_daily order by date") == [
        (D(2025, 3, 3), 1, 23, 1),
        (D(2025, 3, 4), 2, 0, 1),
    ]


# --- membership: join, leave, rejoin, bots, system messages -----------------------------------

def _membership_data(raw: Raw) -> None:
    # alice: joins Jan 6, leaves Jan 8, rejoins Jan 9 -> joined Jan 6 (earliest join), never left
    raw.event("s", "alice", "join", at(2025, 1, 6, 10))
    raw.event("s", "alice", "leave", at(2025, 1, 8, 9))
    raw.event("s", "alice", "join", at(2025, 1, 9, 11))
    raw.message("s", "a1", "alice", at(2025, 1, 10, 9))
    # bob: join system message + the membership event it records (the adapter contract); leaves for good
    raw.message("s", "sys1", "bob", at(2025, 1, 6, 12), kind="system", system_event="join",
                text="bob joined")
    raw.event("s", "bob", "join", at(2025, 1, 6, 12), via="system_message")
    raw.event("s", "bob", "leave", at(2025, 1, 10, 18))
    # carol: no join event; the user list says she joined Jan 7 20:00 local; first message Jan 9
    raw.user("s", "carol", joined_at=at(2025, 1, 7, 20))
    raw.message("s", "c1", "carol", at(2025, 1, 9, 15))
    # dave (another source): nothing but a message on Jan 11 -> joined by first contribution
    raw.message("t", "d1", "dave", at(2025, 1, 11, 8), channel_id="t1", channel_name="lobby")
    # a bot: join event, messages and a reaction -> never a member, never active
    raw.user("s", "botty", is_bot=True)
    raw.event("s", "botty", "join", at(2025, 1, 7, 9))
    raw.message("s", "b1", "botty", at(2025, 1, 7, 9, 30))
    raw.reaction("s", "c1", "botty")
    # erin: only a leave event, nothing else -> no join date at all, so not a member (not "left")
    raw.event("s", "erin", "leave", at(2025, 1, 9, 8))


def test_join_and_leave_rules_and_daily_growth(conn):
    raw = Raw(conn)
    _membership_data(raw)
    build(conn, D(2025, 1, 1), D(2025, 2, 1))

    assert rows(conn, """select person_key, source, join_date, join_basis, leave_date, first_contribution_date
                         from intermediate.person_lifecycle order by person_key""") == [
        ("s:alice", "s", D(2025, 1, 6), "event", None, D(2025, 1, 10)),      # rejoin cancels the leave
        ("s:bob", "s", D(2025, 1, 6), "event", D(2025, 1, 10), None),        # system message is no contribution
        ("s:carol", "s", D(2025, 1, 7), "platform", None, D(2025, 1, 9)),
        ("t:dave", "t", D(2025, 1, 11), "first_contribution", None, D(2025, 1, 11)),
    ]   # no botty (bot), no erin (no join date)

    # rows Jan 6 (first data) .. Jan 11 (last data), every day in between
    assert by_date(conn, "marts.growth_daily", "new_members, left_members, net_growth, total_members") == {
        D(2025, 1, 6): (2, 0, 2, 2),     # alice, bob
        D(2025, 1, 7): (1, 0, 1, 3),     # carol (platform joined_at); botty is not a member
        D(2025, 1, 8): (0, 0, 0, 3),     # alice's leave is followed by a rejoin: not counted
        D(2025, 1, 9): (0, 0, 0, 3),     # erin's leave: she was never a member
        D(2025, 1, 10): (0, 1, -1, 2),   # bob left for good
        D(2025, 1, 11): (1, 0, 1, 3),    # dave, by first contribution
    }
    # the system message and the bot are not activity
    assert by_date(conn, "marts.activity_daily", "dau, messages, posters, reactions") == {
        D(2025, 1, 6): (0, 0, 0, 0),     # bob's join system message only
        D(2025, 1, 7): (0, 0, 0, 0),     # botty's message
        D(2025, 1, 8): (0, 0, 0, 0),
        D(2025, 1, 9): (1, 1, 1, 0),     # carol (botty's reaction on her message not counted)
        D(2025, 1, 10): (1, 1, 1, 0),    # alice
        D(2025, 1, 11): (1, 1, 1, 0),    # dave
    }
    # per source: a person belongs to the source of their earliest join
    assert rows(conn, """select date, source, new_members, left_members from marts.growth_by_source_daily
                         where new_members + left_members > 0 order by date, source""") == [
        (D(2025, 1, 6), "s", 2, 0),
        (D(2025, 1, 7), "s", 1, 0),
        (D(2025, 1, 10), "s", 0, 1),
        (D(2025, 1, 11), "t", 1, 0),
    ]
    assert rows(conn, "select count(*) from marts.growth_by_source_daily") == [(12,)]   # 6 dates x 2 sources
    assert rows(conn, """select date, source, dau, messages from marts.activity_by_source_daily
                         where dau > 0 order by date, source""") == [
        (D(2025, 1, 9), "s", 1, 1), (D(2025, 1, 10), "s", 1, 1), (D(2025, 1, 11), "t", 1, 1)]

    # cohort of ISO week Jan 6: alice, bob, carol, dave; active that week: alice, carol, dave.
    # Data ends Jan 11, so only week 0 has started.
    assert rows(conn, """select cohort_week, weeks_since, cohort_size, retained, retention_rate
                         from marts.growth_cohorts_weekly""") == [(D(2025, 1, 6), 0, 4, 3, 0.75)]

    assert rows(conn, """select source, platform, channels, members, current_members, bots, messages,
                                first_date, last_date
                         from marts.overview_sources order by source""") == [
        # s: alice, bob, carol are members (bob left); botty is a bot; erin is no member;
        # messages: a1, c1 (sys1 is a system message, b1 a bot's)
        ("s", "canonical", 1, 3, 2, 1, 2, D(2025, 1, 6), D(2025, 1, 10)),
        ("t", "canonical", 1, 1, 1, 0, 1, D(2025, 1, 11), D(2025, 1, 11)),
    ]

    week = kpis(conn, "weekly", D(2025, 1, 6))
    assert week["new_members"] == 4.0          # alice, bob, carol, dave
    assert week["left_members"] == 1.0         # bob
    assert week["net_growth"] == 3.0
    assert week["total_members"] == 3.0        # on Sunday Jan 12: alice, carol, dave
    assert week["messages"] == 3.0             # a1, c1, d1
    assert week["active_members"] == 3.0
    # joined in the week: alice (active day 4), bob (never), carol (day 2), dave (day 0)
    assert week["activation_rate_7d"] == 0.75


# --- what counts as a message, a reaction and activity ----------------------------------------

def test_contributions_bots_system_unknown_reactors_and_duplicate_exports(conn):
    raw = Raw(conn)
    raw.user("s", "b1", is_bot=True)
    # m1 seen in two exports: f2 (loaded later) has the edited text, and its reactions are current
    raw.message("s", "m1", "u1", at(2025, 2, 3, 10), text="draft", file_id="f1", file_seq=1)
    raw.reaction("s", "m1", "u2", file_id="f1", file_seq=1)
    raw.message("s", "m1", "u1", at(2025, 2, 3, 10), text="final!", edited_at=at(2025, 2, 3, 11),
                file_id="f2", file_seq=2)
    raw.reaction("s", "m1", "u2", file_id="f2", file_seq=2)               # u2: reactions only
    raw.reaction("s", "m1", "u1", reaction="heart", file_id="f2", file_seq=2)   # own message: counts
    raw.reaction("s", "m1", None, reaction="fire", count=3, file_id="f2", file_seq=2)   # unknown reactors
    raw.reaction("s", "m1", "b1", reaction="robot", file_id="f2", file_seq=2)  # bot: never counts
    raw.reaction("s", "m1", "u4", reaction="eyes", reacted_at=at(2025, 2, 4, 9), file_id="f2", file_seq=2)
    raw.message("s", "m2", "b1", at(2025, 2, 3, 12), file_id="f2", file_seq=2)         # bot message
    raw.message("s", "m3", "u3", at(2025, 2, 3, 13), kind="system", system_event="pin",
                file_id="f2", file_seq=2)                                              # system message
    build(conn, D(2025, 2, 1), D(2025, 3, 1))

    assert by_date(conn, "marts.activity_daily", "dau, wau, mau, messages, posters, reactions") == {
        # u1 (message + reaction) and u2 (reaction only); m1 once; reactions u2 1 + u1 1 + unknown 3
        D(2025, 2, 3): (2, 2, 2, 1, 1, 5),
        # u4's reaction carries its own time: dated Feb 4, makes u4 active
        D(2025, 2, 4): (1, 3, 3, 0, 0, 1),
    }
    assert rows(conn, """select person_key, local_date, messages, reactions from intermediate.person_days
                         order by local_date, person_key""") == [
        ("s:u1", D(2025, 2, 3), 1, 1), ("s:u2", D(2025, 2, 3), 0, 1), ("s:u4", D(2025, 2, 4), 0, 1)]
    assert rows(conn, """select date, channel_id, messages, top_level_messages, replies, posters, text_chars
                         from marts.content_channel_daily""") == [
        (D(2025, 2, 3), "c1", 1, 1, 0, 1, 6)]          # "final!" = 6 characters: the edited version
    assert rows(conn, "select message_key, replies, reactions, text_preview from marts.interaction_threads") == [
        ("s:m1", 0, 6, "final!")]                      # 5 on Feb 3 + u4's on Feb 4; not the bot's


# --- DAU / WAU / MAU windows and their edges --------------------------------------------------

def test_wau_and_mau_window_edges(conn):
    raw = Raw(conn)
    d = D(2025, 4, 30)                                  # the day under test (a Wednesday)
    raw.message("s", "m0", "p_day", at(2025, 4, 30))    # d
    raw.message("s", "m6", "p6", at(2025, 4, 24))       # d - 6: inside WAU and MAU
    raw.message("s", "m7", "p7", at(2025, 4, 23))       # d - 7: outside WAU, inside MAU
    raw.message("s", "m29", "p29", at(2025, 4, 1))      # d - 29: inside MAU
    raw.message("s", "m30", "p30", at(2025, 3, 31))     # d - 30: outside MAU
    build(conn, D(2025, 3, 1), D(2025, 5, 1))

    daily = by_date(conn, "marts.activity_daily", "dau, wau, mau")
    assert daily[d] == (1, 2, 4)                        # wau: p_day, p6; mau: p_day, p6, p7, p29
    assert daily[D(2025, 4, 29)] == (0, 2, 4)           # wau: p7, p6; mau: p30 .. p6 (p30 on day - 29)
    assert min(daily) == D(2025, 3, 31) and max(daily) == d and len(daily) == 31

    month = kpis(conn, "monthly", D(2025, 4, 1))
    assert month["wau"] == 2.0 and month["mau"] == 4.0  # the values on Apr 30
    assert month["active_members"] == 4.0               # p29, p7, p6, p_day (p30 was active in March)
    assert month["avg_dau"] == pytest.approx(4 / 30)    # four days with DAU 1 over April's 30 days
    # DAU/MAU: Apr 1 1/2 (p29; p30 still in MAU), Apr 23 1/3, Apr 24 1/4, Apr 30 1/4, other days 0
    assert month["stickiness"] == pytest.approx((1 / 2 + 1 / 3 + 1 / 4 + 1 / 4) / 30)
    quiet_week = kpis(conn, "weekly", D(2025, 3, 24))   # no activity within 30 days of it
    assert quiet_week["avg_dau"] == 0.0 and quiet_week["stickiness"] is None   # all days MAU = 0


# --- activation, churn, stickiness -------------------------------------------------------------

def test_activation_within_days_0_to_6(conn):
    raw = Raw(conn)
    for person, joined, contributed in [
        ("a0", at(2025, 5, 5, 9), at(2025, 5, 5, 20)),    # day 0 (the join date itself): activated
        ("a6", at(2025, 5, 5, 9), at(2025, 5, 11, 23)),   # day 6: activated
        ("a7", at(2025, 5, 5, 9), at(2025, 5, 12, 0, 1)), # day 7: not activated
        ("aP", at(2025, 5, 11, 9), at(2025, 5, 17, 12)),  # joined on the week's last day, day 6 in next week
        ("aN", at(2025, 5, 6, 9), None),                  # never contributes
    ]:
        raw.event("s", person, "join", joined)
        if contributed:
            raw.message("s", f"m_{person}", person, contributed)
    build(conn, D(2025, 5, 1), D(2025, 5, 20))

    week = kpis(conn, "weekly", D(2025, 5, 5))
    assert week["new_members"] == 5.0
    assert week["activated_members"] == 3.0             # a0, a6, aP
    assert week["activation_rate_7d"] == 0.6            # 3 / 5
    assert kpis(conn, "weekly", D(2025, 5, 12))["activation_rate_7d"] is None   # nobody joined: NULL, not 0


def test_churn_and_stickiness_leave_out_days_without_mau(conn):
    raw = Raw(conn)
    for person in ("c1", "c2", "c3", "c4"):              # week A (Jun 2-8): active on Wed Jun 4
        raw.message("s", f"a_{person}", person, at(2025, 6, 4, 10))
    raw.message("s", "b_c1", "c1", at(2025, 6, 10, 10))  # week B (Jun 9-15): c1 again ...
    raw.message("s", "b_c5", "c5", at(2025, 6, 12, 10))  # ... and a newcomer c5
    build(conn, D(2025, 5, 1), D(2025, 6, 30))

    week_a = kpis(conn, "weekly", D(2025, 6, 2))
    assert week_a["churn_rate"] is None                  # nobody active the week before: NULL
    assert week_a["avg_dau"] == pytest.approx(4 / 7)     # DAU 4 on Jun 4, 0 on the other 6 days
    assert week_a["stickiness"] == pytest.approx(1 / 5)  # Jun 2-3 have MAU 0 (left out); Jun 4 4/4, Jun 5-8 0/4
    week_b = kpis(conn, "weekly", D(2025, 6, 9))
    assert week_b["previously_active_members"] == 4.0
    assert week_b["churned_members"] == 3.0              # c2, c3, c4; c5 is new, not "retained"
    assert week_b["churn_rate"] == 0.75
    assert week_b["active_members"] == 2.0
    assert week_b["stickiness"] == pytest.approx((1 / 4 + 1 / 5) / 7)   # Jun 10 1/4, Jun 12 1/5
    assert week_b["wau"] == 2.0 and week_b["mau"] == 5.0
    assert week_b["messages_per_active_member"] == 1.0


# --- interaction: responses, first response time, connectors ----------------------------------

def _thread_data(raw: Raw) -> None:
    raw.user("s", "bot", is_bot=True)
    # t1: answered by r2 after 30 min (and by r3 later)
    raw.message("s", "t1", "r1", at(2025, 7, 7, 10))
    raw.message("s", "t1a", "r2", at(2025, 7, 7, 10, 30), kind="reply", parent_id="t1")
    raw.message("s", "t1b", "r3", at(2025, 7, 7, 11), kind="reply", parent_id="t1")
    # t2: a self-reply after 5 min does not count; r2 answers after 120 min
    raw.message("s", "t2", "r1", at(2025, 7, 8, 10))
    raw.message("s", "t2a", "r1", at(2025, 7, 8, 10, 5), kind="reply", parent_id="t2")
    raw.message("s", "t2b", "r2", at(2025, 7, 8, 12), kind="reply", parent_id="t2")
    # t3: only a self-reply -> not responded
    raw.message("s", "t3", "r2", at(2025, 7, 9, 10))
    raw.message("s", "t3a", "r2", at(2025, 7, 9, 10, 1), kind="reply", parent_id="t3")
    # t4: answered 7 days and 1 minute later -> not responded (still a reply)
    raw.message("s", "t4", "r3", at(2025, 7, 10, 10))
    raw.message("s", "t4a", "r1", at(2025, 7, 17, 10, 1), kind="reply", parent_id="t4")
    # t5: a bot answers after 10 min (ignored); r1 answers in its thread (no parent) after 1 day
    raw.message("s", "t5", "r3", at(2025, 7, 11, 10))
    raw.message("s", "t5a", "bot", at(2025, 7, 11, 10, 10), kind="reply", parent_id="t5")
    raw.message("s", "t5b", "r1", at(2025, 7, 12, 10), kind="reply", thread_id="t5")
    # a bot's top-level message and a system message: neither is a thread
    raw.message("s", "t6", "bot", at(2025, 7, 11, 12))
    raw.message("s", "t7", "r1", at(2025, 7, 11, 13), kind="system", system_event="rename")


def test_response_rate_first_response_time_and_connectors(conn):
    raw = Raw(conn)
    _thread_data(raw)
    build(conn, D(2025, 7, 1), D(2025, 7, 21))

    assert rows(conn, """select message_key, replies, responded, first_response_minutes
                         from marts.interaction_threads order by message_key""") == [
        ("s:t1", 2, True, 30.0),
        ("s:t2", 2, True, 120.0),       # the self-reply at 10:05 is not the first response
        ("s:t3", 1, False, None),
        ("s:t4", 1, False, None),
        ("s:t5", 1, True, 1440.0),      # thread reply; the bot's reply is neither reply nor response
    ]
    week = kpis(conn, "weekly", D(2025, 7, 7))
    assert week["response_rate"] == 0.6                    # t1, t2, t5 of 5
    assert week["median_first_response_minutes"] == 120.0  # median of 30, 120, 1440
    assert week["top_level_messages"] == 5.0
    assert week["replies"] == 6.0                          # t1a t1b t2a t2b t3a t5b (t4a is next week)
    assert week["replies_per_top_level_message"] == 1.2
    assert week["messages"] == 11.0
    assert rows(conn, """select date, person_key, replied_to_person_key, replies
                         from marts.interaction_connectors_daily order by date, person_key""") == [
        (D(2025, 7, 7), "s:r2", "s:r1", 1),
        (D(2025, 7, 7), "s:r3", "s:r1", 1),
        (D(2025, 7, 8), "s:r2", "s:r1", 1),    # r1's self-reply is not a connection
        (D(2025, 7, 12), "s:r1", "s:r3", 1),
        (D(2025, 7, 17), "s:r1", "s:r3", 1),
    ]


# --- date axis and idempotency ------------------------------------------------------------------

def _skewed_thread(raw: Raw) -> None:
    raw.message("s", "p1", "u1", at(2025, 7, 10, 10))
    raw.message("s", "early", "u2", at(2025, 7, 8, 9), kind="reply", parent_id="p1")   # 2 days before p1
    raw.message("s", "skew", "u3", at(2025, 7, 9, 23), kind="reply", parent_id="p1")   # 11 h before: a clock
    raw.message("s", "late", "u2", at(2025, 7, 12, 10), kind="reply", parent_id="p1")  # 2 days after
    raw.reaction("s", "p1", "u4", reacted_at=at(2025, 7, 7, 10))       # 3 days before p1
    raw.reaction("s", "p1", "u5", reacted_at=at(2025, 7, 9, 20))       # the day before
    raw.reaction("s", "p1", None, count=2)                             # no time: dated by p1


def test_replies_and_reactions_dated_before_their_message_count_the_same_built_daily_or_at_once(tmp_path):
    """A reply counts when it is dated at most a day before its message (clocks that disagree);
    a reaction timed before its message is dated by the message (staging.reactions). Both hold
    whatever the window: built over the whole range at once, or day by day as daily runs build
    it (each day's build rewrites the 7 days before it: the late reply of 07-12 reaches p1 of
    07-10; a reaction of 07-09 on p1 used to be staged with 07-09, before p1 was, and lost).
    p1: replies = skew + late (early is 2 days before); responded by late after 2 days (2880 min;
    skew precedes p1: no response); reactions = u4 + u5 + the 2 undated, all dated 07-10. The
    strategy section's response rate of 07-10 follows."""
    results = []
    for name, windows in (("range", [(D(2025, 7, 7), D(2025, 7, 14))]),
                          ("daily", [(D(2025, 7, d), D(2025, 7, d + 1)) for d in range(7, 14)])):
        conn = connect(tmp_path / f"{name}.duckdb")
        _skewed_thread(Raw(conn))
        for start, end in windows:
            build(conn, start, end)
        results.append((rows(conn, "select message_key, replies, reactions, responded, first_response_minutes "
                                   "from marts.interaction_threads order by message_key"),
                        rows(conn, "select response_rate from marts.strategy_metrics_daily where date = '2025-07-10'"),
                        rows(conn, "select person_key, cast(local_date as varchar) from staging.reactions "
                                   "order by person_key nulls first")))
        conn.close()
    assert results[0] == results[1] == ([("s:p1", 2, 4, True, 2880.0)], [(1.0,)],
                                        [(None, "2025-07-10"), ("s:u4", "2025-07-10"), ("s:u5", "2025-07-10")])


def test_daily_rows_span_first_to_last_date_with_any_data(conn):
    raw = Raw(conn)
    raw.event("s", "x", "join", at(2025, 8, 5, 9))                 # first data: an event
    raw.message("s", "m1", "x", at(2025, 8, 9, 9))
    raw.reaction("s", "m1", "y", reacted_at=at(2025, 8, 12, 9))     # last data: a timed reaction
    build(conn, D(2025, 8, 1), D(2025, 9, 1))

    expected = [D(2025, 8, d) for d in range(5, 13)]               # Aug 5 .. Aug 12, gaps included
    assert list(by_date(conn, "marts.activity_daily", "dau")) == expected
    assert list(by_date(conn, "marts.growth_daily", "total_members")) == expected
    assert by_date(conn, "marts.activity_daily", "dau")[D(2025, 8, 7)] == 0

    # a partition inside the span still gets its rows; one outside gets none
    build(conn, D(2025, 8, 7), D(2025, 8, 8))
    build(conn, D(2025, 8, 20), D(2025, 8, 21))
    assert list(by_date(conn, "marts.activity_daily", "dau")) == expected


def test_empty_warehouse_has_no_daily_rows(conn):
    Raw(conn)
    build(conn, D(2025, 8, 1), D(2025, 8, 8))
    assert rows(conn, "select count(*) from marts.activity_daily") == [(0,)]
    assert rows(conn, "select count(*) from marts.growth_daily") == [(0,)]
    assert kpis(conn, "weekly", D(2025, 8, 4))["response_rate"] is None


_MY_TABLES = [spec.relation for spec in MODELS if spec.schema in ("intermediate", "marts")]


def _snapshot(conn) -> dict[str, list[tuple]]:
    return {t: sorted(conn.execute(f"select * from {t}").fetchall(), key=repr) for t in _MY_TABLES}


def test_rebuilds_replace_and_never_duplicate(conn):
    raw = Raw(conn)
    _membership_data(raw)
    _thread_data(raw)
    build(conn, D(2024, 12, 20), D(2025, 7, 25))
    first = _snapshot(conn)
    assert all(first[t] for t in ("marts.activity_daily", "marts.kpis_weekly", "marts.kpis_monthly"))

    build(conn, D(2024, 12, 20), D(2025, 7, 25))       # the same range again
    assert _snapshot(conn) == first
    build(conn, D(2025, 1, 8), D(2025, 1, 12))         # a sub-range again (partial week)
    build(conn, D(2025, 7, 10), D(2025, 7, 15))
    assert _snapshot(conn) == first


def test_period_windows_built_in_one_call_as_one_call_per_period(conn):
    """A period model's windows in one call (the model planned and its table checked once, as a
    backfill of weeks builds them) give the rows of one ``materialize`` per period, and the
    metadata counts the rows written across the windows, not only the last window's."""
    raw = Raw(conn)
    _membership_data(raw)
    _thread_data(raw)
    build(conn, D(2024, 12, 20), D(2025, 7, 25))
    spec = next(s for s in MODELS if s.relation == "marts.kpis_weekly")
    extra, fragments = model_inputs("Asia/Shanghai")
    weeks = periods_between("weekly", D(2025, 1, 6), D(2025, 1, 26))
    assert len(weeks) == 3
    for week in weeks:           # the independent path: one call per period
        materialize(conn, spec.model, period_start=week.start, period_end=week.end,
                    extra={**extra, "grain": "weekly", "period_key": week.key}, fragments=fragments)
    per_period = sorted(conn.execute("select * from marts.kpis_weekly").fetchall(), key=repr)
    conn.execute("delete from marts.kpis_weekly where period_start >= '2025-01-06' and period_start < '2025-01-27'")

    meta = materialize_windows(conn, spec.model, period_windows("weekly", weeks, extra), fragments=fragments)
    assert sorted(conn.execute("select * from marts.kpis_weekly").fetchall(), key=repr) == per_period
    in_weeks = rows(conn, "select count(*) from marts.kpis_weekly "
                          "where period_start >= '2025-01-06' and period_start < '2025-01-27'")[0][0]
    one_week = rows(conn, "select count(*) from marts.kpis_weekly where period_start = '2025-01-20'")[0][0]
    assert meta["window_rows"] == in_weeks == 3 * one_week > 0
    assert meta["total_rows"] == rows(conn, "select count(*) from marts.kpis_weekly")[0][0] > in_weeks
    assert meta["columns"] == rows(conn, "select column_name, column_type from (describe marts.kpis_weekly)")
    with pytest.raises(ValueError, match="no window"):
        materialize_windows(conn, spec.model, [], fragments=fragments)


def test_period_windows_after_the_first_are_replaced_two_at_a_time(conn, monkeypatch):
    """The windows after the first run in two lanes (a second connection on a thread): the
    rebuilt table equals the one built window by window, and both lanes took windows."""
    import threading
    import time

    from pipeline import sql_runner

    raw = Raw(conn)
    _membership_data(raw)
    _thread_data(raw)
    build(conn, D(2024, 12, 20), D(2025, 7, 25))
    expected = sorted(conn.execute("select * from marts.kpis_weekly").fetchall(), key=repr)
    spec = next(s for s in MODELS if s.relation == "marts.kpis_weekly")
    extra, fragments = model_inputs("Asia/Shanghai")
    weeks = periods_between("weekly", D(2025, 1, 6), D(2025, 3, 16))
    assert len(weeks) == 10
    threads = []
    replace = sql_runner._replace_window

    def spy(*args):
        threads.append(threading.get_ident())
        time.sleep(0.02)                    # long enough for the second lane to take windows too
        return replace(*args)

    monkeypatch.setattr(sql_runner, "_replace_window", spy)
    meta = materialize_windows(conn, spec.model, period_windows("weekly", weeks, extra), fragments=fragments)
    assert len(threads) == 10 and len(set(threads)) == 2
    assert sorted(conn.execute("select * from marts.kpis_weekly").fetchall(), key=repr) == expected
    assert meta["window_rows"] == rows(conn, "select count(*) from marts.kpis_weekly "
                                             "where period_start >= '2025-01-06' and period_start < '2025-03-17'")[0][0]


# DuckDB 2.0.0 lost a window created and filled in one transaction (>= 122,880 rows):
# pipeline/sql_runner.py creates the table before the window transaction.
def test_first_build_of_a_big_window_is_not_lost(conn):
    Raw(conn)
    n = 130_000                                   # more than one DuckDB row group (122,880 rows)
    conn.execute("""insert into raw.messages by name
                    select 's' as source, 'canonical' as platform, 'f1' as file_id, 'f1.csv' as file_path,
                           1 as file_seq, cast(i as varchar) as location, date '2025-09-01' as local_date,
                           cast(i as varchar) as message_id, 'c1' as channel_id, 'u' || (i % 100) as author_id,
                           'message' as kind, timestamptz '2025-09-01 04:00:00+00' as sent_at
                    from range($n) as t (i)""", {"n": n})
    summarise(conn)                               # as the loader does (export_people.py)
    build(conn, D(2025, 9, 1), D(2025, 9, 2))
    assert by_date(conn, "marts.activity_daily", "dau, messages") == {D(2025, 9, 1): (100, n)}


def test_a_table_built_by_an_older_model_is_brought_up_to_date_over_its_whole_history(conn, caplog):
    """A warehouse built before a model's columns changed (an upgrade): the next run, even of a
    single day, gives the table the model's columns and rebuilds every date it held (in one
    transaction, more than one DuckDB row group of history), exactly as a fresh build would."""
    raw = Raw(conn)
    n = 130_000
    conn.execute("""insert into raw.messages by name
                    select 's' as source, 'canonical' as platform, 'f1' as file_id, 'f1.csv' as file_path,
                           1 as file_seq, cast(i as varchar) as location, date '2025-09-01' as local_date,
                           cast(i as varchar) as message_id, 'c1' as channel_id, 'u' || (i % 100) as author_id,
                           'message' as kind, timestamptz '2025-09-01 04:00:00+00' as sent_at,
                           case i % 4 when 0 then 'hi' when 1 then '  ' when 2 then '' end as text
                    from range($n) as t (i)""", {"n": n})
    summarise(conn)                               # as the loader does (export_people.py)
    raw.message("s", "late", "u1", at(2025, 9, 3), text="   ")
    build(conn, D(2025, 9, 1), D(2025, 9, 4))
    names = ", ".join(r[0] for r in rows(conn, "describe staging.messages"))
    fresh = sorted(conn.execute(f"select {names} from staging.messages").fetchall(), key=repr)
    # what an earlier version left: no has_text, a column the model no longer selects, text_length of another type
    conn.execute("alter table staging.messages drop column has_text")
    conn.execute("alter table staging.messages add column obsolete varchar")
    conn.execute("alter table staging.messages alter column text_length type integer")
    conn.execute("alter table marts.kpis_weekly add column obsolete varchar")

    build(conn, D(2025, 9, 3), D(2025, 9, 4))              # one day
    assert sorted(conn.execute(f"select {names} from staging.messages").fetchall(), key=repr) == fresh
    columns = dict(rows(conn, "select column_name, data_type from information_schema.columns "
                              "where table_schema = 'staging' and table_name = 'messages'"))
    assert "obsolete" not in columns and columns["has_text"] == "BOOLEAN" and columns["text_length"] == "BIGINT"
    # 'hi' every 4th message of the 130,000; '  ', '', NULL and '   ' carry no text
    assert rows(conn, "select local_date, count(*) filter (has_text), count(*) filter (not has_text) "
                      "from staging.messages group by all order by 1") == [
        (D(2025, 9, 1), n // 4, n - n // 4), (D(2025, 9, 3), 0, 1)]
    # a period model builds one period per call: its other periods are not rebuilt, and the log says so
    assert "obsolete" not in [r[0] for r in rows(conn, "describe marts.kpis_weekly")]
    assert "marts.kpis_weekly: its columns changed" in caplog.text


def test_a_message_has_text_when_it_has_something_besides_white_space(conn):
    """staging.messages.has_text: white space of any kind is no text: tabs and line breaks, the
    ideographic space U+3000 (Chinese input methods), no-break spaces, zero-width spaces."""
    raw = Raw(conn)
    texts = {"plain": "hi", "padded": " \t好 ", "spaces": "   ", "tabs": "\t\n\r\n", "ideographic": "\u3000\u3000",
             "nbsp": "\u00a0 \u202f", "zero_width": "\u200b\ufeff", "empty": "", "none": None, "emoji": "\u3000👍"}
    for message_id, text in texts.items():
        raw.message("s", message_id, "u1", at(2025, 9, 1), text=text)
    build(conn, D(2025, 9, 1), D(2025, 9, 2))
    assert dict(rows(conn, "select message_key, has_text from staging.messages")) == {
        "s:plain": True, "s:padded": True, "s:emoji": True, "s:spaces": False, "s:tabs": False,
        "s:ideographic": False, "s:nbsp": False, "s:zero_width": False, "s:empty": False, "s:none": False}


def test_daily_tables_are_written_in_date_order(conn):
    """Rows of a clustered daily table (sql_runner.SqlModel.clustered) are stored in the order of
    its time column, so a period's query reads only that period's row groups: raw rows loaded
    newest day first come out oldest day first (staging.messages, not clustered, keeps load order)."""
    Raw(conn)
    n = 150_000
    conn.execute("""insert into raw.messages by name
                    select 's' as source, 'canonical' as platform, 'f1' as file_id, 'f1.csv' as file_path,
                           1 as file_seq, cast(i as varchar) as location,
                           date '2025-09-10' - cast(i // 15000 as integer) as local_date,
                           cast(i as varchar) as message_id, 'c1' as channel_id, 'u' || (i % 997) as author_id,
                           'message' as kind, 'hi' as text,
                           timestamptz '2025-09-10 04:00:00+00' - to_days(cast(i // 15000 as integer)) as sent_at
                    from range($n) as t (i)""", {"n": n})
    summarise(conn)                               # as the loader does (export_people.py)
    build(conn, D(2025, 9, 1), D(2025, 9, 11))

    def out_of_order(table: str, column: str) -> int:
        return rows(conn, f"select count(*) from (select {column} < lag({column}) over (order by rowid) as back "
                          f"from {table}) where back")[0][0]

    checked = []
    for spec in MODELS:
        if spec.grain == "daily" and spec.model.clustered and rows(conn, f"select count(*) from {spec.relation}")[0][0] > 1:
            assert out_of_order(spec.relation, spec.time_column) == 0, spec.relation
            checked.append(spec.relation)
    assert "intermediate.person_days" in checked
    assert rows(conn, "select count(*) from intermediate.person_days")[0][0] == 10 * 997
    assert out_of_order("staging.messages", "local_date") > 0        # not clustered: newest day first, as loaded


def test_mart_columns_match_the_contract(conn):
    Raw(conn)
    build(conn, D(2025, 8, 1), D(2025, 8, 2))

    def columns(table: str) -> list[str]:
        return [r[0] for r in rows(conn, f"select column_name from information_schema.columns "
                                         f"where table_schema || '.' || table_name = '{table}' order by ordinal_position")]

    assert columns("marts.activity_daily")[:7] == ["date", "dau", "wau", "mau", "messages", "posters", "reactions"]
    assert columns("marts.growth_daily") == ["date", "new_members", "left_members", "net_growth", "total_members"]
    assert columns("marts.kpis_weekly") == columns("marts.kpis_monthly") == [
        "period_start", "period_end", "grain", "period_key", "metric", "value"]


def test_kpi_models_share_one_sql_body():
    weekly = (SQL_DIR / "marts/kpis/kpis_weekly.sql").read_text(encoding="utf-8")
    monthly = (SQL_DIR / "marts/kpis/kpis_monthly.sql").read_text(encoding="utf-8")
    assert weekly == monthly


def test_sql_fragments_are_expanded_and_required():
    from pipeline.build import model_inputs
    from pipeline.sql_runner import expand

    assert expand("select {{ cols }} from t -- {{cols}}", {"cols": "a, b"}) == "select a, b from t -- a, b"
    with pytest.raises(KeyError, match="fragments \\['cols'\\]"):
        expand("select {{ cols }} from t", {})
    # the interest-tag fragment names parameters only: the patterns (member-configured text) are bound
    params, fragments = model_inputs("UTC", {"x": ["it's 'quoted'"], "y": ["大模型"]})
    assert fragments == {"tag_flags": "(case when regexp_matches(text, $tag_any) then cast([regexp_matches(text, $tag_0), "
                                      "regexp_matches(text, $tag_1)] as boolean[]) else cast([false, false] as boolean[]) end)"}
    assert params["tag_0"] == "(^|[^a-z0-9_])(?:it's 'quoted')($|[^a-z0-9_])" and params["tag_keys"] == ["x", "y"]
    assert params["tag_any"] == f"(?:{params['tag_0']})|(?:{params['tag_1']})"
