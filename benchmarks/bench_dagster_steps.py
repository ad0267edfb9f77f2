"""Dagster's own cost per step in the CLI's process (not a test): runs of 40 small daily-partitioned
assets and 10 asset checks (one partition each) on a fresh SQLite instance, tuned as
``community-report run`` tunes it (pipeline/instance_tuning.py) or, with ``--untuned``, as Dagster
leaves it. Prints each run's seconds and the SQLite connections the process opened.

    python benchmarks/bench_dagster_steps.py [--runs 4] [--untuned]

The first run (the instance's tables created) is not counted. To compare two versions of the
tuning, run it alternately from two checkouts (``PYTHONPATH=<checkout> python <checkout>/benchmarks/...``):
BENCHMARKS.md, "Night of 2026-12-05/06".
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--untuned", action="store_true", help="Dagster's defaults (no instance tuning)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench_dagster_steps_"))
    os.environ["DAGSTER_HOME"] = str(home)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    opened = [0]
    connect = sqlite3.connect

    def counting_connect(*a, **k):
        opened[0] += 1
        return connect(*a, **k)

    sqlite3.connect = sqlite3.dbapi2.connect = counting_connect
    if not args.untuned:
        from pipeline.instance_tuning import tune_instance

        tune_instance(home)
    import dagster as dg

    partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01")
    assets, previous = [], None
    for i in range(40):
        @dg.asset(name=f"a{i}", partitions_def=partitions, deps=[previous] if previous else [])
        def _asset():
            return dg.MaterializeResult(metadata={"rows": 1})
        assets.append(_asset)
        previous = _asset
    checks = []
    for i in range(0, 40, 4):
        @dg.asset_check(asset=f"a{i}", name=f"c{i}")
        def _check():
            return dg.AssetCheckResult(passed=True)
        checks.append(_check)
    instance = dg.DagsterInstance.get()
    try:
        for run in range(args.runs):
            before, t0 = opened[0], time.perf_counter()
            result = dg.materialize([*assets, *checks], instance=instance, partition_key=f"2025-06-{run + 1:02d}")
            assert result.success
            if run:
                print(f"run {run}: {time.perf_counter() - t0:.2f} s, {opened[0] - before} SQLite connections opened")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
