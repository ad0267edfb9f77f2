"""The one place the Dagster code location is assembled.

The asset graph depends on the community config (one raw asset per source, partitions from
the history start and time zone), so it is built by :func:`build_definitions` from a
``CommunityConfig``. :func:`default_definitions` (what ``dagster dev -w workspace.yaml`` loads,
through pipeline/code_location.py) uses ``$COMMUNITY_CONFIG``, else ``demo/community.yaml``
(written by ``make demo``); without either it shows the graph of a community with no sources.
"""

from __future__ import annotations

import os
import warnings
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from assets.business_inputs import (BUSINESS_INPUTS_KEY, build_business_inputs_asset,
                                    build_business_inputs_checks)
from assets.checks import build_raw_gx_checks, build_staging_checks
from assets.models import build_model_assets
from assets.raw import build_raw_assets, build_raw_checks, raw_asset_key
from assets.report import build_report_asset, build_report_documents_asset
from pipeline.config import CommunityConfig, load_config
from pipeline.partitions import build_partitions
from pipeline.resources import CommunityConfigResource, WarehouseResource
from pipeline.sensors import build_landing_sensor

# The assets use two beta parameters on purpose (backfill_policy: a partition range in one run;
# allow_nonexistent_upstream_partitions: periods before the history), and Dagster warns at each
# of the ~60 definitions. (Importing Great Expectations used to hide these warnings by sending
# every warning to logging; it is imported when a suite first runs now.)
warnings.filterwarnings("ignore", category=dg.BetaWarning,
                        message=r"Parameter `(backfill_policy|allow_nonexistent_upstream_partitions)`")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "demo" / "community.yaml"


def build_definitions(config: CommunityConfig) -> dg.Definitions:
    partitions = build_partitions(config)
    raw_assets = [*build_raw_assets(config.sources), build_business_inputs_asset()]
    raw_checks = [c for s in config.sources for c in (*build_raw_checks(s), *build_raw_gx_checks(s, raw_asset_key(s)))]
    raw_checks += build_business_inputs_checks()
    raw_keys = raw_asset_keys(config)
    model_assets = build_model_assets(partitions, raw_keys)
    checks = [*raw_checks, *build_staging_checks()]
    check_keys = report_check_keys(checks)
    report_assets = [asset for grain in ("weekly", "monthly")
                     for asset in (build_report_asset(grain, partitions, check_keys),
                                   build_report_documents_asset(grain, partitions))]

    daily_job = dg.define_asset_job(
        "daily_refresh",
        selection=dg.AssetSelection.groups(*(f"raw_{s.name}" for s in config.sources), "raw_business_inputs",
                                           "staging",
                                           "intermediate", "marts")
        - dg.AssetSelection.keys(*_period_keys(model_assets)),
        partitions_def=partitions.daily,
        description="Load new exports and rebuild staging + marts for one local day.",
    )
    weekly_job = dg.define_asset_job(
        "weekly_report", selection=dg.AssetSelection.keys(*_period_keys(model_assets, "weekly"),
                                                          dg.AssetKey(["report", "weekly_report"]),
                                                          dg.AssetKey(["report", "weekly_report_documents"])),
        partitions_def=partitions.weekly, description="Weekly KPIs and the weekly report.")
    monthly_job = dg.define_asset_job(
        "monthly_report", selection=dg.AssetSelection.keys(*_period_keys(model_assets, "monthly"),
                                                           dg.AssetKey(["report", "monthly_report"]),
                                                           dg.AssetKey(["report", "monthly_report_documents"])),
        partitions_def=partitions.monthly, description="Monthly KPIs and the monthly report.")

    return dg.Definitions(
        assets=[*raw_assets, *model_assets, *report_assets],
        asset_checks=checks,
        jobs=[daily_job, weekly_job, monthly_job],
        schedules=[
            _daily_schedule(daily_job, config.timezone),
            dg.build_schedule_from_partitioned_job(weekly_job, hour_of_day=7, minute_of_hour=0),
            dg.build_schedule_from_partitioned_job(monthly_job, hour_of_day=7, minute_of_hour=30),
        ],
        sensors=[
            build_landing_sensor(config),
            dg.AutomationConditionSensorDefinition(
                "community_automation_sensor", target=dg.AssetSelection.all(),
                default_status=dg.DefaultSensorStatus.STOPPED),
        ],
        resources={
            "warehouse": WarehouseResource(path=str(config.warehouse), memory_limit=config.duckdb_memory_limit,
                                           threads=config.duckdb_threads),
            "community": CommunityConfigResource(config_path=str(config.config_path)),
        },
        executor=dg.in_process_executor,
    )


def report_check_keys(checks) -> list[dg.AssetCheckKey]:
    """The checks whose latest results a report's quality appendix lists: all of ``checks``
    (the graph's asset checks, ``Definitions.asset_checks``), in a fixed order."""
    return sorted({key for c in checks for key in c.check_keys}, key=lambda k: (k.asset_key.path, k.name))


def raw_asset_keys(config: CommunityConfig) -> list[dg.AssetKey]:
    """Every raw asset: one per source, plus the business inputs (the registry's ``raw`` dep)."""
    return [raw_asset_key(s) for s in config.sources] + [BUSINESS_INPUTS_KEY]


def _daily_schedule(job, timezone: str) -> dg.ScheduleDefinition:
    @dg.schedule(job=job, cron_schedule="0 6 * * *", execution_timezone=timezone, name="daily_refresh_schedule",
                 description="06:00 local: load yesterday's exports and rebuild yesterday's partition.")
    def daily_refresh_schedule(context: dg.ScheduleEvaluationContext):
        # yesterday, in the community's time zone (the tick time carries that zone)
        day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=day, partition_key=day)

    return daily_refresh_schedule


def _period_keys(model_assets, grain: str | None = None) -> list[dg.AssetKey]:
    keys = []
    for a in model_assets:
        pdef = a.partitions_def
        if isinstance(pdef, (dg.WeeklyPartitionsDefinition, dg.MonthlyPartitionsDefinition)):
            if grain is None or (grain == "weekly") == isinstance(pdef, dg.WeeklyPartitionsDefinition):
                keys.append(a.key)
    return keys


def _empty_config() -> CommunityConfig:
    return CommunityConfig(
        config_path=PROJECT_ROOT / "community.yaml", name="(no community.yaml)", founded=None, audience="",
        timezone="Asia/Shanghai", language="zh", warehouse=PROJECT_ROOT / "data" / "warehouse.duckdb",
        reports_dir=PROJECT_ROOT / "reports", sources=(), business_inputs=None,
        exporter_timezone="Asia/Shanghai", history_start=date(2024, 1, 1), duckdb_memory_limit="2GB",
        duckdb_threads=2, quarantine_threshold=0.05)


def default_definitions() -> dg.Definitions:
    """The definitions of the project ``$COMMUNITY_CONFIG`` names, else of the demo, else of an
    empty project. Built by the code location (pipeline/code_location.py) only: when this module
    built them on import, every ``community-report`` command and test paid ~0.1 s for the
    demo's graph before building its own project's."""
    path = os.environ.get("COMMUNITY_CONFIG") or (str(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else None)
    return build_definitions(load_config(path) if path else _empty_config())
