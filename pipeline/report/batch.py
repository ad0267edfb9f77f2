"""Rendering the reports of many periods at once (a backfill, the demo, a first run).

One report is CPU work in Python (matplotlib charts, WeasyPrint PDF, python-pptx) after a few
small queries, and it runs on one core. A run that covers many periods therefore renders them
in ``settings.report_workers`` processes, each with its own READ-ONLY connection to the
warehouse: DuckDB lets several processes read one file when nobody holds it for writing, and
the report asset is in pool ``duckdb``, so no writer runs meanwhile. A single period (the daily
incremental run) is rendered in the calling process on its connection: starting a worker
(importing matplotlib, WeasyPrint, jieba) would cost more than it saves.

Workers are started with ``spawn`` (never ``fork``: the parent holds DuckDB and Dagster threads).
A failure in any period fails the call with that period's error.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from pipeline.config import CommunityConfig
from pipeline.periods import Period

# fewer periods than this: rendered in the calling process
MIN_PERIODS_FOR_WORKERS = 3

_worker_conn = None


def _start_worker(warehouse: str, memory_limit: str) -> None:
    global _worker_conn
    from pipeline.warehouse import connect

    # one DuckDB thread per worker: the workers already use every core
    _worker_conn = connect(warehouse, read_only=True, memory_limit=memory_limit, threads=1)


def report_dir(config: CommunityConfig, period: Period) -> Path:
    """Where a period's report goes: ``<reports_dir>/<grain>/<period key>/``."""
    return config.reports_dir / period.grain / period.key


def _render_in_worker(config: CommunityConfig, period: Period, check_results: list[dict] | None) -> dict[str, Path]:
    from pipeline.report.render import render_report

    return render_report(_worker_conn, config, period, report_dir(config, period), check_results=check_results)


def render_periods(config: CommunityConfig, periods: list[Period], check_results: list[dict] | None,
                   open_connection: Callable, on_done: Callable[[Period, dict], None] | None = None,
                   workers: int | None = None) -> list[dict[str, Path]]:
    """Render every period's report into ``<reports_dir>/<grain>/<key>/``; return their paths in
    period order. ``open_connection()`` is a context manager giving the warehouse connection
    used when the periods are rendered in this process."""
    from pipeline.report.render import render_report

    workers = min(config.report_workers if workers is None else workers, len(periods))
    written: list[dict[str, Path]] = []
    if workers <= 1 or len(periods) < MIN_PERIODS_FOR_WORKERS:
        with open_connection() as conn:
            for period in periods:
                paths = render_report(conn, config, period, report_dir(config, period), check_results=check_results)
                written.append(paths)
                if on_done:
                    on_done(period, paths)
        return written
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(str(config.warehouse), config.duckdb_memory_limit)) as pool:
        futures = [pool.submit(_render_in_worker, config, period, check_results) for period in periods]
        for period, future in zip(periods, futures):
            paths = future.result()
            written.append(paths)
            if on_done:
                on_done(period, paths)
    return written
