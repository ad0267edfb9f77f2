"""A run leaves the models of the business inputs as they are when neither the inputs nor the
models' SQL changed (pipeline/unchanged.py); a changed input, a missing table or changed SQL
builds them again. Real runs of `community-report run` on the end-to-end project plus two
input files; which models a run built is read from the Dagster instance."""

from __future__ import annotations

import dagster as dg
import duckdb

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.model_registry import INPUT_ONLY_MODELS, ModelSpec
from pipeline.runner import prepare_dagster_home
from tests.test_end_to_end import write_project

GOALS = "period,metric,target\n2026-03,new_members,50\n"
PLAN = "period,item,owner,due,status,note\n2026-03,Write the FAQ,Ann,2026-03-20,done,\n"


def _materialized(config, runs_before: set[str]) -> set[str]:
    """The models (relations) materialized by the runs not in ``runs_before``."""
    prepare_dagster_home(config)
    instance = dg.DagsterInstance.get()
    return {e.dagster_event.asset_key.to_user_string().replace("/", ".")
            for run in instance.get_runs() if run.run_id not in runs_before
            for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)}


def _run_ids(config) -> set[str]:
    prepare_dagster_home(config)
    return {run.run_id for run in dg.DagsterInstance.get().get_runs()}


def _rows(config, sql: str):
    conn = duckdb.connect(str(config.warehouse), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_models_of_unchanged_inputs_are_left_as_they_are(tmp_path, monkeypatch, capsys):
    config_path = write_project(tmp_path)
    inputs = tmp_path / "data" / "inputs"
    inputs.mkdir(parents=True)
    (inputs / "goals.csv").write_text(GOALS, encoding="utf-8")
    (inputs / "plan.csv").write_text(PLAN, encoding="utf-8")
    config = load_config(config_path)

    def run() -> set[str]:
        before = _run_ids(config)
        assert main(["run", "--config", str(config_path), "--documents", "none"]) == 0
        return _materialized(config, before)

    assert INPUT_ONLY_MODELS <= run()                            # the first run builds everything
    capsys.readouterr()
    built = run()                                                # nothing changed
    assert not built & INPUT_ONLY_MODELS
    assert {"staging.members", "staging.messages", "staging.feedback", "marts.goals_attainment"} <= built
    assert "left as they are: staging.identity_map, " in capsys.readouterr().out
    assert _rows(config, "select item, is_done from marts.plan_items") == [("Write the FAQ", True)]

    # a changed input: every model of the inputs again (one version covers them all)
    (inputs / "plan.csv").write_text(PLAN + "2026-03,Run a meetup,Bo,2026-03-25,in_progress,\n", encoding="utf-8")
    assert INPUT_ONLY_MODELS <= run()
    assert _rows(config, "select item from marts.plan_items order by item") == [("Run a meetup",),
                                                                                ("Write the FAQ",)]

    # a table gone, and SQL edited: those models and what reads them, nothing else
    conn = duckdb.connect(str(config.warehouse))
    conn.execute("drop table staging.plan")
    conn.close()
    code_version = ModelSpec.code_version.fget
    monkeypatch.setattr(ModelSpec, "code_version", property(
        lambda spec: code_version(spec) + ("-edited" if spec.relation == "staging.goals" else "")))
    assert run() & INPUT_ONLY_MODELS == {"staging.plan", "marts.plan_items", "staging.goals"}
    assert _rows(config, "select count(*) from staging.plan") == [(2,)]
