"""Report layer: the rendered weekly (ISO week) and monthly community operations reports.

One asset per grain, ``report/weekly_report`` and ``report/monthly_report``, partitioned by
period; each writes ``<reports_dir>/<weekly|monthly>/<period key>/`` (report.html,
report.md, metrics.json, report.pdf, report.pptx). Re-rendering a period overwrites its folder.
"""


from datetime import timedelta

import dagster as dg

from pipeline.model_registry import MODELS
from pipeline.partitions import Partitions
from pipeline.periods import periods_between
from pipeline.quality.check_results import latest_check_results
from pipeline.report.batch import render_periods
from pipeline.resources import CommunityConfigResource, WarehouseResource

from assets.models import model_key


def build_report_asset(grain: str, partitions: Partitions) -> dg.AssetsDefinition:
    partitions_def = partitions.for_grain(grain)
    deps = []
    for spec in MODELS:
        if spec.schema != "marts":
            continue
        mapping = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True) if spec.grain else None
        deps.append(dg.AssetDep(model_key(spec.relation), partition_mapping=mapping))

    @dg.asset(
        key=["report", f"{grain}_report"],
        group_name="report",
        kinds={"html", "markdown", "json", "pdf", "pptx"},
        owners=["team:community-data"],
        description=(f"One {grain} community operations report per period: report.html (self-contained), "
                     f"report.md, metrics.json, report.pdf (A4) and report.pptx (16:9) under <reports_dir>/{grain}/<period key>/."),
        deps=deps,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        automation_condition=dg.AutomationCondition.eager(),
        pool="duckdb",
    )
    def _report(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                community: CommunityConfigResource) -> dg.MaterializeResult:
        config = community.load()
        window = context.partition_time_window
        checks = latest_check_results(context.instance)
        periods = periods_between(grain, window.start.date(), window.end.date() - timedelta(days=1))
        # a backfill's periods are rendered by settings.report_workers processes (pipeline/report/batch.py)
        written = render_periods(config, periods, checks, warehouse.get_connection,
                                 on_done=lambda period, paths: context.log.info(f"{period.label}: {paths['html']}"))
        last = written[-1]
        return dg.MaterializeResult(metadata={
            "reports": dg.MetadataValue.json([str(p["html"]) for p in written]),
            "report_path": dg.MetadataValue.path(str(last["html"])),
            "metrics_path": dg.MetadataValue.path(str(last["metrics"])),
            "pdf_path": dg.MetadataValue.path(str(last["pdf"])),
            "pptx_path": dg.MetadataValue.path(str(last["pptx"])),
            "preview": dg.MetadataValue.md(last["md"].read_text(encoding="utf-8")[:20000]),
        })

    return _report
