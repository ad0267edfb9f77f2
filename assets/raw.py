"""Raw layer: one asset per configured source, loading its exports as-is into ``raw.*`` (all made
by one step, see :func:`build_raw_assets`).

Exports cover arbitrary, overlapping date ranges, so the raw layer is file-based, not
partitioned: each run loads the export units not loaded before (by content hash), and
reloading the same export adds nothing. Rows breaking a rule go to ``raw.quarantine``.
"""


import dagster as dg

from pipeline.config import CommunityConfig, SourceConfig
from pipeline.ingest.loader import SourceIngestResult, ingest_sources
from pipeline.resources import CommunityConfigResource, WarehouseResource


FIRST_FILE_SEQ = "first_file_seq_loaded"      # metadata of a raw materialization (assets/checks.py)


def raw_asset_key(source: SourceConfig) -> dg.AssetKey:
    return dg.AssetKey(["raw", source.name])


def raw_asset_spec(source: SourceConfig) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=raw_asset_key(source),
        group_name=f"raw_{source.name}",
        kinds={"duckdb", source.platform},
        owners=["team:community-data"],
        tags={"source": source.name, "platform": source.platform},
        description=(f"One row per record of every {source.platform} export in {source.path} "
                     f"(source `{source.name}`), loaded as-is into raw.messages/users/reactions/"
                     f"membership_events with its file and place; rule breakers in raw.quarantine."),
        automation_condition=dg.AutomationCondition.on_cron("0 6 * * *"),
    )


def build_raw_assets(sources: tuple[SourceConfig, ...]) -> list[dg.AssetsDefinition]:
    """One asset per source (raw/<source>), all made by one step: the sources a run selects load
    side by side when their new exports are small (pipeline.ingest.loader.ingest_sources: a daily
    update), each materialized with its own metadata. Any subset can be materialized (the
    landing sensor asks for the sources whose folders changed). A source that raises (not a bad
    export: those are recorded as failed units) fails the step, naming it, once the others are
    loaded and materialized."""
    if not sources:
        return []

    @dg.multi_asset(name="raw_sources", specs=[raw_asset_spec(s) for s in sources], can_subset=True, pool="duckdb")
    def _raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource, community: CommunityConfigResource):
        config: CommunityConfig = community.load()
        current = {s.name: s for s in config.sources}
        selected = [current.get(s.name, s) for s in sources if raw_asset_key(s) in context.selected_asset_keys]
        with warehouse.get_connection() as conn:
            results = ingest_sources(conn, config, selected)
            for source, result in zip(selected, results):
                if not isinstance(result, Exception):
                    yield _materialization(context, conn, source, result)
        failed = [(source, result) for source, result in zip(selected, results) if isinstance(result, Exception)]
        if failed:
            source, error = failed[0]
            raise RuntimeError(f"raw source {source.name} ({source.path}) could not be loaded: {error!r}"
                               + (f"; {len(failed) - 1} more source(s) failed too" if len(failed) > 1 else "")) from error

    return [_raw]


def _materialization(context: dg.AssetExecutionContext, conn, source: SourceConfig,
                     result: SourceIngestResult) -> dg.MaterializeResult:
    ledger = conn.execute(
        """select file_path, status, rows_read, rows_loaded, rows_quarantined, coalesce(error, '') as error
           from raw.files where source = $s order by file_seq""", {"s": source.name}).df()
    totals = conn.execute("select count(*) from raw.messages where source = $s", {"s": source.name}).fetchone()[0]
    for unit in result.failed:
        context.log.error(unit.error)
    return dg.MaterializeResult(asset_key=raw_asset_key(source), metadata={
        "dagster/row_count": int(totals),
        "exports_loaded": result.count("loaded"),
        "exports_skipped_already_loaded": result.count("skipped"),
        "exports_failed": result.count("failed"),
        "errors": dg.MetadataValue.json([u.error for u in result.failed]),
        "ledger": dg.MetadataValue.md(ledger.to_markdown(index=False) if len(ledger) else "(no exports)"),
        # the rows this run loaded (file_seq >= it): what the source's GX checks validate
        **({FIRST_FILE_SEQ: result.first_seq} if result.first_seq is not None else {}),
    })


def build_raw_checks(source: SourceConfig) -> list[dg.AssetChecksDefinition]:
    """Per-source checks: every export parsed; the quarantined share stays under the threshold."""

    @dg.asset_check(asset=raw_asset_key(source), name=f"raw_{source.name}_exports_parsed",
                    description="Every export unit of the source could be parsed (a failed one is named with its error).")
    def _parsed(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as conn:
            failed = conn.execute(
                "select file_path, error from raw.files where source = $s and status = 'failed' order by file_seq",
                {"s": source.name}).fetchall()
        # WARN, not ERROR: one unreadable file must not stop the other sources' reports.
        return dg.AssetCheckResult(passed=not failed, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"failed_exports": dg.MetadataValue.json([e for _, e in failed])})

    @dg.asset_check(asset=raw_asset_key(source), name=f"raw_{source.name}_quarantine_share", blocking=True,
                    description="Quarantined rows are below the configured share of rows read (default 5 %).")
    def _quarantine(warehouse: WarehouseResource, community: CommunityConfigResource) -> dg.AssetCheckResult:
        threshold = community.load().quarantine_threshold
        with warehouse.get_connection() as conn:
            read, quarantined = conn.execute(
                "select coalesce(sum(rows_read), 0), coalesce(sum(rows_quarantined), 0) from raw.files "
                "where source = $s and status = 'loaded'", {"s": source.name}).fetchone()
            by_rule = conn.execute(
                "select rule, count(*) as n from raw.quarantine where source = $s group by rule order by n desc",
                {"s": source.name}).fetchall()
        share = quarantined / read if read else 0.0
        return dg.AssetCheckResult(
            passed=share <= threshold, severity=dg.AssetCheckSeverity.ERROR,
            metadata={"rows_read": int(read), "rows_quarantined": int(quarantined), "share": float(share),
                      "threshold": threshold, "by_rule": dg.MetadataValue.json(dict(by_rule))})

    return [_parsed, _quarantine]
