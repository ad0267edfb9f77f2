"""Raw layer of the business inputs: the team's spreadsheets (``business_inputs:`` folder).

One unpartitioned asset ``raw/business_inputs`` (group ``raw_business_inputs``): every run
loads each input file present (``<name>.csv`` or ``<name>.xlsx``) into ``raw.input_<name>``,
replacing what was loaded before (the files are small and edited in place); rule breakers go
to ``raw.quarantine`` (entity ``input:<name>``); ``raw.input_files`` is the ledger. A missing
file is an absent input, not an error. Its Dagster data version is a digest of that ledger, so
a run can leave the models of unchanged inputs as they are (``pipeline/unchanged.py``).
"""


import dagster as dg

from pipeline.config import CommunityConfig
from pipeline.ingest.inputs import ingest_business_inputs, inputs_version
from pipeline.ingest.inputs_schema import INPUT_NAMES, SOURCE
from pipeline.resources import CommunityConfigResource, WarehouseResource

BUSINESS_INPUTS_KEY = dg.AssetKey(["raw", "business_inputs"])


def build_business_inputs_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=BUSINESS_INPUTS_KEY,
        group_name="raw_business_inputs",
        kinds={"duckdb", "csv", "excel"},
        owners=["team:community-data"],
        tags={"source": SOURCE},
        description=("The team's spreadsheets (goals, campaigns, campaign_participants, content, feedback, costs, "
                     "conversions, competitors, plan, incidents, strategies, member_profiles, identity_map), each "
                     "<name>.csv (UTF-8 with or without BOM, GB18030/GBK or UTF-16) or <name>.xlsx in the "
                     "business_inputs folder, loaded whole into raw.input_<name>; rule breakers in "
                     "raw.quarantine (entity input:<name>); ledger raw.input_files. Missing files = absent inputs."),
        automation_condition=dg.AutomationCondition.on_cron("0 6 * * *"),
        pool="duckdb",
    )
    def business_inputs(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        community: CommunityConfigResource) -> dg.MaterializeResult:
        config: CommunityConfig = community.load()
        with warehouse.get_connection() as conn:
            results = ingest_business_inputs(conn, config.business_inputs, config.timezone)
            version = inputs_version(conn)
            ledger = conn.execute(
                """select input, status, coalesce(file_path, '') as file_path, coalesce(encoding, '') as encoding,
                          rows_read, rows_loaded, rows_quarantined, coalesce(error, '') as error
                   from raw.input_files order by input""").df()
        for r in results:
            if r.status == "failed":
                context.log.error(r.error)
        present = [r for r in results if r.status != "absent"]
        # the version lets a run leave the models of unchanged inputs as they are (pipeline/unchanged.py)
        return dg.MaterializeResult(data_version=dg.DataVersion(version), metadata={
            "dagster/row_count": sum(r.rows_loaded for r in results),
            "business_inputs_folder": str(config.business_inputs) if config.business_inputs else "(not configured)",
            "inputs_present": len(present),
            "inputs_absent": dg.MetadataValue.json([r.input for r in results if r.status == "absent"]),
            "inputs_failed": dg.MetadataValue.json([r.error for r in results if r.status == "failed"]),
            "rows_quarantined": sum(r.rows_quarantined for r in results),
            "ledger": dg.MetadataValue.md(ledger.to_markdown(index=False)),
        })

    return business_inputs


def build_business_inputs_checks() -> list[dg.AssetChecksDefinition]:
    """Every present input file could be read; each input's quarantined share is under the threshold.

    Both WARN: a bad spreadsheet must not stop the report (its section says what is missing).
    """

    @dg.asset_check(asset=BUSINESS_INPUTS_KEY, name="raw_business_inputs_files_parsed",
                    description="Every business input file present could be read (a failed one is named "
                                "with its error).")
    def _parsed(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as conn:
            failed = conn.execute("select input, error from raw.input_files where status = 'failed' order by input"
                                  ).fetchall()
        return dg.AssetCheckResult(passed=not failed, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"failed_inputs": dg.MetadataValue.json({i: e for i, e in failed})})

    @dg.asset_check(asset=BUSINESS_INPUTS_KEY, name="raw_business_inputs_quarantine_share",
                    description="For every input, quarantined rows are at most the configured share of rows read.")
    def _quarantine(warehouse: WarehouseResource, community: CommunityConfigResource) -> dg.AssetCheckResult:
        threshold = community.load().quarantine_threshold
        with warehouse.get_connection() as conn:
            rows = conn.execute("select input, rows_read, rows_quarantined from raw.input_files "
                                "where status = 'loaded' order by input").fetchall()
            by_rule = conn.execute("select entity || ':' || rule, count(*) from raw.quarantine where source = $s "
                                   "group by all order by 2 desc", {"s": SOURCE}).fetchall()
        over = {i: q / r for i, r, q in rows if r and q / r > threshold}
        return dg.AssetCheckResult(
            passed=not over, severity=dg.AssetCheckSeverity.WARN,
            metadata={"threshold": threshold, "inputs_over_threshold": dg.MetadataValue.json(over),
                      "by_rule": dg.MetadataValue.json(dict(by_rule)),
                      "inputs": dg.MetadataValue.json(list(INPUT_NAMES))})

    return [_parsed, _quarantine]
