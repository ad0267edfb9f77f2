"""Great Expectations suites run as Dagster asset checks on the raw and staging tables.

Checks are blocking: a critical expectation failing (e.g. a duplicated message_key) would
make a wrong report, so it stops everything downstream in the run. Warning-severity
expectations are recorded as WARN and let the run go on.
"""


import dagster as dg

from pipeline.config import SourceConfig
from pipeline.quality.gx_runner import SuiteOutcome, validate_table
from pipeline.quality.suites import RAW_SUITES, STAGING_SUITES
from pipeline.resources import WarehouseResource


def outcome_to_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.critical else dg.AssetCheckSeverity.WARN,
        description=f"GX suite {outcome.suite} on {outcome.table}",
        metadata={
            "suite": outcome.suite,
            "evaluated_expectations": outcome.evaluated,
            "failed_expectations": dg.MetadataValue.json(outcome.failed),
            "gx_errors": dg.MetadataValue.json(outcome.errors),
        },
    )


def _staging_check(table: str, suite_factory) -> dg.AssetChecksDefinition:
    schema, name = table.split(".")

    @dg.asset_check(asset=dg.AssetKey([schema, name]), name=f"{schema}_{name}_gx_suite", blocking=True,
                    description=f"Great Expectations suite {suite_factory().name} on {table}.", pool="duckdb")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return outcome_to_result(validate_table(warehouse.path, table, suite_factory(),
                                                memory_limit=warehouse.memory_limit, threads=warehouse.threads))

    return _check


def build_staging_checks() -> list[dg.AssetChecksDefinition]:
    return [_staging_check(table, factory) for table, factory in STAGING_SUITES.items()]


def _raw_gx_check(source: SourceConfig, raw_key: dg.AssetKey, table: str, suite_factory) -> dg.AssetChecksDefinition:
    name = table.split(".")[1]

    @dg.asset_check(asset=raw_key, name=f"raw_{source.name}_{name}_gx_suite", blocking=True,
                    description=f"Great Expectations suite {suite_factory().name} on this source's rows of {table}.",
                    pool="duckdb")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return outcome_to_result(validate_table(warehouse.path, table, suite_factory(), source=source.name,
                                                memory_limit=warehouse.memory_limit, threads=warehouse.threads))

    return _check


def build_raw_gx_checks(source: SourceConfig, raw_key: dg.AssetKey) -> list[dg.AssetChecksDefinition]:
    return [_raw_gx_check(source, raw_key, table, factory) for table, factory in RAW_SUITES.items()]
