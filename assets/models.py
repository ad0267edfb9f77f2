"""Staging, intermediate and mart assets: one asset per SQL file of the model registry.

Key ``[schema, table]``, group = schema, description = the file's grain comment. Daily
models are partitioned by local date; weekly/monthly ones by ISO week / month. Every
partitioned model uses a single-run backfill policy and replaces its window, so a backfill
of any range is one idempotent run.
"""


from datetime import timedelta

import dagster as dg

from pipeline.build import model_inputs, period_windows
from assets.business_inputs import BUSINESS_INPUTS_KEY
from pipeline.model_registry import INPUT_ONLY_MODELS, INPUTS, MODELS, ModelSpec
from pipeline.partitions import Partitions
from pipeline.periods import periods_between
from pipeline.resources import CommunityConfigResource, WarehouseResource
from pipeline.sql_runner import SQL_DIR, materialize, materialize_windows
from pipeline.warehouse import table_exists

_ONE_DAY = timedelta(days=1)
_BY_RELATION = {m.relation: m for m in MODELS}


def model_key(relation: str) -> dg.AssetKey:
    return dg.AssetKey(relation.split("."))


def input_only_automation() -> dg.AutomationCondition:
    """Eager, except that a dependency's update counts only when its data version changed, or the
    model's code version did: raw/business_inputs is loaded every morning and gives the same data
    version while the team's files are unchanged (a digest of its ledger), so the models made
    from it alone (INPUT_ONLY_MODELS) are not built again for nothing (as `community-report run`
    leaves them, pipeline/unchanged.py). Downstream models that are not made from the inputs
    alone stay eager."""
    changed = (dg.AutomationCondition.any_deps_match(dg.AutomationCondition.data_version_changed())
               .with_label("any_deps_data_version_changed")
               | dg.AutomationCondition.code_version_changed())
    return dg.AutomationCondition.eager().replace("any_deps_updated", changed)


def _deps(spec: ModelSpec, raw_keys: list[dg.AssetKey]) -> list[dg.AssetDep]:
    deps = []
    for dep in spec.dep_specs():
        if dep.relation == "raw":
            deps += [dg.AssetDep(k) for k in raw_keys]
            continue
        if dep.relation == INPUTS:
            deps.append(dg.AssetDep(BUSINESS_INPUTS_KEY))
            continue
        upstream = _BY_RELATION[dep.relation]
        mapping = None
        if spec.grain and upstream.grain:
            same = spec.grain == upstream.grain
            # Offsets (look-back / look-ahead windows) are only meaningful between equal grains.
            mapping = dg.TimeWindowPartitionMapping(
                start_offset=dep.start_offset if same else 0,
                end_offset=dep.end_offset if same else 0,
                allow_nonexistent_upstream_partitions=True)
        deps.append(dg.AssetDep(model_key(dep.relation), partition_mapping=mapping))
    return deps


def _period_inputs(spec: ModelSpec) -> list[ModelSpec]:
    """The weekly and monthly models an unpartitioned model reads (goals and competitors read
    the period KPIs of every section): their tables appear with the first week or month over."""
    if spec.grain is not None:
        return []
    return [_BY_RELATION[d.relation] for d in spec.dep_specs()
            if d.relation in _BY_RELATION and _BY_RELATION[d.relation].grain in ("weekly", "monthly")]


def build_model_asset(spec: ModelSpec, partitions: Partitions, raw_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    partitions_def = partitions.for_grain(spec.grain)
    tags = {"report_section": spec.section} if spec.section else None
    waits_for = _period_inputs(spec)
    asset_args = dict(
        key=model_key(spec.relation),
        group_name=spec.schema,
        kinds={"duckdb", "sql"},
        owners=["team:community-data"],
        tags=tags,
        description=spec.model.description,
        deps=_deps(spec, raw_keys),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
        automation_condition=(input_only_automation() if spec.relation in INPUT_ONLY_MODELS
                              else dg.AutomationCondition.eager()),
        # versions only where a run may skip the model (pipeline/unchanged.py): with a code version
        # and its inputs' data versions, Dagster records what each materialization was made from
        code_version=spec.code_version if spec.relation in INPUT_ONLY_MODELS else None,
        metadata={"sql_path": dg.MetadataValue.path(str(SQL_DIR / spec.path))},
        pool="duckdb",
    )

    def build(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
              community: CommunityConfigResource) -> dg.MaterializeResult:
        config = community.load()
        extra, fragments = model_inputs(config.timezone, config.interest_tags)
        with warehouse.get_connection() as conn:
            if spec.grain is None:
                meta = materialize(conn, spec.model, extra=extra, fragments=fragments)
                windows = "all"
            else:
                window = context.partition_time_window    # the whole range during a backfill
                start, end = window.start.date(), window.end.date()
                if spec.grain == "daily":
                    start -= timedelta(days=spec.lookback_days)   # dates a later one may change
                    meta = materialize(conn, spec.model, period_start=start, period_end=end, extra=extra,
                                       fragments=fragments)
                else:
                    meta = materialize_windows(conn, spec.model, period_windows(
                        spec.grain, periods_between(spec.grain, start, end - _ONE_DAY, complete_only=False), extra),
                        fragments=fragments)
                windows = f"{start} .. {end} (exclusive)"
        changed = {"rows_changed": int(meta["rows_changed"])} if "rows_changed" in meta else {}
        return dg.MaterializeResult(metadata={
            "dagster/row_count": int(meta["total_rows"]),
            "rows_in_window": int(meta["window_rows"]),
            **changed,
            "window": windows,
            "dagster/table_name": f"warehouse.{spec.relation}",
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(name=c, type=t) for c, t in meta["columns"]]),
        })

    if not waits_for:
        @dg.asset(**asset_args)
        def _model(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   community: CommunityConfigResource) -> dg.MaterializeResult:
            return build(context, warehouse, community)

        return _model

    # Until every period model it reads has a table (a community's first weeks), the model is not
    # materialized: the step succeeds without it (output_required=False) and says why, instead of
    # failing the scheduled daily run (or `community-report run`) on a missing table every morning.
    @dg.asset(**asset_args, output_required=False)
    def _waiting_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                       community: CommunityConfigResource):
        with warehouse.get_connection() as conn:
            missing = [u.relation for u in waits_for if not table_exists(conn, u.schema, u.model.table)]
        if missing:
            context.log.info(f"{spec.relation} not built yet: no table for {', '.join(missing)} "
                             "(their first week or month is not over)")
            return
        yield build(context, warehouse, community)

    return _waiting_model


def build_model_assets(partitions: Partitions, raw_keys: list[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    return [build_model_asset(spec, partitions, raw_keys) for spec in MODELS]
