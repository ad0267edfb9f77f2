"""Opening the DuckDB warehouse with the settings every connection must share."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import duckdb

A = TypeVar("A")
B = TypeVar("B")


def connection_config(memory_limit: str = "2GB", threads: int = 2, temp_dir: str | None = None) -> dict:
    """DuckDB config used by every connection of the pipeline (Dagster resource and CLI alike).

    All connections to one file in one process must use the same config (DuckDB refuses
    otherwise), so this is the single place it is defined.
    """
    cfg = {"memory_limit": memory_limit, "threads": threads, "TimeZone": "UTC",
           "autoinstall_known_extensions": False, "autoload_known_extensions": True}
    # GX validates through duckdb-engine, which stamps its own user agent on its connections;
    # using the same one everywhere keeps every connection of the process config-identical.
    cfg["custom_user_agent"] = _duckdb_engine_user_agent()
    if temp_dir:
        cfg["temp_directory"] = temp_dir
    return cfg


# warehouse file (resolved) -> DuckDB temp directory, from settings.duckdb_temp_directory
# (registered by pipeline.config.load_config, so every connection to the file uses the same one)
_TEMP_DIRS: dict[str, str] = {}


def register_temp_directory(path: str | Path, temp_dir: str | Path) -> None:
    _TEMP_DIRS[str(Path(path).resolve())] = str(temp_dir)


def temp_directory_for(path: str | Path) -> str:
    """The DuckDB temp directory of a warehouse file: the configured one, else
    ``<warehouse folder>/.duckdb_tmp`` (set explicitly: spilling joins and sorts go there)."""
    path = Path(path).resolve()
    return _TEMP_DIRS.get(str(path)) or str(path.parent / ".duckdb_tmp")


def connect(path: str | Path, read_only: bool = False, **kwargs) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not kwargs.get("temp_dir"):
        kwargs["temp_dir"] = temp_directory_for(path)
    # DuckDB creates only the last folder of its temp directory, when it first spills: under a
    # folder that does not exist, the first big load failed with an IO error (and the export
    # being loaded was recorded as unreadable)
    Path(kwargs["temp_dir"]).parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only, config=connection_config(**kwargs))


def side_by_side(conn: duckdb.DuckDBPyConnection, here: Callable[[duckdb.DuckDBPyConnection], A],
                 beside: Callable[[duckdb.DuckDBPyConnection], B]) -> tuple[A, B]:
    """Run ``here(conn)`` while ``beside`` runs on a second connection to the same database (a
    cursor of ``conn``) in a thread of its own; return both results once both have ended.

    DuckDB runs the two connections' statements at once (each its own transactions; appends of
    two transactions never conflict). An error of either is raised only after the other has
    ended, so nothing is left writing behind it; the second connection is closed."""
    side = conn.cursor()
    try:
        with ThreadPoolExecutor(1) as pool:
            other = pool.submit(beside, side)
            mine = here(conn)          # on an error here, leaving the block still waits for the other
            return mine, other.result()
    finally:
        side.close()


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` (a table or a view) exists in the connection's database.

    Binding the relation asks the catalog for that one name (~0.1 ms); a query of
    ``duckdb_tables()`` took ~2.5 ms on a year's warehouse (it describes every table), and a
    report asks ~60 times. The name is qualified with the database, so a temporary table or an
    attached database of the same name is never taken for it."""
    database = conn.execute("select current_database()").fetchone()[0]
    name = ".".join('"' + part.replace('"', '""') + '"' for part in (database, schema, table))
    try:
        conn.table(name)
    except duckdb.CatalogException:
        return False
    return True


def _duckdb_engine_user_agent() -> str:
    import duckdb_engine
    import sqlalchemy

    return f"duckdb_engine/{duckdb_engine.__version__}(sqlalchemy/{sqlalchemy.__version__})"
