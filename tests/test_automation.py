"""Declarative automation of the models made from the business inputs alone
(model_registry.INPUT_ONLY_MODELS): raw/business_inputs is loaded every morning (on_cron), and
a load of unchanged inputs (the same data version) is no reason to build them again; new
inputs or changed SQL are. Evaluated with Dagster's own evaluator on a real instance, with the
conditions the project's assets carry."""

from __future__ import annotations

import dagster as dg

from assets.models import input_only_automation
from pipeline.config import load_config
from pipeline.definitions import build_definitions
from pipeline.model_registry import INPUT_ONLY_MODELS, MODELS

DATA_VERSION_TAG = "dagster/data_version"


def _defs(code_version: str) -> dg.Definitions:
    inputs = dg.AssetSpec("inputs")
    made_from_inputs = dg.AssetSpec("made_from_inputs", deps=["inputs"], code_version=code_version,
                                    automation_condition=input_only_automation())
    eager = dg.AssetSpec("eager", deps=["inputs"], automation_condition=dg.AutomationCondition.eager())
    return dg.Definitions(assets=[inputs, made_from_inputs, eager])


def _load(instance: dg.DagsterInstance, key: str, data_version: str | None = None) -> None:
    tags = {DATA_VERSION_TAG: data_version} if data_version else None
    instance.report_runless_asset_event(dg.AssetMaterialization(key, tags=tags))


def _requested(defs: dg.Definitions, instance: dg.DagsterInstance, cursor):
    """One tick of the automation sensor; what it requests is then materialized (as the run it
    launches would be), and the next tick, which sees those materializations, requests nothing."""
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    keys = {r.key.to_user_string() for r in result.results if r.true_subset.size}
    for key in keys:
        _load(instance, key)
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=result.cursor)
    assert after.total_requested == 0
    return keys, after.cursor


def test_inputs_loaded_unchanged_do_not_rebuild_what_is_made_from_them():
    with dg.instance_for_test() as instance:
        defs = _defs("sql-1")
        _, cursor = _requested(defs, instance, None)                 # first tick: nothing loaded yet
        _load(instance, "inputs", "v1")
        keys, cursor = _requested(defs, instance, cursor)
        assert keys == {"made_from_inputs", "eager"}

        _load(instance, "inputs", "v1")                              # the next morning, nothing changed
        keys, cursor = _requested(defs, instance, cursor)
        assert keys == {"eager"}

        _load(instance, "inputs", "v2")                              # an edited spreadsheet
        keys, cursor = _requested(defs, instance, cursor)
        assert keys == {"made_from_inputs", "eager"}

        keys, cursor = _requested(_defs("sql-2"), instance, cursor)  # the model's SQL changed
        assert keys == {"made_from_inputs"}


def test_the_project_models_of_the_inputs_carry_that_condition(tmp_path):
    config = tmp_path / "community.yaml"
    config.write_text("community:\n  name: T\n  timezone: Asia/Shanghai\nwarehouse: w.duckdb\n"
                      "sources:\n  - {name: forum, platform: canonical, path: landing}\n", encoding="utf-8")
    graph = build_definitions(load_config(config)).resolve_asset_graph()
    conditions = {spec.relation: graph.get(dg.AssetKey(spec.relation.split("."))).automation_condition
                  for spec in MODELS}
    assert len(INPUT_ONLY_MODELS) == 13
    for relation, condition in conditions.items():
        expected = input_only_automation() if relation in INPUT_ONLY_MODELS else dg.AutomationCondition.eager()
        assert condition == expected, relation
