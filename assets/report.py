"""Report layer: the rendered weekly (ISO week) and monthly community operations reports.

Two assets per grain, partitioned by period, writing ``<reports_dir>/<weekly|monthly>/<period key>/``:

- ``report/<grain>_report``: report.html, report.md, charts/*.svg, metrics.json and
  sections.json, from the marts. Re-rendering a period overwrites its folder (and removes its
  report.pdf / report.pptx, which no longer match the page until the documents asset runs again);
- ``report/<grain>_report_documents``: report.pdf (A4, laid out by WeasyPrint from that
  report.html) and report.pptx (16:9, from sections.json), with the charts rasterised to PNG.
  Its own asset because it was over half of a report's time: the daily run and
  ``community-report run`` make it for the newest period of each grain, a backfill of past
  periods can leave it out (``run --documents all`` or a UI backfill adds it).
"""


from datetime import timedelta

import dagster as dg

from pipeline.model_registry import MODELS
from pipeline.partitions import Partitions
from pipeline.periods import periods_between
from pipeline.quality.check_results import latest_check_results
from pipeline.report.batch import render_periods, write_period_documents
from pipeline.resources import CommunityConfigResource, WarehouseResource

from assets.models import model_key


def build_report_asset(grain: str, partitions: Partitions,
                       check_keys: list[dg.AssetCheckKey]) -> dg.AssetsDefinition:
    """``check_keys``: the graph's asset checks, whose latest results the report lists."""
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
        kinds={"html", "markdown", "json", "svg"},
        owners=["team:community-data"],
        description=(f"One {grain} community operations report per period: report.html (self-contained), "
                     f"report.md, charts/*.svg, metrics.json and sections.json under "
                     f"<reports_dir>/{grain}/<period key>/ (report.pdf, report.pptx: report/{grain}_report_documents)."),
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
        checks = latest_check_results(context.instance, check_keys)
        periods = periods_between(grain, window.start.date(), window.end.date() - timedelta(days=1))
        # a backfill's periods are rendered by settings.report_workers processes (pipeline/report/batch.py)
        written = render_periods(config, periods, checks, warehouse.get_connection, documents=False,
                                 on_done=lambda period, paths: context.log.info(f"{period.label}: {paths['html']}"))
        last = written[-1]
        return dg.MaterializeResult(metadata={
            "reports": dg.MetadataValue.json([str(p["html"]) for p in written]),
            "report_path": dg.MetadataValue.path(str(last["html"])),
            "metrics_path": dg.MetadataValue.path(str(last["metrics"])),
            "preview": dg.MetadataValue.md(last["md"].read_text(encoding="utf-8")[:20000]),
        })

    return _report


def build_report_documents_asset(grain: str, partitions: Partitions) -> dg.AssetsDefinition:
    report_key = dg.AssetKey(["report", f"{grain}_report"])

    @dg.asset(
        key=["report", f"{grain}_report_documents"],
        group_name="report",
        kinds={"pdf", "pptx"},
        owners=["team:community-data"],
        description=(f"report.pdf (A4, CJK fonts embedded) and report.pptx (16:9) of each {grain} report, made from "
                     f"its report.html, charts and sections.json under <reports_dir>/{grain}/<period key>/."),
        deps=[report_key],
        partitions_def=partitions.for_grain(grain),
        backfill_policy=dg.BackfillPolicy.single_run(),
        automation_condition=dg.AutomationCondition.eager(),
    )
    def _report_documents(context: dg.AssetExecutionContext,
                          community: CommunityConfigResource) -> dg.MaterializeResult:
        config = community.load()
        window = context.partition_time_window
        periods = periods_between(grain, window.start.date(), window.end.date() - timedelta(days=1))
        # no warehouse access: the documents are made from files; many periods -> worker processes
        written = write_period_documents(config, periods, on_done=lambda period, paths: context.log.info(
            f"{period.label}: {paths['pdf']}, {paths['pptx'].name}"))
        last = written[-1]
        return dg.MaterializeResult(metadata={
            "pdfs": dg.MetadataValue.json([str(p["pdf"]) for p in written]),
            "pdf_path": dg.MetadataValue.path(str(last["pdf"])),
            "pdf_bytes": dg.MetadataValue.int(last["pdf"].stat().st_size),
            "pptx_path": dg.MetadataValue.path(str(last["pptx"])),
        })

    return _report_documents
