"""Which models a run may leave as they are: the models of the business inputs when neither
those inputs nor the models' SQL changed since they were last built.

Every run loads the day's exports, so every model that reads them is built again. The models of
:data:`pipeline.model_registry.INPUT_ONLY_MODELS` read only the team's spreadsheets (directly, or
through each other), which change a few times a month; rebuilding them and running their GX
suites was ~1.5 s of a daily update's model stage. Dagster records what each of their
materializations was made from (data provenance): its code version (a digest of the SQL file)
and the data version of each upstream asset (``raw/business_inputs``: a digest of the inputs'
ledger, ``pipeline.ingest.inputs.inputs_version``; an upstream model: the version Dagster derived
from its own code and inputs). A model is unchanged, and left out of the run, when

- its table exists in the warehouse;
- its latest materialization has the model's current code version;
- every upstream asset is unchanged too (``raw/business_inputs`` was loaded by this run's raw
  stage before this is asked; an upstream model must itself be left out, not rebuilt), and the
  data version its latest materialization recorded for each is the upstream's current one.

Config values reach these models only through the inputs (their load depends on the time zone,
which is part of each input's signature), so a changed config loads the inputs again and changes
their version. The Dagster UI's jobs and automation still build them on every run.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from assets.models import model_key
from pipeline.model_registry import INPUT_ONLY_MODELS, INPUTS, MODELS
from pipeline.warehouse import table_exists

_BY_RELATION = {spec.relation: spec for spec in MODELS}


def unchanged_models(instance: dg.DagsterInstance, conn: duckdb.DuckDBPyConnection,
                     relations: list[str]) -> list[str]:
    """The models of ``relations`` (in their order) that are unchanged (module docstring)."""
    from dagster._core.definitions.data_version import (extract_data_provenance_from_entry,
                                                        extract_data_version_from_entry)

    def latest(relation: str):
        return instance.get_latest_materialization_event(model_key(relation))

    if not INPUT_ONLY_MODELS.intersection(relations):
        return []
    inputs = latest(INPUTS)
    current = {INPUTS: extract_data_version_from_entry(inputs) if inputs else None}
    unchanged: list[str] = []
    for relation in relations:
        spec = _BY_RELATION[relation]
        if relation not in INPUT_ONLY_MODELS or not table_exists(conn, spec.schema, spec.model.table):
            continue
        entry = latest(relation)
        provenance = extract_data_provenance_from_entry(entry) if entry else None
        if provenance is None or provenance.code_version != spec.code_version:
            continue
        deps = [d.relation for d in spec.dep_specs()]
        if all(dep in current and current[dep] is not None
               and provenance.input_data_versions.get(model_key(dep)) == current[dep] for dep in deps):
            unchanged.append(relation)
            current[relation] = extract_data_version_from_entry(entry)
    return unchanged
