"""Rendering the reports of many periods at once (a backfill, the demo, a first run).

One report is CPU work in Python (matplotlib charts, Jinja2 pages, jieba keywords) after a few
small queries, and it runs on one core. A run that covers many periods therefore renders them
in ``settings.report_workers`` processes, each with its own READ-ONLY connection to the
warehouse: DuckDB lets several processes read one file when nobody holds it for writing, and
the report asset is in pool ``duckdb``, so no writer runs meanwhile. The workers share the
configured DuckDB memory limit (:func:`worker_memory_limit`). A single period (the daily
incremental run) is rendered in the calling process on its connection: starting a worker
(importing matplotlib, jieba) would cost more than it saves.

Workers are started with ``spawn`` (never ``fork``: the parent holds DuckDB and Dagster threads).
A failure in any period fails the call with that period's error.

:func:`write_period_documents` does the same for report.pdf and report.pptx (the
``report/<grain>_report_documents`` asset): they are made from the report.html, charts/*.svg
and sections.json already written (documents.py), so its workers need no warehouse connection.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from pipeline.config import CommunityConfig
from pipeline.periods import Period
from pipeline.warehouse import temp_directory_for

# which periods of a run get report.pdf and report.pptx (community-report run --documents)
DOCUMENT_CHOICES = ("latest", "all", "none")
# fewer periods than this: rendered in the calling process
MIN_PERIODS_FOR_WORKERS = 3

_worker_conn = None


def _start_worker(warehouse: str, memory_limit: str, temp_root: str) -> None:
    global _worker_conn
    from multiprocessing.util import Finalize

    from pipeline.warehouse import connect

    # its own spill folder: DuckDB names its temp files per instance, not per process
    # (connect creates the folders above it; DuckDB the folder itself, when it first spills)
    temp_dir = Path(temp_root) / f"report-worker-{os.getpid()}"
    # one DuckDB thread per worker: the workers already use every core
    _worker_conn = connect(warehouse, read_only=True, memory_limit=memory_limit, threads=1, temp_dir=str(temp_dir))
    Finalize(None, shutil.rmtree, args=(temp_dir,), kwargs={"ignore_errors": True}, exitpriority=1)
    Finalize(None, _worker_conn.close, exitpriority=2)


def worker_memory_limit(memory_limit: str, workers: int) -> str:
    """Each report worker's share of the configured DuckDB memory limit.

    The limit is a budget for the whole run: every worker is its own DuckDB instance, and with
    the full limit each (2 GB by default) a year-scale report stage reached 3.6 GiB of resident
    memory in two workers (mostly cached warehouse pages). The calling process keeps one share.
    A limit that is not a size (``80%``) is passed on unchanged."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?i?B)\s*", memory_limit, re.I)
    if not m:
        return memory_limit
    unit = m.group(2).upper().replace("I", "")
    size = float(m.group(1)) * {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}[unit]
    share = max(256 << 20, int(size / (workers + 1)))
    return f"{share >> 20}MB"


def report_dir(config: CommunityConfig, period: Period) -> Path:
    """Where a period's report goes: ``<reports_dir>/<grain>/<period key>/``."""
    return config.reports_dir / period.grain / period.key


def _render_in_worker(config: CommunityConfig, period: Period, check_results: list[dict] | None,
                      documents: bool) -> dict[str, Path]:
    from pipeline.report.render import render_report

    return render_report(_worker_conn, config, period, report_dir(config, period), check_results=check_results,
                         documents=documents)


def render_periods(config: CommunityConfig, periods: list[Period], check_results: list[dict] | None,
                   open_connection: Callable, on_done: Callable[[Period, dict], None] | None = None,
                   workers: int | None = None, documents: bool = True) -> list[dict[str, Path]]:
    """Render every period's report into ``<reports_dir>/<grain>/<key>/``; return their paths in
    period order. ``open_connection()`` is a context manager giving the warehouse connection
    used when the periods are rendered in this process. ``documents=False``: no report.pdf /
    report.pptx (see :func:`write_period_documents`)."""
    from pipeline.report.render import render_report

    workers = _worker_count(config, periods, workers)
    if not workers:
        with open_connection() as conn:
            return _in_process(periods, on_done, lambda period: render_report(
                conn, config, period, report_dir(config, period), check_results=check_results, documents=documents))
    return _in_workers(periods, workers, on_done,
                       lambda period: (_render_in_worker, config, period, check_results, documents),
                       initializer=_start_worker,
                       initargs=(str(config.warehouse), worker_memory_limit(config.duckdb_memory_limit, workers),
                                 temp_directory_for(config.warehouse)))


def _documents_of(folder: Path, language: str) -> dict[str, Path]:
    from pipeline.report.documents import write_documents

    return write_documents(folder, language=language)


def write_period_documents(config: CommunityConfig, periods: list[Period],
                           on_done: Callable[[Period, dict], None] | None = None,
                           workers: int | None = None) -> list[dict[str, Path]]:
    """Write report.pdf and report.pptx of every period from its rendered report; return their
    paths (keys ``pdf``, ``pptx``) in period order. A period whose report was not rendered is
    an error naming its folder, before any document is written."""
    from pipeline.report.documents import SECTIONS_FILE

    missing = [str(report_dir(config, p)) for p in periods
               if not all((report_dir(config, p) / name).is_file() for name in ("report.html", SECTIONS_FILE))]
    if missing:
        raise FileNotFoundError(f"no rendered report (report.html, {SECTIONS_FILE}) to make report.pdf and "
                                f"report.pptx from in {', '.join(missing)}: materialize the report asset of "
                                "these periods first")
    workers = _worker_count(config, periods, workers)
    if not workers:
        return _in_process(periods, on_done, lambda period: _documents_of(report_dir(config, period),
                                                                          config.language))
    return _in_workers(periods, workers, on_done,
                       lambda period: (_documents_of, report_dir(config, period), config.language))


def _worker_count(config: CommunityConfig, periods: list[Period], workers: int | None) -> int:
    """Worker processes for ``periods``: 0 (render in this process) for one worker or few periods."""
    workers = min(config.report_workers if workers is None else workers, len(periods))
    return 0 if workers <= 1 or len(periods) < MIN_PERIODS_FOR_WORKERS else workers


def _in_process(periods: list[Period], on_done: Callable | None, task: Callable) -> list:
    results = []
    for period in periods:
        results.append(task(period))
        if on_done:
            on_done(period, results[-1])
    return results


def _in_workers(periods: list[Period], workers: int, on_done: Callable | None, call: Callable,
                initializer: Callable | None = None, initargs: tuple = ()) -> list:
    """Run ``call(period)`` -> (function, *args) for every period in ``workers`` spawned processes;
    results in period order, ``on_done`` called in that order as they complete."""
    context = multiprocessing.get_context("spawn")
    results = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=initializer,
                             initargs=initargs) as pool:
        futures = [pool.submit(*call(period)) for period in periods]
        for period, future in zip(periods, futures):
            results.append(future.result())
            if on_done:
                on_done(period, results[-1])
    return results
