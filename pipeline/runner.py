"""Materialize the whole graph in-process for the periods the data covers (``community-report run``).

Dagster cannot run assets of two partitionings in one run, so the graph is executed stage by
stage in dependency order: raw sources (unpartitioned), then the models in as few stages as
their dependencies allow (daily range with the unpartitioned models / weekly / monthly /
unpartitioned; see :func:`_stages`; the last rides in the run before it, :func:`_runs`), without
the models of unchanged business inputs (``pipeline/unchanged.py``), then per grain the reports
with their PDF and PPTX when those are for the same periods, else the documents after every
report (``documents``: the newest period of each grain by default, every period with
``"all"``). Every daily stage is ONE single-run backfill over the whole date range. The runs
are recorded in the project's Dagster instance (``<project>/.dagster``), so ``dagster dev``
shows them, their checks and lineage afterwards. The report and documents stages share one
pool of worker processes, in which all their work is started before the first of them
(``pipeline/report/batch.py``, SharedWorkers).
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo
from pathlib import Path

import dagster as dg

from pipeline.config import CommunityConfig
from pipeline.instance_tuning import tune_instance
from pipeline.model_registry import MODELS
from pipeline.periods import periods_between
from pipeline.report.batch import DOCUMENT_CHOICES, SharedWorkers, report_dir
from pipeline.unchanged import unchanged_models
from pipeline.warehouse import connect, table_exists

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
PID_TAG = "community_report/runner_pid"   # lets a later run recognise runs a killed process left behind

DAGSTER_YAML = """\
# Dagster instance of this community project (written by community-report).
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1          # pool "duckdb": one writing run at a time on the warehouse file
    granularity: run          # a DuckDB file has one writing process: queue whole runs, not steps
  runs:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: "dagster/backfill"
        limit: 1
"""

# What earlier versions wrote (pool slots claimed step by step); replaced when found unedited.
_DAGSTER_YAML_STEP_POOLS = """\
# Dagster instance of this community project (written by community-report).
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1          # pool "duckdb": one writer at a time on the warehouse file
  runs:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: "dagster/backfill"
        limit: 1
"""


@dataclass
class RunSummary:
    first_date: date | None
    last_date: date | None
    reports: list[Path] = field(default_factory=list)
    documents: list[Path] = field(default_factory=list)    # report folders given report.pdf + .pptx
    failed_exports: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)


def prepare_dagster_home(config: CommunityConfig) -> Path:
    home = config.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    yaml_path = home / "dagster.yaml"
    if not yaml_path.exists() or yaml_path.read_text(encoding="utf-8") == _DAGSTER_YAML_STEP_POOLS:
        yaml_path.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return home


def data_date_range(config: CommunityConfig) -> tuple[date | None, date | None]:
    """First and last local date with any raw message or membership event."""
    if not config.warehouse.exists():
        return None, None
    conn = connect(config.warehouse, memory_limit=config.duckdb_memory_limit, threads=config.duckdb_threads)
    try:
        if not table_exists(conn, "raw", "messages"):
            return None, None
        return conn.execute("""
            select min(d), max(d) from (
                select local_date as d from raw.messages
                union all select local_date from raw.membership_events
            )""").fetchone()
    finally:
        conn.close()


def _stages() -> list[tuple[str | None, list[str]]]:
    """The registry's models as few Dagster runs as their dependencies allow:
    [(grain, [relation, ...])] in execution order; a stage's grain is its partitioning (None:
    only unpartitioned models).

    A run holds the models of at most one partitioning (Dagster refuses two partitions
    definitions in a run), plus any unpartitioned models: Dagster leaves those out of the run's
    partition (the scheduled ``daily_refresh`` job mixes them the same way). Unpartitioned
    models join only daily or unpartitioned stages, never a weekly or monthly one: those are
    skipped while their period is not over (:func:`_period_tags`), and a daily stage runs
    whenever there is data. Each model, in registry order (a topological order), joins the
    first stage it may join that is not before the stage of any of its upstream models (the
    same stage is fine: Dagster orders the assets of a run); without one it opens a new stage
    at the end. Each run costs ~0.2-0.4 s of Dagster before any work: the registry's order
    alternates grains 18 times, and this plans 4 stages, which :func:`_runs` makes 3 Dagster
    runs (the daily path's model runs)."""
    stages: list[tuple[str | None, list[str]]] = []
    stage_of: dict[str, int] = {}
    for spec in MODELS:
        first = max((stage_of[dep.relation] for dep in spec.dep_specs() if dep.relation in stage_of), default=0)
        j = next((k for k in range(first, len(stages)) if _may_share_run(stages[k][0], spec.grain)), None)
        if j is None:
            stages.append((spec.grain, []))
            j = len(stages) - 1
        elif stages[j][0] is None and spec.grain is not None:
            stages[j] = (spec.grain, stages[j][1])      # an unpartitioned stage becomes a daily one
        stages[j][1].append(spec.relation)
        stage_of[spec.relation] = j
    return stages


def _runs(stages: list[tuple[str | None, list[str]]], first: date, last: date, unchanged: list[str],
          today: date) -> list[tuple[str | None, list[str], dict | None]]:
    """The Dagster runs of a run's model stages over [first, last]: [(grain, relations, range
    tags)], without the weekly / monthly stages whose periods are not over (:func:`_period_tags`)
    and the ``unchanged`` models (pipeline/unchanged.py). An unpartitioned stage rides in the run
    of the stage before it (every model it reads is in an earlier stage: :func:`_stages`): the goals
    and competitors models, which read the weekly and monthly marts, run with the monthly marts
    when that month is over, else with the weekly ones, else with the daily models: one Dagster
    run less (its start and end, ~0.1-0.2 s)."""
    runs: list[tuple[str | None, list[str], dict | None]] = []
    for grain, relations in stages:
        relations = [r for r in relations if r not in unchanged]
        if not relations:
            continue
        if grain is None and runs:
            runs[-1] = (runs[-1][0], runs[-1][1] + relations, runs[-1][2])
            continue
        tags = ({RANGE_START: first.isoformat(), RANGE_END: last.isoformat()} if grain == "daily"
                else _period_tags(grain, first, last, today) if grain else None)
        if grain in ("weekly", "monthly") and not tags:
            continue
        runs.append((grain, relations, tags))
    return runs


def _may_share_run(stage_grain: str | None, grain: str | None) -> bool:
    """Whether a model of ``grain`` may run in a stage of ``stage_grain`` (see :func:`_stages`)."""
    return stage_grain == grain or {stage_grain, grain} <= {None, "daily"}


class WarehouseHeldOpen:
    """One connection to the warehouse, held open by the runner while the model stages run (and
    the raw stage, when the warehouse exists before it: see :func:`_load_and_model`).

    Every Dagster step opens and closes its own connection (``WarehouseResource.get_connection``).
    Opening a DuckDB file reads its catalog, and closing its last connection checkpoints it:
    ~35 ms per step on the year warehouse of the benchmark, and a daily run has ~80 steps.
    While this connection is open, DuckDB gives the steps' connections the same database
    instance (one process, same file, same config), so they open in ~1 ms; the WAL is then
    checkpointed when it reaches DuckDB's threshold and when this connection closes.

    Closed before the reports (:meth:`close`): report workers are other processes, and DuckDB
    lets another process read the file only while no process holds it for writing. Meanwhile
    another process cannot open the warehouse at all, as during any single step before."""

    def __init__(self, config: CommunityConfig):
        self.config = config
        self.conn = None

    def open_if_exists(self) -> None:
        """Hold the warehouse from now on, if it exists (the raw stage creates it)."""
        if self.conn is None and self.config.warehouse.exists():
            self.conn = connect(self.config.warehouse, memory_limit=self.config.duckdb_memory_limit,
                                threads=self.config.duckdb_threads)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def stage_done_line(label: str, seconds: float) -> str:
    """The line a run logs when one of its stages is done (benchmarks/bench_scale.py reads the
    stages' times back from it)."""
    return f"  ✓ {label} ({seconds:.1f} s)"


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Today in the community's time zone ``timezone`` (``now``: an aware instant, default the clock's).

    Dagster's partitions are local dates of that zone (pipeline/partitions.py): a week is over,
    and has its partition, once its next Monday has begun THERE, not on the machine's clock."""
    return (now or datetime.now(ZoneInfo("UTC"))).astimezone(ZoneInfo(timezone)).date()


def run_date(config: CommunityConfig, as_of: date | None = None) -> date:
    """The local date a run takes for today: ``as_of`` (see :func:`run_all`) or
    :func:`local_today`; an ``as_of`` later than today is an error naming both dates."""
    today = local_today(config.timezone)
    if as_of is not None and as_of > today:
        raise ValueError(f"--as-of {as_of} is later than today in {config.timezone} ({today}): "
                         "weeks and months after today have no partitions yet")
    return as_of or today


def run_all(config: CommunityConfig, date_from: date | None = None, date_to: date | None = None,
            log=print, log_level: str = "WARNING", documents: str = "latest", as_of: date | None = None) -> RunSummary:
    """Materialize everything the data in [date_from, date_to] touches.

    ``documents``: which periods get their report.pdf and report.pptx in this run: ``latest``
    (the newest period of each grain; what a weekly run and a first run need), ``all`` (every
    period rendered: a full re-render of history) or ``none``.

    ``as_of``: the local date the run takes for today (default: today in the community's time
    zone): dates after it are not modelled, and only the weeks and months over by then are
    (their marts and reports). Replays the morning's run of a past date, e.g. the run that
    followed a day's exports (benchmarks/bench_scale.py). Not later than today: later weeks and
    months have no partitions yet."""
    if documents not in DOCUMENT_CHOICES:
        raise ValueError(f"documents must be one of {', '.join(DOCUMENT_CHOICES)}, got {documents!r}")
    today = run_date(config, as_of)
    home = prepare_dagster_home(config)
    tune_instance(home)                        # cheap events: pipeline/instance_tuning.py
    instance = dg.DagsterInstance.get()
    _release_interrupted_runs(instance, log)
    summary = RunSummary(None, None)

    def execute(defs: dg.Definitions, keys: list[dg.AssetKey], tags: dict | None = None, label: str = ""):
        graph_assets = list(defs.assets) + list(defs.asset_checks or [])
        _wait_for_other_writers(instance, log)
        t0 = time.monotonic()
        result = dg.materialize(graph_assets, selection=keys, instance=instance, resources=defs.resources,
                                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
                                tags={**(tags or {}), PID_TAG: str(os.getpid())}, raise_on_error=False)
        for evaluation in result.get_asset_check_evaluations():
            if not evaluation.passed:
                summary.failed_checks.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
        if not result.success:
            raise RuntimeError(f"run failed at stage {label}; see the Dagster UI (dagster dev -w workspace.yaml) "
                               f"or the log above")
        log(stage_done_line(label, time.monotonic() - t0))

    held = WarehouseHeldOpen(config)
    with SharedWorkers(config) as workers:
        try:
            config, defs, first, last = _load_and_model(config, date_from, date_to, execute, held, workers,
                                                         summary, log, instance, today)
        finally:
            held.close()                        # before the reports: their workers are other processes
        if first is None:
            return summary

        # 3. reports. Every report of the run, and the documents asked for, start in the shared
        # workers now (documents as soon as their report is written); the report and documents
        # stages, one grain after the other as Dagster runs them, collect them.
        from pipeline.definitions import report_check_keys
        from pipeline.quality.check_results import latest_check_results

        # (grain, range tags, periods, periods given documents)
        plan = [(grain, tags, periods, {"none": [], "latest": periods[-1:]}.get(documents, periods))
                for grain, tags, periods in report_plan(first, last, today)]
        if not plan:                            # no period is over yet: no reports, no workers
            return summary
        workers.start()
        workers.start_reports(config, [p for _, _, periods, _ in plan for p in periods],
                              latest_check_results(instance, report_check_keys(defs.asset_checks)),
                              documents_for=[p for *_, with_documents in plan for p in with_documents])
        # A grain whose documents cover the same periods as its reports (a daily or weekly run)
        # makes both in one Dagster run; otherwise (a backfill: documents of the newest period
        # only) the documents run after every report stage.
        for grain, tags, periods, with_documents in plan:
            keys, label = [dg.AssetKey(["report", f"{grain}_report"])], f"{grain} reports"
            if with_documents == periods:
                keys.append(dg.AssetKey(["report", f"{grain}_report_documents"]))
                label += " + PDF + PPTX"
            execute(defs, keys, tags, label=f"{label} [{tags[RANGE_START]} .. {tags[RANGE_END]}]")
            summary.reports += [report_dir(config, p) / "report.html" for p in periods]
        for grain, _, periods, with_documents in plan:
            if with_documents and with_documents != periods:
                tags = {RANGE_START: with_documents[0].key, RANGE_END: with_documents[-1].key}
                execute(defs, [dg.AssetKey(["report", f"{grain}_report_documents"])], tags,
                        label=f"{grain} report PDF + PPTX [{tags[RANGE_START]} .. {tags[RANGE_END]}]")
        summary.documents += [report_dir(config, p) for *_, with_documents in plan for p in with_documents]
    return summary


def _load_and_model(config: CommunityConfig, date_from: date | None, date_to: date | None, execute,
                    held: WarehouseHeldOpen, workers: SharedWorkers, summary: RunSummary, log,
                    instance: dg.DagsterInstance, today: date):
    """Stages 1-2 of :func:`run_all`: raw, then every model stage with the warehouse ``held``
    open, without the models of unchanged business inputs (pipeline/unchanged.py); ``workers``
    are started before the period marts; ``today``: the run's local date (:func:`run_all`).
    Returns (config, definitions, first date, last date); dates None: nothing to model."""
    from pipeline.definitions import build_definitions, raw_asset_keys

    # 1. raw: load whatever is new in the landing folders, with the warehouse held open when it
    # exists already: a later run loads a day's or a week's exports, and each raw step and check
    # opening the year's 1.8 GB file cost ~0.6 s of a daily update's ~4 s raw stage (A/B, three
    # times). Not when this stage creates it (a first backfill): held through big loads on two
    # lanes, the WAL cannot be checkpointed as it grows (~5 s of ~115, A/B twice).
    defs = build_definitions(config)
    raw_keys = raw_asset_keys(config)          # sources + business inputs
    held.open_if_exists()
    if raw_keys:
        execute(defs, raw_keys, label="raw: " + ", ".join(k.path[-1] for k in raw_keys))
    summary.failed_exports = _failed_exports(config)
    held.open_if_exists()                      # if the raw stage created it

    # 2. models, in stages of one partitioning each
    first, last = data_date_range(config)
    if first is None:
        log("No dated data found in the landing folders: nothing to model.")
        return config, defs, None, None
    first = max(first, date_from) if date_from else first
    last = min(last, date_to) if date_to else last
    # the newest daily partition is today (local); rows later than that are not modelled yet
    last = min(last, today)
    summary.first_date, summary.last_date = first, last
    if first > last:
        log(f"No data between {date_from} and {date_to}.")
        return config, defs, None, None
    retag = _interest_tags_to_rematch(config, first, last)
    earliest = min(first, date.fromisoformat(retag[0])) if retag else first
    if earliest < config.history_start:
        # Partitions must cover the data: extend the history for this run.
        config = dataclasses.replace(config, history_start=earliest)
        defs = build_definitions(config)

    stages = _stages()
    unchanged = (unchanged_models(instance, held.conn, [r for _, relations in stages for r in relations])
                 if held.conn is not None else [])
    if unchanged:
        log(f"  (unchanged inputs and SQL, left as they are: {', '.join(unchanged)})")
    for grain, relations, tags in _runs(stages, first, last, unchanged, today):
        keys = [dg.AssetKey(r.split(".")) for r in relations]
        label = ", ".join(relations) + (f" [{tags[RANGE_START]} .. {tags[RANGE_END]}]" if tags else "")
        if grain in ("weekly", "monthly"):
            # A period is over, so reports follow: the workers import matplotlib, WeasyPrint and
            # load the keyword segmenter's dictionary (~1.5 s each) while the period marts run,
            # not after them; not earlier: idle, they would add their memory to the daily stage,
            # a backfill's biggest.
            workers.start()
        execute(defs, keys, tags, label=label)
    if retag:
        execute(defs, [dg.AssetKey(["marts", "interest_tags_daily"])], {RANGE_START: retag[0], RANGE_END: retag[1]},
                label=f"marts.interest_tags_daily [{retag[0]} .. {retag[1]}] (the interest-tag dictionary changed)")

    return config, defs, first, last


def _interest_tags_to_rematch(config: CommunityConfig, first: date, last: date) -> tuple[str, str] | None:
    """The date range of ``marts.interest_tags_daily`` to match again because the configured
    interest-tag dictionary changed since its rows were matched, or None.

    A run models the dates it covers; a daily run (``--from`` yesterday) would leave the history
    matched with the old dictionary, and every report would then match its period's messages
    itself (correct, but the slow path: pipeline/report/sections/_text.py). So when any row carries
    another dictionary, the mart is matched again in this run from the first to the last date
    of those rows and of this run (one range: this run's own dates are cheap to match twice)."""
    from pipeline.interest_tags import current_fingerprint

    conn = connect(config.warehouse, memory_limit=config.duckdb_memory_limit, threads=config.duckdb_threads)
    try:
        if not table_exists(conn, "marts", "interest_tags_daily"):
            return None
        lo, hi = conn.execute("select min(date), max(date) from marts.interest_tags_daily where dictionary <> $d",
                              {"d": current_fingerprint(config.interest_tags)}).fetchone()
    finally:
        conn.close()
    if lo is None or (first <= lo and hi <= last):
        return None                  # nothing stale, or all of it inside this run's dates anyway
    return min(lo, first).isoformat(), max(hi, last).isoformat()


def report_plan(first: date, last: date, today: date) -> list[tuple[str, dict, list]]:
    """(grain, range tags, periods) of the reports a run over [first, last] renders: the weekly
    and the monthly periods overlapping it that are over by ``today`` (the run's local date)."""
    plan = []
    for grain in ("weekly", "monthly"):
        tags = _period_tags(grain, first, last, today)
        if tags:
            plan.append((grain, tags, periods_between(grain, date.fromisoformat(tags[RANGE_START]),
                                                      date.fromisoformat(tags[RANGE_END]))))
    return plan


def _period_tags(grain: str, first: date, last: date, today: date) -> dict | None:
    """Range tags for the periods overlapping [first, last] that are over by ``today``, a local
    date of the community (they exist as partitions)."""
    periods = [p for p in periods_between(grain, first, last) if p.end <= today]
    if not periods:
        return None
    # a period partition key is its start date; the range end is the last period's start
    return {RANGE_START: periods[0].key, RANGE_END: periods[-1].key}


def _failed_exports(config: CommunityConfig) -> list[str]:
    conn = connect(config.warehouse, memory_limit=config.duckdb_memory_limit, threads=config.duckdb_threads)
    try:
        return [r[0] for r in conn.execute(
            "select error from raw.files where status = 'failed' order by source, file_seq").fetchall()]
    except Exception:  # noqa: BLE001 - no raw tables yet
        return []
    finally:
        conn.close()



def _release_interrupted_runs(instance: dg.DagsterInstance, log) -> None:
    """Mark runs left 'started' by a killed process as failed and free their pool slots.

    Without this, a run interrupted while holding the ``duckdb`` pool slot (limit 1) would
    make every later run wait forever.
    """
    stale = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED,
                                                                dg.DagsterRunStatus.STARTING]))
    for run in stale:
        pid = run.tags.get(PID_TAG)
        if pid is None or _alive(int(pid)):
            continue                       # not ours, or still running (a UI run, another CLI)
        instance.report_run_failed(run)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        log(f"  (marked interrupted run {run.run_id[:8]} as failed)")


WRITER_POOL = "duckdb"          # the pool of every asset and check that writes the warehouse


def _wait_for_other_writers(instance: dg.DagsterInstance, log, poll_seconds: float = 2.0) -> None:
    """Wait while a run of another process that writes the warehouse (pool ``duckdb``) is in
    progress, e.g. one launched from the Dagster UI or by its daemon.

    The instance enforces the pool per run (``granularity: run`` in DAGSTER_YAML): the daemon
    keeps a queued run waiting while one of the runner's runs is in progress, but the runner's
    runs execute in this process without the queue, so the runner waits for theirs itself,
    before each stage. Per step, as before, every step claimed and freed the slot (~8 SQLite
    statements, ~1 s of a daily update's ~100 steps), and it protected little: another process
    cannot open the warehouse while the runner holds it open (WarehouseHeldOpen)."""
    announced: set[str] = set()
    while True:
        others = [run for run in instance.get_runs(filters=dg.RunsFilter(statuses=[
                      dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]))
                  if run.tags.get(PID_TAG) != str(os.getpid()) and run.run_op_concurrency is not None
                  and WRITER_POOL in (run.run_op_concurrency.all_pools or ())]
        if not others:
            return
        for run in others:
            if run.run_id not in announced:
                announced.add(run.run_id)
                log(f"  (waiting for run {run.run_id[:8]} of another process to finish: it writes the warehouse. "
                    "If its process is gone, mark the run failed or terminate it in the Dagster UI)")
        time.sleep(poll_seconds)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
