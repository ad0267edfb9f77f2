"""Run a GX suite against a DuckDB table *inside DuckDB* (GX SQL engine via duckdb-engine).

Nothing is pulled into pandas: GX compiles each expectation to SQL. The result is turned
into the facts a Dagster asset check needs (see ``assets/checks.py``).

Great Expectations is imported when a suite first runs (:func:`import_gx`), not with this module: its
import took ~2.4-4.8 s (scipy, altair, its fluent data sources), and every process that loads the
project's definitions paid it before, whether it validated anything or not (the Dagster code
server, each run the UI or the daemon launches, ``community-report`` commands, the tests). The
two modules it imports for an expectation we do not use are deferred (deferred_imports.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from pipeline.warehouse import connection_config, temp_directory_for

if TYPE_CHECKING:
    import great_expectations as gx

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def import_gx():
    """Great Expectations and its expectations (imported on first use), made to work on DuckDB."""
    from pipeline.quality.deferred_imports import defer

    defer()                     # scipy.stats, altair: imported by GX, never used by our suites
    from pipeline.quality import gx_duck_patch  # noqa: F401  (must be imported before validating)

    import great_expectations as gx
    import great_expectations.expectations as gxe

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx, gxe


@dataclass
class SuiteOutcome:
    suite: str
    table: str
    evaluated: int
    failed: list[dict] = field(default_factory=list)     # {expectation, column, severity, unexpected_count}
    errors: list[str] = field(default_factory=list)      # GX-internal errors (never a pass)

    @property
    def passed(self) -> bool:
        return not self.failed and not self.errors

    @property
    def critical(self) -> bool:
        return bool(self.errors) or any(f["severity"] == "critical" for f in self.failed)


def _engine_config(memory_limit: str, threads: int, temp_dir: str | None = None) -> dict:
    # duckdb-engine adds its own user agent; everything else must equal our connections' config.
    cfg = connection_config(memory_limit=memory_limit, threads=threads, temp_dir=temp_dir)
    cfg.pop("custom_user_agent")
    return cfg


def _gx_errors(result) -> list[str]:
    errs = []
    for r in result.results:
        ei = r.exception_info or {}
        if ei.get("raised_exception"):
            errs.append(str(ei.get("exception_message")))
        errs += [str(v.get("exception_message")) for v in ei.values()
                 if isinstance(v, dict) and v.get("raised_exception")]
    return errs


@dataclass(frozen=True)
class Window:
    """The rows of a partitioned table a run wrote: ``column`` in [start, end)."""
    column: str
    start: date
    end: date

    def condition(self, alias: str | None = None) -> str:
        # GX query assets take no bound parameters: the column comes from our model registry and
        # the bounds are `date` objects (their ISO form is all that is formatted), both re-checked.
        if not _IDENTIFIER.fullmatch(self.column) or not all(type(d) is date for d in (self.start, self.end)):
            raise ValueError(f"invalid window {self!r}")
        col = f"{alias}.{self.column}" if alias else self.column
        return f"{col} >= date '{self.start.isoformat()}' and {col} < date '{self.end.isoformat()}'"


def _keys_unique_outside(suite: gx.ExpectationSuite, table: str, window: Window) -> list:
    """For each column the suite expects unique: no value of the window's rows may appear in a
    row of the table outside the window, so checking the window alone still guarantees a unique
    key over the whole table. The unexpected rows are those outside rows. Written as a semi-join
    (``in``) on the window's keys: DuckDB probes the table's key column with the window's few
    values (a day of the benchmark's year: 0.11 s; as an inner join from the window 0.8 s)."""
    _, gxe = import_gx()
    extra = []
    for e in suite.expectations:
        if isinstance(e, gxe.ExpectColumnValuesToBeUnique):
            col = e.column
            if not _IDENTIFIER.fullmatch(col):
                raise ValueError(f"invalid column {col!r}")
            extra.append(gxe.UnexpectedRowsExpectation(
                description=f"{col} of the validated window is unique in the whole of {table}",
                severity=e.severity,
                unexpected_rows_query=(f"select o.{col} from {table} as o where o.{col} in (select {col} "
                                       # GX substitutes {batch} with "(query) AS subselect": no alias of ours
                                       f"from {{batch}}) and not ({window.condition('o')})")))
    return extra


def validate_table(database: str, table: str, suite: gx.ExpectationSuite, *, source: str | None = None,
                   window: Window | None = None, since_file_seq: int | None = None, memory_limit: str = "2GB",
                   threads: int = 2) -> SuiteOutcome:
    """Validate ``schema.table`` of the DuckDB file ``database`` with ``suite``.

    With ``source``, only that source's rows (raw tables are shared by all sources). With
    ``window``, only the rows of those dates (the partitions a run wrote: the check's cost
    follows the work, not the history), plus, for each column expected unique, a check that
    the window's values appear nowhere else in the table. With ``since_file_seq`` (a raw table),
    only the rows of the exports numbered from it on (those a run loaded).
    """
    gx, _ = import_gx()
    schema, name = table.split(".")
    if window is not None:
        suite = gx.ExpectationSuite(name=suite.name, expectations=[
            *(e.copy() for e in suite.expectations), *_keys_unique_outside(suite, table, window)])
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    ds = ctx.data_sources.add_sql(
        name="warehouse", connection_string=f"duckdb:///{database}",
        # Same DuckDB config as every other connection of the process (DuckDB refuses a second
        # connection to one file with a different config).
        kwargs={"connect_args": {"config": _engine_config(memory_limit, threads, temp_directory_for(database))}})
    # A query asset: GX's table asset ignores DuckDB schemas (it queries the bare name).
    # `table` comes from our own registry (pipeline/quality/suites.py), never from input.
    query = f"select * from {schema}.{name}"
    if source is not None:
        # GX query assets take no bound parameters; a source name is a config identifier that
        # load_config restricts to [A-Za-z][A-Za-z0-9_]*, re-checked here before it is quoted.
        if not _IDENTIFIER.fullmatch(source):
            raise ValueError(f"invalid source name {source!r}")
        query += f" where source = '{source}'"
    conditions = []
    if window is not None:
        conditions.append(window.condition())
    if since_file_seq is not None:
        if type(since_file_seq) is not int:          # formatted into the query: an int and nothing else
            raise ValueError(f"invalid file_seq {since_file_seq!r}")
        conditions.append(f"file_seq >= {since_file_seq}")
    if conditions:
        query += (" and " if source is not None else " where ") + " and ".join(conditions)
    batch = (ds.add_query_asset(name=f"{schema}_{name}", query=query)
             .add_batch_definition_whole_table("all").get_batch())
    try:
        result = batch.validate(suite)
    finally:
        engine = batch.data.execution_engine
        if getattr(engine, "_connection", None) is not None:
            engine._connection.close()
        engine.engine.dispose()
        # the datasource's own engine (opened by its connection test) holds the file too
        ds.get_engine().dispose()
    failed = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        failed.append({
            "expectation": cfg.type,
            "column": cfg.kwargs.get("column"),
            "severity": cfg.severity.value if hasattr(cfg.severity, "value") else str(cfg.severity),
            "unexpected_count": (r.result or {}).get("unexpected_count"),
        })
    return SuiteOutcome(suite=suite.name, table=table, evaluated=len(result.results), failed=failed,
                        errors=_gx_errors(result))
