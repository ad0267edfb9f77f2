"""The whole pipeline through `community-report run`, on a hand-built canonical dataset.

Every expected number below is computed by hand from the rows written here (comments say
how), following product.md §4. This is the path the independent checker uses: exports in a
landing folder -> `community-report run` -> marts.activity_daily / marts.growth_daily /
metrics.json.
"""

from __future__ import annotations

import json
from datetime import date as D, timedelta
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

MEMBERS = """\
member_key,display_name,is_bot
alice,Alice,false
bob,Bob,false
carol,Carol,false
dave,Dave,false
bot1,HelperBot,true
"""

EVENTS = """\
person_key,event,occurred_at,channel_id
alice,join,2026-03-02 10:00:00+08:00,general
bob,join,2026-03-02T15:30:00Z,general
carol,join,2026-03-03 09:00:00+08:00,general
carol,leave,2026-03-05 12:00:00+08:00,general
carol,join,2026-03-06 08:00:00+08:00,general
dave,join,2026-03-04 10:00:00+08:00,general
dave,leave,2026-03-07 10:00:00+08:00,general
bot1,join,2026-03-02 12:00:00+08:00,general
"""

# m5 appears in both files: the later file's edited text wins, counted once.
MESSAGES_A = """\
message_key,channel_id,author_key,sent_at,kind,parent_key,text,is_edited
m1,general,alice,2026-03-02T15:59:00Z,message,,hello <b>world</b>,false
m2,general,bob,2026-03-02T16:01:00Z,reply,m1,hi alice,false
m3,general,bot1,2026-03-03 10:00:00+08:00,message,,I am a bot,false
m4,general,alice,2026-03-03 11:00:00+08:00,system,,Alice pinned a message,false
m5,general,carol,2026-03-04 09:00:00+08:00,message,,first version,false
"""
MESSAGES_B = """\
message_key,channel_id,author_key,sent_at,kind,parent_key,text,is_edited
m5,general,carol,2026-03-04 09:00:00+08:00,message,,edited version,true
m6,general,carol,2026-03-04 09:30:00+08:00,reply,m5,answering myself,false
m7,general,eve,2026-03-05 10:00:00+08:00,message,,你好，我是新来的,false
m8,general,bob,2026-03-08 10:00:00+08:00,message,,weekend post,false
"""

REACTIONS = """\
message_key,person_key,reaction,reacted_at,count
m1,dave,thumbsup,,1
m5,,heart,,3
m3,alice,eyes,2026-03-06 10:00:00+08:00,1
"""


def write_project(root: Path) -> Path:
    landing = root / "data" / "landing" / "forum"
    landing.mkdir(parents=True)
    (landing / "members.csv").write_text(MEMBERS, encoding="utf-8")
    (landing / "membership_events.csv").write_text(EVENTS, encoding="utf-8")
    (landing / "messages_a.csv").write_text(MESSAGES_A, encoding="utf-8")
    (landing / "messages_b.csv").write_text(MESSAGES_B, encoding="utf-8")
    (landing / "reactions.csv").write_text(REACTIONS, encoding="utf-8")
    config = root / "community.yaml"
    config.write_text(textwrap.dedent("""\
        community:
          name: Test community
          founded: 2026-03-01
          audience: testers
          timezone: Asia/Shanghai
          language: en
        warehouse: data/warehouse.duckdb
        reports_dir: reports
        sources:
          - {name: forum, platform: canonical, path: data/landing/forum}
        business_inputs: data/inputs
        """), encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    config = write_project(root)
    assert main(["run", "--config", str(config)]) == 0
    return root, config


def query(root: Path, sql: str):
    conn = duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_activity_daily_exact(project):
    root, _ = project
    rows = query(root, "select cast(date as varchar), dau, wau, mau, messages, posters, reactions "
                       "from marts.activity_daily order by date")
    assert rows == [
        # 03-02: m1 (alice, 23:59 local) + dave's reaction on m1 (dated by m1) -> alice, dave
        ("2026-03-02", 2, 2, 2, 1, 1, 1),
        # 03-03: m2 (bob, 00:01 local; the same UTC date as m1); m3 bot and m4 system do not count
        ("2026-03-03", 1, 3, 3, 1, 1, 0),
        # 03-04: m5 + m6 by carol; unknown reactor x3 on m5 adds reactions, nobody active
        ("2026-03-04", 1, 4, 4, 2, 1, 3),
        # 03-05: m7 by eve (no member row, no join event)
        ("2026-03-05", 1, 5, 5, 1, 1, 0),
        # 03-06: alice's timed reaction on the bot's m3
        ("2026-03-06", 1, 5, 5, 0, 0, 1),
        # 03-07: only dave's leave event
        ("2026-03-07", 0, 5, 5, 0, 0, 0),
        # 03-08: m8 by bob
        ("2026-03-08", 1, 5, 5, 1, 1, 0),
    ]


def test_growth_daily_exact(project):
    root, _ = project
    rows = query(root, "select cast(date as varchar), new_members, left_members, net_growth, total_members "
                       "from marts.growth_daily order by date")
    assert rows == [
        ("2026-03-02", 2, 0, 2, 2),   # alice, bob (23:30 local) join; the bot does not count
        ("2026-03-03", 1, 0, 1, 3),   # carol (her leave on 03-05 is followed by a rejoin: not a leave)
        ("2026-03-04", 1, 0, 1, 4),   # dave
        ("2026-03-05", 1, 0, 1, 5),   # eve: join date = first contribution
        ("2026-03-06", 0, 0, 0, 5),
        ("2026-03-07", 0, 1, -1, 4),  # dave leaves for good
        ("2026-03-08", 0, 0, 0, 4),
    ]


def test_weekly_metrics_json(project):
    root, _ = project
    metrics = json.loads((root / "reports" / "weekly" / "2026-03-02" / "metrics.json").read_text("utf-8"))["metrics"]
    value = {k: v["value"] for k, v in metrics.items()}
    assert value["new_members"] == 5
    assert value["left_members"] == 1
    assert value["net_growth"] == 4
    assert value["total_members"] == 4
    assert value["messages"] == 6                         # m1 m2 m5 m6 m7 m8
    assert value["reactions"] == 5                        # 1 + 3 + 1
    assert value["active_members"] == 5                   # alice bob carol dave eve
    assert value["avg_dau"] == pytest.approx(7 / 7)       # (2+1+1+1+1+0+1) / 7 days
    assert value["wau"] == 5 and value["mau"] == 5
    # mean of DAU/MAU: 2/2, 1/3, 1/4, 1/5, 1/5, 0/5, 1/5
    assert value["stickiness"] == pytest.approx(131 / 420)
    assert value["reactions_per_message"] == pytest.approx(5 / 6)
    # joined in the week: alice, bob, carol, eve active within days 0-6; dave only before his join
    assert value["activation_rate_7d"] == pytest.approx(4 / 5)
    # top-level by humans: m1 (answered by bob after 2 min), m5 (self-reply only), m7, m8
    assert value["response_rate"] == pytest.approx(1 / 4)
    assert value["median_first_response_minutes"] == pytest.approx(2.0)
    assert value["churn_rate"] is None                    # nobody active the week before


def test_reports_written_and_escaped(project):
    root, _ = project
    folder = root / "reports" / "weekly" / "2026-03-02"
    html = (folder / "report.html").read_text("utf-8")
    assert (folder / "report.md").exists()
    assert "<b>world</b>" not in html
    assert (root / "reports" / "monthly" / "2026-03-01" / "report.html").exists()


def test_one_run_per_partitioning_on_the_daily_path(project):
    """`run` of a week of data is 6 Dagster runs: raw, the daily stage (every unpartitioned
    model beside the daily ones), the weekly marts, the monthly marts with the two models that
    read both, and one run per grain for its report and documents (same period). The unpartitioned
    models of the daily run are recorded without a partition, the daily ones per day."""
    import dagster as dg

    from pipeline.config import load_config
    from pipeline.model_registry import MODELS
    from pipeline.runner import prepare_dagster_home

    root, config_path = project
    prepare_dagster_home(load_config(config_path))
    instance = dg.DagsterInstance.get()
    runs = sorted(instance.get_runs(), key=lambda r: instance.get_run_record_by_id(r.run_id).create_timestamp)
    materialized = [{e.dagster_event.asset_key.to_user_string()
                     for e in instance.all_logs(r.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)}
                    for r in runs]
    first = [i for i, keys in enumerate(materialized) if "raw/forum" in keys]
    runs = runs[first[0]:first[1] if len(first) > 1 else None]        # the fixture's `run` only
    selections = materialized[first[0]:first[0] + len(runs)]
    ranges = [(r.tags.get("dagster/asset_partition_range_start"), r.tags.get("dagster/asset_partition_range_end"))
              for r in runs]
    by_grain = {g: {m.relation.replace(".", "/") for m in MODELS if m.grain == g} for g in ("daily", "weekly", "monthly")}
    unpartitioned = {m.relation.replace(".", "/") for m in MODELS if m.grain is None}
    assert len(runs) == 6 and all(r.is_success for r in runs)
    # each carries the pool the daemon counts to queue a UI run behind it (granularity run)
    assert all("duckdb" in (r.run_op_concurrency.all_pools or ()) for r in runs)
    assert selections[0] == {"raw/forum", "raw/business_inputs"} and ranges[0] == (None, None)
    assert selections[1] == by_grain["daily"] | unpartitioned - {"marts/goals_attainment",
                                                                 "marts/competitors_comparison"}
    assert ranges[1] == ("2026-03-02", "2026-03-08")
    assert (selections[2], ranges[2]) == (by_grain["weekly"], ("2026-03-02", "2026-03-02"))
    assert (selections[3], ranges[3]) == (by_grain["monthly"] | {"marts/goals_attainment",
                                                                 "marts/competitors_comparison"},
                                          ("2026-03-01", "2026-03-01"))
    assert (selections[4], ranges[4]) == ({"report/weekly_report", "report/weekly_report_documents"},
                                          ("2026-03-02", "2026-03-02"))
    assert (selections[5], ranges[5]) == ({"report/monthly_report", "report/monthly_report_documents"},
                                          ("2026-03-01", "2026-03-01"))
    goals = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(["marts", "goals_attainment"])), limit=100).records
    assert [r.event_log_entry.dagster_event.partition for r in goals if r.run_id == runs[3].run_id] == [None]
    daily_run = runs[1].run_id
    for key, partitions in ((["staging", "members"], {None}), (["intermediate", "person_lifecycle"], {None}),
                            (["staging", "messages"], {f"2026-03-0{d}" for d in range(2, 9)})):
        records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(key)), limit=100).records
        mine = [r.event_log_entry.dagster_event.partition for r in records if r.run_id == daily_run]
        assert set(mine) == partitions and len(mine) == len(partitions), key


def test_rerun_is_idempotent(project):
    root, config = project
    before = query(root, "select (select count(*) from raw.messages), (select count(*) from staging.messages), "
                         "(select count(*) from marts.activity_daily), (select count(*) from raw.files)")
    assert main(["run", "--config", str(config)]) == 0
    after = query(root, "select (select count(*) from raw.messages), (select count(*) from staging.messages), "
                        "(select count(*) from marts.activity_daily), (select count(*) from raw.files)")
    assert before == after
    assert before[0][1] == 8   # m1..m8, m5 once


def test_raw_equals_staged_plus_quarantined_plus_duplicates(project):
    root, _ = project
    (read, loaded, quarantined), = query(
        root, "select sum(messages_read), sum(messages_loaded), sum(messages_quarantined) from raw.files")
    (staged,), = query(root, "select count(*) from staging.messages")
    duplicates = loaded - staged
    assert (read, quarantined, duplicates) == (9, 0, 1)   # m5 read twice
    assert read == staged + quarantined + duplicates


def test_a_changed_tag_dictionary_is_matched_again_over_the_history(project, tmp_path, capsys):
    """A daily run (--from the last day) after settings.interest_tags changed matches every modelled
    day again, so the mart holds one dictionary and the reports can read it."""
    import shutil

    from pipeline.interest_tags import fingerprint, load_tags

    src_root, _ = project
    root = tmp_path / "copy"
    shutil.copytree(src_root, root)
    config = root / "community.yaml"
    tags = {"greeting": ["hello", "hi"], "newcomer": ["新来"]}
    config.write_text(config.read_text(encoding="utf-8")
                      + "settings:\n  interest_tags: {greeting: [hello, hi], newcomer: [新来]}\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["run", "--config", str(config), "--from", "2026-03-08"]) == 0
    assert "marts.interest_tags_daily [2026-03-02 .. 2026-03-08] (the interest-tag dictionary changed)" \
        in capsys.readouterr().out
    # m1 "hello <b>world</b>" (alice, 23:59 local on Mar 2), m2 "hi alice" (bob, 00:01 local on Mar 3),
    # m7 "你好，我是新来的" (eve, Mar 5); m3 is the bot's, m4 a system message
    assert query(root, "select date, person_key, tag_key, messages from marts.interest_tags_daily "
                       "where tag_key is not null order by all") == [
        (D(2026, 3, 2), "forum:alice", "greeting", 1), (D(2026, 3, 3), "forum:bob", "greeting", 1),
        (D(2026, 3, 5), "forum:eve", "newcomer", 1)]
    assert query(root, "select distinct dictionary from marts.interest_tags_daily") == [
        (fingerprint(load_tags(tags)),)]
    # the next daily run has nothing to match again
    assert main(["run", "--config", str(config), "--from", "2026-03-08"]) == 0
    assert "dictionary changed" not in capsys.readouterr().out


def test_no_report_workers_when_no_period_is_over(project, monkeypatch, capsys):
    """A run as of a day before its week is over (`--as-of`, the morning of Saturday 03-07)
    models the days up to that date and no week or month, and starts no report worker
    processes: nothing would use them, and each costs ~1.5 s of imports."""
    import pipeline.report.batch as batch

    root, config = project
    spawned = []
    real_pool, real_server = batch._worker_pool, batch._start_fork_server
    monkeypatch.setattr(batch, "_worker_pool", lambda *a, **k: spawned.append(a) or real_pool(*a, **k))
    monkeypatch.setattr(batch, "_start_fork_server", lambda: spawned.append("server") or real_server())
    assert main(["run", "--config", str(config), "--as-of", "2026-03-07"]) == 0
    out = capsys.readouterr().out
    assert spawned == []
    assert "marts.kpis_weekly" not in out and "reports [" not in out
    assert "staging.messages" in out and "[2026-03-02 .. 2026-03-07]" in out   # 03-08's post is not modelled
    assert "Data: 2026-03-02 .. 2026-03-07" in out and "Reports (0):" in out


def test_as_of_later_than_today_is_refused(project, capsys):
    """Weeks after today have no partitions yet: a future --as-of is an error, before any work."""
    from pipeline.config import load_config
    from pipeline.runner import local_today

    _, config = project
    tomorrow = local_today(load_config(config).timezone) + timedelta(days=1)
    assert main(["run", "--config", str(config), "--as-of", tomorrow.isoformat()]) == 2
    err = capsys.readouterr().err
    assert f"--as-of {tomorrow} is later than today in Asia/Shanghai ({tomorrow - timedelta(days=1)})" in err


def test_a_days_run_updates_the_threads_of_the_days_before_it(tmp_path):
    """Daily runs as the schedule makes them (`--from D --to D --as-of D+1`): m1 (alice, 03-02
    23:59 local) is answered by m2 (bob, 00:01 local on 03-03). The morning of 03-03 knows no
    reply yet; the run of 03-04 models 03-03, whose reply makes m1 responded, with its first
    response after 2 minutes, in interaction_threads and in 03-02's response rate (the
    strategy section's daily metric), as a run over both days has them (test_weekly_metrics_json).
    These first runs, before any week is over, do not materialize the goals and competitors
    models, which read the weekly and monthly KPIs that have no table yet: their steps succeed
    without them (they failed the run before)."""
    config = write_project(tmp_path)

    def day_run(day: str, as_of: str):
        assert main(["run", "--config", str(config), "--from", day, "--to", day, "--as-of", as_of]) == 0
        return (query(tmp_path, "select replies, responded, first_response_minutes from marts.interaction_threads "
                                "where message_key = 'forum:m1'"),
                query(tmp_path, "select response_rate from marts.strategy_metrics_daily where date = '2026-03-02'"))

    assert day_run("2026-03-02", "2026-03-03") == ([(0, False, None)], [(0.0,)])
    assert query(tmp_path, "select count(*) from information_schema.tables where table_name in "
                           "('kpis_weekly', 'kpis_monthly', 'goals_attainment', 'competitors_comparison')") == [(0,)]
    assert day_run("2026-03-03", "2026-03-04") == ([(1, True, 2.0)], [(1.0,)])


RUN_AND_LIST_MODULES = """
import sys
from pipeline.cli import main
code = main(["run", "--config", sys.argv[1], "--as-of", "2026-03-09"])
print("IMPORTED", sorted(m for m in ("matplotlib", "weasyprint", "pptx", "pipeline.report.render") if m in sys.modules))
sys.exit(code)
"""


def test_a_run_leaves_the_reports_to_its_workers_without_importing_them(tmp_path):
    """`community-report run` as of Monday 03-09: the week of 03-02 is over, its month is not, so
    one report, fewer than the two report workers: built in two parts by them. The run's own
    process never imports what a report needs (the report's modules with matplotlib, WeasyPrint,
    python-pptx: ~1.5 s that competed with the workers for the two cores; the parts pass through
    it pickled). Its files are all there."""
    import subprocess
    import sys

    config = write_project(tmp_path)
    with config.open("a", encoding="utf-8") as f:
        f.write("settings:\n  report_workers: 2\n")
    done = subprocess.run([sys.executable, "-c", RUN_AND_LIST_MODULES, str(config)], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parent.parent, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "IMPORTED []" in done.stdout, done.stdout[-2000:]
    folder = tmp_path / "reports" / "weekly" / "2026-03-02"
    assert {"report.html", "report.md", "metrics.json", "sections.json", "report.pdf", "report.pptx"} <= \
        {p.name for p in folder.iterdir()}
    assert not (tmp_path / "reports" / "monthly").exists()


def test_the_raw_stage_runs_with_the_warehouse_held_once_it_exists(tmp_path, monkeypatch):
    """The first run creates the warehouse in its raw stage, which runs without it held (a first
    backfill's big loads); a later run's raw stage finds it and runs with it held open, like the
    model stages (its steps share one DuckDB instance instead of each opening the file)."""
    import assets.raw
    from pipeline import runner

    holders = []

    class Recording(runner.WarehouseHeldOpen):
        def __init__(self, config):
            super().__init__(config)
            holders.append(self)

    held_while_loading = []
    load = assets.raw.ingest_sources

    def recording_load(conn, config, sources, *args, **kwargs):
        held_while_loading.append(holders[-1].conn is not None)
        return load(conn, config, sources, *args, **kwargs)

    monkeypatch.setattr(runner, "WarehouseHeldOpen", Recording)
    monkeypatch.setattr(assets.raw, "ingest_sources", recording_load)
    config = write_project(tmp_path)
    assert main(["run", "--config", str(config)]) == 0
    assert main(["run", "--config", str(config)]) == 0
    assert held_while_loading == [False, True]
    assert holders[-1].conn is None             # closed again before the reports
