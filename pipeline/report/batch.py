"""Rendering the reports of many periods at once (a backfill, the demo, a first run).

One report is CPU work in Python (matplotlib charts, Jinja2 pages, jieba keywords) after a few
small queries, and it runs on one core. A run that covers many periods therefore renders them
in ``settings.report_workers`` processes, each with its own READ-ONLY connection to the
warehouse: DuckDB lets several processes read one file when nobody holds it for writing, and
the report asset is in pool ``duckdb``, so no writer runs meanwhile. The workers share the
configured DuckDB memory limit (:func:`worker_memory_limit`). Outside ``community-report run``,
one or two periods are rendered in the calling process on its connection: starting a worker
(importing matplotlib, jieba) would cost more than it saves.

Workers are forked from multiprocessing's fork server, a clean process that loads what every
worker needs once (worker_preload.py) and forks them from there; never forked from the calling
process, which holds DuckDB and Dagster threads. Where there is no fork server, they are
spawned. A failure in any period fails the call with that period's error.

:class:`SharedWorkers` is one pool for every report stage of a ``community-report run``: while it
is started, every period (a single one too) goes to its workers, which started once, side by
side, with their imports and keyword dictionary loaded. The runner starts all the run's reports
there ahead of their stages, and each period's documents as soon as its report is written; the
stages collect them (pipeline/runner.py).

:func:`write_period_documents` does the same for report.pdf and report.pptx (the
``report/<grain>_report_documents`` asset): they are made from the report.html, charts/*.svg
and sections.json already written (documents.py), so its workers need no warehouse connection.
"""

from __future__ import annotations

import atexit
import functools
import heapq
import itertools
import logging
import multiprocessing
import os
import pickle
import re
import shutil
import sys
import threading
import time
import uuid
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from pipeline.config import CommunityConfig
from pipeline.periods import Period
from pipeline.report.sections import REPORT_PARTS
from pipeline.warehouse import temp_directory_for

# which periods of a run get report.pdf and report.pptx (community-report run --documents)
DOCUMENT_CHOICES = ("latest", "all", "none")
# fewer periods than this: rendered in the calling process
MIN_PERIODS_FOR_WORKERS = 3

_worker_conn = None
_worker_settings: tuple | None = None
_shared: SharedWorkers | None = None


def _start_worker(warehouse: str, memory_limit: str, temp_root: str, threads: int = 1) -> None:
    """Initializer of a worker: its connection is opened by its first period (:func:`_connection`)."""
    global _worker_settings
    # one DuckDB thread per worker by default: the workers of a backfill already use every core
    _worker_settings = (warehouse, memory_limit, temp_root, threads)


def _connection():
    """The worker's READ-ONLY connection to the warehouse, opened on first use (a shared pool
    starts before the runner has closed the warehouse) and closed when the worker exits."""
    global _worker_conn
    if _worker_conn is None:
        from multiprocessing.util import Finalize

        from pipeline.warehouse import connect

        warehouse, memory_limit, temp_root, threads = _worker_settings
        # its own spill folder: DuckDB names its temp files per instance, not per process
        # (connect creates the folders above it; DuckDB the folder itself, when it first spills)
        temp_dir = Path(temp_root) / f"report-worker-{os.getpid()}"
        _worker_conn = connect(warehouse, read_only=True, memory_limit=memory_limit, threads=threads,
                               temp_dir=str(temp_dir))
        Finalize(None, shutil.rmtree, args=(temp_dir,), kwargs={"ignore_errors": True}, exitpriority=1)
        Finalize(None, _worker_conn.close, exitpriority=2)
    return _worker_conn


def _start_warm_worker(warehouse: str, memory_limit: str, temp_root: str, threads: int) -> None:
    """A shared worker, with everything a report and its documents import already imported
    (so the first period of each stage does not wait for it): by the fork server it was forked
    from, else now (worker_preload.py)."""
    _start_worker(warehouse, memory_limit, temp_root, threads)
    import pipeline.report.worker_preload  # noqa: F401
    atexit.register(_exit_without_teardown)


def _exit_without_teardown() -> None:
    """A spawned shared worker's exit (at interpreter exit, once the pool has shut it down: every
    task done, every file it wrote closed): flush the output and end the process, as a forked
    multiprocessing child ends (``os._exit`` after its work; a worker from the fork server never
    gets here), without the interpreter's teardown. That teardown, a last collection of
    everything the warm-up and the reports loaded, took ~0.9 s at the end of each run (two
    workers side by side), and with the frozen warm-up DuckDB's binding objects outlived the
    binding: nanobind printed ~60 lines of "leaked instances / types / functions". The exit
    code is 0: the pool reads none from a worker it shut down (a worker that dies earlier never
    gets here)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _ready() -> None:
    """A no-op task: submitting one per worker makes the pool start them all at once."""


class SharedWorkers:
    """Report worker processes shared by every report stage of one run, for ``with``.

    Once started (:meth:`start`) and until the ``with`` ends, :func:`render_periods` and
    :func:`write_period_documents` of the same warehouse send every period to these workers, a
    single period too, whatever their ``workers`` argument. The runner also starts the run's
    reports and documents ahead of their Dagster stages (:meth:`start_reports`), and those
    stages then collect them. Why: Dagster runs one stage after the other in the runner's
    process (docs/ARCHITECTURE.md says why not two in threads), and a report stage of one
    period keeps one worker busy; started ahead, the weekly and the monthly report render side
    by side, and each period's documents start as soon as its report is written.

    Tasks are queued here, not in the pool: the documents go first (the newest period's are on
    the longest path), then the reports whose documents are wanted, then the rest; the pool gets
    one task per worker at a time (its own queue is first come, first served).

    Each worker opens a read-only connection with its first report: every write to the
    warehouse must come before (the runner's model stages), and no process may hold it for
    writing meanwhile. ``config.report_workers`` < 2: no workers, periods are rendered as
    without it."""

    DOCUMENTS, WANTED_REPORT, REPORT = 0, 1, 2          # task priorities, first served first

    def __init__(self, config: CommunityConfig):
        self.warehouse = str(config.warehouse)
        self.workers = config.report_workers
        self.memory_limit = config.duckdb_memory_limit
        # DuckDB's threads in each worker: a run of one period per grain keeps one worker busy
        # at a time, and a report's queries then use the cores the model stages used (two
        # workers of a backfill with 2 threads each rendered six weeks as fast as with 1)
        self.threads = config.duckdb_threads
        self.pool: ProcessPoolExecutor | None = None
        self._lock = threading.RLock()
        self._waiting: list = []                  # heap of (priority, sequence, future, function, args)
        self._sequence = itertools.count()
        self._running = 0
        # started ahead: ("report", folder, language) -> (check results, future); ("documents", ...) -> future
        self._early: dict[tuple, object] = {}

    def __enter__(self) -> SharedWorkers:
        return self

    def start(self) -> None:
        """Start the workers' fork server (once; it loads their imports while the caller goes on;
        the workers are forked by the first tasks) and share the workers from now on. A task
        submitted before the server has loaded everything waits for it."""
        global _shared
        if self.workers < 2 or self.pool is not None:
            return
        if _shared is not None:
            raise RuntimeError("report workers are already shared in this process")
        self.pool = _worker_pool(self.workers, initializer=_start_warm_worker,
                                 initargs=(self.warehouse, worker_memory_limit(self.memory_limit, self.workers),
                                           temp_directory_for(self.warehouse), self.threads))
        if not _start_fork_server():
            # spawned: each worker loads its imports when started, so start them all now
            for _ in range(self.workers):
                self.pool.submit(_ready)
        _shared = self

    def start_reports(self, config: CommunityConfig, periods: list[Period], check_results: list[dict] | None,
                      documents_for: list[Period] = ()) -> None:
        """Start rendering ``periods`` (report.html etc., no documents) with ``check_results``,
        and the documents of ``documents_for`` as soon as their reports are written.
        Their stages collect them (:meth:`report_future`, :meth:`documents_future`)."""
        if self.pool is None:
            return
        wanted = {report_dir(config, p) for p in documents_for}
        # fewer reports than workers (a daily update: that week's): each is built in parts, one
        # per worker, instead of leaving a worker idle (:meth:`_report_in_parts`)
        in_parts = len(periods) < self.workers
        for period in periods:
            folder = report_dir(config, period)
            priority = self.WANTED_REPORT if folder in wanted else self.REPORT
            report = (self._report_in_parts(priority, config, period, check_results) if in_parts
                      else self._submit(priority, _render_in_worker, config, period, check_results, False))
            self._early[("report", folder, config.language)] = (check_results, report)
            if folder in wanted:
                documents = Future()
                self._early[("documents", folder, config.language)] = documents
                report.add_done_callback(functools.partial(self._documents_after, documents, folder, config.language))

    def _report_in_parts(self, priority: int, config: CommunityConfig, period: Period,
                         check_results: list[dict] | None) -> Future:
        """One period's report (no documents) with its sections built in two workers side by side
        (REPORT_PARTS: the core sections, the registered ones), then its files written by
        one of them. A weekly report of the benchmark's year took 2.0-3.5 s in one worker while the
        other had nothing to do, at the head of a daily update's longest path (report, then its
        PDF); 1.5-2.1 s so (alternated)."""
        report = Future()
        parts = [self._submit(priority, _report_part_in_worker, config, period, check_results, part)
                 for part in REPORT_PARTS]

        def write() -> None:
            written = self._submit(priority, _write_parts_in_worker, config, period, [part.result() for part in parts])
            _when_all([written], report, lambda: _settle(report, result=written.result()))

        _when_all(parts, report, write)
        return report

    def report_future(self, config: CommunityConfig, period: Period, check_results: list[dict] | None,
                      documents: bool) -> Future:
        """The report of ``period``: the one started ahead if it was started with the same check
        results and without documents, else one started now."""
        key = ("report", report_dir(config, period), config.language)
        with self._lock:
            early = self._early.pop(key, None)
        if early is not None and early[0] == check_results and not documents:
            return early[1]
        return self._submit(self.REPORT, _render_in_worker, config, period, check_results, documents)

    def documents_future(self, folder: Path, language: str) -> Future:
        """The documents of ``folder``: those started ahead, or started now."""
        with self._lock:
            early = self._early.pop(("documents", folder, language), None)
        if early is not None:
            return early
        documents = Future()
        self._start_documents(folder, language, documents)
        return documents

    def _documents_after(self, documents: Future, folder: Path, language: str, report: Future) -> None:
        if documents.done():                                # cancelled by a stage that failed
            return
        if report.cancelled() or report.exception() is not None:
            _settle(documents, error=report.exception() if not report.cancelled()
                    else RuntimeError(f"{folder}: its report was cancelled"))
        else:
            self._start_documents(folder, language, documents)

    def _start_documents(self, folder: Path, language: str, documents: Future) -> None:
        """Make the documents of one report over the workers, ``documents`` then holding their
        paths: one worker rasterises the charts, then makes report.pptx; meanwhile the other lays
        report.pdf out with placeholders of the charts' sizes and draws it once their PNGs are
        written (:func:`_pdf_while_rasterised`). A weekly report of the benchmark's year had
        its charts rasterised in two halves (~0.7 s), then its PDF (~3.5-4 s) beside its slides.
        The rasterising is submitted first and so starts first: the PDF that waits for it
        never holds the worker it needs (with one worker they would run one after the other)."""
        token = uuid.uuid4().hex
        raster = self._submit(self.DOCUMENTS, _rasterise_and_mark, folder, token)
        pdf = self._submit(self.DOCUMENTS, _pdf_while_rasterised, folder, language, token)

        def slides() -> None:
            pptx = self._submit(self.DOCUMENTS, _pptx_of, folder, language)
            _when_all([pdf, pptx], documents, lambda: _settle(documents, result={**pdf.result(), **pptx.result()}))

        _when_all([raster], documents, slides)

    def _submit(self, priority: int, function: Callable, *args) -> Future:
        future = Future()
        with self._lock:
            heapq.heappush(self._waiting, (priority, next(self._sequence), future, function, args))
            self._dispatch()
        return future

    def _dispatch(self) -> None:
        """Give the pool the next waiting tasks while a worker is free (lock held)."""
        while self._running < self.workers and self._waiting:
            _, _, future, function, args = heapq.heappop(self._waiting)
            if not future.set_running_or_notify_cancel():
                continue                                   # cancelled while waiting
            try:
                task = self.pool.submit(function, *args)
            except Exception as exc:                      # noqa: BLE001 (a shut-down or broken pool)
                future.set_exception(exc)
                continue
            self._running += 1
            task.add_done_callback(functools.partial(self._finished, future))

    def _finished(self, future: Future, task: Future) -> None:
        # runs in the pool's thread: hand the result on, then give the pool the next task
        if task.cancelled():
            future.set_exception(RuntimeError("the report workers were shut down"))
        elif task.exception() is not None:
            future.set_exception(task.exception())
        else:
            future.set_result(task.result())
        with self._lock:
            self._running -= 1
            if self.pool is not None:
                self._dispatch()

    def __exit__(self, exc_type, exc, tb) -> None:
        global _shared
        if self.pool is None:
            return
        _shared = None
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for _, _, future, _, _ in waiting:
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=exc_type is not None)
        self.pool = None
        self._early.clear()


def _shared_workers(config: CommunityConfig) -> SharedWorkers | None:
    shared = _shared
    return shared if shared is not None and shared.pool is not None and shared.warehouse == str(config.warehouse) \
        else None


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

    return render_report(_connection(), config, period, report_dir(config, period), check_results=check_results,
                         documents=documents)


def _report_part_in_worker(config: CommunityConfig, period: Period, check_results: list[dict] | None,
                           part: str) -> bytes:
    """One part of a report's sections (render.build_part), pickled: the run's process passes it
    on to the worker that writes the report without unpickling it, which would import the
    report's modules there (matplotlib, the sections: ~1.5 s beside the two busy workers)."""
    from pipeline.report.render import build_part

    return pickle.dumps(build_part(_connection(), config, period, check_results, part))


def _write_parts_in_worker(config: CommunityConfig, period: Period, parts: list[bytes]) -> dict[str, Path]:
    from pipeline.report.render import write_parts

    return write_parts(report_dir(config, period), config.language, [pickle.loads(part) for part in parts],
                       documents=False)


def render_periods(config: CommunityConfig, periods: list[Period], check_results: list[dict] | None,
                   open_connection: Callable, on_done: Callable[[Period, dict], None] | None = None,
                   workers: int | None = None, documents: bool = True) -> list[dict[str, Path]]:
    """Render every period's report into ``<reports_dir>/<grain>/<key>/``; return their paths in
    period order. ``open_connection()`` is a context manager giving the warehouse connection
    used when the periods are rendered in this process. ``documents=False``: no report.pdf /
    report.pptx (see :func:`write_period_documents`). While a run's :class:`SharedWorkers` are
    started, every period goes to them (a report they started ahead is collected)."""
    shared = _shared_workers(config)
    if shared is not None:
        return _collect(periods, [shared.report_future(config, period, check_results, documents)
                                  for period in periods], on_done)
    workers = _worker_count(config, periods, workers)
    if not workers:
        # imported only here: it imports matplotlib and the sections (~1.5 s), which the process
        # of a run whose workers render (`community-report run`) never needs
        from pipeline.report.render import render_report

        with open_connection() as conn:
            return _in_process(periods, on_done, lambda period: render_report(
                conn, config, period, report_dir(config, period), check_results=check_results, documents=documents))
    with _worker_pool(workers, initializer=_start_worker,
                      initargs=(str(config.warehouse), worker_memory_limit(config.duckdb_memory_limit, workers),
                                temp_directory_for(config.warehouse))) as pool:
        return _collect(periods, [pool.submit(_render_in_worker, config, period, check_results, documents)
                                  for period in periods], on_done)


def _settle(future: Future, *, result=None, error: BaseException | None = None) -> None:
    """Set a composite future's outcome, unless a failed stage cancelled it meanwhile."""
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except InvalidStateError:
        pass


def _when_all(parts: list[Future], target: Future, then: Callable[[], None]) -> None:
    """Call ``then`` once every future of ``parts`` has succeeded (at once if there are none);
    the first part that failed or was cancelled fails ``target`` instead, and a cancelled
    ``target`` stops the chain. ``then`` runs in the thread that completed the last part."""
    remaining = [len(parts)]
    lock = threading.Lock()

    def one_done(_part: Future | None) -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0] > 0:
                return
        if target.done():
            return
        for part in parts:
            if part.cancelled():
                return _settle(target, error=RuntimeError("the report workers were shut down"))
            if part.exception() is not None:
                return _settle(target, error=part.exception())
        try:
            then()
        except Exception as exc:  # noqa: BLE001 - the target carries it to the stage that collects it
            _settle(target, error=exc)

    if not parts:
        remaining[0] = 1
        one_done(None)
    for part in parts:
        part.add_done_callback(one_done)


# How long a PDF laid out waits for its charts' PNGs (a weekly report's take ~1.5 s).
RASTER_TIMEOUT_S = 600.0


def _raster_markers(folder: Path, token: str) -> tuple[Path, Path]:
    """The files by which :func:`_rasterise_and_mark` tells the PDF's worker its charts are
    written (charts/.rasterised-<token>) or could not be (charts/.raster-failed-<token>)."""
    charts = Path(folder) / "charts"
    return charts / f".rasterised-{token}", charts / f".raster-failed-{token}"


def _rasterise_and_mark(folder: Path, token: str) -> None:
    """Every chart of ``folder`` rasterised (documents.rasterise_charts), then its marker."""
    from pipeline.report.documents import rasterise_charts

    done, failed = _raster_markers(folder, token)
    done.parent.mkdir(parents=True, exist_ok=True)
    for stale in [*done.parent.glob(".rasterised-*"), *done.parent.glob(".raster-failed-*")]:
        stale.unlink(missing_ok=True)                  # left by a run that stopped
    try:
        rasterise_charts(folder)
    except BaseException as exc:
        failed.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
        raise
    done.touch()


def _pdf_while_rasterised(folder: Path, language: str, token: str) -> dict[str, Path]:
    """report.pdf of ``folder``, laid out while another worker rasterises its charts
    (:func:`_rasterise_and_mark` with the same ``token``), drawn once they are written."""
    from pipeline.report.documents import write_pdf_document

    done, failed = _raster_markers(folder, token)

    def pngs_written() -> None:
        deadline = time.monotonic() + RASTER_TIMEOUT_S
        while not done.exists():
            if failed.exists():
                reason = failed.read_text(encoding="utf-8")
                failed.unlink(missing_ok=True)
                raise RuntimeError(f"{folder}: its charts could not be rasterised, so no PDF ({reason})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{folder}: its charts were not rasterised within {RASTER_TIMEOUT_S:.0f} s")
            time.sleep(0.01)
        done.unlink(missing_ok=True)

    return write_pdf_document(folder, language, pngs_coming=pngs_written)


def _pptx_of(folder: Path, language: str) -> dict[str, Path]:
    from pipeline.report.documents import write_pptx_document

    return write_pptx_document(folder, language)


def _documents_of(folder: Path, language: str) -> dict[str, Path]:
    from pipeline.report.documents import write_documents

    return write_documents(folder, language=language)


def write_period_documents(config: CommunityConfig, periods: list[Period],
                           on_done: Callable[[Period, dict], None] | None = None,
                           workers: int | None = None) -> list[dict[str, Path]]:
    """Write report.pdf and report.pptx of every period from its rendered report; return their
    paths (keys ``pdf``, ``pptx``) in period order. A period whose report was not rendered is
    an error naming its folder, before any document is written. While a run's
    :class:`SharedWorkers` are started, every period goes to them (documents they started ahead
    are collected)."""
    from pipeline.report.documents import SECTIONS_FILE

    missing = [str(report_dir(config, p)) for p in periods
               if not all((report_dir(config, p) / name).is_file() for name in ("report.html", SECTIONS_FILE))]
    if missing:
        raise FileNotFoundError(f"no rendered report (report.html, {SECTIONS_FILE}) to make report.pdf and "
                                f"report.pptx from in {', '.join(missing)}: materialize the report asset of "
                                "these periods first")
    shared = _shared_workers(config)
    if shared is not None:
        return _collect(periods, [shared.documents_future(report_dir(config, p), config.language) for p in periods],
                        on_done)
    workers = _worker_count(config, periods, workers)
    if not workers:
        return _in_process(periods, on_done, lambda period: _documents_of(report_dir(config, period),
                                                                          config.language))
    with _worker_pool(workers) as pool:
        return _collect(periods, [pool.submit(_documents_of, report_dir(config, p), config.language)
                                  for p in periods], on_done)


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


# What the fork server imports before it forks a worker: worker_preload.py, failing quietly
# (an error is raised again by the worker that imports it, see fork_server_preload.py)
FORK_SERVER_PRELOAD = ["pipeline.report.fork_server_preload"]


def _worker_context() -> multiprocessing.context.BaseContext:
    """How report workers are started: forked from the fork server (with FORK_SERVER_PRELOAD
    loaded: set before it starts; one server per process, kept until the process ends), else
    spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(FORK_SERVER_PRELOAD)
    return context


def _start_fork_server() -> bool:
    """Start the fork server now, if workers are forked from one (True), so it loads the preload
    while the caller goes on; without this, the first task's worker would wait for it."""
    if _worker_context().get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return True


def _worker_pool(workers: int, initializer: Callable | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (:func:`_worker_context`; for one call, use it with ``with``)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_worker_context(),
                               initializer=initializer, initargs=initargs)


def _collect(periods: list[Period], futures: list[Future], on_done: Callable | None) -> list:
    """The results of ``futures`` (one per period, in a worker pool) in period order, ``on_done``
    called in that order as they complete. A failed period fails the call with its error; the
    periods not started yet are cancelled (a shared pool lives on)."""
    results = []
    try:
        for period, future in zip(periods, futures):
            results.append(future.result())
            if on_done:
                on_done(period, results[-1])
    finally:
        for future in futures:
            future.cancel()
    return results
