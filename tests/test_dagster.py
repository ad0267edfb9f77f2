"""The Dagster shape: definitions load, the graph has the expected keys, partitions map, and
re-materializing a partition or a backfill range replaces instead of appending."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.config import load_config
from pipeline.definitions import build_definitions
from pipeline.ingest import inputs_schema
from pipeline.model_registry import INPUTS, MODELS
from tests.test_end_to_end import write_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def config(tmp_path):
    return load_config(write_project(tmp_path))


def test_definitions_load_and_keys(config):
    defs = build_definitions(config)
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    expected = {"raw/forum", "raw/business_inputs", "report/weekly_report", "report/monthly_report",
                "report/weekly_report_documents", "report/monthly_report_documents"} | {
        m.relation.replace(".", "/") for m in MODELS}
    assert keys == expected
    for required in ("marts/activity_daily", "marts/growth_daily", "staging/messages", "staging/members"):
        assert required in keys
    job_names = {j.name for j in defs.jobs}
    assert {"daily_refresh", "weekly_report", "monthly_report"} <= job_names
    daily = next(s for s in defs.schedules if s.name == "daily_refresh_schedule")
    assert daily.cron_schedule == "0 6 * * *" and daily.execution_timezone == "Asia/Shanghai"
    # the 06:00 tick of 2026-03-09 (local) refreshes the partition of 2026-03-08
    from datetime import datetime
    from zoneinfo import ZoneInfo
    ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 3, 9, 6, tzinfo=ZoneInfo("Asia/Shanghai")),
                                    repository_def=defs.get_repository_def())
    (request,) = daily.evaluate_tick(ctx).run_requests
    assert request.partition_key == "2026-03-08"


def test_definitions_load_without_great_expectations_and_name_each_suite(config, tmp_path):
    """Loading the definitions does not import Great Expectations (~2.4 s: a suite imports it when
    it runs), nor warn about the beta parameters the assets use; every check names the suite its
    table's function builds, and every validated table has one."""
    import subprocess
    import sys

    from pipeline.quality.suites import RAW_SUITES, STAGING_SUITES
    from pipeline.quality.validated_tables import suite_name

    code = ("import sys\nfrom pipeline.config import load_config\nfrom pipeline.definitions import build_definitions\n"
            f"build_definitions(load_config({str(tmp_path / 'community.yaml')!r}))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'great_expectations'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
    assert "Warning" not in done.stderr
    for table, factory in {**RAW_SUITES, **STAGING_SUITES}.items():
        assert factory().name == suite_name(table)
    descriptions = {spec.name: spec.description for c in build_definitions(config).asset_checks for spec in c.check_specs}
    assert descriptions["staging_messages_gx_suite"].startswith("Great Expectations suite staging_messages on ")
    assert descriptions["raw_forum_membership_events_gx_suite"].startswith(
        "Great Expectations suite raw_membership_events on ")


GX_DEFERRED_PROBE = """
import sys
import duckdb
from pipeline.quality.deferred_imports import is_deferred
from pipeline.quality.gx_runner import validate_table
from pipeline.quality.suites import STAGING_SUITES

db = sys.argv[1]
conn = duckdb.connect(db)
conn.execute("create schema staging")
conn.execute(\"\"\"create table staging.messages as select * from (values
    ('k1', timestamptz '2026-03-01 02:00:00+00', date '2026-03-01', 'message', 'p1', 5),
    ('k1', timestamptz '2026-03-02 02:00:00+00', date '2026-03-02', 'message', null, 5))
    as t (message_key, sent_at, local_date, kind, person_key, text_length)\"\"\")
conn.close()
outcome = validate_table(db, "staging.messages", STAGING_SUITES["staging.messages"]())
print(outcome.evaluated > 0, outcome.errors, sorted((f["column"], f["unexpected_count"]) for f in outcome.failed))
print(is_deferred("scipy.stats"), is_deferred("altair"), "scipy.spatial" in sys.modules)
import scipy.stats as stats
print(round(float(stats.entropy([0.5, 0.5])), 6))
from scipy.stats import norm
print(float(norm.cdf(0.0)), is_deferred("scipy.stats"), type(sys.modules["scipy.stats"]).__name__)
import altair as alt
print(alt.Chart.__name__, is_deferred("altair"))
"""


def test_great_expectations_validates_without_loading_scipy_stats_or_altair(tmp_path):
    """deferred_imports: a suite run imports GX with scipy.stats and altair deferred (~60 % of
    its import): the suite still catches a duplicate key and a NULL person; neither module is
    loaded by it, and code that does use them gets the real modules (a fresh interpreter)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", GX_DEFERRED_PROBE, str(tmp_path / "g.duckdb")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "True [] [('message_key', 2), ('person_key', 1)]",
        "True True False",
        "0.693147",                                   # ln 2: the real scipy.stats, loaded on first use
        "0.5 False module",
        "Chart False",
    ]


def test_weekly_report_maps_onto_iso_week_of_daily_partitions(config):
    defs = build_definitions(config)
    graph = defs.resolve_asset_graph()
    report = graph.get(dg.AssetKey(["report", "weekly_report"]))
    daily = graph.get(dg.AssetKey(["marts", "activity_daily"]))
    mapping = report.get_partition_mapping(daily.key) if hasattr(report, "get_partition_mapping") else None
    mapping = mapping or dg.TimeWindowPartitionMapping()
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        report.partitions_def.subset_with_partition_keys(["2026-03-02"]), report.partitions_def,
        daily.partitions_def).partitions_subset.get_partition_keys()
    # ISO week: Monday 2026-03-02 .. Sunday 2026-03-08
    assert list(upstream) == [f"2026-03-0{d}" for d in range(2, 9)]


def _materialize(defs, keys, instance, **kwargs):
    assets = list(defs.assets) + list(defs.asset_checks)
    return dg.materialize(assets, selection=keys, instance=instance, resources=defs.resources, **kwargs)


def test_the_scheduled_daily_job_succeeds_before_any_week_is_over(config):
    """The `daily_refresh` job (the 06:00 schedule) of a community's first days: the goals and
    competitors models read weekly and monthly KPI tables that no job has made yet. Their steps
    succeed without materializing them (and say why) instead of failing every morning; the
    day's models are materialized."""
    defs = build_definitions(config)
    instance = dg.DagsterInstance.ephemeral()
    result = defs.get_job_def("daily_refresh").execute_in_process(partition_key="2026-03-03", instance=instance)
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"staging/messages", "marts/activity_daily", "marts/interaction_threads"} <= materialized
    assert not {"marts/goals_attainment", "marts/competitors_comparison"} & materialized
    logged = [e.message for e in instance.all_logs(result.run_id) if e.message]
    assert any("marts.goals_attainment not built yet: no table for marts.kpis_weekly" in m for m in logged)


def test_partition_rerun_and_backfill_are_idempotent(config):
    defs = build_definitions(config)
    instance = dg.DagsterInstance.ephemeral()
    unpartitioned = [dg.AssetKey(["raw", "forum"]), dg.AssetKey(["staging", "members"])]
    assert _materialize(defs, unpartitioned, instance).success
    staging = [dg.AssetKey(["staging", "messages"])]
    range_tags = {"dagster/asset_partition_range_start": "2026-03-02",
                  "dagster/asset_partition_range_end": "2026-03-08"}

    def snapshot():
        conn = duckdb.connect(str(config.warehouse), read_only=True)
        try:
            return conn.execute("select message_key, local_date, text from staging.messages order by 1").fetchall()
        finally:
            conn.close()

    def validated(result) -> str:
        (evaluation,) = [e for e in result.get_asset_check_evaluations()
                         if e.check_name == "staging_messages_gx_suite"]
        assert evaluation.passed
        return evaluation.metadata["validated_rows"].value

    result = _materialize(defs, staging, instance, tags=range_tags)      # single-run backfill
    assert result.success and validated(result) == "local_date in [2026-03-02, 2026-03-09)"
    full = snapshot()
    assert len(full) == 8
    assert _materialize(defs, staging, instance, tags=range_tags).success      # the same backfill again
    assert snapshot() == full
    result = _materialize(defs, staging, instance, partition_key="2026-03-04")  # one partition again
    assert result.success and validated(result) == "local_date in [2026-03-04, 2026-03-05)"
    assert snapshot() == full
    day = [r for r in full if r[1] == date(2026, 3, 4)]
    assert [r[0] for r in day] == ["forum:m5", "forum:m6"]
    assert day[0][2] == "edited version"


def test_raw_gx_checks_validate_the_exports_their_run_loaded(config):
    """A source's raw GX suites validate the rows of the exports its run loaded (those of earlier
    exports were validated by their own runs), and the source's whole history when the check
    runs on its own."""
    defs = build_definitions(config)
    instance = dg.DagsterInstance.ephemeral()
    raw = dg.AssetKey(["raw", "forum"])
    check = dg.AssetCheckKey(raw, "raw_forum_messages_gx_suite")

    def evaluation(result) -> tuple[bool, str, list]:
        (e,) = [e for e in result.get_asset_check_evaluations() if e.check_name == check.name]
        return e.passed, e.metadata["validated_rows"].value, [
            (f["expectation"], f["column"], f["unexpected_count"]) for f in e.metadata["failed_expectations"].value]

    assert evaluation(_materialize(defs, [raw], instance)) == (
        True, "the exports this run loaded (file_seq >= 1)", [])
    conn = duckdb.connect(str(config.warehouse))
    exports = conn.execute("select count(*) from raw.files where source = 'forum'").fetchone()[0]
    # a row of the history that would break the suite (what a row rule keeps out of raw.*)
    conn.execute("update raw.messages set local_date = null where rowid = (select min(rowid) from raw.messages)")
    conn.close()
    # nothing new to load: no row of this run, nothing to fail on
    assert evaluation(_materialize(defs, [raw], instance)) == (
        True, f"the exports this run loaded (file_seq >= {exports + 1})", [])
    # the check on its own: the whole history
    alone = dg.materialize(list(defs.assets) + list(defs.asset_checks), selection=dg.AssetSelection.checks(check),
                           instance=instance, resources=defs.resources, raise_on_error=False)
    assert evaluation(alone) == (False, "all of the source's rows",
                                 [("expect_column_values_to_not_be_null", "local_date", 1)])


def test_instance_tuning_one_engine_per_sqlite_file_and_no_fsync(tmp_path):
    """pipeline/instance_tuning.py: Dagster's SQLite storages get the same engine for the same
    file, a new one for another file, and its connection outlives Dagster's dispose after each
    statement; connections to files under the project's Dagster home run with synchronous=OFF,
    other SQLite files keep the default (FULL = 2)."""
    from dagster._core.storage.event_log.sqlite import sqlite_event_log
    from dagster._core.storage.runs.sqlite import sqlite_run_storage
    from sqlalchemy.pool import NullPool, QueuePool

    from pipeline.instance_tuning import TUNED_DAGSTER_VERSION, tune_instance

    home = tmp_path / ".dagster"
    home.mkdir()
    tune_instance(home)
    assert dg.__version__ == TUNED_DAGSTER_VERSION        # else measure 2 is skipped: re-measure first
    url = f"sqlite:///{home}/index.db"
    engine = sqlite_event_log.create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
    assert sqlite_event_log.create_engine(url, poolclass=NullPool, connect_args={"timeout": 30}) is engine
    assert sqlite_run_storage.create_engine(url, poolclass=NullPool, connect_args={"timeout": 30}) is engine
    other = sqlite_event_log.create_engine(f"sqlite:///{home}/run.db", poolclass=NullPool, connect_args={"timeout": 30})
    assert other is not engine and isinstance(engine.pool, QueuePool)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("pragma synchronous").scalar() == 0
        first = conn.connection.dbapi_connection
    engine.dispose()                                          # as Dagster does after each statement
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection is first
    outside = sqlite_event_log.create_engine(f"sqlite:///{tmp_path}/elsewhere.db", poolclass=NullPool)
    with outside.connect() as conn:
        assert conn.exec_driver_sql("pragma synchronous").scalar() == 2


def test_instance_tuning_a_run_opens_each_sqlite_file_once(config, tmp_path, monkeypatch):
    """Measure 2: Dagster's storages open a SQLite connection for every statement (~15 per step);
    on a tuned instance a run's steps reuse one connection per file."""
    import sqlite3

    from dagster._core.instance.ref import InstanceRef

    from pipeline.instance_tuning import tune_instance

    opened = []
    connect = sqlite3.connect

    def counting_connect(*args, **kwargs):
        opened.append(str(args[0] if args else kwargs["database"]))
        return connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", counting_connect)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", counting_connect)
    home = tmp_path / ".dagster"
    home.mkdir()
    tune_instance(home)
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    defs = build_definitions(config)
    keys = [dg.AssetKey(["raw", "forum"]), dg.AssetKey(["staging", "members"])]
    assert _materialize(defs, keys, instance).success
    opened.clear()
    result = _materialize(defs, keys, instance)              # 2 assets and their ~6 checks
    assert result.success
    # only the run's own event file is new (opened by two engines: Dagster creates its tables
    # with other options); the run, index and schedule files are open already. Untuned: ~100
    assert set(opened) == {str(home / "history" / "runs" / f"{result.run_id}.db")} and len(opened) <= 2


def test_instance_tuning_stores_a_partition_range_in_one_batch_like_dagster(config, tmp_path, monkeypatch):
    """Measure 4 of pipeline/instance_tuning.py: a single-run backfill's materializations, one per
    partition, are stored in one batch write, and the instance ends up holding what Dagster's
    event-by-event store gives: the same events in the same order, the same indexed rows, the
    same materialized partitions and the same latest materialization of the asset."""
    import sqlite3

    from dagster._core.instance.ref import InstanceRef
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from pipeline.instance_tuning import tune_instance

    defs = build_definitions(config)
    messages = dg.AssetKey(["staging", "messages"])
    range_tags = {"dagster/asset_partition_range_start": "2026-03-02",
                  "dagster/asset_partition_range_end": "2026-03-08"}
    store_event = SqliteEventLogStorage.store_event
    stored = []

    def counting_store_event(self, event):
        stored.append(event.dagster_event_type)
        return store_event(self, event)

    monkeypatch.setattr(SqliteEventLogStorage, "store_event", counting_store_event)

    def backfill(home, batch: bool):
        home.mkdir()
        tune_instance(home)
        if batch:
            monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
        else:
            monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        assert _materialize(defs, [dg.AssetKey(["raw", "forum"]), dg.AssetKey(["staging", "members"])],
                            instance).success
        stored.clear()
        result = _materialize(defs, [messages], instance, tags=range_tags)
        assert result.success
        run_id = result.run_id
        shards = home / "history" / "runs"
        run_events = sqlite3.connect(shards / f"{run_id}.db").execute(
            "select dagster_event_type, asset_key, partition, step_key from event_logs order by id").fetchall()
        index = sqlite3.connect(shards / "index.db")
        indexed = index.execute("select dagster_event_type, asset_key, partition from event_logs "
                                "where run_id = ? order by id", (run_id,)).fetchall()
        # the tags' values (data versions) are made from the run id, which differs
        tags = index.execute("select t.asset_key, t.key, e.partition from asset_event_tags t "
                             "join event_logs e on e.id = t.event_id where e.run_id = ? order by t.id",
                             (run_id,)).fetchall()
        latest = instance.get_latest_materialization_event(messages)
        summary = {
            "run_events": run_events, "indexed": indexed, "tags": tags,
            "partitions": sorted(instance.get_materialized_partitions(messages)),
            "latest": (latest.dagster_event.partition, latest.run_id == run_id),
            "last_run": instance.get_asset_records([messages])[0].asset_entry.last_run_id == run_id,
        }
        return summary, list(stored)

    one_by_one, stores_unbatched = backfill(tmp_path / "unbatched", batch=False)
    batched, stores_batched = backfill(tmp_path / "batched", batch=True)
    assert batched == one_by_one
    materialized = [e for e in one_by_one["run_events"] if e[0] == "ASSET_MATERIALIZATION"]
    assert [e[2] for e in materialized] == [f"2026-03-0{d}" for d in range(2, 9)]
    assert one_by_one["latest"] == ("2026-03-08", True) and one_by_one["last_run"]
    assert [t[2] for t in one_by_one["tags"] if t[1] == "dagster/data_version"] == [e[2] for e in materialized]
    assert len(one_by_one["indexed"]) >= 7 and one_by_one["partitions"] == [f"2026-03-0{d}" for d in range(2, 9)]
    assert stores_unbatched.count("ASSET_MATERIALIZATION") == 7
    assert "ASSET_MATERIALIZATION" not in stores_batched        # all seven went through the batch write


def test_every_table_a_model_reads_is_a_declared_dependency():
    """The registry's deps drive the Dagster lineage and the runner's stages (which reorder
    models): a table read in a model's SQL but not declared could be built after the model."""
    import re

    from pipeline.sql_runner import SQL_DIR

    reference = re.compile(r"\b(raw|staging|intermediate|marts)\.([a-z_0-9]+)\b")
    for spec in MODELS:
        sql = re.sub(r"--[^\n]*", "", (SQL_DIR / spec.path).read_text(encoding="utf-8"))
        sql = sql.replace("'marts.kpis_' || $grain", f"marts.kpis_{spec.grain}")   # query_table of its grain
        used = {"raw" if schema == "raw" else f"{schema}.{table}" for schema, table in reference.findall(sql)}
        declared = {d.relation for d in spec.dep_specs()}
        if INPUTS in declared:          # the business inputs alone: their raw.input_* tables only
            tables = {f"input_{i.name}" for i in inputs_schema.INPUTS} | {"input_files"}
            assert {t for schema, t in reference.findall(sql) if schema == "raw"} <= tables, spec.relation
            declared |= {"raw"}
        assert used - {spec.relation} <= declared, spec.relation


def test_runner_stages_respect_dependencies_in_few_runs():
    from pipeline.runner import _stages

    stages = _stages()
    position = {r: i for i, (_, relations) in enumerate(stages) for r in relations}
    grain = {spec.relation: spec.grain for spec in MODELS}
    assert sorted(position) == sorted(grain) and sum(len(r) for _, r in stages) == len(MODELS)
    for stage_grain, relations in stages:
        grains = {grain[r] for r in relations}
        # one partitioning per run; unpartitioned models only beside daily ones (a weekly or
        # monthly stage is skipped while its period is not over, they would be skipped too)
        assert grains - {None} == ({stage_grain} if stage_grain else set())
        assert None not in grains or stage_grain in (None, "daily"), (stage_grain, relations)
    for spec in MODELS:
        for dep in spec.dep_specs():
            if not dep.relation.startswith("raw"):   # upstream in an earlier run or the same one (Dagster orders it)
                assert position[dep.relation] <= position[spec.relation], (spec.relation, dep)
    # one run per partitioning, and the unpartitioned models that read weekly and monthly marts
    assert [g for g, _ in stages] == ["daily", "weekly", "monthly", None]
    assert stages[-1][1] == ["marts.goals_attainment", "marts.competitors_comparison"]


def test_the_last_unpartitioned_stage_rides_in_the_run_before_it():
    """runner._runs: the goals/competitors stage joins the monthly run when that month is over,
    else the weekly run, else the daily one; unchanged models leave their stage."""
    from pipeline.runner import RANGE_END, RANGE_START, _runs

    stages = [("daily", ["staging.goals", "staging.messages"]), ("weekly", ["marts.kpis_weekly"]),
              ("monthly", ["marts.kpis_monthly"]), (None, ["marts.goals_attainment"])]

    def runs(first, last, today, unchanged=()):
        return [(grain, relations, tags and (tags[RANGE_START], tags[RANGE_END]))
                for grain, relations, tags in _runs(stages, first, last, list(unchanged), today)]

    daily = ("daily", ["staging.goals", "staging.messages"], ("2026-11-23", "2026-11-29"))
    weekly = ("weekly", ["marts.kpis_weekly"], ("2026-11-23", "2026-11-23"))
    # week and month over
    assert runs(date(2026, 11, 23), date(2026, 11, 29), date(2026, 12, 5)) == [
        daily, weekly, ("monthly", ["marts.kpis_monthly", "marts.goals_attainment"], ("2026-11-01", "2026-11-01"))]
    # the week over, not its month
    assert runs(date(2026, 11, 23), date(2026, 11, 29), date(2026, 11, 30), ["staging.goals"]) == [
        ("daily", ["staging.messages"], ("2026-11-23", "2026-11-29")),
        ("weekly", ["marts.kpis_weekly", "marts.goals_attainment"], ("2026-11-23", "2026-11-23"))]
    # neither
    assert runs(date(2026, 11, 23), date(2026, 11, 29), date(2026, 11, 29)) == [
        ("daily", ["staging.goals", "staging.messages", "marts.goals_attainment"], ("2026-11-23", "2026-11-29"))]


def test_a_week_is_over_when_its_next_monday_begins_in_the_communitys_time_zone():
    """runner.local_today / report_plan: at 2026-11-22 17:30 UTC it is already Monday 11-23 in
    Shanghai, so the week of 11-16 is over there (its Dagster partition exists) and a run of
    that morning reports it; the machine's UTC date, still Sunday, would have left it out.
    November is not over: no monthly report (a run as of 12-01 has it)."""
    from datetime import datetime, timezone

    from pipeline.runner import RANGE_END, RANGE_START, local_today, report_plan

    now = datetime(2026, 11, 22, 17, 30, tzinfo=timezone.utc)
    assert local_today("Asia/Shanghai", now) == date(2026, 11, 23)
    assert local_today("UTC", now) == date(2026, 11, 22)
    assert local_today("America/Los_Angeles", now) == date(2026, 11, 22)

    def plan(today):
        return [(grain, tags[RANGE_START], tags[RANGE_END], [p.key for p in periods])
                for grain, tags, periods in report_plan(date(2026, 11, 10), date(2026, 11, 22), today)]

    assert plan(local_today("Asia/Shanghai", now)) == [("weekly", "2026-11-09", "2026-11-16",
                                                         ["2026-11-09", "2026-11-16"])]
    assert plan(local_today("UTC", now)) == [("weekly", "2026-11-09", "2026-11-09", ["2026-11-09"])]
    assert plan(date(2026, 12, 1))[1] == ("monthly", "2026-11-01", "2026-11-01", ["2026-11-01"])


def test_a_window_is_validated_with_its_keys_checked_against_the_whole_table(tmp_path):
    """gx_runner.Window: the suite sees only the window's rows, and a key of the window found in a
    row outside it fails like a duplicate inside it would."""
    from pipeline.quality.gx_runner import Window, validate_table
    from pipeline.quality.suites import STAGING_SUITES

    db = tmp_path / "w.duckdb"
    conn = duckdb.connect(str(db))
    conn.execute("create schema staging")
    conn.execute("""create table staging.messages as select * from (values
        ('k1', timestamptz '2026-03-01 02:00:00+00', date '2026-03-01', 'message', 'p1', 5),
        ('k2', timestamptz '2026-03-02 02:00:00+00', date '2026-03-02', 'message', 'p1', 5),
        ('k3', timestamptz '2026-03-02 03:00:00+00', date '2026-03-02', 'reply', null, 5))
        as t (message_key, sent_at, local_date, kind, person_key, text_length)""")
    conn.close()
    suite = STAGING_SUITES["staging.messages"]

    def failed(window):
        outcome = validate_table(str(db), "staging.messages", suite(), window=window)
        assert not outcome.errors
        return sorted((f["expectation"], f["column"], f["unexpected_count"]) for f in outcome.failed)

    march_1 = Window("local_date", date(2026, 3, 1), date(2026, 3, 2))
    march_2 = Window("local_date", date(2026, 3, 2), date(2026, 3, 3))
    assert failed(march_1) == []                              # k3's NULL person_key is not in the window
    assert failed(march_2) == [("expect_column_values_to_not_be_null", "person_key", 1)]
    conn = duckdb.connect(str(db))
    conn.execute("update staging.messages set person_key = 'p2' where message_key = 'k3'")
    conn.execute("insert into staging.messages values ('k2', timestamptz '2026-03-01 05:00:00+00', "
                 "date '2026-03-01', 'message', 'p1', 5)")                      # k2 again, on another day
    conn.close()
    assert failed(march_2) == [("unexpected_rows_expectation", None, None)]       # found outside the window
    assert failed(march_1) == [("unexpected_rows_expectation", None, None)]
    assert failed(None) == [("expect_column_values_to_be_unique", "message_key", 2)]
    with pytest.raises(ValueError, match="invalid window"):
        Window("local_date; drop table x", date(2026, 3, 1), date(2026, 3, 2)).condition()


def test_table_ctes_read_twice_are_not_materialized():
    """DuckDB materializes a CTE that a query reads more than once: `messages as (select * from
    staging.messages)` read twice copied every column of every message (the whole history in a
    daily run) before anything was filtered. A CTE that only reads a warehouse table and is read
    more than once is therefore declared NOT MATERIALIZED (DuckDB then scans the table where it is
    used, with the filters pushed into each scan)."""
    import re

    from pipeline.sql_runner import SQL_DIR

    table_cte = re.compile(r"^(\w+) as (not materialized )?\(\s*select \* from (?:raw|staging|intermediate|marts)\.\w+"
                           r"(?:\s+where[^()]*)?\s*\)", re.M)
    found = 0
    for spec in MODELS:
        sql = re.sub(r"--[^\n]*", "", (SQL_DIR / spec.path).read_text(encoding="utf-8"))
        for m in table_cte.finditer(sql):
            reads = len(re.findall(rf"\b(?:from|join)\s+{m.group(1)}\b", sql))
            if reads >= 2:
                found += 1
                assert m.group(2), f"{spec.path}: CTE {m.group(1)} is read {reads} times: declare it NOT MATERIALIZED"
    assert found >= 15          # the rule is really applied (a broken pattern would find none)
