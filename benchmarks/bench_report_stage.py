"""The report stage of a backfill on its own: every weekly and monthly report of a warehouse's
data, and the newest week's and month's PDF + PPTX, rendered in the shared report workers as
``community-report run`` renders them (pipeline/report/batch.py), without Dagster and without
rebuilding anything. Prints the wall time and the CPU seconds of the process and its workers.

    python benchmarks/bench_report_stage.py --config /path/to/community.yaml

The warehouse must hold the modelled data (e.g. the year the benchmark's backfill left with
``--keep``: ``/tmp/community_bench/work/year/community.yaml``). The reports are written into the
project's reports folder, replacing those there (same content: the inputs are the same).
Used to measure changes to the reports (BENCHMARKS.md, early morning of 2026-12-05).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from pipeline.config import load_config
    from pipeline.report.batch import SharedWorkers, report_dir
    from pipeline.runner import data_date_range, local_today, report_plan

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="community.yaml of a modelled warehouse")
    args = parser.parse_args()
    config = load_config(args.config)
    first, last = data_date_range(config)
    if first is None:
        print(f"{config.warehouse}: no data", file=sys.stderr)
        return 1
    plan = {grain: periods for grain, _, periods in report_plan(first, last, local_today(config.timezone))}   # as `run` does
    periods = [p for grain_periods in plan.values() for p in grain_periods]
    newest = [grain_periods[-1] for grain_periods in plan.values()]
    t0 = time.monotonic()
    with SharedWorkers(config) as workers:
        workers.start()
        workers.start_reports(config, periods, None, documents_for=newest)
        for period in periods:                          # collected as the report stages do
            workers.report_future(config, period, None, documents=False).result()
        for period in newest:
            workers.documents_future(report_dir(config, period), config.language).result()
        wall = time.monotonic() - t0
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    print(f"{len(plan.get('weekly', []))} weekly + {len(plan.get('monthly', []))} monthly reports, documents of "
          f"{', '.join(p.key for p in newest)}: {wall:.1f} s wall, {cpu:.1f} CPU s "
          f"({config.report_workers} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
