"""Great Expectations suites run as Dagster asset checks on the raw and staging tables.

Checks are blocking: a critical expectation failing (e.g. a duplicated message_key) would
make a wrong report, so it stops everything downstream in the run. Warning-severity
expectations are recorded as WARN and let the run go on.

A daily-partitioned staging table is validated on the dates its run wrote (the run's partition
tags), so a daily update checks one day and not the whole history; its unique keys are still
checked against the rest of the table (``gx_runner.Window``). A run without partition tags
validates the whole table. A source's raw tables are validated on the rows of the exports its
run loaded (their ``file_seq``, from the raw asset's materialization in the same run), and on
all of the source's rows when the check runs on its own.
"""

from datetime import date, timedelta

import dagster as dg
from dagster._core.storage.tags import (ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG,
                                        PARTITION_NAME_TAG)

from assets.raw import FIRST_FILE_SEQ
from pipeline.config import SourceConfig
from pipeline.model_registry import MODELS
from pipeline.quality.gx_runner import SuiteOutcome, Window, validate_table
from pipeline.quality.validated_tables import RAW_TABLES, STAGING_TABLES, suite_name
from pipeline.resources import WarehouseResource


def outcome_to_result(outcome: SuiteOutcome, extra_metadata: dict | None = None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.critical else dg.AssetCheckSeverity.WARN,
        description=f"GX suite {outcome.suite} on {outcome.table}",
        metadata={
            "suite": outcome.suite,
            "evaluated_expectations": outcome.evaluated,
            "failed_expectations": dg.MetadataValue.json(outcome.failed),
            "gx_errors": dg.MetadataValue.json(outcome.errors),
            **(extra_metadata or {}),
        },
    )


def run_window(tags: dict, time_column: str) -> Window | None:
    """The local dates a daily run wrote, from its partition tags (a range run or one partition)."""
    first = tags.get(ASSET_PARTITION_RANGE_START_TAG) or tags.get(PARTITION_NAME_TAG)
    last = tags.get(ASSET_PARTITION_RANGE_END_TAG) or tags.get(PARTITION_NAME_TAG)
    if not first or not last:
        return None
    return Window(time_column, date.fromisoformat(first), date.fromisoformat(last) + timedelta(days=1))


def _suite(table: str, raw: bool = False):
    """The GX suite of ``table`` (built when its check runs: suites.py imports GX)."""
    from pipeline.quality.suites import RAW_SUITES, STAGING_SUITES

    return (RAW_SUITES if raw else STAGING_SUITES)[table]()


def _staging_check(table: str) -> dg.AssetChecksDefinition:
    schema, name = table.split(".")
    spec = next((m for m in MODELS if m.relation == table), None)
    daily_column = spec.time_column if spec is not None and spec.grain == "daily" else None
    scope = "the dates its run wrote" if daily_column else "the whole table"

    @dg.asset_check(asset=dg.AssetKey([schema, name]), name=f"{schema}_{name}_gx_suite", blocking=True,
                    description=f"Great Expectations suite {suite_name(table)} on {table} ({scope}).",
                    pool="duckdb")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        window = run_window(context.run.tags, daily_column) if daily_column else None
        outcome = validate_table(warehouse.path, table, _suite(table), window=window,
                                 memory_limit=warehouse.memory_limit, threads=warehouse.threads)
        rows = f"{window.column} in [{window.start}, {window.end})" if window else "all"
        return outcome_to_result(outcome, {"validated_rows": dg.MetadataValue.text(rows)})

    return _check


def build_staging_checks() -> list[dg.AssetChecksDefinition]:
    return [_staging_check(table) for table in STAGING_TABLES]


def loaded_by_this_run(context: dg.AssetCheckExecutionContext, raw_key: dg.AssetKey) -> int | None:
    """The first file_seq of the exports the raw asset loaded in this check's run (its rows are
    those with file_seq >= it), or None when the asset was not materialized in this run (a check
    run on its own) or did not say."""
    event = context.instance.get_latest_materialization_event(raw_key)
    if event is None or event.run_id != context.run.run_id or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get(FIRST_FILE_SEQ)
    return value.value if value is not None else None


def _raw_gx_check(source: SourceConfig, raw_key: dg.AssetKey, table: str) -> dg.AssetChecksDefinition:
    name = table.split(".")[1]

    @dg.asset_check(asset=raw_key, name=f"raw_{source.name}_{name}_gx_suite", blocking=True,
                    description=(f"Great Expectations suite {suite_name(table)} on this source's rows of {table} "
                                 "(those its run loaded; all of them in a run of the check alone)."),
                    pool="duckdb")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        # The rows of earlier exports were validated by the run that loaded them: validating the
        # source's whole history on every run made a daily update's check follow the history.
        since = loaded_by_this_run(context, raw_key)
        outcome = validate_table(warehouse.path, table, _suite(table, raw=True), source=source.name,
                                 since_file_seq=since, memory_limit=warehouse.memory_limit,
                                 threads=warehouse.threads)
        rows = "all of the source's rows" if since is None else f"the exports this run loaded (file_seq >= {since})"
        return outcome_to_result(outcome, {"validated_rows": dg.MetadataValue.text(rows)})

    return _check


def build_raw_gx_checks(source: SourceConfig, raw_key: dg.AssetKey) -> list[dg.AssetChecksDefinition]:
    return [_raw_gx_check(source, raw_key, table) for table in RAW_TABLES]
