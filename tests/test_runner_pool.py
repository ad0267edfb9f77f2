"""The warehouse's writer pool is enforced per run: the project's Dagster instance says so, and
the runner waits for a writing run of another process before each stage (that the runner's own
runs carry the pool, which the daemon counts, is checked in test_end_to_end.py)."""

from __future__ import annotations

import os
import threading
import time

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun, RunOpConcurrency

from pipeline.config import load_config
from pipeline.runner import (DAGSTER_YAML, PID_TAG, _DAGSTER_YAML_STEP_POOLS, _wait_for_other_writers,
                             prepare_dagster_home)
from tests.test_end_to_end import write_project


@pytest.fixture()
def config(tmp_path):
    return load_config(write_project(tmp_path))


def test_the_instance_enforces_the_writer_pool_per_run(config):
    home = prepare_dagster_home(config)
    instance = dg.DagsterInstance.get()
    pool_config = instance.event_log_storage.get_pool_config()
    assert pool_config.pool_granularity.value == "run" and pool_config.default_pool_limit == 1
    # an unedited file of an earlier version is replaced; an edited one is the team's and kept
    (home / "dagster.yaml").write_text(_DAGSTER_YAML_STEP_POOLS, encoding="utf-8")
    prepare_dagster_home(config)
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == DAGSTER_YAML
    edited = _DAGSTER_YAML_STEP_POOLS.replace("max_concurrent_runs: 4", "max_concurrent_runs: 2")
    (home / "dagster.yaml").write_text(edited, encoding="utf-8")
    prepare_dagster_home(config)
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == edited


def _run(instance, pools, tags=None) -> DagsterRun:
    run = DagsterRun(job_name="elsewhere", status=dg.DagsterRunStatus.STARTED, tags=tags or {},
                     run_op_concurrency=RunOpConcurrency(root_key_counts={p: 1 for p in pools},
                                                         has_unconstrained_root_nodes=not pools,
                                                         all_pools=set(pools)))
    instance.add_run(run)
    return run


def test_the_runner_waits_for_a_writing_run_of_another_process(config):
    prepare_dagster_home(config)
    instance = dg.DagsterInstance.get()
    _run(instance, [])                                                  # writes nothing: no wait
    _run(instance, ["duckdb"], {PID_TAG: str(os.getpid())})            # this process's own
    other = _run(instance, ["duckdb"], {PID_TAG: "1"})
    logged = []
    threading.Timer(0.6, instance.report_run_failed, args=(other,)).start()
    t0 = time.monotonic()
    _wait_for_other_writers(instance, logged.append, poll_seconds=0.05)
    waited = time.monotonic() - t0
    assert waited >= 0.5, waited
    assert logged == [f"  (waiting for run {other.run_id[:8]} of another process to finish: it writes the "
                      "warehouse. If its process is gone, mark the run failed or terminate it in the Dagster UI)"]
    logged.clear()
    _wait_for_other_writers(instance, logged.append, poll_seconds=0.05)   # nothing in progress now
    assert logged == []

